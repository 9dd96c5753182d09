import fs from 'node:fs';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, demoCaseFixtures, type TestApp } from '../../../test/helpers.ts';
import type { Auth } from '../auth/auth.service.ts';
import { multipart, photo, tmpDir } from '../media/media.fixtures.ts';

const DAY = 86_400_000;

/**
 * The public channel after 结案, over HTTP: the reporter follows the case with its tracking code,
 * sees the after-photos, rates it once, or says 未解决 within the city's window, which reopens it
 * for the centre's review; the plain-words categories and the address look-ups the page uses.
 */
describe('cases: public reporting, rating and 未解决', () => {
  let t: TestApp;
  let dataDir: string;
  let now = Date.now();
  const cookie: Record<string, string> = {};
  let point: { lng: number; lat: number };
  let handlerDept: number;
  let lastIp = 0;
  const newIp = () => `203.0.113.${++lastIp}`;

  beforeAll(async () => {
    dataDir = tmpDir('cityloop-public-feedback-');
    t = await createTestApp({ config: { dataDir }, clock: () => new Date(now) });
    for (const u of ['acceptor', 'shiftlead', 'dispatcher', 'handler', 'inspector', 'admin']) cookie[u] = await t.login(u);
    ({ point, handlerDept } = await demoCaseFixtures(t.ctx.db));
  });
  afterAll(async () => {
    await t.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  const staffPhoto = async (who: string) => {
    const person = await t.ctx.db.selectFrom('person').select('id').where('username', '=', who).executeTakeFirstOrThrow();
    const auth = await t.ctx.services.auth.loadPerson(person.id);
    const [m] = await t.ctx.services.media.upload(auth as Auth, [
      { filename: 'after.jpg', buffer: await photo('jpeg', { width: 64, height: 48 }) },
    ]);
    return (m as { id: string }).id;
  };
  const act = async (who: string, id: number, action: string, body: Record<string, unknown> = {}) => {
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
  /** A citizen reports with a photo and a phone number; returns the case id, number and tracking code. */
  const reportPublic = async (classCode?: string, kind = 'event') => {
    const ip = newIp();
    const m = multipart([
      {
        name: 'file',
        filename: 'site.jpg',
        data: await photo('jpeg', { width: 320, height: 240, exif: { lng: point.lng, lat: point.lat } }),
      },
    ]);
    const up = await t.app.inject({ method: 'POST', url: '/api/public/media', payload: m.payload, headers: m.headers, remoteAddress: ip });
    expect(up.statusCode, up.body).toBe(201);
    const cats = (await t.app.inject({ method: 'GET', url: '/api/public/categories' })).json();
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/public/cases',
      remoteAddress: ip,
      payload: {
        kind: classCode ? kind : cats[0].kind,
        classCode: classCode ?? cats[0].classCode,
        description: '小区门口垃圾堆了三天',
        location: point,
        reporterContact: { phone: '13912345678' },
        photos: [up.json().media[0].id],
        uploadToken: up.json().uploadToken,
      },
    });
    expect(res.statusCode, res.body).toBe(201);
    const { number, token } = res.json();
    const row = await t.ctx.db.selectFrom('caseFile').select('id').where('number', '=', number).executeTakeFirstOrThrow();
    return { id: row.id, number: number as string, token: token as string, reportPhoto: up.json().media[0].id as string };
  };
  /** The standard loop by the centre and the department, up to 结案. */
  const closeByStaff = async (id: number) => {
    await act('acceptor', id, 'accept');
    await act('shiftlead', id, 'register');
    await act('dispatcher', id, 'dispatch', { departmentId: handlerDept });
    await act('handler', id, 'sign');
    const after = await staffPhoto('handler');
    await act('handler', id, 'feedback', { note: '已清运', photos: [after] });
    await act('acceptor', id, 'send_check');
    await act('inspector', id, 'check_pass', { photos: [await staffPhoto('inspector')] });
    const closed = await act('shiftlead', id, 'close', { archiveType: 'normal' });
    expect(closed.state).toBe('closed');
    return after;
  };
  const status = (number: string, token: string) =>
    t.app.inject({ method: 'GET', url: `/api/public/cases/${number}?token=${encodeURIComponent(token)}` });
  const rate = (number: string, payload: Record<string, unknown>) =>
    t.app.inject({ method: 'POST', url: `/api/public/cases/${number}/rating`, payload, remoteAddress: newIp() });
  const notFixed = (number: string, payload: Record<string, unknown>) =>
    t.app.inject({ method: 'POST', url: `/api/public/cases/${number}/not-fixed`, payload, remoteAddress: newIp() });
  const log = (id: number) => t.ctx.services.cases.repo.timeline(id);

  it('offers plain-words categories from the taxonomy, each a live class a report is filed under', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/api/public/categories' });
    expect(res.statusCode).toBe(200);
    const cats = res.json() as Array<{ key: string; label: string; labelEn: string; kind: string; classCode: string; className: string }>;
    expect(cats.length).toBeGreaterThanOrEqual(8);
    expect(cats.map((c) => c.key)).toContain('garbage');
    for (const c of cats) {
      const cls = await t.ctx.services.taxonomy.getClass('CJT214-2007', c.kind as 'event', c.classCode);
      expect(cls, c.key).toMatchObject({ name: c.className, active: true });
      expect(c.label).toMatch(/[\u4e00-\u9fff]/);
    }
    // A class the city disables is no longer offered.
    const flyers = cats.find((c) => c.key === 'flyers') as { kind: 'event'; classCode: string };
    const taxonomy = t.ctx.services.taxonomy;
    await taxonomy.update('CJT214-2007', flyers.kind, flyers.classCode, { enabled: false }, null);
    try {
      const again = (await t.app.inject({ method: 'GET', url: '/api/public/categories' })).json() as Array<{ key: string }>;
      expect(again.map((c) => c.key)).not.toContain('flyers');
    } finally {
      await taxonomy.update('CJT214-2007', flyers.kind, flyers.classCode, { enabled: true }, null);
    }
  });

  it('looks addresses up without a login, names and positions only, and limits each address', async () => {
    const place = await t.ctx.db
      .selectFrom('gazetteer')
      .select(['fullAddress'])
      .where('kind', '=', 'doorplate')
      .limit(1)
      .executeTakeFirst();
    expect(place).toBeTruthy();
    const ip = newIp();
    const res = await t.app.inject({
      method: 'GET',
      url: `/api/public/geocode?q=${encodeURIComponent(place?.fullAddress as string)}`,
      remoteAddress: ip,
    });
    expect(res.statusCode, res.body).toBe(200);
    const hits = res.json();
    expect(hits.length).toBeGreaterThan(0);
    expect(Object.keys(hits[0]).sort()).toEqual(['fullAddress', 'lat', 'lng', 'name']);
    const rev = await t.app.inject({
      method: 'GET',
      url: `/api/public/geocode/reverse?lng=${point.lng}&lat=${point.lat}`,
      remoteAddress: ip,
    });
    expect(rev.statusCode, rev.body).toBe(200);
    expect(rev.json()).toMatchObject({ inCity: true, description: expect.any(String) });
    const outside = await t.app.inject({ method: 'GET', url: '/api/public/geocode/reverse?lng=0.5&lat=0.5', remoteAddress: ip });
    expect(outside.json().inCity).toBe(false);
    // The staff route still needs a login.
    expect((await t.app.inject({ method: 'GET', url: '/api/geocode?q=abc' })).statusCode).toBe(401);
    let last = 0;
    for (let i = 0; i < 60; i++) {
      last = (await t.app.inject({ method: 'GET', url: '/api/public/geocode?q=x', remoteAddress: ip })).statusCode;
      if (last === 429) break;
    }
    expect(last).toBe(429);
  });

  it('shows the after-photos once closed, takes one rating, and logs it; staff see it on the case', async () => {
    const c = await reportPublic();
    // Not closed yet: nothing to rate or reopen.
    const early = await rate(c.number, { token: c.token, stars: 4 });
    expect(early.statusCode).toBe(409);
    expect(early.json().error).toBe('case_not_closed');
    const earlyReopen = await notFixed(c.number, { token: c.token, reason: '还没处理' });
    expect(earlyReopen.statusCode).toBe(409);
    expect(earlyReopen.json().error).toBe('case_not_closed');
    const open = (await status(c.number, c.token)).json();
    expect(open).toMatchObject({ state: 'reported', canRate: false, canReopen: false, rating: null, afterPhotos: [] });
    expect(open.className).toEqual(expect.any(String));
    expect(open.photos.map((p: { id: string }) => p.id)).toEqual([c.reportPhoto]);

    const after = await closeByStaff(c.id);
    const closed = await status(c.number, c.token);
    expect(closed.statusCode).toBe(200);
    const s = closed.json();
    expect(s).toMatchObject({ state: 'closed', canRate: true, canReopen: true });
    expect(s.afterPhotos.map((p: { id: string }) => p.id)).toEqual([after]);
    expect((await t.app.inject({ method: 'GET', url: s.afterPhotos[0].url })).statusCode).toBe(200);
    expect(new Date(s.reopenUntil).getTime()).toBe(new Date(s.closedAt).getTime() + 7 * DAY);
    expect(s.milestones.map((m: { action: string }) => m.action)).toContain('close');
    // Never a phone number or a name.
    expect(closed.body).not.toContain('13912345678');
    for (const name of ['handler', 'inspector', 'shiftlead']) {
      const p = await t.ctx.db.selectFrom('person').select('name').where('username', '=', name).executeTakeFirstOrThrow();
      expect(closed.body).not.toContain(p.name);
    }

    // Bad input changes nothing: a wrong code is 404, stars out of range 400.
    expect((await rate(c.number, { token: 'x'.repeat(24), stars: 5 })).statusCode).toBe(404);
    expect((await rate('2099010100001', { token: c.token, stars: 5 })).statusCode).toBe(404);
    expect((await rate(c.number, { token: c.token, stars: 6 })).statusCode).toBe(400);
    expect((await rate(c.number, { token: c.token, stars: 0 })).statusCode).toBe(400);
    expect((await notFixed(c.number, { token: 'x'.repeat(24), reason: '没修好' })).statusCode).toBe(404);
    expect((await log(c.id)).map((e) => e.action)).not.toContain('rate');

    const rated = await rate(c.number, { token: c.token, stars: 5, comment: '处理很快，谢谢' });
    expect(rated.statusCode, rated.body).toBe(200);
    expect(rated.json()).toMatchObject({ state: 'closed', canRate: false, rating: { stars: 5, comment: '处理很快，谢谢' } });
    const again = await rate(c.number, { token: c.token, stars: 1 });
    expect(again.statusCode).toBe(409);
    expect(again.json()).toMatchObject({ error: 'case_already_rated', message: expect.stringContaining(' / ') });

    const events = await log(c.id);
    expect(events.filter((e) => e.action === 'rate')).toHaveLength(1);
    expect(events.at(-1)).toMatchObject({
      action: 'rate',
      fromState: 'closed',
      toState: 'closed',
      phase: 'appraise',
      actorId: null,
      actorRole: 'public',
      note: '处理很快，谢谢',
      payload: { stars: 5, comment: '处理很快，谢谢' },
    });
    const detail = await t.app.inject({ method: 'GET', url: `/api/cases/${c.id}`, headers: { cookie: cookie.acceptor as string } });
    expect(detail.json().publicFeedback).toEqual([
      expect.objectContaining({ kind: 'rating', stars: 5, comment: '处理很快，谢谢', closedAt: expect.any(String) }),
    ]);
    const timeline = await t.app.inject({
      method: 'GET',
      url: `/api/cases/${c.id}/timeline`,
      headers: { cookie: cookie.acceptor as string },
    });
    expect(timeline.json().at(-1)).toMatchObject({ action: 'rate', actorRole: 'public', payload: { stars: 5 } });
    // Staff cannot take the public's actions.
    const staffRate = await t.app.inject({
      method: 'POST',
      url: `/api/cases/${c.id}/actions/reopen`,
      headers: { cookie: cookie.acceptor as string },
      payload: { version: detail.json().version, reason: 'x' },
    });
    expect(staffRate.statusCode).toBe(400);
  });

  it('未解决 within the window reopens the case into the acceptor’s 待办; 返工 sends it back to the department', async () => {
    const c = await reportPublic();
    await closeByStaff(c.id);
    const closedAt = (await t.ctx.services.cases.repo.get(c.id))?.closedAt as Date;
    now += 3 * DAY;
    const res = await notFixed(c.number, { token: c.token, reason: '垃圾又堆起来了' });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ state: 'reopened', canReopen: false, canRate: false, notFixed: { reason: '垃圾又堆起来了' } });
    const row = await t.ctx.services.cases.repo.get(c.id);
    expect(row).toMatchObject({ state: 'reopened', phase: 'receive', closedAt: null });
    expect(row?.phaseDeadline).toBeTruthy();
    const last = (await log(c.id)).at(-1);
    expect(last).toMatchObject({ action: 'reopen', fromState: 'closed', toState: 'reopened', actorRole: 'public', note: '垃圾又堆起来了' });
    expect(new Date((last?.payload as { closedAt: string } | undefined)?.closedAt as string).getTime()).toBe(new Date(closedAt).getTime());

    // In the acceptor's and the shift leader's 待办, with the review actions.
    for (const who of ['acceptor', 'shiftlead']) {
      const todo = await t.app.inject({
        method: 'GET',
        url: '/api/cases?queue=todo&limit=500',
        headers: { cookie: cookie[who] as string },
      });
      expect(
        todo.json().items.map((x: { id: number }) => x.id),
        who,
      ).toContain(c.id);
    }
    const detail = (
      await t.app.inject({ method: 'GET', url: `/api/cases/${c.id}`, headers: { cookie: cookie.acceptor as string } })
    ).json();
    expect(detail.allowedActions).toEqual(expect.arrayContaining(['review_close', 'review_rework', 'review_redispatch']));
    expect(detail.publicFeedback).toEqual([expect.objectContaining({ kind: 'not_fixed', comment: '垃圾又堆起来了' })]);

    // Once per case.
    const twice = await notFixed(c.number, { token: c.token, reason: '还是没解决' });
    expect(twice.statusCode).toBe(409);
    expect(twice.json().error).toBe('case_already_reopened');

    const reworked = await act('acceptor', c.id, 'review_rework', { reason: '群众反映未清理干净' });
    expect(reworked).toMatchObject({ state: 'dispatched', departmentId: handlerDept, reworkCount: 1, closedAt: null });
    expect(new Date(reworked.disposalStartedAt).getTime()).toBe(now);
    await act('handler', c.id, 'sign');
    await act('handler', c.id, 'feedback', { note: '再次清运', photos: [await staffPhoto('handler')] });
    await act('acceptor', c.id, 'send_check');
    await act('inspector', c.id, 'check_pass', { photos: [await staffPhoto('inspector')] });
    await act('shiftlead', c.id, 'close', { archiveType: 'normal' });
    const s = (await status(c.number, c.token)).json();
    expect(s).toMatchObject({ state: 'closed', canReopen: false, canRate: true, reopenUntil: null });
    expect(s.afterPhotos).toHaveLength(2);
    const third = await notFixed(c.number, { token: c.token, reason: '又脏了' });
    expect(third.json().error).toBe('case_already_reopened');
  });

  it('维持结案 closes again with the archive type it had; 重新派遣 goes back to 待派遣; past the window 未解决 is refused and changes nothing', async () => {
    const a = await reportPublic();
    await closeByStaff(a.id);
    const closedAt = (await t.ctx.services.cases.repo.get(a.id))?.closedAt as Date;
    now += DAY;
    expect((await notFixed(a.number, { token: a.token, reason: '没修好' })).statusCode).toBe(200);
    // The reason is required of the reviewer too (422 names it).
    const bare = await t.app.inject({
      method: 'POST',
      url: `/api/cases/${a.id}/actions/review_close`,
      headers: { cookie: cookie.shiftlead as string },
      payload: { version: (await t.ctx.services.cases.repo.get(a.id))?.version },
    });
    expect(bare.statusCode).toBe(422);
    expect(bare.json().details.missing).toEqual(['reason']);
    // Not a dispatcher's review.
    const byDispatcher = await t.app.inject({
      method: 'POST',
      url: `/api/cases/${a.id}/actions/review_close`,
      headers: { cookie: cookie.dispatcher as string },
      payload: { version: (await t.ctx.services.cases.repo.get(a.id))?.version, reason: 'x' },
    });
    expect(byDispatcher.statusCode).toBe(403);
    expect(await t.ctx.services.cases.repo.get(a.id)).toMatchObject({ state: 'reopened', closedAt: null, archiveType: null });
    const upheld = await act('shiftlead', a.id, 'review_close', { reason: '现场核查已清理，属新产生垃圾' });
    expect(upheld).toMatchObject({ state: 'closed', phaseDeadline: null, archiveType: 'normal' });
    expect(new Date(upheld.closedAt).getTime()).toBe(now);
    expect((await log(a.id)).at(-1)?.payload).toMatchObject({ archiveType: 'normal', closedBefore: new Date(closedAt).toISOString() });

    const b = await reportPublic();
    await closeByStaff(b.id);
    await notFixed(b.number, { token: b.token, reason: '不是这个部门管的' });
    const redispatch = await act('acceptor', b.id, 'review_redispatch', { reason: '权属不对，重新派遣' });
    expect(redispatch).toMatchObject({ state: 'registered', departmentId: null, disposalDeadline: null, closedAt: null });

    const late = await reportPublic();
    await closeByStaff(late.id);
    const before = await t.ctx.services.cases.repo.get(late.id);
    const events = (await log(late.id)).length;
    now += 7 * DAY + 60_000;
    const refused = await notFixed(late.number, { token: late.token, reason: '没修好' });
    expect(refused.statusCode).toBe(409);
    expect(refused.json()).toMatchObject({ error: 'reopen_window_passed', details: { days: 7 } });
    expect(await t.ctx.services.cases.repo.get(late.id)).toEqual(before);
    expect(await log(late.id)).toHaveLength(events);
    expect((await status(late.number, late.token)).json()).toMatchObject({ canReopen: false, canRate: true });
    // Rating is still welcome.
    expect((await rate(late.number, { token: late.token, stars: 2 })).statusCode).toBe(200);
  });

  it('two ratings at once: one lands, the other is refused', async () => {
    const c = await reportPublic();
    await closeByStaff(c.id);
    const [x, y] = await Promise.all([rate(c.number, { token: c.token, stars: 3 }), rate(c.number, { token: c.token, stars: 4 })]);
    expect([x.statusCode, y.statusCode].sort()).toEqual([200, 409]);
    expect(['case_already_rated', 'case_version_conflict']).toContain((x.statusCode === 409 ? x : y).json().error);
    expect((await log(c.id)).filter((e) => e.action === 'rate')).toHaveLength(1);
    expect(await t.ctx.services.cases.repo.publicFeedback(c.id)).toHaveLength(1);
  });

  it('the window is the city setting publicFeedbackDays', async () => {
    const patch = (days: number) =>
      t.app.inject({
        method: 'PATCH',
        url: '/api/settings',
        headers: { cookie: cookie.admin as string },
        payload: { publicFeedbackDays: days },
      });
    expect((await patch(-1)).statusCode).toBe(400);
    const set = await patch(1);
    expect(set.statusCode, set.body).toBe(200);
    expect(set.json().publicFeedbackDays).toBe(1);
    try {
      const c = await reportPublic();
      await closeByStaff(c.id);
      expect(new Date((await status(c.number, c.token)).json().reopenUntil).getTime()).toBe(now + DAY);
      now += 1.5 * DAY;
      const refused = await notFixed(c.number, { token: c.token, reason: '没修好' });
      expect(refused.statusCode).toBe(409);
      expect(refused.json()).toMatchObject({ error: 'reopen_window_passed', details: { days: 1 } });
    } finally {
      await patch(7);
    }
  });

  it('evaluation still adds up with reopened cases: closes over due, rollup as the log', async () => {
    const day = (d: Date) => d.toISOString().slice(0, 10);
    const from = day(new Date(Date.now() - 2 * DAY));
    const to = day(new Date(now + 2 * DAY));
    const leader = await t.ctx.services.auth.loadPerson(
      (await t.ctx.db.selectFrom('person').select('id').where('username', '=', 'admin').executeTakeFirstOrThrow()).id,
    );
    const res = await t.ctx.services.evaluation.departments(leader as Auth, { from, to, attribution: 'completed' });
    const mine = res.items.find((x) => x.department.id === handlerDept);
    expect(mine?.indicators.closed).toBeGreaterThan(0);
    for (const x of res.items) {
      expect(x.indicators.dueClose).toBeGreaterThanOrEqual(x.indicators.closed);
      if (x.indicators.closeRate !== null) expect(x.indicators.closeRate).toBeLessThanOrEqual(1);
    }
    const rollup = await sql<{ n: number }>`
      SELECT coalesce(sum(n), 0)::int AS n FROM evaluation_department_day WHERE kind = 'closed' AND department_id = ${handlerDept}`.execute(
      t.ctx.db,
    );
    const logged = await sql<{ n: number }>`
      SELECT count(*)::int AS n FROM case_event WHERE action = 'close' AND phase = 'close' AND department_id = ${handlerDept}`.execute(
      t.ctx.db,
    );
    expect(rollup.rows[0]?.n).toBe(logged.rows[0]?.n);
  });
});

describe('the web app: /report paths get the public page, the rest the console', () => {
  let t: TestApp;
  let webDir: string;
  beforeAll(async () => {
    webDir = tmpDir('cityloop-web-');
    fs.writeFileSync(`${webDir}/index.html`, '<html>console</html>');
    fs.writeFileSync(`${webDir}/report.html`, '<html>report</html>');
    t = await createTestApp({ config: { webDir } });
  });
  afterAll(async () => {
    await t.close();
    fs.rmSync(webDir, { recursive: true, force: true });
  });

  it('serves report.html for /report and below, index.html elsewhere', async () => {
    for (const url of ['/report', '/report/', '/report/mine', '/report/track/2026113000001?token=abc']) {
      const res = await t.app.inject({ method: 'GET', url });
      expect(res.statusCode, url).toBe(200);
      expect(res.body, url).toBe('<html>report</html>');
    }
    for (const url of ['/workbench', '/field/tasks', '/reports', '/cases/1']) {
      expect((await t.app.inject({ method: 'GET', url })).body, url).toBe('<html>console</html>');
    }
    expect((await t.app.inject({ method: 'GET', url: '/report/x.js' })).statusCode).toBe(404);
  });
});
