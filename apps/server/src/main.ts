import crypto from 'node:crypto';
import { DEMO_ACCOUNTS, DEMO_PASSWORD } from '@cityloop/shared';
import { buildApp } from './app.ts';
import { type Config, ConfigError, loadConfig } from './config.ts';
import { createContext } from './context.ts';
import { type Database, openDatabase } from './db/database.ts';
import { startNightlyTidy } from './db/maintenance.ts';
import { currentVersion, migrate } from './db/migrate.ts';
import { loadDemoCity } from './modules/demo/demo.service.ts';
import { startSweeper } from './modules/realtime/realtime.sweep.ts';

const USAGE = `cityloop — 数字化城市管理信息系统

Usage:
  cityloop serve                       run the server (migrates, loads the demo city on first start)
  cityloop migrate                     apply database migrations
  cityloop demo [--scale N] [--seed N] load the generated demo city into an empty database
  cityloop import regions <file.geojson> --divisions <file.csv>
                                       build districts and streets from admin-coded boundaries
                                       [--make-valid]
  cityloop grid [--level street|community] [--size M2] [--code PREFIX] [--replace]
                                       subdivide communities (or streets) into unit grids
  cityloop import components <file.geojson|file.csv> [--coord-sys wgs84|gcj02|bd09] [--skip-bad]
  cityloop import gazetteer <file.geojson|file.csv> [--coord-sys wgs84|gcj02|bd09] [--skip-bad]
  cityloop dispatch seed               routing rules from the classes' default departments

Configuration comes from the environment; see README.md.`;

function flag(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}

async function open(config: Config): Promise<Database> {
  const database = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
  await migrate(database);
  // Standards data and the national holiday schedule; idempotent, never overwrite a city's edits.
  const { services } = createContext(config, database);
  await services.taxonomy.seedStandards();
  await services.calendar.seedNational();
  return database;
}

/** Whether this database has never been set up (no people at all). */
async function isEmpty(database: Database): Promise<boolean> {
  const row = await database.db.selectFrom('person').select('id').limit(1).executeTakeFirst();
  return !row;
}

/** Outside demo mode: the first admin gets the configured password, or a generated one printed once. */
async function ensureAdmin(config: Config, database: Database): Promise<void> {
  const ctx = createContext(config, database);
  const admin = await database.db.selectFrom('personRole').select('id').where('role', '=', 'admin').limit(1).executeTakeFirst();
  if (admin) return;
  const password = config.adminPassword ?? crypto.randomBytes(12).toString('base64url');
  await ctx.services.orgs.createPerson({ username: 'admin', name: '系统管理员', password, roles: [{ role: 'admin' }] }, null);
  if (config.adminPassword) console.log('Created the first administrator "admin" with CITYLOOP_ADMIN_PASSWORD.');
  else console.log(`Created the first administrator: username "admin", password "${password}" (shown once; change it).`);
}

async function serve(config: Config) {
  const started = Date.now();
  const database = await open(config);
  const empty = await isEmpty(database);
  const demo = config.demo ?? (config.databaseUrl === null && empty);
  if (empty && demo) {
    console.log(`Empty database: generating the demo city (scale ${config.demoScale}, seed ${config.demoSeed})…`);
    const ctx = createContext(config, database);
    const s = await loadDemoCity(ctx, { scale: config.demoScale, seed: config.demoSeed, log: (m) => console.log(`  ${m}`) });
    console.log(
      `Demo city loaded in ${s.seconds.toFixed(1)} s: ${s.districts} districts, ${s.streets} streets, ${s.communities} communities, ` +
        `${s.grids} grids, ${s.departments} departments, ${s.inspectors} inspectors, ${s.components} components, ${s.gazetteer} addresses.`,
    );
  }
  await ensureAdmin(config, database);
  const app = await buildApp({ config, database });
  // Deadline lights (80 % yellow, 100 % red) for open cases, once a minute.
  const stopSweeper = startSweeper(app.ctx, 60_000, { onError: (err) => app.log.error({ err }, 'deadline sweep failed') });
  // Photos no report took (anonymous after a day, staff after a week), once an hour.
  const janitor = setInterval(() => {
    app.ctx.services.media
      .purgeUnattached()
      .then((n) => n > 0 && app.log.info({ removed: n }, 'unattached photos removed'))
      .catch((err) => app.log.error({ err }, 'photo clean-up failed'));
  }, 3600_000);
  janitor.unref();
  // The embedded database has no autovacuum: VACUUM (ANALYZE) it every night at 03:00, city time.
  const stopTidy = startNightlyTidy(database, {
    everyMs: 10 * 60_000,
    zone: async () => (await app.ctx.services.calendar.load()).zone,
    onDone: (ms) => app.log.info({ ms: Math.round(ms) }, 'database vacuumed and analysed'),
    onError: (err) => app.log.error({ err }, 'database tidy failed'),
  });
  const close = async () => {
    clearInterval(janitor);
    stopTidy();
    await stopSweeper();
    await app.close();
    await database.close();
    process.exit(0);
  };
  process.on('SIGINT', close);
  process.on('SIGTERM', close);
  await app.listen({ port: config.port, host: config.host });
  // Every console map opens with the city's outlines: build them now (kept until a region
  // changes) rather than during the first page load, when MapLibre is being downloaded too.
  void (async () => {
    for (const level of ['district', 'street', 'community', 'grid'] as const)
      await app.ctx.services.regions.outlines({ level }).catch((err) => app.log.warn({ err, level }, 'outlines not prepared'));
  })();
  const demoUsers = await database.db
    .selectFrom('person')
    .select('username')
    .where(
      'username',
      'in',
      DEMO_ACCOUNTS.map((a) => a.username),
    )
    .execute();
  const hasDemoUsers = demoUsers.length === DEMO_ACCOUNTS.length && demo;
  const url = `http://${config.host === '0.0.0.0' ? 'localhost' : config.host}:${config.port}`;
  console.log(
    `\nCityLoop is ready at ${url} (database: ${database.kind}, migration ${await currentVersion(database)}) in ${((Date.now() - started) / 1000).toFixed(1)} s`,
  );
  console.log(`API docs: ${url}/api/docs`);
  if (hasDemoUsers) {
    console.log(`Demo accounts (password "${DEMO_PASSWORD}"): ${DEMO_ACCOUNTS.map((a) => a.username).join(', ')}`);
  }
}

async function main() {
  const [cmd = 'serve', ...args] = process.argv.slice(2);
  if (cmd === '--help' || cmd === 'help' || cmd === '-h') {
    console.log(USAGE);
    return;
  }
  let config: Config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      process.exit(2);
    }
    throw err;
  }
  switch (cmd) {
    case 'serve':
      return serve(config);
    case 'migrate': {
      const database = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
      const applied = await migrate(database);
      console.log(applied.length ? `Applied ${applied.join(', ')}` : 'Database is up to date.');
      console.log(`Migration version: ${await currentVersion(database)}`);
      await database.close();
      return;
    }
    case 'demo': {
      const database = await open(config);
      if (!(await isEmpty(database))) {
        console.error('The database is not empty; the demo city loads into an empty database only.');
        await database.close();
        process.exit(1);
      }
      const ctx = createContext(config, database);
      const s = await loadDemoCity(ctx, {
        scale: Number(flag(args, '--scale') ?? config.demoScale),
        seed: Number(flag(args, '--seed') ?? config.demoSeed),
        log: (m) => console.log(`  ${m}`),
      });
      console.log(JSON.stringify(s));
      await database.close();
      return;
    }
    default: {
      const { runCommand } = await import('./cli.ts');
      const database = await open(config);
      try {
        await runCommand(createContext(config, database), cmd, args);
      } finally {
        await database.close();
      }
    }
  }
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
