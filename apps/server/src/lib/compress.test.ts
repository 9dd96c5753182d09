import { Readable } from 'node:stream';
import zlib from 'node:zlib';
import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../test/helpers.ts';
import { acceptedEncoding, registerCompression } from './compress.ts';

describe('acceptedEncoding', () => {
  it('prefers brotli, then gzip, and refuses what is offered with q=0', () => {
    expect(acceptedEncoding('gzip, deflate, br, zstd')).toBe('br');
    expect(acceptedEncoding('gzip;q=1.0, br;q=0')).toBe('gzip');
    expect(acceptedEncoding('x-gzip')).toBe('gzip');
    expect(acceptedEncoding('deflate, identity')).toBeNull();
    expect(acceptedEncoding('br;q=0, gzip;q=0')).toBeNull();
    expect(acceptedEncoding(undefined)).toBeNull();
  });
});

describe('registerCompression', () => {
  const app = Fastify();
  const rows = Array.from({ length: 300 }, (_, i) => ({ id: i, number: `2026113000${i}`, description: `井盖破损 #${i}` }));
  const json = JSON.stringify(rows);
  beforeAll(async () => {
    registerCompression(app);
    app.get('/rows', async () => rows);
    app.get('/tiny', async () => ({ ok: true }));
    app.get('/png', (_req, reply) => reply.type('image/png').send(Buffer.alloc(4096, 1)));
    app.get('/stream', (_req, reply) => reply.type('text/plain').send(Readable.from([Buffer.alloc(4096, 97)])));
    app.get('/own', (_req, reply) => reply.type('application/json').header('content-encoding', 'gzip').send(zlib.gzipSync(json)));
    app.get('/varied', (_req, reply) => reply.header('vary', 'origin').send(rows));
    await app.ready();
  });
  afterAll(() => app.close());

  it('compresses a JSON answer of 1 kB or more in the encoding the client prefers', async () => {
    const br = await app.inject({ url: '/rows', headers: { 'accept-encoding': 'gzip, deflate, br' } });
    expect(br.statusCode).toBe(200);
    expect(br.headers['content-encoding']).toBe('br');
    expect(br.headers.vary).toBe('accept-encoding');
    expect(Number(br.headers['content-length'])).toBe(br.rawPayload.length);
    expect(br.rawPayload.length).toBeLessThan(json.length / 4);
    expect(zlib.brotliDecompressSync(br.rawPayload).toString()).toBe(json);

    const gz = await app.inject({ url: '/rows', headers: { 'accept-encoding': 'gzip' } });
    expect(gz.headers['content-encoding']).toBe('gzip');
    expect(zlib.gunzipSync(gz.rawPayload).toString()).toBe(json);

    const plain = await app.inject({ url: '/rows' });
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.headers.vary).toBe('accept-encoding');
    expect(plain.body).toBe(json);
  });

  it('leaves small answers, binary types, streams and bodies already encoded as they are', async () => {
    const headers = { 'accept-encoding': 'br' };
    const tiny = await app.inject({ url: '/tiny', headers });
    expect(tiny.headers['content-encoding']).toBeUndefined();
    expect(tiny.json()).toEqual({ ok: true });
    const png = await app.inject({ url: '/png', headers });
    expect(png.headers['content-encoding']).toBeUndefined();
    expect(png.rawPayload.length).toBe(4096);
    const stream = await app.inject({ url: '/stream', headers });
    expect(stream.headers['content-encoding']).toBeUndefined();
    expect(stream.body).toBe('a'.repeat(4096));
    const own = await app.inject({ url: '/own', headers });
    expect(own.headers['content-encoding']).toBe('gzip');
    expect(zlib.gunzipSync(own.rawPayload).toString()).toBe(json);
  });

  it('adds accept-encoding to a Vary the route set', async () => {
    const res = await app.inject({ url: '/varied', headers: { 'accept-encoding': 'gzip' } });
    expect(res.headers.vary).toBe('origin, accept-encoding');
    expect(zlib.gunzipSync(res.rawPayload).toString()).toBe(json);
  });
});

describe('the API compresses its answers', () => {
  let t: TestApp;
  let cookie: string;
  beforeAll(async () => {
    t = await createTestApp({ empty: true });
    await t.ctx.services.orgs.createPerson(
      { username: 'seat', name: '坐席', password: 'seat-pass-1', roles: [{ role: 'acceptor' }] },
      null,
    );
    cookie = await t.login('seat', 'seat-pass-1');
  });
  afterAll(() => t?.close());

  it('sends the class list in brotli to a browser that takes it, the same JSON once decoded', async () => {
    const url = '/api/taxonomy/classes';
    const plain = await t.app.inject({ method: 'GET', url, headers: { cookie } });
    expect(plain.statusCode).toBe(200);
    expect(plain.rawPayload.length).toBeGreaterThan(1024);
    const br = await t.app.inject({ method: 'GET', url, headers: { cookie, 'accept-encoding': 'gzip, deflate, br' } });
    expect(br.statusCode).toBe(200);
    expect(br.headers['content-encoding']).toBe('br');
    expect(JSON.parse(zlib.brotliDecompressSync(br.rawPayload).toString())).toEqual(plain.json());
    expect(br.rawPayload.length).toBeLessThan(plain.rawPayload.length / 3);
  });
});
