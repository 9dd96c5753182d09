import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../../test/helpers.ts';

/** 监督员责任网格 as records: create, fill with grids, rename, remove — on the small demo city. */
describe('beats API', () => {
  let t: TestApp;
  let admin: string;
  let acceptor: string;

  beforeAll(async () => {
    t = await createTestApp();
    admin = await t.login('admin');
    acceptor = await t.login('acceptor');
  });
  afterAll(async () => t?.close());

  const call = (method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', url: string, payload?: object, cookie = admin) =>
    t.app.inject({ method, url, headers: { cookie }, payload });

  it('creates a beat, gives it a grid of another beat, renames it and removes it, audited', async () => {
    const inspector = await t.ctx.db
      .selectFrom('person as p')
      .innerJoin('personRole as r', 'r.personId', 'p.id')
      .select(['p.id'])
      .where('r.role', '=', 'inspector')
      .orderBy('p.id')
      .executeTakeFirstOrThrow();

    const created = await call('POST', '/api/beats', { code: 'B-NEW-1', name: '新建责任网格', inspectorId: inspector.id });
    expect(created.statusCode, created.body).toBe(201);
    const beat = created.json() as { id: number; code: string; gridCount: number; inspectorId: number };
    expect(beat).toMatchObject({ code: 'B-NEW-1', name: '新建责任网格', gridCount: 0, inspectorId: inspector.id });

    // A grid of an existing beat moves into the new one.
    const other = await t.ctx.db.selectFrom('beatGrid').select(['beatId', 'gridId']).orderBy('gridId').executeTakeFirstOrThrow();
    const put = await call('PUT', `/api/beats/${beat.id}`, { gridIds: [other.gridId] });
    expect(put.statusCode, put.body).toBe(200);
    const list = (await call('GET', '/api/beats')).json() as Array<{ id: number; gridCount: number }>;
    expect(list.find((b) => b.id === beat.id)?.gridCount).toBe(1);

    const renamed = await call('PATCH', `/api/beats/${beat.id}`, { name: '新建责任网格（改）', inspectorId: null });
    expect(renamed.statusCode, renamed.body).toBe(200);
    expect(renamed.json()).toMatchObject({ name: '新建责任网格（改）', inspectorId: null });

    const removed = await call('DELETE', `/api/beats/${beat.id}`);
    expect(removed.statusCode, removed.body).toBe(204);
    expect((await call('GET', `/api/beats/${beat.id}`)).statusCode).toBe(404);
    const holders = await t.ctx.db.selectFrom('beatGrid').select('beatId').where('gridId', '=', other.gridId).execute();
    expect(holders).toEqual([]);

    const audit = await t.ctx.db
      .selectFrom('auditLog')
      .select(['action', 'before'])
      .where('entity', '=', 'beat')
      .where('entityId', '=', String(beat.id))
      .orderBy('id')
      .execute();
    expect(audit.map((a) => a.action)).toEqual(['beat.create', 'beat.update', 'beat.update', 'beat.delete']);
    expect(audit[3]?.before).toMatchObject({ code: 'B-NEW-1', gridIds: [other.gridId] });
  });

  it('refuses a taken code, a person who is not an inspector, a bad code and a non-administrator', async () => {
    const existing = await t.ctx.db.selectFrom('beat').select('code').executeTakeFirstOrThrow();
    const dup = await call('POST', '/api/beats', { code: existing.code, name: '重复' });
    expect(dup.statusCode).toBe(409);
    expect(dup.json().error).toBe('beat_code_taken');

    const acceptorId = await t.ctx.db.selectFrom('person').select('id').where('username', '=', 'acceptor').executeTakeFirstOrThrow();
    const notInspector = await call('POST', '/api/beats', { code: 'B-NEW-2', name: '坐席的', inspectorId: acceptorId.id });
    expect(notInspector.statusCode).toBe(422);
    expect(notInspector.json().error).toBe('not_an_inspector');

    const badCode = await call('POST', '/api/beats', { code: '带 空格', name: '坏编码' });
    expect(badCode.statusCode).toBe(400);

    const forbidden = await call('POST', '/api/beats', { code: 'B-NEW-3', name: '越权' }, acceptor);
    expect(forbidden.statusCode).toBe(403);
    expect((await call('DELETE', '/api/beats/999999')).statusCode).toBe(404);
    expect(await t.ctx.db.selectFrom('beat').select('id').where('code', 'in', ['B-NEW-2', 'B-NEW-3']).execute()).toEqual([]);
  });
});
