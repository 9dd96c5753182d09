import { parse as parseCsv } from 'csv-parse/sync';
import ExcelJS from 'exceljs';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, demoCaseFixtures, type TestApp } from '../../../test/helpers.ts';
import type { Auth } from '../auth/auth.service.ts';
import { photo } from '../media/media.fixtures.ts';

/** 数据交换: exports carry exactly the cases, logs and photos in the database; imports land whole or not at all. */
describe('exchange: bulk export and import', () => {
  let t: TestApp;
  const cookie: Record<string, string> = {};
  let point: { lng: number; lat: number };
  let eventClass: string;
  let eventClassName: string;
  let handlerDept: number;

  const inject = (who: string, method: 'GET' | 'POST', url: string, extra: { payload?: unknown; headers?: Record<string, string> } = {}) =>
    t.app.inject({ method, url, headers: { cookie: cookie[who] as string, ...extra.headers }, payload: extra.payload as string });
  const count = async (q: ReturnType<typeof sql>) => (await sql<{ n: number }>`${q}`.execute(t.ctx.db)).rows[0]?.n ?? -1;
  const act = async (who: string, id: number, action: string, body: Record<string, unknown> = {}) => {
    const cur = (await inject('admin', 'GET', `/api/cases/${id}`)).json();
    const res = await inject(who, 'POST', `/api/cases/${id}/actions/${action}`, { payload: { version: cur.version, ...body } });
    expect(res.statusCode, `${who} ${action}: ${res.body}`).toBe(200);
  };
  const csvRows = (body: string) => parseCsv(body, { bom: true }) as string[][];

  beforeAll(async () => {
    t = await createTestApp();
    for (const u of ['acceptor', 'shiftlead', 'dispatcher', 'handler', 'admin', 'inspector', 'leader']) cookie[u] = await t.login(u);
    ({ point, eventClass, handlerDept } = await demoCaseFixtures(t.ctx.db));
    eventClassName = (
      await t.ctx.db
        .selectFrom('taxonomyClass')
        .select('name')
        .where('edition', '=', 'CJT214-2007')
        .where('kind', '=', 'event')
        .where('code', '=', eventClass)
        .executeTakeFirstOrThrow()
    ).name;

    // Three hotline reports; one dispatched to the handler's department, one with a photo, one
    // whose description a spreadsheet would take for a formula.
    const file = async (description: string, photos: string[] = []) => {
      const res = await inject('acceptor', 'POST', '/api/cases', {
        payload: { source: 'hotline', kind: 'event', classCode: eventClass, description, location: point, photos },
      });
      expect(res.statusCode, res.body).toBe(201);
      return res.json().id as number;
    };
    const acceptor = await t.ctx.db.selectFrom('person').select('id').where('username', '=', 'acceptor').executeTakeFirstOrThrow();
    const auth = (await t.ctx.services.auth.loadPerson(acceptor.id)) as Auth;
    const [m] = await t.ctx.services.media.upload(auth, [{ filename: 'x.jpg', buffer: await photo('jpeg', { width: 64, height: 48 }) }]);
    const a = await file('井盖缺失，行人有危险');
    await file('路边有暴露垃圾, "很多"', [(m as { id: string }).id]);
    await file('=HYPERLINK("http://example.invalid")');
    await act('acceptor', a, 'accept');
    await act('shiftlead', a, 'register');
    await act('dispatcher', a, 'dispatch', { departmentId: handlerDept });
  });
  afterAll(() => t.close());

  it('exports every case as CSV with Chinese headers, a BOM, quoted fields and formula-safe text', async () => {
    const res = await inject('admin', 'GET', '/api/exchange/cases?format=csv');
    expect(res.statusCode, res.body).toBe(200);
    expect(res.headers['content-type']).toContain('text/csv');
    expect(res.headers['content-disposition']).toMatch(/^attachment; filename="cases-.*\.csv"$/);
    expect(res.body.charCodeAt(0)).toBe(0xfeff);
    const [head, ...rows] = csvRows(res.body);
    expect(head?.slice(0, 4)).toEqual(['案卷编号', '来源', '渠道', '来源编号']);
    expect(rows.length).toBe(await count(sql`SELECT count(*)::int AS n FROM case_file`));
    const desc = head?.indexOf('问题描述') as number;
    const texts = rows.map((r) => r[desc]);
    expect(texts).toContain('路边有暴露垃圾, "很多"');
    expect(texts).toContain('\'=HYPERLINK("http://example.invalid")');
    const state = head?.indexOf('状态') as number;
    expect(rows.map((r) => r[state])).toContain('待签收');
    // English headers and codes on request.
    const en = csvRows((await inject('admin', 'GET', '/api/exchange/cases?format=csv&lang=en&state=dispatched')).body);
    expect(en[0]?.[0]).toBe('number');
    expect(en.slice(1).map((r) => r[en[0]?.indexOf('state') as number])).toEqual(
      Array(await count(sql`SELECT count(*)::int AS n FROM case_file WHERE state = 'dispatched'`)).fill('dispatched'),
    );
  });

  it('exports the exchange document with each case’s whole phase log and its photo links', async () => {
    const res = await inject('admin', 'GET', '/api/exchange/cases?format=json');
    expect(res.statusCode, res.body).toBe(200);
    const doc = res.json();
    expect(doc).toMatchObject({ format: 'cityloop-cases', version: 1, platform: { cityCode: expect.any(String) } });
    expect(doc.cases.length).toBe(await count(sql`SELECT count(*)::int AS n FROM case_file`));
    const logs = await sql<{ number: string; n: number }>`
      SELECT c.number, count(e.id)::int AS n FROM case_file c JOIN case_event e ON e.case_id = c.id GROUP BY c.number`.execute(t.ctx.db);
    for (const r of logs.rows) {
      const c = doc.cases.find((x: { number: string }) => x.number === r.number);
      expect(c.events.map((e: { seq: number }) => e.seq)).toEqual(Array.from({ length: r.n }, (_, i) => i + 1));
    }
    const withPhoto = doc.cases.find((c: { photos: unknown[] }) => c.photos.length > 0);
    expect(withPhoto.photos[0].url).toMatch(/^http:\/\/[^/]+\/api\/media\/[\w-]+$/);
    const photoRes = await t.app.inject({
      method: 'GET',
      url: new URL(withPhoto.photos[0].url).pathname,
      headers: { cookie: cookie.admin as string },
    });
    expect(photoRes.statusCode).toBe(200);
    const dispatched = doc.cases.find((c: { state: string }) => c.state === 'dispatched');
    expect(dispatched.department.code).toMatch(/\S/);
    expect(dispatched.events.map((e: { action: string }) => e.action)).toEqual(['report', 'accept', 'register', 'dispatch']);
    // Personal data stays home.
    expect(res.body).not.toMatch(/reporterContact|phone/);
  });

  it('exports an Excel workbook with the cases and, on request, a sheet of their phase logs', async () => {
    const res = await inject('admin', 'GET', '/api/exchange/cases?format=xlsx&events=true');
    expect(res.statusCode, res.body).toBe(200);
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(res.rawPayload as unknown as ArrayBuffer);
    expect(wb.worksheets.map((w) => w.name)).toEqual(['案卷', '流转记录']);
    const [cases, log] = wb.worksheets as [ExcelJS.Worksheet, ExcelJS.Worksheet];
    expect(cases.actualRowCount - 1).toBe(await count(sql`SELECT count(*)::int AS n FROM case_file`));
    expect(log.actualRowCount - 1).toBe(await count(sql`SELECT count(*)::int AS n FROM case_event`));
    // Numbers stay numbers, times stay times.
    const head = (cases.getRow(1).values as unknown[]).map(String);
    expect(typeof cases.getRow(2).getCell(head.indexOf('经度')).value).toBe('number');
    expect(cases.getRow(2).getCell(head.indexOf('上报时间')).value).toBeInstanceOf(Date);
  });

  it("limits a department's export to its own cases, and refuses roles without the permission", async () => {
    const [head, ...mine] = csvRows((await inject('handler', 'GET', '/api/exchange/cases?format=csv&lang=en')).body);
    const visible = (await inject('handler', 'GET', '/api/cases?limit=500')).json();
    expect(mine.length).toBe(visible.total);
    expect(mine.length).toBeGreaterThan(0);
    const all = await count(sql`SELECT count(*)::int AS n FROM case_file`);
    expect(mine.length).toBeLessThan(all);
    const deptName = (await t.ctx.db.selectFrom('department').select('name').where('id', '=', handlerDept).executeTakeFirstOrThrow()).name;
    expect(new Set(mine.map((r) => r[head?.indexOf('department') as number]))).toEqual(new Set([deptName]));
    expect((await inject('inspector', 'GET', '/api/exchange/cases')).statusCode).toBe(403);
    expect((await inject('admin', 'GET', '/api/exchange/cases?format=pdf')).json().error).toBe('validation_failed');
  });

  it('exports unit grids and components as GeoJSON, CSV and Excel, all of them', async () => {
    const grids = await inject('leader', 'GET', '/api/exchange/regions?level=grid');
    expect(grids.statusCode, grids.body).toBe(200);
    const fc = grids.json();
    expect(fc.type).toBe('FeatureCollection');
    expect(fc.features.length).toBe(await count(sql`SELECT count(*)::int AS n FROM region WHERE level = 'grid' AND valid_to IS NULL`));
    expect(fc.features[0].geometry.type).toBe('MultiPolygon');
    expect(fc.features[0].properties).toMatchObject({ level: 'grid', code: expect.stringMatching(/^\d{14,15}$/) });

    const total = await count(sql`SELECT count(*)::int AS n FROM component`);
    expect(total).toBeGreaterThan(1000); // crosses export pages
    const comps = await inject('leader', 'GET', '/api/exchange/components?format=csv');
    expect(csvRows(comps.body).length - 1).toBe(total);
    const major = (await sql<{ m: string }>`SELECT left(class_code, 2) AS m FROM component LIMIT 1`.execute(t.ctx.db)).rows[0]?.m as string;
    const some = (await inject('leader', 'GET', `/api/exchange/components?classCode=${major}`)).json();
    expect(some.features.length).toBe(await count(sql`SELECT count(*)::int AS n FROM component WHERE class_code LIKE ${`${major}%`}`));
    const districts = await inject('leader', 'GET', '/api/exchange/regions?level=district&format=xlsx');
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(districts.rawPayload as unknown as ArrayBuffer);
    expect((wb.worksheets[0] as ExcelJS.Worksheet).actualRowCount - 1).toBe(
      await count(sql`SELECT count(*)::int AS n FROM region WHERE level = 'district' AND valid_to IS NULL`),
    );
  });

  describe('import', () => {
    const hotlineCsv = (rows: string[][]) =>
      `\uFEFF${[
        ['工单编号', '来电时间', '来电人', '联系电话', '问题描述', '问题地址', '经度', '纬度', '分类编码', '小类', '紧急程度', '类型'],
        ...rows,
      ]
        .map((r) => r.map((c) => (/[",\n]/.test(c) ? `"${c.replaceAll('"', '""')}"` : c)).join(','))
        .join('\r\n')}\r\n`;
    const post = (who: string, body: string | Buffer, type: string, query = '') =>
      inject(who, 'POST', `/api/exchange/cases/import${query}`, { payload: body, headers: { 'content-type': type } });
    const cases = () => count(sql`SELECT count(*)::int AS n FROM case_file`);
    const good = () => [
      [
        'GD202611300001',
        '2026-11-30 09:12',
        '张先生',
        '13800000001',
        '小区门口垃圾堆积',
        '',
        String(point.lng),
        String(point.lat),
        eventClass,
        '',
        '一般',
        '事件',
      ],
      [
        'GD202611300002',
        '2026-11-30 09:30',
        '',
        '',
        '人行道上有占道经营',
        '',
        String(point.lng),
        String(point.lat),
        '',
        eventClassName,
        '紧急',
        '事件',
      ],
      [
        'GD202611300003',
        '',
        '李女士',
        '',
        '路灯整晚不亮, 影响通行',
        '',
        String(point.lng + 0.0001),
        String(point.lat),
        eventClass,
        '',
        '',
        '事件',
      ],
    ];

    it('checks every row on a dry run and writes nothing', async () => {
      const before = await cases();
      const res = await post('admin', hotlineCsv(good()), 'text/csv', '?dryRun=true');
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json()).toMatchObject({ dryRun: true, total: 3, created: 0, invalid: 0 });
      expect(res.json().rows.map((r: { status: string }) => r.status)).toEqual(['valid', 'valid', 'valid']);
      expect(await cases()).toBe(before);
    });

    it('refuses the whole file when one row is bad, naming each problem by row and field', async () => {
      const before = await cases();
      const rows = good();
      rows[1] = ['GD202611300002', 'not a time', '', '12', '', '', '200', '31', '', '不存在的小类', '很急', '事件'];
      rows.push(['GD202611300001', '', '', '', '重复的工单', '', String(point.lng), String(point.lat), eventClass, '', '', '事件']);
      const res = await post('admin', hotlineCsv(rows), 'text/csv');
      expect(res.statusCode, res.body).toBe(422);
      const body = res.json();
      expect(body.error).toBe('import_invalid');
      expect(body.details.invalid).toBe(2);
      const bad = body.details.rows.find((r: { row: number }) => r.row === 3);
      expect(bad.errors.map((e: { code: string }) => e.code).sort()).toEqual(
        ['class_not_found', 'field_required', 'invalid_coordinates', 'invalid_phone', 'invalid_severity', 'invalid_time'].sort(),
      );
      expect(body.details.rows.find((r: { row: number }) => r.row === 5).errors[0].code).toBe('duplicate_in_file');
      expect(await cases()).toBe(before);
    });

    it('files valid rows as hotline cases in one go, and a re-import finds them instead of filing them twice', async () => {
      const before = await cases();
      const res = await post('admin', hotlineCsv(good()), 'text/csv');
      expect(res.statusCode, res.body).toBe(201);
      expect(res.json()).toMatchObject({ dryRun: false, total: 3, created: 3, existing: 0, invalid: 0 });
      expect(await cases()).toBe(before + 3);
      const rows = await sql<{
        sourceRef: string;
        source: string;
        channel: string;
        urgent: boolean;
        state: string;
        reporterContact: unknown;
      }>`
        SELECT source_ref, source, channel, urgent, state, reporter_contact FROM case_file
        WHERE source_ref LIKE 'GD2026113000%' ORDER BY source_ref`.execute(t.ctx.db);
      expect(rows.rows.map((r) => [r.sourceRef, r.source, r.channel, r.urgent])).toEqual([
        ['GD202611300001', 'hotline', '12345', false],
        ['GD202611300002', 'hotline', '12345', true],
        ['GD202611300003', 'hotline', '12345', false],
      ]);
      expect(rows.rows[0]?.reporterContact).toEqual({ name: '张先生', phone: '13800000001' });
      const first = await sql<{ payload: { imported: { reportedAt: string } } }>`
        SELECT e.payload FROM case_event e JOIN case_file c ON c.id = e.case_id
        WHERE c.source_ref = 'GD202611300001' AND e.seq = 1`.execute(t.ctx.db);
      expect(first.rows[0]?.payload.imported.reportedAt).toBe('2026-11-30T01:12:00.000Z');

      const again = await post('admin', hotlineCsv(good()), 'text/csv');
      expect(again.statusCode, again.body).toBe(201);
      expect(again.json()).toMatchObject({ created: 0, existing: 3 });
      expect(again.json().rows[0].number).toMatch(/^\d{13}$/);
      expect(await cases()).toBe(before + 3);
      // The import that filed cases is audited; the one that changed nothing is not.
      const audit = await count(sql`SELECT count(*)::int AS n FROM audit_log WHERE action = 'exchange.import_cases'`);
      expect(audit).toBe(1);
    });

    it('reads Excel files, and another platform’s exchange document', async () => {
      const wb = new ExcelJS.Workbook();
      const ws = wb.addWorksheet('工单');
      ws.addRow(['工单编号', '问题描述', '经度', '纬度', '分类编码', '类型']);
      ws.addRow(['XL-1', '绿化带枯死', point.lng, point.lat, eventClass, '事件']);
      const xlsx = Buffer.from(await wb.xlsx.writeBuffer());
      const res = await post('admin', xlsx, 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet');
      expect(res.statusCode, res.body).toBe(201);
      expect(res.json().created).toBe(1);

      const exported = (await inject('admin', 'GET', '/api/exchange/cases?format=json&state=dispatched')).json();
      const before = await cases();
      const doc = await post('admin', JSON.stringify(exported), 'application/json', '?source=system&channel=district');
      expect(doc.statusCode, doc.body).toBe(201);
      expect(doc.json().created).toBe(exported.cases.length);
      expect(await cases()).toBe(before + exported.cases.length);
      const refs = await sql<{
        sourceRef: string;
      }>`SELECT source_ref FROM case_file WHERE source = 'system' AND channel = 'district'`.execute(t.ctx.db);
      expect(refs.rows.map((r) => r.sourceRef).sort()).toEqual(
        exported.cases.map((c: { number: string }) => `${exported.platform.cityCode}:${c.number}`).sort(),
      );
    });

    it('refuses wrong content, unknown columns and callers without the permission, changing nothing', async () => {
      const before = await cases();
      expect((await post('admin', 'x', 'text/plain')).json().error).toBe('import_content_type');
      expect((await post('admin', 'a,b\r\n1,2\r\n', 'text/csv')).json().error).toBe('import_columns');
      expect((await post('admin', '工单编号,问题描述\r\n', 'text/csv')).json().error).toBe('import_empty');
      expect((await post('admin', JSON.stringify({ cases: [] }), 'application/json')).json().error).toBe('import_format');
      expect(
        (await post('admin', Buffer.from('not a zip'), 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet')).json().error,
      ).toBe('import_unreadable');
      expect((await post('acceptor', hotlineCsv(good()), 'text/csv')).statusCode).toBe(403);
      expect(await cases()).toBe(before);
    });
  });
});
