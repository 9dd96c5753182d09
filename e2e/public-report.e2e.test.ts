/**
 * The citizens' /report pages on a phone in chromium: a 390×844 touch screen with its GPS set to
 * a place in the demo city, against the real server, with no login. A citizen reports with a
 * photo (compressed in the page) and the GPS place, gets the case number and the follow link;
 * the centre and a department close the case through the API; the citizen sees the result and
 * the after-photo and rates it. A second report, placed by address search, is closed too and
 * the citizen says 问题没有解决: the case is back in the acceptor's 待办 as reopened.
 * Prints the JS+CSS /report loads (raw and gzipped) and checks none of it is the console's.
 * Needs Debian's chromium at /usr/bin/chromium (skipped otherwise).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import exifr from 'exifr';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HAS_CHROMIUM, launchBrowser, SHOTS } from './browser.ts';
import { ensureWebBuild, ROOT, startServer, type TestServer } from './server.ts';

interface CaseRow {
  id: number;
  number: string;
  state: string;
  version: number;
}

/** One staff account's API session (cookie), for closing the cases and checking the queues. */
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
  /** Uploads a photo and returns its media id. */
  async photo(buf: Buffer): Promise<string> {
    const form = new FormData();
    form.append('file', new Blob([new Uint8Array(buf)], { type: 'image/jpeg' }), 'after.jpg');
    const res = await fetch(`${this.base()}/api/media`, { method: 'POST', headers: { cookie: this.cookie }, body: form });
    if (res.status !== 201) throw new Error(`${this.username} upload: ${res.status} ${await res.text()}`);
    return ((await res.json()) as Array<{ id: string }>)[0]?.id as string;
  }
}

const PHONE = { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2, locale: 'zh-CN' };

describe.skipIf(!HAS_CHROMIUM)('public reporting: a citizen reports, follows, rates and says not fixed', () => {
  let server: TestServer | undefined;
  let browser: Browser | undefined;
  let context: BrowserContext | undefined;
  const users: Record<string, Account> = {};
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cityloop-e2e-public-'));
  const photoPath = path.join(dir, 'street.jpg');
  let spot = { lng: 0, lat: 0 };
  let address = '';
  let handlerDept = 0;
  const run = Date.now().toString(36);
  const figures: Record<string, unknown> = {};
  const u = (name: string) => users[name] as Account;

  beforeAll(async () => {
    ensureWebBuild();
    // A phone photo: 3000×2000 with texture, at high quality.
    const w = 3000;
    const h = 2000;
    const raw = Buffer.alloc(w * h * 3);
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const i = (y * w + x) * 3;
        raw[i] = 90 + ((x * 120) / w + ((x * y) % 17));
        raw[i + 1] = 110 + (y * 100) / h;
        raw[i + 2] = 70 + ((x ^ y) & 0x3f);
      }
    }
    server = await startServer();
    browser = await launchBrowser();
    for (const name of ['inspector', 'acceptor', 'shiftlead', 'dispatcher', 'handler']) {
      users[name] = new Account(() => server?.url ?? '', name);
      await users[name].login();
    }
    // A door plate in the demo inspector's beat (the 核查 is theirs), to stand at and to search for.
    const me = await u('inspector').ok<{ personId: number }>('GET', '/api/auth/me');
    const beats = await u('dispatcher').ok<Array<{ id: number; inspectorId: number }>>('GET', '/api/beats');
    const beat = beats.find((b) => b.inspectorId === me.personId);
    const grids = (await u('dispatcher').ok<{ gridIds: number[] }>('GET', `/api/beats/${beat?.id}`)).gridIds;
    for (const q of ['号', '路', '街', '巷']) {
      const hits = await u('dispatcher').ok<
        Array<{ lng: number; lat: number; fullAddress: string; kind: string; grid: { id: number } | null }>
      >('GET', `/api/geocode?q=${encodeURIComponent(q)}&limit=50`);
      const hit =
        hits.find((p) => p.grid && grids.includes(p.grid.id) && p.kind === 'doorplate') ??
        hits.find((p) => p.grid && grids.includes(p.grid.id));
      if (hit) {
        spot = { lng: hit.lng, lat: hit.lat };
        address = hit.fullAddress;
        break;
      }
    }
    expect(spot.lng).not.toBe(0);
    handlerDept = (await u('handler').ok<{ departmentId: number }>('GET', '/api/auth/me')).departmentId;
    // Taken on a phone held upright (EXIF orientation 6: the pixels lie on their side), with the
    // time and the GPS of the place: the page turns it upright and keeps the time and GPS.
    const dms = (v: number) => {
      const d = Math.floor(v);
      const m = Math.floor((v - d) * 60);
      return `${d}/1 ${m}/1 ${Math.round(((v - d) * 60 - m) * 60 * 10000)}/10000`;
    };
    await sharp(raw, { raw: { width: w, height: h, channels: 3 } })
      .jpeg({ quality: 92 })
      .withMetadata({ orientation: 6 })
      .withExif({
        IFD0: { Make: 'PhoneCam', Model: 'P1' },
        IFD2: { DateTimeOriginal: '2026:11:30 08:30:00', OffsetTimeOriginal: '+08:00' },
        IFD3: { GPSLatitudeRef: 'N', GPSLatitude: dms(spot.lat), GPSLongitudeRef: 'E', GPSLongitude: dms(spot.lng) },
      })
      .toFile(photoPath);
    context = await browser.newContext({
      ...PHONE,
      geolocation: { longitude: spot.lng, latitude: spot.lat, accuracy: 10 },
      permissions: ['geolocation'],
    });
  }, 300_000);

  afterAll(async () => {
    await context?.close().catch(() => {});
    await browser?.close();
    await server?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
    if (Object.keys(figures).length) console.log(JSON.stringify({ bench: 'public-report', ...figures }));
  }, 60_000);

  async function shot(page: Page, name: string, fullPage = false): Promise<void> {
    await page.waitForTimeout(400);
    await page.screenshot({ path: path.join(SHOTS, `public-${name}.png`), fullPage });
  }

  /** The centre and the department close a case through the API, with an after-photo. */
  async function closeByStaff(number: string): Promise<number> {
    const found = await u('acceptor').ok<{ items: CaseRow[] }>('GET', `/api/cases?queue=all&q=${number}&limit=5`);
    const id = found.items.find((c) => c.number === number)?.id as number;
    expect(id).toBeTruthy();
    const after = await sharp({ create: { width: 800, height: 600, channels: 3, background: { r: 120, g: 170, b: 120 } } })
      .jpeg()
      .toBuffer();
    await u('acceptor').act(id, 'accept');
    await u('shiftlead').act(id, 'register');
    await u('dispatcher').act(id, 'dispatch', { departmentId: handlerDept });
    await u('handler').act(id, 'sign');
    await u('handler').act(id, 'feedback', { note: '已清理完毕', photos: [await u('handler').photo(after)] });
    await u('acceptor').act(id, 'send_check');
    await u('inspector').act(id, 'check_pass', { photos: [await u('inspector').photo(after)] });
    await u('shiftlead').act(id, 'close', { archiveType: 'normal' });
    return id;
  }

  /** Fills and sends the report form; returns the case number shown and the follow link. */
  async function report(page: Page, description: string, placeBy: 'gps' | 'search', screenshot?: string) {
    await page.getByTestId('pr-report').waitFor({ timeout: 30_000 });
    await page.locator('[data-testid="public-map"][data-ready="1"]').waitFor({ timeout: 30_000 });
    if (placeBy === 'search') {
      const input = page.locator('[data-testid="pr-search"] input');
      await input.fill(address);
      await input.press('Enter');
      await page.locator('[data-testid="pr-hits"] button').first().click();
    }
    // The place described by reverse geocoding (GPS or the chosen address).
    await page.waitForFunction(
      `(() => { const el = document.querySelector('[data-testid="pr-place"]'); return el && !el.querySelector('.pr-muted') && el.textContent.length > 3; })()`,
    );
    await page.getByTestId('pr-photo-input').setInputFiles(photoPath);
    await page.locator('[data-testid="pr-photos"][data-count="1"]').waitFor({ timeout: 20_000 });
    await page.locator('.pr-categories .adm-selector-item', { hasText: '垃圾乱倒' }).click();
    await page.locator('[data-testid="pr-description"] textarea:not([readonly])').fill(description);
    await page.locator('[data-testid="pr-phone"] input').fill('13800138000');
    if (screenshot) {
      await page.evaluate('window.scrollTo(0, 0)');
      await shot(page, `${screenshot}-top`);
      await shot(page, screenshot, true);
    }
    const uploaded: number[] = [];
    const onResponse = (r: import('playwright-core').Response) => {
      if (r.url().endsWith('/api/public/media') && r.request().method() === 'POST') {
        void r
          .json()
          .then((b: { media: Array<{ size: number }> }) => uploaded.push(...b.media.map((m) => m.size)))
          .catch(() => {});
      }
    };
    page.on('response', onResponse);
    await page.getByTestId('pr-submit').click();
    await page.getByTestId('pr-done').waitFor({ timeout: 30_000 });
    page.off('response', onResponse);
    const number = (await page.getByTestId('pr-done-number').textContent())?.trim() as string;
    const link = (await page.getByTestId('pr-done-link').textContent())?.trim() as string;
    expect(number).toMatch(/^\d{13}$/);
    expect(link).toContain(`/report/track/${number}?token=`);
    return { number, link, uploaded };
  }

  it('reports with a photo and the GPS place, follows the link, sees the after-photo once closed and rates it', async () => {
    if (!context || !server) throw new Error('not started');
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (err) => errors.push(err.message));
    const loaded = new Set<string>();
    page.on('response', (r) => {
      const p = new URL(r.url()).pathname;
      if (p.startsWith('/assets/') && /\.(js|css|mjs)$/.test(p)) loaded.add(p);
    });
    await page.goto(`${server.url}/report`);
    await page.getByTestId('pr-report').waitFor({ timeout: 30_000 });
    await page.locator('[data-testid="public-map"][data-ready="1"]').waitFor({ timeout: 30_000 });
    // What /report loads: its own entry and chunks, none of the console's (antd, layout, texts).
    const index = fs.readFileSync(path.join(ROOT, 'apps', 'web', 'dist', 'index.html'), 'utf8');
    const consoleEntry = /src="(\/assets\/main-[^"]+\.js)"/.exec(index)?.[1];
    expect(consoleEntry).toBeTruthy();
    expect([...loaded]).not.toContain(consoleEntry);
    let gz = 0;
    let rawBytes = 0;
    for (const p of loaded) {
      const buf = fs.readFileSync(path.join(ROOT, 'apps', 'web', 'dist', p));
      expect(buf.toString('latin1')).not.toContain('ant-layout');
      rawBytes += buf.length;
      gz += zlib.gzipSync(buf, { level: 9 }).length;
    }
    figures.reportLoadFiles = loaded.size;
    figures.reportLoadJsCssBytes = rawBytes;
    figures.reportLoadJsCssGzipBytes = gz;

    const description = `小区门口垃圾堆了三天 ${run}`;
    const sent = await report(page, description, 'gps', 'report-form');
    figures.photoOriginalBytes = fs.statSync(photoPath).size;
    figures.photoUploadedBytes = sent.uploaded[0];
    expect(sent.uploaded[0]).toBeLessThan(fs.statSync(photoPath).size / 2);
    await shot(page, 'report-done');

    // The case, as the centre sees it: the public channel, the phone kept for staff only.
    const found = await u('acceptor').ok<{ items: Array<CaseRow & { source: string; description: string }> }>(
      'GET',
      `/api/cases?queue=todo&q=${sent.number}&limit=5`,
    );
    expect(found.items[0]).toMatchObject({ number: sent.number, source: 'public', state: 'reported', description });

    // What a follow link loads on its own (no map, no form).
    const trackPage = await context.newPage();
    const trackLoaded = new Set<string>();
    trackPage.on('response', (r) => {
      const p = new URL(r.url()).pathname;
      if (p.startsWith('/assets/') && /\.(js|css|mjs)$/.test(p)) trackLoaded.add(p);
    });
    await trackPage.goto(sent.link);
    await trackPage.locator('[data-testid="pr-track"][data-state="reported"]').waitFor({ timeout: 20_000 });
    const gzOf = (files: Set<string>) =>
      [...files].reduce((s, p) => s + zlib.gzipSync(fs.readFileSync(path.join(ROOT, 'apps', 'web', 'dist', p)), { level: 9 }).length, 0);
    figures.trackLoadFiles = trackLoaded.size;
    figures.trackLoadJsCssGzipBytes = gzOf(trackLoaded);
    expect([...trackLoaded].some((p) => p.includes('maplibre'))).toBe(false);
    await trackPage.close();

    // The photo as uploaded: compressed and upright, with the camera's time and GPS carried over
    // (orientation reset); the public sees it without any EXIF.
    const log = await u('acceptor').ok<Array<{ payload: { photos?: string[] } }>>('GET', `/api/cases/${found.items[0]?.id}/timeline`);
    const photoId = log[0]?.payload.photos?.[0] as string;
    const got = await fetch(`${server.url}/api/media/${photoId}`, { headers: { cookie: u('acceptor').cookie } });
    const uploaded = Buffer.from(await got.arrayBuffer());
    const meta = await sharp(uploaded).metadata();
    expect([meta.width, meta.height, meta.orientation ?? 1]).toEqual([1067, 1600, 1]);
    const gps = await exifr.gps(uploaded);
    expect(gps.latitude).toBeCloseTo(spot.lat, 5);
    expect(gps.longitude).toBeCloseTo(spot.lng, 5);
    expect(await exifr.parse(uploaded, { pick: ['DateTimeOriginal'], reviveValues: false })).toMatchObject({
      DateTimeOriginal: '2026:11:30 08:30:00',
    });
    const pub = Buffer.from(await (await fetch(`${server.url}/api/public/media/${photoId}`)).arrayBuffer());
    expect(await exifr.gps(pub).catch(() => undefined)).toBeFalsy();

    await page.getByTestId('pr-follow').click();
    await page.locator('[data-testid="pr-track"][data-state="reported"]').waitFor({ timeout: 20_000 });
    expect(await page.locator('[data-testid="pr-photos-reported"]').getAttribute('data-count')).toBe('1');
    expect(await page.content()).not.toContain('13800138000');
    await shot(page, 'track-received', true);

    await closeByStaff(sent.number);
    await page.reload();
    await page.locator('[data-testid="pr-track"][data-state="closed"]').waitFor({ timeout: 20_000 });
    await page.locator('[data-testid="pr-after-photos"][data-count="1"]').waitFor();
    // The after-photo is shown (loaded, EXIF-stripped rendition).
    await page.waitForFunction(
      `(() => { const img = document.querySelector('[data-testid="pr-after-photos"] img'); return img && img.complete && img.naturalWidth > 0; })()`,
    );
    await shot(page, 'track-closed');
    await page.locator('[data-testid="pr-rate"] .adm-rate-star').nth(4).tap();
    await page.locator('[data-testid="pr-comment"] textarea:not([readonly])').fill('处理很及时，谢谢！');
    await page.getByTestId('pr-rate-submit').click();
    await page.getByTestId('pr-rated').waitFor({ timeout: 20_000 });
    await page
      .locator('.adm-toast-mask')
      .waitFor({ state: 'detached', timeout: 10_000 })
      .catch(() => {});
    await shot(page, 'track-rated', true);
    const id = found.items[0]?.id as number;
    const timeline = await u('acceptor').ok<Array<{ action: string; actorRole: string; payload: { stars?: number } }>>(
      'GET',
      `/api/cases/${id}/timeline`,
    );
    expect(timeline.at(-1)).toMatchObject({ action: 'rate', actorRole: 'public', payload: { stars: 5 } });

    // English on the same page.
    await page.getByTestId('pr-lang').click();
    await page.getByText('Closed', { exact: true }).first().waitFor();
    await shot(page, 'track-en');
    await page.getByTestId('pr-lang').click();
    expect(errors).toEqual([]);
    await page.close();
  }, 300_000);

  it('a second report, placed by address search, is closed; 问题没有解决 puts it back in the acceptor’s 待办', async () => {
    if (!context || !server) throw new Error('not started');
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (err) => errors.push(err.message));
    await page.goto(`${server.url}/report`);
    const sent = await report(page, `人行道上堆满装修垃圾 ${run}`, 'search');
    const id = await closeByStaff(sent.number);

    // 我的举报 on this phone: both reports, newest first.
    await page.getByTestId('pr-tab-mine').click();
    await page.getByTestId('pr-mine').waitFor();
    expect(await page.locator('[data-testid^="pr-mine-20"]').count()).toBeGreaterThanOrEqual(2);
    await page.getByTestId(`pr-mine-state-${sent.number}`).waitFor();
    expect(await page.getByTestId(`pr-mine-state-${sent.number}`).textContent()).toBe('已办结');
    await shot(page, 'mine');
    await page.getByTestId(`pr-mine-${sent.number}`).click();
    await page.locator('[data-testid="pr-track"][data-state="closed"]').waitFor({ timeout: 20_000 });
    await page.getByTestId('pr-not-fixed').click();
    await page.locator('[data-testid="pr-reason"] textarea:not([readonly])').fill('垃圾只清走了一半，还有很多');
    await shot(page, 'not-fixed-dialog');
    await page.locator('.adm-dialog-button', { hasText: '提交' }).click();
    await page.locator('[data-testid="pr-track"][data-state="reopened"]').waitFor({ timeout: 20_000 });
    await page.getByTestId('pr-reopened').waitFor();
    await shot(page, 'track-reopened', true);

    const todo = await u('acceptor').ok<{ items: CaseRow[] }>('GET', '/api/cases?queue=todo&limit=200');
    expect(todo.items.find((c) => c.id === id)).toMatchObject({ state: 'reopened' });
    const detail = await u('acceptor').ok<{ allowedActions: string[]; publicFeedback: Array<{ kind: string; comment: string }> }>(
      'GET',
      `/api/cases/${id}`,
    );
    expect(detail.allowedActions).toEqual(expect.arrayContaining(['review_close', 'review_rework', 'review_redispatch']));
    expect(detail.publicFeedback).toEqual([expect.objectContaining({ kind: 'not_fixed', comment: '垃圾只清走了一半，还有很多' })]);
    expect(errors).toEqual([]);
    await page.close();

    // The acceptor's console: the case waits for review with the reporter's words; 返工 sends it
    // back to the department.
    if (!browser) throw new Error('not started');
    const desk = await browser.newContext({ viewport: { width: 1440, height: 900 }, locale: 'zh-CN' });
    try {
      const staff = await desk.newPage();
      const consoleErrors: string[] = [];
      staff.on('pageerror', (err) => consoleErrors.push(err.message));
      await staff.goto(`${server.url}/cases/${id}`);
      await staff.waitForURL(/\/login/);
      await staff.locator('#login-username').fill('acceptor');
      await staff.locator('#login-password').fill('demo1234');
      await staff.getByTestId('login-submit').click();
      await staff.locator('[data-testid="case-detail"][data-state="reopened"]').waitFor({ timeout: 30_000 });
      expect(await staff.getByTestId('case-state').textContent()).toContain('未解决待复核');
      expect(await staff.getByTestId('case-public-feedback').textContent()).toContain('垃圾只清走了一半');
      await staff.getByTestId('action-review_rework').waitFor();
      await staff.screenshot({ path: path.join(SHOTS, 'public-console-reopened.png') });
      await staff.getByTestId('action-review_rework').click();
      await staff.locator('.ant-modal textarea').first().fill('群众反映未清理干净，请返工');
      await staff.locator('.ant-modal .ant-btn-primary').click();
      await staff.locator('[data-testid="case-detail"][data-state="dispatched"]').waitFor({ timeout: 30_000 });
      expect(consoleErrors).toEqual([]);
    } finally {
      await desk.close();
    }
    const after = await u('acceptor').ok<CaseRow & { departmentId: number; reworkCount: number }>('GET', `/api/cases/${id}`);
    expect(after).toMatchObject({ state: 'dispatched', departmentId: handlerDept, reworkCount: 1 });
  }, 300_000);
});
