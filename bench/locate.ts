/**
 * Point → grid. Loads the demo city (scale 1, or BENCH_SCALE) into a fresh embedded
 * database and, when DATABASE_URL or TEST_DATABASE_URL is set, into a throwaway
 * PostgreSQL database; then locates random points inside the city's bounding box:
 *   - one by one through the API path (RegionsService.tryLocate), 2,000 points;
 *   - 100,000 points in one set-based query (ST_Intersects against the current grids).
 * Every answer is checked against the generator's own lattice (mismatches must be 0).
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import pg from 'pg';
import { loadConfig } from '../apps/server/src/config.ts';
import { type Context, createContext } from '../apps/server/src/context.ts';
import { type Database, openPGlite, openPostgres } from '../apps/server/src/db/database.ts';
import { migrate } from '../apps/server/src/db/migrate.ts';
import { type DemoCity, generateCity } from '../apps/server/src/modules/demo/demo.generator.ts';
import { Rng } from '../apps/server/src/modules/demo/demo.random.ts';
import { loadDemoCity } from '../apps/server/src/modules/demo/demo.service.ts';

const SEED = 20261122;
const SINGLE = 2_000;
const BULK = 100_000;

interface Points {
  xs: number[];
  ys: number[];
  /** Expected grid code per point ('' outside the city). */
  expected: string[];
}

function randomPoints(city: DemoCity, n: number, seed: number): Points {
  const rng = new Rng(seed);
  const [x0, y0, x1, y1] = city.bbox;
  const pts: Points = { xs: [], ys: [], expected: [] };
  for (let i = 0; i < n; i++) {
    // Full-precision doubles: never exactly on a boundary (vertices have 7 decimals).
    const x = rng.range(x0, x1);
    const y = rng.range(y0, y1);
    const g = city.gridAt(x, y);
    pts.xs.push(x);
    pts.ys.push(y);
    pts.expected.push(g < 0 ? '' : (city.regions[g]?.code as string));
  }
  return pts;
}

/** Single lookups through the service, as an API request would do them. */
async function single(ctx: Context, pts: Points, n: number) {
  let mismatches = 0;
  const started = performance.now();
  for (let i = 0; i < n; i++) {
    const found = await ctx.services.regions.tryLocate(pts.xs[i] as number, pts.ys[i] as number);
    // Outside the city the service may still answer within its 5 m tolerance.
    if (pts.expected[i] && found?.grid.code !== pts.expected[i]) mismatches++;
  }
  return { perS: n / ((performance.now() - started) / 1000), mismatches };
}

/** All points in one query: unnest the coordinates, ST_Intersects against current grids (GiST). */
async function bulk(ctx: Context, pts: Points) {
  const run = async (xs: number[], ys: number[]) => {
    const res = await sql<{ codes: Array<string | null> }>`
      SELECT array_agg(g.code ORDER BY p.i) AS codes
      FROM unnest(${xs}::float8[], ${ys}::float8[]) WITH ORDINALITY AS p(x, y, i)
      LEFT JOIN region g ON g.valid_to IS NULL AND g.level = 'grid'
                        AND ST_Intersects(g.geom, ST_SetSRID(ST_MakePoint(p.x, p.y), 4326))`.execute(ctx.db);
    return res.rows[0]?.codes ?? [];
  };
  await run(pts.xs.slice(0, 1000), pts.ys.slice(0, 1000)); // warm the index and caches
  const started = performance.now();
  const codes = await run(pts.xs, pts.ys);
  const seconds = (performance.now() - started) / 1000;
  let mismatches = codes.length === pts.xs.length ? 0 : Math.abs(codes.length - pts.xs.length);
  codes.forEach((c, i) => {
    if ((c ?? '') !== pts.expected[i]) mismatches++;
  });
  return { perS: pts.xs.length / seconds, mismatches, inside: codes.filter((c) => c).length };
}

async function measure(kind: 'pglite' | 'postgres', database: Database, pts: Points, scale: number) {
  const config = loadConfig({ CITYLOOP_LOG_LEVEL: 'silent', CITYLOOP_DATA_DIR: os.tmpdir() });
  const ctx = createContext(config, database);
  await migrate(database);
  const started = performance.now();
  const summary = await loadDemoCity(ctx, { scale, seed: SEED, log: (m) => console.error(`  [${kind}] ${m}`) });
  const loadS = (performance.now() - started) / 1000;
  const one = await single(ctx, pts, SINGLE);
  const many = await bulk(ctx, pts);
  console.error(
    `  [${kind}] loaded ${summary.components} components in ${loadS.toFixed(1)} s; ${many.inside} of ${BULK} points inside the city`,
  );
  return { loadS, one, many };
}

const round = (n: number, digits = 2) => Math.round(n * 10 ** digits) / 10 ** digits;

export default async function locate(): Promise<Record<string, number>> {
  const scale = Number(process.env.BENCH_SCALE ?? 1);
  const city = generateCity({ scale, seed: SEED });
  const pts = randomPoints(city, BULK, 7);
  const out: Record<string, number> = {};

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cityloop-bench-locate-'));
  try {
    const database = await openPGlite(dir);
    try {
      const r = await measure('pglite', database, pts, scale);
      out.demo_load_s_pglite = round(r.loadS);
      out.pglite_single_per_s = Math.round(r.one.perS);
      out.pglite_points_per_s = Math.round(r.many.perS);
      out.pglite_mismatches = r.one.mismatches + r.many.mismatches;
    } finally {
      await database.close();
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }

  const url = process.env.DATABASE_URL || process.env.TEST_DATABASE_URL;
  if (url) {
    const name = `cityloop_bench_${crypto.randomBytes(4).toString('hex')}`;
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    try {
      await admin.query(`CREATE DATABASE ${name}`);
      const u = new URL(url);
      u.pathname = `/${name}`;
      const database = await openPostgres(u.toString(), 4);
      try {
        const r = await measure('postgres', database, pts, scale);
        out.demo_load_s_postgres = round(r.loadS);
        out.postgres_single_per_s = Math.round(r.one.perS);
        out.postgres_points_per_s = Math.round(r.many.perS);
        out.postgres_mismatches = r.one.mismatches + r.many.mismatches;
      } finally {
        await database.close();
      }
    } finally {
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).catch(() => {});
      await admin.end();
    }
  }
  out.scale = scale;
  out.points = BULK;
  return out;
}
