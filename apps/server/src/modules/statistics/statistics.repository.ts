import { type Kysely, sql } from 'kysely';
import type { DB } from '../../db/schema.ts';

/** Which figure a row of `reportCounts` belongs to. */
export type ReportDimension = 'total' | 'class' | 'source' | 'grid' | 'hour';

export interface ReportCount {
  /** true: the period itself; false: the previous period. */
  current: boolean;
  dim: ReportDimension;
  edition: string | null;
  kind: string | null;
  classCode: string | null;
  source: string | null;
  gridId: number | null;
  hour: number | null;
  n: number;
}

export interface GridPlace {
  id: number;
  code: string;
  name: string;
  lng: number;
  lat: number;
}

/**
 * The SQL of thematic statistics: reports (案卷 rows by their creation time) counted by class,
 * source, unit grid and local hour of the day. The evaluation figures (立案, 结案 and their rates)
 * are not counted here: they come from the evaluation service and its daily rollup.
 */
export class StatisticsRepository {
  constructor(private readonly db: Kysely<DB>) {}

  /**
   * Reports created in [prevLo, hi), split at `lo` into the previous period and the period, and
   * counted in one pass by GROUPING SETS: in all, per class, per source, per grid and per local
   * hour. The range is read through case_file_created (created_at), so the cost follows the
   * two periods' reports, not the history. `departmentId` narrows to a department's cases.
   */
  async reportCounts(range: { prevLo: Date; lo: Date; hi: Date }, zone: string, departmentId?: number): Promise<ReportCount[]> {
    const scope = departmentId === undefined ? sql`true` : sql`c.department_id = ${departmentId}`;
    const r = await sql<ReportCount>`
      SELECT x.cur AS current,
        CASE WHEN GROUPING(c.edition, c.kind, c.class_code) = 0 THEN 'class'
             WHEN GROUPING(c.source) = 0 THEN 'source'
             WHEN GROUPING(c.grid_id) = 0 THEN 'grid'
             WHEN GROUPING(x.hour) = 0 THEN 'hour'
             ELSE 'total' END AS dim,
        c.edition, c.kind, c.class_code AS "classCode", c.source, c.grid_id AS "gridId", x.hour, count(*)::int AS n
      FROM case_file c,
        LATERAL (SELECT c.created_at >= ${range.lo} AS cur,
                        extract(hour FROM c.created_at AT TIME ZONE ${zone})::int AS hour) x
      WHERE c.created_at >= ${range.prevLo} AND c.created_at < ${range.hi} AND ${scope}
      GROUP BY GROUPING SETS ((x.cur), (x.cur, c.edition, c.kind, c.class_code), (x.cur, c.source), (x.cur, c.grid_id), (x.cur, x.hour))`.execute(
      this.db,
    );
    return r.rows.map((row) => ({ ...row, gridId: row.gridId === null ? null : Number(row.gridId) }));
  }

  /** Class names by edition, kind and code. */
  async classNames(keys: Array<{ edition: string; kind: string; code: string }>): Promise<Map<string, string>> {
    const m = new Map<string, string>();
    if (!keys.length) return m;
    const wanted = sql.join(keys.map((k) => sql`(${k.edition}, ${k.kind}, ${k.code})`));
    const { rows } = await sql<{ edition: string; kind: string; code: string; name: string }>`
      SELECT t.edition, t.kind, t.code, t.name FROM taxonomy_class t WHERE (t.edition, t.kind, t.code) IN (${wanted})`.execute(this.db);
    for (const r of rows) m.set(`${r.edition}|${r.kind}|${r.code}`, r.name);
    return m;
  }

  /** The grids (current or not: a case keeps the grid it was located in) with a point inside each, for the heat map. */
  async gridPlaces(ids: number[]): Promise<GridPlace[]> {
    if (!ids.length) return [];
    const r = await sql<GridPlace>`
      SELECT r.id, r.code, r.name, ST_X(p.pt) AS lng, ST_Y(p.pt) AS lat
      FROM region r, LATERAL (SELECT ST_PointOnSurface(r.geom) AS pt) p
      WHERE r.id IN (${sql.join(ids)})`.execute(this.db);
    return r.rows.map((x) => ({ ...x, id: Number(x.id), lng: Number(x.lng), lat: Number(x.lat) }));
  }
}
