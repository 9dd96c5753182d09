/**
 * `npm run bench -- <name> [more names]`: runs bench/<name>.ts (its default export returns
 * named figures) and prints them as one JSON line, last. Without a name, runs them all.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const available = fs
  .readdirSync(here)
  .filter((f) => f.endsWith('.ts') && f !== 'run.ts' && !f.endsWith('.test.ts') && !f.startsWith('_'))
  .map((f) => f.slice(0, -3));
const names = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const chosen = names.length > 0 ? names : available;
const figures: Record<string, number | string | null> = {};
for (const name of chosen) {
  if (!available.includes(name)) {
    console.error(`Unknown benchmark "${name}". Available: ${available.join(', ')}`);
    process.exit(2);
  }
  const mod = (await import(path.join(here, `${name}.ts`))) as { default: () => Promise<Record<string, number | string | null>> };
  console.error(`== bench ${name} ==`);
  const out = await mod.default();
  for (const [k, v] of Object.entries(out)) figures[chosen.length > 1 ? `${name}.${k}` : k] = v;
}
console.log(JSON.stringify(figures));
process.exit(0);
