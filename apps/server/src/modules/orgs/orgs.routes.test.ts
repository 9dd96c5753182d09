import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../../test/helpers.ts';

describe('organisations: departments, people, roles and scopes', () => {
  let t: TestApp;
  let admin: string;
  let deptA: number;
  let deptB: number;

  beforeAll(async () => {
    t = await createTestApp({ empty: true });
    const { orgs } = t.ctx.services;
    await orgs.createPerson({ username: 'root', name: '管理员', password: 'root-pass-1', roles: [{ role: 'admin' }] }, null);
    admin = await t.login('root', 'root-pass-1');
    deptA = (await orgs.createDepartment({ code: 'T-SZ', name: '市政处', level: 'city' }, null)).id;
    deptB = (await orgs.createDepartment({ code: 'T-YL', name: '园林处', level: 'city' }, null)).id;
    await orgs.createPerson(
      {
        username: 'sz_admin',
        name: '市政管理员',
        password: 'dept-pass-1',
        departmentId: deptA,
        roles: [{ role: 'dept_admin', scopeDepartmentId: deptA }],
      },
      null,
    );
  });
  afterAll(() => t.close());

  it('creates a department and refuses a duplicate code', async () => {
    const body = { code: 'T-HW', name: '环卫处', level: 'district', kind: 'execution' };
    const res = await t.app.inject({ method: 'POST', url: '/api/departments', headers: { cookie: admin }, payload: body });
    expect(res.statusCode).toBe(201);
    expect(res.json()).toMatchObject({ code: 'T-HW', level: 'district', active: true });
    const dup = await t.app.inject({ method: 'POST', url: '/api/departments', headers: { cookie: admin }, payload: body });
    expect(dup.statusCode).toBe(409);
    expect(dup.json().error).toBe('department_code_taken');
    const bad = await t.app.inject({
      method: 'POST',
      url: '/api/departments',
      headers: { cookie: admin },
      payload: { ...body, code: 'X', level: 'province' },
    });
    expect(bad.statusCode).toBe(400);
  });

  it('creates people with scoped roles and audits it', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/people',
      headers: { cookie: admin },
      payload: {
        username: 'wang',
        name: '王师傅',
        departmentId: deptA,
        password: 'handler-pass',
        roles: [{ role: 'handler', scopeDepartmentId: deptA }],
      },
    });
    expect(res.statusCode).toBe(201);
    const id = res.json().id;
    const person = await t.app.inject({ method: 'GET', url: `/api/people/${id}`, headers: { cookie: admin } });
    expect(person.json().roles).toEqual([{ role: 'handler', scopeRegionId: null, scopeDepartmentId: deptA }]);
    const audit = await t.app.inject({ method: 'GET', url: `/api/audit?entity=person&entityId=${id}`, headers: { cookie: admin } });
    expect(audit.json()[0]).toMatchObject({ action: 'person.create' });
    expect(JSON.stringify(audit.json())).not.toContain('handler-pass');
  });

  it('lets a department admin manage only its own department', async () => {
    const own = await t.ctx.services.orgs.createPerson(
      { username: 'li', name: '李工', departmentId: deptA, roles: [{ role: 'handler' }] },
      null,
    );
    const other = await t.ctx.services.orgs.createPerson(
      { username: 'zhao', name: '赵工', departmentId: deptB, roles: [{ role: 'handler' }] },
      null,
    );
    const cookie = await t.login('sz_admin', 'dept-pass-1');
    const list = await t.app.inject({ method: 'GET', url: '/api/people', headers: { cookie } });
    expect(list.statusCode).toBe(200);
    expect(list.json().map((p: { username: string }) => p.username)).not.toContain('zhao');
    const ok = await t.app.inject({
      method: 'PATCH',
      url: `/api/people/${own.id}`,
      headers: { cookie },
      payload: { phone: '0717-1234567' },
    });
    expect(ok.statusCode).toBe(200);
    expect(ok.json().phone).toBe('0717-1234567');
    const denied = await t.app.inject({
      method: 'PATCH',
      url: `/api/people/${other.id}`,
      headers: { cookie },
      payload: { phone: '12345' },
    });
    expect(denied.statusCode).toBe(403);
    const escalate = await t.app.inject({
      method: 'PATCH',
      url: `/api/people/${own.id}`,
      headers: { cookie },
      payload: { roles: [{ role: 'admin' }] },
    });
    expect(escalate.statusCode).toBe(403);
    const after = await t.ctx.services.orgs.getPerson(own.id);
    expect(after.roles.map((r) => r.role)).toEqual(['handler']);
  });

  it('ends the sessions of a deactivated person', async () => {
    await t.ctx.services.orgs.createPerson(
      { username: 'temp', name: '临时', password: 'temp-pass-1', roles: [{ role: 'acceptor' }] },
      null,
    );
    const cookie = await t.login('temp', 'temp-pass-1');
    expect((await t.app.inject({ method: 'GET', url: '/api/auth/me', headers: { cookie } })).statusCode).toBe(200);
    const id = (await t.ctx.db.selectFrom('person').select('id').where('username', '=', 'temp').executeTakeFirstOrThrow()).id;
    const res = await t.app.inject({ method: 'PATCH', url: `/api/people/${id}`, headers: { cookie: admin }, payload: { active: false } });
    expect(res.statusCode).toBe(200);
    expect((await t.app.inject({ method: 'GET', url: '/api/auth/me', headers: { cookie } })).statusCode).toBe(401);
    const again = await t.app.inject({ method: 'POST', url: '/api/auth/login', payload: { username: 'temp', password: 'temp-pass-1' } });
    expect(again.statusCode).toBe(401);
  });

  it('issues API keys whose secret is shown once and can be revoked', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/api-keys',
      headers: { cookie: admin },
      payload: { name: 'IoT 井盖传感器' },
    });
    expect(res.statusCode).toBe(201);
    const { id, key } = res.json();
    expect(key).toMatch(/^clk_[0-9a-f]{8}_/);
    const list = await t.app.inject({ method: 'GET', url: '/api/api-keys', headers: { cookie: admin } });
    expect(JSON.stringify(list.json())).not.toContain(key);
    expect((await t.app.inject({ method: 'GET', url: '/api/regions', headers: { 'x-api-key': key } })).statusCode).toBe(200);
    expect((await t.app.inject({ method: 'DELETE', url: `/api/api-keys/${id}`, headers: { cookie: admin } })).statusCode).toBe(204);
    expect((await t.app.inject({ method: 'GET', url: '/api/regions', headers: { 'x-api-key': key } })).statusCode).toBe(401);
  });
});
