import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../../test/helpers.ts';

describe('dispatch HTTP API', () => {
  let t: TestApp;
  const as: Record<string, Record<string, string>> = {};
  let dept: Map<string, number>;
  let linjiang: number;
  let point: { lng: number; lat: number; gridId: number };

  beforeAll(async () => {
    t = await createTestApp();
    for (const u of ['admin', 'dispatcher', 'acceptor', 'shiftlead', 'handler', 'leader', 'inspector'])
      as[u] = { cookie: await t.login(u) };
    const depts = await t.ctx.db.selectFrom('department').select(['id', 'shortName']).execute();
    dept = new Map(depts.map((d) => [d.shortName as string, d.id]));
    linjiang = (await t.ctx.db.selectFrom('region').select('id').where('name', '=', '临江区').executeTakeFirstOrThrow()).id;
    const row = (
      await sql<{
        id: number;
        lng: number;
        lat: number;
      }>`SELECT id, ST_X(ST_PointOnSurface(geom)) AS lng, ST_Y(ST_PointOnSurface(geom)) AS lat
        FROM region WHERE level = 'grid' AND valid_to IS NULL AND district_id = ${linjiang} ORDER BY code LIMIT 1`.execute(t.ctx.db)
    ).rows[0] as { id: number; lng: number; lat: number };
    point = { lng: row.lng, lat: row.lat, gridId: Number(row.id) };
    await t.ctx.services.dispatch.seedDefaultRules();
  });
  afterAll(() => t.close());

  const inject = (method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, who?: string, payload?: unknown) =>
    t.app.inject({ method, url, headers: who ? as[who] : undefined, payload: payload as object });

  it('GET /api/dispatch/rules lists the seeded rules to readers of orgs, filtered', async () => {
    expect((await inject('GET', '/api/dispatch/rules')).statusCode).toBe(401);
    expect((await inject('GET', '/api/dispatch/rules', 'handler')).statusCode).toBe(403);
    const res = await inject('GET', '/api/dispatch/rules?edition=CJT214-2007&kind=event&classCode=0102', 'dispatcher');
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      total: 1,
      items: [
        {
          classCode: '0102',
          className: '暴露垃圾',
          departmentId: dept.get('环卫处'),
          departmentName: '环卫处',
          source: 'seed',
          regionId: null,
        },
      ],
    });
    const all = await inject('GET', '/api/dispatch/rules?limit=1', 'leader');
    expect(all.json().total).toBeGreaterThan(400);
    expect((await inject('GET', '/api/dispatch/rules?nope=1', 'admin')).statusCode).toBe(400);
  });

  let ruleId: number;
  it('POST /api/dispatch/rules creates a rule (admin only) and validates it', async () => {
    const body = {
      name: '临江区暴露垃圾',
      edition: 'CJT214-2007',
      kind: 'event',
      classCode: '0102',
      regionId: linjiang,
      departmentId: dept.get('临江环卫所'),
    };
    expect((await inject('POST', '/api/dispatch/rules', 'dispatcher', body)).statusCode).toBe(403);
    const res = await inject('POST', '/api/dispatch/rules', 'admin', body);
    expect(res.statusCode).toBe(201);
    expect(res.json()).toMatchObject({
      name: '临江区暴露垃圾',
      regionName: '临江区',
      regionLevel: 'district',
      departmentName: '临江环卫所',
      enabled: true,
      source: 'manual',
    });
    ruleId = res.json().id;

    const bad = async (payload: object) => {
      const r = await inject('POST', '/api/dispatch/rules', 'admin', payload);
      return `${r.statusCode} ${r.json().error}`;
    };
    expect(await bad({ ...body, departmentId: 99999 })).toBe('422 department_not_found');
    expect(await bad({ ...body, classCode: '0198' })).toBe('422 class_not_found');
    expect(await bad({ ...body, regionId: 99999 })).toBe('422 region_not_found');
    expect(await bad({ ...body, extra: 1 })).toBe('400 validation_failed');
    expect(await bad({ ...body, classCode: 'ab' })).toBe('400 validation_failed');
    expect(await bad({ name: 'x' })).toBe('400 validation_failed');
  });

  it('POST /api/dispatch/test shows which department a case at a point would go to, and why', async () => {
    const body = { lng: point.lng, lat: point.lat, kind: 'event', classCode: '0102' };
    expect((await inject('POST', '/api/dispatch/test', 'handler', body)).statusCode).toBe(403);
    expect((await inject('POST', '/api/dispatch/test', 'inspector', body)).statusCode).toBe(403);
    for (const who of ['admin', 'dispatcher', 'acceptor', 'shiftlead']) {
      expect((await inject('POST', '/api/dispatch/test', who, body)).statusCode, who).toBe(200);
    }
    const res = await inject('POST', '/api/dispatch/test', 'acceptor', body);
    const out = res.json();
    expect(out.location.grid.id).toBe(point.gridId);
    expect(out.location.district.id).toBe(linjiang);
    expect(out.class).toMatchObject({ code: '0102', name: '暴露垃圾' });
    expect(out.suggestion).toMatchObject({
      kind: 'department',
      via: 'rule',
      department: { id: dept.get('临江环卫所') },
      rule: { id: ruleId },
    });
    expect(out.suggestion.explanation).toContain(
      `规则 #${ruleId}「临江区暴露垃圾」：0102 暴露垃圾 × 临江区 → 临江环卫所 / Rule #${ruleId}`,
    );
    expect(out.suggestion.alternatives[0].department.id).toBe(dept.get('环卫处'));

    const outside = await inject('POST', '/api/dispatch/test', 'dispatcher', { ...body, lng: 10, lat: 10 });
    expect(outside.statusCode).toBe(404);
    expect(outside.json().error).toBe('location_outside_city');
    expect((await inject('POST', '/api/dispatch/test', 'dispatcher', { ...body, classCode: '0198' })).json().error).toBe('class_not_found');
    expect((await inject('POST', '/api/dispatch/test', 'dispatcher', { ...body, lng: 200 })).statusCode).toBe(400);
    expect((await inject('POST', '/api/dispatch/test', 'dispatcher', { ...body, componentId: 99999999 })).json().error).toBe(
      'component_not_found',
    );
  });

  it('PATCH /api/dispatch/rules/:id changes a rule; DELETE disables it (never deletes)', async () => {
    const patched = await inject('PATCH', `/api/dispatch/rules/${ruleId}`, 'admin', { priority: 5, name: '改名' });
    expect(patched.statusCode).toBe(200);
    expect(patched.json()).toMatchObject({ id: ruleId, priority: 5, name: '改名', regionId: linjiang });
    expect((await inject('PATCH', `/api/dispatch/rules/${ruleId}`, 'dispatcher', { priority: 1 })).statusCode).toBe(403);
    expect((await inject('PATCH', '/api/dispatch/rules/99999', 'admin', { priority: 1 })).json().error).toBe('dispatch_rule_not_found');
    expect((await inject('PATCH', `/api/dispatch/rules/${ruleId}`, 'admin', { departmentId: dept.get('指挥中心') })).json().error).toBe(
      'department_not_disposal',
    );

    const del = await inject('DELETE', `/api/dispatch/rules/${ruleId}`, 'admin');
    expect(del.statusCode).toBe(200);
    expect(del.json()).toMatchObject({ id: ruleId, enabled: false });
    const listed = await inject('GET', `/api/dispatch/rules?enabled=false&source=manual`, 'admin');
    expect(listed.json().items.map((r: { id: number }) => r.id)).toContain(ruleId);
    const after = await inject('POST', '/api/dispatch/test', 'dispatcher', {
      lng: point.lng,
      lat: point.lat,
      kind: 'event',
      classCode: '0102',
    });
    expect(after.json().suggestion).toMatchObject({ kind: 'department', department: { id: dept.get('环卫处') } });
    expect((await inject('DELETE', '/api/dispatch/rules/99999', 'admin')).statusCode).toBe(404);

    const audit = await inject('GET', `/api/audit?entity=dispatch_rule&entityId=${ruleId}`, 'admin');
    expect(audit.json().map((a: { action: string }) => a.action)).toEqual([
      'dispatch_rule.disable',
      'dispatch_rule.update',
      'dispatch_rule.create',
    ]);
  });

  it('GET/PATCH /api/dispatch/settings switch the street-office fallback', async () => {
    expect((await inject('GET', '/api/dispatch/settings', 'dispatcher')).json()).toEqual({ streetFallback: true });
    expect((await inject('PATCH', '/api/dispatch/settings', 'dispatcher', { streetFallback: false })).statusCode).toBe(403);
    const off = await inject('PATCH', '/api/dispatch/settings', 'admin', { streetFallback: false });
    expect(off.json()).toEqual({ streetFallback: false });
    // 0405 热力管道破裂: the demo city has no heating company, so no rule.
    const res = await inject('POST', '/api/dispatch/test', 'dispatcher', {
      lng: point.lng,
      lat: point.lat,
      kind: 'event',
      classCode: '0405',
    });
    expect(res.json().suggestion).toMatchObject({ kind: 'coordination', reason: 'no_rule' });
    await inject('PATCH', '/api/dispatch/settings', 'admin', { streetFallback: true });
    const on = await inject('POST', '/api/dispatch/test', 'dispatcher', {
      lng: point.lng,
      lat: point.lat,
      kind: 'event',
      classCode: '0405',
    });
    expect(on.json().suggestion).toMatchObject({ kind: 'department', via: 'street_office', department: { id: dept.get('东湖街道') } });
  });
});
