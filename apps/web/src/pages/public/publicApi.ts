import { localize } from './i18n.ts';

/** An error answered by the public API: its stable code and the message in the page's language. */
export class PublicApiError extends Error {
  readonly status: number;
  readonly code: string;
  constructor(status: number, code: string, message: string) {
    super(localize(message));
    this.status = status;
    this.code = code;
  }
}

/** A JSON request to the public API (no session, no cookies needed). */
export async function call<T>(path: string, init: { method?: string; body?: unknown; form?: FormData; signal?: AbortSignal } = {}) {
  let res: Response;
  try {
    res = await fetch(path, {
      method: init.method ?? (init.body || init.form ? 'POST' : 'GET'),
      headers: init.body ? { 'content-type': 'application/json' } : undefined,
      body: init.form ?? (init.body ? JSON.stringify(init.body) : undefined),
      signal: init.signal,
      credentials: 'omit',
    });
  } catch (err) {
    if ((err as Error).name === 'AbortError') throw err;
    throw new PublicApiError(0, 'network', '网络不可用，请稍后再试 / No network; try again later');
  }
  const text = await res.text();
  const data = text ? JSON.parse(text) : null;
  if (!res.ok) throw new PublicApiError(res.status, data?.error ?? 'http_error', data?.message ?? `HTTP ${res.status}`);
  return data as T;
}

export interface Settings {
  cityName: string;
  mapCenter: [number, number];
  mapZoom: number;
  basemapUrl: string | null;
}

export interface Category {
  key: string;
  label: string;
  labelEn: string;
  kind: 'component' | 'event';
  classCode: string;
  className: string;
}

export interface Place {
  name: string;
  fullAddress: string;
  lng: number;
  lat: number;
}

export interface Spot {
  lng: number;
  lat: number;
}

export interface PublicPhoto {
  id: string;
  width: number;
  height: number;
  url: string;
}

export interface PublicCase {
  number: string;
  state: string;
  kind: string;
  classCode: string;
  className: string | null;
  description: string;
  address: string | null;
  location: Spot;
  createdAt: string;
  closedAt: string | null;
  milestones: Array<{ action: string; phase: string; state: string; at: string }>;
  photos: PublicPhoto[];
  afterPhotos: PublicPhoto[];
  rating: { stars: number; comment: string | null; at: string } | null;
  notFixed: { reason: string | null; at: string } | null;
  canRate: boolean;
  canReopen: boolean;
  reopenUntil: string | null;
}

/** A report this phone made: enough to follow it again. */
export interface MyReport {
  number: string;
  token: string;
  category: string;
  at: string;
}

const MINE_KEY = 'cityloop.report.mine';

export function myReports(): MyReport[] {
  try {
    const v = JSON.parse(localStorage.getItem(MINE_KEY) ?? '[]');
    return Array.isArray(v) ? v : [];
  } catch {
    return [];
  }
}

export function rememberReport(r: MyReport): void {
  try {
    localStorage.setItem(MINE_KEY, JSON.stringify([r, ...myReports().filter((x) => x.number !== r.number)].slice(0, 50)));
  } catch {
    // storage unavailable: the link shown is the only record
  }
}

export function forgetReport(number: string): void {
  try {
    localStorage.setItem(MINE_KEY, JSON.stringify(myReports().filter((x) => x.number !== number)));
  } catch {
    // nothing kept anyway
  }
}

export const trackPath = (number: string, token: string) => `/report/track/${number}?token=${encodeURIComponent(token)}`;

/** "2026-11-30 09:15" in the phone's time zone. */
export function fmtTime(iso: string): string {
  const d = new Date(iso);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}`;
}
