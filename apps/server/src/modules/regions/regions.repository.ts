import { type Kysely, sql } from 'kysely';
import { PREPARED } from '../../db/database.ts';
import type { DB } from '../../db/schema.ts';

export interface RegionRow {
  id: number;
  level: 'district' | 'street' | 'community' | 'grid';
  code: string;
  name: string;
  parentId: number | null;
  districtId: number | null;
  streetId: number | null;
  communityId: number | null;
  areaM2: number;
  version: number;
  bbox: [number, number, number, number];
}

/** Columns every region read returns; bbox from the geometry's extent. */
const regionColumns = [
  'r.id',
  'r.level',
  'r.code',
  'r.name',
  'r.parentId',
  'r.districtId',
  'r.streetId',
  'r.communityId',
  'r.areaM2',
  'r.version',
  sql<[number, number, number, number]>`json_build_array(ST_XMin(r.geom), ST_YMin(r.geom), ST_XMax(r.geom), ST_YMax(r.geom))`.as('bbox'),
] as const;

/** SQL over `region` and `beat`. Current rows are those with valid_to IS NULL. */
/** A unit grid with its community, street and district (ids, codes, names). */
export interface GridWithAncestors {
  gridId: number;
  gridCode: string;
  gridName: string;
  communityId: number | null;
  communityCode: string | null;
  communityName: string | null;
  streetId: number | null;
  streetCode: string | null;
  streetName: string | null;
  districtId: number | null;
  districtCode: string | null;
  districtName: string | null;
}

/** The columns of GridWithAncestors, over `region g` joined as GRID_ANCESTOR_JOINS does. */
const GRID_WITH_ANCESTORS = sql.raw(`SELECT g.id AS grid_id, g.code AS grid_code, g.name AS grid_name,
  c.id AS community_id, c.code AS community_code, c.name AS community_name,
  s.id AS street_id, s.code AS street_code, s.name AS street_name,
  d.id AS district_id, d.code AS district_code, d.name AS district_name`);
const GRID_ANCESTOR_JOINS = sql.raw(`FROM region g
  LEFT JOIN region c ON c.id = g.community_id
  LEFT JOIN region s ON s.id = g.street_id
  LEFT JOIN region d ON d.id = g.district_id`);

export class RegionsRepository {
  constructor(private readonly db: Kysely<DB>) {}

  list(filter: { level?: string; parentId?: number; q?: string; limit: number; offset: number }): Promise<RegionRow[]> {
    let q = this.db.selectFrom('region as r').select(regionColumns).where('r.validTo', 'is', null);
    if (filter.level) q = q.where('r.level', '=', filter.level as RegionRow['level']);
    if (filter.parentId) q = q.where('r.parentId', '=', filter.parentId);
    if (filter.q) q = q.where((eb) => eb.or([eb('r.name', 'like', `%${filter.q}%`), eb('r.code', 'like', `${filter.q}%`)]));
    return q.orderBy('r.code').limit(filter.limit).offset(filter.offset).execute() as Promise<RegionRow[]>;
  }

  count(filter: { level?: string; parentId?: number }): Promise<number> {
    let q = this.db
      .selectFrom('region as r')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('r.validTo', 'is', null);
    if (filter.level) q = q.where('r.level', '=', filter.level as RegionRow['level']);
    if (filter.parentId) q = q.where('r.parentId', '=', filter.parentId);
    return q.executeTakeFirstOrThrow().then((r) => Number(r.n));
  }

  /** Districts, streets and communities with their grid counts (grids are listed per community on demand). */
  treeRows(): Promise<Array<RegionRow & { gridCount: number }>> {
    return this.db
      .selectFrom('region as r')
      .select(regionColumns)
      .select((eb) =>
        eb
          .selectFrom('region as g')
          .select(eb.fn.countAll<number>().as('n'))
          .where('g.level', '=', 'grid')
          .where('g.validTo', 'is', null)
          .where((w) =>
            w.or([w('g.communityId', '=', w.ref('r.id')), w('g.streetId', '=', w.ref('r.id')), w('g.districtId', '=', w.ref('r.id'))]),
          )
          .as('gridCount'),
      )
      .where('r.validTo', 'is', null)
      .where('r.level', '!=', 'grid')
      .orderBy('r.code')
      .execute() as Promise<Array<RegionRow & { gridCount: number }>>;
  }

  get(id: number) {
    return this.db
      .selectFrom('region as r')
      .select(regionColumns)
      .select([sql<unknown>`ST_AsGeoJSON(r.geom, 7)::json`.as('geometry'), 'r.validFrom', 'r.validTo', 'r.properties'])
      .where('r.id', '=', id)
      .executeTakeFirst();
  }

  getByCode(code: string) {
    return this.db
      .selectFrom('region as r')
      .select(regionColumns)
      .where('r.code', '=', code)
      .where('r.validTo', 'is', null)
      .executeTakeFirst();
  }

  history(code: string) {
    return this.db
      .selectFrom('region')
      .select(['id', 'version', 'validFrom', 'validTo', 'areaM2', 'name'])
      .where('code', '=', code)
      .orderBy('version')
      .execute();
  }

  /**
   * The layer as one GeoJSON FeatureCollection built in SQL (the 1,203-grid layer is
   * ~300 KB). `tolerance` simplifies for small zooms; bbox limits to a view.
   */
  async geojson(filter: { level: string; parentId?: number; bbox?: number[]; tolerance?: number }): Promise<string> {
    const geom = filter.tolerance ? sql`ST_SimplifyPreserveTopology(r.geom, ${filter.tolerance})` : sql`r.geom`;
    const conds = [sql`r.valid_to IS NULL`, sql`r.level = ${filter.level}`];
    if (filter.parentId)
      conds.push(
        sql`(r.parent_id = ${filter.parentId} OR r.district_id = ${filter.parentId} OR r.street_id = ${filter.parentId} OR r.community_id = ${filter.parentId})`,
      );
    if (filter.bbox) {
      const [a, b, c, d] = filter.bbox;
      conds.push(sql`r.geom && ST_MakeEnvelope(${a}, ${b}, ${c}, ${d}, 4326)`);
    }
    const res = await sql<{ fc: string }>`
      SELECT json_build_object(
        'type', 'FeatureCollection',
        'features', coalesce(json_agg(json_build_object(
          'type', 'Feature',
          'id', r.id,
          'properties', json_build_object('id', r.id, 'code', r.code, 'name', r.name, 'level', r.level,
                                          'parentId', r.parent_id, 'areaM2', round(r.area_m2::numeric)),
          'geometry', ST_AsGeoJSON(${geom}, 6)::json
        ) ORDER BY r.code), '[]'::json)
      )::text AS fc
      FROM region r
      WHERE ${sql.join(conds, sql` AND `)}`.execute(this.db);
    return res.rows[0]?.fc ?? '{"type":"FeatureCollection","features":[]}';
  }

  /** The nearest current grid and its distance in metres (KNN over the same index). */
  async nearestGrid(lng: number, lat: number) {
    const res = await sql<{ id: number; distance: number }>`
      SELECT r.id, ST_Distance(r.geom::geography, ST_SetSRID(ST_MakePoint(${lng}, ${lat}), 4326)::geography) AS distance
      FROM region r
      WHERE r.valid_to IS NULL AND r.level = 'grid'
      ORDER BY r.geom <-> ST_SetSRID(ST_MakePoint(${lng}, ${lat}), 4326)
      LIMIT 1`.execute(this.db);
    return res.rows[0] ?? null;
  }

  /** The region revision (region_revision): it moves with every statement that changes a region. */
  async revision(): Promise<string> {
    const res = await sql<{ n: string }>`${PREPARED} SELECT n::text AS n FROM region_revision`.execute(this.db);
    return res.rows[0]?.n ?? '0';
  }

  /**
   * Every current grid with its boundary (GeoJSON) and its community, street and district, as
   * gridWithAncestors() gives them, and the revision they were read at (one snapshot).
   */
  async currentGridsWithAncestors(): Promise<{ revision: string; grids: Array<GridWithAncestors & { geometry: string }> }> {
    const res = await sql<GridWithAncestors & { geometry: string; revision: string }>`
      ${GRID_WITH_ANCESTORS}, ST_AsGeoJSON(g.geom) AS geometry, (SELECT n::text FROM region_revision) AS revision
      ${GRID_ANCESTOR_JOINS}
      WHERE g.valid_to IS NULL AND g.level = 'grid'
      ORDER BY g.id`.execute(this.db);
    const revision = res.rows[0]?.revision ?? (await this.revision());
    return { revision, grids: res.rows.map(({ revision: _r, ...g }) => g) };
  }

  /** A grid with its community, street and district in one row: by id, or the grid containing a point. */
  async gridWithAncestors(target: number | { lng: number; lat: number }): Promise<GridWithAncestors | null> {
    const res = await sql<GridWithAncestors>`
      ${PREPARED} ${GRID_WITH_ANCESTORS}
      ${GRID_ANCESTOR_JOINS}
      WHERE ${
        typeof target === 'number'
          ? sql`g.id = ${target}`
          : sql`g.id = (SELECT r.id FROM region r
                        WHERE r.valid_to IS NULL AND r.level = 'grid'
                          AND ST_Intersects(r.geom, ST_SetSRID(ST_MakePoint(${target.lng}, ${target.lat}), 4326))
                        ORDER BY r.id LIMIT 1)`
      }`.execute(this.db);
    return res.rows[0] ?? null;
  }

  /** Checks a GeoJSON geometry with PostGIS: parses, valid, polygonal. */
  async checkGeometry(geojson: string) {
    const res = await sql<{ valid: boolean; reason: string; type: string; inRange: boolean }>`
      WITH g AS (SELECT ST_SetSRID(ST_GeomFromGeoJSON(${geojson}), 4326) AS geom)
      SELECT ST_IsValid(geom) AS valid, ST_IsValidReason(geom) AS reason, GeometryType(geom) AS type,
             (ST_XMin(geom) >= -180 AND ST_XMax(geom) <= 180 AND ST_YMin(geom) >= -90 AND ST_YMax(geom) <= 90) AS in_range
      FROM g`.execute(this.db);
    return res.rows[0] ?? null;
  }

  /** How a proposed grid boundary sits: area outside its community, and overlapping current grids. */
  async gridFit(gridId: number, communityId: number | null, geojson: string) {
    const res = await sql<{ outsideM2: number; overlaps: string[] | null }>`
      WITH g AS (SELECT ST_SetSRID(ST_GeomFromGeoJSON(${geojson}), 4326) AS geom)
      SELECT
        coalesce((SELECT ST_Area(ST_Difference(g.geom, c.geom)::geography) FROM region c WHERE c.id = ${communityId}), 0) AS outside_m2,
        (SELECT array_agg(o.code ORDER BY o.code) FROM region o
          WHERE o.valid_to IS NULL AND o.level = 'grid' AND o.id <> ${gridId}
            AND ST_Intersects(o.geom, g.geom)
            AND ST_Area(ST_Intersection(o.geom, g.geom)::geography) > 1) AS overlaps
      FROM g`.execute(this.db);
    const row = res.rows[0];
    return { outsideM2: row?.outsideM2 ?? 0, overlaps: row?.overlaps ?? [] };
  }

  /** Inserts one region row (geometry as GeoJSON or EWKT); area computed on the sphere. */
  async insert(
    row: {
      level: RegionRow['level'];
      code: string;
      name: string;
      parentId: number | null;
      districtId: number | null;
      streetId: number | null;
      communityId: number | null;
      geojson: string;
      version?: number;
      properties?: Record<string, unknown>;
    },
    db: Kysely<DB> = this.db,
  ): Promise<number> {
    const res = await sql<{ id: number }>`
      INSERT INTO region (level, code, name, parent_id, district_id, street_id, community_id, geom, area_m2, version, properties)
      SELECT ${row.level}, ${row.code}, ${row.name}, ${row.parentId}, ${row.districtId}, ${row.streetId}, ${row.communityId},
             g.geom, ST_Area(g.geom::geography), ${row.version ?? 1}, ${JSON.stringify(row.properties ?? {})}::jsonb
      FROM (SELECT ST_Multi(ST_CollectionExtract(ST_MakeValid(ST_SetSRID(ST_GeomFromGeoJSON(${row.geojson}), 4326)), 3)) AS geom) g
      RETURNING id`.execute(db);
    return (res.rows[0] as { id: number }).id;
  }

  /**
   * After a new version replaces a region, current rows that point at it follow: child
   * regions, beats, departments and role scopes. (Cases and components keep the version
   * they were filed or surveyed in.) Returns how many references moved.
   */
  async repointReferences(oldId: number, newId: number, db: Kysely<DB> = this.db): Promise<number> {
    let n = 0;
    const count = async (q: ReturnType<typeof sql>) => (await q.execute(db)).rows.length;
    for (const col of ['parent_id', 'district_id', 'street_id', 'community_id'] as const) {
      n += await count(sql`UPDATE region SET ${sql.ref(col)} = ${newId} WHERE ${sql.ref(col)} = ${oldId} AND valid_to IS NULL RETURNING 1`);
    }
    n += await count(sql`UPDATE beat_grid SET grid_id = ${newId} WHERE grid_id = ${oldId} RETURNING 1`);
    n += await count(sql`UPDATE department SET region_id = ${newId} WHERE region_id = ${oldId} RETURNING 1`);
    n += await count(sql`UPDATE person_role SET scope_region_id = ${newId} WHERE scope_region_id = ${oldId} RETURNING 1`);
    return n;
  }

  /** Closes the current version of a region (it stays for history). */
  async close(id: number, db: Kysely<DB> = this.db) {
    await db
      .updateTable('region')
      .set({ validTo: sql`now()` as unknown as Date })
      .where('id', '=', id)
      .execute();
  }

  listBeats() {
    return this.db
      .selectFrom('beat as b')
      .leftJoin('person as p', 'p.id', 'b.inspectorId')
      .select(['b.id', 'b.code', 'b.name', 'b.inspectorId', 'p.name as inspectorName'])
      .select((eb) =>
        eb.selectFrom('beatGrid as bg').select(eb.fn.countAll<number>().as('n')).whereRef('bg.beatId', '=', 'b.id').as('gridCount'),
      )
      .orderBy('b.code')
      .execute();
  }

  async beatGrids(beatId: number) {
    return this.db
      .selectFrom('beatGrid')
      .select('gridId')
      .where('beatId', '=', beatId)
      .execute()
      .then((r) => r.map((x) => x.gridId));
  }
}
