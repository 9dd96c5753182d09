import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, demoCaseFixtures, type TestApp } from '../../../test/helpers.ts';
import type { Auth } from '../auth/auth.service.ts';
import { photo } from '../media/media.fixtures.ts';

/** The closed loop through the HTTP API with the demo accounts, on the small demo city. */
describe('cases: the closed loop through the API', () => {
  let t: TestApp;
  const cookie: Record<string, string> = {};
  let point: { lng: number; lat: number };
  let handlerDept: number;
  let eventClass: string;

  beforeAll(async () => {
    t = await createTestApp();
    for (const u of ['acceptor', 'shiftlead', 'dispatcher', 'handler', 'inspector', 'leader', 'admin']) cookie[u] = await t.login(u);
    ({ point, handlerDept, eventClass } = await demoCaseFixtures(t.ctx.db));
  });
  afterAll(() => t.close());

  /** Uploads a small real photo as `who` and returns its media id. */
  const photoId = async (who: string) => {
    const person = await t.ctx.db.selectFrom('person').select('id').where('username', '=', who).executeTakeFirstOrThrow();
    const auth = await t.ctx.services.auth.loadPerson(person.id);
    const [m] = await t.ctx.services.media.upload(auth as Auth, [
      { filename: 'site.jpg', buffer: await photo('jpeg', { width: 64, height: 48 }) },
    ]);
    return (m as { id: string }).id;
  };
  const report = (who: string, body: Record<string, unknown>) =>
    t.app.inject({
      method: 'POST',
      url: '/api/cases',
      headers: { cookie: cookie[who] as string },
      payload: { kind: 'event', classCode: eventClass, description: '路边暴露垃圾', location: point, ...body },
    });
  const act = async (who: string, id: number, action: string, body: Record<string, unknown> = {}) => {
    const cur = await t.app.inject({ method: 'GET', url: `/api/cases/${id}`, headers: { cookie: cookie.admin as string } });
    return t.app.inject({
      method: 'POST',
      url: `/api/cases/${id}/actions/${action}`,
      headers: { cookie: cookie[who] as string },
      payload: { version: cur.json().version, ...body },
    });
  };
  const ok = async (who: string, id: number, action: string, body: Record<string, unknown> = {}) => {
    const res = await act(who, id, action, body);
    expect(res.statusCode, `${who} ${action}: ${res.body}`).toBe(200);
    return res.json();
  };

  it('runs the standard loop with 核实, 返工 and 核查, and logs every phase', async () => {
    const first = await report('acceptor', {
      source: 'hotline',
      channel: '12345',
      sourceRef: 'GD202611300001',
      idempotencyKey: 'hotline-0001',
      reporterContact: { name: '张先生', phone: '13800000000' },
    });
    expect(first.statusCode).toBe(201);
    const c = first.json();
    expect(c).toMatchObject({ state: 'reported', phase: 'receive', source: 'hotline', workflow: 'standard', version: 1 });
    // The hotline's work-order number is kept and finds the case.
    expect(c).toMatchObject({ channel: '12345', sourceRef: 'GD202611300001' });
    const found = await t.app.inject({ method: 'GET', url: '/api/cases?q=GD202611300001', headers: { cookie: cookie.acceptor as string } });
    expect(found.json().items.map((x: { id: number }) => x.id)).toEqual([c.id]);
    expect(c.number).toMatch(/^\d{13}$/);
    expect(c.gridId).toBeTruthy();
    expect(c.districtId).toBeTruthy();
    expect(new Date(c.phaseDeadline).getTime()).toBeGreaterThan(Date.now());

    const retry = await report('acceptor', { source: 'hotline', idempotencyKey: 'hotline-0001' });
    expect(retry.statusCode).toBe(200);
    expect(retry.json().id).toBe(c.id);

    await ok('acceptor', c.id, 'send_verify');
    await ok('inspector', c.id, 'verify', { photos: [await photoId('inspector')] });
    await ok('shiftlead', c.id, 'register');
    const dispatched = await ok('dispatcher', c.id, 'dispatch', { departmentId: handlerDept });
    expect(dispatched).toMatchObject({ state: 'dispatched', departmentId: handlerDept });
    expect(dispatched.disposalDeadline).toBeTruthy();

    await ok('handler', c.id, 'sign');
    const noPhoto = await act('handler', c.id, 'feedback', { note: '已清理' });
    expect(noPhoto.statusCode).toBe(422);
    expect(noPhoto.json().details.missing).toEqual(['photos']);
    await ok('handler', c.id, 'feedback', { note: '已清理', photos: [await photoId('handler')] });
    await ok('acceptor', c.id, 'send_check');
    const rework = await ok('inspector', c.id, 'check_fail', { photos: [await photoId('inspector')], reason: '仍有垃圾' });
    expect(rework).toMatchObject({ state: 'dispatched', reworkCount: 1, departmentId: handlerDept });
    await ok('handler', c.id, 'sign');
    await ok('handler', c.id, 'feedback', { note: '再次清理', photos: [await photoId('handler')] });
    await ok('acceptor', c.id, 'send_check');
    await ok('inspector', c.id, 'check_pass', { photos: [await photoId('inspector')] });
    const closed = await ok('shiftlead', c.id, 'close', { archiveType: 'normal' });
    expect(closed).toMatchObject({ state: 'closed', archiveType: 'normal', phaseDeadline: null });

    const log = (
      await t.app.inject({ method: 'GET', url: `/api/cases/${c.id}/timeline`, headers: { cookie: cookie.leader as string } })
    ).json();
    expect(log.map((e: { seq: number }) => e.seq)).toEqual(log.map((_: unknown, i: number) => i + 1));
    expect(log.map((e: { action: string }) => e.action)).toEqual([
      'report',
      'send_verify',
      'verify',
      'register',
      'dispatch',
      'sign',
      'feedback',
      'send_check',
      'check_fail',
      'sign',
      'feedback',
      'send_check',
      'check_pass',
      'close',
    ]);
    expect(log.map((e: { phase: string }) => e.phase)).toEqual([
      'report',
      'receive',
      'verify',
      'register',
      'dispatch',
      'dispose',
      'dispose',
      'check',
      'check',
      'dispose',
      'dispose',
      'check',
      'check',
      'close',
    ]);
    for (const e of log.slice(1)) {
      expect(e.deadlineAt, e.action).toBeTruthy();
      expect(e.onTime, e.action).toBe(true);
    }
    expect(log.find((e: { action: string }) => e.action === 'verify')).toMatchObject({
      actorRole: 'inspector',
      actorName: expect.any(String),
    });
    // The case row agrees with the log.
    const row = (await t.app.inject({ method: 'GET', url: `/api/cases/${c.id}`, headers: { cookie: cookie.leader as string } })).json();
    expect(row.version).toBe(log.length);
    expect(row.allowedActions).toEqual([]);
  });

  it('refuses illegal transitions (409 + allowed actions), stale versions (409) and other roles (403)', async () => {
    const c = (await report('inspector', {})).json();
    expect(c.source).toBe('inspector');
    const illegal = await act('shiftlead', c.id, 'close', { archiveType: 'normal' });
    expect(illegal.statusCode).toBe(409);
    expect(illegal.json()).toMatchObject({ error: 'case_invalid_transition', details: { state: 'reported' } });
    const wrongRole = await act('dispatcher', c.id, 'accept');
    expect(wrongRole.statusCode).toBe(403);
    const stale = await t.app.inject({
      method: 'POST',
      url: `/api/cases/${c.id}/actions/accept`,
      headers: { cookie: cookie.acceptor as string },
      payload: { version: 7 },
    });
    expect(stale.statusCode).toBe(409);
    expect(stale.json().error).toBe('case_version_conflict');
    // Two acceptors act on the same version at once: exactly one wins.
    const [a, b] = await Promise.all([act('acceptor', c.id, 'accept'), act('acceptor', c.id, 'reject', { reason: '重复' })]);
    expect([a.statusCode, b.statusCode].sort()).toEqual([200, 409]);
    const log = await t.ctx.services.cases.repo.timeline(c.id);
    expect(log).toHaveLength(2);
  });

  it("lists a case's photos before and after, with EXIF and flags, to those who may see the case", async () => {
    // The inspector's photo says it was taken ~2 km east of the reported place; the handler's has no EXIF.
    const person = await t.ctx.db.selectFrom('person').select('id').where('username', '=', 'inspector').executeTakeFirstOrThrow();
    const auth = (await t.ctx.services.auth.loadPerson(person.id)) as Auth;
    const local = new Date(Date.now() + 8 * 3600_000).toISOString().slice(0, 19).replace('T', ' ').replace(/-/g, ':');
    const [far] = await t.ctx.services.media.upload(auth, [
      {
        filename: 'far.jpg',
        buffer: await photo('jpeg', {
          width: 64,
          height: 48,
          exif: { at: local, offset: '+08:00', lng: point.lng + 0.02, lat: point.lat },
        }),
      },
    ]);
    const c = (await report('inspector', { description: '路面塌陷', photos: [(far as { id: string }).id] })).json();
    const photosOf = (who: string) =>
      t.app.inject({ method: 'GET', url: `/api/cases/${c.id}/photos`, headers: cookie[who] ? { cookie: cookie[who] as string } : {} });
    const before = (await photosOf('acceptor')).json();
    expect(before.items).toHaveLength(1);
    expect(before.items[0]).toMatchObject({ id: (far as { id: string }).id, action: 'report', seq: 1, caseId: c.id });
    expect(before.items[0].flags).toContain('exif_gps_far');
    expect(before.items[0].flags).not.toContain('exif_time_far');
    expect(before.items[0].exif.lng).toBeCloseTo(point.lng + 0.02, 4);
    expect(before.items[0].thumbUrl).toBe(`/api/media/${(far as { id: string }).id}/thumb`);

    await ok('acceptor', c.id, 'accept');
    await ok('shiftlead', c.id, 'register');
    await ok('dispatcher', c.id, 'dispatch', { departmentId: handlerDept });
    await ok('handler', c.id, 'sign');
    const after = await photoId('handler');
    await ok('handler', c.id, 'feedback', { note: '已修补', photos: [after] });
    // The handler, who may not read the department list, is told whose case it is.
    const seen = (await t.app.inject({ method: 'GET', url: `/api/cases/${c.id}`, headers: { cookie: cookie.handler as string } })).json();
    const deptName = (await t.ctx.db.selectFrom('department').select('name').where('id', '=', handlerDept).executeTakeFirstOrThrow()).name;
    expect(seen.departmentName).toBe(deptName);
    const both = (await photosOf('handler')).json();
    expect(both.items.map((p: { action: string; stage: string }) => `${p.action}:${p.stage}`)).toEqual(['report:before', 'feedback:after']);
    expect(both.items[1]).toMatchObject({ id: after, flags: ['exif_missing'], exif: null });
    expect(both.items[1].seq).toBeGreaterThan(both.items[0].seq);

    // Scoped as the case is: no session → 401; a case another department cannot see → 404.
    expect((await photosOf('nobody')).statusCode).toBe(401);
    const other = (await report('inspector', { description: '井盖缺失' })).json();
    const hidden = await t.app.inject({
      method: 'GET',
      url: `/api/cases/${other.id}/photos`,
      headers: { cookie: cookie.handler as string },
    });
    expect(hidden.statusCode).toBe(404);
  });

  it('keeps departments to their own cases', async () => {
    const c = (await report('inspector', { description: '井盖破损' })).json();
    const seen = await t.app.inject({ method: 'GET', url: `/api/cases/${c.id}`, headers: { cookie: cookie.handler as string } });
    expect(seen.statusCode).toBe(404);
    const todo = (
      await t.app.inject({ method: 'GET', url: '/api/cases?queue=todo', headers: { cookie: cookie.handler as string } })
    ).json();
    expect(todo.items.every((x: { departmentId: number }) => x.departmentId === handlerDept)).toBe(true);
    const acceptorTodo = (
      await t.app.inject({ method: 'GET', url: '/api/cases?queue=todo', headers: { cookie: cookie.acceptor as string } })
    ).json();
    expect(acceptorTodo.items.map((x: { id: number }) => x.id)).toContain(c.id);
  });

  it('runs 回退, 延期 and 挂账 with approvals; 挂账 pauses and 延期 moves the deadline', async () => {
    const c = (await report('inspector', { description: '道路破损' })).json();
    await ok('acceptor', c.id, 'accept');
    await ok('shiftlead', c.id, 'register');
    await ok('dispatcher', c.id, 'dispatch', { departmentId: handlerDept });
    await ok('handler', c.id, 'return_request', { reason: '不属于本部门' });
    const returned = await ok('dispatcher', c.id, 'return_approve');
    expect(returned).toMatchObject({ state: 'registered', departmentId: null, returnCount: 1 });
    await ok('dispatcher', c.id, 'dispatch', { departmentId: handlerDept });
    const signed = await ok('handler', c.id, 'sign');
    await ok('handler', c.id, 'postpone_request', { reason: '需采购材料', extension: { value: 2, unit: 'day' } });
    const twice = await act('handler', c.id, 'suspend_request', { reason: 'x' });
    expect(twice.statusCode).toBe(409);
    const postponed = await ok('dispatcher', c.id, 'postpone_approve');
    expect(postponed.postponeCount).toBe(1);
    expect(new Date(postponed.disposalDeadline).getTime()).toBeGreaterThan(new Date(signed.disposalDeadline).getTime());
    await ok('handler', c.id, 'suspend_request', { reason: '待规划' });
    const suspended = await ok('dispatcher', c.id, 'suspend_approve');
    expect(suspended).toMatchObject({ state: 'suspended', phaseDeadline: null });
    expect(suspended.pausedSince).toBeTruthy();
    const resumed = await ok('dispatcher', c.id, 'resume');
    expect(resumed).toMatchObject({ state: 'handling', pausedSince: null });
    expect(resumed.pauses).toHaveLength(1);
    const supervised = await ok('leader', c.id, 'supervise', { note: '请尽快处理' });
    expect(supervised).toMatchObject({ state: 'handling', superviseCount: 1 });
  });

  it('runs the flattened loop: automatic 立案 and dispatch, shift leader closes or sends back', async () => {
    // A rule of higher priority than the seeded city-wide default sends this class to the handler's department.
    const rule = await t.ctx.services.dispatch.createRule(
      { name: '测试规则', edition: 'CJT214-2007', kind: 'event', classCode: eventClass, departmentId: handlerDept, priority: 10 },
      null,
    );
    const bind = await t.app.inject({
      method: 'POST',
      url: '/api/workflows/bindings',
      headers: { cookie: cookie.admin as string },
      payload: { edition: 'CJT214-2007', kind: 'event', classCode: eventClass, workflow: 'flattened' },
    });
    expect(bind.statusCode).toBe(201);
    const again = await t.app.inject({
      method: 'POST',
      url: '/api/workflows/bindings',
      headers: { cookie: cookie.admin as string },
      payload: { edition: 'CJT214-2007', kind: 'event', classCode: eventClass, workflow: 'standard' },
    });
    expect(again.statusCode).toBe(409);
    const c = (await report('inspector', { description: '占道经营' })).json();
    expect(c).toMatchObject({ workflow: 'flattened', state: 'dispatched', departmentId: handlerDept });
    await ok('handler', c.id, 'sign');
    const fed = await ok('handler', c.id, 'feedback', { note: '已劝离', photos: [await photoId('handler')] });
    expect(fed.state).toBe('to_close');
    const back = await ok('shiftlead', c.id, 'close_reject', { reason: '照片不清' });
    expect(back).toMatchObject({ state: 'handling', reworkCount: 1 });
    await ok('handler', c.id, 'feedback', { note: '补拍', photos: [await photoId('handler')] });
    await ok('shiftlead', c.id, 'close', { archiveType: 'normal' });
    const log = await t.ctx.services.cases.repo.timeline(c.id);
    expect(log.map((e) => `${e.action}:${e.actorRole}`).slice(0, 3)).toEqual([
      'report:inspector',
      'auto_register:system',
      'auto_dispatch:system',
    ]);
    expect(log[2]?.payload).toMatchObject({ via: 'rule', ruleId: rule.id });
    // The dispatcher sees the same suggestion, with the rule that matched.
    const suggestion = await t.app.inject({
      method: 'GET',
      url: `/api/cases/${c.id}/dispatch-suggestion`,
      headers: { cookie: cookie.dispatcher as string },
    });
    expect(suggestion.json()).toMatchObject({ kind: 'department', department: { id: handlerDept }, rule: { id: rule.id } });
    // Unbinding affects new cases only: this one stays flattened.
    const del = await t.app.inject({
      method: 'DELETE',
      url: `/api/workflows/bindings/${bind.json().id}`,
      headers: { cookie: cookie.admin as string },
    });
    expect(del.statusCode).toBe(204);
    expect((await t.ctx.services.cases.repo.get(c.id))?.workflow).toBe('flattened');
    expect((await report('inspector', { description: '再次上报' })).json().workflow).toBe('standard');
  });

  it('puts urgent cases on the continuous clock and first in the queue', async () => {
    const before = Date.now();
    const c = (await report('inspector', { description: '井盖缺失，行人危险', urgent: true })).json();
    expect(c.urgent).toBe(true);
    // 受理 has 30 minutes; urgent counts them continuously, nights and holidays included.
    const minutes = (new Date(c.phaseDeadline).getTime() - before) / 60_000;
    expect(minutes).toBeGreaterThan(29);
    expect(minutes).toBeLessThan(31);
    const todo = (
      await t.app.inject({ method: 'GET', url: '/api/cases?queue=todo&limit=5', headers: { cookie: cookie.acceptor as string } })
    ).json();
    expect(todo.items[0]).toMatchObject({ id: c.id, urgent: true });
    const log = await t.ctx.services.cases.repo.timeline(c.id);
    expect(log).toHaveLength(1);
  });

  it('self-handled reports go to the acceptor for review and close without dispatch', async () => {
    const noPhotos = await report('inspector', { selfHandled: true });
    expect(noPhotos.statusCode).toBe(422);
    // Photos must be real uploads of this reporter.
    const unknown = await report('inspector', { selfHandled: true, photos: ['0000', '1111'] });
    expect(unknown.statusCode).toBe(422);
    expect(unknown.json().error).toBe('media_not_found');
    const c = (await report('inspector', { selfHandled: true, photos: [await photoId('inspector'), await photoId('inspector')] })).json();
    expect(c.state).toBe('self_review');
    const closed = await ok('acceptor', c.id, 'self_approve');
    expect(closed).toMatchObject({ state: 'closed', departmentId: null });
    // Its photos: the before-photo, then the after-photo sent last.
    const photos = (
      await t.app.inject({ method: 'GET', url: `/api/cases/${c.id}/photos`, headers: { cookie: cookie.acceptor as string } })
    ).json();
    expect(photos.items.map((p: { action: string; stage: string }) => `${p.action}:${p.stage}`)).toEqual(['report:before', 'report:after']);
  });

  it('offers nearby open cases of the same class as duplicates, and merges a report into a case', async () => {
    const cls = await t.ctx.db
      .selectFrom('taxonomyClass')
      .select('code')
      .where('edition', '=', 'CJT214-2007')
      .where('kind', '=', 'event')
      .where('level', '=', 'minor')
      .where('code', '<>', eventClass)
      .orderBy('code')
      .executeTakeFirstOrThrow();
    const here = { lng: point.lng, lat: point.lat };
    const original = (await report('inspector', { classCode: cls.code, location: here, description: '积存垃圾' })).json();
    expect(original.duplicates).toEqual([]);
    // ~11 m east: offered; ~220 m away: not.
    const near = (
      await report('acceptor', { source: 'hotline', classCode: cls.code, location: { ...here, lng: here.lng + 0.000115 } })
    ).json();
    expect(near.duplicates.map((d: { id: number }) => d.id)).toEqual([original.id]);
    expect(near.duplicates[0].distanceM).toBeGreaterThan(5);
    expect(near.duplicates[0].distanceM).toBeLessThan(20);
    const far = await report('acceptor', { source: 'hotline', classCode: cls.code, location: { ...here, lng: here.lng + 0.0023 } });
    if (far.statusCode === 201) expect(far.json().duplicates.map((d: { id: number }) => d.id)).not.toContain(original.id);

    const merged = await ok('acceptor', near.id, 'merge', { intoCaseId: original.id });
    expect(merged).toMatchObject({ state: 'merged', mergedIntoId: original.id });
    const target = (
      await t.app.inject({ method: 'GET', url: `/api/cases/${original.id}`, headers: { cookie: cookie.acceptor as string } })
    ).json();
    expect(target.linkedReports.map((r: { id: number }) => r.id)).toEqual([near.id]);
    expect(target.state).toBe('reported');
    const log = await t.ctx.services.cases.repo.timeline(original.id);
    expect(log.at(-1)).toMatchObject({ action: 'merge', payload: { mergedCaseId: near.id } });
    expect(target.version).toBe(log.length);
    // A merged report is final; a report cannot merge into itself.
    expect((await act('acceptor', near.id, 'merge', { intoCaseId: original.id })).statusCode).toBe(409);
    const self = await act('acceptor', original.id, 'merge', { intoCaseId: original.id });
    expect(self.statusCode).toBe(422);
    expect(self.json().error).toBe('merge_target_invalid');
  });

  it('merges safely while the target moves: two reports merged into each other at once, a merge racing an action on the target', async () => {
    const at = (dLng: number) => ({ lng: point.lng + dLng, lat: point.lat });
    const a = (await report('acceptor', { source: 'hotline', location: at(0.00001), description: '积水 A' })).json();
    const b = (await report('acceptor', { source: 'hotline', location: at(0.00002), description: '积水 B' })).json();
    const [ab, ba] = await Promise.all([
      act('acceptor', a.id, 'merge', { intoCaseId: b.id }),
      act('acceptor', b.id, 'merge', { intoCaseId: a.id }),
    ]);
    // Exactly one wins; the other is refused with a stable error (its case changed, or its target is
    // merged now), never a server error.
    expect([ab.statusCode, ba.statusCode].filter((s) => s === 200)).toHaveLength(1);
    const loser = ab.statusCode === 200 ? ba : ab;
    expect([409, 422]).toContain(loser.statusCode);
    expect(['case_version_conflict', 'merge_target_invalid']).toContain(loser.json().error);
    const states = [(await t.ctx.services.cases.repo.get(a.id))?.state, (await t.ctx.services.cases.repo.get(b.id))?.state].sort();
    expect(states).toEqual(['merged', 'reported']);

    // A merge while the target is being accepted: the target's log records the state it really was in.
    const c = (await report('acceptor', { source: 'hotline', location: at(0.00003), description: '积水 C' })).json();
    const d = (await report('acceptor', { source: 'hotline', location: at(0.00004), description: '积水 D' })).json();
    const [merge, accept] = await Promise.all([act('acceptor', d.id, 'merge', { intoCaseId: c.id }), act('acceptor', c.id, 'accept')]);
    expect(merge.statusCode, merge.body).toBe(200);
    expect([200, 409]).toContain(accept.statusCode);
    const log = await t.ctx.services.cases.repo.timeline(c.id);
    for (let i = 1; i < log.length; i++) expect(log[i]?.fromState, `event ${i + 1}`).toBe(log[i - 1]?.toState);
    const row = await t.ctx.services.cases.repo.get(c.id);
    expect(log.at(-1)?.toState).toBe(row?.state);
    expect(row?.version).toBe(log.length);
  });

  it('rejects bad reports with clear errors and writes nothing', async () => {
    const before = await t.ctx.db
      .selectFrom('caseFile')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    const cases: Array<[Record<string, unknown>, number, string]> = [
      [{ location: { lng: 100, lat: 20 } }, 422, 'location_outside_city'],
      [{ classCode: '9999' }, 422, 'class_not_found'],
      [{ location: undefined }, 422, 'case_location_required'],
      [{ source: 'iot' }, 403, 'forbidden'],
      [{ colour: 'red' }, 400, 'validation_failed'],
    ];
    for (const [body, status, code] of cases) {
      const res = await report('inspector', body);
      expect(res.statusCode, JSON.stringify(body)).toBe(status);
      expect(res.json().error).toBe(code);
    }
    const after = await t.ctx.db
      .selectFrom('caseFile')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    expect(Number(after.n)).toBe(Number(before.n));
  });
});

describe('cases: the public channel', () => {
  let t: TestApp;
  let body: Record<string, unknown>;

  beforeAll(async () => {
    t = await createTestApp();
    const { point, eventClass } = await demoCaseFixtures(t.ctx.db);
    body = { kind: 'event', classCode: eventClass, description: '小区门口垃圾没人清', location: point };
  });
  afterAll(() => t.close());

  it('takes an anonymous report, returns a tracking code once, and shows no personal data', async () => {
    const first = await t.app.inject({
      method: 'POST',
      url: '/api/public/cases',
      payload: { ...body, idempotencyKey: 'pub-device-1', reporterContact: { phone: '13912345678' } },
    });
    expect(first.statusCode).toBe(201);
    const { number, token } = first.json();
    expect(number).toMatch(/^\d{13}$/);
    expect(token).toBeTruthy();
    const retry = await t.app.inject({ method: 'POST', url: '/api/public/cases', payload: { ...body, idempotencyKey: 'pub-device-1' } });
    expect(retry.statusCode).toBe(200);
    expect(retry.json()).toMatchObject({ number });
    expect(retry.json().token).toBeUndefined();

    const status = await t.app.inject({ method: 'GET', url: `/api/public/cases/${number}?token=${token}` });
    expect(status.statusCode).toBe(200);
    expect(status.json()).toMatchObject({ number, state: 'reported', milestones: [{ action: 'report', phase: 'report' }] });
    expect(status.body).not.toContain('13912345678');
    const wrong = await t.app.inject({ method: 'GET', url: `/api/public/cases/${number}?token=not-the-right-token` });
    expect(wrong.statusCode).toBe(404);
    // Staff see the contact; the case is an ordinary case from the public source.
    const row = await t.ctx.db
      .selectFrom('caseFile')
      .select(['source', 'reporterContact'])
      .where('number', '=', number)
      .executeTakeFirstOrThrow();
    expect(row).toMatchObject({ source: 'public', reporterContact: { phone: '13912345678' } });
  });

  it('limits anonymous reports per address', async () => {
    const codes: number[] = [];
    for (let i = 0; i < 12; i++) {
      const res = await t.app.inject({ method: 'POST', url: '/api/public/cases', payload: body });
      codes.push(res.statusCode);
    }
    expect(codes).toContain(429);
    expect(codes.filter((c) => c === 201).length).toBeLessThanOrEqual(10);
  });
});
