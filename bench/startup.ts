/**
 * Time from `npm start` on an empty data folder to a usable console: the server process
 * starts, creates the embedded database, loads the demo city and answers with the
 * console page and a logged-in API call. Baseline: a second start on the same folder.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}

async function startOnce(dataDir: string): Promise<number> {
  const port = await freePort();
  const started = performance.now();
  const child = spawn(process.execPath, ['--import', 'tsx', 'apps/server/src/main.ts', 'serve'], {
    cwd: root,
    env: { ...process.env, PORT: String(port), CITYLOOP_DATA_DIR: dataDir, CITYLOOP_LOG_LEVEL: 'warn', DATABASE_URL: '' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const base = `http://127.0.0.1:${port}`;
  try {
    for (;;) {
      if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}`);
      if (performance.now() - started > 600_000) throw new Error('server did not start in 10 minutes');
      try {
        const page = await fetch(`${base}/`);
        const login = await fetch(`${base}/api/auth/login`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ username: 'admin', password: 'demo1234' }),
        });
        if (page.ok && login.ok) {
          const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
          const tree = await fetch(`${base}/api/regions/tree`, { headers: { cookie } });
          if (tree.ok && ((await tree.json()) as unknown[]).length > 0) return (performance.now() - started) / 1000;
        }
      } catch {
        // not listening yet
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
  }
}

export default async function startup(): Promise<Record<string, number>> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cityloop-startup-'));
  try {
    const cold = await startOnce(dataDir);
    const warm = await startOnce(dataDir);
    return { cold_start_to_console_s: round(cold), warm_start_s: round(warm), cold_over_warm: round(cold / warm) };
  } finally {
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

const round = (n: number) => Math.round(n * 100) / 100;
