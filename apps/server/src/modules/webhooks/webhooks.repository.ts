import { type Kysely, sql } from 'kysely';
import type { DB } from '../../db/schema.ts';

/** Advisory lock key of the fan-out: one process turns outbox rows into deliveries at a time. */
export const FANOUT_LOCK = 7240117;

export type DeliveryStatus = 'pending' | 'delivered' | 'failed';

/** A subscription as the API shows it (never with its secret). */
export interface SubscriptionRow {
  id: number;
  name: string;
  url: string;
  eventTypes: string[];
  regionPrefix: string | null;
  /** Case sources delivered (hotline, public, …); empty = every source. */
  sources: string[];
  departmentId: number | null;
  active: boolean;
  timeoutMs: number;
  maxAttempts: number;
  createdBy: number | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface SubscriptionStats {
  pending: number;
  delivered: number;
  failed: number;
}

export interface DeliveryRow {
  id: number;
  deliveryKey: string;
  subscriptionId: number;
  eventId: number | null;
  caseId: number | null;
  seq: number | null;
  eventType: string;
  payload: Record<string, unknown>;
  status: DeliveryStatus;
  attempts: number;
  nextAttemptAt: Date;
  lastAttemptAt: Date | null;
  lastError: string | null;
  responseCode: number | null;
  responseMs: number | null;
  deliveredAt: Date | null;
  replays: number;
  createdAt: Date;
}

/** A delivery a worker claimed, with what it needs to send it. */
export interface ClaimedDelivery {
  id: number;
  deliveryKey: string;
  eventType: string;
  payload: Record<string, unknown>;
  attempts: number;
  url: string;
  secret: string;
  timeoutMs: number;
  maxAttempts: number;
}

/** How one attempt ended, as the worker writes it back. */
export interface AttemptOutcome {
  id: number;
  /** attempts when claimed: the write applies only if nobody else recorded an attempt meanwhile */
  attemptsBefore: number;
  status: DeliveryStatus;
  nextAttemptAt: Date;
  at: Date;
  error: string | null;
  code: number | null;
  ms: number;
}

const SUBSCRIPTION_COLUMNS = [
  'id',
  'name',
  'url',
  'eventTypes',
  'regionPrefix',
  'sources',
  'departmentId',
  'active',
  'timeoutMs',
  'maxAttempts',
  'createdBy',
  'createdAt',
  'updatedAt',
] as const;

const DELIVERY_COLUMNS = [
  'id',
  'deliveryKey',
  'subscriptionId',
  'eventId',
  'caseId',
  'seq',
  'eventType',
  'payload',
  'status',
  'attempts',
  'nextAttemptAt',
  'lastAttemptAt',
  'lastError',
  'responseCode',
  'responseMs',
  'deliveredAt',
  'replays',
  'createdAt',
] as const;

/** SQL over webhook_subscription, webhook_outbox and webhook_delivery. */
export class WebhooksRepository {
  constructor(private readonly db: Kysely<DB>) {}

  listSubscriptions(): Promise<SubscriptionRow[]> {
    return this.db.selectFrom('webhookSubscription').select(SUBSCRIPTION_COLUMNS).orderBy('id').execute();
  }

  async getSubscription(id: number, db: Kysely<DB> = this.db): Promise<SubscriptionRow | null> {
    return (await db.selectFrom('webhookSubscription').select(SUBSCRIPTION_COLUMNS).where('id', '=', id).executeTakeFirst()) ?? null;
  }

  /** A subscription with its secret (signing a ping). */
  async secretOf(id: number): Promise<string | null> {
    const row = await this.db.selectFrom('webhookSubscription').select('secret').where('id', '=', id).executeTakeFirst();
    return row?.secret ?? null;
  }

  /** Deliveries per status for each subscription. */
  async stats(): Promise<Map<number, SubscriptionStats>> {
    const rows = await sql<{ subscriptionId: number; status: DeliveryStatus; n: number }>`
      SELECT subscription_id, status, count(*)::int AS n FROM webhook_delivery GROUP BY 1, 2`.execute(this.db);
    const out = new Map<number, SubscriptionStats>();
    for (const r of rows.rows) {
      const s = out.get(r.subscriptionId) ?? { pending: 0, delivered: 0, failed: 0 };
      s[r.status] = r.n;
      out.set(r.subscriptionId, s);
    }
    return out;
  }

  async insertSubscription(
    v: {
      name: string;
      url: string;
      secret: string;
      eventTypes: string[];
      regionPrefix: string | null;
      sources: string[];
      departmentId: number | null;
      active: boolean;
      timeoutMs: number;
      maxAttempts: number;
      createdBy: number | null;
    },
    db: Kysely<DB>,
  ): Promise<SubscriptionRow> {
    return db.insertInto('webhookSubscription').values(v).returning(SUBSCRIPTION_COLUMNS).executeTakeFirstOrThrow();
  }

  async updateSubscription(id: number, patch: Record<string, unknown>, db: Kysely<DB>): Promise<SubscriptionRow | null> {
    const row = await db
      .updateTable('webhookSubscription')
      .set({ ...patch, updatedAt: sql`now()` } as never)
      .where('id', '=', id)
      .returning(SUBSCRIPTION_COLUMNS)
      .executeTakeFirst();
    return row ?? null;
  }

  async deleteSubscription(id: number, db: Kysely<DB>): Promise<boolean> {
    const res = await db.deleteFrom('webhookSubscription').where('id', '=', id).executeTakeFirst();
    return Number(res.numDeletedRows) > 0;
  }

  async anyActive(): Promise<boolean> {
    const row = await this.db.selectFrom('webhookSubscription').select('id').where('active', '=', true).limit(1).executeTakeFirst();
    return !!row;
  }

  async departmentExists(id: number): Promise<boolean> {
    return !!(await this.db.selectFrom('department').select('id').where('id', '=', id).executeTakeFirst());
  }

  /**
   * Turns up to `limit` outbox rows into one delivery per matching active subscription and
   * deletes them, in one transaction under the fan-out lock (another process holding it: skip).
   * One fan-out at a time is what keeps per-case order: a case's events commit in seq order, so
   * whenever a later event is visible in the outbox the earlier one is too, and the oldest-first
   * page takes both, or the earlier one was fanned out by a previous (committed) round.
   * The payload is what subscribers receive, fixed now; region codes come from the case row.
   */
  async fanOut(
    limit: number,
    now: Date,
    transaction: <T>(fn: (db: Kysely<DB>) => Promise<T>) => Promise<T>,
  ): Promise<{ skipped: boolean; taken: number; created: number }> {
    return transaction(async (db) => {
      const lock = await sql<{ ok: boolean }>`SELECT pg_try_advisory_xact_lock(${FANOUT_LOCK}) AS ok`.execute(db);
      if (!lock.rows[0]?.ok) return { skipped: true, taken: 0, created: 0 };
      const res = await sql<{ taken: number; created: number }>`
        WITH taken AS (
          DELETE FROM webhook_outbox o
          WHERE o.id IN (SELECT id FROM webhook_outbox ORDER BY id LIMIT ${limit})
          RETURNING o.event_id
        ),
        ins AS (
          INSERT INTO webhook_delivery (subscription_id, event_id, case_id, seq, event_type, payload, next_attempt_at)
          SELECT s.id, e.id, e.case_id, e.seq, e.action,
                 jsonb_build_object(
                   'type', e.action, 'eventId', e.id, 'occurredAt', e.ended_at,
                   'case', jsonb_build_object(
                     'id', c.id, 'number', c.number, 'seq', e.seq, 'state', e.to_state, 'fromState', e.from_state,
                     'phase', e.phase, 'kind', c.kind, 'edition', c.edition, 'classCode', c.class_code,
                     'source', c.source, 'channel', c.channel, 'sourceRef', c.source_ref, 'urgent', c.urgent,
                     'regions', jsonb_build_object('district', rd.code, 'street', rs.code, 'community', rc.code, 'grid', rg.code),
                     'department', CASE WHEN dep.id IS NULL THEN NULL
                                        ELSE jsonb_build_object('id', dep.id, 'code', dep.code, 'name', dep.name) END,
                     'link', '/cases/' || c.id)),
                 ${now}::timestamptz
          FROM taken t
          JOIN case_event e ON e.id = t.event_id
          JOIN case_file c ON c.id = e.case_id
          LEFT JOIN region rd ON rd.id = c.district_id
          LEFT JOIN region rs ON rs.id = c.street_id
          LEFT JOIN region rc ON rc.id = c.community_id
          LEFT JOIN region rg ON rg.id = c.grid_id
          LEFT JOIN department dep ON dep.id = e.department_id
          JOIN webhook_subscription s ON s.active
            AND (cardinality(s.event_types) = 0 OR e.action = ANY (s.event_types))
            AND (s.department_id IS NULL OR s.department_id = e.department_id)
            AND (cardinality(s.sources) = 0 OR c.source = ANY (s.sources))
            AND (s.region_prefix IS NULL OR starts_with(rd.code, s.region_prefix) OR starts_with(rs.code, s.region_prefix)
                 OR starts_with(rc.code, s.region_prefix) OR starts_with(rg.code, s.region_prefix))
          ORDER BY e.id, s.id
          ON CONFLICT (subscription_id, event_id) DO NOTHING
          RETURNING 1
        )
        SELECT (SELECT count(*) FROM taken)::int AS taken, (SELECT count(*) FROM ins)::int AS created`.execute(db);
      const r = res.rows[0] ?? { taken: 0, created: 0 };
      return { skipped: false, taken: r.taken, created: r.created };
    });
  }

  /**
   * Claims up to `n` deliveries that are due, leasing each until its request timeout (plus
   * `marginMs`) has passed. Per (subscription, case) only the oldest pending event is eligible,
   * so a case's later events wait while an earlier one is in flight or between retries; a
   * subscription has at most `perSubscription` deliveries in flight across all processes, so a
   * slow receiver holds its own share of the workers and no more. Rows another worker is
   * claiming are skipped (FOR UPDATE SKIP LOCKED), so several processes share the work.
   */
  async claim(n: number, perSubscription: number, now: Date, marginMs: number, inFlight: number[] = []): Promise<ClaimedDelivery[]> {
    const res = await sql<ClaimedDelivery>`
      WITH busy AS (
        SELECT subscription_id, count(*)::int AS n FROM webhook_delivery
        WHERE status = 'pending' AND locked_until > ${now}::timestamptz
        GROUP BY subscription_id
      ),
      -- The oldest eligible rows (webhook_delivery_due), a bounded page, then ranked per subscription.
      eligible AS (
        SELECT d.id, d.subscription_id, d.next_attempt_at
        FROM webhook_delivery d
        JOIN webhook_subscription s ON s.id = d.subscription_id AND s.active
        WHERE d.status = 'pending' AND d.next_attempt_at <= ${now}::timestamptz
          AND (d.locked_until IS NULL OR d.locked_until <= ${now}::timestamptz)
          -- Never a second copy of what this process is still sending (its lease ran out under load).
          AND d.id <> ALL(${inFlight}::bigint[])
          -- A subscription with all its slots in flight (a hanging receiver) does not fill the page.
          AND d.subscription_id NOT IN (SELECT subscription_id FROM busy WHERE n >= ${perSubscription})
          AND (d.case_id IS NULL OR NOT EXISTS (
            SELECT 1 FROM webhook_delivery p
            WHERE p.subscription_id = d.subscription_id AND p.case_id = d.case_id AND p.status = 'pending' AND p.seq < d.seq))
        ORDER BY d.next_attempt_at, d.id
        LIMIT ${n * 8}
      ),
      ready AS (
        SELECT e.*, row_number() OVER (PARTITION BY e.subscription_id ORDER BY e.next_attempt_at, e.id) AS rn FROM eligible e
      ),
      pick AS (
        SELECT d.id FROM webhook_delivery d
        WHERE d.id IN (
          SELECT r.id FROM ready r LEFT JOIN busy b ON b.subscription_id = r.subscription_id
          WHERE r.rn + coalesce(b.n, 0) <= ${perSubscription}
          ORDER BY r.next_attempt_at, r.id
          LIMIT ${n})
          AND d.status = 'pending' AND (d.locked_until IS NULL OR d.locked_until <= ${now}::timestamptz)
        FOR UPDATE SKIP LOCKED
      )
      UPDATE webhook_delivery d
      SET locked_until = ${now}::timestamptz + make_interval(secs => (s.timeout_ms + ${marginMs}) / 1000.0)
      FROM pick, webhook_subscription s
      WHERE d.id = pick.id AND s.id = d.subscription_id
      RETURNING d.id, d.delivery_key, d.event_type, d.payload, d.attempts, s.url, s.secret, s.timeout_ms, s.max_attempts`.execute(this.db);
    return res.rows;
  }

  /** Writes attempts back; an attempt recorded meanwhile by another worker (lease taken over) wins. */
  async finish(outcomes: AttemptOutcome[]): Promise<void> {
    if (outcomes.length === 0) return;
    await sql`
      UPDATE webhook_delivery d SET
        status = r.status, attempts = d.attempts + 1, next_attempt_at = r.next_at, locked_until = NULL,
        last_attempt_at = r.at, last_error = r.error, response_code = r.code, response_ms = r.ms,
        delivered_at = CASE WHEN r.status = 'delivered' THEN r.at ELSE d.delivered_at END
      FROM unnest(${outcomes.map((o) => o.id)}::bigint[], ${outcomes.map((o) => o.attemptsBefore)}::int[],
                  ${outcomes.map((o) => o.status)}::text[], ${outcomes.map((o) => o.nextAttemptAt.toISOString())}::timestamptz[],
                  ${outcomes.map((o) => o.at.toISOString())}::timestamptz[], ${outcomes.map((o) => o.error)}::text[],
                  ${outcomes.map((o) => o.code)}::int[], ${outcomes.map((o) => o.ms)}::int[])
        AS r(id, attempts_before, status, next_at, at, error, code, ms)
      WHERE d.id = r.id AND d.attempts = r.attempts_before AND d.status = 'pending'`.execute(this.db);
  }

  /** Gives claimed deliveries back without counting an attempt (the worker is stopping). */
  async release(ids: number[]): Promise<void> {
    if (ids.length === 0) return;
    await sql`UPDATE webhook_delivery SET locked_until = NULL WHERE id = ANY(${ids}::bigint[]) AND status = 'pending'`.execute(this.db);
  }

  async listDeliveries(
    subscriptionId: number,
    filter: { status?: DeliveryStatus; caseId?: number; limit: number; offset: number },
  ): Promise<{ items: DeliveryRow[]; total: number }> {
    let q = this.db.selectFrom('webhookDelivery').where('subscriptionId', '=', subscriptionId);
    if (filter.status) q = q.where('status', '=', filter.status);
    if (filter.caseId) q = q.where('caseId', '=', filter.caseId);
    const items = await q.select(DELIVERY_COLUMNS).orderBy('id', 'desc').limit(filter.limit).offset(filter.offset).execute();
    const total = await q.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirst();
    return { items: items as DeliveryRow[], total: Number(total?.n ?? 0) };
  }

  async getDelivery(id: number): Promise<DeliveryRow | null> {
    const row = await this.db.selectFrom('webhookDelivery').select(DELIVERY_COLUMNS).where('id', '=', id).executeTakeFirst();
    return (row as DeliveryRow | undefined) ?? null;
  }

  /** Puts deliveries back in the queue with a fresh attempt count (replay). Returns how many. */
  async requeue(where: { id?: number; subscriptionId?: number; status?: DeliveryStatus }, now: Date, db: Kysely<DB>): Promise<number> {
    let q = db
      .updateTable('webhookDelivery')
      .set({
        status: 'pending',
        attempts: 0,
        nextAttemptAt: now,
        lockedUntil: null,
        replays: sql`replays + 1`,
      } as never)
      // One in flight is left alone: its outcome is about to be written.
      .where((eb) => eb.or([eb('status', '<>', 'pending'), eb('lockedUntil', 'is', null), eb('lockedUntil', '<=', now)]));
    if (where.id !== undefined) q = q.where('id', '=', where.id);
    if (where.subscriptionId !== undefined) q = q.where('subscriptionId', '=', where.subscriptionId);
    if (where.status !== undefined) q = q.where('status', '=', where.status);
    const res = await q.executeTakeFirst();
    return Number(res.numUpdatedRows);
  }

  /** Records a test ping and its outcome (sent synchronously, never retried). */
  async insertPing(
    v: { subscriptionId: number; payload: Record<string, unknown>; outcome: Omit<AttemptOutcome, 'id' | 'attemptsBefore'> },
    deliveryKey: string,
  ): Promise<DeliveryRow> {
    const o = v.outcome;
    const row = await this.db
      .insertInto('webhookDelivery')
      .values({
        deliveryKey,
        subscriptionId: v.subscriptionId,
        eventType: 'ping',
        payload: JSON.stringify(v.payload),
        status: o.status,
        attempts: 1,
        nextAttemptAt: o.at,
        lastAttemptAt: o.at,
        lastError: o.error,
        responseCode: o.code,
        responseMs: o.ms,
        deliveredAt: o.status === 'delivered' ? o.at : null,
      })
      .returning(DELIVERY_COLUMNS)
      .executeTakeFirstOrThrow();
    return row as DeliveryRow;
  }

  /** Drops delivered rows older than `before` (the log keeps failures until replayed or deleted). */
  async prune(before: Date, limit = 10_000): Promise<number> {
    const res = await sql`
      DELETE FROM webhook_delivery WHERE id IN (
        SELECT id FROM webhook_delivery WHERE status = 'delivered' AND delivered_at < ${before}::timestamptz LIMIT ${limit})`.execute(
      this.db,
    );
    return Number(res.numAffectedRows ?? 0);
  }
}
