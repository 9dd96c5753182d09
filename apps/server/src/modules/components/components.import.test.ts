import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../../test/helpers.ts';
import { wgs84ToGcj02 } from '../../lib/coords.ts';
import { buildTinyCity, cjCode, featureCollection, GRID_A, GRID_B, type TinyCity } from './components.testkit.ts';

let t: TestApp;
let city: TinyCity;
let admin: string;

beforeAll(async () => {
  t = await createTestApp({ empty: true });
  city = await buildTinyCity(t.ctx);
  admin = await t.login('admin');
});
afterAll(async () => {
  await t?.close();
});

const count = async () =>
  Number(
    (
      await t.ctx.db
        .selectFrom('component')
        .select((eb) => eb.fn.countAll().as('n'))
        .executeTakeFirstOrThrow()
    ).n,
  );

function upload(body: string, contentType: string, query = '', cookie = admin) {
  return t.app.inject({
    method: 'POST',
    url: `/api/components/import${query}`,
    headers: { cookie, 'content-type': contentType },
    payload: body,
  });
}

describe('component import', () => {
  it('imports GeoJSON given in GCJ-02: each point lands on its WGS-84 twin, in the right grid and department', async () => {
    const twins = [
      { code: cjCode('0101', 1), wgs: [111.3012345, 30.7056789], grid: () => city.gridA },
      { code: cjCode('0101', 2), wgs: [111.3187654, 30.7023456], grid: () => city.gridB },
    ];
    const fc = featureCollection(
      twins.map((r) => {
        const [lng, lat] = wgs84ToGcj02(r.wgs[0] as number, r.wgs[1] as number);
        return { code: r.code, lng, lat, props: { ownerDepartment: 'T-A', maintainerDepartment: 'T-B', material: '铸铁', pipe_size: 600 } };
      }),
    );
    // The GCJ-02 offset here is a few hundred metres: the input itself is far from the twin.
    const first = JSON.parse(fc).features[0].geometry.coordinates;
    expect(Math.abs(first[0] - 111.3012345) + Math.abs(first[1] - 30.7056789)).toBeGreaterThan(0.002);

    const res = await upload(fc, 'application/geo+json', '?coordSys=gcj02');
    expect(res.statusCode, res.body).toBe(200);
    const report = res.json();
    expect(report).toMatchObject({
      committed: true,
      total: 2,
      inserted: 2,
      updated: 0,
      errorCount: 0,
      format: 'geojson',
      coordSys: 'gcj02',
    });
    for (const r of twins) {
      const got = await t.app.inject({ method: 'GET', url: `/api/components/by-code/${r.code}`, headers: { cookie: admin } });
      const c = got.json();
      expect(Math.abs(c.lng - (r.wgs[0] as number))).toBeLessThan(1e-6);
      expect(Math.abs(c.lat - (r.wgs[1] as number))).toBeLessThan(1e-6);
      expect(c.gridId).toBe(r.grid());
      expect(c.ownerDepartmentId).toBe(city.deptA);
      expect(c.maintainerDepartmentId).toBe(city.deptB);
      expect(c.attributes).toEqual({ material: '铸铁', pipe_size: 600 });
      expect(c.source).toBe(`import:${report.importId}`);
    }
  });

  it('imports CSV given in GCJ-02, with a WKT line and Chinese status labels', async () => {
    const wgs = [111.3055555, 30.7044444];
    const [glng, glat] = wgs84ToGcj02(wgs[0] as number, wgs[1] as number);
    const a = wgs84ToGcj02(111.311, 30.705);
    const b = wgs84ToGcj02(111.315, 30.706);
    const csv = [
      'code,class_code,name,status,owner_department,maintainer_department,address,lng,lat,wkt,material',
      `${cjCode('0101', 10)},0101,上水井盖,破损,T-A,T-A,"西陵区 夷陵大道 1号, 北侧",${glng},${glat},,铸铁`,
      `${cjCode('0211', 11)},0211,交通护栏,完好,,T-B,,,,"LINESTRING(${a[0]} ${a[1]}, ${b[0]} ${b[1]})",`,
    ].join('\n');
    const res = await upload(csv, 'text/csv', '?coordSys=gcj02');
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ committed: true, total: 2, inserted: 2, format: 'csv' });
    const point = (
      await t.app.inject({ method: 'GET', url: `/api/components/by-code/${cjCode('0101', 10)}`, headers: { cookie: admin } })
    ).json();
    expect(Math.abs(point.lng - (wgs[0] as number))).toBeLessThan(1e-6);
    expect(Math.abs(point.lat - (wgs[1] as number))).toBeLessThan(1e-6);
    expect(point).toMatchObject({
      status: 'damaged',
      address: '西陵区 夷陵大道 1号, 北侧',
      attributes: { material: '铸铁' },
      gridId: city.gridA,
    });
    const line = (
      await t.app.inject({ method: 'GET', url: `/api/components/by-code/${cjCode('0211', 11)}`, headers: { cookie: admin } })
    ).json();
    expect(line.geometry.type).toBe('LineString');
    expect(line.geometry.coordinates[0][0]).toBeCloseTo(111.311, 6);
    expect(line.gridId).toBe(city.gridB);
    expect(line.ownerDepartmentId).toBeNull();
  });

  it('rejects the whole file when one row is bad, writing nothing, and reports each bad row', async () => {
    const before = await count();
    const fc = featureCollection([
      { code: cjCode('0101', 20), lng: 111.302, lat: 30.702 },
      { code: '12345', lng: 111.302, lat: 30.703 }, // bad code
      { code: cjCode('0101', 22), lng: 111.302, lat: 30.704, props: { status: 'broken' } },
      { code: cjCode('0101', 23), lng: 112.5, lat: 31.5 }, // outside every grid
      { code: cjCode('0101', 24), lng: 111.302, lat: 30.705, props: { maintainerDepartment: 'NOPE' } },
      { code: cjCode('0101', 25), lng: 181, lat: 30.7 },
      { code: cjCode('0101', 1), lng: 111.302, lat: 30.706 }, // already imported above
      { code: cjCode('0101', 20), lng: 111.302, lat: 30.707 }, // twice in the file
      { code: cjCode('0101', 28), lng: 111.302, lat: 30.708, geometry: { type: 'GeometryCollection', geometries: [] } },
    ]);
    const res = await upload(fc, 'application/geo+json');
    expect(res.statusCode).toBe(422);
    const body = res.json();
    expect(body.error).toBe('import_rejected');
    expect(body.details.committed).toBe(false);
    expect(body.details.inserted).toBe(0);
    expect(body.details.total).toBe(9);
    expect(body.details.invalidRows).toBe(8);
    const byRow = Object.fromEntries(body.details.errors.map((e: { row: number; error: string }) => [e.row, e.error]));
    expect(byRow).toEqual({
      2: 'component_code_invalid',
      3: 'component_status_invalid',
      4: 'location_outside_city',
      5: 'department_unknown',
      6: 'geometry_out_of_range',
      7: 'component_code_taken',
      8: 'component_code_duplicate_in_file',
      9: 'geometry_wrong_type',
    });
    expect(await count()).toBe(before);
    expect(await t.ctx.db.selectFrom('componentImport').select('id').where('errorCount', '>', 0).execute()).toEqual([]);
  });

  it('with skipInvalid writes only the good rows and counts the rest', async () => {
    const before = await count();
    const fc = featureCollection([
      { code: cjCode('0101', 30), lng: 111.303, lat: 30.702 },
      { code: cjCode('0101', 31), lng: 111.303, lat: 30.703, props: { ownerDepartment: 'NOPE' } },
      { code: cjCode('0101', 32), lng: 111.313, lat: 30.704 },
      { code: 'x', lng: 111.303, lat: 30.705 },
    ]);
    const res = await upload(fc, 'application/geo+json', '?skipInvalid=true');
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ committed: true, total: 4, inserted: 2, skipped: 2, invalidRows: 2, errorCount: 2 });
    expect(await count()).toBe(before + 2);
    const codes = (
      await t.ctx.db
        .selectFrom('component')
        .select('code')
        .where('code', 'in', [cjCode('0101', 30), cjCode('0101', 31), cjCode('0101', 32)])
        .execute()
    ).map((r) => r.code);
    expect(codes.sort()).toEqual([cjCode('0101', 30), cjCode('0101', 32)]);
  });

  it('reports codes already in the census in insert mode, and updates them with history in upsert mode', async () => {
    const fc = featureCollection([
      { code: cjCode('0101', 30), lng: 111.3035, lat: 30.7025, props: { status: 'lost', name: '上水井盖（新）' } },
      { code: cjCode('0101', 40), lng: 111.3045, lat: 30.7025 },
    ]);
    const dup = await upload(fc, 'application/geo+json');
    expect(dup.statusCode).toBe(422);
    expect(dup.json().details.errors).toEqual([
      expect.objectContaining({ row: 1, code: cjCode('0101', 30), error: 'component_code_taken' }),
    ]);

    const before = (
      await t.app.inject({ method: 'GET', url: `/api/components/by-code/${cjCode('0101', 30)}`, headers: { cookie: admin } })
    ).json();
    const res = await upload(fc, 'application/geo+json', '?mode=upsert');
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ committed: true, inserted: 1, updated: 1 });
    const after = (
      await t.app.inject({ method: 'GET', url: `/api/components/by-code/${cjCode('0101', 30)}`, headers: { cookie: admin } })
    ).json();
    expect(after).toMatchObject({ status: 'lost', name: '上水井盖（新）', version: before.version + 1 });
    expect(after.lng).toBeCloseTo(111.3035, 7);
    expect(after.history[0]).toMatchObject({
      action: 'import',
      before: { status: 'intact' },
      after: { status: 'lost', version: before.version + 1 },
    });
  });

  it('accepts a multipart upload and guesses the format from the file name', async () => {
    const csv = `code,lng,lat\n${cjCode('0101', 50)},111.305,30.709\n`;
    const boundary = '----cityloop-test';
    const payload = `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="census.csv"\r\nContent-Type: application/octet-stream\r\n\r\n${csv}\r\n--${boundary}--\r\n`;
    const res = await upload(payload, `multipart/form-data; boundary=${boundary}`);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ committed: true, format: 'csv', inserted: 1 });
    const job = await t.ctx.db.selectFrom('componentImport').selectAll().where('id', '=', res.json().importId).executeTakeFirstOrThrow();
    expect(job).toMatchObject({ fileName: 'census.csv', inserted: 1, totalRows: 1 });
  });

  it('refuses malformed or empty files and callers without components.import', async () => {
    const bad = await upload('{"type":"FeatureCollection","features":[{"type":"Feature",', 'application/geo+json');
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error).toBe('import_malformed');
    const empty = await upload('{"type":"FeatureCollection","features":[]}', 'application/geo+json');
    expect(empty.statusCode).toBe(400);
    expect(empty.json().error).toBe('import_empty');
    const noCoords = await upload('code,name\n1,2\n', 'text/csv');
    expect(noCoords.statusCode).toBe(400);
    expect(noCoords.json().error).toBe('import_malformed');
    const da = await upload(
      featureCollection([{ code: cjCode('0101', 60), lng: 111.305, lat: 30.705 }]),
      'application/geo+json',
      '',
      await t.login('da_a'),
    );
    expect(da.statusCode).toBe(403);
  });

  it('checks classes and their geometry kind once the taxonomy is loaded', async () => {
    await t.ctx.services.taxonomy.seedStandards();
    const fc = featureCollection([
      { code: cjCode('0199', 70), lng: 111.306, lat: 30.702 }, // no such class
      { code: cjCode('0211', 71), lng: 111.306, lat: 30.703 }, // 交通护栏 is a line
      { code: cjCode('0101', 72), lng: 111.306, lat: 30.704, props: { classCode: '0102' } },
      { code: cjCode('0102', 73), lng: 111.306, lat: 30.705 },
    ]);
    const res = await upload(fc, 'application/geo+json', '?skipInvalid=true');
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().errors.map((e: { row: number; error: string }) => [e.row, e.error])).toEqual([
      [1, 'component_class_unknown'],
      [2, 'geometry_wrong_type'],
      [3, 'component_class_mismatch'],
    ]);
    expect(res.json().inserted).toBe(1);
    const list = (await t.app.inject({ method: 'GET', url: `/api/components?q=${cjCode('0102', 73)}`, headers: { cookie: admin } })).json();
    expect(list.items[0].className).toBe('污水井盖');
  });

  it('keeps polygons: validity checked in SQL, grid from a point on the surface', async () => {
    const [a, b, c, d] = [GRID_B[0] + 0.001, GRID_B[1] + 0.001, GRID_B[0] + 0.003, GRID_B[1] + 0.003];
    const fc = featureCollection([
      {
        code: cjCode('0405', 80),
        lng: 0,
        lat: 0,
        geometry: {
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
        },
      },
      // A bow-tie: self-intersecting, invalid.
      {
        code: cjCode('0405', 81),
        lng: 0,
        lat: 0,
        geometry: {
          type: 'Polygon',
          coordinates: [
            [
              [a, b],
              [c, d],
              [c, b],
              [a, d],
              [a, b],
            ],
          ],
        },
      },
    ]);
    const res = await upload(fc, 'application/geo+json', '?skipInvalid=true');
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().errors).toEqual([expect.objectContaining({ row: 2, error: 'geometry_invalid' })]);
    const poly = (
      await t.app.inject({ method: 'GET', url: `/api/components/by-code/${cjCode('0405', 80)}`, headers: { cookie: admin } })
    ).json();
    expect(poly.gridId).toBe(city.gridB);
    expect(poly.geometryType).toBe('POLYGON');
    expect(poly.lng).toBeGreaterThan(a);
    expect(poly.lng).toBeLessThan(c);
  });
});

describe('importComponentsFile (CLI)', () => {
  it('reads a file from disk and reports per row', async () => {
    const fs = await import('node:fs');
    const os = await import('node:os');
    const path = await import('node:path');
    const { importComponentsFile } = await import('./components.import.ts');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cl-import-'));
    const file = path.join(dir, 'c.geojson');
    fs.writeFileSync(file, featureCollection([{ code: cjCode('0101', 90), lng: GRID_A[0] + 0.004, lat: GRID_A[1] + 0.004 }]));
    const report = await importComponentsFile(t.ctx, file, { coordSys: 'wgs84', skipInvalid: false, actorId: null });
    expect(report).toMatchObject({ committed: true, inserted: 1, format: 'geojson' });
    const again = await importComponentsFile(t.ctx, file, { coordSys: 'wgs84', skipInvalid: false, actorId: null });
    expect(again).toMatchObject({ committed: false, inserted: 0, errorCount: 1 });
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
