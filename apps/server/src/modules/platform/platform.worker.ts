import type { Context } from '../../context.ts';
import type { OutboxItem, PlatformRepository } from './platform.repository.ts';

/** A call to the other platform failed; the outbox retries it. */
export class RemoteError extends Error {
  constructor(
    message: string,
    readonly status: number | null,
    readonly code: string | null,
  ) {
    super(message);
  }
}

export interface PlatformWorkerOptions {
  /** How often to look for due items. */
  pollMs: number;
  /** Items sent at once by this process. */
  concurrency: number;
  /** Retry n waits a random time between half and all of min(maxMs, firstMs · 2^(n-1)). */
  backoff: { firstMs: number; maxMs: number };
  /** After this many attempts an item is marked failed (retried by hand from the console or API). */
  maxAttempts: number;
  /** A claim lasts this long; then another process may take the item over. */
  leaseMs: number;
}

export const DEFAULT_PLATFORM_WORKER: PlatformWorkerOptions = {
  pollMs: 2_000,
  concurrency: 4,
  backoff: { firstMs: 2_000, maxMs: 10 * 60_000 },
  // A day of retries at the longest wait: a platform down for maintenance catches up afterwards.
  maxAttempts: 200,
  leaseMs: 60_000,
};

/**
 * Sends the platform outbox to the other side: claims due items (per link and case only the
 * oldest pending one, so steps arrive in order), delivers each without holding a database
 * connection during the call, and records the outcome; failures wait with backoff.
 */
export class PlatformWorker {
  #timer: NodeJS.Timeout | null = null;
  #running: Promise<void> | null = null;
  #stopped = true;
  #again = false;
  readonly stats = { delivered: 0, retried: 0 };

  constructor(
    private readonly ctx: Context,
    private readonly repo: PlatformRepository,
    private readonly deliver: (item: OutboxItem) => Promise<unknown>,
    public options: PlatformWorkerOptions = DEFAULT_PLATFORM_WORKER,
  ) {}

  start(): void {
    if (!this.#stopped) return;
    this.#stopped = false;
    this.#schedule(0);
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    await this.#running;
  }

  /** Look now (an item was queued or requeued by this process). */
  wake(): void {
    if (this.#stopped) return;
    if (this.#running) this.#again = true;
    else this.#schedule(0);
  }

  /** One pass: deliver everything due now. Exposed for tests and the CLI. */
  async runOnce(): Promise<number> {
    let n = 0;
    for (;;) {
      const items = await this.repo.claim(this.options.concurrency, this.ctx.now(), this.options.leaseMs);
      if (items.length === 0) return n;
      await Promise.all(items.map((i) => this.#send(i)));
      n += items.length;
      if (this.#stopped) return n;
    }
  }

  #schedule(ms: number) {
    if (this.#stopped) return;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.#timer = null;
      this.#running = this.runOnce()
        .then(() => undefined)
        .catch(() => undefined)
        .finally(() => {
          this.#running = null;
          const again = this.#again;
          this.#again = false;
          this.#schedule(again ? 0 : this.options.pollMs);
        });
    }, ms);
    this.#timer.unref?.();
  }

  async #send(item: OutboxItem) {
    const repo = this.repo;
    try {
      const result = await this.deliver(item);
      await repo.done(item.id, result, this.ctx.now());
      this.stats.delivered++;
    } catch (err) {
      this.stats.retried++;
      const { firstMs, maxMs } = this.options.backoff;
      const full = Math.min(maxMs, firstMs * 2 ** item.attempts);
      const wait = Math.round(full / 2 + (Math.random() * full) / 2);
      const message = err instanceof RemoteError ? err.message : `${(err as Error).name}: ${(err as Error).message}`;
      await repo.retry(item.id, message, new Date(this.ctx.now().getTime() + wait), this.options.maxAttempts).catch(() => undefined);
    }
  }
}
