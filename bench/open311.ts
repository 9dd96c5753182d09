/**
 * Open311 reads: latency (p50/p99) of GET /open311/v2/requests.json over real HTTP with
 * BENCH_CASES cases (100,000) in the database, on PostgreSQL when DATABASE_URL or
 * TEST_DATABASE_URL is set (a throwaway database, dropped afterwards), else on PGlite.
 * The cases are written by one INSERT … SELECT FROM generate_series (not through the
 * intake), spread over 180 days, so the default 90-day window holds about half of them.
 * Three queries: the default (newest 1000 of 90 days), one service with status=open, and
 * page 10 (rows 9001-10000). Baselines in the same run: the bare SQL select of the same
 * 1000 rows (what a hand-written endpoint could not avoid), and the HTTP floor (a trivial
 * public endpoint, /api/health); query_p50_ms is the endpoint's own SQL for the default list,
 * so the rest of default_p50_ms is rendering and HTTP.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import pg from 'pg';
import { buildApp } from '../apps/server/src/app.ts';
import { loadConfig } from '../apps/server/src/config.ts';
import { createContext } from '../apps/server/src/context.ts';
import { type Database, openPGlite, openPostgres } from '../apps/server/src/db/database.ts';
import { migrate } from '../apps/server/src/db/migrate.ts';
import { loadDemoCity } from '../apps/server/src/modules/demo/demo.service.ts';
import { Open311Repository } from '../apps/server/src/modules/open311/open311.repository.ts';

const CASES = Number(process.env.BENCH_CASES ?? 100_000);
const ITERATIONS = Number(process.env.BENCH_ITERATIONS ?? 60);
const SCALE = Number(process.env.BENCH_SCALE ?? 0.05);

const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
const round = (n: number, d = 2) => Math.round(n * 10 ** d) / 10 ** d;

/**
 * Runs every task ITERATIONS times after a warm-up, interleaved (one of each per round), so
 * a load change on a shared machine hits all of them alike and the ratios hold. Sorted
 * latencies in ms per task.
 */
async function measure<K extends string>(tasks: Record<K, () => Promise<void>>): Promise<Record<K, number[]>> {
  const names = Object.keys(tasks) as K[];
  for (let i = 0; i < Math.max(3, ITERATIONS / 10); i++) for (const k of names) await tasks[k]();
  const out = Object.fromEntries(names.map((k) => [k, [] as number[]])) as Record<K, number[]>;
  for (let i = 0; i < ITERATIONS; i++) {
    for (const k of names) {
      const t0 = performance.now();
      await tasks[k]();
      out[k].push(performance.now() - t0);
    }
  }
  for (const k of names) out[k].sort((a, b) => a - b);
  return out;
}

/** The cases, in one statement: classes, grids, departments and states taken round-robin. */
async function insertCases(database: Database, n: number): Promise<void> {
  await sql`
    WITH g AS (
      SELECT array_agg(id ORDER BY id) AS ids, array_agg(ST_PointOnSurface(geom) ORDER BY id) AS pts,
             array_agg(district_id ORDER BY id) AS districts, count(*)::int AS n
      FROM region WHERE level = 'grid' AND valid_to IS NULL),
    cls AS (
      SELECT array_agg(code ORDER BY code) AS codes, count(*)::int AS n
      FROM taxonomy_class WHERE edition = 'CJT214-2007' AND kind = 'event' AND level = 'minor'),
    dep AS (SELECT array_agg(id ORDER BY id) AS ids, count(*)::int AS n FROM department WHERE kind = 'execution'),
    st AS (SELECT ARRAY['reported','registered','dispatched','handling','checking','to_close','closed','closed','closed','cancelled'] AS s)
    INSERT INTO case_file (number, source, workflow, kind, edition, class_code, severity, description, address, geom,
      grid_id, district_id, state, phase, department_id, disposal_deadline, closed_at, created_at, updated_at)
    SELECT '9' || lpad(i::text, 12, '0'), 'inspector', 'standard', 'event', 'CJT214-2007',
           cls.codes[1 + i % cls.n], 'normal', '基准案卷 ' || i, '基准路 ' || (i % 500) || '号',
           g.pts[1 + i % g.n], g.ids[1 + i % g.n], g.districts[1 + i % g.n],
           st.s[1 + i % 10], 'dispose', dep.ids[1 + i % dep.n],
           now() - (i * interval '155 seconds') + interval '2 days',
           CASE WHEN st.s[1 + i % 10] IN ('closed', 'cancelled') THEN now() - (i * interval '155 seconds') + interval '1 day' END,
           now() - (i * interval '155 seconds'), now() - (i * interval '155 seconds')
    FROM generate_series(1, ${n}) AS i, g, cls, dep, st`.execute(database.db);
  await sql`ANALYZE case_file`.execute(database.db);
}

async function run(database: Database): Promise<Record<string, number>> {
  const config = loadConfig({ CITYLOOP_LOG_LEVEL: 'silent', CITYLOOP_DATA_DIR: os.tmpdir() });
  await migrate(database);
  const ctx = createContext(config, database);
  await loadDemoCity(ctx, { scale: SCALE, seed: 20261122 });
  const t0 = performance.now();
  await insertCases(database, CASES);
  const insertS = (performance.now() - t0) / 1000;
  console.error(`${CASES} cases inserted in ${insertS.toFixed(1)} s`);
  // A class with cases, for the filtered query.
  const cls = (await sql<{ code: string }>`SELECT class_code AS code FROM case_file ORDER BY id LIMIT 1`.execute(database.db)).rows[0]
    ?.code as string;

  const app = await buildApp({ config, database, logger: false });
  const address = await app.listen({ port: 0, host: '127.0.0.1' });
  try {
    const fetchOk = async (url: string, check?: (body: string) => void) => {
      const res = await fetch(`${address}${url}`);
      const body = await res.text();
      if (res.status !== 200) throw new Error(`${url}: ${res.status} ${body.slice(0, 200)}`);
      check?.(body);
    };
    const rows = (n: number) => (body: string) => {
      const got = (JSON.parse(body) as unknown[]).length;
      if (got !== n) throw new Error(`expected ${n} requests, got ${got}`);
    };
    // Checked once, outside the timed runs (the client's parse is not the server's latency).
    await fetchOk('/open311/v2/requests.json', rows(1000));
    await fetchOk('/open311/v2/requests.json?page=10', rows(1000));
    const filteredRows = (
      (await (await fetch(`${address}/open311/v2/requests.json?service_code=event-${cls}&status=open`)).json()) as unknown[]
    ).length;
    // The endpoint's own query for the default list, without rendering or HTTP.
    const repo = new Open311Repository(database.db);
    const m = await measure({
      dflt: () => fetchOk('/open311/v2/requests.json'),
      filtered: () => fetchOk(`/open311/v2/requests.json?service_code=event-${cls}&status=open`),
      page10: () => fetchOk('/open311/v2/requests.json?page=10'),
      // The same 1000 rows, selected bare: every column of case_file, no joins, no rendering.
      bare: async () => {
        await sql`SELECT * FROM case_file WHERE created_at >= now() - interval '90 days' AND created_at <= now()
          ORDER BY created_at DESC, id DESC LIMIT 1000`.execute(database.db);
      },
      query: async () => {
        const to = new Date();
        await repo.list({ from: new Date(to.getTime() - 90 * 86_400_000), to, limit: 1000, offset: 0 });
      },
      floor: () => fetchOk('/api/health'),
    });
    const { dflt, filtered, page10, bare, query, floor } = m;
    const figures = {
      cases: CASES,
      iterations: ITERATIONS,
      default_p50_ms: round(pct(dflt, 50), 1),
      default_p99_ms: round(pct(dflt, 99), 1),
      filtered_rows: filteredRows,
      filtered_p50_ms: round(pct(filtered, 50), 1),
      filtered_p99_ms: round(pct(filtered, 99), 1),
      page10_p50_ms: round(pct(page10, 50), 1),
      page10_p99_ms: round(pct(page10, 99), 1),
      bare_sql_p50_ms: round(pct(bare, 50), 1),
      bare_sql_p99_ms: round(pct(bare, 99), 1),
      query_p50_ms: round(pct(query, 50), 1),
      http_floor_p50_ms: round(pct(floor, 50), 2),
      default_of_bare_sql: round(pct(dflt, 50) / pct(bare, 50)),
      filtered_of_bare_sql: round(pct(filtered, 50) / pct(bare, 50)),
      page10_of_bare_sql: round(pct(page10, 50) / pct(bare, 50)),
      insert_s: round(insertS, 1),
    };
    return figures;
  } finally {
    await app.close();
  }
}

export default async function open311(): Promise<Record<string, number | string>> {
  const url = process.env.DATABASE_URL || process.env.TEST_DATABASE_URL;
  if (url) {
    const name = `cityloop_bench_${crypto.randomBytes(4).toString('hex')}`;
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name}`);
    const u = new URL(url);
    u.pathname = `/${name}`;
    const database = await openPostgres(u.toString(), 4);
    try {
      await database.exec('CREATE EXTENSION IF NOT EXISTS postgis');
      return { database: 'postgres', ...(await run(database)) };
    } finally {
      await database.close();
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).catch(() => {});
      await admin.end();
    }
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cityloop-bench-open311-'));
  const database = await openPGlite(dir);
  try {
    return { database: 'pglite', ...(await run(database)) };
  } finally {
    await database.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
