import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, demoCaseFixtures, type TestApp } from '../../../test/helpers.ts';
import type { Auth } from '../auth/auth.service.ts';
import { photo } from '../media/media.fixtures.ts';

/**
 * The command screen's figures against a day worked out by hand, on the small demo city (no
 * cases of its own) with the clock under the test's control. Times are local (Asia/Shanghai).
 *
 *  Y  11-29 23:59:30  inspector, class c1 — yesterday's, 30 s before local midnight
 *  Z  11-30 00:00:00  inspector, class c1 — today's, at midnight exactly
 *  H  11-30 09:00     hotline (acceptor), class c2, left waiting for 受理
 *  A  11-30 09:00     inspector, c1: 受理 → 立案 → 派遣 → 签收 → 反馈 → 核查 → 结案 by 09:08, all in time
 *  B  11-30 09:00     inspector, c2 (disposal limit set to 1 natural hour): dispatched 09:03, never fed back
 *  C  11-30 10:20     inspector, c1, urgent
 * Read at 10:30: open Y Z H B C (5); overdue Y Z H (受理 deadlines passed) and B (disposal due
 * 10:03) = 4; urgent C = 1; today's reports Z H A B C = 5; closed today A = 1.
 * 按期结案率 today = month = 按期结案 A / (结案 A + overdue open B) = 1 / 2.
 */
describe('command: the overview through the API', () => {
  let t: TestApp;
  let now = new Date('2026-11-29T23:59:30+08:00');
  const at = (local: string) => {
    now = new Date(`${local}+08:00`);
  };
  const cookie: Record<string, string> = {};
  let point: { lng: number; lat: number };
  let handlerDept: number;
  let c1: string;
  let c2: string;
  const ids: Record<string, number> = {};

  beforeAll(async () => {
    t = await createTestApp({ clock: () => now });
    for (const u of ['acceptor', 'shiftlead', 'dispatcher', 'handler', 'inspector', 'leader', 'admin']) cookie[u] = await t.login(u);
    ({ point, handlerDept, eventClass: c1 } = await demoCaseFixtures(t.ctx.db));
    const second = await t.ctx.db
      .selectFrom('taxonomyClass')
      .select('code')
      .where('edition', '=', 'CJT214-2007')
      .where('kind', '=', 'event')
      .where('level', '=', 'minor')
      .where('code', '>', c1)
      .orderBy('code')
      .executeTakeFirstOrThrow();
    c2 = second.code;
    const res = await t.app.inject({
      method: 'PATCH',
      url: `/api/taxonomy/classes/CJT214-2007/event/${c2}`,
      headers: { cookie: cookie.admin as string },
      payload: { disposalLimit: { value: 1, unit: 'hour', timeType: 'natural' } },
    });
    expect(res.statusCode, res.body).toBe(200);
  });
  afterAll(() => t.close());

  const overview = async (who = 'leader') => {
    await t.ctx.services.realtime.flush();
    const res = await t.app.inject({ method: 'GET', url: '/api/command/overview', headers: { cookie: cookie[who] as string } });
    expect(res.statusCode, res.body).toBe(200);
    return res.json();
  };
  const report = async (name: string, who: string, classCode: string, extra: Record<string, unknown> = {}) => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/cases',
      headers: { cookie: cookie[who] as string },
      payload: { kind: 'event', classCode, description: `案卷 ${name}`, location: point, ...extra },
    });
    expect(res.statusCode, res.body).toBe(201);
    ids[name] = res.json().id;
  };
  const photoId = async (who: string) => {
    const person = await t.ctx.db.selectFrom('person').select('id').where('username', '=', who).executeTakeFirstOrThrow();
    const auth = await t.ctx.services.auth.loadPerson(person.id);
    const [m] = await t.ctx.services.media.upload(auth as Auth, [
      { filename: 'site.jpg', buffer: await photo('jpeg', { width: 64, height: 48 }) },
    ]);
    return (m as { id: string }).id;
  };
  const act = async (who: string, name: string, action: string, body: Record<string, unknown> = {}) => {
    const id = ids[name] as number;
    const cur = await t.app.inject({ method: 'GET', url: `/api/cases/${id}`, headers: { cookie: cookie.admin as string } });
    const res = await t.app.inject({
      method: 'POST',
      url: `/api/cases/${id}/actions/${action}`,
      headers: { cookie: cookie[who] as string },
      payload: { version: cur.json().version, ...body },
    });
    expect(res.statusCode, `${who} ${action}: ${res.body}`).toBe(200);
    return res.json();
  };

  it('counts a report 30 s before local midnight as yesterday and one at midnight as today', async () => {
    await report('Y', 'inspector', c1);
    at('2026-11-29T23:59:45');
    const before = await overview();
    expect(before).toMatchObject({ today: '2026-11-29', month: '2026-11', timeZone: 'Asia/Shanghai' });
    expect(before.counters.reportedToday).toBe(1);

    at('2026-11-30T00:00:00');
    await report('Z', 'inspector', c1);
    at('2026-11-30T00:00:01');
    const after = await overview();
    expect(after.today).toBe('2026-11-30');
    expect(after.counters).toMatchObject({ reportedToday: 1, open: 2, closedToday: 0 });
    expect(after.recent.map((e: { number: string; action: string }) => e.action)).toEqual(['report', 'report']);
  });

  it('matches the hand-computed day: counters, breakdowns, heat, on-time rates and rankings', async () => {
    at('2026-11-30T09:00:00');
    await report('H', 'acceptor', c2, { source: 'hotline', channel: '12345' });
    await report('A', 'inspector', c1);
    await report('B', 'inspector', c2);
    at('2026-11-30T09:01:00');
    await act('acceptor', 'A', 'accept');
    await act('acceptor', 'B', 'accept');
    at('2026-11-30T09:02:00');
    await act('shiftlead', 'A', 'register');
    await act('shiftlead', 'B', 'register');
    at('2026-11-30T09:03:00');
    await act('dispatcher', 'A', 'dispatch', { departmentId: handlerDept });
    const b = await act('dispatcher', 'B', 'dispatch', { departmentId: handlerDept });
    expect(new Date(b.disposalDeadline).toISOString()).toBe(new Date('2026-11-30T10:03:00+08:00').toISOString());
    at('2026-11-30T09:04:00');
    await act('handler', 'A', 'sign');
    at('2026-11-30T09:05:00');
    await act('handler', 'A', 'feedback', { note: '已处理', photos: [await photoId('handler')] });
    at('2026-11-30T09:06:00');
    await act('acceptor', 'A', 'send_check');
    at('2026-11-30T09:07:00');
    await act('inspector', 'A', 'check_pass', { photos: [await photoId('inspector')] });
    at('2026-11-30T09:08:00');
    await act('shiftlead', 'A', 'close', { archiveType: 'normal' });
    at('2026-11-30T10:20:00');
    await report('C', 'inspector', c1, { urgent: true });
    at('2026-11-30T10:30:00');

    const o = await overview();
    expect(o.counters).toEqual({ reportedToday: 5, closedToday: 1, open: 5, overdue: 4, warning: 0, urgent: 1 });
    expect(o.bySource).toEqual([
      { source: 'inspector', n: 4 },
      { source: 'hotline', n: 1 },
    ]);
    expect(o.byClass.map((x: { classCode: string; n: number }) => [x.classCode, x.n])).toEqual([
      [c1, 3],
      [c2, 2],
    ]);
    expect(o.byClass[0].name).toBeTruthy();
    expect(o.byState).toEqual([
      { state: 'reported', n: 3 },
      { state: 'closed', n: 1 },
      { state: 'dispatched', n: 1 },
    ]);
    const grid = (await t.app.inject({ method: 'GET', url: `/api/cases/${ids.A}`, headers: { cookie: cookie.admin as string } })).json();
    expect(o.heat).toEqual([{ gridId: grid.gridId, n: 5 }]);
    expect(o.onTime.today).toEqual({ rate: 0.5, onTime: 1, due: 2 });
    expect(o.onTime.month).toEqual({ rate: 0.5, onTime: 1, due: 2 });

    // District of the cases, November: 立案 2 (A, B), 监督举报 0 → 举报率 0 → 100 points; 立案数 2 in a
    // 一类 region → 90; 结案率 1/2 → 50; 按期结案率 1/2 → 50: (100×10 + 90×20 + 50×30 + 50×40) / 100 = 63 (C).
    // Districts with nothing due have no composite and come last.
    const [first, ...rest] = o.rankings.districts;
    expect(first).toMatchObject({ id: grid.districtId, score: 63, grade: 'C', onTimeRate: 0.5, registered: 2 });
    expect(rest.every((d: { score: number | null }) => d.score === null)).toBe(true);
    // The handler's department: 应处置 2 (A fed back, B overdue) → 100 points; 结案率 1/2 → 50;
    // 按期处置率 1/2 → 50; 返工率 0 → 100: (100×10 + 50×30 + 50×30 + 100×30) / 100 = 70.
    expect(o.rankings.departments[0]).toMatchObject({ id: handlerDept, score: 70, grade: 'C', onTimeRate: 0.5, dueDisposal: 2 });
    expect(o.rankings.period).toEqual({ from: '2026-11-01', to: '2026-12-01' });

    // The ticker: newest first, with the case number and class name.
    expect(o.recent[0]).toMatchObject({ caseId: ids.C, action: 'report', urgent: true });
    expect(o.recent[1]).toMatchObject({ caseId: ids.A, action: 'close', toState: 'closed' });
    expect(o.recent[0].className).toBeTruthy();

    // The map: every open case with its light, urgent first, then by deadline.
    const map = await t.app.inject({ method: 'GET', url: '/api/command/cases', headers: { cookie: cookie.leader as string } });
    expect(map.statusCode, map.body).toBe(200);
    const items: Array<[number, number, number, string, number, string]> = map.json().items;
    expect(items.map((x) => x[0]).sort()).toEqual([ids.Y, ids.Z, ids.H, ids.B, ids.C].sort());
    expect(items[0]).toEqual([ids.C, expect.any(Number), expect.any(Number), 'reported', 1, 'g']);
    expect(Object.fromEntries(items.map((x) => [x[0], x[5]]))).toMatchObject({
      [ids.Y as number]: 'r',
      [ids.H as number]: 'r',
      [ids.B as number]: 'r',
    });
  });

  it('answers changes at once and keeps the evaluation figures for 30 s, then refreshes them in the background', async () => {
    const first = await overview();
    expect(first.evaluatedAt).toBe(new Date('2026-11-30T10:30:00+08:00').toISOString());
    at('2026-11-30T10:30:10');
    await act('handler', 'B', 'sign');
    at('2026-11-30T10:30:20');
    const changed = await overview();
    // The live figures follow the change…
    expect(changed.byState).toContainEqual({ state: 'handling', n: 1 });
    expect(changed.recent[0]).toMatchObject({ caseId: ids.B, action: 'sign' });
    // …the evaluation is the one kept from 10:30:00.
    expect(changed.evaluatedAt).toBe(first.evaluatedAt);
    at('2026-11-30T10:31:00');
    expect((await overview()).evaluatedAt).toBe(first.evaluatedAt);
    await t.ctx.services.command.flush();
    at('2026-11-30T10:31:01');
    const refreshed = await overview();
    expect(refreshed.evaluatedAt).toBe(new Date('2026-11-30T10:31:00+08:00').toISOString());
    expect(refreshed.onTime.today).toEqual({ rate: 0.5, onTime: 1, due: 2 });
  });

  it('is answered for the centre roles and refused to handlers and inspectors', async () => {
    for (const who of ['leader', 'admin', 'shiftlead', 'dispatcher', 'acceptor']) {
      const res = await t.app.inject({ method: 'GET', url: '/api/command/overview', headers: { cookie: cookie[who] as string } });
      expect(res.statusCode, who).toBe(200);
    }
    for (const who of ['handler', 'inspector']) {
      for (const url of ['/api/command/overview', '/api/command/cases']) {
        const res = await t.app.inject({ method: 'GET', url, headers: { cookie: cookie[who] as string } });
        expect(res.statusCode, `${who} ${url}`).toBe(403);
      }
    }
    const anonymous = await t.app.inject({ method: 'GET', url: '/api/command/overview' });
    expect(anonymous.statusCode).toBe(401);
  });

  it('limits a district-scoped centre role to its district', async () => {
    const grid = (await t.app.inject({ method: 'GET', url: `/api/cases/${ids.A}`, headers: { cookie: cookie.admin as string } })).json();
    const other = await t.ctx.db
      .selectFrom('region')
      .select('id')
      .where('level', '=', 'district')
      .where('validTo', 'is', null)
      .where('id', '<>', grid.districtId)
      .orderBy('code')
      .executeTakeFirstOrThrow();
    const leader = await t.ctx.db.selectFrom('person').select('id').where('username', '=', 'leader').executeTakeFirstOrThrow();
    const base = (await t.ctx.services.auth.loadPerson(leader.id)) as Auth;
    const scoped = (regionId: number): Auth => ({
      ...base,
      roles: [{ role: 'shiftlead', scopeRegionId: regionId, scopeDepartmentId: null }],
    });
    at('2026-11-30T10:32:00');
    const mine = await t.ctx.services.command.overview(scoped(grid.districtId));
    expect(mine.scope).toEqual({ city: false, regionIds: [grid.districtId] });
    expect(mine.counters).toMatchObject({ reportedToday: 5, open: 5, overdue: 4 });
    expect(mine.onTime.today).toEqual({ rate: 0.5, onTime: 1, due: 2 });
    const elsewhere = await t.ctx.services.command.overview(scoped(Number(other.id)));
    expect(elsewhere.counters).toEqual({ reportedToday: 0, closedToday: 0, open: 0, overdue: 0, warning: 0, urgent: 0 });
    expect(elsewhere.recent).toEqual([]);
    expect(elsewhere.heat).toEqual([]);
    expect(elsewhere.onTime.today).toEqual({ rate: null, onTime: 0, due: 0 });
    expect((await t.ctx.services.command.openCases(scoped(Number(other.id)))).items).toEqual([]);
  });
});
