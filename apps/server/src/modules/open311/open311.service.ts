import crypto from 'node:crypto';
import {
  CASE_STATE_LABELS,
  CASE_STATES,
  type CaseState,
  type ClassKind,
  EDITIONS,
  type Edition,
  PHASE_LABELS,
  type Phase,
  TERMINAL_STATES,
  type TimeLimit,
} from '@cityloop/shared';
import type { Context } from '../../context.ts';
import { AppError, badRequest, notFound } from '../../errors.ts';
import { TtlCache } from '../../lib/ttl-cache.ts';
import type { Auth } from '../auth/auth.service.ts';
import type { TaxonomyClass } from '../taxonomy/taxonomy.service.ts';
import { DEFAULT_SEVERITY_LEVELS } from '../taxonomy/taxonomy.service.ts';
import { Coordinate, isoSeconds, type Value } from './open311.format.ts';
import { Open311Repository, type RequestRow, type UpdateRow } from './open311.repository.ts';

export const SPECIFICATION = 'http://wiki.open311.org/GeoReport_v2';
/** The spec's default window and cap: the last 90 days, at most 1000 requests. */
export const WINDOW_DAYS = 90;
export const MAX_REQUESTS = 1000;
/** A form sent again within this window (same fields, same key) is a retry: it gets the case the first one made. */
export const RETRY_WINDOW_MS = 10 * 60_000;
/** The catalogue (classes by code) is reused this long; taxonomy edits show within it. */
const CATALOGUE_TTL_MS = 10_000;
/** When the endpoint list last changed (discovery's changeset). */
export const CHANGESET = '2026-11-30T05:00:00Z';

const DAY_MS = 86_400_000;
const KIND_LABEL: Record<ClassKind, string> = { component: '部件', event: '事件' };
const UNIT_LABEL: Record<TimeLimit['unit'], string> = { minute: '分钟', hour: '小时', day: '天' };
const TIME_TYPE_LABEL: Record<TimeLimit['timeType'], string> = { work: '工作时', natural: '自然时', urgent: '紧急时' };
const OPEN_STATES = CASE_STATES.filter((s) => !TERMINAL_STATES.includes(s));

/** `event-0101`: component and event classes share codes, so the kind is part of a service code. */
const SERVICE_CODE = /^(component|event)-(\d{2,9})$/;
export const serviceCode = (kind: string, code: string) => `${kind}-${code}`;

/** The fields of POST requests.{format}, as the form sends them. */
export interface CreateForm {
  api_key?: string;
  jurisdiction_id?: string;
  service_code: string;
  lat?: number;
  long?: number;
  address_string?: string;
  address_id?: string;
  attribute?: Record<string, string | string[]>;
  email?: string;
  device_id?: string;
  account_id?: string;
  first_name?: string;
  last_name?: string;
  phone?: string;
  description?: string;
  media_url?: string;
}

/** The query of GET requests.{format} (and, for `extensions`, of one request). */
export interface ListQuery {
  service_request_id?: string;
  service_code?: string;
  start_date?: string;
  end_date?: string;
  updated_after?: string;
  status?: string;
  page?: number;
  page_size?: number;
  extensions?: boolean;
}

interface Catalogue {
  /** Every class of every edition, by `edition/kind/code` (cases keep the edition they were filed in). */
  all: Map<string, TaxonomyClass>;
  /** What may be reported now: active minor and detail classes of the city's edition, in order. */
  services: TaxonomyClass[];
  edition: Edition;
}

const key = (edition: string, kind: string, code: string) => `${edition}/${kind}/${code}`;

/** A phone-like run of digits (mobile, landline, ID card) in free text, masked on output. */
const PHONE_LIKE = /(?<!\d)(?:\+?86[- ]?)?(?:1[3-9]\d{9}|0\d{2,3}-?\d{7,8}|\d{17}[\dXx])(?!\d)/g;
/** Free text as the public sees it: phone numbers and ID numbers masked. */
export function redact(text: string): string {
  return text.replace(PHONE_LIKE, (m) => `${m.slice(0, 3)}${'*'.repeat(Math.max(0, m.length - 5))}${m.slice(-2)}`);
}

/** CitySDK's detailed status of a workflow state. */
export function detailedStatus(state: string): 'RECEIVED' | 'IN_PROCESS' | 'PROCESSED' | 'REJECTED' {
  if (state === 'reported' || state === 'self_review') return 'RECEIVED';
  if (state === 'closed' || state === 'merged') return 'PROCESSED';
  if (TERMINAL_STATES.includes(state as CaseState)) return 'REJECTED';
  return 'IN_PROCESS';
}

const stateLabel = (state: string) => `${CASE_STATE_LABELS[state as CaseState] ?? state} (${state})`;

function limitText(l: TimeLimit | null | undefined): string | null {
  if (!l) return null;
  return `处置时限 ${l.value} ${UNIT_LABEL[l.unit]}（${TIME_TYPE_LABEL[l.timeType]}）`;
}

/** A date-time filter: ISO 8601 with or without a zone (none = UTC), or a bare date (UTC midnight). */
function parseDate(name: string, s: string | undefined): Date | undefined {
  if (s === undefined) return undefined;
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/.exec(s.trim());
  const [y, mo, day, h, mi, sec] = (m ?? []).slice(1, 7).map((x) => Number(x ?? 0));
  // Date would roll 2026-02-31 over to March: an impossible calendar date is refused instead.
  const real =
    m &&
    new Date(Date.UTC(y as number, (mo as number) - 1, day)).getUTCDate() === day &&
    (h as number) < 24 &&
    (mi as number) < 60 &&
    (sec as number) < 60;
  const d = real ? new Date(`${m[1]}-${m[2]}-${m[3]}T${m[4] ?? '00'}:${m[5] ?? '00'}:${m[6] ?? '00'}${m[7] ?? ''}${m[8] ?? 'Z'}`) : null;
  if (!d || Number.isNaN(d.getTime())) throw badRequest('open311_bad_date', `${name} is not an ISO 8601 date-time: "${s}"`);
  return d;
}

/**
 * Open311 GeoReport v2 over the city's cases: the taxonomy as the service list, the cases
 * intake for new requests (source `system`, channel `open311`), and a public read of cases
 * that leaves out everything personal.
 */
export class Open311Service {
  readonly repo: Open311Repository;
  readonly #catalogue = new TtlCache<'all', Catalogue>(CATALOGUE_TTL_MS);

  constructor(private readonly ctx: Context) {
    this.repo = new Open311Repository(ctx.db);
  }

  async #classes(): Promise<Catalogue> {
    return this.#catalogue.get('all', async () => {
      const { edition } = await this.ctx.services.settings.get();
      const { items } = await this.ctx.services.taxonomy.list({});
      const all = new Map(items.map((c) => [key(c.edition, c.kind, c.code), c]));
      const services = items.filter((c) => c.edition === edition && c.level !== 'major' && c.active);
      return { all, services, edition };
    });
  }

  /** The class a service code names among the services offered now, or null. */
  async #service(code: string): Promise<{ cls: TaxonomyClass; catalogue: Catalogue } | null> {
    const m = SERVICE_CODE.exec(code);
    if (!m) return null;
    const catalogue = await this.#classes();
    const cls = catalogue.all.get(key(catalogue.edition, m[1] as string, m[2] as string));
    if (!cls || cls.level === 'major' || !cls.active) return null;
    return { cls, catalogue };
  }

  // --- discovery and services -------------------------------------------------------------

  /** The endpoint twice, as production and test: one server answers both. */
  async discovery(baseUrl: string): Promise<Value> {
    const { cityName } = await this.ctx.services.settings.get();
    const endpoint = (type: string): Value => ({
      specification: SPECIFICATION,
      url: baseUrl,
      changeset: CHANGESET,
      type,
      formats: ['text/xml', 'application/json'],
    });
    return {
      changeset: CHANGESET,
      contact: `${cityName} 数字城管监督指挥中心 / ${cityName} urban management command centre`,
      key_service: '向系统管理员申请 API key（角色 machine）/ Ask the system administrator for an API key (role machine)',
      endpoints: [endpoint('production'), endpoint('test')],
    };
  }

  async services(): Promise<Value[]> {
    const catalogue = await this.#classes();
    return catalogue.services.map((c) => this.#serviceEntry(c, catalogue));
  }

  #serviceEntry(c: TaxonomyClass, catalogue: Catalogue): Value {
    const major = catalogue.all.get(key(c.edition, c.kind, c.majorCode));
    const parent = c.level === 'detail' && c.parentCode ? catalogue.all.get(key(c.edition, c.kind, c.parentCode)) : undefined;
    const keywords = [KIND_LABEL[c.kind], major?.name, parent?.name, c.isExtension ? '城市扩展' : null].filter((x): x is string => !!x);
    return {
      service_code: serviceCode(c.kind, c.code),
      service_name: c.name,
      description: c.filingCondition ? `立案条件：${c.filingCondition}` : null,
      metadata: true,
      type: 'realtime',
      keywords: keywords.join(','),
      group: major?.name ?? null,
    };
  }

  /**
   * The form of a service: severity (the class's levels), the component for component
   * classes and events tied to one, and the class's 立案/结案 conditions and time limit as
   * information only (variable false).
   */
  async definition(code: string): Promise<Value> {
    const found = await this.#service(code);
    if (!found) throw notFound('open311_service_not_found', `No service with service_code "${code}"`);
    const { cls } = found;
    const attributes: Value[] = [];
    const add = (a: Record<string, Value>) => attributes.push({ ...a, order: attributes.length + 1 });
    add({
      variable: true,
      code: 'severity',
      datatype: 'singlevaluelist',
      required: false,
      datatype_description: null,
      description: '严重程度（默认一般）/ Severity (default: normal)',
      values: this.#severities(cls).map((s) => ({ key: s.code, name: s.name })),
    });
    if (cls.kind === 'component' || cls.relatedCode) {
      add({
        variable: true,
        code: 'component_id',
        datatype: 'string',
        required: false,
        datatype_description: '部件标识码：16 位（CJ/T 214-2007）或 17 位（GB/T 47678.5-2026）/ Component code: 16 or 17 digits',
        description: '出问题的部件编码（部件上的标牌）/ The code on the component concerned',
      });
    }
    const info = (codeName: string, text: string | null, label: string) => {
      if (text)
        add({
          variable: false,
          code: codeName,
          datatype: 'text',
          required: false,
          datatype_description: null,
          description: `${label}：${text}`,
        });
    };
    info('filing_condition', cls.filingCondition, '立案条件');
    info('closing_condition', cls.closingCondition, '结案条件');
    info('disposal_limit', limitText(await this.#limit(cls)), '时限');
    return { service_code: serviceCode(cls.kind, cls.code), attributes };
  }

  #severities(cls: TaxonomyClass) {
    return cls.severityLevels.length > 0 ? cls.severityLevels : DEFAULT_SEVERITY_LEVELS;
  }

  #limit(cls: TaxonomyClass): Promise<TimeLimit> {
    return this.ctx.services.taxonomy.disposalLimit(cls.edition, cls.kind, cls.code);
  }

  // --- new requests ---------------------------------------------------------------------

  /**
   * Who posts: the form's (or query's) api_key, else an X-Api-Key header already read.
   * A missing, unknown or revoked key, or one whose role may not report, is 403 as the spec has it.
   */
  async authenticate(apiKey: string | undefined, headerAuth: Auth | null): Promise<Auth> {
    // A console session is no key: Open311 clients are machines.
    const fromHeader = headerAuth?.kind === 'apikey' ? headerAuth : null;
    const auth = apiKey ? await this.ctx.services.auth.fromApiKey(apiKey) : fromHeader;
    if (!auth) throw new AppError(403, 'invalid_api_key', apiKey ? 'api_key is unknown or revoked' : 'api_key is required');
    this.ctx.services.auth.requireAccess(auth, 'cases.report');
    return auth;
  }

  /** Files a request through the cases intake. Everything is checked before anything is written. */
  async create(auth: Auth, form: CreateForm): Promise<Value[]> {
    const found = await this.#service(form.service_code);
    if (!found) throw badRequest('open311_service_not_found', `service_code "${form.service_code}" is not a service of this city`);
    const { cls } = found;

    // Attributes: only the variable ones of the definition, with values from their lists.
    let severity: string | undefined;
    let componentCode: string | undefined;
    for (const [code, raw] of Object.entries(form.attribute ?? {})) {
      const value = Array.isArray(raw) ? raw : [raw];
      if (code === 'severity') {
        const known = this.#severities(cls).map((s) => s.code);
        if (value.length !== 1 || !known.includes(value[0] as string)) {
          throw badRequest('open311_bad_attribute', `attribute[severity] must be one of ${known.join(', ')}`);
        }
        severity = value[0];
      } else if (code === 'component_id' && (cls.kind === 'component' || cls.relatedCode)) {
        if (value.length !== 1 || !/^\d{16,17}$/.test(value[0] as string)) {
          throw badRequest('open311_bad_attribute', 'attribute[component_id] must be a 16- or 17-digit component code');
        }
        componentCode = value[0];
      } else {
        throw badRequest('open311_bad_attribute', `attribute[${code}] is not an input of service ${form.service_code}`);
      }
    }

    // Where: lat/long (WGS 84), else a geocoded address_string.
    const hasLat = form.lat !== undefined;
    if (hasLat !== (form.long !== undefined)) throw badRequest('open311_bad_location', 'lat and long must be sent together');
    let location: { lng: number; lat: number } | undefined;
    let address = form.address_string?.trim() || undefined;
    if (hasLat) {
      location = { lng: form.long as number, lat: form.lat as number };
      address ??= (await this.ctx.services.geocode.reverse(location.lng, location.lat)).description;
    } else if (address) {
      const [hit] = await this.ctx.services.geocode.search(address, { limit: 1 });
      if (!hit) throw badRequest('open311_address_not_found', `No place matches address_string "${address}"`);
      location = { lng: hit.lng, lat: hit.lat };
      address = hit.fullAddress;
    } else if (!componentCode) {
      throw badRequest(
        'open311_location_required',
        form.address_id ? 'address_id is not supported here; send lat and long or address_string' : 'Send lat and long, or address_string',
      );
    }
    if (form.media_url !== undefined && !/^https?:\/\/\S+$/i.test(form.media_url)) {
      throw badRequest('open311_bad_media_url', 'media_url must be an http(s) URL');
    }

    // The reporter's contact stays with the case for the centre; it is never shown publicly.
    const name = fullName(form.first_name, form.last_name);
    const contact: { name?: string; phone?: string; email?: string; deviceId?: string; accountId?: string } = {};
    if (name) contact.name = name;
    if (form.phone) contact.phone = form.phone;
    if (form.email) contact.email = form.email;
    if (form.device_id) contact.deviceId = form.device_id;
    if (form.account_id) contact.accountId = form.account_id;

    // Open311 has no idempotency key: the same form from the same key within RETRY_WINDOW_MS is a retry.
    const { api_key: _key, jurisdiction_id: _j, ...fields } = form;
    const digest = crypto.createHash('sha256').update(stableJson(fields)).digest('hex').slice(0, 40);
    const idempotencyKey = `open311-${digest}-${Math.floor(this.ctx.now().getTime() / RETRY_WINDOW_MS)}`;

    try {
      const { case: c } = await this.ctx.services.cases.report(auth, {
        source: 'system',
        channel: 'open311',
        kind: cls.kind,
        edition: cls.edition,
        classCode: cls.code,
        ...(severity ? { severity } : {}),
        description: form.description?.trim() || cls.name,
        ...(location ? { location } : {}),
        ...(address ? { address } : {}),
        ...(componentCode ? { componentCode } : {}),
        idempotencyKey,
        ...(Object.keys(contact).length > 0 ? { reporterContact: contact } : {}),
        ...(form.media_url ? { sourceRef: form.media_url } : {}),
      });
      return [
        {
          service_request_id: c.number,
          service_notice: this.#notice(cls, c.disposalLimit as TimeLimit | null),
          account_id: form.account_id ?? null,
        },
      ];
    } catch (err) {
      // The intake's refusals (no such component, outside the city, …) are malformed input here.
      if (err instanceof AppError && err.status === 422) throw badRequest(err.code, err.message, err.details);
      throw err;
    }
  }

  #notice(cls: TaxonomyClass, limit: TimeLimit | null): string | null {
    const parts = [limitText(limit), cls.closingCondition ? `结案标准：${cls.closingCondition}` : null].filter((x): x is string => !!x);
    return parts.length > 0 ? parts.join('；') : null;
  }

  // --- reading requests -----------------------------------------------------------------

  /** GET requests: the spec's filters and defaults (90 days, 1000 requests), paging and the extensions. */
  async list(q: ListQuery, origin: string): Promise<Value[]> {
    const pageSize = q.page_size ?? MAX_REQUESTS;
    const offset = ((q.page ?? 1) - 1) * pageSize;
    if (q.service_request_id !== undefined) {
      const numbers = q.service_request_id
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s !== '');
      if (numbers.length === 0 || numbers.length > MAX_REQUESTS) {
        throw badRequest('open311_bad_request_id', `service_request_id takes 1 to ${MAX_REQUESTS} ids, comma separated`);
      }
      // The spec: a list of ids overrides every other filter.
      return this.#render(await this.repo.list({ numbers, limit: pageSize, offset }), q.extensions === true, origin);
    }

    let classes: Array<{ kind: string; code: string }> | undefined;
    if (q.service_code !== undefined) {
      // Any class the city has or had, in either edition: old cases keep theirs.
      const { all } = await this.#classes();
      classes = q.service_code.split(',').map((s) => {
        const m = SERVICE_CODE.exec(s.trim());
        const known = m && [...EDITIONS].some((e) => all.has(key(e, m[1] as string, m[2] as string)));
        if (!m || !known) throw badRequest('open311_service_not_found', `service_code "${s}" is not a service of this city`);
        return { kind: m[1] as string, code: m[2] as string };
      });
    }
    let states: readonly string[] | undefined;
    if (q.status !== undefined) {
      const wanted = new Set(q.status.split(',').map((s) => s.trim()));
      for (const s of wanted)
        if (s !== 'open' && s !== 'closed') throw badRequest('open311_bad_status', `status "${s}" is not open or closed`);
      if (wanted.size === 1) states = wanted.has('open') ? OPEN_STATES : TERMINAL_STATES;
    }
    const updatedAfter = parseDate('updated_after', q.updated_after);
    let from = parseDate('start_date', q.start_date);
    let to = parseDate('end_date', q.end_date);
    if (from && to && from > to) throw badRequest('open311_bad_date', 'start_date is after end_date');
    if (from && to && to.getTime() - from.getTime() > WINDOW_DAYS * DAY_MS) {
      throw badRequest('open311_bad_date', `start_date and end_date may not span more than ${WINDOW_DAYS} days`);
    }
    // The default window: the 90 days up to end_date (or now), or from start_date. A client
    // following changes with updated_after alone reads every case changed since.
    if (!from && !to && !updatedAfter) {
      to = this.ctx.now();
      from = new Date(to.getTime() - WINDOW_DAYS * DAY_MS);
    } else if (from && !to) {
      to = new Date(from.getTime() + WINDOW_DAYS * DAY_MS);
    } else if (to && !from) {
      from = new Date(to.getTime() - WINDOW_DAYS * DAY_MS);
    }
    const rows = await this.repo.list({ classes, states, from, to, updatedAfter, limit: pageSize, offset });
    return this.#render(rows, q.extensions === true, origin);
  }

  /** GET requests/{id}: a list of one, as the spec has it; 404 for an unknown id. */
  async one(id: string, extensions: boolean, origin: string): Promise<Value[]> {
    const rows = /^\d{1,20}$/.test(id) ? await this.repo.list({ numbers: [id], limit: 1, offset: 0 }) : [];
    if (rows.length === 0) throw notFound('open311_request_not_found', `No service request ${id}`);
    return this.#render(rows, extensions, origin);
  }

  async #render(rows: RequestRow[], extensions: boolean, origin: string): Promise<Value[]> {
    const catalogue = await this.#classes();
    const updates = new Map<number, UpdateRow[]>();
    if (extensions) {
      for (const u of await this.repo.updates(rows.map((r) => r.id))) {
        const list = updates.get(u.caseId) ?? [];
        list.push(u);
        updates.set(u.caseId, list);
      }
    }
    return rows.map((r) => {
      const cls = catalogue.all.get(key(r.edition, r.kind, r.classCode));
      const closed = TERMINAL_STATES.includes(r.state as CaseState);
      const out: Record<string, Value> = {
        service_request_id: r.number,
        status: closed ? 'closed' : 'open',
        status_notes: r.mergedIntoNumber ? `${stateLabel(r.state)} → ${r.mergedIntoNumber}` : stateLabel(r.state),
        service_name: cls?.name ?? null,
        service_code: serviceCode(r.kind, r.classCode),
        description: r.description ? redact(r.description) : null,
        agency_responsible: r.departmentName,
        service_notice: cls ? this.#notice(cls, r.disposalLimit as TimeLimit | null) : null,
        requested_datetime: isoSeconds(r.createdAt),
        updated_datetime: isoSeconds(closed ? (r.closedAt ?? r.updatedAt) : r.updatedAt),
        expected_datetime: isoSeconds(r.disposalDeadline),
        address: r.address ?? r.regionAddress ?? `${new Coordinate(Number(r.lat))}, ${new Coordinate(Number(r.lng))}`,
        address_id: null,
        zipcode: null,
        lat: new Coordinate(Number(r.lat)),
        long: new Coordinate(Number(r.lng)),
        media_url: r.publicMediaId
          ? `${origin}/api/public/media/${encodeURIComponent(r.publicMediaId)}`
          : r.channel === 'open311' && r.sourceRef
            ? r.sourceRef
            : null,
      };
      if (extensions) {
        out.extended_attributes = {
          detailed_status: detailedStatus(r.state),
          updates: (updates.get(r.id) ?? []).map((u) => ({
            update_id: `${r.number}-${u.seq}`,
            status: TERMINAL_STATES.includes(u.toState as CaseState) ? 'closed' : 'open',
            detailed_status: detailedStatus(u.toState),
            updated_datetime: isoSeconds(u.endedAt),
            description: `${PHASE_LABELS[u.phase as Phase] ?? u.phase}：${stateLabel(u.toState)}`,
          })),
        };
      }
      return out;
    });
  }
}

/** "张三" from 三 + 张 when the name is Chinese; "Ada Lovelace" otherwise. */
function fullName(first?: string, last?: string): string | undefined {
  const f = first?.trim() ?? '';
  const l = last?.trim() ?? '';
  if (!f && !l) return undefined;
  const cjk = /^[\u3400-\u9fff·]*$/.test(f + l);
  return cjk ? `${l}${f}` : [f, l].filter(Boolean).join(' ');
}

/** JSON with sorted keys, so the same form hashes the same whatever the field order. */
function stableJson(v: unknown): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v) ?? 'null';
  if (Array.isArray(v)) return `[${v.map(stableJson).join(',')}]`;
  return `{${Object.keys(v)
    .sort()
    .filter((k) => (v as Record<string, unknown>)[k] !== undefined)
    .map((k) => `${JSON.stringify(k)}:${stableJson((v as Record<string, unknown>)[k])}`)
    .join(',')}}`;
}
