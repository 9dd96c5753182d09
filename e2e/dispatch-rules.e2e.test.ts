/**
 * 派遣规则 (dispatch rules) in a browser against the real server: an administrator creates a
 * rule for one class in one street through the form, the 测试派遣 tool sends a place in that
 * street to the rule's department and names the rule; disabled, the test falls back to the
 * city-wide default rule; a class with no rule goes to the street office, or to 协同 once that
 * fallback is off; a dispatcher has neither the menu entry nor the page. Needs Debian's
 * chromium at /usr/bin/chromium (skipped otherwise). Screenshots go to artifacts/screenshots/.
 */
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeAll, HAS_CHROMIUM, launchBrowser, openPage, pickTreeNode, shot, login as signIn } from './browser.ts';
import { ensureWebBuild, startServer, type TestServer } from './server.ts';

interface Hit {
  id: number;
  fullAddress: string;
  lng: number;
  lat: number;
  grid: { code: string } | null;
}

interface ClassNode {
  kind: string;
  code: string;
  name: string;
  level: string;
  children?: ClassNode[];
}

interface Rule {
  id: number;
  departmentId: number;
  kind: string | null;
  classCode: string | null;
  edition: string | null;
  regionId: number | null;
  enabled: boolean;
  departmentName: string;
  name: string;
}

/** The part of the console's MapLibre map (window.__cityloopMap) the test drives. */
interface MapHandle {
  jumpTo(o: { center: [number, number]; zoom: number }): void;
  project(p: [number, number]): { x: number; y: number };
  getCanvas(): { getBoundingClientRect(): { left: number; top: number } };
}

/** 东苑街道 of the demo city (白沙区). */
const STREET = '420502001';

describe.skipIf(!HAS_CHROMIUM)('dispatch rules: create, test, disable', () => {
  let server: TestServer | undefined;
  let browser: Browser | undefined;
  const contexts: BrowserContext[] = [];

  beforeAll(async () => {
    ensureWebBuild();
    server = await startServer();
    browser = await launchBrowser();
  }, 300_000);

  afterAll(async () => {
    await closeAll(contexts, browser, server);
  }, 60_000);

  async function login(page: Page, username: string, target: string): Promise<void> {
    if (!server) throw new Error('not started');
    await signIn(page, server.url, username, target);
  }

  it('creates a street rule, tests a place there, disables it and sees the fallback', async () => {
    if (!browser || !server) throw new Error('not started');
    const opened = await openPage(browser);
    contexts.push(opened.context);
    const { page, errors } = opened;
    await login(page, 'admin', '/admin/dispatch-rules');
    await page.waitForURL((u) => u.pathname === '/admin/dispatch-rules', { timeout: 30_000 });
    await page.getByTestId('dispatch-rules-page').waitFor();
    await page.getByTestId('menu-group-maintenance').waitFor();
    await page.getByTestId('dr-table').locator('tr[data-testid^="dr-row-"]').first().waitFor();

    // The data this scenario works on: an event class with a city-wide default rule, one
    // without any rule, and an address in 东苑街道.
    const req = page.request;
    const rules = ((await (await req.get(`${server.url}/api/dispatch/rules`, { params: { limit: 2000 } })).json()) as { items: Rule[] })
      .items;
    const settings = (await (await req.get(`${server.url}/api/settings`)).json()) as { edition: string };
    const tree = (await (await req.get(`${server.url}/api/taxonomy/tree`)).json()) as ClassNode[];
    const all = tree.flatMap((m) => [m, ...(m.children ?? []), ...(m.children ?? []).flatMap((c) => c.children ?? [])]);
    // Picked by typing the name: only names no other class contains.
    const minors = all.filter(
      (c) => c.kind === 'event' && c.level === 'minor' && all.filter((o) => `${o.code} ${o.name}`.includes(c.name)).length === 1,
    );
    const covered = (c: ClassNode) =>
      rules.filter(
        (r) =>
          r.enabled &&
          (r.edition === null || r.edition === settings.edition) &&
          (r.kind === null || r.kind === 'event') &&
          (r.classCode === null || c.code.startsWith(r.classCode)),
      );
    const withDefault = minors.find((c) => {
      const m = covered(c);
      return m.length === 1 && m[0]?.regionId === null;
    });
    const withoutRule = minors.find((c) => covered(c).length === 0);
    expect(withDefault, 'an event class with one city-wide rule').toBeTruthy();
    expect(withoutRule, 'an event class without a rule').toBeTruthy();
    if (!withDefault || !withoutRule) return;
    const defaultRule = covered(withDefault)[0] as Rule;
    let place: Hit | undefined;
    for (const q of ['路', '街', '号']) {
      const hits = (await (await req.get(`${server.url}/api/geocode`, { params: { q, limit: 50 } })).json()) as Hit[];
      place = hits.find((h) => h.grid?.code.startsWith(STREET));
      if (place) break;
    }
    expect(place, 'an address in 东苑街道').toBeTruthy();
    if (!place) return;
    await shot(page, 'dispatch-rules-1-list.png');

    // 新建规则: the class in 白沙区 / 东苑街道 → 白沙区城市管理执法局.
    await page.getByTestId('dr-new').click();
    const form = page.getByTestId('dr-form');
    await form.locator('#name').fill('东苑街道专项');
    await pickTreeNode(page, 'dr-form-class', withDefault.name);
    await page.getByTestId('dr-form-region').click();
    await page.locator('.ant-cascader-menu-item', { hasText: '白沙区' }).click();
    await page.locator('.ant-cascader-menu-item', { hasText: '东苑街道' }).click();
    await page.keyboard.press('Escape');
    await page.getByTestId('dr-form-department').click();
    await page.keyboard.type('白沙城管局');
    await page.locator('.ant-select-dropdown:visible .ant-select-item-option', { hasText: '白沙城管局' }).first().click();
    await shot(page, 'dispatch-rules-2-form.png');
    const created = page.waitForResponse((r) => r.url().endsWith('/api/dispatch/rules') && r.request().method() === 'POST');
    await page.getByTestId('dr-save').click();
    const rule = (await (await created).json()) as Rule;
    expect(rule.departmentName).toBe('白沙城管局');
    const row = page.getByTestId(`dr-row-${rule.id}`);
    await row.waitFor();
    await expect.poll(() => row.innerText()).toContain('东苑街道');
    // Ranked first: a street rule is more specific than every city-wide default.
    expect(await page.getByTestId('dr-table').locator('tr[data-testid^="dr-row-"]').first().getAttribute('data-testid')).toBe(
      `dr-row-${rule.id}`,
    );

    // 测试派遣: the class at an address in that street (picked from the geocoding suggestions).
    await pickTreeNode(page, 'dr-test-class', withDefault.name);
    await page.getByTestId('dr-test-address').click();
    await page.keyboard.type(place.fullAddress);
    await page.locator('.ant-select-dropdown:visible').getByTestId(`dr-geocode-hit-${place.id}`).click();
    const dept = page.getByTestId('dr-test-department');
    await expect.poll(() => dept.textContent(), { timeout: 15_000 }).toBe('白沙城管局');
    expect(await page.getByTestId('dr-test-rule').innerText()).toContain(`#${rule.id} 东苑街道专项`);
    expect(await page.getByTestId('dr-test-place').innerText()).toContain('东苑街道');
    expect(await page.getByTestId('dr-test-explanation').innerText()).toContain(`规则 #${rule.id}`);
    await page.getByTestId('dr-test-map').and(page.locator('[data-ready="1"]')).waitFor({ timeout: 30_000 });
    await page.getByTestId('dr-test').scrollIntoViewIfNeeded();
    await shot(page, 'dispatch-rules-3-test.png');

    // 停用: the same test now falls back to the city-wide default rule.
    await row.getByTestId(`dr-disable-${rule.id}`).click();
    await page
      .locator('.ant-popconfirm:visible')
      .getByRole('button', { name: /确\s?定|OK/ })
      .click();
    await expect.poll(() => dept.textContent(), { timeout: 15_000 }).toBe(defaultRule.departmentName);
    expect(await page.getByTestId('dr-test-rule').innerText()).toContain(`#${defaultRule.id}`);
    expect(await page.getByTestId(`dr-enabled-${rule.id}`).getAttribute('aria-checked')).toBe('false');
    await page.getByTestId('dr-test').scrollIntoViewIfNeeded();
    await shot(page, 'dispatch-rules-4-disabled.png');
    // 命中规则 opens the rule in the table: the table narrows to the tested class, the
    // default rule highlighted and the disabled street rule greyed out above it.
    await page.getByTestId('dr-test-rule').getByRole('button').click();
    const hit = page.getByTestId(`dr-row-${defaultRule.id}`);
    await expect.poll(() => hit.getAttribute('class')).toContain('cl-dr-row-hit');
    expect(await page.getByTestId(`dr-row-${rule.id}`).getAttribute('class')).toContain('cl-dr-row-off');
    await shot(page, 'dispatch-rules-4b-matched-rule.png');

    // A refused save keeps the form open with the server's reason beside it: the rule's
    // department has meanwhile been deactivated, so the rule cannot be enabled again.
    const off = await req.patch(`${server.url}/api/departments/${rule.departmentId}`, { data: { active: false } });
    expect(off.status(), await off.text()).toBe(200);
    await row.getByTestId(`dr-edit-${rule.id}`).click();
    await expect.poll(() => form.locator('#name').inputValue()).toBe('东苑街道专项');
    expect(await form.locator('#enabled').getAttribute('aria-checked')).toBe('false');
    await form.locator('#enabled').click();
    await page.getByTestId('dr-save').click();
    const formError = page.getByTestId('dr-form-error');
    await formError.waitFor();
    expect(await formError.innerText()).toContain('department_inactive');
    await page.locator('.ant-form-item-explain-error', { hasText: '已停用' }).waitFor();
    await shot(page, 'dispatch-rules-5-form-error.png');
    await page.getByRole('button', { name: /取\s?消/ }).click();
    await req.patch(`${server.url}/api/departments/${rule.departmentId}`, { data: { active: true } });

    // A class without any rule, at a place clicked on the map: the street office (属地) …
    await pickTreeNode(page, 'dr-test-class', withoutRule.name);
    await page.getByTestId('dr-test-map').scrollIntoViewIfNeeded();
    const point = await page.evaluate(
      ([lng, lat]) => {
        const m = (globalThis as { __cityloopMap?: MapHandle }).__cityloopMap;
        if (!m) return null;
        m.jumpTo({ center: [lng, lat], zoom: 16 });
        const p = m.project([lng, lat]);
        const box = m.getCanvas().getBoundingClientRect();
        return { x: box.left + p.x, y: box.top + p.y };
      },
      [place.lng, place.lat] as [number, number],
    );
    expect(point).toBeTruthy();
    if (!point) return;
    await page.mouse.click(point.x, point.y);
    await expect.poll(() => dept.textContent(), { timeout: 15_000 }).toBe('东苑街道');
    expect(await page.getByTestId('dr-test-rule').innerText()).toBe('无匹配规则');

    // … or 协同 when the city turns that fallback off.
    await page.getByTestId('dr-street-fallback').click();
    await expect.poll(() => dept.textContent(), { timeout: 15_000 }).toContain('转协同');
    await shot(page, 'dispatch-rules-6-coordination.png');

    // English console: the page's own strings are translated.
    await page.evaluate("localStorage.setItem('cityloop.lang', 'en')");
    await page.reload();
    await page.getByTestId('dispatch-rules-page').waitFor();
    await page.getByText('Test dispatch', { exact: true }).waitFor();
    const text = await page.locator('body').innerText();
    expect(text).not.toMatch(/dispatchRules\.[a-zA-Z]/);
    await shot(page, 'dispatch-rules-7-english.png');
    expect(errors).toEqual([]);
  }, 240_000);

  it('is not offered to a dispatcher', async () => {
    if (!browser || !server) throw new Error('not started');
    const opened = await openPage(browser);
    contexts.push(opened.context);
    const { page } = opened;
    await login(page, 'dispatcher', '/admin/dispatch-rules');
    // Not a page for this role: the console goes to the workbench, without the menu entry.
    await page.waitForURL((u) => u.pathname === '/workbench', { timeout: 30_000 });
    await page.getByTestId('workbench').waitFor({ timeout: 30_000 });
    expect(await page.getByTestId('menu-dispatch-rules').count()).toBe(0);
    expect(await page.getByTestId('dispatch-rules-page').count()).toBe(0);
    await shot(page, 'dispatch-rules-8-dispatcher.png');
  }, 120_000);
});
