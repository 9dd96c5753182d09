import net from 'node:net';
import { DEMO_PASSWORD } from '@cityloop/shared';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, demoCaseFixtures, type TestDatabase, testConfig } from '../../../test/helpers.ts';
import { type App, buildApp } from '../../app.ts';
import type { Auth } from '../auth/auth.service.ts';
import { photo } from '../media/media.fixtures.ts';

const FAST = { pollMs: 50, concurrency: 4, backoff: { firstMs: 50, maxMs: 400 }, maxAttempts: 1000, leaseMs: 20_000 };

async function freePort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

async function until<T>(check: () => Promise<T | null | undefined | false>, ms: number, what: string): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** One CityLoop server on its own database and port; it can be stopped and started again on both. */
class Platform {
  app!: App;
  readonly cookies = new Map<string, string>();
  constructor(
    readonly db: TestDatabase,
    readonly port: number,
  ) {}
  get url() {
    return `http://127.0.0.1:${this.port}`;
  }
  async start() {
    this.app = await buildApp({ config: testConfig(), database: this.db.database, logger: false });
    Object.assign(this.app.ctx.services.platform.worker.options, FAST);
    await this.app.listen({ port: this.port, host: '127.0.0.1' });
    this.cookies.clear();
  }
  async stop() {
    await this.app.close();
  }
  async cookie(user: string) {
    let c = this.cookies.get(user);
    if (!c) {
      const res = await this.app.inject({ method: 'POST', url: '/api/auth/login', payload: { username: user, password: DEMO_PASSWORD } });
      c = String(res.headers['set-cookie']).split(';')[0] as string;
      this.cookies.set(user, c);
    }
    return c;
  }
  async as(user: string, method: 'GET' | 'POST', url: string, payload?: unknown) {
    return this.app.inject({ method, url, headers: { cookie: await this.cookie(user) }, payload: payload as Record<string, unknown> });
  }
  async act(user: string, id: number, action: string, body: Record<string, unknown> = {}) {
    const cur = (await this.as('admin', 'GET', `/api/cases/${id}`)).json();
    const res = await this.as(user, 'POST', `/api/cases/${id}/actions/${action}`, { version: cur.version, ...body });
    expect(res.statusCode, `${user} ${action}: ${res.body}`).toBe(200);
  }
  async upload(user: string) {
    const person = await this.app.ctx.db.selectFrom('person').select('id').where('username', '=', user).executeTakeFirstOrThrow();
    const auth = (await this.app.ctx.services.auth.loadPerson(person.id)) as Auth;
    const [m] = await this.app.ctx.services.media.upload(auth, [
      { filename: 'p.jpg', buffer: await photo('jpeg', { width: 64, height: 48 }) },
    ]);
    return (m as { id: string }).id;
  }
  async state(id: number) {
    return (await this.app.ctx.services.cases.repo.get(id))?.state;
  }
}

/** 两级平台: a city platform and a district platform, two servers on two databases, talking over HTTP. */
describe('platform: city ↔ district', { timeout: 180_000 }, () => {
  let city: Platform;
  let district: Platform;
  let cityCode: string;
  let platformDept: number;
  /** The key the city platform sends cases to the district with. */
  let cityKey: string;
  let fx: Awaited<ReturnType<typeof demoCaseFixtures>>;

  beforeAll(async () => {
    city = new Platform(await createTestDatabase(), await freePort());
    district = new Platform(await createTestDatabase(), await freePort());
    await city.start();
    await district.start();
    fx = await demoCaseFixtures(city.app.ctx.db);
    cityCode = (await city.app.ctx.services.settings.get()).cityCode;

    // City side: the district platform is a department to dispatch to, and holds a key that acts as it.
    const dept = await sql<{ id: number }>`
      INSERT INTO department (code, name, level, kind) VALUES ('PLATFORM-XL', '西陵区数字城管平台', 'district', 'execution') RETURNING id`.execute(
      city.app.ctx.db,
    );
    platformDept = dept.rows[0]?.id as number;
    const keyAtCity = await city.app.ctx.services.auth.createApiKey(
      { name: '西陵区平台', role: 'handler', departmentId: platformDept },
      null,
    );
    // District side: the city platform holds a key to send cases with.
    const keyAtDistrict = await district.app.ctx.services.auth.createApiKey(
      { name: '市级平台', role: 'machine', departmentId: null },
      null,
    );

    cityKey = keyAtDistrict.key;
    const down = await city.as('admin', 'POST', '/api/platform/links', {
      name: '西陵区平台',
      direction: 'downstream',
      baseUrl: district.url,
      apiKey: keyAtDistrict.key,
      departmentId: platformDept,
    });
    expect(down.statusCode, down.body).toBe(201);
    expect(down.body).not.toContain(keyAtDistrict.key);
    const up = await district.as('admin', 'POST', '/api/platform/links', {
      name: '市级平台',
      direction: 'upstream',
      baseUrl: city.url,
      apiKey: keyAtCity.key,
      remoteCode: cityCode,
    });
    expect(up.statusCode, up.body).toBe(201);
  });
  afterAll(async () => {
    for (const p of [city, district]) {
      await p.app?.close().catch(() => undefined);
      await p.db.drop();
    }
  });

  /** Files a report at the city and dispatches it to the district platform. */
  const dispatchToDistrict = async (description: string, photos: string[] = []) => {
    const res = await city.as('acceptor', 'POST', '/api/cases', {
      source: 'hotline',
      kind: 'event',
      classCode: fx.eventClass,
      description,
      location: fx.point,
      photos,
    });
    expect(res.statusCode, res.body).toBe(201);
    const id = res.json().id as number;
    await city.act('acceptor', id, 'accept');
    await city.act('shiftlead', id, 'register');
    await city.act('dispatcher', id, 'dispatch', { departmentId: platformDept });
    return { id, number: res.json().number as string };
  };
  const districtCaseOf = (number: string) =>
    until(
      async () =>
        (
          await sql<{ id: number; state: string }>`SELECT id, state FROM case_file WHERE source_ref = ${`${cityCode}:${number}`}`.execute(
            district.app.ctx.db,
          )
        ).rows[0],
      40_000,
      `case ${number} at the district`,
    );

  /** The 回退 request the district's refusal puts on the city's case. */
  const cityReturnRequest = (caseId: number) =>
    until(
      async () => {
        const row = await city.app.ctx.services.cases.repo.get(caseId);
        return row?.pendingRequest?.type === 'return' ? row.pendingRequest : null;
      },
      40_000,
      `city 回退 request on case ${caseId}`,
    );

  it('forwards a dispatched case with its photo; the district files it as registered, once', async () => {
    const before = await city.upload('acceptor');
    const c = await dispatchToDistrict('路面塌陷，需要围挡', [before]);
    const d = await districtCaseOf(c.number);
    expect(d.state).toBe('registered');
    const log = await sql<{ action: string; actorRole: string }>`
      SELECT action, actor_role FROM case_event WHERE case_id = ${d.id} ORDER BY seq`.execute(district.app.ctx.db);
    expect(log.rows.map((r) => r.action)).toEqual(['report', 'auto_register']);
    const photos = await sql<{ n: number }>`SELECT count(*)::int AS n FROM media WHERE case_id = ${d.id}`.execute(district.app.ctx.db);
    expect(photos.rows[0]?.n).toBe(1);
    const [link] = await city.app.ctx.services.platform.links();
    const map = await until(() => city.app.ctx.services.platform.repo.mapping(link?.id ?? -1, { caseId: c.id }), 10_000, 'the mapping');
    expect(map).toMatchObject({ remoteCaseId: d.id, remoteNumber: expect.stringMatching(/^\d{13}$/) });

    // The city sending it again (a retry after a lost answer) finds the same case.
    const doc = await city.app.ctx.services.exchange.caseDocument(c.id);
    const keyAtDistrict = await district.app.ctx.services.auth.createApiKey({ name: 'retry', role: 'machine', departmentId: null }, null);
    const again = await district.app.inject({
      method: 'POST',
      url: '/api/platform/inbound',
      headers: { 'x-api-key': keyAtDistrict.key },
      payload: { platform: { cityCode, name: 'city' }, caseId: c.id, case: doc },
    });
    expect(again.statusCode, again.body).toBe(200);
    expect(again.json()).toMatchObject({ caseId: d.id, created: false });
    const count = await sql<{
      n: number;
    }>`SELECT count(*)::int AS n FROM case_file WHERE source_ref = ${`${cityCode}:${c.number}`}`.execute(district.app.ctx.db);
    expect(count.rows[0]?.n).toBe(1);
  });

  it('reports the district’s dispatch as 签收 and its closing as 反馈 with the after-photo, through the city’s API', async () => {
    const c = await dispatchToDistrict('人行道护栏损坏');
    const d = await districtCaseOf(c.number);
    await district.act('dispatcher', d.id, 'dispatch', { departmentId: fx.handlerDept });
    await until(async () => (await city.state(c.id)) === 'handling', 15_000, 'city 签收');
    const signLog = await sql<{ actorRole: string; departmentId: number }>`
      SELECT actor_role, department_id FROM case_event WHERE case_id = ${c.id} AND action = 'sign'`.execute(city.app.ctx.db);
    expect(signLog.rows).toEqual([{ actorRole: 'handler', departmentId: platformDept }]);

    await district.act('handler', d.id, 'sign');
    await district.act('handler', d.id, 'feedback', { note: '护栏已更换', photos: [await district.upload('handler')] });
    await district.act('acceptor', d.id, 'send_check');
    await district.act('inspector', d.id, 'check_pass', { photos: [await district.upload('inspector')] });
    await district.act('shiftlead', d.id, 'close', { archiveType: 'normal' });

    await until(async () => (await city.state(c.id)) === 'feedback', 15_000, 'city 反馈');
    const fb = await sql<{ note: string; payload: { photos: string[] } }>`
      SELECT note, payload FROM case_event WHERE case_id = ${c.id} AND action = 'feedback'`.execute(city.app.ctx.db);
    expect(fb.rows[0]?.note).toBe('护栏已更换');
    expect(fb.rows[0]?.payload.photos).toHaveLength(1);
    const attached = await sql<{ n: number }>`SELECT count(*)::int AS n FROM media WHERE case_id = ${c.id}`.execute(city.app.ctx.db);
    expect(attached.rows[0]?.n).toBe(1);
    // The city's own centre takes it from here: 核查 and 结案 stay with the city.
    expect((await city.as('acceptor', 'GET', `/api/cases/${c.id}`)).json().allowedActions).toContain('send_check');
  });

  it('asks the city for 回退 when the district refuses a case', async () => {
    const c = await dispatchToDistrict('不属于本区的问题');
    const d = await districtCaseOf(c.number);
    await district.act('shiftlead', d.id, 'cancel', { reason: '位置属于邻区，不属于本区职责' });
    expect((await cityReturnRequest(c.id)).reason).toBe('位置属于邻区，不属于本区职责');
  });

  it('reports a step taken before the case was mapped, once the mapping is stored', async () => {
    const c = await dispatchToDistrict('一个步骤早于映射的案卷');
    const d = await districtCaseOf(c.number);
    // The district's staff act on the case while its mapping is not stored (it is written after
    // the case is filed; or the server stopped in between): the outbox trigger queues nothing.
    const mappedCase = sql<{ n: number }>`SELECT count(*)::int AS n FROM platform_case WHERE case_id = ${d.id}`;
    await until(async () => (await mappedCase.execute(district.app.ctx.db)).rows[0]?.n === 1, 40_000, 'the district’s mapping');
    await sql`DELETE FROM platform_case WHERE case_id = ${d.id}`.execute(district.app.ctx.db);
    await district.act('shiftlead', d.id, 'cancel', { reason: '映射之前的回退' });
    const queued = await sql<{ n: number }>`SELECT count(*)::int AS n FROM platform_outbox WHERE case_id = ${d.id}`.execute(
      district.app.ctx.db,
    );
    expect(queued.rows[0]?.n).toBe(0);
    // The city's retry of the forward (it never got an answer) stores the mapping and queues the step.
    const doc = await city.app.ctx.services.exchange.caseDocument(c.id);
    const again = await district.app.inject({
      method: 'POST',
      url: '/api/platform/inbound',
      headers: { 'x-api-key': cityKey },
      payload: { platform: { cityCode, name: 'city' }, caseId: c.id, case: doc },
    });
    expect(again.statusCode, again.body).toBe(200);
    expect(again.json()).toMatchObject({ caseId: d.id, created: false });
    expect((await cityReturnRequest(c.id)).reason).toBe('映射之前的回退');
  });

  it('catches up after either side was down: nothing is lost, steps arrive in order', async () => {
    // The district is down while the city dispatches.
    await district.stop();
    const c = await dispatchToDistrict('下水道井盖缺失');
    await until(
      async () =>
        (await city.app.ctx.services.platform.outbox({ status: 'pending', limit: 10 })).find((o) => o.caseId === c.id && o.attempts >= 2),
      40_000,
      'failed attempts while the district is down',
    );
    await district.start();
    const d = await districtCaseOf(c.number);
    expect(d.state).toBe('registered');

    // The city is down while the district dispatches and closes.
    await city.stop();
    await district.act('dispatcher', d.id, 'dispatch', { departmentId: fx.handlerDept });
    await district.act('handler', d.id, 'sign');
    await district.act('handler', d.id, 'feedback', { note: '井盖已补装', photos: [await district.upload('handler')] });
    await district.act('acceptor', d.id, 'send_check');
    await district.act('inspector', d.id, 'check_pass', { photos: [await district.upload('inspector')] });
    await district.act('shiftlead', d.id, 'close', { archiveType: 'normal' });
    await until(
      async () => {
        const items = await district.app.ctx.services.platform.outbox({ limit: 50 });
        return items.filter((o) => o.caseId === d.id && o.attempts >= 1).length >= 1;
      },
      40_000,
      'progress attempts while the city is down',
    );
    await city.start();
    await until(async () => (await city.state(c.id)) === 'feedback', 20_000, 'city catches up');
    const steps = await sql<{ action: string }>`SELECT action FROM case_event WHERE case_id = ${c.id} ORDER BY seq`.execute(
      city.app.ctx.db,
    );
    expect(steps.rows.map((r) => r.action)).toEqual(['report', 'accept', 'register', 'dispatch', 'sign', 'feedback']);
    const done = await until(
      async () => {
        const log = (await district.as('admin', 'GET', '/api/platform/outbox?status=done')).json() as Array<{
          caseId: number;
          action: string;
        }>;
        const mine = log.filter((o) => o.caseId === d.id);
        return mine.length === 2 ? mine : null;
      },
      10_000,
      'the sync log',
    );
    expect(done.map((o) => o.action).sort()).toEqual(['close', 'dispatch']);
  });

  it('refuses bad links and unknown platforms, changing nothing', async () => {
    expect(
      (
        await city.as('admin', 'POST', '/api/platform/links', {
          name: 'x',
          direction: 'downstream',
          baseUrl: 'ftp://x.example',
          apiKey: '12345678',
        })
      ).json().error,
    ).toBe('platform_url_invalid');
    expect(
      (
        await city.as('admin', 'POST', '/api/platform/links', {
          name: 'x',
          direction: 'downstream',
          baseUrl: 'http://x.example',
          apiKey: '12345678',
        })
      ).json().error,
    ).toBe('platform_department_required');
    expect((await city.as('dispatcher', 'GET', '/api/platform/links')).statusCode).toBe(403);
    const stranger = await district.app.ctx.services.auth.createApiKey({ name: 's', role: 'machine', departmentId: null }, null);
    const res = await district.app.inject({
      method: 'POST',
      url: '/api/platform/inbound',
      headers: { 'x-api-key': stranger.key },
      payload: {
        platform: { cityCode: '999999', name: 'nobody' },
        caseId: 1,
        case: {
          number: '1',
          kind: 'event',
          edition: 'CJT214-2007',
          classCode: fx.eventClass,
          severity: 'normal',
          urgent: false,
          description: 'x',
          address: null,
          location: fx.point,
        },
      },
    });
    expect(res.statusCode).toBe(403);
  });
});
