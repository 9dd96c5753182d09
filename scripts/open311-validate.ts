/**
 * Checks a running server's Open311 GeoReport v2 endpoint against the official JSON Schemas:
 *
 *   node --import tsx scripts/open311-validate.ts <baseUrl> [--schemas DIR] [--max-definitions N]
 *
 * <baseUrl> is the server (http://127.0.0.1:8080) or the endpoint itself (…/open311/v2).
 * Walks discovery → services → every service definition → requests → one request, in JSON
 * (each document validated) and XML (each document parsed). Prints every problem and exits 1
 * if there is any, 2 on bad usage. The schemas are read from ../shared/open311-schemas/georeport-v2
 * beside the repository unless --schemas names another folder.
 */
import { DEFAULT_SCHEMA_DIR, loadValidators, walk } from '../apps/server/src/modules/open311/open311.conformance.ts';

function usage(message: string): never {
  console.error(`${message}\nusage: node --import tsx scripts/open311-validate.ts <baseUrl> [--schemas DIR] [--max-definitions N]`);
  process.exit(2);
}

const args = process.argv.slice(2);
let baseUrl: string | undefined;
let schemas = DEFAULT_SCHEMA_DIR;
let maxDefinitions: number | undefined;
for (let i = 0; i < args.length; i++) {
  const a = args[i] as string;
  if (a === '--schemas') schemas = args[++i] ?? usage('--schemas needs a folder');
  else if (a === '--max-definitions') {
    maxDefinitions = Number(args[++i]);
    if (!Number.isInteger(maxDefinitions) || maxDefinitions < 0) usage('--max-definitions needs a whole number');
  } else if (a.startsWith('--')) usage(`unknown option ${a}`);
  else if (baseUrl === undefined) baseUrl = a;
  else usage(`unexpected argument ${a}`);
}
if (!baseUrl || !/^https?:\/\//.test(baseUrl)) usage('give the server URL, e.g. http://127.0.0.1:8080');

const trimmed = baseUrl.replace(/\/+$/, '');
const endpoint = /\/open311\/v2$/.test(trimmed) ? trimmed : `${trimmed}/open311/v2`;
const validators = loadValidators(schemas);
const result = await walk(
  endpoint,
  async (url) => {
    try {
      const res = await fetch(url, { headers: { accept: 'application/json, text/xml' } });
      return { status: res.status, contentType: res.headers.get('content-type') ?? '', body: await res.text() };
    } catch (err) {
      // A server that does not answer is a problem like any other, reported per document.
      return { status: 0, contentType: '', body: (err as Error).cause ? String((err as Error).cause) : String(err) };
    }
  },
  validators,
  { maxDefinitions },
);
for (const p of result.problems) console.error(`✗ ${p}`);
console.log(
  `${endpoint}: ${result.checked} documents, ${result.serviceCodes.length} services, ${result.requestIds.length} requests listed, ` +
    `${result.problems.length} problem${result.problems.length === 1 ? '' : 's'}`,
);
process.exit(result.problems.length > 0 ? 1 : 0);
