import { describe, expect, it } from 'vitest';
import { AppError } from '../errors.ts';
import { RateLimiter } from './rate-limit.ts';

describe('RateLimiter', () => {
  it('allows `limit` hits per sliding window and says when the next one may come', () => {
    const rl = new RateLimiter({ limit: 2, windowMs: 60_000, message: '太频繁 / Too many' });
    expect(rl.hit('a', 0)).toBe(0);
    expect(rl.hit('a', 10_000)).toBe(0);
    expect(rl.hit('a', 20_000)).toBe(40);
    // Refused hits are not counted: the first one leaves the window at 60 s.
    expect(rl.hit('a', 59_999)).toBe(1);
    expect(rl.hit('a', 60_000)).toBe(0);
    expect(rl.hit('b', 20_000)).toBe(0);
  });

  it('check() throws 429 rate_limited with Retry-After', () => {
    const rl = new RateLimiter({ limit: 1, windowMs: 60_000, message: '太频繁 / Too many' });
    const headers: Record<string, number> = {};
    const reply = { header: (name: string, value: number) => (headers[name] = value) };
    rl.check('x', reply);
    let err: unknown;
    try {
      rl.check('x', reply);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(AppError);
    expect(err).toMatchObject({ status: 429, code: 'rate_limited', message: '太频繁 / Too many' });
    expect(headers['retry-after']).toBeGreaterThan(0);
  });

  it('forgets stale keys first, then the oldest, when full', () => {
    const rl = new RateLimiter({ limit: 1, windowMs: 1_000, message: 'm', maxKeys: 2 });
    rl.hit('old', 0);
    rl.hit('recent', 1_500);
    // 'old' is stale by now and goes; 'recent' is still limited.
    expect(rl.hit('new', 1_600)).toBe(0);
    expect(rl.hit('recent', 1_700)).toBeGreaterThan(0);
    // Full of live keys: the first seen goes.
    expect(rl.hit('newer', 1_800)).toBe(0);
    expect(rl.hit('recent', 1_900)).toBe(0);
  });
});
