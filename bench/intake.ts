/**
 * Intake end to end: reports/s through the real HTTP API (validate, locate, duplicate
 * check, workflow, automatic dispatch for the half of the classes bound to the flattened loop,
 * commit with the phase log) with concurrent clients, on PostgreSQL when
 * DATABASE_URL or TEST_DATABASE_URL is set (a throwaway database), else on PGlite.
 * Baselines in the same run, with the same concurrency, so the ratios can be read on a noisy
 * machine: single-row INSERTs of a comparable row (point + jsonb + text), and the HTTP floor
 * (the same authenticated POST to a route that does nothing).
 */
import fs from 'node:fs';
import inspector from 'node:inspector/promises';
import { Worker } from 'node:worker_threads';
import { sql } from 'kysely';
import pg from 'pg';
import { buildApp } from '../apps/server/src/app.ts';
import type { Database } from '../apps/server/src/db/database.ts';
import { migrate } from '../apps/server/src/db/migrate.ts';
import { demoCity, onThrowawayDatabase } from './_db.ts';

const REPORTS = Number(process.env.BENCH_REPORTS ?? 3000);
/**
 * Operations before each phase's clock starts (BENCH_WARMUP). The server's batch code runs once
 * per commit of some 20 reports, so it is still being compiled well after 1,000 reports: after
 * 1,000 the server spent 0.47-0.52 ms of CPU per report, after 4,000 0.37 (0.34 over 20,000),
 * while the database's share and the raw INSERTs' figures did not move.
 */
const WARMUP = Number(process.env.BENCH_WARMUP ?? 4000);
/**
 * Clients at once. The figure is the intake's capacity, so there are enough of them for the group
 * commit to fill its batches: at 16 the rate is bound by one batch's round trip (a report waits
 * for the commit running and then its own), not by the machine.
 */
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 64);
/**
 * Connections of the server's pool and of the baseline's: one per client up to 32 (two cores
 * are saturated well before), so that 64 or more clients stay within PostgreSQL's default 100.
 */
const PG_POOL = Math.min(CONCURRENCY, 32);

async function pool<T>(n: number, concurrency: number, task: (i: number) => Promise<T>): Promise<number[]> {
  const latencies: number[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < n) {
        const i = next++;
        const t0 = performance.now();
        await task(i);
        latencies.push(performance.now() - t0);
      }
    }),
  );
  return latencies.sort((a, b) => a - b);
}

/**
 * With BENCH_PROFILE=<file>, the reports phase alone (the server's thread; the clients have their
 * own) is CPU-profiled into <file> (.cpuprofile, for Chrome DevTools or `node --cpu-prof` tooling).
 */
async function profile(): Promise<() => Promise<void>> {
  const file = process.env.BENCH_PROFILE;
  if (!file) return async () => {};
  const session = new inspector.Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  return async () => {
    const { profile } = await session.post('Profiler.stop');
    fs.writeFileSync(file, JSON.stringify(profile));
    session.disconnect();
  };
}

/**
 * CPU spent during a phase, per operation: this process (the server, and the clients on their
 * thread) and, on a local PostgreSQL server, the backends serving the benchmark's database (read from /proc). Unlike a
 * rate, CPU per operation barely moves when other work shares the machine.
 */
async function cpuMeter(database: Database, kind: 'postgres' | 'pglite') {
  const backends = async (): Promise<Map<number, number>> => {
    const out = new Map<number, number>();
    if (kind !== 'postgres') return out;
    const { rows } = await sql<{ pid: number }>`SELECT pid FROM pg_stat_activity WHERE datname = current_database()`.execute(database.db);
    for (const { pid } of rows) {
      try {
        // Fields after the command name: utime and stime are the 12th and 13th (clock ticks, 100 Hz).
        const f = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
        out.set(pid, (Number(f[11]) + Number(f[12])) * 10);
      } catch {
        // Not on this machine (a remote server) or gone.
      }
    }
    return out;
  };
  const node0 = process.cpuUsage();
  const pg0 = await backends();
  return async (ops: number) => {
    const node = process.cpuUsage(node0);
    const pg1 = await backends();
    let pgMs = 0;
    for (const [pid, ms] of pg1) pgMs += ms - (pg0.get(pid) ?? 0);
    return { node_cpu_ms: round((node.user + node.system) / 1000 / ops, 3), pg_cpu_ms: pg1.size > 0 ? round(pgMs / ops, 3) : null };
  };
}

const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
const round = (n: number, d = 2) => Math.round(n * 10 ** d) / 10 ** d;

async function run(
  database: Database,
  kind: 'postgres' | 'pglite',
  rawInsert: (i: number) => Promise<void>,
): Promise<Record<string, number | null>> {
  const { config, ctx, key, points, classes } = await demoCity(database, Number(process.env.BENCH_SCALE ?? 1));
  // Every other class runs the flattened loop, so half the reports are registered and dispatched
  // automatically at intake (the routing rules pick the department, or the coordination queue).
  for (const [i, classCode] of classes.entries()) {
    if (i % 2 === 1) {
      await ctx.services.cases.bindWorkflow(
        { edition: 'CJT214-2007', kind: 'event', classCode, districtId: null, workflow: 'flattened' },
        null,
      );
    }
  }

  const app = await buildApp({ config, database, logger: false });
  // The HTTP floor: the same authenticated POST to a route that does nothing.
  app.post('/bench/ping', { config: { access: 'authenticated' } }, async (_req, reply) => reply.code(201).send({ ok: true }));
  const address = await app.listen({ port: 0, host: '127.0.0.1' });
  const clients = new Worker(new URL('./_clients.mjs', import.meta.url), { workerData: { maxSockets: CONCURRENCY } });
  try {
    // The clients run on their own thread (bench/_clients.mjs) and post sensor alarms.
    const send = (path: string, n: number, offset: number, concurrency = CONCURRENCY) =>
      new Promise<number[]>((resolve, reject) => {
        clients.once('message', (m: { latencies?: number[]; error?: string }) =>
          m.error !== undefined ? reject(new Error(`${path}: ${m.error}`)) : resolve((m.latencies ?? []).sort((a, b) => a - b)),
        );
        clients.postMessage({ url: `${address}${path}`, apiKey: key.key, points, classes, n, offset, concurrency });
      });
    // Each phase is timed after a warm-up of its own at full concurrency (compiled code, pooled
    // connections, prepared plans): cold, the raw INSERTs ran at half their steady rate in a
    // 3,000-row phase and flattered the ratio.
    await send('/api/cases', WARMUP, 0);
    const stats0 = { ...app.ctx.services.cases.intakeStats };
    const stopProfile = await profile();
    const reportCpu = await cpuMeter(database, kind);
    const t0 = performance.now();
    const lat = await send('/api/cases', REPORTS, WARMUP);
    const reportsPerS = REPORTS / ((performance.now() - t0) / 1000);
    const perReport = await reportCpu(REPORTS);
    await stopProfile();

    const batches = app.ctx.services.cases.intakeStats.batches - stats0.batches;
    const routed = (
      await sql<{ dispatched: number; coordination: number; all: number }>`
        SELECT count(*) FILTER (WHERE workflow = 'flattened' AND state = 'dispatched')::int AS dispatched,
               count(*) FILTER (WHERE workflow = 'flattened' AND state = 'coordination')::int AS coordination,
               count(*)::int AS all
        FROM case_file`.execute(database.db)
    ).rows[0] ?? { dispatched: 0, coordination: 0, all: 0 };
    const reports = app.ctx.services.cases.intakeStats.reports - stats0.reports;

    await pool(WARMUP, CONCURRENCY, (i) => rawInsert(REPORTS + i));
    const rawCpu = await cpuMeter(database, kind);
    const t1 = performance.now();
    await pool(REPORTS, CONCURRENCY, rawInsert);
    const rawPerS = REPORTS / ((performance.now() - t1) / 1000);
    const perRaw = await rawCpu(REPORTS);

    await send('/bench/ping', WARMUP, 0);
    const t2 = performance.now();
    await send('/bench/ping', REPORTS, 0);
    const httpPerS = REPORTS / ((performance.now() - t2) / 1000);
    return {
      reports_per_s: Math.round(reportsPerS),
      raw_insert_per_s: Math.round(rawPerS),
      ratio: round(reportsPerS / rawPerS, 3),
      p50_ms: round(pct(lat, 50), 1),
      p99_ms: round(pct(lat, 99), 1),
      http_floor_per_s: Math.round(httpPerS),
      of_http_floor: round(reportsPerS / httpPerS, 3),
      reports_per_commit: round(reports / Math.max(1, batches), 1),
      // Reports registered and dispatched automatically at intake (the flattened loop): to a
      // department by the routing rules, or to the coordination queue where none applies.
      auto_dispatched_share: round(routed.dispatched / Math.max(1, routed.all), 2),
      auto_coordination_share: round(routed.coordination / Math.max(1, routed.all), 2),
      // CPU milliseconds per report and per raw insert: this process, and the database's backends.
      report_node_cpu_ms: perReport.node_cpu_ms,
      report_pg_cpu_ms: perReport.pg_cpu_ms,
      raw_node_cpu_ms: perRaw.node_cpu_ms,
      raw_pg_cpu_ms: perRaw.pg_cpu_ms,
      reports: REPORTS,
      concurrency: CONCURRENCY,
    };
  } finally {
    await clients.terminate();
    await app.close();
  }
}

const RAW_TABLE = `CREATE TABLE bench_raw (id bigserial PRIMARY KEY, created_at timestamptz NOT NULL DEFAULT now(),
  description text, geom geometry(Point, 4326), payload jsonb)`;
const RAW_INSERT = `INSERT INTO bench_raw (description, geom, payload) VALUES ($1, ST_SetSRID(ST_MakePoint($2, $3), 4326), $4)`;

export default async function intake(): Promise<Record<string, number | string | null>> {
  return onThrowawayDatabase(
    'intake',
    async (database, kind, url) => {
      // The baseline table has a geometry column: PostGIS comes with the migrations.
      await migrate(database);
      await database.exec(RAW_TABLE);
      if (kind === 'postgres') {
        const raw = new pg.Pool({ connectionString: url as string, max: PG_POOL });
        raw.on('error', (err) => console.error(`baseline pool: ${err.message}`));
        try {
          const out = await run(database, kind, async (i) => {
            await raw.query(RAW_INSERT, [`row ${i}`, 111.3 + i * 1e-6, 30.7, JSON.stringify({ i })]);
          });
          return { database: kind, ...out };
        } finally {
          await raw.end();
        }
      }
      const out = await run(database, kind, async (i) => {
        await sql`INSERT INTO bench_raw (description, geom, payload) VALUES (${`row ${i}`}, ST_SetSRID(ST_MakePoint(${111.3 + i * 1e-6}, 30.7), 4326), ${JSON.stringify({ i })}::jsonb)`.execute(
          database.db,
        );
      });
      return { database: kind, ...out };
    },
    { pool: PG_POOL },
  );
}
