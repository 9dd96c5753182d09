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
});
