import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, demoCaseFixtures, type TestApp } from '../../../test/helpers.ts';

/** Work queues (待办/已办) and their counts, per role and scope. */
describe('cases: work queues and counts', () => {
  let t: TestApp;
  const cookie: Record<string, string> = {};
  let point: { lng: number; lat: number };
  let eventClass: string;
  let handlerDept: number;
  let now = new Date('2026-12-01T02:00:00Z'); // Tuesday 10:00 in Beijing

  beforeAll(async () => {
    t = await createTestApp({ clock: () => now });
    for (const u of ['acceptor', 'shiftlead', 'dispatcher', 'handler', 'admin']) cookie[u] = await t.login(u);
    ({ point, eventClass, handlerDept } = await demoCaseFixtures(t.ctx.db));
  });
  afterAll(() => t.close());

  const get = async (who: string, url: string) => {
    const res = await t.app.inject({ method: 'GET', url, headers: { cookie: cookie[who] as string } });
    expect(res.statusCode, res.body).toBe(200);
    return res.json();
  };
  const act = async (who: string, id: number, action: string, body: Record<string, unknown> = {}) => {
    const cur = await get('admin', `/api/cases/${id}`);
    const res = await t.app.inject({
      method: 'POST',
      url: `/api/cases/${id}/actions/${action}`,
      headers: { cookie: cookie[who] as string },
      payload: { version: cur.version, ...body },
    });
    expect(res.statusCode, `${who} ${action}: ${res.body}`).toBe(200);
  };
  const dispatched = async (description: string, urgent = false) => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/cases',
      headers: { cookie: cookie.acceptor as string },
      payload: { source: 'hotline', kind: 'event', classCode: eventClass, description, location: point, urgent },
    });
    const id = res.json().id as number;
    await act('acceptor', id, 'accept');
    await act('shiftlead', id, 'register');
    await act('dispatcher', id, 'dispatch', { departmentId: handlerDept });
    return id;
  };
  const counts = (who: string, query = '') => get(who, `/api/cases/counts${query}`);
  const todoIds = async (who: string) => (await get(who, '/api/cases?queue=todo&limit=200')).items.map((c: { id: number }) => c.id);

  it("keeps cases in disposal out of the dispatcher's 待办 until a request needs a decision", async () => {
    const a = await dispatched('排水井盖松动');
    const b = await dispatched('路灯不亮', true);
    expect(await todoIds('handler')).toEqual(expect.arrayContaining([a, b]));
    expect(await todoIds('dispatcher')).not.toContain(a);

    await act('handler', a, 'sign');
    await act('handler', a, 'postpone_request', { reason: '需要更换配件', extension: { value: 2, unit: 'day' } });
    expect(await todoIds('dispatcher')).toContain(a);
    expect(await todoIds('dispatcher')).not.toContain(b);

    const c = await counts('dispatcher');
    expect(c.todoByState.handling).toBeGreaterThanOrEqual(1);
    expect(c.done).toBeGreaterThanOrEqual(2);
    await act('dispatcher', a, 'postpone_approve');
    expect(await todoIds('dispatcher')).not.toContain(a);
  });

  it("shows the dispatcher each waiting case's suggested department and rule in the queue (suggest=true)", async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/cases',
      headers: { cookie: cookie.acceptor as string },
      payload: { source: 'hotline', kind: 'event', classCode: eventClass, description: '人行道私搭棚架', location: point },
    });
    const waiting = res.json().id as number;
    await act('acceptor', waiting, 'accept');
    await act('shiftlead', waiting, 'register');
    const inHand = await dispatched('井盖破损待处置');
    await act('handler', inHand, 'sign');
    await act('handler', inHand, 'postpone_request', { reason: '等待配件', extension: { value: 1, unit: 'day' } });

    const own = await get('dispatcher', `/api/cases/${waiting}/dispatch-suggestion`);
    expect(own.kind).toBe('department');
    const listed = await get('dispatcher', '/api/cases?queue=todo&suggest=true&limit=200');
    const row = listed.items.find((c: { id: number }) => c.id === waiting);
    expect(row.suggestion).toEqual({
      kind: 'department',
      department: own.department,
      via: own.via,
      rule: own.rule,
      explanation: own.explanation,
    });
    // Only cases waiting for dispatch carry one; a request to decide has its department already.
    const request = listed.items.find((c: { id: number }) => c.id === inHand);
    expect(request.state).toBe('handling');
    expect(request).not.toHaveProperty('suggestion');
    // Without the flag the list is as before.
    const plain = await get('dispatcher', '/api/cases?queue=todo&limit=200');
    expect(plain.items.find((c: { id: number }) => c.id === waiting)).not.toHaveProperty('suggestion');
    await act('dispatcher', inHand, 'postpone_approve');
  });

  it("gives a person with several roles one role's share of 待办 at a time (role=), counted the same", async () => {
    const created = await t.app.inject({
      method: 'POST',
      url: '/api/people',
      headers: { cookie: cookie.admin as string },
      payload: {
        username: 'two_hats',
        name: '两岗值守',
        password: 'two-hats-pass-1',
        roles: [{ role: 'acceptor' }, { role: 'shiftlead' }],
      },
    });
    expect(created.statusCode, created.body).toBe(201);
    cookie.two = await t.login('two_hats', 'two-hats-pass-1');
    // One case waiting on the acceptor (reported), one on the shift leader only (registered: 作废 is theirs).
    const report = async (description: string) =>
      (
        await t.app.inject({
          method: 'POST',
          url: '/api/cases',
          headers: { cookie: cookie.acceptor as string },
          payload: { source: 'hotline', kind: 'event', classCode: eventClass, description, location: point },
        })
      ).json().id as number;
    const forAcceptor = await report('占道经营');
    const forShiftlead = await report('乱堆物料');
    await act('acceptor', forShiftlead, 'accept');
    await act('shiftlead', forShiftlead, 'register');

    const share = async (role: string) =>
      (await get('two', `/api/cases?queue=todo&role=${role}&limit=500`)).items.map((c: { id: number }) => c.id);
    const both = (await get('two', '/api/cases?queue=todo&limit=500')).items.map((c: { id: number }) => c.id);
    expect(both).toEqual(expect.arrayContaining([forAcceptor, forShiftlead]));
    expect(await share('acceptor')).toContain(forAcceptor);
    expect(await share('acceptor')).not.toContain(forShiftlead);
    expect(await share('shiftlead')).toContain(forShiftlead);
    expect(await share('shiftlead')).not.toContain(forAcceptor);
    // The counts follow the share; a role the person does not hold is refused.
    expect((await counts('two', '?role=acceptor')).todo).toBe((await share('acceptor')).length);
    const notHeld = await t.app.inject({
      method: 'GET',
      url: '/api/cases?queue=todo&role=dispatcher',
      headers: { cookie: cookie.two as string },
    });
    expect(notHeld.statusCode).toBe(403);
  });

  it('counts 待办, overdue, urgent and 已办 as the lists do', async () => {
    const h0 = await counts('handler');
    const todo = await get('handler', '/api/cases?queue=todo&limit=1');
    expect(h0.todo).toBe(todo.total);
    expect(h0.urgent).toBeGreaterThanOrEqual(1);
    expect((Object.values(h0.todoByState) as number[]).reduce((x, y) => x + y, 0)).toBe(h0.todo);
    const done = await get('handler', '/api/cases?queue=done&limit=1');
    expect(h0.done).toBe(done.total);

    // A month later every open clock has run out.
    now = new Date(now.getTime() + 30 * 86_400_000);
    const h1 = await counts('handler');
    const overdue = await get('handler', '/api/cases?queue=todo&overdue=true&limit=1');
    expect(h1.overdue).toBe(overdue.total);
    expect(h1.overdue).toBe(h1.todo);
    // Filters apply as in the lists; bad ones are refused.
    expect((await counts('handler', '?source=public')).todo).toBe(0);
    const bad = await t.app.inject({
      method: 'GET',
      url: '/api/cases/counts?state=nonsense',
      headers: { cookie: cookie.handler as string },
    });
    expect(bad.statusCode).toBe(400);
    const anon = await t.app.inject({ method: 'GET', url: '/api/cases/counts' });
    expect(anon.statusCode).toBe(401);
  });
});
