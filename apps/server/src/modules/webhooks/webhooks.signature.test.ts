import { describe, expect, it } from 'vitest';
import { newSecret, sign, verify } from './webhooks.signature.ts';

describe('webhook signature', () => {
  const secret = newSecret();
  const body = JSON.stringify({ type: 'dispatch', case: { id: 1 } });

  it('verifies what it signed, within the time tolerance', () => {
    const header = sign(secret, body, 1_800_000_000);
    expect(header).toMatch(/^t=1800000000,v1=[0-9a-f]{64}$/);
    expect(verify(secret, body, header, 1_800_000_010)).toBe(true);
    expect(verify(secret, body, header, 1_800_000_000 + 301)).toBe(false);
  });

  it('refuses another body, another secret or a malformed header', () => {
    const header = sign(secret, body, 1_800_000_000);
    expect(verify(secret, `${body} `, header, 1_800_000_000)).toBe(false);
    expect(verify(newSecret(), body, header, 1_800_000_000)).toBe(false);
    expect(verify(secret, body, 'v1=abc', 1_800_000_000)).toBe(false);
    expect(verify(secret, body, `${header.split(',')[0]},v1=00`, 1_800_000_000)).toBe(false);
  });

  it('new secrets are distinct and prefixed', () => {
    expect(newSecret()).toMatch(/^whsec_[A-Za-z0-9_-]{43}$/);
    expect(newSecret()).not.toBe(newSecret());
  });
});
