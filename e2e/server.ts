/**
 * Starts the real CityLoop server for browser tests: a fresh embedded database in a temp
 * dir, the generated demo city, a free port. Set CITYLOOP_E2E_URL to test an already
 * running server instead (its database must have the demo accounts).
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export interface TestServer {
  url: string;
  /** The last lines the server printed (for failure messages). */
  output(): string;
  stop(): Promise<void>;
}

export interface StartOptions {
  /** Extra environment for the server process. */
  env?: Record<string, string>;
  /** How long to wait for GET /api/health (default 180 s). */
  timeoutMs?: number;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(p) : fs.statSync(p).mtimeMs);
  }
  return newest;
}

/** Builds apps/web when dist is missing or older than its sources (and the shared package it bundles), so the tests see the current console. */
export function ensureWebBuild(): void {
  const web = path.join(ROOT, 'apps', 'web');
  const index = path.join(web, 'dist', 'index.html');
  const sources = [path.join(web, 'src'), path.join(web, 'public'), path.join(ROOT, 'packages', 'shared', 'src')].filter((d) =>
    fs.existsSync(d),
  );
  const files = ['index.html', 'vite.config.ts', 'package.json'].map((f) => path.join(web, f)).filter((f) => fs.existsSync(f));
  const newest = Math.max(...sources.map(newestMtime), ...files.map((f) => fs.statSync(f).mtimeMs));
  if (fs.existsSync(index) && fs.statSync(index).mtimeMs >= newest) return;
  const res = spawnSync(process.execPath, [path.join(ROOT, 'scripts', 'build-web.mjs')], { cwd: ROOT, stdio: 'inherit' });
  if (res.status !== 0) throw new Error('the web console did not build (node scripts/build-web.mjs)');
}

function sleep(ms: number) {
  return new Promise((r) => setTimeout(r, ms));
}

/** Where the browser tests' global setup leaves the prepared data folder for startServer to copy. */
export const TEMPLATE_ENV = 'CITYLOOP_E2E_TEMPLATE';

/**
 * Starts a server once on an empty data folder (migrations, reference data, the demo city at
 * the tests' scale), stops it, and returns the folder: each test's server then starts from a
 * copy instead of generating the city again.
 */
export async function prepareDemoTemplate(): Promise<{ dir: string; remove(): void }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cityloop-e2e-template-'));
  const saved = process.env[TEMPLATE_ENV];
  delete process.env[TEMPLATE_ENV];
  try {
    const server = await startServer({ env: { CITYLOOP_DATA_DIR: dir } });
    await server.stop();
  } finally {
    if (saved !== undefined) process.env[TEMPLATE_ENV] = saved;
  }
  return { dir, remove: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

export async function startServer(opts: StartOptions = {}): Promise<TestServer> {
  const external = process.env.CITYLOOP_E2E_URL;
  if (external) {
    return { url: external.replace(/\/$/, ''), output: () => '', stop: async () => {} };
  }
  // A restart on the same port (opts.env.PORT) lets an open page reconnect to the same origin.
  const port = opts.env?.PORT ? Number(opts.env.PORT) : await freePort();
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cityloop-e2e-'));
  // The run's prepared demo city (see prepareDemoTemplate), unless the caller brings its own data.
  const template = process.env[TEMPLATE_ENV];
  if (template && !opts.env?.CITYLOOP_DATA_DIR && fs.existsSync(template)) fs.cpSync(template, dataDir, { recursive: true });
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PORT: String(port),
    HOST: '127.0.0.1',
    CITYLOOP_DATA_DIR: dataDir,
    CITYLOOP_DEMO: 'true',
    CITYLOOP_DEMO_SCALE: '0.05',
    CITYLOOP_LOG_LEVEL: 'warn',
    ...opts.env,
  };
  delete env.DATABASE_URL;
  delete env[TEMPLATE_ENV];

  let log = '';
  const append = (chunk: Buffer) => {
    log = (log + chunk.toString()).slice(-20_000);
  };
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', 'apps/server/src/main.ts', 'serve'], {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', append);
  child.stderr?.on('data', append);
  let exited: number | string | null = null;
  const exitPromise = new Promise<void>((resolve) =>
    child.once('exit', (code, signal) => {
      exited = code ?? signal ?? 'unknown';
      resolve();
    }),
  );

  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (exited === null) {
      child.kill('SIGTERM');
      const killed = await Promise.race([exitPromise.then(() => true), sleep(15_000).then(() => false)]);
      if (!killed) {
        child.kill('SIGKILL');
        await exitPromise;
      }
    }
    fs.rmSync(dataDir, { recursive: true, force: true });
  };

  const deadline = Date.now() + (opts.timeoutMs ?? 180_000);
  while (Date.now() < deadline) {
    if (exited !== null) {
      await stop();
      throw new Error(`the server exited (${exited}) before it was ready:\n${log}`);
    }
    try {
      const res = await fetch(`${url}/api/health`, { signal: AbortSignal.timeout(2_000) });
      if (res.ok) return { url, output: () => log, stop };
    } catch {
      // not listening yet
    }
    await sleep(500);
  }
  await stop();
  throw new Error(`the server did not answer /api/health within ${(opts.timeoutMs ?? 180_000) / 1000} s:\n${log}`);
}
