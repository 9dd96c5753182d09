/**
 * 综合评价 reports in Debian chromium against the real server: cases filed and moved through the
 * API, then a leader opens 评价排名, clicks a number and sees the cases behind it (and opens one),
 * opens 专题统计 (charts drawn, heat map idle) and 月度通报, and prints the bulletin to PDF.
 * Screenshots and the PDF: artifacts/screenshots/evaluation-*.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeAll, HAS_CHROMIUM, launchBrowser, openPage, SHOTS } from './browser.ts';
import { ensureWebBuild, startServer, type TestServer } from './server.ts';

interface Place {
  lng: number;
  lat: number;
  grid: { id: number } | null;
}

/** A logged-in API caller (cookie kept by hand) for the demo accounts. */
class Caller {
  cookie = '';
  constructor(
    readonly base: string,
    readonly username: string,
  ) {}
  async login(): Promise<void> {
    const res = await fetch(`${this.base}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: this.username, password: 'demo1234' }),
    });
    if (!res.ok) throw new Error(`login ${this.username}: ${res.status}`);
    this.cookie = (res.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
  }
  async ok<T = Record<string, unknown>>(method: string, url: string, body?: unknown): Promise<T> {
    const res = await fetch(`${this.base}${url}`, {
      method,
      headers: { cookie: this.cookie, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const json = (await res.json().catch(() => null)) as T;
    if (res.status >= 300) throw new Error(`${this.username} ${method} ${url}: ${res.status} ${JSON.stringify(json)}`);
    return json;
  }
  /** Uploads a photo and returns its media id (处置 and 核查 need one). */
  async photo(jpeg: Buffer): Promise<string> {
    const fd = new FormData();
    fd.append('file', new Blob([new Uint8Array(jpeg)], { type: 'image/jpeg' }), 'site.jpg');
    const res = await fetch(`${this.base}/api/media`, { method: 'POST', headers: { cookie: this.cookie }, body: fd });
    if (!res.ok) throw new Error(`upload: ${res.status} ${await res.text()}`);
    return ((await res.json()) as Array<{ id: string }>)[0]?.id as string;
  }
}

/** This month in the demo city's zone (YYYY-MM). */
const cityMonth = () => new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai' }).format(new Date()).slice(0, 7);

describe.skipIf(!HAS_CHROMIUM)('evaluation reports: ranking, drill-down, statistics and the printed bulletin', () => {
  let server: TestServer | undefined;
  let browser: Browser | undefined;
  const contexts: BrowserContext[] = [];
  const users: Record<string, Caller> = {};
  const u = (name: string) => users[name] as Caller;
  let reported = 0;
  let closed = 0;

  async function act(who: string, id: number, action: string, body: Record<string, unknown> = {}) {
    const cur = await u('leader').ok<{ version: number }>('GET', `/api/cases/${id}`);
    await u(who).ok('POST', `/api/cases/${id}/actions/${action}`, { version: cur.version, ...body });
  }

  async function shot(page: Page, name: string, fullPage = true) {
    await page.waitForTimeout(500);
    await page.screenshot({ path: path.join(SHOTS, name), fullPage });
  }

  async function login(page: Page, username: string, target: string) {
    await page.goto(`${server?.url}${target}`);
    await page.waitForURL(/\/login/);
    await page.locator('#login-username').fill(username);
    await page.locator('#login-password').fill('demo1234');
    await page.getByTestId('login-submit').click();
    await page.waitForURL((url) => url.pathname === target.split('?')[0]);
  }

  /** Reports across the city in a skewed mix of classes; some registered and dispatched, a few run to 结案. */
  async function seed() {
    const jpeg = await sharp({ create: { width: 160, height: 120, channels: 3, background: '#808080' } })
      .jpeg()
      .toBuffer();
    const all: Place[] = [];
    for (const q of ['路', '街', '号', '小区']) {
      all.push(...(await u('dispatcher').ok<Place[]>('GET', `/api/geocode?q=${encodeURIComponent(q)}&limit=50`)));
    }
    const places = all.filter((p) => p.grid);
    expect(places.length).toBeGreaterThan(10);
    // 核查 is the inspector's of the place: the cases that run to 结案 lie in the demo inspector's beat.
    const me = await u('inspector').ok<{ personId: number }>('GET', '/api/auth/me');
    const beats = await u('dispatcher').ok<Array<{ id: number; inspectorId: number }>>('GET', '/api/beats');
    const beatId = beats.find((b) => b.inspectorId === me.personId)?.id;
    const beatGrids = (await u('dispatcher').ok<{ gridIds: number[] }>('GET', `/api/beats/${beatId}`)).gridIds;
    const beat = places.filter((p) => p.grid && beatGrids.includes(p.grid.id));
    expect(beat.length).toBeGreaterThan(0);
    const tree = await u('dispatcher').ok<Array<{ kind: string; children?: Array<{ code: string; level: string }> }>>(
      'GET',
      '/api/taxonomy/tree?edition=CJT214-2007',
    );
    const classes = tree
      .filter((n) => n.kind === 'event')
      .flatMap((n) => (n.children ?? []).filter((c) => c.level === 'minor').map((c) => c.code))
      .slice(0, 8);
    const handlerDept = (await u('handler').ok<{ departmentId: number }>('GET', '/api/auth/me')).departmentId;
    const sources = ['hotline', 'public', 'media'];
    const ids: number[] = [];
    for (let i = 0; i < 24; i++) {
      const byInspector = i % 3 !== 0;
      const p = (byInspector && ids.length < 6 ? beat[ids.length % beat.length] : places[(i * 5) % Math.min(places.length, 12)]) as Place;
      const c = await u(byInspector ? 'inspector' : 'acceptor').ok<{ id: number }>('POST', '/api/cases', {
        ...(byInspector ? {} : { source: sources[(i / 3) % sources.length] }),
        kind: 'event',
        classCode: classes[Math.floor(Math.sqrt(i * 3)) % classes.length],
        description: `评价报表测试问题 #${i}`,
        location: { lng: p.lng, lat: p.lat },
      });
      reported++;
      if (byInspector) ids.push(c.id);
    }
    for (const [k, id] of ids.entries()) {
      await act('acceptor', id, 'accept');
      await act('shiftlead', id, 'register');
      await act('dispatcher', id, 'dispatch', { departmentId: handlerDept });
      if (k < 6) {
        await act('handler', id, 'sign');
        await act('handler', id, 'feedback', { note: '已处理完毕', photos: [await u('handler').photo(jpeg)] });
        await act('acceptor', id, 'send_check');
        await act('inspector', id, 'check_pass', { photos: [await u('inspector').photo(jpeg)] });
        await act('shiftlead', id, 'close', { archiveType: 'normal' });
        closed++;
      }
    }
  }

  beforeAll(async () => {
    ensureWebBuild();
    server = await startServer();
    browser = await launchBrowser();
    for (const name of ['acceptor', 'shiftlead', 'dispatcher', 'handler', 'inspector', 'leader']) {
      users[name] = new Caller(server.url, name);
      await users[name].login();
    }
    await seed();
  }, 300_000);

  afterAll(async () => {
    await closeAll(contexts, browser, server);
  }, 60_000);

  it('ranks the districts with grades and opens the cases behind a number', async () => {
    if (!browser) throw new Error('not started');
    const { context, page, errors } = await openPage(browser);
    contexts.push(context);
    await login(page, 'leader', '/evaluation/rankings');
    const table = page.getByTestId('rankings-table');
    await expect.poll(() => table.locator('[data-testid="grade"]').count(), { timeout: 20_000 }).toBeGreaterThan(0);
    await expect.poll(() => page.getByTestId('menu-group-evaluation').count()).toBe(1);
    await shot(page, 'evaluation-rankings.png');

    // The first district with a registered case: its 立案数 opens the drill-down.
    const cell = table.locator('[data-testid="cell-registered"]').filter({ hasNotText: /^0$/ }).first();
    const figure = Number(await cell.innerText());
    expect(figure).toBeGreaterThan(0);
    await cell.click();
    const drawer = page.getByTestId('drill-table');
    await expect.poll(() => drawer.locator('[data-testid="drill-case-link"]').count(), { timeout: 15_000 }).toBe(figure);
    await shot(page, 'evaluation-drilldown.png', false);
    const number = await drawer.locator('[data-testid="drill-case-link"]').first().innerText();
    await drawer.locator('[data-testid="drill-case-link"]').first().click();
    await page.waitForURL(/\/cases\/\d+$/);
    await expect.poll(() => page.getByText(number).count(), { timeout: 15_000 }).toBeGreaterThan(0);

    // Departments: the handler's department has the dispatched cases.
    await page.goto(`${server?.url}/evaluation/rankings?object=department`);
    await expect.poll(() => table.locator('[data-testid="grade"]').count(), { timeout: 20_000 }).toBeGreaterThan(0);
    await shot(page, 'evaluation-rankings-departments.png');

    // Positions: the shift leader who registered the cases is ranked on 立案 and 结案.
    await page.getByRole('tab', { name: '值班长', exact: true }).click();
    await expect
      .poll(() => table.locator('[data-testid="cell-registered"]').filter({ hasNotText: /^0$/ }).count(), { timeout: 20_000 })
      .toBeGreaterThan(0);
    await shot(page, 'evaluation-rankings-shiftlead.png');
    expect(errors).toEqual([]);
  });

  it("holds a department's handler to their department: one tab, no bulletin", async () => {
    if (!browser) throw new Error('not started');
    const { context, page, errors } = await openPage(browser);
    contexts.push(context);
    await login(page, 'handler', '/evaluation/rankings');
    await expect.poll(() => page.getByRole('tab').count(), { timeout: 20_000 }).toBe(1);
    expect(await page.getByRole('tab').innerText()).toBe('专业部门');
    await expect.poll(() => page.getByTestId('rankings-table').locator('tbody tr.ant-table-row').count(), { timeout: 20_000 }).toBe(1);
    await page.getByTestId('menu-group-evaluation').click();
    await expect.poll(() => page.getByTestId('menu-eval-statistics').count()).toBe(1);
    expect(await page.getByTestId('menu-eval-bulletin').count()).toBe(0);
    await shot(page, 'evaluation-rankings-handler.png');
    expect(errors).toEqual([]);
  });

  it('draws the thematic charts and the grid heat map', async () => {
    if (!browser) throw new Error('not started');
    const { context, page, errors } = await openPage(browser);
    contexts.push(context);
    await page.setViewportSize({ width: 1440, height: 1240 });
    await login(page, 'leader', '/evaluation/statistics');
    for (const id of ['chart-classes', 'chart-hours', 'chart-sources']) {
      await expect.poll(() => page.getByTestId(id).locator('canvas').count(), { timeout: 20_000 }).toBeGreaterThan(0);
    }
    await expect.poll(() => page.getByTestId('heat-map').getAttribute('data-ready'), { timeout: 30_000 }).toBe('1');
    await expect.poll(() => page.getByTestId('hot-grids').locator('tbody tr.ant-table-row').count()).toBeGreaterThan(0);
    const reports = await page.locator('.cl-eval-stats .ant-statistic-content-value').first().innerText();
    expect(Number(reports)).toBeGreaterThanOrEqual(reported);
    await shot(page, 'evaluation-statistics.png');
    expect(errors).toEqual([]);
  });

  it('shows the monthly bulletin and prints it to an A4 PDF', async () => {
    if (!browser) throw new Error('not started');
    const { context, page, errors } = await openPage(browser);
    contexts.push(context);
    const month = cityMonth();
    await login(page, 'leader', `/evaluation/bulletin?month=${month}`);
    const sheet = page.getByTestId('bulletin-sheet');
    await sheet.waitFor({ timeout: 20_000 });
    const totals = page.getByTestId('bulletin-totals');
    const firstRow = (await totals.locator('tbody tr').first().locator('td').allInnerTexts()).map((s) => s.trim());
    expect(Number(firstRow[1])).toBeGreaterThanOrEqual(reported);
    expect(await page.getByTestId('bulletin-rank-district').locator('tbody tr').count()).toBeGreaterThan(0);
    expect(await page.getByTestId('bulletin-classes').locator('tbody tr').count()).toBeGreaterThan(0);
    expect(closed).toBeGreaterThan(0);
    await shot(page, 'evaluation-bulletin.png');

    // On paper: the header, the menu and the buttons are gone, the sheet fills A4.
    await page.emulateMedia({ media: 'print' });
    expect(await page.locator('.cl-header').isVisible()).toBe(false);
    expect(await page.getByTestId('bulletin-print').isVisible()).toBe(false);
    await shot(page, 'evaluation-bulletin-print.png');
    const pdf = await page.pdf({ format: 'A4', printBackground: true, preferCSSPageSize: true });
    fs.writeFileSync(path.join(SHOTS, 'evaluation-bulletin.pdf'), pdf);
    expect(pdf.subarray(0, 5).toString()).toBe('%PDF-');
    const pages = (pdf.toString('latin1').match(/\/Type\s*\/Page[^s]/g) ?? []).length;
    expect(pages).toBeGreaterThanOrEqual(1);
    expect(pages).toBeLessThanOrEqual(6);
    await page.emulateMedia({ media: 'screen' });
    expect(errors).toEqual([]);

    // The PDF as a reader shows it (chromium's own viewer), for the artifacts.
    const viewer = await context.newPage();
    await viewer.setViewportSize({ width: 1000, height: 1300 });
    await viewer.goto(`file://${path.join(SHOTS, 'evaluation-bulletin.pdf')}`);
    await viewer.waitForTimeout(2500);
    await viewer.screenshot({ path: path.join(SHOTS, 'evaluation-bulletin-pdf.png') });
    await viewer.close();
  });
});
