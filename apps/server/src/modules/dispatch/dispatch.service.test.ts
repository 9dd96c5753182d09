import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext } from '../../../test/helpers.ts';
import type { Context } from '../../context.ts';
import { AppError } from '../../errors.ts';
import type { Auth } from '../auth/auth.service.ts';
import { DispatchService, type MatchResult } from './dispatch.service.ts';

async function errorCode(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    return e instanceof AppError ? `${e.status} ${e.code}` : String(e);
  }
  return 'no error';
}

const CJT = 'CJT214-2007' as const;

interface Grid {
  id: number;
  code: string;
  streetId: number;
  districtId: number;
  lng: number;
  lat: number;
}

const deptOf = (r: MatchResult) => (r.kind === 'department' ? r.department.id : `${r.kind}:${r.reason}`);

describe('DispatchService over the demo city', () => {
  let ctx: Context;
  let close: () => Promise<void>;
  let dispatch: DispatchService;
  let grids: Grid[];
  let dept: Map<string, number>;
  let region: Map<string, number>;
  let actorId: number;
  let gridA: Grid; // in 临江区 / 东湖街道
  let gridB: Grid; // in 南岸区 / 望洲街道

  beforeAll(async () => {
    ({ ctx, close } = await createTestContext());
    dispatch = new DispatchService(ctx);
    const depts = await ctx.db.selectFrom('department').select(['id', 'shortName']).execute();
    dept = new Map(depts.map((d) => [d.shortName as string, d.id]));
    const regions = await ctx.db.selectFrom('region').select(['id', 'name']).where('level', 'in', ['district', 'street']).execute();
    region = new Map(regions.map((r) => [r.name, r.id]));
    grids = (
      await sql<Grid>`SELECT id, code, street_id AS "streetId", district_id AS "districtId",
          ST_X(ST_PointOnSurface(geom)) AS lng, ST_Y(ST_PointOnSurface(geom)) AS lat
        FROM region WHERE level = 'grid' AND valid_to IS NULL ORDER BY code`.execute(ctx.db)
    ).rows.map((g) => ({ ...g, id: Number(g.id), streetId: Number(g.streetId), districtId: Number(g.districtId) }));
    gridA = grids.find((g) => g.districtId === region.get('临江区')) as Grid;
    gridB = grids.find((g) => g.districtId === region.get('南岸区')) as Grid;
    const admin = await ctx.db.selectFrom('person').select('id').where('username', '=', 'admin').executeTakeFirstOrThrow();
    actorId = admin.id;
  });
  afterAll(() => close());

  it('the demo city is what these tests assume', () => {
    expect([...region.keys()].sort()).toEqual(['东湖街道', '临江区', '南岸区', '望洲街道'].sort());
    expect(gridA.streetId).toBe(region.get('东湖街道'));
    expect(gridB.streetId).toBe(region.get('望洲街道'));
    for (const name of ['水务集团', '市政处', '环卫处', '交警支队', '临江城管局', '临江环卫所', '东湖街道', '望洲街道', '指挥中心']) {
      expect(dept.get(name), name).toBeTypeOf('number');
    }
  });

  it('seeds one city-wide rule per class from the taxonomy defaults, idempotently', async () => {
    // (The demo loader may already have seeded them: then everything counts as existing.)
    const first = await dispatch.seedDefaultRules(actorId);
    const seeded = first.inserted + first.existing;
    expect(seeded).toBeGreaterThan(400);
    // Departments the demo city does not have stay unresolved (their classes fall back to 属地).
    const unresolved = first.unresolved.map((u) => u.departmentCode).sort();
    expect(unresolved).toEqual(expect.arrayContaining(['GA', 'RL', 'XF']));
    expect(unresolved).not.toContain('SW');
    const again = await dispatch.seedDefaultRules(actorId);
    expect(again).toMatchObject({ inserted: 0, existing: seeded });
    const { items, total } = await dispatch.listRules({
      source: 'seed',
      edition: CJT,
      kind: 'component',
      classCode: '0101',
      limit: 10,
      offset: 0,
    });
    expect(total).toBe(1);
    expect(items[0]).toMatchObject({ departmentId: dept.get('水务集团'), regionId: null, className: '上水井盖', enabled: true });
    const byClass = async (kind: 'component' | 'event', classCode: string) =>
      (await dispatch.listRules({ source: 'seed', edition: CJT, kind, classCode, limit: 1, offset: 0 })).items[0]?.departmentId;
    expect(await byClass('event', '0102')).toBe(dept.get('环卫处')); // CG-HW
    expect(await byClass('event', '0110')).toBe(dept.get('市政处')); // CG-SZ
    expect(await byClass('event', '0107')).toBe(dept.get('交警支队')); // JJ
    expect(await byClass('event', '0101')).toBe(dept.get('市城管局')); // CG-ZF
    expect(await byClass('event', '0405')).toBeUndefined(); // RL: no heating company in the demo
  });

  it('suggests the seeded department with a bilingual explanation', async () => {
    const r = await dispatch.suggest({ edition: CJT, kind: 'event', classCode: '0102', gridId: gridA.id });
    expect(r.kind).toBe('department');
    if (r.kind !== 'department') return;
    expect(r).toMatchObject({ via: 'rule', department: { id: dept.get('环卫处') } });
    expect(r.explanation).toBe(
      `规则 #${r.rule?.id}「默认：暴露垃圾」：0102 暴露垃圾 × 全市 → 环卫处 / Rule #${r.rule?.id} "默认：暴露垃圾": 0102 暴露垃圾 × city-wide → 环卫处`,
    );
    expect(r.alternatives).toEqual([]);
  });

  it('a class without a resolvable default falls back to the street office, or coordination when that is off', async () => {
    const r = await dispatch.suggest({ edition: CJT, kind: 'event', classCode: '0405', gridId: gridB.id });
    expect(r).toMatchObject({ kind: 'department', via: 'street_office', department: { id: dept.get('望洲街道') } });
    expect(await dispatch.getSettings()).toEqual({ streetFallback: true });
    await dispatch.updateSettings({ streetFallback: false }, actorId);
    try {
      const off = await dispatch.suggest({ edition: CJT, kind: 'event', classCode: '0405', gridId: gridB.id });
      expect(off).toMatchObject({ kind: 'coordination', reason: 'no_rule', candidates: [{ department: { id: dept.get('望洲街道') } }] });
      // A fresh service (another process) reads the setting from the database.
      expect(await new DispatchService(ctx).getSettings()).toEqual({ streetFallback: false });
    } finally {
      await dispatch.updateSettings({ streetFallback: true }, actorId);
    }
  });

  it('a component case goes to the component maintainer: district 城管局 for an ownerless manhole cover', async () => {
    const c = await ctx.db
      .selectFrom('component')
      .select(['id', 'gridId', 'maintainerDepartmentId', 'ownerDepartmentId'])
      .where('classCode', '=', '0114')
      .where('maintainerDepartmentId', '=', dept.get('临江城管局') as number)
      .executeTakeFirstOrThrow();
    const r = await dispatch.suggest({ edition: CJT, kind: 'component', classCode: '0114', gridId: c.gridId, componentId: c.id });
    expect(r).toMatchObject({ kind: 'department', via: 'maintainer', department: { id: dept.get('临江城管局') } });
    if (r.kind === 'department') {
      expect(r.explanation).toBe('部件养护单位：临江城管局（0114 无主井盖）/ Component maintainer: 临江城管局 (0114 无主井盖)');
      // The seeded city-wide rule (0114 → CG-SZ → 市政处) does not override the maintainer; it is offered instead.
      expect(r.alternatives.map((a) => a.department.id)).toEqual([dept.get('市政处')]);
    }
    expect(await errorCode(dispatch.suggest({ edition: CJT, kind: 'component', classCode: '0114', componentId: 99999999 }))).toBe(
      '404 component_not_found',
    );
  });

  let districtRuleId: number;
  it('a district rule beats the city-wide one inside the district only, and the cache sees the write at once', async () => {
    const before = await dispatch.suggest({ edition: CJT, kind: 'event', classCode: '0102', gridId: gridA.id });
    expect(deptOf(before)).toBe(dept.get('环卫处'));
    const rule = await dispatch.createRule(
      {
        name: '临江区暴露垃圾',
        edition: CJT,
        kind: 'event',
        classCode: '0102',
        regionId: region.get('临江区'),
        departmentId: dept.get('临江环卫所') as number,
      },
      actorId,
    );
    districtRuleId = rule.id;
    expect(rule).toMatchObject({
      regionName: '临江区',
      regionLevel: 'district',
      departmentName: '临江环卫所',
      source: 'manual',
      enabled: true,
      createdBy: actorId,
    });
    const inA = await dispatch.suggest({ edition: CJT, kind: 'event', classCode: '0102', gridId: gridA.id });
    expect(deptOf(inA)).toBe(dept.get('临江环卫所'));
    if (inA.kind === 'department') {
      expect(inA.explanation).toContain(`规则 #${rule.id}「临江区暴露垃圾」：0102 暴露垃圾 × 临江区 → 临江环卫所`);
      expect(inA.alternatives.map((a) => a.department.id)).toEqual([dept.get('环卫处')]);
    }
    expect(deptOf(await dispatch.suggest({ edition: CJT, kind: 'event', classCode: '0102', gridId: gridB.id }))).toBe(dept.get('环卫处'));
  });

  it('a street-level dispute goes to coordination; a priority settles it', async () => {
    const base = { edition: CJT, kind: 'event' as const, classCode: '0103', regionId: region.get('东湖街道') };
    const a = await dispatch.createRule({ ...base, departmentId: dept.get('东湖街道') as number }, actorId);
    const b = await dispatch.createRule({ ...base, departmentId: dept.get('临江环卫所') as number }, actorId);
    const disputed = await dispatch.suggest({ edition: CJT, kind: 'event', classCode: '0103', gridId: gridA.id });
    expect(disputed).toMatchObject({ kind: 'coordination', reason: 'disputed' });
    if (disputed.kind === 'coordination') {
      expect(disputed.candidates.map((c) => c.rule?.id)).toEqual([a.id, b.id]);
    }
    await dispatch.updateRule(b.id, { priority: 10 }, actorId);
    expect(deptOf(await dispatch.suggest({ edition: CJT, kind: 'event', classCode: '0103', gridId: gridA.id }))).toBe(
      dept.get('临江环卫所'),
    );
    // Outside the street the city-wide seed rule still applies.
    expect(deptOf(await dispatch.suggest({ edition: CJT, kind: 'event', classCode: '0103', gridId: gridB.id }))).toBe(dept.get('环卫处'));
    await dispatch.disableRule(a.id, actorId);
    await dispatch.disableRule(b.id, actorId);
  });

  it('a grid rule still applies after the grid boundary is edited (new region version, same code)', async () => {
    const grid = grids[grids.length - 1] as Grid;
    const rule = await dispatch.createRule(
      { edition: CJT, kind: 'event', classCode: '0104', regionId: grid.id, departmentId: dept.get('市政处') as number, name: '网格规则' },
      actorId,
    );
    const { geometry } = await ctx.services.regions.get(grid.id);
    const newId = await ctx.services.regions.updateGeometry(grid.id, geometry as { type: string; coordinates: unknown }, actorId);
    expect(newId).not.toBe(grid.id);
    dispatch.invalidate(); // region edits belong to another module; a reload happens within RULE_CACHE_TTL_MS
    const r = await dispatch.suggest({ edition: CJT, kind: 'event', classCode: '0104', gridId: newId });
    expect(r).toMatchObject({ kind: 'department', via: 'rule', department: { id: dept.get('市政处') }, rule: { id: rule.id } });
    await dispatch.disableRule(rule.id, actorId);
  });

  it('disabling removes a rule from suggestions; rules are never deleted; every write is audited', async () => {
    const disabled = await dispatch.disableRule(districtRuleId, actorId);
    expect(disabled.enabled).toBe(false);
    expect(deptOf(await dispatch.suggest({ edition: CJT, kind: 'event', classCode: '0102', gridId: gridA.id }))).toBe(dept.get('环卫处'));
    expect((await dispatch.disableRule(districtRuleId, actorId)).enabled).toBe(false);
    const { items } = await dispatch.listRules({ enabled: false, source: 'manual', limit: 100, offset: 0 });
    expect(items.map((r) => r.id)).toContain(districtRuleId);
    const audit = await ctx.services.audit.list({ entity: 'dispatch_rule', entityId: String(districtRuleId), limit: 10, offset: 0 });
    expect(audit.map((a) => a.action)).toEqual(['dispatch_rule.disable', 'dispatch_rule.create']);
    expect(audit[0]).toMatchObject({ actorId, before: { enabled: true }, after: { enabled: false } });
    const seed = await ctx.services.audit.list({ entity: 'dispatch_rule', limit: 500, offset: 0 });
    expect(seed.filter((a) => a.action === 'dispatch_rule.seed')).toHaveLength(1);
    // Re-enabling works.
    expect((await dispatch.updateRule(districtRuleId, { enabled: true }, actorId)).enabled).toBe(true);
    expect(deptOf(await dispatch.suggest({ edition: CJT, kind: 'event', classCode: '0102', gridId: gridA.id }))).toBe(
      dept.get('临江环卫所'),
    );
  });

  it('rules only apply inside their validity window', async () => {
    const rule = await dispatch.createRule(
      {
        edition: CJT,
        kind: 'event',
        classCode: '0106',
        regionId: region.get('南岸区'),
        departmentId: dept.get('南岸城管局') as number,
        validFrom: '2030-01-01T00:00:00Z',
      },
      actorId,
    );
    const input = { edition: CJT, kind: 'event' as const, classCode: '0106', gridId: gridB.id };
    expect(deptOf(await dispatch.suggest(input))).toBe(dept.get('园林局'));
    expect(deptOf(await dispatch.suggest({ ...input, at: new Date('2030-06-01T00:00:00Z') }))).toBe(dept.get('南岸城管局'));
    await dispatch.disableRule(rule.id, actorId);
  });

  it('validates rules: department, region level, class, validity', async () => {
    const ok = { edition: CJT, kind: 'event' as const, classCode: '0102', departmentId: dept.get('环卫处') as number };
    expect(await errorCode(dispatch.createRule({ ...ok, departmentId: 99999 }, actorId))).toBe('422 department_not_found');
    expect(await errorCode(dispatch.createRule({ ...ok, departmentId: dept.get('指挥中心') as number }, actorId))).toBe(
      '422 department_not_disposal',
    );
    expect(await errorCode(dispatch.createRule({ ...ok, ownerDepartmentId: 99999 }, actorId))).toBe('422 owner_department_not_found');
    const community = await ctx.db.selectFrom('region').select('id').where('level', '=', 'community').executeTakeFirstOrThrow();
    expect(await errorCode(dispatch.createRule({ ...ok, regionId: community.id }, actorId))).toBe('422 region_level_invalid');
    expect(await errorCode(dispatch.createRule({ ...ok, regionId: 99999 }, actorId))).toBe('422 region_not_found');
    expect(await errorCode(dispatch.createRule({ ...ok, classCode: '0198' }, actorId))).toBe('422 class_not_found');
    expect(await errorCode(dispatch.createRule({ ...ok, kind: 'component', classCode: '0102' }, actorId))).toBe('no error'); // 污水井盖
    expect(await errorCode(dispatch.createRule({ ...ok, edition: null }, actorId))).toBe('422 class_needs_edition');
    expect(
      await errorCode(dispatch.createRule({ ...ok, validFrom: '2027-01-01T00:00:00Z', validTo: '2026-01-01T00:00:00Z' }, actorId)),
    ).toBe('422 validity_invalid');
    expect(await errorCode(dispatch.updateRule(99999, { priority: 1 }, actorId))).toBe('404 dispatch_rule_not_found');
    // A major code and "any class" are valid conditions.
    const major = await dispatch.createRule({ ...ok, classCode: '01', regionId: gridB.id, priority: -1 }, actorId);
    expect(major).toMatchObject({ classCode: '01', className: '市容环境类', regionLevel: 'grid' });
    const any = await dispatch.createRule({ departmentId: dept.get('望洲街道') as number, regionId: region.get('望洲街道') }, actorId);
    expect(any).toMatchObject({ edition: null, kind: null, classCode: null });
    await dispatch.disableRule(major.id, actorId);
    await dispatch.disableRule(any.id, actorId);
    const stray = (await dispatch.listRules({ enabled: true, kind: 'component', classCode: '0102', source: 'manual', limit: 5, offset: 0 }))
      .items;
    for (const r of stray) await dispatch.disableRule(r.id, actorId);
  });

  it('testLocation locates a point (any coordinate system) and explains the suggestion', async () => {
    const r = await dispatch.testLocation({ lng: gridB.lng, lat: gridB.lat, kind: 'event', classCode: '0102' });
    expect(r.location.grid.id).toBe(gridB.id);
    expect(r.location.street?.id).toBe(region.get('望洲街道'));
    expect(r.class).toMatchObject({ edition: CJT, code: '0102', name: '暴露垃圾' });
    expect(r.suggestion).toMatchObject({ kind: 'department', department: { id: dept.get('环卫处') } });
    const inA = await dispatch.testLocation({ lng: gridA.lng, lat: gridA.lat, edition: CJT, kind: 'event', classCode: '0102' });
    expect(inA.suggestion).toMatchObject({ kind: 'department', department: { id: dept.get('临江环卫所') } });
    expect(await errorCode(dispatch.testLocation({ lng: 0, lat: 0, kind: 'event', classCode: '0102' }))).toBe('404 location_outside_city');
    expect(await errorCode(dispatch.testLocation({ lng: gridA.lng, lat: gridA.lat, kind: 'event', classCode: '0198' }))).toBe(
      '422 class_not_found',
    );
    const c = await ctx.db.selectFrom('component').select(['id', 'lng', 'lat']).where('classCode', '=', '0101').executeTakeFirstOrThrow();
    const withComponent = await dispatch.testLocation({ lng: c.lng, lat: c.lat, kind: 'component', classCode: '0101', componentId: c.id });
    expect(withComponent.suggestion).toMatchObject({ kind: 'department', via: 'maintainer', department: { id: dept.get('水务集团') } });
  });

  describe('canDispatch: district command centres (二级指挥)', () => {
    let districtDispatcher: Auth;
    let cityDispatcher: Auth;
    let handler: Auth;
    const caseA = () => ({ gridId: gridA.id });
    const caseB = () => ({ gridId: gridB.id });

    beforeAll(async () => {
      const load = async (username: string, roles: Parameters<Context['services']['orgs']['createPerson']>[0]['roles']) => {
        const p = await ctx.services.orgs.createPerson({ username, name: username, roles }, null);
        return (await ctx.services.auth.loadPerson(p.id)) as Auth;
      };
      districtDispatcher = await load('pq_linjiang', [{ role: 'dispatcher', scopeRegionId: region.get('临江区') }]);
      cityDispatcher = await load('pq_city', [{ role: 'dispatcher' }]);
      handler = await load('cz_x', [{ role: 'handler' }]);
    });

    it('a district dispatcher dispatches cases in the district to its departments and its streets', async () => {
      expect(await dispatch.checkDispatch(districtDispatcher, caseA(), dept.get('临江城管局') as number)).toEqual({
        allowed: true,
        reason: 'in_scope',
      });
      expect(await dispatch.canDispatch(districtDispatcher, caseA(), dept.get('临江环卫所') as number)).toBe(true);
      expect(await dispatch.canDispatch(districtDispatcher, caseA(), dept.get('东湖街道') as number)).toBe(true);
      expect(await dispatch.canDispatch(districtDispatcher, { districtId: region.get('临江区') }, dept.get('临江城管局') as number)).toBe(
        true,
      );
    });

    it('…but not to another district’s departments or streets, nor cases outside the district', async () => {
      expect(await dispatch.canDispatch(districtDispatcher, caseA(), dept.get('南岸城管局') as number)).toBe(false);
      expect(await dispatch.canDispatch(districtDispatcher, caseA(), dept.get('望洲街道') as number)).toBe(false);
      expect(await dispatch.checkDispatch(districtDispatcher, caseB(), dept.get('临江城管局') as number)).toEqual({
        allowed: false,
        reason: 'out_of_scope',
      });
      expect(await dispatch.canDispatch(districtDispatcher, {}, dept.get('临江城管局') as number)).toBe(false);
    });

    it('…and to a city department only when a rule names it for that case', async () => {
      const water = dept.get('水务集团') as number;
      const manhole = { edition: CJT, kind: 'component' as const, classCode: '0101' };
      const litter = { edition: CJT, kind: 'event' as const, classCode: '0102' };
      expect(await dispatch.checkDispatch(districtDispatcher, caseA(), water, manhole)).toEqual({ allowed: true, reason: 'by_rule' });
      expect(await dispatch.canDispatch(districtDispatcher, caseA(), water, litter)).toBe(false);
      // Without a class: some rule for this place names the department.
      expect(await dispatch.canDispatch(districtDispatcher, caseA(), water)).toBe(true);
      // A department no rule names is refused to the district dispatcher, allowed city-wide.
      const orphan = await ctx.services.orgs.createDepartment({ code: 'ORPHAN1', name: '无规则单位', level: 'city' }, null);
      dispatch.invalidate(); // department edits belong to another module; a reload happens within RULE_CACHE_TTL_MS
      expect(await dispatch.checkDispatch(districtDispatcher, caseA(), orphan.id)).toEqual({ allowed: false, reason: 'out_of_scope' });
      expect(await dispatch.checkDispatch(cityDispatcher, caseA(), orphan.id)).toEqual({ allowed: true, reason: 'city_wide' });
    });

    it('city-wide dispatchers may dispatch anywhere; other roles and the centres are refused', async () => {
      expect(await dispatch.canDispatch(cityDispatcher, caseB(), dept.get('临江城管局') as number)).toBe(true);
      expect(await dispatch.checkDispatch(handler, caseA(), dept.get('临江城管局') as number)).toEqual({
        allowed: false,
        reason: 'no_role',
      });
      expect(await dispatch.canDispatch(null, caseA(), dept.get('临江城管局') as number)).toBe(false);
      expect(await dispatch.checkDispatch(cityDispatcher, caseA(), dept.get('指挥中心') as number)).toEqual({
        allowed: false,
        reason: 'department_unavailable',
      });
    });
  });

  it('suggest() is fast enough for intake: thousands of calls per second from memory', async () => {
    const classes = (await ctx.services.taxonomy.list({ edition: CJT })).items.filter((c) => c.level === 'minor');
    const inputs = Array.from({ length: 20_000 }, (_, i) => {
      const c = classes[(i * 7919) % classes.length] as (typeof classes)[number];
      const g = grids[(i * 31) % grids.length] as Grid;
      return { edition: CJT, kind: c.kind, classCode: c.code, gridId: g.id };
    });
    await dispatch.suggest(inputs[0] as (typeof inputs)[number]); // warm the cache
    const rules = (await dispatch.listRules({ enabled: true, limit: 1, offset: 0 })).total;
    const t0 = performance.now();
    const kinds = { department: 0, coordination: 0 };
    for (const input of inputs) kinds[(await dispatch.suggest(input)).kind]++;
    const perSecond = Math.round(inputs.length / ((performance.now() - t0) / 1000));
    console.log(`[dispatch] suggest(): ${perSecond.toLocaleString('en')} calls/s over ${rules} enabled rules (${JSON.stringify(kinds)})`);
    expect(kinds.department).toBe(inputs.length); // the street fallback catches the rest
    expect(perSecond).toBeGreaterThan(5_000);
  });
});
