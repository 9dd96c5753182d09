import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../../test/helpers.ts';

/**
 * Hand-computed fixtures for the position indicators (岗位): a small log written straight into
 * case_file and case_event with the actors set, and every indicator and composite of October
 * 2026 (attribution by completion, asOf = 11-01 00:00) worked out by hand. Local times (+08:00).
 *
 * People: I1 = the demo inspector (its beat holds grid G1), I2 = the inspector of grid G2's beat,
 * ACC = acceptor, SL = shift leader, DP = dispatcher; ACC2 and DP2 hold their roles and did nothing.
 * ✓ = in time, ✗ = late.
 *
 *  P1 I1 reports in G1 10-12; ACC accepts ✓; SL registers ✓; DP dispatches to A ✓; A feeds back;
 *     ACC sends 核查 ✓; I1 checks (pass) ✓; SL closes ✓.
 *  P2 public report in G1 10-13; ACC sends 核实 ✗ (its first handling of the report, so received ✗);
 *     I1 verifies ✓; SL registers ✗; DP dispatches to B ✓; B's 回退 approved by DP; DP dispatches
 *     to A ✗; A feeds back; ACC sends 核查 ✗; I1 fails the check ✗ (返工); A feeds back; ACC sends
 *     核查 ✓; I1 passes ✓; SL closes ✗.  → 漏报 of I1; DP's first dispatch is a 错误派遣.
 *  P3 I1 reports in G1 10-14; ACC rejects (不予受理) ✓.                     → not a valid report
 *  P4 I1 reports in G1 10-15; ACC accepts ✓; SL registers ✓, then cancels it (作废) 10-16.
 *  P5 I2 reports in G2 10-16; ACC accepts ✓; SL registers ✓; DP dispatches to B ✓; B's 回退 approved;
 *     DP dispatches to B again ✓ (same department: the first dispatch was not wrong).
 *  P6 hotline report in G2 10-20; ACC sends 核实 ✓; still waiting for 核实 on 11-01, deadline 10-20
 *     11:40.                                                        → I2's overdue 核实 (beat)
 *  P7 hotline report in G2 10-28; ACC sends 核实 ✓; I2 verifies on 11-02 (deadline 10-28 12:00).
 *                                                                   → I2's overdue 核实 at 11-01
 *  P8 I1 self-handles in G1 10-21 (自处理), ACC approves.              → self-handled, not reported
 *  P9 I1 reports in G1 10-22; ACC accepts ✓; SL registers ✓; DP dispatches to A ✓; A feeds back;
 *     ACC sends 核查 ✓ 10-22 14:00; nobody has checked by 11-01 (deadline 10-22 16:00).
 *                                                                   → I1's overdue 核查 (beat)
 */
describe('evaluation: position indicators, hand-computed', () => {
  let t: TestApp;
  const cookie: Record<string, string> = {};
  const P: Record<string, number> = {};
  const ids: Record<string, number> = {};
  let A: number;
  let B: number;
  let G1: number;
  let G2: number;

  const at = (local: string) => new Date(`${local.replace(' ', 'T')}:00+08:00`);
  const NOV_15 = at('2026-11-15 00:00');

  type Ev = {
    action: string;
    phase: string;
    at: string;
    to: string;
    by: string;
    role: string;
    dept?: number;
    deadline?: string;
    late?: boolean;
    /** When the phase started (default: when it ended). */
    start?: string;
    payload?: Record<string, unknown>;
  };
  /** An event by `by` acting as `role`; timed ones carry a deadline and are late when `late`. */
  const e = (action: string, phase: string, atLocal: string, to: string, by: string, role: string, extra: Partial<Ev> = {}): Ev => ({
    action,
    phase,
    at: atLocal,
    to,
    by,
    role,
    ...extra,
  });
  const timed = (late: boolean, deadline: string) => ({ deadline, late });

  async function addCase(
    name: string,
    c: { grid: number; source: string; state: string; reporter?: string; phaseStarted?: string; phaseDeadline?: string },
    events: Ev[],
  ) {
    const first = events[0] as Ev;
    const created = at(first.at);
    const number = `P${String(Object.keys(ids).length + 1).padStart(12, '0')}`;
    const row = await sql<{ id: number }>`
      INSERT INTO case_file (number, source, workflow, kind, edition, class_code, geom, grid_id, community_id, street_id, district_id,
        state, phase, phase_started_at, phase_deadline, reporter_id, disposal_limit, created_at, updated_at)
      SELECT ${number}, ${c.source}, 'standard', 'event', 'CJT214-2007', '0101', ST_PointOnSurface(r.geom),
        r.id, r.community_id, r.street_id, r.district_id, ${c.state}, 'receive',
        ${c.phaseStarted ? at(c.phaseStarted) : created}, ${c.phaseDeadline ? at(c.phaseDeadline) : null},
        ${c.reporter ? (P[c.reporter] as number) : null},
        ${JSON.stringify({ value: 4, unit: 'hour', timeType: 'work' })}::jsonb, ${created}, ${created}
      FROM region r WHERE r.id = ${c.grid}
      RETURNING id`.execute(t.ctx.db);
    const id = Number(row.rows[0]?.id);
    let prev: string | null = null;
    let seq = 0;
    for (const x of events) {
      seq++;
      await sql`
        INSERT INTO case_event (case_id, seq, action, from_state, to_state, phase, actor_id, actor_role, department_id,
          started_at, ended_at, deadline_at, time_type, on_time, payload)
        VALUES (${id}, ${seq}, ${x.action}, ${prev}, ${x.to}, ${x.phase}, ${P[x.by] ?? null}, ${x.role}, ${x.dept ?? null},
          ${at(x.start ?? x.at)}, ${at(x.at)}, ${x.deadline ? at(x.deadline) : null}, ${x.deadline ? 'work' : null},
          ${x.deadline ? !x.late : null}, ${JSON.stringify(x.payload ?? {})}::jsonb)`.execute(t.ctx.db);
      prev = x.to;
    }
    ids[name] = id;
  }

  beforeAll(async () => {
    t = await createTestApp({ clock: () => NOV_15 });
    for (const u of ['leader', 'handler', 'admin']) cookie[u] = await t.login(u);
    const person = async (username: string) =>
      (await t.ctx.db.selectFrom('person').select(['id', 'departmentId']).where('username', '=', username).executeTakeFirstOrThrow()) as {
        id: number;
        departmentId: number;
      };
    for (const [k, u] of [
      ['I1', 'inspector'],
      ['ACC', 'acceptor'],
      ['SL', 'shiftlead'],
      ['DP', 'dispatcher'],
    ] as const)
      P[k] = (await person(u)).id;
    A = (await person('handler')).departmentId;
    const other = await t.ctx.db
      .selectFrom('department')
      .select('id')
      .where('kind', '=', 'execution')
      .where('id', '<>', A)
      .orderBy('code')
      .executeTakeFirstOrThrow();
    B = other.id;
    // G1: a grid of I1's beat; G2: a grid of another inspector's beat.
    const g1 = await sql<{ grid: number }>`
      SELECT bg.grid_id AS grid FROM beat b JOIN beat_grid bg ON bg.beat_id = b.id WHERE b.inspector_id = ${P.I1}
      ORDER BY bg.grid_id LIMIT 1`.execute(t.ctx.db);
    G1 = Number(g1.rows[0]?.grid);
    const g2 = await sql<{ grid: number; inspector: number }>`
      SELECT bg.grid_id AS grid, b.inspector_id AS inspector FROM beat b JOIN beat_grid bg ON bg.beat_id = b.id
      WHERE b.inspector_id IS NOT NULL AND b.inspector_id <> ${P.I1} ORDER BY b.id, bg.grid_id LIMIT 1`.execute(t.ctx.db);
    G2 = Number(g2.rows[0]?.grid);
    P.I2 = Number(g2.rows[0]?.inspector);
    // Two people who hold a position and did nothing in October.
    for (const [k, role] of [
      ['ACC2', 'acceptor'],
      ['DP2', 'dispatcher'],
    ] as const) {
      const r = await sql<{ id: number }>`INSERT INTO person (username, name) VALUES (${`eval-${k}`}, ${k}) RETURNING id`.execute(t.ctx.db);
      P[k] = Number(r.rows[0]?.id);
      await sql`INSERT INTO person_role (person_id, role) VALUES (${P[k]}, ${role})`.execute(t.ctx.db);
    }

    const report = (day: string, by: string | null, to = 'reported') =>
      e('report', 'report', `${day} 09:00`, to, by ?? 'ACC', by ? 'inspector' : 'acceptor');
    const accept = (day: string, late = false) =>
      e('accept', 'receive', `${day} 09:10`, 'accepted', 'ACC', 'acceptor', timed(late, `${day} 09:30`));
    const register = (day: string, late = false, time = '09:20') =>
      e('register', 'register', `${day} ${time}`, 'registered', 'SL', 'shiftlead', timed(late, `${day} 11:00`));
    const dispatch = (day: string, dept: number, late = false, time = '09:40') =>
      e('dispatch', 'dispatch', `${day} ${time}`, 'dispatched', 'DP', 'dispatcher', { ...timed(late, `${day} 12:00`), dept });
    const feedback = (day: string, dept: number, time = '11:00') =>
      e('feedback', 'dispose', `${day} ${time}`, 'feedback', 'X', 'handler', { dept });
    const sendCheck = (day: string, late = false, time = '11:10') =>
      e('send_check', 'check', `${day} ${time}`, 'checking', 'ACC', 'acceptor', timed(late, `${day} 11:40`));
    const check = (day: string, pass: boolean, late = false, time = '11:30', by = 'I1') =>
      e(
        pass ? 'check_pass' : 'check_fail',
        'check',
        `${day} ${time}`,
        pass ? 'to_close' : 'dispatched',
        by,
        'inspector',
        timed(late, `${day} 13:00`),
      );
    const close = (day: string, late = false, time = '15:00') =>
      e('close', 'close', `${day} ${time}`, 'closed', 'SL', 'shiftlead', timed(late, `${day} 14:30`));

    await addCase('P1', { grid: G1, source: 'inspector', state: 'closed', reporter: 'I1' }, [
      report('2026-10-12', 'I1'),
      accept('2026-10-12'),
      register('2026-10-12'),
      dispatch('2026-10-12', A),
      feedback('2026-10-12', A),
      sendCheck('2026-10-12'),
      check('2026-10-12', true),
      close('2026-10-12', false, '14:00'),
    ]);
    await addCase('P2', { grid: G1, source: 'public', state: 'closed' }, [
      report('2026-10-13', null),
      e('send_verify', 'receive', '2026-10-13 09:40', 'verifying', 'ACC', 'acceptor', timed(true, '2026-10-13 09:30')),
      e('verify', 'verify', '2026-10-13 10:30', 'accepted', 'I1', 'inspector', timed(false, '2026-10-13 11:40')),
      register('2026-10-13', true, '11:30'),
      dispatch('2026-10-13', B, false, '11:40'),
      e('return_request', 'dispose', '2026-10-13 11:50', 'dispatched', 'X', 'handler', { dept: B }),
      e('return_approve', 'dispatch', '2026-10-13 12:00', 'registered', 'DP', 'dispatcher', { dept: B }),
      dispatch('2026-10-13', A, true, '14:10'),
      feedback('2026-10-13', A, '15:00'),
      sendCheck('2026-10-13', true, '15:50'),
      check('2026-10-13', false, true, '16:00'),
      feedback('2026-10-14', A, '10:00'),
      sendCheck('2026-10-14', false, '10:10'),
      check('2026-10-14', true, false, '11:00'),
      close('2026-10-14', true, '15:00'),
    ]);
    await addCase('P3', { grid: G1, source: 'inspector', state: 'not_accepted', reporter: 'I1' }, [
      report('2026-10-14', 'I1'),
      e('reject', 'receive', '2026-10-14 09:10', 'not_accepted', 'ACC', 'acceptor', timed(false, '2026-10-14 09:30')),
    ]);
    await addCase('P4', { grid: G1, source: 'inspector', state: 'cancelled', reporter: 'I1' }, [
      report('2026-10-15', 'I1'),
      accept('2026-10-15'),
      register('2026-10-15'),
      e('cancel', 'cancel', '2026-10-16 09:00', 'cancelled', 'SL', 'shiftlead'),
    ]);
    await addCase('P5', { grid: G2, source: 'inspector', state: 'dispatched', reporter: 'I2' }, [
      report('2026-10-16', 'I2'),
      accept('2026-10-16'),
      register('2026-10-16'),
      dispatch('2026-10-16', B),
      e('return_request', 'dispose', '2026-10-16 09:50', 'dispatched', 'X', 'handler', { dept: B }),
      e('return_approve', 'dispatch', '2026-10-16 10:00', 'registered', 'DP', 'dispatcher', { dept: B }),
      dispatch('2026-10-16', B, false, '10:10'),
    ]);
    await addCase(
      'P6',
      { grid: G2, source: 'hotline', state: 'verifying', phaseStarted: '2026-10-20 09:40', phaseDeadline: '2026-10-20 11:40' },
      [
        report('2026-10-20', null),
        e('send_verify', 'receive', '2026-10-20 09:40', 'verifying', 'ACC', 'acceptor', timed(false, '2026-10-20 10:00')),
      ],
    );
    await addCase('P7', { grid: G2, source: 'hotline', state: 'registered' }, [
      report('2026-10-28', null),
      e('send_verify', 'receive', '2026-10-28 09:20', 'verifying', 'ACC', 'acceptor', timed(false, '2026-10-28 09:30')),
      e('verify', 'verify', '2026-11-02 10:00', 'accepted', 'I2', 'inspector', {
        ...timed(true, '2026-10-28 12:00'),
        start: '2026-10-28 09:20',
      }),
      register('2026-11-02', false, '10:30'),
    ]);
    await addCase('P8', { grid: G1, source: 'inspector', state: 'closed', reporter: 'I1' }, [
      report('2026-10-21', 'I1', 'self_review'),
      e('self_approve', 'close', '2026-10-21 09:30', 'closed', 'ACC', 'acceptor', timed(false, '2026-10-21 09:30')),
    ]);
    await addCase(
      'P9',
      {
        grid: G1,
        source: 'inspector',
        state: 'checking',
        reporter: 'I1',
        phaseStarted: '2026-10-22 14:00',
        phaseDeadline: '2026-10-22 16:00',
      },
      [
        report('2026-10-22', 'I1'),
        accept('2026-10-22'),
        register('2026-10-22'),
        dispatch('2026-10-22', A),
        feedback('2026-10-22', A),
        sendCheck('2026-10-22', false, '11:10'),
      ],
    );
  });
  afterAll(() => t.close());

  const get = async (url: string, who = 'leader') => t.app.inject({ method: 'GET', url, headers: { cookie: cookie[who] as string } });
  const positions = async (role: string, query = 'from=2026-10-01&to=2026-11-01') => {
    const res = await get(`/api/evaluation/positions?role=${role}&${query}`);
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json();
    return { body, of: (k: string) => body.items.find((x: { person: { id: number } }) => x.person.id === P[k]) };
  };

  it('监督员: reports, 核实, 核查, 漏报 and 自处理 of October', async () => {
    const { body, of } = await positions('inspector');
    expect(body).toMatchObject({ role: 'inspector', configVersion: 2, attribution: 'completed' });
    // I1. reported P1, P3, P4, P9 = 4 (P8 is self-handled); valid (立案 by 11-01) P1, P4, P9 = 3 → 0.75.
    // 核实 P2 ✓ → 1 of 1. 核查 P1 ✓, P2 ✗ ✓ = 3 done, 2 in time, plus P9 open past 10-22 16:00 → 应核查 4 → 0.5.
    // Beat 立案 (G1): P1, P2, P4, P9 = 4; 漏报 P2 (public) = 1 → 0.25. 自处理 P8 = 1.
    expect(of('I1').indicators).toEqual({
      reported: 4,
      validReported: 3,
      validReportRate: 0.75,
      verifyDue: 1,
      verifiedOnTime: 1,
      onTimeVerifyRate: 1,
      checkDue: 4,
      checkedOnTime: 2,
      onTimeCheckRate: 0.5,
      missed: 1,
      beatRegistered: 4,
      missedRate: 0.25,
      selfHandled: 1,
    });
    // 75 × 40 % + (100 − 25) × 20 % + 100 × 20 % + 50 × 20 % = 30 + 15 + 20 + 10 = 75 → B.
    expect(of('I1').composite).toMatchObject({ value: 75, grade: 'B', color: 'blue' });
    // I2. reported P5 (valid) → 1. 核实: none done in October; P6 still waiting (beat) and P7 done on 11-02
    // after its deadline (open at 11-01) → 应核实 2, in time 0 → 0. 核查: none due → N/A (null, not 0 or 1).
    // Beat 立案 (G2): P5 = 1 (P7 was registered in November), 漏报 0 → 0.
    expect(of('I2').indicators).toEqual({
      reported: 1,
      validReported: 1,
      validReportRate: 1,
      verifyDue: 2,
      verifiedOnTime: 0,
      onTimeVerifyRate: 0,
      checkDue: 0,
      checkedOnTime: 0,
      onTimeCheckRate: null,
      missed: 0,
      beatRegistered: 1,
      missedRate: 0,
      selfHandled: 0,
    });
    // 100 × 40 % + (100 − 0) × 20 % + 0 × 20 % (+ 按时核查率 N/A: its 20 % spread) = 60 / 0.8 = 75 → B.
    expect(of('I2').composite).toMatchObject({ value: 75, grade: 'B' });
  });

  it('受理员: 受理数, 按时受理率, 核实/核查按时派发率', async () => {
    const { of } = await positions('acceptor');
    // Received (first handling of a report): P1 ✓, P2 ✗ (send_verify), P3 ✓ (reject), P4 ✓, P5 ✓, P6 ✓, P7 ✓, P9 ✓
    // = 8, 7 in time. 发核实 P2 ✗, P6 ✓, P7 ✓ = 3, 2 in time. 发核查 P1 ✓, P2 ✗ ✓, P9 ✓ = 4, 3 in time.
    expect(of('ACC').indicators).toEqual({
      received: 8,
      receivedOnTime: 7,
      onTimeReceiveRate: 7 / 8,
      sentVerify: 3,
      sentVerifyOnTime: 2,
      sendVerifyOnTimeRate: 2 / 3,
      sentCheck: 4,
      sentCheckOnTime: 3,
      sendCheckOnTimeRate: 0.75,
    });
    // 受理数 8 (≤ 100) → 0 × 25 % + 66.67 × 40 % + 75 × 35 % = 26.667 + 26.25 = 52.92 → D.
    expect(of('ACC').composite).toMatchObject({ value: 52.92, grade: 'D', color: 'red' });
    // ACC2 did nothing: every rate N/A, the composite too (a count alone does not score anyone).
    expect(of('ACC2').indicators).toMatchObject({
      received: 0,
      onTimeReceiveRate: null,
      sendVerifyOnTimeRate: null,
      sendCheckOnTimeRate: null,
    });
    expect(of('ACC2').composite).toMatchObject({ value: null, grade: null });
  });

  it('值班长: 按时立案率, 准确立案率 (作废), 按时结案率 (/结案数)', async () => {
    const { of } = await positions('shiftlead');
    // Registered P1 ✓, P2 ✗, P4 ✓, P5 ✓, P9 ✓ = 5, 4 in time; cancelled since: P4 → accurate (5 − 1) / 5.
    // Closed P1 ✓, P2 ✗ = 2, 1 in time.
    expect(of('SL').indicators).toEqual({
      registered: 5,
      registeredOnTime: 4,
      onTimeRegisterRate: 0.8,
      cancelled: 1,
      accurateRegisterRate: 0.8,
      closed: 2,
      closedOnTime: 1,
      onTimeCloseRate: 0.5,
    });
    // 80 × 25 % + 80 × 40 % + 50 × 35 % = 20 + 32 + 17.5 = 69.5 → C.
    expect(of('SL').composite).toMatchObject({ value: 69.5, grade: 'C' });
  });

  it('派遣员: 派遣数, 按时派遣率, 准确派遣率 (回退 and re-dispatch elsewhere)', async () => {
    const { of } = await positions('dispatcher');
    // Dispatched P1 ✓, P2 → B ✓, P2 → A ✗, P5 → B ✓, P5 → B ✓, P9 ✓ = 6, 5 in time. Wrong: P2 → B (returned,
    // then sent to A); P5's first was returned but went back to B → not wrong. Accurate (6 − 1) / 6.
    expect(of('DP').indicators).toEqual({
      dispatched: 6,
      dispatchedOnTime: 5,
      onTimeDispatchRate: 5 / 6,
      misdispatched: 1,
      accurateDispatchRate: 5 / 6,
    });
    // 派遣数 6 (≤ 100) → 0 × 20 % + 83.33 × 40 % + 83.33 × 40 % = 66.67 → C.
    expect(of('DP').composite).toMatchObject({ value: 66.67, grade: 'C' });
    expect(of('DP2').indicators).toEqual({
      dispatched: 0,
      dispatchedOnTime: 0,
      onTimeDispatchRate: null,
      misdispatched: 0,
      accurateDispatchRate: null,
    });
    expect(of('DP2').composite.value).toBeNull();
  });

  it('November: P7 was verified late and registered; the October figures stay as they were', async () => {
    const { of } = await positions('inspector', 'from=2026-11-01&to=2026-12-01');
    // I2: 核实 P7 ✗ → 1 done, 0 in time; P6 still open past its deadline at asOf (now, 11-15) → 应核实 2.
    // Beat 立案: P7 (hotline) → 漏报 1 of 1.
    expect(of('I2').indicators).toMatchObject({ verifyDue: 2, verifiedOnTime: 0, beatRegistered: 1, missed: 1, missedRate: 1 });
  });

  it('explains a person’s indicator with the cases and log rows behind it', async () => {
    const q = 'from=2026-10-01&to=2026-11-01';
    const missed = (await get(`/api/evaluation/explain?object=person:${P.I1}&role=inspector&indicator=missed&${q}`)).json();
    expect(missed).toMatchObject({ value: 1, cases: [{ id: ids.P2 }] });
    expect(missed.object).toMatchObject({ type: 'person', role: 'inspector', id: P.I1 });
    const verify = (await get(`/api/evaluation/explain?object=person:${P.I2}&indicator=onTimeVerifyRate&${q}`)).json();
    // I2 holds one position, so the role may be left out. P6: no log row yet (the case is waiting); P7: its 核实 row.
    expect(verify.value).toBe(0);
    expect(verify.facts.map((f: { kind: string; caseId: number; event: unknown }) => [f.kind, f.caseId, f.event === null])).toEqual([
      ['verifyOverdue', ids.P6, true],
      ['verifyOverdue', ids.P7, false],
    ]);
    const wrong = (await get(`/api/evaluation/explain?object=person:${P.DP}&indicator=accurateDispatchRate&${q}`)).json();
    expect(wrong.value).toBe(5 / 6);
    expect(wrong.facts.filter((f: { kind: string }) => f.kind === 'misdispatched')).toMatchObject([
      { caseId: ids.P2, event: { action: 'dispatch', departmentId: B } },
    ]);
  });

  it('refuses bad input and department staff', async () => {
    const q = 'from=2026-10-01&to=2026-11-01';
    const cases: Array<[string, number, string, string?]> = [
      [`/api/evaluation/positions?role=handler&${q}`, 400, 'validation_failed'],
      [`/api/evaluation/positions?role=inspector&from=2026-11-01&to=2026-10-01`, 422, 'evaluation_period_invalid'],
      [`/api/evaluation/explain?object=person:${P.I1}&indicator=dispatched&${q}`, 422, 'evaluation_indicator_invalid'],
      [`/api/evaluation/explain?object=person:99999999&indicator=missed&${q}`, 404, 'person_not_found'],
      [`/api/evaluation/positions?role=inspector&${q}`, 403, 'forbidden', 'handler'],
      [`/api/evaluation/explain?object=person:${P.I1}&indicator=missed&${q}`, 403, 'forbidden', 'handler'],
    ];
    for (const [url, status, code, who] of cases) {
      const res = await get(url, who);
      expect(res.statusCode, url).toBe(status);
      expect(res.json().error, url).toBe(code);
    }
    // A person with no position role must name one.
    const admin = await t.ctx.db.selectFrom('person').select('id').where('username', '=', 'admin').executeTakeFirstOrThrow();
    const res = await get(`/api/evaluation/explain?object=person:${admin.id}&indicator=missed&${q}`);
    expect(res.statusCode).toBe(422);
    expect(res.json().error).toBe('evaluation_role_required');
  });
});
