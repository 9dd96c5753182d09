import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createTestDatabase,
  demoCaseFixtures,
  type TestDatabase,
  testConfig,
  testDbKind,
  withDatabaseName,
} from '../../../test/helpers.ts';
import { buildApp } from '../../app.ts';
import type { Auth } from '../auth/auth.service.ts';
import { realtimeRoutes } from './realtime.routes.ts';
import { inScope, scopeOf } from './realtime.scope.ts';
import { RealtimeService, realtimeOf } from './realtime.service.ts';
import { startSweeper, sweepDeadlines } from './realtime.sweep.ts';
import type { CaseEvent, DeliveredEvent } from './realtime.types.ts';

type TestAppT = Awaited<ReturnType<typeof buildApp>>;

const ev = (over: Partial<CaseEvent> = {}): CaseEvent => ({ type: 'case.updated', caseId: 1, at: new Date().toISOString(), ...over });
const auth = (roles: Auth['roles'], over: Partial<Auth> = {}): Auth => ({
  kind: 'session',
  personId: 10,
  apiKeyId: null,
  username: 'x',
  name: 'x',
  departmentId: null,
  ...over,
  roles,
});
const role = (r: string, scopeRegionId: number | null = null, scopeDepartmentId: number | null = null) =>
  ({ role: r, scopeRegionId, scopeDepartmentId }) as Auth['roles'][number];

describe('realtime: event scope', () => {
  const noBeat = async () => [];
  it('lets unscoped centre roles see everything', async () => {
    for (const r of ['admin', 'leader', 'acceptor', 'shiftlead', 'dispatcher']) {
      const s = await scopeOf(auth([role(r)]), noBeat);
      expect(s.all, r).toBe(true);
      expect(inScope(s, ev({ departmentId: 99, districtId: 5 }))).toBe(true);
    }
  });
  it('keeps departments to their department', async () => {
    const s = await scopeOf(auth([role('handler')], { departmentId: 7 }), noBeat);
    expect(inScope(s, ev({ departmentId: 7 }))).toBe(true);
    expect(inScope(s, ev({ departmentId: 8 }))).toBe(false);
    expect(inScope(s, ev({}))).toBe(false);
    const admin = await scopeOf(auth([role('dept_admin', null, 9)], { departmentId: 7 }), noBeat);
    expect(inScope(admin, ev({ departmentId: 9 }))).toBe(true);
    expect(inScope(admin, ev({ departmentId: 7 }))).toBe(false);
    // A department keeps hearing of a case it held (e.g. after 回退 cleared the case's department).
    expect(inScope(s, ev({ departmentId: null, departmentIds: [3, 7] }))).toBe(true);
    expect(inScope(s, ev({ departmentId: null, departmentIds: [3] }))).toBe(false);
  });
  it('keeps region-scoped roles to their region at any level', async () => {
    const s = await scopeOf(auth([role('dispatcher', 42)]), noBeat);
    expect(s.all).toBe(false);
    expect(inScope(s, ev({ districtId: 42, streetId: 1 }))).toBe(true);
    expect(inScope(s, ev({ districtId: 1, streetId: 42 }))).toBe(true);
    expect(inScope(s, ev({ districtId: 1, communityId: 42 }))).toBe(true);
    expect(inScope(s, ev({ districtId: 1, gridId: 42 }))).toBe(true);
    expect(inScope(s, ev({ districtId: 1, streetId: 2, gridId: 3 }))).toBe(false);
  });
  it('keeps inspectors to their beat (and their own reports)', async () => {
    let loads = 0;
    const s = await scopeOf(auth([role('inspector')], { personId: 5 }), async (id) => {
      loads++;
      return id === 5 ? [100, 101] : [];
    });
    expect(loads).toBe(1);
    expect(inScope(s, ev({ gridId: 101 }))).toBe(true);
    expect(inScope(s, ev({ gridId: 102 }))).toBe(false);
    expect(inScope(s, ev({ gridId: 102, reporterId: 5 }))).toBe(true);
  });
  it('gives a role with no scope nothing', async () => {
    const s = await scopeOf(auth([role('viewer' as string)]), noBeat);
    expect(inScope(s, ev({ departmentId: 1, districtId: 1, gridId: 1 }))).toBe(false);
  });
});

/** Reads an SSE stream, collecting parsed frames. */
function openStream(url: string, headers: Record<string, string>) {
  const frames: Array<{ id?: string; event?: string; data?: string; comment?: string; retry?: string }> = [];
  let buf = '';
  let status = 0;
  let contentType = '';
  const waiters: Array<() => void> = [];
  const req = http.get(url, { headers }, (res) => {
    status = res.statusCode ?? 0;
    contentType = String(res.headers['content-type']);
    res.setEncoding('utf8');
    res.on('data', (chunk: string) => {
      buf += chunk;
      let i = buf.indexOf('\n\n');
      while (i >= 0) {
        const block = buf.slice(0, i);
        buf = buf.slice(i + 2);
        const f: (typeof frames)[number] = {};
        for (const line of block.split('\n')) {
          if (line.startsWith(':')) f.comment = line.slice(1).trim();
          else {
            const k = line.slice(0, line.indexOf(':')) as 'id' | 'event' | 'data' | 'retry';
            f[k] = line.slice(line.indexOf(':') + 1).trim();
          }
        }
        frames.push(f);
        i = buf.indexOf('\n\n');
      }
      for (const w of waiters.splice(0)) w();
    });
  });
  req.on('error', () => {});
  const until = async (pred: () => boolean, ms = 5000) => {
    const t0 = Date.now();
    while (!pred()) {
      if (Date.now() - t0 > ms) throw new Error(`timeout; frames: ${JSON.stringify(frames)}`);
      await new Promise<void>((r) => {
        waiters.push(r);
        setTimeout(r, 50);
      });
    }
  };
  return {
    frames,
    events: () => frames.filter((f) => f.data && f.event?.startsWith('case.')).map((f) => JSON.parse(f.data as string) as DeliveredEvent),
    status: () => status,
    contentType: () => contentType,
    until,
    close: () => req.destroy(),
  };
}

describe('realtime: SSE, publish and the deadline sweep', () => {
  let tdb: TestDatabase;
  let app: TestAppT;
  let base: string;
  const cookies: Record<string, string> = {};
  let point: { lng: number; lat: number };
  let eventClass: string;
  let handlerDept: number;

  beforeAll(async () => {
    tdb = await createTestDatabase();
    app = await buildApp({ config: testConfig(), database: tdb.database, logger: false });
    // As in production: on PostgreSQL events travel through NOTIFY / LISTEN (the test config has no DATABASE_URL).
    let url: string | null = null;
    if (testDbKind() === 'postgres') {
      const { rows } = await sql<{ name: string }>`SELECT current_database() AS name`.execute(tdb.database.db);
      url = withDatabaseName(process.env.TEST_DATABASE_URL as string, rows[0]?.name as string);
    }
    const services = app.ctx.services as typeof app.ctx.services & { realtime?: RealtimeService };
    await services.realtime?.close();
    services.realtime = new RealtimeService(app.ctx, { url, heartbeatMs: 300 });
    app.addHook('onClose', () => services.realtime?.close());
    // Until the module is wired into app.ts, register it here.
    if (!app.hasRoute({ method: 'GET', url: '/api/events/stream' })) await app.register(realtimeRoutes);
    await app.listen({ port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    for (const u of ['admin', 'acceptor', 'dispatcher', 'handler', 'inspector', 'shiftlead']) {
      const res = await app.inject({ method: 'POST', url: '/api/auth/login', payload: { username: u, password: 'demo1234' } });
      expect(res.statusCode, res.body).toBe(200);
      const set = res.headers['set-cookie'];
      cookies[u] = String(Array.isArray(set) ? set[0] : set).split(';')[0] as string;
    }
    ({ point, handlerDept, eventClass } = await demoCaseFixtures(app.ctx.db));
  });
  afterAll(async () => {
    const t0 = Date.now();
    // A stream left open must not keep the server from closing.
    const lingering = openStream(`${base}/api/events/stream`, { cookie: cookies.admin as string });
    await lingering.until(() => lingering.frames.length > 0);
    await app.close();
    expect(Date.now() - t0).toBeLessThan(5000);
    await tdb.drop();
  });

  const authOf = (username: string) => app.ctx.services.auth.fromSession(cookies[username]?.split('=')[1] as string) as Promise<Auth>;
  const report = async (description: string, at = point) => {
    const a = await authOf('acceptor');
    const { case: c } = await app.ctx.services.cases.report(a, {
      source: 'hotline',
      kind: 'event',
      classCode: eventClass,
      description,
      location: at,
    });
    return c;
  };

  it('streams text/event-stream with retry, heartbeats, scoped events and Last-Event-ID replay', async () => {
    const rt = realtimeOf(app.ctx);
    const admin = openStream(`${base}/api/events/stream`, { cookie: cookies.admin as string });
    const handler = openStream(`${base}/api/events/stream`, { cookie: cookies.handler as string });
    const inspector = openStream(`${base}/api/events/stream`, { cookie: cookies.inspector as string });
    await admin.until(() => admin.frames.some((f) => f.retry));
    await handler.until(() => handler.frames.some((f) => f.retry));
    await inspector.until(() => inspector.frames.some((f) => f.retry));
    expect(admin.status()).toBe(200);
    expect(admin.contentType()).toMatch(/^text\/event-stream/);
    expect(admin.frames[0]).toMatchObject({ retry: '3000', comment: 'connected' });

    // Other requests are served while streams are open (no connection held).
    const health = await fetch(`${base}/api/health`);
    expect(health.status).toBe(200);

    const beatGrid = (await rt.scopeFor(await authOf('inspector'))).grids.values().next().value as number;
    const t0 = performance.now();
    await rt.publish({ type: 'case.updated', caseId: 900001, departmentId: handlerDept, gridId: -1 });
    await admin.until(() => admin.events().some((e) => e.caseId === 900001));
    const latency = performance.now() - t0;
    await rt.publish({ type: 'case.created', caseId: 900002, departmentId: handlerDept + 1000, gridId: beatGrid });
    await admin.until(() => admin.events().some((e) => e.caseId === 900002));
    await inspector.until(() => inspector.events().some((e) => e.caseId === 900002));
    await handler.until(() => handler.events().some((e) => e.caseId === 900001));
    await new Promise((r) => setTimeout(r, 100));
    expect(handler.events().map((e) => e.caseId)).toEqual([900001]);
    expect(inspector.events().map((e) => e.caseId)).toEqual([900002]);
    const seen = admin.events();
    expect(seen.map((e) => e.caseId)).toEqual([900001, 900002]);
    expect(seen[1]?.id).toBeGreaterThan(seen[0]?.id as number);
    expect(admin.frames.find((f) => f.data?.includes('900002'))).toMatchObject({ event: 'case.created', id: String(seen[1]?.id) });

    // Heartbeat comments (300 ms in this test).
    await admin.until(() => admin.frames.some((f) => f.comment === 'ping'), 3000);

    // A reconnect with Last-Event-ID gets what it missed, and only that.
    const again = openStream(`${base}/api/events/stream`, { cookie: cookies.admin as string, 'last-event-id': String(seen[0]?.id) });
    await again.until(() => again.events().length > 0);
    expect(again.events().map((e) => e.caseId)).toEqual([900002]);
    // An id this process never issued: a resync hint instead of a replay.
    const stranger = openStream(`${base}/api/events/stream?lastEventId=1`, { cookie: cookies.admin as string });
    await stranger.until(() => stranger.frames.some((f) => f.event === 'resync'));
    expect(stranger.events()).toEqual([]);

    // Latency over 50 more events, one at a time.
    const lat: number[] = [];
    for (let i = 0; i < 50; i++) {
      const s0 = performance.now();
      await rt.publish({ type: 'case.updated', caseId: 920000 + i, departmentId: handlerDept });
      await handler.until(() => handler.events().some((e) => e.caseId === 920000 + i));
      lat.push(performance.now() - s0);
    }
    lat.sort((x, y) => x - y);
    console.log(
      `publish → SSE delivery (${rt.mode}): first ${latency.toFixed(1)} ms; p50 ${lat[25]?.toFixed(1)} ms, p95 ${lat[47]?.toFixed(1)} ms over 50`,
    );

    for (const s of [admin, handler, inspector, again, stranger]) s.close();
    // Listeners are released when clients go away.
    await new Promise((r) => setTimeout(r, 200));
    expect((rt as unknown as { emitter: { listenerCount(n: string): number } }).emitter.listenerCount('event')).toBe(0);
  });

  it('tells a department about a case it returned (回退), although the case no longer names it', async () => {
    const c = await report('回退 test');
    const act = async (who: string, action: string, body: Record<string, unknown> = {}) => {
      const cur = (await app.ctx.services.cases.repo.get(c.id)) as { version: number };
      const res = await app.inject({
        method: 'POST',
        url: `/api/cases/${c.id}/actions/${action}`,
        headers: { cookie: cookies[who] as string },
        payload: { version: cur.version, ...body },
      });
      expect(res.statusCode, `${who} ${action}: ${res.body}`).toBe(200);
    };
    await act('acceptor', 'accept');
    await act('shiftlead', 'register');
    await act('dispatcher', 'dispatch', { departmentId: handlerDept });
    const handler = openStream(`${base}/api/events/stream`, { cookie: cookies.handler as string });
    await handler.until(() => handler.frames.some((f) => f.retry));
    await act('handler', 'return_request', { reason: '不属于本单位职责' });
    await act('dispatcher', 'return_approve');
    await handler.until(() => handler.events().some((e) => e.caseId === c.id && e.state === 'registered'));
    const last = handler
      .events()
      .filter((e) => e.caseId === c.id)
      .at(-1);
    expect(last?.departmentId).toBeNull();
    expect(last?.departmentIds).toContain(handlerDept);
    handler.close();
  });

  it('refuses anonymous callers', async () => {
    const res = await fetch(`${base}/api/events/stream`);
    expect(res.status).toBe(401);
    expect(((await res.json()) as { error: string }).error).toBe('unauthenticated');
  });

  it('publishInTx announces a change only when its transaction commits', async () => {
    const rt = realtimeOf(app.ctx);
    const got: DeliveredEvent[] = [];
    const off = await rt.subscribe((e) => got.push(e));
    await app.ctx.database.transaction(async (tx) => {
      await rt.publishInTx(tx.db, { type: 'case.updated', caseId: 910001 });
      await new Promise((r) => setTimeout(r, 50));
      expect(got).toEqual([]); // not before commit
    });
    await expect(
      app.ctx.database.transaction(async (tx) => {
        await rt.publishInTx(tx.db, { type: 'case.updated', caseId: 910002 });
        throw new Error('rollback');
      }),
    ).rejects.toThrow('rollback');
    await rt.flush();
    const until = Date.now() + 3000;
    while (!got.some((e) => e.caseId === 910001) && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
    await new Promise((r) => setTimeout(r, 100));
    off();
    expect(got.map((e) => e.caseId)).toEqual([910001]);
  });

  it('sweeps deadlines: yellow at 80 %, red at 100 %, once each, and announces them', async () => {
    const rt = realtimeOf(app.ctx);
    const got: DeliveredEvent[] = [];
    const off = await rt.subscribe((e) => got.push(e));
    const a = await report('道路积水');
    const b = await report('垃圾满溢');
    const fresh = await report('井盖缺失');
    // a: whole limit used → red; b: 90 % used (continuous clock) → yellow; fresh untouched.
    const now = new Date();
    const H = 3600_000;
    await sql`UPDATE case_file SET phase_started_at = ${new Date(now.getTime() - 2 * H)}, phase_deadline = ${new Date(now.getTime() - H)} WHERE id = ${a.id}`.execute(
      app.ctx.db,
    );
    await sql`UPDATE case_file SET urgent = true, phase_time_type = 'urgent', phase_started_at = ${new Date(now.getTime() - 9 * H)}, phase_deadline = ${new Date(now.getTime() + H)} WHERE id = ${b.id}`.execute(
      app.ctx.db,
    );
    await sql`DELETE FROM case_light`.execute(app.ctx.db);

    const first = await sweepDeadlines(app.ctx, now);
    await rt.flush();
    expect(first.skipped).toBe(false);
    expect(first.checked).toBeGreaterThanOrEqual(3);
    const lights = await app.ctx.db.selectFrom('caseLight').selectAll().orderBy('caseId').execute();
    const byCase = new Map(lights.map((l) => [Number(l.caseId), l]));
    expect(byCase.get(a.id)).toMatchObject({ light: 'red', phase: a.phase });
    expect(byCase.get(b.id)).toMatchObject({ light: 'yellow' });
    expect(byCase.get(b.id)?.ratio).toBeCloseTo(0.9, 2);
    expect(byCase.has(fresh.id)).toBe(false);
    const until = Date.now() + 3000;
    // Only the sweep's events: intake publishes case.created for these cases too.
    const lightEvents = () => got.filter((e) => e.type === 'case.warning' || e.type === 'case.overdue');
    while (lightEvents().filter((e) => [a.id, b.id].includes(e.caseId)).length < 2 && Date.now() < until)
      await new Promise((r) => setTimeout(r, 20));
    const mine = lightEvents().filter((e) => [a.id, b.id, fresh.id].includes(e.caseId));
    expect(mine.map((e) => [e.caseId, e.type, e.light]).sort()).toEqual(
      [
        [a.id, 'case.overdue', 'red'],
        [b.id, 'case.warning', 'yellow'],
      ].sort(),
    );
    expect(mine.find((e) => e.caseId === a.id)).toMatchObject({ districtId: a.districtId, gridId: a.gridId, state: a.state });

    // Twice: nothing new.
    const second = await sweepDeadlines(app.ctx, now);
    await rt.flush();
    expect(second).toMatchObject({ skipped: false, yellow: 0, red: 0 });
    // Later b crosses its deadline: yellow → red, announced once.
    const later = new Date(now.getTime() + 2 * H);
    const third = await sweepDeadlines(app.ctx, later);
    await rt.flush();
    expect(third.red).toBeGreaterThanOrEqual(1);
    expect((await app.ctx.db.selectFrom('caseLight').select('light').where('caseId', '=', b.id).executeTakeFirstOrThrow()).light).toBe(
      'red',
    );
    expect((await sweepDeadlines(app.ctx, later)).red).toBe(0);
    await new Promise((r) => setTimeout(r, 100));
    expect(
      lightEvents()
        .filter((e) => e.caseId === b.id)
        .map((e) => e.type),
    ).toEqual(['case.warning', 'case.overdue']);

    // A new phase starts the light over: accepting a moves it on; once overdue again it is red again.
    const acceptor = await authOf('acceptor');
    const moved = await app.ctx.services.cases.act(acceptor, a.id, 'accept', { version: a.version });
    expect(moved.phase).not.toBe(a.phase);
    expect((await sweepDeadlines(app.ctx, new Date())).red).toBe(0);
    const overdueAgain = await sweepDeadlines(app.ctx, new Date(new Date(moved.phaseDeadline as Date).getTime() + 1000));
    expect(overdueAgain.red).toBeGreaterThanOrEqual(1);
    expect(
      await app.ctx.db.selectFrom('caseLight').select(['light', 'phase']).where('caseId', '=', a.id).executeTakeFirstOrThrow(),
    ).toEqual({
      light: 'red',
      phase: moved.phase,
    });
    off();
  });

  it('measures a sweep over many open cases', async () => {
    // 5,000 more open cases copied from one (different phase clocks), then everything overdue from a fresh start.
    const N = 5000;
    await sql`
      INSERT INTO case_file (number, source, workflow, kind, edition, class_code, severity, urgent, description, geom, grid_id,
        community_id, street_id, district_id, state, phase, phase_started_at, phase_deadline, department_id, disposal_limit)
      SELECT c.number || '-' || g, c.source, c.workflow, c.kind, c.edition, c.class_code, c.severity, (g % 5 = 0), c.description, c.geom,
        c.grid_id, c.community_id, c.street_id, c.district_id, c.state, c.phase,
        now() - make_interval(mins => g % 600), now() + make_interval(hours => 4 + g % 48), c.department_id, c.disposal_limit
      FROM (SELECT * FROM case_file WHERE state = 'reported' ORDER BY id LIMIT 1) c, generate_series(1, ${N}) g`.execute(app.ctx.db);
    await sql`DELETE FROM case_light`.execute(app.ctx.db);
    const mid = await sweepDeadlines(app.ctx, new Date(Date.now() + 3 * 3600_000));
    console.log(
      `sweep: ${mid.checked} open cases checked, ${mid.yellow} yellow + ${mid.red} red marked in ${mid.ms.toFixed(1)} ms (write tx ${mid.writeMs.toFixed(1)} ms)`,
    );
    expect(mid.checked).toBeGreaterThanOrEqual(N);
    const r = await sweepDeadlines(app.ctx, new Date(Date.now() + 400 * 86_400_000));
    console.log(
      `sweep: ${r.checked} open cases checked, ${r.red} marked red in ${r.ms.toFixed(1)} ms (write tx ${r.writeMs.toFixed(1)} ms)`,
    );
    // Cases already red are not read again; which ones turned red three hours on depends on the
    // working hours the test runs in, so the count follows the first sweep's.
    expect(r.checked).toBe(mid.checked - mid.red);
    expect(r.red).toBe(r.checked);
    const again = await sweepDeadlines(app.ctx, new Date(Date.now() + 400 * 86_400_000));
    console.log(`sweep (nothing to do): ${again.checked} checked in ${again.ms.toFixed(1)} ms`);
    expect(again.checked).toBe(0);
  });

  it('skips while another sweep holds the lock, and the sweeper stops cleanly', async () => {
    const c = await report('占道经营');
    await sql`UPDATE case_file SET phase_deadline = now() - interval '1 minute' WHERE id = ${c.id}`.execute(app.ctx.db);
    if (testDbKind() === 'postgres') {
      const other = await tdb.database.transaction(async (tx) => {
        await sql`SELECT pg_advisory_xact_lock(7240091)`.execute(tx.db);
        return sweepDeadlines(app.ctx);
      });
      expect(other).toMatchObject({ skipped: true, red: 0 });
    }
    expect(await sweepDeadlines(app.ctx)).toMatchObject({ skipped: false, red: 1 });
    const runs: number[] = [];
    const stop = startSweeper(app.ctx, 50, { onSweep: (r) => runs.push(r.checked), onError: () => runs.push(-1) });
    const until = Date.now() + 5000;
    while (runs.length < 2 && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
    await stop();
    const n = runs.length;
    await new Promise((r) => setTimeout(r, 150));
    expect(runs.length).toBe(n);
    expect(runs.every((x) => x >= 0)).toBe(true);
  });
});

describe.runIf(testDbKind() === 'postgres')('realtime: NOTIFY across processes (PostgreSQL)', () => {
  let tdb: TestDatabase;
  let url: string;
  beforeAll(async () => {
    tdb = await createTestDatabase({ empty: true });
    const { rows } = await sql<{ name: string }>`SELECT current_database() AS name`.execute(tdb.database.db);
    url = withDatabaseName(process.env.TEST_DATABASE_URL as string, rows[0]?.name as string);
  });
  afterAll(() => tdb.drop());

  const ctxOf = async () => {
    const { createContext } = await import('../../context.ts');
    return createContext(testConfig(), tdb.database);
  };

  it('crosses two services with their own LISTEN connections, commits only, and survives a dropped listener', async () => {
    const a = new RealtimeService(await ctxOf(), { url, backoffMs: { first: 50, max: 500 } });
    const b = new RealtimeService(await ctxOf(), { url, backoffMs: { first: 50, max: 500 } });
    expect(a.mode).toBe('notify');
    const gotA: DeliveredEvent[] = [];
    const gotB: DeliveredEvent[] = [];
    let resyncs = 0;
    await a.subscribe((e) => gotA.push(e));
    await b.subscribe(
      (e) => gotB.push(e),
      () => resyncs++,
    );
    const pidA = await a.listenerPid();
    const pidB = await b.listenerPid();
    expect(pidA).not.toBeNull();
    expect(pidA).not.toBe(pidB);
    const wait = async (pred: () => boolean) => {
      const until = Date.now() + 5000;
      while (!pred() && Date.now() < until) await new Promise((r) => setTimeout(r, 5));
      expect(pred()).toBe(true);
    };

    const t0 = performance.now();
    await a.publish({ type: 'case.created', caseId: 1, districtId: 3 });
    await wait(() => gotB.length === 1 && gotA.length === 1);
    console.log(`NOTIFY publish → other process: ${(performance.now() - t0).toFixed(1)} ms`);
    expect(gotB[0]).toMatchObject({ type: 'case.created', caseId: 1, districtId: 3 });

    await tdb.database.transaction(async (tx) => {
      await b.publishInTx(tx.db, [
        { type: 'case.updated', caseId: 2 },
        { type: 'case.updated', caseId: 3 },
      ]);
      await new Promise((r) => setTimeout(r, 100));
      expect(gotA.length).toBe(1);
    });
    await expect(
      tdb.database.transaction(async (tx) => {
        await b.publishInTx(tx.db, { type: 'case.updated', caseId: 4 });
        throw new Error('rollback');
      }),
    ).rejects.toThrow();
    await wait(() => gotA.length === 3);
    await new Promise((r) => setTimeout(r, 100));
    expect(gotA.map((e) => e.caseId)).toEqual([1, 2, 3]);

    // Drop B's LISTEN connection: it comes back, says resync, and receives again.
    await sql`SELECT pg_terminate_backend(${pidB}::int)`.execute(tdb.database.db);
    const t1 = performance.now();
    await wait(() => resyncs === 1 && b.listening);
    console.log(`LISTEN reconnect after a dropped connection: ${(performance.now() - t1).toFixed(0)} ms`);
    expect(await b.listenerPid()).not.toBe(pidB);
    await a.publish({ type: 'case.updated', caseId: 5 });
    await wait(() => gotB.some((e) => e.caseId === 5));
    expect(b.stats.reconnects).toBe(1);

    // Throughput: 1,000 events through NOTIFY.
    const before = gotB.length;
    const t2 = performance.now();
    await Promise.all(Array.from({ length: 1000 }, (_, i) => a.publish({ type: 'case.updated', caseId: 10_000 + i })));
    await wait(() => gotB.length === before + 1000);
    console.log(`1,000 NOTIFY events delivered in ${(performance.now() - t2).toFixed(0)} ms`);

    await a.close();
    await b.close();
    const { rows } = await sql<{ n: number }>`
      SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = 'cityloop-events' AND datname = current_database()`.execute(
      tdb.database.db,
    );
    expect(rows[0]?.n).toBe(0);
  });
});
