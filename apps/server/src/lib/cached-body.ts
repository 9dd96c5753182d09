import { promisify } from 'node:util';
import zlib from 'node:zlib';
import type { FastifyReply, FastifyRequest } from 'fastify';

const brotli = promisify(zlib.brotliCompress);
const gzip = promisify(zlib.gzip);

/** Smaller bodies go as they are: compressing them saves less than it costs. */
const MIN_COMPRESS_BYTES = 1024;

/**
 * A response body computed once and served many times (region outlines until the next region
 * edit): its entity tag, and its compressed forms, each made the first time a client asks
 * for it and kept with the body.
 */
export class CachedBody {
  readonly #encoded = new Map<'br' | 'gzip', Promise<Buffer>>();
  readonly #compressible: boolean;

  constructor(
    readonly body: string,
    readonly etag: string,
  ) {
    this.#compressible = Buffer.byteLength(body) >= MIN_COMPRESS_BYTES;
  }

  #encode(encoding: 'br' | 'gzip'): Promise<Buffer> {
    let p = this.#encoded.get(encoding);
    if (!p) {
      p =
        encoding === 'br'
          ? // Quality 5: most of brotli's gain on JSON for a small part of the maximum's time.
            brotli(this.body, { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 5 } })
          : gzip(this.body, { level: 6 });
      this.#encoded.set(encoding, p);
    }
    return p;
  }

  /**
   * Answers with this body: 304 when the client holds this version (If-None-Match), else the
   * body in the best encoding the client accepts.
   */
  async send(req: FastifyRequest, reply: FastifyReply, type: string, cacheControl: string) {
    reply.header('etag', this.etag).header('cache-control', cacheControl).header('vary', 'accept-encoding');
    const held = req.headers['if-none-match'];
    if (held?.split(',').some((t) => t.trim() === this.etag)) return reply.code(304).send();
    reply.type(type);
    const accept = String(req.headers['accept-encoding'] ?? '');
    const encoding = !this.#compressible ? null : /\bbr\b/.test(accept) ? 'br' : /\bgzip\b/.test(accept) ? 'gzip' : null;
    if (!encoding) return reply.send(this.body);
    return reply.header('content-encoding', encoding).send(await this.#encode(encoding));
  }
}
