import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import exifr from 'exifr';
import { sql } from 'kysely';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, demoCaseFixtures, type TestApp } from '../../../test/helpers.ts';
import { listFiles, multipart, photo, tmpDir } from './media.fixtures.ts';
import { PUBLIC_MAX_FILES } from './media.service.ts';

/** Photos from the public channel: anonymous uploads owned by an upload token, reported and followed over HTTP. */
describe('media: anonymous uploads for public reports', () => {
  let t: TestApp;
  let dataDir: string;
  let body: Record<string, unknown>;
  let point: { lng: number; lat: number };
  const cookie: Record<string, string> = {};
  let lastIp = 0;
  /** Each test calls from its own address, so the per-address limits do not carry over. */
  const newIp = () => `198.51.100.${++lastIp}`;

  beforeAll(async () => {
    dataDir = tmpDir('cityloop-media-public-');
    t = await createTestApp({ config: { dataDir } });
    for (const u of ['inspector', 'acceptor']) cookie[u] = await t.login(u);
    const f = await demoCaseFixtures(t.ctx.db);
    point = f.point;
    body = { kind: 'event', classCode: f.eventClass, description: '人行道上堆满建筑垃圾', location: point };
  });
  afterAll(async () => {
    await t.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  const sha256 = (s: string) => crypto.createHash('sha256').update(s).digest('hex');
  const mediaRoot = () => path.join(dataDir, 'media');
  const gpsPhoto = () => photo('jpeg', { width: 320, height: 240, exif: { at: '2026:11:20 08:30:00', lng: point.lng, lat: point.lat } });
  const upload = async (ip: string, parts: Parameters<typeof multipart>[0], headers: Record<string, string> = {}) => {
    const m = multipart(parts);
    return t.app.inject({
      method: 'POST',
      url: '/api/public/media',
      payload: m.payload,
      headers: { ...m.headers, ...headers },
      remoteAddress: ip,
    });
  };
  const files = async (n: number) =>
    Promise.all(Array.from({ length: n }, async (_, i) => ({ name: 'file', filename: `p${i}.jpg`, data: await gpsPhoto() })));
  const reportPublic = (ip: string, extra: Record<string, unknown>) =>
    t.app.inject({ method: 'POST', url: '/api/public/cases', payload: { ...body, ...extra }, remoteAddress: ip });
  const counts = async () => {
    const n = async (table: 'media' | 'caseFile') =>
      Number(
        (
          await t.ctx.db
            .selectFrom(table)
            .select((eb) => eb.fn.countAll().as('n'))
            .executeTakeFirstOrThrow()
        ).n,
      );
    return { media: await n('media'), cases: await n('caseFile'), files: listFiles(mediaRoot()).length };
  };
  const rows = (ids: string[]) =>
    t.ctx.db
      .selectFrom('media')
      .select(['id', 'ownerPersonId', 'ownerApiKeyId', 'ownerUploadHash', 'caseId', 'public'])
      .where('id', 'in', ids)
      .orderBy('id')
      .execute();

  it('uploads anonymously in several steps under one token, reports with the photos, and shows them only EXIF-stripped', async () => {
    const ip = newIp();
    const first = await upload(ip, await files(2));
    expect(first.statusCode, first.body).toBe(201);
    const { uploadToken, media } = first.json();
    expect(uploadToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(media).toHaveLength(2);
    expect(Object.keys(media[0]).sort()).toEqual(['contentType', 'createdAt', 'height', 'id', 'size', 'width']);
    expect(first.body).not.toContain('/api/media/');

    // Later steps: the token in the header, then as a form field; no new token is issued.
    const second = await upload(ip, await files(1), { 'x-upload-token': uploadToken });
    expect(second.statusCode, second.body).toBe(201);
    expect(second.json().uploadToken).toBeUndefined();
    const third = await upload(ip, [{ name: 'uploadToken', data: uploadToken }, ...(await files(1))]);
    expect(third.statusCode, third.body).toBe(201);
    const ids: string[] = [...media, ...second.json().media, ...third.json().media].map((m: { id: string }) => m.id);

    // Owned by the token's hash (the token itself is not stored), private until reported.
    for (const r of await rows(ids))
      expect(r).toMatchObject({
        ownerPersonId: null,
        ownerApiKeyId: null,
        ownerUploadHash: sha256(uploadToken),
        caseId: null,
        public: false,
      });
    expect((await t.app.inject({ method: 'GET', url: `/api/public/media/${ids[0]}` })).statusCode).toBe(404);

    const rep = await reportPublic(ip, { photos: ids, uploadToken, idempotencyKey: 'pub-photos-1' });
    expect(rep.statusCode, rep.body).toBe(201);
    const { number, token } = rep.json();
    const c = await t.ctx.db.selectFrom('caseFile').select(['id', 'source']).where('number', '=', number).executeTakeFirstOrThrow();
    expect(c.source).toBe('public');
    for (const r of await rows(ids)) expect(r).toMatchObject({ caseId: c.id, public: true });
    const log = await t.app.inject({ method: 'GET', url: `/api/cases/${c.id}/timeline`, headers: { cookie: cookie.acceptor as string } });
    expect(log.json()[0].payload.photos).toEqual(ids);
    // Staff who see the case get the original, EXIF included (for verification).
    const original = await t.app.inject({ method: 'GET', url: `/api/media/${ids[0]}`, headers: { cookie: cookie.acceptor as string } });
    expect(original.statusCode).toBe(200);
    expect(await exifr.gps(original.rawPayload)).toMatchObject({ latitude: expect.closeTo(point.lat, 4) });

    // A retry with the same key returns the case and leaves the photos as they are.
    const retry = await reportPublic(ip, { photos: ids, uploadToken, idempotencyKey: 'pub-photos-1' });
    expect(retry.statusCode, retry.body).toBe(200);
    expect(retry.json()).toMatchObject({ number });

    // Following the case: public photo links only, to the stripped rendition; no originals, no EXIF, no contact.
    const status = await t.app.inject({ method: 'GET', url: `/api/public/cases/${number}?token=${token}` });
    expect(status.statusCode).toBe(200);
    const photos = status.json().photos as Array<Record<string, unknown>>;
    expect(photos.map((p) => p.id).sort()).toEqual([...ids].sort());
    for (const p of photos) {
      expect(Object.keys(p).sort()).toEqual(['contentType', 'height', 'id', 'url', 'width']);
      expect(p.url).toBe(`/api/public/media/${p.id}`);
    }
    expect(status.body).not.toMatch(/\/api\/media\/|exif|thumb|ownerUploadHash|uploadToken/);
    expect(status.body).not.toContain(uploadToken);
    const pub = await t.app.inject({ method: 'GET', url: photos[0]?.url as string });
    expect(pub.statusCode).toBe(200);
    expect(pub.headers['content-type']).toBe('image/jpeg');
    expect((await sharp(pub.rawPayload).metadata()).width).toBe(320);
    expect(await exifr.gps(pub.rawPayload).catch(() => undefined)).toBeUndefined();
    expect(await exifr.parse(pub.rawPayload).catch(() => undefined)).toBeUndefined();
    // The original and thumbnail stay behind the staff routes.
    expect((await t.app.inject({ method: 'GET', url: `/api/media/${ids[0]}` })).statusCode).toBe(401);
    expect((await t.app.inject({ method: 'GET', url: `/api/media/${ids[0]}/thumb` })).statusCode).toBe(401);
  });

  it('refuses photos the caller cannot prove it uploaded, and changes nothing', async () => {
    const ip = newIp();
    const a = (await upload(ip, await files(1))).json();
    const b = (await upload(ip, await files(1))).json();
    const mine = a.media[0].id as string;
    // A staff member's upload.
    const staff = multipart([{ name: 'file', filename: 's.jpg', data: await gpsPhoto() }]);
    const staffUp = await t.app.inject({
      method: 'POST',
      url: '/api/media',
      payload: staff.payload,
      headers: { ...staff.headers, cookie: cookie.inspector as string },
    });
    expect(staffUp.statusCode, staffUp.body).toBe(201);
    const staffId = staffUp.json()[0].id as string;
    const before = await counts();

    const attempts: Array<[Record<string, unknown>, number, string]> = [
      // Someone else's anonymous photo, with one's own valid token.
      [{ photos: [mine], uploadToken: b.uploadToken }, 422, 'media_not_found'],
      // A well-formed token that owns nothing.
      [{ photos: [mine], uploadToken: crypto.randomBytes(32).toString('base64url') }, 422, 'media_not_found'],
      // A staff photo, with an anonymous token.
      [{ photos: [staffId], uploadToken: a.uploadToken }, 422, 'media_not_found'],
      // Photos without the token.
      [{ photos: [mine] }, 422, 'media_upload_token_required'],
      // Not a token at all.
      [{ photos: [mine], uploadToken: 'guess' }, 400, 'validation_failed'],
    ];
    for (const [extra, status, code] of attempts) {
      const res = await reportPublic(newIp(), extra);
      expect(res.statusCode, `${JSON.stringify(extra)} → ${res.body}`).toBe(status);
      expect(res.json().error).toBe(code);
    }
    expect(await counts()).toEqual(before);
    for (const r of await rows([mine, staffId])) expect(r).toMatchObject({ caseId: null, public: false });

    // A logged-in reporter cannot take an anonymous upload either.
    const inspector = await t.app.inject({
      method: 'POST',
      url: '/api/cases',
      headers: { cookie: cookie.inspector as string },
      payload: { ...body, photos: [mine] },
    });
    expect(inspector.statusCode).toBe(422);
    expect(inspector.json()).toMatchObject({ error: 'media_not_found', details: { ids: [mine] } });

    // An unknown token cannot open an upload set.
    const forged = await upload(ip, await files(1), { 'x-upload-token': crypto.randomBytes(32).toString('base64url') });
    expect(forged.statusCode).toBe(403);
    expect(forged.json().error).toBe('media_upload_token_invalid');
    const conflicting = await upload(ip, [{ name: 'uploadToken', data: a.uploadToken }, ...(await files(1))], {
      'x-upload-token': b.uploadToken,
    });
    expect(conflicting.statusCode).toBe(400);
    expect(conflicting.json().error).toBe('media_upload_token_conflict');
    expect(await counts()).toEqual(before);

    // Once on a case, a photo cannot go on another one, even with its token.
    const first = await reportPublic(newIp(), { photos: [mine], uploadToken: a.uploadToken });
    expect(first.statusCode, first.body).toBe(201);
    const again = await reportPublic(newIp(), { photos: [mine], uploadToken: a.uploadToken });
    expect(again.statusCode).toBe(422);
    expect(again.json()).toMatchObject({ error: 'media_not_found', details: { ids: [mine] } });
  });

  it('takes at most 3 files per request and a bounded set per token; checks content; stores all or nothing', async () => {
    const ip = newIp();
    const before = await counts();
    const tooMany = await upload(ip, await files(PUBLIC_MAX_FILES + 1));
    expect(tooMany.statusCode).toBe(413);
    expect(tooMany.json()).toMatchObject({ error: 'media_too_many_files', details: { maxFiles: 3 } });

    const notImage = await upload(ip, [
      { name: 'file', filename: 'ok.jpg', data: await gpsPhoto() },
      { name: 'file', filename: 'notes.jpg', contentType: 'image/jpeg', data: '这不是图片 / not an image' },
    ]);
    expect(notImage.statusCode).toBe(415);
    expect(notImage.json()).toMatchObject({ error: 'media_type_unsupported', details: { index: 1, filename: 'notes.jpg' } });

    const big = await upload(ip, [
      { name: 'file', filename: 'big.jpg', data: Buffer.concat([await gpsPhoto(), Buffer.alloc(t.ctx.services.media.maxBytes)]) },
    ]);
    expect(big.statusCode).toBe(413);
    expect(big.json().error).toBe('media_too_large');

    const json = await t.app.inject({ method: 'POST', url: '/api/public/media', payload: {}, remoteAddress: ip });
    expect(json.statusCode).toBe(415);
    expect(json.json().error).toBe('media_multipart_required');
    const stray = await upload(ip, [{ name: 'claimedLng', data: '111.3' }, ...(await files(1))]);
    expect(stray.statusCode).toBe(400);
    expect(stray.json().error).toBe('media_field_unknown');
    expect(await counts()).toEqual(before);

    // The set a token owns is bounded too (lowered here to keep the test small).
    const media = t.ctx.services.media;
    const limit = media.publicMaxPerToken;
    media.publicMaxPerToken = 4;
    try {
      const ip2 = newIp();
      const first = await upload(ip2, await files(3));
      expect(first.statusCode).toBe(201);
      const full = await upload(ip2, await files(2), { 'x-upload-token': first.json().uploadToken });
      expect(full.statusCode).toBe(422);
      expect(full.json()).toMatchObject({ error: 'media_upload_set_full', details: { maxPerToken: 4, held: 3 } });
      expect((await upload(ip2, await files(1), { 'x-upload-token': first.json().uploadToken })).statusCode).toBe(201);
    } finally {
      media.publicMaxPerToken = limit;
    }
  });

  it('limits anonymous uploads per address', async () => {
    const ip = newIp();
    const codes: number[] = [];
    // Refused requests count as well; non-multipart ones are the cheapest.
    for (let i = 0; i < 10; i++)
      codes.push((await t.app.inject({ method: 'POST', url: '/api/public/media', payload: {}, remoteAddress: ip })).statusCode);
    expect(codes.every((c) => c === 415)).toBe(true);
    const limited = await upload(ip, await files(1));
    expect(limited.statusCode).toBe(429);
    expect(limited.json().error).toBe('rate_limited');
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    // Another address is not affected.
    expect((await upload(newIp(), await files(1))).statusCode).toBe(201);
  });

  it('removes photos no report took (anonymous after a day, staff after a week) with their files, and nothing else', async () => {
    const ip = newIp();
    const gone = (await upload(ip, await files(1))).json();
    const kept = (await upload(newIp(), await files(1))).json();
    const reported = (await upload(newIp(), await files(1))).json();
    expect((await reportPublic(newIp(), { uploadToken: reported.uploadToken, photos: [reported.media[0].id] })).statusCode).toBe(201);
    const m = multipart(await files(1));
    const staff = await t.app.inject({
      method: 'POST',
      url: '/api/media',
      headers: { cookie: cookie.inspector as string, ...m.headers },
      payload: m.payload,
    });
    expect(staff.statusCode, staff.body).toBe(201);
    const staffId = staff.json()[0].id as string;
    const ids = [gone.media[0].id, kept.media[0].id, reported.media[0].id, staffId] as string[];
    // Age them: the anonymous one and the reported one by two days, the staff one by two days too (under a week).
    const age = (id: string, hours: number) =>
      sql`UPDATE media SET created_at = created_at - make_interval(hours => ${hours}) WHERE id = ${id}`.execute(t.ctx.db);
    await age(ids[0] as string, 48);
    await age(ids[2] as string, 48);
    await age(staffId, 48);
    const before = listFiles(mediaRoot()).length;
    expect(await t.ctx.services.media.purgeUnattached()).toBe(1);
    expect((await rows(ids)).map((r) => r.id).sort()).toEqual([ids[1], ids[2], staffId].sort());
    expect(listFiles(mediaRoot()).length).toBe(before - 3);
    expect(listFiles(mediaRoot()).some((f) => f.includes(ids[0] as string))).toBe(false);
    // A week on, the staff upload that joined nothing goes too; the reported photo stays.
    await age(staffId, 24 * 6);
    expect(await t.ctx.services.media.purgeUnattached()).toBe(1);
    expect((await rows(ids)).map((r) => r.id).sort()).toEqual([ids[1], ids[2]].sort());
  });

  it('documents the upload route', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/api/openapi.json' });
    const paths = res.json().paths;
    expect(Object.keys(paths['/api/public/media'].post.requestBody.content)).toEqual(['multipart/form-data']);
    expect(Object.keys(paths['/api/public/cases'].post.requestBody.content['application/json'].schema.properties)).toEqual(
      expect.arrayContaining(['photos', 'uploadToken']),
    );
  });
});
