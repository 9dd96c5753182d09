import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Database } from './database.ts';

/** Plain-SQL migrations with timestamped names, applied in name order, each once. */
export const MIGRATIONS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../migrations');

export interface MigrationFile {
  version: string;
  name: string;
  sql: string;
}

export function listMigrations(dir = MIGRATIONS_DIR): MigrationFile[] {
  return fs
    .readdirSync(dir)
    .filter((f) => /^\d{8}T\d{4}_[a-z0-9_]+\.sql$/.test(f))
    .sort()
    .map((f) => ({ version: f.slice(0, 13), name: f.slice(14, -4), sql: fs.readFileSync(path.join(dir, f), 'utf8') }));
}

/** Applies pending migrations; returns the versions applied now. Safe to run from several processes. */
export async function migrate(database: Database, dir = MIGRATIONS_DIR): Promise<string[]> {
  await database.exec(`CREATE TABLE IF NOT EXISTS schema_migration (
    version text PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`);
  const done = new Set((await database.db.selectFrom('schemaMigration').select('version').execute()).map((r) => r.version));
  const applied: string[] = [];
  for (const m of listMigrations(dir).filter((f) => !done.has(f.version))) {
    // The advisory lock serialises concurrent servers on PostgreSQL; a no-op cost on PGlite.
    const quoted = m.version.replace(/'/g, "''");
    const script = `BEGIN;
SELECT pg_advisory_xact_lock(7240013);
DO $$ BEGIN
  IF EXISTS (SELECT 1 FROM schema_migration WHERE version = '${quoted}') THEN
    RAISE EXCEPTION 'cityloop_migration_already_applied';
  END IF;
END $$;
${m.sql}
;
INSERT INTO schema_migration (version, name) VALUES ('${quoted}', '${m.name.replace(/'/g, "''")}');
COMMIT;`;
    try {
      await database.exec(script);
      applied.push(m.version);
    } catch (err) {
      await database.exec('ROLLBACK').catch(() => {});
      if (String((err as Error).message).includes('cityloop_migration_already_applied')) continue;
      throw new Error(`Migration ${m.version}_${m.name} failed: ${(err as Error).message}`);
    }
  }
  return applied;
}

/** The latest applied migration version, or null on an empty database. */
export async function currentVersion(database: Database): Promise<string | null> {
  const row = await database.db
    .selectFrom('schemaMigration')
    .select((eb) => eb.fn.max('version').as('version'))
    .executeTakeFirst();
  return (row?.version as string | null) ?? null;
}
