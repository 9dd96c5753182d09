import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, demoCaseFixtures, type TestApp } from '../../../test/helpers.ts';
import { FAST, type Received, type Receiver, startReceiver, until } from './webhooks.fixtures.ts';
import { verify } from './webhooks.signature.ts';

describe('webhooks', () => {
  let t: TestApp;
  let admin: string;
  const cookies: Record<string, string> = {};
  let point: { lng: number; lat: number };
  let eventClass: string;
  const receivers: Receiver[] = [];

  beforeAll(async () => {
    t = await createTestApp();
    Object.assign(t.ctx.services.webhooks.worker.options, FAST);
    admin = await t.login('admin');
    for (const who of ['acceptor', 'leader']) cookies[who] = await t.login(who);
    ({ point, eventClass } = await demoCaseFixtures(t.ctx.db));
  });
  afterAll(async () => {
    for (const r of receivers) await r.close();
    await t.close();
  });

  const receiver = async (answer?: (r: Received) => number | 'hang') => {
    const r = await startReceiver(answer);
    receivers.push(r);
    return r;
  };
  const subscribe = async (body: Record<string, unknown>) => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/webhooks',
      headers: { cookie: admin },
      payload: { name: 'test', ...body },
    });
    expect(res.statusCode, res.body).toBe(201);
    return res.json() as { id: number; secret: string };
  };
  /** Disables a subscription so later tests' events do not reach it. */
  const disable = (id: number) =>
    t.app.inject({ method: 'PATCH', url: `/api/webhooks/${id}`, headers: { cookie: admin }, payload: { active: false } });
  const report = async (description = '路面积水', classCode = eventClass) => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/cases',
      headers: { cookie: cookies.acceptor as string },
      payload: { kind: 'event', classCode, description, location: point },
    });
    expect(res.statusCode, res.body).toBe(201);
    return res.json() as { id: number; number: string; version: number; districtId: number; gridId: number };
  };
  const supervise = async (id: number, note = '请尽快处理') => {
    const cur = await t.app.inject({ method: 'GET', url: `/api/cases/${id}`, headers: { cookie: admin } });
    const res = await t.app.inject({
      method: 'POST',
      url: `/api/cases/${id}/actions/supervise`,
      headers: { cookie: cookies.leader as string },
      payload: { version: cur.json().version, note },
    });
    expect(res.statusCode, res.body).toBe(200);
  };
  const deliveries = async (subId: number, query = '') => {
    const res = await t.app.inject({
      method: 'GET',
      url: `/api/webhooks/${subId}/deliveries?limit=500${query}`,
      headers: { cookie: admin },
    });
    expect(res.statusCode, res.body).toBe(200);
    return res.json().items as Array<{
      id: number;
      deliveryKey: string;
      caseId: number;
      seq: number;
      status: string;
      attempts: number;
      lastError: string | null;
      responseCode: number | null;
      eventType: string;
    }>;
  };
  const ofCase = (rx: Receiver, caseId: number) => rx.got.filter((g) => g.json.case?.id === caseId);

  it('delivers signed case events with the case facts, and shows the secret only at creation', async () => {
    const rx = await receiver();
    const sub = await subscribe({ url: rx.url });
    expect(sub.secret).toMatch(/^whsec_/);
    const c = await report();
    await until(() => ofCase(rx, c.id).length === 1, 10_000, 'the report event');
    const [got] = ofCase(rx, c.id) as [Received];
    expect(got.headers['x-cityloop-event']).toBe('report');
    const sig = got.headers['x-cityloop-signature'] as string;
    expect(verify(sub.secret, got.body, sig)).toBe(true);
    expect(verify(`${sub.secret}x`, got.body, sig)).toBe(false);
    const [d] = await deliveries(sub.id);
    expect(got.headers['x-cityloop-delivery']).toBe(d?.deliveryKey);
    expect(got.json).toMatchObject({ type: 'report', deliveryId: d?.deliveryKey });
    const district = await t.ctx.db.selectFrom('region').select('code').where('id', '=', c.districtId).executeTakeFirstOrThrow();
    const grid = await t.ctx.db.selectFrom('region').select('code').where('id', '=', c.gridId).executeTakeFirstOrThrow();
    expect(got.json.case).toMatchObject({
      id: c.id,
      number: c.number,
      seq: 1,
      state: 'reported',
      classCode: eventClass,
      regions: { district: district.code, grid: grid.code },
      link: `/cases/${c.id}`,
    });
    expect(new Date(got.json.occurredAt as string).toISOString()).toBe(got.json.occurredAt);
    await until(async () => (await deliveries(sub.id))[0]?.status === 'delivered', 5_000, 'delivered status');

    // Never again after creation: not in the list, not in one subscription, not in the audit log.
    const list = await t.app.inject({ method: 'GET', url: '/api/webhooks', headers: { cookie: admin } });
    const one = await t.app.inject({ method: 'GET', url: `/api/webhooks/${sub.id}`, headers: { cookie: admin } });
    expect(list.body).not.toContain(sub.secret);
    expect(one.body).not.toContain(sub.secret);
    expect(one.json().stats.delivered).toBe(1);
    const audit = await t.ctx.db.selectFrom('auditLog').select(['action', 'after']).where('entity', '=', 'webhook_subscription').execute();
    expect(audit.map((a) => a.action)).toContain('webhook.create');
    expect(JSON.stringify(audit)).not.toContain(sub.secret);
    await disable(sub.id);
  });

  it('refuses bad input with stable codes and changes nothing', async () => {
    const count = async () =>
      Number(
        (
          await sql<{ n: number }>`SELECT (SELECT count(*) FROM webhook_subscription) + (SELECT count(*) FROM audit_log) AS n`.execute(
            t.ctx.db,
          )
        ).rows[0]?.n,
      );
    const before = await count();
    const post = (payload: Record<string, unknown>) =>
      t.app.inject({ method: 'POST', url: '/api/webhooks', headers: { cookie: admin }, payload: { name: 'bad', ...payload } });
    for (const url of ['ftp://example.org/hook', 'not a url', 'javascript:alert(1)', 'http://']) {
      const res = await post({ url });
      expect(res.statusCode, url).toBe(400);
      expect(res.json().error, url).toBe('webhook_url_invalid');
    }
    const unknown = await post({ url: 'http://127.0.0.1:9/hook', eventTypes: ['report', 'explode'] });
    expect(unknown.statusCode).toBe(400);
    expect(unknown.json()).toMatchObject({ error: 'webhook_event_type_unknown', details: { unknown: ['explode'] } });
    const dept = await post({ url: 'http://127.0.0.1:9/hook', departmentId: 999_999 });
    expect(dept.json().error).toBe('webhook_department_unknown');
    const extra = await post({ url: 'http://127.0.0.1:9/hook', colour: 'red' });
    expect(extra.json().error).toBe('validation_failed');
    // An edit is checked the same way and leaves the subscription as it was.
    const sub = await subscribe({ url: 'http://127.0.0.1:9/hook', active: false });
    const mid = await count();
    const patch = await t.app.inject({
      method: 'PATCH',
      url: `/api/webhooks/${sub.id}`,
      headers: { cookie: admin },
      payload: { url: 'file:///etc/passwd', active: true },
    });
    expect(patch.json().error).toBe('webhook_url_invalid');
    const after = await t.app.inject({ method: 'GET', url: `/api/webhooks/${sub.id}`, headers: { cookie: admin } });
    expect(after.json()).toMatchObject({ url: 'http://127.0.0.1:9/hook', active: false });
    expect(await count()).toBe(mid);
    expect(mid).toBe(before + 2); // the one valid subscription and its audit row
    const missing = await t.app.inject({ method: 'GET', url: '/api/webhooks/999999/deliveries', headers: { cookie: admin } });
    expect(missing.statusCode).toBe(404);
    expect(missing.json().error).toBe('webhook_not_found');
    const forbidden = await t.app.inject({ method: 'GET', url: '/api/webhooks', headers: { cookie: cookies.leader as string } });
    expect(forbidden.statusCode).toBe(403);
  });

  it('filters by event type, region code prefix and department', async () => {
    const c0 = await report('filter probe');
    const district = await t.ctx.db.selectFrom('region').select('code').where('id', '=', c0.districtId).executeTakeFirstOrThrow();
    const other = await t.ctx.db
      .selectFrom('region')
      .select('code')
      .where('level', '=', 'district')
      .where('id', '<>', c0.districtId)
      .executeTakeFirstOrThrow();
    // The department a report's log row names (the same for the next report from the same place and person).
    const probe = await t.ctx.db.selectFrom('caseEvent').select('departmentId').where('caseId', '=', c0.id).executeTakeFirstOrThrow();
    const named = probe.departmentId ?? (await demoCaseFixtures(t.ctx.db)).handlerDept;
    const otherDept = await t.ctx.db.selectFrom('department').select('id').where('id', '<>', named).executeTakeFirstOrThrow();
    const all = await receiver();
    const onlySupervise = await receiver();
    const here = await receiver();
    const elsewhere = await receiver();
    const dept = await receiver();
    const notDept = await receiver();
    const subs = [
      await subscribe({ url: all.url }),
      await subscribe({ url: onlySupervise.url, eventTypes: ['supervise'] }),
      await subscribe({ url: here.url, regionPrefix: district.code }),
      await subscribe({ url: elsewhere.url, regionPrefix: other.code }),
      await subscribe({ url: dept.url, departmentId: named }),
      await subscribe({ url: notDept.url, departmentId: otherDept.id }),
    ];
    const c = await report('filtered');
    await supervise(c.id);
    await until(() => ofCase(all, c.id).length === 2 && ofCase(here, c.id).length === 2 && ofCase(onlySupervise, c.id).length === 1);
    await new Promise((r) => setTimeout(r, 300));
    expect(ofCase(all, c.id).map((g) => g.json.type)).toEqual(['report', 'supervise']);
    expect(ofCase(onlySupervise, c.id).map((g) => g.json.type)).toEqual(['supervise']);
    expect(ofCase(here, c.id)).toHaveLength(2);
    expect(elsewhere.got).toHaveLength(0);
    // Exactly the events whose log rows name the department.
    const rows = await t.ctx.db.selectFrom('caseEvent').select(['id', 'departmentId']).where('caseId', '=', c.id).orderBy('seq').execute();
    expect(ofCase(dept, c.id).map((g) => g.json.eventId)).toEqual(rows.filter((r) => r.departmentId === named).map((r) => r.id));
    expect(ofCase(notDept, c.id).map((g) => g.json.eventId)).toEqual(rows.filter((r) => r.departmentId === otherDept.id).map((r) => r.id));
    for (const s of subs) await disable(s.id);
  });

  it('retries a failing receiver with growing waits, keeps each case in order, and then succeeds', async () => {
    // The first three requests about case a fail; everything else succeeds. Case a is told apart
    // by its class, known before it exists: its report's delivery may arrive before its 201.
    const otherClass = (
      await sql<{ code: string }>`
        SELECT o.code FROM taxonomy_class c JOIN taxonomy_class o ON o.edition = c.edition AND o.kind = c.kind AND o.level = c.level
        WHERE c.kind = 'event' AND c.code = ${eventClass} AND o.code <> c.code ORDER BY o.code LIMIT 1`.execute(t.ctx.db)
    ).rows[0]?.code as string;
    let failures = 0;
    const rx = await receiver((r) => {
      if (r.json.case?.classCode === otherClass && failures < 3) {
        failures++;
        return 500;
      }
      return 200;
    });
    const sub = await subscribe({ url: rx.url });
    const a = await report('order a', otherClass);
    const b = await report('order b');
    for (let i = 0; i < 3; i++) {
      await supervise(a.id, `督办 ${i}`);
      await supervise(b.id, `督办 ${i}`);
    }
    await until(() => ofCase(rx, a.id).filter((g) => g.headers['x-cityloop-attempt'] !== undefined).length >= 7, 15_000, 'case a');
    await until(() => ofCase(rx, b.id).length === 4, 5_000, 'case b');
    // Case b was not held up by case a's retries; case a arrived in order, its report first (4 attempts).
    const seqA = ofCase(rx, a.id).map((g) => g.json.case?.seq);
    expect(seqA).toEqual([1, 1, 1, 1, 2, 3, 4]);
    expect(ofCase(rx, b.id).map((g) => g.json.case?.seq)).toEqual([1, 2, 3, 4]);
    expect(ofCase(rx, b.id)[0]?.at).toBeLessThan(ofCase(rx, a.id)[3]?.at as number);
    // The same delivery id on every attempt; waits between attempts grow.
    const firstAttempts = ofCase(rx, a.id).slice(0, 4);
    expect(new Set(firstAttempts.map((g) => g.headers['x-cityloop-delivery'])).size).toBe(1);
    expect(firstAttempts.map((g) => g.headers['x-cityloop-attempt'])).toEqual(['1', '2', '3', '4']);
    const waits = firstAttempts.slice(1).map((g, i) => g.at - (firstAttempts[i] as Received).at);
    expect(waits[0]).toBeGreaterThanOrEqual(45); // first retry: 50–100 ms
    expect(waits[2]).toBeGreaterThanOrEqual(190); // third: 200–400 ms
    await until(async () => (await deliveries(sub.id, `&caseId=${a.id}`)).every((d) => d.status === 'delivered'), 5_000);
    const log = await deliveries(sub.id, `&caseId=${a.id}`);
    const first = log.find((d) => d.seq === 1);
    expect(first).toMatchObject({ attempts: 4, status: 'delivered', responseCode: 200 });
    await disable(sub.id);
  });

  it('a hanging receiver times out into a retry and never holds up intake or other subscribers', async () => {
    let hang = true;
    const slow = await receiver(() => (hang ? 'hang' : 200));
    const fast = await receiver();
    // A receiver that never answers, under a timeout longer than this test: its requests stay open.
    const holder = await receiver(() => 'hang');
    const slowSub = await subscribe({ url: slow.url, timeoutMs: 300, maxAttempts: 30 });
    const holderSub = await subscribe({ url: holder.url, timeoutMs: 30_000, maxAttempts: 1 });
    await subscribe({ url: fast.url });
    const cases: Array<{ id: number }> = [];
    for (let i = 0; i < 12; i++) cases.push(await report(`hang ${i}`));
    // Reports are acknowledged while a delivery of an earlier one is held open: intake does not wait for receivers.
    await until(() => holder.open() > 0, 30_000, 'a request held open');
    for (let i = 0; i < 3; i++) cases.push(await report(`hang more ${i}`));
    expect(holder.open()).toBeGreaterThan(0);
    await until(() => cases.every((c) => ofCase(fast, c.id).length === 1), 30_000, 'the fast subscriber');
    expect(slow.got.length).toBeGreaterThan(0);
    await until(async () => (await deliveries(slowSub.id)).some((d) => d.lastError?.startsWith('timeout')), 30_000, 'a timeout');
    hang = false;
    await until(async () => (await deliveries(slowSub.id)).every((d) => d.status === 'delivered'), 60_000, 'all delivered');
    // Those that hung were delivered by a later attempt with the same delivery id.
    const retried = (await deliveries(slowSub.id)).filter((d) => d.attempts >= 2);
    expect(retried.length).toBeGreaterThan(0);
    for (const d of retried) {
      const seen = slow.got.filter((g) => g.headers['x-cityloop-delivery'] === d.deliveryKey);
      expect(seen.length).toBeGreaterThanOrEqual(2);
    }
    await disable(slowSub.id);
    await disable(holderSub.id);
  }, 180_000);

  it('delivers every event at least once under concurrent intake', async () => {
    const rx = await receiver();
    const sub = await subscribe({ url: rx.url });
    const cases = await Promise.all(Array.from({ length: 30 }, (_, i) => report(`burst ${i}`)));
    await Promise.all(cases.slice(0, 10).map((c) => supervise(c.id)));
    const events = await t.ctx.db
      .selectFrom('caseEvent')
      .select('id')
      .where(
        'caseId',
        'in',
        cases.map((c) => c.id),
      )
      .execute();
    expect(events).toHaveLength(40);
    await until(() => events.every((e) => rx.got.some((g) => g.json.eventId === e.id)), 10_000, 'every event');
    await disable(sub.id);
  });

  it('replays one delivery, or every failed one of a subscription; pings on request', async () => {
    let healthy = false;
    const rx = await receiver(() => (healthy ? 200 : 500));
    const sub = await subscribe({ url: rx.url, maxAttempts: 2 });
    const a = await report('replay a');
    const b = await report('replay b');
    await until(async () => (await deliveries(sub.id, '&status=failed')).length === 2, 5_000, 'two failed');
    expect(rx.got).toHaveLength(4);
    healthy = true;
    const res = await t.app.inject({ method: 'POST', url: `/api/webhooks/${sub.id}/replay-failed`, headers: { cookie: admin } });
    expect(res.json()).toEqual({ requeued: 2 });
    await until(() => ofCase(rx, a.id).length === 3 && ofCase(rx, b.id).length === 3, 5_000, 'replayed');
    const [latest] = await deliveries(sub.id, `&caseId=${b.id}`);
    await until(async () => (await deliveries(sub.id, `&caseId=${b.id}`))[0]?.status === 'delivered');
    // One delivered delivery sent again: the same delivery id, attempts counted afresh.
    const one = await t.app.inject({ method: 'POST', url: `/api/webhooks/deliveries/${latest?.id}/replay`, headers: { cookie: admin } });
    expect(one.statusCode, one.body).toBe(200);
    await until(() => ofCase(rx, b.id).length === 4, 5_000, 'the single replay');
    expect(ofCase(rx, b.id)[3]?.headers['x-cityloop-delivery']).toBe(latest?.deliveryKey);
    await until(async () => (await deliveries(sub.id, `&caseId=${b.id}`))[0]?.status === 'delivered');
    expect((await deliveries(sub.id, `&caseId=${b.id}`))[0]).toMatchObject({ attempts: 1, status: 'delivered' });

    const ping = await t.app.inject({ method: 'POST', url: `/api/webhooks/${sub.id}/ping`, headers: { cookie: admin } });
    expect(ping.statusCode, ping.body).toBe(200);
    expect(ping.json()).toMatchObject({ eventType: 'ping', status: 'delivered', responseCode: 200, attempts: 1 });
    expect(rx.got.at(-1)?.json).toMatchObject({ type: 'ping', subscription: { id: sub.id } });
    const unknown = await t.app.inject({ method: 'POST', url: '/api/webhooks/deliveries/999999/replay', headers: { cookie: admin } });
    expect(unknown.json().error).toBe('webhook_delivery_not_found');
    const actions = await t.ctx.db
      .selectFrom('auditLog')
      .select('action')
      .where('entity', '=', 'webhook_subscription')
      .where('entityId', '=', String(sub.id))
      .execute();
    expect(actions.map((x) => x.action).sort()).toEqual(['webhook.create', 'webhook.ping', 'webhook.replay', 'webhook.replay_failed']);
    await disable(sub.id);
  });
});
