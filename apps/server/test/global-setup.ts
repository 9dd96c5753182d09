import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { createContext } from '../src/context.ts';
import { type Database, openPGlite, openPostgres } from '../src/db/database.ts';
import { migrate } from '../src/db/migrate.ts';
import { loadDemoCity } from '../src/modules/demo/demo.service.ts';
import { TEST_SCALE, testConfig, withDatabaseName } from './helpers.ts';

/** What every start seeds: the standards' class tables and the national holiday schedule. */
async function seedReference(database: Database) {
  const { services } = createContext(testConfig(), database);
  await services.taxonomy.seedStandards();
  await services.calendar.seedNational();
}

declare module 'vitest' {
  export interface ProvidedContext {
    pgliteTemplate: string;
    pgliteEmpty: string;
    pgTemplate: string;
    pgEmpty: string;
  }
}

/**
 * Prepares two templates once per run — an empty migrated database and one holding the
 * small demo city — so each test file copies a database instead of building one.
 */
export default async function setup(project: TestProject) {
  const kind = project.config.env?.CITYLOOP_TEST_DB === 'postgres' ? 'postgres' : 'pglite';
  const started = Date.now();
  if (kind === 'pglite') {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'cityloop-tpl-'));
    for (const [name, withDemo] of [
      ['empty', false],
      ['demo', true],
    ] as const) {
      const database = await openPGlite(path.join(root, name));
      await migrate(database);
      await seedReference(database);
      if (withDemo) await loadDemoCity(createContext(testConfig(), database), { scale: TEST_SCALE, seed: 7 });
      await database.close();
    }
    project.provide('pgliteEmpty', path.join(root, 'empty', 'pglite'));
    project.provide('pgliteTemplate', path.join(root, 'demo', 'pglite'));
    console.log(`[test] PGlite templates ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    return () => fs.rmSync(root, { recursive: true, force: true });
  }

  const url = process.env.TEST_DATABASE_URL;
  if (!url) throw new Error('The postgres project needs TEST_DATABASE_URL');
  const suffix = crypto.randomBytes(4).toString('hex');
  const names = { empty: `cityloop_tpl_empty_${suffix}`, demo: `cityloop_tpl_demo_${suffix}` };
  const dropAll = async () => {
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    for (const name of Object.values(names)) await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await c.end();
  };
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  try {
    for (const [key, name] of Object.entries(names)) {
      await admin.query(`CREATE DATABASE ${name}`);
      const database = await openPostgres(withDatabaseName(url, name), 4);
      try {
        await migrate(database);
        await seedReference(database);
        if (key === 'demo') await loadDemoCity(createContext(testConfig(), database), { scale: TEST_SCALE, seed: 7 });
      } finally {
        await database.close();
      }
    }
  } catch (err) {
    await admin.end();
    await dropAll();
    throw err;
  }
  await admin.end();
  project.provide('pgEmpty', names.empty);
  project.provide('pgTemplate', names.demo);
  console.log(`[test] PostgreSQL templates ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return dropAll;
}
