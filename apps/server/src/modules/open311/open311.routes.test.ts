import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, demoCaseFixtures, type TestApp } from '../../../test/helpers.ts';
import { loadValidators, parseXml, type Validators, walk } from './open311.conformance.ts';

const BASE = '/open311/v2';
const form = (fields: Record<string, string | number>) =>
  Object.entries(fields)
    .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`)
    .join('&');

describe('Open311 GeoReport v2', () => {
  let t: TestApp;
  let v: Validators;
  let key: string;
  let point: { lng: number; lat: number };
  let eventCode: string;
  const countCases = async () => Number((await sql<{ n: number }>`SELECT count(*)::int AS n FROM case_file`.execute(t.ctx.db)).rows[0]?.n);

  const post = (fields: Record<string, string | number>, format = 'json', headers: Record<string, string> = {}) =>
    t.app.inject({
      method: 'POST',
      url: `${BASE}/requests.${format}`,
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
      payload: form(fields),
    });
  const get = (url: string) => t.app.inject({ method: 'GET', url: `${BASE}${url}` });

  beforeAll(async () => {
    t = await createTestApp();
    v = loadValidators();
    key = (await t.ctx.services.auth.createApiKey({ name: 'open311 client', role: 'machine', departmentId: null }, null)).key;
    const fx = await demoCaseFixtures(t.ctx.db);
    point = fx.point;
    eventCode = `event-${fx.eventClass}`;
  });
  afterAll(() => t.close());

  it('walks discovery → services → every definition → requests → one request, every JSON document valid against the official schemas', async () => {
    const created = await post({ api_key: key, service_code: eventCode, lat: point.lat, long: point.lng, description: '井盖周边垃圾' });
    expect(created.statusCode, created.body).toBe(200);
    const result = await walk(
      BASE,
      async (url) => {
        const res = await t.app.inject({ method: 'GET', url });
        return { status: res.statusCode, contentType: String(res.headers['content-type']), body: res.body };
      },
      v,
    );
    expect(result.problems).toEqual([]);
    expect(result.serviceCodes.length).toBeGreaterThan(50);
    expect(result.requestIds.length).toBeGreaterThan(0);
    expect(result.checked).toBeGreaterThan(result.serviceCodes.length);
  });

  it('discovery lists the endpoint as production and test with both formats, in JSON and XML', async () => {
    const res = await get('/discovery.json');
    const d = res.json();
    expect(d.endpoints.map((e: { type: string }) => e.type).sort()).toEqual(['production', 'test']);
    for (const e of d.endpoints) {
      expect(e.url).toBe('http://localhost:80/open311/v2');
      expect(e.formats).toEqual(['text/xml', 'application/json']);
      expect(e.specification).toBe('http://wiki.open311.org/GeoReport_v2');
    }
    const xml = await get('/discovery.xml');
    expect(xml.headers['content-type']).toMatch(/^text\/xml/);
    const problems: string[] = [];
    const doc = parseXml(xml.body, 'discovery', problems, 'discovery.xml') as { discovery: { endpoints: { endpoint: unknown[] } } };
    expect(problems).toEqual([]);
    expect(doc.discovery.endpoints.endpoint).toHaveLength(2);
  });

  it('services: kind-prefixed class codes of the city edition, grouped by major class, with a definition', async () => {
    const services = (await get('/services.json')).json() as Array<Record<string, unknown>>;
    const s = services.find((x) => x.service_code === eventCode) as Record<string, unknown>;
    expect(s).toMatchObject({ metadata: true, type: 'realtime' });
    expect(typeof s.group).toBe('string');
    expect(String(s.keywords)).toContain('事件');
    expect(services.every((x) => /^(component|event)-\d{4,7}$/.test(String(x.service_code)))).toBe(true);
    // Component and event classes share codes; the prefix keeps them apart.
    expect(services.some((x) => x.service_code === 'component-0101')).toBe(true);
    expect(services.some((x) => x.service_code === 'event-0101')).toBe(true);
    const xml = await get('/services.xml');
    const problems: string[] = [];
    const doc = parseXml(xml.body, 'services', problems, 'services.xml') as { services: { service: Array<Record<string, string>> } };
    expect(problems).toEqual([]);
    expect(doc.services.service).toHaveLength(services.length);
    expect(doc.services.service[0]?.metadata).toBe('true');
  });

  it('a service definition carries severity, the component, and the conditions as information', async () => {
    const def = (await get('/services/component-0101.json')).json();
    expect(v.serviceDefinition(def)).toBe(true);
    const byCode = Object.fromEntries(def.attributes.map((a: { code: string }) => [a.code, a]));
    expect(byCode.severity).toMatchObject({ variable: true, datatype: 'singlevaluelist', required: false, order: 1 });
    expect(byCode.severity.values.map((x: { key: string }) => x.key)).toEqual(['normal', 'major', 'urgent']);
    expect(byCode.component_id).toMatchObject({ variable: true, datatype: 'string' });
    expect(byCode.filing_condition).toMatchObject({ variable: false, datatype: 'text' });
    expect(byCode.closing_condition).toMatchObject({ variable: false });
    const xml = await get('/services/component-0101.xml');
    expect(xml.body).toContain('<values><value><key>normal</key>');
    const problems: string[] = [];
    parseXml(xml.body, 'service_definition', problems, 'definition.xml');
    expect(problems).toEqual([]);
  });

  it('unknown services and requests are 404 in the spec error format, JSON and XML', async () => {
    for (const url of ['/services/event-9999.json', '/services/nonsense.json', '/requests/0000000000000.json', '/nothing.json']) {
      const res = await get(url);
      expect(res.statusCode, url).toBe(404);
      expect(res.json()).toEqual([{ code: 404, description: expect.any(String) }]);
    }
    const xml = await get('/services/event-9999.xml');
    expect(xml.statusCode).toBe(404);
    expect(xml.headers['content-type']).toMatch(/^text\/xml/);
    expect(xml.body).toMatch(
      /^<\?xml version="1.0" encoding="utf-8"\?><errors><error><code>404<\/code><description>.+<\/description><\/error><\/errors>$/,
    );
  });

  it('POST files a case through the intake (source system, channel open311) and a retry of the same form gets the same case', async () => {
    const fields = {
      api_key: key,
      service_code: eventCode,
      lat: point.lat,
      long: point.lng,
      description: '人行道上有暴露垃圾，联系电话 13812345678',
      'attribute[severity]': 'major',
      email: 'citizen@example.org',
      first_name: '三',
      last_name: '张',
      phone: '13812345678',
      account_id: 'acc-42',
      device_id: 'dev-7',
      media_url: 'https://photos.example.org/p/1.jpg',
    };
    const res = await post(fields);
    expect(res.statusCode, res.body).toBe(200);
    const [out] = res.json();
    expect(out).toMatchObject({ service_request_id: expect.stringMatching(/^\d{13}$/), account_id: 'acc-42' });
    expect(v.requestResponse(out), JSON.stringify(v.requestResponse.errors)).toBe(true);
    expect(typeof out.service_notice).toBe('string');
    const row = await t.ctx.db
      .selectFrom('caseFile')
      .select(['source', 'channel', 'severity', 'reporterContact', 'apiKeyId', 'sourceRef', 'address'])
      .where('number', '=', out.service_request_id)
      .executeTakeFirstOrThrow();
    expect(row).toMatchObject({ source: 'system', channel: 'open311', severity: 'major', sourceRef: 'https://photos.example.org/p/1.jpg' });
    expect(row.reporterContact).toMatchObject({ name: '张三', phone: '13812345678', email: 'citizen@example.org', accountId: 'acc-42' });
    expect(row.address).toBeTruthy();

    const again = await post(fields);
    expect(again.json()[0].service_request_id).toBe(out.service_request_id);

    // The XML answer has the spec's shape.
    const xml = await post({ ...fields, description: 'another report' }, 'xml');
    expect(xml.statusCode).toBe(200);
    expect(xml.body).toMatch(
      /<service_requests><request><service_request_id>\d{13}<\/service_request_id><service_notice>.*<\/service_notice><account_id>acc-42<\/account_id><\/request><\/service_requests>$/,
    );

    // Reading it back exposes nothing personal.
    const read = await get(`/requests/${out.service_request_id}.json?extensions=true`);
    expect(read.body).not.toContain('13812345678');
    expect(read.body).not.toContain('citizen@example.org');
    expect(read.body).not.toContain('张三');
    expect(read.body).not.toContain('acc-42');
    const [r] = read.json();
    expect(r.description).toContain('138');
    expect(r.media_url).toBe('https://photos.example.org/p/1.jpg');
    expect(v.request(r)).toBe(true);
  });

  it('POST accepts address_string alone (geocoded) and the api_key as the X-Api-Key header', async () => {
    const place = await t.ctx.db
      .selectFrom('gazetteer')
      .select('fullAddress')
      .where('kind', '=', 'doorplate')
      .orderBy('id')
      .executeTakeFirstOrThrow();
    const res = await post({ service_code: eventCode, address_string: place.fullAddress }, 'json', { 'x-api-key': key });
    expect(res.statusCode, res.body).toBe(200);
    const [r] = (await get(`/requests/${res.json()[0].service_request_id}.json`)).json();
    expect(r.address).toBe(place.fullAddress);
  });

  it('refuses bad input with 400 and a missing or wrong key with 403, changing nothing', async () => {
    const before = await countCases();
    const good = { api_key: key, service_code: eventCode, lat: point.lat, long: point.lng, description: 'x' };
    const cases: Array<[Record<string, string | number>, number]> = [
      [{ ...good, api_key: '' }, 403],
      [{ service_code: eventCode, lat: point.lat, long: point.lng }, 403],
      [{ ...good, api_key: 'clk_nope_nope' }, 403],
      [{ ...good, lat: 'north' }, 400],
      [{ ...good, lat: 91 }, 400],
      [{ api_key: key, service_code: eventCode, lat: point.lat }, 400],
      [{ ...good, service_code: 'event-9999' }, 400],
      [{ ...good, service_code: 'pothole' }, 400],
      [{ ...good, 'attribute[severity]': 'apocalyptic' }, 400],
      [{ ...good, 'attribute[colour]': 'red' }, 400],
      [{ ...good, 'attribute[filing_condition]': 'x' }, 400],
      [{ ...good, lat: 0, long: 0 }, 400],
      [{ api_key: key, service_code: eventCode, address_string: '不存在的地方九九九号' }, 400],
      [{ api_key: key, service_code: eventCode }, 400],
      [{ ...good, media_url: 'javascript:alert(1)' }, 400],
      [{ ...good, phone: 'call me' }, 400],
      [{ ...good, unknown_field: 'x' }, 400],
    ];
    for (const [fields, status] of cases) {
      const res = await post(fields);
      expect(res.statusCode, `${JSON.stringify(fields)} → ${res.body}`).toBe(status);
      const body = res.json();
      expect(body).toEqual([{ code: status, description: expect.any(String) }]);
    }
    const xml = await post({ service_code: eventCode, lat: point.lat, long: point.lng }, 'xml');
    expect(xml.statusCode).toBe(403);
    expect(xml.body).toContain('<errors><error><code>403</code>');
    const header = await post({ service_code: eventCode, lat: point.lat, long: point.lng }, 'json', { 'x-api-key': 'clk_bad_bad' });
    expect(header.statusCode).toBe(403);
    // A console session is no API key.
    const session = await post({ service_code: eventCode, lat: point.lat, long: point.lng }, 'json', { cookie: await t.login('admin') });
    expect(session.statusCode).toBe(403);
    expect(session.json()[0].description).toBe('api_key is required');
    expect(await countCases()).toBe(before);
  });

  it('only keys whose role may report through the system channel may post', async () => {
    for (const role of ['machine', 'admin', 'leader', 'handler', 'acceptor', 'inspector'] as const) {
      const k = (await t.ctx.services.auth.createApiKey({ name: `o311 ${role}`, role, departmentId: null }, null)).key;
      const res = await post({ api_key: k, service_code: eventCode, lat: point.lat, long: point.lng, description: `role ${role}` });
      expect(res.statusCode, `${role}: ${res.body}`).toBe(role === 'machine' || role === 'admin' ? 200 : 403);
    }
  });

  it('GET requests: filters, defaults, paging and extensions', async () => {
    // Cases of two classes, one closed, one 100 days old.
    const other = (
      await t.ctx.db
        .selectFrom('taxonomyClass')
        .select('code')
        .where('edition', '=', 'CJT214-2007')
        .where('kind', '=', 'event')
        .where('level', '=', 'minor')
        .orderBy('code', 'desc')
        .executeTakeFirstOrThrow()
    ).code;
    const mk = async (code: string, description: string) => {
      const res = await post({ api_key: key, service_code: code, lat: point.lat, long: point.lng, description });
      expect(res.statusCode, res.body).toBe(200);
      return res.json()[0].service_request_id as string;
    };
    const a = await mk(`event-${other}`, 'filter a');
    const b = await mk(`event-${other}`, 'filter b');
    const old = await mk(`event-${other}`, 'filter old');
    await sql`UPDATE case_file SET state = 'cancelled', closed_at = now() WHERE number = ${b}`.execute(t.ctx.db);
    await sql`UPDATE case_file SET created_at = now() - interval '100 days' WHERE number = ${old}`.execute(t.ctx.db);

    const list = async (q: string) => {
      const res = await get(`/requests.json${q}`);
      expect(res.statusCode, res.body).toBe(200);
      const body = res.json() as Array<Record<string, unknown>>;
      expect(v.requests(body), JSON.stringify(v.requests.errors)).toBe(true);
      return body;
    };
    const ids = (rows: Array<Record<string, unknown>>) => rows.map((r) => r.service_request_id);

    // Default: the last 90 days, newest first.
    const all = await list('');
    expect(ids(all)).toContain(a);
    expect(ids(all)).not.toContain(old);
    const times = all.map((r) => String(r.requested_datetime));
    expect([...times].sort().reverse()).toEqual(times);
    for (const r of all) {
      expect(String(r.requested_datetime)).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
      expect(typeof r.address).toBe('string');
    }
    // lat/long always carry a decimal point, in JSON and XML.
    const raw = (await get('/requests.json')).body;
    expect(raw).toMatch(/"lat":\d+\.\d+,"long":\d+\.\d+/);
    expect((await get('/requests.xml')).body).toMatch(/<lat>\d+\.\d+<\/lat><long>\d+\.\d+<\/long>/);

    const byClass = await list(`?service_code=event-${other}`);
    expect(ids(byClass).sort()).toEqual([a, b].sort());
    expect(ids(await list(`?service_code=event-${other}&status=open`))).toEqual([a]);
    const closed = await list(`?service_code=event-${other}&status=closed`);
    expect(closed).toMatchObject([{ service_request_id: b, status: 'closed', status_notes: '已作废 (cancelled)' }]);
    expect(ids(await list(`?service_code=event-${other}&status=open,closed`)).sort()).toEqual([a, b].sort());
    expect(ids(await list(`?service_code=event-${other}&status=open&status=closed`)).sort()).toEqual([a, b].sort());

    // Dates: the old case inside an explicit window; more than 90 days is refused.
    const from = new Date(Date.now() - 101 * 86_400_000).toISOString();
    const to = new Date(Date.now() - 99 * 86_400_000).toISOString();
    expect(ids(await list(`?start_date=${from}&end_date=${to}`))).toEqual([old]);
    expect(ids(await list(`?start_date=${from}`))).toContain(old);
    expect((await get(`/requests.json?start_date=${from}&end_date=${new Date().toISOString()}`)).statusCode).toBe(400);
    for (const q of [
      'start_date=yesterday',
      'end_date=2026-13-45',
      'start_date=2026-02-31',
      'start_date=2026-11-01T24:00:00Z',
      'status=pending',
      'service_code=pothole',
      'service_code=event-9999',
      'page=0',
      'page_size=1001',
      'colour=red',
    ]) {
      const res = await get(`/requests.json?${q}`);
      expect(res.statusCode, q).toBe(400);
      expect(res.json()[0].code).toBe(400);
    }

    // service_request_id overrides every other filter.
    expect(ids(await list(`?service_request_id=${a},${old}&status=closed`)).sort()).toEqual([a, old].sort());

    // Paging: pages of one follow the default order.
    const p1 = await list('?page_size=1');
    const p2 = await list('?page_size=1&page=2');
    expect(ids(p1)).toEqual([ids(all)[0]]);
    expect(ids(p2)).toEqual([ids(all)[1]]);

    // updated_after: what changed since.
    const since = new Date(Date.now() - 60_000).toISOString();
    await sql`UPDATE case_file SET updated_at = now() - interval '1 day' WHERE number <> ${a}`.execute(t.ctx.db);
    expect(ids(await list(`?updated_after=${since}`))).toEqual([a]);

    // Extensions: detailed status and the update history from the phase log.
    const [ext] = await list(`?service_request_id=${a}&extensions=true`);
    const ea = (ext as { extended_attributes: { detailed_status: string; updates: Array<Record<string, string>> } }).extended_attributes;
    expect(['RECEIVED', 'IN_PROCESS']).toContain(ea.detailed_status);
    expect(ea.updates[0]).toMatchObject({ update_id: `${a}-1`, status: 'open', detailed_status: 'RECEIVED' });
    expect(ea.updates[0]?.updated_datetime).toMatch(/Z$/);
    const [plain] = await list(`?service_request_id=${a}`);
    expect(plain).not.toHaveProperty('extended_attributes');
    const xml = await get(`/requests/${a}.xml?extensions=true`);
    expect(xml.body).toContain('<extended_attributes><detailed_status>');
    expect(xml.body).toContain('<updates><update><update_id>');
  });

  it('links the first public photo, and describes a case without an address by its district, street and community', async () => {
    const res = await post({ api_key: key, service_code: eventCode, lat: point.lat, long: point.lng, description: 'photo case' });
    const number = res.json()[0].service_request_id as string;
    const c = await t.ctx.db.selectFrom('caseFile').select(['id', 'apiKeyId']).where('number', '=', number).executeTakeFirstOrThrow();
    await sql`INSERT INTO media (id, owner_api_key_id, content_type, size, width, height, sha256, case_id, public)
      VALUES ('o311-private', ${c.apiKeyId}, 'image/jpeg', 1, 1, 1, 'x', ${c.id}, false),
             ('o311-public', ${c.apiKeyId}, 'image/jpeg', 1, 1, 1, 'y', ${c.id}, true)`.execute(t.ctx.db);
    await sql`UPDATE case_file SET address = NULL WHERE id = ${c.id}`.execute(t.ctx.db);
    const [r] = (await get(`/requests/${number}.json`)).json();
    expect(r.media_url).toBe('http://localhost:80/api/public/media/o311-public');
    const regions = await sql<{ names: string }>`
      SELECT concat_ws(' ', d.name, s.name, m.name) AS names FROM case_file c
      JOIN region d ON d.id = c.district_id JOIN region s ON s.id = c.street_id JOIN region m ON m.id = c.community_id
      WHERE c.id = ${c.id}`.execute(t.ctx.db);
    expect(r.address).toBe(regions.rows[0]?.names);
    expect(r.address.length).toBeGreaterThan(2);
  });

  it('hides reporters of every channel: names, phones and contact never appear', async () => {
    const acceptor = await t.ctx.db.selectFrom('person').select('id').where('username', '=', 'acceptor').executeTakeFirstOrThrow();
    const auth = await t.ctx.services.auth.loadPerson(acceptor.id);
    const { case: c } = await t.ctx.services.cases.report(auth as NonNullable<typeof auth>, {
      source: 'hotline',
      kind: 'event',
      classCode: eventCode.slice('event-'.length),
      description: '市民来电反映路灯不亮，回电 0717-6881234',
      location: point,
      reporterContact: { name: '李四', phone: '13900001111' },
    });
    const res = await get(`/requests/${c.number}.json?extensions=true`);
    expect(res.statusCode).toBe(200);
    for (const secret of ['李四', '13900001111', '0717-6881234', '6881234']) expect(res.body).not.toContain(secret);
    const list = await get('/requests.xml?extensions=true');
    for (const secret of ['李四', '13900001111', '6881234']) expect(list.body).not.toContain(secret);
  });
});
