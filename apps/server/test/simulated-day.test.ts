/**
 * A simulated day of the demo city on a controlled clock.
 *
 * Tuesday 2026-03-17 (an ordinary working day in Asia/Shanghai) runs minute by minute from
 * 00:00 to 24:00. The demo city's inspectors file reports in their beats during their
 * shifts (events at random points of their grids, components by census code, a few urgent,
 * a few self-handled), the public files anonymous reports around the clock from many
 * addresses (some of them duplicates of an inspector's report, merged by the acceptor), and
 * the acceptor takes hotline calls. Every report carries an idempotency key; some are sent
 * twice, at once or later. The centre's staff, the departments' handlers, the inspectors and
 * the leaders then act on the cases through the HTTP API, concurrently, each within their
 * shift: the standard loop to 结案, 核实 of public reports, some actions late (the clock is
 * moved past the phase deadline first), 返工, 延期, 挂账 (resumed or left suspended), 回退,
 * 不予受理/不予立案/作废, 督办 of overdue cases, the flattened loop for two bound classes, and
 * whatever the day's end leaves open. The deadline sweep runs every 15 simulated minutes,
 * alongside the requests.
 *
 * Afterwards everything is read back from the database: every case is in a legal state for
 * its workflow and its row agrees with its log; every log is numbered 1..n, ordered in time,
 * starts with the report and replays through the workflow; counts agree between the case
 * rows, the log and what the actors did; no retry made a second case; the sweep announced
 * every crossing it saw exactly once and left every overdue case red.
 *
 * Size: CITYLOOP_SIM_REPORTS reports (default 9,000 on PostgreSQL; on PGlite, one connection
 * in one thread, the default is 2,000 to keep the tier within a few minutes).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CASE_ACTIONS } from '@cityloop/shared';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CaseRow } from '../src/modules/cases/cases.repository.ts';
import { multipart, photo } from '../src/modules/media/media.fixtures.ts';
import { type SweepResult, sweepDeadlines } from '../src/modules/realtime/realtime.sweep.ts';
import type { DeliveredEvent } from '../src/modules/realtime/realtime.types.ts';
import { caseViolations, countViolations, loadCases } from './case-invariants.ts';
import { createTestApp, type TestApp, testDbKind } from './helpers.ts';

const REPORTS = Number(process.env.CITYLOOP_SIM_REPORTS ?? (testDbKind() === 'postgres' ? 9000 : 2000));
/** Requests in flight at once. */
const CONCURRENCY = Number(process.env.CITYLOOP_SIM_CONCURRENCY ?? 24);
const SEED = Number(process.env.CITYLOOP_SIM_SEED ?? 20260317);
/** Prints the simulated hour as the day runs. */
const VERBOSE = process.env.CITYLOOP_SIM_VERBOSE === '1';

const DAY = '2026-03-17';
const DAY_START = Date.parse(`${DAY}T00:00:00+08:00`);
const MIN = 60_000;
const MINUTES = 24 * 60;
const SWEEP_EVERY = 15;

/** Shares of the day's reports and of what happens to them. */
const SHARE = {
  public: 0.2,
  hotline: 0.02,
  component: 0.3,
  selfHandled: 0.05,
  urgent: 0.03,
  reportPhoto: 0.3,
  publicDuplicate: 0.1,
  retryAtOnce: 0.01,
  retryLater: 0.01,
  late: 0.08,
  reject: 0.02,
  verifyReject: 0.05,
  selfReject: 0.1,
  refuse: 0.03,
  cancel: 0.02,
  returnRequest: 0.04,
  postpone: 0.05,
  suspend: 0.03,
  rework: 0.08,
};

/** Event classes on the standard loop: hour limits (some late within the day) and day limits. */
const STANDARD_EVENTS = ['0102', '0104', '0112', '0117', '0501', '0504', '0507', '0201', '0110', '0406'];
/** Event classes the city binds to the flattened loop for the day. */
const FLATTENED_EVENTS = ['0505', '0506'];

/** Shifts, as [start, end) minutes of the local day. */
const SHIFTS = {
  centre: [[7 * 60 + 30, 22 * 60]],
  field: [
    [8 * 60, 12 * 60],
    [13 * 60 + 30, 18 * 60 + 30],
  ],
} as const;
type Shift = keyof typeof SHIFTS;

const TERMINAL = new Set(['closed', 'not_accepted', 'not_registered', 'cancelled', 'merged']);

/** mulberry32: a small seeded generator, so a run's plans are reproducible from SEED. */
function seeded(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    chance: (p: number) => next() < p,
    int: (lo: number, hi: number) => lo + Math.floor(next() * (hi - lo + 1)),
    pick: <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)] as T,
  };
}

interface Plan {
  reject: boolean;
  verifyReject: boolean;
  selfReject: boolean;
  refuse: boolean;
  cancel: 'accepted' | 'registered' | null;
  returnRequest: 'approve' | 'reject' | null;
  postpone: 'approve' | 'reject' | null;
  suspend: 'resume' | 'stay' | null;
  reworks: number;
  merge: boolean;
}

interface ReportSpec {
  index: number;
  minute: number;
  source: 'inspector' | 'public' | 'hotline';
  /** Username (inspector, acceptor) or the public device's address. */
  reporter: string;
  key: string;
  body: Record<string, unknown>;
  photos: number;
  retry: 'none' | 'at_once' | 'later';
  plan: Plan;
}

/** What the simulation knows of a case: the last row it saw and what is still to happen. */
interface SimCase {
  id: number;
  number: string;
  source: string;
  workflow: 'standard' | 'flattened';
  version: number;
  state: string;
  gridId: number;
  streetId: number | null;
  districtId: number | null;
  departmentId: number | null;
  pending: string | null;
  phaseDeadline: number | null;
  plan: Plan;
  handler: string | null;
  reworks: number;
  returnAsked: boolean;
  returned: boolean;
  postponeAsked: boolean;
  suspendAsked: boolean;
  lateDisposal: boolean;
  /** A public case's reporter has had their say after 结案 (rated it, said 未解决, or let it be). */
  appraised: boolean;
  /** The case's own generator: the actors' choices for it do not depend on the order requests finish. */
  rng: ReturnType<typeof seeded>;
}

describe('a simulated day of the demo city', () => {
  let t: TestApp;
  let simNow = DAY_START;
  let dataDir: string;
  const rng = seeded(SEED);
  /** For the staff's rounds (queue scans, 督办), which run in whatever order the day brings. */
  const rounds = seeded(SEED + 1);
  const announced: DeliveredEvent[] = [];
  let unsubscribe: () => void = () => {};

  beforeAll(async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cityloop-sim-'));
    t = await createTestApp({ clock: () => new Date(simNow), config: { dataDir } });
    unsubscribe = await t.ctx.services.realtime.subscribe((e) => {
      if (e.type === 'case.overdue' || e.type === 'case.warning') announced.push(e);
    });
  });
  // Dropping the day's database takes a while on a busy machine (95 s seen at load 9).
  afterAll(async () => {
    unsubscribe();
    await t?.close();
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  }, 300_000);

  it(`files ${REPORTS} reports over the day, acts on them, and leaves every case and log consistent`, {
    timeout: 30 * 60_000,
  }, async () => {
    const started = performance.now();
    const { app, ctx } = t;
    const db = ctx.db;

    // --- the city ----------------------------------------------------------------------------
    const calendar = await ctx.services.calendar.load();
    expect(calendar.dayKind(DAY)).toBe('workday');
    const settings = await ctx.services.settings.get();
    expect(settings.timeZone).toBe('Asia/Shanghai');

    const grids = (
      await sql<{ id: number; streetId: number; districtId: number; inspector: string }>`
        SELECT r.id, r.street_id, r.district_id, p.username AS inspector
        FROM region r JOIN beat_grid bg ON bg.grid_id = r.id JOIN beat b ON b.id = bg.beat_id JOIN person p ON p.id = b.inspector_id
        WHERE r.level = 'grid' AND r.valid_to IS NULL ORDER BY r.id`.execute(db)
    ).rows.map((g) => ({ ...g, id: Number(g.id) }));
    const inspectorOfGrid = new Map(grids.map((g) => [g.id, g.inspector]));
    const inspectors = [...new Set(grids.map((g) => g.inspector))].sort();
    const beatOf = new Map(inspectors.map((u) => [u, grids.filter((g) => g.inspector === u).map((g) => g.id)]));
    // Points inside each grid (ST_GeneratePoints with a fixed seed: the same points every run).
    const pointsOf = new Map<number, Array<{ lng: number; lat: number }>>();
    for (const p of (
      await sql<{ id: number; lng: number; lat: number }>`
        SELECT r.id, ST_X(d.geom) AS lng, ST_Y(d.geom) AS lat
        FROM region r, LATERAL ST_Dump(ST_GeneratePoints(r.geom, 60, 7)) d
        WHERE r.level = 'grid' AND r.valid_to IS NULL ORDER BY r.id, d.path`.execute(db)
    ).rows) {
      const id = Number(p.id);
      pointsOf.set(id, [...(pointsOf.get(id) ?? []), { lng: p.lng, lat: p.lat }]);
    }
    const componentsOf = new Map<number, Array<{ code: string; classCode: string }>>();
    for (const k of (
      await sql<{ code: string; classCode: string; gridId: number }>`
        SELECT code, class_code, grid_id FROM (
          SELECT code, class_code, grid_id, row_number() OVER (PARTITION BY grid_id ORDER BY code) AS rn
          FROM component WHERE edition = ${settings.edition} AND grid_id IS NOT NULL) x
        WHERE rn <= 40`.execute(db)
    ).rows) {
      const id = Number(k.gridId);
      componentsOf.set(id, [...(componentsOf.get(id) ?? []), { code: k.code, classCode: k.classCode }]);
    }
    const className = new Map(
      (await db.selectFrom('taxonomyClass').select(['kind', 'code', 'name']).where('edition', '=', settings.edition).execute()).map((c) => [
        `${c.kind}:${c.code}`,
        c.name,
      ]),
    );
    // Who acts for each department: its handlers, else its department administrator.
    const handlers = new Map<number, string[]>();
    const deptAdmins = new Map<number, string[]>();
    for (const r of (
      await sql<{ username: string; dept: number; role: string }>`
        SELECT p.username, coalesce(pr.scope_department_id, p.department_id) AS dept, pr.role
        FROM person p JOIN person_role pr ON pr.person_id = p.id
        WHERE pr.role IN ('handler', 'dept_admin') ORDER BY p.username`.execute(db)
    ).rows) {
      const into = r.role === 'handler' ? handlers : deptAdmins;
      into.set(Number(r.dept), [...(into.get(Number(r.dept)) ?? []), r.username]);
    }
    const actorsOf = (dept: number) => handlers.get(dept) ?? deptAdmins.get(dept) ?? [];
    const streetOffice = new Map(
      (
        await db
          .selectFrom('department')
          .select(['id', 'regionId'])
          .where('level', '=', 'street')
          .where('kind', '=', 'execution')
          .where('active', '=', true)
          .execute()
      ).map((d) => [Number(d.regionId), Number(d.id)]),
    );
    const staff = {
      acceptor: ['acceptor', 'slry01', 'slry02', 'slry03', 'slry04', 'slry05', 'slry06', 'slry07'],
      shiftlead: ['shiftlead', 'zbz01', 'zbz02', 'zbz03'],
      dispatcher: ['dispatcher', 'pqy01', 'pqy02', 'pqy03', 'pqy04', 'pqy05'],
      leader: ['leader', 'ld01'],
    };
    expect(inspectors.length).toBeGreaterThanOrEqual(2);
    expect(streetOffice.size).toBeGreaterThan(0);

    // --- sessions, photos, requests ----------------------------------------------------------------
    const sessions = new Map<string, Promise<string>>();
    const cookieOf = (u: string) => {
      const known = sessions.get(u);
      if (known) return known;
      const c = t.login(u);
      sessions.set(u, c);
      return c;
    };
    let requests = 0;
    const http = async (user: string, method: 'GET' | 'POST', url: string, payload?: object) => {
      requests++;
      return app.inject({ method, url, headers: { cookie: await cookieOf(user) }, ...(payload === undefined ? {} : { payload }) });
    };
    const fail = (what: string, res: { statusCode: number; body: string }) => new Error(`${what}: ${res.statusCode} ${res.body}`);

    /** Photos are uploaded ten per request (the service's limit) and used once each. */
    const stock = new Map<string, string[]>();
    const refills = new Map<string, Promise<void>>();
    /** Photo id → the case it was sent with, for the check that each went to that case. */
    const photoCase = new Map<string, number>();
    let uploads = 0;
    const upload = async (user: string) => {
      const files = await Promise.all(Array.from({ length: 10 }, () => photo('jpeg', { width: 32, height: 24 })));
      const form = multipart(files.map((data, i) => ({ name: 'file', filename: `site-${i}.jpg`, contentType: 'image/jpeg', data })));
      const res = await app.inject({
        method: 'POST',
        url: '/api/media',
        headers: { cookie: await cookieOf(user), ...form.headers },
        payload: form.payload,
      });
      requests++;
      if (res.statusCode !== 201) throw fail(`${user} upload`, res);
      uploads++;
      stock.set(user, [...(stock.get(user) ?? []), ...res.json().map((m: { id: string }) => m.id)]);
    };
    const photos = async (user: string, n: number): Promise<string[]> => {
      for (;;) {
        const s = stock.get(user) ?? [];
        if (s.length >= n) return s.splice(0, n);
        let r = refills.get(user);
        if (!r) {
          r = upload(user).finally(() => refills.delete(user));
          refills.set(user, r);
        }
        await r;
      }
    };

    // --- the clock and the day's schedule --------------------------------------------------------
    let minute = 0;
    const buckets: Array<Array<() => Promise<void>>> = Array.from({ length: MINUTES }, () => []);
    let beyondDay = 0;
    /** Runs `task` at the first whole minute at or after `at` (never in the minute being run). */
    const schedule = (at: number, task: () => Promise<void>) => {
      const m = Math.max(minute + 1, Math.ceil((at - DAY_START) / MIN));
      if (!Number.isFinite(m) || m >= MINUTES) {
        beyondDay++;
        return;
      }
      (buckets[m] as Array<() => Promise<void>>).push(task);
    };
    /** The first instant at or after `at` inside one of the shift's periods (Infinity: not today). */
    const onShift = (shift: Shift, at: number) => {
      const m = (at - DAY_START) / MIN;
      for (const [s, e] of SHIFTS[shift]) {
        if (m < s) return DAY_START + s * MIN;
        if (m < e) return at;
      }
      return Number.POSITIVE_INFINITY;
    };

    // --- what the actors did, to compare with the database ------------------------------------------
    const done: Record<string, number> = {};
    const lateActs: Array<{ caseId: number; action: string; at: number; deadline: number }> = [];
    let conflicts = 0;
    let supervised = 0;
    let mergeFallbacks = 0;
    const sims = new Map<number, SimCase>();
    const created = new Map<string, { id: number | null; number: string }>();
    const retries: Array<{ key: string; id: number | null; number: string; status: number; token: boolean }> = [];
    const tokens = new Map<string, string>();

    const absorb = (c: SimCase, row: CaseRow) => {
      if (row.departmentId !== c.departmentId) c.handler = null;
      c.version = row.version;
      c.state = row.state;
      c.departmentId = row.departmentId;
      c.pending = row.pendingRequest?.type ?? null;
      c.phaseDeadline = row.phaseDeadline ? new Date(row.phaseDeadline).getTime() : null;
    };

    /** Takes an action as `user`; a version conflict (a 督办 or a merged report got there first) reloads and retries. */
    const act = async (c: SimCase, user: string, action: string, body: Record<string, unknown> = {}, late = false) => {
      for (let attempt = 0; ; attempt++) {
        const res = await http(user, 'POST', `/api/cases/${c.id}/actions/${action}`, { version: c.version, ...body });
        if (res.statusCode === 200) {
          if (late) lateActs.push({ caseId: c.id, action, at: simNow, deadline: c.phaseDeadline as number });
          for (const p of (body.photos as string[] | undefined) ?? []) photoCase.set(p, c.id);
          done[action] = (done[action] ?? 0) + 1;
          absorb(c, res.json());
          return res;
        }
        if (res.statusCode === 409 && res.json().error === 'case_version_conflict' && attempt < 8) {
          conflicts++;
          const cur = await http(user, 'GET', `/api/cases/${c.id}`);
          if (cur.statusCode !== 200) throw fail(`${user} reload case ${c.id}`, cur);
          expect(cur.json().state).toBe(c.state);
          c.version = cur.json().version;
          continue;
        }
        return res;
      }
    };
    const must = async (c: SimCase, user: string, action: string, body: Record<string, unknown> = {}, late = false) => {
      const res = await act(c, user, action, body, late);
      if (res.statusCode !== 200) throw fail(`${user} ${action} on case ${c.id} (${c.state}, v${c.version})`, res);
      next(c);
    };

    /**
     * Schedules the case's next step for someone on `shift`: `delay` minutes from now, kept
     * before the phase deadline, or (a share of steps) moved past it so it is done late.
     */
    const step = (c: SimCase, shift: Shift, delay: [number, number], run: (late: boolean) => Promise<void>, onClock = true) => {
      let at = simNow + c.rng.int(delay[0], delay[1]) * MIN;
      let late = false;
      if (onClock && c.phaseDeadline !== null) {
        if (c.rng.chance(SHARE.late)) {
          at = Math.max(at, c.phaseDeadline + c.rng.int(SWEEP_EVERY + 1, 75) * MIN);
          late = true;
        } else {
          at = Math.min(at, Math.max(simNow + MIN, c.phaseDeadline - MIN));
        }
      }
      schedule(onShift(shift, at), () => run(late && simNow > (c.phaseDeadline as number)));
    };
    const handlerFor = (c: SimCase) => {
      const actors = actorsOf(c.departmentId as number);
      if (actors.length === 0) throw new Error(`no handler for department ${c.departmentId}`);
      return c.rng.pick(actors);
    };
    const inspectorFor = (c: SimCase) => inspectorOfGrid.get(c.gridId) ?? c.rng.pick(inspectors);
    const approverFor = (c: SimCase) =>
      c.workflow === 'flattened' && c.rng.chance(0.5) ? c.rng.pick(staff.shiftlead) : c.rng.pick(staff.dispatcher);

    /**
     * The public reporter's say some time after 结案, with the tracking code: a rating (30 %),
     * 未解决 (20 %: the case is reopened for the centre's review) or nothing.
     */
    const appraise = (c: SimCase) => {
      const r = c.rng.next();
      if (r >= 0.5) return;
      const action = r < 0.3 ? 'rate' : 'reopen';
      const reporter = publicNumbers.get(c.number)?.reporter;
      schedule(simNow + c.rng.int(5, 180) * MIN, async () => {
        const token = tokens.get(c.number) as string;
        requests++;
        const res =
          action === 'rate'
            ? await app.inject({
                method: 'POST',
                url: `/api/public/cases/${c.number}/rating`,
                payload: { token, stars: c.rng.int(1, 5) },
                remoteAddress: reporter,
              })
            : await app.inject({
                method: 'POST',
                url: `/api/public/cases/${c.number}/not-fixed`,
                payload: { token, reason: '问题没有解决，又出现了' },
                remoteAddress: reporter,
              });
        if (res.statusCode !== 200) throw fail(`public ${action} of case ${c.id}`, res);
        done[action] = (done[action] ?? 0) + 1;
        const cur = await http(c.rng.pick(staff.acceptor), 'GET', `/api/cases/${c.id}`);
        if (cur.statusCode !== 200) throw fail(`reload case ${c.id}`, cur);
        absorb(c, cur.json());
        next(c);
      });
    };

    /** The actors' part: who does what next, given the case's state and its plan. */
    function next(c: SimCase): void {
      if (c.state === 'closed' && c.source === 'public' && !c.appraised) {
        c.appraised = true;
        appraise(c);
        return;
      }
      if (TERMINAL.has(c.state)) return;
      const p = c.plan;
      if (c.pending) {
        const answer = c.pending === 'return' ? p.returnRequest : c.pending === 'postpone' ? p.postpone : 'approve';
        step(c, 'centre', [5, 30], (late) =>
          answer === 'reject'
            ? must(c, approverFor(c), 'request_reject', { reason: '理由不充分，请继续处置' }, late)
            : must(c, approverFor(c), `${c.pending}_approve`, {}, late).then(() => {
                if (c.state === 'registered') c.returned = true;
              }),
        );
        return;
      }
      switch (c.state) {
        case 'reported':
          step(c, 'centre', [2, 25], async (late) => {
            const acceptor = c.rng.pick(staff.acceptor);
            if (p.merge) {
              const cur = await http(acceptor, 'GET', `/api/cases/${c.id}`);
              if (cur.statusCode !== 200) throw fail(`${acceptor} open case ${c.id}`, cur);
              const dup = (cur.json().duplicates as Array<{ id: number }>)[0];
              if (dup) {
                const res = await act(c, acceptor, 'merge', { intoCaseId: dup.id }, late);
                if (res.statusCode === 200) return;
                // The case it duplicates was closed meanwhile: an ordinary report after all.
                if (res.statusCode !== 422 || res.json().error !== 'merge_target_invalid') throw fail(`merge case ${c.id}`, res);
                mergeFallbacks++;
              }
            }
            if (p.reject) return must(c, acceptor, 'reject', { reason: '不属于城市管理范围' }, late);
            return must(c, acceptor, c.source === 'inspector' ? 'accept' : 'send_verify', {}, late);
          });
          return;
        case 'verifying':
          step(c, 'field', [15, 90], async (late) => {
            const inspector = inspectorFor(c);
            if (p.verifyReject) return must(c, inspector, 'verify_reject', { reason: '现场未发现该问题' }, late);
            return must(c, inspector, 'verify', { photos: await photos(inspector, 1) }, late);
          });
          return;
        case 'self_review':
          step(c, 'centre', [5, 25], (late) =>
            p.selfReject
              ? must(c, c.rng.pick(staff.acceptor), 'self_reject', { reason: '不属于自处理范围，转立案' }, late)
              : must(c, c.rng.pick(staff.acceptor), 'self_approve', {}, late),
          );
          return;
        case 'accepted':
          step(c, 'centre', [2, 25], (late) => {
            const lead = c.rng.pick(staff.shiftlead);
            if (p.refuse) return must(c, lead, 'refuse', { reason: '不符合立案条件' }, late);
            if (p.cancel === 'accepted') return must(c, lead, 'cancel', { reason: '重复立案，作废' }, late);
            return must(c, lead, 'register', {}, late);
          });
          return;
        case 'registered':
        case 'coordination':
          step(c, 'centre', [2, 25], async (late) => {
            if (p.cancel === 'registered') {
              return must(c, c.rng.pick(staff.shiftlead), 'cancel', { reason: '问题已消失，作废' }, late);
            }
            const dispatcher = c.workflow === 'flattened' && c.rng.chance(0.3) ? c.rng.pick(staff.shiftlead) : c.rng.pick(staff.dispatcher);
            let dept: number | null = null;
            if (c.returned || c.state === 'coordination') {
              // 属地: the street office of the case's street takes what no department owns.
              dept = streetOffice.get(c.streetId as number) ?? null;
            } else {
              const s = await http(dispatcher, 'GET', `/api/cases/${c.id}/dispatch-suggestion`);
              if (s.statusCode !== 200) throw fail(`suggestion for case ${c.id}`, s);
              if (s.json().kind === 'department') dept = s.json().department.id;
            }
            if (dept === null) {
              if (c.state === 'coordination') throw new Error(`case ${c.id}: no street office for street ${c.streetId}`);
              return must(c, dispatcher, 'to_coordination', { reason: '权属不清，转协同' }, late);
            }
            await must(c, dispatcher, 'dispatch', { departmentId: dept }, late);
          });
          return;
        case 'dispatched':
          c.handler ??= handlerFor(c);
          step(c, 'field', [5, 40], (late) => {
            const h = c.handler as string;
            if (p.returnRequest && !c.returnAsked && c.rng.chance(0.5)) {
              c.returnAsked = true;
              return must(c, h, 'return_request', { reason: '不属于本部门职责' }, late);
            }
            return must(c, h, 'sign', {}, late);
          });
          return;
        case 'handling':
          c.handler ??= handlerFor(c);
          if (p.returnRequest && !c.returnAsked) {
            c.returnAsked = true;
            step(c, 'field', [10, 60], (late) => must(c, c.handler as string, 'return_request', { reason: '不属于本部门职责' }, late));
          } else if (p.postpone && !c.postponeAsked) {
            c.postponeAsked = true;
            const extension = c.rng.chance(0.5) ? { value: 1, unit: 'day' } : { value: 4, unit: 'hour' };
            step(c, 'field', [20, 90], (late) =>
              must(c, c.handler as string, 'postpone_request', { reason: '需采购材料，申请延期', extension }, late),
            );
          } else if (p.suspend && !c.suspendAsked) {
            c.suspendAsked = true;
            step(c, 'field', [20, 90], (late) =>
              must(c, c.handler as string, 'suspend_request', { reason: '涉及规划调整，申请挂账' }, late),
            );
          } else {
            step(c, 'field', [30, 180], async (late) => {
              const h = c.handler as string;
              if (c.phaseDeadline !== null && simNow > c.phaseDeadline) c.lateDisposal = true;
              await must(c, h, 'feedback', { note: '已处置完毕', photos: await photos(h, 1) }, late);
            });
          }
          return;
        case 'suspended':
          if (p.suspend === 'resume') {
            step(
              c,
              'centre',
              [60, 180],
              () => must(c, c.rng.chance(0.5) ? c.rng.pick(staff.dispatcher) : (c.handler ?? handlerFor(c)), 'resume'),
              false,
            );
          }
          return;
        case 'feedback':
          step(c, 'centre', [2, 20], (late) => must(c, c.rng.pick(staff.acceptor), 'send_check', {}, late));
          return;
        case 'reopened':
          // The centre reviews what the reporter said: the close stands, 返工, or dispatch again.
          step(c, 'centre', [5, 40], (late) => {
            const r = c.rng.next();
            const who = c.rng.chance(0.5) ? c.rng.pick(staff.acceptor) : c.rng.pick(staff.shiftlead);
            const action = r < 0.4 ? 'review_close' : r < 0.75 && c.departmentId !== null ? 'review_rework' : 'review_redispatch';
            return must(c, who, action, { reason: '复核公众反映未解决' }, late);
          });
          return;
        case 'checking':
          step(c, 'field', [15, 90], async (late) => {
            const inspector = inspectorFor(c);
            const shots = await photos(inspector, 1);
            if (c.reworks < p.reworks) {
              c.reworks++;
              c.handler = null;
              return must(c, inspector, 'check_fail', { photos: shots, reason: '整改不到位，返工' }, late);
            }
            return must(c, inspector, 'check_pass', { photos: shots }, late);
          });
          return;
        case 'to_close':
          step(c, 'centre', [2, 25], (late) => {
            const lead = c.rng.pick(staff.shiftlead);
            if (c.workflow === 'flattened' && c.reworks < p.reworks) {
              c.reworks++;
              return must(c, lead, 'close_reject', { reason: '照片不能反映整改结果，返工' }, late);
            }
            return must(c, lead, 'close', { archiveType: c.lateDisposal ? 'overdue' : 'normal' }, late);
          });
          return;
        default:
          throw new Error(`case ${c.id}: no actor for state ${c.state}`);
      }
    }

    const adopt = (row: CaseRow, spec: ReportSpec): SimCase => {
      const c: SimCase = {
        id: Number(row.id),
        number: row.number,
        source: row.source,
        workflow: row.workflow,
        version: row.version,
        state: row.state,
        gridId: Number(row.gridId),
        streetId: row.streetId,
        districtId: row.districtId,
        departmentId: row.departmentId,
        pending: null,
        phaseDeadline: null,
        plan: spec.plan,
        rng: seeded(SEED * 7919 + spec.index + 1),
        handler: null,
        reworks: 0,
        returnAsked: false,
        returned: false,
        postponeAsked: false,
        suspendAsked: false,
        lateDisposal: false,
        appraised: false,
      };
      absorb(c, row);
      sims.set(c.id, c);
      return c;
    };

    // --- the day's reports -----------------------------------------------------------------------
    for (const classCode of FLATTENED_EVENTS) {
      const res = await http('admin', 'POST', '/api/workflows/bindings', {
        edition: settings.edition,
        kind: 'event',
        classCode,
        workflow: 'flattened',
      });
      expect(res.statusCode, res.body).toBe(201);
    }

    const fieldMinutes = SHIFTS.field.flatMap(([s, e]) => Array.from({ length: e - 30 - s }, (_, i) => s + i));
    const publicWeight = [1, 0.5, 0.3, 0.3, 0.3, 0.5, 1, 2, 4, 5, 5, 5, 4, 4, 5, 5, 5, 5, 4, 4, 3, 3, 2, 1.5];
    const publicMinute = () => {
      let r = rng.next() * publicWeight.reduce((a, b) => a + b, 0);
      for (const [h, w] of publicWeight.entries()) {
        if (r < w) return h * 60 + rng.int(0, 59);
        r -= w;
      }
      return 23 * 60 + rng.int(0, 59);
    };
    const planFor = (source: ReportSpec['source'], workflow: 'standard' | 'flattened'): Plan => ({
      reject: rng.chance(SHARE.reject),
      verifyReject: source !== 'inspector' && rng.chance(SHARE.verifyReject),
      selfReject: rng.chance(SHARE.selfReject),
      refuse: rng.chance(SHARE.refuse),
      cancel: rng.chance(SHARE.cancel) ? (workflow === 'flattened' || rng.chance(0.5) ? 'registered' : 'accepted') : null,
      returnRequest: rng.chance(SHARE.returnRequest) ? (rng.chance(0.8) ? 'approve' : 'reject') : null,
      postpone: rng.chance(SHARE.postpone) ? (rng.chance(0.85) ? 'approve' : 'reject') : null,
      suspend: rng.chance(SHARE.suspend) ? (rng.chance(0.6) ? 'resume' : 'stay') : null,
      reworks: rng.chance(SHARE.rework) ? (rng.chance(0.2) ? 2 : 1) : 0,
      merge: false,
    });
    const specs: ReportSpec[] = [];
    const inspectorEvents: ReportSpec[] = [];
    let publicDevice = 0;
    let deviceReports = 0;
    for (let i = 0; i < REPORTS; i++) {
      const r = rng.next();
      const retry = rng.chance(SHARE.retryAtOnce) ? 'at_once' : rng.chance(SHARE.retryLater) ? 'later' : 'none';
      if (r < SHARE.public + SHARE.hotline) {
        const isPublic = r < SHARE.public;
        const minute = isPublic ? publicMinute() : rng.int(8 * 60, 20 * 60);
        const earlier = inspectorEvents.filter((s) => s.minute < minute);
        const dup = isPublic && earlier.length > 0 && rng.chance(SHARE.publicDuplicate) ? rng.pick(earlier) : null;
        const grid = rng.pick(grids);
        const classCode = dup ? (dup.body.classCode as string) : rng.pick(STANDARD_EVENTS);
        const location = dup ? (dup.body.location as { lng: number; lat: number }) : rng.pick(pointsOf.get(grid.id) ?? []);
        // Each public device (one address) files one to three reports.
        if (isPublic && (deviceReports === 0 || rng.chance(0.5) || deviceReports >= 3)) {
          publicDevice++;
          deviceReports = 0;
        }
        if (isPublic) deviceReports++;
        const plan = planFor(isPublic ? 'public' : 'hotline', 'standard');
        plan.merge = dup !== null;
        specs.push({
          index: i,
          minute,
          source: isPublic ? 'public' : 'hotline',
          reporter: isPublic
            ? `10.${(publicDevice >> 16) & 255}.${(publicDevice >> 8) & 255}.${publicDevice & 255}`
            : rng.pick(staff.acceptor),
          key: `${isPublic ? 'pub' : 'tel'}-${SEED}-${i}`,
          body: {
            kind: 'event',
            classCode,
            description: `${className.get(`event:${classCode}`) ?? classCode}${isPublic ? '（市民反映）' : '（热线来电）'}`,
            location,
            ...(isPublic ? {} : { source: 'hotline' }),
            ...(rng.chance(0.5) ? { reporterContact: { phone: `139${String(10_000_000 + i).slice(-8)}` } } : {}),
          },
          photos: 0,
          retry,
          plan,
        });
        continue;
      }
      const inspector = rng.pick(inspectors);
      const beat = beatOf.get(inspector) as number[];
      const gridId = rng.pick(beat);
      const components = componentsOf.get(gridId) ?? [];
      const component = components.length > 0 && rng.chance(SHARE.component) ? rng.pick(components) : null;
      const flattened = !component && rng.chance(0.15);
      const classCode = component ? component.classCode : rng.pick(flattened ? FLATTENED_EVENTS : STANDARD_EVENTS);
      const selfHandled = !component && !flattened && rng.chance(SHARE.selfHandled);
      const kind = component ? 'component' : 'event';
      const spec: ReportSpec = {
        index: i,
        minute: rng.pick(fieldMinutes),
        source: 'inspector',
        reporter: inspector,
        key: `ins-${SEED}-${i}`,
        body: {
          kind,
          classCode,
          description: `${className.get(`${kind}:${classCode}`) ?? classCode}（巡查发现）`,
          ...(component ? { componentCode: component.code } : { location: rng.pick(pointsOf.get(gridId) ?? []) }),
          ...(rng.chance(SHARE.urgent) ? { urgent: true } : {}),
          ...(selfHandled ? { selfHandled: true } : {}),
        },
        photos: selfHandled ? 2 : rng.chance(SHARE.reportPhoto) ? 1 : 0,
        retry,
        plan: planFor('inspector', flattened ? 'flattened' : 'standard'),
      };
      specs.push(spec);
      if (kind === 'event' && !flattened) inspectorEvents.push(spec);
    }
    expect(specs).toHaveLength(REPORTS);
    const publicNumbers = new Map<string, ReportSpec>();

    const send = async (s: ReportSpec, photoIds: string[]) => {
      requests++;
      const body = { ...s.body, idempotencyKey: s.key, ...(photoIds.length ? { photos: photoIds } : {}) };
      if (s.source === 'public') return app.inject({ method: 'POST', url: '/api/public/cases', payload: body, remoteAddress: s.reporter });
      return http(s.reporter, 'POST', '/api/cases', body);
    };
    const file = async (s: ReportSpec) => {
      const photoIds = s.photos > 0 ? await photos(s.reporter, s.photos) : [];
      const [res, again] = await Promise.all([send(s, photoIds), s.retry === 'at_once' ? send(s, photoIds) : null]);
      const answers = [res, ...(again ? [again] : [])];
      const first = answers.find((a) => a.statusCode === 201);
      if (!first) throw fail(`report ${s.key} by ${s.reporter}`, res);
      const row = first.json();
      created.set(s.key, { id: row.id ?? null, number: row.number });
      for (const p of photoIds) photoCase.set(p, row.id);
      if (s.source === 'public') {
        tokens.set(row.number, row.token);
        publicNumbers.set(row.number, s);
      } else {
        next(adopt(row, s));
      }
      for (const a of answers) {
        if (a === first) continue;
        retries.push({ key: s.key, id: a.json().id ?? null, number: a.json().number, status: a.statusCode, token: 'token' in a.json() });
      }
      if (s.retry === 'later') {
        schedule(simNow + (1 + (s.index % 30)) * MIN, async () => {
          const a = await send(s, photoIds);
          retries.push({ key: s.key, id: a.json().id ?? null, number: a.json().number, status: a.statusCode, token: 'token' in a.json() });
        });
      }
    };
    for (const s of specs) schedule(DAY_START + s.minute * MIN, () => file(s));

    // The acceptors work the public queue: anonymous reports are found there, not by id.
    const scanPublic = async () => {
      const acceptor = rounds.pick(staff.acceptor);
      for (let offset = 0; ; offset += 200) {
        const res = await http(acceptor, 'GET', `/api/cases?queue=todo&source=public&state=reported&limit=200&offset=${offset}`);
        if (res.statusCode !== 200) throw fail('public queue', res);
        const items = res.json().items as CaseRow[];
        for (const row of items) {
          const spec = publicNumbers.get(row.number);
          if (!spec || sims.has(Number(row.id))) continue;
          next(adopt(row, spec));
        }
        if (items.length < 200) return;
      }
    };
    // Leaders chase overdue cases (督办) from the overdue list.
    const supervise = async () => {
      const leader = rounds.pick(staff.leader);
      const res = await http(leader, 'GET', '/api/cases?overdue=true&limit=20');
      if (res.statusCode !== 200) throw fail('overdue list', res);
      const items = res.json().items as CaseRow[];
      for (const row of items) expect(new Date(row.phaseDeadline as Date).getTime()).toBeLessThan(simNow);
      for (const row of items.slice(0, 3)) {
        const r = await http(leader, 'POST', `/api/cases/${row.id}/actions/supervise`, {
          version: row.version,
          note: '已超时，请尽快处理',
        });
        if (r.statusCode === 200) supervised++;
        else if (r.statusCode !== 409) throw fail(`supervise case ${row.id}`, r);
      }
    };
    for (let m = 0; m < MINUTES; m++) {
      const at = DAY_START + m * MIN;
      if (m % 5 === 0 && onShift('centre', at) === at) (buckets[m] as Array<() => Promise<void>>).push(scanPublic);
      if (m % 30 === 0 && m >= 8 * 60 + 30 && m <= 17 * 60 + 30) (buckets[m] as Array<() => Promise<void>>).push(supervise);
    }

    // --- run the day -------------------------------------------------------------------------------
    const sweeps: Array<{ at: number } & SweepResult> = [];
    const dayStarted = performance.now();
    const errors: unknown[] = [];
    for (minute = 0; minute < MINUTES; minute++) {
      simNow = DAY_START + minute * MIN;
      const tasks = buckets[minute] as Array<() => Promise<void>>;
      buckets[minute] = [];
      if (VERBOSE && minute % 60 === 0) {
        console.log(
          `[simulated day] ${String(minute / 60).padStart(2, '0')}:00 ${requests} requests, ${((performance.now() - dayStarted) / 1000).toFixed(1)} s`,
        );
      }
      let i = 0;
      const worker = async () => {
        while (i < tasks.length && errors.length === 0) {
          await (tasks[i++] as () => Promise<void>)().catch((err: unknown) => {
            errors.push(err);
          });
        }
      };
      const sweep =
        minute % SWEEP_EVERY === 0
          ? sweepDeadlines(ctx, new Date(simNow)).then(
              (r) => {
                sweeps.push({ at: simNow, ...r });
              },
              (err: unknown) => {
                errors.push(err);
              },
            )
          : null;
      await Promise.all([...Array.from({ length: Math.min(CONCURRENCY, tasks.length) }, worker), sweep]);
      // A failed step stops the day once the steps in flight have settled.
      if (errors.length > 0) throw errors[0];
    }
    simNow = DAY_START + MINUTES * MIN;
    const last = await sweepDeadlines(ctx, new Date(simNow));
    sweeps.push({ at: simNow, ...last });
    await ctx.services.realtime.flush();
    const daySeconds = (performance.now() - dayStarted) / 1000;

    // --- afterwards: straight from the database ----------------------------------------------------
    const { cases, events } = await loadCases(db);
    const open = cases.filter((c) => !TERMINAL.has(c.state));
    const byState = Object.fromEntries(
      [...new Set(cases.map((c) => c.state))].sort().map((s) => [s, cases.filter((c) => c.state === s).length]),
    );
    const eventCount = [...events.values()].reduce((n, l) => n + l.length, 0);
    console.log(
      `[simulated day] ${testDbKind()}: ${REPORTS} reports, ${eventCount} events, ${requests} requests (${uploads} uploads) in ` +
        `${daySeconds.toFixed(1)} s (whole test so far ${((performance.now() - started) / 1000).toFixed(1)} s); ` +
        `${conflicts} version conflicts retried, ${supervised} 督办, ${mergeFallbacks} merges fell back, ${lateActs.length} late actions, ${beyondDay} steps left for tomorrow; ` +
        `states ${JSON.stringify(byState)}`,
    );

    // Every case is legal for its workflow and agrees with its log; the log replays.
    const violations = caseViolations(cases, events);
    expect(violations.slice(0, 20), `${violations.length} violations`).toEqual([]);
    expect(await countViolations(db)).toEqual([]);

    // One case per report, none from a retry; numbers of the day, unique.
    expect(cases).toHaveLength(REPORTS);
    expect(created.size).toBe(REPORTS);
    expect(new Set(cases.map((c) => c.number)).size).toBe(REPORTS);
    for (const c of cases) expect(c.number.startsWith(DAY.replaceAll('-', ''))).toBe(true);
    const keys = await sql<{ n: number; distinct: number }>`
      SELECT count(*)::int AS n, count(DISTINCT idempotency_key)::int AS distinct FROM case_file WHERE idempotency_key IS NOT NULL`.execute(
      db,
    );
    expect(keys.rows[0]).toEqual({ n: REPORTS, distinct: REPORTS });
    expect(retries.length).toBeGreaterThan(0);
    for (const r of retries) {
      const first = created.get(r.key);
      expect(r.status, r.key).toBe(200);
      expect(r.number, r.key).toBe(first?.number);
      if (r.id !== null) expect(r.id, r.key).toBe(first?.id);
      expect(r.token, `a retry of ${r.key} returned a tracking code`).toBe(false);
    }
    // Sources: what the reporters used, the rows and the report events agree.
    const sourcesPlanned: Record<string, number> = {};
    for (const s of specs) sourcesPlanned[s.source] = (sourcesPlanned[s.source] ?? 0) + 1;
    const sourcesRows: Record<string, number> = {};
    for (const c of cases) sourcesRows[c.source] = (sourcesRows[c.source] ?? 0) + 1;
    expect(sourcesRows).toEqual(sourcesPlanned);

    // What the actors did is what the log holds (a merge is logged on both cases).
    const logged: Record<string, number> = {};
    for (const l of events.values()) for (const e of l) logged[e.action] = (logged[e.action] ?? 0) + 1;
    const flattenedCases = cases.filter((c) => c.workflow === 'flattened');
    const expected: Record<string, number> = {
      ...done,
      report: REPORTS,
      ...(done.merge ? { merge: 2 * done.merge } : {}),
      ...(supervised ? { supervise: supervised } : {}),
    };
    const intake = ['auto_register', 'auto_dispatch'] as const;
    for (const a of intake) {
      if (logged[a]) expected[a] = logged[a];
    }
    expect(logged.auto_register ?? 0).toBe(flattenedCases.length);
    const intakeCoordination = [...events.values()].filter((l) =>
      l.some((e) => e.action === 'to_coordination' && e.actorRole === 'system'),
    ).length;
    expect((logged.auto_dispatch ?? 0) + intakeCoordination).toBe(flattenedCases.length);
    if (intakeCoordination) expected.to_coordination = (expected.to_coordination ?? 0) + intakeCoordination;
    expect(logged).toEqual(expected);

    // Photos went to the case they were sent with.
    const media = await db.selectFrom('media').select(['id', 'caseId']).where('caseId', 'is not', null).execute();
    const mediaCase = new Map(media.map((m) => [m.id, Number(m.caseId)]));
    expect(mediaCase.size).toBe(photoCase.size);
    for (const [id, caseId] of photoCase) expect(mediaCase.get(id), id).toBe(caseId);

    // Late actions: done after the deadline, logged as not on time, and the sweep had turned them red first.
    const sweepTimes = sweeps.map((s) => s.at);
    const overdue = announced.filter((e) => e.type === 'case.overdue');
    const redFor = new Map<string, number>();
    for (const e of overdue) {
      const k = `${e.caseId}@${new Date(e.deadline as string).getTime()}`;
      redFor.set(k, Math.min(redFor.get(k) ?? Number.POSITIVE_INFINITY, new Date(e.at).getTime()));
    }
    for (const l of lateActs) {
      const e = (events.get(l.caseId) ?? []).find((x) => x.action === l.action && new Date(x.endedAt).getTime() === l.at);
      expect(e, `late ${l.action} on case ${l.caseId}`).toBeDefined();
      expect(e?.onTime).toBe(false);
      expect(new Date(e?.deadlineAt as Date).getTime()).toBe(l.deadline);
    }
    let lateEvents = 0;
    for (const l of events.values()) {
      for (const [i, e] of l.entries()) {
        if (e.onTime !== false || e.deadlineAt === null) continue;
        lateEvents++;
        const deadline = new Date(e.deadlineAt).getTime();
        const since = Math.max(deadline, new Date((l[i - 1] as { endedAt: Date }).endedAt).getTime());
        const swept = sweepTimes.some((s) => s >= since && s < new Date(e.endedAt).getTime());
        if (!swept) continue;
        const red = redFor.get(`${e.caseId}@${deadline}`);
        expect(red, `case ${e.caseId} ${e.action} late without a red light`).toBeDefined();
        expect(red as number).toBeLessThan(new Date(e.endedAt).getTime());
      }
    }
    // Each crossing announced once per phase clock (the clock starts when the case entered the
    // announced state, or when 延期 moved its deadline); red only at or past the deadline, yellow before it.
    const caseById = new Map(cases.map((c) => [c.id, c]));
    /** The deadline of the clock a log event started: what the next event was measured against, or the row's if none came. */
    const clockDeadline = (caseId: number, seq: number) => {
      const after = (events.get(caseId) ?? []).find((x) => x.seq > seq && !(x.action === 'merge' && x.payload.mergedCaseId !== undefined));
      const d = after ? after.deadlineAt : (caseById.get(caseId)?.phaseDeadline ?? null);
      return d === null ? null : new Date(d).toISOString();
    };
    const seen = new Set<string>();
    for (const e of announced) {
      const at = new Date(e.at).getTime();
      const clock = (events.get(e.caseId) ?? []).findLast(
        (x) =>
          new Date(x.endedAt).getTime() <= at &&
          x.toState === e.state &&
          (x.fromState !== x.toState || x.action === 'postpone_approve' || x.seq === 1),
      );
      expect(clock, `case ${e.caseId} announced in ${e.state}, which its log never entered`).toBeDefined();
      const k = `${e.caseId}|${e.type}|${clock?.seq}|${e.deadline}`;
      expect(seen.has(k), `announced twice: ${k}`).toBe(false);
      seen.add(k);
      expect(e.state !== undefined && !TERMINAL.has(e.state) && e.state !== 'suspended', JSON.stringify(e)).toBe(true);
      expect(e.deadline, JSON.stringify(e)).toBe(clockDeadline(e.caseId, clock?.seq ?? 0));
      const d = new Date(e.deadline as string).getTime();
      if (e.type === 'case.overdue') expect(d, JSON.stringify(e)).toBeLessThanOrEqual(at);
      else expect(d, JSON.stringify(e)).toBeGreaterThan(at);
    }
    // At the day's end every overdue case on the clock is red on its current clock, and the overdue queue lists them all.
    const lights = await sql<{ caseId: number; light: string; phaseStartedAt: Date; deadline: Date }>`
      SELECT case_id, light, phase_started_at, deadline FROM case_light`.execute(db);
    const lightOf = new Map(lights.rows.map((l) => [Number(l.caseId), l]));
    const phaseStart = await sql<{ id: number; phaseStartedAt: Date }>`SELECT id, phase_started_at FROM case_file`.execute(db);
    const startedOf = new Map(phaseStart.rows.map((r) => [Number(r.id), new Date(r.phaseStartedAt).getTime()]));
    const overdueNow = open.filter((c) => c.phaseDeadline !== null && new Date(c.phaseDeadline).getTime() <= simNow);
    for (const c of overdueNow) {
      const l = lightOf.get(c.id);
      expect(l?.light, `case ${c.id} overdue at day end`).toBe('red');
      expect(new Date(l?.deadline as Date).getTime()).toBe(new Date(c.phaseDeadline as Date).getTime());
      expect(new Date(l?.phaseStartedAt as Date).getTime()).toBe(startedOf.get(c.id));
    }
    const overdueList = await http('leader', 'GET', '/api/cases?overdue=true&limit=1');
    expect(overdueList.json().total).toBe(
      open.filter((c) => c.phaseDeadline !== null && new Date(c.phaseDeadline).getTime() < simNow).length,
    );

    // The public follows its reports with the tracking code: the milestones are the log (督办 aside).
    const publicCases = cases.filter((c) => c.source === 'public');
    for (const c of publicCases.slice(0, 25)) {
      const res = await app.inject({ method: 'GET', url: `/api/public/cases/${c.number}?token=${tokens.get(c.number)}` });
      expect(res.statusCode).toBe(200);
      expect(res.json().state).toBe(c.state);
      expect(res.json().milestones).toHaveLength((events.get(c.id) ?? []).filter((e) => e.phase !== 'supervise').length);
    }

    // The day did what it set out to: every path was taken (a day of at least 1,000 reports
    // has each of them), and the day's end left work open.
    // Every action but the report itself, the flattened loop's automatic steps, the dispatcher's
    // manual 协同 and an acceptor refusing a self-handled report.
    const untried = new Set(['report', 'auto_register', 'auto_dispatch', 'to_coordination', 'self_reject']);
    for (const a of REPORTS < 1000 ? [] : CASE_ACTIONS.filter((x) => !untried.has(x))) {
      expect(logged[a] ?? 0, a).toBeGreaterThan(0);
    }
    expect(lateEvents).toBeGreaterThan(0);
    expect(lateActs.length).toBeGreaterThan(0);
    expect(overdue.length).toBeGreaterThan(0);
    expect(open.length).toBeGreaterThan(0);
    if (REPORTS >= 1000) expect(cases.filter((c) => c.state === 'suspended').length).toBeGreaterThan(0);
    expect(cases.filter((c) => c.state === 'closed').length).toBeGreaterThan(0);
  });
});
