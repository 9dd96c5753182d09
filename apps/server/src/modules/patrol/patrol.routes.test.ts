import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, demoCaseFixtures, type TestApp } from '../../../test/helpers.ts';

/** 巡查 positions through the API on the small demo city, with the clock under the test's control. */
describe('patrol: positions in, last positions out', () => {
  let t: TestApp;
  const now = new Date('2026-11-30T10:00:00+08:00');
  const cookie: Record<string, string> = {};
  let point: { lng: number; lat: number };
  let inspectorId: number;

  beforeAll(async () => {
    t = await createTestApp({ clock: () => now });
    for (const u of ['inspector', 'handler', 'leader', 'shiftlead', 'acceptor']) cookie[u] = await t.login(u);
    ({ point } = await demoCaseFixtures(t.ctx.db));
    inspectorId = Number(
      (await t.ctx.db.selectFrom('person').select('id').where('username', '=', 'inspector').executeTakeFirstOrThrow()).id,
    );
  });
  afterAll(() => t.close());

  const local = (hhmmss: string) => `2026-11-30T${hhmmss}+08:00`;
  const post = (who: string, payload: Record<string, unknown>) =>
    t.app.inject({ method: 'POST', url: '/api/patrol/positions', headers: { cookie: cookie[who] as string }, payload });
  const last = async (who = 'leader', query = '') => {
    const res = await t.app.inject({ method: 'GET', url: `/api/patrol/last${query}`, headers: { cookie: cookie[who] as string } });
    expect(res.statusCode, res.body).toBe(200);
    return res.json();
  };

  it('stores a batch once: a resent batch adds nothing, and the last position is the newest fix', async () => {
    const fixes = [
      { at: local('09:58:00'), lng: point.lng, lat: point.lat, accuracy: 8 },
      { at: local('09:59:00'), lng: point.lng + 0.0005, lat: point.lat, accuracy: 6, speed: 1.2, heading: 90 },
    ];
    const first = await post('inspector', { fixes });
    expect(first.statusCode, first.body).toBe(200);
    expect(first.json()).toEqual({ received: 2, stored: 2, duplicates: 0 });
    const again = await post('inspector', { fixes });
    expect(again.json()).toEqual({ received: 2, stored: 0, duplicates: 2 });

    const out = await last();
    expect(out.items).toHaveLength(1);
    expect(out.items[0]).toMatchObject({
      personId: inspectorId,
      username: 'inspector',
      at: new Date(local('09:59:00')).toISOString(),
      accuracyM: 6,
      speedMps: 1.2,
      headingDeg: 90,
    });
    expect(out.items[0].lng).toBeCloseTo(point.lng + 0.0005, 7);

    // A late-arriving older fix joins the track but does not move the last position back.
    const late = await post('inspector', { fixes: [{ at: local('09:30:00'), lng: point.lng - 0.001, lat: point.lat }] });
    expect(late.json()).toEqual({ received: 1, stored: 1, duplicates: 0 });
    expect((await last()).items[0].at).toBe(new Date(local('09:59:00')).toISOString());
    const rows = await t.ctx.db.selectFrom('patrolPosition').select('at').where('personId', '=', inspectorId).execute();
    expect(rows).toHaveLength(3);
  });

  it('converts GCJ-02 fixes to WGS 84', async () => {
    const res = await post('inspector', { coordSys: 'gcj02', fixes: [{ at: local('09:59:30'), lng: point.lng, lat: point.lat }] });
    expect(res.statusCode).toBe(200);
    const p = (await last()).items[0];
    expect(p.at).toBe(new Date(local('09:59:30')).toISOString());
    // GCJ-02 is offset by a few hundred metres from WGS 84 in China.
    expect(Math.abs(p.lng - point.lng) + Math.abs(p.lat - point.lat)).toBeGreaterThan(0.001);
  });

  it('refuses fixes from the future, too old, without a fix or malformed, and stores none of the batch', async () => {
    const bad = await post('inspector', {
      fixes: [
        { at: local('09:59:50'), lng: point.lng, lat: point.lat },
        { at: local('10:06:00'), lng: point.lng, lat: point.lat },
        { at: '2026-11-20T10:00:00+08:00', lng: point.lng, lat: point.lat },
        { at: local('09:59:55'), lng: 0, lat: 0 },
      ],
    });
    expect(bad.statusCode).toBe(422);
    expect(bad.json()).toMatchObject({
      error: 'patrol_fix_invalid',
      details: {
        problems: [
          { index: 1, problem: 'at_in_future' },
          { index: 2, problem: 'at_too_old' },
          { index: 3, problem: 'no_fix' },
        ],
      },
    });
    expect((await last()).items[0].at).toBe(new Date(local('09:59:30')).toISOString());
    for (const payload of [
      { fixes: [] },
      { fixes: [{ at: 'yesterday', lng: 1, lat: 1 }] },
      { fixes: [{ at: local('09:00:00'), lng: 200, lat: 1 }] },
      { fixes: [{ at: local('09:00:00'), lng: 1, lat: 1, extra: true }] },
    ]) {
      expect((await post('inspector', payload)).statusCode, JSON.stringify(payload)).toBe(400);
    }
  });

  it('lets inspectors report and the centre read, nobody else', async () => {
    const one = { fixes: [{ at: local('09:00:00'), lng: point.lng, lat: point.lat }] };
    for (const who of ['handler', 'leader', 'acceptor']) expect((await post(who, one)).statusCode, who).toBe(403);
    for (const who of ['inspector', 'handler']) {
      const res = await t.app.inject({ method: 'GET', url: '/api/patrol/last', headers: { cookie: cookie[who] as string } });
      expect(res.statusCode, who).toBe(403);
    }
    for (const who of ['leader', 'shiftlead', 'acceptor']) expect((await last(who)).items).toHaveLength(1);
    // Only recent fixes: the last one is 30 s old.
    expect((await last('leader', '?minutes=1')).items).toHaveLength(1);
    now.setTime(Date.parse(local('10:05:00')));
    expect((await last('leader', '?minutes=1')).items).toHaveLength(0);
  });
  it("shows an inspector's day: the track, and each beat grid's passes against 一日两巡", async () => {
    // Two grids of the inspector's beat and one grid outside it, each by a point inside it.
    const beat = await sql<{ id: string; lng: number; lat: number }>`
      SELECT g.id, ST_X(ST_PointOnSurface(g.geom)) AS lng, ST_Y(ST_PointOnSurface(g.geom)) AS lat
      FROM beat b JOIN beat_grid bg ON bg.beat_id = b.id JOIN region g ON g.id = bg.grid_id
      WHERE b.inspector_id = ${inspectorId} ORDER BY g.code LIMIT 2`.execute(t.ctx.db);
    const outside = await sql<{ id: string; lng: number; lat: number }>`
      SELECT g.id, ST_X(ST_PointOnSurface(g.geom)) AS lng, ST_Y(ST_PointOnSurface(g.geom)) AS lat
      FROM region g WHERE g.level = 'grid' AND g.valid_to IS NULL
        AND NOT EXISTS (SELECT 1 FROM beat_grid bg JOIN beat b ON b.id = bg.beat_id WHERE bg.grid_id = g.id AND b.inspector_id = ${inspectorId})
      ORDER BY g.code LIMIT 1`.execute(t.ctx.db);
    const [a, b] = beat.rows;
    const [o] = outside.rows;
    if (!a || !b || !o) throw new Error('the demo inspector needs a beat of two grids');
    const day = (hhmm: string, g: { lng: number; lat: number }) => ({ at: `2026-11-29T${hhmm}:00+08:00`, lng: g.lng, lat: g.lat });
    const fixes = [
      day('08:00', a),
      day('08:05', a), // still the first pass of A
      day('08:10', b),
      day('08:20', a), // back in A: its second pass
      day('09:30', a), // 70 minutes on in A: a third pass
      day('10:00', o), // outside the beat
    ];
    expect((await post('inspector', { fixes })).statusCode).toBe(200);
    // A fix of the evening before (local time) is another day's.
    expect((await post('inspector', { fixes: [{ at: '2026-11-28T23:59:00+08:00', lng: b.lng, lat: b.lat }] })).statusCode).toBe(200);

    const res = await t.app.inject({
      method: 'GET',
      url: `/api/patrol/day?personId=${inspectorId}&day=2026-11-29`,
      headers: { cookie: cookie.leader as string },
    });
    expect(res.statusCode, res.body).toBe(200);
    const out = res.json();
    expect(out.fixes).toHaveLength(6);
    expect(out.firstAt).toBe(new Date('2026-11-29T08:00:00+08:00').toISOString());
    expect(out.lengthM).toBeGreaterThan(0);
    const passes = Object.fromEntries(out.grids.map((g: { gridId: number; passes: number }) => [g.gridId, g.passes]));
    expect(passes[Number(a.id)]).toBe(3);
    expect(passes[Number(b.id)]).toBe(1);
    expect(passes[Number(o.id)]).toBeUndefined();
    const n = out.grids.length;
    expect(out.coverage).toEqual({
      target: 2,
      beatGrids: n,
      visited: 2,
      met: 1,
      visitedRate: 2 / n,
      metRate: 1 / n,
      outsideBeatGrids: 1,
    });
    expect(out.grids.every((g: { geometry: { type: string } }) => g.geometry.type === 'MultiPolygon')).toBe(true);

    // A quiet day: every grid at 0 passes, rates 0 (the beat exists); bad input and roles refused.
    const quiet = await t.app.inject({
      method: 'GET',
      url: `/api/patrol/day?personId=${inspectorId}&day=2026-11-27`,
      headers: { cookie: cookie.shiftlead as string },
    });
    expect(quiet.json().coverage).toMatchObject({ visited: 0, met: 0, metRate: 0 });
    const bad = await t.app.inject({
      method: 'GET',
      url: `/api/patrol/day?personId=${inspectorId}&day=2026-02-30`,
      headers: { cookie: cookie.leader as string },
    });
    expect([bad.statusCode, bad.json().error]).toEqual([422, 'patrol_day_invalid']);
    const nobody = await t.app.inject({
      method: 'GET',
      url: '/api/patrol/day?personId=999999&day=2026-11-29',
      headers: { cookie: cookie.leader as string },
    });
    expect([nobody.statusCode, nobody.json().error]).toEqual([404, 'person_not_found']);
    const handler = await t.app.inject({
      method: 'GET',
      url: `/api/patrol/day?personId=${inspectorId}&day=2026-11-29`,
      headers: { cookie: cookie.handler as string },
    });
    expect(handler.statusCode).toBe(403);
  });
});
