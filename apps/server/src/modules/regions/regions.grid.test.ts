import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, rectangle } from '../../../test/helpers.ts';
import type { Context } from '../../context.ts';
import { metresPerDegree, subdivideGrids } from './regions.grid.ts';
import { importRegions, importRegionsData } from './regions.import.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const DATA = path.resolve(here, '../../../../../../shared/data');

interface GridRow {
  id: number;
  code: string;
  version: number;
  areaM2: number;
  x: number;
  y: number;
  ymin: number;
  ymax: number;
}

async function currentGrids(ctx: Context, parentCode: string): Promise<GridRow[]> {
  const r = await sql<GridRow>`
    SELECT g.id, g.code, g.version, g.area_m2, ST_X(ST_Centroid(g.geom)) AS x, ST_Y(ST_Centroid(g.geom)) AS y,
           ST_YMin(g.geom) AS ymin, ST_YMax(g.geom) AS ymax
    FROM region g JOIN region p ON p.id = g.parent_id
    WHERE g.level = 'grid' AND g.valid_to IS NULL AND p.valid_to IS NULL AND p.code = ${parentCode}
    ORDER BY g.code`.execute(ctx.db);
  return r.rows;
}

/** Per parent: area of the symmetric difference between the parent and its grids' union, and total pairwise overlap. */
async function tiling(ctx: Context, parentCode: string) {
  const r = await sql<{ parentM2: number; sumM2: number; symDiffM2: number; overlapM2: number; outsideM2: number }>`
    WITH p AS (SELECT id, geom, area_m2 FROM region WHERE code = ${parentCode} AND valid_to IS NULL),
         g AS (SELECT r.id, r.geom, r.area_m2 FROM region r, p WHERE r.parent_id = p.id AND r.level = 'grid' AND r.valid_to IS NULL)
    SELECT p.area_m2 AS parent_m2,
           (SELECT sum(area_m2) FROM g) AS sum_m2,
           ST_Area(ST_SymDifference(p.geom, (SELECT ST_Union(geom, 1e-9) FROM g), 1e-9)::geography) AS sym_diff_m2,
           (SELECT coalesce(sum(ST_Area(ST_Intersection(a.geom, b.geom, 1e-9)::geography)), 0)
              FROM g a JOIN g b ON a.id < b.id AND a.geom && b.geom AND ST_Intersects(a.geom, b.geom)) AS overlap_m2,
           (SELECT coalesce(sum(ST_Area(ST_Difference(g.geom, p.geom, 1e-9)::geography)), 0) FROM g) AS outside_m2
    FROM p`.execute(ctx.db);
  return r.rows[0]!;
}

/** Spearman-like check: fraction of consecutive serial pairs that go south, or east within about a row. */
function readingOrderShare(rows: GridRow[], rowHeightDeg: number): number {
  let ok = 0;
  for (let k = 1; k < rows.length; k++) {
    const a = rows[k - 1]!;
    const b = rows[k]!;
    const sameRow = Math.abs(a.y - b.y) < rowHeightDeg / 2;
    if ((sameRow && b.x > a.x) || (!sameRow && b.y < a.y)) ok++;
  }
  return ok / (rows.length - 1);
}

describe('grid subdivision', () => {
  let ctx: Context;
  let close: () => Promise<void>;

  beforeAll(async () => {
    ({ ctx, close } = await createTestContext({ empty: true }));
    await importRegions(ctx, {
      geojsonPath: path.join(DATA, 'yichang-districts.geojson'),
      divisionsCsvPath: path.join(DATA, 'yichang-divisions.csv'),
    });
  });
  afterAll(async () => close?.());

  const SIZE = 200_000;

  it('cuts every street of 西陵区 into grids of about the target size that tile it', async () => {
    const s = await subdivideGrids(ctx, { level: 'street', codePrefix: '420502', targetAreaM2: SIZE });
    expect(s.level).toBe('street');
    expect(s.parents).toBe(10);
    expect(s.closed).toBe(0);
    expect(s.byParent.map((b) => b.code)).toEqual(Array.from({ length: 10 }, (_, i) => `420502${String(i + 1).padStart(3, '0')}`));
    const streets = await ctx.db
      .selectFrom('region')
      .select(['code', 'areaM2'])
      .where('level', '=', 'street')
      .where('code', 'like', '420502%')
      .where('validTo', 'is', null)
      .execute();
    let total = 0;
    for (const st of streets) {
      const grids = await currentGrids(ctx, st.code);
      total += grids.length;
      const expected = st.areaM2 / SIZE;
      expect(grids.length, st.code).toBeGreaterThanOrEqual(Math.floor(expected * 0.85));
      expect(grids.length, st.code).toBeLessThanOrEqual(Math.ceil(expected * 1.15));
      const t = await tiling(ctx, st.code);
      expect(Math.abs(t.sumM2 - t.parentM2) / t.parentM2, st.code).toBeLessThan(0.001);
      expect(t.symDiffM2 / t.parentM2, st.code).toBeLessThan(0.001);
      expect(t.overlapM2, st.code).toBeLessThan(1);
      expect(t.outsideM2, st.code).toBeLessThan(1);
      // No sliver is left on its own: every grid is at least 30 % of the target (the parent has no islands).
      for (const g of grids) expect(g.areaM2, g.code).toBeGreaterThan(SIZE * 0.3 * 0.99);
    }
    expect(s.grids).toBe(total);
    expect(s.minAreaM2).toBeGreaterThan(SIZE * 0.29);
    expect(s.meanAreaM2).toBeGreaterThan(SIZE * 0.85);
    expect(s.meanAreaM2).toBeLessThan(SIZE * 1.15);
  });

  it('codes are street + 000 + a 3-digit serial, numbered north-west first', async () => {
    const grids = await currentGrids(ctx, '420502001');
    expect(grids.length).toBeGreaterThan(20);
    expect(grids.map((g) => g.code)).toEqual(grids.map((_, i) => `420502001000${String(i + 1).padStart(3, '0')}`));
    const street = await sql<{
      ymin: number;
      ymax: number;
    }>`SELECT ST_YMin(geom) AS ymin, ST_YMax(geom) AS ymax FROM region WHERE code = '420502001' AND valid_to IS NULL`.execute(ctx.db);
    const sideDeg = Math.sqrt(SIZE) / metresPerDegree(30.7).ky;
    expect(grids[0]!.ymax).toBeGreaterThan(street.rows[0]!.ymax - 2 * sideDeg);
    expect(grids.at(-1)!.ymin).toBeLessThan(street.rows[0]!.ymin + 2 * sideDeg);
    expect(readingOrderShare(grids, sideDeg)).toBeGreaterThan(0.9);
    const hierarchy = await sql<{ bad: number }>`
      SELECT count(*)::int AS bad FROM region g JOIN region s ON s.id = g.parent_id
      WHERE g.level = 'grid' AND g.valid_to IS NULL
        AND (g.street_id IS DISTINCT FROM s.id OR g.district_id IS DISTINCT FROM s.district_id OR g.community_id IS NOT NULL OR g.name NOT LIKE s.name || '%')`.execute(
      ctx.db,
    );
    expect(hierarchy.rows[0]!.bad).toBe(0);
  });

  it('locate finds the grid of random points inside the street', async () => {
    const pts = await sql<{ x: number; y: number }>`
      SELECT ST_X(d.geom) AS x, ST_Y(d.geom) AS y
      FROM region r, ST_Dump(ST_GeneratePoints(r.geom, 40, 7)) d WHERE r.code = '420502003' AND r.valid_to IS NULL`.execute(ctx.db);
    expect(pts.rows).toHaveLength(40);
    for (const p of pts.rows) {
      const found = await ctx.services.regions.tryLocate(p.x, p.y);
      expect(found, `${p.x},${p.y}`).not.toBeNull();
      expect(found!.distanceM).toBe(0);
      expect(found!.grid.code.startsWith('420502003000')).toBe(true);
      expect(found!.street?.code).toBe('420502003');
      expect(found!.district?.code).toBe('420502');
      const inside = await sql<{ ok: boolean }>`
        SELECT ST_Intersects(geom, ST_SetSRID(ST_MakePoint(${p.x}::float8, ${p.y}::float8), 4326)) AS ok FROM region WHERE id = ${found!.grid.id}`.execute(
        ctx.db,
      );
      expect(inside.rows[0]!.ok).toBe(true);
    }
  });

  it('refuses a parent that already has grids unless replace; replace closes the old versions', async () => {
    const before = await currentGrids(ctx, '420502001');
    await expect(subdivideGrids(ctx, { level: 'street', codePrefix: '420502001', targetAreaM2: SIZE })).rejects.toMatchObject({
      code: 'grids_exist',
      status: 409,
    });
    expect(await currentGrids(ctx, '420502001')).toEqual(before);

    const s = await subdivideGrids(ctx, { level: 'street', codePrefix: '420502001', targetAreaM2: SIZE / 2, replace: true });
    expect(s.parents).toBe(1);
    expect(s.closed).toBe(before.length);
    const after = await currentGrids(ctx, '420502001');
    expect(after.length).toBe(s.grids);
    expect(after.length).toBeGreaterThan(before.length * 1.7);
    // Codes that existed before are version 2 now; the new ones beyond the old count start at 1.
    for (const g of after) expect(g.version, g.code).toBe(before.some((b) => b.code === g.code) ? 2 : 1);
    const old = await ctx.db
      .selectFrom('region')
      .select(['id', 'validTo'])
      .where(
        'id',
        'in',
        before.map((b) => b.id),
      )
      .execute();
    expect(old).toHaveLength(before.length);
    for (const o of old) expect(o.validTo).not.toBeNull();
    const t = await tiling(ctx, '420502001');
    expect(t.symDiffM2 / t.parentM2).toBeLessThan(0.001);
    expect(t.overlapM2).toBeLessThan(1);
    // Other streets are untouched.
    expect((await currentGrids(ctx, '420502002')).every((g) => g.version === 1)).toBe(true);
  });

  it('refuses sizes the grid code has no room for, and writes nothing', async () => {
    const count = async () => (await sql<{ n: number }>`SELECT count(*)::int AS n FROM region`.execute(ctx.db)).rows[0]!.n;
    const n = await count();
    // 夷陵区 streets are ~244 km²: 10,000 m² grids would need ~24,000 serials per street.
    await expect(subdivideGrids(ctx, { level: 'street', codePrefix: '420506001', targetAreaM2: 10_000 })).rejects.toMatchObject({
      code: 'grid_serial_overflow',
      details: { maxSerial: 999 },
    });
    await expect(subdivideGrids(ctx, { codePrefix: '99', targetAreaM2: SIZE })).rejects.toMatchObject({ code: 'grid_parents_not_found' });
    await expect(subdivideGrids(ctx, { targetAreaM2: 5 })).rejects.toMatchObject({ code: 'grid_size_invalid' });
    expect(await count()).toBe(n);
  });

  it('cuts a rectangular street into whole squares and merges slivers into their neighbour (14-digit codes)', async () => {
    await ctx.services.settings.set({ gridCodeDigits: 14 }, null);
    try {
      // In units of the 100 m lattice side, anchored at each street's north-west corner:
      // street 1 is 2.99 × 2.99 squares (3 × 3 grids), street 2 is 3.2 wide, so its last
      // column is a 20 % sliver that must join the column west of it; street 3 is what is left.
      const side = 100;
      const { kx, ky } = metresPerDegree(30.5);
      const rect = (c0: number, r0: number, c1: number, r1: number) => {
        const [a, b, c, d] = [111.5 + (c0 * side) / kx, 30.5 + (r0 * side) / ky, 111.5 + (c1 * side) / kx, 30.5 + (r1 * side) / ky];
        return {
          type: 'Polygon',
          coordinates: [
            [
              [a, b],
              [c, b],
              [c, d],
              [a, d],
              [a, b],
            ],
          ],
        };
      };
      const geojson = {
        type: 'FeatureCollection',
        features: [
          { type: 'Feature', properties: { code: '429201' }, geometry: rect(0, 0.01, 8, 3) },
          { type: 'Feature', properties: { code: '429201001' }, geometry: rect(0, 0.01, 2.99, 3) },
          { type: 'Feature', properties: { code: '429201002' }, geometry: rect(2.99, 0.01, 6.19, 3) },
        ],
      };
      const csv =
        'code,name,level,parent_code\n429201,格网区,district,\n429201001,整齐街道,street,429201\n429201002,零碎街道,street,429201\n429201003,其余街道,street,429201\n';
      await importRegionsData(ctx, { geojson, divisionsCsv: csv });
      const s = await subdivideGrids(ctx, { level: 'street', codePrefix: '4292010', targetAreaM2: 10_000 });
      expect(s.parents).toBe(3);
      expect(s.byParent.map((b) => b.grids)).toEqual([9, 9, 6]);
      expect(s.sliversMerged).toBe(3);

      const tidy = await currentGrids(ctx, '429201001');
      expect(tidy.map((g) => g.code)).toEqual(Array.from({ length: 9 }, (_, i) => `429201001000${String(i + 1).padStart(2, '0')}`));
      for (const g of tidy) expect(g.areaM2).toBeGreaterThan(9_700);
      // Reading order: serials 1–3 are the northern row west→east, then the next rows.
      expect(tidy[0]!.x).toBeLessThan(tidy[1]!.x);
      expect(tidy[1]!.x).toBeLessThan(tidy[2]!.x);
      expect(tidy[0]!.y).toBeGreaterThan(tidy[3]!.y);
      expect(tidy[3]!.y).toBeGreaterThan(tidy[6]!.y);
      expect(tidy[3]!.x).toBeCloseTo(tidy[0]!.x, 9);
      expect(tidy[2]!.y).toBeCloseTo(tidy[0]!.y, 9);

      const ragged = await currentGrids(ctx, '429201002');
      expect(ragged.map((g) => g.code.length)).toEqual(Array(9).fill(14));
      for (const k of [2, 5, 8]) expect(ragged[k]!.areaM2 / 10_000).toBeGreaterThan(1.15);
      for (const k of [0, 1, 3, 4, 6, 7]) expect(ragged[k]!.areaM2 / 10_000).toBeLessThan(1.01);
      for (const code of ['429201001', '429201002', '429201003']) {
        const t = await tiling(ctx, code);
        expect(t.symDiffM2 / t.parentM2, code).toBeLessThan(1e-6);
        expect(t.overlapM2, code).toBeLessThan(0.01);
      }
    } finally {
      await ctx.services.settings.set({ gridCodeDigits: 15 }, null);
    }
  });

  it('subdivides communities by default when the selection has them, and names streets left without', async () => {
    const square = rectangle;
    const geojson = {
      type: 'FeatureCollection',
      features: [{ type: 'Feature', properties: { code: '429301' }, geometry: square(111.6, 30.6, 111.61, 30.605) }],
    };
    const csv = [
      'code,name,level,parent_code',
      '429301,社区区,district,',
      '429301001,有社区街道,street,429301',
      '429301002,无社区街道,street,429301',
      '429301001001,东社区,community,429301001',
      '429301001002,西社区,community,429301001',
    ].join('\n');
    await importRegionsData(ctx, { geojson, divisionsCsv: csv });
    const s = await subdivideGrids(ctx, { codePrefix: '429301', targetAreaM2: 20_000 });
    expect(s.level).toBe('community');
    expect(s.byParent.map((b) => b.code)).toEqual(['429301001001', '429301001002']);
    expect(s.warnings.join(' ')).toContain('429301002');
    for (const community of ['429301001001', '429301001002']) {
      const grids = await currentGrids(ctx, community);
      expect(grids.length).toBeGreaterThan(3);
      expect(grids.map((g) => g.code)).toEqual(grids.map((_, i) => `${community}${String(i + 1).padStart(3, '0')}`));
      const t = await tiling(ctx, community);
      expect(t.symDiffM2 / t.parentM2).toBeLessThan(1e-6);
      expect(t.overlapM2).toBeLessThan(0.01);
    }
    const ids = await sql<{ bad: number }>`
      SELECT count(*)::int AS bad FROM region g JOIN region c ON c.id = g.parent_id
      WHERE g.level = 'grid' AND g.valid_to IS NULL AND c.level = 'community'
        AND (g.community_id IS DISTINCT FROM c.id OR g.street_id IS DISTINCT FROM c.street_id OR g.district_id IS DISTINCT FROM c.district_id)`.execute(
      ctx.db,
    );
    expect(ids.rows[0]!.bad).toBe(0);
    // Streets with communities cannot be gridded as streets.
    await expect(subdivideGrids(ctx, { level: 'street', codePrefix: '429301001', targetAreaM2: 20_000 })).rejects.toMatchObject({
      code: 'street_has_communities',
    });
  });
});
