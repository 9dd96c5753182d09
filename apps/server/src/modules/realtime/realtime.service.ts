import { EventEmitter } from 'node:events';
import { type Kysely, sql } from 'kysely';
import pg from 'pg';
import type { Context } from '../../context.ts';
import type { DB } from '../../db/schema.ts';
import type { Auth } from '../auth/auth.service.ts';
import { type EventScope, scopeOf } from './realtime.scope.ts';
import { CASE_EVENT_TYPES, type CaseEvent, type DeliveredEvent, EVENTS_CHANNEL } from './realtime.types.ts';

export type PublishInput = Omit<CaseEvent, 'at'> & { at?: string | Date };

export interface RealtimeOptions {
  /**
   * PostgreSQL URL for this process's dedicated LISTEN connection (default: the configured
   * DATABASE_URL). Without one, events are fanned out inside this process only.
   */
  url?: string | null;
  /** How many recent events are kept for replay to reconnecting clients (Last-Event-ID). */
  ringSize?: number;
  /** Reconnect backoff of the LISTEN connection: first delay and cap, in ms. */
  backoffMs?: { first: number; max: number };
  /** SSE keep-alive comment interval (default 15 s) and the reconnect delay suggested to clients (`retry:`, default 3 s). */
  heartbeatMs?: number;
  retryMs?: number;
}

export type Listener = (e: DeliveredEvent) => void;

const MAX_PAYLOAD = 7900; // NOTIFY refuses payloads of 8000 bytes or more.

function normalise(input: PublishInput): CaseEvent {
  if (!CASE_EVENT_TYPES.includes(input.type)) throw new Error(`unknown event type ${String(input.type)}`);
  if (!Number.isInteger(input.caseId)) throw new Error('caseId must be an integer');
  const at = input.at === undefined ? new Date() : new Date(input.at);
  const e: CaseEvent = { ...input, at: at.toISOString() };
  for (const k of Object.keys(e) as Array<keyof CaseEvent>) if (e[k] === undefined) delete e[k];
  return e;
}

/**
 * Fans case events out to every server process, then to the SSE streams of this process.
 *
 * On PostgreSQL with a URL, events travel as `NOTIFY cityloop_events` and each process keeps
 * one dedicated LISTEN connection (opened on the first subscriber, reconnected with backoff);
 * a process also receives its own notifications that way. Otherwise (PGlite: one process)
 * events are delivered in-process; `publishInTx` then waits for the transaction's outcome
 * (`pg_xact_status`) so a rolled-back change is never announced.
 */
export class RealtimeService {
  private readonly emitter = new EventEmitter();
  private readonly url: string | null;
  private readonly ringSize: number;
  private readonly backoff: { first: number; max: number };
  readonly heartbeatMs: number;
  readonly retryMs: number;
  private readonly ring: DeliveredEvent[] = [];
  /** Starts from the clock so ids keep growing across restarts of this process. */
  private seq = Date.now() * 1000;
  private client: pg.Client | null = null;
  private connecting: Promise<void> | null = null;
  private reconnectTimer: NodeJS.Timeout | null = null;
  private attempt = 0;
  private closed = false;
  private readonly pending = new Set<Promise<unknown>>();
  /** Counters for health checks and tests. */
  readonly stats = { published: 0, delivered: 0, reconnects: 0, dropped: 0 };

  constructor(
    private readonly ctx: Context,
    opts: RealtimeOptions = {},
  ) {
    this.url = ctx.database.kind === 'postgres' ? (opts.url ?? ctx.config.databaseUrl ?? null) : null;
    this.ringSize = opts.ringSize ?? 1000;
    this.backoff = opts.backoffMs ?? { first: 250, max: 30_000 };
    this.heartbeatMs = opts.heartbeatMs ?? 15_000;
    this.retryMs = opts.retryMs ?? 3_000;
    this.emitter.setMaxListeners(0);
  }

  /** 'notify': across processes through PostgreSQL; 'local': this process only. */
  get mode(): 'notify' | 'local' {
    return this.url ? 'notify' : 'local';
  }

  /** Whether the LISTEN connection is up (always true in local mode). */
  get listening(): boolean {
    return this.mode === 'local' || this.client !== null;
  }

  /** Publishes now (outside any transaction). */
  async publish(input: PublishInput): Promise<void> {
    const e = normalise(input);
    this.stats.published++;
    if (this.url) {
      await sql`SELECT pg_notify(${EVENTS_CHANNEL}, ${payloadOf(e)})`.execute(this.ctx.db);
    } else {
      this.deliver(e);
    }
  }

  /**
   * Publishes from inside the caller's transaction (`tx.db`): the event goes out only if and
   * when that transaction commits.
   */
  async publishInTx(db: Kysely<DB>, input: PublishInput | PublishInput[]): Promise<void> {
    const events = (Array.isArray(input) ? input : [input]).map(normalise);
    if (events.length === 0) return;
    this.stats.published += events.length;
    if (this.url) {
      await sql`SELECT pg_notify(${EVENTS_CHANNEL}, p) FROM unnest(${events.map(payloadOf)}::text[]) AS p`.execute(db);
      return;
    }
    const { rows } = await sql<{ xid: string }>`SELECT pg_current_xact_id()::text AS xid`.execute(db);
    const xid = rows[0]?.xid as string;
    this.track(this.afterCommit(xid, events));
  }

  /**
   * For writers that send events from inside their own SQL statement (a batch insert that is its
   * own transaction): the NOTIFY channel to call pg_notify on, or null when events are delivered
   * in-process (then call `committed` after the statement succeeded).
   */
  get notifyChannel(): string | null {
    return this.url ? EVENTS_CHANNEL : null;
  }

  /** An event as a JSON object without its caseId, for SQL to complete per row. */
  template(input: Omit<PublishInput, 'caseId'>): Record<string, unknown> {
    const { caseId: _id, ...rest } = normalise({ ...input, caseId: 0 } as PublishInput);
    return rest;
  }

  /** Announces events whose statement has committed (in-process mode; a no-op when NOTIFY carried them). */
  committed(events: PublishInput[]): void {
    this.stats.published += events.length;
    if (this.url) return;
    for (const e of events) this.deliver(normalise(e));
  }

  /** Delivers `events` once transaction `xid` has committed; drops them if it rolled back. */
  private async afterCommit(xid: string, events: CaseEvent[]): Promise<void> {
    // On PGlite the query queues behind the caller's transaction (one connection, FIFO), so the
    // first answer is final; on a PostgreSQL pool it may run first and see 'in progress'.
    let wait = 2;
    for (let i = 0; i < 40 && !this.closed; i++) {
      const { rows } = await sql<{ status: string | null }>`SELECT pg_xact_status(${xid}::xid8) AS status`.execute(this.ctx.db);
      const status = rows[0]?.status;
      if (status === 'committed') {
        for (const e of events) this.deliver(e);
        return;
      }
      if (status !== 'in progress') {
        this.stats.dropped += events.length;
        return;
      }
      await new Promise((r) => setTimeout(r, wait));
      wait = Math.min(wait * 2, 500);
    }
  }

  private track(p: Promise<unknown>) {
    const guarded = p.catch(() => {});
    this.pending.add(guarded);
    void guarded.finally(() => this.pending.delete(guarded));
  }

  /** Waits until deliveries queued by publishInTx have settled (tests, shutdown). */
  async flush(): Promise<void> {
    while (this.pending.size > 0) await Promise.all([...this.pending]);
  }

  /** Numbers an event, keeps it for replay, and hands it to this process's subscribers. */
  private deliver(e: CaseEvent) {
    const d: DeliveredEvent = { ...e, id: ++this.seq };
    this.ring.push(d);
    if (this.ring.length > this.ringSize) this.ring.splice(0, this.ring.length - this.ringSize);
    this.stats.delivered++;
    this.emitter.emit('event', d);
  }

  /**
   * Subscribes to every event this process receives. Resolves once the LISTEN connection is
   * up (or is being retried), with the unsubscribe function. `onResync` fires after a lost
   * LISTEN connection came back: events may have been missed meanwhile.
   */
  async subscribe(fn: Listener, onResync?: () => void): Promise<() => void> {
    this.emitter.on('event', fn);
    if (onResync) this.emitter.on('resync', onResync);
    if (this.url && !this.client) await this.startListening();
    return () => {
      this.emitter.off('event', fn);
      if (onResync) this.emitter.off('resync', onResync);
    };
  }

  /** Events after `lastId` still in the ring; null when some of them have been evicted (a gap). */
  since(lastId: number): DeliveredEvent[] | null {
    if (lastId === this.seq) return [];
    // Ahead of this process (another process's or an earlier run's numbering): unknown.
    if (lastId > this.seq) return null;
    const first = this.ring[0];
    if (!first || lastId < first.id - 1) return null;
    return this.ring.filter((e) => e.id > lastId);
  }

  /** The id of the newest event delivered in this process. */
  get lastId(): number {
    return this.seq;
  }

  /** The event scope of a caller (loads an inspector's beat grids). */
  scopeFor(auth: Auth): Promise<EventScope> {
    return scopeOf(auth, async (personId) => {
      const rows = await this.ctx.db
        .selectFrom('beatGrid as bg')
        .innerJoin('beat as b', 'b.id', 'bg.beatId')
        .select('bg.gridId')
        .where('b.inspectorId', '=', personId)
        .execute();
      return rows.map((r) => Number(r.gridId));
    });
  }

  /** Opens the LISTEN connection once; concurrent callers share the attempt. */
  private startListening(): Promise<void> {
    if (this.client || this.closed) return Promise.resolve();
    this.connecting ??= this.connect()
      .catch(() => this.scheduleReconnect())
      .finally(() => {
        this.connecting = null;
      });
    return this.connecting;
  }

  private async connect(): Promise<void> {
    const client = new pg.Client({ connectionString: this.url as string, application_name: 'cityloop-events' });
    let gone = false;
    const lost = () => {
      if (gone) return;
      gone = true;
      if (this.client === client) this.client = null;
      client.removeAllListeners('notification');
      void client.end().catch(() => {});
      this.scheduleReconnect();
    };
    client.on('error', lost);
    client.on('end', lost);
    client.on('notification', (m) => {
      if (m.channel !== EVENTS_CHANNEL || !m.payload) return;
      try {
        this.deliver(JSON.parse(m.payload) as CaseEvent);
      } catch {
        // Not ours or malformed: ignore.
      }
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${EVENTS_CHANNEL}`);
    } catch (err) {
      gone = true;
      client.removeAllListeners();
      client.on('error', () => {});
      void client.end().catch(() => {});
      throw err;
    }
    if (this.closed) {
      gone = true;
      await client.end().catch(() => {});
      return;
    }
    this.client = client;
    const reconnected = this.attempt > 0;
    this.attempt = 0;
    if (reconnected) {
      this.stats.reconnects++;
      this.emitter.emit('resync');
    }
  }

  private scheduleReconnect() {
    if (this.closed || this.reconnectTimer) return;
    const delay = Math.min(this.backoff.max, this.backoff.first * 2 ** this.attempt) * (0.75 + Math.random() * 0.5);
    this.attempt++;
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      void this.startListening();
    }, delay);
    this.reconnectTimer.unref();
  }

  /** The backend pid of the LISTEN connection (tests drop it to exercise reconnects). */
  async listenerPid(): Promise<number | null> {
    if (!this.client) return null;
    const { rows } = await this.client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
    return rows[0]?.pid ?? null;
  }

  /** Stops listening and drops every subscriber. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = null;
    await this.connecting?.catch(() => {});
    const client = this.client;
    this.client = null;
    if (client) {
      client.removeAllListeners();
      client.on('error', () => {});
      await client.end().catch(() => {});
    }
    this.emitter.emit('close');
    this.emitter.removeAllListeners();
  }

  /** Runs `fn` when the service closes (SSE streams end themselves then). */
  onClose(fn: () => void): () => void {
    this.emitter.once('close', fn);
    return () => this.emitter.off('close', fn);
  }
}

function payloadOf(e: CaseEvent): string {
  const json = JSON.stringify(e);
  if (Buffer.byteLength(json) > MAX_PAYLOAD) throw new Error(`event payload too large (${Buffer.byteLength(json)} bytes)`);
  return json;
}

/** The realtime service of a context (registered as ctx.services.realtime). */
export function realtimeOf(ctx: Context): RealtimeService {
  const services = ctx.services as Context['services'] & { realtime?: RealtimeService };
  if (!services.realtime) services.realtime = new RealtimeService(ctx);
  return services.realtime;
}
