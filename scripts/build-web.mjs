#!/usr/bin/env node
// Builds the web console (apps/web → apps/web/dist) with Vite.
//
//   node scripts/build-web.mjs               always build
//   node scripts/build-web.mjs --if-missing  build only when apps/web/dist/index.html is absent
//
// Runs from the root `postinstall` and before `npm start`. Works from any working directory.
// Each text file of the build also gets .br and .gz copies beside it, which the server sends to
// browsers that accept them (the console's code is about 4 MB as built, under 1 MB as Brotli).
// When Vite is not installed (a production install without dev dependencies) an existing
// build is kept; without one the script explains what to do and exits non-zero.

import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import zlib from 'node:zlib';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const webDir = path.join(root, 'apps', 'web');
const distIndex = path.join(webDir, 'dist', 'index.html');
const args = new Set(process.argv.slice(2));
const ifMissing = args.has('--if-missing');
const rel = (p) => path.relative(process.cwd(), p) || '.';

if (args.has('--help') || args.has('-h')) {
  console.log('Usage: node scripts/build-web.mjs [--if-missing]');
  process.exit(0);
}

if (!fs.existsSync(path.join(webDir, 'package.json'))) {
  console.error(`[build-web] ${rel(webDir)} not found; nothing to build.`);
  process.exit(fs.existsSync(distIndex) ? 0 : 1);
}

if (ifMissing && fs.existsSync(distIndex)) {
  console.log(`[build-web] ${rel(distIndex)} exists; skipping the web build (run "node scripts/build-web.mjs" to rebuild).`);
  process.exit(0);
}

/** Path of Vite's CLI as resolved from apps/web (workspaces hoist it to the root node_modules). */
function findVite() {
  try {
    const require = createRequire(path.join(webDir, 'package.json'));
    const pkgPath = require.resolve('vite/package.json');
    const pkg = JSON.parse(fs.readFileSync(pkgPath, 'utf8'));
    const bin = typeof pkg.bin === 'string' ? pkg.bin : pkg.bin?.vite;
    if (!bin) return null;
    const cli = path.join(path.dirname(pkgPath), bin);
    return fs.existsSync(cli) ? { cli, version: pkg.version } : null;
  } catch {
    return null;
  }
}

const vite = findVite();
if (!vite) {
  if (fs.existsSync(distIndex)) {
    console.log(`[build-web] Vite is not installed; keeping the existing build in ${rel(path.dirname(distIndex))}.`);
    process.exit(0);
  }
  console.error(
    [
      '[build-web] Cannot build the web console: Vite is not installed.',
      '  The web console is built from source with the development dependencies.',
      '  Run "npm install" (or "npm ci") without --omit=dev / NODE_ENV=production, then',
      '  "node scripts/build-web.mjs"; or copy a prebuilt apps/web/dist into place.',
      '  The API works without it; only the browser console at / is missing.',
    ].join('\n'),
  );
  process.exit(1);
}

console.log(`[build-web] Building the web console with Vite ${vite.version}…`);
const started = Date.now();
const result = spawnSync(process.execPath, [vite.cli, 'build', '--logLevel', 'warn'], { cwd: webDir, stdio: 'inherit', env: process.env });
if (result.error) {
  console.error(`[build-web] Could not run Vite: ${result.error.message}`);
  process.exit(1);
}
if (result.status !== 0 || !fs.existsSync(distIndex)) {
  console.error(`[build-web] The web build failed (exit code ${result.status ?? result.signal}).`);
  process.exit(result.status || 1);
}

/** Writes name.br and name.gz beside every text file of `dir` worth compressing; returns the sizes. */
function precompress(dir) {
  const sizes = { raw: 0, br: 0, files: 0 };
  const walk = (d) => {
    for (const entry of fs.readdirSync(d, { withFileTypes: true })) {
      const file = path.join(d, entry.name);
      if (entry.isDirectory()) {
        walk(file);
        continue;
      }
      if (!/\.(js|mjs|css|html|svg|json|webmanifest)$/.test(entry.name)) continue;
      const body = fs.readFileSync(file);
      if (body.length < 1024) continue;
      const br = zlib.brotliCompressSync(body, {
        params: {
          [zlib.constants.BROTLI_PARAM_QUALITY]: 9,
          [zlib.constants.BROTLI_PARAM_SIZE_HINT]: body.length,
        },
      });
      fs.writeFileSync(`${file}.br`, br);
      fs.writeFileSync(`${file}.gz`, zlib.gzipSync(body, { level: 9 }));
      sizes.raw += body.length;
      sizes.br += br.length;
      sizes.files++;
    }
  };
  walk(dir);
  return sizes;
}

const compressed = precompress(path.dirname(distIndex));
const mb = (n) => (n / 1024 / 1024).toFixed(1);
console.log(
  `[build-web] Built ${rel(path.dirname(distIndex))} in ${((Date.now() - started) / 1000).toFixed(1)} s ` +
    `(${compressed.files} files, ${mb(compressed.raw)} MB, ${mb(compressed.br)} MB as Brotli).`,
);
