/**
 * Browser tests of the web console against the real server and the demo city:
 * login, the map with the region layers, the region tree and the language switch.
 * Needs Debian's chromium at /usr/bin/chromium (skipped otherwise).
 * Screenshots go to artifacts/screenshots/.
 */
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HAS_CHROMIUM, launchBrowser, openPage, SHOTS } from './browser.ts';
import { colourStats, decodePng } from './png.ts';
import { ensureWebBuild, startServer, type TestServer } from './server.ts';

const GRID_FILL = 'grid-fill';
const HIGHLIGHT_LINE = 'highlight-line';

/** The parts of the page's map the tests touch (the page runs MapLibre; these types stay DOM-free). */
interface MapHandle {
  queryRenderedFeatures(opts: { layers: string[] }): unknown[];
  getCenter(): { lng: number; lat: number };
  getZoom(): number;
  jumpTo(opts: { center?: [number, number]; zoom?: number }): void;
  isMoving(): boolean;
  loaded(): boolean;
  areTilesLoaded(): boolean;
  getCanvas(): { toDataURL(type?: string): string };
}
interface PageGlobals {
  __cityloopMap?: MapHandle;
  document: { body: { dataset: Record<string, string | undefined> } };
}

interface TreeNode {
  id: number;
  level: string;
  code: string;
  name: string;
  bbox: [number, number, number, number];
  gridCount: number;
  children?: TreeNode[];
}

describe.skipIf(!HAS_CHROMIUM)('web console in a browser', () => {
  let server: TestServer | undefined;
  let browser: Browser | undefined;

  beforeAll(async () => {
    ensureWebBuild();
    server = await startServer();
    browser = await launchBrowser();
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  }, 60_000);

  async function newPage(): ReturnType<typeof openPage> {
    if (!browser) throw new Error('no browser');
    return openPage(browser);
  }

  async function login(page: Page, screenshot?: string): Promise<void> {
    if (!server) throw new Error('no server');
    await page.goto(`${server.url}/map`);
    await page.waitForURL(/\/login/);
    await page.locator('#login-username').fill('admin');
    await page.locator('#login-password').fill('demo1234');
    if (screenshot) await page.screenshot({ path: path.join(SHOTS, screenshot) });
    await page.getByTestId('login-submit').click();
    await page.waitForURL(/\/map/, { timeout: 30_000 });
  }

  async function waitMapReady(page: Page): Promise<void> {
    await page.waitForFunction(() => (globalThis as unknown as PageGlobals).document.body.dataset.mapReady === '1', undefined, {
      timeout: 90_000,
    });
  }

  async function waitMapIdle(page: Page): Promise<void> {
    await page.waitForFunction(
      () => {
        const m = (globalThis as unknown as PageGlobals).__cityloopMap;
        return !!m && !m.isMoving() && m.loaded() && m.areTilesLoaded();
      },
      undefined,
      { timeout: 30_000 },
    );
    await page.waitForTimeout(300);
  }

  async function canvasStats(page: Page) {
    const dataUrl = await page.evaluate(
      () => (globalThis as unknown as PageGlobals).__cityloopMap?.getCanvas().toDataURL('image/png') ?? '',
    );
    expect(dataUrl.startsWith('data:image/png;base64,')).toBe(true);
    return colourStats(decodePng(Buffer.from(dataUrl.slice('data:image/png;base64,'.length), 'base64')));
  }

  it('logs in, renders the region layers and flies to a region picked in the tree', async () => {
    const { context, page, errors } = await newPage();
    try {
      await login(page, 'login.png');
      await waitMapReady(page);
      await waitMapIdle(page);
      await page.screenshot({ path: path.join(SHOTS, 'map-city.png') });

      // The city view is drawn: more than a blank background.
      const city = await canvasStats(page);
      expect(city.distinct).toBeGreaterThan(4);
      expect(city.dominantShare).toBeLessThan(0.97);

      // Pick a community from the tree through the search box.
      const res = await page.request.get(`${server?.url}/api/regions/tree`);
      expect(res.ok()).toBe(true);
      const tree = (await res.json()) as TreeNode[];
      const community = tree.flatMap((d) => d.children ?? []).flatMap((s) => s.children ?? [])[0];
      expect(community, 'the demo city has communities').toBeTruthy();
      if (!community) return;

      const before = await page.evaluate(() => {
        const c = (globalThis as unknown as PageGlobals).__cityloopMap?.getCenter();
        return { lng: c?.lng ?? 0, lat: c?.lat ?? 0, zoom: (globalThis as unknown as PageGlobals).__cityloopMap?.getZoom() ?? 0 };
      });
      await page.getByTestId('region-search').locator('input').fill(community.code);
      await page.getByTestId(`region-${community.code}`).click();
      await page.waitForFunction(
        (prev) => {
          const m = (globalThis as unknown as PageGlobals).__cityloopMap;
          if (!m) return false;
          const c = m.getCenter();
          return Math.abs(c.lng - prev.lng) > 1e-6 || Math.abs(c.lat - prev.lat) > 1e-6 || Math.abs(m.getZoom() - prev.zoom) > 1e-3;
        },
        before,
        { timeout: 15_000 },
      );
      await waitMapIdle(page);
      const after = await page.evaluate(() => {
        const c = (globalThis as unknown as PageGlobals).__cityloopMap?.getCenter();
        return { lng: c?.lng ?? 0, lat: c?.lat ?? 0, zoom: (globalThis as unknown as PageGlobals).__cityloopMap?.getZoom() ?? 0 };
      });
      const [w, s, e, n] = community.bbox;
      expect(after.lng).toBeGreaterThanOrEqual(w);
      expect(after.lng).toBeLessThanOrEqual(e);
      expect(after.lat).toBeGreaterThanOrEqual(s);
      expect(after.lat).toBeLessThanOrEqual(n);

      // Unit grids are drawn from zoom 12 on.
      if (after.zoom < 12.5) {
        await page.evaluate((z) => (globalThis as unknown as PageGlobals).__cityloopMap?.jumpTo({ zoom: z }), 13);
        await waitMapIdle(page);
      }
      const grids = await page.evaluate(
        (layer) => (globalThis as unknown as PageGlobals).__cityloopMap?.queryRenderedFeatures({ layers: [layer] }).length ?? 0,
        GRID_FILL,
      );
      expect(grids).toBeGreaterThan(0);
      const outline = await page.evaluate(
        (layer) => (globalThis as unknown as PageGlobals).__cityloopMap?.queryRenderedFeatures({ layers: [layer] }).length ?? 0,
        HIGHLIGHT_LINE,
      );
      expect(outline).toBeGreaterThan(0);
      const zoomed = await canvasStats(page);
      expect(zoomed.distinct).toBeGreaterThan(4);
      expect(zoomed.dominantShare).toBeLessThan(0.97);
      await page.screenshot({ path: path.join(SHOTS, 'map-community.png') });

      // Clicking the map locates the point in the grid system.
      const box = await page.getByTestId('map').boundingBox();
      if (!box) throw new Error('map has no box');
      await page.mouse.click(box.x + box.width / 2, box.y + box.height / 2);
      const popup = page.getByTestId('locate-popup');
      await expect.poll(async () => (await popup.textContent()) ?? '', { timeout: 15_000 }).toMatch(/\d{8,}|不在城市范围内/);
      await page.screenshot({ path: path.join(SHOTS, 'map-locate.png') });

      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  }, 180_000);

  it('switches the interface to English', async () => {
    const { context, page, errors } = await newPage();
    try {
      await login(page);
      await waitMapReady(page);
      await expect.poll(() => page.getByTestId('logout').textContent()).toContain('退出登录');
      await page.getByTestId('lang-switch').getByText('English', { exact: true }).click();
      await expect.poll(() => page.getByTestId('logout').textContent()).toContain('Log out');
      await expect.poll(() => page.getByTestId('layer-panel').textContent()).toContain('Unit grids');
      expect(
        await page.evaluate(
          () => (globalThis as unknown as { document: { documentElement: { lang: string } } }).document.documentElement.lang,
        ),
      ).toBe('en');
      await page.screenshot({ path: path.join(SHOTS, 'map-english.png') });

      // The choice survives a reload.
      await page.reload();
      await waitMapReady(page);
      await expect.poll(() => page.getByTestId('logout').textContent()).toContain('Log out');
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  }, 180_000);
});
