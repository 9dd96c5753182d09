import type { CaseAction } from '@cityloop/shared';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, demoCaseFixtures, type TestApp, testDbKind } from '../../../test/helpers.ts';
import type { Auth } from '../auth/auth.service.ts';
import { photo } from '../media/media.fixtures.ts';
import { DEPARTMENT_INDICATORS, POSITION_INDICATORS, POSITION_ROLES, REGION_INDICATORS } from './evaluation.config.ts';

/**
 * Invariants over a generated log: reports run through the case service on a controlled clock
 * (2026-03-30 to 2026-04-03, across a month's end and up to the 清明 holiday) by every role,
 * with late dispositions, 返工, 延期, 挂账 (resumed or not), 回退 to another department and work
 * left open; then the evaluation of several periods is checked for what must always hold.
 */
const REPORTS = testDbKind() === 'postgres' ? 300 : 120;
const HOUR = 3_600_000;

describe('evaluation: invariants over a generated log', () => {
  let t: TestApp;
  let now = new Date('2026-03-30T08:00:00+08:00');
  const auth: Record<string, Auth> = {};
  let deptA: number;
  let deptB: number;
  let eventClass: string;
  let points: Array<{ lng: number; lat: number }>;
  const pool: Record<string, string[]> = {};

  // A small seeded generator: the same log every run.
  let seed = 20260330;
  const rnd = () => {
    // mulberry32
    seed = (seed + 0x6d2b79f5) | 0;
    let x = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };

  /** A fresh photo of `who` (one per case and person: a photo belongs to one case). */
  const photoOf = async (who: string): Promise<string> => {
    const p = pool[who] ?? [];
    if (p.length === 0) {
      const buffer = await photo('jpeg', { width: 32, height: 24 });
      const files = Array.from({ length: 10 }, (_, i) => ({ filename: `p${i}.jpg`, buffer }));
      const stored = await t.ctx.services.media.upload(auth[who] as Auth, files);
      p.push(...stored.map((m) => (m as { id: string }).id));
    }
    pool[who] = p;
    return p.pop() as string;
  };

  const act = async (who: string, id: number, action: CaseAction, input: Record<string, unknown> = {}) => {
    const c = await t.ctx.services.cases.get(auth.admin as Auth, id);
    return t.ctx.services.cases.act(auth[who] as Auth, id, action, { ...input, version: c.version });
  };
  const later = (hours: number) => {
    now = new Date(now.getTime() + hours * HOUR);
  };

  /** One case's life; returns nothing, the log is what counts. */
  async function life(i: number) {
    const start = new Date(Date.parse('2026-03-30T08:00:00+08:00') + (i / REPORTS) * 4.5 * 24 * HOUR);
    now = start;
    const point = points[i % points.length] as { lng: number; lat: number };
    const hotline = rnd() < 0.25;
    const created = await t.ctx.services.cases.report(
      auth[hotline ? 'acceptor' : 'inspector'] as Auth,
      {
        source: hotline ? 'hotline' : 'inspector',
        kind: 'event',
        classCode: eventClass,
        description: `generated ${i}`,
        location: point,
        idempotencyKey: `eval-inv-${i}`,
      } as never,
    );
    const id = created.case.id as number;
    later(0.2);
    if (hotline) {
      await act('acceptor', id, 'send_verify');
      later(0.5);
      await act('inspector', id, 'verify', { photos: [await photoOf('inspector')] });
    } else await act('acceptor', id, 'accept');
    later(0.2);
    await act('shiftlead', id, 'register');
    later(0.3);
    let dept = rnd() < 0.6 ? deptA : deptB;
    let handler = dept === deptA ? 'handler' : 'handler2';
    await act('dispatcher', id, 'dispatch', { departmentId: dept });
    if (rnd() < 0.08) return; // left as dispatched
    later(0.5);
    if (rnd() < 0.12) {
      await act(handler, id, 'return_request', { reason: '非本部门职责' });
      later(0.5);
      await act('dispatcher', id, 'return_approve');
      dept = dept === deptA ? deptB : deptA;
      handler = dept === deptA ? 'handler' : 'handler2';
      later(0.3);
      await act('dispatcher', id, 'dispatch', { departmentId: dept });
      later(0.3);
    }
    await act(handler, id, 'sign');
    if (rnd() < 0.12) {
      await act(handler, id, 'postpone_request', { reason: '需要采购', extension: { value: 1, unit: 'day' } });
      later(0.5);
      await act('dispatcher', id, 'postpone_approve');
    }
    if (rnd() < 0.1) {
      await act(handler, id, 'suspend_request', { reason: '资金未到位' });
      later(0.5);
      await act('dispatcher', id, 'suspend_approve');
      if (rnd() < 0.4) return; // left suspended
      later(24 * rnd());
      await act(handler, id, 'resume');
    }
    if (rnd() < 0.08) return; // in hand, maybe overdue
    later(rnd() < 0.3 ? 250 + 200 * rnd() : 2 * rnd()); // some late (the class allows days), most within hours
    await act(handler, id, 'feedback', { note: '已处理', photos: [await photoOf(handler)] });
    later(0.3);
    await act('acceptor', id, 'send_check');
    later(1);
    if (rnd() < 0.15) {
      await act('inspector', id, 'check_fail', { reason: '未处理到位', photos: [await photoOf('inspector')] });
      later(0.5);
      await act(handler, id, 'sign');
      later(rnd() < 0.3 ? 250 + 200 * rnd() : 2 * rnd());
      await act(handler, id, 'feedback', { note: '返工完成', photos: [await photoOf(handler)] });
      later(0.3);
      await act('acceptor', id, 'send_check');
      later(1);
    }
    await act('inspector', id, 'check_pass', { photos: [await photoOf('inspector')] });
    if (rnd() < 0.1) return; // waiting to be closed
    later(0.3);
    await act('shiftlead', id, 'close', { archiveType: 'normal' });
  }

  beforeAll(async () => {
    t = await createTestApp({ clock: () => now });
    const fx = await demoCaseFixtures(t.ctx.db);
    deptA = fx.handlerDept;
    eventClass = fx.eventClass;
    const other = await t.ctx.db
      .selectFrom('department')
      .select('id')
      .where('kind', '=', 'execution')
      .where('id', '<>', deptA)
      .orderBy('code')
      .executeTakeFirstOrThrow();
    deptB = other.id;
    await t.ctx.services.orgs.createPerson(
      { username: 'handler2', name: '处置二', departmentId: deptB, password: 'handler2-pass', roles: [{ role: 'handler' }] },
      null,
    );
    for (const u of ['admin', 'acceptor', 'shiftlead', 'dispatcher', 'handler', 'handler2', 'inspector', 'leader']) {
      const p = await t.ctx.db.selectFrom('person').select('id').where('username', '=', u).executeTakeFirstOrThrow();
      auth[u] = (await t.ctx.services.auth.loadPerson(p.id)) as Auth;
    }
    // Points in every grid of the demo inspector's beat (核实 and 核查 are theirs).
    const r = await sql<{ lng: number; lat: number }>`
      SELECT ST_X(ST_PointOnSurface(r.geom)) AS lng, ST_Y(ST_PointOnSurface(r.geom)) AS lat
      FROM beat b JOIN person p ON p.id = b.inspector_id JOIN beat_grid bg ON bg.beat_id = b.id JOIN region r ON r.id = bg.grid_id
      WHERE p.username = 'inspector' ORDER BY r.code`.execute(t.ctx.db);
    points = r.rows;
    for (let i = 0; i < REPORTS; i++) await life(i);
    // Tables filled a moment ago have no planner statistics yet (autovacuum has not run).
    await sql`ANALYZE case_file, case_event`.execute(t.ctx.db);
    now = new Date('2026-06-01T12:00:00+08:00');
    // Some thousand transitions through the case service: on a loaded 2-core machine PGlite
    // needs more than the default two minutes.
  }, 300_000);
  afterAll(() => t.close());

  const PERIODS: Array<[string, string]> = [
    ['2026-03-30', '2026-03-31'],
    ['2026-03-30', '2026-04-01'],
    ['2026-04-01', '2026-04-07'],
    ['2026-03-30', '2026-04-07'],
    ['2026-04-01', '2026-05-01'],
    ['2026-03-01', '2026-06-01'],
  ];
  const RATES = new Set([
    'disposalRate',
    'onTimeDisposalRate',
    'reworkRate',
    'closeRate',
    'reportRate',
    'onTimeCloseRate',
    ...Object.values(POSITION_INDICATORS)
      .flat()
      .filter((k) => k.endsWith('Rate')),
  ]);
  type Item = { indicators: Record<string, number | null>; composite: { value: number | null; grade: string | null } };

  function checkItem(x: Item, label: string) {
    for (const [k, v] of Object.entries(x.indicators)) {
      if (RATES.has(k)) {
        if (v !== null) expect(v, `${label} ${k}`).toBeGreaterThanOrEqual(0);
        if (v !== null) expect(v, `${label} ${k}`).toBeLessThanOrEqual(1);
      } else if (k === 'overdueMultiple') {
        // Σ elapsed / limit over late disposals: each is more than 1 (or exactly 1 at a zero limit).
        expect(v, label).toBeGreaterThanOrEqual(x.indicators.disposedLate as number);
      } else expect(Number.isInteger(v), `${label} ${k}=${v}`).toBe(true);
    }
    const c = x.composite;
    if (c.value === null) expect(c.grade).toBeNull();
    else {
      expect(c.value).toBeGreaterThanOrEqual(0);
      expect(c.value).toBeLessThanOrEqual(100);
      expect(c.grade).toMatch(/^[A-E]$/);
    }
  }

  it(`generated ${REPORTS} cases with every sub-flow in the log`, async () => {
    const r = await sql<{ action: string; n: number }>`SELECT action, count(*)::int AS n FROM case_event GROUP BY action`.execute(t.ctx.db);
    const n: Record<string, number> = Object.fromEntries(r.rows.map((x) => [x.action, x.n]));
    for (const a of ['feedback', 'check_fail', 'postpone_approve', 'suspend_approve', 'resume', 'return_approve', 'close', 'verify']) {
      expect(n[a] ?? 0, `${a} in ${JSON.stringify(n)}`).toBeGreaterThan(0);
    }
    const late = await sql<{ n: number }>`SELECT count(*)::int AS n FROM case_event WHERE action = 'feedback' AND on_time = false`.execute(
      t.ctx.db,
    );
    expect(late.rows[0]?.n).toBeGreaterThan(0);
    // What the definitions lean on: every feedback is timed against a deadline, and a 回退 is
    // logged with the department that had the case (the one its last dispatch named).
    const untimed = await sql<{ n: number }>`
      SELECT count(*)::int AS n FROM case_event WHERE action = 'feedback' AND (deadline_at IS NULL OR on_time IS NULL)`.execute(t.ctx.db);
    expect(untimed.rows[0]?.n).toBe(0);
    const returns = await sql<{ n: number; wrong: number }>`
      SELECT count(*)::int AS n, count(*) FILTER (WHERE r.department_id IS DISTINCT FROM (
        SELECT d.department_id FROM case_event d
        WHERE d.case_id = r.case_id AND d.seq < r.seq AND d.action IN ('dispatch', 'auto_dispatch') ORDER BY d.seq DESC LIMIT 1))::int AS wrong
      FROM case_event r WHERE r.action = 'return_approve'`.execute(t.ctx.db);
    expect(returns.rows[0]?.n).toBeGreaterThan(0);
    expect(returns.rows[0]?.wrong).toBe(0);
  });

  it('departments: 按期 + 超期 = 处置, 应处置 = 处置 + 超期未处置, rates in [0, 1] or N/A, totals match the log', async () => {
    for (const attribution of ['completed', 'created'] as const) {
      for (const [from, to] of PERIODS) {
        const res = await t.ctx.services.evaluation.departments(auth.leader as Auth, { from, to, attribution });
        let disposed = 0;
        if (from === '2026-03-01') {
          // The whole run: late dispositions and work left overdue exist, so the checks below bite.
          expect(res.items.reduce((s, x) => s + x.indicators.disposedLate, 0)).toBeGreaterThan(0);
          expect(res.items.reduce((s, x) => s + x.indicators.overdueUndisposed, 0)).toBeGreaterThan(0);
          expect(res.items.reduce((s, x) => s + x.indicators.rework + x.indicators.returned, 0)).toBeGreaterThan(0);
        }
        for (const x of res.items) {
          const v = x.indicators;
          const label = `${attribution} ${from}..${to} dept ${x.department.id}`;
          checkItem(x as Item, label);
          expect(Object.keys(v).sort()).toEqual([...DEPARTMENT_INDICATORS].sort());
          expect(v.disposedOnTime + v.disposedLate, label).toBe(v.disposed);
          expect(v.dueDisposal, label).toBe(v.disposed + v.overdueUndisposed);
          expect(v.dueClose, label).toBeGreaterThanOrEqual(v.closed);
          expect(v.disposalRate === null, label).toBe(v.dueDisposal === 0);
          expect(v.closeRate === null, label).toBe(v.dueClose === 0);
          disposed += v.disposed;
        }
        if (attribution === 'completed') {
          const p = await t.ctx.services.evaluation.period({ from, to });
          const log = await sql<{ n: number }>`
            SELECT count(*)::int AS n FROM case_event WHERE action = 'feedback' AND ended_at >= ${p.lo} AND ended_at < ${p.hi}`.execute(
            t.ctx.db,
          );
          expect(disposed, `${from}..${to}`).toBe(log.rows[0]?.n);
        }
      }
    }
  });

  it('positions: 按时 ≤ total, rates in [0, 1] or N/A exactly at a zero denominator, totals match the log', async () => {
    // [part, whole, rate] triples: the part is never above the whole; the rate is N/A exactly when the whole is 0.
    const PAIRS: Record<string, Array<[string, string, string]>> = {
      inspector: [
        ['validReported', 'reported', 'validReportRate'],
        ['verifiedOnTime', 'verifyDue', 'onTimeVerifyRate'],
        ['checkedOnTime', 'checkDue', 'onTimeCheckRate'],
        ['missed', 'beatRegistered', 'missedRate'],
      ],
      acceptor: [
        ['receivedOnTime', 'received', 'onTimeReceiveRate'],
        ['sentVerifyOnTime', 'sentVerify', 'sendVerifyOnTimeRate'],
        ['sentCheckOnTime', 'sentCheck', 'sendCheckOnTimeRate'],
      ],
      shiftlead: [
        ['registeredOnTime', 'registered', 'onTimeRegisterRate'],
        ['cancelled', 'registered', 'accurateRegisterRate'],
        ['closedOnTime', 'closed', 'onTimeCloseRate'],
      ],
      dispatcher: [
        ['dispatchedOnTime', 'dispatched', 'onTimeDispatchRate'],
        ['misdispatched', 'dispatched', 'accurateDispatchRate'],
      ],
    };
    const ACTIONS: Record<string, [string, string]> = {
      acceptor: ['sentCheck', 'send_check'],
      shiftlead: ['closed', 'close'],
      dispatcher: ['dispatched', 'dispatch'],
    };
    for (const attribution of ['completed', 'created'] as const) {
      for (const [from, to] of PERIODS) {
        for (const role of POSITION_ROLES) {
          const res = await t.ctx.services.evaluation.positions(auth.leader as Auth, { from, to, attribution, role });
          let total = 0;
          for (const x of res.items) {
            const v = x.indicators as Record<string, number | null>;
            const label = `${attribution} ${from}..${to} ${role} ${x.person.id}`;
            checkItem(x as Item, label);
            expect(Object.keys(v).sort()).toEqual([...POSITION_INDICATORS[role]].sort());
            for (const [part, whole, rate] of PAIRS[role] ?? []) {
              expect(v[part] as number, `${label} ${part}`).toBeLessThanOrEqual(v[whole] as number);
              expect(v[rate] === null, `${label} ${rate}`).toBe(v[whole] === 0);
            }
            const counted = ACTIONS[role];
            if (counted) total += v[counted[0]] as number;
          }
          if (from === '2026-03-01' && attribution === 'completed') {
            // The whole run: every position has work in it.
            expect(
              res.items.some((x) => x.composite.value !== null),
              role,
            ).toBe(true);
          }
          const counted = ACTIONS[role];
          if (counted && attribution === 'completed') {
            const p = await t.ctx.services.evaluation.period({ from, to });
            const log = await sql<{ n: number }>`
              SELECT count(*)::int AS n FROM case_event WHERE action = ${counted[1]} AND actor_role = ${role}
                AND ended_at >= ${p.lo} AND ended_at < ${p.hi}`.execute(t.ctx.db);
            expect(total, `${role} ${from}..${to}`).toBe(log.rows[0]?.n);
          }
        }
      }
    }
  });

  it('regions: grids add up to their community, communities to their street, streets to their district', async () => {
    const COUNTS = ['reportVerified', 'registered', 'closed', 'closedOnTime', 'dueClose'] as const;
    for (const attribution of ['completed', 'created'] as const) {
      for (const [from, to] of PERIODS) {
        const levels = {} as Record<string, Map<number, Item & { region: { id: number; parentId: number | null } }>>;
        for (const level of ['grid', 'community', 'street', 'district'] as const) {
          const res = await t.ctx.services.evaluation.regions(auth.leader as Auth, { from, to, attribution, level });
          levels[level] = new Map(res.items.map((x) => [x.region.id, x as never]));
          for (const x of res.items) {
            checkItem(x as Item, `${attribution} ${from}..${to} ${level} ${x.region.id}`);
            expect(Object.keys(x.indicators).sort()).toEqual([...REGION_INDICATORS].sort());
          }
        }
        for (const [child, parent] of [
          ['grid', 'community'],
          ['community', 'street'],
          ['street', 'district'],
        ] as const) {
          const sums = new Map<number, Record<string, number>>();
          for (const x of (levels[child] as Map<number, Item & { region: { parentId: number | null } }>).values()) {
            const s = sums.get(x.region.parentId as number) ?? {};
            for (const k of COUNTS) s[k] = (s[k] ?? 0) + (x.indicators[k] as number);
            sums.set(x.region.parentId as number, s);
          }
          for (const [id, x] of levels[parent] as Map<number, Item>) {
            const s = sums.get(id) ?? {};
            for (const k of COUNTS) expect(x.indicators[k], `${attribution} ${from}..${to} ${parent} ${id} ${k}`).toBe(s[k] ?? 0);
          }
        }
        // The city's 立案数 under completion attribution is the log's count of 立案 in the period.
        if (attribution === 'completed') {
          const p = await t.ctx.services.evaluation.period({ from, to });
          const log = await sql<{ n: number }>`
            SELECT count(*)::int AS n FROM case_event
            WHERE action IN ('register', 'auto_register') AND ended_at >= ${p.lo} AND ended_at < ${p.hi}`.execute(t.ctx.db);
          const total = [...(levels.district as Map<number, Item>).values()].reduce((s, x) => s + (x.indicators.registered as number), 0);
          expect(total).toBe(log.rows[0]?.n);
        }
      }
    }
  });

  it('the daily rollup kept by the log trigger counts what the log counts, and a rebuild gives the same rows', async () => {
    const repo = t.ctx.services.evaluation.repo;
    const norm = (xs: Array<{ key: number; kind: string; n: number; flagged: number }>, kinds?: string[]) =>
      xs
        .filter((x) => x.n > 0 && (!kinds || kinds.includes(x.kind)))
        .map((x) => `${Number(x.key)} ${x.kind} ${x.n} ${x.flagged}`)
        .sort();
    // The kinds each object's indicators are made of (the log path counts every kind).
    const DEPARTMENT_KINDS = ['disposed', 'overdueUndisposed', 'rework', 'postponed', 'suspended', 'returned', 'closed', 'overdueOpen'];
    const REGION_KINDS = ['reportVerified', 'registered', 'closed', 'overdueOpen'];
    expect(await repo.rollupZone()).toBe((await t.ctx.services.settings.get()).timeZone);
    for (const [from, to] of PERIODS) {
      const p = await t.ctx.services.evaluation.period({ from, to });
      const label = `${from}..${to}`;
      expect(norm(await repo.departmentCounts(p)), label).toEqual(norm(await repo.departmentCountsFromLog(p), DEPARTMENT_KINDS));
      for (const level of ['grid', 'community', 'street', 'district'] as const) {
        expect(norm(await repo.regionCounts(p, level)), `${label} ${level}`).toEqual(
          norm(await repo.regionCountsFromLog(p, level), REGION_KINDS),
        );
      }
    }
    const rows = async () =>
      (
        await sql<{ r: string }>`
          SELECT concat_ws(' ', 'd', day, department_id, kind, n, flagged) AS r FROM evaluation_department_day
          UNION ALL
          SELECT concat_ws(' ', 'r', day, grid_id, community_id, street_id, district_id, kind, n, flagged) FROM evaluation_region_day
          ORDER BY 1`.execute(t.ctx.db)
      ).rows.map((x) => x.r);
    const kept = await rows();
    expect(kept.length).toBeGreaterThan(0);
    await sql`SELECT evaluation_day_rebuild()`.execute(t.ctx.db);
    expect(await rows()).toEqual(kept);
  });

  it('the position rollup counts what the log counts, 超期处置倍数 from measured late disposals equals the log, and a rebuild gives the same rows', async () => {
    const ev = t.ctx.services.evaluation;
    const norm = (xs: Array<{ key: number; kind: string; n: number; flagged: number }>) =>
      xs
        .filter((x) => x.n !== 0 || x.flagged !== 0)
        .map((x) => `${Number(x.key)} ${x.kind} ${x.n} ${x.flagged}`)
        .sort();
    let fromRollup = 0;
    for (const [from, to] of PERIODS) {
      const p = await ev.period({ from, to });
      if (p.asOf.getTime() === p.hi.getTime()) fromRollup++;
      for (const role of ['inspector', 'acceptor', 'shiftlead', 'dispatcher'] as const) {
        expect(norm(await ev.repo.positionCounts(p, role)), `${from}..${to} ${role}`).toEqual(
          norm(await ev.repo.positionCountsFromLog(p, role)),
        );
      }
      // A zone the rollup was not built in sends the multiples to the log.
      const [rolled, logged] = [await ev.overdueMultiples(p), await ev.overdueMultiples({ ...p, zone: 'UTC+00:00' })];
      expect([...rolled.all.keys()].sort(), `${from}..${to}`).toEqual([...logged.all.keys()].sort());
      for (const [k, v] of logged.all) expect(rolled.all.get(k), `${from}..${to} ${k}`).toBeCloseTo(v, 9);
    }
    expect(fromRollup).toBeGreaterThan(0);
    // "Now" inside the log (later rows exist too): the current periods combine the rollup up to
    // asOf's midnight with the changes logged since, from the log.
    const saved = now;
    try {
      for (const at of ['2026-04-02T15:00:00+08:00', '2026-04-03T10:30:00+08:00', '2026-04-01T00:00:00+08:00']) {
        now = new Date(at);
        for (const [from, to] of [
          ['2026-03-30', '2026-04-07'],
          ['2026-04-01', '2026-05-01'],
          ['2026-04-02', '2026-04-04'],
        ] as const) {
          const p = await ev.period({ from, to });
          for (const role of ['inspector', 'acceptor', 'shiftlead', 'dispatcher'] as const) {
            expect(norm(await ev.repo.positionCounts(p, role)), `now ${at}: ${from}..${to} ${role}`).toEqual(
              norm(await ev.repo.positionCountsFromLog(p, role)),
            );
          }
        }
      }
    } finally {
      now = saved;
    }
    const rows = async () =>
      (
        await sql<{ r: string }>`
          SELECT concat_ws(' ', 'p', day, person_id, kind, n, flagged) AS r FROM evaluation_person_day
          UNION ALL
          SELECT concat_ws(' ', 'c', day, change_day, person_id, kind, delta) FROM evaluation_person_change WHERE delta <> 0
          UNION ALL
          SELECT concat_ws(' ', 'b', day, grid_id, n, flagged) FROM evaluation_beat_day
          UNION ALL
          SELECT concat_ws(' ', 'l', event_id, day, department_id, case_id) FROM evaluation_late_disposal
          ORDER BY 1`.execute(t.ctx.db)
      ).rows.map((x) => x.r);
    const kept = await rows();
    expect(kept.filter((r) => r.startsWith('c ')).length).toBeGreaterThan(0);
    await sql`SELECT evaluation_day_rebuild()`.execute(t.ctx.db);
    expect(await rows()).toEqual(kept);

    // A calendar edit (two workdays of the log made holidays) changes the calendar's key: the
    // late disposals are measured again on the next request, and still equal the log's.
    const total = async () => {
      let sum = 0;
      for (const [from, to] of PERIODS) {
        const p = await ev.period({ from, to });
        const [rolled, logged] = [await ev.overdueMultiples(p), await ev.overdueMultiples({ ...p, zone: 'UTC+00:00' })];
        for (const [k, v] of logged.all) expect(rolled.all.get(k), `${from}..${to} ${k} after a calendar edit`).toBeCloseTo(v, 9);
        for (const v of rolled.all.values()) sum += v;
      }
      return sum;
    };
    const edited = ['2026-03-31', '2026-04-01'];
    const savedDays = (
      await sql<{ day: string; kind: string; name: string | null; source: string }>`
        SELECT day::text, kind, name, source FROM calendar_day WHERE day = ANY(${edited}::date[])`.execute(t.ctx.db)
    ).rows;
    const beforeEdit = await total();
    try {
      await sql`INSERT INTO calendar_day (day, kind, name) SELECT d, 'holiday', '测试' FROM unnest(${edited}::date[]) d
        ON CONFLICT (day) DO UPDATE SET kind = 'holiday'`.execute(t.ctx.db);
      t.ctx.services.calendar.invalidate();
      expect(await total()).not.toBeCloseTo(beforeEdit, 6);
    } finally {
      await sql`DELETE FROM calendar_day WHERE day = ANY(${edited}::date[])`.execute(t.ctx.db);
      for (const r of savedDays) {
        await sql`INSERT INTO calendar_day (day, kind, name, source) VALUES (${r.day}::date, ${r.kind}, ${r.name}, ${r.source})`.execute(
          t.ctx.db,
        );
      }
      t.ctx.services.calendar.invalidate();
    }
    expect(await total()).toBeCloseTo(beforeEdit, 9);
  });

  it('completed-attribution event counts add up over adjacent periods', async () => {
    const get = async (from: string, to: string) =>
      new Map(
        (await t.ctx.services.evaluation.departments(auth.leader as Auth, { from, to })).items.map((x) => [x.department.id, x.indicators]),
      );
    const [a, b, ab] = await Promise.all([
      get('2026-03-30', '2026-04-01'),
      get('2026-04-01', '2026-04-07'),
      get('2026-03-30', '2026-04-07'),
    ]);
    for (const [id, v] of ab) {
      for (const k of ['disposed', 'disposedOnTime', 'rework', 'postponed', 'suspended', 'returned', 'closed'] as const) {
        expect(v[k], `${id} ${k}`).toBe((a.get(id)?.[k] as number) + (b.get(id)?.[k] as number));
      }
    }
  });

  it('every drill-down recomputes the figure it explains', async () => {
    const from = '2026-03-30';
    const to = '2026-04-07';
    const depts = await t.ctx.services.evaluation.departments(auth.leader as Auth, { from, to });
    for (const d of depts.items.filter((x) => x.indicators.dueDisposal > 0)) {
      for (const indicator of DEPARTMENT_INDICATORS) {
        const e = await t.ctx.services.evaluation.explain(auth.leader as Auth, {
          from,
          to,
          object: `department:${d.department.id}`,
          indicator,
        });
        expect(e.value, `${d.department.id} ${indicator}`).toBe(d.indicators[indicator]);
      }
    }
    const grids = await t.ctx.services.evaluation.regions(auth.leader as Auth, { from, to, level: 'street' });
    for (const g of grids.items.filter((x) => x.indicators.registered > 0)) {
      for (const indicator of REGION_INDICATORS) {
        const e = await t.ctx.services.evaluation.explain(auth.leader as Auth, { from, to, object: `region:${g.region.id}`, indicator });
        expect(e.value, `${g.region.id} ${indicator}`).toBe(g.indicators[indicator]);
      }
    }
    for (const role of POSITION_ROLES) {
      const people = await t.ctx.services.evaluation.positions(auth.leader as Auth, { from, to, role });
      for (const x of people.items.filter((y) => y.composite.value !== null)) {
        for (const indicator of POSITION_INDICATORS[role]) {
          const e = await t.ctx.services.evaluation.explain(auth.leader as Auth, {
            from,
            to,
            object: `person:${x.person.id}`,
            role,
            indicator,
          });
          expect(e.value, `${role} ${x.person.id} ${indicator}`).toBe(x.indicators[indicator]);
        }
      }
    }
  });
});
