import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from './helpers.ts';

describe('HTTP basics: health, OpenAPI, the error model, login', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ empty: true });
    await t.ctx.services.orgs.createPerson(
      { username: 'boss', name: '管理员', password: 'correct-horse', roles: [{ role: 'admin' }] },
      null,
    );
  });
  afterAll(() => t.close());

  it('reports the database kind and migration version', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/api/health' });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.database.kind).toBe(process.env.CITYLOOP_TEST_DB === 'postgres' ? 'postgres' : 'pglite');
    expect(body.database.migration).toMatch(/^\d{8}T\d{4}$/);
  });

  it('serves an OpenAPI document generated from the route schemas, and the docs UI', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/api/openapi.json' });
    expect(res.statusCode).toBe(200);
    const doc = res.json();
    expect(doc.openapi).toMatch(/^3\./);
    expect(Object.keys(doc.paths)).toContain('/api/regions/locate');
    expect(doc.paths['/api/regions/locate'].get.parameters.map((p: { name: string }) => p.name)).toEqual(
      expect.arrayContaining(['lng', 'lat', 'coordSys']),
    );
    const ui = await t.app.inject({ method: 'GET', url: '/api/docs' });
    expect([200, 302]).toContain(ui.statusCode);
  });

  it('answers unknown API routes with a 404 in the error model', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/api/nope' });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toMatchObject({ error: 'route_not_found' });
    expect(res.json().requestId).toBeTruthy();
  });

  it('rejects unknown fields and bad types with validation_failed, never a 500', async () => {
    const extra = await t.app.inject({ method: 'POST', url: '/api/auth/login', payload: { username: 'boss', password: 'x', admin: true } });
    expect(extra.statusCode).toBe(400);
    expect(extra.json().error).toBe('validation_failed');
    const malformed = await t.app.inject({
      method: 'POST',
      url: '/api/auth/login',
      headers: { 'content-type': 'application/json' },
      payload: '{"username":',
    });
    expect(malformed.statusCode).toBe(400);
    expect(malformed.json().error).toBeTruthy();
    expect(malformed.body).not.toContain('    at ');
  });

  it('turns unexpected errors into a plain 500 with no internals', async () => {
    t.app.ctx.services.settings.get = async () => {
      throw new Error('secret internal detail');
    };
    const res = await t.app.inject({ method: 'GET', url: '/api/settings' });
    expect(res.statusCode).toBe(500);
    expect(res.json()).toMatchObject({ error: 'internal', message: 'Internal server error' });
    expect(res.body).not.toContain('secret internal detail');
  });

  it('logs in with an httpOnly session cookie and logs out', async () => {
    const bad = await t.app.inject({ method: 'POST', url: '/api/auth/login', payload: { username: 'boss', password: 'wrong' } });
    expect(bad.statusCode).toBe(401);
    const unknown = await t.app.inject({ method: 'POST', url: '/api/auth/login', payload: { username: 'ghost', password: 'wrong' } });
    expect(unknown.statusCode).toBe(401);
    expect(unknown.json().message).toBe(bad.json().message);

    const ok = await t.app.inject({ method: 'POST', url: '/api/auth/login', payload: { username: 'boss', password: 'correct-horse' } });
    expect(ok.statusCode).toBe(200);
    const setCookie = String(ok.headers['set-cookie']);
    expect(setCookie).toMatch(/HttpOnly/i);
    expect(setCookie).toMatch(/SameSite=Lax/i);
    const cookie = setCookie.split(';')[0] as string;
    const me = await t.app.inject({ method: 'GET', url: '/api/auth/me', headers: { cookie } });
    expect(me.json()).toMatchObject({ username: 'boss', roles: [{ role: 'admin' }] });
    await t.app.inject({ method: 'POST', url: '/api/auth/logout', headers: { cookie } });
    const after = await t.app.inject({ method: 'GET', url: '/api/auth/me', headers: { cookie } });
    expect(after.statusCode).toBe(401);
  });

  it('stores passwords as argon2id hashes', async () => {
    const row = await t.ctx.db.selectFrom('person').select('passwordHash').where('username', '=', 'boss').executeTakeFirstOrThrow();
    expect(row.passwordHash).toMatch(/^\$argon2id\$/);
  });
});
