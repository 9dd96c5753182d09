import { HAS_CHROMIUM } from './browser.ts';
import { ensureWebBuild, prepareDemoTemplate, TEMPLATE_ENV } from './server.ts';

/**
 * Once per run of the browser tests: the console build they serve, and one prepared demo
 * city that every test's server copies (generating it takes a server start of its own).
 * The workers inherit the folder's path through the environment.
 */
export default async function setup() {
  if (!HAS_CHROMIUM || process.env.CITYLOOP_E2E_URL) return;
  ensureWebBuild();
  const started = Date.now();
  const template = await prepareDemoTemplate();
  process.env[TEMPLATE_ENV] = template.dir;
  console.log(`[e2e] demo city prepared in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return () => template.remove();
}
