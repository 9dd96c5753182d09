import type { FastifyReply, FastifyRequest } from 'fastify';
import { acceptedEncoding, compress, type Encoding, MIN_COMPRESS_BYTES } from './compress.ts';

/**
 * A response body computed once and served many times (region outlines until the next region
 * edit): its entity tag, and its compressed forms, each made the first time a client asks
 * for it and kept with the body.
 */
export class CachedBody {
  readonly #encoded = new Map<Encoding, Promise<Buffer>>();
  readonly #compressible: boolean;

  constructor(
    readonly body: string,
    readonly etag: string,
  ) {
    this.#compressible = Buffer.byteLength(body) >= MIN_COMPRESS_BYTES;
  }

  #encode(encoding: Encoding): Promise<Buffer> {
    let p = this.#encoded.get(encoding);
    if (!p) {
      p = compress(this.body, encoding);
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
    const encoding = this.#compressible ? acceptedEncoding(req.headers['accept-encoding']) : null;
    if (!encoding) return reply.send(this.body);
    return reply.header('content-encoding', encoding).send(await this.#encode(encoding));
  }
}
