import { PERMISSIONS, type Permission, ROLES, type Role } from '@cityloop/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from './helpers.ts';

/**
 * Walks every API route × every role: a role without the route's permission gets 403,
 * a role with it never gets 401/403, and nobody unauthenticated gets past a non-public route.
 */
describe('role × route access matrix', () => {
  let t: TestApp;
  const cookies = new Map<Role, Record<string, string>>();

  beforeAll(async () => {
    t = await createTestApp({ empty: true });
    for (const role of ROLES) {
      if (role === 'machine') {
        const key = await t.ctx.services.auth.createApiKey({ name: 'matrix', role: 'machine', departmentId: null }, null);
        cookies.set(role, { 'x-api-key': key.key });
        continue;
      }
      await t.ctx.services.orgs.createPerson({ username: `m_${role}`, name: role, password: 'matrix-pass-1', roles: [{ role }] }, null);
      cookies.set(role, { cookie: await t.login(`m_${role}`, 'matrix-pass-1') });
    }
  });
  afterAll(() => t.close());

  // A high id: path parameters must not hit real rows (e.g. revoke the matrix's own API key).
  const fill = (url: string) => url.replace(/:[a-zA-Z]+/g, '999999');

  it('declares an access rule on every route', () => {
    expect(t.app.routeTable.length).toBeGreaterThan(10);
    for (const r of t.app.routeTable) expect(r.access, `${r.method} ${r.url}`).toBeTruthy();
  });

  it('rejects anonymous callers on every non-public route with 401', async () => {
    for (const r of t.app.routeTable.filter((x) => x.access !== 'public')) {
      const res = await t.app.inject({ method: r.method as 'GET', url: fill(r.url) });
      expect(res.statusCode, `${r.method} ${r.url}`).toBe(401);
      expect(res.json().error).toBe('unauthenticated');
    }
  });

  it('grants exactly the roles listed for each permission', async () => {
    const checked: string[] = [];
    for (const r of t.app.routeTable.filter((x) => x.access !== 'public' && x.access !== 'authenticated')) {
      const allowed = PERMISSIONS[r.access as Permission] as readonly Role[];
      for (const role of ROLES) {
        const res = await t.app.inject({
          method: r.method as 'GET',
          url: fill(r.url),
          headers: cookies.get(role),
          payload: r.method === 'GET' || r.method === 'DELETE' ? undefined : {},
        });
        const label = `${role} ${r.method} ${r.url} → ${res.statusCode} ${res.body.slice(0, 120)}`;
        if (allowed.includes(role)) expect([401, 403], label).not.toContain(res.statusCode);
        else expect(res.statusCode, label).toBe(403);
        expect(res.statusCode, label).toBeLessThan(500);
        checked.push(label);
      }
    }
    expect(checked.length).toBeGreaterThan(50);
  });

  it('an unknown or revoked API key is refused', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/api/regions', headers: { 'x-api-key': 'clk_nope_nope' } });
    expect(res.statusCode).toBe(401);
    expect(res.json().error).toBe('invalid_api_key');
  });
});
