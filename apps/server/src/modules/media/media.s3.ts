import crypto from 'node:crypto';
import { Readable } from 'node:stream';
import { AppError, notFound } from '../../errors.ts';
import { assertKey, type MediaStorage } from './media.storage.ts';

/** Where and how to reach an S3-compatible object store (MinIO, Ceph RGW, OSS, COS, OBS, AWS S3). */
export interface S3Options {
  /** Base URL of the service, e.g. `http://127.0.0.1:9000` or `https://oss-cn-hangzhou.aliyuncs.com`. */
  endpoint: string;
  bucket: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** `https://host/bucket/key` (true, the default: works with every S3-compatible store) or `https://bucket.host/key`. */
  pathStyle: boolean;
  /** Object keys go under this prefix (no leading or trailing '/'), so one bucket can serve several cities. */
  prefix?: string;
  /** Per-request time limit (default 30 s). */
  timeoutMs?: number;
}

const EMPTY_SHA256 = crypto.createHash('sha256').update('').digest('hex');

const sha256Hex = (data: string | Buffer) => crypto.createHash('sha256').update(data).digest('hex');
const hmac = (key: Buffer | string, data: string) => crypto.createHmac('sha256', key).update(data).digest();

/** RFC 3986 encoding of one path segment, as SigV4 canonical URIs want it (S3: each segment encoded once). */
function encodeSegment(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

export interface SignInput {
  method: string;
  url: URL;
  headers: Record<string, string>;
  payloadSha256: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** The request time; defaults to now. */
  at?: Date;
  service?: string;
}

/**
 * AWS Signature Version 4 for one request: returns the headers to send (the given ones plus
 * host, x-amz-date, x-amz-content-sha256 and authorization). Every given header is signed.
 */
export function signV4(input: SignInput): Record<string, string> {
  const at = input.at ?? new Date();
  const amzDate = at
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
  const day = amzDate.slice(0, 8);
  const service = input.service ?? 's3';
  const headers: Record<string, string> = {
    ...Object.fromEntries(Object.entries(input.headers).map(([k, v]) => [k.toLowerCase(), v.trim().replace(/\s+/g, ' ')])),
    host: input.url.host,
    'x-amz-content-sha256': input.payloadSha256,
    'x-amz-date': amzDate,
  };
  const names = Object.keys(headers).sort();
  const query = [...input.url.searchParams.entries()]
    .map(([k, v]) => `${encodeSegment(k)}=${encodeSegment(v)}`)
    .sort()
    .join('&');
  const canonical = [
    input.method,
    input.url.pathname || '/',
    query,
    ...names.map((n) => `${n}:${headers[n]}`),
    '',
    names.join(';'),
    input.payloadSha256,
  ].join('\n');
  const scope = `${day}/${input.region}/${service}/aws4_request`;
  const toSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256Hex(canonical)].join('\n');
  const key = hmac(hmac(hmac(hmac(`AWS4${input.secretAccessKey}`, day), input.region), service), 'aws4_request');
  const signature = crypto.createHmac('sha256', key).update(toSign).digest('hex');
  return {
    ...headers,
    authorization: `AWS4-HMAC-SHA256 Credential=${input.accessKeyId}/${scope}, SignedHeaders=${names.join(';')}, Signature=${signature}`,
  };
}

/**
 * Media in an S3-compatible bucket, signed with SigV4 over plain HTTP(S) requests. The bucket
 * must exist; objects are private (the server streams them out after its own access checks).
 */
export class S3MediaStorage implements MediaStorage {
  readonly #o: S3Options;

  constructor(options: S3Options) {
    this.#o = { ...options, endpoint: options.endpoint.replace(/\/+$/, '') };
  }

  /** The object's URL; the key is checked first, so nothing from a client ever shapes it. */
  urlOf(key: string): URL {
    assertKey(key);
    const full = this.#o.prefix ? `${this.#o.prefix}/${key}` : key;
    const path = full.split('/').map(encodeSegment).join('/');
    const base = new URL(this.#o.endpoint);
    if (this.#o.pathStyle) return new URL(`${base.origin}${base.pathname.replace(/\/$/, '')}/${encodeSegment(this.#o.bucket)}/${path}`);
    return new URL(`${base.protocol}//${this.#o.bucket}.${base.host}${base.pathname.replace(/\/$/, '')}/${path}`);
  }

  async #request(method: 'PUT' | 'GET' | 'DELETE', key: string, body?: Buffer, contentType?: string): Promise<Response> {
    const url = this.urlOf(key);
    const headers = signV4({
      method,
      url,
      headers: body ? { 'content-type': contentType ?? 'application/octet-stream', 'content-length': String(body.length) } : {},
      payloadSha256: body ? sha256Hex(body) : EMPTY_SHA256,
      region: this.#o.region,
      accessKeyId: this.#o.accessKeyId,
      secretAccessKey: this.#o.secretAccessKey,
    });
    // fetch sets Host and Content-Length itself; both were signed with the values it will send.
    const { host: _host, 'content-length': _len, ...send } = headers;
    try {
      return await fetch(url, { method, headers: send, body, signal: AbortSignal.timeout(this.#o.timeoutMs ?? 30_000) });
    } catch (err) {
      throw new AppError(503, 'media_store_unavailable', '图片存储暂不可用，请稍后重试 / The photo store is unavailable; try again later', {
        store: `${method} ${key}: ${(err as Error).message}`,
      });
    }
  }

  /** A refusal or failure of the store: 503 to the caller (the server logs the store's own code). */
  async #fail(res: Response, what: string): Promise<never> {
    const text = (await res.text().catch(() => '')).slice(0, 500);
    const code = /<Code>([^<]+)<\/Code>/.exec(text)?.[1] ?? res.statusText;
    throw new AppError(503, 'media_store_unavailable', '图片存储暂不可用，请稍后重试 / The photo store is unavailable; try again later', {
      store: `${what}: HTTP ${res.status} ${code}`,
    });
  }

  async put(key: string, buffer: Buffer, contentType: string): Promise<void> {
    const res = await this.#request('PUT', key, buffer, contentType);
    if (!res.ok) await this.#fail(res, `PUT ${key}`);
    await res.arrayBuffer();
  }

  async get(key: string): Promise<Readable> {
    const res = await this.#request('GET', key);
    if (res.status === 404) {
      await res.arrayBuffer().catch(() => undefined);
      throw notFound('media_not_found', '图片文件不存在 / The media file does not exist');
    }
    if (!res.ok || !res.body) await this.#fail(res, `GET ${key}`);
    return Readable.fromWeb(res.body as import('node:stream/web').ReadableStream<Uint8Array>);
  }

  async delete(key: string): Promise<void> {
    const res = await this.#request('DELETE', key);
    // S3 answers 204 whether or not the key held an object; some stores say 404.
    if (!res.ok && res.status !== 404) await this.#fail(res, `DELETE ${key}`);
    await res.arrayBuffer().catch(() => undefined);
  }
}
