import { type Kysely, type RawBuilder, sql } from 'kysely';
import type { DB } from '../../db/schema.ts';

export type BBox = [number, number, number, number];

/** The cell of component_cell (see the migration): 90/2^18 degrees, the zoom-18 cluster cell. */
export const BASE_CELL = 90 / 2 ** 18;

export interface ComponentFilter {
  bbox?: BBox;
  classCode?: string;
  status?: string;
  gridId?: number;
  departmentId?: number;
  q?: string;
}

export interface ComponentListItem {
  id: number;
  code: string;
  edition: string;
  classCode: string;
  className: string | null;
  name: string | null;
  status: string;
  ownerDepartmentId: number | null;
  ownerDepartmentName: string | null;
  maintainerDepartmentId: number | null;
  maintainerDepartmentName: string | null;
  gridId: number | null;
  address: string | null;
  geometryType: string;
  lng: number;
  lat: number;
  version: number;
  updatedAt: Date;
}

export interface ComponentDetail extends ComponentListItem {
  gridCode: string | null;
  gridName: string | null;
  attributes: Record<string, unknown>;
  source: string | null;
  geometry: { type: string; coordinates: unknown };
  createdAt: Date;
}

/** The fields a write may change, as stored (geometry as EWKT). */
export interface ComponentValues {
  name: string | null;
  status: string;
  ownerDepartmentId: number | null;
  maintainerDepartmentId: number | null;
  address: string | null;
  attributes: Record<string, unknown>;
  ewkt: string;
  gridId: number | null;
}

export interface ClusterRow {
  cx: number;
  cy: number;
  n: number;
  x: number;
  y: number;
  id: number | null;
  code: string | null;
  classCode: string | null;
  className: string | null;
  status: string | null;
}

/**
 * Where a component "is" for bbox filters and clustering: its representative point
 * (generated columns lng/lat = ST_PointOnSurface). `geom && envelope` lets the GiST index
 * component_geom narrow the rows first; the lng/lat test then decides exactly.
 */
function inBBox(b: BBox): RawBuilder<boolean> {
  return sql<boolean>`(c.geom && ST_MakeEnvelope(${b[0]}, ${b[1]}, ${b[2]}, ${b[3]}, 4326)
    AND c.lng BETWEEN ${b[0]} AND ${b[2]} AND c.lat BETWEEN ${b[1]} AND ${b[3]})`;
}

/** WHERE conditions for the list and the clusters; classCode of 2 digits = a major class. */
function conditions(f: ComponentFilter): RawBuilder<unknown>[] {
  const conds: RawBuilder<unknown>[] = [];
  if (f.bbox) conds.push(inBBox(f.bbox));
  if (f.classCode) conds.push(f.classCode.length === 2 ? sql`c.class_code LIKE ${`${f.classCode}%`}` : sql`c.class_code = ${f.classCode}`);
  if (f.status) conds.push(sql`c.status = ${f.status}`);
  if (f.gridId) conds.push(sql`c.grid_id = ${f.gridId}`);
  if (f.departmentId) conds.push(sql`(c.owner_department_id = ${f.departmentId} OR c.maintainer_department_id = ${f.departmentId})`);
  if (f.q) {
    const like = `%${f.q.replace(/[\\%_]/g, (m) => `\\${m}`)}%`;
    // A code prefix as a range, so the unique index on code serves it in any collation.
    conds.push(
      /^\d+$/.test(f.q)
        ? sql`(c.code >= ${f.q} AND c.code <= ${`${f.q}99999999999999999`} AND c.code LIKE ${`${f.q}%`})`
        : sql`(c.name ILIKE ${like} OR c.address ILIKE ${like})`,
    );
  }
  return conds;
}

const where = (conds: RawBuilder<unknown>[]) => (conds.length ? sql`WHERE ${sql.join(conds, sql` AND `)}` : sql``);

/** Class names come from the taxonomy table of the component's own edition. */
const CLASS_JOIN = sql`LEFT JOIN taxonomy_class t ON t.edition = c.edition AND t.kind = 'component' AND t.code = c.class_code`;

const LIST_COLUMNS = sql`c.id, c.code, c.edition, c.class_code, t.name AS class_name, c.name, c.status,
  c.owner_department_id, o.name AS owner_department_name,
  c.maintainer_department_id, m.name AS maintainer_department_name,
  c.grid_id, c.address, GeometryType(c.geom) AS geometry_type, c.lng, c.lat, c.version, c.updated_at`;

const LIST_FROM = sql`FROM component c
  ${CLASS_JOIN}
  LEFT JOIN department o ON o.id = c.owner_department_id
  LEFT JOIN department m ON m.id = c.maintainer_department_id`;

/** SQL over `component` and `component_history`. */
export class ComponentsRepository {
  constructor(private readonly db: Kysely<DB>) {}

  /** One page in id order after `afterId` (keyset paging over the primary key). */
  async list(f: ComponentFilter, afterId: number, limit: number): Promise<ComponentListItem[]> {
    const conds = [...conditions(f), sql`c.id > ${afterId}`];
    const res = await sql<ComponentListItem>`SELECT ${LIST_COLUMNS} ${LIST_FROM} ${where(conds)} ORDER BY c.id LIMIT ${limit}`.execute(
      this.db,
    );
    return res.rows;
  }

  /**
   * Grid clustering: components whose point is in the bbox, grouped by square cells of
   * `cell` degrees (floor of the generated lng/lat — no geometry is decoded), with the
   * count, the mean point and, for a cell of one, that component.
   */
  async clusters(f: ComponentFilter & { bbox: BBox }, cell: number): Promise<ClusterRow[]> {
    const res = await sql<ClusterRow>`
      WITH cells AS (
        SELECT floor(c.lng / ${cell})::bigint AS cx, floor(c.lat / ${cell})::bigint AS cy,
               count(*)::int AS n, avg(c.lng) AS x, avg(c.lat) AS y, min(c.id) AS one_id
        FROM component c
        ${where(conditions(f))}
        GROUP BY 1, 2
      )
      SELECT cells.cx, cells.cy, cells.n, cells.x, cells.y,
             c.id, c.code, c.class_code, t.name AS class_name, c.status
      FROM cells
      LEFT JOIN component c ON cells.n = 1 AND c.id = cells.one_id
      ${CLASS_JOIN}`.execute(this.db);
    return res.rows;
  }

  /**
   * The same clustering from component_cell (counts per BASE_CELL square, kept by triggers):
   * cells wholly inside the bbox are added up without reading components; components are read
   * only in the strips along the edges (partial cells), so the counts are exact for the bbox.
   * `factor` = cell / BASE_CELL, a whole number (the cell sizes are BASE_CELL × 2^k).
   */
  async cellClusters(b: BBox, factor: number): Promise<ClusterRow[]> {
    const c0 = BASE_CELL;
    const ix0 = Math.ceil(b[0] / c0);
    const ix1 = Math.floor(b[2] / c0) - 1;
    const iy0 = Math.ceil(b[1] / c0);
    const iy1 = Math.floor(b[3] / c0) - 1;
    const inner = ix0 <= ix1 && iy0 <= iy1;
    const env = (x0: number, y0: number, x1: number, y1: number) => sql`c.geom && ST_MakeEnvelope(${x0}, ${y0}, ${x1}, ${y1}, 4326)`;
    // Strips overlap the inner block by a hair; the cell test below decides exactly.
    const e = 1e-9;
    const [ax, ay, bx, by] = [ix0 * c0 + e, iy0 * c0 + e, (ix1 + 1) * c0 - e, (iy1 + 1) * c0 - e];
    const strips = inner
      ? sql.join([env(b[0], b[1], ax, b[3]), env(bx, b[1], b[2], b[3]), env(ax, b[1], bx, ay), env(ax, by, bx, b[3])], sql` OR `)
      : env(b[0], b[1], b[2], b[3]);
    const innerCell = sql`floor(c.lng / ${c0})::bigint BETWEEN ${ix0} AND ${ix1} AND floor(c.lat / ${c0})::bigint BETWEEN ${iy0} AND ${iy1}`;
    const res = await sql<ClusterRow>`
      WITH parts AS (
        SELECT k.cx, k.cy, k.n, k.sum_lng, k.sum_lat, k.sum_id
        FROM component_cell k
        WHERE ${inner ? sql`k.n > 0 AND k.cx BETWEEN ${ix0} AND ${ix1} AND k.cy BETWEEN ${iy0} AND ${iy1}` : sql`false`}
        UNION ALL
        SELECT floor(c.lng / ${c0})::bigint, floor(c.lat / ${c0})::bigint, 1, c.lng, c.lat, c.id
        FROM component c
        WHERE (${strips})
          AND c.lng BETWEEN ${b[0]} AND ${b[2]} AND c.lat BETWEEN ${b[1]} AND ${b[3]}
          ${inner ? sql`AND NOT (${innerCell})` : sql``}
      ),
      cells AS (
        SELECT floor(cx::float8 / ${factor})::bigint AS cx, floor(cy::float8 / ${factor})::bigint AS cy,
               sum(n)::int AS n, sum(sum_lng) / sum(n) AS x, sum(sum_lat) / sum(n) AS y, sum(sum_id)::bigint AS one_id
        FROM parts GROUP BY 1, 2
      )
      SELECT cells.cx, cells.cy, cells.n, coalesce(c.lng, cells.x) AS x, coalesce(c.lat, cells.y) AS y,
             c.id, c.code, c.class_code, t.name AS class_name, c.status
      FROM cells
      LEFT JOIN component c ON cells.n = 1 AND c.id = cells.one_id
      ${CLASS_JOIN}`.execute(this.db);
    return res.rows;
  }

  /** Single components in the bbox (high zooms), at most `limit`. */
  async points(f: ComponentFilter & { bbox: BBox }, limit: number): Promise<ClusterRow[]> {
    const res = await sql<ClusterRow>`
      SELECT 0 AS cx, 0 AS cy, 1 AS n, c.lng AS x, c.lat AS y, c.id, c.code, c.class_code, t.name AS class_name, c.status
      FROM component c ${CLASS_JOIN}
      ${where(conditions(f))}
      ORDER BY c.id LIMIT ${limit}`.execute(this.db);
    return res.rows;
  }

  private async detail(cond: RawBuilder<unknown>, db: Kysely<DB> = this.db): Promise<ComponentDetail | undefined> {
    const res = await sql<ComponentDetail>`
      SELECT ${LIST_COLUMNS}, g.code AS grid_code, g.name AS grid_name, c.attributes::text AS attributes, c.source, c.created_at,
             ST_AsGeoJSON(c.geom, 7)::json AS geometry
      ${LIST_FROM}
      LEFT JOIN region g ON g.id = c.grid_id
      WHERE ${cond}`.execute(db);
    const row = res.rows[0];
    // jsonb travels as text: the CamelCasePlugin would otherwise rename keys inside it.
    if (row) row.attributes = JSON.parse(row.attributes as unknown as string);
    return row;
  }

  get(id: number, db?: Kysely<DB>) {
    return this.detail(sql`c.id = ${id}`, db);
  }

  getByCode(code: string) {
    return this.detail(sql`c.code = ${code}`);
  }

  /** Newest first. before/after are read as text so their keys keep their spelling. */
  async history(componentId: number, limit = 200) {
    const res = await sql<{
      id: number;
      changedAt: Date;
      changedBy: number | null;
      changedByName: string | null;
      action: string;
      before: string | null;
      after: string | null;
    }>`
      SELECT h.id, h.changed_at, h.changed_by, p.name AS changed_by_name, h.action, h.before::text AS before, h.after::text AS after
      FROM component_history h LEFT JOIN person p ON p.id = h.changed_by
      WHERE h.component_id = ${componentId}
      ORDER BY h.id DESC LIMIT ${limit}`.execute(this.db);
    return res.rows.map((r) => ({
      ...r,
      before: r.before === null ? null : JSON.parse(r.before),
      after: r.after === null ? null : JSON.parse(r.after),
    }));
  }

  async codeExists(code: string): Promise<boolean> {
    const row = await this.db.selectFrom('component').select('id').where('code', '=', code).executeTakeFirst();
    return row !== undefined;
  }

  /** Which of these department ids exist. */
  async existingDepartments(ids: number[]): Promise<Set<number>> {
    if (ids.length === 0) return new Set();
    const rows = await this.db.selectFrom('department').select('id').where('id', 'in', ids).execute();
    return new Set(rows.map((r) => r.id));
  }

  /** Whether the taxonomy of an edition is loaded (else class codes are checked by pattern only). */
  async editionSeeded(edition: string): Promise<boolean> {
    const res = await sql<{
      e: boolean;
    }>`SELECT EXISTS (SELECT 1 FROM taxonomy_class WHERE edition = ${edition} AND kind = 'component') AS e`.execute(this.db);
    return res.rows[0]?.e === true;
  }

  /** Whether the city has any current unit grid (an empty city accepts components anywhere). */
  async hasGrids(db: Kysely<DB> = this.db): Promise<boolean> {
    const res = await sql<{ e: boolean }>`SELECT EXISTS (SELECT 1 FROM region WHERE valid_to IS NULL AND level = 'grid') AS e`.execute(db);
    return res.rows[0]?.e === true;
  }

  /** PostGIS's verdict on a geometry (EWKT) and its representative point. */
  async inspect(ewkt: string): Promise<{ valid: boolean; reason: string; x: number; y: number }> {
    const res = await sql<{ valid: boolean; reason: string; x: number | null; y: number | null }>`
      WITH g AS (SELECT ST_GeomFromEWKT(${ewkt}) AS geom)
      SELECT ST_IsValid(geom) AS valid, ST_IsValidReason(geom) AS reason,
             CASE WHEN ST_IsValid(geom) THEN ST_X(ST_PointOnSurface(geom)) END AS x,
             CASE WHEN ST_IsValid(geom) THEN ST_Y(ST_PointOnSurface(geom)) END AS y
      FROM g`.execute(this.db);
    const r = res.rows[0] as { valid: boolean; reason: string; x: number | null; y: number | null };
    return { valid: r.valid, reason: r.reason, x: r.x ?? Number.NaN, y: r.y ?? Number.NaN };
  }

  async insert(
    row: ComponentValues & { code: string; edition: string; classCode: string; source: string | null },
    db: Kysely<DB>,
  ): Promise<number> {
    const res = await sql<{ id: number }>`
      INSERT INTO component (code, edition, class_code, name, geom, status, owner_department_id, maintainer_department_id,
                             grid_id, address, attributes, source)
      VALUES (${row.code}, ${row.edition}, ${row.classCode}, ${row.name}, ST_GeomFromEWKT(${row.ewkt}), ${row.status},
              ${row.ownerDepartmentId}, ${row.maintainerDepartmentId}, ${row.gridId}, ${row.address},
              ${JSON.stringify(row.attributes)}::jsonb, ${row.source})
      RETURNING id`.execute(db);
    return (res.rows[0] as { id: number }).id;
  }

  /** Updates the given fields if the row still has `version`; returns the new version or null. */
  async update(id: number, version: number, set: Partial<ComponentValues>, db: Kysely<DB>): Promise<number | null> {
    const parts: RawBuilder<unknown>[] = [sql`version = version + 1`, sql`updated_at = now()`];
    if (set.name !== undefined) parts.push(sql`name = ${set.name}`);
    if (set.status !== undefined) parts.push(sql`status = ${set.status}`);
    if (set.ownerDepartmentId !== undefined) parts.push(sql`owner_department_id = ${set.ownerDepartmentId}`);
    if (set.maintainerDepartmentId !== undefined) parts.push(sql`maintainer_department_id = ${set.maintainerDepartmentId}`);
    if (set.address !== undefined) parts.push(sql`address = ${set.address}`);
    if (set.attributes !== undefined) parts.push(sql`attributes = ${JSON.stringify(set.attributes)}::jsonb`);
    if (set.ewkt !== undefined) parts.push(sql`geom = ST_GeomFromEWKT(${set.ewkt})`);
    if (set.gridId !== undefined) parts.push(sql`grid_id = ${set.gridId}`);
    const res = await sql<{ version: number }>`
      UPDATE component SET ${sql.join(parts, sql`, `)}
      WHERE id = ${id} AND version = ${version}
      RETURNING version`.execute(db);
    return res.rows[0]?.version ?? null;
  }

  async addHistory(
    entry: { componentId: number; changedBy: number | null; action: string; before: unknown; after: unknown },
    db: Kysely<DB>,
  ): Promise<void> {
    await db
      .insertInto('componentHistory')
      .values({
        componentId: entry.componentId,
        changedBy: entry.changedBy,
        action: entry.action,
        before: entry.before === null ? null : JSON.stringify(entry.before),
        after: entry.after === null ? null : JSON.stringify(entry.after),
      })
      .execute();
  }
}
