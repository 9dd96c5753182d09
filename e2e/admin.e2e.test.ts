/**
 * 应用维护 and 部件普查 in a browser against the real server: an administrator creates a
 * department and a person (the form shows a refusal beside its field), changes a class's
 * disposal limit, binds a workflow, marks a holiday, and finds each change in the audit log
 * with its before/after; the beats, regions and census pages show their map, and a component
 * opens its details and cases; a dispatcher gets none of these pages and the API refuses.
 * One server, one browser. Screenshots of every page go to artifacts/screenshots/admin-*.png.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeAll, HAS_CHROMIUM, launchBrowser, openPage, pick, shot, login as signIn } from './browser.ts';
import { ensureWebBuild, ROOT, startServer, type TestServer } from './server.ts';

/** Real Yichang district boundaries beside the repository (tests only; the product never reads them). */
const YICHANG = path.resolve(ROOT, '../shared/data/yichang-districts.geojson');
const YICHANG_DIVISIONS = path.resolve(ROOT, '../shared/data/yichang-divisions.csv');

const rectangle = (x0: number, y0: number, x1: number, y1: number) => ({
  type: 'Polygon',
  coordinates: [
    [
      [x0, y0],
      [x1, y0],
      [x1, y1],
      [x0, y1],
      [x0, y0],
    ],
  ],
});
const feature = (properties: Record<string, unknown>, geometry: unknown) => ({ type: 'Feature', properties, geometry });

/** A made-up district east of the demo city: one street, one community (the same square), two grids side by side. */
const X = 112.2;
const Y = 30.5;
const NEW_DISTRICT = {
  type: 'FeatureCollection',
  features: [
    feature({ adcode: 420599, name: '测试新区' }, rectangle(X, Y, X + 0.008, Y + 0.008)),
    feature({ code: '420599001', name: '测试新街道' }, rectangle(X, Y, X + 0.008, Y + 0.008)),
    feature({ code: '420599001001', name: '测试新社区' }, rectangle(X, Y, X + 0.008, Y + 0.008)),
    feature({ code: '420599001001001', name: '测试一号网格' }, rectangle(X, Y, X + 0.004, Y + 0.008)),
    feature({ code: '420599001001002', name: '测试二号网格' }, rectangle(X + 0.004, Y, X + 0.008, Y + 0.008)),
  ],
};

/** The part of the console's MapLibre map (window.__cityloopMap) the test drives. */
interface MapHandle {
  jumpTo(o: { center: [number, number]; zoom: number }): void;
  project(p: [number, number]): { x: number; y: number };
  getCanvas(): { getBoundingClientRect(): { left: number; top: number } };
}

/** What the test reads of the page's globals (the e2e files compile without the DOM library). */
interface PageGlobals {
  document: { body: { dataset: Record<string, string | undefined> } };
  __cityloopMap: MapHandle;
}

interface AuditRow {
  action: string;
  entity: string;
  entityId: string | null;
  actorName: string | null;
  before: Record<string, unknown> | null;
  after: Record<string, unknown> | null;
}

describe.skipIf(!HAS_CHROMIUM)('应用维护: maintenance pages and the census', () => {
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

  /** Signs in on the login page that `target` redirects to. */
  async function login(page: Page, username: string, target: string): Promise<void> {
    if (!server) throw new Error('not started');
    await signIn(page, server.url, username, target);
  }

  /** Scrolls a maintenance page back to its top (it scrolls inside .cl-maint-page, not the window). */
  async function scrollToTop(page: Page): Promise<void> {
    await page.locator('.cl-maint-page').evaluate((el) => {
      (el as unknown as { scrollTop: number }).scrollTop = 0;
    });
  }

  /** Goes to a console page through the address bar (the session cookie stays). */
  async function open(page: Page, target: string, testId: string): Promise<void> {
    if (!server) throw new Error('not started');
    await page.goto(`${server.url}${target}`);
    await page.getByTestId(testId).waitFor({ timeout: 30_000 });
  }

  it('creates, edits, binds and marks through the pages, and audits every change', async () => {
    if (!browser || !server) throw new Error('not started');
    const opened = await openPage(browser);
    contexts.push(opened.context);
    const { page, errors } = opened;
    const api = page.request;
    const base = server.url;

    // --- 部门与人员 -------------------------------------------------------------------
    await login(page, 'admin', '/admin/orgs');
    await page.waitForURL((u) => u.pathname === '/admin/orgs', { timeout: 30_000 });
    await page.getByTestId('orgs-page').waitFor();
    await page.getByTestId('menu-group-maintenance').waitFor();
    await page.locator('[data-testid^="dept-row-"]').first().waitFor();

    await page.getByTestId('dept-new').click();
    await page.getByTestId('dept-code').fill('E2E-PARK');
    await page.getByTestId('dept-name').fill('测试园林养护队');
    await pick(page, 'dept-parent', '园林');
    await page.getByTestId('dept-save').click();
    // Saved when the dialog has gone (it stays, with the problem shown, when the save fails).
    await page.getByTestId('dept-form').waitFor({ state: 'detached', timeout: 30_000 });
    await page.getByTestId('dept-search').locator('input').fill('E2E-PARK');
    await page.getByTestId('dept-row-E2E-PARK').waitFor();
    const depts = (await (await api.get(`${base}/api/departments`)).json()) as Array<{ id: number; code: string; level: string }>;
    const dept = depts.find((d) => d.code === 'E2E-PARK');
    expect(dept).toMatchObject({ level: 'district' });

    // The person form: required fields first, then the server's refusal beside the username.
    await page.getByTestId('person-new').click();
    await page.getByTestId('person-save').click();
    await page.locator('.ant-modal .ant-form-item-explain-error').first().waitFor();
    await page.getByTestId('person-username').fill('admin');
    await page.getByTestId('person-name').fill('测试养护员');
    await page.getByTestId('person-phone').fill('13800001234');
    await pick(page, 'person-department', '测试园林养护队');
    await page.getByTestId('person-password').fill('handler-pass-1');
    await page.getByTestId('person-save').click();
    await page.getByTestId('person-form-error').getByText('username_taken').waitFor();
    await shot(page, 'admin-1-person-error.png');
    await page.getByTestId('person-username').fill('e2e_park');
    await page.getByTestId('person-save').click();
    await page.getByTestId('person-form').waitFor({ state: 'detached' });
    await page.getByTestId('person-search').locator('input').fill('e2e_park');
    await page.getByTestId('person-row-e2e_park').waitFor();
    await shot(page, 'admin-2-orgs.png');
    const people = (await (await api.get(`${base}/api/people`, { params: { q: 'e2e_park' } })).json()) as Array<{
      id: number;
      departmentId: number;
      roles: string[];
    }>;
    expect(people[0]).toMatchObject({ departmentId: dept?.id, roles: ['handler'] });

    // --- 分类与时限: a class's disposal limit ------------------------------------------
    const settings = (await (await api.get(`${base}/api/settings`)).json()) as { edition: string };
    const classUrl = `${base}/api/taxonomy/classes/${encodeURIComponent(settings.edition)}/component/0101`;
    const before = (await (await api.get(classUrl)).json()) as { disposalLimit: { value: number } | null };
    const newValue = (before.disposalLimit?.value ?? 1) + 2;
    await open(page, '/admin/classes', 'classes-page');
    await page.getByTestId('class-search').locator('input').fill('0101');
    await page.getByTestId('class-row-0101').click();
    await page.getByTestId('class-editor').waitFor();
    await page.locator('[data-testid="class-limit-value"] input, input[data-testid="class-limit-value"]').first().fill(String(newValue));
    await page.getByTestId('class-save').click();
    await expect.poll(async () => ((await (await api.get(classUrl)).json()) as typeof before).disposalLimit?.value).toBe(newValue);
    await shot(page, 'admin-3-classes.png');

    // 工作流绑定: the flattened workflow for all event classes in one district.
    await page.getByRole('tab', { name: '工作流绑定' }).click();
    await page.getByTestId('bindings-note').waitFor();
    const tree = (await (await api.get(`${base}/api/regions/tree`)).json()) as Array<{ id: number; name: string; level: string }>;
    const district = tree.find((n) => n.level === 'district');
    if (!district) throw new Error('the demo city has no district');
    await pick(page, 'binding-district', district.name);
    await page.getByTestId('binding-add').click();
    await page.locator('[data-testid^="binding-row-"]').first().waitFor();
    const bindings = (await (await api.get(`${base}/api/workflows/bindings`)).json()) as Array<{
      districtId: number | null;
      workflow: string;
      classCode: string | null;
    }>;
    expect(bindings).toContainEqual(expect.objectContaining({ districtId: district.id, workflow: 'flattened', classCode: null }));
    await shot(page, 'admin-4-bindings.png');
    await page.getByRole('tab', { name: '阶段时限' }).click();
    await page.getByTestId('phase-receive').waitFor();
    await shot(page, 'admin-5-phase-limits.png');

    // --- 工作日历: a workday becomes a holiday --------------------------------------------
    await open(page, '/admin/calendar', 'calendar-page');
    const year = Number((await page.getByTestId('calendar-year').textContent())?.match(/\d{4}/)?.[0]);
    const workday = page.locator(`[data-testid^="cal-day-${year}-12-"][data-kind="workday"]`).first();
    const day = ((await workday.getAttribute('data-testid')) ?? '').replace('cal-day-', '');
    await workday.click();
    await page.getByTestId('day-kind').getByText('节假日').click();
    await page.getByTestId('day-name').fill('城市节');
    await page.getByTestId('day-save').click();
    await page.locator(`[data-testid="cal-day-${day}"][data-kind="holiday"]`).waitFor();
    await shot(page, 'admin-6-calendar.png');

    // --- 监督员责任网格 ----------------------------------------------------------------
    // A grid of the second beat moves into the first by a click on the map.
    const beats = (await (await api.get(`${base}/api/beats`)).json()) as Array<{ id: number; code: string }>;
    const [first, second] = beats;
    if (!first || !second) throw new Error('the demo city has fewer than two beats');
    const secondGrids = ((await (await api.get(`${base}/api/beats/${second.id}`)).json()) as { gridIds: number[] }).gridIds;
    const grid = (await (await api.get(`${base}/api/regions/${secondGrids[0]}`)).json()) as { bbox: number[] };
    await open(page, '/admin/beats', 'beats-page');
    await page.getByTestId(`beat-row-${first.code}`).click();
    await page.getByTestId('beat-summary').waitFor();
    await page.waitForFunction(() => (globalThis as unknown as PageGlobals).document.body.dataset.gridMapReady);
    await page.waitForLoadState('networkidle');
    const centre: [number, number] = [((grid.bbox[0] ?? 0) + (grid.bbox[2] ?? 0)) / 2, ((grid.bbox[1] ?? 0) + (grid.bbox[3] ?? 0)) / 2];
    // The grid under the bbox centre (a blocky demo grid may not cover its own centre).
    const located = (await (await api.get(`${base}/api/regions/locate`, { params: { lng: centre[0], lat: centre[1] } })).json()) as {
      grid: { id: number };
    };
    const firstGrids = ((await (await api.get(`${base}/api/beats/${first.id}`)).json()) as { gridIds: number[] }).gridIds;
    const adding = !firstGrids.includes(located.grid.id);
    const gridAt = await page.evaluate(([lng, lat]) => {
      const m = (globalThis as unknown as PageGlobals).__cityloopMap;
      m.jumpTo({ center: [lng, lat], zoom: 16 });
      const p = m.project([lng, lat]);
      const r = m.getCanvas().getBoundingClientRect();
      return { x: r.left + p.x, y: r.top + p.y };
    }, centre);
    await page.waitForTimeout(500);
    await page.mouse.click(gridAt.x, gridAt.y);
    await page.getByText(adding ? '加入：' : '移出：').waitFor();
    await shot(page, 'admin-8-beats.png');
    await page.getByTestId('beat-save').click();
    await expect
      .poll(async () =>
        ((await (await api.get(`${base}/api/beats/${first.id}`)).json()) as { gridIds: number[] }).gridIds.includes(located.grid.id),
      )
      .toBe(adding);

    // --- 操作审计: each change with who and the before/after ------------------------------
    const audit = (await (await api.get(`${base}/api/audit`, { params: { limit: 50 } })).json()) as AuditRow[];
    const find = (action: string) => audit.find((r) => r.action === action);
    expect(find('department.create')).toMatchObject({ entityId: String(dept?.id), actorName: expect.any(String) });
    expect(find('person.create')?.entityId).toBe(String(people[0]?.id));
    expect(find('taxonomy.update')?.after).toMatchObject({ disposalLimit: { value: newValue } });
    expect(find('workflow.bind')).toBeDefined();
    expect(find('calendar.day.set')?.entityId).toBe(day);
    expect(find('beat.update')?.entityId).toBe(String(first.id));
    await open(page, '/admin/audit', 'audit-page');
    for (const label of ['新建部门', '新建人员', '修改分类', '绑定工作流', '修改日历', '修改责任网格']) {
      await page.getByTestId('audit-table').getByText(label, { exact: true }).first().waitFor();
    }
    // The class change opens on its before/after, the limit among the changed fields.
    await page.getByTestId('audit-table').getByText('修改分类', { exact: true }).first().click();
    const diff = page.getByTestId('audit-diff').first();
    await diff.waitFor();
    expect(await diff.textContent()).toContain('disposalLimit');
    await shot(page, 'admin-7-audit.png');
    // Filtered to one object type.
    await pick(page, 'audit-entity', '日历');
    await expect.poll(async () => page.getByTestId('audit-action-tag').allTextContents()).toEqual(expect.arrayContaining(['修改日历']));
    expect(new Set(await page.getByTestId('audit-action-tag').allTextContents())).toEqual(new Set(['修改日历']));

    // --- 网格与区域 ------------------------------------------------------------------------
    await open(page, '/admin/regions', 'regions-page');
    await page.waitForFunction(() => (globalThis as unknown as PageGlobals).document.body.dataset.gridMapReady);
    const box = await page.getByTestId('regions-map').boundingBox();
    if (!box) throw new Error('no map');
    await page.mouse.click(box.x + box.width / 2, box.y + box.height / 2);
    await page.getByTestId('region-name').waitFor();
    await shot(page, 'admin-9-regions.png');

    // --- 部件普查: clusters, then a component with its details --------------------------
    const comps = (await (await api.get(`${base}/api/components`, { params: { limit: 1 } })).json()) as {
      items: Array<{ id: number; code: string; lng: number; lat: number }>;
    };
    const comp = comps.items[0];
    if (!comp) throw new Error('the demo city has no components');
    await open(page, '/census', 'census-page');
    await page.waitForFunction(() => (globalThis as unknown as PageGlobals).document.body.dataset.censusReady);
    await page.getByTestId('census-count').getByText(/\d/).waitFor();
    await shot(page, 'admin-10-census-clusters.png');
    const stamp = await page.evaluate(() => (globalThis as unknown as PageGlobals).document.body.dataset.censusReady);
    await page.evaluate(([lng, lat]) => (globalThis as unknown as PageGlobals).__cityloopMap.jumpTo({ center: [lng, lat], zoom: 18 }), [
      comp.lng,
      comp.lat,
    ] as [number, number]);
    await page.waitForFunction((s) => (globalThis as unknown as PageGlobals).document.body.dataset.censusReady !== s, stamp);
    const at = await page.evaluate(
      ([lng, lat]) => {
        const m = (globalThis as unknown as PageGlobals).__cityloopMap;
        const p = m.project([lng, lat]);
        const r = m.getCanvas().getBoundingClientRect();
        return { x: r.left + p.x, y: r.top + p.y };
      },
      [comp.lng, comp.lat] as [number, number],
    );
    await page.mouse.click(at.x, at.y);
    await page.getByTestId('census-detail').waitFor();
    expect(await page.getByTestId('census-code').textContent()).toBe(comp.code);
    await page.getByTestId('census-cases').waitFor();
    await shot(page, 'admin-11-census-component.png');

    expect(errors).toEqual([]);
  }, 240_000);

  it('imports divisions and grids from a GeoJSON upload, edits a grid boundary, and reads in English', async () => {
    if (!browser || !server) throw new Error('not started');
    const base = server.url;
    const opened = await openPage(browser);
    contexts.push(opened.context);
    const { page, errors } = opened;
    const api = page.request;
    await login(page, 'admin', '/admin/regions');
    await page.getByTestId('regions-page').waitFor({ timeout: 30_000 });
    await page.waitForFunction(() => (globalThis as unknown as PageGlobals).document.body.dataset.gridMapReady);
    const upload = async (name: string, content: unknown) => {
      await page
        .getByTestId('region-import')
        .locator('input[type=file]')
        .first()
        .setInputFiles({ name, mimeType: 'application/geo+json', buffer: Buffer.from(JSON.stringify(content)) });
    };

    // The real Yichang districts (read from ../shared/data, never copied into the repository)
    // with two bad features added: the problems name them, and nothing is offered for import.
    const yichang = JSON.parse(fs.readFileSync(YICHANG, 'utf8')) as { type: string; features: unknown[] };
    const n = yichang.features.length;
    await upload('yichang-bad.geojson', {
      ...yichang,
      features: [
        ...yichang.features,
        feature({ adcode: 420599 }, rectangle(X, Y, X + 0.01, Y + 0.01)),
        feature(
          { code: '420599001', name: '线' },
          {
            type: 'LineString',
            coordinates: [
              [X, Y],
              [X + 0.01, Y + 0.01],
            ],
          },
        ),
      ],
    });
    const problems = page.getByTestId('region-import-problems');
    await problems.getByText('name_missing').waitFor({ timeout: 30_000 });
    expect(await problems.textContent()).toContain(`第 ${n + 1} 个要素`);
    expect(await problems.textContent()).toContain('geometry_wrong_type');
    expect(await page.getByTestId('region-import-error').textContent()).toContain('region_import_invalid');
    expect(await page.getByTestId('region-import-run').count()).toBe(0);
    await page.getByTestId('region-import').scrollIntoViewIfNeeded();
    await shot(page, 'admin-14-region-import-problems.png');

    // The same file without them: a preview of 13 districts, nothing written until 导入.
    await upload('yichang-districts.geojson', yichang);
    const preview = page.getByTestId('region-import-preview');
    await preview.waitFor({ timeout: 60_000 });
    expect(await preview.textContent()).toContain('13');
    await page.getByTestId('region-import-warnings').waitFor();
    await shot(page, 'admin-15-region-import-preview.png');

    // With the divisions CSV beside it: every street the CSV names, none of which has a boundary
    // in the file, is derived from its district; the preview says so. Removing the CSV checks the
    // file again without it. Nothing is imported.
    const csv = fs.readFileSync(YICHANG_DIVISIONS);
    const streets = csv
      .toString('utf8')
      .split('\n')
      .filter((l) => l.split(',')[2] === 'street').length;
    expect(streets).toBeGreaterThan(100);
    await page
      .getByTestId('region-import')
      .locator('input[type=file]')
      .nth(1)
      .setInputFiles({ name: 'yichang-divisions.csv', mimeType: 'text/csv', buffer: csv });
    await expect.poll(async () => page.getByTestId('region-import-street').textContent(), { timeout: 60_000 }).toBe(String(streets));
    expect(await page.getByTestId('region-import-derived').textContent()).toBe(String(streets));
    expect(await page.getByTestId('region-import-district').textContent()).toBe('13');
    await shot(page, 'admin-15b-region-import-with-divisions.png');
    await page.getByTestId('region-import-csv-name').locator('.anticon-close').click();
    await expect.poll(async () => page.getByTestId('region-import-street').textContent(), { timeout: 60_000 }).toBe('0');
    expect(await page.getByTestId('region-import-csv-name').count()).toBe(0);

    // A new district with a street, a community and two unit grids: previewed, then imported.
    await upload('new-district.geojson', NEW_DISTRICT);
    await preview.waitFor();
    await expect.poll(async () => page.getByTestId('region-import-run').textContent()).toContain('5');
    await page.getByTestId('region-import-run').click();
    await page.getByText('已导入 5 条区划与网格').waitFor({ timeout: 30_000 });
    const imported = (await (await api.get(`${base}/api/regions`, { params: { q: '420599' } })).json()) as {
      items: Array<{ id: number; code: string; level: string; version: number }>;
    };
    expect(imported.items.map((r) => r.code).sort()).toEqual(['420599', '420599001', '420599001001', '420599001001001', '420599001001002']);
    const audit = (await (await api.get(`${base}/api/audit`, { params: { limit: 5 } })).json()) as AuditRow[];
    expect(audit.find((r) => r.action === 'region.import')?.after).toMatchObject({ districts: 1, grids: 2, dryRun: false });
    await page.getByTestId('region-tree').getByText('测试新区').waitFor();

    // 网格边界: the first grid, shrunk, is saved as version 2; one reaching out of its community is refused.
    await page.waitForFunction(() => (globalThis as unknown as PageGlobals).document.body.dataset.gridMapReady);
    const at = await page.evaluate(
      ([lng, lat]) => {
        const m = (globalThis as unknown as PageGlobals).__cityloopMap;
        m.jumpTo({ center: [lng, lat], zoom: 16 });
        const p = m.project([lng, lat]);
        const r = m.getCanvas().getBoundingClientRect();
        return { x: r.left + p.x, y: r.top + p.y };
      },
      [X + 0.002, Y + 0.004] as [number, number],
    );
    await page.waitForTimeout(800);
    await page.mouse.click(at.x, at.y);
    await expect.poll(async () => page.getByTestId('region-name').textContent()).toBe('测试一号网格');
    const boundaryFile = page.getByTestId('region-detail').locator('input[type=file]').first();
    await boundaryFile.setInputFiles({
      name: 'outside.geojson',
      mimeType: 'application/geo+json',
      buffer: Buffer.from(JSON.stringify(rectangle(X - 0.002, Y, X + 0.004, Y + 0.008))),
    });
    await page.getByTestId('region-save').click();
    await page.getByTestId('region-error').getByText('grid_outside_community').waitFor();
    await scrollToTop(page);
    await shot(page, 'admin-16-region-boundary-refused.png', false);
    await boundaryFile.setInputFiles({
      name: 'smaller.geojson',
      mimeType: 'application/geo+json',
      buffer: Buffer.from(JSON.stringify(rectangle(X + 0.0005, Y + 0.0005, X + 0.0035, Y + 0.0075))),
    });
    await page.getByTestId('region-save').click();
    await page.getByTestId('region-detail').getByText('v2').waitFor({ timeout: 30_000 });
    const grid = (await (await api.get(`${base}/api/regions`, { params: { q: '420599001001001' } })).json()) as {
      items: Array<{ version: number; areaM2: number }>;
    };
    expect(grid.items[0]?.version).toBe(2);

    // 编辑顶点: the north-east corner's handle, dragged inwards with the mouse, is saved as version 3.
    await page.getByTestId('region-edit-vertices').click();
    const handle = page.getByTestId('vertex-2');
    await handle.waitFor();
    const box = await handle.boundingBox();
    if (!box) throw new Error('vertex handle not on screen');
    const [hx, hy] = [box.x + box.width / 2, box.y + box.height / 2];
    await page.mouse.move(hx, hy);
    await page.mouse.down();
    await page.mouse.move(hx - 20, hy + 15, { steps: 8 });
    await page.mouse.move(hx - 40, hy + 30, { steps: 8 });
    await page.mouse.up();
    await page.getByTestId('region-save').waitFor();
    await shot(page, 'admin-16b-region-vertex-dragged.png', false);
    await page.getByTestId('region-save').click();
    await page.getByTestId('region-detail').getByText('v3').waitFor({ timeout: 30_000 });
    // A new version is a new row: the current one is found by its code.
    const current = (await (await api.get(`${base}/api/regions`, { params: { q: '420599001001001' } })).json()) as {
      items: Array<{ id: number }>;
    };
    const moved = (await (await api.get(`${base}/api/regions/${current.items[0]?.id}`)).json()) as {
      version: number;
      areaM2: number;
      geometry: { type: string; coordinates: number[][][] | number[][][][] };
    };
    expect(moved.version).toBe(3);
    // The corner moved west and south; the other corners stayed where they were.
    const ring = (moved.geometry.type === 'Polygon' ? moved.geometry.coordinates[0] : moved.geometry.coordinates[0]?.[0]) as number[][];
    const near = (p: number[], x: number, y: number) => Math.abs((p[0] ?? 0) - x) < 1e-7 && Math.abs((p[1] ?? 0) - y) < 1e-7;
    for (const [x, y] of [
      [X + 0.0005, Y + 0.0005],
      [X + 0.0035, Y + 0.0005],
      [X + 0.0005, Y + 0.0075],
    ] as const) {
      expect(ring.some((p) => near(p, x, y))).toBe(true);
    }
    expect(ring.some((p) => near(p, X + 0.0035, Y + 0.0075))).toBe(false);
    const corner = ring.find((p) => (p[0] ?? 0) > X + 0.002 && (p[1] ?? 0) > Y + 0.004) ?? [];
    expect(corner[0]).toBeLessThan(X + 0.0035);
    expect(corner[1]).toBeLessThan(Y + 0.0075);
    expect(moved.areaM2).toBeLessThan(grid.items[0]?.areaM2 ?? 0);

    // English: the same page in the other language, then back.
    await scrollToTop(page);
    await page.getByTestId('lang-switch').getByText('English').click();
    await page.getByText('Import divisions and grids').waitFor();
    await page.getByTestId('regions-page').getByText('Grids & regions').first().waitFor();
    await shot(page, 'admin-17-regions-en.png', false);
    await page.getByTestId('lang-switch').getByText('中文').click();
    await page.getByText('导入区划与网格').waitFor();
    expect(errors).toEqual([]);
  }, 180_000);

  it('adds and removes a city extension class, sets a phase limit and the working periods', async () => {
    if (!browser || !server) throw new Error('not started');
    const base = server.url;
    const opened = await openPage(browser);
    contexts.push(opened.context);
    const { page, errors } = opened;
    const api = page.request;
    await login(page, 'admin', '/admin/classes');
    await page.getByTestId('classes-page').waitFor({ timeout: 30_000 });

    // 城市扩展细类 under 0101, then removed again.
    const { edition } = (await (await api.get(`${base}/api/settings`)).json()) as { edition: string };
    const minor = '0101';
    const detail = `${minor}${edition === 'CJT214-2007' ? '' : '0'}99`.slice(0, minor.length + 2);
    await page.getByTestId('class-search').locator('input').fill(minor);
    await page.getByTestId(`class-row-${minor}`).click();
    await page.getByTestId('class-editor').waitFor();
    await page.getByTestId('class-new').click();
    await page.getByTestId('class-new-code').fill(detail);
    await page.getByTestId('class-new-name').fill('测试扩展细类');
    await page.getByTestId('class-create').click();
    await page.getByTestId('class-editor').getByText('测试扩展细类').waitFor({ timeout: 30_000 });
    const classUrl = `${base}/api/taxonomy/classes/${encodeURIComponent(edition)}/component/${detail}`;
    expect(((await (await api.get(classUrl)).json()) as { isExtension: boolean }).isExtension).toBe(true);
    await shot(page, 'admin-18-class-extension.png');
    await page.getByTestId('class-delete').click();
    await page.locator('.ant-popconfirm .ant-btn-primary').click();
    await expect.poll(async () => (await api.get(classUrl)).status()).toBe(404);

    // 阶段时限: 受理 gets one more unit.
    const phaseLimits = async () =>
      ((await (await api.get(`${base}/api/settings`)).json()) as { phaseLimits: Record<string, { value: number }> }).phaseLimits;
    const receive = (await phaseLimits()).receive?.value ?? 1;
    await page.getByRole('tab', { name: '阶段时限' }).click();
    await page.getByTestId('phase-receive').waitFor();
    const receiveInput = page.locator('[data-testid="phase-receive-value"] input, input[data-testid="phase-receive-value"]').first();
    await expect.poll(async () => receiveInput.inputValue()).toBe(String(receive));
    await receiveInput.fill(String(receive + 1));
    await page.getByTestId('phase-save').click();
    await expect.poll(async () => (await phaseLimits()).receive?.value).toBe(receive + 1);

    // 工作时段: the morning ends half an hour earlier, then is put back.
    const periods = async () =>
      (
        (await (await api.get(`${base}/api/calendar/${new Date().getFullYear()}`)).json()) as {
          workingPeriods: Array<{ start: string; end: string }>;
        }
      ).workingPeriods;
    const original = await periods();
    const morningEnd = page.getByTestId('period-0').locator('input').nth(1);
    await page.goto(`${base}/admin/calendar`);
    await page.getByTestId('working-periods').waitFor({ timeout: 30_000 });
    await expect.poll(async () => morningEnd.inputValue()).toBe(original[0]?.end);
    const [h = 12, m = 0] = (original[0]?.end ?? '12:00').split(':').map(Number);
    const minutes = h * 60 + m - 30;
    const earlier = `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;
    await morningEnd.fill(earlier);
    await page.getByTestId('periods-save').click();
    await expect.poll(async () => (await periods())[0]?.end).toBe(earlier);
    await page.getByTestId('working-periods').scrollIntoViewIfNeeded();
    await shot(page, 'admin-19-working-periods.png', false);
    await morningEnd.fill(original[0]?.end ?? '12:00');
    await page.getByTestId('periods-save').click();
    await expect.poll(async () => (await periods())[0]?.end).toBe(original[0]?.end);

    const audit = (await (await api.get(`${base}/api/audit`, { params: { limit: 20 } })).json()) as AuditRow[];
    const actions = audit.map((r) => r.action);
    for (const a of ['taxonomy.create', 'taxonomy.delete', 'settings.update']) expect(actions).toContain(a);
    expect(errors).toEqual([]);
  }, 180_000);

  it('creates a beat for an inspector, gives it a grid on the map, and deletes it', async () => {
    if (!browser || !server) throw new Error('not started');
    const base = server.url;
    const opened = await openPage(browser);
    contexts.push(opened.context);
    const { page, errors } = opened;
    const api = page.request;
    await login(page, 'admin', '/admin/beats');
    await page.getByTestId('beats-page').waitFor({ timeout: 30_000 });
    await page.waitForFunction(() => (globalThis as unknown as PageGlobals).document.body.dataset.gridMapReady);

    // A form refusal first (a taken code shows beside its field), then the new beat.
    const beats = (await (await api.get(`${base}/api/beats`)).json()) as Array<{ id: number; code: string }>;
    await page.getByTestId('beat-new').click();
    await page.getByTestId('beat-new-code').fill(beats[0]?.code ?? 'X');
    await page.getByTestId('beat-new-name').fill('测试新责任网格');
    await pick(page, 'beat-new-inspector', '（inspector）');
    await page.getByTestId('beat-create').click();
    await page.getByTestId('beat-new-error').getByText('beat_code_taken').waitFor();
    await page.getByTestId('beat-new-code').fill('E2E-BEAT');
    await page.getByTestId('beat-create').click();
    await page.getByTestId('beat-summary').waitFor();
    const created = (
      (await (await api.get(`${base}/api/beats`)).json()) as Array<{ id: number; code: string; inspectorName: string }>
    ).find((b) => b.code === 'E2E-BEAT');
    expect(created?.inspectorName).toBeTruthy();

    // A grid of the map's centre joins it. The dialog's closing mask covers the map until it is gone, and a
    // raw mouse click is not held back by it: wait for the dialog to leave and the map to be idle first.
    await page.getByTestId('beat-create').waitFor({ state: 'detached' });
    await page.waitForFunction(() => {
      const map = (globalThis as unknown as { __cityloopMap?: { loaded(): boolean } }).__cityloopMap;
      return !!map?.loaded();
    });
    const box = await page.getByTestId('beat-map').boundingBox();
    if (!box) throw new Error('no map');
    await page.mouse.click(box.x + box.width / 2, box.y + box.height / 2);
    await page.getByText('加入：').waitFor();
    await page.getByTestId('beat-save').click();
    await expect
      .poll(async () => ((await (await api.get(`${base}/api/beats/${created?.id}`)).json()) as { gridIds: number[] }).gridIds.length)
      .toBe(1);
    await scrollToTop(page);
    await shot(page, 'admin-20-beat-new.png', false);

    await page.getByTestId('beat-delete').click();
    await page.getByTestId('beat-delete-ok').click();
    await expect.poll(async () => (await api.get(`${base}/api/beats/${created?.id}`)).status()).toBe(404);
    const audit = (await (await api.get(`${base}/api/audit`, { params: { limit: 10 } })).json()) as AuditRow[];
    expect(audit.map((r) => r.action)).toEqual(expect.arrayContaining(['beat.create', 'beat.update', 'beat.delete']));
    expect(errors).toEqual([]);
  }, 120_000);

  it('is not offered to a dispatcher, and the API refuses', async () => {
    if (!browser || !server) throw new Error('not started');
    const opened = await openPage(browser);
    contexts.push(opened.context);
    const { page } = opened;
    await login(page, 'dispatcher', '/admin/orgs');
    await page.waitForURL((u) => u.pathname === '/workbench', { timeout: 30_000 });
    await page.getByTestId('workbench').waitFor({ timeout: 30_000 });
    expect(await page.getByTestId('menu-group-maintenance').count()).toBe(0);
    expect(await page.getByTestId('orgs-page').count()).toBe(0);
    const base = server.url;
    expect((await page.request.get(`${base}/api/audit`)).status()).toBe(403);
    expect((await page.request.post(`${base}/api/departments`, { data: { code: 'X-1', name: '越权', level: 'city' } })).status()).toBe(403);
    await page.goto(`${base}/admin/calendar`);
    await page.waitForURL((u) => u.pathname === '/workbench', { timeout: 30_000 });
    await shot(page, 'admin-12-dispatcher.png');
  }, 120_000);

  it("shows an inspector's day: the track over the beat, each grid by its passes (一日两巡)", async () => {
    if (!browser || !server) throw new Error('not started');
    const base = server.url;
    const opened = await openPage(browser);
    contexts.push(opened.context);
    const { page, errors } = opened;
    const api = page.request;
    await login(page, 'admin', '/patrol');
    await page.waitForURL((u) => u.pathname === '/patrol', { timeout: 30_000 });
    await page.getByTestId('patrol-page').waitFor();

    // The inspector's phone, in a session of its own.
    const phone = await browser.newContext();
    contexts.push(phone);
    const signIn = await phone.request.post(`${base}/api/auth/login`, { data: { username: 'inspector', password: 'demo1234' } });
    expect(signIn.status()).toBe(200);
    const people = (await (await api.get(`${base}/api/people`, { params: { role: 'inspector', q: 'inspector' } })).json()) as Array<{
      id: number;
      username: string;
    }>;
    const inspector = people.find((p) => p.username === 'inspector');
    if (!inspector) throw new Error('the demo city has no inspector');

    // Fixes of today in the city's time zone (a little after midnight: late yesterday instead).
    const { timeZone } = (await (await api.get(`${base}/api/settings`)).json()) as { timeZone: string };
    const dayOf = (ms: number) =>
      new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(new Date(ms));
    const clock = new Intl.DateTimeFormat('en-GB', { timeZone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(new Date());
    const [hh, mm] = clock.split(':').map(Number);
    const end = Date.now() - ((hh ?? 0) * 60 + (mm ?? 0) < 120 ? 180 : 5) * 60_000;
    const day = dayOf(end);

    type DayGrid = { gridId: number; code: string; passes: number; geometry: { coordinates: number[][][][] } };
    type PatrolDay = { grids: DayGrid[]; coverage: { beatGrids: number; visited: number; met: number } };
    const readDay = async () =>
      (await (await api.get(`${base}/api/patrol/day`, { params: { personId: inspector.id, day } })).json()) as PatrolDay;
    const beat = (await readDay()).grids;
    const [gridA, gridB] = beat;
    if (!gridA || !gridB) throw new Error('the demo inspector has fewer than two beat grids');
    /** A point inside a grid: the average of its outer ring's vertices, else of a fan triangle. */
    const inside = async (g: DayGrid): Promise<[number, number]> => {
      const ring = (g.geometry.coordinates[0]?.[0] ?? []).slice(0, -1);
      const avg = (pts: number[][]): [number, number] => [
        pts.reduce((a, p) => a + (p[0] ?? 0), 0) / pts.length,
        pts.reduce((a, p) => a + (p[1] ?? 0), 0) / pts.length,
      ];
      const candidates = [avg(ring), ...ring.slice(1, -1).map((v, i) => avg([ring[0] ?? v, v, ring[i + 2] ?? v]))];
      for (const [lng, lat] of candidates) {
        const hit = (await (await api.get(`${base}/api/regions/locate`, { params: { lng, lat } })).json()) as {
          distanceM: number;
          grid: { id: number };
        };
        if (hit.distanceM === 0 && hit.grid.id === g.gridId) return [lng, lat];
      }
      throw new Error(`no point found inside grid ${g.code}`);
    };
    const a = await inside(gridA);
    const b = await inside(gridB);
    // A, then B, then A again more than 30 minutes later: A is passed twice, B once.
    const fix = (p: [number, number], minutesBefore: number) => ({
      at: new Date(end - minutesBefore * 60_000).toISOString(),
      lng: p[0],
      lat: p[1],
      accuracy: 8,
    });
    const sent = await phone.request.post(`${base}/api/patrol/positions`, {
      data: { fixes: [fix(a, 95), fix(a, 94), fix(b, 60), fix(b, 59), fix(a, 1), fix(a, 0)] },
    });
    expect(sent.status()).toBe(200);
    const after = await readDay();
    const passesOf = (id: number) => after.grids.find((g) => g.gridId === id)?.passes ?? 0;
    expect(passesOf(gridA.gridId)).toBeGreaterThanOrEqual(2);
    expect(passesOf(gridB.gridId)).toBeGreaterThanOrEqual(1);
    expect(after.coverage.visited).toBeGreaterThanOrEqual(2);

    // The page: the inspector and the day, the figures and the grids, the unmet first.
    await pick(page, 'patrol-person', '（inspector）');
    if (day !== dayOf(Date.now())) {
      await page.getByTestId('patrol-day').click();
      await page.keyboard.press('Control+A');
      await page.keyboard.type(day);
      await page.keyboard.press('Enter');
    }
    const { visited, beatGrids, met } = after.coverage;
    await page.getByTestId('patrol-visited').getByText(`${visited} / ${beatGrids}`).waitFor({ timeout: 30_000 });
    expect(await page.getByTestId('patrol-met').textContent()).toContain(`${met} / ${beatGrids}`);
    expect(await page.getByTestId('patrol-length').textContent()).toMatch(/[1-9]|0\.0[1-9]|0\.[1-9]/);
    await page.getByTestId(`patrol-grid-${gridA.code}`).waitFor();
    await page.getByTestId(`patrol-grid-${gridB.code}`).waitFor();
    const rows = await page.locator('[data-testid^="patrol-grid-"]').count();
    expect(rows).toBe(Math.min(beatGrids, 12));
    const firstPasses = Number(await page.locator('[data-testid^="patrol-grid-"]').first().locator('td').nth(2).textContent());
    expect(firstPasses).toBe(Math.min(...after.grids.map((g) => g.passes)));
    await page.getByTestId(`patrol-grid-${gridB.code}`).click();
    await page.locator(`[data-testid="patrol-grid-${gridB.code}"].cl-patrol-row-selected`).waitFor();
    await page.waitForFunction(() => (globalThis as unknown as PageGlobals).document.body.dataset.gridMapReady);
    // Back to the top of the page (the click scrolled to the row) for the picture.
    await page.locator('.cl-maint-page').evaluate((el) => {
      (el as unknown as { scrollTop: number }).scrollTop = 0;
    });
    await shot(page, 'admin-13-patrol.png');
    expect(errors).toEqual([]);
  }, 120_000);
});
