import { type Kysely, type RawBuilder, sql } from 'kysely';
import type { DB } from '../../db/schema.ts';

/**
 * Open means not in a terminal state. Written out as literals, the same text as the partial
 * index `case_file_open` (migrations/20261130T0515_command.sql), so the planner can prove the
 * index covers the query.
 */
const OPEN = sql.raw(`c.state NOT IN ('closed', 'not_accepted', 'not_registered', 'cancelled', 'merged')`);

/** A condition on `c` (case_file) limiting the cases a caller sees; `true` for the whole city. */
export type ScopeCondition = RawBuilder<unknown>;

/** Cases of any of these regions (district, street, community or grid ids). */
export function regionScope(regionIds: number[] | null): ScopeCondition {
  if (regionIds === null) return sql`true`;
  if (regionIds.length === 0) return sql`false`;
  const ids = sql`${regionIds}::bigint[]`;
  return sql`(c.district_id = ANY(${ids}) OR c.street_id = ANY(${ids}) OR c.community_id = ANY(${ids}) OR c.grid_id = ANY(${ids}))`;
}

export interface Counters {
  /** Reports created today (local day). */
  reportedToday: number;
  /** Cases closed (结案, 自处理审核) today. */
  closedToday: number;
  /** Cases not in a terminal state. */
  open: number;
  /** Open cases past their current phase deadline (red light), 挂账 aside: its clock stands. */
  overdue: number;
  /** Open cases on a yellow light of their current clock. */
  warning: number;
  /** Open urgent cases. */
  urgent: number;
}

export interface RecentEvent {
  id: number;
  caseId: number;
  number: string;
  action: string;
  fromState: string | null;
  toState: string;
  phase: string;
  actorRole: string | null;
  at: Date;
  kind: string;
  classCode: string;
  className: string | null;
  source: string;
  urgent: boolean;
  districtName: string | null;
}

/** One open case on the map, as a tuple: id, lng, lat, state, urgent (0/1), light (g/y/r). */
export type OpenCaseTuple = [number, number, number, string, 0 | 1, 'g' | 'y' | 'r'];

/** The SQL of the command screen: counts over a local day, the open cases, the latest log rows. */
export class CommandRepository {
  constructor(private readonly db: Kysely<DB>) {}

  /** Counters for the day [lo, hi) as of `now`. */
  async counters(scope: ScopeCondition, lo: Date, hi: Date, now: Date): Promise<Counters> {
    // Three index reads: today's reports (case_file_created), today's closes (case_file_closed_at),
    // the open cases (case_file_open) with their lights.
    const r = await sql<Counters>`
      SELECT
        (SELECT count(*) FROM case_file c WHERE c.created_at >= ${lo} AND c.created_at < ${hi} AND ${scope})::int AS "reportedToday",
        (SELECT count(*) FROM case_file c
          WHERE c.closed_at IS NOT NULL AND c.closed_at >= ${lo} AND c.closed_at < ${hi} AND ${scope})::int AS "closedToday",
        o.open, o.overdue, o.warning, o.urgent
      FROM (
        SELECT count(*)::int AS open,
          count(*) FILTER (WHERE c.phase_deadline < ${now} AND c.state <> 'suspended')::int AS overdue,
          count(*) FILTER (WHERE c.phase_deadline >= ${now} AND l.light = 'yellow'
                             AND l.phase_started_at = c.phase_started_at AND l.deadline = c.phase_deadline)::int AS warning,
          count(*) FILTER (WHERE c.urgent)::int AS urgent
        FROM case_file c LEFT JOIN case_light l ON l.case_id = c.id
        WHERE ${OPEN} AND ${scope}
      ) o`.execute(this.db);
    return r.rows[0] as Counters;
  }

  /** Today's reports grouped three ways: by source, by class (the top `topClasses`), by current state. */
  async todayBreakdown(scope: ScopeCondition, lo: Date, hi: Date, topClasses: number) {
    const today = sql`c.created_at >= ${lo} AND c.created_at < ${hi} AND ${scope}`;
    const bySource = await sql<{ source: string; n: number }>`
      SELECT c.source, count(*)::int AS n FROM case_file c WHERE ${today} GROUP BY c.source ORDER BY n DESC, c.source`.execute(this.db);
    const byState = await sql<{ state: string; n: number }>`
      SELECT c.state, count(*)::int AS n FROM case_file c WHERE ${today} GROUP BY c.state ORDER BY n DESC, c.state`.execute(this.db);
    const byClass = await sql<{ kind: string; edition: string; classCode: string; name: string | null; n: number }>`
      SELECT k.kind, k.edition, k.class_code AS "classCode", t.name, k.n
      FROM (SELECT c.kind, c.edition, c.class_code, count(*)::int AS n FROM case_file c WHERE ${today}
            GROUP BY c.kind, c.edition, c.class_code ORDER BY n DESC, c.class_code LIMIT ${topClasses}) k
      LEFT JOIN taxonomy_class t ON t.edition = k.edition AND t.kind = k.kind AND t.code = k.class_code
      ORDER BY k.n DESC, k.class_code`.execute(this.db);
    return { bySource: bySource.rows, byState: byState.rows, byClass: byClass.rows };
  }

  /** Today's reports per unit grid (the heat layer). */
  async gridHeat(scope: ScopeCondition, lo: Date, hi: Date): Promise<Array<{ gridId: number; n: number }>> {
    const r = await sql<{ gridId: string | number; n: number }>`
      SELECT c.grid_id AS "gridId", count(*)::int AS n FROM case_file c
      WHERE c.created_at >= ${lo} AND c.created_at < ${hi} AND c.grid_id IS NOT NULL AND ${scope}
      GROUP BY c.grid_id ORDER BY n DESC`.execute(this.db);
    return r.rows.map((x) => ({ gridId: Number(x.gridId), n: x.n }));
  }

  /** The newest phase-log rows in scope, newest first. */
  async recent(scope: ScopeCondition, limit: number): Promise<RecentEvent[]> {
    // Walks case_event's primary key backwards; the scope is checked per row on the case.
    const r = await sql<RecentEvent>`
      SELECT e.id, e.case_id AS "caseId", c.number, e.action, e.from_state AS "fromState", e.to_state AS "toState",
        e.phase, e.actor_role AS "actorRole", e.ended_at AS at, c.kind, c.class_code AS "classCode", t.name AS "className",
        c.source, c.urgent, d.name AS "districtName"
      FROM case_event e
      JOIN case_file c ON c.id = e.case_id
      LEFT JOIN taxonomy_class t ON t.edition = c.edition AND t.kind = c.kind AND t.code = c.class_code
      LEFT JOIN region d ON d.id = c.district_id
      WHERE ${scope}
      ORDER BY e.id DESC
      LIMIT ${limit}`.execute(this.db);
    return r.rows.map((x) => ({ ...x, id: Number(x.id), caseId: Number(x.caseId) }));
  }

  /** Open cases with their place and light, urgent and overdue first, at most `limit`. */
  async openCases(scope: ScopeCondition, now: Date, limit: number): Promise<OpenCaseTuple[]> {
    const r = await sql<{ id: string | number; lng: number; lat: number; state: string; urgent: boolean; light: 'g' | 'y' | 'r' }>`
      SELECT c.id, ST_X(c.geom) AS lng, ST_Y(c.geom) AS lat, c.state, c.urgent,
        CASE WHEN c.phase_deadline < ${now} AND c.state <> 'suspended' THEN 'r'
             WHEN l.light = 'yellow' AND l.phase_started_at = c.phase_started_at AND l.deadline = c.phase_deadline THEN 'y'
             ELSE 'g' END AS light
      FROM case_file c LEFT JOIN case_light l ON l.case_id = c.id
      WHERE ${OPEN} AND ${scope}
      ORDER BY c.urgent DESC, c.phase_deadline ASC NULLS LAST, c.id
      LIMIT ${limit}`.execute(this.db);
    // Six decimals (~0.1 m) are plenty for a map and keep the answer small; rounded here, not in SQL
    // (per-row numeric rounding was a third of the query's time on PGlite).
    const r6 = (v: number) => Math.round(v * 1e6) / 1e6;
    return r.rows.map((x) => [Number(x.id), r6(x.lng), r6(x.lat), x.state, x.urgent ? 1 : 0, x.light]);
  }

  /** Levels of some regions (a scoped caller's regions). */
  async regionLevels(ids: number[]): Promise<Array<{ id: number; level: 'district' | 'street' | 'community' | 'grid' }>> {
    if (ids.length === 0) return [];
    const rows = await this.db.selectFrom('region').select(['id', 'level']).where('id', 'in', ids).execute();
    return rows.map((r) => ({ id: Number(r.id), level: r.level }));
  }
}
