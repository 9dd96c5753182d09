import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CoordSys } from '@cityloop/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext } from '../../../test/helpers.ts';
import type { Context } from '../../context.ts';

/**
 * Point → grid rules, driven by data folders: test/geo/locate/<case>/input.geojson holds
 * the grids, expected.json the points and the grid each must land in (or null).
 * A locate bug fix starts with a new folder here.
 */
const casesDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../test/geo/locate');
const cases = fs.readdirSync(casesDir).sort();

interface ExpectedPoint {
  name: string;
  lng: number;
  lat: number;
  coordSys?: CoordSys;
  grid?: string | null;
  gridIn?: string[];
  distanceM?: [number, number];
}

describe.each(cases)('locate: %s', (name) => {
  let ctx: Context;
  let close: () => Promise<void>;
  const input = JSON.parse(fs.readFileSync(path.join(casesDir, name, 'input.geojson'), 'utf8'));
  const expected = JSON.parse(fs.readFileSync(path.join(casesDir, name, 'expected.json'), 'utf8')) as { points: ExpectedPoint[] };

  beforeAll(async () => {
    ({ ctx, close } = await createTestContext({ empty: true }));
    for (const f of input.features) {
      await ctx.services.regions.repo.insert({
        level: 'grid',
        code: f.properties.code,
        name: f.properties.name,
        parentId: null,
        districtId: null,
        streetId: null,
        communityId: null,
        geojson: JSON.stringify(f.geometry),
      });
    }
  });
  afterAll(() => close());

  it.each(expected.points.map((p) => [p.name, p] as const))('%s', async (_label, p) => {
    const found = await ctx.services.regions.tryLocate(p.lng, p.lat, p.coordSys ?? 'wgs84');
    if (p.grid === null) {
      expect(found).toBeNull();
      return;
    }
    expect(found).not.toBeNull();
    if (p.grid) expect(found?.grid.code).toBe(p.grid);
    if (p.gridIn) expect(p.gridIn).toContain(found?.grid.code);
    if (p.distanceM) {
      expect(found?.distanceM).toBeGreaterThanOrEqual(p.distanceM[0]);
      expect(found?.distanceM).toBeLessThanOrEqual(p.distanceM[1]);
    } else {
      expect(found?.distanceM).toBe(0);
    }
    // The same point twice lands in the same grid (boundary ties are broken deterministically).
    const again = await ctx.services.regions.tryLocate(p.lng, p.lat, p.coordSys ?? 'wgs84');
    expect(again?.grid.code).toBe(found?.grid.code);
  });
});
