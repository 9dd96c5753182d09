import crypto from 'node:crypto';

/** Header names of a delivery. */
export const SIGNATURE_HEADER = 'x-cityloop-signature';
export const EVENT_HEADER = 'x-cityloop-event';
export const DELIVERY_HEADER = 'x-cityloop-delivery';

/** A new subscription secret: 32 random bytes, prefixed so it is recognisable in a config file. */
export function newSecret(): string {
  return `whsec_${crypto.randomBytes(32).toString('base64url')}`;
}

/**
 * The signature header of a body sent at `t` (unix seconds):
 * `t=<t>,v1=<hex HMAC-SHA256 of "<t>.<body>" keyed by the secret>`.
 */
export function sign(secret: string, body: string, t: number): string {
  const mac = crypto.createHmac('sha256', secret).update(`${t}.${body}`).digest('hex');
  return `t=${t},v1=${mac}`;
}

/**
 * What a receiver does: recompute the HMAC over "<t>.<raw body>", compare in constant time, and
 * refuse timestamps further than `toleranceS` from its clock (a replayed capture). Several v1
 * values may be present (a secret being rotated); any match passes.
 */
export function verify(secret: string, body: string, header: string, nowS = Date.now() / 1000, toleranceS = 300): boolean {
  const parts = header.split(',').map((p) => p.trim().split('='));
  const t = Number(parts.find(([k]) => k === 't')?.[1]);
  if (!Number.isInteger(t) || Math.abs(nowS - t) > toleranceS) return false;
  const expected = Buffer.from(crypto.createHmac('sha256', secret).update(`${t}.${body}`).digest('hex'));
  return parts
    .filter(([k, v]) => k === 'v1' && v !== undefined)
    .some(([, v]) => {
      const got = Buffer.from(v as string);
      return got.length === expected.length && crypto.timingSafeEqual(got, expected);
    });
}
