import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../../test/helpers.ts';

describe('audit trail: filters and the actor', () => {
  let t: TestApp;
  let admin: string;
  let rootId: number;

  beforeAll(async () => {
    t = await createTestApp({ empty: true });
    const { orgs } = t.ctx.services;
    rootId = (await orgs.createPerson({ username: 'root', name: '管理员', password: 'root-pass-1', roles: [{ role: 'admin' }] }, null)).id;
    admin = await t.login('root', 'root-pass-1');
    for (const code of ['A-1', 'A-2']) {
      const res = await t.app.inject({
        method: 'POST',
        url: '/api/departments',
        headers: { cookie: admin },
        payload: { code, name: `部门${code}`, level: 'city' },
      });
      expect(res.statusCode).toBe(201);
    }
  });
  afterAll(() => t.close());

  it('names the actor and filters by actor, action prefix and time', async () => {
    const get = async (qs: string) => {
      const res = await t.app.inject({ method: 'GET', url: `/api/audit?${qs}`, headers: { cookie: admin } });
      expect(res.statusCode).toBe(200);
      return res.json() as Array<{ action: string; actorId: number | null; actorName: string | null; entity: string }>;
    };
    const mine = await get(`actorId=${rootId}`);
    expect(mine.map((r) => r.action)).toEqual(['department.create', 'department.create']);
    expect(mine[0]).toMatchObject({ actorName: '管理员', entity: 'department' });
    expect((await get('action=department.')).length).toBe(2);
    expect((await get('action=person.')).every((r) => r.action.startsWith('person.'))).toBe(true);
    expect(await get('action=department%25')).toEqual([]);
    const future = new Date(Date.now() + 3_600_000).toISOString();
    expect(await get(`from=${encodeURIComponent(future)}`)).toEqual([]);
    expect((await get(`to=${encodeURIComponent(future)}&actorId=${rootId}`)).length).toBe(2);
  });
});
