import fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
// s3rver: an S3-protocol server in Node (buckets and objects on disk), standing in for MinIO/OSS here.
import S3rver from 's3rver';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../../test/helpers.ts';
import { loadConfig } from '../../config.ts';
import { listFiles, multipart, photo, tmpDir } from './media.fixtures.ts';
import { S3MediaStorage, signV4 } from './media.s3.ts';

const at = new Date('2013-05-24T00:00:00Z');
const example = {
  region: 'us-east-1',
  accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
  at,
};
const signatureOf = (h: Record<string, string>) => /Signature=([0-9a-f]{64})$/.exec(h.authorization as string)?.[1];

describe('S3 signature version 4', () => {
  // The worked examples of the Amazon S3 API reference ("Signature Calculations for the
  // Authorization Header: Transferring Payload in a Single Chunk").
  it('signs the reference GET Object request', () => {
    const h = signV4({
      ...example,
      method: 'GET',
      url: new URL('https://examplebucket.s3.amazonaws.com/test.txt'),
      headers: { range: 'bytes=0-9' },
      payloadSha256: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
    });
    expect(h.authorization).toContain('Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request');
    expect(h.authorization).toContain('SignedHeaders=host;range;x-amz-content-sha256;x-amz-date');
    expect(signatureOf(h)).toBe('f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41');
  });

  it('signs the reference PUT Object request', () => {
    const h = signV4({
      ...example,
      method: 'PUT',
      url: new URL('https://examplebucket.s3.amazonaws.com/test%24file.text'),
      headers: { date: 'Fri, 24 May 2013 00:00:00 GMT', 'x-amz-storage-class': 'REDUCED_REDUNDANCY' },
      payloadSha256: '44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072',
    });
    expect(h.authorization).toContain('SignedHeaders=date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class');
    expect(signatureOf(h)).toBe('98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd');
  });

  it('signs the reference GET Bucket request with its query', () => {
    const h = signV4({
      ...example,
      method: 'GET',
      url: new URL('https://examplebucket.s3.amazonaws.com/?max-keys=2&prefix=J'),
      headers: {},
      payloadSha256: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
    });
    expect(signatureOf(h)).toBe('34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7');
  });
});

describe('media in an S3-compatible bucket', () => {
  let s3: S3rver;
  let s3Dir: string;
  let dataDir: string;
  let endpoint: string;
  let t: TestApp;
  let cookie: string;
  const bucket = 'cityloop-media';
  const keys = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };

  beforeAll(async () => {
    s3Dir = tmpDir('cityloop-s3-');
    dataDir = tmpDir('cityloop-media-s3-');
    s3 = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory: s3Dir, configureBuckets: [{ name: bucket, configs: [] }] });
    const addr = (await s3.run()) as AddressInfo;
    endpoint = `http://127.0.0.1:${addr.port}`;
    t = await createTestApp({
      config: { dataDir, mediaS3: { endpoint, bucket, region: 'us-east-1', pathStyle: true, prefix: 'demo-city', ...keys } },
    });
    cookie = await t.login('inspector');
  });
  afterAll(async () => {
    await t?.close();
    await s3?.close();
    for (const d of [s3Dir, dataDir]) fs.rmSync(d, { recursive: true, force: true });
  });

  const upload = async (data: Buffer) => {
    const m = multipart([{ name: 'file', filename: 'p.jpg', data }]);
    return t.app.inject({ method: 'POST', url: '/api/media', payload: m.payload, headers: { ...m.headers, cookie } });
  };
  const objects = () => listFiles(path.join(s3Dir, bucket)).filter((f) => !f.endsWith('._S3rver_metadata.json'));

  it('stores the original and its thumbnail as objects under the prefix and serves them back through the access checks', async () => {
    const original = await photo('jpeg', { width: 800, height: 600 });
    const res = await upload(original);
    expect(res.statusCode, res.body).toBe(201);
    const [m] = res.json() as Array<{ id: number }>;
    // Nothing in the local media folder; the objects are in the bucket, under the city's prefix.
    expect(fs.existsSync(path.join(dataDir, 'media')) ? listFiles(path.join(dataDir, 'media')) : []).toEqual([]);
    const stored = objects();
    expect(stored.length).toBeGreaterThanOrEqual(2);
    expect(stored.every((f) => f.includes('demo-city'))).toBe(true);

    const back = await t.app.inject({ method: 'GET', url: `/api/media/${m?.id}`, headers: { cookie } });
    expect(back.statusCode).toBe(200);
    expect(back.rawPayload.equals(original)).toBe(true);
    const thumb = await t.app.inject({ method: 'GET', url: `/api/media/${m?.id}/thumb`, headers: { cookie } });
    expect(thumb.statusCode).toBe(200);
    expect(thumb.headers['content-type']).toMatch(/^image\//);
    expect(thumb.rawPayload.length).toBeLessThan(original.length);
    // The access checks come first: another role without the case sees nothing.
    const anon = await t.app.inject({ method: 'GET', url: `/api/media/${m?.id}` });
    expect(anon.statusCode).toBe(401);
  });

  it('reads, misses and deletes objects through the storage calls', async () => {
    const store = new S3MediaStorage({ endpoint, bucket, region: 'us-east-1', pathStyle: true, ...keys });
    await store.put('check/a.bin', Buffer.from('城市闭环'), 'application/octet-stream');
    const chunks: Buffer[] = [];
    for await (const c of await store.get('check/a.bin')) chunks.push(c as Buffer);
    expect(Buffer.concat(chunks).toString()).toBe('城市闭环');
    await store.delete('check/a.bin');
    await expect(store.get('check/a.bin')).rejects.toMatchObject({ status: 404, code: 'media_not_found' });
    await store.delete('check/a.bin'); // a missing key is not an error
    expect(() => store.urlOf('../escape')).toThrow(/invalid media key/);
  });

  it('refuses an upload when the store refuses the credentials, and keeps no media row', async () => {
    const bad = await createTestApp({
      config: { dataDir, mediaS3: { endpoint, bucket, region: 'us-east-1', pathStyle: true, accessKeyId: 'NOBODY', secretAccessKey: 'x' } },
    });
    try {
      const c = await bad.login('inspector');
      const m = multipart([{ name: 'file', filename: 'p.jpg', data: await photo('jpeg') }]);
      const res = await bad.app.inject({ method: 'POST', url: '/api/media', payload: m.payload, headers: { ...m.headers, cookie: c } });
      expect(res.statusCode).toBe(503);
      expect(res.json().error).toBe('media_store_unavailable');
      const after = Number(
        (
          await bad.ctx.db
            .selectFrom('media')
            .select((eb) => eb.fn.countAll().as('n'))
            .executeTakeFirstOrThrow()
        ).n,
      );
      expect(after).toBe(0);
    } finally {
      await bad.close();
    }
  });

  it('reads the store from the environment, all keys or a clear refusal', () => {
    const c = loadConfig({
      CITYLOOP_S3_ENDPOINT: endpoint,
      CITYLOOP_S3_BUCKET: bucket,
      CITYLOOP_S3_ACCESS_KEY_ID: 'S3RVER',
      CITYLOOP_S3_SECRET_ACCESS_KEY: 'S3RVER',
    });
    expect(c.mediaS3).toMatchObject({ endpoint, bucket, region: 'us-east-1', pathStyle: true });
    expect(loadConfig({}).mediaS3).toBeNull();
    expect(() => loadConfig({ CITYLOOP_S3_ENDPOINT: endpoint })).toThrow(/CITYLOOP_S3_BUCKET: required[\s\S]*ACCESS_KEY_ID: required/);
    expect(() => loadConfig({ CITYLOOP_S3_BUCKET: bucket })).toThrow(/CITYLOOP_S3_BUCKET: needs CITYLOOP_S3_ENDPOINT/);
  });
});
