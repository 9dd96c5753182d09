import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, rectangle, type TestApp } from '../../../test/helpers.ts';
import type { ImportProblem } from './regions.import.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
/** Real Yichang district boundaries, outside the repository (read by tests only). */
const YICHANG = path.resolve(here, '../../../../../../shared/data/yichang-districts.geojson');

type Props = Record<string, unknown>;
const feature = (properties: Props, geometry: unknown) => ({ type: 'Feature', properties, geometry });
const fc = (...features: unknown[]) => ({ type: 'FeatureCollection', features });

/**
 * A small made-up city far from Yichang: district 429001 ⊃ street 429001001 ⊃ community
 * 429001001001 (all the same 0.004° square), cut into two unit grids side by side.
 */
const X = 112.5;
const Y = 31.5;
const division = fc(
  feature({ adcode: 429001, name: '测试区' }, rectangle(X, Y, X + 0.004, Y + 0.004)),
  feature({ code: '429001001', name: '测试街道' }, rectangle(X, Y, X + 0.004, Y + 0.004)),
  feature({ code: '429001001001', name: '测试社区' }, rectangle(X, Y, X + 0.004, Y + 0.004)),
);
const grids = fc(
  feature({ code: '429001001001001', name: '测试一号网格' }, rectangle(X, Y, X + 0.002, Y + 0.004)),
  feature({ code: '429001001001002' }, rectangle(X + 0.002, Y, X + 0.004, Y + 0.004)),
);

describe('POST /api/regions/import', () => {
  let t: TestApp;
  let admin: string;
  let viewer: string;

  const counts = async () =>
    (
      await sql<{ regions: number; audits: number }>`
        SELECT (SELECT count(*)::int FROM region) AS regions,
               (SELECT count(*)::int FROM audit_log WHERE action = 'region.import') AS audits`.execute(t.ctx.db)
    ).rows[0]!;
  const post = (payload: object, cookie = admin) =>
    t.app.inject({ method: 'POST', url: '/api/regions/import', headers: { cookie }, payload });
  const problemsOf = (body: string) => (JSON.parse(body) as { details: { problems: ImportProblem[] } }).details.problems;

  beforeAll(async () => {
    t = await createTestApp({ empty: true });
    const { orgs } = t.ctx.services;
    await orgs.createPerson({ username: 'root', name: '管理员', password: 'root-pass-1', roles: [{ role: 'admin' }] }, null);
    await orgs.createPerson({ username: 'seat', name: '坐席', password: 'seat-pass-1', roles: [{ role: 'acceptor' }] }, null);
    admin = await t.login('root', 'root-pass-1');
    viewer = await t.login('seat', 'seat-pass-1');
  });
  afterAll(async () => t?.close());

  it('is for administrators only', async () => {
    const res = await post({ geojson: division, dryRun: true }, viewer);
    expect(res.statusCode).toBe(403);
  });

  it('previews the Yichang districts without writing, then imports them with their names, audited', async () => {
    const geojson = JSON.parse(fs.readFileSync(YICHANG, 'utf8')) as object;
    const before = await counts();
    const preview = await post({ geojson, dryRun: true });
    expect(preview.statusCode, preview.body).toBe(200);
    expect(preview.json()).toMatchObject({ dryRun: true, districts: 13, streets: 0, communities: 0, grids: 0, created: 13 });
    expect(preview.json().warnings.filter((w: string) => w.includes('repaired'))).toHaveLength(3);
    expect(await counts()).toEqual(before);

    const res = await post({ geojson });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ dryRun: false, districts: 13, created: 13, versioned: 0 });
    const xiling = await t.ctx.services.regions.repo.getByCode('420502');
    expect(xiling).toMatchObject({ name: '西陵区', level: 'district', version: 1 });
    const audit = await t.ctx.db
      .selectFrom('auditLog as a')
      .innerJoin('person as p', 'p.id', 'a.actorId')
      .select(['p.username', 'a.after'])
      .where('a.action', '=', 'region.import')
      .execute();
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ username: 'root', after: { districts: 13, dryRun: false } });
  });

  it('imports a district, street and community, then their unit grids into them', async () => {
    const d = await post({ geojson: division });
    expect(d.statusCode, d.body).toBe(200);
    expect(d.json()).toMatchObject({ districts: 1, streets: 1, communities: 1, grids: 0, created: 3 });
    const g = await post({ geojson: grids });
    expect(g.statusCode, g.body).toBe(200);
    expect(g.json()).toMatchObject({ grids: 2, created: 2, versioned: 0 });

    const located = await t.app.inject({
      method: 'GET',
      url: `/api/regions/locate?lng=${X + 0.003}&lat=${Y + 0.001}`,
      headers: { cookie: admin },
    });
    expect(located.statusCode, located.body).toBe(200);
    expect(located.json()).toMatchObject({
      grid: { code: '429001001001002', name: '测试社区002号网格' },
      community: { code: '429001001001', name: '测试社区' },
      street: { code: '429001001', name: '测试街道' },
      district: { code: '429001', name: '测试区' },
    });
    const first = await t.ctx.services.regions.repo.getByCode('429001001001001');
    expect(first).toMatchObject({ name: '测试一号网格', level: 'grid' });
  });

  it('re-importing a grid makes its next version and moves its beat to it', async () => {
    const old = (await t.ctx.services.regions.repo.getByCode('429001001001001'))!;
    const beat = await t.ctx.db
      .insertInto('beat')
      .values({ code: 'B-IMPORT', name: '导入测试责任网格' })
      .returning('id')
      .executeTakeFirstOrThrow();
    await t.ctx.db.insertInto('beatGrid').values({ beatId: beat.id, gridId: old.id }).execute();

    const res = await post({ geojson: fc(grids.features[0]) });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ grids: 1, created: 0, versioned: 1 });
    const cur = (await t.ctx.services.regions.repo.getByCode('429001001001001'))!;
    expect(cur.version).toBe(2);
    const bg = await t.ctx.db.selectFrom('beatGrid').select('gridId').where('beatId', '=', beat.id).execute();
    expect(bg).toEqual([{ gridId: cur.id }]);
  });

  it('refuses a bad file with 422, a stable code per problem naming the feature, and writes nothing', async () => {
    const before = await counts();
    const bad = fc(
      feature({ code: '429001002' }, rectangle(X, Y, X + 0.001, Y + 0.001)), // 1: no name
      feature({ code: '429002001', name: '孤儿街道' }, rectangle(X + 1, Y, X + 1.001, Y + 0.001)), // 2: parent unknown
      feature({ code: '429001001001003', name: '越界' }, rectangle(X + 0.003, Y, X + 0.005, Y + 0.001)), // 3: outside + overlap
      feature({ code: '42900100100104', name: '短码' }, rectangle(X, Y, X + 0.001, Y + 0.001)), // 4: 14 digits in a 15-digit city
      feature({ code: '429001001009001', name: '无社区' }, rectangle(X, Y, X + 0.001, Y + 0.001)), // 5: community unknown
      feature({ code: '42', name: '坏码' }, rectangle(X, Y, X + 0.001, Y + 0.001)), // 6: code pattern
      feature(
        { code: '429001003', name: '线' },
        {
          type: 'LineString',
          coordinates: [
            [X, Y],
            [X + 1, Y + 1],
          ],
        },
      ), // 7
    );
    // A dry run reports the same problems as the import.
    for (const dryRun of [true, false]) {
      const res = await post({ geojson: bad, dryRun });
      expect(res.statusCode, res.body).toBe(422);
      expect(res.json().error).toBe('region_import_invalid');
      const problems = problemsOf(res.body);
      const got = problems.map((p) => [p.feature, p.code, p.problem]);
      expect(got).toEqual(
        expect.arrayContaining([
          [1, '429001002', 'name_missing'],
          [2, '429002001', 'unknown_parent'],
          [4, '42900100100104', 'grid_code_pattern'],
          [6, '42', 'code_pattern'],
          [7, '429001003', 'geometry_wrong_type'],
        ]),
      );
      for (const p of problems) {
        expect(p.source).toBe('geojson');
        expect(p.message).toMatch(/[\u4e00-\u9fff].* ?\/ [A-Za-z]/);
      }
    }
    expect(await counts()).toEqual(before);

    // Grid placement is checked once the rest of the file is clean.
    const badGrids = fc(
      feature({ code: '429001001001003', name: '越界' }, rectangle(X + 0.003, Y, X + 0.005, Y + 0.001)),
      feature({ code: '429001001009001', name: '无社区' }, rectangle(X, Y, X + 0.001, Y + 0.001)),
    );
    const res = await post({ geojson: badGrids });
    expect(res.statusCode, res.body).toBe(422);
    expect(problemsOf(res.body).map((p) => [p.feature, p.code, p.problem])).toEqual([
      [1, '429001001001003', 'grid_outside_parent'],
      [1, '429001001001003', 'grid_overlaps'],
      [2, '429001001009001', 'grid_parent_missing'],
    ]);
    const overlapping = fc(
      feature({ code: '429001001001011' }, rectangle(X, Y, X + 0.002, Y + 0.002)),
      feature({ code: '429001001001012' }, rectangle(X + 0.001, Y, X + 0.003, Y + 0.002)),
    );
    const res2 = await post({ geojson: overlapping });
    expect(res2.statusCode).toBe(422);
    const p2 = problemsOf(res2.body);
    expect(p2.filter((p) => p.problem === 'grid_overlaps').map((p) => p.feature)).toEqual([1, 1, 2]);
    expect(p2.find((p) => p.message.includes('429001001001012'))?.message).toContain('same file');
    expect(await counts()).toEqual(before);
  });

  it('answers a body that is not a FeatureCollection with its own problem code', async () => {
    const res = await post({ geojson: { type: 'Feature', properties: {}, geometry: null } });
    expect(res.statusCode).toBe(422);
    expect(problemsOf(res.body).map((p) => p.problem)).toEqual(['not_feature_collection']);
    const empty = await post({ geojson: fc() });
    expect(empty.statusCode).toBe(422);
    expect(problemsOf(empty.body).map((p) => p.problem)).toEqual(['no_features']);
  });
});

describe('POST /api/regions/import: the city exported and imported back', () => {
  let t: TestApp;
  let admin: string;
  beforeAll(async () => {
    t = await createTestApp();
    admin = await t.login('admin');
  });
  afterAll(async () => t?.close());

  it('takes the grids of GET /api/regions/geojson as they are, each as its next version, beats following', async () => {
    const exported = await t.app.inject({ method: 'GET', url: '/api/regions/geojson?level=grid', headers: { cookie: admin } });
    expect(exported.statusCode).toBe(200);
    const fc = exported.json() as { features: Array<{ properties: { id: number; code: string } }> };
    expect(fc.features.length).toBeGreaterThan(10);
    const beatGrids = await t.ctx.db.selectFrom('beatGrid').select(['beatId', 'gridId']).execute();

    const res = await t.app.inject({ method: 'POST', url: '/api/regions/import', headers: { cookie: admin }, payload: { geojson: fc } });
    expect(res.statusCode, res.body.slice(0, 500)).toBe(200);
    expect(res.json()).toMatchObject({ grids: fc.features.length, versioned: fc.features.length, created: 0 });

    // Every beat holds the new versions of the same grids.
    const now = await sql<{ beatId: number; code: string; current: boolean }>`
      SELECT bg.beat_id, r.code, r.valid_to IS NULL AS current FROM beat_grid bg JOIN region r ON r.id = bg.grid_id`.execute(t.ctx.db);
    expect(now.rows).toHaveLength(beatGrids.length);
    expect(now.rows.every((r) => r.current)).toBe(true);
    const codeOf = new Map(fc.features.map((f) => [f.properties.id, f.properties.code]));
    expect(new Set(now.rows.map((r) => `${r.beatId}:${r.code}`))).toEqual(
      new Set(beatGrids.map((b) => `${b.beatId}:${codeOf.get(b.gridId)}`)),
    );
  });
});
