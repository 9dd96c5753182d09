import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, rectangle } from '../../../test/helpers.ts';
import type { Context } from '../../context.ts';
import { AppError } from '../../errors.ts';
import { type ImportProblem, importRegions, importRegionsData } from './regions.import.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const DATA = path.resolve(here, '../../../../../../shared/data');
const GEOJSON = path.join(DATA, 'yichang-districts.geojson');
const CSV = path.join(DATA, 'yichang-divisions.csv');
const CASES = path.resolve(here, '../../../test/geo/regions-import');

/** code → [name, level] from the divisions CSV, read independently of the importer. */
function csvDivisions(): Map<string, { name: string; level: string; parent: string }> {
  const lines = fs.readFileSync(CSV, 'utf8').trim().split('\n').slice(1);
  return new Map(
    lines.map((l) => {
      const [code, name, level, parent] = l.trim().split(',') as [string, string, string, string];
      return [code, { name, level, parent }];
    }),
  );
}

async function counts(ctx: Context) {
  const r = await sql<{ regions: number; audits: number }>`
    SELECT (SELECT count(*)::int FROM region) AS regions, (SELECT count(*)::int FROM audit_log) AS audits`.execute(ctx.db);
  return r.rows[0]!;
}

describe('import regions (Yichang districts + divisions)', () => {
  let ctx: Context;
  let close: () => Promise<void>;
  let first: Awaited<ReturnType<typeof importRegions>>;

  beforeAll(async () => {
    ({ ctx, close } = await createTestContext({ empty: true }));
    first = await importRegions(ctx, { geojsonPath: GEOJSON, divisionsCsvPath: CSV });
  });
  afterAll(async () => close?.());

  it('creates every district and street of the CSV with its name', async () => {
    const expected = csvDivisions();
    expect(first).toMatchObject({ districts: 13, streets: 113, communities: 0, created: 126, versioned: 0, derived: 113 });
    const rows = await ctx.db
      .selectFrom('region as r')
      .leftJoin('region as p', 'p.id', 'r.parentId')
      .select(['r.code', 'r.name', 'r.level', 'r.version', 'p.code as parentCode', 'r.districtId', 'p.id as pid'])
      .where('r.validTo', 'is', null)
      .execute();
    expect(rows).toHaveLength(126);
    for (const r of rows) {
      const e = expected.get(r.code);
      expect(e, r.code).toBeDefined();
      expect(r.name).toBe(e!.name);
      expect(r.level).toBe(e!.level);
      expect(r.version).toBe(1);
      if (r.level === 'street') {
        expect(r.parentCode).toBe(e!.parent);
        expect(r.districtId).toBe(r.pid);
      } else expect(r.parentCode).toBeNull();
    }
    expect(rows.filter((r) => r.level === 'district').map((r) => r.name)).toContain('西陵区');
  });

  it('stores valid MultiPolygons in SRID 4326 with the GeoJSON boundary for districts', async () => {
    const r = await sql<{ n: number; bad: number }>`
      SELECT count(*)::int AS n,
             count(*) FILTER (WHERE NOT ST_IsValid(geom) OR ST_SRID(geom) <> 4326 OR GeometryType(geom) <> 'MULTIPOLYGON' OR area_m2 <= 0)::int AS bad
      FROM region WHERE valid_to IS NULL`.execute(ctx.db);
    expect(r.rows[0]).toEqual({ n: 126, bad: 0 });
    // 西陵区: the stored boundary is the feature's (same area as computing it from the file).
    const feature = (
      JSON.parse(fs.readFileSync(GEOJSON, 'utf8')) as { features: Array<{ properties: { adcode: number }; geometry: unknown }> }
    ).features.find((f) => f.properties.adcode === 420502)!;
    const a = await sql<{ stored: number; file: number }>`
      SELECT (SELECT area_m2 FROM region WHERE code = '420502' AND valid_to IS NULL) AS stored,
             ST_Area(ST_SetSRID(ST_GeomFromGeoJSON(${JSON.stringify(feature.geometry)}), 4326)::geography) AS file`.execute(ctx.db);
    expect(a.rows[0]!.stored).toBeCloseTo(a.rows[0]!.file, 0);
    expect(a.rows[0]!.stored / 1e6).toBeGreaterThan(80);
    expect(a.rows[0]!.stored / 1e6).toBeLessThan(84);
  });

  it('repairs the three districts whose MultiPolygon parts share edges, with a warning each', () => {
    const repaired = first.warnings.filter((w) => w.includes('repaired'));
    expect(repaired).toHaveLength(3);
    for (const code of ['420526', '420527', '420582']) expect(repaired.some((w) => w.includes(code))).toBe(true);
  });

  it('streets tile their district: equal area sum, no overlaps, no gaps', async () => {
    const r = await sql<{ code: string; n: number; districtM2: number; streetsM2: number; overlapM2: number; gapM2: number }>`
      SELECT d.code, count(s.id)::int AS n, d.area_m2 AS district_m2, sum(s.area_m2) AS streets_m2,
             (SELECT coalesce(sum(ST_Area(ST_Intersection(a.geom, b.geom, 1e-9)::geography)), 0)
                FROM region a JOIN region b ON a.id < b.id AND a.geom && b.geom
               WHERE a.parent_id = d.id AND b.parent_id = d.id AND a.valid_to IS NULL AND b.valid_to IS NULL) AS overlap_m2,
             ST_Area(ST_Difference(d.geom, ST_Union(s.geom, 1e-9), 1e-9)::geography) AS gap_m2
      FROM region d JOIN region s ON s.parent_id = d.id AND s.valid_to IS NULL
      WHERE d.level = 'district' AND d.valid_to IS NULL
      GROUP BY d.id ORDER BY d.code`.execute(ctx.db);
    expect(r.rows).toHaveLength(13);
    const expectedStreets = [...csvDivisions().values()].filter((d) => d.level === 'street');
    for (const d of r.rows) {
      expect(d.n, d.code).toBe(expectedStreets.filter((s) => s.parent === d.code).length);
      expect(Math.abs(d.streetsM2 - d.districtM2) / d.districtM2, d.code).toBeLessThan(0.005);
      expect(d.overlapM2 / d.districtM2, d.code).toBeLessThan(1e-6);
      expect(d.gapM2 / d.districtM2, d.code).toBeLessThan(1e-4);
    }
  });

  it('derives streets of about equal area, numbered from the north-west', async () => {
    const r = await sql<{ code: string; areaM2: number; x: number; y: number }>`
      SELECT code, area_m2, ST_X(ST_Centroid(geom)) AS x, ST_Y(ST_Centroid(geom)) AS y
      FROM region WHERE valid_to IS NULL AND level = 'street' AND code LIKE '420502%' ORDER BY code`.execute(ctx.db);
    expect(r.rows).toHaveLength(10);
    const mean = r.rows.reduce((s, x) => s + x.areaM2, 0) / r.rows.length;
    for (const s of r.rows) expect(Math.abs(s.areaM2 - mean) / mean).toBeLessThan(0.01);
    const first = r.rows[0]!;
    const last = r.rows.at(-1)!;
    expect(first.x < last.x || first.y > last.y).toBe(true);
  });

  it('derives streets and communities beside children that have their own polygons', async () => {
    const square = rectangle;
    const geojson = {
      type: 'FeatureCollection',
      features: [
        { type: 'Feature', properties: { code: '429101' }, geometry: square(111.0, 30.0, 111.04, 30.02) },
        { type: 'Feature', properties: { code: '429101001' }, geometry: square(111.0, 30.0, 111.02, 30.02) },
      ],
    };
    const csv = [
      'code,name,level,parent_code',
      '429101,合成区,district,429100',
      '429101001,自带边界街道,street,429101',
      '429101002,划分街道甲,street,429101',
      '429101003,划分街道乙,street,',
      '429101002001,社区一,community,429101002',
      '429101002002,社区二,community,429101002',
      '429101002003,社区三,community,429101002',
    ].join('\n');
    const s = await importRegionsData(ctx, { geojson, divisionsCsv: csv });
    expect(s).toMatchObject({ districts: 1, streets: 3, communities: 3, derived: 5, created: 7 });
    const rows = await sql<{
      code: string;
      level: string;
      areaM2: number;
      xmin: number;
      streetId: number | null;
      districtId: number | null;
      parentCode: string;
    }>`
      SELECT r.code, r.level, r.area_m2, ST_XMin(r.geom) AS xmin, r.street_id, r.district_id, p.code AS parent_code
      FROM region r LEFT JOIN region p ON p.id = r.parent_id
      WHERE r.code LIKE '429101%' AND r.valid_to IS NULL ORDER BY r.code`.execute(ctx.db);
    const by = new Map(rows.rows.map((r) => [r.code, r]));
    const district = by.get('429101')!;
    const own = by.get('429101001')!;
    const a = by.get('429101002')!;
    const b = by.get('429101003')!;
    expect(own.areaM2 / district.areaM2).toBeCloseTo(0.5, 2);
    // The derived streets share the eastern half equally.
    expect(a.areaM2 / district.areaM2).toBeCloseTo(0.25, 2);
    expect(b.areaM2 / district.areaM2).toBeCloseTo(0.25, 2);
    expect(Math.min(a.xmin, b.xmin)).toBeCloseTo(111.02, 6);
    const communities = rows.rows.filter((r) => r.level === 'community');
    expect(communities).toHaveLength(3);
    for (const c of communities) {
      expect(c.parentCode).toBe('429101002');
      expect(c.streetId).toBe((await ctx.services.regions.repo.getByCode('429101002'))!.id);
      expect(c.districtId).toBe((await ctx.services.regions.repo.getByCode('429101'))!.id);
      expect(c.areaM2 / a.areaM2).toBeCloseTo(1 / 3, 2);
    }
    const union = await sql<{ gap: number; overlap: number }>`
      SELECT ST_Area(ST_SymDifference(s.geom, (SELECT ST_Union(geom, 1e-9) FROM region WHERE parent_id = s.id AND valid_to IS NULL), 1e-9)) / ST_Area(s.geom) AS gap,
             (SELECT coalesce(sum(ST_Area(ST_Intersection(x.geom, y.geom, 1e-9))), 0) FROM region x JOIN region y ON x.id < y.id
               WHERE x.parent_id = s.id AND y.parent_id = s.id AND x.valid_to IS NULL AND y.valid_to IS NULL) AS overlap
      FROM region s WHERE s.code = '429101002' AND s.valid_to IS NULL`.execute(ctx.db);
    expect(union.rows[0]!.gap).toBeLessThan(1e-6);
    expect(union.rows[0]!.overlap).toBeLessThan(1e-12);
  });

  describe('bad inputs give a row-by-row report and write nothing', () => {
    const cases = fs.readdirSync(CASES).sort();
    it('has data cases', () => expect(cases.length).toBeGreaterThanOrEqual(8));
    for (const name of cases) {
      it(name, async () => {
        const dir = path.join(CASES, name);
        const expected = JSON.parse(fs.readFileSync(path.join(dir, 'expected.json'), 'utf8')) as {
          problems: Array<Partial<ImportProblem>>;
        };
        const before = await counts(ctx);
        const err = await importRegions(ctx, {
          geojsonPath: path.join(dir, 'input.geojson'),
          divisionsCsvPath: path.join(dir, 'divisions.csv'),
        }).then(
          () => null,
          (e: unknown) => e,
        );
        expect(err).toBeInstanceOf(AppError);
        const e = err as AppError;
        expect(e.code).toBe('region_import_invalid');
        expect(e.status).toBe(422);
        const problems = (e.details as { problems: ImportProblem[] }).problems;
        expect(problems).toHaveLength(expected.problems.length);
        for (const want of expected.problems) expect(problems).toContainEqual(expect.objectContaining(want));
        for (const p of problems) expect(p.message).toMatch(/[\u4e00-\u9fff].* ?\/ [A-Za-z]/);
        expect(await counts(ctx)).toEqual(before);
      });
    }
  });

  it('reports a missing file clearly', async () => {
    await expect(importRegions(ctx, { geojsonPath: '/nonexistent/x.geojson', divisionsCsvPath: CSV })).rejects.toMatchObject({
      code: 'file_not_found',
    });
  });

  it('re-importing makes version 2 of every code and keeps version 1 closed', async () => {
    const beforeIds = new Map(
      (await ctx.db.selectFrom('region').select(['id', 'code']).where('validTo', 'is', null).where('code', 'like', '42050%').execute()).map(
        (r) => [r.code, r.id],
      ),
    );
    const again = await importRegions(ctx, { geojsonPath: GEOJSON, divisionsCsvPath: CSV });
    expect(again).toMatchObject({ districts: 13, streets: 113, created: 0, versioned: 126 });
    const r = await sql<{ current: number; v2: number; closed: number; total: number }>`
      SELECT count(*) FILTER (WHERE valid_to IS NULL)::int AS current,
             count(*) FILTER (WHERE valid_to IS NULL AND version = 2)::int AS v2,
             count(*) FILTER (WHERE valid_to IS NOT NULL AND version = 1)::int AS closed,
             count(*)::int AS total
      FROM region WHERE code LIKE '42%' AND code NOT LIKE '4291%'`.execute(ctx.db);
    expect(r.rows[0]).toEqual({ current: 126, v2: 126, closed: 126, total: 252 });
    // Streets point at the new district versions.
    const orphans = await sql<{ n: number }>`
      SELECT count(*)::int AS n FROM region s JOIN region d ON d.id = s.parent_id
      WHERE s.valid_to IS NULL AND d.valid_to IS NOT NULL`.execute(ctx.db);
    expect(orphans.rows[0]!.n).toBe(0);
    const xiling = await ctx.services.regions.repo.history('420502');
    expect(xiling.map((h) => h.version)).toEqual([1, 2]);
    expect(xiling[0]!.validTo).not.toBeNull();
    expect(xiling[1]!.validTo).toBeNull();
    expect(beforeIds.get('420502')).toBe(xiling[0]!.id);
    const audit = await ctx.db.selectFrom('auditLog').select('action').where('action', '=', 'region.import').execute();
    expect(audit.length).toBeGreaterThanOrEqual(3);
  });

  it('takes a parent from the database when the file only has its children', async () => {
    const csv = (codes: string[]) =>
      ['code,name,level,parent_code', ...codes.map((c, i) => `${c},重划街道${i + 1},street,420505`)].join('\n');
    const empty = { type: 'FeatureCollection', features: [] };
    // Only one of the three current streets of 猇亭区: deriving it would overlap the other two.
    const before = await counts(ctx);
    const err = await importRegionsData(ctx, { geojson: empty, divisionsCsv: csv(['420505001']) }).catch((e: AppError) => e);
    expect(err).toMatchObject({ code: 'region_import_invalid' });
    const problems = ((err as AppError).details as { problems: ImportProblem[] }).problems;
    expect(problems.map((p) => p.problem)).toEqual(['parent_has_other_children', 'parent_has_other_children']);
    expect(await counts(ctx)).toEqual(before);

    const district = await ctx.services.regions.repo.getByCode('420505');
    const s = await importRegionsData(ctx, { geojson: empty, divisionsCsv: csv(['420505001', '420505002', '420505003']) });
    expect(s).toMatchObject({ districts: 0, streets: 3, reusedParents: 1, versioned: 3, derived: 3 });
    const streets = await ctx.db
      .selectFrom('region')
      .select(['code', 'name', 'parentId', 'version'])
      .where('code', 'like', '420505___')
      .where('validTo', 'is', null)
      .orderBy('code')
      .execute();
    expect(streets.map((r) => [r.code, r.name, r.parentId])).toEqual([
      ['420505001', '重划街道1', district!.id],
      ['420505002', '重划街道2', district!.id],
      ['420505003', '重划街道3', district!.id],
    ]);
    expect(streets.every((r) => r.version === 3)).toBe(true);
    expect((await ctx.services.regions.repo.getByCode('420505'))!.version).toBe(2);
  });
});
