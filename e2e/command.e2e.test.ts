/**
 * The command screen (监督指挥) on a 1920×1080 wall in Debian chromium against the real server:
 * a leader opens /command over a city with a morning's reports; reports filed through the API
 * reach the counter and the ticker without a reload (the time from the API's answer to the
 * change on screen is measured and printed); the server is restarted on the same data and the
 * screen reconnects by itself and goes on updating. Screenshots: artifacts/screenshots/command-*.png.
 */
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HAS_CHROMIUM, launchBrowser, SHOTS } from './browser.ts';
import { ensureWebBuild, startServer, type TestServer } from './server.ts';

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

interface Place {
  lng: number;
  lat: number;
  grid: { id: number } | null;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

/** A logged-in API caller (cookie kept by hand) for the demo accounts. */
class Caller {
  cookie = '';
  constructor(
    readonly base: () => string,
    readonly username: string,
  ) {}
  async login(): Promise<Record<string, unknown>> {
    const res = await fetch(`${this.base()}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: this.username, password: 'demo1234' }),
    });
    if (!res.ok) throw new Error(`login ${this.username}: ${res.status}`);
    this.cookie = (res.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
    return (await res.json()) as Record<string, unknown>;
  }
  async call<T>(method: string, url: string, body?: unknown): Promise<{ status: number; json: T }> {
    const res = await fetch(`${this.base()}${url}`, {
      method,
      headers: { cookie: this.cookie, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, json: (await res.json().catch(() => null)) as T };
  }
  async ok<T = Record<string, unknown>>(method: string, url: string, body?: unknown): Promise<T> {
    const r = await this.call<T>(method, url, body);
    if (r.status >= 300) throw new Error(`${this.username} ${method} ${url}: ${r.status} ${JSON.stringify(r.json)}`);
    return r.json;
  }
  async photo(jpeg: Buffer): Promise<string> {
    const fd = new FormData();
    fd.append('file', new Blob([new Uint8Array(jpeg)], { type: 'image/jpeg' }), 'site.jpg');
    const res = await fetch(`${this.base()}/api/media`, { method: 'POST', headers: { cookie: this.cookie }, body: fd });
    if (!res.ok) throw new Error(`upload: ${res.status} ${await res.text()}`);
    return ((await res.json()) as Array<{ id: string }>)[0]?.id as string;
  }
}

describe.skipIf(!HAS_CHROMIUM)('command screen: live on the wall, through a server restart', () => {
  let server: TestServer | undefined;
  let browser: Browser | undefined;
  let context: BrowserContext | undefined;
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cityloop-e2e-command-'));
  let env: Record<string, string> = {};
  let base = '';
  const users: Record<string, Caller> = {};
  let jpeg: Buffer;

  beforeAll(async () => {
    ensureWebBuild();
    env = { CITYLOOP_DATA_DIR: dataDir, PORT: String(await freePort()) };
    server = await startServer({ env });
    base = server.url;
    browser = await launchBrowser();
    jpeg = await sharp({
      create: { width: 320, height: 240, channels: 3, background: '#707070', noise: { type: 'gaussian', mean: 128, sigma: 40 } },
    })
      .jpeg()
      .toBuffer();
    for (const u of ['acceptor', 'shiftlead', 'dispatcher', 'handler', 'inspector', 'leader']) {
      users[u] = new Caller(() => base, u);
      await users[u].login();
    }
  }, 300_000);

  afterAll(async () => {
    await context?.close().catch(() => {});
    await browser?.close();
    await server?.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }, 60_000);

  const u = (name: string) => users[name] as Caller;

  /** Places across the city from the gazetteer, and those in the demo inspector's beat. */
  async function places(): Promise<{ all: Place[]; beat: Place[] }> {
    const me = await u('inspector').ok<{ personId: number }>('GET', '/api/auth/me');
    const beats = await u('dispatcher').ok<Array<{ id: number; inspectorId: number }>>('GET', '/api/beats');
    const beat = beats.find((b) => b.inspectorId === me.personId);
    const grids = (await u('dispatcher').ok<{ gridIds: number[] }>('GET', `/api/beats/${beat?.id}`)).gridIds;
    const all: Place[] = [];
    for (const q of ['路', '街', '号', '巷', '小区', '大道']) {
      all.push(...(await u('dispatcher').ok<Place[]>('GET', `/api/geocode?q=${encodeURIComponent(q)}&limit=50`)));
    }
    const located = all.filter((p) => p.grid);
    return { all: located, beat: located.filter((p) => p.grid && grids.includes(p.grid.id)) };
  }

  async function eventClasses(): Promise<string[]> {
    const tree = await u('dispatcher').ok<Array<{ kind: string; code: string; children?: Array<{ code: string; level: string }> }>>(
      'GET',
      '/api/taxonomy/tree?edition=CJT214-2007',
    );
    return tree
      .filter((n) => n.kind === 'event')
      .flatMap((n) => (n.children ?? []).filter((c) => c.level === 'minor').map((c) => c.code))
      .slice(0, 14);
  }

  /** Reports, some moved on, some closed: a morning in the city. */
  async function seed(): Promise<{ classes: string[]; spots: Place[] }> {
    const { all, beat } = await places();
    expect(all.length).toBeGreaterThan(20);
    expect(beat.length).toBeGreaterThan(0);
    const classes = await eventClasses();
    expect(classes.length).toBeGreaterThan(5);
    const handlerDept = (await u('handler').ok<{ departmentId: number }>('GET', '/api/auth/me')).departmentId;
    const sources = ['hotline', 'public', 'media', 'leader'];
    const made: number[] = [];
    for (let i = 0; i < 36; i++) {
      const p = all[(i * 7) % all.length] as Place;
      const byInspector = i % 3 !== 0;
      const c = await u(byInspector ? 'inspector' : 'acceptor').ok<{ id: number }>('POST', '/api/cases', {
        ...(byInspector ? {} : { source: sources[i % sources.length] }),
        kind: 'event',
        // A skewed mix, so the top-10 bar has a shape.
        classCode: classes[Math.floor(Math.sqrt(i * 5)) % classes.length],
        urgent: i % 11 === 4,
        description: `巡查发现问题 #${i}`,
        location: { lng: p.lng, lat: p.lat },
      });
      if (byInspector) made.push(c.id);
    }
    // Half of the inspectors' reports move on to disposal.
    for (const id of made.slice(0, 12)) {
      await act('acceptor', id, 'accept');
      await act('shiftlead', id, 'register');
      if (id % 4 !== 0) await act('dispatcher', id, 'dispatch', { departmentId: handlerDept });
    }
    // Three in the inspector's beat run to 结案.
    for (let i = 0; i < 3; i++) {
      const p = beat[i % beat.length] as Place;
      const c = await u('inspector').ok<{ id: number }>('POST', '/api/cases', {
        kind: 'event',
        classCode: classes[0],
        description: `巡查发现问题（已结案）#${i}`,
        location: { lng: p.lng, lat: p.lat },
      });
      await act('acceptor', c.id, 'accept');
      await act('shiftlead', c.id, 'register');
      await act('dispatcher', c.id, 'dispatch', { departmentId: handlerDept });
      await act('handler', c.id, 'sign');
      await act('handler', c.id, 'feedback', { note: '已处理完毕', photos: [await u('handler').photo(jpeg)] });
      await act('acceptor', c.id, 'send_check');
      await act('inspector', c.id, 'check_pass', { photos: [await u('inspector').photo(jpeg)] });
      await act('shiftlead', c.id, 'close', { archiveType: 'normal' });
    }
    // The inspector's phone has sent a short track: a last position for the map.
    const now = Date.now();
    const track = await u('inspector').ok<{ stored: number }>('POST', '/api/patrol/positions', {
      fixes: [0, 1, 2].map((k) => ({
        at: new Date(now - (3 - k) * 60_000).toISOString(),
        lng: (beat[0] as Place).lng + k * 0.0003,
        lat: (beat[0] as Place).lat,
        accuracy: 8,
      })),
    });
    expect(track.stored).toBe(3);
    return { classes, spots: all };
  }

  async function act(who: string, id: number, action: string, body: Record<string, unknown> = {}) {
    const cur = await u('leader').ok<{ version: number }>('GET', `/api/cases/${id}`);
    await u(who).ok('POST', `/api/cases/${id}/actions/${action}`, { version: cur.version, ...body });
  }

  async function shot(page: Page, name: string) {
    await page.waitForTimeout(600);
    await page.screenshot({ path: path.join(SHOTS, name) });
  }

  /** Watches the counter and the ticker: the wall-clock time of each change is kept in the page. */
  async function watch(page: Page) {
    await page.evaluate(() => {
      const w = globalThis as unknown as PageGlobals & { __changes: Array<{ name: string; at: number; v: string | null }> };
      w.__changes = [];
      const observe = (selector: string, attr: string, name: string) => {
        const el = (globalThis as unknown as PageGlobals).document.querySelector(selector);
        if (!el) throw new Error(`missing ${selector}`);
        new (globalThis as unknown as PageGlobals).MutationObserver(() =>
          w.__changes.push({ name, at: Date.now(), v: el.getAttribute(attr) }),
        ).observe(el, {
          attributes: true,
          attributeFilter: [attr],
        });
      };
      observe('[data-testid="counter-reportedToday"]', 'data-value', 'counter');
      observe('[data-testid="command-ticker"]', 'data-first-case', 'ticker');
    });
  }

  /** Files a report through the API and waits for the screen to show it: ms from the API's answer to counter and ticker. */
  async function reportAndSee(page: Page, spot: Place, classCode: string, n: number): Promise<{ counter: number; ticker: number }> {
    const before = Number(await page.getByTestId('counter-reportedToday').getAttribute('data-value'));
    await page.evaluate(() => {
      (globalThis as unknown as PageGlobals & { __changes: unknown[] }).__changes = [];
    });
    const created = await u('inspector').ok<{ id: number }>('POST', '/api/cases', {
      kind: 'event',
      classCode,
      description: `现场上报 #${n}`,
      location: { lng: spot.lng, lat: spot.lat },
    });
    const answeredAt = Date.now();
    const seen = await page.waitForFunction(
      ({ count, id }) => {
        const changes = (globalThis as unknown as PageGlobals & { __changes: Array<{ name: string; at: number; v: string | null }> })
          .__changes;
        const c = changes.find((x) => x.name === 'counter' && x.v === String(count));
        const t = changes.find((x) => x.name === 'ticker' && x.v === String(id));
        return c && t ? { counter: c.at, ticker: t.at } : null;
      },
      { count: before + 1, id: created.id },
      { timeout: 15_000, polling: 'raf' },
    );
    const at = (await seen.jsonValue()) as { counter: number; ticker: number };
    return { counter: at.counter - answeredAt, ticker: at.ticker - answeredAt };
  }

  it('shows the city live at 1920×1080, updates without reload and survives a server restart', async () => {
    if (!browser || !server) throw new Error('not started');
    const { classes, spots } = await seed();

    context = await browser.newContext({ viewport: { width: 1920, height: 1080 }, locale: 'zh-CN' });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (err) => errors.push(err.message));
    await page.goto(`${base}/command`);
    await page.waitForURL(/\/login/);
    await page.locator('#login-username').fill('leader');
    await page.locator('#login-password').fill('demo1234');
    await page.getByTestId('login-submit').click();
    await page.waitForURL((url) => url.pathname === '/command', { timeout: 30_000 });
    await page.getByTestId('command-screen').waitFor();
    await page.locator('[data-testid="command-map"][data-ready="1"]').waitFor({ timeout: 60_000 });
    await page.locator('[data-testid="command-live"][data-live="1"]').waitFor({ timeout: 15_000 });
    await expect.poll(() => page.getByTestId('counter-reportedToday').getAttribute('data-value')).toBe('39');
    expect(Number(await page.getByTestId('counter-closedToday').getAttribute('data-value'))).toBe(3);
    expect(Number(await page.getByTestId('counter-open').getAttribute('data-value'))).toBe(36);
    await expect.poll(() => page.getByTestId('command-map').getAttribute('data-cases')).toBe('36');
    await expect.poll(() => page.getByTestId('command-map').getAttribute('data-patrol')).toBe('1');
    // No console chrome on the wall: no side menu, no header of the console.
    expect(await page.locator('.cl-sider').count()).toBe(0);
    // Every panel fits the screen: nothing scrolls.
    const overflow = await page.evaluate(() => {
      const el = (globalThis as unknown as { document: { documentElement: { scrollWidth: number; scrollHeight: number } } }).document
        .documentElement;
      return { w: el.scrollWidth, h: el.scrollHeight };
    });
    expect(overflow).toEqual({ w: 1920, h: 1080 });
    await page.evaluate(() => {
      (globalThis as unknown as PageGlobals & { __noReload: boolean }).__noReload = true;
    });
    await shot(page, 'command-overview.png');

    // Live: reports through the API reach the counter and the ticker without a reload.
    await watch(page);
    const counterMs: number[] = [];
    const tickerMs: number[] = [];
    for (let i = 0; i < 5; i++) {
      const m = await reportAndSee(page, spots[(i * 13) % spots.length] as Place, classes[i % classes.length] as string, i);
      counterMs.push(m.counter);
      tickerMs.push(m.ticker);
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
    console.log(
      `command screen: API answer → counter ${counterMs.join(', ')} ms (median ${median(counterMs)}), → ticker ${tickerMs.join(', ')} ms (median ${median(tickerMs)})`,
    );
    expect(median(counterMs)).toBeLessThan(1000);
    expect(median(tickerMs)).toBeLessThan(1000);
    expect(await page.evaluate(() => (globalThis as unknown as PageGlobals & { __noReload?: boolean }).__noReload)).toBe(true);
    await shot(page, 'command-live.png');

    // Restart the server on the same data: the screen says it lost the stream, then comes back by itself.
    await server.stop();
    await page.locator('[data-testid="command-live"][data-live="0"]').waitFor({ timeout: 20_000 });
    await shot(page, 'command-reconnecting.png');
    const downAt = Date.now();
    server = await startServer({ env });
    base = server.url;
    const upAt = Date.now();
    await page.locator('[data-testid="command-live"][data-live="1"]').waitFor({ timeout: 60_000 });
    console.log(`command screen: server back after ${upAt - downAt} ms, screen live again ${Date.now() - upAt} ms later`);
    expect(await page.evaluate(() => (globalThis as unknown as PageGlobals & { __noReload?: boolean }).__noReload)).toBe(true);
    const after = await reportAndSee(page, spots[3] as Place, classes[2] as string, 99);
    console.log(`command screen after the restart: API answer → counter ${after.counter} ms, → ticker ${after.ticker} ms`);
    expect(after.counter).toBeLessThan(1000);
    await shot(page, 'command-after-restart.png');

    // English.
    await page.getByTestId('command-lang').getByText('EN').click();
    await expect.poll(() => page.getByTestId('command-counters').textContent()).toContain('Reported today');
    const text = (await page.getByTestId('command-screen').textContent()) ?? '';
    expect(text).not.toMatch(/command\.[a-zA-Z]/);
    await shot(page, 'command-en.png');
    expect(errors).toEqual([]);
  }, 600_000);
});
