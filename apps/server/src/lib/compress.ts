import { promisify } from 'node:util';
import zlib from 'node:zlib';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

const brotli = promisify(zlib.brotliCompress);
const gzip = promisify(zlib.gzip);

/** Smaller bodies go as they are: compressing them saves less than it costs. */
export const MIN_COMPRESS_BYTES = 1024;

export type Encoding = 'br' | 'gzip';

/**
 * The encoding to answer in, from an Accept-Encoding header: brotli when offered, else gzip,
 * else none. An encoding offered with q=0 is refused.
 */
export function acceptedEncoding(header: string | string[] | undefined): Encoding | null {
  const offered = new Set<string>();
  for (const part of String(header ?? '').split(',')) {
    const [name, ...params] = part.trim().toLowerCase().split(';');
    const q = params.map((p) => /^\s*q=([\d.]+)\s*$/.exec(p)?.[1]).find((v) => v !== undefined);
    if (name && (q === undefined || Number(q) > 0)) offered.add(name === 'x-gzip' ? 'gzip' : name);
  }
  return offered.has('br') ? 'br' : offered.has('gzip') ? 'gzip' : null;
}

/**
 * Compresses on libuv's thread pool, not the event loop. Brotli at quality 5 has most of its
 * gain on JSON for a small part of the maximum's time; gzip at its default level.
 */
export function compress(body: string | Buffer, encoding: Encoding): Promise<Buffer> {
  return encoding === 'br' ? brotli(body, { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 5 } }) : gzip(body, { level: 6 });
}

/** Text bodies worth compressing: JSON (GeoJSON, problem details…), XML (Open311), CSV, plain text. */
const COMPRESSIBLE = /^(application\/([\w.+-]+\+)?(json|xml)|text\/(csv|plain|xml|html))\b/i;

/**
 * Compresses the API's text answers of 1 kB or more for clients that accept it (a queue page of
 * 200 cases is about 190 kB of JSON). Answers that set their own
 * Content-Encoding (kept bodies such as the region outlines, the console's precompressed files)
 * and streams (the event stream, photos, downloads) pass untouched.
 */
export function registerCompression(app: FastifyInstance): void {
  app.addHook('onSend', async (req: FastifyRequest, reply: FastifyReply, payload: unknown) => {
    if (req.method === 'HEAD' || reply.hasHeader('content-encoding')) return payload;
    if (typeof payload !== 'string' && !Buffer.isBuffer(payload)) return payload;
    if (Buffer.byteLength(payload) < MIN_COMPRESS_BYTES) return payload;
    if (!COMPRESSIBLE.test(String(reply.getHeader('content-type') ?? ''))) return payload;
    const vary = String(reply.getHeader('vary') ?? '');
    if (!/\baccept-encoding\b/i.test(vary)) reply.header('vary', vary ? `${vary}, accept-encoding` : 'accept-encoding');
    const encoding = acceptedEncoding(req.headers['accept-encoding']);
    if (!encoding) return payload;
    const body = await compress(payload, encoding);
    reply.header('content-encoding', encoding).removeHeader('content-length');
    return body;
  });
}
