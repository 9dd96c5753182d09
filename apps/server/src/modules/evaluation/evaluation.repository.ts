import { PHASES } from '@cityloop/shared';
import { type Kysely, type RawBuilder, sql } from 'kysely';
import type { DB } from '../../db/schema.ts';
import type { PositionRole } from './evaluation.config.ts';

/**
 * The facts evaluation counts. Every indicator is a count of fact rows (or a ratio of two
 * counts), so a number and its drill-down come from the same SQL: `counts` groups the facts,
 * `facts` lists them.
 *
 * | kind              | one row per                                                       | flag              |
 * |-------------------|-------------------------------------------------------------------|-------------------|
 * | disposed          | `feedback` (处置反馈) event                                         | on_time not false |
 * | overdueUndisposed | case in its department's hands at `asOf`, disposal overdue, no feedback since the disposal clock started | |
 * | rework            | `check_fail` / `close_reject` (返工) event                          |                   |
 * | postponed         | `postpone_approve` (延期) event                                     |                   |
 * | suspended         | `suspend_approve` (挂账) event                                      |                   |
 * | returned          | `return_approve` (回退) event, counted for the department returning it |                |
 * | registered        | `register` / `auto_register` (立案) event                           |                   |
 * | reportVerified    | `verify` (核实 confirmed) event of a public or hotline report        |                   |
 * | closed            | `close` (结案) event                                                | last disposal on time |
 * | overdueOpen       | case not closed at `asOf`, disposal deadline passed                |                   |
 */
export const FACT_KINDS = [
  'disposed',
  'overdueUndisposed',
  'rework',
  'postponed',
  'suspended',
  'returned',
  'registered',
  'reportVerified',
  'closed',
  'overdueOpen',
] as const;
export type FactKind = (typeof FACT_KINDS)[number];

export interface Period {
  /** Inclusive lower bound of the period (local midnight of `from` in the city's time zone). */
  lo: Date;
  /** Exclusive upper bound. */
  hi: Date;
  /** The moment open cases are looked at: the period's end, or now if earlier. */
  asOf: Date;
  attribution: 'completed' | 'created';
  /** The period as local days: `from` inclusive, `to` exclusive (YYYY-MM-DD). */
  days: { from: string; to: string };
  /** The city's time zone the days are local to. */
  zone: string;
}

/**
 * The facts position indicators count, per person (岗位). Each names the log rows of the role's
 * own actions (the actor and the role they acted in), except the beat's facts, counted for the
 * inspector whose beat (责任网格) holds the case's grid.
 *
 * | kind              | one row per                                                             | flag                       |
 * |-------------------|-------------------------------------------------------------------------|----------------------------|
 * | reported          | `report` by an inspector, not self-handled                              | case registered by asOf    |
 * | selfHandled       | `self_approve` (自处理 approved), for the inspector who reported it      |                            |
 * | verified          | `verify` / `verify_reject` (核实 done)                                  | on time                    |
 * | verifyOverdue     | 核实 task open at asOf past its deadline (done later, or still open: the beat's inspector) |   |
 * | checked           | `check_pass` / `check_fail` (核查 done)                                 | on time                    |
 * | checkOverdue      | 核查 task open at asOf past its deadline                                 |                            |
 * | beatRegistered    | 立案 of a case in the inspector's beat                                  | 漏报: a public or hotline report |
 * | received          | first handling of a report by an acceptor (accept, reject, send_verify, merge) | on time             |
 * | sentVerify        | `send_verify` by an acceptor                                            | on time                    |
 * | sentCheck         | `send_check` by an acceptor                                             | on time                    |
 * | registeredBy      | `register` by a shift leader                                            | on time                    |
 * | registerCancelled | the same rows, for cases 作废 (cancelled) after it by asOf              |                            |
 * | closedBy          | `close` by a shift leader                                               | on time (the 结案 phase's own limit) |
 * | dispatched        | `dispatch` by a dispatcher                                              | on time                    |
 * | misdispatched     | the same rows, when a 回退 of that dispatch was approved by asOf and the case was not dispatched to the same department again | |
 */
export const POSITION_FACT_KINDS = [
  'reported',
  'selfHandled',
  'verified',
  'verifyOverdue',
  'checked',
  'checkOverdue',
  'beatRegistered',
  'received',
  'sentVerify',
  'sentCheck',
  'registeredBy',
  'registerCancelled',
  'closedBy',
  'dispatched',
  'misdispatched',
] as const;
export type PositionFactKind = (typeof POSITION_FACT_KINDS)[number];
export type AnyFactKind = FactKind | PositionFactKind;

export const REGION_LEVELS = ['district', 'street', 'community', 'grid'] as const;
export type RegionLevel = (typeof REGION_LEVELS)[number];
const REGION_COLUMN: Record<RegionLevel, RawBuilder<unknown>> = {
  district: sql.ref('c.district_id'),
  street: sql.ref('c.street_id'),
  community: sql.ref('c.community_id'),
  grid: sql.ref('c.grid_id'),
};

export interface FactCount<K extends string = FactKind> {
  key: number;
  kind: K;
  n: number;
  /** How many of them carry the flag (disposed: on time; closed: last disposal on time). */
  flagged: number;
}

export interface FactRow<K extends string = FactKind> {
  kind: K;
  caseId: number;
  caseNumber: string;
  flag: boolean;
  eventId: number | null;
  seq: number | null;
  action: string | null;
  phase: string | null;
  fromState: string | null;
  toState: string | null;
  actorId: number | null;
  actorRole: string | null;
  departmentId: number | null;
  startedAt: Date | null;
  endedAt: Date | null;
  deadlineAt: Date | null;
  onTime: boolean | null;
}

/**
 * Open at `asOf` with the disposal deadline passed (the deadline as the case holds it now: 挂账
 * pauses added back, 延期 included); a case suspended now is paused, so never overdue. That is
 * deadline < asOf ≤ closed_at (or not closed): `asOf` within the span indexed by
 * case_file_overdue_span, whose predicate is repeated so the planner can use it. The index
 * carries every column the overdue counts read (migration 20261130T1500), so they are an
 * index-only scan: keep it so when a count reads another column of the case.
 */
function overdueAt(asOf: Date, alias = 'c0'): RawBuilder<unknown> {
  const c = (col: string) => sql.ref(`${alias}.${col}`);
  return sql`${c('disposal_deadline')} IS NOT NULL AND (${c('closed_at')} IS NULL OR ${c('closed_at')} > ${c('disposal_deadline')})
    AND tstzrange(${c('disposal_deadline')}, ${c('closed_at')}, '(]') @> ${asOf}::timestamptz
    AND ${c('disposal_started_at')} < ${asOf} AND ${c('state')} <> 'suspended'`;
}

/**
 * No feedback since the case's disposal clock started. A scalar subquery with LIMIT stays a
 * per-case probe of the partial index case_event_feedback_case (case_id, ended_at), one index
 * page when there is none; as NOT EXISTS the planner may turn it into an anti-join hashing every
 * feedback ever logged. The lower bound is written as a difference so that it cannot be an index
 * bound: as `ended_at >= disposal_started_at` the planner once ANDed a bitmap of
 * case_event_phase over every disposal since then into each probe (15 ms a case).
 */
function undisposedAt(asOf: Date): RawBuilder<unknown> {
  return sql`(SELECT 1 FROM case_event fb WHERE fb.case_id = c0.id AND fb.phase = 'dispose' AND fb.action = 'feedback'
    AND fb.ended_at - c0.disposal_started_at >= interval '0' AND fb.ended_at < ${asOf} LIMIT 1) IS NULL`;
}

/** The inspector whose beat holds the grid (a grid belongs to one beat; the lowest beat id if several). */
const beatInspector = (grid: RawBuilder<unknown>) => sql`(SELECT b.inspector_id FROM beat_grid bg JOIN beat b ON b.id = bg.beat_id
  WHERE bg.grid_id = ${grid} AND b.inspector_id IS NOT NULL ORDER BY b.id LIMIT 1)`;

/** Each grid's beat inspector (a grid belongs to one beat; the lowest beat id if several): a small table to hash-join. */
const BEAT_OF_GRID = sql`SELECT DISTINCT ON (bg.grid_id) bg.grid_id, b.inspector_id FROM beat_grid bg JOIN beat b ON b.id = bg.beat_id
  WHERE b.inspector_id IS NOT NULL ORDER BY bg.grid_id, b.id`;

/** The position fact kinds decided by a later log row, per role (evaluation_person_change). */
const CHANGE_KINDS: Record<PositionRole, PositionFactKind[]> = {
  inspector: ['reported'],
  acceptor: [],
  shiftlead: ['registerCancelled'],
  dispatcher: ['misdispatched'],
};

export class EvaluationRepository {
  constructor(private readonly db: Kysely<DB>) {}

  /**
   * The position fact rows of one role for a period (see POSITION_FACT_KINDS): kind, case,
   * event (null for a task still open), the person they count for, and the flag.
   */
  private positionFacts(p: Period, role: PositionRole, cases?: number[]): RawBuilder<unknown> {
    const only = cases === undefined ? sql`` : sql` AND e.case_id = ANY(${cases.map(String)}::bigint[])`;
    const win =
      p.attribution === 'completed'
        ? sql`e.ended_at >= ${p.lo} AND e.ended_at < ${p.hi}${only}`
        : sql`e.ended_at >= ${p.lo} AND e.ended_at < ${p.asOf}${only}`;
    const onTime = sql`e.on_time IS NOT FALSE`;
    const ev = (
      kind: PositionFactKind,
      where: RawBuilder<unknown>,
      flag: RawBuilder<unknown> = sql`false`,
      person: RawBuilder<unknown> = sql`e.actor_id`,
    ) => sql`
      SELECT ${kind}::text AS kind, e.case_id, e.id AS event_id, ${person} AS person_id, ${flag} AS flag
      FROM case_event e WHERE ${where} AND ${win}`;
    // A task (核实, 核查) open at asOf past its deadline: done after asOf (its log row holds the
    // deadline), or still waiting now (the case holds it), the latter counted for the beat's inspector.
    const overdueTask = (kind: PositionFactKind, phase: string, actions: string[], state: string) => sql`
      SELECT ${kind}::text, e.case_id, e.id, e.actor_id, false FROM case_event e
      WHERE e.phase = ${phase} AND e.action IN (${sql.join(actions.map((a) => sql`${a}`))}) AND e.actor_role = 'inspector'
        AND e.ended_at >= ${p.asOf} AND e.started_at < ${p.asOf} AND e.deadline_at < ${p.asOf}
      UNION ALL
      SELECT ${kind}::text, c0.id, NULL::bigint, ${beatInspector(sql.ref('c0.grid_id'))}, false FROM case_file c0
      WHERE c0.state = ${state} AND c0.phase_started_at < ${p.asOf} AND c0.phase_deadline < ${p.asOf}`;
    switch (role) {
      case 'inspector':
        return sql`
          ${ev(
            'reported',
            sql`e.phase = 'report' AND e.action = 'report' AND e.actor_role = 'inspector' AND e.to_state <> 'self_review'`,
            // 有效上报: the report led to 立案 (by asOf).
            // (A case's later rows end no earlier than its report, itself at or after lo: the bound
            // keeps a hashed plan to the rows from lo to asOf.)
            sql`EXISTS (SELECT 1 FROM case_event r WHERE r.case_id = e.case_id AND r.phase = 'register'
              AND r.action IN ('register', 'auto_register') AND r.ended_at >= ${p.lo} AND r.ended_at < ${p.asOf})`,
          )}
          UNION ALL ${ev(
            'selfHandled',
            sql`e.phase = 'close' AND e.action = 'self_approve'`,
            sql`false`,
            sql`(SELECT r.actor_id FROM case_event r WHERE r.case_id = e.case_id AND r.seq = 1 AND r.actor_role = 'inspector')`,
          )}
          UNION ALL ${ev('verified', sql`e.phase = 'verify' AND e.action IN ('verify', 'verify_reject') AND e.actor_role = 'inspector'`, onTime)}
          UNION ALL ${overdueTask('verifyOverdue', 'verify', ['verify', 'verify_reject'], 'verifying')}
          UNION ALL ${ev('checked', sql`e.phase = 'check' AND e.action IN ('check_pass', 'check_fail') AND e.actor_role = 'inspector'`, onTime)}
          UNION ALL ${overdueTask('checkOverdue', 'check', ['check_pass', 'check_fail'], 'checking')}
          UNION ALL
          SELECT 'beatRegistered', e.case_id, e.id, bi.inspector_id,
            -- 漏报: a public or hotline report the beat's inspector did not make (no report of theirs merged into it).
            -- (A scalar subquery with LIMIT stays a probe of UNIQUE (case_id, seq) for the few public
            -- cases; as NOT EXISTS the planner hashed every merge row of the whole log.)
            CASE WHEN s.source IN ('public', 'hotline') THEN
              (SELECT 1 FROM case_event m JOIN case_file mc ON mc.id = (m.payload ->> 'mergedCaseId')::bigint
                WHERE m.case_id = e.case_id AND m.action = 'merge' AND m.payload ? 'mergedCaseId' AND mc.reporter_id = bi.inspector_id
                LIMIT 1) IS NULL
            ELSE false END
          FROM case_event e JOIN case_file s ON s.id = e.case_id JOIN (${BEAT_OF_GRID}) bi ON bi.grid_id = s.grid_id
          WHERE e.phase = 'register' AND e.action IN ('register', 'auto_register') AND ${win}`;
      case 'acceptor':
        return sql`
          ${ev(
            'received',
            // The target of a merge logs a 'merge' row too (with mergedCaseId): not a report handled.
            sql`e.phase = 'receive' AND e.from_state = 'reported' AND e.action IN ('accept', 'reject', 'send_verify', 'merge')
              AND e.actor_role = 'acceptor' AND NOT (e.payload ? 'mergedCaseId')`,
            onTime,
          )}
          UNION ALL ${ev('sentVerify', sql`e.phase = 'receive' AND e.action = 'send_verify' AND e.actor_role = 'acceptor'`, onTime)}
          UNION ALL ${ev('sentCheck', sql`e.phase = 'check' AND e.action = 'send_check' AND e.actor_role = 'acceptor'`, onTime)}`;
      case 'shiftlead': {
        const registered = sql`e.phase = 'register' AND e.action = 'register' AND e.actor_role = 'shiftlead'`;
        return sql`
          ${ev('registeredBy', registered, onTime)}
          UNION ALL ${ev(
            'registerCancelled',
            sql`${registered} AND EXISTS (SELECT 1 FROM case_event x WHERE x.case_id = e.case_id AND x.seq > e.seq
              AND x.action = 'cancel' AND x.ended_at >= ${p.lo} AND x.ended_at < ${p.asOf})`,
          )}
          UNION ALL ${ev('closedBy', sql`e.phase = 'close' AND e.action = 'close' AND e.actor_role = 'shiftlead'`, onTime)}`;
      }
      case 'dispatcher': {
        const dispatched = sql`e.phase = 'dispatch' AND e.action = 'dispatch' AND e.actor_role = 'dispatcher'`;
        return sql`
          ${ev('dispatched', dispatched, onTime)}
          UNION ALL ${ev(
            'misdispatched',
            // A 回退 of this dispatch (before any other dispatch) approved by asOf, and the next
            // dispatch by asOf, if any, to another department.
            sql`${dispatched} AND EXISTS (SELECT 1 FROM case_event r WHERE r.case_id = e.case_id AND r.seq > e.seq
              AND r.action = 'return_approve' AND r.ended_at >= ${p.lo} AND r.ended_at < ${p.asOf}
              AND NOT EXISTS (SELECT 1 FROM case_event d WHERE d.case_id = e.case_id AND d.seq > e.seq AND d.seq < r.seq
                AND d.action IN ('dispatch', 'auto_dispatch'))
              AND (SELECT d.department_id FROM case_event d WHERE d.case_id = e.case_id AND d.seq > r.seq
                AND d.action IN ('dispatch', 'auto_dispatch') AND d.ended_at < ${p.asOf} ORDER BY d.seq LIMIT 1)
                IS DISTINCT FROM e.department_id)`,
          )}`;
      }
    }
  }

  /** Position fact counts per person of one role (facts with no person are left out). */
  async positionCounts(p: Period, role: PositionRole, personId?: number): Promise<FactCount<PositionFactKind>[]> {
    if (!(p.lo < p.asOf && (await this.fromRollup(p)))) return this.positionCountsFromLog(p, role, personId);
    if (p.asOf.getTime() === p.hi.getTime()) return this.positionCountsFromRollup(p, role, p.days.to, personId);
    // asOf inside the period (now, in the current period): the changes logged before asOf's local
    // midnight from the rollup, and those logged since, by the cases they changed: their facts
    // as they stand at asOf less as they stood at midnight, from the log.
    const m = await sql<{ day: string; start: Date }>`
      SELECT (${p.asOf}::timestamptz AT TIME ZONE ${p.zone})::date::text AS day,
        ((${p.asOf}::timestamptz AT TIME ZONE ${p.zone})::date::timestamp AT TIME ZONE ${p.zone}) AS start`.execute(this.db);
    const { day, start } = m.rows[0] as { day: string; start: Date };
    const counts = await this.positionCountsFromRollup(p, role, day, personId);
    const kinds = CHANGE_KINDS[role];
    if (kinds.length === 0 || start.getTime() === p.asOf.getTime()) return counts;
    const changed = await sql<{ id: string }>`
      SELECT DISTINCT e.case_id AS id FROM case_event e
      WHERE e.phase IN (${sql.join(PHASES.map((x) => sql`${x}`))}) AND e.ended_at >= ${start} AND e.ended_at < ${p.asOf}
        AND e.action IN ('register', 'auto_register', 'cancel', 'dispatch', 'auto_dispatch', 'return_approve')`.execute(this.db);
    if (changed.rows.length === 0) return counts;
    const cases = changed.rows.map((r) => Number(r.id));
    const at = async (asOf: Date) => {
      const only = personId === undefined ? sql`true` : sql`f.person_id = ${personId}`;
      const r = await sql<FactCount<PositionFactKind>>`
        SELECT f.person_id AS key, f.kind, count(*) FILTER (WHERE f.kind <> 'reported')::int AS n,
          count(*) FILTER (WHERE f.kind = 'reported' AND f.flag)::int AS flagged
        FROM (${this.positionFacts({ ...p, asOf }, role, cases)}) f
        WHERE f.person_id IS NOT NULL AND f.kind IN (${sql.join(kinds.map((k) => sql`${k}`))}) AND ${only}
        GROUP BY f.person_id, f.kind`.execute(this.db);
      return r.rows;
    };
    const sum = new Map<string, FactCount<PositionFactKind>>();
    const add = (xs: FactCount<PositionFactKind>[], sign: number) => {
      for (const x of xs) {
        const k = `${Number(x.key)} ${x.kind}`;
        const y = sum.get(k) ?? { key: Number(x.key), kind: x.kind, n: 0, flagged: 0 };
        y.n += sign * x.n;
        y.flagged += sign * x.flagged;
        sum.set(k, y);
      }
    };
    add(counts, 1);
    add(await at(p.asOf), 1);
    add(await at(start), -1);
    return [...sum.values()];
  }

  /**
   * positionCounts from the daily rollup (migration 20261130T1100_…): the period's days of
   * evaluation_person_day; the changes (validity of a report, 作废, 错误派遣) logged before the
   * local day `before` from evaluation_person_change (the period's end, or asOf's day); the
   * beat's 立案 from evaluation_beat_day under the current beats; the overdue tasks at asOf by
   * index probes.
   */
  async positionCountsFromRollup(p: Period, role: PositionRole, before: string, personId?: number): Promise<FactCount<PositionFactKind>[]> {
    const days = (alias: string) =>
      sql`${sql.ref(`${alias}.day`)} >= ${p.days.from}::date AND ${sql.ref(`${alias}.day`)} < ${p.days.to}::date`;
    const list = (xs: string[]) => sql.join(xs.map((x) => sql`${x}`));
    const dayKinds: Record<PositionRole, string[]> = {
      inspector: ['reported', 'selfHandled', 'verified', 'checked'],
      acceptor: ['received', 'sentVerify', 'sentCheck'],
      shiftlead: ['registeredBy', 'closedBy'],
      dispatcher: ['dispatched'],
    };
    const changeKinds = CHANGE_KINDS;
    const changes = changeKinds[role].length
      ? sql`UNION ALL
        SELECT c.person_id, c.kind, CASE WHEN c.kind = 'reported' THEN 0 ELSE c.delta END, CASE WHEN c.kind = 'reported' THEN c.delta ELSE 0 END
        FROM evaluation_person_change c
        WHERE ${days('c')} AND c.change_day < ${before}::date AND c.kind IN (${list(changeKinds[role])})`
      : sql``;
    const win = sql`e.ended_at >= ${p.lo} AND e.ended_at < ${p.hi}`;
    // Late 核实/核查 tasks waiting at asOf: done later (asOf inside the span indexed by
    // case_event_task_overdue_span, whose predicate is repeated), or still waiting now.
    const overdueTask = (kind: PositionFactKind, phase: string, actions: string[], state: string) => sql`
      UNION ALL
      SELECT e.actor_id, ${kind}::text, 1, 0 FROM case_event e
      WHERE e.phase = ${phase} AND e.action IN (${list(actions)}) AND e.actor_role = 'inspector'
        AND e.deadline_at < e.ended_at AND e.started_at < e.ended_at
        AND tstzrange(greatest(e.started_at, e.deadline_at), e.ended_at, '(]') @> ${p.asOf}::timestamptz
        AND e.ended_at >= ${p.asOf} AND e.started_at < ${p.asOf} AND e.deadline_at < ${p.asOf}
      UNION ALL
      SELECT ${beatInspector(sql.ref('c0.grid_id'))}, ${kind}::text, 1, 0 FROM case_file c0
      WHERE c0.state = ${state} AND c0.phase_started_at < ${p.asOf} AND c0.phase_deadline < ${p.asOf}`;
    const inspector =
      role === 'inspector'
        ? sql`
          UNION ALL
          SELECT bi.inspector_id, 'beatRegistered', b.n, b.flagged
          FROM evaluation_beat_day b JOIN (${BEAT_OF_GRID}) bi ON bi.grid_id = b.grid_id WHERE ${days('b')}
          UNION ALL
          -- Not 漏报: a public or hotline report into which a report of the beat's inspector was merged.
          SELECT bi.inspector_id, 'beatRegistered', 0, -1
          FROM case_event e JOIN case_file s ON s.id = e.case_id JOIN (${BEAT_OF_GRID}) bi ON bi.grid_id = s.grid_id
          WHERE e.case_id IN (SELECT m.case_id FROM case_event m WHERE m.action = 'merge' AND m.payload ? 'mergedCaseId')
            AND e.phase = 'register' AND e.action IN ('register', 'auto_register') AND ${win} AND s.source IN ('public', 'hotline')
            AND EXISTS (SELECT 1 FROM case_event m JOIN case_file mc ON mc.id = (m.payload ->> 'mergedCaseId')::bigint
              WHERE m.case_id = e.case_id AND m.action = 'merge' AND m.payload ? 'mergedCaseId' AND mc.reporter_id = bi.inspector_id)
          ${overdueTask('verifyOverdue', 'verify', ['verify', 'verify_reject'], 'verifying')}
          ${overdueTask('checkOverdue', 'check', ['check_pass', 'check_fail'], 'checking')}`
        : sql``;
    const only = personId === undefined ? sql`true` : sql`f.person_id = ${personId}`;
    const r = await sql<FactCount<PositionFactKind>>`
      SELECT f.person_id AS key, f.kind, sum(f.n)::int AS n, sum(f.flagged)::int AS flagged
      FROM (
        SELECT d.person_id, d.kind, d.n, d.flagged FROM evaluation_person_day d
        WHERE ${days('d')} AND d.kind IN (${list(dayKinds[role])})
        ${changes}
        ${inspector}
      ) f (person_id, kind, n, flagged)
      WHERE f.person_id IS NOT NULL AND ${only}
      GROUP BY f.person_id, f.kind`.execute(this.db);
    return r.rows.map((x) => ({ ...x, key: Number(x.key) }));
  }

  /** positionCounts counted from the log (any attribution, any asOf). */
  async positionCountsFromLog(p: Period, role: PositionRole, personId?: number): Promise<FactCount<PositionFactKind>[]> {
    const only = personId === undefined ? sql`true` : sql`f.person_id = ${personId}`;
    const cases = p.attribution === 'created' ? sql`JOIN case_file c ON c.id = f.case_id AND ${this.caseFilter(p)}` : sql``;
    const r = await sql<FactCount<PositionFactKind>>`
      SELECT f.person_id AS key, f.kind, count(*)::int AS n, count(*) FILTER (WHERE f.flag)::int AS flagged
      FROM (${this.positionFacts(p, role)}) f ${cases}
      WHERE f.person_id IS NOT NULL AND ${only}
      GROUP BY f.person_id, f.kind`.execute(this.db);
    return r.rows.map((x) => ({ ...x, key: Number(x.key) }));
  }

  /** The position fact rows of some kinds behind one person's numbers, with their log rows. */
  async positionFactRows(
    p: Period,
    role: PositionRole,
    personId: number,
    kinds: readonly PositionFactKind[],
    limit: number,
    flag?: boolean,
  ): Promise<FactRow<PositionFactKind>[]> {
    const flagged = flag === undefined ? sql`true` : sql`f.flag = ${flag}`;
    const r = await sql<FactRow<PositionFactKind>>`
      SELECT f.kind, f.case_id AS "caseId", c.number AS "caseNumber", f.flag,
        e.id AS "eventId", e.seq, e.action, e.phase, e.from_state AS "fromState", e.to_state AS "toState",
        e.actor_id AS "actorId", e.actor_role AS "actorRole", e.department_id AS "departmentId",
        e.started_at AS "startedAt", e.ended_at AS "endedAt", e.deadline_at AS "deadlineAt", e.on_time AS "onTime"
      FROM (${this.positionFacts(p, role)}) f JOIN case_file c ON c.id = f.case_id LEFT JOIN case_event e ON e.id = f.event_id
      WHERE f.person_id = ${personId} AND f.kind IN (${sql.join(kinds.map((k) => sql`${k}`))}) AND ${flagged} AND ${this.caseFilter(p)}
      ORDER BY f.kind, f.case_id, e.seq
      LIMIT ${limit}`.execute(this.db);
    return r.rows.map((x) => ({ ...x, caseId: Number(x.caseId), eventId: x.eventId === null ? null : Number(x.eventId) }));
  }

  /** People holding a position role, and anyone else with facts in it (a role since taken away). */
  async positionPeople(
    role: PositionRole,
    alsoIds: number[],
  ): Promise<Array<{ id: number; username: string; name: string; departmentId: number | null }>> {
    const r = await sql<{ id: number; username: string; name: string; departmentId: number | null }>`
      SELECT p.id, p.username, p.name, p.department_id AS "departmentId" FROM person p
      WHERE EXISTS (SELECT 1 FROM person_role r WHERE r.person_id = p.id AND r.role = ${role})
        OR p.id = ANY(${alsoIds.map(String)}::bigint[])
      ORDER BY p.username`.execute(this.db);
    return r.rows.map((x) => ({ ...x, id: Number(x.id), departmentId: x.departmentId === null ? null : Number(x.departmentId) }));
  }

  async person(id: number) {
    const r = await sql<{ id: number; username: string; name: string; departmentId: number | null; roles: string[] }>`
      SELECT p.id, p.username, p.name, p.department_id AS "departmentId",
        coalesce((SELECT array_agg(r.role ORDER BY r.role) FROM person_role r WHERE r.person_id = p.id), '{}') AS roles
      FROM person p WHERE p.id = ${id}`.execute(this.db);
    const x = r.rows[0];
    return x ? { ...x, id: Number(x.id), departmentId: x.departmentId === null ? null : Number(x.departmentId) } : undefined;
  }

  /**
   * The late disposals of a period (超期处置倍数): each feedback logged late, with its clock and
   * the case's 挂账 pauses (partial index case_event_late_feedback).
   */
  async lateDisposals(
    p: Period,
    departmentId?: number,
  ): Promise<
    Array<{
      departmentId: number;
      caseId: number;
      startedAt: Date;
      endedAt: Date;
      deadlineAt: Date;
      timeType: string | null;
      pauses: unknown;
    }>
  > {
    const only = departmentId === undefined ? sql`true` : sql`e.department_id = ${departmentId}`;
    const hi = p.attribution === 'completed' ? p.hi : p.asOf;
    const r = await sql<{
      departmentId: number;
      caseId: number;
      startedAt: Date;
      endedAt: Date;
      deadlineAt: Date;
      timeType: string | null;
      pauses: unknown;
    }>`
      SELECT e.department_id AS "departmentId", e.case_id AS "caseId", e.started_at AS "startedAt", e.ended_at AS "endedAt",
        e.deadline_at AS "deadlineAt", e.time_type AS "timeType", c.pauses
      FROM case_event e JOIN case_file c ON c.id = e.case_id
      WHERE e.phase = 'dispose' AND e.action = 'feedback' AND e.on_time = false AND e.ended_at >= ${p.lo} AND e.ended_at < ${hi}
        AND e.deadline_at IS NOT NULL AND e.department_id IS NOT NULL AND ${only} AND ${this.caseFilter(p)}
      ORDER BY e.id`.execute(this.db);
    return r.rows.map((x) => ({ ...x, departmentId: Number(x.departmentId), caseId: Number(x.caseId) }));
  }

  /**
   * Whether 超期处置倍数 can come from evaluation_late_disposal (the late disposals by local day):
   * completion attribution in the zone the rollup was built in.
   */
  async lateDisposalRollup(p: Period): Promise<boolean> {
    return this.fromRollup(p);
  }

  /** A key of the working calendar (time zone, working periods, every day's kind): a change of any gives another key. */
  async calendarKey(zone: string): Promise<string> {
    const r = await sql<{ key: string }>`
      SELECT md5(concat_ws('|', ${zone}::text,
        (SELECT s.working_periods::text || s.work_day_mode FROM calendar_setting s LIMIT 1),
        (SELECT string_agg(d.day::text || d.kind, ',' ORDER BY d.day) FROM calendar_day d))) AS key`.execute(this.db);
    return r.rows[0]?.key ?? '';
  }

  /** The period's late disposals not yet measured on the calendar `key` (with what measuring them needs). */
  async lateDisposalsToMeasure(
    p: Period,
    key: string,
    departmentId?: number,
  ): Promise<Array<{ eventId: string; startedAt: Date; endedAt: Date; deadlineAt: Date; timeType: string | null; pauses: unknown }>> {
    const only = departmentId === undefined ? sql`true` : sql`l.department_id = ${departmentId}`;
    const r = await sql<{ eventId: string; startedAt: Date; endedAt: Date; deadlineAt: Date; timeType: string | null; pauses: unknown }>`
      SELECT l.event_id AS "eventId", e.started_at AS "startedAt", e.ended_at AS "endedAt", e.deadline_at AS "deadlineAt",
        e.time_type AS "timeType", c.pauses
      FROM evaluation_late_disposal l JOIN case_event e ON e.id = l.event_id JOIN case_file c ON c.id = l.case_id
      WHERE l.day >= ${p.days.from}::date AND l.day < ${p.days.to}::date AND ${only} AND l.calendar_key IS DISTINCT FROM ${key}
      ORDER BY l.event_id`.execute(this.db);
    return r.rows;
  }

  /** Stores measured multiples under the calendar key they were measured on. */
  async storeMultiples(key: string, eventIds: string[], multiples: number[]): Promise<void> {
    for (let i = 0; i < eventIds.length; i += 5000) {
      await sql`
        UPDATE evaluation_late_disposal l SET multiple = v.m, calendar_key = ${key}
        FROM unnest(${eventIds.slice(i, i + 5000)}::bigint[], ${multiples.slice(i, i + 5000)}::float8[]) v(id, m)
        WHERE l.event_id = v.id`.execute(this.db);
    }
  }

  /**
   * Σ multiple per department over the period's late disposals: all of them, and those of the
   * cases not in `excluded` ("department:case"); `stale` counts those not measured on the
   * calendar `key` (their sums are not to be used until they are measured).
   */
  async multipleSums(
    p: Period,
    departmentId: number | undefined,
    excluded: string[],
    key: string,
  ): Promise<Array<{ departmentId: number; all: number; kept: number | null; stale: number }>> {
    const only = departmentId === undefined ? sql`true` : sql`l.department_id = ${departmentId}`;
    const r = await sql<{ departmentId: number; all: number; kept: number | null; stale: number }>`
      SELECT l.department_id AS "departmentId", sum(l.multiple) AS all,
        ${
          excluded.length === 0
            ? sql`sum(l.multiple)`
            : sql`sum(l.multiple) FILTER (WHERE NOT (l.department_id::text || ':' || l.case_id::text = ANY(${excluded}::text[])))`
        } AS kept,
        (count(*) FILTER (WHERE l.calendar_key IS DISTINCT FROM ${key}))::int AS stale
      FROM evaluation_late_disposal l
      WHERE l.day >= ${p.days.from}::date AND l.day < ${p.days.to}::date AND ${only}
      GROUP BY l.department_id`.execute(this.db);
    return r.rows.map((x) => ({
      departmentId: Number(x.departmentId),
      all: Number(x.all),
      kept: x.kept === null ? null : Number(x.kept),
      stale: Number(x.stale),
    }));
  }

  async latestConfig(): Promise<{ version: number; config: unknown } | undefined> {
    return this.db.selectFrom('evaluationConfig').select(['version', 'config']).orderBy('version', 'desc').limit(1).executeTakeFirst();
  }

  async config(version: number): Promise<{ version: number; config: unknown } | undefined> {
    return this.db.selectFrom('evaluationConfig').select(['version', 'config']).where('version', '=', version).executeTakeFirst();
  }

  /**
   * The fact rows of a period (see the table above): kind, case, event (null for case-level
   * facts), the department they count for and the flag. Event facts are found through the
   * (phase, ended_at) index: every branch names the phase and action it counts.
   */
  private facts(p: Period): RawBuilder<unknown> {
    // Completion attribution: the event ended in the period. Creation attribution: the case was
    // created in the period (filtered outside) and the event happened by asOf.
    // (No event of a case ends before the case was created, so ended_at ≥ lo bounds both.)
    const win =
      p.attribution === 'completed'
        ? sql`e.ended_at >= ${p.lo} AND e.ended_at < ${p.hi}`
        : sql`e.ended_at >= ${p.lo} AND e.ended_at < ${p.asOf}`;
    const ev = (kind: FactKind, where: RawBuilder<unknown>, flag: RawBuilder<unknown> = sql`false`) => sql`
      SELECT ${kind}::text AS kind, e.case_id, e.id AS event_id, e.department_id, ${flag} AS flag
      FROM case_event e WHERE ${where} AND ${win}`;
    const overdueOpen = overdueAt(p.asOf);
    return sql`
      ${ev('disposed', sql`e.phase = 'dispose' AND e.action = 'feedback'`, sql`e.on_time IS NOT FALSE`)}
      UNION ALL ${ev('rework', sql`((e.phase = 'check' AND e.action = 'check_fail') OR (e.phase = 'close' AND e.action = 'close_reject'))`)}
      UNION ALL ${ev('postponed', sql`e.phase = 'dispose' AND e.action = 'postpone_approve'`)}
      UNION ALL ${ev('suspended', sql`e.phase = 'suspend' AND e.action = 'suspend_approve'`)}
      UNION ALL ${ev('returned', sql`e.phase = 'dispatch' AND e.action = 'return_approve'`)}
      UNION ALL ${ev('registered', sql`e.phase = 'register' AND e.action IN ('register', 'auto_register')`)}
      UNION ALL ${ev(
        'reportVerified',
        sql`e.phase = 'verify' AND e.action = 'verify'
          AND (SELECT s.source FROM case_file s WHERE s.id = e.case_id) IN ('public', 'hotline')`,
      )}
      UNION ALL ${ev(
        'closed',
        sql`e.phase = 'close' AND e.action = 'close'`,
        // 按期结案: the case's last disposal before the close was on time (uses UNIQUE (case_id, seq)).
        sql`(SELECT fb.on_time FROM case_event fb
             WHERE fb.case_id = e.case_id AND fb.seq < e.seq AND fb.phase = 'dispose' AND fb.action = 'feedback'
             ORDER BY fb.seq DESC LIMIT 1) IS NOT FALSE`,
      )}
      UNION ALL
      SELECT 'overdueOpen', c0.id, NULL::bigint, c0.department_id, false FROM case_file c0 WHERE ${overdueOpen}
      UNION ALL
      SELECT 'overdueUndisposed', c0.id, NULL::bigint, c0.department_id, false FROM case_file c0
      WHERE ${overdueOpen} AND c0.department_id IS NOT NULL AND ${undisposedAt(p.asOf)}`;
  }

  /**
   * The zone the daily rollup (evaluation_department_day, evaluation_region_day) counts days in,
   * or null if there is none.
   */
  async rollupZone(): Promise<string | null> {
    const r = await sql<{ zone: string }>`SELECT zone FROM evaluation_day_zone`.execute(this.db);
    return r.rows[0]?.zone ?? null;
  }

  /**
   * Whether the counts of a period can come from the daily rollup: completion attribution (its
   * event facts are counted by the local day they were completed on) in the zone the rollup
   * was built in. Otherwise the facts are counted from the log.
   */
  private async fromRollup(p: Period): Promise<boolean> {
    return p.attribution === 'completed' && (await this.rollupZone()) === p.zone;
  }

  /** Creation attribution keeps the facts of cases created in the period. */
  private caseFilter(p: Period): RawBuilder<unknown> {
    return p.attribution === 'created' ? sql`c.created_at >= ${p.lo} AND c.created_at < ${p.hi}` : sql`true`;
  }

  /** Every fact of the period of some cases (accepted appeals adjust these), with the department it counts for. */
  async factsOfCases(
    p: Period,
    caseIds: number[],
  ): Promise<Array<{ kind: FactKind; caseId: number; departmentId: number | null; flag: boolean }>> {
    if (caseIds.length === 0) return [];
    const cases = p.attribution === 'created' ? sql`JOIN case_file c ON c.id = f.case_id AND ${this.caseFilter(p)}` : sql``;
    const r = await sql<{ kind: FactKind; caseId: number; departmentId: number | null; flag: boolean }>`
      SELECT f.kind, f.case_id AS "caseId", f.department_id AS "departmentId", f.flag
      FROM (${this.facts(p)}) f ${cases}
      WHERE f.case_id = ANY(${caseIds.map(String)}::bigint[])`.execute(this.db);
    return r.rows.map((x) => ({ ...x, caseId: Number(x.caseId), departmentId: x.departmentId === null ? null : Number(x.departmentId) }));
  }

  /** Fact counts per department (facts with no department are left out). */
  async departmentCounts(p: Period, departmentId?: number): Promise<FactCount[]> {
    if (await this.fromRollup(p)) {
      const only = (col: string) => (departmentId === undefined ? sql`true` : sql`${sql.ref(col)} = ${departmentId}`);
      // The period's days from the rollup; the overdue facts at asOf from the cases overdue
      // then, read once (one index-only scan of case_file_overdue_span) for both kinds.
      const r = await sql<FactCount>`
        WITH overdue AS MATERIALIZED (
          SELECT c0.department_id, count(*)::int AS open, (count(*) FILTER (WHERE ${undisposedAt(p.asOf)}))::int AS undisposed
          FROM case_file c0
          WHERE ${overdueAt(p.asOf)} AND c0.department_id IS NOT NULL AND ${only('c0.department_id')}
          GROUP BY c0.department_id)
        SELECT d.department_id AS key, d.kind, sum(d.n)::int AS n, sum(d.flagged)::int AS flagged
        FROM evaluation_department_day d
        WHERE d.day >= ${p.days.from}::date AND d.day < ${p.days.to}::date AND ${only('d.department_id')}
        GROUP BY d.department_id, d.kind
        UNION ALL
        SELECT o.department_id, 'overdueOpen', o.open, 0 FROM overdue o
        UNION ALL
        SELECT o.department_id, 'overdueUndisposed', o.undisposed, 0 FROM overdue o WHERE o.undisposed > 0`.execute(this.db);
      return r.rows;
    }
    return this.departmentCountsFromLog(p, departmentId);
  }

  /** departmentCounts counted from the log (any attribution). */
  async departmentCountsFromLog(p: Period, departmentId?: number): Promise<FactCount[]> {
    const only = departmentId === undefined ? sql`true` : sql`f.department_id = ${departmentId}`;
    // Departments need the case row only to filter by creation time: joining every fact to
    // case_file would cost a scan of the whole table.
    const cases = p.attribution === 'created' ? sql`JOIN case_file c ON c.id = f.case_id AND ${this.caseFilter(p)}` : sql``;
    const r = await sql<FactCount>`
      SELECT f.department_id AS key, f.kind, count(*)::int AS n, count(*) FILTER (WHERE f.flag)::int AS flagged
      FROM (${this.facts(p)}) f ${cases}
      WHERE f.department_id IS NOT NULL AND ${only}
      GROUP BY f.department_id, f.kind`.execute(this.db);
    return r.rows;
  }

  /** Fact counts per region of one level, by the case's region. */
  async regionCounts(p: Period, level: RegionLevel): Promise<FactCount[]> {
    if (await this.fromRollup(p)) {
      const day = sql.ref(`d.${level}_id`);
      const col = REGION_COLUMN[level];
      // Only the kinds region indicators are made of: the rollup's, and overdueOpen.
      const r = await sql<FactCount>`
        SELECT ${day} AS key, d.kind, sum(d.n)::int AS n, sum(d.flagged)::int AS flagged
        FROM evaluation_region_day d
        WHERE d.day >= ${p.days.from}::date AND d.day < ${p.days.to}::date AND ${day} <> 0
        GROUP BY ${day}, d.kind
        UNION ALL
        SELECT ${col}, 'overdueOpen', count(*)::int, 0 FROM case_file c
        WHERE ${overdueAt(p.asOf, 'c')} AND ${col} IS NOT NULL
        GROUP BY ${col}`.execute(this.db);
      return r.rows;
    }
    return this.regionCountsFromLog(p, level);
  }

  /** regionCounts counted from the log (any attribution). */
  async regionCountsFromLog(p: Period, level: RegionLevel): Promise<FactCount[]> {
    const col = REGION_COLUMN[level];
    const r = await sql<FactCount>`
      SELECT ${col} AS key, f.kind, count(*)::int AS n, count(*) FILTER (WHERE f.flag)::int AS flagged
      FROM (${this.facts(p)}) f JOIN case_file c ON c.id = f.case_id
      WHERE ${col} IS NOT NULL AND ${this.caseFilter(p)}
      GROUP BY ${col}, f.kind`.execute(this.db);
    return r.rows;
  }

  /** The fact rows of some kinds behind one object's numbers, with their phase-log rows. */
  async factRows(
    p: Period,
    object: { type: 'department'; id: number } | { type: 'region'; id: number; level: RegionLevel },
    kinds: readonly FactKind[],
    limit: number,
    flag?: boolean,
  ): Promise<FactRow[]> {
    const flagged = flag === undefined ? sql`true` : sql`f.flag = ${flag}`;
    const key = object.type === 'department' ? sql.ref('f.department_id') : REGION_COLUMN[object.level];
    const r = await sql<FactRow>`
      SELECT f.kind, f.case_id AS "caseId", c.number AS "caseNumber", f.flag,
        e.id AS "eventId", e.seq, e.action, e.phase, e.from_state AS "fromState", e.to_state AS "toState",
        e.actor_id AS "actorId", e.actor_role AS "actorRole", e.department_id AS "departmentId",
        e.started_at AS "startedAt", e.ended_at AS "endedAt", e.deadline_at AS "deadlineAt", e.on_time AS "onTime"
      FROM (${this.facts(p)}) f JOIN case_file c ON c.id = f.case_id LEFT JOIN case_event e ON e.id = f.event_id
      WHERE ${key} = ${object.id} AND f.kind IN (${sql.join(kinds.map((k) => sql`${k}`))}) AND ${flagged} AND ${this.caseFilter(p)}
      ORDER BY f.kind, f.case_id, e.seq
      LIMIT ${limit}`.execute(this.db);
    return r.rows.map((x) => ({ ...x, caseId: Number(x.caseId), eventId: x.eventId === null ? null : Number(x.eventId) }));
  }

  async departments(ids?: number[]): Promise<Array<{ id: number; code: string; name: string }>> {
    let q = this.db.selectFrom('department').select(['id', 'code', 'name']).where('kind', '<>', 'centre').orderBy('code');
    if (ids) q = q.where('id', 'in', ids.length ? ids : [-1]);
    return q.execute();
  }

  async department(id: number) {
    return this.db.selectFrom('department').select(['id', 'code', 'name']).where('id', '=', id).executeTakeFirst();
  }

  async regions(level: RegionLevel): Promise<Array<{ id: number; code: string; name: string; parentId: number | null }>> {
    return this.db
      .selectFrom('region')
      .select(['id', 'code', 'name', 'parentId'])
      .where('level', '=', level)
      .where('validTo', 'is', null)
      .orderBy('code')
      .execute();
  }

  async region(id: number) {
    return this.db.selectFrom('region').select(['id', 'code', 'name', 'level', 'parentId']).where('id', '=', id).executeTakeFirst();
  }
}
