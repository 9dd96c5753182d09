/**
 * The browser side of the e2e tests: Debian's chromium (the suites skip without it), where
 * screenshots go, and a page in a fresh context that records uncaught page errors.
 */
import fs from 'node:fs';
import path from 'node:path';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { ROOT } from './server.ts';

export const CHROMIUM = '/usr/bin/chromium';
export const HAS_CHROMIUM = fs.existsSync(CHROMIUM);
export const SHOTS = path.join(ROOT, 'artifacts', 'screenshots');

export function launchBrowser(): Promise<Browser> {
  fs.mkdirSync(SHOTS, { recursive: true });
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
}

/** A page in a new desktop-sized zh-CN context; `errors` collects the page's uncaught errors. */
export async function openPage(browser: Browser): Promise<{ context: BrowserContext; page: Page; errors: string[] }> {
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, locale: 'zh-CN' });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (err) => errors.push(err.message));
  return { context, page, errors };
}

/** Signs in through the login page a console address redirects to (demo password), then lands on `target`'s page. */
export async function login(page: Page, baseUrl: string, username: string, target: string): Promise<void> {
  await page.goto(`${baseUrl}${target}`);
  await page.waitForURL(/\/login/);
  await page.locator('#login-username').fill(username);
  await page.locator('#login-password').fill('demo1234');
  await page.getByTestId('login-submit').click();
}

/** Picks an option of an antd Select by typing part of its label, and waits for the list to close. */
export async function pick(page: Page, testId: string, text: string): Promise<void> {
  await page.getByTestId(testId).click();
  await page.keyboard.type(text);
  await page.locator('.ant-select-dropdown:visible .ant-select-item-option', { hasText: text }).first().click();
  // Until the list has closed, a click meant for the next control can land on it instead.
  await page.locator('.ant-select-dropdown:visible').first().waitFor({ state: 'hidden' });
}

/** Picks a node of an antd TreeSelect by typing its name. */
export async function pickTreeNode(page: Page, testId: string, name: string): Promise<void> {
  await page.getByTestId(testId).click();
  // Typed only once the list is open (on a busy machine the first keys could otherwise go nowhere).
  await page.locator('.ant-select-dropdown:visible').first().waitFor();
  await page.keyboard.type(name);
  await page.locator('.ant-select-dropdown:visible .ant-select-tree-node-content-wrapper', { hasText: name }).first().click();
}

/** A screenshot in artifacts/screenshots after a moment for transitions to settle. */
export async function shot(page: Page, name: string, fullPage = true): Promise<void> {
  await page.waitForTimeout(400);
  await page.screenshot({ path: path.join(SHOTS, name), fullPage });
}

/**
 * A browser context of its own signed in as `username` through the login page, on `target`'s
 * page. The context is added to `contexts` for the file's afterAll to close.
 */
export async function signedIn(
  browser: Browser,
  baseUrl: string,
  contexts: BrowserContext[],
  username: string,
  target = '/workbench',
): Promise<{ page: Page; errors: string[] }> {
  const { context, page, errors } = await openPage(browser);
  contexts.push(context);
  await login(page, baseUrl, username, target);
  await page.waitForURL((u) => u.pathname === target.split('?')[0], { timeout: 30_000 });
  return { page, errors };
}

/** Waits for a workbench to be usable: its queue, its map drawn, its event stream connected. */
export async function waitWorkbench(page: Page): Promise<void> {
  await page.getByTestId('workbench').waitFor();
  await page.locator('[data-testid="case-map"][data-ready="1"]').waitFor({ timeout: 60_000 });
  await page.locator('[data-testid="live-status"][data-live="1"]').waitFor({ timeout: 15_000 });
}

/**
 * Takes an action from the case detail on the page: opens its form, fills the note, reason and a
 * photo (a file path) when given, submits, and waits for the next state at the next version. A
 * refusal shown in the form fails with its text (and a screenshot failed-<action>.png).
 */
export async function takeAction(
  page: Page,
  action: string,
  nextState: string,
  fill?: { note?: string; reason?: string; photo?: string },
): Promise<void> {
  const detail = page.getByTestId('case-detail');
  const version = Number(await detail.getAttribute('data-version'));
  await page.getByTestId(`action-${action}`).click();
  const modal = page.locator('.ant-modal-wrap:visible');
  await modal.waitFor();
  if (fill?.note) await modal.getByTestId('action-note').fill(fill.note);
  if (fill?.reason) await modal.getByTestId('action-reason').fill(fill.reason);
  if (fill?.photo) {
    await modal.locator('input[type=file]').setInputFiles(fill.photo);
    await modal.locator('.ant-upload-list-item-done').first().waitFor({ timeout: 20_000 });
  }
  await modal.getByTestId('action-submit').click();
  const done = page.locator(`[data-testid="case-detail"][data-state="${nextState}"][data-version="${version + 1}"]`);
  const failed = modal.getByTestId('action-error');
  await done.or(failed).first().waitFor({ timeout: 20_000 });
  if (await failed.isVisible()) {
    await page.screenshot({ path: path.join(SHOTS, `failed-${action}.png`) });
    throw new Error(`${action}: ${await failed.textContent()}`);
  }
}

/** A file's teardown: its browser contexts, the browser, then its server. */
export async function closeAll(contexts: BrowserContext[], browser?: Browser, server?: { stop(): Promise<void> }): Promise<void> {
  for (const c of contexts) await c.close().catch(() => {});
  await browser?.close();
  await server?.stop();
}
