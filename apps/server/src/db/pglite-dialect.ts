import type { PGlite } from '@electric-sql/pglite';
import {
  type CompiledQuery,
  type DatabaseConnection,
  type Dialect,
  type Driver,
  type Kysely,
  PostgresAdapter,
  PostgresIntrospector,
  PostgresQueryCompiler,
  type QueryResult,
  type TransactionSettings,
} from 'kysely';

/**
 * Kysely over an embedded PGlite. PGlite has one connection, so the driver hands it
 * out to one holder at a time (a transaction keeps it until commit/rollback).
 */
export class PGliteDialect implements Dialect {
  constructor(private readonly pg: PGlite) {}
  createAdapter() {
    return new PostgresAdapter();
  }
  createDriver(): Driver {
    return new PGliteDriver(this.pg);
  }
  createIntrospector(db: Kysely<unknown>) {
    return new PostgresIntrospector(db);
  }
  createQueryCompiler() {
    return new PostgresQueryCompiler();
  }
}

/** A FIFO mutex: PGlite's single connection is held by one caller at a time. */
export class Mutex {
  #tail: Promise<void> = Promise.resolve();
  /** Waits for the lock; resolves with the release function. */
  lock(): Promise<() => void> {
    let release!: () => void;
    const next = new Promise<void>((r) => {
      release = r;
    });
    const prev = this.#tail;
    this.#tail = prev.then(() => next);
    return prev.then(() => release);
  }
}

class PGliteDriver implements Driver {
  readonly #releases = new WeakMap<DatabaseConnection, () => void>();
  constructor(private readonly pg: PGlite & { cityloopMutex?: Mutex }) {
    pg.cityloopMutex ??= new Mutex();
  }
  async init() {}
  async acquireConnection(): Promise<DatabaseConnection> {
    const release = await (this.pg.cityloopMutex as Mutex).lock();
    const conn = new PGliteConnection(this.pg);
    this.#releases.set(conn, release);
    return conn;
  }
  async beginTransaction(conn: DatabaseConnection, settings: TransactionSettings) {
    const iso = settings.isolationLevel ? ` isolation level ${settings.isolationLevel}` : '';
    await (conn as PGliteConnection).raw(`begin${iso}`);
  }
  async commitTransaction(conn: DatabaseConnection) {
    await (conn as PGliteConnection).raw('commit');
  }
  async rollbackTransaction(conn: DatabaseConnection) {
    await (conn as PGliteConnection).raw('rollback');
  }
  async releaseConnection(conn: DatabaseConnection) {
    this.#releases.get(conn)?.();
    this.#releases.delete(conn);
  }
  async destroy() {}
}

class PGliteConnection implements DatabaseConnection {
  constructor(private readonly pg: PGlite) {}
  async raw(sqlText: string) {
    await this.pg.query(sqlText);
  }
  async executeQuery<R>(compiled: CompiledQuery): Promise<QueryResult<R>> {
    const res = await this.pg.query<R>(compiled.sql, compiled.parameters as unknown[]);
    const kind = compiled.query.kind;
    const mutating = kind === 'InsertQueryNode' || kind === 'UpdateQueryNode' || kind === 'DeleteQueryNode' || kind === 'MergeQueryNode';
    return {
      rows: res.rows,
      ...(mutating ? { numAffectedRows: BigInt(res.affectedRows ?? 0) } : {}),
    };
  }
  // biome-ignore lint/correctness/useYield: streaming is not supported by PGlite
  async *streamQuery<R>(): AsyncIterableIterator<QueryResult<R>> {
    throw new Error('PGlite does not support streaming queries');
  }
}
