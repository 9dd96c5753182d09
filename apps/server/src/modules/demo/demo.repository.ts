import { type Kysely, sql } from 'kysely';
import type { DB } from '../../db/schema.ts';

/** Tables the loader writes with explicit ids (their sequences are moved past them afterwards). */
export const ID_TABLES = ['region', 'department', 'person', 'beat'] as const;
export type IdTable = (typeof ID_TABLES)[number];

/** SQL used by the demo loader; the bulk rows themselves go in with COPY. */
export class DemoRepository {
  /** Rows already in the tables the demo city fills (it loads into an empty database only). */
  async existingRows(db: Kysely<DB>): Promise<number> {
    const res = await sql<{ n: number }>`
      SELECT (SELECT count(*) FROM region) + (SELECT count(*) FROM person) + (SELECT count(*) FROM department)
           + (SELECT count(*) FROM component) + (SELECT count(*) FROM gazetteer) AS n`.execute(db);
    return Number(res.rows[0]?.n ?? 0);
  }

  /** The highest id in each table, so explicit ids can follow it. */
  async maxIds(db: Kysely<DB>): Promise<Record<IdTable, number>> {
    const res = await sql<Record<IdTable, number>>`
      SELECT (SELECT coalesce(max(id), 0) FROM region) AS region,
             (SELECT coalesce(max(id), 0) FROM department) AS department,
             (SELECT coalesce(max(id), 0) FROM person) AS person,
             (SELECT coalesce(max(id), 0) FROM beat) AS beat`.execute(db);
    const row = res.rows[0] as Record<IdTable, number>;
    return { region: Number(row.region), department: Number(row.department), person: Number(row.person), beat: Number(row.beat) };
  }

  /**
   * Drops a table's secondary indexes and foreign keys for a bulk load and returns the
   * statements that put them back, taken from the catalog (so they stay exactly as the
   * migrations made them). Loading 417k components with them in place costs ~5× more:
   * each row would fire three foreign-key checks and a GiST insert; rebuilding an index
   * and validating a foreign key afterwards are single set-based passes. Primary keys and
   * unique constraints stay. Run inside the loading transaction.
   */
  async suspendIndexes(db: Kysely<DB>, table: 'component' | 'gazetteer'): Promise<string[]> {
    const fks = await sql<{ name: string; def: string }>`
      SELECT conname AS name, pg_get_constraintdef(oid) AS def
      FROM pg_constraint WHERE conrelid = ${table}::regclass AND contype = 'f' ORDER BY conname`.execute(db);
    const indexes = await sql<{ name: string; def: string }>`
      SELECT c.relname AS name, pg_get_indexdef(i.indexrelid) AS def
      FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
      WHERE i.indrelid = ${table}::regclass
        AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid)
      ORDER BY c.relname`.execute(db);
    for (const fk of fks.rows) await sql`ALTER TABLE ${sql.table(table)} DROP CONSTRAINT ${sql.id(fk.name)}`.execute(db);
    for (const ix of indexes.rows) await sql`DROP INDEX ${sql.id(ix.name)}`.execute(db);
    return [
      ...indexes.rows.map((ix) => ix.def),
      ...fks.rows.map((fk) => `ALTER TABLE ${table} ADD CONSTRAINT "${fk.name.replace(/"/g, '""')}" ${fk.def}`),
    ];
  }

  /** Runs the statements suspendIndexes() returned. */
  async restoreIndexes(db: Kysely<DB>, statements: string[]) {
    for (const stmt of statements) await sql.raw(stmt).execute(db);
  }

  /** Spherical areas of the regions just loaded. */
  async computeAreas(db: Kysely<DB>, fromId: number, toId: number) {
    await sql`UPDATE region SET area_m2 = ST_Area(geom::geography) WHERE id BETWEEN ${fromId} AND ${toId}`.execute(db);
  }

  /** Moves each id sequence past the explicit ids written by COPY. */
  async resetSequences(db: Kysely<DB>) {
    for (const table of ID_TABLES) {
      await sql`SELECT setval(pg_get_serial_sequence(${table}, 'id'), greatest((SELECT max(id) FROM ${sql.table(table)}), 1))`.execute(db);
    }
  }

  /** Fresh planner statistics after a bulk load. */
  async analyze(db: Kysely<DB>) {
    await sql`ANALYZE region, department, person, person_role, beat, beat_grid, component, gazetteer`.execute(db);
  }
}
