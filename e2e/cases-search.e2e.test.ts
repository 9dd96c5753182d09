/**
 * 案卷查询 and 案卷导入 in a browser against the real server: a dispatcher searches by text
 * and state, pages through the results, opens a case and exports the filtered list to Excel
 * (the file holds exactly the rows the list counts); an administrator checks a hotline CSV with
 * a bad row, fixes it, imports it and finds the new cases by their work-order numbers.
 * Needs Debian's chromium at /usr/bin/chromium (skipped otherwise).
 * Screenshots go to artifacts/screenshots/cases-search-*.png and exchange-import-*.png.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import ExcelJS from 'exceljs';
import { type APIRequestContext, type Browser, type BrowserContext, type Page, request } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeAll, HAS_CHROMIUM, launchBrowser, SHOTS, signedIn } from './browser.ts';
import { ensureWebBuild, startServer, type TestServer } from './server.ts';

/** Seeded work orders share this word, so a text search finds exactly them. */
const MARKER = '井盖异响E2E';
const SEEDED = 30;
const ACCEPTED = 5;
/** Lists reload over HTTP on a shared machine: give them time. */
const POLL = { timeout: 20_000, interval: 200 };
const HEADERS = ['工单编号', '来电时间', '问题描述', '类型', '分类编码', '经度', '纬度'];

interface GeocodeHit {
  lng: number;
  lat: number;
  grid: { id: number } | null;
}
interface ImportAnswer {
  created: number;
  rows: Array<{ row: number; status: string; number?: string }>;
}
interface CaseAnswer {
  items: Array<{ id: number; number: string; version: number; state: string; sourceRef?: string }>;
  total: number;
}

function csv(rows: string[][]): string {
  return `\uFEFF${rows.map((r) => r.map((v) => (/[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v)).join(',')).join('\r\n')}\r\n`;
}

describe.skipIf(!HAS_CHROMIUM)('case search, export and import', () => {
  let server: TestServer | undefined;
  let browser: Browser | undefined;
  let tmp = '';
  let places: GeocodeHit[] = [];
  const contexts: BrowserContext[] = [];
  const apis: APIRequestContext[] = [];

  /** An API client logged in as `username`. */
  async function apiAs(username: string): Promise<APIRequestContext> {
    if (!server) throw new Error('not started');
    const ctx = await request.newContext({ baseURL: server.url });
    apis.push(ctx);
    const res = await ctx.post('/api/auth/login', { data: { username, password: 'demo1234' } });
    expect(res.status()).toBe(200);
    return ctx;
  }

  const loginAs = (username: string, target: string) => {
    if (!browser || !server) throw new Error('not started');
    return signedIn(browser, server.url, contexts, username, target);
  };

  async function shot(page: Page, name: string): Promise<void> {
    await page.waitForTimeout(400);
    await page.screenshot({ path: path.join(SHOTS, name) });
  }

  /** The list's total once loading settled, as the page shows it. */
  async function total(page: Page): Promise<number> {
    await page.locator('.cl-search-table .ant-spin-spinning').waitFor({ state: 'detached', timeout: 20_000 });
    return Number(await page.getByTestId('search-total').getAttribute('data-total'));
  }

  async function rowCount(page: Page): Promise<number> {
    return page.locator('.cl-search-table tr[data-testid^="search-row-"]').count();
  }

  /** A work-order row at the n-th place found in a unit grid. */
  function order(ref: string, description: string, n: number): string[] {
    const p = places[n % places.length] as GeocodeHit;
    return [ref, '2026-11-30 09:00', description, '事件', '0101', p.lng.toFixed(6), p.lat.toFixed(6)];
  }

  beforeAll(async () => {
    ensureWebBuild();
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cityloop-e2e-search-'));
    server = await startServer();
    browser = await launchBrowser();

    // Places inside unit grids, from the demo city's gazetteer.
    const admin = await apiAs('admin');
    for (const q of ['路', '街', '号']) {
      const hits = (await (await admin.get('/api/geocode', { params: { q, limit: 50 } })).json()) as GeocodeHit[];
      places.push(...hits.filter((h) => h.grid));
      if (places.length >= 10) break;
    }
    places = places.slice(0, 10);
    expect(places.length).toBeGreaterThan(0);

    // Thirty hotline work orders with the marker, filed through the import API.
    const rows = Array.from({ length: SEEDED }, (_, i) =>
      order(`SEED-${String(i + 1).padStart(4, '0')}`, `市民来电：${MARKER} 第 ${i + 1} 号井盖松动`, i),
    );
    // Five others without it, so the text filter visibly narrows the list.
    const others = Array.from({ length: 5 }, (_, i) => order(`OTHER-${i + 1}`, `市民来电：路灯不亮 ${i + 1}`, i));
    const res = await admin.post('/api/exchange/cases/import', {
      headers: { 'content-type': 'text/csv' },
      data: Buffer.from(csv([HEADERS, ...rows, ...others])),
    });
    expect(res.status(), await res.text()).toBe(201);
    expect(((await res.json()) as ImportAnswer).created).toBe(SEEDED + others.length);

    // The acceptor accepts five of them (待立案), so a state filter has something to find.
    const acceptor = await apiAs('acceptor');
    for (let i = 1; i <= ACCEPTED; i++) {
      const ref = `SEED-${String(i).padStart(4, '0')}`;
      const list = (await (await acceptor.get('/api/cases', { params: { queue: 'all', q: ref } })).json()) as CaseAnswer;
      const c = list.items[0];
      expect(c, ref).toBeTruthy();
      if (!c) continue;
      const acted = await acceptor.post(`/api/cases/${c.id}/actions/accept`, { data: { version: c.version } });
      expect(acted.status(), await acted.text()).toBe(200);
    }
  }, 300_000);

  afterAll(async () => {
    for (const a of apis) await a.dispose().catch(() => {});
    await closeAll(contexts, browser, server);
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  }, 60_000);

  it('a dispatcher searches by text and state, pages, opens a case and exports what the list counts', async () => {
    const { page, errors } = await loginAs('dispatcher', '/cases');
    await page.getByTestId('case-search').waitFor();
    const all = await total(page);
    expect(all).toBeGreaterThan(SEEDED);
    await shot(page, 'cases-search-1-all.png');

    // Text: the marker finds the thirty work orders, twenty on the first page.
    await page.getByTestId('search-q').locator('input').fill(MARKER);
    await page.getByTestId('search-q').locator('input').press('Enter');
    await page.waitForURL((u) => u.searchParams.get('q') === MARKER);
    await expect.poll(() => total(page), POLL).toBe(SEEDED);
    expect(await rowCount(page)).toBe(20);
    await expect.poll(() => page.getByTestId('search-counts').textContent(), POLL).toContain(`共 ${SEEDED} 件`);

    // Page 2 holds the other ten, and the URL says so.
    await page.locator('.ant-pagination-item-2').click();
    await page.waitForURL((u) => u.searchParams.get('page') === '2');
    await expect.poll(() => rowCount(page), POLL).toBe(SEEDED - 20);
    await shot(page, 'cases-search-2-page2.png');

    // State: 待立案 narrows the thirty to the five accepted ones (and back to page 1).
    await page.getByTestId('search-state').click();
    await page.locator('.ant-select-dropdown:visible').getByTitle('待立案').click();
    await page.waitForURL((u) => u.searchParams.get('state') === 'accepted' && !u.searchParams.has('page'));
    await expect.poll(() => total(page), POLL).toBe(ACCEPTED);
    const states = await page
      .locator('.cl-search-table tr[data-testid^="search-row-"]')
      .evaluateAll((els) => els.map((e) => e.getAttribute('data-state')));
    expect(states).toEqual(Array(ACCEPTED).fill('accepted'));
    await shot(page, 'cases-search-3-filtered.png');

    // A bookmarked link opens the same list.
    const shared = page.url();
    await page.goto(shared);
    await page.getByTestId('case-search').waitFor();
    await expect.poll(() => total(page), POLL).toBe(ACCEPTED);
    expect(await page.getByTestId('search-q').locator('input').inputValue()).toBe(MARKER);

    // Reporting days are the city's: today finds all thirty, a day long past none.
    const today = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai' }).format(new Date());
    const base = shared.split('?')[0];
    await page.goto(`${base}?q=${encodeURIComponent(MARKER)}&from=${today}&to=${today}`);
    await page.getByTestId('case-search').waitFor();
    await expect.poll(() => total(page), POLL).toBe(SEEDED);
    expect(await page.locator('.cl-search-filters .ant-picker-range input').first().inputValue()).toBe(today);
    await page.goto(`${base}?q=${encodeURIComponent(MARKER)}&from=2020-01-01&to=2020-01-31`);
    await page.getByTestId('case-search').waitFor();
    await expect.poll(() => total(page), POLL).toBe(0);
    await page.goto(shared);
    await page.getByTestId('case-search').waitFor();
    await expect.poll(() => total(page), POLL).toBe(ACCEPTED);

    // Export Excel with the filters: exactly the rows the list counts, all 待立案 with the marker.
    await page.getByTestId('export-button').click();
    await page.getByTestId('export-xlsx').waitFor();
    await shot(page, 'cases-search-5-export-menu.png');
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-xlsx').click()]);
    expect(download.suggestedFilename()).toMatch(/^cases-.*\.xlsx$/);
    const file = path.join(tmp, download.suggestedFilename());
    await download.saveAs(file);
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.readFile(file);
    const sheet = wb.worksheets[0];
    if (!sheet) throw new Error('no sheet');
    const header = (sheet.getRow(1).values as unknown[]).map((v) => String(v ?? ''));
    const col = (name: string) => header.indexOf(name);
    expect(col('状态')).toBeGreaterThan(0);
    expect(col('问题描述')).toBeGreaterThan(0);
    const data: string[][] = [];
    sheet.eachRow((row, n) => {
      if (n > 1) data.push((row.values as unknown[]).map((v) => String(v ?? '')));
    });
    expect(data.length).toBe(await total(page));
    for (const r of data) {
      expect(r[col('状态')]).toBe('待立案');
      expect(r[col('问题描述')]).toContain(MARKER);
    }

    // Open a case from the list.
    const first = page.locator('.cl-search-table a[data-testid^="open-case-"]').first();
    const number = (await first.textContent()) ?? '';
    await first.click();
    await page.waitForURL(/\/cases\/\d+$/);
    await page.locator('[data-testid="case-detail"][data-state="accepted"]').waitFor({ timeout: 20_000 });
    await expect.poll(() => page.getByTestId('case-fields').textContent(), POLL).toContain(number);
    await shot(page, 'cases-search-4-detail.png');

    // The workbench offers the same export for its queue.
    await page.goto(`${page.url().split('/cases')[0]}/workbench`);
    await page.getByTestId('workbench').waitFor();
    await page.getByTestId('export-button').waitFor();
    expect(errors).toEqual([]);
  });

  it("an acceptor exports the workbench's 待办 queue as CSV", async () => {
    const { page, errors } = await loginAs('acceptor', '/workbench');
    await page.getByTestId('workbench').waitFor();
    const counts = (await (await page.request.get(`${server?.url}/api/cases/counts`)).json()) as { todo: number };
    expect(counts.todo).toBeGreaterThan(0);
    await page.getByTestId('export-button').click();
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-csv').click()]);
    expect(download.suggestedFilename()).toMatch(/^cases-.*\.csv$/);
    const file = path.join(tmp, `todo-${download.suggestedFilename()}`);
    await download.saveAs(file);
    const lines = fs
      .readFileSync(file, 'utf8')
      .split('\r\n')
      .filter((l) => l !== '');
    expect(lines.length - 1).toBe(counts.todo);
    expect(errors).toEqual([]);
  });

  it("a handler's list is their department's (none of the new reports), without the department picker", async () => {
    const { page, errors } = await loginAs('handler', '/cases');
    await page.getByTestId('case-search').waitFor();
    const scoped = (await (
      await page.request.get(`${server?.url}/api/cases`, { params: { queue: 'all', limit: 1 } })
    ).json()) as CaseAnswer;
    await expect.poll(() => total(page), POLL).toBe(scoped.total);
    expect(scoped.total).toBeLessThan(SEEDED);
    expect(await page.getByTestId('search-department').count()).toBe(0);
    await page.getByTestId('export-button').waitFor();
    expect(errors).toEqual([]);
  });

  it('an inspector searches without an export button (no exchange.export)', async () => {
    const { page, errors } = await loginAs('inspector', '/cases');
    await page.getByTestId('case-search').waitFor();
    await total(page);
    expect(await page.getByTestId('export-button').count()).toBe(0);
    expect(await page.getByTestId('menu-import').count()).toBe(0);
    expect(errors).toEqual([]);
  });

  it('an administrator checks a CSV, fixes the bad row, imports it and finds the cases by work-order number', async () => {
    const { page, errors } = await loginAs('admin', '/exchange/import');
    await page.getByTestId('exchange-import').waitFor();
    await page.getByTestId('menu-import').waitFor();

    // The template carries the recognised Chinese headers.
    const [template] = await Promise.all([page.waitForEvent('download'), page.getByTestId('import-template').click()]);
    const templateFile = path.join(tmp, template.suggestedFilename());
    await template.saveAs(templateFile);
    const templateHead =
      fs
        .readFileSync(templateFile, 'utf8')
        .replace(/^\uFEFF/, '')
        .split('\r\n')[0] ?? '';
    expect(templateHead.split(',')).toEqual(expect.arrayContaining(['工单编号', '问题描述', '分类编码', '经度', '纬度', '地址']));

    const refs = ['GD202611300101', 'GD202611300102', 'GD202611300103'];
    const good = (i: number) => order(refs[i] as string, `热线工单：路灯不亮 ${refs[i]}`, i + 3);
    const bad = [refs[1] as string, '2026-11-30 10:00', '', '事件', '9999', '', ''];
    const badFile = path.join(tmp, 'orders.csv');
    fs.writeFileSync(badFile, csv([HEADERS, good(0), bad, good(2)]));

    // 预检 finds the bad row (line 3), shown first with its fields; 导入 stays off.
    await page.locator('[data-testid="exchange-import"] input[type=file]').setInputFiles(badFile);
    await expect.poll(() => page.getByTestId('import-file-name').textContent(), POLL).toBe('orders.csv');
    expect(await page.getByTestId('import-run').isDisabled()).toBe(true);
    await page.getByTestId('import-dry-run').click();
    await page.getByTestId('import-failure').waitFor();
    await page.locator('[data-testid="import-report"][data-invalid="1"]').waitFor();
    const order1 = await page
      .locator('[data-testid="import-report"] tr[data-testid^="import-row-"]')
      .evaluateAll((els) => els.map((e) => e.getAttribute('data-testid')));
    expect(order1).toEqual(['import-row-3', 'import-row-2', 'import-row-4']);
    expect(await page.getByTestId('import-status-3').getAttribute('data-status')).toBe('error');
    const fields = await page
      .getByTestId('import-row-3')
      .locator('li[data-field]')
      .evaluateAll((els) => els.map((e) => e.getAttribute('data-field')));
    expect(fields).toEqual(expect.arrayContaining(['description', 'classCode']));
    expect(await page.getByTestId('import-row-3').textContent()).toContain('缺少问题描述');
    expect(await page.getByTestId('import-failure').textContent()).toContain('3 行中有 1 行有误');
    expect(await page.getByTestId('import-run').isDisabled()).toBe(true);
    await shot(page, 'exchange-import-1-errors.png');

    // Fixed: the check is clean and the import is offered.
    const fixedFile = path.join(tmp, 'orders-fixed.csv');
    fs.writeFileSync(fixedFile, csv([HEADERS, good(0), good(1), good(2)]));
    await page.locator('[data-testid="exchange-import"] input[type=file]').setInputFiles(fixedFile);
    await expect.poll(() => page.getByTestId('import-file-name').textContent(), POLL).toBe('orders-fixed.csv');
    await page.getByTestId('import-dry-run').click();
    await page.getByTestId('import-clean').waitFor();
    await page.locator('[data-testid="import-report"][data-invalid="0"]').waitFor();
    expect(await page.getByTestId('import-status-2').getAttribute('data-status')).toBe('valid');
    await expect.poll(() => page.getByTestId('import-run').isEnabled(), POLL).toBe(true);
    await shot(page, 'exchange-import-2-clean.png');

    // 导入: three new cases, their numbers link to their pages.
    await page.getByTestId('import-run').click();
    await page.getByTestId('import-done').waitFor({ timeout: 30_000 });
    const created = page.getByTestId('import-created').locator('a[data-testid^="import-case-"]');
    await expect.poll(() => created.count(), POLL).toBe(3);
    const numbers = await created.allTextContents();
    for (const n of numbers) expect(n).toMatch(/^\d{13}$/);
    expect(await page.getByTestId('import-run').isDisabled()).toBe(true);
    await shot(page, 'exchange-import-3-done.png');

    // The same orders as an Excel file: the check finds them all filed already (a re-import is safe).
    const xlsxFile = path.join(tmp, 'orders.xlsx');
    const book = new ExcelJS.Workbook();
    const ws = book.addWorksheet('工单');
    ws.addRow(HEADERS);
    for (const i of [0, 1, 2]) ws.addRow(good(i));
    await book.xlsx.writeFile(xlsxFile);
    await page.locator('[data-testid="exchange-import"] input[type=file]').setInputFiles(xlsxFile);
    await expect.poll(() => page.getByTestId('import-file-name').textContent(), POLL).toBe('orders.xlsx');
    await page.getByTestId('import-dry-run').click();
    await page.getByTestId('import-clean').waitFor();
    for (const row of [2, 3, 4]) expect(await page.getByTestId(`import-status-${row}`).getAttribute('data-status')).toBe('exists');
    expect(await page.getByTestId('import-clean').textContent()).toContain('3 行此前已导入');
    expect(await page.getByTestId('import-run').isDisabled()).toBe(true);
    await shot(page, 'exchange-import-4-xlsx-existing.png');

    // Each work-order number finds its case in 案卷查询 (q matches the source reference).
    await page.getByTestId('menu-cases').click();
    await page.getByTestId('case-search').waitFor();
    for (const [i, ref] of refs.entries()) {
      await page.getByTestId('search-q').locator('input').fill(ref);
      await page.getByTestId('search-q').locator('input').press('Enter');
      await page.waitForURL((u) => u.searchParams.get('q') === ref);
      await expect.poll(() => page.locator('.cl-search-table a[data-testid^="open-case-"]').allTextContents(), POLL).toEqual([numbers[i]]);
      expect(await total(page)).toBe(1);
      expect(await page.getByTestId(`source-ref-${numbers[i]}`).textContent()).toBe(ref);
    }
    await shot(page, 'cases-search-6-work-order.png');

    // A created number opens its case.
    await page.locator('.cl-search-table a[data-testid^="open-case-"]').first().click();
    await page.locator('[data-testid="case-detail"][data-state="reported"]').waitFor({ timeout: 20_000 });
    expect(errors).toEqual([]);
  });

  it('reads in English', async () => {
    const { page, errors } = await loginAs('dispatcher', `/cases?q=${encodeURIComponent(MARKER)}&state=accepted`);
    await page.getByTestId('lang-switch').getByText('English').click();
    await page.getByTestId('case-search').waitFor();
    await expect.poll(() => page.getByTestId('search-counts').textContent(), POLL).toContain(`${ACCEPTED} cases`);
    await shot(page, 'cases-search-7-english.png');
    expect(errors).toEqual([]);
  });
});
