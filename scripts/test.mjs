#!/usr/bin/env node
// `npm test`: lint, type-check, then the test tiers that this machine can run.
//   pglite   — always: server tests on the embedded database
//   postgres — when TEST_DATABASE_URL points at a PostgreSQL server with PostGIS available
//   browser  — when Debian chromium is installed (/usr/bin/chromium or CITYLOOP_CHROMIUM)
// Locally a missing tier is skipped and reported; with CI=true a missing tier fails the run.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const ci = /^(1|true)$/i.test(process.env.CI ?? '');
const extra = process.argv.slice(2);
const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
process.chdir(root);

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { stdio: 'inherit', ...opts });
  return r.status ?? 1;
}

async function postgresTier() {
  const url = process.env.TEST_DATABASE_URL;
  if (!url) return 'TEST_DATABASE_URL is not set';
  const { default: pg } = await import('pg');
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  try {
    await client.connect();
    const r = await client.query("SELECT 1 FROM pg_available_extensions WHERE name = 'postgis'");
    if (r.rowCount === 0) return 'PostGIS is not installed on that server (apt-get install postgresql-15-postgis-3)';
    return null;
  } catch (err) {
    return `cannot connect to TEST_DATABASE_URL: ${err.message}`;
  } finally {
    await client.end().catch(() => {});
  }
}

function browserTier() {
  const exe = process.env.CITYLOOP_CHROMIUM ?? '/usr/bin/chromium';
  return fs.existsSync(exe) ? null : `${exe} not found (apt-get install chromium)`;
}

const skipped = {};
const pgWhy = await postgresTier();
if (pgWhy) skipped.postgres = pgWhy;
const brWhy = browserTier();
if (brWhy) skipped.browser = brWhy;

if (ci && Object.keys(skipped).length > 0) {
  for (const [t, why] of Object.entries(skipped)) console.error(`CI=true but the ${t} tier cannot run: ${why}`);
  process.exit(1);
}

if (!extra.includes('--no-lint')) {
  console.log('\n== lint (biome) ==');
  if (run('npx', ['biome', 'check', '.'])) process.exit(1);
  console.log('\n== type-check (tsc) ==');
  for (const p of ['packages/shared', 'apps/server', 'apps/web']) {
    if (run('npx', ['tsc', '-p', p])) process.exit(1);
  }
}

const projects = ['pglite', ...['postgres', 'browser'].filter((t) => !skipped[t])];
const report = path.join(os.tmpdir(), `cityloop-vitest-${process.pid}.json`);
console.log(`\n== tests: ${projects.join(', ')} ==`);
const vitestArgs = [
  'vitest',
  'run',
  ...projects.flatMap((p) => ['--project', p]),
  '--reporter=default',
  '--reporter=json',
  `--outputFile.json=${report}`,
  ...extra.filter((a) => a !== '--no-lint'),
];
const status = run('npx', vitestArgs);

let passed = 0;
let failed = 0;
let skippedTests = 0;
try {
  const json = JSON.parse(fs.readFileSync(report, 'utf8'));
  passed = json.numPassedTests;
  failed = json.numFailedTests;
  skippedTests = json.numPendingTests + (json.numTodoTests ?? 0);
  fs.rmSync(report, { force: true });
} catch {
  failed = Math.max(failed, status === 0 ? 0 : 1);
}

console.log('');
console.log(`Tiers run: ${projects.join(', ')}`);
for (const [t, why] of Object.entries(skipped)) console.log(`Tier skipped: ${t} — ${why}`);
console.log(`${passed} passed, ${failed} failed, ${skippedTests} skipped`);
process.exit(status === 0 && failed === 0 && passed > 0 ? 0 : 1);
