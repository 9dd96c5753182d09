import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../../test/helpers.ts';
import { DEFAULT_EVALUATION_CONFIG } from './evaluation.config.ts';

/**
 * Hand-computed fixtures: small case logs written straight into case_file and case_event on
 * the small demo city, and every indicator and composite checked against numbers worked out
 * by hand (the arithmetic is in the comments). Times are local (Asia/Shanghai, +08:00).
 *
 * Objects: departments A (the demo handler's), B and C (no cases); grids G1 and G2 of one
 * street S (G1 in community C1, G2 in community C2), and a grid G3 with no cases.
 *
 * The cases (→ what they contribute in October 2026, attribution by completion):
 *  K1  inspector, G1, A: dispatched, fed back in time, closed 10-12.        disposed A ✓, closed A ✓
 *  K2  public, G1, A: 核实 10-13, fed back in time, 返工 (check_fail), fed back late, closed 10-14.
 *                                               reportVerified G1, disposed A ✓ ✗, rework A, closed A ✗
 *  K3  hotline, G2, A: 核实, 延期 approved 10-15, fed back within the extended deadline, closed 10-16.
 *                                               reportVerified G2, postponed A, disposed A ✓, closed A ✓
 *  K4  inspector, G2, B: 挂账 10-19 → resumed 10-22 (deadline moved to 10-22 15:20), fed back late
 *      10-22 16:00, still being checked on 11-01.     suspended B, disposed B ✗, overdueOpen B/G2
 *  K5  inspector, G1: dispatched to B, 回退 approved 10-20, re-dispatched to A, fed back, closed.
 *                                               returned B, disposed A ✓, closed A ✓
 *  K6  inspector, G1, A: dispatched 10-26, deadline 10-26 15:20, still in hand on 11-01.
 *                                               overdueOpen A/G1, overdueUndisposed A
 *  K7  inspector, G2, B: created and fed back late in September, closed 10-09 (crosses the period).
 *                                               closed B ✗ (October); disposed B ✗, overdueOpen B (September)
 *  K8  inspector, G1, B: dispatched 09-30 16:00 with 4 工作时; the National Day holiday puts the
 *      deadline at 10-08 10:00. Fed back 10-08 09:30, closed 10-08 11:00.  disposed B ✓, closed B ✓;
 *      in September it is neither disposed nor overdue (a natural-hours clock would make it overdue).
 *  K9  flattened, G2, A: auto 立案/派遣 (system, untimed), fed back in time, 返工 by the shift
 *      leader (close_reject), fed back late, closed 10-28.  disposed A ✓ ✗, rework A, closed A ✗
 *  K10 inspector, G1, self-handled (自处理) and approved: counted nowhere.
 *  K11 urgent, G1, A: registered 10-31 22:10, fed back exactly at 11-01 00:00 (the period's end,
 *      excluded), deadline 11-01 00:20: registered G1 in October, not overdue at its end.
 */
describe('evaluation: hand-computed fixtures', () => {
  let t: TestApp;
  const cookie: Record<string, string> = {};
  let A: number;
  let B: number;
  let C: number;
  let G1: { id: number; communityId: number; streetId: number; districtId: number };
  let G2: { id: number; communityId: number; streetId: number; districtId: number };
  let G3: number;
  const ids: Record<string, number> = {};
  const numbers: Record<string, string> = {};

  const at = (local: string) => new Date(`${local.replace(' ', 'T')}:00+08:00`);
  const NOV_15 = at('2026-11-15 00:00');

  type Ev = {
    action: string;
    phase: string;
    at: string;
    to: string;
    dept?: number | null;
    start?: string;
    deadline?: string;
    onTime?: boolean | null;
    role?: string;
  };

  /** One case_file row and its log, written directly (no workflow engine). */
  async function addCase(
    name: string,
    c: {
      grid: typeof G1;
      source: string;
      workflow?: string;
      state: string;
      dept: number | null;
      disposalStarted?: string;
      disposalDeadline?: string;
      closedAt?: string;
      selfHandled?: boolean;
    },
    events: Ev[],
  ) {
    const created = at(events[0]?.at as string);
    const number = `E${String(Object.keys(ids).length + 1).padStart(12, '0')}`;
    const row = await sql<{ id: number }>`
      INSERT INTO case_file (number, source, workflow, kind, edition, class_code, geom, grid_id, community_id, street_id, district_id,
        state, phase, phase_started_at, department_id, disposal_limit, disposal_started_at, disposal_deadline, self_handled,
        closed_at, created_at, updated_at)
      SELECT ${number}, ${c.source}, ${c.workflow ?? 'standard'}, 'event', 'CJT214-2007', '0101', ST_PointOnSurface(r.geom),
        ${c.grid.id}, ${c.grid.communityId}, ${c.grid.streetId}, ${c.grid.districtId}, ${c.state}, 'dispose', ${created}, ${c.dept},
        ${JSON.stringify({ value: 4, unit: 'hour', timeType: 'work' })}::jsonb,
        ${c.disposalStarted ? at(c.disposalStarted) : null}, ${c.disposalDeadline ? at(c.disposalDeadline) : null},
        ${c.selfHandled ?? false}, ${c.closedAt ? at(c.closedAt) : null}, ${created}, ${created}
      FROM region r WHERE r.id = ${c.grid.id}
      RETURNING id`.execute(t.ctx.db);
    const id = Number(row.rows[0]?.id);
    let prev: string | null = null;
    let seq = 0;
    for (const e of events) {
      seq++;
      await sql`
        INSERT INTO case_event (case_id, seq, action, from_state, to_state, phase, actor_role, department_id,
          started_at, ended_at, deadline_at, time_type, on_time)
        VALUES (${id}, ${seq}, ${e.action}, ${prev}, ${e.to}, ${e.phase}, ${e.role ?? 'handler'}, ${e.dept ?? null},
          ${at(e.start ?? e.at)}, ${at(e.at)}, ${e.deadline ? at(e.deadline) : null}, ${e.deadline ? 'work' : null},
          ${e.onTime ?? null})`.execute(t.ctx.db);
      prev = e.to;
    }
    ids[name] = id;
    numbers[name] = number;
  }

  /** The standard opening: report, (核实,) 立案, 派遣 to `dept` at 09:50 within the 派遣 phase deadline. */
  const opening = (day: string, dept: number, dispatchDeadline: string, source = 'inspector'): Ev[] => [
    { action: 'report', phase: 'report', at: `${day} 09:00`, to: 'reported', role: source === 'inspector' ? 'inspector' : 'acceptor' },
    ...(source === 'inspector'
      ? []
      : [
          { action: 'send_verify', phase: 'receive', at: `${day} 09:05`, to: 'verifying', role: 'acceptor' },
          { action: 'verify', phase: 'verify', at: `${day} 09:30`, to: 'accepted', role: 'inspector' },
        ]),
    { action: 'register', phase: 'register', at: `${day} 09:40`, to: 'registered', role: 'shiftlead' },
    {
      action: 'dispatch',
      phase: 'dispatch',
      at: `${day} 09:50`,
      to: 'dispatched',
      role: 'dispatcher',
      dept,
      start: `${day} 09:40`,
      deadline: dispatchDeadline,
      onTime: true,
    },
  ];
  const fb = (atLocal: string, dept: number, start: string, deadline: string): Ev => ({
    action: 'feedback',
    phase: 'dispose',
    at: atLocal,
    to: 'feedback',
    dept,
    start,
    deadline,
    onTime: at(atLocal) <= at(deadline),
  });
  const close = (atLocal: string, dept: number): Ev[] => [
    { action: 'check_pass', phase: 'check', at: atLocal.replace(/\d\d:\d\d$/, '08:30'), to: 'to_close', role: 'inspector', dept },
    { action: 'close', phase: 'close', at: atLocal, to: 'closed', role: 'shiftlead', dept },
  ];

  beforeAll(async () => {
    t = await createTestApp({ clock: () => NOV_15 });
    for (const u of ['admin', 'handler', 'leader']) cookie[u] = await t.login(u);
    const handler = await t.ctx.db.selectFrom('person').select('departmentId').where('username', '=', 'handler').executeTakeFirstOrThrow();
    A = handler.departmentId as number;
    const others = await t.ctx.db
      .selectFrom('department')
      .select('id')
      .where('kind', '=', 'execution')
      .where('id', '<>', A)
      .orderBy('code')
      .limit(2)
      .execute();
    B = others[0]?.id as number;
    C = others[1]?.id as number;
    // A street with two communities, a grid in each, and a third grid elsewhere.
    const pair = await sql<{ g1: number; g2: number }>`
      SELECT a.id AS g1, b.id AS g2 FROM region a JOIN region b ON b.street_id = a.street_id AND b.community_id <> a.community_id
      WHERE a.level = 'grid' AND b.level = 'grid' AND a.valid_to IS NULL AND b.valid_to IS NULL
      ORDER BY a.code, b.code LIMIT 1`.execute(t.ctx.db);
    const { g1, g2 } = pair.rows[0] as { g1: number; g2: number };
    const grid = async (id: number) => {
      const r = await t.ctx.db
        .selectFrom('region')
        .select(['id', 'communityId', 'streetId', 'districtId'])
        .where('id', '=', id)
        .executeTakeFirstOrThrow();
      return r as typeof G1;
    };
    G1 = await grid(Number(g1));
    G2 = await grid(Number(g2));
    const g3 = await t.ctx.db
      .selectFrom('region')
      .select('id')
      .where('level', '=', 'grid')
      .where('validTo', 'is', null)
      .where('streetId', '<>', G1.streetId)
      .limit(1)
      .executeTakeFirstOrThrow();
    G3 = g3.id;

    // K1: in time throughout.
    await addCase(
      'K1',
      {
        grid: G1,
        source: 'inspector',
        state: 'closed',
        dept: A,
        disposalStarted: '2026-10-12 09:50',
        disposalDeadline: '2026-10-12 15:50',
        closedAt: '2026-10-13 09:00',
      },
      [
        ...opening('2026-10-12', A, '2026-10-12 10:20'),
        fb('2026-10-12 11:00', A, '2026-10-12 09:50', '2026-10-12 15:50'),
        ...close('2026-10-13 09:00', A),
      ],
    );
    // K2: public report, 核实, 返工; the second disposal (clock restarted at check_fail) is late.
    await addCase(
      'K2',
      {
        grid: G1,
        source: 'public',
        state: 'closed',
        dept: A,
        disposalStarted: '2026-10-13 15:00',
        disposalDeadline: '2026-10-14 11:00',
        closedAt: '2026-10-14 16:00',
      },
      [
        ...opening('2026-10-13', A, '2026-10-13 10:20', 'public'),
        fb('2026-10-13 14:00', A, '2026-10-13 09:50', '2026-10-13 15:50'),
        { action: 'send_check', phase: 'check', at: '2026-10-13 14:10', to: 'checking', role: 'acceptor', dept: A },
        { action: 'check_fail', phase: 'check', at: '2026-10-13 15:00', to: 'dispatched', role: 'inspector', dept: A },
        fb('2026-10-14 12:00', A, '2026-10-13 15:00', '2026-10-14 11:00'),
        ...close('2026-10-14 16:00', A),
      ],
    );
    // K3: hotline report, 延期 approved: the deadline moves from 10-15 15:50 to 10-16 15:50.
    await addCase(
      'K3',
      {
        grid: G2,
        source: 'hotline',
        state: 'closed',
        dept: A,
        disposalStarted: '2026-10-15 09:50',
        disposalDeadline: '2026-10-16 15:50',
        closedAt: '2026-10-16 17:00',
      },
      [
        ...opening('2026-10-15', A, '2026-10-15 10:20', 'hotline'),
        { action: 'postpone_request', phase: 'dispose', at: '2026-10-15 11:00', to: 'handling', dept: A },
        { action: 'postpone_approve', phase: 'dispose', at: '2026-10-15 11:30', to: 'handling', role: 'dispatcher', dept: A },
        fb('2026-10-16 10:00', A, '2026-10-15 09:50', '2026-10-16 15:50'),
        ...close('2026-10-16 17:00', A),
      ],
    );
    // K4: 挂账 10-19 10:00 → resumed 10-22 10:00, deadline 10-22 15:20; fed back late, not closed.
    await addCase(
      'K4',
      {
        grid: G2,
        source: 'inspector',
        state: 'checking',
        dept: B,
        disposalStarted: '2026-10-19 09:50',
        disposalDeadline: '2026-10-22 15:20',
      },
      [
        ...opening('2026-10-19', B, '2026-10-19 10:20'),
        { action: 'suspend_request', phase: 'dispose', at: '2026-10-19 09:55', to: 'handling', dept: B },
        { action: 'suspend_approve', phase: 'suspend', at: '2026-10-19 10:00', to: 'suspended', role: 'dispatcher', dept: B },
        { action: 'resume', phase: 'suspend', at: '2026-10-22 10:00', to: 'handling', role: 'dispatcher', dept: B },
        fb('2026-10-22 16:00', B, '2026-10-19 09:50', '2026-10-22 15:20'),
        { action: 'send_check', phase: 'check', at: '2026-10-22 16:10', to: 'checking', role: 'acceptor', dept: B },
      ],
    );
    // K5: dispatched to B, 回退 approved (logged with B), re-dispatched to A.
    await addCase(
      'K5',
      {
        grid: G1,
        source: 'inspector',
        state: 'closed',
        dept: A,
        disposalStarted: '2026-10-20 11:00',
        disposalDeadline: '2026-10-20 17:00',
        closedAt: '2026-10-21 09:30',
      },
      [
        ...opening('2026-10-20', B, '2026-10-20 10:20'),
        { action: 'return_request', phase: 'dispose', at: '2026-10-20 10:00', to: 'dispatched', dept: B },
        { action: 'return_approve', phase: 'dispatch', at: '2026-10-20 10:30', to: 'registered', role: 'dispatcher', dept: B },
        { action: 'dispatch', phase: 'dispatch', at: '2026-10-20 11:00', to: 'dispatched', role: 'dispatcher', dept: A },
        fb('2026-10-20 16:00', A, '2026-10-20 11:00', '2026-10-20 17:00'),
        ...close('2026-10-21 09:30', A),
      ],
    );
    // K6: overdue and still in hand.
    await addCase(
      'K6',
      {
        grid: G1,
        source: 'inspector',
        state: 'handling',
        dept: A,
        disposalStarted: '2026-10-26 09:50',
        disposalDeadline: '2026-10-26 15:20',
      },
      [
        ...opening('2026-10-26', A, '2026-10-26 10:20'),
        {
          action: 'sign',
          phase: 'dispose',
          at: '2026-10-26 10:00',
          to: 'handling',
          dept: A,
          start: '2026-10-26 09:50',
          deadline: '2026-10-26 15:20',
          onTime: true,
        },
      ],
    );
    // K7: September case, fed back late in September, closed in October.
    await addCase(
      'K7',
      {
        grid: G2,
        source: 'inspector',
        state: 'closed',
        dept: B,
        disposalStarted: '2026-09-28 09:50',
        disposalDeadline: '2026-09-28 15:20',
        closedAt: '2026-10-09 10:00',
      },
      [
        ...opening('2026-09-28', B, '2026-09-28 10:20'),
        fb('2026-09-29 10:00', B, '2026-09-28 09:50', '2026-09-28 15:20'),
        ...close('2026-10-09 10:00', B),
      ],
    );
    // K8: dispatched 09-30 16:00; the deadline (4 工作时 over the holiday) is checked below.
    await addCase(
      'K8',
      {
        grid: G1,
        source: 'inspector',
        state: 'closed',
        dept: B,
        disposalStarted: '2026-09-30 16:00',
        disposalDeadline: '2026-10-08 10:00',
        closedAt: '2026-10-08 11:00',
      },
      [
        { action: 'report', phase: 'report', at: '2026-09-30 15:30', to: 'reported', role: 'inspector' },
        { action: 'register', phase: 'register', at: '2026-09-30 15:45', to: 'registered', role: 'shiftlead' },
        { action: 'dispatch', phase: 'dispatch', at: '2026-09-30 16:00', to: 'dispatched', role: 'dispatcher', dept: B },
        fb('2026-10-08 09:30', B, '2026-09-30 16:00', '2026-10-08 10:00'),
        { action: 'check_pass', phase: 'check', at: '2026-10-08 10:30', to: 'to_close', role: 'inspector', dept: B },
        { action: 'close', phase: 'close', at: '2026-10-08 11:00', to: 'closed', role: 'shiftlead', dept: B },
      ],
    );
    // K9: flattened loop; automatic steps are the system's and untimed; close_reject is 返工 and
    // does not restart the disposal clock, so the second feedback is late.
    await addCase(
      'K9',
      {
        grid: G2,
        source: 'inspector',
        workflow: 'flattened',
        state: 'closed',
        dept: A,
        disposalStarted: '2026-10-27 09:00',
        disposalDeadline: '2026-10-27 13:00',
        closedAt: '2026-10-28 09:00',
      },
      [
        { action: 'report', phase: 'report', at: '2026-10-27 09:00', to: 'reported', role: 'inspector' },
        { action: 'auto_register', phase: 'register', at: '2026-10-27 09:00', to: 'registered', role: 'system' },
        { action: 'auto_dispatch', phase: 'dispatch', at: '2026-10-27 09:00', to: 'dispatched', role: 'system', dept: A },
        { ...fb('2026-10-27 12:00', A, '2026-10-27 09:00', '2026-10-27 13:00'), to: 'to_close' },
        { action: 'close_reject', phase: 'close', at: '2026-10-27 14:00', to: 'handling', role: 'shiftlead', dept: A },
        { ...fb('2026-10-27 16:00', A, '2026-10-27 09:00', '2026-10-27 13:00'), to: 'to_close' },
        { action: 'close', phase: 'close', at: '2026-10-28 09:00', to: 'closed', role: 'shiftlead', dept: A },
      ],
    );
    // K10: self-handled by the inspector, approved by the acceptor.
    await addCase('K10', { grid: G1, source: 'inspector', state: 'closed', dept: null, closedAt: '2026-10-12 10:00', selfHandled: true }, [
      { action: 'report', phase: 'report', at: '2026-10-12 09:30', to: 'self_review', role: 'inspector' },
      { action: 'self_approve', phase: 'close', at: '2026-10-12 10:00', to: 'closed', role: 'acceptor' },
    ]);
    // K11: urgent, fed back exactly at the period's end.
    await addCase(
      'K11',
      {
        grid: G1,
        source: 'inspector',
        state: 'feedback',
        dept: A,
        disposalStarted: '2026-10-31 22:20',
        disposalDeadline: '2026-11-01 00:20',
      },
      [
        { action: 'report', phase: 'report', at: '2026-10-31 22:00', to: 'reported', role: 'inspector' },
        { action: 'register', phase: 'register', at: '2026-10-31 22:10', to: 'registered', role: 'shiftlead' },
        { action: 'dispatch', phase: 'dispatch', at: '2026-10-31 22:20', to: 'dispatched', role: 'dispatcher', dept: A },
        fb('2026-11-01 00:00', A, '2026-10-31 22:20', '2026-11-01 00:20'),
      ],
    );
  });
  afterAll(() => t.close());

  const get = async (url: string, who = 'leader') => {
    const res = await t.app.inject({ method: 'GET', url, headers: { cookie: cookie[who] as string } });
    return res;
  };
  const departments = async (query: string) => {
    const res = await get(`/api/evaluation/departments?${query}`);
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json();
    const by = (id: number) => body.items.find((x: { department: { id: number } }) => x.department.id === id);
    return { body, A: by(A), B: by(B), C: by(C) };
  };
  const regions = async (level: string, query: string) => {
    const res = await get(`/api/evaluation/regions?level=${level}&${query}`);
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json();
    return (id: number) => body.items.find((x: { region: { id: number } }) => x.region.id === id);
  };

  it('K8: 4 工作时 from 09-30 16:00 end at 10-08 10:00 (国庆 holiday 10-01..10-07)', async () => {
    // 16:00–18:00 on 09-30 = 2 h; 10-01..10-07 are holidays (国庆); 10-08 (Thursday) 08:00–10:00 = 2 h.
    const d = await t.ctx.services.calendar.deadline(at('2026-09-30 16:00'), { value: 4, unit: 'hour', timeType: 'work' });
    expect(d.toISOString()).toBe(at('2026-10-08 10:00').toISOString());
  });

  it('department indicators for October 2026, attributed by completion', async () => {
    const { body, A: a, B: b, C: c } = await departments('from=2026-10-01&to=2026-11-01');
    expect(body).toMatchObject({ attribution: 'completed', configVersion: 2 });
    // Period bounds: local midnights; open cases are looked at as of the period's end.
    expect(body.start).toBe('2026-09-30T16:00:00.000Z');
    expect(body.end).toBe('2026-10-31T16:00:00.000Z');
    expect(body.asOf).toBe('2026-10-31T16:00:00.000Z');

    // A. disposed = feedbacks K1 ✓, K2 ✓ ✗, K3 ✓, K5 ✓, K9 ✓ ✗ = 7 (K11's ends at 11-01 00:00: outside);
    // on time 5, late 2; overdue undisposed = K6 = 1; 应处置 = 7 + 1 = 8.
    // closed = K1, K2, K3, K5, K9 = 5; overdue open = K6 = 1; 应结案 = 6.
    // rework = K2 check_fail + K9 close_reject = 2; postponed = K3 = 1.
    expect(a.indicators).toEqual({
      dueDisposal: 8,
      disposed: 7,
      disposalRate: 7 / 8, // 0.875
      disposedOnTime: 5,
      onTimeDisposalRate: 5 / 8, // 0.625
      disposedLate: 2,
      overdueUndisposed: 1,
      rework: 2,
      reworkRate: 2 / 6, // 返工数 / 应结案数
      postponed: 1,
      suspended: 0,
      returned: 0,
      closed: 5,
      dueClose: 6,
      closeRate: 5 / 6,
      // 超期处置倍数 over the two late feedbacks, in working minutes (08–12, 14–18):
      // K2: clock 10-13 15:00, deadline 10-14 11:00 → limit 180 + 180 = 360; fed back 10-14 12:00 → 180 + 240 = 420: 7/6.
      // K9: clock 10-27 09:00, deadline 13:00 → limit 180 (lunch not counted); fed back 16:00 → 180 + 120 = 300: 5/3.
      overdueMultiple: expect.closeTo(7 / 6 + 5 / 3, 12),
    });
    // Composite A: 案件数 8 ≤ 50 → 100 × 10 % = 10; 结案率 83.33 × 30 % = 25; 按期处置率 62.5 × 30 % = 18.75;
    // (100 − 返工率 33.33) = 66.67 × 30 % = 20 → 10 + 25 + 18.75 + 20 = 73.75 → C (60 ≤ x < 75), yellow.
    expect(a.composite).toMatchObject({ value: 73.75, grade: 'C', color: 'yellow' });
    expect(a.composite.terms.map((x: { score: number }) => x.score)).toEqual([100, (5 / 6) * 100, 62.5, 100 - (2 / 6) * 100]);

    // B. disposed = K4 ✗ (10-22), K8 ✓ (10-08) = 2 (K7's feedback was in September); overdue undisposed 0
    // (K4 was fed back); 应处置 = 2. closed = K7 (10-09), K8 (10-08) = 2; overdue open = K4 (10-22 15:20,
    // not closed) = 1; 应结案 = 3. suspended = K4, returned = K5.
    expect(b.indicators).toEqual({
      dueDisposal: 2,
      disposed: 2,
      disposalRate: 1,
      disposedOnTime: 1,
      onTimeDisposalRate: 0.5,
      disposedLate: 1,
      overdueUndisposed: 0,
      rework: 0,
      reworkRate: 0,
      postponed: 0,
      suspended: 1,
      returned: 1,
      closed: 2,
      dueClose: 3,
      closeRate: 2 / 3,
      // K4: clock 10-19 09:50, deadline 10-22 15:20 (no pauses recorded on the row) → limit 130 + 240 + 480 + 480
      // + 240 + 80 = 1650 working minutes; fed back 16:00 → 1690: 1690 / 1650.
      overdueMultiple: expect.closeTo(1690 / 1650, 12),
    });
    // Composite B: 100 × 10 % + 66.67 × 30 % + 50 × 30 % + (100 − 0) × 30 % = 10 + 20 + 15 + 30 = 75 → B (75 ≤ x < 90).
    expect(b.composite).toMatchObject({ value: 75, grade: 'B', color: 'blue' });

    // C: no cases. Every rate has a zero denominator → null (not 0, not 1); the composite has no rate
    // term left, so it is not applicable either.
    expect(c.indicators).toMatchObject({ dueDisposal: 0, disposalRate: null, onTimeDisposalRate: null, reworkRate: null, closeRate: null });
    expect(c.composite).toMatchObject({ value: null, grade: null });
  });

  it('department indicators for September 2026: the holiday keeps K8 from being overdue', async () => {
    const { A: a, B: b } = await departments('from=2026-09-01&to=2026-10-01');
    // B. disposed = K7 ✗ (09-29) = 1; K8's deadline is 10-08 10:00, after the period's end (10-01 00:00), so it
    // is not overdue: overdue undisposed 0, 应处置 = 1. closed 0; K7 open at 10-01 past 09-28 15:20 → 应结案 = 1.
    expect(b.indicators).toMatchObject({
      dueDisposal: 1,
      disposed: 1,
      disposedOnTime: 0,
      disposedLate: 1,
      overdueUndisposed: 0,
      disposalRate: 1,
      onTimeDisposalRate: 0,
      closed: 0,
      dueClose: 1,
      closeRate: 0,
      reworkRate: 0,
    });
    // 案件数 1 ≤ 50 → 100 × 10 % = 10; 结案率 0; 按期处置率 0; (100 − 返工率 0) × 30 % = 30 → 40 → D.
    expect(b.composite).toMatchObject({ value: 40, grade: 'D' });
    // K7: clock 09-28 09:50, deadline 15:20 → limit 130 + 80 = 210; fed back 09-29 10:00 → 130 + 240 + 120 = 490: 7/3.
    expect(b.indicators.overdueMultiple).toBeCloseTo(7 / 3, 12);
    // A had nothing in September.
    expect(a.indicators).toMatchObject({ dueDisposal: 0, disposalRate: null, closeRate: null });
  });

  it('attribution by creation time counts October-created cases only, followed up to now', async () => {
    const { body, B: b } = await departments('from=2026-10-01&to=2026-11-01&attribution=created');
    expect(body.attribution).toBe('created');
    expect(body.asOf).toBe(NOV_15.toISOString());
    // B: of the cases created in October only K4 (disposed ✗, open overdue), K5 (returned) are B's;
    // K7, K8 were created in September. 应处置 = 1, 处置 1, 按期 0; 结案 0, 应结案 = 0 + 1.
    expect(b.indicators).toMatchObject({
      disposed: 1,
      disposedOnTime: 0,
      dueDisposal: 1,
      closed: 0,
      dueClose: 1,
      closeRate: 0,
      returned: 1,
      suspended: 1,
    });
    // 100 × 10 % + 0 × 30 % + 0 × 30 % + (100 − 0) × 30 % = 40 → D.
    expect(b.composite).toMatchObject({ value: 40, grade: 'D', color: 'red' });
    // A: as by completion, plus K11's feedback (11-01 00:00, before now, on time): disposed 8, on time 6;
    // K6 still overdue → 应处置 9. K11 is not closed and its deadline 11-01 00:20 has passed → 应结案 5 + 2 = 7.
    const { A: a } = await departments('from=2026-10-01&to=2026-11-01&attribution=created');
    expect(a.indicators).toMatchObject({ disposed: 8, disposedOnTime: 6, dueDisposal: 9, overdueUndisposed: 1, closed: 5, dueClose: 7 });
  });

  it('region indicators for October 2026 at every level, and totals that add up', async () => {
    const grids = await regions('grid', 'from=2026-10-01&to=2026-11-01');
    // G1: cases K1, K2, K5, K6, K8, K10, K11. 监督举报 = K2 (public, 核实) = 1. 立案 = K1, K2, K5, K6, K11 = 5
    // (K8 was registered in September; K10 self-handled, never registered). 结案 = K1 ✓, K2 ✗, K5 ✓, K8 ✓ = 4,
    // 按期 3. Open past deadline at 11-01 00:00: K6 (K11's deadline is 00:20) = 1 → 应结案 5.
    expect(grids(G1.id).indicators).toEqual({
      reportVerified: 1,
      reportRate: 1 / 5,
      registered: 5,
      closed: 4,
      dueClose: 5,
      closeRate: 4 / 5,
      closedOnTime: 3,
      onTimeCloseRate: 3 / 5,
    });
    // Composite G1 (一类): (100 − 20) × 10 % = 8; 立案数 5 (< 7) → 60 × 20 % = 12; 80 × 30 % = 24; 60 × 40 % = 24
    // → 68 → C.
    expect(grids(G1.id).composite).toMatchObject({ value: 68, grade: 'C' });

    // G2: K3, K4, K7, K9. 监督举报 = K3 (hotline) = 1. 立案 = K3, K4, K9 (auto) = 3. 结案 = K3 ✓, K7 ✗, K9 ✗ = 3,
    // 按期 1. Open past deadline: K4 = 1 → 应结案 4.
    expect(grids(G2.id).indicators).toEqual({
      reportVerified: 1,
      reportRate: 1 / 3,
      registered: 3,
      closed: 3,
      dueClose: 4,
      closeRate: 3 / 4,
      closedOnTime: 1,
      onTimeCloseRate: 1 / 4,
    });
    // (100 − 33.33) × 10 % = 6.667; 立案数 3 (< 5) → 75 × 20 % = 15; 75 × 30 % = 22.5; 25 × 40 % = 10
    // → 54.17 → D.
    expect(grids(G2.id).composite).toMatchObject({ value: 54.17, grade: 'D' });

    // G3: nothing. Rates N/A; 立案数 0 is a count (→ 100) but no rate term applies → composite N/A.
    expect(grids(G3).indicators).toEqual({
      reportVerified: 0,
      reportRate: null,
      registered: 0,
      closed: 0,
      dueClose: 0,
      closeRate: null,
      closedOnTime: 0,
      onTimeCloseRate: null,
    });
    expect(grids(G3).composite).toMatchObject({ value: null, grade: null });

    // Community C1 holds G1 only among our grids, C2 G2; the street and the district hold both:
    // 监督举报 2, 立案 8, 结案 7, 按期 4, 应结案 9.
    const communities = await regions('community', 'from=2026-10-01&to=2026-11-01');
    expect(communities(G1.communityId).indicators).toEqual(grids(G1.id).indicators);
    expect(communities(G2.communityId).indicators).toEqual(grids(G2.id).indicators);
    const streets = await regions('street', 'from=2026-10-01&to=2026-11-01');
    const street = {
      reportVerified: 2,
      reportRate: 2 / 8,
      registered: 8,
      closed: 7,
      dueClose: 9,
      closeRate: 7 / 9,
      closedOnTime: 4,
      onTimeCloseRate: 4 / 9,
    };
    expect(streets(G1.streetId).indicators).toEqual(street);
    // (100 − 25) × 10 % = 7.5; 立案数 8 (< 9) → 40 × 20 % = 8; 77.78 × 30 % = 23.33; 44.44 × 40 % = 17.78
    // → 56.61 → D.
    expect(streets(G1.streetId).composite).toMatchObject({ value: 56.61, grade: 'D', color: 'red' });
    const districts = await regions('district', 'from=2026-10-01&to=2026-11-01');
    expect(districts(G1.districtId).indicators).toEqual(street);
  });

  it('explains a number with the cases and phase-log rows behind it', async () => {
    const res = await get(`/api/evaluation/explain?object=department:${A}&indicator=disposedLate&from=2026-10-01&to=2026-11-01`);
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json();
    // Late feedbacks of A in October: K2's second, K9's second.
    expect(body.value).toBe(2);
    expect(body.cases.map((c: { number: string }) => c.number).sort()).toEqual([numbers.K2, numbers.K9].sort());
    expect(body.facts.map((f: { event: { action: string; onTime: boolean } }) => [f.event.action, f.event.onTime])).toEqual([
      ['feedback', false],
      ['feedback', false],
    ]);
    const all = (await get(`/api/evaluation/explain?object=department:${A}&indicator=disposalRate&from=2026-10-01&to=2026-11-01`)).json();
    // The rate lists numerator and denominator: 7 feedbacks and K6, overdue and undisposed.
    expect(all.value).toBe(7 / 8);
    expect(all.facts).toHaveLength(8);
    expect(all.facts.filter((f: { kind: string }) => f.kind === 'overdueUndisposed').map((f: { caseId: number }) => f.caseId)).toEqual([
      ids.K6,
    ]);

    const rate = (await get(`/api/evaluation/explain?object=region:${G1.id}&indicator=closeRate&from=2026-10-01&to=2026-11-01`)).json();
    expect(rate.value).toBe(0.8);
    expect(rate.facts.map((f: { kind: string; caseId: number }) => `${f.kind}:${f.caseId}`).sort()).toEqual(
      [`closed:${ids.K1}`, `closed:${ids.K2}`, `closed:${ids.K5}`, `closed:${ids.K8}`, `overdueOpen:${ids.K6}`].sort(),
    );
    // A case-level fact has no log row; an event fact has its row.
    expect(rate.facts.find((f: { kind: string }) => f.kind === 'overdueOpen').event).toBeNull();
    expect(rate.facts.find((f: { caseId: number }) => f.caseId === ids.K8).event).toMatchObject({ action: 'close', phase: 'close' });

    const returned = (await get(`/api/evaluation/explain?object=department:${B}&indicator=returned&from=2026-10-01&to=2026-11-01`)).json();
    expect(returned).toMatchObject({ value: 1, cases: [{ id: ids.K5, number: numbers.K5 }] });
  });

  it("a department's own people see their department only", async () => {
    const own = await get('/api/evaluation/departments?from=2026-10-01&to=2026-11-01', 'handler');
    expect(own.statusCode).toBe(200);
    expect(own.json().items.map((x: { department: { id: number } }) => x.department.id)).toEqual([A]);
    expect((await get('/api/evaluation/regions?level=grid&from=2026-10-01&to=2026-11-01', 'handler')).statusCode).toBe(403);
    const other = await get(`/api/evaluation/explain?object=department:${B}&indicator=disposed&from=2026-10-01&to=2026-11-01`, 'handler');
    expect(other.statusCode).toBe(403);
    const mine = await get(`/api/evaluation/explain?object=department:${A}&indicator=disposed&from=2026-10-01&to=2026-11-01`, 'handler');
    expect(mine.json().value).toBe(7);
  });

  it('refuses bad input with 400/422/404', async () => {
    const cases: Array<[string, number, string]> = [
      ['/api/evaluation/departments?from=2026-11-01&to=2026-10-01', 422, 'evaluation_period_invalid'],
      ['/api/evaluation/departments?from=2026-10-01&to=2026-10-01', 422, 'evaluation_period_invalid'],
      ['/api/evaluation/departments?from=2026-13-01&to=2026-11-01', 400, 'validation_failed'],
      ['/api/evaluation/departments?from=2026-10-01&to=2026-11-01&attribution=later', 400, 'validation_failed'],
      ['/api/evaluation/departments?from=2026-10-01&to=2026-11-01&configVersion=99', 404, 'evaluation_config_not_found'],
      ['/api/evaluation/regions?level=city&from=2026-10-01&to=2026-11-01', 400, 'validation_failed'],
      [`/api/evaluation/explain?object=department:${A}&indicator=nope&from=2026-10-01&to=2026-11-01`, 422, 'evaluation_indicator_invalid'],
      [
        `/api/evaluation/explain?object=region:${G1.id}&indicator=disposed&from=2026-10-01&to=2026-11-01`,
        422,
        'evaluation_indicator_invalid',
      ],
      ['/api/evaluation/explain?object=case:1&indicator=closed&from=2026-10-01&to=2026-11-01', 400, 'validation_failed'],
      ['/api/evaluation/explain?object=department:99999999&indicator=closed&from=2026-10-01&to=2026-11-01', 404, 'department_not_found'],
    ];
    for (const [url, status, code] of cases) {
      const res = await get(url);
      expect(res.statusCode, url).toBe(status);
      expect(res.json().error, url).toBe(code);
    }
  });

  it('scores with the configuration version asked for, and records it', async () => {
    // Version 2 (the migrations' latest) holds the defaults; version 1 is the same without the positions.
    // Version 3: the department 案件数 term weighs nothing; A = (25 + 18.75 + 20) / 0.9 = 70.83 → C.
    const v2 = (await get('/api/evaluation/config')).json();
    expect(v2).toEqual({ version: 2, config: DEFAULT_EVALUATION_CONFIG });
    const v1 = (await get('/api/evaluation/config?version=1')).json();
    expect(v1.config.composites).toEqual({
      department: DEFAULT_EVALUATION_CONFIG.composites.department,
      region: DEFAULT_EVALUATION_CONFIG.composites.region,
    });
    const config = structuredClone(v2.config);
    config.composites.department[0].weight = 0;
    await t.ctx.db
      .insertInto('evaluationConfig')
      .values({ version: 3, config: JSON.stringify(config), note: 'test' })
      .execute();
    const latest = await departments('from=2026-10-01&to=2026-11-01');
    expect(latest.body.configVersion).toBe(3);
    expect(latest.A.composite).toMatchObject({ value: 70.83, grade: 'C' });
    const old = await departments('from=2026-10-01&to=2026-11-01&configVersion=2');
    expect(old.body.configVersion).toBe(2);
    expect(old.A.composite.value).toBe(73.75);
  });
});
