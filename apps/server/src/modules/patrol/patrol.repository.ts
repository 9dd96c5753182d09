import { type Kysely, sql } from 'kysely';
import type { DB } from '../../db/schema.ts';

/** One GPS fix in WGS 84. */
export interface Fix {
  at: Date;
  lng: number;
  lat: number;
  accuracyM: number | null;
  speedMps: number | null;
  headingDeg: number | null;
}

export interface LastPosition {
  personId: number;
  username: string;
  name: string;
  departmentId: number | null;
  at: Date;
  lng: number;
  lat: number;
  accuracyM: number | null;
  speedMps: number | null;
  headingDeg: number | null;
}

export class PatrolRepository {
  constructor(private readonly db: Kysely<DB>) {}

  /**
   * Stores a batch of one person's fixes in one statement: fixes already stored (same person and
   * time) are skipped, and the person's last position moves only to a newer fix. Returns how
   * many fixes were new.
   */
  async insert(personId: number, fixes: Fix[]): Promise<number> {
    const r = await sql<{ inserted: number }>`
      WITH input AS (
        SELECT f.at, ST_SetSRID(ST_MakePoint(f.lng, f.lat), 4326) AS geom, f.accuracy_m, f.speed_mps, f.heading_deg
        FROM unnest(${fixes.map((f) => f.at.toISOString())}::timestamptz[], ${fixes.map((f) => f.lng)}::float8[],
                    ${fixes.map((f) => f.lat)}::float8[], ${fixes.map((f) => f.accuracyM)}::real[],
                    ${fixes.map((f) => f.speedMps)}::real[], ${fixes.map((f) => f.headingDeg)}::real[])
          AS f(at, lng, lat, accuracy_m, speed_mps, heading_deg)
      ), inserted AS (
        INSERT INTO patrol_position (person_id, at, geom, accuracy_m, speed_mps, heading_deg)
        SELECT ${personId}, at, geom, accuracy_m, speed_mps, heading_deg FROM input
        ON CONFLICT (person_id, at) DO NOTHING
        RETURNING at
      ), newest AS (
        SELECT * FROM input ORDER BY at DESC LIMIT 1
      ), last AS (
        INSERT INTO patrol_last (person_id, at, geom, accuracy_m, speed_mps, heading_deg)
        SELECT ${personId}, at, geom, accuracy_m, speed_mps, heading_deg FROM newest
        ON CONFLICT (person_id) DO UPDATE
          SET at = excluded.at, geom = excluded.geom, accuracy_m = excluded.accuracy_m, speed_mps = excluded.speed_mps,
              heading_deg = excluded.heading_deg, received_at = now()
          WHERE patrol_last.at < excluded.at
        RETURNING 1
      )
      SELECT (SELECT count(*) FROM inserted)::int AS inserted, (SELECT count(*) FROM last)::int AS moved`.execute(this.db);
    return r.rows[0]?.inserted ?? 0;
  }

  /** Each person's newest fix since `since`, optionally within some regions (any level). */
  async last(since: Date, regionIds: number[] | null): Promise<LastPosition[]> {
    const within =
      regionIds === null
        ? sql`true`
        : sql`EXISTS (SELECT 1 FROM region r WHERE r.id = ANY(${regionIds}::bigint[]) AND ST_Intersects(r.geom, l.geom))`;
    const r = await sql<LastPosition>`
      SELECT l.person_id AS "personId", p.username, p.name, p.department_id AS "departmentId", l.at,
        ST_X(l.geom) AS lng, ST_Y(l.geom) AS lat, l.accuracy_m AS "accuracyM", l.speed_mps AS "speedMps", l.heading_deg AS "headingDeg"
      FROM patrol_last l JOIN person p ON p.id = l.person_id
      WHERE l.at >= ${since} AND ${within}
      ORDER BY l.at DESC`.execute(this.db);
    return r.rows.map((x) => ({
      ...x,
      personId: Number(x.personId),
      departmentId: x.departmentId === null ? null : Number(x.departmentId),
    }));
  }
  /** One person's fixes in [from, to), oldest first, with the track's length in metres. */
  async track(personId: number, from: Date, to: Date): Promise<{ fixes: Array<{ at: Date; lng: number; lat: number }>; lengthM: number }> {
    const fixes = await sql<{ at: Date; lng: number; lat: number }>`
      SELECT at, ST_X(geom) AS lng, ST_Y(geom) AS lat FROM patrol_position
      WHERE person_id = ${personId} AND at >= ${from} AND at < ${to} ORDER BY at`.execute(this.db);
    const len = await sql<{ m: number | null }>`
      SELECT ST_Length(ST_MakeLine(geom ORDER BY at)::geography) AS m FROM patrol_position
      WHERE person_id = ${personId} AND at >= ${from} AND at < ${to}`.execute(this.db);
    return { fixes: fixes.rows, lengthM: Number(len.rows[0]?.m ?? 0) };
  }

  /**
   * The unit grids a person's fixes in [from, to) fell in, with how many times the person
   * passed through each: a pass is a run of consecutive fixes in the grid, and a gap longer than
   * `gapMin` minutes starts a new one (standing in one grid all morning is one pass).
   */
  async passes(personId: number, from: Date, to: Date, gapMin: number) {
    const r = await sql<{ gridId: string; passes: number; firstAt: Date; lastAt: Date; fixes: number }>`
      WITH fx AS (
        SELECT p.at, g.id AS grid_id
        FROM patrol_position p
        LEFT JOIN LATERAL (
          SELECT r.id FROM region r
          WHERE r.valid_to IS NULL AND r.level = 'grid' AND ST_Intersects(r.geom, p.geom)
          ORDER BY r.id LIMIT 1
        ) g ON true
        WHERE p.person_id = ${personId} AND p.at >= ${from} AND p.at < ${to}
      ), runs AS (
        SELECT grid_id, at,
          CASE WHEN grid_id IS DISTINCT FROM lag(grid_id) OVER w
                 OR at - lag(at) OVER w > make_interval(mins => ${gapMin}) THEN 1 ELSE 0 END AS starts
        FROM fx WINDOW w AS (ORDER BY at)
      )
      SELECT grid_id AS "gridId", sum(starts)::int AS passes, min(at) AS "firstAt", max(at) AS "lastAt", count(*)::int AS fixes
      FROM runs WHERE grid_id IS NOT NULL GROUP BY grid_id`.execute(this.db);
    return r.rows.map((x) => ({ ...x, gridId: Number(x.gridId) }));
  }

  /** The current unit grids of the beats a person patrols, with their outlines (GeoJSON). */
  async beatGrids(personId: number) {
    const r = await sql<{ beatId: string; beatName: string; gridId: string; code: string; name: string; geometry: string }>`
      SELECT b.id AS "beatId", b.name AS "beatName", g.id AS "gridId", g.code, g.name, ST_AsGeoJSON(g.geom, 6) AS geometry
      FROM beat b
      JOIN beat_grid bg ON bg.beat_id = b.id
      JOIN region old ON old.id = bg.grid_id
      JOIN region g ON g.code = old.code AND g.valid_to IS NULL
      WHERE b.inspector_id = ${personId}
      ORDER BY g.code`.execute(this.db);
    return r.rows.map((x) => ({ ...x, beatId: Number(x.beatId), gridId: Number(x.gridId), geometry: JSON.parse(x.geometry) }));
  }

  /** Whether any of a person's beat grids lies in one of the regions (any level). */
  async beatWithin(personId: number, regionIds: number[]): Promise<boolean> {
    const r = await sql<{ ok: boolean }>`
      SELECT EXISTS (
        SELECT 1 FROM beat b JOIN beat_grid bg ON bg.beat_id = b.id JOIN region g ON g.id = bg.grid_id
        WHERE b.inspector_id = ${personId}
          AND (g.id = ANY(${regionIds}::bigint[]) OR g.district_id = ANY(${regionIds}::bigint[])
               OR g.street_id = ANY(${regionIds}::bigint[]) OR g.community_id = ANY(${regionIds}::bigint[]))
      ) AS ok`.execute(this.db);
    return r.rows[0]?.ok === true;
  }
}
