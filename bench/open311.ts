import os from 'node:os';
import { sql } from 'kysely';
import { buildApp } from '../apps/server/src/app.ts';
import { loadConfig } from '../apps/server/src/config.ts';
import { createContext } from '../apps/server/src/context.ts';
import type { Database } from '../apps/server/src/db/database.ts';
import { migrate } from '../apps/server/src/db/migrate.ts';
import { loadDemoCity } from '../apps/server/src/modules/demo/demo.service.ts';
import { Open311Repository } from '../apps/server/src/modules/open311/open311.repository.ts';
import { onThrowawayDatabase } from './_db.ts';

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
  return onThrowawayDatabase('open311', async (database, kind) => ({ database: kind, ...(await run(database)) }));
}
