import { createRequire } from 'node:module';
import type { TimeLimit, TimeType } from '@cityloop/shared';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  addLimit,
  CalendarError,
  DAY_MS,
  type DayKind,
  DEFAULT_WORKING_PERIODS,
  elapsed,
  formatLocal,
  type Interval,
  isoToDay,
  limitAmountMs,
  MINUTE_MS,
  parseDateTime,
  status,
  validateWorkingPeriods,
  type WorkDayMode,
  WorkingCalendar,
  type WorkingPeriod,
} from './calendar.math.ts';

/** The published national schedule, as the seed copies it into calendar_day. */
function nationalDays(): Map<string, DayKind> {
  const data = createRequire(import.meta.url)('chinese-days/dist/chinese-days.json') as {
    holidays: Record<string, string>;
    workdays: Record<string, string>;
  };
  const days = new Map<string, DayKind>();
  for (const d of Object.keys(data.holidays)) days.set(d, 'holiday');
  for (const d of Object.keys(data.workdays)) days.set(d, 'makeup_workday');
  return days;
}

const DAYS = nationalDays();
const make = (
  workDayMode: WorkDayMode = 'hours',
  timeZone = 'Asia/Shanghai',
  periods: readonly WorkingPeriod[] = DEFAULT_WORKING_PERIODS,
) => new WorkingCalendar({ timeZone, periods, workDayMode, days: DAYS });
const CAL = make();
const CLOSE = make('close_of_day');

/** Local Beijing time → Date. */
const bj = (text: string) => {
  const d = parseDateTime(text, CAL.zone);
  if (!d) throw new Error(`bad test time ${text}`);
  return d;
};
const local = (d: Date, cal = CAL) => formatLocal(d, cal.zone).slice(0, 16).replace('T', ' ');
const work = (value: number, unit: TimeLimit['unit'] = 'hour'): TimeLimit => ({ value, unit, timeType: 'work' });

/**
 * A slow, independent reference for counted working minutes: walks the local days one by one
 * and adds the overlap of [a, b) with each working period.
 */
function naiveWorkMinutes(a: Date, b: Date, cal: WorkingCalendar): number {
  if (b <= a) return 0;
  const la = cal.zone.toLocal(a.getTime());
  const lb = cal.zone.toLocal(b.getTime());
  let total = 0;
  for (let day = Math.floor(la / DAY_MS); day * DAY_MS < lb; day++) {
    const k = cal.dayKind(day);
    if (k !== 'workday' && k !== 'makeup_workday') continue;
    for (const [s, e] of cal.periodMs) {
      const from = Math.max(la, day * DAY_MS + s);
      const to = Math.min(lb, day * DAY_MS + e);
      if (to > from) total += to - from;
    }
  }
  return total / MINUTE_MS;
}

// --- generators -------------------------------------------------------------------------------

const T0 = Date.UTC(2023, 11, 1);
const T1 = Date.UTC(2027, 11, 1);
/** Any instant from Dec 2023 to Dec 2027 (ms precision), spanning published and unpublished years. */
const instant = fc.integer({ min: T0, max: T1 }).map((ms) => new Date(ms));
/** Minute-aligned instants hit period boundaries often. */
const minuteInstant = fc.integer({ min: T0 / MINUTE_MS, max: T1 / MINUTE_MS }).map((m) => new Date(m * MINUTE_MS));
const anyStart = fc.oneof(instant, minuteInstant);

const limitOf = (timeType: TimeType) =>
  fc.oneof(
    fc.record({ value: fc.integer({ min: 1, max: 5000 }), unit: fc.constant<'minute'>('minute'), timeType: fc.constant(timeType) }),
    fc.record({ value: fc.integer({ min: 1, max: 300 }), unit: fc.constant<'hour'>('hour'), timeType: fc.constant(timeType) }),
    fc.record({ value: fc.constantFrom(0.5, 1.5, 2.25), unit: fc.constant<'hour'>('hour'), timeType: fc.constant(timeType) }),
    fc.record({ value: fc.integer({ min: 1, max: 40 }), unit: fc.constant<'day'>('day'), timeType: fc.constant(timeType) }),
  );
const anyLimit = fc.oneof(limitOf('work'), limitOf('urgent'), limitOf('natural'));

/** 1–4 sorted, non-overlapping working periods on a 15-minute grid. */
const periodsArb = fc
  .uniqueArray(fc.integer({ min: 0, max: 96 }), { minLength: 2, maxLength: 8 })
  .filter((xs) => xs.length % 2 === 0)
  .map((xs) => {
    const sorted = [...xs].sort((a, b) => a - b);
    const hhmm = (q: number) => `${String(Math.floor(q / 4)).padStart(2, '0')}:${String((q % 4) * 15).padStart(2, '0')}`;
    const out: WorkingPeriod[] = [];
    for (let i = 0; i < sorted.length; i += 2) out.push({ start: hhmm(sorted[i] as number), end: hhmm(sorted[i + 1] as number) });
    return out;
  });
const zoneArb = fc.constantFrom('Asia/Shanghai', '+08:00', 'UTC', '+05:30', 'Asia/Urumqi');

/** 0–4 disjoint pauses in order, from a little before the start to weeks after it. */
const pausesFrom = (start: Date) =>
  fc
    .array(fc.record({ gap: fc.integer({ min: 1, max: 5 * DAY_MS }), len: fc.integer({ min: 1, max: 5 * DAY_MS }) }), { maxLength: 4 })
    .map((ps) => {
      let t = start.getTime() - DAY_MS;
      return ps.map(({ gap, len }) => {
        const p = { start: new Date(t + gap), end: new Date(t + gap + len) };
        t += gap + len;
        return p;
      });
    });

const RUNS = { numRuns: 300 };

// --- properties -------------------------------------------------------------------------------

describe('deadline arithmetic: properties', () => {
  it('round-trips: the counted time from start to deadline equals the limit (work, urgent, natural)', () => {
    fc.assert(
      fc.property(anyStart, anyLimit, (start, limit) => {
        const deadline = addLimit(start, limit, CAL);
        expect(deadline.getTime()).toBeGreaterThan(start.getTime());
        expect(elapsed(start, deadline, limit.timeType, CAL)).toBe(limitAmountMs(limit, CAL) / MINUTE_MS);
      }),
      RUNS,
    );
  });

  it('round-trips on any working periods and zone, and matches a day-by-day reference count', () => {
    fc.assert(
      fc.property(periodsArb, zoneArb, anyStart, limitOf('work'), (periods, zone, start, limit) => {
        const cal = make('hours', zone, periods);
        const deadline = addLimit(start, limit, cal);
        const expected = limitAmountMs(limit, cal) / MINUTE_MS;
        expect(elapsed(start, deadline, 'work', cal)).toBe(expected);
        expect(naiveWorkMinutes(start, deadline, cal)).toBeCloseTo(expected, 6);
      }),
      { numRuns: 150 },
    );
  });

  it('measures like the reference on arbitrary spans', () => {
    fc.assert(
      fc.property(anyStart, fc.integer({ min: 0, max: 60 * DAY_MS }), (a, len) => {
        const b = new Date(a.getTime() + len);
        expect(elapsed(a, b, 'work', CAL)).toBeCloseTo(naiveWorkMinutes(a, b, CAL), 6);
        expect(elapsed(a, b, 'urgent', CAL)).toBe(len / MINUTE_MS);
      }),
      RUNS,
    );
  });

  it('elapsed time is additive over consecutive spans', () => {
    fc.assert(
      fc.property(anyStart, fc.nat(20 * DAY_MS), fc.nat(20 * DAY_MS), (a, x, y) => {
        const b = new Date(a.getTime() + x);
        const c = new Date(b.getTime() + y);
        expect(elapsed(a, c, 'work', CAL)).toBeCloseTo(elapsed(a, b, 'work', CAL) + elapsed(b, c, 'work', CAL), 9);
      }),
      RUNS,
    );
  });

  it('holidays never count: any start inside the 2026 National Day break gives the deadline of 10-08 08:00', () => {
    const from = bj('2026-09-30 18:00').getTime();
    const to = bj('2026-10-08 08:00').getTime();
    fc.assert(
      fc.property(fc.integer({ min: from, max: to }), fc.integer({ min: 0, max: to - from }), limitOf('work'), (ms, len, limit) => {
        const start = new Date(ms);
        expect(addLimit(start, limit, CAL).getTime()).toBe(addLimit(new Date(to), limit, CAL).getTime());
        expect(elapsed(start, new Date(Math.min(to, ms + len)), 'work', CAL)).toBe(0);
      }),
      RUNS,
    );
  });

  it('no stored holiday has working time, whatever its weekday', () => {
    const holidays = [...DAYS].filter(([, k]) => k === 'holiday').map(([d]) => d);
    fc.assert(
      fc.property(fc.constantFrom(...holidays), fc.nat(DAY_MS - 1), fc.nat(DAY_MS - 1), (day, x, y) => {
        const base = bj(`${day} 00:00`).getTime();
        const [a, b] = x < y ? [x, y] : [y, x];
        expect(elapsed(new Date(base + a), new Date(base + b), 'work', CAL)).toBe(0);
        expect(CAL.isWorkingTime(new Date(base + a).getTime())).toBe(false);
      }),
      RUNS,
    );
  });

  it("a 'work' deadline falls inside a working period of a working day, or exactly at a period's end", () => {
    fc.assert(
      fc.property(
        periodsArb,
        anyStart,
        limitOf('work'),
        fc.constantFrom<WorkDayMode>('hours', 'close_of_day'),
        (periods, start, limit, mode) => {
          const cal = make(mode, 'Asia/Shanghai', periods);
          const d = addLimit(start, limit, cal).getTime();
          expect(cal.isWorkingTime(d - 1)).toBe(true); // the clock was running just before
          const l = cal.zone.toLocal(d);
          const tod = l - Math.floor(l / DAY_MS) * DAY_MS;
          const atEnd = cal.periodMs.some(([, e]) => e === tod || (e === DAY_MS && tod === 0));
          expect(cal.isWorkingTime(d) || atEnd).toBe(true);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('pauses add exactly the counted time they cover', () => {
    fc.assert(
      fc.property(
        anyStart.chain((s) => fc.tuple(fc.constant(s), pausesFrom(s))),
        anyLimit,
        ([start, pauses], limit) => {
          const plain = addLimit(start, limit, CAL);
          const paused = addLimit(start, limit, CAL, pauses);
          const amount = limitAmountMs(limit, CAL) / MINUTE_MS;
          expect(paused.getTime()).toBeGreaterThanOrEqual(plain.getTime());
          // Net of pauses the limit is used exactly; gross, the paused time is added on top.
          expect(elapsed(start, paused, limit.timeType, CAL, pauses)).toBeCloseTo(amount, 6);
          let covered = 0;
          for (const p of pauses) {
            const a = new Date(Math.max(p.start.getTime(), start.getTime()));
            const b = new Date(Math.min(p.end.getTime(), paused.getTime()));
            covered += elapsed(a, b, limit.timeType, CAL);
          }
          expect(elapsed(start, paused, limit.timeType, CAL)).toBeCloseTo(amount + covered, 6);
          // Pauses that begin after the plain deadline change nothing.
          const late = pauses.filter((p) => p.start >= plain);
          expect(addLimit(start, limit, CAL, late).getTime()).toBe(plain.getTime());
        },
      ),
      RUNS,
    );
  });

  it('延期: an extension moves the deadline by exactly its amount', () => {
    fc.assert(
      fc.property(
        anyStart,
        fc.integer({ min: 1, max: 100 }),
        fc.integer({ min: 1, max: 100 }),
        fc.constantFrom<TimeType>('work', 'urgent', 'natural'),
        (start, a, b, timeType) => {
          const limit: TimeLimit = { value: a, unit: 'hour', timeType };
          const ext: TimeLimit = { value: b, unit: 'hour', timeType };
          const st = status(start, start, limit, CAL, [], [ext]);
          expect(st.deadline.getTime()).toBe(addLimit(start, { ...limit, value: a + b }, CAL).getTime());
          expect(st.deadline.getTime()).toBeGreaterThan(addLimit(start, limit, CAL).getTime());
          expect(st.limitMin).toBe((a + b) * 60);
        },
      ),
      RUNS,
    );
  });

  it('is monotonic: a later start never gives an earlier deadline (both 工作日 modes; with pauses in hours mode)', () => {
    fc.assert(
      fc.property(
        anyStart.chain((s) => fc.tuple(fc.constant(s), pausesFrom(s))),
        fc.nat(5 * DAY_MS),
        anyLimit,
        fc.constantFrom<WorkDayMode>('hours', 'close_of_day'),
        ([s1, pauses], gap, limit, mode) => {
          const cal = mode === 'hours' ? CAL : CLOSE;
          const s2 = new Date(s1.getTime() + gap);
          expect(addLimit(s2, limit, cal).getTime()).toBeGreaterThanOrEqual(addLimit(s1, limit, cal).getTime());
          // In close_of_day mode a pause between two starts on one day moves only the earlier one's
          // deadline, so monotonicity under pauses holds only where the limit is a fixed amount.
          if (mode === 'hours') {
            expect(addLimit(s2, limit, cal, pauses).getTime()).toBeGreaterThanOrEqual(addLimit(s1, limit, cal, pauses).getTime());
          }
        },
      ),
      RUNS,
    );
  });

  it('a longer limit never gives an earlier deadline', () => {
    fc.assert(
      fc.property(anyStart, fc.integer({ min: 1, max: 2000 }), fc.integer({ min: 0, max: 2000 }), (start, a, more) => {
        expect(addLimit(start, work(a + more, 'minute'), CAL).getTime()).toBeGreaterThanOrEqual(
          addLimit(start, work(a, 'minute'), CAL).getTime(),
        );
      }),
      RUNS,
    );
  });

  it("close_of_day: N 工作日 ends at the last period's end of the Nth working day after the start day", () => {
    fc.assert(
      fc.property(anyStart, fc.integer({ min: 1, max: 30 }), (start, n) => {
        const d = addLimit(start, work(n, 'day'), CLOSE);
        expect(local(d).slice(11)).toBe('18:00');
        const startDay = CLOSE.localDay(start.getTime());
        const endDay = CLOSE.localDay(d.getTime());
        expect(CLOSE.workingDaysBetween(startDay + 1, endDay + 1)).toBe(n);
        expect(['workday', 'makeup_workday']).toContain(CLOSE.dayKind(endDay));
      }),
      RUNS,
    );
  });

  it('light: green below 80 %, yellow from 80 %, red from 100 %; ratio is elapsed / limit', () => {
    fc.assert(
      fc.property(anyStart, fc.integer({ min: 10, max: 400 }), fc.double({ min: 0, max: 3, noNaN: true }), (start, minutes, frac) => {
        const limit: TimeLimit = { value: minutes, unit: 'minute', timeType: 'urgent' };
        const now = new Date(start.getTime() + Math.round(frac * minutes * MINUTE_MS));
        const st = status(start, now, limit, CAL);
        expect(st.ratio).toBeCloseTo(st.elapsedMin / minutes, 12);
        expect(st.light).toBe(st.ratio >= 1 ? 'red' : st.ratio >= 0.8 ? 'yellow' : 'green');
        expect(st.remainingMin).toBeCloseTo(minutes - st.elapsedMin, 9);
      }),
      RUNS,
    );
  });
});

// --- examples on the real 2026 schedule ----------------------------------------------------------

describe('deadline arithmetic: examples on the published 2026 schedule', () => {
  it('knows the 2026 National Day break: 10-01..07 off, 09-20 (Sun) and 10-10 (Sat) worked, 10-08 a normal Thursday', () => {
    for (let d = 1; d <= 7; d++) expect(CAL.dayKind(`2026-10-0${d}`)).toBe('holiday');
    expect(CAL.dayKind('2026-10-08')).toBe('workday');
    expect(CAL.dayKind('2026-10-10')).toBe('makeup_workday');
    expect(CAL.dayKind('2026-09-20')).toBe('makeup_workday');
    expect(CAL.dayKind('2026-10-11')).toBe('weekend');
  });

  it('4 工作时 from Wed 2026-09-30 16:00 ends Thu 2026-10-08 10:00 (2 h before the break, 2 h after it)', () => {
    expect(local(addLimit(bj('2026-09-30 16:00'), work(4), CAL))).toBe('2026-10-08 10:00');
  });

  it('2 紧急工作时 from 23:00 ends at 01:00, through the night and the holiday', () => {
    expect(local(addLimit(bj('2026-09-30 23:00'), { value: 2, unit: 'hour', timeType: 'urgent' }, CAL))).toBe('2026-10-01 01:00');
  });

  it('a make-up Saturday is worked: 8 工作时 from Fri 2026-10-09 14:00 ends Sat 10-10 12:00', () => {
    expect(local(addLimit(bj('2026-10-09 14:00'), work(8), CAL))).toBe('2026-10-10 12:00');
  });

  it('Mid-Autumn 2026 (Fri 09-25 off): 2 工作时 from Thu 09-24 17:00 ends Mon 09-28 09:00', () => {
    expect(local(addLimit(bj('2026-09-24 17:00'), work(2), CAL))).toBe('2026-09-28 09:00');
  });

  it('Spring Festival 2026: Sat 02-14 worked, 02-15..23 off; 1 工作日 from 02-13 10:00 ends 02-14 10:00, then 02-24', () => {
    expect(local(addLimit(bj('2026-02-13 10:00'), work(1, 'day'), CAL))).toBe('2026-02-14 10:00');
    expect(local(addLimit(bj('2026-02-14 10:00'), work(1, 'day'), CAL))).toBe('2026-02-24 10:00');
  });

  it('a deadline that completes at a period end stays there (12:00, not 14:00); a start in the lunch break waits for 14:00', () => {
    expect(local(addLimit(bj('2026-11-23 10:00'), work(2), CAL))).toBe('2026-11-23 12:00');
    expect(local(addLimit(bj('2026-11-23 12:30'), work(30, 'minute'), CAL))).toBe('2026-11-23 14:30');
    expect(local(addLimit(bj('2026-11-23 07:00'), work(1, 'day'), CAL))).toBe('2026-11-23 18:00');
    expect(local(addLimit(bj('2026-11-23 19:00'), work(1), CAL))).toBe('2026-11-24 09:00');
  });

  it('1 工作日: 8 工作时 in hours mode, the close of the next working day in close_of_day mode', () => {
    expect(local(addLimit(bj('2026-11-23 10:00'), work(1, 'day'), CAL))).toBe('2026-11-24 10:00');
    expect(local(addLimit(bj('2026-11-23 10:00'), work(1, 'day'), CLOSE))).toBe('2026-11-24 18:00');
    expect(local(addLimit(bj('2026-09-30 10:00'), work(2, 'day'), CLOSE))).toBe('2026-10-09 18:00');
    // Hours and minutes are unaffected by the mode.
    expect(local(addLimit(bj('2026-11-23 10:00'), work(4), CLOSE))).toBe('2026-11-23 16:00');
  });

  it('自然日 and 紧急工作时 days are 24 h, holidays included', () => {
    expect(local(addLimit(bj('2026-09-30 16:00'), { value: 3, unit: 'day', timeType: 'natural' }, CAL))).toBe('2026-10-03 16:00');
    expect(local(addLimit(bj('2026-09-30 16:00'), { value: 1, unit: 'day', timeType: 'urgent' }, CAL))).toBe('2026-10-01 16:00');
  });

  it('挂账: a suspension inside working time pushes the deadline by the working time it covered', () => {
    const start = bj('2026-11-23 09:00'); // Monday
    const pauses: Interval[] = [{ start: bj('2026-11-23 10:00'), end: bj('2026-11-24 10:00') }]; // covers 8 working hours
    expect(local(addLimit(start, work(4), CAL))).toBe('2026-11-23 15:00');
    expect(local(addLimit(start, work(4), CAL, pauses))).toBe('2026-11-24 15:00');
    const st = status(start, bj('2026-11-24 11:00'), work(4), CAL, [{ start: bj('2026-11-23 10:00'), end: bj('2026-11-24 10:00') }]);
    expect(st.elapsedMin).toBe(120);
    expect(st.light).toBe('green');
  });

  it('a clock started inside a 挂账 starts when it ends (close_of_day: the close of the day after the resume)', () => {
    const pauses: Interval[] = [{ start: bj('2026-11-24 07:00'), end: bj('2026-11-26 09:30') }];
    expect(local(addLimit(bj('2026-11-25 10:00'), work(1, 'day'), CLOSE, pauses))).toBe('2026-11-27 18:00');
    expect(local(addLimit(bj('2026-11-25 10:00'), work(3), CAL, pauses))).toBe('2026-11-26 14:30');
  });

  it('an open 挂账 stops the clock until now', () => {
    const start = bj('2026-11-23 09:00');
    const st = status(start, bj('2026-11-25 09:00'), work(4), CAL, [{ start: bj('2026-11-23 10:00'), end: null }]);
    expect(st.elapsedMin).toBe(60);
    expect(local(st.deadline)).toBe('2026-11-25 12:00'); // 3 h left once the case resumes at now
  });

  it('status: yellow at 80 %, red at 100 %, and the 超时倍数 past the deadline', () => {
    const start = bj('2026-11-23 08:00');
    expect(status(start, bj('2026-11-23 11:11'), work(4), CAL).light).toBe('green');
    expect(status(start, bj('2026-11-23 11:12'), work(4), CAL)).toMatchObject({ light: 'yellow', elapsedMin: 192, ratio: 0.8 });
    expect(status(start, bj('2026-11-23 12:00'), work(4), CAL)).toMatchObject({ light: 'red', ratio: 1 });
    // Lunch does not count: still exactly at the limit at 14:00, then 1.5 × at 16:00.
    expect(status(start, bj('2026-11-23 14:00'), work(4), CAL).ratio).toBe(1);
    expect(status(start, bj('2026-11-23 16:00'), work(4), CAL)).toMatchObject({ ratio: 1.5, remainingMin: -120 });
  });

  it('延期 in a different unit: +1 工作日 on a 4 工作时 limit', () => {
    const st = status(bj('2026-11-23 08:00'), bj('2026-11-23 08:00'), work(4), CAL, [], [work(1, 'day')]);
    expect(local(st.deadline)).toBe('2026-11-24 12:00');
    expect(st.limitMin).toBe(12 * 60);
  });

  it('counts the working days of 2026 (248) from the published schedule', () => {
    const from = isoToDay('2026-01-01') as number;
    expect(CAL.workingDaysBetween(from, from + 365)).toBe(248);
  });

  it('uses the zone: a fixed +08:00 agrees with Asia/Shanghai; New York crosses its DST change', () => {
    const fixed = make('hours', '+08:00');
    const start = bj('2026-09-30 16:00');
    expect(addLimit(start, work(4), fixed).getTime()).toBe(addLimit(start, work(4), CAL).getTime());
    const ny = make('hours', 'America/New_York');
    // Fri 2026-03-06 15:00 EST + 8 工作时: 3 h on Friday, Monday 03-09 (now EDT) 08–12 and 14–15.
    const d = addLimit(new Date('2026-03-06T20:00:00Z'), work(8), ny);
    expect(formatLocal(d, ny.zone)).toBe('2026-03-09T15:00:00-04:00');
    expect(d.toISOString()).toBe('2026-03-09T19:00:00.000Z');
  });
});

describe('calendar inputs', () => {
  it('parses local and zoned times', () => {
    expect(bj('2026-09-30T16:00').toISOString()).toBe('2026-09-30T08:00:00.000Z');
    expect(parseDateTime('2026-09-30T16:00:00Z', CAL.zone)?.toISOString()).toBe('2026-09-30T16:00:00.000Z');
    expect(parseDateTime('2026-09-30 16:00:30.5+09:00', CAL.zone)?.toISOString()).toBe('2026-09-30T07:00:30.500Z');
    for (const bad of ['2026-02-30T10:00', '2026-09-30', '2026-09-30T24:00', 'tomorrow', '2026-09-30T10:00+25:00']) {
      expect(parseDateTime(bad, CAL.zone), bad).toBeNull();
    }
    expect(formatLocal(new Date('2026-09-30T08:00:00Z'), CAL.zone)).toBe('2026-09-30T16:00:00+08:00');
  });

  it('validates working periods', () => {
    expect(validateWorkingPeriods(DEFAULT_WORKING_PERIODS)).toBeNull();
    expect(validateWorkingPeriods([{ start: '00:00', end: '24:00' }])).toBeNull();
    expect(
      validateWorkingPeriods([
        { start: '08:00', end: '12:00' },
        { start: '12:00', end: '18:00' },
      ]),
    ).toBeNull();
    expect(validateWorkingPeriods([])).toMatch(/At least one/);
    expect(validateWorkingPeriods([{ start: '8:00', end: '12:00' }])).toMatch(/HH:MM/);
    expect(validateWorkingPeriods([{ start: '08:00', end: '24:30' }])).toMatch(/HH:MM/);
    expect(validateWorkingPeriods([{ start: '12:00', end: '08:00' }])).toMatch(/before end/);
    expect(
      validateWorkingPeriods([
        { start: '08:00', end: '12:00' },
        { start: '11:00', end: '18:00' },
      ]),
    ).toMatch(/overlaps/);
    expect(
      validateWorkingPeriods([
        { start: '14:00', end: '18:00' },
        { start: '08:00', end: '12:00' },
      ]),
    ).toMatch(/out of order/);
  });

  it('rejects bad limits, zones and dates with stable codes', () => {
    const code = (fn: () => unknown) => {
      try {
        fn();
      } catch (e) {
        return e instanceof CalendarError ? e.code : String(e);
      }
      return 'no error';
    };
    const start = bj('2026-11-23 10:00');
    expect(code(() => addLimit(start, work(0), CAL))).toBe('time_limit_invalid');
    expect(code(() => addLimit(start, work(-1), CAL))).toBe('time_limit_invalid');
    expect(code(() => addLimit(start, { value: 1, unit: 'week', timeType: 'work' } as unknown as TimeLimit, CAL))).toBe(
      'time_limit_invalid',
    );
    expect(code(() => addLimit(new Date(Number.NaN), work(1), CAL))).toBe('date_invalid');
    expect(code(() => addLimit(new Date('2250-01-01T00:00:00Z'), work(1), CAL))).toBe('date_out_of_range');
    expect(code(() => addLimit(new Date('2199-12-31T09:00:00Z'), work(100, 'day'), CAL))).toBe('date_out_of_range');
    expect(code(() => make('hours', 'Mars/Olympus'))).toBe('time_zone_invalid');
  });

  it('accepts the day table as a map, an object or a lookup function', () => {
    const base = { timeZone: 'Asia/Shanghai', periods: DEFAULT_WORKING_PERIODS, workDayMode: 'hours' as const };
    const viaObject = new WorkingCalendar({ ...base, days: { '2026-11-23': 'holiday' } });
    const viaFn = new WorkingCalendar({ ...base, days: (d) => (d === '2026-11-23' ? 'holiday' : undefined) });
    for (const cal of [viaObject, viaFn]) {
      expect(cal.dayKind('2026-11-23')).toBe('holiday');
      expect(local(addLimit(bj('2026-11-22 12:00'), work(1), cal), cal)).toBe('2026-11-24 09:00');
    }
  });
});
