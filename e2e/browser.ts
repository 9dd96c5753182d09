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
  await page.keyboard.type(name);
  await page.locator('.ant-select-dropdown:visible .ant-select-tree-node-content-wrapper', { hasText: name }).first().click();
}

/** A screenshot in artifacts/screenshots after a moment for transitions to settle. */
export async function shot(page: Page, name: string, fullPage = true): Promise<void> {
  await page.waitForTimeout(400);
  await page.screenshot({ path: path.join(SHOTS, name), fullPage });
}
