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
}
