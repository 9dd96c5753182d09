/**
 * The field app (/field) on a phone in chromium: a 390×844 touch screen with its GPS set to
 * a place in the demo inspector's beat, against the real server. The inspector logs in once,
 * reports with a photo (compressed in the page) and the GPS place; files two reports with no
 * network, sees them waiting and, once back online, exactly two cases appear; does a 核实 and
 * a 核查 task on site; a handler's phone signs for a case and feeds back with a photo. The
 * app shell is then opened with no network through the service worker.
 * Prints the bytes per photo, submit → acceptor's queue and the app's load size (gzipped).
 * Needs Debian's chromium at /usr/bin/chromium (skipped otherwise).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeAll, HAS_CHROMIUM, launchBrowser, SHOTS } from './browser.ts';
import { ensureWebBuild, ROOT, startServer, type TestServer } from './server.ts';

interface Place {
  lng: number;
  lat: number;
  grid: { id: number } | null;
}
interface CaseRow {
  id: number;
  number: string;
  state: string;
  description: string;
  version: number;
}

/** One account's API session (cookie), for setting up and checking what the phones did. */
class Account {
  cookie = '';
  constructor(
    private readonly base: () => string,
    readonly username: string,
  ) {}
  async login(): Promise<void> {
    const res = await fetch(`${this.base()}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: this.username, password: 'demo1234' }),
    });
    if (!res.ok) throw new Error(`login ${this.username}: ${res.status}`);
    this.cookie = (res.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
  }
  async ok<T>(method: string, url: string, body?: unknown): Promise<T> {
    const res = await fetch(`${this.base()}${url}`, {
      method,
      headers: { cookie: this.cookie, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const json = (await res.json().catch(() => null)) as T;
    if (res.status >= 300) throw new Error(`${this.username} ${method} ${url}: ${res.status} ${JSON.stringify(json)}`);
    return json;
  }
  async act(id: number, action: string, body: Record<string, unknown> = {}): Promise<void> {
    const c = await this.ok<CaseRow>('GET', `/api/cases/${id}`);
    await this.ok('POST', `/api/cases/${id}/actions/${action}`, { version: c.version, ...body });
  }
}

const PHONE = { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2, locale: 'zh-CN' };

describe.skipIf(!HAS_CHROMIUM)('field app: an inspector and a handler on their phones', () => {
  let server: TestServer | undefined;
  let browser: Browser | undefined;
  const contexts: BrowserContext[] = [];
  const users: Record<string, Account> = {};
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cityloop-e2e-field-'));
  const photoPath = path.join(dir, 'site.jpg');
  let spot: { lng: number; lat: number } = { lng: 0, lat: 0 };
  let eventClass = '';
  let handlerDept = 0;
  const run = Date.now().toString(36);
  const figures: Record<string, unknown> = {};

  const u = (name: string) => users[name] as Account;

  beforeAll(async () => {
    ensureWebBuild();
    // A phone-camera-sized photo: 4000×3000 with some texture, saved at high quality.
    const w = 4000;
    const h = 3000;
    const raw = Buffer.alloc(w * h * 3);
    let seed = 7;
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const i = (y * w + x) * 3;
        raw[i] = (x * 255) / w;
        raw[i + 1] = (y * 255) / h;
        raw[i + 2] = ((x ^ y) & 0xff) / 2 + 60;
        // sensor noise, as a camera gives
        seed = (seed * 1103515245 + 12345) & 0x7fffffff;
        raw[i] = Math.min(255, (raw[i] as number) + (seed % 24));
      }
    }
    await sharp(raw, { raw: { width: w, height: h, channels: 3 } })
      .jpeg({ quality: 95 })
      .toFile(photoPath);
    server = await startServer();
    browser = await launchBrowser();
    for (const name of ['inspector', 'acceptor', 'shiftlead', 'dispatcher', 'handler']) {
      users[name] = new Account(() => server?.url ?? '', name);
      await users[name].login();
    }
    // A place in the demo inspector's beat (their tasks are there).
    const me = await u('inspector').ok<{ personId: number }>('GET', '/api/auth/me');
    const beats = await u('dispatcher').ok<Array<{ id: number; inspectorId: number }>>('GET', '/api/beats');
    const beat = beats.find((b) => b.inspectorId === me.personId);
    const grids = (await u('dispatcher').ok<{ gridIds: number[] }>('GET', `/api/beats/${beat?.id}`)).gridIds;
    for (const q of ['路', '街', '号', '巷', '小区']) {
      const hits = await u('dispatcher').ok<Place[]>('GET', `/api/geocode?q=${encodeURIComponent(q)}&limit=50`);
      const hit = hits.find((p) => p.grid && grids.includes(p.grid.id));
      if (hit) {
        spot = { lng: hit.lng, lat: hit.lat };
        break;
      }
    }
    expect(spot.lng).not.toBe(0);
    const tree = await u('dispatcher').ok<Array<{ kind: string; children?: Array<{ code: string; level: string; children?: unknown[] }> }>>(
      'GET',
      '/api/taxonomy/tree?edition=CJT214-2007',
    );
    eventClass = tree.filter((n) => n.kind === 'event').flatMap((n) => n.children ?? [])[0]?.code ?? '';
    expect(eventClass).not.toBe('');
    handlerDept = (await u('handler').ok<{ departmentId: number }>('GET', '/api/auth/me')).departmentId;
  }, 300_000);

  afterAll(async () => {
    await closeAll(contexts, browser, server);
    fs.rmSync(dir, { recursive: true, force: true });
    if (Object.keys(figures).length) console.log(JSON.stringify({ bench: 'field', ...figures }));
  }, 60_000);

  async function phone(username: string): Promise<{ context: BrowserContext; page: Page; errors: string[] }> {
    if (!browser || !server) throw new Error('not started');
    const context = await browser.newContext({
      ...PHONE,
      geolocation: { longitude: spot.lng, latitude: spot.lat, accuracy: 8 },
      permissions: ['geolocation'],
    });
    contexts.push(context);
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (err) => errors.push(`${err.message} ${err.stack?.split('\n').slice(1, 3).join(' ') ?? ''}`));
    await page.goto(`${server.url}/field`);
    await page.getByTestId('field-login').waitFor({ timeout: 30_000 });
    await page.locator('#field-username').fill(username);
    await page.locator('#field-password').fill('demo1234');
    await page.getByTestId('field-login-submit').click();
    await page.getByTestId('field-home').waitFor({ timeout: 30_000 });
    return { context, page, errors };
  }

  async function shot(page: Page, name: string): Promise<void> {
    await page.waitForTimeout(500);
    await page.screenshot({ path: path.join(SHOTS, `field-${name}.png`) });
  }

  /** Fills the report form: a photo, the class (searched, or recent), a description. */
  async function fillReport(page: Page, description: string, photo = photoPath): Promise<void> {
    await page.getByTestId('field-report').waitFor();
    await page.locator('[data-testid="report-place"][data-located="1"]').waitFor({ timeout: 20_000 });
    await page.getByTestId('report-photos-input').setInputFiles(photo);
    await page.locator('[data-testid="report-photos"][data-count="1"]').waitFor({ timeout: 20_000 });
    await page.getByTestId('report-class').click();
    await page.getByTestId('class-picker').waitFor();
    const recent = page.getByTestId(`class-recent-event-${eventClass}`);
    if (await recent.isVisible()) await recent.click();
    else {
      await page.locator('[data-testid="class-search"] input').fill(eventClass);
      await page.getByTestId(`class-event-${eventClass}`).click();
    }
    await page.getByTestId('class-picker').waitFor({ state: 'detached' });
    await page.locator('[data-testid="report-description"] textarea').fill(description);
  }

  async function countCases(q: string): Promise<number> {
    const page = await u('acceptor').ok<{ total: number }>('GET', `/api/cases?queue=all&q=${encodeURIComponent(q)}&limit=50`);
    return page.total;
  }

  async function waitFor<T>(what: string, probe: () => Promise<T | null | undefined | false>, timeoutMs = 30_000): Promise<T> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const v = await probe();
      if (v) return v;
      if (Date.now() > until) throw new Error(`timed out: ${what}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  it('the inspector reports online and offline, and does a 核实 and a 核查 on site; a handler signs and feeds back', async () => {
    const { context, page, errors } = await phone('inspector');
    // The worker that keeps the shell is there (scope /field).
    const scope = await page.evaluate<string>('navigator.serviceWorker.ready.then((r) => r.scope)');
    expect(scope).toMatch(/\/field$/);
    await page.locator('[data-testid="home-task-count"][data-count]').first().waitFor();
    await shot(page, 'home');

    // 上报 with a photo and the GPS place.
    // What the server stored of each uploaded photo (its answer gives the size).
    const uploads: number[] = [];
    page.on('response', (r) => {
      if (r.url().endsWith('/api/media') && r.request().method() === 'POST') {
        void r
          .json()
          .then((items: Array<{ size: number }>) => uploads.push(...items.map((m) => m.size)))
          .catch(() => {});
      }
    });
    await page.getByTestId('home-report').click();
    const desc1 = `现场巡查发现 ${run} 在线`;
    await fillReport(page, desc1);
    await page.locator('[data-testid="report-place"][data-address="1"]').waitFor({ timeout: 20_000 });
    await page.locator('[data-testid="field-map"][data-ready="1"]').waitFor({ timeout: 30_000 });
    const photos = page.getByTestId('report-photos');
    const original = Number(await photos.getAttribute('data-original'));
    const compressed = Number(await photos.getAttribute('data-compressed'));
    expect(original).toBe(fs.statSync(photoPath).size);
    expect(compressed).toBeLessThan(original / 2);
    await page.locator('.field-body').evaluate((el) => el.scrollTo(0, 0));
    await shot(page, 'report');
    const t0 = Date.now();
    await page.getByTestId('report-submit').click();
    const created = await waitFor('the report in the acceptor queue', async () => {
      const todo = await u('acceptor').ok<{ items: CaseRow[] }>('GET', '/api/cases?queue=todo&limit=200');
      return todo.items.find((c) => c.description === desc1);
    });
    const toQueueMs = Date.now() - t0;
    await page.getByTestId('field-home').waitFor();
    expect(created.state).toBe('reported');
    const detail = await u('acceptor').ok<{ lng: number; lat: number; photos?: unknown[]; source: string }>(
      'GET',
      `/api/cases/${created.id}`,
    );
    expect(detail.source).toBe('inspector');
    expect(Math.abs(detail.lng - spot.lng)).toBeLessThan(1e-5);
    expect(Math.abs(detail.lat - spot.lat)).toBeLessThan(1e-5);
    expect(uploads.length).toBe(1);
    figures.photoOriginalBytes = original;
    figures.photoCompressedBytes = compressed;
    figures.photoUploadedBytes = uploads[0];
    expect(uploads[0]).toBe(compressed);
    figures.submitToAcceptorQueueMs = toQueueMs;

    // No network: two reports wait on the phone (IndexedDB) as 待发送.
    await context.setOffline(true);
    await page.locator('[data-testid="field-app"][data-online="0"]').waitFor();
    for (const k of [1, 2]) {
      await page.getByTestId('tab-report').click();
      await fillReport(page, `离线上报 ${run} 第${k}件`);
      await page.getByTestId('report-submit').click();
      await page.locator(`[data-testid="field-outbox"][data-count="${k}"]`).waitFor({ timeout: 15_000 });
    }
    await shot(page, 'outbox-offline');
    expect(await countCases(`离线上报 ${run}`)).toBe(0);

    // Back online: sent by themselves, exactly once each.
    await context.setOffline(false);
    await page.locator('[data-testid="field-outbox"][data-count="0"]').waitFor({ timeout: 30_000 });
    expect(await countCases(`离线上报 ${run}`)).toBe(2);
    await page.waitForTimeout(3000);
    // A second online event: the outbox is empty, nothing is sent again.
    await page.evaluate("window.dispatchEvent(new Event('online'))");
    await page.waitForTimeout(1500);
    expect(await countCases(`离线上报 ${run}`)).toBe(2);

    // 自处理: fixed on the spot, with a before and an after photo.
    await page.getByTestId('tab-home').click();
    await page.getByTestId('home-self').click();
    await page.getByTestId('report-after-input').setInputFiles(photoPath);
    await page.locator('[data-testid="report-after"][data-count="1"]').waitFor({ timeout: 20_000 });
    const descSelf = `自处理 ${run} 已清理`;
    await fillReport(page, descSelf);
    await page.getByTestId('report-submit').click();
    await page.getByTestId('field-home').waitFor({ timeout: 20_000 });
    const self = await u('acceptor').ok<{ items: Array<CaseRow & { selfHandled: boolean }> }>(
      'GET',
      `/api/cases?queue=all&q=${encodeURIComponent(descSelf)}`,
    );
    expect(self.items.map((x) => [x.state, x.selfHandled])).toEqual([['self_review', true]]);

    // 上班: the phone sends its position; the centre sees the inspector where the GPS says.
    await page.getByTestId('duty-switch').click();
    await page.locator('[data-testid="duty-state"][data-sent="1"]').waitFor({ timeout: 20_000 });
    const last = await u('dispatcher').ok<{ items: Array<{ username: string; lng: number; lat: number }> }>('GET', '/api/patrol/last');
    const mine = last.items.find((p) => p.username === 'inspector');
    expect(mine && Math.abs(mine.lng - spot.lng) < 1e-5 && Math.abs(mine.lat - spot.lat) < 1e-5).toBe(true);
    await page.locator('.adm-toast-mask').waitFor({ state: 'detached', timeout: 10_000 });
    await shot(page, 'home-duty');
    await page.getByTestId('duty-switch').click();

    // A 核实 task sent by the acceptor arrives live and is done on site.
    const v = await u('acceptor').ok<CaseRow>('POST', '/api/cases', {
      kind: 'event',
      classCode: eventClass,
      description: `市民反映 ${run} 待核实`,
      location: spot,
    });
    await u('acceptor').act(v.id, 'send_verify');
    await page.getByTestId('tab-tasks').click();
    await page.getByTestId(`task-${v.id}`).waitFor({ timeout: 20_000 });
    await shot(page, 'tasks');
    await page.getByTestId(`task-${v.id}`).click();
    await page.getByTestId('do-verify').click();
    await page.getByTestId('task-photos-input').setInputFiles(photoPath);
    await page.locator('[data-testid="task-photos"][data-count="1"]').waitFor({ timeout: 20_000 });
    await page.locator('[data-testid="task-remark"] textarea').fill('现场核实属实');
    await shot(page, 'verify');
    await page.getByTestId('task-submit').click();
    await page.getByTestId(`task-${v.id}`).waitFor({ state: 'detached', timeout: 20_000 });
    expect((await u('acceptor').ok<CaseRow>('GET', `/api/cases/${v.id}`)).state).toBe('accepted');

    // A case for the handler's department: their phone signs for it and feeds back with a photo.
    const c = await u('acceptor').ok<CaseRow>('POST', '/api/cases', {
      kind: 'event',
      classCode: eventClass,
      description: `市民反映 ${run} 待处置`,
      location: spot,
    });
    await u('acceptor').act(c.id, 'accept');
    await u('shiftlead').act(c.id, 'register');
    await u('dispatcher').act(c.id, 'dispatch', { departmentId: handlerDept });
    const handler = await phone('handler');
    await handler.page.getByTestId('tab-tasks').click();
    await handler.page.getByTestId(`task-${c.id}`).click();
    await handler.page.locator('[data-testid="case-map"][data-ready="1"]').waitFor({ timeout: 30_000 });
    await shot(handler.page, 'handler-case');
    await handler.page.getByTestId('do-sign').click();
    await waitFor('signed', async () => (await u('handler').ok<CaseRow>('GET', `/api/cases/${c.id}`)).state === 'handling');
    await handler.page.getByTestId(`task-${c.id}`).click();
    await handler.page.getByTestId('do-feedback').click();
    await handler.page.getByTestId('task-photos-input').setInputFiles(photoPath);
    await handler.page.locator('[data-testid="task-photos"][data-count="1"]').waitFor({ timeout: 20_000 });
    await handler.page.locator('[data-testid="task-remark"] textarea').fill('已清理完毕');
    await shot(handler.page, 'handler-feedback');
    await handler.page.getByTestId('task-submit').click();
    await waitFor('fed back', async () => (await u('handler').ok<CaseRow>('GET', `/api/cases/${c.id}`)).state === 'feedback');

    // Another one the department cannot handle: the handler asks for 回退 with a reason.
    const r = await u('acceptor').ok<CaseRow>('POST', '/api/cases', {
      kind: 'event',
      classCode: eventClass,
      description: `市民反映 ${run} 非本部门`,
      location: spot,
    });
    await u('acceptor').act(r.id, 'accept');
    await u('shiftlead').act(r.id, 'register');
    await u('dispatcher').act(r.id, 'dispatch', { departmentId: handlerDept });
    await handler.page.getByTestId(`task-${r.id}`).click();
    await handler.page.getByTestId('do-return').click();
    await handler.page.locator('[data-testid="task-remark"] textarea').fill('不属于本部门职责');
    await handler.page.getByTestId('task-submit').click();
    await waitFor(
      'return requested',
      async () =>
        (await u('handler').ok<CaseRow & { pendingRequest: { type: string } | null }>('GET', `/api/cases/${r.id}`)).pendingRequest?.type ===
        'return',
    );

    // The acceptor sends it to check; the inspector passes it on site.
    await u('acceptor').act(c.id, 'send_check');
    await page.getByTestId(`task-${c.id}`).waitFor({ timeout: 20_000 });
    await page.getByTestId(`task-${c.id}`).click();
    await page.getByTestId('do-check').click();
    await page.getByTestId('task-photos-input').setInputFiles(photoPath);
    await page.locator('[data-testid="task-photos"][data-count="1"]').waitFor({ timeout: 20_000 });
    await page.getByTestId('task-submit').click();
    await page.getByTestId(`task-${c.id}`).waitFor({ state: 'detached', timeout: 20_000 });
    expect((await u('acceptor').ok<CaseRow>('GET', `/api/cases/${c.id}`)).state).toBe('to_close');

    expect(errors).toEqual([]);
    expect(handler.errors).toEqual([]);
  }, 300_000);

  it('opens /field with no network from the kept shell, still logged in', async () => {
    if (!browser || !server) throw new Error('not started');
    const context = contexts[0] as BrowserContext;
    const page = await context.newPage();
    // Load size of the app: the build files /field loads, gzipped.
    const loaded = new Set<string>();
    page.on('response', (r) => {
      const p = new URL(r.url()).pathname;
      if (p.startsWith('/assets/') && /\.(js|css)$/.test(p)) loaded.add(p);
    });
    await page.goto(`${server.url}/field`);
    await page.getByTestId('field-home').waitFor({ timeout: 30_000 });
    let gz = 0;
    let rawBytes = 0;
    for (const p of loaded) {
      const buf = fs.readFileSync(path.join(ROOT, 'apps', 'web', 'dist', p));
      rawBytes += buf.length;
      gz += zlib.gzipSync(buf, { level: 9 }).length;
    }
    figures.loadJsCssBytes = rawBytes;
    figures.loadJsCssGzipBytes = gz;
    figures.loadFiles = loaded.size;

    await context.setOffline(true);
    await page.reload();
    await page.getByTestId('field-home').waitFor({ timeout: 30_000 });
    expect(await page.locator('[data-testid="field-app"]').getAttribute('data-online')).toBe('0');
    // The tasks last seen are shown with their count.
    expect(await page.getByTestId('home-task-count').getAttribute('data-count')).toMatch(/^\d+$/);
    await shot(page, 'offline-start');
    // Back online the server is asked again: still the same person, no login screen.
    await context.setOffline(false);
    await page.locator('[data-testid="field-app"][data-online="1"]').waitFor();
    await page.waitForTimeout(1000);
    await page.getByTestId('field-home').waitFor();
    await page.reload();
    await page.getByTestId('field-home').waitFor({ timeout: 30_000 });
    // The console's other pages are not the worker's.
    const consoleControlled = await page.evaluate<string | null>(
      "navigator.serviceWorker.getRegistration('/workbench').then((r) => (r ? r.scope : null))",
    );
    expect(consoleControlled).toBeNull();
    await page.close();
  }, 120_000);
});
