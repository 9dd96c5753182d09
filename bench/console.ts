/**
 * The console in Debian chromium against the real server, over a city with a history: the
 * demo city (BENCH_SCALE, default 1) plus BENCH_CASES synthetic cases (default 100,000) spread
 * over the last 60 days, most of them closed, with their phase logs (written before the server
 * starts, then ANALYZEd).
 *
 * Figures:
 * - first load (time to interactive) of /workbench and /command in a fresh browser context,
 *   logged in: the map ready and the live stream connected (median of BENCH_LOADS runs); and of
 *   the maintenance pages that draw every unit grid, /admin/beats and /admin/regions (as admin);
 * - GET /api/command/overview and /api/command/cases on that data (each read in a new second, so
 *   the per-second cache does not answer);
 * - the big screen's time from a report's event to its row in the ticker, over BENCH_EVENTS
 *   reports, against a baseline from the same run: the time for the same SSE event to reach a
 *   bare EventSource in the same page. Both are measured from just before the POST was sent.
 * - the component census (/census) over the whole census: for views from the city to single
 *   components, the time from moving the map to its components drawn (request and rendering),
 *   and frames per second during a 2 s pan at street level, against the same pan with the
 *   component layers hidden (the same map without the census: the baseline).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { sql } from 'kysely';
import { type Browser, chromium } from 'playwright-core';
import { loadConfig } from '../apps/server/src/config.ts';
import { createContext } from '../apps/server/src/context.ts';
import { openPGlite } from '../apps/server/src/db/database.ts';
import { migrate } from '../apps/server/src/db/migrate.ts';
import { loadDemoCity } from '../apps/server/src/modules/demo/demo.service.ts';

/** The page's globals this file touches, typed here: it is type-checked without the DOM library. */
interface PageElement {
  getAttribute(name: string): string | null;
}
interface PageGlobals {
  document: { querySelector(selector: string): PageElement | null };
  MutationObserver: new (
    callback: () => void,
  ) => { observe(target: PageElement, options: { attributes: boolean; attributeFilter: string[] }): void };
  EventSource: new (
    url: string,
  ) => { onopen: (() => void) | null; addEventListener(type: string, fn: (ev: { data: string }) => void): void };
  Date: DateConstructor;
  [key: string]: unknown;
}

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const SCALE = Number(process.env.BENCH_SCALE ?? 1);
const CASES = Number(process.env.BENCH_CASES ?? 100_000);
const EVENTS = Number(process.env.BENCH_EVENTS ?? 20);
const LOADS = Number(process.env.BENCH_LOADS ?? 3);
const CHROMIUM = '/usr/bin/chromium';

const round = (n: number, d = 1) => Math.round(n * 10 ** d) / 10 ** d;
const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] ?? Number.NaN;
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

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

/** The demo city and `n` synthetic cases with their logs, written straight into a new PGlite folder. */
export async function prepare(dataDir: string, n: number): Promise<void> {
  const database = await openPGlite(dataDir);
  try {
    await migrate(database);
    const ctx = createContext(loadConfig({ CITYLOOP_LOG_LEVEL: 'silent', CITYLOOP_DATA_DIR: dataDir }), database);
    let t = performance.now();
    const step = (what: string) => {
      console.error(`  ${what}: ${round((performance.now() - t) / 1000)} s`);
      t = performance.now();
    };
    await loadDemoCity(ctx, { scale: SCALE, seed: 20261122 });
    step('demo city');
    const db = ctx.db;
    // h(i, k): a reproducible fraction in [0, 1) per case and purpose.
    await sql`CREATE TEMP TABLE bench_grid AS
      SELECT row_number() OVER (ORDER BY id) - 1 AS k, id, community_id, street_id, district_id, ST_PointOnSurface(geom) AS p
      FROM region WHERE level = 'grid' AND valid_to IS NULL`.execute(db);
    await sql`CREATE TEMP TABLE bench_class AS
      SELECT row_number() OVER (ORDER BY code) - 1 AS k, code FROM taxonomy_class
      WHERE edition = 'CJT214-2007' AND kind = 'event' AND level = 'minor'`.execute(db);
    await sql`CREATE TEMP TABLE bench_dept AS
      SELECT row_number() OVER (ORDER BY id) - 1 AS k, id FROM department WHERE kind = 'execution'`.execute(db);
    await sql`
      INSERT INTO case_file (number, source, workflow, kind, edition, class_code, urgent, description, geom, grid_id, community_id,
        street_id, district_id, state, phase, phase_started_at, phase_deadline, department_id, disposal_started_at, disposal_deadline,
        archive_type, closed_at, created_at, updated_at)
      SELECT 'B' || lpad(s.i::text, 12, '0'),
        (ARRAY['inspector', 'inspector', 'inspector', 'inspector', 'public', 'hotline', 'iot', 'media'])[1 + s.i % 8],
        'standard', 'event', 'CJT214-2007', c.code, s.i % 97 = 0, '历史案卷', g.p, g.id, g.community_id, g.street_id, g.district_id,
        s.state, CASE WHEN s.state = 'closed' THEN 'close' WHEN s.state IN ('dispatched', 'handling') THEN 'dispose' ELSE 'receive' END,
        s.created, CASE WHEN s.state = 'closed' THEN NULL ELSE s.created + interval '4 hours' END,
        CASE WHEN s.disposal THEN d.id END,
        CASE WHEN s.disposal THEN s.created + interval '1 hour' END,
        CASE WHEN s.disposal THEN s.created + interval '25 hours' END,
        CASE WHEN s.state = 'closed' THEN 'normal' END,
        CASE WHEN s.state = 'closed' THEN s.created + interval '1 hour' + (s.late * interval '40 hours') END,
        s.created, s.created
      FROM (
        SELECT i, created, late,
          CASE WHEN created > now() - interval '3 days' AND h < 0.6 THEN (ARRAY['reported', 'accepted', 'registered', 'dispatched', 'handling'])[1 + i % 5]
               WHEN h < 0.96 THEN 'closed' ELSE 'handling' END AS state,
          (created <= now() - interval '3 days' OR h >= 0.6 OR i % 5 >= 3) AS disposal
        FROM (
          SELECT i, now() - ((i * 0.6180339887) - floor(i * 0.6180339887)) * interval '60 days' AS created,
            ((i * 0.7548776662) - floor(i * 0.7548776662)) AS h, ((i * 0.5698402910) - floor(i * 0.5698402910)) AS late
          FROM generate_series(1, ${n}) i
        ) r
      ) s
      JOIN bench_grid g ON g.k = s.i % (SELECT count(*) FROM bench_grid)
      JOIN bench_class c ON c.k = (s.i::bigint * s.i) % (SELECT count(*) FROM bench_class)
      JOIN bench_dept d ON d.k = s.i % (SELECT count(*) FROM bench_dept)`.execute(db);
    step(`${n} cases`);
    // The lights the deadline sweep would have set: without them its first run after the start
    // would mark and announce thousands of cases at once, which is not what a running city sees.
    await sql`
      INSERT INTO case_light (case_id, light, phase, phase_started_at, deadline, ratio, at)
      SELECT c.id, 'red', c.phase, c.phase_started_at, c.phase_deadline, 1.5, now()
      FROM case_file c
      WHERE c.number LIKE 'B%' AND c.phase_deadline < now()
        AND c.state NOT IN ('closed', 'not_accepted', 'not_registered', 'cancelled', 'merged')`.execute(db);
    // History is not news: the triggers that hand new log rows to outside systems (webhooks, linked
    // platforms) stay off while it is written; those that keep derived data stay on.
    const outbound = (
      await sql<{ name: string }>`
        SELECT tgname AS name FROM pg_trigger
        WHERE tgrelid = 'case_event'::regclass AND NOT tgisinternal AND tgname ~ '(webhook|platform)'`.execute(db)
    ).rows.map((r) => r.name);
    for (const name of outbound) await sql`ALTER TABLE case_event DISABLE TRIGGER ${sql.id(name)}`.execute(db);
    // The log: the report, and for cases that reached disposal 立案, 派遣, 反馈 (late for a share) and 结案.
    await sql`
      INSERT INTO case_event (case_id, seq, action, from_state, to_state, phase, actor_role, department_id, started_at, ended_at,
        deadline_at, time_type, on_time)
      SELECT c.id, 1, 'report', NULL::text, 'reported', 'report', 'inspector', NULL::bigint, c.created_at, c.created_at,
        NULL::timestamptz, NULL::text, NULL::boolean
      FROM case_file c WHERE c.number LIKE 'B%'
      UNION ALL
      SELECT c.id, 2, 'register', 'accepted', 'registered', 'register', 'shiftlead', NULL, c.created_at, c.created_at + interval '30 minutes',
        c.created_at + interval '1 hour', 'work', true
      FROM case_file c WHERE c.number LIKE 'B%' AND c.disposal_started_at IS NOT NULL
      UNION ALL
      SELECT c.id, 3, 'dispatch', 'registered', 'dispatched', 'dispatch', 'dispatcher', c.department_id, c.created_at + interval '30 minutes',
        c.disposal_started_at, c.created_at + interval '90 minutes', 'work', true
      FROM case_file c WHERE c.number LIKE 'B%' AND c.disposal_started_at IS NOT NULL
      UNION ALL
      SELECT c.id, 4, 'feedback', 'handling', 'feedback', 'dispose', 'handler', c.department_id, c.disposal_started_at,
        c.closed_at - interval '10 minutes', c.disposal_deadline, 'work', c.closed_at - interval '10 minutes' <= c.disposal_deadline
      FROM case_file c WHERE c.number LIKE 'B%' AND c.closed_at IS NOT NULL
      UNION ALL
      SELECT c.id, 5, 'close', 'to_close', 'closed', 'close', 'shiftlead', c.department_id, c.closed_at - interval '10 minutes', c.closed_at,
        c.closed_at + interval '30 minutes', 'work', true
      FROM case_file c WHERE c.number LIKE 'B%' AND c.closed_at IS NOT NULL`.execute(db);
    for (const name of outbound) await sql`ALTER TABLE case_event ENABLE TRIGGER ${sql.id(name)}`.execute(db);
    step('their logs');
    await sql`ANALYZE`.execute(db);
    step('ANALYZE');
  } finally {
    await database.close();
  }
}

interface Server {
  base: string;
  child: ChildProcess;
}

async function serve(dataDir: string): Promise<Server> {
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', 'apps/server/src/main.ts', 'serve'], {
    cwd: root,
    env: {
      ...process.env,
      PORT: String(port),
      HOST: '127.0.0.1',
      CITYLOOP_DATA_DIR: dataDir,
      CITYLOOP_LOG_LEVEL: 'warn',
      DATABASE_URL: '',
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const base = `http://127.0.0.1:${port}`;
  const started = Date.now();
  for (;;) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}`);
    if (Date.now() - started > 600_000) throw new Error('server did not start in 10 minutes');
    try {
      if ((await fetch(`${base}/api/health`)).ok) return { base, child };
    } catch {
      // not listening yet
    }
    await sleep(200);
  }
}

async function login(base: string, username: string): Promise<string> {
  const res = await fetch(`${base}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password: 'demo1234' }),
  });
  if (!res.ok) throw new Error(`login ${username}: ${res.status}`);
  return (res.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
}

/** Median ms of `runs` reads of an API path, each in a new second (past the per-second cache). */
async function timeRead(base: string, cookie: string, url: string, runs: number): Promise<{ p50: number; first: number; bytes: number }> {
  const times: number[] = [];
  let bytes = 0;
  for (let i = 0; i < runs; i++) {
    await sleep(1000 - (Date.now() % 1000) + 5);
    const t0 = performance.now();
    const res = await fetch(`${base}${url}`, { headers: { cookie } });
    const body = await res.arrayBuffer();
    times.push(performance.now() - t0);
    if (!res.ok) throw new Error(`${url}: ${res.status}`);
    bytes = body.byteLength;
  }
  return { p50: pct(times, 50), first: times[0] as number, bytes };
}

/** ms from navigation to the page's "ready" condition in a fresh, logged-in context. */
async function firstLoad(browser: Browser, base: string, pathname: string, ready: string[], username = 'leader'): Promise<number> {
  const context = await browser.newContext({ viewport: { width: 1920, height: 1080 }, locale: 'zh-CN' });
  try {
    const page = await context.newPage();
    const res = await context.request.post(`${base}/api/auth/login`, { data: { username, password: 'demo1234' } });
    if (!res.ok()) throw new Error(`login: ${res.status()}`);
    const t0 = Date.now();
    await page.goto(`${base}${pathname}`);
    for (const selector of ready) await page.locator(selector).first().waitFor({ timeout: 120_000 });
    return Date.now() - t0;
  } finally {
    await context.close();
  }
}

/** The census map's handle and readiness mark, as the page exposes them (typed without the DOM library). */
interface CensusMap {
  getCenter(): { lng: number; lat: number };
  jumpTo(o: { center?: [number, number]; zoom?: number }): void;
  panBy(offset: [number, number], o: { duration: number }): void;
  setLayoutProperty(layer: string, name: string, value: string): void;
  getLayer(id: string): unknown;
  once(type: string, fn: () => void): void;
}
type CensusWindow = PageGlobals & {
  __cityloopMap: CensusMap;
  requestAnimationFrame(fn: () => void): number;
  document: { body: { dataset: Record<string, string | undefined> } };
};

/**
 * The census page over every component: view changes (city → single components) timed from
 * the jump to the page's mark that the new clusters are drawn, then a 2 s pan's frame rate with
 * and without the component layers.
 */
async function censusViews(browser: Browser, base: string): Promise<Record<string, number>> {
  const context = await browser.newContext({ viewport: { width: 1920, height: 1080 }, locale: 'zh-CN' });
  try {
    await context.request.post(`${base}/api/auth/login`, { data: { username: 'admin', password: 'demo1234' } });
    const page = await context.newPage();
    // tsx keeps function names by wrapping inner functions in __name(); the page has no such helper.
    await page.addInitScript('globalThis.__name = (f) => f;');
    await page.goto(`${base}/census`);
    await page.waitForFunction(() => Boolean((globalThis as unknown as CensusWindow).document.body.dataset.censusReady), null, {
      timeout: 120_000,
    });
    const start = await page.evaluate(() => {
      const c = (globalThis as unknown as CensusWindow).__cityloopMap.getCenter();
      return [c.lng, c.lat] as [number, number];
    });
    const views: number[] = [];
    for (const [i, zoom] of [11, 13, 15, 16, 17, 18, 17, 15, 13].entries()) {
      const center: [number, number] = [start[0] + ((i % 3) - 1) * 0.004, start[1] + ((i % 2) - 0.5) * 0.004];
      const ms = await page.evaluate(
        ([c, z]) =>
          new Promise<number>((resolve, reject) => {
            const w = globalThis as unknown as CensusWindow;
            const before = w.document.body.dataset.censusReady;
            const t0 = Date.now();
            w.__cityloopMap.jumpTo({ center: c, zoom: z });
            const poll = () => {
              const now = w.document.body.dataset.censusReady;
              if (now && now !== before && Number(now) >= t0) resolve(Number(now) - t0);
              else if (Date.now() - t0 > 120_000) reject(new Error(`the census view at zoom ${z} was not drawn within 120 s`));
              else setTimeout(poll, 10);
            };
            poll();
          }),
        [center, zoom] as const,
      );
      views.push(ms);
    }
    const pan = (hide: boolean) =>
      page.evaluate(
        (hideComponents) =>
          new Promise<number>((resolve) => {
            const w = globalThis as unknown as CensusWindow;
            const m = w.__cityloopMap;
            for (const id of ['component-clusters', 'component-points'])
              if (m.getLayer(id)) m.setLayoutProperty(id, 'visibility', hideComponents ? 'none' : 'visible');
            m.jumpTo({ zoom: 16 });
            let started = false;
            const go = () => {
              if (started) return;
              started = true;
              let frames = 0;
              const t0 = Date.now();
              const tick = () => {
                frames++;
                if (Date.now() - t0 < 2000) w.requestAnimationFrame(tick);
                else resolve((frames * 1000) / (Date.now() - t0));
              };
              m.panBy([600, 300], { duration: 2000 });
              w.requestAnimationFrame(tick);
            };
            // Pan once the map has settled (or after 5 s, should it never report idle).
            m.once('idle', go);
            setTimeout(go, 5000);
          }),
        hide,
      );
    const fpsWith = await pan(false);
    const fpsWithout = await pan(true);
    return {
      census_view_ms_p50: pct(views, 50),
      census_view_ms_max: Math.max(...views),
      census_pan_fps: round(fpsWith, 1),
      census_pan_fps_without_components: round(fpsWithout, 1),
      census_pan_fps_ratio: round(fpsWith / fpsWithout, 2),
    };
  } finally {
    await context.close();
  }
}

export default async function consoleBench(): Promise<Record<string, number | string>> {
  if (!fs.existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing (apt-get install chromium)`);
  const built = spawn(process.execPath, [path.join(root, 'scripts', 'build-web.mjs'), '--if-missing'], { cwd: root, stdio: 'inherit' });
  await new Promise((r) => built.once('exit', r));
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cityloop-console-'));
  let server: Server | null = null;
  let browser: Browser | null = null;
  try {
    const tPrep = performance.now();
    await prepare(dataDir, CASES);
    console.error(`prepared the demo city (scale ${SCALE}) and ${CASES} cases in ${round((performance.now() - tPrep) / 1000)} s`);
    server = await serve(dataDir);
    const { base } = server;
    const leader = await login(base, 'leader');
    const inspector = await login(base, 'inspector');
    const overview = await timeRead(base, leader, '/api/command/overview', 7);
    const openCases = await timeRead(base, leader, '/api/command/cases', 5);

    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu', '--no-first-run'] });
    // The browser's very first page pays for its own start (fonts, the GPU process): not counted.
    // (Not /login: signed in, the login page moves on to the workbench and never shows its form.)
    await firstLoad(browser, base, '/workbench', ['[data-testid="case-map"][data-ready="1"]']);
    const workbench: number[] = [];
    const command: number[] = [];
    for (let i = 0; i < LOADS; i++) {
      workbench.push(
        await firstLoad(browser, base, '/workbench', [
          '[data-testid="case-map"][data-ready="1"]',
          '[data-testid="live-status"][data-live="1"]',
        ]),
      );
      command.push(
        await firstLoad(browser, base, '/command', [
          '[data-testid="command-map"][data-ready="1"]',
          '[data-testid="command-live"][data-live="1"]',
          '[data-testid="command-ticker"][data-first-case]:not([data-first-case=""])',
        ]),
      );
    }

    // 应用维护 pages that draw every unit grid: the beats (with the whole grid index) and the regions.
    const beatsPage: number[] = [];
    const regionsPage: number[] = [];
    for (let i = 0; i < LOADS; i++) {
      beatsPage.push(await firstLoad(browser, base, '/admin/beats', ['[data-testid^="beat-row-"]', 'body[data-grid-map-ready]'], 'admin'));
      regionsPage.push(await firstLoad(browser, base, '/admin/regions', ['.cl-tree-node', 'body[data-grid-map-ready]'], 'admin'));
    }

    // Event → screen, against a bare EventSource in the same page.
    const context = await browser.newContext({ viewport: { width: 1920, height: 1080 }, locale: 'zh-CN' });
    await context.request.post(`${base}/api/auth/login`, { data: { username: 'leader', password: 'demo1234' } });
    const page = await context.newPage();
    await page.goto(`${base}/command`);
    await page.locator('[data-testid="command-map"][data-ready="1"]').waitFor({ timeout: 120_000 });
    await page.locator('[data-testid="command-live"][data-live="1"]').waitFor({ timeout: 30_000 });
    await page.evaluate(() => {
      const w = globalThis as unknown as PageGlobals & {
        __es: Record<number, number>;
        __screen: Record<number, number>;
        __esOpen: boolean;
      };
      w.__es = {};
      w.__screen = {};
      const es = new (globalThis as unknown as PageGlobals).EventSource('/api/events/stream');
      es.onopen = () => {
        w.__esOpen = true;
      };
      es.addEventListener('case.created', (ev) => {
        const id = JSON.parse(ev.data).caseId as number;
        w.__es[id] ??= Date.now();
      });
      const ticker = (globalThis as unknown as PageGlobals).document.querySelector('[data-testid="command-ticker"]') as PageElement;
      new (globalThis as unknown as PageGlobals).MutationObserver(() => {
        const id = Number(ticker.getAttribute('data-first-case'));
        if (id) w.__screen[id] ??= Date.now();
      }).observe(ticker, { attributes: true, attributeFilter: ['data-first-case'] });
    });
    await page.waitForFunction(() => (globalThis as unknown as PageGlobals & { __esOpen?: boolean }).__esOpen === true);
    // A place of the city's gazetteer, so the report locates.
    const hits = (await (
      await fetch(`${base}/api/geocode?q=${encodeURIComponent('路')}&limit=1`, { headers: { cookie: leader } })
    ).json()) as Array<{
      lng: number;
      lat: number;
    }>;
    const { lng, lat } = hits[0] as { lng: number; lat: number };
    const classCode = '0101';
    const bare: number[] = [];
    const screen: number[] = [];
    for (let i = 0; i < EVENTS; i++) {
      const sent = Date.now();
      const res = await fetch(`${base}/api/cases`, {
        method: 'POST',
        headers: { cookie: inspector, 'content-type': 'application/json' },
        body: JSON.stringify({ kind: 'event', classCode, description: `基准上报 #${i}`, location: { lng, lat } }),
      });
      if (res.status !== 201) throw new Error(`report: ${res.status} ${await res.text()}`);
      const { id } = (await res.json()) as { id: number };
      const seen = await page.waitForFunction(
        (caseId) => {
          const w = globalThis as unknown as PageGlobals & { __es: Record<number, number>; __screen: Record<number, number> };
          return w.__es[caseId] && w.__screen[caseId] ? { es: w.__es[caseId], screen: w.__screen[caseId] } : null;
        },
        id,
        { timeout: 30_000, polling: 'raf' },
      );
      const at = (await seen.jsonValue()) as { es: number; screen: number };
      bare.push(at.es - sent);
      screen.push(at.screen - sent);
      await sleep(300);
    }
    await context.close();
    const census = await censusViews(browser, base);
    return {
      cases: CASES,
      scale: SCALE,
      overview_ms_p50: round(overview.p50),
      overview_ms_first: round(overview.first),
      overview_kb: round(overview.bytes / 1024),
      open_cases_ms_p50: round(openCases.p50),
      open_cases_kb: round(openCases.bytes / 1024),
      workbench_tti_ms_p50: pct(workbench, 50),
      command_tti_ms_p50: pct(command, 50),
      admin_beats_tti_ms_p50: pct(beatsPage, 50),
      admin_regions_tti_ms_p50: pct(regionsPage, 50),
      event_to_eventsource_ms_p50: pct(bare, 50),
      event_to_eventsource_ms_p99: pct(bare, 99),
      event_to_screen_ms_p50: pct(screen, 50),
      event_to_screen_ms_p99: pct(screen, 99),
      screen_over_eventsource_ms_p50: pct(
        screen.map((s, i) => s - (bare[i] as number)),
        50,
      ),
      events: EVENTS,
      ...census,
    };
  } finally {
    await browser?.close().catch(() => {});
    if (server) {
      server.child.kill('SIGTERM');
      await new Promise((r) => server?.child.once('exit', r));
    }
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}
