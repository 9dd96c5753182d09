/**
 * The webhooks console page in a browser against the real server: an administrator creates a
 * subscription through the form (the secret is shown once), a case event is delivered to a
 * receiver this test runs, a failing delivery shows as 失败 in the log, and 重放 sends it again
 * once the receiver is back. Needs Debian's chromium at /usr/bin/chromium (skipped otherwise).
 * Screenshots go to artifacts/screenshots/.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HAS_CHROMIUM, launchBrowser, openPage, SHOTS } from './browser.ts';
import { ensureWebBuild, startServer, type TestServer } from './server.ts';

interface Got {
  headers: http.IncomingHttpHeaders;
  json: { type: string; case?: { id: number; number: string } };
}

describe.skipIf(!HAS_CHROMIUM)('webhooks: subscribe, deliver, replay', () => {
  let server: TestServer | undefined;
  let browser: Browser | undefined;
  let context: BrowserContext | undefined;
  let receiver: http.Server | undefined;
  const got: Got[] = [];
  let healthy = false;

  beforeAll(async () => {
    ensureWebBuild();
    receiver = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => {
        body += c.toString('utf8');
      });
      req.on('end', () => {
        got.push({ headers: req.headers, json: JSON.parse(body) });
        res.writeHead(healthy ? 200 : 500).end(healthy ? 'ok' : 'down for maintenance');
      });
    });
    await new Promise<void>((resolve) => receiver?.listen(0, '127.0.0.1', resolve));
    server = await startServer();
    browser = await launchBrowser();
  }, 300_000);

  afterAll(async () => {
    await context?.close().catch(() => {});
    await browser?.close();
    await server?.stop();
    receiver?.closeAllConnections();
    await new Promise((r) => receiver?.close(r));
  }, 60_000);

  async function shot(page: Page, name: string): Promise<void> {
    await page.waitForTimeout(400);
    await page.screenshot({ path: path.join(SHOTS, name), fullPage: true });
  }

  it('creates a subscription in the console, sees the delivery in the log and replays it', async () => {
    if (!browser || !server || !receiver) throw new Error('not started');
    const receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/cityloop`;
    const opened = await openPage(browser);
    context = opened.context;
    const { page, errors } = opened;
    await page.goto(`${server.url}/webhooks`);
    await page.waitForURL(/\/login/);
    await page.locator('#login-username').fill('admin');
    await page.locator('#login-password').fill('demo1234');
    await page.getByTestId('login-submit').click();
    await page.waitForURL((u) => u.pathname === '/webhooks', { timeout: 30_000 });
    await page.getByTestId('webhooks-page').waitFor();
    await page.getByTestId('menu-webhooks').waitFor();

    // 新建订阅: one attempt only, so the receiver's 500 shows as failed at once.
    await page.getByTestId('webhook-new').click();
    const form = page.getByTestId('webhook-form');
    await form.locator('#name').fill('区级平台');
    await form.locator('#url').fill(receiverUrl);
    await form.locator('#maxAttempts').fill('1');
    await shot(page, 'webhooks-1-form.png');
    await page
      .getByRole('button', { name: '保 存' })
      .or(page.getByRole('button', { name: '保存' }))
      .click();
    const secret = page.getByTestId('webhook-secret');
    await secret.waitFor();
    expect(await secret.textContent()).toMatch(/^whsec_/);
    await shot(page, 'webhooks-2-secret.png');
    await page.getByRole('button', { name: /知道了|OK/ }).click();
    await page.getByRole('cell', { name: '区级平台' }).waitFor();

    // A case event: a report filed through the API.
    const req = page.request;
    let place: { lng: number; lat: number; grid: unknown } | undefined;
    for (const q of ['路', '街', '号']) {
      const hits = (await (await req.get(`${server.url}/api/geocode`, { params: { q, limit: 20 } })).json()) as Array<{
        lng: number;
        lat: number;
        grid: unknown;
      }>;
      place = hits.find((h) => h.grid);
      if (place) break;
    }
    expect(place).toBeTruthy();
    const filed = await req.post(`${server.url}/api/cases`, {
      data: { kind: 'event', classCode: '0101', description: '推送测试：占道经营', location: { lng: place?.lng, lat: place?.lat } },
    });
    expect(filed.status(), await filed.text()).toBe(201);
    const c = (await filed.json()) as { id: number; number: string };

    // The attempt reached the receiver, failed (500) and shows as 失败 in the log.
    const log = page.getByTestId('webhook-log');
    const row = log.locator('tr', { hasText: c.number });
    await row.getByText('失败').waitFor({ timeout: 20_000 });
    await row.getByText(/HTTP 500/).waitFor();
    expect(got.filter((g) => g.json.case?.id === c.id)).toHaveLength(1);
    await shot(page, 'webhooks-3-failed.png');

    // The receiver is back: 重放 sends the same delivery again and it is 已送达.
    healthy = true;
    await row.getByRole('button', { name: /重\s?放/ }).click();
    await row.getByText('已送达').waitFor({ timeout: 20_000 });
    const sent = got.filter((g) => g.json.case?.id === c.id);
    expect(sent).toHaveLength(2);
    expect(sent[1]?.headers['x-cityloop-delivery']).toBe(sent[0]?.headers['x-cityloop-delivery']);
    expect(sent[1]?.headers['x-cityloop-event']).toBe('report');
    await shot(page, 'webhooks-4-replayed.png');

    // English console: the page's own strings are translated.
    await page.evaluate("localStorage.setItem('cityloop.lang', 'en')");
    await page.reload();
    await page.getByTestId('webhooks-page').waitFor();
    await page.getByText('Delivered', { exact: true }).first().waitFor();
    const text = (await page.locator('body').innerText()) ?? '';
    expect(text).not.toMatch(/webhooks\.[a-zA-Z]/);
    await shot(page, 'webhooks-5-english.png');
    expect(errors).toEqual([]);
  }, 180_000);
});
