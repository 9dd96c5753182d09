import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../../test/helpers.ts';

/**
 * Closed periods and appeals through the HTTP API, on a small hand-made log (local times, +08:00;
 * the clock stands at 2026-11-15):
 *
 *  Q1 department A: dispatched 10-12 09:50 (4 工作时 → deadline 15:50), fed back late 17:00, closed 10-13.
 *  Q2 department A: dispatched 10-20 09:50 (deadline 15:20), still in hand, not fed back.
 *  Q3 department B: closed in time in October (A cannot appeal it).
 *
 * October for A (asOf 11-01 00:00): 处置 1 (Q1, late), 超期未处置 1 (Q2) → 应处置 2, 按期处置率 0;
 * 结案 1 (Q1), overdue open 1 (Q2) → 应结案 2, 结案率 0.5; 返工率 0.
 * Composite: 案件数 2 → 100 × 10 % + 50 × 30 % + 0 × 30 % + (100 − 0) × 30 % = 55 → D.
 */
describe('evaluation: closed periods and appeals', () => {
  let t: TestApp;
  const cookie: Record<string, string> = {};
  let A: number;
  let B: number;
  const ids: Record<string, number> = {};
  let periodId: number;
  let appealId: number;

  const at = (local: string) => new Date(`${local.replace(' ', 'T')}:00+08:00`);
  const NOV_15 = at('2026-11-15 00:00');

  async function addCase(
    name: string,
    c: { dept: number; state: string; disposalStarted: string; disposalDeadline: string; closedAt?: string },
    events: Array<{ action: string; phase: string; at: string; to: string; start?: string; deadline?: string }>,
  ) {
    const created = at(events[0]?.at as string);
    const row = await sql<{ id: number }>`
      INSERT INTO case_file (number, source, workflow, kind, edition, class_code, geom, grid_id, community_id, street_id, district_id,
        state, phase, phase_started_at, department_id, disposal_limit, disposal_started_at, disposal_deadline, closed_at, created_at, updated_at)
      SELECT ${`Q${name}`}, 'inspector', 'standard', 'event', 'CJT214-2007', '0101', ST_PointOnSurface(r.geom), r.id, r.community_id,
        r.street_id, r.district_id, ${c.state}, 'dispose', ${created}, ${c.dept}, ${JSON.stringify({ value: 4, unit: 'hour', timeType: 'work' })}::jsonb,
        ${at(c.disposalStarted)}, ${at(c.disposalDeadline)}, ${c.closedAt ? at(c.closedAt) : null}, ${created}, ${created}
      FROM region r WHERE r.level = 'grid' AND r.valid_to IS NULL ORDER BY r.code LIMIT 1
      RETURNING id`.execute(t.ctx.db);
    const id = Number(row.rows[0]?.id);
    let seq = 0;
    for (const e of events) await addEvent(id, ++seq, c.dept, e);
    ids[name] = id;
  }
  async function addEvent(
    id: number,
    seq: number,
    dept: number,
    e: { action: string; phase: string; at: string; to: string; start?: string; deadline?: string },
  ) {
    await sql`
      INSERT INTO case_event (case_id, seq, action, to_state, phase, actor_role, department_id, started_at, ended_at, deadline_at, time_type, on_time)
      VALUES (${id}, ${seq}, ${e.action}, ${e.to}, ${e.phase}, 'handler', ${dept}, ${at(e.start ?? e.at)}, ${at(e.at)},
        ${e.deadline ? at(e.deadline) : null}, ${e.deadline ? 'work' : null}, ${e.deadline ? at(e.at) <= at(e.deadline) : null})`.execute(
      t.ctx.db,
    );
  }
  const opening = (day: string) => [
    { action: 'report', phase: 'report', at: `${day} 09:00`, to: 'reported' },
    { action: 'register', phase: 'register', at: `${day} 09:40`, to: 'registered' },
    { action: 'dispatch', phase: 'dispatch', at: `${day} 09:50`, to: 'dispatched' },
  ];

  beforeAll(async () => {
    t = await createTestApp({ clock: () => NOV_15 });
    for (const u of ['admin', 'leader', 'handler', 'shiftlead']) cookie[u] = await t.login(u);
    A = (await t.ctx.db.selectFrom('person').select('departmentId').where('username', '=', 'handler').executeTakeFirstOrThrow())
      .departmentId as number;
    B = (
      await t.ctx.db
        .selectFrom('department')
        .select('id')
        .where('kind', '=', 'execution')
        .where('id', '<>', A)
        .orderBy('code')
        .executeTakeFirstOrThrow()
    ).id;
    await addCase(
      '1',
      { dept: A, state: 'closed', disposalStarted: '2026-10-12 09:50', disposalDeadline: '2026-10-12 15:50', closedAt: '2026-10-13 10:00' },
      [
        ...opening('2026-10-12'),
        {
          action: 'feedback',
          phase: 'dispose',
          at: '2026-10-12 17:00',
          to: 'feedback',
          start: '2026-10-12 09:50',
          deadline: '2026-10-12 15:50',
        },
        { action: 'close', phase: 'close', at: '2026-10-13 10:00', to: 'closed' },
      ],
    );
    await addCase('2', { dept: A, state: 'handling', disposalStarted: '2026-10-20 09:50', disposalDeadline: '2026-10-20 15:20' }, [
      ...opening('2026-10-20'),
    ]);
    await addCase(
      '3',
      { dept: B, state: 'closed', disposalStarted: '2026-10-21 09:50', disposalDeadline: '2026-10-21 15:20', closedAt: '2026-10-21 16:00' },
      [
        ...opening('2026-10-21'),
        {
          action: 'feedback',
          phase: 'dispose',
          at: '2026-10-21 11:00',
          to: 'feedback',
          start: '2026-10-21 09:50',
          deadline: '2026-10-21 15:20',
        },
        { action: 'close', phase: 'close', at: '2026-10-21 16:00', to: 'closed' },
      ],
    );
  });
  afterAll(() => t.close());

  const call = async (method: 'GET' | 'POST', url: string, who: string, payload?: unknown) =>
    t.app.inject({ method, url, headers: { cookie: cookie[who] as string }, payload: payload as never });
  const liveA = async (extra = '') => {
    const res = await call('GET', `/api/evaluation/departments?from=2026-10-01&to=2026-11-01${extra}`, 'leader');
    expect(res.statusCode, res.body).toBe(200);
    return res.json().items.find((x: { department: { id: number } }) => x.department.id === A);
  };
  const storedA = async (version?: number, who = 'leader') => {
    const res = await call(
      'GET',
      `/api/evaluation/periods/${periodId}/results?object=department${version ? `&version=${version}` : ''}`,
      who,
    );
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json();
    return { body, a: body.items.find((x: { department: { id: number } }) => x.department.id === A) };
  };

  it('closes October: every object type stored with the configuration version used', async () => {
    const res = await call('POST', '/api/evaluation/periods', 'admin', { kind: 'month', from: '2026-10-01' });
    expect(res.statusCode, res.body).toBe(201);
    const p = res.json();
    periodId = p.id;
    expect(p).toMatchObject({ kind: 'month', from: '2026-10-01', to: '2026-11-01', attribution: 'completed', timeZone: 'Asia/Shanghai' });
    expect(p.versions).toMatchObject([{ version: 1, configVersion: 2, asOf: '2026-10-31T16:00:00.000Z', appealIds: [], reason: null }]);

    const { body, a } = await storedA();
    expect(body).toMatchObject({ version: 1, configVersion: 2, object: 'department' });
    expect(a.indicators).toMatchObject({ disposed: 1, disposedOnTime: 0, overdueUndisposed: 1, dueDisposal: 2, closed: 1, dueClose: 2 });
    // Q1: limit 09:50–12:00 + 14:00–15:50 = 240 working minutes; used to 17:00 = 130 + 180 = 310.
    expect(a.indicators.overdueMultiple).toBeCloseTo(310 / 240, 12);
    expect(a.composite).toMatchObject({ value: 55, grade: 'D' });
    // The stored items are what the live endpoint gives (no appeals yet, no corrections).
    expect(a).toEqual(await liveA());
    for (const object of ['region:grid', 'region:district', 'position:inspector', 'position:dispatcher']) {
      const r = await call('GET', `/api/evaluation/periods/${periodId}/results?object=${object}`, 'leader');
      expect(r.statusCode, object).toBe(200);
      expect(r.json().items.length, object).toBeGreaterThan(0);
    }
    const list = (await call('GET', '/api/evaluation/periods', 'leader')).json();
    expect(list.items.map((x: { id: number }) => x.id)).toEqual([periodId]);
  });

  it('refuses bad periods and callers', async () => {
    const cases: Array<[string, string, unknown, string, number, string]> = [
      ['POST', '/api/evaluation/periods', { kind: 'month', from: '2026-10-01' }, 'admin', 409, 'evaluation_period_exists'],
      ['POST', '/api/evaluation/periods', { kind: 'month', from: '2026-10-02' }, 'admin', 422, 'evaluation_period_invalid'],
      ['POST', '/api/evaluation/periods', { kind: 'quarter', from: '2026-08-01' }, 'admin', 422, 'evaluation_period_invalid'],
      ['POST', '/api/evaluation/periods', { kind: 'custom', from: '2026-10-01' }, 'admin', 422, 'evaluation_period_invalid'],
      ['POST', '/api/evaluation/periods', { kind: 'month', from: '2026-11-01' }, 'admin', 422, 'evaluation_period_not_ended'],
      ['POST', '/api/evaluation/periods', { kind: 'week', from: '2026-10-01' }, 'admin', 400, 'validation_failed'],
      [
        'POST',
        '/api/evaluation/periods',
        { kind: 'month', from: '2026-09-01', configVersion: 99 },
        'admin',
        404,
        'evaluation_config_not_found',
      ],
      ['POST', '/api/evaluation/periods', { kind: 'month', from: '2026-09-01' }, 'leader', 403, 'forbidden'],
      ['GET', '/api/evaluation/periods/99999/results?object=department', undefined, 'leader', 404, 'evaluation_period_not_found'],
      [
        'GET',
        `/api/evaluation/periods/${periodId}/results?object=department&version=9`,
        undefined,
        'leader',
        404,
        'evaluation_period_version_not_found',
      ],
      ['GET', `/api/evaluation/periods/${periodId}/results?object=region:city`, undefined, 'leader', 400, 'validation_failed'],
      ['GET', `/api/evaluation/periods/${periodId}/results?object=region:grid`, undefined, 'handler', 403, 'forbidden'],
      ['POST', `/api/evaluation/periods/${periodId}/recompute`, { reason: 'x' }, 'leader', 403, 'forbidden'],
      ['POST', '/api/evaluation/periods/99999/recompute', { reason: 'x' }, 'admin', 404, 'evaluation_period_not_found'],
    ];
    for (const [method, url, payload, who, status, code] of cases) {
      const res = await call(method as 'GET', url, who, payload);
      expect(res.statusCode, `${who} ${method} ${url} ${JSON.stringify(payload)}`).toBe(status);
      expect(res.json().error, url).toBe(code);
    }
    // A quarter and a custom range close too.
    const q = await call('POST', '/api/evaluation/periods', 'admin', { kind: 'quarter', from: '2026-07-01' });
    expect(q.json()).toMatchObject({ kind: 'quarter', from: '2026-07-01', to: '2026-10-01' });
    const c = await call('POST', '/api/evaluation/periods', 'admin', {
      kind: 'custom',
      from: '2026-10-12',
      to: '2026-10-13',
      attribution: 'created',
    });
    expect(c.json()).toMatchObject({ kind: 'custom', from: '2026-10-12', to: '2026-10-13', attribution: 'created' });
  });

  it('a later correction of the log changes live results, not the stored ones', async () => {
    // Q2's feedback, logged late after the period was closed (10-20 16:00, past its 15:20 deadline).
    await addEvent(ids['2'] as number, 4, A, {
      action: 'feedback',
      phase: 'dispose',
      at: '2026-10-20 16:00',
      to: 'feedback',
      start: '2026-10-20 09:50',
      deadline: '2026-10-20 15:20',
    });
    const live = await liveA();
    expect(live.indicators).toMatchObject({ disposed: 2, disposedOnTime: 0, overdueUndisposed: 0, dueDisposal: 2 });
    const { a } = await storedA();
    expect(a.indicators).toMatchObject({ disposed: 1, overdueUndisposed: 1 });
  });

  it('appeals: filed by the department for its own case, refused with stable codes, decided once', async () => {
    const file = (payload: unknown, who = 'handler') => call('POST', '/api/evaluation/appeals', who, payload);
    const res = await file({ caseId: ids['1'], indicator: 'disposedLate', reason: '暴雨停工，无法按时处置' });
    expect(res.statusCode, res.body).toBe(201);
    const appeal = res.json();
    appealId = appeal.id;
    expect(appeal).toMatchObject({
      caseId: ids['1'],
      caseNumber: 'Q1',
      departmentId: A,
      indicator: 'disposedLate',
      state: 'pending',
      decidedAt: null,
    });

    const bad: Array<[unknown, string, number, string]> = [
      [{ caseId: ids['1'], indicator: 'disposedLate', reason: 'again' }, 'handler', 409, 'evaluation_appeal_exists'],
      [{ caseId: ids['3'], indicator: 'disposedLate', reason: 'not ours' }, 'handler', 403, 'evaluation_appeal_not_own_case'],
      [{ caseId: ids['1'], indicator: 'rework', reason: 'no rework' }, 'handler', 422, 'evaluation_appeal_nothing'],
      [{ caseId: ids['1'], indicator: 'closed', reason: 'x' }, 'handler', 422, 'evaluation_indicator_invalid'],
      [{ caseId: 99999999, indicator: 'disposedLate', reason: 'x' }, 'handler', 404, 'case_not_found'],
      [{ caseId: ids['1'], indicator: 'disposedLate' }, 'handler', 400, 'validation_failed'],
      [{ caseId: ids['1'], indicator: 'disposedLate', reason: 'x' }, 'leader', 403, 'forbidden'],
    ];
    for (const [payload, who, status, code] of bad) {
      const r = await file(payload, who);
      expect(r.statusCode, `${who} ${JSON.stringify(payload)}`).toBe(status);
      expect(r.json().error).toBe(code);
    }
    // A second appeal (Q2 not due for closing), to be refused.
    const second = (await file({ caseId: ids['2'], indicator: 'dueClose', reason: '等待规划审批' })).json();

    const decide = (id: number, payload: unknown, who = 'leader') => call('POST', `/api/evaluation/appeals/${id}/decision`, who, payload);
    expect((await decide(appealId, { decision: 'accept', remark: 'x' }, 'handler')).statusCode).toBe(403);
    expect((await decide(appealId, { decision: 'accept', remark: 'x' }, 'shiftlead')).statusCode).toBe(403);
    const ok = await decide(appealId, { decision: 'accept', remark: '气象局预警属实' });
    expect(ok.statusCode, ok.body).toBe(200);
    expect(ok.json()).toMatchObject({ state: 'accepted', remark: '气象局预警属实' });
    const twice = await decide(appealId, { decision: 'refuse', remark: 'changed my mind' }, 'admin');
    expect(twice.statusCode).toBe(409);
    expect(twice.json().error).toBe('evaluation_appeal_decided');
    expect((await decide(second.id, { decision: 'refuse', remark: '不属实' })).json()).toMatchObject({ state: 'refused' });
    expect((await decide(99999, { decision: 'refuse', remark: 'x' })).json().error).toBe('evaluation_appeal_not_found');

    // The department sees its own appeals only; the centre sees all.
    const mine = (await call('GET', '/api/evaluation/appeals', 'handler')).json();
    expect(mine.items.map((x: { id: number }) => x.id).sort()).toEqual([appealId, second.id].sort());
    expect((await call('GET', `/api/evaluation/appeals?departmentId=${B}`, 'handler')).statusCode).toBe(403);
    const accepted = (await call('GET', '/api/evaluation/appeals?state=accepted', 'leader')).json();
    expect(accepted.items.map((x: { id: number }) => x.id)).toEqual([appealId]);

    // Audited: filed and decided, with before and after.
    const audit = await sql<{ action: string; before: unknown }>`
      SELECT action, before FROM audit_log WHERE entity = 'evaluation_appeal' AND entity_id = ${String(appealId)} ORDER BY id`.execute(
      t.ctx.db,
    );
    expect(audit.rows.map((r) => r.action)).toEqual(['evaluation.appeal.create', 'evaluation.appeal.decide']);
  });

  it('an accepted appeal changes live results, with the figures without it alongside', async () => {
    // After the correction and the appeal: 处置 Q1 (late, appealed → in time) and Q2 (late) → 按期 1 of 应处置 2;
    // 应结案 2 (Q2's dueClose appeal was refused). 超期处置倍数: Q2 only: limit 130 + 80 = 210, used 130 + 120 = 250.
    // Composite: 10 + 50 × 30 % + 50 × 30 % + 30 = 70 → C; without the appeal 10 + 15 + 0 + 30 = 55 → D.
    const a = await liveA();
    expect(a.appeals).toEqual([appealId]);
    expect(a.indicators).toMatchObject({ disposed: 2, disposedOnTime: 1, disposedLate: 1, onTimeDisposalRate: 0.5, dueClose: 2 });
    expect(a.indicators.overdueMultiple).toBeCloseTo(250 / 210, 12);
    expect(a.composite).toMatchObject({ value: 70, grade: 'C' });
    expect(a.withoutAppeals.indicators).toMatchObject({ disposedOnTime: 0, disposedLate: 2, onTimeDisposalRate: 0 });
    expect(a.withoutAppeals.indicators.overdueMultiple).toBeCloseTo(310 / 240 + 250 / 210, 12);
    expect(a.withoutAppeals.composite).toMatchObject({ value: 55, grade: 'D' });
    const ignored = await liveA('&appeals=ignore');
    expect(ignored.indicators).toEqual(a.withoutAppeals.indicators);
    expect(ignored.appeals).toEqual([]);

    // The drill-down marks the fact the appeal changed.
    const e = (
      await call('GET', `/api/evaluation/explain?object=department:${A}&indicator=disposedOnTime&from=2026-10-01&to=2026-11-01`, 'leader')
    ).json();
    expect(e.value).toBe(1);
    expect(e.facts).toMatchObject([{ caseId: ids['1'], flag: true, appealId }]);
    const late = (
      await call('GET', `/api/evaluation/explain?object=department:${A}&indicator=overdueMultiple&from=2026-10-01&to=2026-11-01`, 'leader')
    ).json();
    expect(late.value).toBeCloseTo(250 / 210, 12);
    expect(late.facts.map((f: { caseId: number }) => f.caseId)).toEqual([ids['2']]);
  });

  it('a recompute on purpose stores a new version with the correction and the appeal; the old one stays; audited', async () => {
    const res = await call('POST', `/api/evaluation/periods/${periodId}/recompute`, 'admin', { reason: '申诉受理后重算' });
    expect(res.statusCode, res.body).toBe(201);
    expect(res.json().versions).toMatchObject([
      { version: 1, appealIds: [] },
      { version: 2, configVersion: 2, appealIds: [appealId], reason: '申诉受理后重算' },
    ]);
    const v2 = await storedA();
    expect(v2.body.version).toBe(2);
    expect(v2.a.indicators).toEqual((await liveA()).indicators);
    expect(v2.a.composite).toMatchObject({ value: 70, grade: 'C' });
    const v1 = await storedA(1);
    expect(v1.a.indicators).toMatchObject({ disposed: 1, disposedOnTime: 0, overdueUndisposed: 1 });
    expect(v1.a.composite).toMatchObject({ value: 55, grade: 'D' });
    // A department's own people read their department only.
    const own = await storedA(undefined, 'handler');
    expect(own.body.items.map((x: { department: { id: number } }) => x.department.id)).toEqual([A]);

    const audit = await sql<{ action: string; before: { version: number } | null; after: { version: number } }>`
      SELECT action, before, after FROM audit_log WHERE entity = 'evaluation_period' AND entity_id = ${String(periodId)} ORDER BY id`.execute(
      t.ctx.db,
    );
    const rows = audit.rows.map((r) => ({
      action: r.action,
      before: typeof r.before === 'string' ? JSON.parse(r.before) : r.before,
      after: typeof r.after === 'string' ? JSON.parse(r.after) : r.after,
    }));
    expect(rows.map((r) => r.action)).toEqual(['evaluation.period.close', 'evaluation.period.recompute']);
    expect(rows[1]).toMatchObject({ before: { version: 1 }, after: { version: 2, appealIds: [appealId] } });
  });

  it('an accepted appeal of 超期未处置 takes the case out of 应处置 and lists it apart in the drill-down', async () => {
    // Q4 department A: dispatched 11-02 09:50 (deadline 15:20), still in hand at 11-15: overdue and undisposed in November.
    await addCase('4', { dept: A, state: 'handling', disposalStarted: '2026-11-02 09:50', disposalDeadline: '2026-11-02 15:20' }, [
      ...opening('2026-11-02'),
    ]);
    const nov = async () =>
      (await call('GET', '/api/evaluation/departments?from=2026-11-01&to=2026-12-01', 'leader'))
        .json()
        .items.find((x: { department: { id: number } }) => x.department.id === A);
    // November, asOf now (11-15): Q4 overdue undisposed; Q2 (fed back) and Q4 open past their deadlines.
    expect((await nov()).indicators).toMatchObject({ disposed: 0, overdueUndisposed: 1, dueDisposal: 1, dueClose: 2 });
    const filed = await call('POST', '/api/evaluation/appeals', 'handler', {
      caseId: ids['4'],
      indicator: 'overdueUndisposed',
      reason: '道路封闭',
    });
    expect(filed.statusCode, filed.body).toBe(201);
    await call('POST', `/api/evaluation/appeals/${filed.json().id}/decision`, 'admin', { decision: 'accept', remark: '属实' });
    const a = await nov();
    expect(a.appeals).toEqual([filed.json().id]);
    // Only 超期未处置 (and so 应处置) changes; 应结案 still holds Q4 (that would be a dueClose appeal).
    expect(a.indicators).toMatchObject({ overdueUndisposed: 0, dueDisposal: 0, disposalRate: null, dueClose: 2 });
    expect(a.withoutAppeals.indicators).toMatchObject({ overdueUndisposed: 1, dueDisposal: 1, disposalRate: 0 });
    const e = (
      await call('GET', `/api/evaluation/explain?object=department:${A}&indicator=dueDisposal&from=2026-11-01&to=2026-12-01`, 'leader')
    ).json();
    expect(e.value).toBe(0);
    expect(e.facts).toEqual([]);
    expect(e.excludedByAppeal).toMatchObject([{ kind: 'overdueUndisposed', caseId: ids['4'], appealId: filed.json().id }]);
  });
});
