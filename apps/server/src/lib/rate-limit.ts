import { AppError } from '../errors.ts';

export interface RateLimitOptions {
  /** Most hits a key may make within one window. */
  limit: number;
  windowMs: number;
  /** The bilingual message of the 429 ("中文 / English"). */
  message: string;
  /** Keys remembered at most; beyond it, stale keys go first, then the oldest. */
  maxKeys?: number;
}

/**
 * A sliding-window limit per key (for anonymous routes: the client address) in this process:
 * at most `limit` hits per `windowMs`. Each server process counts on its own. Behind a proxy,
 * set trustProxy so the address is the client's.
 */
export class RateLimiter {
  readonly limit: number;
  readonly windowMs: number;
  readonly #message: string;
  readonly #maxKeys: number;
  readonly #hits = new Map<string, number[]>();

  constructor(opts: RateLimitOptions) {
    this.limit = opts.limit;
    this.windowMs = opts.windowMs;
    this.#message = opts.message;
    this.#maxKeys = opts.maxKeys ?? 10_000;
  }

  /** Counts a hit; returns 0 when allowed, otherwise the seconds until the key may hit again (not counted). */
  hit(key: string, now = Date.now()): number {
    const recent = (this.#hits.get(key) ?? []).filter((t) => now - t < this.windowMs);
    if (recent.length >= this.limit) {
      this.#hits.set(key, recent);
      return Math.max(1, Math.ceil((this.windowMs - (now - (recent[0] as number))) / 1000));
    }
    recent.push(now);
    if (!this.#hits.has(key) && this.#hits.size >= this.#maxKeys) this.#evict(now);
    this.#hits.set(key, recent);
    return 0;
  }

  /** Counts a hit; over the limit, sets Retry-After and throws 429 `rate_limited`. */
  check(key: string, reply: { header(name: string, value: number): unknown }): void {
    const retryAfter = this.hit(key);
    if (retryAfter > 0) {
      reply.header('retry-after', retryAfter);
      throw new AppError(429, 'rate_limited', this.#message, { retryAfterSeconds: retryAfter });
    }
  }

  #evict(now: number): void {
    for (const [k, times] of this.#hits) {
      if (now - (times[times.length - 1] ?? 0) >= this.windowMs) this.#hits.delete(k);
    }
    // Still full: drop the keys seen first.
    for (const k of this.#hits.keys()) {
      if (this.#hits.size < this.#maxKeys) break;
      this.#hits.delete(k);
    }
  }
}
