import { type Kysely, type RawBuilder, sql } from 'kysely';
import type { DB } from '../../db/schema.ts';

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

export const REGION_LEVELS = ['district', 'street', 'community', 'grid'] as const;
export type RegionLevel = (typeof REGION_LEVELS)[number];
const REGION_COLUMN: Record<RegionLevel, RawBuilder<unknown>> = {
  district: sql.ref('c.district_id'),
  street: sql.ref('c.street_id'),
  community: sql.ref('c.community_id'),
  grid: sql.ref('c.grid_id'),
};

export interface FactCount {
  key: number;
  kind: FactKind;
  n: number;
  /** How many of them carry the flag (disposed: on time; closed: last disposal on time). */
  flagged: number;
}

export interface FactRow {
  kind: FactKind;
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
 * case_file_overdue_span, whose predicate is repeated so the planner can use it.
 */
function overdueAt(asOf: Date, alias = 'c0'): RawBuilder<unknown> {
  const c = (col: string) => sql.ref(`${alias}.${col}`);
  return sql`${c('disposal_deadline')} IS NOT NULL AND (${c('closed_at')} IS NULL OR ${c('closed_at')} > ${c('disposal_deadline')})
    AND tstzrange(${c('disposal_deadline')}, ${c('closed_at')}, '(]') @> ${asOf}::timestamptz
    AND ${c('disposal_started_at')} < ${asOf} AND ${c('state')} <> 'suspended'`;
}

/**
 * No feedback since the case's disposal clock started. A scalar subquery with LIMIT stays a
 * per-case index probe (UNIQUE (case_id, seq)); as NOT EXISTS the planner may turn it into an
 * anti-join hashing every feedback ever logged. The lower bound is written as a difference so
 * that it cannot be an index bound: as `ended_at >= disposal_started_at` the planner ANDed a
 * bitmap of case_event_phase over every disposal since then into each probe (15 ms a case).
 */
function undisposedAt(asOf: Date): RawBuilder<unknown> {
  return sql`(SELECT 1 FROM case_event fb WHERE fb.case_id = c0.id AND fb.phase = 'dispose' AND fb.action = 'feedback'
    AND fb.ended_at - c0.disposal_started_at >= interval '0' AND fb.ended_at < ${asOf} LIMIT 1) IS NULL`;
}

export class EvaluationRepository {
  constructor(private readonly db: Kysely<DB>) {}

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

  /** Fact counts per department (facts with no department are left out). */
  async departmentCounts(p: Period, departmentId?: number): Promise<FactCount[]> {
    if (await this.fromRollup(p)) {
      const only = (col: string) => (departmentId === undefined ? sql`true` : sql`${sql.ref(col)} = ${departmentId}`);
      // The period's days from the rollup; the overdue facts at asOf from the open cases (a
      // probe of case_file_overdue_span each).
      const r = await sql<FactCount>`
        SELECT d.department_id AS key, d.kind, sum(d.n)::int AS n, sum(d.flagged)::int AS flagged
        FROM evaluation_department_day d
        WHERE d.day >= ${p.days.from}::date AND d.day < ${p.days.to}::date AND ${only('d.department_id')}
        GROUP BY d.department_id, d.kind
        UNION ALL
        SELECT c0.department_id, 'overdueOpen', count(*)::int, 0 FROM case_file c0
        WHERE ${overdueAt(p.asOf)} AND c0.department_id IS NOT NULL AND ${only('c0.department_id')}
        GROUP BY c0.department_id
        UNION ALL
        SELECT c0.department_id, 'overdueUndisposed', count(*)::int, 0 FROM case_file c0
        WHERE ${overdueAt(p.asOf)} AND c0.department_id IS NOT NULL AND ${only('c0.department_id')} AND ${undisposedAt(p.asOf)}
        GROUP BY c0.department_id`.execute(this.db);
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
