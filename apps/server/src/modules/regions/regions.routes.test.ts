import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, rectangle, type TestApp } from '../../../test/helpers.ts';

const square = (x: number, y: number, d: number) => rectangle(x, y, x + d, y + d);

/** A hand-built hierarchy: one district ⊃ street ⊃ community ⊃ two grids side by side. */
describe('regions API', () => {
  let t: TestApp;
  let admin: string;
  let viewer: string;
  const ids: Record<string, number> = {};

  beforeAll(async () => {
    t = await createTestApp({ empty: true });
    const { orgs, regions } = t.ctx.services;
    await orgs.createPerson({ username: 'root', name: '管理员', password: 'root-pass-1', roles: [{ role: 'admin' }] }, null);
    await orgs.createPerson({ username: 'seat', name: '坐席', password: 'seat-pass-1', roles: [{ role: 'acceptor' }] }, null);
    admin = await t.login('root', 'root-pass-1');
    viewer = await t.login('seat', 'seat-pass-1');
    const base = { parentId: null, districtId: null, streetId: null, communityId: null };
    ids.d = await regions.repo.insert({
      ...base,
      level: 'district',
      code: '420502',
      name: '西陵区',
      geojson: JSON.stringify(square(111.3, 30.7, 0.002)),
    });
    ids.s = await regions.repo.insert({
      ...base,
      level: 'street',
      code: '420502001',
      name: '西陵街道',
      parentId: ids.d,
      districtId: ids.d,
      geojson: JSON.stringify(square(111.3, 30.7, 0.002)),
    });
    ids.c = await regions.repo.insert({
      ...base,
      level: 'community',
      code: '420502001001',
      name: '胜利社区',
      parentId: ids.s,
      districtId: ids.d,
      streetId: ids.s,
      geojson: JSON.stringify(square(111.3, 30.7, 0.002)),
    });
    const grid = { ...base, level: 'grid' as const, parentId: ids.c, districtId: ids.d, streetId: ids.s, communityId: ids.c };
    ids.g1 = await regions.repo.insert({
      ...grid,
      code: '420502001001001',
      name: '胜利社区01',
      geojson: JSON.stringify({
        type: 'Polygon',
        coordinates: [
          [
            [111.3, 30.7],
            [111.301, 30.7],
            [111.301, 30.702],
            [111.3, 30.702],
            [111.3, 30.7],
          ],
        ],
      }),
    });
    ids.g2 = await regions.repo.insert({
      ...grid,
      code: '420502001001002',
      name: '胜利社区02',
      geojson: JSON.stringify({
        type: 'Polygon',
        coordinates: [
          [
            [111.301, 30.7],
            [111.302, 30.7],
            [111.302, 30.702],
            [111.301, 30.702],
            [111.301, 30.7],
          ],
        ],
      }),
    });
  });
  afterAll(() => t.close());

  it('returns the tree with grid counts and bounding boxes', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/api/regions/tree', headers: { cookie: viewer } });
    expect(res.statusCode).toBe(200);
    const [district] = res.json();
    expect(district).toMatchObject({ code: '420502', level: 'district', gridCount: 2 });
    expect(district.children[0].children[0]).toMatchObject({ code: '420502001001', gridCount: 2 });
    expect(district.bbox[0]).toBeCloseTo(111.3, 6);
    expect(district.bbox[3]).toBeCloseTo(30.702, 6);
  });

  it('lists by level and parent, and computes areas on the sphere', async () => {
    const res = await t.app.inject({ method: 'GET', url: `/api/regions?level=grid&parentId=${ids.c}`, headers: { cookie: viewer } });
    const body = res.json();
    expect(body.total).toBe(2);
    // 0.001° × 0.002° at 30.7°N ≈ 95.7 m × 221.2 m ≈ 21,170 m².
    expect(body.items[0].areaM2).toBeGreaterThan(20_500);
    expect(body.items[0].areaM2).toBeLessThan(21_800);
  });

  it('serves a level as GeoJSON, filtered by bbox', async () => {
    const all = await t.app.inject({ method: 'GET', url: '/api/regions/geojson?level=grid', headers: { cookie: viewer } });
    expect(all.headers['content-type']).toContain('application/geo+json');
    expect(all.json().features).toHaveLength(2);
    expect(all.json().features[0].geometry.type).toBe('MultiPolygon');
    const west = await t.app.inject({
      method: 'GET',
      url: '/api/regions/geojson?level=grid&bbox=111.2,30.6,111.3005,30.8',
      headers: { cookie: viewer },
    });
    expect(west.json().features.map((f: { properties: { code: string } }) => f.properties.code)).toEqual(['420502001001001']);
    const bad = await t.app.inject({ method: 'GET', url: '/api/regions/geojson?level=grid&bbox=1,2,3', headers: { cookie: viewer } });
    expect(bad.statusCode).toBe(400);
  });

  it('answers outlines 304 while the client holds them, small ones uncompressed, anew after a region change', async () => {
    const url = '/api/regions/geojson?level=grid';
    const first = await t.app.inject({ method: 'GET', url, headers: { cookie: viewer } });
    const etag = String(first.headers.etag);
    expect(etag).toMatch(/^W\/"regions-\d+"$/);
    expect(first.headers['cache-control']).toBe('private, no-cache');
    const held = await t.app.inject({ method: 'GET', url, headers: { cookie: viewer, 'if-none-match': etag } });
    expect(held.statusCode).toBe(304);
    expect(held.body).toBe('');
    // Another level is another answer, with the same revision in its tag.
    const streets = await t.app.inject({ method: 'GET', url: '/api/regions/geojson?level=street', headers: { cookie: viewer } });
    expect(streets.json().features.map((f: { properties: { level: string } }) => f.properties.level)).toEqual(['street']);
    // Two small grids are under the 1 kB threshold: sent as they are even when compression is
    // accepted (cached-body.test.ts covers compression).
    const small = await t.app.inject({ method: 'GET', url, headers: { cookie: viewer, 'accept-encoding': 'br, gzip' } });
    expect(small.headers['content-encoding']).toBeUndefined();
    expect(small.body).toBe(first.body);
    // A region change moves the revision: the held version is answered with the new outlines.
    const districts = '/api/regions/geojson?level=district';
    const heldDistricts = String((await t.app.inject({ method: 'GET', url: districts, headers: { cookie: viewer } })).headers.etag);
    await t.ctx.services.regions.repo.insert({
      parentId: null,
      districtId: null,
      streetId: null,
      communityId: null,
      level: 'district',
      code: '420503',
      name: '伍家岗区',
      geojson: JSON.stringify(square(112.5, 30.7, 0.002)),
    });
    const after = await t.app.inject({ method: 'GET', url: districts, headers: { cookie: viewer, 'if-none-match': heldDistricts } });
    expect(after.statusCode).toBe(200);
    expect(after.headers.etag).not.toBe(heldDistricts);
    expect(after.json().features.map((f: { properties: { code: string } }) => f.properties.code)).toEqual(['420502', '420503']);
    // Without the right to read regions, nothing (the cache answers only after the access check).
    expect((await t.app.inject({ method: 'GET', url })).statusCode).toBe(401);
  });

  it('locates a point with its community, street and district', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/api/regions/locate?lng=111.3015&lat=30.701', headers: { cookie: viewer } });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      distanceM: 0,
      grid: { code: '420502001001002' },
      community: { code: '420502001001', name: '胜利社区' },
      street: { code: '420502001' },
      district: { code: '420502', name: '西陵区' },
    });
    const outside = await t.app.inject({ method: 'GET', url: '/api/regions/locate?lng=112&lat=31', headers: { cookie: viewer } });
    expect(outside.statusCode).toBe(404);
    expect(outside.json().error).toBe('location_outside_city');
    const bad = await t.app.inject({ method: 'GET', url: '/api/regions/locate?lng=200&lat=30', headers: { cookie: viewer } });
    expect(bad.statusCode).toBe(400);
    const sys = await t.app.inject({
      method: 'GET',
      url: '/api/regions/locate?lng=111.3&lat=30.7&coordSys=wgs1984',
      headers: { cookie: viewer },
    });
    expect(sys.statusCode).toBe(400);
  });

  it('versions a boundary edit instead of overwriting, and audits it', async () => {
    const moved = {
      type: 'Polygon',
      coordinates: [
        [
          [111.3, 30.7],
          [111.3008, 30.7],
          [111.3008, 30.702],
          [111.3, 30.702],
          [111.3, 30.7],
        ],
      ],
    };
    const res = await t.app.inject({
      method: 'PUT',
      url: `/api/regions/${ids.g1}/geometry`,
      headers: { cookie: admin },
      payload: { geometry: moved },
    });
    expect(res.statusCode).toBe(200);
    const newId = res.json().id;
    expect(newId).not.toBe(ids.g1);
    const detail = (await t.app.inject({ method: 'GET', url: `/api/regions/${newId}`, headers: { cookie: viewer } })).json();
    expect(detail).toMatchObject({ code: '420502001001001', version: 2, validTo: null });
    expect(detail.history.map((h: { version: number }) => h.version)).toEqual([1, 2]);
    const old = (await t.app.inject({ method: 'GET', url: `/api/regions/${ids.g1}`, headers: { cookie: viewer } })).json();
    expect(old.validTo).not.toBeNull();
    expect((await t.ctx.services.regions.tryLocate(111.3004, 30.701))?.grid.id).toBe(newId);
    // The strip the grid gave up is no longer in it (more than 5 m from any grid edge).
    expect((await t.ctx.services.regions.tryLocate(111.3009, 30.701))?.grid.code).not.toBe('420502001001001');
    const audit = await t.ctx.db.selectFrom('auditLog').selectAll().where('action', '=', 'region.geometry').execute();
    expect(audit).toHaveLength(1);
    // Editing a historical version is refused.
    const stale = await t.app.inject({
      method: 'PUT',
      url: `/api/regions/${ids.g1}/geometry`,
      headers: { cookie: admin },
      payload: { geometry: moved },
    });
    expect(stale.statusCode).toBe(404);
  });

  it('rejects bad boundaries with stable codes and changes nothing', async () => {
    const before = await t.ctx.db
      .selectFrom('region')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    const bowtie = {
      type: 'Polygon',
      coordinates: [
        [
          [111.3, 30.7],
          [111.302, 30.702],
          [111.302, 30.7],
          [111.3, 30.702],
          [111.3, 30.7],
        ],
      ],
    };
    const cases: Array<[unknown, number, string]> = [
      [{ type: 'Point', coordinates: [111.3, 30.7] }, 422, 'geometry_wrong_type'],
      [bowtie, 422, 'geometry_invalid'],
      [
        {
          type: 'Polygon',
          coordinates: [
            [
              [300, 30.7],
              [301, 30.7],
              [301, 31],
              [300, 30.7],
            ],
          ],
        },
        422,
        'geometry_out_of_range',
      ],
      [{ type: 'Polygon', coordinates: 'nope' }, 422, 'geometry_invalid'],
      [
        {
          type: 'Polygon',
          coordinates: [
            [
              [111.3005, 30.7],
              [111.302, 30.7],
              [111.302, 30.702],
              [111.3005, 30.702],
              [111.3005, 30.7],
            ],
          ],
        },
        422,
        'grid_overlaps',
      ],
      [
        {
          type: 'Polygon',
          coordinates: [
            [
              [111.301, 30.7],
              [111.303, 30.7],
              [111.303, 30.702],
              [111.301, 30.702],
              [111.301, 30.7],
            ],
          ],
        },
        422,
        'grid_outside_community',
      ],
    ];
    for (const [geometry, status, code] of cases) {
      const res = await t.app.inject({
        method: 'PUT',
        url: `/api/regions/${ids.g2}/geometry`,
        headers: { cookie: admin },
        payload: { geometry },
      });
      expect(res.statusCode, JSON.stringify(geometry)).toBe(status);
      expect(res.json().error).toBe(code);
    }
    const after = await t.ctx.db
      .selectFrom('region')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    expect(Number(after.n)).toBe(Number(before.n));
    const denied = await t.app.inject({
      method: 'PUT',
      url: `/api/regions/${ids.g2}/geometry`,
      headers: { cookie: viewer },
      payload: { geometry: bowtie },
    });
    expect(denied.statusCode).toBe(403);
  });
});
