/**
 * The field app as an installable PWA: the manifest and theme colour are linked while /field
 * is open, and the service worker (public/field-sw.js, scope /field) keeps the app shell so
 * /field opens without a network. Nothing here runs on the console's other pages.
 */
export const FIELD_THEME = '#1456c8';

export function installPwa(): () => void {
  const added: HTMLElement[] = [];
  const link = (rel: string, href: string) => {
    const el = document.createElement('link');
    el.rel = rel;
    el.href = href;
    document.head.appendChild(el);
    added.push(el);
  };
  link('manifest', '/field.webmanifest');
  link('apple-touch-icon', '/field-icon-192.png');
  const meta = document.createElement('meta');
  meta.name = 'theme-color';
  meta.content = FIELD_THEME;
  document.head.appendChild(meta);
  added.push(meta);

  if ('serviceWorker' in navigator && window.isSecureContext) {
    navigator.serviceWorker
      .register('/field-sw.js', { scope: '/field' })
      .then(async () => {
        const reg = await navigator.serviceWorker.ready;
        // Scripts and styles this page loaded before the worker took over (the lazy chunks among them).
        const urls = performance
          .getEntriesByType('resource')
          .map((e) => new URL(e.name))
          .filter((u) => u.origin === location.origin && u.pathname.startsWith('/assets/'))
          .map((u) => u.pathname);
        reg.active?.postMessage({ type: 'cache', urls });
      })
      .catch(() => {
        // without the worker the app still works online
      });
  }
  return () => {
    for (const el of added) el.remove();
  };
}
