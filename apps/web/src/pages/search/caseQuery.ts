import { CASE_SOURCES, CASE_STATES } from '@cityloop/shared';

/**
 * The filters of a case search as the URL keeps them. Dates are calendar days in the city's
 * time zone (`from` and `to` both inclusive), so a bookmarked link reads the same everywhere.
 */
export interface CaseSearch {
  q?: string;
  classCode?: string;
  districtId?: number;
  departmentId?: number;
  state?: string;
  source?: string;
  from?: string;
  to?: string;
  overdue?: boolean;
  page: number;
  size: number;
  /** `field:asc|desc` of the table's display order within the page */
  sort?: string;
}

export const PAGE_SIZES = [20, 50, 100, 200] as const;
const DEFAULT_SIZE = 20;
const DAY = /^\d{4}-\d{2}-\d{2}$/;

function positiveInt(v: string | null): number | undefined {
  if (!v || !/^\d{1,9}$/.test(v)) return undefined;
  const n = Number(v);
  return n > 0 ? n : undefined;
}

/** Reads the filters from a URL query, dropping anything malformed. */
export function parseSearch(params: URLSearchParams): CaseSearch {
  const text = (k: string) => params.get(k)?.trim() || undefined;
  const state = text('state');
  const source = text('source');
  const classCode = text('classCode');
  const from = text('from');
  const to = text('to');
  const size = positiveInt(params.get('size'));
  return {
    q: text('q')?.slice(0, 100),
    classCode: classCode && /^\d{2,9}$/.test(classCode) ? classCode : undefined,
    districtId: positiveInt(params.get('districtId')),
    departmentId: positiveInt(params.get('departmentId')),
    state: state && (CASE_STATES as readonly string[]).includes(state) ? state : undefined,
    source: source && (CASE_SOURCES as readonly string[]).includes(source) ? source : undefined,
    from: from && DAY.test(from) ? from : undefined,
    to: to && DAY.test(to) ? to : undefined,
    overdue: params.get('overdue') === 'true' || undefined,
    page: positiveInt(params.get('page')) ?? 1,
    size: size && (PAGE_SIZES as readonly number[]).includes(size) ? size : DEFAULT_SIZE,
    sort: text('sort'),
  };
}

/** Writes the filters back to a URL query; defaults are left out so links stay short. */
export function searchToParams(s: CaseSearch): URLSearchParams {
  const p = new URLSearchParams();
  const put = (k: string, v: string | number | boolean | undefined) => {
    if (v !== undefined && v !== '' && v !== false) p.set(k, String(v));
  };
  put('q', s.q);
  put('state', s.state);
  put('classCode', s.classCode);
  put('districtId', s.districtId);
  put('departmentId', s.departmentId);
  put('source', s.source);
  put('from', s.from);
  put('to', s.to);
  put('overdue', s.overdue);
  if (s.page > 1) put('page', s.page);
  if (s.size !== DEFAULT_SIZE) put('size', s.size);
  put('sort', s.sort);
  return p;
}

/** Offset of the zone from UTC at `instant`, in milliseconds (positive east of Greenwich). */
function zoneOffset(instant: number, timeZone: string): number {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  }).formatToParts(new Date(instant));
  const get = (t: string) => Number(parts.find((x) => x.type === t)?.value);
  const asUtc = Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second'));
  return asUtc - Math.floor(instant / 1000) * 1000;
}

/**
 * The instant a calendar day (`YYYY-MM-DD`, plus `addDays`) begins in `timeZone`, as ISO 8601 UTC.
 * Two passes settle days on which the zone's offset changes.
 */
export function dayStartIn(day: string, timeZone: string, addDays = 0): string {
  const [y, m, d] = day.split('-').map(Number) as [number, number, number];
  const wall = Date.UTC(y, m - 1, d + addDays);
  let t = wall - zoneOffset(wall, timeZone);
  t = wall - zoneOffset(t, timeZone);
  return new Date(t).toISOString();
}

/** "2026-11-30 14:05" in the city's time zone. */
export function fmtCityTime(iso: string | null | undefined, timeZone: string): string {
  if (!iso) return '—';
  const parts = new Intl.DateTimeFormat('en-CA', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
  }).formatToParts(new Date(iso));
  const get = (t: string) => parts.find((x) => x.type === t)?.value ?? '';
  return `${get('year')}-${get('month')}-${get('day')} ${get('hour')}:${get('minute')}`;
}

/** Today's calendar day in the city's time zone. */
export function todayIn(timeZone: string): string {
  return fmtCityTime(new Date().toISOString(), timeZone).slice(0, 10);
}

export type ApiCaseQuery = Record<string, string | number | boolean | undefined>;

/** The `GET /api/cases` (and export) filters of a search; days become instants in the city's zone. */
export function apiFilters(s: CaseSearch, timeZone: string): ApiCaseQuery {
  return {
    queue: 'all',
    q: s.q,
    state: s.state,
    classCode: s.classCode,
    districtId: s.districtId,
    departmentId: s.departmentId,
    source: s.source,
    overdue: s.overdue || undefined,
    from: s.from ? dayStartIn(s.from, timeZone) : undefined,
    to: s.to ? dayStartIn(s.to, timeZone, 1) : undefined,
  };
}
