import { type Kysely, sql } from 'kysely';
import type { DB } from '../../db/schema.ts';

/** What a GeoReport request is made of: the public columns of a case, never the reporter's. */
export interface RequestRow {
  id: number;
  number: string;
  kind: 'component' | 'event';
  edition: string;
  classCode: string;
  state: string;
  severity: string;
  description: string;
  address: string | null;
  /** District, street and community names: the position's description when the case has no address. */
  regionAddress: string | null;
  lng: number;
  lat: number;
  createdAt: Date;
  updatedAt: Date;
  closedAt: Date | null;
  disposalDeadline: Date | null;
  disposalLimit: { value: number; unit: string; timeType: string } | null;
  source: string;
  channel: string | null;
  sourceRef: string | null;
  departmentName: string | null;
  mergedIntoNumber: string | null;
  publicMediaId: string | null;
}

export interface RequestFilter {
  /** Case numbers: when given, every other filter is ignored (the spec's service_request_id). */
  numbers?: string[];
  classes?: Array<{ kind: string; code: string }>;
  from?: Date;
  to?: Date;
  updatedAfter?: Date;
  /** States to include (open or closed ones); absent = all. */
  states?: readonly string[];
  limit: number;
  offset: number;
}

/** One entry of a case's phase log, as much of it as the public may see. */
export interface UpdateRow {
  caseId: number;
  seq: number;
  action: string;
  toState: string;
  phase: string;
  endedAt: Date;
}

/**
 * Read-only SQL over case_file and case_event for the GeoReport endpoints. Selects no
 * reporter, contact, actor or API-key column, so nothing personal can reach a response.
 */
export class Open311Repository {
  constructor(private readonly db: Kysely<DB>) {}

  /**
   * Requests, newest first. The window on created_at and the order use the index
   * case_file_created; one class's cases use case_file_class_created (see the migration).
   */
  async list(f: RequestFilter): Promise<RequestRow[]> {
    const where: ReturnType<typeof sql>[] = [];
    if (f.numbers) {
      where.push(sql`c.number = ANY(${f.numbers}::text[])`);
    } else {
      if (f.classes && f.classes.length > 0) {
        where.push(
          sql`(${sql.join(
            f.classes.map((x) => sql`(c.kind = ${x.kind} AND c.class_code = ${x.code})`),
            sql` OR `,
          )})`,
        );
      }
      if (f.from) where.push(sql`c.created_at >= ${f.from}`);
      if (f.to) where.push(sql`c.created_at <= ${f.to}`);
      if (f.updatedAfter) where.push(sql`c.updated_at > ${f.updatedAfter}`);
      if (f.states) where.push(sql`c.state = ANY(${[...f.states]}::text[])`);
    }
    const cond = where.length > 0 ? sql`WHERE ${sql.join(where, sql` AND `)}` : sql``;
    // The page is chosen on case_file alone (skipped rows cost an index entry, not the joins).
    const res = await sql<RequestRow>`
      WITH page AS (
        SELECT c.id FROM case_file c ${cond}
        ORDER BY c.created_at DESC, c.id DESC
        LIMIT ${f.limit} OFFSET ${f.offset})
      SELECT c.id, c.number, c.kind, c.edition, c.class_code, c.state, c.severity, c.description, c.address,
             nullif(concat_ws(' ', rd.name, rs.name, rc.name), '') AS region_address,
             ST_X(c.geom) AS lng, ST_Y(c.geom) AS lat, c.created_at, c.updated_at, c.closed_at,
             c.disposal_deadline, c.disposal_limit, c.source, c.channel, c.source_ref,
             d.name AS department_name, mc.number AS merged_into_number,
             (SELECT m.id FROM media m WHERE m.case_id = c.id AND m.public ORDER BY m.created_at, m.id LIMIT 1) AS public_media_id
      FROM page JOIN case_file c ON c.id = page.id
      LEFT JOIN department d ON d.id = c.department_id
      LEFT JOIN case_file mc ON mc.id = c.merged_into_id
      LEFT JOIN region rd ON rd.id = c.district_id
      LEFT JOIN region rs ON rs.id = c.street_id
      LEFT JOIN region rc ON rc.id = c.community_id
      ORDER BY c.created_at DESC, c.id DESC`.execute(this.db);
    return res.rows;
  }

  /** The phase logs of these cases in order (unique index case_id, seq), 督办 left out. */
  async updates(caseIds: number[]): Promise<UpdateRow[]> {
    if (caseIds.length === 0) return [];
    const res = await sql<UpdateRow>`
      SELECT e.case_id, e.seq, e.action, e.to_state, e.phase, e.ended_at
      FROM case_event e
      WHERE e.case_id = ANY(${caseIds}::bigint[]) AND e.phase <> 'supervise'
      ORDER BY e.case_id, e.seq`.execute(this.db);
    return res.rows;
  }
}
