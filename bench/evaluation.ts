/**
 * Evaluation over a year of a large city: CITYLOOP_BENCH_EVAL_CASES cases (default 3,000,000)
 * over the 365 days of 2025 with their phase logs, generated in SQL into a throwaway database
 * holding the demo city (CITYLOOP_BENCH_EVAL_SCALE, default 0.1), then the full evaluation
 * (every department, regions at all four levels, the four positions, completion attribution) timed for one month
 * and for the whole year. Baseline in the same run: a bare GROUP BY of the same period's log rows
 * by department and action.
 *
 * PostgreSQL when DATABASE_URL or TEST_DATABASE_URL is set, and PGlite always; PGlite gets
 * CITYLOOP_BENCH_EVAL_PGLITE_CASES (default 300,000: one thread in WebAssembly, 30 M log rows
 * would not fit the time).
 *
 * CITYLOOP_BENCH_EVAL_KEEP=1 keeps the PostgreSQL database (its name is logged) for EXPLAIN;
 * CITYLOOP_BENCH_EVAL_REUSE=<that name> times it again without generating (the migrations added
 * since are applied first), e.g. with CITYLOOP_BENCH_EVAL_PGLITE_CASES=0.
 *
 * The log: 受理 (or 核实 for public and hotline reports) → 立案 → 派遣 → 签收 → 反馈 → 发核查 →
 * 核查 → 结案, with 回退 and re-dispatch, 延期, 挂账 (resumed or left), 返工, late disposals, a
 * few cases abandoned in hand, and the cases still open at the year's end cut where they stood.
 * Deadlines are counted in natural hours (a centre working around the clock); `on_time` is
 * `ended_at <= deadline_at` throughout.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type Kysely, sql } from 'kysely';
import pg from 'pg';
import { loadConfig } from '../apps/server/src/config.ts';
import { type Context, createContext } from '../apps/server/src/context.ts';
import { type Database, openPGlite, openPostgres } from '../apps/server/src/db/database.ts';
import { migrate } from '../apps/server/src/db/migrate.ts';
import type { DB } from '../apps/server/src/db/schema.ts';
import type { Auth } from '../apps/server/src/modules/auth/auth.service.ts';
import { loadDemoCity } from '../apps/server/src/modules/demo/demo.service.ts';
import { POSITION_ROLES } from '../apps/server/src/modules/evaluation/evaluation.config.ts';
import { REGION_LEVELS } from '../apps/server/src/modules/evaluation/evaluation.repository.ts';

const CASES = Number(process.env.CITYLOOP_BENCH_EVAL_CASES ?? 3_000_000);
const PGLITE_CASES = Number(process.env.CITYLOOP_BENCH_EVAL_PGLITE_CASES ?? Math.min(CASES, 300_000));
const SCALE = Number(process.env.CITYLOOP_BENCH_EVAL_SCALE ?? 0.1);
const RUNS = Number(process.env.CITYLOOP_BENCH_EVAL_RUNS ?? 3);

const round = (n: number, d = 3) => Math.round(n * 10 ** d) / 10 ** d;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;
const log = (msg: string) => console.error(`  ${new Date().toISOString().slice(11, 19)} ${msg}`);

/** Times `fn` RUNS times (after one warm-up run) and returns the median in seconds. */
async function timed(fn: () => Promise<unknown>): Promise<number> {
  await fn();
  const xs: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t0 = performance.now();
    await fn();
    xs.push((performance.now() - t0) / 1000);
  }
  return median(xs);
}

/**
 * The year's cases and logs, set-based. One row of `bench_plan` per case holds its whole life
 * as milestone times (null = the step does not happen); the cases and the log are drawn from it.
 */
async function generate(db: Kysely<DB>, n: number): Promise<void> {
  let last = performance.now();
  const step = (what: string) => {
    const now = performance.now();
    log(`  ${what}: ${round((now - last) / 1000, 1)} s`);
    last = now;
  };
  await sql`SELECT setseed(0.2025)`.execute(db);
  await sql`CREATE TEMP TABLE bench_grid AS
    SELECT row_number() OVER (ORDER BY g.code) - 1 AS k, g.id, m.id AS community_id, s.id AS street_id, s.parent_id AS district_id,
      ST_PointOnSurface(g.geom) AS p
    FROM region g JOIN region m ON m.id = g.parent_id JOIN region s ON s.id = m.parent_id
    WHERE g.level = 'grid' AND g.valid_to IS NULL`.execute(db);
  await sql`CREATE TEMP TABLE bench_class AS
    SELECT row_number() OVER (ORDER BY code) - 1 AS k, code,
      (ARRAY[4, 24, 24, 48, 72, 168])[1 + (row_number() OVER (ORDER BY code))::int % 6] AS limit_h
    FROM taxonomy_class WHERE edition = 'CJT214-2007' AND kind = 'event' AND level = 'minor'`.execute(db);
  await sql`CREATE TEMP TABLE bench_dept AS
    SELECT row_number() OVER (ORDER BY code) - 1 AS k, id FROM department WHERE kind = 'execution'`.execute(db);
  const base = (await sql<{ n: string }>`SELECT coalesce(max(id), 0) AS n FROM case_file`.execute(db)).rows[0]?.n ?? '0';

  // Draws: a day of 2025 (busier on weekdays), an hour with a daytime peak, a grid, a class, a
  // department, the source, and the branches of the case's life.
  await sql`CREATE TEMP TABLE bench_draw AS
    SELECT ${Number(base)}::bigint + i AS id, i,
      timestamptz '2025-01-01 00:00:00+08'
        + floor(power(random(), 1.03) * 365) * interval '1 day'
        + CASE WHEN random() < 0.85 THEN (7 + 13 * random()) ELSE 24 * random() END * interval '1 hour' AS t0,
      floor(random() * (SELECT count(*) FROM bench_grid))::int AS gk,
      floor(power(random(), 2) * (SELECT count(*) FROM bench_class))::int AS ck,
      floor(random() * (SELECT count(*) FROM bench_dept))::int AS dk,
      floor(random() * (SELECT count(*) FROM bench_dept))::int AS dk2,
      random() AS src, random() AS r_ret, random() AS r_post, random() AS r_susp, random() AS r_res,
      random() AS r_fb1, random() AS r_fb2, random() AS r_rework, random() AS r_stop, random() AS r_urgent
    FROM generate_series(1, ${n}) i`.execute(db);
  await sql`CREATE TEMP TABLE bench_plan AS
    SELECT d.*, g.id AS grid_id, g.community_id, g.street_id, g.district_id, g.p,
      c.code AS class_code, c.limit_h,
      de.id AS dept1, CASE WHEN d.r_ret < 0.04 THEN d2.id END AS dept2,
      CASE WHEN d.src < 0.62 THEN 'inspector' WHEN d.src < 0.72 THEN 'public' WHEN d.src < 0.92 THEN 'hotline'
           WHEN d.src < 0.96 THEN 'iot' ELSE 'video' END AS source
    FROM bench_draw d
    JOIN bench_grid g ON g.k = d.gk JOIN bench_class c ON c.k = d.ck
    JOIN bench_dept de ON de.k = d.dk JOIN bench_dept d2 ON d2.k = (d.dk + 1 + d.dk2 % greatest(1, (SELECT count(*) - 1 FROM bench_dept))) % (SELECT count(*) FROM bench_dept)`.execute(
    db,
  );
  await sql`DROP TABLE bench_draw`.execute(db);
  // Milestones, in hours after the report; each step follows the previous one.
  await sql`CREATE TEMP TABLE bench_life AS
    SELECT p.*, s.*
    FROM bench_plan p, LATERAL (
      SELECT x.*,
        -- the disposal clock: from the (last) dispatch, plus 延期 and the 挂账 pause
        x.ds + p.limit_h + x.ext + coalesce(x.resume - x.sapp, 0) AS dl1
      FROM (
        SELECT y.*,
          CASE WHEN p.r_post < 0.05 THEN y.sign + 2 END AS preq,
          CASE WHEN p.r_post < 0.05 THEN y.sign + 3 END AS papp,
          CASE WHEN p.r_post < 0.05 THEN 24 ELSE 0 END AS ext,
          CASE WHEN p.r_susp < 0.02 THEN y.sign + 4 END AS sreq,
          CASE WHEN p.r_susp < 0.02 THEN y.sign + 5 END AS sapp,
          CASE WHEN p.r_susp < 0.02 AND p.r_res < 0.75 THEN y.sign + 5 + 24 + 120 * p.r_res END AS resume
        FROM (
          SELECT z.*, z.ds + 0.1 + 1.5 * p.r_fb2 AS sign
          FROM (
            SELECT w.*, coalesce(w.disp2, w.disp1) AS ds
            FROM (
              SELECT v.*, v.reg + 0.1 + 0.9 * p.r_res AS disp1,
                CASE WHEN p.dept2 IS NOT NULL THEN v.reg + 2 END AS rreq,
                CASE WHEN p.dept2 IS NOT NULL THEN v.reg + 2.5 END AS rapp,
                CASE WHEN p.dept2 IS NOT NULL THEN v.reg + 3 END AS disp2
              FROM (SELECT u.acc, u.acc + 0.1 + 1.9 * p.r_fb1 AS reg
                    FROM (SELECT CASE WHEN p.source IN ('public', 'hotline') THEN 1.2 + p.r_post ELSE 0.2 + 0.5 * p.r_susp END AS acc) u) v
            ) w
          ) z
        ) y
      ) x
    ) s`.execute(db);
  // Disposal, 核查 and 结案: the first feedback after the last of 签收, 延期, 恢复; late for ~15 %.
  await sql`CREATE TEMP TABLE bench_case AS
    SELECT l.*, r.*, q.*
    FROM bench_life l,
      LATERAL (SELECT greatest(l.sign, l.papp, l.resume) + CASE WHEN l.r_fb1 < 0.85 THEN l.limit_h * l.r_fb1 * 0.9
                ELSE l.limit_h * (1 + 3 * (l.r_fb1 - 0.85)) + 1 END AS fb1) r0,
      LATERAL (SELECT CASE WHEN l.r_stop < 0.004 OR (l.sapp IS NOT NULL AND l.resume IS NULL) THEN NULL ELSE r0.fb1 END AS fb1,
                l.r_rework < 0.08 AS rework) r,
      LATERAL (SELECT r.fb1 + 0.5 AS sc1, r.fb1 + 2 AS chk1,
                CASE WHEN r.rework THEN r.fb1 + 2.5 END AS sign2,
                CASE WHEN r.rework THEN r.fb1 + 2 + l.limit_h END AS dl2,
                CASE WHEN r.rework THEN r.fb1 + 2.5 + l.limit_h * (CASE WHEN l.r_fb2 < 0.9 THEN l.r_fb2 ELSE 1.4 END) END AS fb2,
                CASE WHEN r.rework THEN r.fb1 + 3 + l.limit_h * (CASE WHEN l.r_fb2 < 0.9 THEN l.r_fb2 ELSE 1.4 END) END AS sc2,
                CASE WHEN r.rework THEN r.fb1 + 4.5 + l.limit_h * (CASE WHEN l.r_fb2 < 0.9 THEN l.r_fb2 ELSE 1.4 END) END AS chk2) q`.execute(
    db,
  );
  await sql`DROP TABLE bench_plan, bench_life`.execute(db);
  step('plan');

  // Each case's log: one row per step that happened by the end of 2025, numbered in order; the
  // last of them is the state the case stands in. Steps: k, action, from, to, phase, role, start
  // and end (hours after the report), deadline (hours), department.
  const steps = sql`LATERAL (
    SELECT v.*, row_number() OVER (ORDER BY v.k)::int AS seq, count(*) OVER () AS steps FROM (VALUES
      (1, 'report', NULL, 'reported', 'report', CASE c.source WHEN 'inspector' THEN 'inspector' WHEN 'hotline' THEN 'acceptor' END, 0, 0,
          NULL::float8, NULL::bigint),
      (2, CASE WHEN c.source IN ('public', 'hotline') THEN 'send_verify' ELSE 'accept' END, 'reported',
          CASE WHEN c.source IN ('public', 'hotline') THEN 'verifying' ELSE 'accepted' END, 'receive', 'acceptor',
          0, CASE WHEN c.source IN ('public', 'hotline') THEN 0.5 ELSE c.acc END, 1, NULL),
      (3, CASE WHEN c.source IN ('public', 'hotline') THEN 'verify' END, 'verifying', 'accepted', 'verify', 'inspector', 0.5, c.acc, 2.5, NULL),
      (4, 'register', 'accepted', 'registered', 'register', 'shiftlead', c.acc, c.reg, c.acc + 2, NULL),
      (5, 'dispatch', 'registered', 'dispatched', 'dispatch', 'dispatcher', c.reg, c.disp1, c.reg + 1, c.dept1),
      (6, CASE WHEN c.rreq IS NOT NULL THEN 'return_request' END, 'dispatched', 'dispatched', 'dispose', 'handler', c.disp1, c.rreq, NULL, c.dept1),
      (7, CASE WHEN c.rapp IS NOT NULL THEN 'return_approve' END, 'dispatched', 'registered', 'dispatch', 'dispatcher', c.rreq, c.rapp, NULL, c.dept1),
      (8, CASE WHEN c.disp2 IS NOT NULL THEN 'dispatch' END, 'registered', 'dispatched', 'dispatch', 'dispatcher', c.rapp, c.disp2, c.rapp + 1, c.dept2),
      (9, 'sign', 'dispatched', 'handling', 'dispose', 'handler', c.ds, c.sign, NULL, NULL),
      (10, CASE WHEN c.preq IS NOT NULL THEN 'postpone_request' END, 'handling', 'handling', 'dispose', 'handler', c.sign, c.preq, NULL, NULL),
      (11, CASE WHEN c.papp IS NOT NULL THEN 'postpone_approve' END, 'handling', 'handling', 'dispose', 'dispatcher', c.preq, c.papp, NULL, NULL),
      (12, CASE WHEN c.sreq IS NOT NULL THEN 'suspend_request' END, 'handling', 'handling', 'dispose', 'handler', c.sign, c.sreq, NULL, NULL),
      (13, CASE WHEN c.sapp IS NOT NULL THEN 'suspend_approve' END, 'handling', 'suspended', 'suspend', 'dispatcher', c.sreq, c.sapp, NULL, NULL),
      (14, CASE WHEN c.resume IS NOT NULL THEN 'resume' END, 'suspended', 'handling', 'suspend', 'handler', c.sapp, c.resume, NULL, NULL),
      (15, CASE WHEN c.fb1 IS NOT NULL THEN 'feedback' END, 'handling', 'feedback', 'dispose', 'handler', c.ds, c.fb1, c.dl1, NULL),
      (16, CASE WHEN c.fb1 IS NOT NULL THEN 'send_check' END, 'feedback', 'checking', 'check', 'acceptor', c.fb1, c.sc1, c.fb1 + 1, NULL),
      (17, CASE WHEN c.fb1 IS NOT NULL THEN CASE WHEN c.rework THEN 'check_fail' ELSE 'check_pass' END END,
          'checking', CASE WHEN c.rework THEN 'dispatched' ELSE 'to_close' END, 'check', 'inspector', c.sc1, c.chk1, c.sc1 + 2, NULL),
      (18, CASE WHEN c.rework AND c.fb1 IS NOT NULL THEN 'sign' END, 'dispatched', 'handling', 'dispose', 'handler', c.chk1, c.sign2, NULL, NULL),
      (19, CASE WHEN c.rework AND c.fb1 IS NOT NULL THEN 'feedback' END, 'handling', 'feedback', 'dispose', 'handler', c.chk1, c.fb2, c.dl2, NULL),
      (20, CASE WHEN c.rework AND c.fb1 IS NOT NULL THEN 'send_check' END, 'feedback', 'checking', 'check', 'acceptor', c.fb2, c.sc2, c.fb2 + 1, NULL),
      (21, CASE WHEN c.rework AND c.fb1 IS NOT NULL THEN 'check_pass' END, 'checking', 'to_close', 'check', 'inspector', c.sc2, c.chk2, c.sc2 + 2, NULL),
      (22, CASE WHEN c.fb1 IS NOT NULL THEN 'close' END, 'to_close', 'closed', 'close', 'shiftlead',
          coalesce(c.chk2, c.chk1), coalesce(c.chk2, c.chk1) + 0.3 + c.r_urgent, coalesce(c.chk2, c.chk1) + 2, NULL)
    ) v(k, action, from_state, to_state, phase, role, prev, at, dl, dept)
    WHERE v.action IS NOT NULL AND c.t0 + v.at * interval '1 hour' < timestamptz '2026-01-01 00:00:00+08') s`;

  // A bulk load: secondary indexes are built after it and row triggers (foreign-key checks;
  // the data is consistent by construction) and the per-statement log triggers are off during it.
  const indexes = (
    await sql<{ name: string; def: string }>`
      SELECT i.indexname AS name, i.indexdef AS def FROM pg_indexes i
      WHERE i.tablename IN ('case_file', 'case_event') AND i.schemaname = 'public'
        AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conname = i.indexname)`.execute(db)
  ).rows;
  for (const i of indexes) await sql`DROP INDEX ${sql.id(i.name)}`.execute(db);
  await sql`ALTER TABLE case_file DISABLE TRIGGER ALL`.execute(db);
  await sql`ALTER TABLE case_event DISABLE TRIGGER ALL`.execute(db);
  await sql`
    INSERT INTO case_file (id, number, source, workflow, kind, edition, class_code, urgent, description, geom, grid_id,
      community_id, street_id, district_id, state, phase, phase_started_at, phase_deadline, department_id, disposal_limit,
      disposal_started_at, disposal_deadline, rework_count, postpone_count, return_count, archive_type, closed_at, created_at, updated_at)
    SELECT c.id, 'Y' || lpad(c.i::text, 10, '0'), c.source, 'standard', 'event', 'CJT214-2007', c.class_code, c.r_urgent < 0.02,
      '年度案卷', c.p, c.grid_id, c.community_id, c.street_id, c.district_id, s.to_state,
      CASE s.to_state WHEN 'reported' THEN 'receive' WHEN 'verifying' THEN 'verify' WHEN 'accepted' THEN 'register'
        WHEN 'registered' THEN 'dispatch' WHEN 'dispatched' THEN 'dispose' WHEN 'handling' THEN 'dispose' WHEN 'suspended' THEN 'suspend'
        WHEN 'feedback' THEN 'check' WHEN 'checking' THEN 'check' ELSE 'close' END,
      c.t0 + s.at * interval '1 hour', CASE WHEN s.to_state <> 'closed' THEN c.t0 + (s.at + 4) * interval '1 hour' END,
      CASE WHEN s.k >= 5 AND s.action <> 'return_approve' THEN coalesce(c.dept2, c.dept1) END,
      jsonb_build_object('value', c.limit_h, 'unit', 'hour'),
      CASE WHEN s.k >= 5 AND s.action <> 'return_approve' THEN c.t0 + (CASE WHEN s.k >= 17 AND c.rework THEN c.chk1 ELSE c.ds END) * interval '1 hour' END,
      CASE WHEN s.k >= 5 AND s.action <> 'return_approve' THEN c.t0 + (CASE WHEN s.k >= 17 AND c.rework THEN c.dl2 ELSE c.dl1 END) * interval '1 hour' END,
      CASE WHEN c.rework AND s.k >= 17 THEN 1 ELSE 0 END, CASE WHEN s.k >= 11 AND c.papp IS NOT NULL THEN 1 ELSE 0 END,
      CASE WHEN s.k >= 7 AND c.rapp IS NOT NULL THEN 1 ELSE 0 END,
      CASE WHEN s.to_state = 'closed' THEN 'normal' END, CASE WHEN s.to_state = 'closed' THEN c.t0 + s.at * interval '1 hour' END,
      c.t0, c.t0 + s.at * interval '1 hour'
    FROM bench_case c, ${steps} WHERE s.seq = s.steps`.execute(db);
  step('cases');
  await sql`SELECT setval(pg_get_serial_sequence('case_file', 'id'), (SELECT max(id) FROM case_file))`.execute(db);
  // Actors: the inspector whose beat holds the grid; the centre's people of each role in turn.
  const people = async (role: string) =>
    (
      await sql<{ id: string }>`SELECT p.person_id AS id FROM person_role p WHERE p.role = ${role} ORDER BY p.person_id`.execute(db)
    ).rows.map((r) => r.id);
  const actor = async (role: string) => {
    const ids = await people(role);
    return ids.length ? sql`(${ids}::bigint[])[1 + ((c.id + s.k) % ${ids.length})]` : sql`NULL::bigint`;
  };
  await sql`CREATE TEMP TABLE bench_beat AS
    SELECT DISTINCT ON (bg.grid_id) bg.grid_id, b.inspector_id FROM beat_grid bg JOIN beat b ON b.id = bg.beat_id
    WHERE b.inspector_id IS NOT NULL ORDER BY bg.grid_id, b.id`.execute(db);
  await sql`
    INSERT INTO case_event (case_id, seq, action, from_state, to_state, phase, actor_id, actor_role, department_id, started_at, ended_at,
      deadline_at, time_type, on_time)
    SELECT c.id, s.seq, s.action, s.from_state, s.to_state, s.phase,
      CASE s.role WHEN 'inspector' THEN bb.inspector_id WHEN 'acceptor' THEN ${await actor('acceptor')}
        WHEN 'shiftlead' THEN ${await actor('shiftlead')} WHEN 'dispatcher' THEN ${await actor('dispatcher')} END,
      s.role,
      CASE WHEN s.k >= 5 THEN coalesce(s.dept, CASE WHEN c.dept2 IS NOT NULL AND s.k >= 9 THEN c.dept2 ELSE c.dept1 END) END,
      c.t0 + s.prev * interval '1 hour', c.t0 + s.at * interval '1 hour', c.t0 + s.dl * interval '1 hour',
      CASE WHEN s.dl IS NOT NULL THEN 'natural' END, CASE WHEN s.dl IS NOT NULL THEN s.at <= s.dl END
    FROM bench_case c LEFT JOIN bench_beat bb ON bb.grid_id = c.grid_id, ${steps}`.execute(db);
  step('log');
  await sql`ALTER TABLE case_file ENABLE TRIGGER ALL`.execute(db);
  await sql`ALTER TABLE case_event ENABLE TRIGGER ALL`.execute(db);
  for (const i of indexes) await sql.raw(i.def).execute(db);
  step('indexes');
  // Statistics first: planned without them, the rollup's join runs for minutes. The case rows
  // are vacuumed as autovacuum would soon after a bulk load (PGlite has no autovacuum): the
  // overdue counts are index-only scans of case_file_overdue_span once the pages are all-visible.
  await sql`VACUUM (ANALYZE) case_file`.execute(db);
  await sql`ANALYZE case_event`.execute(db);
  step('vacuum, analyze');
  // The daily rollups (departments, regions, positions, late disposals), as after a bulk load.
  await sql`SELECT evaluation_day_rebuild()`.execute(db);
  step('daily rollup');
  await sql`DROP TABLE bench_case, bench_grid, bench_class, bench_dept, bench_beat`.execute(db);
}

/**
 * The full evaluation of a period as the API serves it: every department (超期处置倍数 included),
 * regions at all four levels, and the four positions person by person.
 */
async function evaluate(ctx: Context, auth: Auth, from: string, to: string): Promise<void> {
  await ctx.services.evaluation.departments(auth, { from, to });
  for (const level of REGION_LEVELS) await ctx.services.evaluation.regions(auth, { from, to, level });
  await evaluatePositions(ctx, auth, from, to);
}

/** The positions' share of it: every person of the four position roles. */
async function evaluatePositions(ctx: Context, auth: Auth, from: string, to: string): Promise<void> {
  for (const role of POSITION_ROLES) await ctx.services.evaluation.positions(auth, { from, to, role });
}

/** The baseline: the period's log rows grouped by department and action, nothing else. */
async function bareGroupBy(db: Kysely<DB>, lo: string, hi: string): Promise<void> {
  await sql`
    SELECT department_id, action, count(*) AS n, count(*) FILTER (WHERE on_time IS NOT FALSE) AS in_time
    FROM case_event WHERE ended_at >= ${lo}::timestamptz AND ended_at < ${hi}::timestamptz
    GROUP BY department_id, action`.execute(db);
}

async function run(database: Database, n: number, prefix: string, reuse = false): Promise<Record<string, number>> {
  const t0 = performance.now();
  const config = loadConfig({ CITYLOOP_LOG_LEVEL: 'silent', CITYLOOP_DATA_DIR: os.tmpdir() });
  const migrations = await migrate(database);
  const ctx = createContext(config, database);
  let generated = 0;
  if (reuse) {
    // A kept database: its migrations since are applied (above), the cases are those it holds.
    log(`${prefix}: reusing the kept database${migrations.length ? `, migrated to ${migrations.join(', ')}` : ''}`);
    if (migrations.length) await sql`VACUUM (ANALYZE) case_file`.execute(ctx.db);
  } else {
    await loadDemoCity(ctx, { scale: SCALE, seed: 20251231 });
    log(`${prefix}: demo city at scale ${SCALE} in ${round((performance.now() - t0) / 1000, 1)} s`);
    const t1 = performance.now();
    await generate(ctx.db, n);
    generated = (performance.now() - t1) / 1000;
  }
  const t2 = performance.now();
  await sql`ANALYZE`.execute(ctx.db);
  const analyzed = (performance.now() - t2) / 1000;
  const counts = (
    await sql<{ cases: number; events: number; open: number }>`
      SELECT (SELECT count(*) FROM case_file)::int AS cases, (SELECT count(*) FROM case_event)::int AS events,
        (SELECT count(*) FROM case_file WHERE closed_at IS NULL)::int AS open`.execute(ctx.db)
  ).rows[0] as { cases: number; events: number; open: number };
  log(`${prefix}: ${counts.cases} cases, ${counts.events} log rows (${counts.open} open) in ${round(generated, 1)} s`);

  const admin = await ctx.db.selectFrom('person').select('id').where('username', '=', 'admin').executeTakeFirstOrThrow();
  const auth = (await ctx.services.auth.loadPerson(admin.id)) as Auth;
  // The first evaluation after the load measures every late disposal of the year on the working
  // calendar (超期处置倍数; kept in evaluation_late_disposal for later requests): timed apart.
  const tf = performance.now();
  await evaluate(ctx, auth, '2025-01-01', '2026-01-01');
  const firstYear = (performance.now() - tf) / 1000;
  log(`${prefix}: first year evaluation (measures the late disposals) ${round(firstYear)} s`);
  const month = await timed(() => evaluate(ctx, auth, '2025-06-01', '2025-07-01'));
  log(`${prefix}: month ${round(month)} s`);
  const year = await timed(() => evaluate(ctx, auth, '2025-01-01', '2026-01-01'));
  log(`${prefix}: year ${round(year)} s`);
  const positionsMonth = await timed(() => evaluatePositions(ctx, auth, '2025-06-01', '2025-07-01'));
  const positionsYear = await timed(() => evaluatePositions(ctx, auth, '2025-01-01', '2026-01-01'));
  log(`${prefix}: of which positions: month ${round(positionsMonth)} s, year ${round(positionsYear)} s`);
  const baseMonth = await timed(() => bareGroupBy(ctx.db, '2025-06-01T00:00:00+08', '2025-07-01T00:00:00+08'));
  const baseYear = await timed(() => bareGroupBy(ctx.db, '2025-01-01T00:00:00+08', '2026-01-01T00:00:00+08'));
  log(`${prefix}: bare GROUP BY month ${round(baseMonth)} s, year ${round(baseYear)} s`);
  return {
    [`${prefix}_month_s`]: round(month),
    [`${prefix}_year_s`]: round(year),
    [`${prefix}_positions_month_s`]: round(positionsMonth),
    [`${prefix}_positions_year_s`]: round(positionsYear),
    [`${prefix}_baseline_month_s`]: round(baseMonth),
    [`${prefix}_baseline_year_s`]: round(baseYear),
    [`${prefix}_year_vs_baseline`]: round(year / baseYear, 2),
    [`${prefix}_first_year_s`]: round(firstYear),
    [`${prefix}_cases`]: counts.cases,
    [`${prefix}_log_rows`]: counts.events,
    [`${prefix}_open_at_year_end`]: counts.open,
    [`${prefix}_generate_s`]: round(generated, 1),
    [`${prefix}_analyze_s`]: round(analyzed, 1),
  };
}

export default async function evaluation(): Promise<Record<string, number | string>> {
  const out: Record<string, number | string> = { demo_scale: SCALE, runs: RUNS };
  const url = process.env.DATABASE_URL || process.env.TEST_DATABASE_URL;
  if (url && CASES > 0) {
    // CITYLOOP_BENCH_EVAL_REUSE names a database kept by an earlier run (CITYLOOP_BENCH_EVAL_KEEP=1):
    // it is timed again as it is, not generated, and kept.
    const reuse = process.env.CITYLOOP_BENCH_EVAL_REUSE;
    if (reuse !== undefined && !/^cityloop_bench_[0-9a-f]{8}$/.test(reuse)) throw new Error(`Not a kept bench database: ${reuse}`);
    const name = reuse ?? `cityloop_bench_${crypto.randomBytes(4).toString('hex')}`;
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    if (!reuse) await admin.query(`CREATE DATABASE ${name}`);
    const u = new URL(url);
    u.pathname = `/${name}`;
    const database = await openPostgres(u.toString(), 2);
    try {
      await database.exec('CREATE EXTENSION IF NOT EXISTS postgis');
      Object.assign(out, await run(database, CASES, 'postgres', reuse !== undefined));
    } finally {
      await database.close();
      if (process.env.CITYLOOP_BENCH_EVAL_KEEP || reuse) log(`kept database ${name}`);
      else await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).catch(() => {});
      await admin.end();
    }
  }
  if (PGLITE_CASES > 0) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cityloop-bench-evaluation-'));
    const database = await openPGlite(dir);
    try {
      Object.assign(out, await run(database, PGLITE_CASES, 'pglite'));
    } finally {
      await database.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }
  return out;
}
