import fs from 'node:fs';
import path from 'node:path';
import { type Edition, parseClassCode } from '@cityloop/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../../test/helpers.ts';
import { loadStandards, parseTaxonomyCode, STANDARDS_FILE, standardDepartments } from './taxonomy.service.ts';

/** What the reference tables hold (components.json / events.json), per edition and kind. */
const EXPECTED = [
  { edition: 'CJT214-2007', kind: 'component', majors: 6, minors: 85 },
  { edition: 'GBT47678.5-2026', kind: 'component', majors: 5, minors: 153 },
  { edition: 'CJT214-2007', kind: 'event', majors: 6, minors: 54 },
  { edition: 'GBT47678.5-2026', kind: 'event', majors: 10, minors: 250 },
] as const;

let t: TestApp;
let admin: string;
let inspector: string;

const url = (edition: string, kind: string, code: string) => `/api/taxonomy/classes/${edition}/${kind}/${code}`;

beforeAll(async () => {
  t = await createTestApp({ empty: true });
  const { orgs } = t.ctx.services;
  await orgs.createPerson({ username: 'admin', name: '管理员', password: 'demo1234', roles: [{ role: 'admin' }] }, null);
  await orgs.createPerson({ username: 'inspector', name: '监督员', password: 'demo1234', roles: [{ role: 'inspector' }] }, null);
  await orgs.createDepartment({ code: 'CG-HW', name: '环境卫生管理处', level: 'city' }, null);
  await orgs.createDepartment({ code: 'CG-SZ', name: '市政设施管理处', level: 'city' }, null);
  // Idempotent: the database may already hold the standards (seeded at start-up).
  const seeded = await t.ctx.services.taxonomy.seedStandards();
  expect(seeded.total).toBe(569);
  admin = await t.login('admin');
  inspector = await t.login('inspector');
});
afterAll(async () => {
  await t?.close();
});

describe('standards data', () => {
  it('taxonomy.json holds every class of the reference tables', () => {
    const { file } = loadStandards();
    for (const e of EXPECTED) {
      const table = file.tables.find((x) => x.edition === e.edition && x.kind === e.kind);
      expect(table, `${e.edition} ${e.kind}`).toBeDefined();
      expect(table?.classes.filter((c) => c.level === 'major').length).toBe(e.majors);
      expect(table?.classes.filter((c) => c.level === 'minor').length).toBe(e.minors);
    }
  });

  it('matches the reference tables when they are beside the repository', () => {
    const dir = path.resolve(path.dirname(STANDARDS_FILE), '../../../../shared/data');
    if (!fs.existsSync(path.join(dir, 'components.json'))) return;
    const { file } = loadStandards();
    for (const [name, kind] of [
      ['components.json', 'component'],
      ['events.json', 'event'],
    ] as const) {
      const src = JSON.parse(fs.readFileSync(path.join(dir, name), 'utf8')) as {
        editions: Array<{ id: string; majors: Array<{ code: string; name: string; minors?: Array<{ code: string; name: string }> }> }>;
      };
      for (const e of src.editions) {
        const edition = e.id.startsWith('CJT') ? 'CJT214-2007' : 'GBT47678.5-2026';
        const table = file.tables.find((x) => x.edition === edition && x.kind === kind);
        const codes = new Map(table?.classes.map((c) => [c.code, c.name]));
        const srcMinors = e.majors.flatMap((m) => m.minors ?? []);
        expect(table?.classes.length).toBe(e.majors.length + srcMinors.length);
        for (const m of srcMinors) expect(codes.get(m.code), `${edition} ${m.code}`).toBe(m.name.trim());
      }
    }
  });

  it('every minor has valid codes and complete rules', () => {
    const { rows } = loadStandards();
    const departments = new Set(standardDepartments().map((d) => d.code));
    const componentCodes = new Set(rows.filter((r) => r.kind === 'component').map((r) => `${r.edition}/${r.code}`));
    for (const r of rows) {
      if (r.level === 'major') {
        expect(r.code).toMatch(/^\d{2}$/);
        continue;
      }
      const ref = parseClassCode(r.edition as Edition, r.kind, r.code);
      expect(ref, r.code).not.toBeNull();
      expect(ref?.major).toBe(r.parent_code);
      expect(parseTaxonomyCode(r.edition as Edition, r.kind, r.code)?.level).toBe('minor');
      expect(r.filing_condition?.length ?? 0).toBeGreaterThan(4);
      expect(r.closing_condition?.length ?? 0).toBeGreaterThan(4);
      expect(r.disposal_limit?.value).toBeGreaterThan(0);
      expect(departments.has(r.default_department_code ?? '')).toBe(true);
      expect(r.severity_levels.map((s) => s.code)).toEqual(['normal', 'major', 'urgent']);
      expect(r.severity_levels[2]?.limit).toBeDefined();
      if (r.kind === 'component') expect(['point', 'line', 'polygon']).toContain(r.geometry_type);
      else expect(r.geometry_type).toBeNull();
      if (r.related_code) expect(componentCodes.has(`${r.edition}/${r.related_code}`)).toBe(true);
    }
    // GB/T 47678.5 facility matters (majors 01-05) all point at their component.
    const matters = rows.filter((r) => r.edition === 'GBT47678.5-2026' && r.kind === 'event' && r.level === 'minor');
    expect(matters.filter((r) => r.related_code).length).toBe(153);
    expect(matters.find((r) => r.code === '06010')).toMatchObject({ name: '暴露垃圾', related_code: null });
  });

  it('uses the limits named in STANDARDS.md §5', () => {
    const { rows } = loadStandards();
    const get = (edition: string, kind: string, code: string) =>
      rows.find((r) => r.edition === edition && r.kind === kind && r.code === code);
    expect(get('CJT214-2007', 'event', '0102')?.disposal_limit).toEqual({ value: 4, unit: 'hour', timeType: 'work' }); // 暴露垃圾
    expect(get('CJT214-2007', 'event', '0104')?.disposal_limit).toEqual({ value: 5, unit: 'hour', timeType: 'work' }); // 道路不洁
    expect(get('CJT214-2007', 'event', '0103')?.disposal_limit).toEqual({ value: 4, unit: 'day', timeType: 'work' }); // 积存垃圾渣土
    expect(get('CJT214-2007', 'event', '0105')?.disposal_limit).toEqual({ value: 15, unit: 'day', timeType: 'work' }); // 水域不洁
    expect(get('GBT47678.5-2026', 'event', '06010')?.disposal_limit).toEqual({ value: 4, unit: 'hour', timeType: 'work' });
    // 井盖丢失: the urgent level of every manhole cover class is 2 紧急工作时.
    const cover = get('CJT214-2007', 'component', '0101');
    expect(cover?.severity_levels.find((s) => s.code === 'urgent')).toMatchObject({
      name: '紧急（井盖丢失）',
      limit: { value: 2, unit: 'hour', timeType: 'urgent' },
    });
    expect(get('GBT47678.5-2026', 'event', '01001')?.severity_levels[2]?.limit).toEqual({ value: 2, unit: 'hour', timeType: 'urgent' });
    // Defaults: components 2 工作日, events 1 工作日 where nothing more specific applies.
    expect(get('CJT214-2007', 'component', '0116')?.disposal_limit).toEqual({ value: 2, unit: 'day', timeType: 'work' });
    expect(get('CJT214-2007', 'event', '0599')?.disposal_limit).toEqual({ value: 1, unit: 'day', timeType: 'work' });
    expect(get('CJT214-2007', 'component', '0405')?.geometry_type).toBe('polygon'); // 绿地
    expect(get('CJT214-2007', 'component', '0211')?.geometry_type).toBe('line'); // 交通护栏
  });

  it('parses codes of each level', () => {
    expect(parseTaxonomyCode('CJT214-2007', 'event', '21')).toEqual({ level: 'major', parentCode: null, majorCode: '21' });
    expect(parseTaxonomyCode('CJT214-2007', 'event', '0102')).toEqual({ level: 'minor', parentCode: '01', majorCode: '01' });
    expect(parseTaxonomyCode('CJT214-2007', 'event', '010201')).toEqual({ level: 'detail', parentCode: '0102', majorCode: '01' });
    expect(parseTaxonomyCode('GBT47678.5-2026', 'event', '0600101')).toEqual({ level: 'detail', parentCode: '06001', majorCode: '06' });
    expect(parseTaxonomyCode('GBT47678.5-2026', 'event', '0601001')).toEqual({ level: 'detail', parentCode: '06010', majorCode: '06' });
    for (const bad of ['1', '00', '0100', '010200', '0102001', '01A2', ''])
      expect(parseTaxonomyCode('CJT214-2007', 'event', bad), bad).toBeNull();
    expect(parseTaxonomyCode('GBT47678.5-2026', 'component', '0101')).toBeNull(); // 4 digits: not a GB/T 47678.5 code
  });
});

describe('seeding', () => {
  it('loads the full tables into taxonomy_class', async () => {
    for (const e of EXPECTED) {
      const res = await t.app.inject({
        url: `/api/taxonomy/classes?edition=${e.edition}&kind=${e.kind}&level=minor`,
        headers: { cookie: inspector },
      });
      expect(res.statusCode).toBe(200);
      expect(res.json().total, `${e.edition} ${e.kind}`).toBe(e.minors);
      const majors = await t.app.inject({
        url: `/api/taxonomy/classes?edition=${e.edition}&kind=${e.kind}&level=major`,
        headers: { cookie: inspector },
      });
      expect(majors.json().total).toBe(e.majors);
    }
  });

  it('is a no-op the second time and keeps the city edits', async () => {
    const edited = await t.app.inject({
      method: 'PATCH',
      url: url('CJT214-2007', 'event', '0104'),
      headers: { cookie: admin },
      payload: { name: '道路不洁（城区）', disposalLimit: { value: 6, unit: 'hour', timeType: 'work' }, enabled: false },
    });
    expect(edited.statusCode).toBe(200);
    const started = performance.now();
    const again = await t.ctx.services.taxonomy.seedStandards();
    const ms = performance.now() - started;
    expect(again.inserted).toBe(0);
    expect(again.total).toBe(569);
    expect(ms).toBeLessThan(5000);
    const c = await t.ctx.services.taxonomy.getClass('CJT214-2007', 'event', '0104');
    expect(c).toMatchObject({
      name: '道路不洁（城区）',
      disposalLimit: { value: 6, unit: 'hour', timeType: 'work' },
      enabled: false,
      active: false,
    });
    // A deleted standard row comes back; nothing else changes.
    await t.ctx.db
      .deleteFrom('taxonomyClass')
      .where('edition', '=', 'CJT214-2007')
      .where('kind', '=', 'event')
      .where('code', '=', '0199')
      .execute();
    expect((await t.ctx.services.taxonomy.seedStandards()).inserted).toBe(1);
    await t.ctx.services.taxonomy.update(
      'CJT214-2007',
      'event',
      '0104',
      { name: '道路不洁', enabled: true, disposalLimit: { value: 5, unit: 'hour', timeType: 'work' } },
      null,
    );
  });
});

describe('reading', () => {
  it('lists with filters', async () => {
    const res = await t.app.inject({
      url: '/api/taxonomy/classes?edition=CJT214-2007&kind=event&parentCode=04',
      headers: { cookie: inspector },
    });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.total).toBe(10);
    expect(body.items.map((c: { code: string }) => c.code)).toContain('0401');
    expect(body.items[0]).toMatchObject({
      edition: 'CJT214-2007',
      kind: 'event',
      level: 'minor',
      parentCode: '04',
      majorCode: '04',
      active: true,
    });

    const q = await t.app.inject({
      url: `/api/taxonomy/classes?edition=CJT214-2007&q=${encodeURIComponent('井盖')}`,
      headers: { cookie: inspector },
    });
    expect(q.json().items.every((c: { name: string }) => c.name.includes('井盖'))).toBe(true);
    expect(q.json().total).toBe(16);
    const byCode = await t.app.inject({
      url: '/api/taxonomy/classes?edition=GBT47678.5-2026&kind=event&q=0601',
      headers: { cookie: inspector },
    });
    expect(byCode.json().total).toBe(10); // 06010-06019
  });

  it('returns one class, 404 for an unknown one and 400 for a malformed edition', async () => {
    const res = await t.app.inject({ url: url('GBT47678.5-2026', 'event', '01001'), headers: { cookie: inspector } });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      name: '供水井盖异常',
      relatedCode: '01001',
      defaultDepartmentCode: 'SW',
      isExtension: false,
      geometryType: null,
    });
    const missing = await t.app.inject({ url: url('CJT214-2007', 'event', '0198'), headers: { cookie: inspector } });
    expect(missing.statusCode).toBe(404);
    expect(missing.json().error).toBe('class_not_found');
    const badEdition = await t.app.inject({ url: url('CJT214-2099', 'event', '0101'), headers: { cookie: inspector } });
    expect(badEdition.statusCode).toBe(400);
  });

  it('builds the tree', async () => {
    const res = await t.app.inject({ url: '/api/taxonomy/tree?edition=CJT214-2007&kind=component', headers: { cookie: inspector } });
    expect(res.statusCode).toBe(200);
    const tree = res.json() as Array<{ code: string; level: string; children: Array<{ code: string; children: unknown[] }> }>;
    expect(tree.map((m) => m.code)).toEqual(['01', '02', '03', '04', '05', '06']);
    expect(tree[0]?.children.length).toBe(38);
    expect(tree[0]?.children[0]).toMatchObject({ code: '0101', name: '上水井盖', children: [] });
    const both = await t.app.inject({ url: '/api/taxonomy/tree?edition=GBT47678.5-2026', headers: { cookie: inspector } });
    expect(both.json().length).toBe(15);
  });

  it('computes disposal limits by severity', async () => {
    const tax = t.ctx.services.taxonomy;
    expect(await tax.disposalLimit('CJT214-2007', 'event', '0102')).toEqual({ value: 4, unit: 'hour', timeType: 'work' });
    expect(await tax.disposalLimit('CJT214-2007', 'event', '0102', 'normal')).toEqual({ value: 4, unit: 'hour', timeType: 'work' });
    expect(await tax.disposalLimit('CJT214-2007', 'component', '0101', 'urgent')).toEqual({ value: 2, unit: 'hour', timeType: 'urgent' });
    expect(await tax.disposalLimit('CJT214-2007', 'event', '0101', 'major')).toEqual({ value: 20, unit: 'day', timeType: 'work' });
    await expect(tax.disposalLimit('CJT214-2007', 'event', '0102', 'apocalyptic')).rejects.toMatchObject({
      code: 'severity_unknown',
      status: 422,
    });
    await expect(tax.disposalLimit('CJT214-2007', 'event', '0198')).rejects.toMatchObject({ code: 'class_not_found', status: 404 });
  });
});

describe('city extensions', () => {
  const post = (payload: Record<string, unknown>, cookie = admin) =>
    t.app.inject({ method: 'POST', url: '/api/taxonomy/classes', headers: { cookie }, payload });

  it('creates a minor under a standard major, audited', async () => {
    const res = await post({
      edition: 'CJT214-2007',
      kind: 'component',
      code: '0150',
      name: '共享单车停放架',
      defaultDepartmentCode: 'CG-SZ',
      geometryType: 'point',
    });
    expect(res.statusCode).toBe(201);
    expect(res.json()).toMatchObject({
      code: '0150',
      level: 'minor',
      parentCode: '01',
      majorCode: '01',
      isExtension: true,
      active: true,
      disposalLimit: { value: 2, unit: 'day', timeType: 'work' },
      severityLevels: [{ code: 'normal' }, { code: 'major' }, { code: 'urgent' }],
    });
    const audit = await t.ctx.db
      .selectFrom('auditLog')
      .selectAll()
      .where('entity', '=', 'taxonomy_class')
      .where('entityId', '=', 'CJT214-2007/component/0150')
      .execute();
    expect(audit.map((a) => a.action)).toEqual(['taxonomy.create']);
    expect(audit[0]?.actorId).not.toBeNull();
  });

  it('creates an extension major 21 and a minor under it', async () => {
    const major = await post({ edition: 'CJT214-2007', kind: 'component', code: '21', name: '扩展部件类' });
    expect(major.statusCode).toBe(201);
    expect(major.json()).toMatchObject({ level: 'major', parentCode: null, isExtension: true });
    const minor = await post({ edition: 'CJT214-2007', kind: 'component', code: '2101', name: '智慧灯杆', parentCode: '21' });
    expect(minor.statusCode).toBe(201);
    expect(minor.json().geometryType).toBe('point');
    // CJ/T 214 events already have the extension major 21 (扩展事件) from the standards data.
    const dup = await post({ edition: 'CJT214-2007', kind: 'event', code: '21', name: '扩展事件' });
    expect(dup.statusCode).toBe(409);
    expect(dup.json().error).toBe('class_exists');
  });

  it('creates detail classes (细类) that start from their minor’s rules', async () => {
    const res = await post({ edition: 'CJT214-2007', kind: 'event', code: '010201', name: '暴露垃圾（生活垃圾）' });
    expect(res.statusCode).toBe(201);
    expect(res.json()).toMatchObject({
      level: 'detail',
      parentCode: '0102',
      majorCode: '01',
      disposalLimit: { value: 4, unit: 'hour', timeType: 'work' },
      defaultDepartmentCode: 'CG-HW',
      geometryType: null,
    });
    expect(res.json().filingCondition).toContain('暴露垃圾');
    const gbt = await post({
      edition: 'GBT47678.5-2026',
      kind: 'event',
      code: '0600101',
      name: '私搭乱建（屋顶）',
      disposalLimit: { value: 10, unit: 'day', timeType: 'work' },
    });
    expect(gbt.statusCode).toBe(201);
    expect(gbt.json()).toMatchObject({ parentCode: '06001', disposalLimit: { value: 10, unit: 'day', timeType: 'work' } });
    // The severity limits come with the parent's levels.
    expect(await t.ctx.services.taxonomy.disposalLimit('GBT47678.5-2026', 'event', '0600101', 'urgent')).toEqual({
      value: 4,
      unit: 'hour',
      timeType: 'work',
    });
    const tree = await t.app.inject({ url: '/api/taxonomy/tree?edition=CJT214-2007&kind=event', headers: { cookie: inspector } });
    const garbage = tree.json()[0].children.find((c: { code: string }) => c.code === '0102');
    expect(garbage.children.map((c: { code: string }) => c.code)).toEqual(['010201']);
  });

  it('rejects bad codes, missing parents, duplicates and rule fields on majors', async () => {
    const cases: Array<[Record<string, unknown>, number, string]> = [
      [{ edition: 'CJT214-2007', kind: 'event', code: '01A2', name: 'x' }, 422, 'class_code_invalid'],
      [{ edition: 'CJT214-2007', kind: 'event', code: '123', name: 'x' }, 422, 'class_code_invalid'],
      [{ edition: 'GBT47678.5-2026', kind: 'event', code: '0150', name: 'x' }, 422, 'class_code_invalid'],
      [{ edition: 'CJT214-2007', kind: 'event', code: '0102001', name: 'x' }, 422, 'class_code_invalid'],
      [{ edition: 'CJT214-2007', kind: 'event', code: '0100', name: 'x' }, 422, 'class_code_invalid'],
      [{ edition: 'CJT214-2007', kind: 'event', code: '07', name: 'x' }, 422, 'class_code_reserved'],
      [{ edition: 'CJT214-2007', kind: 'event', code: '0901', name: 'x' }, 422, 'class_parent_not_found'],
      [{ edition: 'CJT214-2007', kind: 'event', code: '019901', name: 'x', parentCode: '0102' }, 422, 'class_parent_mismatch'],
      [{ edition: 'CJT214-2007', kind: 'event', code: '010299', name: 'x' }, 201, ''],
      [{ edition: 'CJT214-2007', kind: 'event', code: '010299', name: 'x' }, 409, 'class_exists'],
      [{ edition: 'CJT214-2007', kind: 'event', code: '0102', name: 'x' }, 409, 'class_exists'],
      [
        { edition: 'CJT214-2007', kind: 'event', code: '22', name: 'x', disposalLimit: { value: 1, unit: 'day', timeType: 'work' } },
        422,
        'class_rules_on_major',
      ],
      [{ edition: 'CJT214-2007', kind: 'event', code: '0560', name: 'x', geometryType: 'point' }, 422, 'geometry_type_not_applicable'],
      [{ edition: 'CJT214-2007', kind: 'event', code: '0560', name: 'x', defaultDepartmentCode: 'NOPE' }, 422, 'department_not_found'],
      [{ edition: 'CJT214-2007', kind: 'event', code: '0560', name: '  ' }, 422, 'class_name_empty'],
      [{ edition: 'CJT214-2007', kind: 'event', code: '0560', name: 'x', colour: 'red' }, 400, 'validation_failed'],
      [
        { edition: 'CJT214-2007', kind: 'event', code: '0560', name: 'x', disposalLimit: { value: 0, unit: 'day', timeType: 'work' } },
        400,
        'validation_failed',
      ],
      [
        { edition: 'CJT214-2007', kind: 'event', code: '0560', name: 'x', disposalLimit: { value: 1, unit: 'week', timeType: 'work' } },
        400,
        'validation_failed',
      ],
      [{ edition: 'CJT214-2007', kind: 'thing', code: '0560', name: 'x' }, 400, 'validation_failed'],
      [
        {
          edition: 'CJT214-2007',
          kind: 'event',
          code: '0560',
          name: 'x',
          severityLevels: [
            { code: 'normal', name: 'a' },
            { code: 'normal', name: 'b' },
          ],
        },
        422,
        'severity_levels_invalid',
      ],
    ];
    for (const [payload, status, code] of cases) {
      const res = await post(payload);
      expect(res.statusCode, JSON.stringify(payload)).toBe(status);
      if (code) expect(res.json().error, JSON.stringify(payload)).toBe(code);
    }
  });

  it('needs taxonomy.write', async () => {
    const res = await post({ edition: 'CJT214-2007', kind: 'event', code: '0561', name: 'x' }, inspector);
    expect(res.statusCode).toBe(403);
    const patch = await t.app.inject({
      method: 'PATCH',
      url: url('CJT214-2007', 'event', '0102'),
      headers: { cookie: inspector },
      payload: { name: 'x' },
    });
    expect(patch.statusCode).toBe(403);
    const anon = await t.app.inject({ url: '/api/taxonomy/classes' });
    expect(anon.statusCode).toBe(401);
    expect(await t.ctx.services.taxonomy.getClass('CJT214-2007', 'event', '0561')).toBeNull();
  });
});

describe('editing', () => {
  const patch = (code: string, payload: Record<string, unknown>, kind = 'event', edition = 'CJT214-2007') =>
    t.app.inject({ method: 'PATCH', url: url(edition, kind, code), headers: { cookie: admin }, payload });

  it('edits rules of a standard class, audited with before/after', async () => {
    const res = await patch('0102', {
      filingCondition: '公共区域暴露垃圾 0.5 平方米以上',
      closingCondition: '垃圾清运完毕',
      disposalLimit: { value: 1, unit: 'day', timeType: 'work' },
      defaultDepartmentCode: 'CG-SZ',
      severityLevels: [
        { code: 'normal', name: '一般' },
        { code: 'urgent', name: '紧急', limit: { value: 90, unit: 'minute', timeType: 'urgent' } },
      ],
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      filingCondition: '公共区域暴露垃圾 0.5 平方米以上',
      defaultDepartmentCode: 'CG-SZ',
      isExtension: false,
    });
    expect(await t.ctx.services.taxonomy.disposalLimit('CJT214-2007', 'event', '0102', 'urgent')).toEqual({
      value: 90,
      unit: 'minute',
      timeType: 'urgent',
    });
    await expect(t.ctx.services.taxonomy.disposalLimit('CJT214-2007', 'event', '0102', 'major')).rejects.toMatchObject({
      code: 'severity_unknown',
    });
    const audit = await t.ctx.db.selectFrom('auditLog').selectAll().where('entityId', '=', 'CJT214-2007/event/0102').execute();
    expect(audit).toHaveLength(1);
    expect(audit[0]?.before).toMatchObject({ defaultDepartmentCode: 'CG-HW' });
    expect(audit[0]?.after).toMatchObject({ defaultDepartmentCode: 'CG-SZ' });
    // Component geometry type.
    const geom = await patch('0118', { geometryType: 'line' }, 'component');
    expect(geom.json().geometryType).toBe('line');
  });

  it('rejects bad edits', async () => {
    expect((await patch('0102', {})).json().error).toBe('empty_patch');
    expect((await patch('0102', { colour: 'red' })).statusCode).toBe(400);
    expect((await patch('0102', { defaultDepartmentCode: 'NOPE' })).json().error).toBe('department_not_found');
    expect((await patch('0102', { geometryType: 'polygon' })).json().error).toBe('geometry_type_not_applicable');
    expect((await patch('01', { disposalLimit: { value: 1, unit: 'day', timeType: 'work' } })).json().error).toBe('class_rules_on_major');
    expect((await patch('0102', { relatedCode: '9999' })).json().error).toBe('related_class_not_found');
    const missing = await patch('0198', { name: 'x' });
    expect(missing.statusCode).toBe(404);
  });

  it('disabling a major makes its children inactive for new reports', async () => {
    const res = await patch('05', { enabled: false });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ enabled: false, active: false });
    const child = await t.ctx.services.taxonomy.getClass('CJT214-2007', 'event', '0505');
    expect(child).toMatchObject({ enabled: true, active: false });
    const enabledOnly = await t.app.inject({
      url: '/api/taxonomy/classes?edition=CJT214-2007&kind=event&parentCode=05&enabled=true',
      headers: { cookie: admin },
    });
    expect(enabledOnly.json().total).toBe(0);
    const disabled = await t.app.inject({
      url: '/api/taxonomy/classes?edition=CJT214-2007&kind=event&enabled=false',
      headers: { cookie: admin },
    });
    expect(disabled.json().items.map((c: { code: string }) => c.code)).toEqual(expect.arrayContaining(['05', '0501', '0599']));
    // A detail class under a minor of a disabled major is inactive too.
    expect(
      (
        await t.app.inject({
          method: 'POST',
          url: '/api/taxonomy/classes',
          headers: { cookie: admin },
          payload: { edition: 'CJT214-2007', kind: 'event', code: '050501', name: '机动车占用人行道' },
        })
      ).statusCode,
    ).toBe(201);
    expect(await t.ctx.services.taxonomy.getClass('CJT214-2007', 'event', '050501')).toMatchObject({ enabled: true, active: false });
    // The child keeps its own flag: re-enabling the major brings it back.
    await patch('05', { enabled: true });
    expect(await t.ctx.services.taxonomy.getClass('CJT214-2007', 'event', '0505')).toMatchObject({ active: true });
    expect(await t.ctx.services.taxonomy.getClass('CJT214-2007', 'event', '050501')).toMatchObject({ active: true });
  });

  it('deletes unused extensions only', async () => {
    const del = (code: string, kind = 'event') =>
      t.app.inject({ method: 'DELETE', url: url('CJT214-2007', kind, code), headers: { cookie: admin } });
    expect((await del('0102')).json().error).toBe('class_standard');
    expect((await del('21', 'component')).json().error).toBe('class_has_children');
    expect((await del('010299')).statusCode).toBe(204);
    expect(await t.ctx.services.taxonomy.getClass('CJT214-2007', 'event', '010299')).toBeNull();
    expect((await del('010299')).statusCode).toBe(404);
  });
});
