import type { TimeLimit, TimeType } from '@cityloop/shared';
import { TERMINAL_STATES } from '@cityloop/shared';
import { sql } from 'kysely';
import type { Context } from '../../context.ts';
import { elapsed, type Interval, lightOf } from '../calendar/calendar.math.ts';
import { WORKFLOW_DEFS } from '../workflow/workflow.definitions.ts';
import { scopeFacts } from './realtime.scope.ts';
import { type PublishInput, realtimeOf } from './realtime.service.ts';

/** Advisory lock key of the sweep: one process sweeps at a time, the others skip. */
export const SWEEP_LOCK = 7240091;

export interface SweepResult {
  /** Another process held the sweep lock: nothing was done. */
  skipped: boolean;
  /** Open cases whose clock was evaluated. */
  checked: number;
  /** Cases newly marked yellow / red (and announced). */
  yellow: number;
  red: number;
  /** Whole sweep, and the part inside the write transaction (on PGlite: the connection held). */
  ms: number;
  writeMs: number;
}

interface Candidate {
  id: number;
  workflow: string;
  state: string;
  phase: string;
  urgent: boolean;
  phaseStartedAt: Date;
  phaseDeadline: Date;
  disposalStartedAt: Date | null;
  disposalDeadline: Date | null;
  disposalLimit: TimeLimit | null;
  phaseTimeType: TimeType | null;
  pauses: Array<{ start: string; end: string }>;
  light: 'green' | 'yellow' | 'red' | null;
  lightStartedAt: Date | null;
  lightDeadline: Date | null;
}

const RANK = { green: 0, yellow: 1, red: 2 } as const;
const same = (a: Date | null, b: Date | null) => (a === null || b === null ? a === b : new Date(a).getTime() === new Date(b).getTime());

/**
 * Which clock the current phase deadline runs on: the disposal clock (from dispatch, pauses
 * excluded) or the phase's own limit — the same choice the cases module makes when it sets the
 * deadline, counted in the time type the case kept (rows from before it was kept: the class's
 * time type for disposal, work time for the phases; urgent cases on the continuous clock).
 */
function clockOf(c: Candidate): { start: Date; timeType: TimeType; pauses: Interval[] } {
  const def = WORKFLOW_DEFS[c.workflow as keyof typeof WORKFLOW_DEFS];
  const limit = def?.states[c.state as keyof typeof def.states]?.limit;
  if (limit === 'disposal' && c.disposalStartedAt) {
    return {
      start: new Date(c.disposalStartedAt),
      timeType: c.phaseTimeType ?? (c.urgent ? 'urgent' : (c.disposalLimit?.timeType ?? 'work')),
      pauses: (c.pauses ?? []).map((p) => ({ start: new Date(p.start), end: new Date(p.end) })),
    };
  }
  const timeType: TimeType = c.phaseTimeType ?? (c.urgent ? 'urgent' : 'work');
  return { start: new Date(c.phaseStartedAt), timeType, pauses: [] };
}

/**
 * Marks open cases whose current phase crossed 80 % (yellow, 黄灯) or 100 % (red, 红灯) of its
 * limit since they were last marked, and announces them as case.warning / case.overdue.
 *
 * The ratio is counted time used / counted time allowed on the working calendar, measured
 * against the stored phase deadline (which already includes pauses and approved extensions),
 * so it agrees with the calendar's status(). Suspended cases (挂账) are skipped: their clock stands.
 * Idempotent and safe with several processes: the marks are written in short transactions under
 * a transaction-scoped advisory lock (a concurrent sweep skips its round), and the conditional upsert only steps a
 * light up on the clock that was measured, so the same crossing is never marked or announced twice.
 */
export async function sweepDeadlines(ctx: Context, now: Date = ctx.now()): Promise<SweepResult> {
  const t0 = performance.now();
  const realtime = realtimeOf(ctx);
  // Read and compute outside any transaction: on PGlite a transaction holds the only
  // connection, so it is kept to the writes (a few ms) rather than the whole sweep.
  const cal = await ctx.services.calendar.load();
  const { rows } = await sql<Candidate>`
    SELECT c.id, c.workflow, c.state, c.phase, c.urgent, c.phase_started_at, c.phase_deadline,
           c.disposal_started_at, c.disposal_deadline, c.disposal_limit, c.phase_time_type, c.pauses,
           l.light, l.phase_started_at AS light_started_at, l.deadline AS light_deadline
    FROM case_file c
    LEFT JOIN case_light l ON l.case_id = c.id
    WHERE c.phase_deadline IS NOT NULL
      AND c.paused_since IS NULL
      AND c.state <> ALL(${[...TERMINAL_STATES]}::text[])
      AND (l.case_id IS NULL OR l.light <> 'red'
           OR l.phase_started_at <> c.phase_started_at OR l.deadline <> c.phase_deadline)`.execute(ctx.db);

  const marks: Array<{ id: number; light: 'yellow' | 'red'; ratio: number; started: Date; deadline: Date }> = [];
  for (const c of rows) {
    const deadline = new Date(c.phaseDeadline);
    const clock = clockOf(c);
    const allowed = elapsed(clock.start, deadline, clock.timeType, cal, clock.pauses);
    const used = elapsed(clock.start, now, clock.timeType, cal, clock.pauses);
    let ratio = allowed > 0 ? used / allowed : now >= deadline ? 1 : 0;
    // At or past the deadline is red whatever the counted time says (e.g. a deadline at close of day).
    if (now.getTime() >= deadline.getTime()) ratio = Math.max(1, ratio);
    const light = lightOf(ratio);
    if (light === 'green') continue;
    const sameClock = c.light !== null && same(c.lightStartedAt, c.phaseStartedAt) && same(c.lightDeadline, c.phaseDeadline);
    const current = sameClock ? (c.light ?? 'green') : 'green';
    if (RANK[light] > RANK[current]) {
      marks.push({ id: c.id, light, ratio: Number.isFinite(ratio) ? ratio : 1e9, started: c.phaseStartedAt, deadline });
    }
  }
  if (marks.length === 0) return { skipped: false, checked: rows.length, yellow: 0, red: 0, ms: performance.now() - t0, writeMs: 0 };
  const w0 = performance.now();

  // Chunks of 500, one short transaction each (PGlite serves other requests in between).
  const result = { skipped: false, yellow: 0, red: 0 };
  for (let i = 0; i < marks.length && !result.skipped; i += 500) {
    const chunk = marks.slice(i, i + 500);
    await ctx.database.transaction(async (tx) => {
      // One process writes at a time; a concurrent sweep skips this round.
      const lock = await sql<{ ok: boolean }>`SELECT pg_try_advisory_xact_lock(${SWEEP_LOCK}) AS ok`.execute(tx.db);
      if (!lock.rows[0]?.ok) {
        result.skipped = true;
        return;
      }
      // Only if the case is still on the clock that was measured, and only a step up (the claim):
      // marking the same crossing twice is impossible even without the lock. What is announced is
      // read in the same statement, so from the same snapshot as the mark: a later statement could
      // see a transition committed meanwhile (READ COMMITTED) and announce the light with the next
      // state and its deadline, or none.
      const written = await sql<CaseFacts & { light: 'yellow' | 'red' }>`
        WITH marked AS (
          INSERT INTO case_light (case_id, light, phase, phase_started_at, deadline, ratio, at)
          SELECT c.id, m.light, c.phase, c.phase_started_at, c.phase_deadline, m.ratio, ${now}::timestamptz
          FROM unnest(${chunk.map((m) => m.id)}::bigint[], ${chunk.map((m) => m.light)}::text[], ${chunk.map((m) => m.ratio)}::float8[],
                      ${chunk.map((m) => new Date(m.started).toISOString())}::timestamptz[],
                      ${chunk.map((m) => m.deadline.toISOString())}::timestamptz[]) AS m(id, light, ratio, started, deadline)
          JOIN case_file c ON c.id = m.id AND c.paused_since IS NULL
            AND date_trunc('milliseconds', c.phase_started_at) = m.started
            AND date_trunc('milliseconds', c.phase_deadline) = m.deadline
          ON CONFLICT (case_id) DO UPDATE SET light = excluded.light, phase = excluded.phase,
            phase_started_at = excluded.phase_started_at, deadline = excluded.deadline, ratio = excluded.ratio, at = excluded.at
          WHERE case_light.phase_started_at <> excluded.phase_started_at
             OR case_light.deadline <> excluded.deadline
             OR case_light.light = 'green'
             OR (case_light.light = 'yellow' AND excluded.light = 'red')
          RETURNING case_id, light, phase, deadline)
        SELECT c.id, m.light, c.state, m.phase, c.urgent, m.deadline AS phase_deadline, c.department_id, c.district_id,
               c.street_id, c.community_id, c.grid_id, c.reporter_id, c.api_key_id
        FROM marked m JOIN case_file c ON c.id = m.case_id`.execute(tx.db);
      if (written.rows.length === 0) return;
      const events: PublishInput[] = written.rows.map((c) => ({
        type: c.light === 'red' ? 'case.overdue' : 'case.warning',
        caseId: Number(c.id),
        state: c.state,
        phase: c.phase,
        ...scopeFacts(c),
        light: c.light,
        deadline: new Date(c.phaseDeadline).toISOString(),
        at: now,
      }));
      await realtime.publishInTx(tx.db, events);
      for (const e of events) result[e.type === 'case.overdue' ? 'red' : 'yellow']++;
    });
  }
  const writeMs = performance.now() - w0;
  return { ...result, checked: rows.length, ms: performance.now() - t0, writeMs };
}

interface CaseFacts {
  id: number;
  state: string;
  phase: string;
  urgent: boolean;
  phaseDeadline: Date;
  departmentId: number | null;
  districtId: number | null;
  streetId: number | null;
  communityId: number | null;
  gridId: number | null;
  reporterId: number | null;
  apiKeyId: number | null;
}

/**
 * Sweeps every `intervalMs` (no overlap: the next run is scheduled when one ends). Returns
 * the stop function, which waits for a sweep in progress.
 */
export function startSweeper(
  ctx: Context,
  intervalMs = 60_000,
  opts: { onError?: (err: unknown) => void; onSweep?: (r: SweepResult) => void } = {},
): () => Promise<void> {
  let stopped = false;
  let timer: NodeJS.Timeout | null = null;
  let running: Promise<void> | null = null;
  const run = () => {
    timer = null;
    if (stopped) return;
    running = sweepDeadlines(ctx)
      .then((r) => opts.onSweep?.(r))
      .catch((err) => opts.onError?.(err))
      .finally(() => {
        running = null;
        if (!stopped) {
          timer = setTimeout(run, intervalMs);
          timer.unref();
        }
      });
  };
  timer = setTimeout(run, Math.min(intervalMs, 1_000));
  timer.unref();
  return async () => {
    stopped = true;
    if (timer) clearTimeout(timer);
    await running;
  };
}
