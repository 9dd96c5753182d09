/**
 * The flattened workflow (扁平化流程, Chengdu style) in a browser, one context per role, against
 * the real server: an administrator binds an event class to it on the classes page; a report of
 * that class is registered and dispatched at once by the routing rules (自动立案 + 自动派遣);
 * the department's handler finds it in the 待办 queue, signs for it and feeds back with a photo
 * straight to the shift leader, whose workbench (open beforehand) shows it without a reload;
 * the shift leader looks at the photos and sends it back (退回返工), the handler feeds back
 * again and the shift leader closes it. The log holds every step in order.
 * Needs Debian's chromium at /usr/bin/chromium (skipped otherwise).
 * Screenshots go to artifacts/screenshots/flattened-*.png.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeAll, HAS_CHROMIUM, launchBrowser, pickTreeNode, shot as shotIn, signedIn, takeAction, waitWorkbench } from './browser.ts';
import { ensureWebBuild, startServer, type TestServer } from './server.ts';

/** The event class bound to the flattened workflow (city-wide). */
const CLASS_CODE = '0101';
const CLASS_NAME = '私搭乱建';

interface GeocodeHit {
  lng: number;
  lat: number;
  grid: { id: number } | null;
}
interface CaseAnswer {
  id: number;
  number: string;
  state: string;
  workflow: string;
  departmentId: number | null;
  archiveType: string | null;
}
interface TimelineRow {
  action: string;
  toState: string | null;
  departmentId: number | null;
  payload: { photos?: string[] } | null;
}
interface PersonRow {
  username: string;
  active: boolean;
  roles: string[];
}

describe.skipIf(!HAS_CHROMIUM)('flattened workflow: auto-dispatched, fed back to the shift leader, sent back, closed', () => {
  let server: TestServer | undefined;
  let browser: Browser | undefined;
  let photoDir = '';
  const photos: string[] = [];
  const contexts: BrowserContext[] = [];

  beforeAll(async () => {
    ensureWebBuild();
    photoDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cityloop-e2e-flattened-'));
    // Three different site photos: the report's, the first feedback's, the second feedback's.
    for (const [i, background] of ['#8a6d4b', '#5d7a8c', '#6f8f5a'].entries()) {
      const file = path.join(photoDir, `site-${i + 1}.jpg`);
      await sharp({ create: { width: 640, height: 480, channels: 3, background, noise: { type: 'gaussian', mean: 128, sigma: 30 } } })
        .tint(background)
        .jpeg()
        .toFile(file);
      photos.push(file);
    }
    server = await startServer();
    browser = await launchBrowser();
  }, 300_000);

  afterAll(async () => {
    await closeAll(contexts, browser, server);
    if (photoDir) fs.rmSync(photoDir, { recursive: true, force: true });
  }, 60_000);

  const loginAs = (username: string, target = '/workbench') => {
    if (!browser || !server) throw new Error('not started');
    return signedIn(browser, server.url, contexts, username, target);
  };
  const shot = (page: Page, name: string) => shotIn(page, name, false);
  const act = takeAction;

  it('runs a report through 自动立案/自动派遣 → 签收 → 反馈 → 退回返工 → 反馈 → 结案', async () => {
    if (!server || !browser) throw new Error('not started');
    const base = server.url;
    const t0 = Date.now();

    // --- 应用维护 → 分类与时限 → 工作流绑定: the class runs the flattened workflow city-wide.
    const admin = await loginAs('admin', '/admin/classes');
    const ap = admin.page;
    const api = ap.request;
    await ap.getByTestId('classes-page').waitFor({ timeout: 30_000 });
    await ap.getByRole('tab', { name: '工作流绑定' }).click();
    await ap.getByTestId('bindings-note').waitFor();
    await pickTreeNode(ap, 'binding-class', CLASS_NAME);
    await expect.poll(() => ap.getByTestId('binding-form').textContent()).toContain('扁平化流程');
    await ap.getByTestId('binding-add').click();
    await ap.locator('[data-testid^="binding-row-"]', { hasText: CLASS_CODE }).waitFor();
    const bindings = (await (await api.get(`${base}/api/workflows/bindings`)).json()) as Array<{
      kind: string;
      classCode: string | null;
      districtId: number | null;
      workflow: string;
    }>;
    expect(bindings).toContainEqual(
      expect.objectContaining({ kind: 'event', classCode: CLASS_CODE, districtId: null, workflow: 'flattened' }),
    );

    // A place in a unit grid of the city.
    let place: GeocodeHit | undefined;
    for (const q of ['路', '街', '号']) {
      const hits = (await (await api.get(`${base}/api/geocode`, { params: { q, limit: 20 } })).json()) as GeocodeHit[];
      place = hits.find((h) => h.grid);
      if (place) break;
    }
    if (!place) throw new Error('no geocoded place in a grid');

    // --- 监督员 reports through the API (a photo first), in a context of its own.
    const inspectorContext = await browser.newContext();
    contexts.push(inspectorContext);
    const ins = inspectorContext.request;
    expect((await ins.post(`${base}/api/auth/login`, { data: { username: 'inspector', password: 'demo1234' } })).ok()).toBe(true);
    const upload = await ins.post(`${base}/api/media`, {
      multipart: { file: { name: 'report.jpg', mimeType: 'image/jpeg', buffer: fs.readFileSync(photos[0] as string) } },
    });
    expect(upload.status()).toBe(201);
    const reportPhoto = ((await upload.json()) as Array<{ id: string }>)[0]?.id;
    expect(reportPhoto).toBeTruthy();
    const reported = await ins.post(`${base}/api/cases`, {
      data: {
        source: 'inspector',
        kind: 'event',
        classCode: CLASS_CODE,
        description: '巡查发现：路边有人搭建彩钢棚，占用人行道（扁平化流程）',
        location: { lng: place.lng, lat: place.lat },
        photos: [reportPhoto],
      },
    });
    expect(reported.status()).toBe(201);
    const created = (await reported.json()) as CaseAnswer;
    // 自动立案 + 自动派遣: dispatched to a department at once.
    expect(created).toMatchObject({ workflow: 'flattened', state: 'dispatched' });
    expect(created.departmentId).toBeGreaterThan(0);
    const caseId = created.id;
    const number = created.number;
    const departmentId = created.departmentId as number;
    const opening = (await (await api.get(`${base}/api/cases/${caseId}/timeline`)).json()) as TimelineRow[];
    expect(opening.map((r) => r.action)).toEqual(['report', 'auto_register', 'auto_dispatch']);
    expect(opening[2]).toMatchObject({ toState: 'dispatched', departmentId });

    // A handler of the department the rules chose.
    const staff = (await (await api.get(`${base}/api/people`, { params: { departmentId, role: 'handler' } })).json()) as PersonRow[];
    const handlerName = staff.find((p) => p.active && p.roles.includes('handler'))?.username;
    if (!handlerName) throw new Error(`department ${departmentId} has no handler`);

    // --- 值班长: the workbench is open before the feedback, and stays open (no reload).
    const shiftlead = await loginAs('shiftlead');
    const sp = shiftlead.page;
    await waitWorkbench(sp);
    await sp.evaluate(() => {
      (globalThis as unknown as { __noReload?: boolean }).__noReload = true;
    });
    // Dispatched is the department's to act on, not the shift leader's.
    await sp.locator('.cl-wb-table .ant-table-footer').waitFor();
    expect(await sp.getByTestId(`case-row-${number}`).count()).toBe(0);

    // --- 处置人员: the case waits in 待办; open it, 签收, 处置反馈 with a photo.
    const handler = await loginAs(handlerName);
    const hp = handler.page;
    await waitWorkbench(hp);
    const handlerRow = hp.getByTestId(`case-row-${number}`);
    await handlerRow.waitFor({ timeout: 15_000 });
    await handlerRow.click();
    await hp.locator(`[data-testid="case-detail"][data-case-id="${caseId}"][data-state="dispatched"]`).waitFor();
    await hp.getByTestId('action-sign').waitFor();
    // Sent with coordinates only, the report is placed in words for the handler, and named with its department.
    await expect.poll(() => hp.getByTestId('case-address').textContent()).toContain('按坐标推算');
    expect(await hp.getByTestId('case-fields').textContent()).not.toContain('处置单位—');
    expect(await hp.getByTestId('case-fields').textContent()).toContain('（监督员）');
    await shot(hp, 'flattened-1-handler-todo.png');
    await hp.getByTestId('open-case-page').click();
    await hp.waitForURL((u) => u.pathname === `/cases/${caseId}`);
    await hp.locator(`[data-testid="case-detail"][data-case-id="${caseId}"]`).waitFor();
    await act(hp, 'sign', 'handling');
    await act(hp, 'feedback', 'to_close', { note: '已拆除彩钢棚，人行道恢复通行', photo: photos[1] });
    // Fed back straight to the shift leader: no 发核查/核查 in this workflow.
    expect(await hp.getByTestId('case-state').textContent()).toContain('待结案');

    // --- 值班长: the case arrives live, with the photos to judge by; 退回返工.
    await sp.getByTestId(`case-row-${number}`).waitFor({ timeout: 15_000 });
    expect(await sp.evaluate(() => (globalThis as unknown as { __noReload?: boolean }).__noReload)).toBe(true);
    await sp.getByTestId(`case-row-${number}`).click();
    await sp.locator(`[data-testid="case-detail"][data-case-id="${caseId}"][data-state="to_close"]`).waitFor();
    const reviewPhotos = sp.getByTestId('case-photos');
    await expect.poll(() => reviewPhotos.locator('img').count()).toBe(2);
    await expect.poll(() => reviewPhotos.textContent()).toContain('处置反馈');
    await sp.getByTestId('action-close').waitFor();
    await sp.getByTestId('action-close_reject').waitFor();
    await expect.poll(() => sp.getByTestId('case-timeline').textContent()).toContain('已拆除彩钢棚');
    await shot(sp, 'flattened-2-shiftlead-review.png');
    await act(sp, 'close_reject', 'handling', { reason: '照片未见棚体拆除后的地面，请补拍并清理残留材料' });
    // Back with the department: it leaves the shift leader's queue.
    await expect.poll(() => sp.getByTestId(`case-row-${number}`).count(), { timeout: 15_000 }).toBe(0);

    // --- 处置人员: the returned case is in 待办 again; feed back once more.
    await hp.goto(`${base}/workbench`);
    await waitWorkbench(hp);
    await hp.getByTestId(`case-row-${number}`).click();
    await hp.locator(`[data-testid="case-detail"][data-case-id="${caseId}"][data-state="handling"]`).waitFor();
    await expect.poll(() => hp.getByTestId('case-timeline').textContent()).toContain('请补拍并清理残留材料');
    await act(hp, 'feedback', 'to_close', { note: '已清理残留材料，补拍现场照片', photo: photos[2] });

    // --- 值班长: back in the queue (still no reload); 结案 with the archive type the form offers.
    await sp.getByTestId(`case-row-${number}`).waitFor({ timeout: 15_000 });
    await sp.getByTestId(`case-row-${number}`).click();
    await sp.locator(`[data-testid="case-detail"][data-case-id="${caseId}"][data-state="to_close"]`).waitFor();
    await expect.poll(() => sp.getByTestId('case-photos').locator('img').count()).toBe(3);
    const closeVersion = Number(await sp.getByTestId('case-detail').getAttribute('data-version'));
    await sp.getByTestId('action-close').click();
    const closeForm = sp.locator('.ant-modal-wrap:visible');
    await expect.poll(() => closeForm.textContent()).toContain('归档类型');
    await expect.poll(() => closeForm.getByTestId('action-archive-type').textContent()).toContain('正常');
    await closeForm.getByTestId('action-submit').click();
    await sp.locator(`[data-testid="case-detail"][data-state="closed"][data-version="${closeVersion + 1}"]`).waitFor({ timeout: 20_000 });
    expect(await sp.evaluate(() => (globalThis as unknown as { __noReload?: boolean }).__noReload)).toBe(true);

    // The log, in order; the case keeps the archive type.
    const log = (await (await api.get(`${base}/api/cases/${caseId}/timeline`)).json()) as TimelineRow[];
    expect(log.map((r) => r.action)).toEqual([
      'report',
      'auto_register',
      'auto_dispatch',
      'sign',
      'feedback',
      'close_reject',
      'feedback',
      'close',
    ]);
    expect(log.at(-1)).toMatchObject({ toState: 'closed' });
    expect(log.filter((r) => r.action === 'feedback').map((r) => r.payload?.photos?.length)).toEqual([1, 1]);
    const final = (await (await api.get(`${base}/api/cases/${caseId}`)).json()) as CaseAnswer;
    expect(final).toMatchObject({ state: 'closed', workflow: 'flattened', departmentId, archiveType: 'normal' });

    // The case page: 已结案, and the timeline card ends with 结案 by the shift leader.
    await sp.getByTestId('open-case-page').click();
    await sp.waitForURL((u) => u.pathname === `/cases/${caseId}`);
    await sp.locator(`[data-testid="case-detail"][data-case-id="${caseId}"][data-state="closed"]`).waitFor();
    const tl = sp.getByTestId('case-timeline');
    for (const a of ['report', 'auto_register', 'auto_dispatch', 'sign', 'feedback', 'close_reject', 'close']) {
      await tl.getByTestId(`timeline-${a}`).first().waitFor();
    }
    expect(await tl.getByTestId('timeline-feedback').count()).toBe(2);
    expect(await tl.getByTestId('timeline-close').textContent()).toContain('值班长');
    expect(await sp.getByTestId('case-state').textContent()).toContain('已结案');
    expect(await sp.getByTestId('case-detail').locator('[data-testid^="action-"]').count()).toBe(0);
    await tl.getByTestId('timeline-close').scrollIntoViewIfNeeded();
    await shot(sp, 'flattened-3-closed.png');

    for (const ctx of [admin, shiftlead, handler]) expect(ctx.errors).toEqual([]);
    console.log(`flattened loop took ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  }, 300_000);
});
