import ExcelJS from 'exceljs';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../../test/helpers.ts';
import { monthDays, previousPeriod } from './statistics.service.ts';

/**
 * Reports (报表) over six hand-made cases on the small demo city, every figure worked out by hand.
 * Times are local (Asia/Shanghai, +08:00); the clock stands at 2026-11-15, so October is closed.
 *
 * Grid G1 lies in district D1, grid G2 in district D2; departments A (the demo handler's) and B.
 * Classes X and Y are two CJ/T 214 event classes.
 *
 *  K1 inspector X G1 A  reported 10-05 09:10, fed back in time, closed 10-06
 *  K2 public    X G1 A  reported 10-08 14:20, 核实, fed back late, closed 10-10 (closed, not 按期)
 *  K3 hotline   Y G2 B  reported 10-12 09:40, 核实, fed back in time, closed 10-13
 *  K4 inspector X G2 B  reported 10-20 20:05, dispatched, deadline 10-21 12:00, still in hand
 *  K5 inspector Y G1 A  reported 09-10 09:30, in time, closed 09-11
 *  K6 inspector Y G2 B  reported 09-15 10:00, in time, closed 09-16
 *
 * October against September:
 *  reports 4 vs 2 (+2, +100 %); X 3 vs 0, Y 1 vs 2 (−50 %); G1 2, G2 2; hours 09 → 2, 14 → 1, 20 → 1;
 *  sources inspector 2 vs 2, public 1 vs 0, hotline 1 vs 0.
 *  D1: 立案 2, 监督举报 1 (K2) → rate 50 %, 结案 2 of 2 due → 100 %, 按期 1 → 50 %;
 *      composite (100−50)·0.1 + 90·0.2 (2 立案 → <3 → 90) + 100·0.3 + 50·0.4 = 5 + 18 + 30 + 20 = 73 → C.
 *  D2: 立案 2, 监督举报 1 (K3) → 50 %, 结案 1 of 2 due (K4 overdue open) → 50 %, 按期 1 → 50 %;
 *      5 + 18 + 15 + 20 = 58 → D.
 *  September: D1 and D2 each 立案 1, 结案 1 in time: 100·0.1 + 90·0.2 + 100·0.3 + 100·0.4 = 98 → A (tied: rank 1, 1).
 *  A: 应处置 2, 按期处置 1 → 50 %, 结案 2/2, 返工 0 → 100·0.1 + 100·0.3 + 50·0.3 + 100·0.3 = 85 → B.
 *  B: 应处置 2 (K3 + K4 overdue undisposed), 按期 1 → 50 %, 结案 1/2 → 50 %: 10 + 15 + 15 + 30 = 70 → C.
 *  City: 立案 4 vs 2, 结案 3 vs 2, 应结案 4 vs 2, 结案率 75 % vs 100 %, 按期结案率 50 % vs 100 %,
 *        处置 3 vs 2, 应处置 4 vs 2, 按期处置率 50 % vs 100 %.
 */
describe('statistics: rankings, thematic statistics and the monthly bulletin', () => {
  let t: TestApp;
  const cookie: Record<string, string> = {};
  let A: number;
  let B: number;
  let X: string;
  let Y: string;
  type Grid = { id: number; code: string; communityId: number; streetId: number; districtId: number };
  let G1: Grid;
  let G2: Grid;
  let caseNo = 0;
  const ids: Record<string, number> = {};

  const at = (local: string) => new Date(`${local.replace(' ', 'T')}:00+08:00`);
  const get = (who: string, url: string) => t.app.inject({ method: 'GET', url, headers: { cookie: cookie[who] as string } });

  type Ev = { action: string; phase: string; at: string; to: string; dept?: number; deadline?: string; onTime?: boolean };

  /** One case row and its log, written directly (the rollup trigger counts the log as it lands). */
  async function addCase(
    name: string,
    c: { grid: Grid; source: string; cls: string; dept: number; state: string; started: string; deadline: string; closedAt?: string },
    events: Ev[],
  ) {
    const created = at(events[0]?.at as string);
    const number = `S${String(++caseNo).padStart(12, '0')}`;
    const row = await sql<{ id: number }>`
      INSERT INTO case_file (number, source, workflow, kind, edition, class_code, geom, grid_id, community_id, street_id, district_id,
        state, phase, phase_started_at, department_id, disposal_started_at, disposal_deadline, closed_at, created_at, updated_at)
      SELECT ${number}, ${c.source}, 'standard', 'event', 'CJT214-2007', ${c.cls}, ST_PointOnSurface(r.geom),
        ${c.grid.id}, ${c.grid.communityId}, ${c.grid.streetId}, ${c.grid.districtId}, ${c.state}, 'dispose', ${created}, ${c.dept},
        ${at(c.started)}, ${at(c.deadline)}, ${c.closedAt ? at(c.closedAt) : null}, ${created}, ${created}
      FROM region r WHERE r.id = ${c.grid.id}
      RETURNING id`.execute(t.ctx.db);
    const id = Number(row.rows[0]?.id);
    let prev: string | null = null;
    let seq = 0;
    for (const e of events) {
      await sql`
        INSERT INTO case_event (case_id, seq, action, from_state, to_state, phase, actor_role, department_id,
          started_at, ended_at, deadline_at, on_time)
        VALUES (${id}, ${++seq}, ${e.action}, ${prev}, ${e.to}, ${e.phase}, 'handler', ${e.dept ?? null},
          ${at(e.at)}, ${at(e.at)}, ${e.deadline ? at(e.deadline) : null}, ${e.onTime ?? null})`.execute(t.ctx.db);
      prev = e.to;
    }
    ids[name] = id;
  }

  /** report (at `reported`), 核实 for public and hotline reports, 立案 and 派遣 ten minutes later. */
  const opening = (reported: string, dept: number, verify: boolean): Ev[] => {
    const day = reported.slice(0, 10);
    return [
      { action: 'report', phase: 'report', at: reported, to: 'reported' },
      ...(verify ? [{ action: 'verify', phase: 'verify', at: reported.replace(/\d\d:\d\d$/, '23:00'), to: 'accepted' }] : []),
      { action: 'register', phase: 'register', at: `${day} 23:10`, to: 'registered' },
      { action: 'dispatch', phase: 'dispatch', at: `${day} 23:20`, to: 'dispatched', dept },
    ];
  };
  const done = (fed: string, deadline: string, closed: string, dept: number): Ev[] => [
    { action: 'feedback', phase: 'dispose', at: fed, to: 'feedback', dept, deadline, onTime: at(fed) <= at(deadline) },
    { action: 'close', phase: 'close', at: closed, to: 'closed', dept },
  ];

  beforeAll(async () => {
    t = await createTestApp({ clock: () => at('2026-11-15 00:00') });
    for (const u of ['admin', 'leader', 'handler', 'inspector']) cookie[u] = await t.login(u);
    const handler = await t.ctx.db.selectFrom('person').select('departmentId').where('username', '=', 'handler').executeTakeFirstOrThrow();
    A = handler.departmentId as number;
    const other = await t.ctx.db
      .selectFrom('department')
      .select('id')
      .where('kind', '=', 'execution')
      .where('id', '<>', A)
      .orderBy('code')
      .executeTakeFirstOrThrow();
    B = other.id;
    const classes = await t.ctx.db
      .selectFrom('taxonomyClass')
      .select('code')
      .where('edition', '=', 'CJT214-2007')
      .where('kind', '=', 'event')
      .where('level', '=', 'minor')
      .orderBy('code')
      .limit(2)
      .execute();
    X = classes[0]?.code as string;
    Y = classes[1]?.code as string;
    const pair = await sql<{ g1: number; g2: number }>`
      SELECT a.id AS g1, b.id AS g2 FROM region a JOIN region b ON b.district_id <> a.district_id
      WHERE a.level = 'grid' AND b.level = 'grid' AND a.valid_to IS NULL AND b.valid_to IS NULL
      ORDER BY a.code, b.code LIMIT 1`.execute(t.ctx.db);
    const grid = async (id: number) =>
      (await t.ctx.db
        .selectFrom('region')
        .select(['id', 'code', 'communityId', 'streetId', 'districtId'])
        .where('id', '=', Number(id))
        .executeTakeFirstOrThrow()) as Grid;
    G1 = await grid(pair.rows[0]?.g1 as number);
    G2 = await grid(pair.rows[0]?.g2 as number);

    await addCase(
      'K1',
      {
        grid: G1,
        source: 'inspector',
        cls: X,
        dept: A,
        state: 'closed',
        started: '2026-10-05 23:20',
        deadline: '2026-10-06 12:00',
        closedAt: '2026-10-06 16:00',
      },
      [...opening('2026-10-05 09:10', A, false), ...done('2026-10-06 10:00', '2026-10-06 12:00', '2026-10-06 16:00', A)],
    );
    await addCase(
      'K2',
      {
        grid: G1,
        source: 'public',
        cls: X,
        dept: A,
        state: 'closed',
        started: '2026-10-08 23:20',
        deadline: '2026-10-09 12:00',
        closedAt: '2026-10-10 16:00',
      },
      [...opening('2026-10-08 14:20', A, true), ...done('2026-10-10 10:00', '2026-10-09 12:00', '2026-10-10 16:00', A)],
    );
    await addCase(
      'K3',
      {
        grid: G2,
        source: 'hotline',
        cls: Y,
        dept: B,
        state: 'closed',
        started: '2026-10-12 23:20',
        deadline: '2026-10-13 12:00',
        closedAt: '2026-10-13 16:00',
      },
      [...opening('2026-10-12 09:40', B, true), ...done('2026-10-13 10:00', '2026-10-13 12:00', '2026-10-13 16:00', B)],
    );
    await addCase(
      'K4',
      { grid: G2, source: 'inspector', cls: X, dept: B, state: 'dispatched', started: '2026-10-20 23:20', deadline: '2026-10-21 12:00' },
      opening('2026-10-20 20:05', B, false),
    );
    await addCase(
      'K5',
      {
        grid: G1,
        source: 'inspector',
        cls: Y,
        dept: A,
        state: 'closed',
        started: '2026-09-10 23:20',
        deadline: '2026-09-11 12:00',
        closedAt: '2026-09-11 16:00',
      },
      [...opening('2026-09-10 09:30', A, false), ...done('2026-09-11 10:00', '2026-09-11 12:00', '2026-09-11 16:00', A)],
    );
    await addCase(
      'K6',
      {
        grid: G2,
        source: 'inspector',
        cls: Y,
        dept: B,
        state: 'closed',
        started: '2026-09-15 23:20',
        deadline: '2026-09-16 12:00',
        closedAt: '2026-09-16 16:00',
      },
      [...opening('2026-09-15 10:00', B, false), ...done('2026-09-16 10:00', '2026-09-16 12:00', '2026-09-16 16:00', B)],
    );
  });
  afterAll(() => t?.close());

  it('finds the previous period: months by months, other ranges by days', () => {
    expect(previousPeriod({ from: '2026-10-01', to: '2026-11-01' })).toEqual({ from: '2026-09-01', to: '2026-10-01' });
    expect(previousPeriod({ from: '2026-01-01', to: '2026-04-01' })).toEqual({ from: '2025-10-01', to: '2026-01-01' });
    expect(previousPeriod({ from: '2026-01-01', to: '2027-01-01' })).toEqual({ from: '2025-01-01', to: '2026-01-01' });
    expect(previousPeriod({ from: '2026-10-05', to: '2026-10-12' })).toEqual({ from: '2026-09-28', to: '2026-10-05' });
    expect(monthDays('2026-12')).toEqual({ from: '2026-12-01', to: '2027-01-01' });
  });

  it('counts the reports of a period by class, grid, hour and source, beside the previous period', async () => {
    const res = await get('leader', '/api/statistics/thematic?from=2026-10-01&to=2026-11-01');
    expect(res.statusCode, res.body).toBe(200);
    const b = res.json();
    expect(b.previous).toEqual({ from: '2026-09-01', to: '2026-10-01' });
    expect(b.reports).toEqual({ value: 4, previous: 2, change: 2, ratio: 1 });
    expect(
      b.classes.map((c: { code: string; value: number; previous: number; ratio: number | null }) => [c.code, c.value, c.previous, c.ratio]),
    ).toEqual([
      [X, 3, 0, null],
      [Y, 1, 2, -0.5],
    ]);
    expect(b.classes[0].name).toBeTruthy();
    expect(b.classes[0].name).not.toBe(X);
    const grids = b.grids.map((g: { id: number; reports: number }) => [g.id, g.reports]);
    expect(grids).toHaveLength(2);
    expect(grids).toEqual(
      expect.arrayContaining([
        [G1.id, 2],
        [G2.id, 2],
      ]),
    );
    expect(typeof b.grids[0].lng).toBe('number');
    expect(b.grids[0].code).toBe([G1.code, G2.code].sort()[0]);
    expect(b.hours).toHaveLength(24);
    expect(b.hours.reduce((s: number, n: number) => s + n, 0)).toBe(4);
    expect([b.hours[9], b.hours[14], b.hours[20]]).toEqual([2, 1, 1]);
    expect(b.sources.map((s: { source: string; reports: number; previous: number }) => [s.source, s.reports, s.previous])).toEqual([
      ['inspector', 2, 2],
      ['hotline', 1, 0],
      ['public', 1, 0],
    ]);
    // top=1 keeps the first class only; a week's previous period is the week before.
    const one = (await get('leader', '/api/statistics/thematic?from=2026-10-01&to=2026-11-01&top=1')).json();
    expect(one.classes).toHaveLength(1);
    const week = (await get('leader', '/api/statistics/thematic?from=2026-10-05&to=2026-10-12')).json();
    expect(week.reports).toEqual({ value: 2, previous: 0, change: 2, ratio: null });
  });

  it('ranks districts by composite with grades and last month beside them', async () => {
    const res = await get('leader', '/api/statistics/rankings?object=district&from=2026-10-01&to=2026-11-01');
    expect(res.statusCode, res.body).toBe(200);
    const b = res.json();
    const [first, second, ...rest] = b.items;
    expect([first.id, first.rank, first.composite, first.previousRank, first.previousComposite.value]).toEqual([
      G1.districtId,
      1,
      { value: 73, grade: 'C', color: 'yellow' },
      1,
      98,
    ]);
    expect(first.indicators).toMatchObject({
      registered: 2,
      reportVerified: 1,
      reportRate: 0.5,
      closed: 2,
      closeRate: 1,
      onTimeCloseRate: 0.5,
    });
    expect(first.previousIndicators).toMatchObject({ registered: 1, closed: 1, closeRate: 1, onTimeCloseRate: 1 });
    expect([second.id, second.rank, second.composite, second.previousRank]).toEqual([
      G2.districtId,
      2,
      { value: 58, grade: 'D', color: 'red' },
      1,
    ]);
    expect(second.indicators).toMatchObject({ closed: 1, dueClose: 2, closeRate: 0.5 });
    // Districts without cases are listed after, unranked.
    for (const r of rest) expect([r.rank, r.composite.value]).toEqual([null, null]);
  });

  it('ranks departments the same way', async () => {
    const b = (await get('leader', '/api/statistics/rankings?object=department&from=2026-10-01&to=2026-11-01')).json();
    const top = b.items
      .slice(0, 2)
      .map((i: { id: number; rank: number; composite: { value: number; grade: string }; previousRank: number }) => [
        i.id,
        i.rank,
        i.composite.value,
        i.composite.grade,
        i.previousRank,
      ]);
    expect(top).toEqual([
      [A, 1, 85, 'B', 1],
      [B, 2, 70, 'C', 1],
    ]);
    // A handler sees their own department only; regions are the evaluation module's to refuse.
    const own = (await get('handler', '/api/statistics/rankings?object=department&from=2026-10-01&to=2026-11-01')).json();
    expect(own.items.map((i: { id: number }) => i.id)).toEqual([A]);
    expect((await get('handler', '/api/statistics/rankings?object=street&from=2026-10-01&to=2026-11-01')).statusCode).toBe(403);
  });

  it('ranks the people of a position (岗位) from the evaluation positions', async () => {
    const res = await get('leader', '/api/statistics/rankings?object=shiftlead&from=2026-10-01&to=2026-11-01');
    expect(res.statusCode, res.body).toBe(200);
    const b = res.json();
    expect(b.object).toBe('shiftlead');
    const lead = b.items.find((i: { code: string }) => i.code === 'shiftlead');
    expect(lead).toBeTruthy();
    expect(Object.keys(lead.indicators)).toEqual(expect.arrayContaining(['registered', 'onTimeRegisterRate', 'accurateRegisterRate']));
    const x = await get('leader', '/api/statistics/rankings.xlsx?object=shiftlead&from=2026-10-01&to=2026-11-01');
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(x.rawPayload as unknown as ArrayBuffer);
    const head = ((wb.worksheets[0] as ExcelJS.Worksheet).getRow(1).values as unknown[]).slice(1);
    expect((wb.worksheets[0] as ExcelJS.Worksheet).name).toBe('值班长排名');
    expect(head).toEqual(expect.arrayContaining(['按时立案率 (%)', '准确立案率 (%)', '按时结案率 (%)']));
    expect((await get('handler', '/api/statistics/rankings?object=inspector&from=2026-10-01&to=2026-11-01')).statusCode).toBe(403);
  });

  it('assembles the monthly bulletin: totals, rates and changes, rankings, worst classes, hot grids', async () => {
    const res = await get('leader', '/api/statistics/bulletin?month=2026-10');
    expect(res.statusCode, res.body).toBe(200);
    const b = res.json();
    expect([b.from, b.to, b.previous]).toEqual(['2026-10-01', '2026-11-01', { from: '2026-09-01', to: '2026-10-01' }]);
    const pair = (k: string) => [b.totals[k].value, b.totals[k].previous];
    expect(pair('reports')).toEqual([4, 2]);
    expect(pair('registered')).toEqual([4, 2]);
    expect(pair('closed')).toEqual([3, 2]);
    expect(pair('dueClose')).toEqual([4, 2]);
    expect(pair('closeRate')).toEqual([0.75, 1]);
    expect(b.totals.closeRate.change).toBeCloseTo(-0.25, 10);
    expect(pair('onTimeCloseRate')).toEqual([0.5, 1]);
    expect(pair('disposed')).toEqual([3, 2]);
    expect(pair('dueDisposal')).toEqual([4, 2]);
    expect(pair('onTimeDisposalRate')).toEqual([0.5, 1]);
    expect(pair('overdueUndisposed')).toEqual([1, 0]);
    expect(b.totals.registered).toMatchObject({ change: 2, ratio: 1 });
    expect(b.rankings.districts.slice(0, 2).map((r: { id: number; composite: { grade: string } }) => [r.id, r.composite.grade])).toEqual([
      [G1.districtId, 'C'],
      [G2.districtId, 'D'],
    ]);
    expect(b.rankings.streets.slice(0, 2).map((r: { composite: { value: number } }) => r.composite.value)).toEqual([73, 58]);
    expect(b.rankings.departments.slice(0, 2).map((r: { id: number }) => r.id)).toEqual([A, B]);
    expect(b.worstClasses.map((c: { code: string }) => c.code)).toEqual([X, Y]);
    expect(b.hotGrids).toHaveLength(2);
    // A department's people are held to their own department: the city-wide bulletin is refused.
    expect((await get('handler', '/api/statistics/bulletin?month=2026-10')).statusCode).toBe(403);
    // The inspector has no evaluation access at all.
    expect((await get('inspector', '/api/statistics/bulletin?month=2026-10')).statusCode).toBe(403);
  });

  it("narrows a department's thematic statistics to its cases", async () => {
    const b = (await get('handler', '/api/statistics/thematic?from=2026-10-01&to=2026-11-01')).json();
    expect([b.departmentId, b.reports.value, b.reports.previous]).toEqual([A, 2, 1]);
  });

  it('exports the ranking and the bulletin as Excel workbooks', async () => {
    const res = await get('leader', '/api/statistics/rankings.xlsx?object=district&from=2026-10-01&to=2026-11-01');
    expect(res.statusCode, res.body).toBe(200);
    expect(res.headers['content-type']).toContain('spreadsheetml');
    expect(res.headers['content-disposition']).toBe('attachment; filename="ranking-district-2026-10-01-2026-11-01.xlsx"');
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(res.rawPayload as unknown as ArrayBuffer);
    const ws = wb.worksheets[0] as ExcelJS.Worksheet;
    expect(ws.name).toBe('区排名');
    const head = (ws.getRow(1).values as unknown[]).slice(1);
    expect(head.slice(0, 8)).toEqual(['排名', '上期排名', '编码', '区', '等级', '综合指标值', '上期综合指标值', '环比变化']);
    const row = (ws.getRow(2).values as unknown[]).slice(1);
    expect([row[0], row[1], row[4], row[5], row[6], row[7]]).toEqual([1, 1, 'C', 73, 98, -25]);
    expect(row[head.indexOf('结案率 (%)')]).toBe(100);
    expect(row[head.indexOf('按期结案率 (%)')]).toBe(50);

    const bx = await get('leader', '/api/statistics/bulletin.xlsx?month=2026-10');
    expect(bx.statusCode, bx.body).toBe(200);
    const wb2 = new ExcelJS.Workbook();
    await wb2.xlsx.load(bx.rawPayload as unknown as ArrayBuffer);
    expect(wb2.worksheets.map((w) => w.name)).toEqual(['总体情况', '区排名', '街道排名', '部门排名', '高发问题', '热点网格', '案件来源']);
    const totals = wb2.getWorksheet('总体情况') as ExcelJS.Worksheet;
    const rows = new Map<string, unknown[]>();
    totals.eachRow((r) => {
      const v = (r.values as unknown[]).slice(1);
      rows.set(String(v[0]), v);
    });
    expect(rows.get('上报数')).toEqual([`上报数`, 4, 2, 2, 100]);
    expect(rows.get('结案率 (%)')?.slice(1, 4)).toEqual([75, 100, -25]);
    const classes = wb2.getWorksheet('高发问题') as ExcelJS.Worksheet;
    expect((classes.getRow(2).values as unknown[]).slice(1)).toEqual([X, expect.any(String), 3, 0]);
    const en = await get('leader', '/api/statistics/bulletin.xlsx?month=2026-10&lang=en');
    const wb3 = new ExcelJS.Workbook();
    await wb3.xlsx.load(en.rawPayload as unknown as ArrayBuffer);
    expect(wb3.worksheets[0]?.name).toBe('Totals');
  });

  it('refuses bad input', async () => {
    expect((await get('leader', '/api/statistics/thematic?from=2026-11-01&to=2026-10-01')).json().error).toBe('evaluation_period_invalid');
    expect((await get('leader', '/api/statistics/bulletin?month=2026-13')).statusCode).toBe(400);
    expect((await get('leader', '/api/statistics/rankings?object=planet&from=2026-10-01&to=2026-11-01')).statusCode).toBe(400);
    expect((await get('leader', '/api/statistics/thematic?from=2026-10-01&to=2026-11-01&top=0')).statusCode).toBe(400);
  });
});
