import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DEMO_PASSWORD, type Role } from '@cityloop/shared';
import { sql } from 'kysely';
import pg from 'pg';
import { inject } from 'vitest';
import { type App, buildApp } from '../src/app.ts';
import { type Config, loadConfig } from '../src/config.ts';
import { type Context, createContext } from '../src/context.ts';
import { type Database, openPGlite, openPostgres } from '../src/db/database.ts';

/**
 * Test databases. Each test file gets its own throwaway database, already migrated and
 * holding the small demo city (scale TEST_SCALE), made from a template that globalSetup
 * prepared once: a copied PGlite folder, or `CREATE DATABASE … TEMPLATE` on PostgreSQL.
 * CITYLOOP_TEST_DB=postgres (set by the postgres project) switches to TEST_DATABASE_URL.
 */
export const TEST_SCALE = 0.02;

export const testDbKind = (): 'pglite' | 'postgres' => (process.env.CITYLOOP_TEST_DB === 'postgres' ? 'postgres' : 'pglite');

export function testConfig(overrides: Partial<Config> = {}): Config {
  return { ...loadConfig({ CITYLOOP_LOG_LEVEL: 'silent' }), dataDir: os.tmpdir(), ...overrides };
}

function adminUrl(): string {
  const url = process.env.TEST_DATABASE_URL;
  if (!url) throw new Error('TEST_DATABASE_URL is not set');
  return url;
}

export function withDatabaseName(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}

export interface TestDatabase {
  database: Database;
  /** Closes and deletes the throwaway database. */
  drop(): Promise<void>;
}

/** A fresh database from the prepared template (migrated, small demo city loaded). */
export async function createTestDatabase(opts: { empty?: boolean } = {}): Promise<TestDatabase> {
  if (testDbKind() === 'postgres') {
    const name = `cityloop_t_${crypto.randomBytes(6).toString('hex')}`;
    const template = opts.empty ? inject('pgEmpty') : inject('pgTemplate');
    if (!template) throw new Error('globalSetup did not prepare a PostgreSQL template');
    const admin = new pg.Client({ connectionString: adminUrl() });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name} TEMPLATE ${template}`);
    await admin.end();
    const database = await openPostgres(withDatabaseName(adminUrl(), name), 4);
    return {
      database,
      async drop() {
        await database.close();
        const c = new pg.Client({ connectionString: adminUrl() });
        await c.connect();
        await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
        await c.end();
      },
    };
  }
  const template = opts.empty ? inject('pgliteEmpty') : inject('pgliteTemplate');
  if (!template) throw new Error('globalSetup did not prepare a PGlite template');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cityloop-test-'));
  fs.cpSync(template, path.join(dir, 'pglite'), { recursive: true });
  const database = await openPGlite(dir);
  return {
    database,
    async drop() {
      await database.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface TestApp {
  app: App & { routeTable: import('../src/app.ts').RouteInfo[] };
  ctx: Context;
  database: Database;
  /** Logs in as a demo account and returns the Cookie header to send. */
  login(username: string, password?: string): Promise<string>;
  close(): Promise<void>;
}

export interface TestAppOptions {
  empty?: boolean;
  config?: Partial<Config>;
  /** The clock the rules read (ctx.now); the wall clock when absent. */
  clock?: () => Date;
}

/** A built Fastify app (not listening) over a fresh test database; use app.inject(). */
export async function createTestApp(opts: TestAppOptions = {}): Promise<TestApp> {
  const tdb = await createTestDatabase(opts);
  const config = testConfig(opts.config);
  const app = await buildApp({ config, database: tdb.database, logger: false, clock: opts.clock });
  await app.ready();
  const cookies = new Map<string, string>();
  return {
    app,
    ctx: app.ctx,
    database: tdb.database,
    async login(username, password = DEMO_PASSWORD) {
      const cached = cookies.get(`${username}:${password}`);
      if (cached) return cached;
      const res = await app.inject({ method: 'POST', url: '/api/auth/login', payload: { username, password } });
      if (res.statusCode !== 200) throw new Error(`login ${username} failed: ${res.statusCode} ${res.body}`);
      const set = res.headers['set-cookie'];
      const cookie = String(Array.isArray(set) ? set[0] : set).split(';')[0] as string;
      cookies.set(`${username}:${password}`, cookie);
      return cookie;
    },
    async close() {
      await app.close();
      await tdb.drop();
    },
  };
}

/** A context (services) over a fresh test database, without HTTP. */
export async function createTestContext(opts: { empty?: boolean } = {}): Promise<{ ctx: Context; close(): Promise<void> }> {
  const tdb = await createTestDatabase(opts);
  return { ctx: createContext(testConfig(), tdb.database), close: () => tdb.drop() };
}

export type { Role };

/**
 * What case tests on the demo city need: a point inside the demo inspector's beat (so
 * 核实/核查 are theirs), the handler's department, and the first CJ/T 214 event minor class.
 */
export async function demoCaseFixtures(
  db: Context['db'],
): Promise<{ point: { lng: number; lat: number }; handlerDept: number; eventClass: string }> {
  const res = await sql<{ lng: number; lat: number }>`
    SELECT ST_X(ST_PointOnSurface(r.geom)) AS lng, ST_Y(ST_PointOnSurface(r.geom)) AS lat
    FROM beat b JOIN person p ON p.id = b.inspector_id JOIN beat_grid bg ON bg.beat_id = b.id JOIN region r ON r.id = bg.grid_id
    WHERE p.username = 'inspector' ORDER BY r.code LIMIT 1`.execute(db);
  const handler = await db.selectFrom('person').select('departmentId').where('username', '=', 'handler').executeTakeFirstOrThrow();
  const cls = await db
    .selectFrom('taxonomyClass')
    .select('code')
    .where('edition', '=', 'CJT214-2007')
    .where('kind', '=', 'event')
    .where('level', '=', 'minor')
    .orderBy('code')
    .executeTakeFirstOrThrow();
  return { point: res.rows[0] as { lng: number; lat: number }, handlerDept: handler.departmentId as number, eventClass: cls.code };
}

/** A GeoJSON Polygon for the rectangle [x0, y0]–[x1, y1] (lng/lat), closed counter-clockwise. */
export function rectangle(x0: number, y0: number, x1: number, y1: number) {
  return {
    type: 'Polygon' as const,
    coordinates: [
      [
        [x0, y0],
        [x1, y0],
        [x1, y1],
        [x0, y1],
        [x0, y0],
      ],
    ],
  };
}
