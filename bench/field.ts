/**
 * The field app on a phone (chromium, 390×844, touch, GPS in the demo inspector's beat)
 * against a real server with the demo city (scale 0.05):
 *   - load: the JS and CSS /field loads, raw and gzipped (level 9), and the time to the home
 *     screen on a cold cache;
 *   - photos: a 4000×3000 camera-like JPEG as picked vs what was uploaded after the page
 *     compressed it (long side 1600 px, quality 0.8);
 *   - reports: REPORTS reports one after another, from the tap on 提交 to the case being in the
 *     acceptor's 待办 (GET /api/cases?queue=todo polled every 50 ms): median and max;
 *   - offline: OFFLINE reports written with no network, then the time from going online to all
 *     of them being cases, and the count once more after a pause (must equal OFFLINE).
 * Needs Debian's chromium at /usr/bin/chromium. Run: npm run bench -- field
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import type { Page } from 'playwright-core';
import sharp from 'sharp';
import { HAS_CHROMIUM, launchBrowser } from '../e2e/browser.ts';
import { ensureWebBuild, ROOT, startServer } from '../e2e/server.ts';

const REPORTS = 5;
const OFFLINE = 3;

async function cameraJpeg(file: string): Promise<void> {
  const w = 4000;
  const h = 3000;
  const raw = Buffer.alloc(w * h * 3);
  let seed = 11;
  for (let i = 0; i < raw.length; i += 3) {
    const x = (i / 3) % w;
    const y = Math.floor(i / 3 / w);
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    raw[i] = Math.min(255, (x * 255) / w + (seed % 24));
    raw[i + 1] = (y * 255) / h;
    raw[i + 2] = ((x ^ y) & 0xff) / 2 + 60;
  }
  await sharp(raw, { raw: { width: w, height: h, channels: 3 } })
    .jpeg({ quality: 95 })
    .toFile(file);
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? 0;
}

export default async function bench(): Promise<Record<string, number | string>> {
  if (!HAS_CHROMIUM) throw new Error('needs /usr/bin/chromium');
  ensureWebBuild();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cityloop-bench-field-'));
  const photo = path.join(dir, 'camera.jpg');
  await cameraJpeg(photo);
  const server = await startServer();
  const browser = await launchBrowser();
  try {
    const cookies: Record<string, string> = {};
    const call = async <T>(who: string, url: string): Promise<T> => {
      const res = await fetch(`${server.url}${url}`, { headers: { cookie: cookies[who] ?? '' } });
      if (!res.ok) throw new Error(`${who} ${url}: ${res.status}`);
      return (await res.json()) as T;
    };
    for (const who of ['inspector', 'acceptor', 'dispatcher']) {
      const res = await fetch(`${server.url}/api/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: who, password: 'demo1234' }),
      });
      cookies[who] = (res.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
    }
    // A place in the inspector's beat, and a class to report under.
    const me = await call<{ personId: number }>('inspector', '/api/auth/me');
    const beat = (await call<Array<{ id: number; inspectorId: number }>>('dispatcher', '/api/beats')).find(
      (b) => b.inspectorId === me.personId,
    );
    const grids = (await call<{ gridIds: number[] }>('dispatcher', `/api/beats/${beat?.id}`)).gridIds;
    const hits = await call<Array<{ lng: number; lat: number; grid: { id: number } | null }>>(
      'dispatcher',
      `/api/geocode?q=${encodeURIComponent('路')}&limit=50`,
    );
    const spot = hits.find((p) => p.grid && grids.includes(p.grid.id)) ?? hits[0];
    if (!spot) throw new Error('no place in the demo city');
    const tree = await call<Array<{ kind: string; children?: Array<{ code: string }> }>>('dispatcher', '/api/taxonomy/tree');
    const cls = tree.filter((n) => n.kind === 'event').flatMap((n) => n.children ?? [])[0]?.code ?? '';

    const context = await browser.newContext({
      viewport: { width: 390, height: 844 },
      isMobile: true,
      hasTouch: true,
      locale: 'zh-CN',
      geolocation: { longitude: spot.lng, latitude: spot.lat, accuracy: 8 },
      permissions: ['geolocation'],
    });
    const page = await context.newPage();
    const loaded = new Set<string>();
    page.on('response', (r) => {
      const p = new URL(r.url()).pathname;
      if (p.startsWith('/assets/') && /\.(js|css)$/.test(p)) loaded.add(p);
    });
    const t0 = Date.now();
    await page.goto(`${server.url}/field`);
    await page.getByTestId('field-login').waitFor({ timeout: 30_000 });
    const coldMs = Date.now() - t0;
    let raw = 0;
    let gz = 0;
    for (const p of loaded) {
      const buf = fs.readFileSync(path.join(ROOT, 'apps', 'web', 'dist', p));
      raw += buf.length;
      gz += zlib.gzipSync(buf, { level: 9 }).length;
    }
    await page.locator('#field-username').fill('inspector');
    await page.locator('#field-password').fill('demo1234');
    await page.getByTestId('field-login-submit').click();
    await page.getByTestId('field-home').waitFor({ timeout: 30_000 });

    const uploaded: number[] = [];
    page.on('response', (r) => {
      if (r.url().endsWith('/api/media') && r.request().method() === 'POST') {
        void r
          .json()
          .then((items: Array<{ size: number }>) => uploaded.push(...items.map((m) => m.size)))
          .catch(() => {});
      }
    });
    const fill = async (p: Page, description: string) => {
      await p.getByTestId('tab-report').click();
      await p.locator('[data-testid="report-place"][data-located="1"]').waitFor({ timeout: 20_000 });
      await p.getByTestId('report-photos-input').setInputFiles(photo);
      await p.locator('[data-testid="report-photos"][data-count="1"]').waitFor({ timeout: 20_000 });
      await p.getByTestId('report-class').click();
      const recent = p.getByTestId(`class-recent-event-${cls}`);
      if (await recent.isVisible()) await recent.click();
      else {
        await p.locator('[data-testid="class-search"] input').fill(cls);
        await p.getByTestId(`class-event-${cls}`).click();
      }
      await p.getByTestId('class-picker').waitFor({ state: 'detached' });
      await p.locator('[data-testid="report-description"] textarea').fill(description);
    };
    const inQueue = async (description: string) => {
      const todo = await call<{ items: Array<{ description: string }> }>('acceptor', '/api/cases?queue=todo&limit=500');
      return todo.items.some((c) => c.description === description);
    };
    const run = Date.now().toString(36);
    const latencies: number[] = [];
    let original = 0;
    for (let i = 0; i < REPORTS; i++) {
      const description = `基准上报 ${run} #${i}`;
      await fill(page, description);
      if (i === 0) original = Number(await page.getByTestId('report-photos').getAttribute('data-original'));
      const start = Date.now();
      await page.getByTestId('report-submit').click();
      while (!(await inQueue(description))) await new Promise((r) => setTimeout(r, 50));
      latencies.push(Date.now() - start);
      await page.getByTestId('field-home').waitFor();
    }

    await context.setOffline(true);
    for (let i = 0; i < OFFLINE; i++) {
      await fill(page, `基准离线 ${run} #${i}`);
      await page.getByTestId('report-submit').click();
      await page.locator(`[data-testid="field-outbox"][data-count="${i + 1}"]`).waitFor({ timeout: 15_000 });
    }
    const count = async () =>
      (await call<{ total: number }>('acceptor', `/api/cases?queue=all&q=${encodeURIComponent(`基准离线 ${run}`)}`)).total;
    const online = Date.now();
    await context.setOffline(false);
    while ((await count()) < OFFLINE) {
      if (Date.now() - online > 60_000) throw new Error('offline reports not sent');
      await new Promise((r) => setTimeout(r, 50));
    }
    const drainMs = Date.now() - online;
    await new Promise((r) => setTimeout(r, 3000));
    const after = await count();
    await context.close();

    return {
      loadFiles: loaded.size,
      loadJsCssKB: Math.round(raw / 1024),
      loadJsCssGzipKB: Math.round(gz / 1024),
      coldLoadToLoginMs: coldMs,
      photoOriginalKB: Math.round(original / 1024),
      photoUploadedKB: Math.round(median(uploaded) / 1024),
      photoUploadedShare: Number((median(uploaded) / original).toFixed(3)),
      submitToQueueMedianMs: median(latencies),
      submitToQueueMaxMs: Math.max(...latencies),
      offlineReports: OFFLINE,
      onlineToAllSentMs: drainMs,
      offlineCasesAfterPause: after,
    };
  } finally {
    await browser.close();
    await server.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
