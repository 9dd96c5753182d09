import { type Kysely, sql } from 'kysely';
import type { DB } from '../../db/schema.ts';

type Condition = ReturnType<typeof sql>;

/** A case as exports carry it: codes and names resolved, geometry as lng/lat. */
export interface ExportCaseRow {
  id: number;
  number: string;
  source: string;
  channel: string | null;
  sourceRef: string | null;
  workflow: string;
  kind: 'component' | 'event';
  edition: string;
  classCode: string;
  className: string | null;
  majorCode: string | null;
  majorName: string | null;
  severity: string;
  urgent: boolean;
  description: string;
  address: string | null;
  lng: number;
  lat: number;
  districtCode: string | null;
  districtName: string | null;
  streetCode: string | null;
  streetName: string | null;
  communityCode: string | null;
  communityName: string | null;
  gridCode: string | null;
  componentCode: string | null;
  state: string;
  phase: string;
  phaseDeadline: Date | null;
  departmentCode: string | null;
  departmentName: string | null;
  disposalDeadline: Date | null;
  reworkCount: number;
  postponeCount: number;
  returnCount: number;
  superviseCount: number;
  archiveType: string | null;
  mergedIntoNumber: string | null;
  createdAt: Date;
  closedAt: Date | null;
  updatedAt: Date;
}

export interface ExportEventRow {
  caseId: number;
  seq: number;
  action: string;
  fromState: string | null;
  toState: string;
  phase: string;
  actorName: string | null;
  actorRole: string | null;
  departmentCode: string | null;
  departmentName: string | null;
  startedAt: Date;
  endedAt: Date;
  deadlineAt: Date | null;
  timeType: string | null;
  onTime: boolean | null;
  note: string | null;
}

export interface ExportPhotoRow {
  caseId: number;
  id: string;
  contentType: string;
  public: boolean;
  createdAt: Date;
}

export interface ExportComponentRow {
  id: number;
  code: string;
  edition: string;
  classCode: string;
  className: string | null;
  name: string | null;
  status: string;
  ownerCode: string | null;
  ownerName: string | null;
  maintainerCode: string | null;
  maintainerName: string | null;
  gridCode: string | null;
  address: string | null;
  geometry: string;
  lng: number;
  lat: number;
  updatedAt: Date;
}

export interface ExportRegionRow {
  id: number;
  level: string;
  code: string;
  name: string;
  parentCode: string | null;
  areaM2: number;
  version: number;
  validFrom: Date;
  geometry: string;
  lng: number;
  lat: number;
}

/** Rows fetched per round trip while an export streams. */
export const EXPORT_PAGE = 1000;

/** The SQL of exports: pages in id order (keyset), so a long export never holds a snapshot or a big OFFSET. */
export class ExchangeRepository {
  constructor(private readonly db: Kysely<DB>) {}

  async countCases(where: Condition[]): Promise<number> {
    const cond = where.length > 0 ? sql.join(where, sql` AND `) : sql`true`;
    const res = await sql<{ n: number }>`SELECT count(*)::int AS n FROM case_file c WHERE ${cond}`.execute(this.db);
    return res.rows[0]?.n ?? 0;
  }

  /** The next page of cases after `afterId` under `where` (conditions on `case_file c`). */
  async casePage(where: Condition[], afterId: number, limit = EXPORT_PAGE): Promise<ExportCaseRow[]> {
    const cond = sql.join([...where, sql`c.id > ${afterId}`], sql` AND `);
    const res = await sql<ExportCaseRow>`
      SELECT c.id, c.number, c.source, c.channel, c.source_ref, c.workflow, c.kind, c.edition, c.class_code,
        t.name AS class_name, t.major_code, tm.name AS major_name, c.severity, c.urgent, c.description, c.address,
        ST_X(c.geom) AS lng, ST_Y(c.geom) AS lat,
        rd.code AS district_code, rd.name AS district_name, rs.code AS street_code, rs.name AS street_name,
        rc.code AS community_code, rc.name AS community_name, rg.code AS grid_code, co.code AS component_code,
        c.state, c.phase, c.phase_deadline, d.code AS department_code, d.name AS department_name, c.disposal_deadline,
        c.rework_count, c.postpone_count, c.return_count, c.supervise_count, c.archive_type,
        m.number AS merged_into_number, c.created_at, c.closed_at, c.updated_at
      FROM case_file c
      LEFT JOIN taxonomy_class t ON t.edition = c.edition AND t.kind = c.kind AND t.code = c.class_code
      LEFT JOIN taxonomy_class tm ON tm.edition = c.edition AND tm.kind = c.kind AND tm.code = t.major_code AND tm.level = 'major'
      LEFT JOIN region rd ON rd.id = c.district_id
      LEFT JOIN region rs ON rs.id = c.street_id
      LEFT JOIN region rc ON rc.id = c.community_id
      LEFT JOIN region rg ON rg.id = c.grid_id
      LEFT JOIN component co ON co.id = c.component_id
      LEFT JOIN department d ON d.id = c.department_id
      LEFT JOIN case_file m ON m.id = c.merged_into_id
      WHERE ${cond}
      ORDER BY c.id
      LIMIT ${limit}`.execute(this.db);
    return res.rows;
  }

  /** The phase logs of some cases, in log order. */
  async eventsOf(caseIds: number[]): Promise<ExportEventRow[]> {
    if (caseIds.length === 0) return [];
    const res = await sql<ExportEventRow>`
      SELECT e.case_id, e.seq, e.action, e.from_state, e.to_state, e.phase, p.name AS actor_name, e.actor_role,
        d.code AS department_code, d.name AS department_name, e.started_at, e.ended_at, e.deadline_at, e.time_type,
        e.on_time, e.note
      FROM case_event e
      LEFT JOIN person p ON p.id = e.actor_id
      LEFT JOIN department d ON d.id = e.department_id
      WHERE e.case_id = ANY(${caseIds}::bigint[])
      ORDER BY e.case_id, e.seq`.execute(this.db);
    return res.rows;
  }

  /** The photos attached to some cases. */
  async photosOf(caseIds: number[]): Promise<ExportPhotoRow[]> {
    if (caseIds.length === 0) return [];
    const res = await sql<ExportPhotoRow>`
      SELECT case_id, id, content_type, public, created_at FROM media
      WHERE case_id = ANY(${caseIds}::bigint[]) ORDER BY case_id, created_at, id`.execute(this.db);
    return res.rows;
  }

  /** Cases already filed from another system's reference (re-imports are skipped, not duplicated). */
  async casesBySourceRef(source: string, refs: string[]): Promise<Map<string, string>> {
    if (refs.length === 0) return new Map();
    const res = await sql<{ sourceRef: string; number: string }>`
      SELECT source_ref, number FROM case_file WHERE source = ${source} AND source_ref = ANY(${refs}::text[])`.execute(this.db);
    return new Map(res.rows.map((r) => [r.sourceRef, r.number]));
  }

  async componentPage(
    f: { classCode?: string; status?: string; districtId?: number },
    afterId: number,
    limit = EXPORT_PAGE,
  ): Promise<ExportComponentRow[]> {
    const where: Condition[] = [sql`co.id > ${afterId}`];
    if (f.classCode) where.push(sql`co.class_code LIKE ${`${f.classCode}%`}`);
    if (f.status) where.push(sql`co.status = ${f.status}`);
    if (f.districtId) where.push(sql`g.district_id = ${f.districtId}`);
    const res = await sql<ExportComponentRow>`
      SELECT co.id, co.code, co.edition, co.class_code, t.name AS class_name, co.name, co.status,
        od.code AS owner_code, od.name AS owner_name, md.code AS maintainer_code, md.name AS maintainer_name,
        g.code AS grid_code, co.address, ST_AsGeoJSON(co.geom, 7) AS geometry,
        ST_X(ST_PointOnSurface(co.geom)) AS lng, ST_Y(ST_PointOnSurface(co.geom)) AS lat, co.updated_at
      FROM component co
      LEFT JOIN taxonomy_class t ON t.edition = co.edition AND t.kind = 'component' AND t.code = co.class_code
      LEFT JOIN department od ON od.id = co.owner_department_id
      LEFT JOIN department md ON md.id = co.maintainer_department_id
      LEFT JOIN region g ON g.id = co.grid_id
      WHERE ${sql.join(where, sql` AND `)}
      ORDER BY co.id
      LIMIT ${limit}`.execute(this.db);
    return res.rows;
  }

  /** Current regions of one level (or all), boundaries as GeoJSON. */
  async regionPage(level: string | undefined, afterId: number, limit = EXPORT_PAGE): Promise<ExportRegionRow[]> {
    const where: Condition[] = [sql`r.valid_to IS NULL`, sql`r.id > ${afterId}`];
    if (level) where.push(sql`r.level = ${level}`);
    const res = await sql<ExportRegionRow>`
      SELECT r.id, r.level, r.code, r.name, p.code AS parent_code, r.area_m2, r.version, r.valid_from,
        ST_AsGeoJSON(r.geom, 7) AS geometry, ST_X(ST_PointOnSurface(r.geom)) AS lng, ST_Y(ST_PointOnSurface(r.geom)) AS lat
      FROM region r
      LEFT JOIN region p ON p.id = r.parent_id
      WHERE ${sql.join(where, sql` AND `)}
      ORDER BY r.id
      LIMIT ${limit}`.execute(this.db);
    return res.rows;
  }
}
