import fs from 'node:fs';
import path from 'node:path';
import { DEMO_PASSWORD } from '@cityloop/shared';
import exifr from 'exifr';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, demoCaseFixtures, type TestDatabase, testConfig } from '../../../test/helpers.ts';
import { type App, buildApp } from '../../app.ts';
import { listFiles, multipart, photo, tmpDir } from './media.fixtures.ts';
import { mediaRoutes } from './media.routes.ts';
import { MediaService } from './media.service.ts';

/**
 * HTTP tests. They use the app as built; if the app does not register the media module
 * itself, the test registers it (same service and routes) before the app is ready.
 */
describe('media over HTTP', () => {
  let app: App;
  let tdb: TestDatabase;
  let dataDir: string;
  let media: MediaService;
  const cookie: Record<string, string> = {};
  const MAX = 1024 * 1024;

  const login = async (username: string, password = DEMO_PASSWORD) => {
    const res = await app.inject({ method: 'POST', url: '/api/auth/login', payload: { username, password } });
    expect(res.statusCode, res.body).toBe(200);
    const set = res.headers['set-cookie'];
    return String(Array.isArray(set) ? set[0] : set).split(';')[0] as string;
  };

  beforeAll(async () => {
    tdb = await createTestDatabase();
    dataDir = tmpDir('cityloop-media-http-');
    app = await buildApp({ config: testConfig({ dataDir }), database: tdb.database, logger: false });
    const services = app.ctx.services as unknown as { media?: MediaService };
    if (!services.media) {
      services.media = new MediaService(app.ctx);
      await app.register(mediaRoutes);
    }
    media = services.media;
    media.maxBytes = MAX;
    await app.ready();
    for (const u of ['inspector', 'handler', 'dispatcher', 'admin', 'leader']) cookie[u] = await login(u);
  });
  afterAll(async () => {
    await app.close();
    await tdb.drop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  const mediaRoot = () => path.join(dataDir, 'media');
  const count = async () =>
    Number(
      (
        await app.ctx.db
          .selectFrom('media')
          .select((eb) => eb.fn.countAll().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );
  const upload = (who: string, parts: Parameters<typeof multipart>[0]) => {
    const { payload, headers } = multipart(parts);
    return app.inject({ method: 'POST', url: '/api/media', payload, headers: { ...headers, cookie: cookie[who] as string } });
  };

  it('accepts JPEG, PNG and WebP by content, whatever the name or declared type', async () => {
    const png = await photo('png', { width: 400, height: 300 });
    const res = await upload('inspector', [
      { name: 'file', filename: 'really-a-png.jpg', contentType: 'image/jpeg', data: png },
      { name: 'file', filename: 'b.bin', contentType: 'application/octet-stream', data: await photo('webp', { width: 30, height: 20 }) },
      { name: 'file', filename: 'c.jpeg', contentType: 'image/jpeg', data: await photo('jpeg', { width: 30, height: 20 }) },
    ]);
    expect(res.statusCode, res.body).toBe(201);
    const body = res.json();
    expect(body.map((m: { contentType: string }) => m.contentType)).toEqual(['image/png', 'image/webp', 'image/jpeg']);
    expect(body[0]).toMatchObject({
      size: png.length,
      width: 400,
      height: 300,
      exif: null,
      flags: ['exif_missing'],
      thumbUrl: `/api/media/${body[0].id}/thumb`,
    });

    const orig = await app.inject({ method: 'GET', url: body[0].url, headers: { cookie: cookie.inspector as string } });
    expect(orig.statusCode).toBe(200);
    expect(orig.headers['content-type']).toBe('image/png');
    expect(orig.headers['cache-control']).toBe('private, max-age=3600');
    expect(orig.headers['x-content-type-options']).toBe('nosniff');
    expect(orig.rawPayload.equals(png)).toBe(true);
    const thumb = await app.inject({ method: 'GET', url: body[0].thumbUrl, headers: { cookie: cookie.inspector as string } });
    expect(thumb.headers['content-type']).toBe('image/jpeg');
    expect(await sharp(thumb.rawPayload).metadata()).toMatchObject({ format: 'jpeg', width: 320, height: 240 });
    expect(thumb.rawPayload.length).toBeLessThan(png.length);
    const again = await app.inject({
      method: 'GET',
      url: body[0].url,
      headers: { cookie: cookie.inspector as string, 'if-none-match': orig.headers.etag as string },
    });
    expect(again.statusCode).toBe(304);
  });

  it('documents the routes in the OpenAPI description', async () => {
    const res = await app.inject({ method: 'GET', url: '/api/openapi.json' });
    expect(res.statusCode).toBe(200);
    const paths = res.json().paths;
    expect(Object.keys(paths)).toEqual(
      expect.arrayContaining(['/api/media', '/api/media/{id}', '/api/media/{id}/thumb', '/api/public/media/{id}']),
    );
    expect(Object.keys(paths['/api/media'].post.requestBody.content)).toEqual(['multipart/form-data']);
  });

  it('rejects other types with 415 and stores nothing', async () => {
    const before = [await count(), listFiles(mediaRoot()).length];
    const res = await upload('inspector', [
      { name: 'file', filename: 'ok.jpg', contentType: 'image/jpeg', data: await photo('jpeg') },
      { name: 'file', filename: 'notes.jpg', contentType: 'image/jpeg', data: '这不是图片 / not an image' },
    ]);
    expect(res.statusCode).toBe(415);
    expect(res.json()).toMatchObject({ error: 'media_type_unsupported', details: { index: 1, filename: 'notes.jpg' } });
    const gif = await upload('inspector', [
      { name: 'file', filename: 'a.gif', data: Buffer.from('GIF89a\x01\x00\x01\x00\x00\x00\x00;', 'latin1') },
    ]);
    expect(gif.json().error).toBe('media_type_unsupported');
    const json = await app.inject({ method: 'POST', url: '/api/media', payload: {}, headers: { cookie: cookie.inspector as string } });
    expect(json.statusCode).toBe(415);
    expect(json.json().error).toBe('media_multipart_required');
    expect([await count(), listFiles(mediaRoot()).length]).toEqual(before);
  });

  it('rejects an oversized file with 413 and stores nothing of the request', async () => {
    const before = [await count(), listFiles(mediaRoot()).length];
    const big = Buffer.concat([await photo('jpeg'), Buffer.alloc(MAX)]);
    const res = await upload('inspector', [
      { name: 'file', filename: 'ok.jpg', data: await photo('jpeg') },
      { name: 'file', filename: 'big.jpg', data: big },
    ]);
    expect(res.statusCode).toBe(413);
    expect(res.json()).toMatchObject({ error: 'media_too_large', details: { maxBytes: MAX } });
    expect([await count(), listFiles(mediaRoot()).length]).toEqual(before);
    const tooMany = await upload(
      'inspector',
      Array.from({ length: media.maxFiles + 1 }, () => ({ name: 'file', filename: 'a.jpg', data: Buffer.from([0xff, 0xd8, 0xff]) })),
    );
    expect(tooMany.statusCode).toBe(413);
    expect(tooMany.json().error).toBe('media_too_many_files');
    const stray = await upload('inspector', [{ name: 'other', filename: 'a.jpg', data: await photo('jpeg') }]);
    expect(stray.statusCode).toBe(400);
    expect(stray.json().error).toBe('media_field_unknown');
    expect([await count(), listFiles(mediaRoot()).length]).toEqual(before);
  });

  it('reads EXIF and flags a mismatch with the claimed place and time', async () => {
    const jpg = await photo('jpeg', { exif: { at: '2026:11:20 08:30:00', lng: 111.2865, lat: 30.6919 } });
    const res = await upload('inspector', [
      { name: 'claimedLng', data: '111.3065' },
      { name: 'claimedLat', data: '30.6919' },
      { name: 'claimedAt', data: '2026-11-20T12:00:00+08:00' },
      { name: 'file', filename: 'x.jpg', contentType: 'image/jpeg', data: jpg },
    ]);
    expect(res.statusCode, res.body).toBe(201);
    const [m] = res.json();
    expect(m.exif).toEqual({ takenAt: '2026-11-20T00:30:00.000Z', lng: expect.closeTo(111.2865, 4), lat: expect.closeTo(30.6919, 4) });
    expect(m.flags).toEqual(['exif_gps_far', 'exif_time_far']);
    const bad = await upload('inspector', [
      { name: 'claimedLng', data: 'east' },
      { name: 'claimedLat', data: '30' },
      { name: 'file', filename: 'x.jpg', data: jpg },
    ]);
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error).toBe('media_claim_invalid');
  });

  it('shows attached photos to whoever sees the case, 404 to other departments; public rendition has no EXIF', async () => {
    const jpg = await photo('jpeg', { exif: { at: '2026:11:20 08:30:00', lng: 111.2865, lat: 30.6919 } });
    const up = await upload('inspector', [{ name: 'file', filename: 'x.jpg', data: jpg }]);
    const m = up.json()[0];
    const get = (who: string | null, url = m.url as string) =>
      app.inject({ method: 'GET', url, headers: who ? { cookie: cookie[who] as string } : {} });
    // Not attached yet: only the uploader.
    expect((await get('inspector')).statusCode).toBe(200);
    expect((await get('handler')).statusCode).toBe(404);
    expect((await get('handler')).json().error).toBe('media_not_found');
    expect((await get(null)).statusCode).toBe(401);

    // A case of the handler's department, with the photo attached.
    const { point, eventClass } = await demoCaseFixtures(app.ctx.db);
    const rep = await app.inject({
      method: 'POST',
      url: '/api/cases',
      headers: { cookie: cookie.inspector as string },
      payload: { kind: 'event', classCode: eventClass, description: '路边暴露垃圾', location: point },
    });
    expect(rep.statusCode, rep.body).toBe(201);
    const caseId = rep.json().id as number;
    const handler = await app.ctx.db
      .selectFrom('person')
      .select(['id', 'departmentId'])
      .where('username', '=', 'handler')
      .executeTakeFirstOrThrow();
    // Put the case with the handler's department directly (the workflow is tested elsewhere).
    await app.ctx.db.updateTable('caseFile').set({ departmentId: handler.departmentId }).where('id', '=', caseId).execute();
    await app.ctx.db.transaction().execute(async (trx) => media.attach([m.id], caseId, trx));
    // Another department's handler.
    const other = await app.ctx.db
      .selectFrom('department')
      .select('id')
      .where('id', '!=', handler.departmentId as number)
      .orderBy('id')
      .executeTakeFirstOrThrow();
    await app.ctx.services.orgs.createPerson(
      { username: 'media_h2', name: '其他部门处置员', password: 'media-pass-1', departmentId: other.id, roles: [{ role: 'handler' }] },
      null,
    );
    cookie.h2 = await login('media_h2', 'media-pass-1');

    const caseRow = await app.ctx.db
      .selectFrom('caseFile')
      .select(['departmentId', 'state'])
      .where('id', '=', caseId)
      .executeTakeFirstOrThrow();
    expect(caseRow.departmentId, `case state ${caseRow.state}`).toBe(handler.departmentId);
    expect((await get('handler')).statusCode).toBe(200);
    expect((await get('handler', m.thumbUrl)).statusCode).toBe(200);
    expect((await get('leader')).statusCode).toBe(200);
    expect((await get('h2')).statusCode).toBe(404);
    expect((await get('h2', m.thumbUrl)).statusCode).toBe(404);

    // Used on this case: fine again for it, refused for another case.
    const inspector = await app.ctx.db.selectFrom('person').select('id').where('username', '=', 'inspector').executeTakeFirstOrThrow();
    const auth = {
      kind: 'session' as const,
      personId: inspector.id,
      apiKeyId: null,
      username: 'inspector',
      name: '',
      departmentId: null,
      roles: [],
    };
    expect((await media.assertUsable(auth, [m.id], caseId)).length).toBe(1);
    await expect(media.assertUsable(auth, [m.id], caseId + 1000)).rejects.toMatchObject({
      code: 'media_not_found',
      details: { ids: [m.id] },
    });
    await expect(media.attach([m.id], caseId + 1000)).rejects.toMatchObject({ code: 'media_attached_elsewhere' });

    // Public rendition only once published, and without EXIF.
    expect((await get(null, `/api/public/media/${m.id}`)).statusCode).toBe(404);
    await media.setPublic([m.id], true);
    const pub = await get(null, `/api/public/media/${m.id}`);
    expect(pub.statusCode).toBe(200);
    expect(pub.headers['content-type']).toBe('image/jpeg');
    expect(pub.headers['cache-control']).toBe('public, max-age=86400');
    expect(await exifr.parse(pub.rawPayload).catch(() => undefined)).toBeUndefined();
    expect((await sharp(pub.rawPayload).metadata()).width).toBe(800);
    expect(await exifr.gps((await get('inspector')).rawPayload)).toMatchObject({ latitude: expect.closeTo(30.6919, 4) });
    expect((await get(null, '/api/public/media/not-a-uuid')).statusCode).toBe(404);
  });
});
