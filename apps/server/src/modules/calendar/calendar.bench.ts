/**
 * Deadline arithmetic throughput (pure, no database): random starts and limits over the
 * published national schedule. Default export returns named figures (bench/run.ts style);
 * run directly with `node --import tsx apps/server/src/modules/calendar/calendar.bench.ts`.
 */
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import type { TimeLimit } from '@cityloop/shared';
import { addLimit, DAY_MS, type DayKind, DEFAULT_WORKING_PERIODS, elapsed, status, WorkingCalendar } from './calendar.math.ts';

/** A tiny deterministic PRNG so runs compare. */
function mulberry32(seed: number) {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export default async function bench(): Promise<Record<string, number>> {
  const data = createRequire(import.meta.url)('chinese-days/dist/chinese-days.json') as { holidays: object; workdays: object };
  const days = new Map<string, DayKind>();
  for (const d of Object.keys(data.holidays)) days.set(d, 'holiday');
  for (const d of Object.keys(data.workdays)) days.set(d, 'makeup_workday');

  const t0 = performance.now();
  const cal = new WorkingCalendar({ timeZone: 'Asia/Shanghai', periods: DEFAULT_WORKING_PERIODS, workDayMode: 'hours', days });
  const compileMs = performance.now() - t0;

  const rnd = mulberry32(7);
  const N = 200_000;
  const from = Date.UTC(2024, 0, 1);
  const span = 3 * 365 * DAY_MS;
  const starts = Array.from({ length: N }, () => new Date(from + Math.floor(rnd() * span)));
  const limits: TimeLimit[] = Array.from({ length: N }, () => {
    const r = rnd();
    if (r < 0.6) return { value: 1 + Math.floor(rnd() * 40), unit: 'hour', timeType: 'work' };
    if (r < 0.85) return { value: 1 + Math.floor(rnd() * 20), unit: 'day', timeType: 'work' };
    if (r < 0.95) return { value: 1 + Math.floor(rnd() * 48), unit: 'hour', timeType: 'urgent' };
    return { value: 1 + Math.floor(rnd() * 15), unit: 'day', timeType: 'natural' };
  });

  const rate = (fn: (i: number) => unknown) => {
    for (let i = 0; i < 20_000; i++) fn(i); // warm up
    const t = performance.now();
    for (let i = 0; i < N; i++) fn(i);
    return Math.round(N / ((performance.now() - t) / 1000));
  };

  const deadlinesPerS = rate((i) => addLimit(starts[i] as Date, limits[i] as TimeLimit, cal));
  const workHoursPerS = rate((i) => addLimit(starts[i] as Date, { value: 4, unit: 'hour', timeType: 'work' }, cal));
  const now = new Date(from + span);
  const elapsedPerS = rate((i) => elapsed(starts[i] as Date, now, 'work', cal));
  // The deadline sweep: status of each open case, one in ten with a 挂账 and one in twenty with a 延期.
  const pauses = starts.map((s, i) =>
    i % 10 === 0 ? [{ start: new Date(s.getTime() + 3_600_000), end: new Date(s.getTime() + 2 * DAY_MS) }] : undefined,
  );
  const ext: TimeLimit[] = [{ value: 1, unit: 'day', timeType: 'work' }];
  const statusPerS = rate((i) => status(starts[i] as Date, now, limits[i] as TimeLimit, cal, pauses[i], i % 20 === 0 ? ext : undefined));
  const sweep100kMs = Math.round((100_000 / statusPerS) * 1000);

  return { compileMs: Math.round(compileMs * 10) / 10, deadlinesPerS, workHoursPerS, elapsedPerS, statusPerS, sweep100kMs };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  console.log(JSON.stringify(await bench()));
}
