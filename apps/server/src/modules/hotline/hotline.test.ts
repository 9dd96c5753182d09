import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, demoCaseFixtures, type TestApp } from '../../../test/helpers.ts';
import { FAST, startReceiver, until } from '../webhooks/webhooks.fixtures.ts';
import { verify } from '../webhooks/webhooks.signature.ts';

/** 12345 hotline platform: work orders in by API key, idempotent; status, 催办 and additions. */
describe('hotline: work orders from the 12345 platform', () => {
  let t: TestApp;
  let key: string;
  let otherKey: string;
  const cookie: Record<string, string> = {};
  let point: { lng: number; lat: number };
  let eventClass: string;
  let handlerDept: number;

  const call = (method: 'GET' | 'POST', url: string, payload?: unknown, k = key) =>
    t.app.inject({ method, url, headers: { 'x-api-key': k }, payload: payload as Record<string, unknown> });
  const order = (orderNo: string, extra: Record<string, unknown> = {}) => ({
    orderNo,
    content: '市民反映：小区门口垃圾堆积多日无人清运',
    kind: 'event',
    classCode: eventClass,
    location: point,
    caller: { name: '王先生', phone: '13900000000' },
    reportedAt: '2026-11-30T01:00:00Z',
    ...extra,
  });
  const act = async (who: string, id: number, action: string, body: Record<string, unknown> = {}) => {
    const cur = await t.app.inject({ method: 'GET', url: `/api/cases/${id}`, headers: { cookie: cookie.admin as string } });
    const res = await t.app.inject({
      method: 'POST',
      url: `/api/cases/${id}/actions/${action}`,
      headers: { cookie: cookie[who] as string },
      payload: { version: cur.json().version, ...body },
    });
    expect(res.statusCode, `${who} ${action}: ${res.body}`).toBe(200);
  };

  beforeAll(async () => {
    t = await createTestApp();
    for (const u of ['admin', 'acceptor', 'shiftlead', 'dispatcher', 'handler']) cookie[u] = await t.login(u);
    ({ point, eventClass, handlerDept } = await demoCaseFixtures(t.ctx.db));
    key = (await t.ctx.services.auth.createApiKey({ name: '12345 热线平台', role: 'machine', departmentId: null }, null)).key;
    otherKey = (await t.ctx.services.auth.createApiKey({ name: '物联网平台', role: 'machine', departmentId: null }, null)).key;
  });
  afterAll(() => t.close());

  it('files a work order as a hotline case once, however often it is sent', async () => {
    const first = await call('POST', '/api/hotline/orders', order('RX20261130001'));
    expect(first.statusCode, first.body).toBe(201);
    const o = first.json();
    expect(o).toMatchObject({ orderNo: 'RX20261130001', status: 'open', state: 'reported', stateLabel: expect.any(String) });
    const again = await Promise.all([1, 2, 3].map(() => call('POST', '/api/hotline/orders', order('RX20261130001'))));
    expect(again.map((r) => r.statusCode)).toEqual([200, 200, 200]);
    expect(new Set(again.map((r) => r.json().caseId))).toEqual(new Set([o.caseId]));
    const rows = await sql<{ source: string; channel: string; sourceRef: string; reporterContact: unknown }>`
      SELECT source, channel, source_ref, reporter_contact FROM case_file WHERE source_ref = 'RX20261130001'`.execute(t.ctx.db);
    expect(rows.rows).toEqual([
      { source: 'hotline', channel: '12345', sourceRef: 'RX20261130001', reporterContact: { name: '王先生', phone: '13900000000' } },
    ]);
    // The status the hotline reads never carries the caller's data.
    expect(JSON.stringify(o)).not.toContain('13900000000');
  });

  it('maps a class named in words and an address, and says what is wrong with a bad order', async () => {
    const name = (
      await sql<{
        name: string;
      }>`SELECT name FROM taxonomy_class WHERE edition = 'CJT214-2007' AND kind = 'event' AND code = ${eventClass}`.execute(t.ctx.db)
    ).rows[0]?.name as string;
    const ok = await call(
      'POST',
      '/api/hotline/orders',
      order('RX20261130002', { classCode: undefined, className: name, channel: '12319' }),
    );
    expect(ok.statusCode, ok.body).toBe(201);
    const place = (
      await sql<{ fullAddress: string }>`SELECT full_address FROM gazetteer WHERE kind = 'doorplate' ORDER BY id LIMIT 1`.execute(t.ctx.db)
    ).rows[0]?.fullAddress as string;
    const byAddress = await call('POST', '/api/hotline/orders', order('RX20261130005', { location: undefined, address: place }));
    expect(byAddress.statusCode, byAddress.body).toBe(201);
    const located = await t.ctx.services.cases.repo.get(byAddress.json().caseId);
    expect(located?.address).toBe(place);
    expect(located?.gridId).not.toBeNull();
    const before = (await sql<{ n: number }>`SELECT count(*)::int AS n FROM case_file`.execute(t.ctx.db)).rows[0]?.n;
    const bad = await call('POST', '/api/hotline/orders', order('RX20261130003', { classCode: undefined, className: '没有这个小类' }));
    expect(bad.statusCode).toBe(422);
    expect(bad.json().error).toBe('class_not_found');
    const outside = await call('POST', '/api/hotline/orders', order('RX20261130004', { location: { lng: 0.5, lat: 0.5 } }));
    expect(outside.statusCode).toBe(422);
    expect(outside.json().error).toBe('location_outside_city');
    const malformed = await call('POST', '/api/hotline/orders', { orderNo: 'bad no/1', content: 'x' });
    expect(malformed.statusCode).toBe(400);
    expect((await sql<{ n: number }>`SELECT count(*)::int AS n FROM case_file`.execute(t.ctx.db)).rows[0]?.n).toBe(before);
  });

  it('follows the case: dispatch, 催办 logged as 督办, an addition to the report, and the status with its history', async () => {
    const created = (await call('POST', '/api/hotline/orders', order('RX20261130010'))).json();
    const id = created.caseId as number;
    await act('acceptor', id, 'accept');
    await act('shiftlead', id, 'register');
    await act('dispatcher', id, 'dispatch', { departmentId: handlerDept });

    const urged = await call('POST', '/api/hotline/orders/RX20261130010/updates', { type: 'urge', content: '市民再次来电催促' });
    expect(urged.statusCode, urged.body).toBe(200);
    const supervise = await sql<{ actorRole: string; note: string }>`
      SELECT actor_role, note FROM case_event WHERE case_id = ${id} AND action = 'supervise'`.execute(t.ctx.db);
    expect(supervise.rows).toEqual([{ actorRole: 'machine', note: '热线催办：市民再次来电催促' }]);
    expect((await t.ctx.services.cases.repo.get(id))?.superviseCount).toBe(1);

    const added = await call('POST', '/api/hotline/orders/RX20261130010/updates', { type: 'supplement', content: '垃圾在东门右侧' });
    expect(added.statusCode, added.body).toBe(200);
    const c = await t.ctx.services.cases.repo.get(id);
    expect(c?.description).toMatch(/^市民反映：小区门口垃圾堆积多日无人清运\n【热线补充 .+】垃圾在东门右侧$/);
    const audit = await sql<{
      n: number;
    }>`SELECT count(*)::int AS n FROM audit_log WHERE action = 'hotline.supplement' AND entity_id = ${String(id)}`.execute(t.ctx.db);
    expect(audit.rows[0]?.n).toBe(1);

    const status = (await call('GET', '/api/hotline/orders/RX20261130010')).json();
    expect(status).toMatchObject({ status: 'open', state: 'dispatched', department: { name: expect.any(String) } });
    expect(status.disposalDeadline).toMatch(/Z$/);
    expect(status.history.map((h: { action: string }) => h.action)).toEqual(['report', 'accept', 'register', 'dispatch', 'supervise']);
    // Internal remarks (the 督办 note, the dispatcher's) are not passed on; results are.
    expect(status.history.every((h: { note: string | null }) => h.note === null)).toBe(true);
  });

  it('tells the hotline why an order was turned down, and a finished order takes no more updates', async () => {
    const id = (await call('POST', '/api/hotline/orders', order('RX20261130011'))).json().caseId as number;
    await act('acceptor', id, 'reject', { reason: '不属于城市管理范围，已转相关部门' });
    const status = (await call('GET', '/api/hotline/orders/RX20261130011')).json();
    expect(status).toMatchObject({ status: 'closed', state: 'not_accepted' });
    expect(status.history.at(-1)).toMatchObject({ action: 'reject', note: '不属于城市管理范围，已转相关部门' });
    const late = await call('POST', '/api/hotline/orders/RX20261130011/updates', { type: 'urge', content: '再次催促' });
    expect(late.statusCode).toBe(409);
    expect(late.json().error).toBe('hotline_case_closed');
  });

  it("calls the hotline back on every step of its cases (a webhook limited to the hotline's source), signed, with the order number", async () => {
    const rx = await startReceiver();
    try {
      Object.assign(t.ctx.services.webhooks.worker.options, FAST);
      const sub = await t.app.inject({
        method: 'POST',
        url: '/api/webhooks',
        headers: { cookie: cookie.admin as string },
        payload: { name: '12345 状态回传', url: rx.url, sources: ['hotline'] },
      });
      expect(sub.statusCode, sub.body).toBe(201);
      const { secret } = sub.json();
      expect(sub.json().sources).toEqual(['hotline']);
      const id = (await call('POST', '/api/hotline/orders', order('RX20261130020'))).json().caseId as number;
      await act('acceptor', id, 'accept');
      // A case from another source is not the hotline's business.
      const other = await t.app.inject({
        method: 'POST',
        url: '/api/cases',
        headers: { cookie: cookie.acceptor as string },
        payload: { source: 'media', kind: 'event', classCode: eventClass, description: '媒体曝光：道路破损', location: point },
      });
      expect(other.statusCode, other.body).toBe(201);
      await act('shiftlead', id, 'register');
      await until(() => rx.got.filter((g) => g.json.case?.id === id).length === 3, 10_000, 'three callbacks');
      const mine = rx.got.filter((g) => g.json.case?.id === id);
      expect(mine.map((g) => g.json.type)).toEqual(['report', 'accept', 'register']);
      expect(mine.every((g) => g.json.case?.sourceRef === 'RX20261130020' && g.json.case?.channel === '12345')).toBe(true);
      expect(mine.every((g) => verify(secret, g.body, String(g.headers['x-cityloop-signature'])))).toBe(true);
      expect(rx.got.some((g) => g.json.case?.id === other.json().id)).toBe(false);
    } finally {
      await rx.close();
    }
  });

  it('keeps one hotline key to its own orders and refuses other callers', async () => {
    expect((await call('GET', '/api/hotline/orders/RX20261130001', undefined, otherKey)).statusCode).toBe(404);
    expect((await call('GET', '/api/hotline/orders/NOSUCHORDER')).json().error).toBe('hotline_order_not_found');
    const asPerson = await t.app.inject({
      method: 'GET',
      url: '/api/hotline/orders/RX20261130001',
      headers: { cookie: cookie.acceptor as string },
    });
    expect(asPerson.statusCode).toBe(403);
    expect((await t.app.inject({ method: 'POST', url: '/api/hotline/orders', payload: order('RX9') })).statusCode).toBe(401);
  });
});
