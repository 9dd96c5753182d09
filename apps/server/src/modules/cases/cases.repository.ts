import type { TimeType } from '@cityloop/shared';
import { type Kysely, sql } from 'kysely';
import { PREPARED } from '../../db/database.ts';
import type { DB } from '../../db/schema.ts';

/** The case row as services see it (geometry as lng/lat). */
export interface CaseRow {
  id: number;
  number: string;
  source: string;
  workflow: 'standard' | 'flattened';
  kind: 'component' | 'event';
  edition: string;
  classCode: string;
  severity: string;
  urgent: boolean;
  description: string;
  address: string | null;
  lng: number;
  lat: number;
  gridId: number | null;
  communityId: number | null;
  streetId: number | null;
  districtId: number | null;
  componentId: number | null;
  state: string;
  phase: string;
  phaseStartedAt: Date;
  phaseDeadline: Date | null;
  /** The time type the current phase clock counts in (null: written before it was kept). */
  phaseTimeType: TimeType | null;
  departmentId: number | null;
  disposalLimit: unknown;
  disposalStartedAt: Date | null;
  disposalDeadline: Date | null;
  pausedSince: Date | null;
  pauses: Array<{ start: string; end: string }>;
  pendingRequest: { type: 'return' | 'postpone' | 'suspend'; reason: string; by: number | null; at: string; extension?: unknown } | null;
  selfHandled: boolean;
  reporterId: number | null;
  reporterContact: unknown;
  /** Within the source: 12345 / 12319 for the hotline, the app or web form, the office or outlet. */
  channel: string | null;
  /** The other side's reference: work-order number, instruction document number, article link. */
  sourceRef: string | null;
  apiKeyId: number | null;
  reworkCount: number;
  postponeCount: number;
  returnCount: number;
  superviseCount: number;
  archiveType: string | null;
  closedAt: Date | null;
  mergedIntoId: number | null;
  version: number;
  createdAt: Date;
  updatedAt: Date;
}

/** Columns of case_file the engine and the API read, in one place. */
const CASE_COLUMNS = sql`c.id, c.number, c.source, c.workflow, c.kind, c.edition, c.class_code, c.severity, c.urgent,
  c.description, c.address, ST_X(c.geom) AS lng, ST_Y(c.geom) AS lat, c.grid_id, c.community_id, c.street_id,
  c.district_id, c.component_id, c.state, c.phase, c.phase_started_at, c.phase_deadline, c.phase_time_type, c.department_id,
  c.disposal_limit, c.disposal_started_at, c.disposal_deadline, c.paused_since, c.pauses, c.pending_request,
  c.self_handled, c.reporter_id, c.reporter_contact, c.channel, c.source_ref, c.api_key_id, c.rework_count, c.postpone_count, c.return_count,
  c.supervise_count, c.archive_type, c.closed_at, c.merged_into_id, c.version, c.created_at, c.updated_at`;

export interface NewEvent {
  action: string;
  fromState: string | null;
  toState: string;
  phase: string;
  actorId: number | null;
  actorRole: string | null;
  departmentId: number | null;
  startedAt: Date;
  endedAt: Date;
  deadlineAt: Date | null;
  timeType: string | null;
  onTime: boolean | null;
  note: string | null;
  payload: Record<string, unknown>;
}

/** A case row to insert (the number comes from the day's counter at commit; counts, pauses and the rest start empty). */
export type NewCase = Omit<
  CaseRow,
  | 'id'
  | 'number'
  | 'gridId'
  | 'pausedSince'
  | 'pauses'
  | 'pendingRequest'
  | 'reworkCount'
  | 'postponeCount'
  | 'returnCount'
  | 'superviseCount'
  | 'archiveType'
  | 'closedAt'
  | 'mergedIntoId'
  | 'version'
> & { gridId: number; idempotencyKey: string | null; publicTokenHash: string | null };

/** An open case near a report (or on its component) that may be the same problem. */
export interface Duplicate {
  id: number;
  number: string;
  state: string;
  createdAt: Date;
  distanceM: number;
  sameComponent: boolean;
}

/** snake_case names of camelCase keys, worked out once per key. */
const SNAKE = new Map<string, string>();

/**
 * The same values under snake_case keys (for jsonb_to_recordset). A plain loop over a cache:
 * intake converts some 60 keys per report, and the regex-per-key version cost 6 % of its CPU.
 */
function snakeKeyed(o: object): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k in o) {
    let s = SNAKE.get(k);
    if (s === undefined) {
      s = k.replace(/[A-Z]/g, (m) => `_${m.toLowerCase()}`);
      SNAKE.set(k, s);
    }
    out[s] = (o as Record<string, unknown>)[k];
  }
  return out;
}

/** SQL over case_file, case_event and case_counter. */
export class CasesRepository {
  constructor(private readonly db: Kysely<DB>) {}

  async get(id: number, db: Kysely<DB> = this.db): Promise<CaseRow | null> {
    const res = await sql<CaseRow>`SELECT ${CASE_COLUMNS} FROM case_file c WHERE c.id = ${id}`.execute(db);
    return res.rows[0] ?? null;
  }

  async idByIdempotencyKey(key: string, db: Kysely<DB> = this.db): Promise<number | null> {
    const row = await db.selectFrom('caseFile').select('id').where('idempotencyKey', '=', key).executeTakeFirst();
    return row?.id ?? null;
  }

  /**
   * Applies a transition's changes if the case is still at `version` (optimistic lock).
   * Returns false when someone else changed it first.
   */
  async update(id: number, version: number, patch: Record<string, unknown>, db: Kysely<DB>): Promise<boolean> {
    const set: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(patch)) {
      set[k] = v !== null && typeof v === 'object' && !(v instanceof Date) ? JSON.stringify(v) : v;
    }
    const res = await db
      .updateTable('caseFile')
      .set({ updatedAt: sql`now()`, ...set, version: sql`version + 1` } as never)
      .where('id', '=', id)
      .where('version', '=', version)
      .returning('id')
      .execute();
    return res.length === 1;
  }

  /**
   * Files a batch of reports of one day in a single statement (its own transaction, unless `db`
   * is a transaction's): skips idempotency keys already taken, reserves the day's numbers for the rest, inserts the
   * cases and their opening phase-log rows, and (with `notify`) sends each case's event on
   * commit. The counter row stays locked until that transaction ends. Returns the rows written with
   * their position in `rows`; a row missing from the answer lost its key to another writer.
   * Rows travel as one jsonb parameter, typed by jsonb_to_recordset. A taken key is looked up
   * row by row (a LATERAL with LIMIT, which the planner cannot turn into a join): as NOT EXISTS
   * it was planned as a hash of every case's key, a full scan of case_file per batch, which
   * planned against a young city's statistics stayed that way until the table was far larger.
   */
  async insertBatch(
    day: string,
    rows: Array<NewCase & { ord: number; event: Record<string, unknown> | null }>,
    events: Array<NewEvent & { ord: number; seq: number }>,
    notify: string | null,
    db: Kysely<DB> = this.db,
  ): Promise<Array<{ ord: number; row: CaseRow }>> {
    const res = await sql<CaseRow & { batchOrd: number }>`
      ${PREPARED} WITH v AS (
        SELECT * FROM jsonb_to_recordset(${JSON.stringify(rows.map(snakeKeyed))}::jsonb) AS x(
          ord int, idempotency_key text, source text, workflow text, kind text, edition text, class_code text,
          severity text, urgent boolean, description text, address text, lng float8, lat float8, grid_id bigint,
          community_id bigint, street_id bigint, district_id bigint, component_id bigint, state text, phase text,
          phase_started_at timestamptz, phase_deadline timestamptz, phase_time_type text, department_id bigint, disposal_limit jsonb,
          disposal_started_at timestamptz, disposal_deadline timestamptz, self_handled boolean, reporter_id bigint,
          reporter_contact jsonb, channel text, source_ref text, api_key_id bigint, public_token_hash text, created_at timestamptz,
          updated_at timestamptz, event jsonb)
      ),
      fresh AS (
        SELECT v.*, row_number() OVER (ORDER BY v.ord) AS rn, count(*) OVER () AS total FROM v
        LEFT JOIN LATERAL (SELECT true AS taken FROM case_file k WHERE k.idempotency_key = v.idempotency_key LIMIT 1) t ON true
        WHERE t.taken IS NULL
      ),
      counter AS (
        INSERT INTO case_counter (day, n) SELECT ${day}::date, count(*) FROM fresh HAVING count(*) > 0
        ON CONFLICT (day) DO UPDATE SET n = case_counter.n + excluded.n
        RETURNING n
      ),
      numbered AS (
        SELECT f.*, ${day.replaceAll('-', '')} || CASE WHEN length(s.n) < 5 THEN lpad(s.n, 5, '0') ELSE s.n END AS number
        FROM fresh f, counter k, LATERAL (SELECT (k.n - f.total + f.rn)::text AS n) s
      ),
      ins AS (
        INSERT INTO case_file AS c (number, source, workflow, kind, edition, class_code, severity, urgent, description,
          address, geom, grid_id, community_id, street_id, district_id, component_id, state, phase, phase_started_at,
          phase_deadline, phase_time_type, department_id, disposal_limit, disposal_started_at, disposal_deadline, self_handled,
          reporter_id, reporter_contact, channel, source_ref, api_key_id, idempotency_key, public_token_hash, created_at, updated_at)
        SELECT number, source, workflow, kind, edition, class_code, severity, urgent, description,
          address, ST_SetSRID(ST_MakePoint(lng, lat), 4326), grid_id, community_id, street_id, district_id, component_id,
          state, phase, phase_started_at, phase_deadline, phase_time_type, department_id, disposal_limit, disposal_started_at,
          disposal_deadline, self_handled, reporter_id, reporter_contact, channel, source_ref, api_key_id, idempotency_key,
          public_token_hash, created_at, updated_at
        FROM numbered ORDER BY rn
        ON CONFLICT (idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING
        RETURNING ${CASE_COLUMNS}
      ),
      ev AS (
        INSERT INTO case_event (case_id, seq, action, from_state, to_state, phase, actor_id, actor_role, department_id,
                                started_at, ended_at, deadline_at, time_type, on_time, note, payload)
        SELECT ins.id, e.seq, e.action, e.from_state, e.to_state, e.phase, e.actor_id, e.actor_role, e.department_id,
               e.started_at, e.ended_at, e.deadline_at, e.time_type, e.on_time, e.note, coalesce(e.payload, '{}')
        FROM jsonb_to_recordset(${JSON.stringify(events.map(snakeKeyed))}::jsonb) AS e(
          ord int, seq int, action text, from_state text, to_state text, phase text, actor_id bigint, actor_role text,
          department_id bigint, started_at timestamptz, ended_at timestamptz, deadline_at timestamptz, time_type text,
          on_time boolean, note text, payload jsonb)
        JOIN numbered n ON n.ord = e.ord
        JOIN ins ON ins.number = n.number
      )
      SELECT n.ord AS batch_ord, ${
        notify === null ? sql`NULL` : sql`pg_notify(${notify}, (n.event || jsonb_build_object('caseId', ins.id))::text)`
      } AS notified, ins.*
      FROM ins JOIN numbered n ON n.number = ins.number
      ORDER BY n.ord`.execute(db);
    // The two helper columns are cleared rather than copied away: a rest copy of a 45-column row
    // per report was a measurable share of the intake's CPU, and JSON leaves undefined out.
    return res.rows.map((r: CaseRow & { batchOrd?: number; notified?: unknown }) => {
      const ord = r.batchOrd as number;
      r.batchOrd = undefined;
      r.notified = undefined;
      return { ord, row: r as CaseRow };
    });
  }

  async appendEvent(caseId: number, e: NewEvent, db: Kysely<DB>): Promise<void> {
    await sql`
      INSERT INTO case_event (case_id, seq, action, from_state, to_state, phase, actor_id, actor_role, department_id,
                              started_at, ended_at, deadline_at, time_type, on_time, note, payload)
      SELECT ${caseId}, coalesce(max(seq), 0) + 1, ${e.action}, ${e.fromState}, ${e.toState}, ${e.phase}, ${e.actorId},
             ${e.actorRole}, ${e.departmentId}, ${e.startedAt}, ${e.endedAt}, ${e.deadlineAt}, ${e.timeType}, ${e.onTime},
             ${e.note}, ${JSON.stringify(e.payload)}::jsonb
      FROM case_event WHERE case_id = ${caseId}`.execute(db);
  }

  /**
   * For each of these cases, the other open cases of the same class within `radiusM` metres,
   * or on the same component: the duplicates an acceptor is offered (nearest first, 10 at
   * most). One query for a whole intake batch, its two ways in kept apart so that each has its
   * index whatever the statistics say: around the place through case_file_open_geom (open cases
   * only; the bbox test narrows, the distance on the sphere decides), and on the component
   * through case_file_component. The class is compared as one key, which no index serves, so
   * that a plan made while the table was small cannot walk a class's whole backlog instead.
   */
  async duplicatesOfCases(ids: number[], radiusM: number, db: Kysely<DB> = this.db): Promise<Map<number, Duplicate[]>> {
    const out = new Map<number, Duplicate[]>(ids.map((id) => [id, []]));
    if (ids.length === 0) return out;
    const deg = radiusM / 90_000;
    const candidate = sql`c.closed_at IS NULL AND c.merged_into_id IS NULL
          AND c.state NOT IN ('closed', 'not_accepted', 'not_registered', 'cancelled', 'merged')
          AND c.kind || ':' || c.class_code = n.kind || ':' || n.class_code AND c.id <> n.id`;
    const columns = sql`c.id, c.number, c.state, c.created_at,
          round(ST_Distance(c.geom::geography, n.geom::geography)::numeric, 1)::float8 AS distance_m,
          (c.component_id IS NOT NULL AND c.component_id = n.component_id) AS same_component`;
    const res = await sql<Duplicate & { forId: number }>`
      ${PREPARED} SELECT n.id AS for_id, d.*
      FROM case_file n
      CROSS JOIN LATERAL (
        SELECT * FROM (
          SELECT ${columns} FROM case_file c
          WHERE c.geom && ST_Expand(n.geom, ${deg}) AND ST_DWithin(c.geom::geography, n.geom::geography, ${radiusM}) AND ${candidate}
          UNION
          SELECT ${columns} FROM case_file c
          WHERE n.component_id IS NOT NULL AND c.component_id = n.component_id AND ${candidate}
        ) u
        ORDER BY distance_m, id
        LIMIT 10) d
      WHERE n.id = ANY(${ids}::bigint[])`.execute(db);
    for (const { forId, ...d } of res.rows) out.get(forId)?.push(d);
    return out;
  }

  linkedReports(caseId: number) {
    return this.db
      .selectFrom('caseFile')
      .select(['id', 'number', 'source', 'description', 'createdAt'])
      .where('mergedIntoId', '=', caseId)
      .orderBy('id')
      .execute();
  }

  /** Locks cases for the rest of the transaction, always in id order (no deadlock between two lockers). */
  async lockCases(ids: number[], db: Kysely<DB>): Promise<void> {
    await sql`SELECT id FROM case_file WHERE id = ANY(${ids}::bigint[]) ORDER BY id FOR UPDATE`.execute(db);
  }

  /** Marks a case changed by an action logged elsewhere (a report merged into it). */
  async touch(id: number, at: Date, db: Kysely<DB>) {
    await db
      .updateTable('caseFile')
      .set({ version: sql`version + 1`, updatedAt: at } as never)
      .where('id', '=', id)
      .execute();
  }

  /** The case's latest log row of this action (UNIQUE (case_id, seq) serves the probe). */
  async lastEvent(caseId: number, action: string, db: Kysely<DB> = this.db) {
    const row = await db
      .selectFrom('caseEvent')
      .select(['seq', 'endedAt', 'note', 'payload'])
      .where('caseId', '=', caseId)
      .where('action', '=', action)
      .orderBy('seq', 'desc')
      .limit(1)
      .executeTakeFirst();
    return row ? { ...row, payload: (row.payload ?? {}) as Record<string, unknown> } : null;
  }

  /** A public reporter's rating and 未解决 of a case, if any. */
  publicFeedback(caseId: number, db: Kysely<DB> = this.db) {
    return db
      .selectFrom('publicFeedback')
      .select(['kind', 'stars', 'comment', 'closedAt', 'createdAt'])
      .where('caseId', '=', caseId)
      .orderBy('id')
      .execute();
  }

  /** Records a rating or 未解决; false when the case has one of this kind already. */
  async insertPublicFeedback(
    f: { caseId: number; kind: 'rating' | 'not_fixed'; stars: number | null; comment: string | null; closedAt: Date },
    db: Kysely<DB>,
  ): Promise<boolean> {
    const r = await db
      .insertInto('publicFeedback')
      .values(f)
      .onConflict((oc) => oc.columns(['caseId', 'kind']).doNothing())
      .returning('id')
      .executeTakeFirst();
    return r !== undefined;
  }

  timeline(caseId: number) {
    return this.db
      .selectFrom('caseEvent as e')
      .leftJoin('person as p', 'p.id', 'e.actorId')
      .leftJoin('department as d', 'd.id', 'e.departmentId')
      .select([
        'e.seq',
        'e.action',
        'e.fromState',
        'e.toState',
        'e.phase',
        'e.actorId',
        'p.name as actorName',
        'e.actorRole',
        'e.departmentId',
        'd.name as departmentName',
        'e.startedAt',
        'e.endedAt',
        'e.deadlineAt',
        'e.timeType',
        'e.onTime',
        'e.note',
        'e.payload',
      ])
      .where('e.caseId', '=', caseId)
      .orderBy('e.seq')
      .execute();
  }

  /** Grids of the beats an inspector holds. */
  async beatGridsOf(personId: number): Promise<number[]> {
    const rows = await this.db
      .selectFrom('beatGrid as bg')
      .innerJoin('beat as b', 'b.id', 'bg.beatId')
      .select('bg.gridId')
      .where('b.inspectorId', '=', personId)
      .execute();
    return rows.map((r) => r.gridId);
  }

  async gridHasBeat(gridId: number): Promise<boolean> {
    return !!(await this.db.selectFrom('beatGrid').select('gridId').where('gridId', '=', gridId).executeTakeFirst());
  }

  /**
   * A page of cases. `where` holds the scope and filters already built by the service;
   * urgent first, then the nearest deadline.
   */
  async list(where: ReturnType<typeof sql>[], limit: number, offset: number): Promise<{ items: CaseRow[]; total: number }> {
    const cond = where.length > 0 ? sql.join(where, sql` AND `) : sql`true`;
    const items = await sql<CaseRow>`
      SELECT ${CASE_COLUMNS} FROM case_file c WHERE ${cond}
      ORDER BY c.urgent DESC, coalesce(c.phase_deadline, 'infinity'::timestamptz), c.id DESC
      LIMIT ${limit} OFFSET ${offset}`.execute(this.db);
    const total = await sql<{ n: number }>`SELECT count(*)::int AS n FROM case_file c WHERE ${cond}`.execute(this.db);
    return { items: items.rows, total: total.rows[0]?.n ?? 0 };
  }

  /** Queue counts under `where` (scope and filters): 待办 with its lights, 待办 by state, 已办. */
  async counts(where: ReturnType<typeof sql>[], todo: ReturnType<typeof sql>, done: ReturnType<typeof sql>, now: Date) {
    const cond = where.length > 0 ? sql.join(where, sql` AND `) : sql`true`;
    const totals = await sql<{ todo: number; overdue: number; warning: number; urgent: number; done: number }>`
      SELECT count(*) FILTER (WHERE t.todo)::int AS todo,
             count(*) FILTER (WHERE t.todo AND c.phase_deadline < ${now})::int AS overdue,
             count(*) FILTER (WHERE t.todo AND c.phase_deadline >= ${now} AND l.light = 'yellow'
                                AND l.phase_started_at = c.phase_started_at AND l.deadline = c.phase_deadline)::int AS warning,
             count(*) FILTER (WHERE t.todo AND c.urgent)::int AS urgent,
             count(*) FILTER (WHERE ${done})::int AS done
      FROM case_file c
      LEFT JOIN case_light l ON l.case_id = c.id
      CROSS JOIN LATERAL (SELECT ${todo} AS todo) t
      WHERE ${cond}`.execute(this.db);
    const byState = await sql<{ state: string; n: number }>`
      SELECT c.state, count(*)::int AS n FROM case_file c WHERE ${cond} AND ${todo} GROUP BY c.state ORDER BY c.state`.execute(this.db);
    const t = totals.rows[0] ?? { todo: 0, overdue: 0, warning: 0, urgent: 0, done: 0 };
    return { ...t, todoByState: Object.fromEntries(byState.rows.map((r) => [r.state, r.n])) as Record<string, number> };
  }

  /** Every department the case's log names (those that held it, or acted on it). */
  async departmentsOf(caseId: number, db: Kysely<DB> = this.db): Promise<number[]> {
    const res = await sql<{ id: number }>`
      SELECT DISTINCT department_id AS id FROM case_event WHERE case_id = ${caseId} AND department_id IS NOT NULL ORDER BY 1`.execute(db);
    return res.rows.map((r) => r.id);
  }

  async departmentActive(id: number): Promise<boolean> {
    return !!(await this.db.selectFrom('department').select('id').where('id', '=', id).where('active', '=', true).executeTakeFirst());
  }

  async workflowFor(edition: string, kind: string, classCode: string, districtId: number | null): Promise<'standard' | 'flattened'> {
    const res = await sql<{ workflow: 'standard' | 'flattened' }>`
      SELECT workflow FROM workflow_binding
      WHERE edition = ${edition} AND kind = ${kind}
        AND (class_code IS NULL OR class_code = ${classCode} OR class_code = ${classCode.slice(0, 2)})
        AND (district_id IS NULL OR district_id = ${districtId})
      ORDER BY (district_id IS NOT NULL) DESC, length(coalesce(class_code, '')) DESC
      LIMIT 1`.execute(this.db);
    return res.rows[0]?.workflow ?? 'standard';
  }
}
