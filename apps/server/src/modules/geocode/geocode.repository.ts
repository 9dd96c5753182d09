import { type Kysely, sql } from 'kysely';
import type { DB } from '../../db/schema.ts';

export type PlaceKind = 'district' | 'area' | 'block' | 'road' | 'doorplate' | 'poi';
export const PLACE_KINDS: readonly PlaceKind[] = ['district', 'area', 'block', 'road', 'doorplate', 'poi'];

export interface Candidate {
  id: number;
  kind: PlaceKind;
  name: string;
  fullAddress: string;
  roadName: string | null;
  houseNumber: string | null;
  aliases: string[];
  districtId: number | null;
  searchText: string;
  wsim: number;
  lng: number;
  lat: number;
  gridId: number | null;
  gridCode: string | null;
  gridName: string | null;
}

export interface NearPlace {
  id: number;
  kind: PlaceKind;
  name: string;
  fullAddress: string;
  /** The place's point nearest to the query point (the address point for door plates). */
  lng: number;
  lat: number;
  distance: number;
}

/** Word-similarity floor for fuzzy candidates (pg_trgm.word_similarity_threshold, default 0.6). */
export const WORD_SIMILARITY_THRESHOLD = 0.3;

/** The staging table of an import: COPY goes here first, then into gazetteer in one INSERT … SELECT. */
export const STAGE_COLUMNS = ['ord', 'kind', 'name', 'full_address', 'road_name', 'house_number', 'geom', 'aliases', 'search_text'];

/** SQL over `gazetteer`; current rows are those with valid_to IS NULL. */
export class GeocodeRepository {
  constructor(private readonly db: Kysely<DB>) {}

  /**
   * Candidates for a query: places whose search_text contains one of `patterns` (LIKE) or,
   * when `fuzzy`, is word-similar to `core` (`<%`). Each operator is its own UNION branch so
   * that each uses the pg_trgm GIN index: OR-ing them makes the planner scan the table
   * (measured 1.3 s instead of 2 × 8 ms on 100k rows). Pre-ordered by containment,
   * similarity and shortness; the service ranks them. Run it in a transaction: the
   * similarity threshold is SET LOCAL.
   */
  async candidates(
    db: Kysely<DB>,
    q: { core: string; patterns: string[]; fuzzy: boolean; districtId?: number; kinds?: PlaceKind[]; limit: number },
  ): Promise<Candidate[]> {
    if (q.fuzzy) await sql.raw(`SET LOCAL pg_trgm.word_similarity_threshold = ${WORD_SIMILARITY_THRESHOLD}`).execute(db);
    const filters = [sql`g.valid_to IS NULL`];
    if (q.districtId) filters.push(sql`g.district_id = ${q.districtId}`);
    if (q.kinds) filters.push(sql`g.kind IN (${sql.join(q.kinds)})`);
    const where = sql.join(filters, sql` AND `);
    const branches = q.patterns.map((p) => sql`SELECT g.id FROM gazetteer g WHERE ${where} AND g.search_text LIKE ${p}`);
    if (q.fuzzy) branches.push(sql`SELECT g.id FROM gazetteer g WHERE ${where} AND ${q.core} <% g.search_text`);
    if (branches.length === 0) return [];
    const contains =
      q.patterns.length > 0
        ? sql`(${sql.join(
            q.patterns.map((p) => sql`g.search_text LIKE ${p}`),
            sql` OR `,
          )})`
        : sql`false`;
    const res = await sql<Candidate>`
      SELECT c.id, c.kind, c.name, c.full_address, c.road_name, c.house_number, c.aliases, c.district_id,
             c.search_text, c.wsim, ST_X(p.pt) AS lng, ST_Y(p.pt) AS lat,
             r.id AS grid_id, r.code AS grid_code, r.name AS grid_name
      FROM (
        SELECT g.id, g.kind, g.name, g.full_address, g.road_name, g.house_number, g.aliases, g.district_id,
               g.search_text, g.grid_id, g.geom, word_similarity(${q.core}, g.search_text) AS wsim,
               ${contains} AS contained
        FROM gazetteer g
        JOIN (${sql.join(branches, sql` UNION `)}) m ON m.id = g.id
        ORDER BY contained DESC, wsim DESC, length(g.search_text), g.id
        LIMIT ${q.limit}
      ) c
      CROSS JOIN LATERAL (SELECT ST_PointOnSurface(c.geom) AS pt) p
      LEFT JOIN region r ON r.id = c.grid_id
      ORDER BY c.contained DESC, c.wsim DESC, length(c.search_text), c.id`.execute(db);
    return res.rows.map((r) => ({ ...r, wsim: Number(r.wsim), aliases: r.aliases ?? [] }));
  }

  /** Current districts (for recognising a district prefix in a query). */
  async districts(): Promise<Array<{ id: number; name: string }>> {
    return this.db.selectFrom('region').select(['id', 'name']).where('level', '=', 'district').where('validTo', 'is', null).execute();
  }

  /**
   * The nearest current places of the given kinds: KNN (`<->`, GiST) for a short list in
   * degrees, then the true distance in metres on the spheroid picks the nearest.
   */
  async nearest(lng: number, lat: number, kinds: PlaceKind[], maxDistanceM: number): Promise<NearPlace | null> {
    const res = await sql<NearPlace>`
      WITH q AS (SELECT ST_SetSRID(ST_MakePoint(${lng}, ${lat}), 4326) AS p),
      knn AS (
        SELECT g.id, g.kind, g.name, g.full_address, g.geom
        FROM gazetteer g
        WHERE g.valid_to IS NULL AND g.kind IN (${sql.join(kinds)})
        ORDER BY g.geom <-> (SELECT p FROM q)
        LIMIT 8
      )
      SELECT k.id, k.kind, k.name, k.full_address, ST_X(c.pt) AS lng, ST_Y(c.pt) AS lat,
             ST_Distance(k.geom::geography, q.p::geography) AS distance
      FROM knn k CROSS JOIN q
      CROSS JOIN LATERAL (SELECT ST_ClosestPoint(k.geom, q.p) AS pt) c
      WHERE ST_DWithin(k.geom::geography, q.p::geography, ${maxDistanceM})
      ORDER BY distance, k.id
      LIMIT 1`.execute(this.db);
    const row = res.rows[0];
    return row ? { ...row, distance: Number(row.distance) } : null;
  }

  /** Creates the import staging table inside the caller's transaction (dropped at commit). */
  async createStage(db: Kysely<DB>): Promise<void> {
    await sql`CREATE TEMP TABLE gazetteer_stage (
        ord integer NOT NULL, kind text NOT NULL, name text NOT NULL, full_address text NOT NULL,
        road_name text, house_number text, geom geometry(Geometry, 4326) NOT NULL, aliases text[] NOT NULL,
        search_text text NOT NULL) ON COMMIT DROP`.execute(db);
  }

  /** Staged rows whose geometry PostGIS finds invalid (self-intersecting rings, …). */
  async invalidStaged(db: Kysely<DB>): Promise<Array<{ ord: number; reason: string }>> {
    const res = await sql<{ ord: number; reason: string }>`
      SELECT ord, ST_IsValidReason(geom) AS reason FROM gazetteer_stage WHERE NOT ST_IsValid(geom) ORDER BY ord`.execute(db);
    return res.rows;
  }

  async dropStaged(db: Kysely<DB>, ords: number[]): Promise<void> {
    if (ords.length === 0) return;
    await sql`DELETE FROM gazetteer_stage WHERE ord = ANY(${ords}::int[])`.execute(db);
  }

  /**
   * Moves the staged rows into the gazetteer. A current place with the same kind and full
   * address is superseded (valid_to = now()), not duplicated. Grid and district come from
   * the place's representative point (GiST on the current grids).
   */
  async commitStage(db: Kysely<DB>): Promise<{ inserted: number; replaced: number }> {
    const replaced = await sql<{ n: number }>`
      WITH upd AS (
        UPDATE gazetteer g SET valid_to = now()
        FROM (SELECT DISTINCT kind, full_address FROM gazetteer_stage) s
        WHERE g.valid_to IS NULL AND g.kind = s.kind AND g.full_address = s.full_address
        RETURNING 1)
      SELECT count(*)::int AS n FROM upd`.execute(db);
    const inserted = await sql<{ n: number }>`
      WITH ins AS (
        INSERT INTO gazetteer (kind, name, full_address, road_name, house_number, district_id, grid_id, geom, aliases, search_text)
        SELECT s.kind, s.name, s.full_address, s.road_name, s.house_number, coalesce(gr.district_id, d.id), gr.id,
               s.geom, s.aliases, s.search_text
        FROM gazetteer_stage s
        CROSS JOIN LATERAL (SELECT ST_PointOnSurface(s.geom) AS pt) p
        LEFT JOIN LATERAL (
          SELECT r.id, r.district_id FROM region r
          WHERE r.valid_to IS NULL AND r.level = 'grid' AND ST_Intersects(r.geom, p.pt)
          ORDER BY r.id LIMIT 1) gr ON true
        LEFT JOIN LATERAL (
          SELECT r.id FROM region r
          WHERE gr.id IS NULL AND r.valid_to IS NULL AND r.level = 'district' AND ST_Intersects(r.geom, p.pt)
          ORDER BY r.id LIMIT 1) d ON true
        ORDER BY s.ord
        RETURNING 1)
      SELECT count(*)::int AS n FROM ins`.execute(db);
    return { inserted: Number(inserted.rows[0]?.n ?? 0), replaced: Number(replaced.rows[0]?.n ?? 0) };
  }
}
