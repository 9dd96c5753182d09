/**
 * Intake end to end: reports/s through the real HTTP API (validate, locate, duplicate
 * check, workflow, commit with the phase log) with concurrent clients, on PostgreSQL when
 * DATABASE_URL or TEST_DATABASE_URL is set (a throwaway database), else on PGlite.
 * Baselines in the same run, with the same concurrency, so the ratios can be read on a noisy
 * machine: single-row INSERTs of a comparable row (point + jsonb + text), and the HTTP floor
 * (the same authenticated POST to a route that does nothing).
 */
import crypto from 'node:crypto';
import { sql } from 'kysely';
import pg from 'pg';
import { buildApp } from '../apps/server/src/app.ts';
import type { Database } from '../apps/server/src/db/database.ts';
import { migrate } from '../apps/server/src/db/migrate.ts';
import { demoCity, onThrowawayDatabase } from './_db.ts';

const REPORTS = Number(process.env.BENCH_REPORTS ?? 3000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 16);

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

const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
const round = (n: number, d = 2) => Math.round(n * 10 ** d) / 10 ** d;

async function run(database: Database, rawInsert: (i: number) => Promise<void>): Promise<Record<string, number>> {
  const { config, key, points, classes } = await demoCity(database, Number(process.env.BENCH_SCALE ?? 1));

  const app = await buildApp({ config, database, logger: false });
  // The HTTP floor: the same authenticated POST to a route that does nothing.
  app.post('/bench/ping', { config: { access: 'authenticated' } }, async (_req, reply) => reply.code(201).send({ ok: true }));
  const address = await app.listen({ port: 0, host: '127.0.0.1' });
  try {
    const post = async (url: string, i: number) => {
      const p = points[i % points.length] as { lng: number; lat: number };
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': key.key },
        body: JSON.stringify({
          source: 'iot',
          kind: 'event',
          classCode: classes[i % classes.length],
          description: `传感器告警 #${i}`,
          location: { lng: p.lng + ((i % 7) - 3) * 1e-5, lat: p.lat },
          idempotencyKey: `bench-${i}-${crypto.randomBytes(4).toString('hex')}`,
        }),
      });
      if (res.status !== 201) throw new Error(`report ${i}: ${res.status} ${await res.text()}`);
      await res.arrayBuffer();
    };
    const report = (i: number) => post(`${address}/api/cases`, i);
    await pool(50, 4, report); // warm up
    const t0 = performance.now();
    const lat = await pool(REPORTS, CONCURRENCY, (i) => report(i + 50));
    const reportsPerS = REPORTS / ((performance.now() - t0) / 1000);

    const { batches, reports } = app.ctx.services.cases.intakeStats;

    const t1 = performance.now();
    await pool(REPORTS, CONCURRENCY, rawInsert);
    const rawPerS = REPORTS / ((performance.now() - t1) / 1000);

    const t2 = performance.now();
    await pool(REPORTS, CONCURRENCY, (i) => post(`${address}/bench/ping`, i));
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
      reports: REPORTS,
      concurrency: CONCURRENCY,
    };
  } finally {
    await app.close();
  }
}

const RAW_TABLE = `CREATE TABLE bench_raw (id bigserial PRIMARY KEY, created_at timestamptz NOT NULL DEFAULT now(),
  description text, geom geometry(Point, 4326), payload jsonb)`;
const RAW_INSERT = `INSERT INTO bench_raw (description, geom, payload) VALUES ($1, ST_SetSRID(ST_MakePoint($2, $3), 4326), $4)`;

export default async function intake(): Promise<Record<string, number | string>> {
  return onThrowawayDatabase(
    'intake',
    async (database, kind, url) => {
      // The baseline table has a geometry column: PostGIS comes with the migrations.
      await migrate(database);
      await database.exec(RAW_TABLE);
      if (kind === 'postgres') {
        const raw = new pg.Pool({ connectionString: url as string, max: CONCURRENCY });
        raw.on('error', (err) => console.error(`baseline pool: ${err.message}`));
        try {
          const out = await run(database, async (i) => {
            await raw.query(RAW_INSERT, [`row ${i}`, 111.3 + i * 1e-6, 30.7, JSON.stringify({ i })]);
          });
          return { database: kind, ...out };
        } finally {
          await raw.end();
        }
      }
      const out = await run(database, async (i) => {
        await sql`INSERT INTO bench_raw (description, geom, payload) VALUES (${`row ${i}`}, ST_SetSRID(ST_MakePoint(${111.3 + i * 1e-6}, 30.7), 4326), ${JSON.stringify({ i })}::jsonb)`.execute(
          database.db,
        );
      });
      return { database: kind, ...out };
    },
    { pool: CONCURRENCY },
  );
}
