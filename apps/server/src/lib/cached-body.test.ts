import zlib from 'node:zlib';
import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CachedBody } from './cached-body.ts';

describe('CachedBody', () => {
  const app = Fastify();
  const body = JSON.stringify({
    features: Array.from({ length: 200 }, (_, i) => ({ id: i, name: `网格 ${i}`, coordinates: [111.3 + i / 1e4, 30.7] })),
  });
  const cached = new CachedBody(body, 'W/"regions-7"');
  const small = new CachedBody('{"features":[]}', 'W/"regions-7"');
  beforeAll(async () => {
    app.get('/big', (req, reply) => cached.send(req, reply, 'application/geo+json; charset=utf-8', 'private, no-cache'));
    app.get('/small', (req, reply) => small.send(req, reply, 'application/json', 'private, no-cache'));
    await app.ready();
  });
  afterAll(() => app.close());

  it('sends the body in the encoding the client prefers, brotli first, and as it is otherwise', async () => {
    const br = await app.inject({ method: 'GET', url: '/big', headers: { 'accept-encoding': 'gzip, deflate, br' } });
    expect(br.headers['content-encoding']).toBe('br');
    expect(br.headers['content-type']).toBe('application/geo+json; charset=utf-8');
    expect(br.headers.vary).toBe('accept-encoding');
    expect(zlib.brotliDecompressSync(br.rawPayload).toString()).toBe(body);
    expect(br.rawPayload.length).toBeLessThan(body.length / 4);
    const gz = await app.inject({ method: 'GET', url: '/big', headers: { 'accept-encoding': 'gzip' } });
    expect(gz.headers['content-encoding']).toBe('gzip');
    expect(zlib.gunzipSync(gz.rawPayload).toString()).toBe(body);
    const plain = await app.inject({ method: 'GET', url: '/big', headers: { 'accept-encoding': 'identity' } });
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.body).toBe(body);
    const tiny = await app.inject({ method: 'GET', url: '/small', headers: { 'accept-encoding': 'br' } });
    expect(tiny.headers['content-encoding']).toBeUndefined();
    expect(tiny.body).toBe('{"features":[]}');
  });

  it('answers 304 with no body to a client holding this version, and the body to one holding another', async () => {
    const held = await app.inject({ method: 'GET', url: '/big', headers: { 'if-none-match': 'W/"regions-6", W/"regions-7"' } });
    expect(held.statusCode).toBe(304);
    expect(held.body).toBe('');
    expect(held.headers.etag).toBe('W/"regions-7"');
    const older = await app.inject({ method: 'GET', url: '/big', headers: { 'if-none-match': 'W/"regions-6"' } });
    expect(older.statusCode).toBe(200);
    expect(older.body).toBe(body);
  });
});
