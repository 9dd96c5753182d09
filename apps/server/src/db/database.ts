import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { pg_trgm } from '@electric-sql/pglite/contrib/pg_trgm';
import { postgis } from '@electric-sql/pglite-postgis';
import { CamelCasePlugin, Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { Mutex, PGliteDialect } from './pglite-dialect.ts';
import type { DB } from './schema.ts';

// bigint (int8) ids and counts fit in a JS number for any city; numeric stays a string.
pg.types.setTypeParser(20, (v) => Number(v));

export type DatabaseKind = 'pglite' | 'postgres';

export interface Database {
  readonly kind: DatabaseKind;
  readonly db: Kysely<DB>;
  /** Runs a multi-statement SQL script (migrations); no parameters. */
  exec(script: string): Promise<void>;
  /**
   * Bulk-loads CSV text with COPY (PGlite: from a blob; PostgreSQL: COPY FROM STDIN).
   * The caller owns the transaction: pass `inTransaction` from `transaction()`.
   */
  copyCsv(table: string, columns: string[], csv: string): Promise<number>;
  /** Runs `fn` in one transaction on one connection, with COPY available inside. */
  transaction<T>(fn: (tx: TransactionHandle) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

export interface TransactionHandle {
  db: Kysely<DB>;
  copyCsv(table: string, columns: string[], csv: string): Promise<number>;
}

// Nested keys of jsonb values stay as stored (a component attribute pipe_size must not become pipeSize).
const PLUGINS = [new CamelCasePlugin({ maintainNestedObjectKeys: true })];

/** Opens the embedded PGlite database in `dataDir/pglite` (or in memory for `memory://`). */
export async function openPGlite(dataDir: string | null): Promise<Database> {
  let dir: string | undefined;
  if (dataDir !== null) {
    dir = path.join(dataDir, 'pglite');
    fs.mkdirSync(dir, { recursive: true });
  }
  const pgl = await PGlite.create({ ...(dir ? { dataDir: dir } : {}), extensions: { postgis, pg_trgm } });
  const mutex = new Mutex();
  (pgl as PGlite & { cityloopMutex?: Mutex }).cityloopMutex = mutex;
  const db = new Kysely<DB>({ dialect: new PGliteDialect(pgl), plugins: PLUGINS });
  const copyRaw = async (table: string, columns: string[], csv: string) => {
    const res = await pgl.query(`COPY ${table} (${columns.join(', ')}) FROM '/dev/blob' WITH (FORMAT csv)`, [], { blob: new Blob([csv]) });
    return res.affectedRows ?? 0;
  };
  return {
    kind: 'pglite',
    db,
    async exec(script) {
      const release = await mutex.lock();
      try {
        await pgl.exec(script);
      } finally {
        release();
      }
    },
    async copyCsv(table, columns, csv) {
      const release = await mutex.lock();
      try {
        return await copyRaw(table, columns, csv);
      } finally {
        release();
      }
    },
    transaction(fn) {
      // The transaction holds PGlite's single connection; COPY runs on it directly.
      return db.transaction().execute((trx) => fn({ db: trx, copyCsv: copyRaw }));
    },
    async close() {
      await db.destroy();
      await pgl.close();
    },
  };
}

/**
 * Marks a hot-path query to run as a prepared statement on PostgreSQL: put `${PREPARED}` first
 * in an `sql` template whose text does not vary between calls (values go in parameters). The
 * server then plans it once per connection instead of on every call (PostGIS queries spend
 * longer in planning than in execution). On PGlite it is only a comment.
 */
export const PREPARED = sql.raw('/*prepared*/');
const PREPARED_MARK = '/*prepared*/';

/** Runs marked queries of a pool's clients as named (prepared) statements. */
function prepareMarkedQueries(client: pg.PoolClient) {
  const query = client.query.bind(client) as (...args: unknown[]) => unknown;
  const names = new Map<string, string>();
  (client as { query: unknown }).query = (text: unknown, ...rest: unknown[]) => {
    // The mark may follow the template's leading newline and indentation.
    if (typeof text === 'string' && text.trimStart().startsWith(PREPARED_MARK) && Array.isArray(rest[0])) {
      let name = names.get(text);
      if (!name) {
        name = `cl_${crypto.createHash('sha1').update(text).digest('hex').slice(0, 16)}`;
        names.set(text, name);
      }
      return query({ name, text, values: rest[0] }, ...rest.slice(1));
    }
    return query(text, ...rest);
  };
}

/** Connects to a PostgreSQL + PostGIS server. */
export async function openPostgres(url: string, poolSize = 10): Promise<Database> {
  const pool = new pg.Pool({ connectionString: url, max: poolSize });
  pool.on('connect', prepareMarkedQueries);
  // An idle client dropped by the server (restart, failover, pg_terminate_backend) must not
  // crash the process: the pool discards it and connects a new one on the next query.
  pool.on('error', (err) => console.error(`PostgreSQL idle connection lost: ${err.message}`));
  // Surface a bad URL at boot rather than on the first request.
  const probe = await pool.connect();
  probe.release();
  const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool }), plugins: PLUGINS });
  const copyOn = (client: pg.PoolClient) => async (table: string, columns: string[], csv: string) => {
    const stream = client.query(copyFrom(`COPY ${table} (${columns.join(', ')}) FROM STDIN WITH (FORMAT csv)`));
    await new Promise<void>((resolve, reject) => {
      stream.on('error', reject);
      stream.on('finish', () => resolve());
      stream.end(csv);
    });
    return Number(stream.rowCount ?? 0);
  };
  return {
    kind: 'postgres',
    db,
    async exec(script) {
      await pool.query(script);
    },
    async copyCsv(table, columns, csv) {
      const client = await pool.connect();
      try {
        return await copyOn(client)(table, columns, csv);
      } finally {
        client.release();
      }
    },
    async transaction(fn) {
      // A dedicated client so COPY and Kysely queries share one transaction.
      const client = await pool.connect();
      const single = new Kysely<DB>({
        dialect: new PostgresDialect({ pool: singleClientPool(client) }),
        plugins: PLUGINS,
      });
      try {
        await client.query('BEGIN');
        const result = await fn({ db: single, copyCsv: copyOn(client) });
        await client.query('COMMIT');
        return result;
      } catch (err) {
        await client.query('ROLLBACK').catch(() => {});
        throw err;
      } finally {
        client.release();
      }
    },
    async close() {
      await db.destroy();
    },
  };
}

/** A pool facade that always lends the same client (never released to the real pool). */
function singleClientPool(client: pg.PoolClient) {
  const lent = { query: client.query.bind(client), release: () => {} };
  return { connect: async () => lent, end: async () => {} } as unknown as pg.Pool;
}

export async function openDatabase(opts: { databaseUrl: string | null; dataDir: string | null }): Promise<Database> {
  return opts.databaseUrl ? openPostgres(opts.databaseUrl) : openPGlite(opts.dataDir);
}

/** Escapes one CSV field. null/undefined become an empty (NULL) field. */
export function csvField(v: unknown): string {
  if (v === null || v === undefined) return '';
  const s = typeof v === 'string' ? v : typeof v === 'object' ? JSON.stringify(v) : String(v);
  return /[",\n\r]/.test(s) || s === '' ? `"${s.replace(/"/g, '""')}"` : s;
}
export const csvRow = (fields: unknown[]) => `${fields.map(csvField).join(',')}\n`;
