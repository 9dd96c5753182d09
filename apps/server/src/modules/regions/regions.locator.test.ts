import fc from 'fast-check';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext } from '../../../test/helpers.ts';
import type { Context } from '../../context.ts';
import { EDGE_DEG, GridLocator } from './regions.locator.ts';

const square = (x0: number, y0: number, x1: number, y1: number) => [
  [x0, y0],
  [x1, y0],
  [x1, y1],
  [x0, y1],
  [x0, y0],
];

describe('GridLocator', () => {
  const locator = new GridLocator([
    { id: 7, geometry: { type: 'Polygon', coordinates: [square(0, 0, 10, 10), square(4, 4, 6, 6)] } }, // with a hole
    { id: 3, geometry: { type: 'MultiPolygon', coordinates: [[square(10, 0, 20, 10)], [square(4.5, 4.5, 5.5, 5.5)]] } }, // one part in the hole
  ]);

  it('places points by the even-odd rule, holes and multipolygons included', () => {
    expect(locator.place(1, 1)).toBe(7);
    expect(locator.place(15, 5)).toBe(3);
    expect(locator.place(4.2, 4.2)).toBeNull(); // in the hole, outside the island
    expect(locator.place(5, 5)).toBe(3); // the island inside the hole
    expect(locator.place(25, 5)).toBeNull();
    expect(locator.place(-1, -1)).toBeNull();
    expect(locator.place(Number.NaN, 1)).toBeNull();
  });

  it('leaves points on or next to an edge to PostGIS', () => {
    expect(locator.place(10, 5)).toBe('edge'); // the boundary the two grids share
    expect(locator.place(10 + EDGE_DEG / 2, 5)).toBe('edge');
    expect(locator.place(10, 10)).toBe('edge'); // a vertex
    expect(locator.place(4, 5)).toBe('edge'); // the hole's rim
    expect(locator.place(0, 3)).toBe('edge'); // the city's outer edge
    expect(locator.locate(10, 5)).toBeNull();
    // Just far enough from the edge: settled in memory.
    expect(locator.place(10 - 1e-7, 5)).toBe(7);
    expect(locator.place(10 + 1e-7, 5)).toBe(3);
  });

  it('gives the lowest id where grids overlap', () => {
    const overlapping = new GridLocator([
      { id: 9, geometry: { type: 'Polygon', coordinates: [square(0, 0, 2, 2)] } },
      { id: 4, geometry: { type: 'Polygon', coordinates: [square(1, 1, 3, 3)] } },
    ]);
    expect(overlapping.place(1.5, 1.5)).toBe(4);
    expect(overlapping.place(0.5, 0.5)).toBe(9);
    expect(overlapping.place(2.5, 2.5)).toBe(4);
  });

  it('is empty without grids', () => {
    expect(new GridLocator([]).place(1, 1)).toBeNull();
  });
});

describe('GridLocator against PostGIS on the demo city', () => {
  let ctx: Context;
  let close: () => Promise<void>;
  let locator: GridLocator;
  let bbox: { x0: number; y0: number; x1: number; y1: number };
  let vertices: Array<[number, number]>;

  beforeAll(async () => {
    ({ ctx, close } = await createTestContext());
    const { grids } = await ctx.services.regions.repo.currentGridsWithAncestors();
    ({ locator } = await ctx.services.regions.currentGrids());
    const b = (
      await sql<{ x0: number; y0: number; x1: number; y1: number }>`
        SELECT ST_XMin(e) AS x0, ST_YMin(e) AS y0, ST_XMax(e) AS x1, ST_YMax(e) AS y1
        FROM (SELECT ST_Extent(geom)::geometry AS e FROM region WHERE valid_to IS NULL AND level = 'grid') x`.execute(ctx.db)
    ).rows[0];
    bbox = b as typeof bbox;
    vertices = grids.slice(0, 40).flatMap((g) => {
      const geo = JSON.parse(g.geometry) as { type: string; coordinates: number[][][] | number[][][][] };
      const rings = (geo.type === 'MultiPolygon' ? (geo.coordinates as number[][][][]).flat() : geo.coordinates) as number[][][];
      return (rings[0] ?? []).slice(0, 3).map((p) => [p[0], p[1]] as [number, number]);
    });
  });
  afterAll(() => close());

  /** PostGIS' answer for each point: the lowest-id current grid that intersects it. */
  const postgis = async (points: Array<[number, number]>) => {
    const res = await sql<{ i: number; id: number | null }>`
      SELECT p.i, (SELECT r.id FROM region r WHERE r.valid_to IS NULL AND r.level = 'grid'
                     AND ST_Intersects(r.geom, ST_SetSRID(ST_MakePoint(p.x, p.y), 4326)) ORDER BY r.id LIMIT 1) AS id
      FROM jsonb_to_recordset(${JSON.stringify(points.map(([x, y], i) => ({ i, x, y })))}::jsonb) AS p(i int, x float8, y float8)
      ORDER BY p.i`.execute(ctx.db);
    return res.rows.map((r) => (r.id === null ? null : Number(r.id)));
  };

  it('agrees with ST_Intersects wherever it answers, and defers only near edges', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.double({ min: 0, max: 1, noNaN: true }), fc.double({ min: 0, max: 1, noNaN: true })), {
          minLength: 50,
          maxLength: 200,
        }),
        async (unit) => {
          // Points over the city's extent and a little beyond it.
          const w = bbox.x1 - bbox.x0;
          const h = bbox.y1 - bbox.y0;
          const points = unit.map(([u, v]) => [bbox.x0 - 0.05 * w + u * 1.1 * w, bbox.y0 - 0.05 * h + v * 1.1 * h] as [number, number]);
          const expected = await postgis(points);
          points.forEach(([x, y], i) => {
            const mine = locator.place(x, y);
            if (mine !== 'edge') expect(mine, `(${x}, ${y})`).toBe(expected[i]);
          });
        },
      ),
      { numRuns: 20 },
    );
  });

  it('defers grid vertices, which PostGIS places on a grid', async () => {
    expect(vertices.length).toBeGreaterThan(10);
    const expected = await postgis(vertices);
    vertices.forEach(([x, y], i) => {
      expect(locator.place(x, y)).toBe('edge');
      expect(expected[i]).not.toBeNull();
    });
  });
});

describe('tryLocate keeps its grids in step with the database', () => {
  let ctx: Context;
  let close: () => Promise<void>;
  beforeAll(async () => {
    ({ ctx, close } = await createTestContext({ empty: true }));
  });
  afterAll(() => close());

  it('sees a region written by any path, at once: no hook, only the revision', async () => {
    expect(await ctx.services.regions.tryLocate(111.5, 30.5)).toBeNull();
    const rev0 = await ctx.services.regions.repo.revision();
    // Written with plain SQL, as another process or a bulk tool would.
    await sql`INSERT INTO region (level, code, name, geom, area_m2)
      VALUES ('grid', '420502001001001', '网格甲', ST_Multi(ST_GeomFromText('POLYGON((111 30, 112 30, 112 31, 111 31, 111 30))', 4326)), 1)`.execute(
      ctx.db,
    );
    expect(BigInt(await ctx.services.regions.repo.revision())).toBeGreaterThan(BigInt(rev0));
    expect((await ctx.services.regions.tryLocate(111.5, 30.5))?.grid.code).toBe('420502001001001');

    // A rename shows in the next answer.
    await sql`UPDATE region SET name = '网格乙' WHERE code = '420502001001001'`.execute(ctx.db);
    expect((await ctx.services.regions.tryLocate(111.5, 30.5))?.grid.name).toBe('网格乙');

    // A boundary moved away: the point is outside the city again.
    await sql`UPDATE region SET geom = ST_Multi(ST_GeomFromText('POLYGON((113 30, 114 30, 114 31, 113 31, 113 30))', 4326))
      WHERE code = '420502001001001'`.execute(ctx.db);
    expect(await ctx.services.regions.tryLocate(111.5, 30.5)).toBeNull();
    expect((await ctx.services.regions.tryLocate(113.5, 30.5))?.grid.code).toBe('420502001001001');

    // Concurrent callers all get the current answer.
    const many = await Promise.all(Array.from({ length: 20 }, () => ctx.services.regions.tryLocate(113.5, 30.5)));
    expect(new Set(many.map((m) => m?.grid.code))).toEqual(new Set(['420502001001001']));
  });
});
