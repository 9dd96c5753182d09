/**
 * The workbenches in a browser, one context per role, against the real server: a hotline
 * report filed through the form runs the whole standard loop (受理 → 立案 → 派遣 → 签收 →
 * 反馈 → 发核查 → 核查 → 结案) through the case detail's action forms, while a dispatcher's
 * workbench opened beforehand sees the case arrive live (SSE, no reload).
 * Needs Debian's chromium at /usr/bin/chromium (skipped otherwise).
 * Screenshots go to artifacts/screenshots/.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeAll, HAS_CHROMIUM, launchBrowser, shot as shotIn, signedIn, takeAction, waitWorkbench } from './browser.ts';
import { ensureWebBuild, startServer, type TestServer } from './server.ts';

const CLASS_TITLE = '0101 私搭乱建';

interface GeocodeHit {
  id: number;
  name: string;
  fullAddress: string;
  lng: number;
  lat: number;
  grid: { id: number } | null;
}
interface MeAnswer {
  personId: number;
}

describe.skipIf(!HAS_CHROMIUM)('workbenches: a hotline report through the whole loop', () => {
  let server: TestServer | undefined;
  let browser: Browser | undefined;
  let photoPath = '';
  const contexts: BrowserContext[] = [];

  beforeAll(async () => {
    ensureWebBuild();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cityloop-e2e-photo-'));
    photoPath = path.join(dir, 'site.jpg');
    await sharp({
      create: { width: 640, height: 480, channels: 3, background: '#808080', noise: { type: 'gaussian', mean: 128, sigma: 40 } },
    })
      .jpeg()
      .toFile(photoPath);
    server = await startServer();
    browser = await launchBrowser();
  }, 300_000);

  afterAll(async () => {
    await closeAll(contexts, browser, server);
    if (photoPath) fs.rmSync(path.dirname(photoPath), { recursive: true, force: true });
  }, 60_000);

  const loginAs = (username: string, target = '/workbench') => {
    if (!browser || !server) throw new Error('not started');
    return signedIn(browser, server.url, contexts, username, target);
  };
  const shot = (page: Page, name: string) => shotIn(page, name, false);
  /** A browser context signed in as `username` for API calls only (no page). */
  const apiAs = async (username: string) => {
    if (!browser || !server) throw new Error('not started');
    const ctx = await browser.newContext();
    contexts.push(ctx);
    expect((await ctx.request.post(`${server.url}/api/auth/login`, { data: { username, password: 'demo1234' } })).ok()).toBe(true);
    return ctx.request;
  };
  /** An action from the case detail; `photo` attaches the site photo. */
  const act = (page: Page, action: string, nextState: string, fill?: { note?: string; reason?: string; photo?: boolean }) =>
    takeAction(page, action, nextState, { ...fill, photo: fill?.photo ? photoPath : undefined });

  it('files a hotline report and runs it to 结案 across the roles, live on the dispatcher workbench', async () => {
    if (!server) throw new Error('no server');
    const t0 = Date.now();

    // The dispatcher's workbench is open before the report exists.
    const watcher = await loginAs('dispatcher');
    await waitWorkbench(watcher.page);
    await watcher.page.evaluate(() => {
      (globalThis as unknown as { __noReload?: boolean }).__noReload = true;
    });

    // A place in the inspector's beat (责任网格), so the inspector may check the case.
    const acceptor = await loginAs('acceptor', '/hotline');
    const req = acceptor.page.request;
    const inspectorMe = (await (
      await req.post(`${server.url}/api/auth/login`, { data: { username: 'inspector', password: 'demo1234' } })
    ).json()) as MeAnswer;
    // That login replaced the acceptor's cookie in this context: log the acceptor back in.
    await req.post(`${server.url}/api/auth/login`, { data: { username: 'acceptor', password: 'demo1234' } });
    const beats = (await (await req.get(`${server.url}/api/beats`)).json()) as Array<{ id: number; inspectorId: number }>;
    const beat = beats.find((x) => x.inspectorId === inspectorMe.personId);
    expect(beat, 'the demo inspector has a beat').toBeTruthy();
    const beatGrids = ((await (await req.get(`${server.url}/api/beats/${beat?.id}`)).json()) as { gridIds: number[] }).gridIds;
    let place: GeocodeHit | undefined;
    for (const q of ['路', '街', '号', '巷', '小区']) {
      const hits = (await (await req.get(`${server.url}/api/geocode`, { params: { q, limit: 50 } })).json()) as GeocodeHit[];
      place = hits.find((h) => h.grid && beatGrids.includes(h.grid.id));
      if (place) break;
    }
    expect(place, 'an address in the inspector beat').toBeTruthy();
    if (!place) return;

    // 热线登记 through the form.
    const ap = acceptor.page;
    await ap.reload();
    await ap.getByTestId('hotline-page').waitFor();
    await ap.locator('[data-testid="hotline-map"][data-ready="1"]').waitFor({ timeout: 60_000 });
    await ap.getByTestId('hotline-channel').getByText('12319').click();
    await ap.locator('#orderNo').fill('GD2026000123');
    await ap.locator('#callerName').fill('王先生');
    await ap.locator('#callerPhone').fill('13800138000');
    await ap.locator('#address').fill(place.name);
    await ap.getByTestId(`geocode-hit-${place.id}`).click();
    await expect.poll(() => ap.getByTestId('hotline-pin').textContent()).toContain(place.lng.toFixed(6));
    await ap.locator('#classCode').click();
    await ap.locator('#classCode').fill('私搭乱建');
    await ap.getByTitle(CLASS_TITLE).click();
    await ap.locator('#description').fill('市民来电：小区门口有人私搭乱建彩钢棚，占用人行道');
    await shot(ap, 'hotline-form.png');
    await ap.getByTestId('hotline-submit').click();
    await ap.waitForURL(/\/cases\/\d+$/, { timeout: 20_000 });
    const caseId = Number(new URL(ap.url()).pathname.split('/').pop());
    await ap.locator('[data-testid="case-detail"][data-state="reported"]').waitFor();
    const number = (await ap.getByTestId('case-fields').textContent())?.match(/\d{13}/)?.[0] ?? '';
    expect(number).toMatch(/^\d{13}$/);
    await expect.poll(() => ap.getByTestId('case-fields').textContent()).toContain('私搭乱建');
    await expect.poll(() => ap.getByTestId('case-fields').textContent()).toContain('王先生');
    await expect.poll(() => ap.getByTestId('case-fields').textContent()).toContain('12319 · 编号 GD2026000123');

    // A second, urgent report (filed through the API) so the queue shows urgency first.
    const urgentRes = await req.post(`${server.url}/api/cases`, {
      data: {
        source: 'hotline',
        kind: 'event',
        classCode: CLASS_TITLE.slice(0, 4),
        urgent: true,
        description: '紧急：路面塌陷旁私搭围挡，影响通行',
        location: { lng: place.lng + 0.0015, lat: place.lat + 0.001 },
      },
    });
    expect(urgentRes.status()).toBe(201);
    const { id: urgentId, number: urgentNumber } = (await urgentRes.json()) as { id: number; number: string };

    // The acceptor's workbench lists both in 待办, the urgent one first.
    await ap.goto(`${server.url}/workbench`);
    await waitWorkbench(ap);
    await ap.getByTestId(`case-row-${number}`).waitFor();
    await ap.getByTestId(`case-row-${urgentNumber}`).waitFor();
    await expect.poll(() => ap.getByTestId('count-urgent').getAttribute('data-count')).toBe('1');
    const rows = await ap
      .locator('.cl-wb-table tr[data-testid^="case-row-"]')
      .evaluateAll((els) => els.map((e) => e.getAttribute('data-testid')));
    expect(rows[0]).toBe(`case-row-${urgentNumber}`);
    await shot(ap, 'workbench-acceptor.png');
    // The keyboard walks the queue: ↓ picks the first (urgent) case, ↓ again the next one.
    await ap.keyboard.press('ArrowDown');
    await ap.locator(`[data-testid="case-detail"][data-case-id="${urgentId}"]`).waitFor();
    await ap.keyboard.press('ArrowDown');
    await ap.locator(`[data-testid="case-detail"][data-case-id="${caseId}"]`).waitFor();
    await act(ap, 'accept', 'accepted');

    // A second call about the same place is offered as a duplicate; the acceptor merges it in one click.
    const dupRes = await req.post(`${server.url}/api/cases`, {
      data: {
        source: 'hotline',
        kind: 'event',
        classCode: CLASS_TITLE.slice(0, 4),
        description: '又一位市民来电反映同一处彩钢棚',
        location: { lng: place.lng, lat: place.lat },
      },
    });
    expect(dupRes.status()).toBe(201);
    const dup = (await dupRes.json()) as { id: number; number: string };
    await ap.goto(`${server.url}/cases/${dup.id}`);
    await ap.getByTestId(`merge-${caseId}`).click();
    await ap.locator('.ant-popconfirm-buttons .ant-btn-primary').click();
    await ap.locator('[data-testid="case-detail"][data-state="merged"]').waitFor({ timeout: 20_000 });

    // An action on a case changed meanwhile is refused (409) with a clear message, and the case reloads.
    await ap.goto(`${server.url}/cases/${urgentId}`);
    await ap.locator('[data-testid="case-detail"][data-version="1"]').waitFor();
    await ap.getByTestId('action-accept').click();
    const stale = ap.locator('.ant-modal-wrap:visible');
    await stale.getByTestId('action-submit').waitFor();
    // Someone else accepts it while the form is open.
    expect((await req.post(`${server.url}/api/cases/${urgentId}/actions/accept`, { data: { version: 1 } })).status()).toBe(200);
    await stale.getByTestId('action-submit').click();
    await expect
      .poll(() => stale.getByTestId('action-error').textContent())
      .toMatch(/案卷已被他人更新|当前状态下不能执行该操作，可执行：.*派核实/);
    await shot(ap, 'action-conflict.png');
    await ap.locator('[data-testid="case-detail"][data-state="accepted"][data-version="2"]').waitFor();

    // 值班长 立案.
    const shiftlead = await loginAs('shiftlead');
    await waitWorkbench(shiftlead.page);
    await shiftlead.page.getByTestId(`case-row-${number}`).waitFor();
    await shot(shiftlead.page, 'workbench-shiftlead.png');
    await shiftlead.page.goto(`${server.url}/cases/${caseId}`);
    await shiftlead.page.getByTestId('case-detail').waitFor();
    await act(shiftlead.page, 'register', 'registered');

    // The dispatcher's open workbench shows the case without a reload.
    const wp = watcher.page;
    await wp.getByTestId(`case-row-${number}`).waitFor({ timeout: 15_000 });
    expect(await wp.evaluate(() => (globalThis as unknown as { __noReload?: boolean }).__noReload)).toBe(true);
    // The queue names the suggested department (and how it was found) before the case is opened.
    const inQueue = wp.getByTestId(`case-row-${number}`).getByTestId('queue-suggestion');
    await expect.poll(() => inQueue.textContent()).toContain('按规则');
    const suggestedDept = ((await inQueue.textContent()) ?? '').replace('按规则', '').trim();
    expect(suggestedDept.length).toBeGreaterThan(0);
    await shot(wp, 'workbench-dispatcher.png');

    // 派遣 with the suggested department prefilled: the same one the queue named.
    await wp.getByTestId(`case-row-${number}`).click();
    await wp.getByTestId('dispatch-suggestion').waitFor();
    expect(await wp.getByTestId('dispatch-suggestion').textContent()).toMatch(/规则/);
    expect(await wp.getByTestId('dispatch-suggestion').textContent()).toContain(suggestedDept);
    await shot(wp, 'case-detail-dispatch.png');
    await wp.getByTestId('action-dispatch').click();
    const modal = wp.locator('.ant-modal-wrap:visible');
    await expect.poll(() => modal.textContent()).toContain('建议');
    await shot(wp, 'dispatch-form.png');
    const version = Number(await wp.getByTestId('case-detail').getAttribute('data-version'));
    await modal.getByTestId('action-submit').click();
    await wp.locator(`[data-testid="case-detail"][data-state="dispatched"][data-version="${version + 1}"]`).waitFor({ timeout: 20_000 });

    // 处置单位: sign for, feed back with a photo.
    const handler = await loginAs('handler');
    await waitWorkbench(handler.page);
    await handler.page.getByTestId(`case-row-${number}`).waitFor();
    await shot(handler.page, 'workbench-handler.png');
    await handler.page.goto(`${server.url}/cases/${caseId}`);
    await handler.page.getByTestId('case-detail').waitFor();
    await act(handler.page, 'sign', 'handling');
    await act(handler.page, 'feedback', 'feedback', { note: '已拆除彩钢棚，恢复人行道通行', photo: true });

    // 受理员 发核查.
    await ap.goto(`${server.url}/cases/${caseId}`);
    await ap.getByTestId('case-detail').waitFor();
    await act(ap, 'send_check', 'checking');

    // 监督员 核查通过 with a photo.
    const inspector = await loginAs('inspector');
    await waitWorkbench(inspector.page);
    await inspector.page.getByTestId(`case-row-${number}`).waitFor();
    await shot(inspector.page, 'workbench-inspector.png');
    await inspector.page.goto(`${server.url}/cases/${caseId}`);
    await inspector.page.getByTestId('case-detail').waitFor();
    await act(inspector.page, 'check_pass', 'to_close', { photo: true });
    // The photos, before and after side by side: the two after-photos (反馈, 核查), each marked for
    // its missing EXIF (a hotline report brings none of its own).
    const after = inspector.page.getByTestId('case-photos-after');
    await expect.poll(() => after.locator('[data-testid^="photo-"]').count()).toBe(2);
    expect(await after.locator('[data-flags~="exif_missing"]').count()).toBe(2);
    expect(await after.textContent()).toContain('无拍摄信息');
    expect(await inspector.page.getByTestId('case-photos-before').locator('[data-testid^="photo-"]').count()).toBe(0);
    await inspector.page.getByTestId('case-photos').scrollIntoViewIfNeeded();
    await shot(inspector.page, 'case-detail-photos.png');

    // 领导 督办 on an open case from its page (the case keeps its state).
    const leader = await loginAs('leader');
    await waitWorkbench(leader.page);
    // The leader's overview lists every case in scope, not a 待办 queue.
    await leader.page.getByTestId(`case-row-${urgentNumber}`).waitFor();
    await leader.page.getByTestId(`case-row-${number}`).waitFor();
    await shot(leader.page, 'workbench-leader.png');
    await leader.page.goto(`${server.url}/cases/${urgentId}`);
    await leader.page.locator('[data-testid="case-minimap"][data-ready="1"]').waitFor({ timeout: 30_000 });
    await act(leader.page, 'supervise', 'accepted', { note: '紧急案件，请尽快立案处置' });
    await expect.poll(() => leader.page.getByTestId('case-fields').textContent()).toContain('0 / 0 / 0 / 1');
    await shot(leader.page, 'case-detail-supervised.png');

    // 值班长 结案 with the archive type.
    const sp = shiftlead.page;
    await sp.goto(`${server.url}/cases/${caseId}`);
    await sp.getByTestId('case-detail').waitFor();
    await sp.getByTestId('action-close').click();
    await expect.poll(() => sp.locator('.ant-modal-wrap:visible').textContent()).toContain('归档类型');
    const closeVersion = Number(await sp.getByTestId('case-detail').getAttribute('data-version'));
    await sp.locator('.ant-modal-wrap:visible').getByTestId('action-submit').click();
    await sp.locator(`[data-testid="case-detail"][data-state="closed"][data-version="${closeVersion + 1}"]`).waitFor({ timeout: 20_000 });

    // Closed, and the timeline shows every step with who did it.
    const tl = sp.getByTestId('case-timeline');
    for (const a of ['report', 'accept', 'register', 'dispatch', 'sign', 'feedback', 'send_check', 'check_pass', 'close']) {
      await tl.getByTestId(`timeline-${a}`).first().waitFor();
    }
    const tlText = (await tl.textContent()) ?? '';
    for (const who of ['受理员', '值班长', '派遣员', '处置人员', '监督员']) expect(tlText).toContain(who);
    expect(await sp.getByTestId('case-state').textContent()).toContain('已结案');
    expect(await sp.getByTestId('case-photos').locator('img').count()).toBeGreaterThanOrEqual(2);
    expect(await sp.getByTestId('case-duplicates').textContent()).toContain(dup.number);
    await shot(sp, 'case-detail-closed.png');
    await sp.getByTestId('case-timeline').scrollIntoViewIfNeeded();
    await shot(sp, 'case-detail-timeline.png');

    // The photo enlarges on click.
    await sp.getByTestId('case-photos').locator('img').first().click();
    await sp.locator('.ant-image-preview-img, .ant-image-preview img').first().waitFor();
    await shot(sp, 'case-detail-photo.png');

    // Closed cases leave 待办 and appear in 已办 for the shift lead.
    await sp.goto(`${server.url}/workbench`);
    await waitWorkbench(sp);
    await sp.getByTestId('tab-done').click();
    await sp.getByTestId(`case-row-${number}`).waitFor();
    await shot(sp, 'workbench-shiftlead-done.png');

    // In English, with no i18n key left showing.
    await sp.getByTestId('lang-switch').getByText('English', { exact: true }).click();
    await expect.poll(() => sp.getByTestId('workbench').textContent()).toContain('workbench');
    const body = (await sp.locator('body').textContent()) ?? '';
    expect(body).not.toMatch(/\b(workbench|caseDetail|actions|states|sources|actionForm|hotline)\.[a-zA-Z]/);
    await shot(sp, 'workbench-english.png');
    await sp.goto(`${server.url}/cases/${caseId}`);
    await sp.getByTestId('case-timeline').waitFor();
    await expect.poll(() => sp.getByTestId('case-timeline').textContent()).toContain('Check passed');
    await shot(sp, 'case-detail-english.png');

    for (const ctx of [watcher, acceptor, shiftlead, handler, inspector, leader]) expect(ctx.errors).toEqual([]);
    console.log(`workbench loop took ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  }, 300_000);

  it('lets a person with two centre roles switch workbenches, each with its share of the queue', async () => {
    if (!server || !browser) throw new Error('not started');
    const admin = await apiAs('admin');
    const created = await admin.post(`${server.url}/api/people`, {
      data: {
        username: 'duty',
        name: '值守员',
        departmentId: 1,
        password: 'demo1234',
        roles: [{ role: 'acceptor' }, { role: 'shiftlead' }],
      },
    });
    expect(created.status()).toBe(201);

    const { page, errors } = await loginAs('duty');
    await waitWorkbench(page);
    await page.getByTestId('role-switch').waitFor();
    expect(await page.getByTestId('workbench').getAttribute('data-role')).toBe('acceptor');

    // A new report waits on the acceptor, not on the shift leader.
    const res = await page.request.post(`${server.url}/api/cases`, {
      data: { source: 'hotline', kind: 'event', classCode: '0101', description: '双岗测试：路边私搭雨棚', address: '白沙区 献福路' },
    });
    expect(res.status()).toBe(201);
    const c = (await res.json()) as { id: number; number: string };
    await page.getByTestId(`case-row-${c.number}`).waitFor();
    await page.getByTestId('role-switch').getByText('值班长', { exact: true }).click();
    await page.locator('[data-testid="workbench"][data-role="shiftlead"]').waitFor();
    await expect.poll(() => page.getByTestId(`case-row-${c.number}`).count()).toBe(0);

    // Once accepted it is the shift leader's to register, and appears live.
    expect((await page.request.post(`${server.url}/api/cases/${c.id}/actions/accept`, { data: { version: 1 } })).status()).toBe(200);
    await page.getByTestId(`case-row-${c.number}`).waitFor({ timeout: 15_000 });
    const rows = await page.locator('.cl-wb-table tr[data-testid^="case-row-"]').count();
    await expect.poll(() => page.getByTestId('tab-todo').textContent()).toContain(String(rows));
    await shot(page, 'workbench-two-roles.png');
    expect(errors).toEqual([]);
  }, 120_000);

  it('dispatches the checked cases of the queue to their suggested departments in one go', async () => {
    if (!server || !browser) throw new Error('not started');
    const url = server.url;
    const acceptor = await apiAs('acceptor');
    const shiftlead = await apiAs('shiftlead');
    const { page, errors } = await loginAs('dispatcher');
    await waitWorkbench(page);

    // Two reports accepted and registered: both wait for dispatch.
    const cases: Array<{ id: number; number: string }> = [];
    for (const description of ['批量派遣一：路边私搭雨棚', '批量派遣二：人行道私搭棚架']) {
      const res = await acceptor.post(`${url}/api/cases`, {
        data: { source: 'hotline', kind: 'event', classCode: '0101', description, address: '白沙区 献福路' },
      });
      expect(res.status()).toBe(201);
      const c = (await res.json()) as { id: number; number: string };
      expect((await acceptor.post(`${url}/api/cases/${c.id}/actions/accept`, { data: { version: 1 } })).status()).toBe(200);
      expect((await shiftlead.post(`${url}/api/cases/${c.id}/actions/register`, { data: { version: 2 } })).status()).toBe(200);
      cases.push(c);
    }
    await expect.poll(() => page.getByTestId('batch-dispatch').isDisabled()).toBe(true);
    for (const c of cases) {
      const row = page.getByTestId(`case-row-${c.number}`);
      await row.waitFor({ timeout: 15_000 });
      await expect.poll(() => row.getByTestId('queue-suggestion').count()).toBe(1);
      await row.locator('input[type="checkbox"]').check();
    }
    // Checking a case does not open it.
    expect(await page.getByTestId('case-detail').count()).toBe(0);
    expect(await page.getByTestId('batch-dispatch').textContent()).toContain('2');
    await shot(page, 'workbench-dispatcher-batch.png');
    const suggested = new Map<number, number>();
    for (const c of cases) {
      const s = (await (await page.request.get(`${url}/api/cases/${c.id}/dispatch-suggestion`)).json()) as { department: { id: number } };
      suggested.set(c.id, s.department.id);
    }
    await page.getByTestId('batch-dispatch').click();
    await page.locator('.ant-modal-confirm-btns .ant-btn-primary').click();
    for (const c of cases) await expect.poll(() => page.getByTestId(`case-row-${c.number}`).count(), { timeout: 15_000 }).toBe(0);

    // Each went, in its own versioned action, to the department the rules suggested.
    for (const c of cases) {
      const detail = (await (await page.request.get(`${url}/api/cases/${c.id}`)).json()) as { state: string; departmentId: number };
      const timeline = (await (await page.request.get(`${url}/api/cases/${c.id}/timeline`)).json()) as Array<{ action: string }>;
      expect(detail.state).toBe('dispatched');
      expect(detail.departmentId).toBe(suggested.get(c.id));
      expect(timeline.filter((e) => e.action === 'dispatch')).toHaveLength(1);
    }
    expect(errors).toEqual([]);
  }, 120_000);
});
