import i18n, { localizeMessage } from './i18n/index.ts';

/** An error answered by the API (`{error, message, details, requestId}`) or a network failure. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly details: unknown;
  readonly requestId: string | undefined;
  /** The server's message as sent (both languages). */
  readonly rawMessage: string;

  constructor(status: number, code: string, rawMessage: string, details?: unknown, requestId?: string) {
    super(localizeMessage(rawMessage));
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.rawMessage = rawMessage;
    this.details = details;
    this.requestId = requestId;
  }
}

type Query = Record<string, string | number | boolean | null | undefined>;

export interface RequestOptions {
  method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  query?: Query;
  body?: unknown;
  signal?: AbortSignal;
}

const unauthorizedListeners = new Set<() => void>();

/** Called whenever a request answers 401 (the session ended); returns an unsubscribe function. */
export function onUnauthorized(listener: () => void): () => void {
  unauthorizedListeners.add(listener);
  return () => unauthorizedListeners.delete(listener);
}

function buildUrl(path: string, query?: Query): string {
  if (!query) return path;
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) {
    if (v !== undefined && v !== null && v !== '') params.set(k, String(v));
  }
  const qs = params.toString();
  return qs ? `${path}?${qs}` : path;
}

function isErrorBody(x: unknown): x is { error?: unknown; message?: unknown; details?: unknown; requestId?: unknown } {
  return typeof x === 'object' && x !== null;
}

export async function request<T>(path: string, opts: RequestOptions = {}): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  let body: string | undefined;
  if (opts.body !== undefined) {
    headers['Content-Type'] = 'application/json';
    body = JSON.stringify(opts.body);
  }
  let res: Response;
  try {
    res = await fetch(buildUrl(path, opts.query), {
      method: opts.method ?? 'GET',
      headers,
      body,
      credentials: 'same-origin',
      signal: opts.signal,
    });
  } catch (err) {
    if (err instanceof DOMException && err.name === 'AbortError') throw err;
    throw new ApiError(0, 'network_error', i18n.t('errors.network'));
  }
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  let data: unknown = null;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = null;
    }
  }
  if (!res.ok) {
    const e = isErrorBody(data) ? data : {};
    const code = typeof e.error === 'string' ? e.error : `http_${res.status}`;
    const message = typeof e.message === 'string' && e.message ? e.message : `${res.status} ${res.statusText || i18n.t('errors.unknown')}`;
    const requestId = typeof e.requestId === 'string' ? e.requestId : undefined;
    if (res.status === 401 && !path.startsWith('/api/auth/')) {
      for (const l of unauthorizedListeners) l();
    }
    throw new ApiError(res.status, code, message, e.details, requestId);
  }
  return data as T;
}

export const api = {
  get: <T>(path: string, query?: Query, signal?: AbortSignal) => request<T>(path, { query, signal }),
  post: <T>(path: string, body?: unknown) => request<T>(path, { method: 'POST', body }),
};
