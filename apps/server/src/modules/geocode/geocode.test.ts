import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../../test/helpers.ts';
import { fromWgs84 } from '../../lib/coords.ts';
import { importGazetteerFile } from './geocode.import.ts';
import { compassDirection, parseQuery, roundDistance } from './geocode.service.ts';

/** Metres per degree at latitude φ on WGS 84. */
const M_PER_DEG_LAT = (phi: number) => 111132.92 - 559.82 * Math.cos(2 * phi) + 1.175 * Math.cos(4 * phi);
const M_PER_DEG_LNG = (phi: number) => 111412.84 * Math.cos(phi) - 93.5 * Math.cos(3 * phi) + 0.118 * Math.cos(5 * phi);
/** The point `east` and `north` metres from [lng, lat]. */
function offset([lng, lat]: [number, number], east: number, north: number): [number, number] {
  const phi = (lat * Math.PI) / 180;
  return [lng + east / M_PER_DEG_LNG(phi), lat + north / M_PER_DEG_LAT(phi)];
}
const box = (x0: number, y0: number, x1: number, y1: number) =>
  JSON.stringify({
    type: 'Polygon',
    coordinates: [
      [
        [x0, y0],
        [x1, y0],
        [x1, y1],
        [x0, y1],
        [x0, y0],
      ],
    ],
  });

// Hand-placed places, a few hundred metres apart.
const A: [number, number] = [111.302, 30.7004]; // 西陵区 胜利四路 12号
const B: [number, number] = [111.306, 30.7004]; // 西陵区 胜利四路 120号
const C: [number, number] = [111.302, 30.695]; // 西陵区 胜利三路 12号
const D: [number, number] = [111.352, 30.7004]; // 伍家岗区 胜利四路 12号
const E: [number, number] = [111.299, 30.7004]; // 西陵区 胜利四路 2号

const doorplate = (at: [number, number], district: string, road: string, no: string) => ({
  type: 'Feature',
  properties: { kind: 'doorplate', name: `${road}${no}`, fullAddress: `${district} ${road} ${no}`, roadName: road, houseNumber: no },
  geometry: { type: 'Point', coordinates: at },
});
const PLACES = {
  type: 'FeatureCollection',
  features: [
    doorplate(A, '西陵区', '胜利四路', '12号'),
    doorplate(B, '西陵区', '胜利四路', '120号'),
    doorplate(C, '西陵区', '胜利三路', '12号'),
    doorplate(D, '伍家岗区', '胜利四路', '12号'),
    doorplate(E, '西陵区', '胜利四路', '2号'),
    {
      type: 'Feature',
      properties: { kind: 'road', name: '胜利四路', fullAddress: '西陵区 胜利四路' },
      geometry: {
        type: 'LineString',
        coordinates: [
          [111.295, 30.7],
          [111.33, 30.7],
        ],
      },
    },
    {
      type: 'Feature',
      properties: { kind: 'poi', name: '夷陵广场', fullAddress: '西陵区 夷陵大道 夷陵广场', aliases: ['夷陵广场购物中心'] },
      geometry: {
        type: 'Polygon',
        coordinates: [
          [
            [111.318, 30.704],
            [111.321, 30.704],
            [111.321, 30.706],
            [111.318, 30.706],
            [111.318, 30.704],
          ],
        ],
      },
    },
    {
      type: 'Feature',
      properties: { kind: '区片', name: '胜利小区', fullAddress: '西陵区 胜利小区' },
      geometry: { type: 'Point', coordinates: [111.3065, 30.703] },
    },
  ],
};

let t: TestApp;
let admin: string;
let inspector: string;
let gridId: number;
let xilingId: number;
let wujiagangId: number;

beforeAll(async () => {
  t = await createTestApp({ empty: true });
  const { orgs, regions } = t.ctx.services;
  await orgs.createPerson({ username: 'admin', name: '管理员', password: 'demo1234', roles: [{ role: 'admin' }] }, null);
  await orgs.createPerson({ username: 'inspector', name: '监督员', password: 'demo1234', roles: [{ role: 'inspector' }] }, null);
  const ins = (row: Parameters<typeof regions.repo.insert>[0]) => regions.repo.insert(row);
  const none = { parentId: null, districtId: null, streetId: null, communityId: null };
  xilingId = await ins({ ...none, level: 'district', code: '420502', name: '西陵区', geojson: box(111.28, 30.68, 111.34, 30.72) });
  wujiagangId = await ins({ ...none, level: 'district', code: '420503', name: '伍家岗区', geojson: box(111.34, 30.68, 111.4, 30.72) });
  const street = await ins({
    ...none,
    level: 'street',
    code: '420502001',
    name: '西陵街道',
    parentId: xilingId,
    districtId: xilingId,
    geojson: box(111.28, 30.68, 111.34, 30.72),
  });
  const community = await ins({
    ...none,
    level: 'community',
    code: '420502001001',
    name: '胜利社区',
    parentId: street,
    districtId: xilingId,
    streetId: street,
    geojson: box(111.28, 30.68, 111.34, 30.72),
  });
  gridId = await ins({
    level: 'grid',
    code: '420502001001001',
    name: '胜利社区第1网格',
    parentId: community,
    districtId: xilingId,
    streetId: street,
    communityId: community,
    geojson: box(111.285, 30.685, 111.31, 30.71),
  });
  admin = await t.login('admin');
  inspector = await t.login('inspector');
  const res = await t.app.inject({ method: 'POST', url: '/api/geocode/import', headers: { cookie: admin }, payload: PLACES });
  expect(res.statusCode, res.body).toBe(200);
  expect(res.json()).toEqual({ inserted: 8, replaced: 0, rejected: [] });
});
afterAll(async () => {
  await t?.close();
});

const search = async (q: string, extra = '') => {
  const res = await t.app.inject({ url: `/api/geocode?q=${encodeURIComponent(q)}${extra}`, headers: { cookie: inspector } });
  expect(res.statusCode, res.body).toBe(200);
  return res.json() as Array<{
    id: number;
    kind: string;
    name: string;
    fullAddress: string;
    lng: number;
    lat: number;
    grid: { id: number } | null;
    score: number;
  }>;
};
const reverse = async (p: [number, number], extra = '') => {
  const res = await t.app.inject({ url: `/api/geocode/reverse?lng=${p[0]}&lat=${p[1]}${extra}`, headers: { cookie: inspector } });
  expect(res.statusCode, res.body).toBe(200);
  return res.json();
};
const gazetteerCount = async () =>
  Number(
    (
      await t.ctx.db
        .selectFrom('gazetteer')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('validTo', 'is', null)
        .executeTakeFirstOrThrow()
    ).n,
  );

describe('address search', () => {
  it('puts the exact door plate first, with its grid', async () => {
    const hits = await search('西陵区胜利四路12号');
    expect(hits[0]).toMatchObject({
      kind: 'doorplate',
      fullAddress: '西陵区 胜利四路 12号',
      score: 1,
      grid: { id: gridId, code: '420502001001001' },
    });
    expect(hits[0]?.lng).toBeCloseTo(A[0], 7);
    expect(hits[0]?.lat).toBeCloseTo(A[1], 7);
    // The same number in the other district ranks next; other numbers and roads after.
    expect(hits[1]).toMatchObject({ fullAddress: '伍家岗区 胜利四路 12号' });
    expect(hits[1]?.score).toBeLessThan(1);
    expect(hits.slice(2).every((h) => h.score < (hits[1]?.score ?? 0))).toBe(true);
    const other = await search('伍家岗区 胜利四路 12号');
    expect(other[0]).toMatchObject({ fullAddress: '伍家岗区 胜利四路 12号', score: 1, grid: null });
  });

  it('tolerates a missing district, a missing 号, spaces and full-width digits', async () => {
    for (const q of ['胜利四路12号', '胜利四路12', '胜利四路 12', '胜利四路１２号', '西陵街道胜利四路12号']) {
      const hits = await search(q);
      const exact = hits.filter((h) => h.score === 1).map((h) => h.fullAddress);
      expect(exact.sort(), q).toEqual(['伍家岗区 胜利四路 12号', '西陵区 胜利四路 12号']);
      expect(hits[0]?.score, q).toBe(1);
      expect(hits[1]?.score, q).toBe(1);
      // 120号 contains "胜利四路12" but is not the address asked for.
      const n120 = hits.find((h) => h.fullAddress === '西陵区 胜利四路 120号');
      if (n120) expect(n120.score).toBeLessThan(1);
    }
    const withDistrict = await search('西陵区西陵街道胜利四路12');
    expect(withDistrict[0]).toMatchObject({ fullAddress: '西陵区 胜利四路 12号', score: 1 });
    // The district filter keeps one.
    const inXiling = await search('胜利四路12', `&districtId=${xilingId}`);
    expect(inXiling.map((h) => h.fullAddress)).not.toContain('伍家岗区 胜利四路 12号');
    expect(inXiling[0]).toMatchObject({ fullAddress: '西陵区 胜利四路 12号', score: 1 });
    expect((await search('胜利四路12', `&districtId=${wujiagangId}`))[0]).toMatchObject({ fullAddress: '伍家岗区 胜利四路 12号' });
  });

  it('ranks a named road, POI or block before the door plates on it', async () => {
    const road = await search('胜利四路');
    expect(road[0]).toMatchObject({ kind: 'road', name: '胜利四路', score: 0.95 });
    expect(road.slice(1).every((h) => h.kind === 'doorplate' && h.score < 0.8)).toBe(true);
    expect(road.slice(1, 4).map((h) => h.fullAddress)).toEqual(['西陵区 胜利四路 2号', '西陵区 胜利四路 12号', '伍家岗区 胜利四路 12号']);
    const poi = await search('夷陵广场');
    expect(poi[0]).toMatchObject({ kind: 'poi', name: '夷陵广场', score: 0.95 });
    expect(poi[0]?.lng).toBeGreaterThan(111.318);
    expect(poi[0]?.lng).toBeLessThan(111.321);
    expect((await search('夷陵广场购物中心'))[0]).toMatchObject({ kind: 'poi', score: 0.95 });
    const partial = await search('夷陵广');
    expect(partial[0]).toMatchObject({ kind: 'poi' });
    expect(partial[0]?.score).toBeGreaterThan(0.8);
    expect(partial[0]?.score).toBeLessThan(0.95);
    expect((await search('胜利小区'))[0]).toMatchObject({ kind: 'block', score: 0.95 });
  });

  it('finds a misspelt address by similarity', async () => {
    const hits = await search('胜力四路12号');
    expect(hits.length).toBeGreaterThan(0);
    expect(hits[0]?.score).toBeLessThan(0.8);
    expect(hits.slice(0, 3).map((h) => h.fullAddress)).toContain('西陵区 胜利四路 12号');
    expect(await search('完全无关的地名')).toEqual([]);
  });

  it('validates the query', async () => {
    for (const qs of ['', '?q=', `?q=x&limit=0`, `?q=x&limit=51`, '?q=x&districtId=abc', '?q=x&foo=1']) {
      const res = await t.app.inject({ url: `/api/geocode${qs}`, headers: { cookie: inspector } });
      expect(res.statusCode, qs).toBe(400);
    }
    expect((await t.app.inject({ url: '/api/geocode?q=x' })).statusCode).toBe(401);
    // LIKE wildcards in the query are literal.
    expect(await search('%')).toEqual([]);
    expect(await search('_')).toEqual([]);
  });

  it('parses queries', () => {
    const d = [{ id: 1, name: '西陵区' }];
    expect(parseQuery('西陵区 胜利四路 12号', d)).toMatchObject({
      core: '胜利四路12号',
      district: { id: 1 },
      road: '胜利四路',
      number: '12',
    });
    expect(parseQuery('宜昌市西陵区胜利四路12', d, '宜昌市')).toMatchObject({ core: '胜利四路12', road: '胜利四路', number: '12' });
    expect(parseQuery('西陵街道胜利四路12号', d)).toMatchObject({
      core: '西陵街道胜利四路12号',
      stripped: '胜利四路12号',
      road: '胜利四路',
      number: '12',
    });
    expect(parseQuery('胜利四路', d)).toMatchObject({ road: null, number: null, district: null });
  });
});

describe('reverse geocoding', () => {
  it('describes a point 20 m east of a door plate', async () => {
    const r = await reverse(offset(A, 20, 0));
    expect(r.description).toBe('西陵区 胜利四路 12号 东侧约 20 米');
    expect(r.source).toBe('address');
    expect(r.nearest).toMatchObject({ fullAddress: '西陵区 胜利四路 12号', kind: 'doorplate', direction: '东' });
    expect(r.nearest.distanceM).toBeCloseTo(20, 0);
    expect(r.grid).toMatchObject({ id: gridId, name: '胜利社区第1网格' });
    expect(r.community).toMatchObject({ name: '胜利社区' });
    expect(r.street).toMatchObject({ name: '西陵街道' });
    expect(r.district).toMatchObject({ id: xilingId, name: '西陵区' });
  });

  it('gives direction and rounded distance in every quarter', async () => {
    const cases: Array<[number, number, string]> = [
      [0, 35, '西陵区 胜利四路 12号 北侧约 35 米'],
      [0, -48, '西陵区 胜利四路 12号 南侧约 48 米'],
      [-12, 0, '西陵区 胜利四路 12号 西侧约 12 米'],
      [-30, -30, '西陵区 胜利四路 12号 西南侧约 42 米'],
      [60, 60, '西陵区 胜利四路 12号 东北侧约 85 米'],
      [1, 1, '西陵区 胜利四路 12号'],
    ];
    for (const [e, n, text] of cases) expect((await reverse(offset(A, e, n))).description, `${e},${n}`).toBe(text);
    expect((await reverse(offset(E, 0, -150))).description).toBe('西陵区 胜利四路 2号 南侧约 150 米');
  });

  it('converts GCJ-02 input', async () => {
    const [x, y] = fromWgs84(...offset(A, 20, 0), 'gcj02');
    const r = await reverse([x, y], '&coordSys=gcj02');
    expect(r.description).toBe('西陵区 胜利四路 12号 东侧约 20 米');
    expect(r.point[0]).toBeCloseTo(offset(A, 20, 0)[0], 6);
  });

  it('falls back to the nearest road, then the grid, then coordinates', async () => {
    const nearRoad = await reverse(offset([111.325, 30.7], 0, -100));
    expect(nearRoad.source).toBe('road');
    expect(nearRoad.description).toBe('西陵区 胜利四路 南侧约 100 米');
    const inGrid = await reverse([111.288, 30.688]);
    expect(inGrid.source).toBe('grid');
    expect(inGrid.nearest).toBeNull();
    expect(inGrid.description).toBe('西陵区 西陵街道 胜利社区 胜利社区第1网格');
    const outside = await reverse([112.5, 31.5]);
    expect(outside).toMatchObject({ source: 'coordinates', description: '112.500000, 31.500000', grid: null, district: null });
  });

  it('rejects bad coordinates with 400', async () => {
    for (const qs of [
      'lng=200&lat=30',
      'lng=111&lat=-91',
      'lng=abc&lat=30',
      'lng=111',
      'lng=111&lat=30&coordSys=utm',
      'lng=111&lat=30&x=1',
    ]) {
      const res = await t.app.inject({ url: `/api/geocode/reverse?${qs}`, headers: { cookie: inspector } });
      expect(res.statusCode, qs).toBe(400);
      expect(res.json().error).toBe('validation_failed');
    }
  });

  it('helpers', () => {
    expect(compassDirection([111, 30], [111.001, 30])).toBe('东');
    expect(compassDirection([111, 30], [111, 29.999])).toBe('南');
    expect(compassDirection([111, 30], [110.999, 30.001])).toBe('西北');
    expect([
      roundDistance(4.4),
      roundDistance(49.6),
      roundDistance(52),
      roundDistance(198),
      roundDistance(204),
      roundDistance(1234),
    ]).toEqual([4, 50, 50, 200, 200, 1230]);
  });
});

describe('gazetteer import', () => {
  const post = (payload: string | object, qs = '', contentType?: string, cookie = admin) =>
    t.app.inject({
      method: 'POST',
      url: `/api/geocode/import${qs}`,
      headers: { cookie, ...(contentType ? { 'content-type': contentType } : {}) },
      payload,
    });

  it('rejects the whole file when a row is bad, listing the rows', async () => {
    const before = await gazetteerCount();
    const csv = [
      'kind,name,full_address,road_name,house_number,lng,lat',
      'doorplate,胜利四路30号,西陵区 胜利四路 30号,胜利四路,30号,111.3030,30.7004',
      'shop,某店,西陵区 某店,,,111.30,30.70',
      'doorplate,,西陵区 胜利四路 32号,胜利四路,32号,111.3032,30.7004',
      'doorplate,胜利四路34号,西陵区 胜利四路 34号,胜利四路,34号,511.3,30.7004',
      'doorplate,胜利四路36号,西陵区 胜利四路 36号,胜利四路,,111.3036,30.7004',
      'poi,某亭,西陵区 某亭,,,111.30,abc',
      'poi,某亭,西陵区 某亭,,,111.30',
    ].join('\n');
    const res = await post(csv, '', 'text/csv');
    expect(res.statusCode).toBe(400);
    const body = res.json();
    expect(body.error).toBe('import_rows_invalid');
    expect(body.details.inserted).toBe(0);
    expect(body.details.rejected.map((r: { row: number; error: string }) => [r.row, r.error])).toEqual([
      [2, 'kind_invalid'],
      [3, 'name_missing'],
      [4, 'coordinates_invalid'],
      [5, 'house_number_missing'],
      [6, 'coordinates_invalid'],
      [7, 'column_count'],
    ]);
    expect(body.details.rejected[0].message).toContain('shop');
    expect(await gazetteerCount()).toBe(before);

    // skipInvalid imports the good row and still reports the others.
    const skip = await post(csv, '?skipInvalid=true', 'text/csv');
    expect(skip.statusCode).toBe(200);
    expect(skip.json().inserted).toBe(1);
    expect(skip.json().rejected).toHaveLength(6);
    expect(await gazetteerCount()).toBe(before + 1);
  });

  it('checks geometry with PostGIS, all or nothing', async () => {
    const before = await gazetteerCount();
    const fc = {
      type: 'FeatureCollection',
      features: [
        {
          type: 'Feature',
          properties: { kind: 'block', name: '好小区', fullAddress: '西陵区 好小区' },
          geometry: { type: 'Point', coordinates: [111.301, 30.701] },
        },
        {
          type: 'Feature',
          properties: { kind: 'block', name: '蝴蝶小区', fullAddress: '西陵区 蝴蝶小区' },
          geometry: {
            type: 'Polygon',
            coordinates: [
              [
                [111.3, 30.7],
                [111.31, 30.71],
                [111.31, 30.7],
                [111.3, 30.71],
                [111.3, 30.7],
              ],
            ],
          },
        },
        {
          type: 'Feature',
          properties: { kind: 'road', name: '断路', fullAddress: '西陵区 断路' },
          geometry: { type: 'LineString', coordinates: [[111.3, 30.7]] },
        },
        {
          type: 'Feature',
          properties: { kind: 'doorplate', name: '某路1号', fullAddress: '西陵区 某路 1号', roadName: '某路', houseNumber: '1号' },
          geometry: {
            type: 'LineString',
            coordinates: [
              [111.3, 30.7],
              [111.31, 30.7],
            ],
          },
        },
        { type: 'Feature', properties: { kind: 'poi', name: '无形', fullAddress: '西陵区 无形' }, geometry: null },
      ],
    };
    const res = await post(fc);
    expect(res.statusCode).toBe(400);
    expect(res.json().details.rejected.map((r: { row: number; error: string }) => [r.row, r.error])).toEqual([
      [3, 'geometry_invalid'],
      [4, 'geometry_wrong_type'],
      [5, 'geometry_missing'],
    ]);
    // Once the structural errors are skipped, PostGIS finds the self-intersecting polygon.
    const skip = await post(fc, '?skipInvalid=true');
    expect(skip.statusCode).toBe(200);
    expect(skip.json().inserted).toBe(1);
    expect(skip.json().rejected.map((r: { row: number; error: string }) => [r.row, r.error])).toEqual([
      [2, 'geometry_invalid'],
      [3, 'geometry_invalid'],
      [4, 'geometry_wrong_type'],
      [5, 'geometry_missing'],
    ]);
    const strict = await post({ type: 'FeatureCollection', features: [fc.features[1]] });
    expect(strict.statusCode).toBe(400);
    expect(strict.json().details.rejected[0]).toMatchObject({ row: 1, error: 'geometry_invalid' });
    expect(await gazetteerCount()).toBe(before + 1);
  });

  it('converts coordinates and supersedes a place with the same address', async () => {
    const target = offset(A, 0, 10);
    const [gx, gy] = fromWgs84(target[0], target[1], 'gcj02');
    const [bx, by] = fromWgs84(target[0], target[1], 'bd09');
    const csv = [
      'kind,name,full_address,road_name,house_number,lng,lat,coord_sys,aliases',
      `doorplate,胜利四路14号,西陵区 胜利四路 14号,胜利四路,14号,${gx},${gy},gcj02,胜利四路十四号|十四号院`,
      `poi,报刊亭甲,西陵区 胜利四路 报刊亭甲,,,${bx},${by},bd09,`,
    ].join('\r\n');
    const res = await post(csv, '', 'text/csv');
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toEqual({ inserted: 2, replaced: 0, rejected: [] });
    const rows = await t.ctx.db
      .selectFrom('gazetteer')
      .select((eb) => [
        'name',
        'gridId',
        'districtId',
        'aliases',
        'searchText',
        eb.fn<number>('ST_X', ['geom']).as('x'),
        eb.fn<number>('ST_Y', ['geom']).as('y'),
      ])
      .where('name', 'in', ['胜利四路14号', '报刊亭甲'])
      .orderBy('name', 'desc')
      .execute();
    for (const r of rows) {
      expect(r.x).toBeCloseTo(target[0], 6);
      expect(r.y).toBeCloseTo(target[1], 6);
      expect(r.gridId).toBe(gridId);
      expect(r.districtId).toBe(xilingId);
    }
    expect(rows[0]?.aliases).toEqual(['胜利四路十四号', '十四号院']);
    expect(rows[0]?.searchText).toBe('西陵区胜利四路14号胜利四路14号胜利四路十四号十四号院');
    expect((await search('十四号院'))[0]).toMatchObject({ name: '胜利四路14号' });

    // The same kind + full address again: the old row is closed, not duplicated.
    const again = await post(
      { type: 'FeatureCollection', features: [doorplate(offset(A, 0, 12), '西陵区', '胜利四路', '14号')] },
      '',
      'application/geo+json',
    );
    expect(again.json()).toEqual({ inserted: 1, replaced: 1, rejected: [] });
    const current = (await search('胜利四路14号')).filter((h) => h.score === 1);
    expect(current).toHaveLength(1);
    expect(current[0]?.lat).toBeCloseTo(offset(A, 0, 12)[1], 7);
    const all = await t.ctx.db.selectFrom('gazetteer').select(['validTo']).where('fullAddress', '=', '西陵区 胜利四路 14号').execute();
    expect(all.filter((r) => r.validTo === null)).toHaveLength(1);
    expect(all).toHaveLength(2);
    const audit = await t.ctx.db.selectFrom('auditLog').select(['action', 'actorId']).where('action', '=', 'gazetteer.import').execute();
    expect(audit.length).toBeGreaterThan(0);
  });

  it('rejects malformed files and non-admins', async () => {
    expect((await post('kind,name,lng,lat\npoi,x,111,30', '', 'text/csv')).json()).toMatchObject({ error: 'import_header_invalid' });
    expect((await post('kind,name,full_address,lng,lat,colour\n', '', 'text/csv')).json().details.unknown).toEqual(['colour']);
    expect((await post('{"type":"FeatureCollection"', '', 'application/geo+json')).json()).toMatchObject({ error: 'import_file_invalid' });
    expect((await post({ type: 'Feature' })).json()).toMatchObject({ error: 'import_file_invalid' });
    expect((await post('x', '?format=xml', 'text/csv')).statusCode).toBe(400);
    expect((await post(PLACES, '?coordSys=utm')).statusCode).toBe(400);
    expect((await post(PLACES, '', undefined, inspector)).statusCode).toBe(403);
    // Coordinates that are not degrees.
    const bad = await post({ type: 'FeatureCollection', features: [doorplate([12345678, 3456789], '西陵区', '某路', '1号')] });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().details.rejected[0]).toMatchObject({ row: 1, error: 'coordinates_invalid' });
  });

  it('imports a file for the CLI', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gaz-'));
    const file = path.join(dir, 'places.csv');
    fs.writeFileSync(
      file,
      '\uFEFFkind,name,full_address,road_name,house_number,lng,lat\n门牌,胜利四路16号,西陵区 胜利四路 16号,胜利四路,16号,111.3025,30.7004\n',
    );
    const r = await importGazetteerFile(t.ctx, file, {});
    expect(r).toEqual({ inserted: 1, replaced: 0, rejected: [] });
    const geo = path.join(dir, 'places.geojson');
    fs.writeFileSync(
      geo,
      JSON.stringify({ type: 'FeatureCollection', features: [doorplate([111.3026, 30.7004], '西陵区', '胜利四路', '18号')] }),
    );
    expect((await importGazetteerFile(t.ctx, geo)).inserted).toBe(1);
    fs.writeFileSync(file, 'kind,name,full_address,road_name,house_number,lng,lat\ndoorplate,x,西陵区 x,,,111.3,30.7\n');
    await expect(importGazetteerFile(t.ctx, file)).rejects.toMatchObject({
      code: 'import_rows_invalid',
      details: { rejected: [{ row: 1, error: 'road_name_missing' }] },
    });
    fs.rmSync(dir, { recursive: true, force: true });
    expect((await search('胜利四路16'))[0]).toMatchObject({ fullAddress: '西陵区 胜利四路 16号', score: 1 });
  });
});
