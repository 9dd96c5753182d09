import type { Context } from '../../context.ts';
import type { AttemptOutcome, ClaimedDelivery, WebhooksRepository } from './webhooks.repository.ts';
import { send } from './webhooks.sender.ts';
import { DELIVERY_HEADER, EVENT_HEADER, SIGNATURE_HEADER, sign } from './webhooks.signature.ts';

export interface WorkerOptions {
  /** Deliveries in flight at once in this process. */
  concurrency: number;
  /** Deliveries of one subscription in flight at once, across processes (a slow receiver holds no more). */
  perSubscription: number;
  /** How often to look for due retries and other processes' work while subscriptions exist. */
  pollMs: number;
  /** How often to check whether any subscription became active (none: nothing else runs). */
  idlePollMs: number;
  /** Retry n waits a random time between half and all of min(maxMs, firstMs · 2^(n-1)). */
  backoff: { firstMs: number; maxMs: number };
  /** A claim lasts the request timeout plus this; then another worker may take the delivery over. */
  leaseMarginMs: number;
  /** Outbox rows turned into deliveries per fan-out statement. */
  fanoutBatch: number;
  /**
   * Rounds start at least this far apart, so the attempts that ended and the events that
   * committed meanwhile are handled by one round (a few statements) rather than one each.
   */
  batchMs: number;
  /** Delivered rows are dropped from the log after this many days (failures stay). */
  retentionDays: number;
}

export const DEFAULT_WORKER_OPTIONS: WorkerOptions = {
  concurrency: 64,
  perSubscription: 16,
  pollMs: 1_000,
  idlePollMs: 10_000,
  backoff: { firstMs: 5_000, maxMs: 30 * 60_000 },
  leaseMarginMs: 5_000,
  fanoutBatch: 2_000,
  batchMs: 25,
  retentionDays: 14,
};

/** The wait before retry `attempt` (1 = the first retry), with jitter. */
export function backoffMs(attempt: number, b: WorkerOptions['backoff'], random = Math.random): number {
  const full = Math.min(b.maxMs, b.firstMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(full / 2 + (random() * full) / 2);
}

/** The JSON a receiver gets; the same bytes on every attempt of a delivery. */
export function bodyOf(deliveryKey: string, payload: Record<string, unknown>): string {
  const occurredAt = payload.occurredAt ? new Date(payload.occurredAt as string).toISOString() : undefined;
  return JSON.stringify({ deliveryId: deliveryKey, ...payload, ...(occurredAt ? { occurredAt } : {}) });
}

/** Signs and sends one delivery body. */
export function sendSigned(
  d: { url: string; secret: string; deliveryKey: string; eventType: string; timeoutMs: number; attempt: number },
  body: string,
  signal?: AbortSignal,
) {
  const t = Math.floor(Date.now() / 1000);
  return send(
    d.url,
    {
      [SIGNATURE_HEADER]: sign(d.secret, body, t),
      [EVENT_HEADER]: d.eventType,
      [DELIVERY_HEADER]: d.deliveryKey,
      'x-cityloop-attempt': String(d.attempt),
    },
    body,
    d.timeoutMs,
    signal,
  );
}

/**
 * The delivery loop of one server process. Each round writes back finished attempts, fans new
 * outbox rows out to deliveries and claims as many due deliveries as it has free slots; the
 * HTTP requests run outside any transaction or held connection (PGlite has one), and each one
 * that ends wakes the loop. It is woken by committed case events (the realtime service: NOTIFY
 * on PostgreSQL, in-process on PGlite), by attempts ending, and by a timer for retries.
 */
export class WebhookWorker {
  options: WorkerOptions;
  private running: Promise<void> | null = null;
  private stopped = true;
  private woken = false;
  private wakeUp: (() => void) | null = null;
  private readonly inflight = new Map<number, AbortController>();
  private outcomes: AttemptOutcome[] = [];
  private released: number[] = [];
  private armed = false;
  /** Case events committed since the last fan-out (or the timer fired): look at the outbox. */
  private fanoutDue = true;
  private lastRound = 0;
  private unsubscribe: (() => void) | null = null;
  private lastPrune = 0;
  /** Counters for health checks, tests and the benchmark. */
  readonly stats = { rounds: 0, fannedOut: 0, created: 0, attempts: 0, delivered: 0, retried: 0, failed: 0, errors: 0 };

  constructor(
    private readonly ctx: Context,
    private readonly repo: WebhooksRepository,
    options: Partial<WorkerOptions> = {},
    private readonly onError: (err: unknown) => void = () => {},
  ) {
    this.options = { ...DEFAULT_WORKER_OPTIONS, ...options };
  }

  get started(): boolean {
    return !this.stopped;
  }

  /** Deliveries being sent by this process now. */
  get inFlight(): number {
    return this.inflight.size;
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.running = this.loop();
  }

  /** Stops: aborts requests in flight (their deliveries go back to the queue unattempted) and waits for the loop. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    for (const c of this.inflight.values()) c.abort();
    this.wake();
    await this.running;
    this.running = null;
    this.unsubscribe?.();
    this.unsubscribe = null;
  }

  /** Runs a round soon (a case event committed, a subscription or delivery changed). */
  wake(): void {
    this.woken = true;
    this.wakeUp?.();
  }

  /** Re-reads whether there is anything to deliver for (after a subscription changed). */
  rearm(): void {
    this.armed = false;
    this.lastArmCheck = 0;
    this.fanoutDue = true;
    this.wake();
  }

  private lastArmCheck = 0;

  private async loop(): Promise<void> {
    while (!this.stopped) {
      let more = false;
      try {
        more = await this.round();
      } catch (err) {
        this.stats.errors++;
        this.onError(err);
      }
      if (this.stopped) break;
      if (!(more && this.inflight.size < this.options.concurrency)) {
        const woken = await this.sleep(this.armed ? this.options.pollMs : this.options.idlePollMs);
        if (!woken) this.fanoutDue = true;
      }
      const wait = this.lastRound + this.options.batchMs - Date.now();
      if (wait > 0 && !this.stopped) await new Promise((r) => setTimeout(r, wait));
    }
    // Let aborted requests settle, then write back what finished and release the rest.
    while (this.inflight.size > 0) await this.sleep(10);
    await this.flush().catch((err) => this.onError(err));
  }

  /** Waits up to `ms`; true when woken before that. */
  private sleep(ms: number): Promise<boolean> {
    if (this.woken) {
      this.woken = false;
      return Promise.resolve(true);
    }
    return new Promise((resolve) => {
      const timer = setTimeout(() => done(false), ms);
      timer.unref();
      const done = (woken: boolean) => {
        clearTimeout(timer);
        this.wakeUp = null;
        resolve(woken);
      };
      this.wakeUp = () => {
        this.woken = false;
        done(true);
      };
    });
  }

  private async flush(): Promise<void> {
    if (this.outcomes.length > 0) {
      const batch = this.outcomes;
      this.outcomes = [];
      await this.repo.finish(batch);
    }
    if (this.released.length > 0) {
      const ids = this.released;
      this.released = [];
      await this.repo.release(ids);
    }
  }

  /** One round; true when it filled every free slot (more may be waiting). */
  private async round(): Promise<boolean> {
    this.stats.rounds++;
    this.lastRound = Date.now();
    await this.flush();
    const now = this.ctx.now();
    if (!this.armed || now.getTime() - this.lastArmCheck > this.options.idlePollMs) {
      this.lastArmCheck = now.getTime();
      this.armed = await this.repo.anyActive();
      if (this.armed && !this.unsubscribe) {
        // Every committed case event wakes the loop; the outbox row is in the same commit.
        this.unsubscribe = await this.ctx.services.realtime.subscribe(() => {
          this.fanoutDue = true;
          this.wake();
        });
        if (this.stopped) return false;
      }
    }
    if (!this.armed) {
      // Nothing to deliver for: case events need not wake this loop until a subscription is active.
      this.unsubscribe?.();
      this.unsubscribe = null;
      return false;
    }

    const { fanoutBatch } = this.options;
    for (; this.fanoutDue; ) {
      this.fanoutDue = false;
      const r = await this.repo.fanOut(fanoutBatch, this.ctx.now(), (fn) => this.ctx.database.transaction((tx) => fn(tx.db)));
      this.stats.fannedOut += r.taken;
      this.stats.created += r.created;
      if (r.skipped || this.stopped) break;
      if (r.taken >= fanoutBatch) this.fanoutDue = true;
    }

    if (Date.now() - this.lastPrune > 3_600_000) {
      this.lastPrune = Date.now();
      await this.repo.prune(new Date(this.ctx.now().getTime() - this.options.retentionDays * 86_400_000));
    }

    const free = this.options.concurrency - this.inflight.size;
    if (free <= 0 || this.stopped) return false;
    const claimed = await this.repo.claim(free, this.options.perSubscription, this.ctx.now(), this.options.leaseMarginMs, [
      ...this.inflight.keys(),
    ]);
    for (const d of claimed) this.attempt(d);
    return claimed.length === free;
  }

  private attempt(d: ClaimedDelivery): void {
    const abort = new AbortController();
    this.inflight.set(d.id, abort);
    this.stats.attempts++;
    const attempt = d.attempts + 1;
    void sendSigned({ ...d, attempt }, bodyOf(d.deliveryKey, d.payload), abort.signal)
      .then((r) => {
        if (abort.signal.aborted) {
          this.released.push(d.id);
          return;
        }
        const at = this.ctx.now();
        let status: AttemptOutcome['status'] = 'delivered';
        let next = at;
        if (r.ok) this.stats.delivered++;
        else if (attempt >= d.maxAttempts) {
          status = 'failed';
          this.stats.failed++;
        } else {
          status = 'pending';
          next = new Date(at.getTime() + backoffMs(attempt, this.options.backoff));
          this.stats.retried++;
        }
        this.outcomes.push({
          id: d.id,
          attemptsBefore: d.attempts,
          status,
          nextAttemptAt: next,
          at,
          error: r.error,
          code: r.code,
          ms: r.ms,
        });
      })
      .finally(() => {
        this.inflight.delete(d.id);
        this.wake();
      });
  }
}
