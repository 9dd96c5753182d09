/*
 * The field app's service worker (scope /field). It keeps the app shell so /field opens
 * without a network: the page itself (network first, the kept copy offline), the hashed
 * build files under /assets/ (kept once fetched; their names change with their content)
 * and the manifest and icons. It never answers /api/ requests: cases, photos, tasks and the
 * event stream always go to the server, and a report made offline waits in IndexedDB.
 */
const CACHE = 'cityloop-field-v1';
const SHELL_PAGE = '/field';
const STATIC = ['/field.webmanifest', '/field-icon.svg', '/field-icon-192.png', '/field-icon-512.png', '/favicon.svg'];

/** The build files a page of the app links (script src, stylesheet and modulepreload href). */
function assetsOf(html) {
  const urls = new Set();
  for (const m of html.matchAll(/(?:src|href)="(\/assets\/[^"]+)"/g)) urls.add(m[1]);
  return [...urls];
}

async function keepShell() {
  const cache = await caches.open(CACHE);
  const res = await fetch(SHELL_PAGE, { cache: 'no-store' });
  if (res.ok) {
    await cache.put(SHELL_PAGE, res.clone());
    await cache.addAll(assetsOf(await res.text()));
  }
  await cache.addAll(STATIC);
}

self.addEventListener('install', (event) => {
  event.waitUntil(keepShell().then(() => self.skipWaiting()));
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((keys) => Promise.all(keys.filter((k) => k.startsWith('cityloop-field-') && k !== CACHE).map((k) => caches.delete(k))))
      .then(() => self.clients.claim()),
  );
});

// The page lists the build files it loaded before the worker controlled it (its lazy chunks).
self.addEventListener('message', (event) => {
  const data = event.data;
  if (data?.type !== 'cache' || !Array.isArray(data.urls)) return;
  const urls = data.urls.filter((u) => typeof u === 'string' && u.startsWith('/assets/'));
  event.waitUntil(caches.open(CACHE).then((cache) => Promise.all(urls.map((u) => cache.add(u).catch(() => undefined)))));
});

async function networkFirstPage(request) {
  const cache = await caches.open(CACHE);
  try {
    const res = await fetch(request);
    if (res.ok && (res.headers.get('content-type') || '').includes('text/html')) await cache.put(SHELL_PAGE, res.clone());
    return res;
  } catch (err) {
    const kept = await cache.match(SHELL_PAGE);
    if (kept) return kept;
    throw err;
  }
}

async function cacheFirst(request) {
  const cache = await caches.open(CACHE);
  const kept = await cache.match(request);
  if (kept) return kept;
  const res = await fetch(request);
  if (res.ok) await cache.put(request, res.clone());
  return res;
}

async function staleWhileRevalidate(request) {
  const cache = await caches.open(CACHE);
  const kept = await cache.match(request);
  const fresh = fetch(request)
    .then((res) => {
      if (res.ok) void cache.put(request, res.clone());
      return res;
    })
    .catch(() => kept);
  return kept || fresh;
}

self.addEventListener('fetch', (event) => {
  const request = event.request;
  if (request.method !== 'GET') return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  // Never the API: no answer of the server is ever kept here.
  if (url.pathname.startsWith('/api/') || url.pathname === '/api') return;
  if (request.mode === 'navigate') {
    if (url.pathname === SHELL_PAGE || url.pathname.startsWith(`${SHELL_PAGE}/`)) event.respondWith(networkFirstPage(request));
    return;
  }
  if (url.pathname.startsWith('/assets/')) {
    event.respondWith(cacheFirst(request));
    return;
  }
  if (STATIC.includes(url.pathname)) event.respondWith(staleWhileRevalidate(request));
});
