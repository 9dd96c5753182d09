/**
 * The conformance walk shared by the tests and scripts/open311-validate.ts: discovery →
 * services → every service definition → requests → one request, each JSON response checked
 * against the official GeoReport v2 JSON Schemas (read from a folder at run time, never
 * copied here) and each XML response parsed. Development only: ajv and fast-xml-parser are
 * dev dependencies.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { XMLParser, XMLValidator } from 'fast-xml-parser';

/** Where the schemas live beside this repository: ../shared/open311-schemas/georeport-v2. */
export const DEFAULT_SCHEMA_DIR = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../../../../../../shared/open311-schemas/georeport-v2',
);

export interface Validators {
  services: ValidateFunction;
  service: ValidateFunction;
  serviceDefinition: ValidateFunction;
  requests: ValidateFunction;
  request: ValidateFunction;
  /** One item of a POST answer: swagger.json's RequestResponse (the folder has no file of its own for it). */
  requestResponse: ValidateFunction;
}

/** Compiles the official schemas; their cross references (`"$ref": "request.json"`) resolve by file name. */
export function loadValidators(dir = DEFAULT_SCHEMA_DIR): Validators {
  // The official files carry a few keywords out of place (minItems on an item schema): not strict.
  const ajv = new Ajv({ allErrors: true, strict: false });
  const addFormats = addFormatsModule as unknown as (a: Ajv) => Ajv;
  addFormats(ajv);
  for (const file of ['service.json', 'services.json', 'service-definition.json', 'request.json', 'requests.json']) {
    ajv.addSchema(JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8')), file);
  }
  // swagger.json names formats of its own (uid, uint, double): any value passes them.
  for (const f of ['uid', 'uint', 'double']) ajv.addFormat(f, true);
  const swagger = JSON.parse(fs.readFileSync(path.join(dir, 'swagger.json'), 'utf8')) as { definitions: Record<string, object> };
  ajv.addSchema(swagger.definitions.RequestResponse as object, 'swagger.json#RequestResponse');
  const get = (id: string) => {
    const v = ajv.getSchema(id);
    if (!v) throw new Error(`schema ${id} did not compile`);
    return v;
  };
  return {
    services: get('services.json'),
    service: get('service.json'),
    serviceDefinition: get('service-definition.json'),
    requests: get('requests.json'),
    request: get('request.json'),
    requestResponse: get('swagger.json#RequestResponse'),
  };
}

export interface Fetched {
  status: number;
  contentType: string;
  body: string;
}
export type Fetcher = (url: string) => Promise<Fetched>;

export interface WalkResult {
  /** Every schema error and shape problem found; empty when the server conforms. */
  problems: string[];
  /** Documents fetched and checked. */
  checked: number;
  serviceCodes: string[];
  requestIds: string[];
}

const describe = (v: ValidateFunction) => (v.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message}`).join('; ');

const xmlParser = new XMLParser({
  ignoreAttributes: true,
  parseTagValue: false,
  isArray: (name) => ['service', 'request', 'endpoint', 'format', 'attribute', 'value', 'error'].includes(name),
});

/** Parses an XML document; null (and a problem) when it is not well formed or has another root. */
export function parseXml(body: string, root: string, problems: string[], label: string): Record<string, unknown> | null {
  const ok = XMLValidator.validate(body);
  if (ok !== true) {
    problems.push(`${label}: XML not well formed: ${ok.err.msg} (line ${ok.err.line})`);
    return null;
  }
  const doc = xmlParser.parse(body) as Record<string, unknown>;
  if (!(root in doc)) {
    problems.push(`${label}: XML root is not <${root}>`);
    return null;
  }
  return doc;
}

/**
 * Walks a GeoReport v2 endpoint. `base` is the endpoint URL without a trailing slash
 * (…/open311/v2); `get` fetches a URL. Checks at most `maxDefinitions` service definitions
 * (all by default).
 */
export async function walk(
  base: string,
  get: Fetcher,
  validators: Validators,
  opts: { maxDefinitions?: number } = {},
): Promise<WalkResult> {
  const problems: string[] = [];
  let checked = 0;
  const fetchJson = async (url: string): Promise<unknown> => {
    const res = await get(url);
    checked++;
    if (res.status !== 200) {
      problems.push(`${url}: HTTP ${res.status} ${res.body.slice(0, 200)}`);
      return undefined;
    }
    if (!res.contentType.startsWith('application/json')) problems.push(`${url}: content type ${res.contentType}`);
    try {
      return JSON.parse(res.body);
    } catch {
      problems.push(`${url}: not JSON`);
      return undefined;
    }
  };
  const checkXml = async (url: string, root: string) => {
    const res = await get(url);
    checked++;
    if (res.status !== 200) problems.push(`${url}: HTTP ${res.status}`);
    else if (!res.contentType.startsWith('text/xml')) problems.push(`${url}: content type ${res.contentType}`);
    else parseXml(res.body, root, problems, url);
  };
  const check = (v: ValidateFunction, doc: unknown, url: string) => {
    if (!v(doc)) problems.push(`${url}: ${describe(v)}`);
  };

  // Discovery has no official schema: its shape is checked here.
  const discovery = (await fetchJson(`${base}/discovery.json`)) as
    | { changeset?: unknown; contact?: unknown; key_service?: unknown; endpoints?: Array<Record<string, unknown>> }
    | undefined;
  if (discovery) {
    for (const k of ['changeset', 'contact', 'key_service'] as const) {
      if (typeof discovery[k] !== 'string') problems.push(`discovery.json: ${k} missing`);
    }
    const types = new Set((discovery.endpoints ?? []).map((e) => e.type));
    if (!types.has('production') || !types.has('test')) problems.push('discovery.json: needs a production and a test endpoint');
    for (const e of discovery.endpoints ?? []) {
      const formats = e.formats as unknown;
      if (!Array.isArray(formats) || !formats.includes('text/xml') || !formats.includes('application/json')) {
        problems.push(`discovery.json: endpoint ${String(e.type)} lacks text/xml or application/json`);
      }
      if (typeof e.url !== 'string' || typeof e.specification !== 'string' || typeof e.changeset !== 'string') {
        problems.push(`discovery.json: endpoint ${String(e.type)} lacks url, specification or changeset`);
      }
    }
  }
  await checkXml(`${base}/discovery.xml`, 'discovery');

  const services = (await fetchJson(`${base}/services.json`)) as Array<{ service_code: string; metadata?: boolean }> | undefined;
  if (services !== undefined) check(validators.services, services, 'services.json');
  await checkXml(`${base}/services.xml`, 'services');
  const serviceCodes = (services ?? []).map((s) => s.service_code);
  const withDefinition = (services ?? []).filter((s) => s.metadata === true).slice(0, opts.maxDefinitions ?? Number.POSITIVE_INFINITY);
  for (const s of withDefinition) {
    const url = `${base}/services/${encodeURIComponent(s.service_code)}.json`;
    const def = await fetchJson(url);
    if (def === undefined) continue;
    check(validators.serviceDefinition, def, url);
    if ((def as { service_code?: string }).service_code !== s.service_code) problems.push(`${url}: service_code differs`);
  }
  if (withDefinition[0]) await checkXml(`${base}/services/${encodeURIComponent(withDefinition[0].service_code)}.xml`, 'service_definition');

  const requests = (await fetchJson(`${base}/requests.json`)) as Array<{ service_request_id: string }> | undefined;
  // requests.json accepts an empty list too; each item is also checked on its own for clearer messages.
  if (requests !== undefined) {
    check(validators.requests, requests, 'requests.json');
    requests.forEach((r, i) => {
      check(validators.request, r, `requests.json[${i}]`);
    });
  }
  await checkXml(`${base}/requests.xml`, 'service_requests');
  const requestIds = (requests ?? []).map((r) => r.service_request_id);
  if (requestIds[0]) {
    const url = `${base}/requests/${encodeURIComponent(requestIds[0])}.json`;
    const one = await fetchJson(url);
    if (one !== undefined) {
      check(validators.requests, one, url);
      if (!Array.isArray(one) || one.length !== 1) problems.push(`${url}: expected a list of one request`);
      else check(validators.request, one[0], url);
    }
    await checkXml(`${base}/requests/${encodeURIComponent(requestIds[0])}.xml`, 'service_requests');
  }
  return { problems, checked, serviceCodes, requestIds };
}
