import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import pg from 'pg';
import { loadConfig } from '../apps/server/src/config.ts';
import { createContext } from '../apps/server/src/context.ts';
import { type Database, openPGlite, openPostgres } from '../apps/server/src/db/database.ts';
import { migrate } from '../apps/server/src/db/migrate.ts';
import { loadDemoCity } from '../apps/server/src/modules/demo/demo.service.ts';

/**
 * Runs a benchmark on a database of its own, removed afterwards: a new database on the
 * PostgreSQL server of DATABASE_URL or TEST_DATABASE_URL (PostGIS created in it), or else an
 * embedded PGlite in a temporary folder. `fn` gets the database, which kind it is, and (on
 * PostgreSQL) the new database's URL for extra connections.
 */
export async function onThrowawayDatabase<T>(
  label: string,
  fn: (database: Database, kind: 'postgres' | 'pglite', url: string | null) => Promise<T>,
  opts: { pool?: number } = {},
): Promise<T> {
  const server = process.env.DATABASE_URL || process.env.TEST_DATABASE_URL;
  if (server) {
    const name = `cityloop_bench_${crypto.randomBytes(4).toString('hex')}`;
    const admin = new pg.Client({ connectionString: server });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name}`);
    const u = new URL(server);
    u.pathname = `/${name}`;
    const database = await openPostgres(u.toString(), opts.pool ?? 4);
    try {
      await database.exec('CREATE EXTENSION IF NOT EXISTS postgis');
      return await fn(database, 'postgres', u.toString());
    } finally {
      await database.close();
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).catch(() => {});
      await admin.end();
    }
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `cityloop-bench-${label}-`));
  const database = await openPGlite(dir);
  try {
    return await fn(database, 'pglite', null);
  } finally {
    await database.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * A migrated demo city for intake-style benchmarks: the context, a machine API key to report
 * with, a point inside every unit grid, and the CJ/T 214 event minor classes.
 */
export async function demoCity(database: Database, scale: number) {
  const config = loadConfig({ CITYLOOP_LOG_LEVEL: 'silent', CITYLOOP_DATA_DIR: os.tmpdir() });
  await migrate(database);
  const ctx = createContext(config, database);
  await loadDemoCity(ctx, { scale, seed: 20261122 });
  const key = await ctx.services.auth.createApiKey({ name: 'bench', role: 'machine', departmentId: null }, null);
  const points = (
    await sql<{ lng: number; lat: number }>`
      SELECT ST_X(ST_PointOnSurface(geom)) AS lng, ST_Y(ST_PointOnSurface(geom)) AS lat
      FROM region WHERE level = 'grid' AND valid_to IS NULL`.execute(ctx.db)
  ).rows;
  const classes = (
    await ctx.db
      .selectFrom('taxonomyClass')
      .select('code')
      .where('edition', '=', 'CJT214-2007')
      .where('kind', '=', 'event')
      .where('level', '=', 'minor')
      .execute()
  ).map((r) => r.code);
  return { config, ctx, key, points, classes };
}
