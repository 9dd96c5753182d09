import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../../test/helpers.ts';
import { buildTinyCity, cjCode, featureCollection, GRID_A, GRID_B, type TinyCity } from './components.testkit.ts';

let t: TestApp;
let city: TinyCity;
let admin: string;

/** 120 points spread over both grids, deterministic; every 3rd damaged, departments alternate. */
const POINTS = Array.from({ length: 120 }, (_, i) => {
  const u = ((i * 7919) % 997) / 997;
  const v = ((i * 104729) % 991) / 991;
  return {
    code: cjCode(i % 2 ? '0101' : '0102', 1000 + i),
    lng: GRID_A[0] + 0.0001 + u * (GRID_B[2] - GRID_A[0] - 0.0002),
    lat: GRID_A[1] + 0.0001 + v * (GRID_A[3] - GRID_A[1] - 0.0002),
    status: i % 3 === 0 ? 'damaged' : 'intact',
    maintainer: i % 2 ? 'T-A' : 'T-B',
  };
});

beforeAll(async () => {
  t = await createTestApp({ empty: true });
  city = await buildTinyCity(t.ctx);
  admin = await t.login('admin');
  const fc = featureCollection(POINTS.map((p) => ({ ...p, props: { status: p.status, maintainerDepartment: p.maintainer } })));
  const res = await t.app.inject({
    method: 'POST',
    url: '/api/components/import',
    headers: { cookie: admin, 'content-type': 'application/geo+json' },
    payload: fc,
  });
  if (res.statusCode !== 200 || res.json().inserted !== POINTS.length) throw new Error(`seed import failed: ${res.body}`);
});
afterAll(async () => {
  await t?.close();
});

const get = async (url: string, cookie = admin) => t.app.inject({ method: 'GET', url, headers: { cookie } });

describe('component reads', () => {
  it('pages a bbox by keyset: no duplicates, nothing outside, nothing missed', async () => {
    const bbox = [111.3, 30.7, 111.312, 30.706];
    const expected = POINTS.filter((p) => p.lng >= bbox[0]! && p.lng <= bbox[2]! && p.lat >= bbox[1]! && p.lat <= bbox[3]!).map(
      (p) => p.code,
    );
    expect(expected.length).toBeGreaterThan(15);
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const res = await get(`/api/components?bbox=${bbox.join(',')}&limit=7${cursor ? `&cursor=${cursor}` : ''}`);
      expect(res.statusCode, res.body).toBe(200);
      const body = res.json();
      expect(body.items.length).toBeLessThanOrEqual(7);
      for (const c of body.items) {
        expect(c.lng).toBeGreaterThanOrEqual(bbox[0]!);
        expect(c.lng).toBeLessThanOrEqual(bbox[2]!);
        expect(c.lat).toBeGreaterThanOrEqual(bbox[1]!);
        expect(c.lat).toBeLessThanOrEqual(bbox[3]!);
        seen.push(c.code);
      }
      cursor = body.nextCursor;
      pages++;
    } while (cursor && pages < 50);
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen.sort()).toEqual(expected.sort());
  });

  it('filters by class, major class, status, grid and department, with names joined', async () => {
    const all = (await get('/api/components?limit=1000')).json().items;
    expect(all).toHaveLength(POINTS.length);
    const damaged = (await get('/api/components?status=damaged&limit=1000')).json().items;
    expect(damaged).toHaveLength(POINTS.filter((p) => p.status === 'damaged').length);
    const cls = (await get('/api/components?classCode=0102&limit=1000')).json().items;
    expect(cls).toHaveLength(60);
    expect((await get('/api/components?classCode=01&limit=1000')).json().items).toHaveLength(120);
    const inA = (await get(`/api/components?gridId=${city.gridA}&limit=1000`)).json().items;
    expect(inA.length).toBe(POINTS.filter((p) => p.lng < GRID_A[2]).length);
    const deptA = (await get(`/api/components?departmentId=${city.deptA}&limit=1000`)).json().items;
    expect(deptA).toHaveLength(60);
    expect(deptA[0].maintainerDepartmentName).toBe('甲部门');
    const one = (await get(`/api/components?q=${POINTS[5]!.code}`)).json().items;
    expect(one.map((c: { code: string }) => c.code)).toEqual([POINTS[5]!.code]);
    expect((await get('/api/components?limit=1001')).statusCode).toBe(400);
    expect((await get('/api/components?bbox=1,2,3')).statusCode).toBe(400);
    expect((await get('/api/components?bbox=10,40,5,30')).json().error).toBe('invalid_bbox');
    expect((await get('/api/components?cursor=abc')).json().error).toBe('invalid_cursor');
  });

  it('clusters: the counts add up to the components in view at every zoom, singles carry their component', async () => {
    const bbox = [111.299, 30.699, 111.321, 30.711];
    for (const zoom of [5, 11, 14, 16, 18]) {
      const res = await get(`/api/components/clusters?bbox=${bbox.join(',')}&zoom=${zoom}`);
      expect(res.statusCode, res.body).toBe(200);
      expect(res.headers['content-type']).toContain('application/geo+json');
      const fc = res.json();
      expect(fc.type).toBe('FeatureCollection');
      const sum = fc.features.reduce((s: number, f: { properties: { count: number } }) => s + f.properties.count, 0);
      expect(sum, `zoom ${zoom}`).toBe(POINTS.length);
      expect(fc.total).toBe(POINTS.length);
      for (const f of fc.features) {
        expect(f.geometry.type).toBe('Point');
        if (f.properties.count === 1)
          expect(f.properties).toMatchObject({
            id: expect.any(Number),
            code: expect.stringMatching(/^\d{16}$/),
            classCode: expect.any(String),
            status: expect.any(String),
          });
        else expect(f.properties.cell).toMatch(/^-?\d+:-?\d+$/);
      }
      if (zoom <= 11) expect(fc.features.length).toBeLessThan(5);
      if (zoom >= 18) expect(fc.features).toHaveLength(POINTS.length);
    }
    // Filters apply to clusters too; a partial view counts only what is in it.
    const damaged = (await get(`/api/components/clusters?bbox=${bbox.join(',')}&zoom=16&status=damaged`)).json();
    expect(damaged.total).toBe(40);
    const half = [111.3, 30.7, 111.31, 30.71];
    const inHalf = POINTS.filter((p) => p.lng <= half[2]!).length;
    expect((await get(`/api/components/clusters?bbox=${half.join(',')}&zoom=15`)).json().total).toBe(inHalf);
    expect((await get('/api/components/clusters?zoom=12')).statusCode).toBe(400);
  });

  it('caps the features of a huge bbox at a high zoom by growing the cells', async () => {
    const res = await get('/api/components/clusters?bbox=100,20,120,40&zoom=16');
    const fc = res.json();
    expect(fc.total).toBe(POINTS.length);
    expect(fc.cellSize).toBeGreaterThan(90 / 2 ** 16);
    expect(fc.features.length).toBeLessThanOrEqual(5000);
  });

  it('documents the routes in the OpenAPI document, the import with its body types', async () => {
    const doc = (await t.app.inject({ method: 'GET', url: '/api/openapi.json' })).json();
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining(['/api/components', '/api/components/clusters', '/api/components/import', '/api/components/{id}']),
    );
    expect(doc.paths['/api/components/import'].post.description).toContain('text/csv');
  });

  it('reads one component by id and by code; unknown ones are 404', async () => {
    const byCode = await get(`/api/components/by-code/${POINTS[0]!.code}`);
    expect(byCode.statusCode).toBe(200);
    const c = byCode.json();
    expect(c).toMatchObject({ code: POINTS[0]!.code, edition: 'CJT214-2007', classCode: '0102', geometry: { type: 'Point' }, history: [] });
    expect((await get(`/api/components/${c.id}`)).json().code).toBe(POINTS[0]!.code);
    expect((await get('/api/components/999999')).json().error).toBe('component_not_found');
    expect((await get('/api/components/by-code/4205020101999999')).statusCode).toBe(404);
    // Any role with components.read, e.g. an inspector.
    expect((await get(`/api/components/${c.id}`, await t.login('inspector'))).statusCode).toBe(200);
  });
});

describe('component writes', () => {
  const post = async (payload: unknown, cookie = admin) =>
    t.app.inject({ method: 'POST', url: '/api/components', headers: { cookie }, payload: payload as object });
  const patch = async (id: number, payload: unknown, cookie = admin) =>
    t.app.inject({ method: 'PATCH', url: `/api/components/${id}`, headers: { cookie }, payload: payload as object });
  const point = (lng: number, lat: number) => ({ type: 'Point', coordinates: [lng, lat] });

  it('creates a component with its grid, and records the creation', async () => {
    const res = await post({
      code: cjCode('0101', 5000),
      name: '上水井盖',
      geometry: point(111.315, 30.705),
      maintainerDepartmentId: city.deptA,
      attributes: { material: '球墨铸铁' },
    });
    expect(res.statusCode, res.body).toBe(201);
    const c = res.json();
    expect(c).toMatchObject({
      gridId: city.gridB,
      status: 'intact',
      version: 1,
      maintainerDepartmentId: city.deptA,
      attributes: { material: '球墨铸铁' },
    });
    expect(c.history).toHaveLength(1);
    expect(c.history[0]).toMatchObject({ action: 'create', before: null, after: { name: '上水井盖', status: 'intact' } });
  });

  it('answers each bad input with a 4xx and a stable code, writing nothing', async () => {
    const cases: Array<[unknown, number, string]> = [
      [{ code: '12345', geometry: point(111.305, 30.705) }, 422, 'component_code_invalid'],
      [{ code: cjCode('0101', 5001), classCode: '0102', geometry: point(111.305, 30.705) }, 422, 'component_class_mismatch'],
      [{ code: cjCode('0101', 5000), geometry: point(111.305, 30.705) }, 409, 'component_code_taken'],
      [{ code: cjCode('0101', 5002), geometry: { type: 'GeometryCollection', coordinates: [] } }, 400, 'validation_failed'],
      [{ code: cjCode('0101', 5003), geometry: point(200, 30.7) }, 422, 'geometry_out_of_range'],
      [{ code: cjCode('0101', 5004), geometry: point(111.5, 31) }, 422, 'location_outside_city'],
      [{ code: cjCode('0101', 5005), geometry: { type: 'LineString', coordinates: [[111.305, 30.705]] } }, 422, 'geometry_invalid'],
      [
        {
          code: cjCode('0405', 5006),
          geometry: {
            type: 'Polygon',
            coordinates: [
              [
                [111.301, 30.701],
                [111.303, 30.703],
                [111.303, 30.701],
                [111.301, 30.703],
                [111.301, 30.701],
              ],
            ],
          },
        },
        422,
        'geometry_invalid',
      ],
      [{ code: cjCode('0101', 5007), geometry: point(111.305, 30.705), ownerDepartmentId: 987654 }, 422, 'department_unknown'],
      [{ code: cjCode('0101', 5008), geometry: point(111.305, 30.705), extra: 1 }, 400, 'validation_failed'],
      [{ code: cjCode('0101', 5009), geometry: point(111.305, 30.705), status: 'broken' }, 400, 'validation_failed'],
    ];
    const before = (await get('/api/components?limit=1000')).json().items.length;
    for (const [payload, status, code] of cases) {
      const res = await post(payload);
      expect([res.statusCode, res.json().error], JSON.stringify(payload)).toEqual([status, code]);
    }
    expect((await get('/api/components?limit=1000')).json().items.length).toBe(before);
  });

  it('PATCH with a stale version is 409 and changes nothing; with the current one it records before/after', async () => {
    const c = (await get(`/api/components/by-code/${POINTS[1]!.code}`)).json();
    const stale = await patch(c.id, { version: c.version + 1, status: 'lost' });
    expect(stale.statusCode).toBe(409);
    expect(stale.json()).toMatchObject({ error: 'component_version_conflict', details: { currentVersion: c.version } });
    expect((await get(`/api/components/${c.id}`)).json()).toMatchObject({ status: c.status, version: c.version });

    // Move it into the other grid.
    const [target, where] = c.gridId === city.gridA ? [city.gridB, point(111.3155, 30.7055)] : [city.gridA, point(111.3055, 30.7055)];
    const ok = await patch(c.id, { version: c.version, status: 'lost', address: '夷陵大道 8号', geometry: where });
    expect(ok.statusCode, ok.body).toBe(200);
    const after = ok.json();
    expect(after).toMatchObject({
      status: 'lost',
      address: '夷陵大道 8号',
      version: c.version + 1,
      gridId: target,
      lng: where.coordinates[0],
    });
    expect(after.history[0]).toMatchObject({
      action: 'update',
      before: { status: c.status, address: null, gridId: c.gridId, geometry: c.geometry },
      after: { status: 'lost', address: '夷陵大道 8号', gridId: target, geometry: where, version: c.version + 1 },
    });
    expect(after.history[0].changedByName).toBe('管理员');
    // The same version again is now stale.
    expect((await patch(c.id, { version: c.version, status: 'intact' })).statusCode).toBe(409);
  });

  it('keeps the cluster cells exact through creates, moves and imports', async () => {
    const cells = await t.ctx.db
      .selectFrom('componentCell')
      .select(['cx', 'cy', 'n', 'sumId'])
      .where('n', '>', 0)
      .orderBy('cx')
      .orderBy('cy')
      .execute();
    const fresh = await t.ctx.db
      .selectFrom('component')
      .select((eb) => [
        sql<number>`floor(lng / ${90 / 2 ** 18})::bigint`.as('cx'),
        sql<number>`floor(lat / ${90 / 2 ** 18})::bigint`.as('cy'),
        eb.fn.countAll<number>().as('n'),
        sql<number>`sum(id)::bigint`.as('sumId'),
      ])
      .groupBy(['cx', 'cy'])
      .orderBy('cx')
      .orderBy('cy')
      .execute();
    expect(cells.map((c) => [Number(c.cx), Number(c.cy), Number(c.n), Number(c.sumId)])).toEqual(
      fresh.map((c) => [Number(c.cx), Number(c.cy), Number(c.n), Number(c.sumId)]),
    );
    expect(cells.reduce((sum, c) => sum + Number(c.n), 0)).toBeGreaterThan(POINTS.length);
  });

  it('scopes department admins to the components their department maintains', async () => {
    const daA = await t.login('da_a');
    const ofA = POINTS.find((p) => p.maintainer === 'T-A')!;
    const ofB = POINTS.find((p) => p.maintainer === 'T-B')!;
    const a = (await get(`/api/components/by-code/${ofA.code}`)).json();
    const b = (await get(`/api/components/by-code/${ofB.code}`)).json();

    const denied = await patch(b.id, { version: b.version, status: 'damaged' }, daA);
    expect(denied.statusCode).toBe(403);
    expect((await get(`/api/components/${b.id}`)).json().version).toBe(b.version);
    expect((await patch(a.id, { version: a.version, maintainerDepartmentId: city.deptB }, daA)).statusCode).toBe(403);
    const allowed = await patch(a.id, { version: a.version, status: 'occupied' }, daA);
    expect(allowed.statusCode, allowed.body).toBe(200);

    expect(
      (await post({ code: cjCode('0101', 6000), geometry: point(111.305, 30.705), maintainerDepartmentId: city.deptB }, daA)).statusCode,
    ).toBe(403);
    const own = await post({ code: cjCode('0101', 6001), geometry: point(111.305, 30.705) }, daA);
    expect(own.statusCode, own.body).toBe(201);
    expect(own.json().maintainerDepartmentId).toBe(city.deptA);
    // Read-only roles cannot write at all.
    expect((await post({ code: cjCode('0101', 6002), geometry: point(111.305, 30.705) }, await t.login('inspector'))).statusCode).toBe(403);
  });
});
