import fs from 'node:fs';
import path from 'node:path';
import exifr from 'exifr';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext } from '../../../test/helpers.ts';
import type { Context } from '../../context.ts';
import type { AppError } from '../../errors.ts';
import type { Auth } from '../auth/auth.service.ts';
import { listFiles, photo, tmpDir } from './media.fixtures.ts';
import { distanceM, sniffType } from './media.image.ts';
import { MediaService } from './media.service.ts';
import { LocalMediaStorage } from './media.storage.ts';

describe('MediaService', () => {
  let ctx: Context;
  let close: () => Promise<void>;
  let svc: MediaService;
  let root: string;
  let alice: Auth;
  let bob: Auth;

  beforeAll(async () => {
    const t = await createTestContext({ empty: true });
    ctx = t.ctx;
    close = t.close;
    root = tmpDir('cityloop-media-');
    svc = new MediaService(ctx, { storage: new LocalMediaStorage(root), maxBytes: 2 * 1024 * 1024 });
    const mk = async (username: string) => {
      const p = await ctx.services.orgs.createPerson({ username, name: username, roles: [{ role: 'inspector' }] }, null);
      return {
        kind: 'session',
        personId: p.id,
        apiKeyId: null,
        username,
        name: username,
        departmentId: null,
        roles: [{ role: 'inspector', scopeRegionId: null, scopeDepartmentId: null }],
      } as Auth;
    };
    alice = await mk('media_alice');
    bob = await mk('media_bob');
  });
  afterAll(async () => {
    await close();
    fs.rmSync(root, { recursive: true, force: true });
  });

  const rows = async () =>
    Number(
      (
        await ctx.db
          .selectFrom('media')
          .select((eb) => eb.fn.countAll().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );
  const code = async (p: Promise<unknown>) => {
    try {
      await p;
      return 'ok';
    } catch (err) {
      return `${(err as AppError).status} ${(err as AppError).code}`;
    }
  };

  it('sniffs the type by content only', async () => {
    expect(sniffType(await photo('jpeg', { width: 8, height: 8 }))).toBe('image/jpeg');
    expect(sniffType(await photo('png', { width: 8, height: 8 }))).toBe('image/png');
    expect(sniffType(await photo('webp', { width: 8, height: 8 }))).toBe('image/webp');
    expect(sniffType(Buffer.from('GIF89a......'))).toBeNull();
    expect(sniffType(Buffer.from('RIFF\0\0\0\0WAVE'))).toBeNull();
    expect(sniffType(Buffer.from([0xff, 0xd8]))).toBeNull();
  });

  it('stores original, thumbnail and a metadata-free rendition; reads EXIF time and GPS', async () => {
    const buf = await photo('jpeg', { width: 1600, height: 1200, exif: { at: '2026:11:20 08:30:00', lng: 111.2865, lat: 30.6919 } });
    const [m] = await svc.upload(alice, [{ filename: 'a.jpg', buffer: buf }], null);
    expect(m).toMatchObject({
      contentType: 'image/jpeg',
      size: buf.length,
      width: 1600,
      height: 1200,
      flags: [],
      caseId: null,
      public: false,
    });
    expect(m?.exif?.takenAt).toBe('2026-11-20T00:30:00.000Z'); // no offset recorded: +08:00 assumed
    expect(m?.exif?.lng).toBeCloseTo(111.2865, 4);
    expect(m?.exif?.lat).toBeCloseTo(30.6919, 4);
    expect(m?.url).toBe(`/api/media/${m?.id}`);
    const id = m?.id as string;
    const files = listFiles(root);
    expect(files).toEqual([`${id.slice(0, 2)}/${id}/original`, `${id.slice(0, 2)}/${id}/public`, `${id.slice(0, 2)}/${id}/thumb`].sort());
    const original = fs.readFileSync(path.join(root, id.slice(0, 2), id, 'original'));
    expect(original.equals(buf)).toBe(true);
    const thumb = fs.readFileSync(path.join(root, id.slice(0, 2), id, 'thumb'));
    const tm = await sharp(thumb).metadata();
    expect(tm).toMatchObject({ format: 'jpeg', width: 320, height: 240 });
    expect(thumb.length).toBeLessThan(buf.length / 5);
    const pub = fs.readFileSync(path.join(root, id.slice(0, 2), id, 'public'));
    expect((await sharp(pub).metadata()).exif).toBeUndefined();
    expect(await exifr.parse(pub).catch(() => undefined)).toBeUndefined();
    expect(await exifr.gps(buf)).toMatchObject({ latitude: expect.closeTo(30.6919, 4) });
    const row = await ctx.db.selectFrom('media').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
    expect(row).toMatchObject({ ownerPersonId: alice.personId, ownerApiKeyId: null, caseId: null, public: false, size: buf.length });
    expect(row.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(row.exif).toMatchObject({ offsetAssumed: true, make: 'CityLoopCam', model: 'T1' });
  });

  it('honours the EXIF offset and reads PNG and WebP EXIF too', async () => {
    const png = await photo('png', { width: 100, height: 50, exif: { at: '2026:11:20 08:30:00', offset: '+02:00' } });
    const webp = await photo('webp', { width: 100, height: 50, exif: { lng: -0.1276, lat: 51.5072 } });
    const [p, w] = await svc.upload(alice, [{ buffer: png }, { buffer: webp }]);
    expect(p).toMatchObject({
      contentType: 'image/png',
      width: 100,
      height: 50,
      exif: { takenAt: '2026-11-20T06:30:00.000Z', lng: null, lat: null },
    });
    expect(w).toMatchObject({
      contentType: 'image/webp',
      exif: { takenAt: null, lng: expect.closeTo(-0.1276, 4), lat: expect.closeTo(51.5072, 4) },
    });
  });

  it('flags photos without EXIF, far from the claimed place or time, and repeated uploads', async () => {
    const exif = { at: '2026:11:20 08:30:00', lng: 111.2865, lat: 30.6919 }; // 2026-11-20T00:30Z
    const near = await photo('jpeg', { exif });
    const [ok] = await svc.upload(alice, [{ buffer: near }], { lng: 111.2866, lat: 30.692, at: '2026-11-20T01:00:00Z' });
    expect(ok?.flags).toEqual([]);
    const [far] = await svc.upload(alice, [{ buffer: await photo('jpeg', { exif }) }], {
      lng: 111.2965,
      lat: 30.6919,
      at: '2026-11-20T01:00:00Z',
    });
    expect(far?.flags).toEqual(['exif_gps_far']); // ~950 m east
    const [late] = await svc.upload(alice, [{ buffer: await photo('jpeg', { exif }) }], { at: '2026-11-20T03:00:00+00:00' });
    expect(late?.flags).toEqual(['exif_time_far']);
    const [bare] = await svc.upload(alice, [{ buffer: await photo('jpeg') }]);
    expect(bare).toMatchObject({ exif: null, flags: ['exif_missing'] });
    const [again] = await svc.upload(bob, [{ buffer: near }]);
    expect(again?.flags).toEqual(['duplicate']);
    // GCJ-02 claims are converted before comparing (the offset is some 500 m in China).
    const [gcj] = await svc.upload(alice, [{ buffer: await photo('jpeg', { exif }) }], { lng: 111.2865, lat: 30.6919, crs: 'gcj02' });
    expect(gcj?.flags).toEqual(['exif_gps_far']);
    expect(await code(svc.upload(alice, [{ buffer: near }], { lng: 111.2 }))).toBe('400 media_claim_invalid');
    expect(await code(svc.upload(alice, [{ buffer: near }], { at: 'yesterday' }))).toBe('400 media_claim_invalid');
  });

  it('compare() flags later and stores the flags', async () => {
    const [m] = await svc.upload(alice, [
      { buffer: await photo('jpeg', { exif: { at: '2026:11:21 10:00:00', offset: '+08:00', lng: 111.3, lat: 30.7 } }) },
    ]);
    const [n] = await svc.upload(alice, [{ buffer: await photo('png') }]);
    const ids = [m?.id as string, n?.id as string];
    const res = await svc.compare(ids, { lng: 111.3, lat: 30.71, at: '2026-11-21T05:00:00Z' });
    const byId = new Map(res.map((r) => [r.id, r]));
    expect(byId.get(ids[0] as string)).toMatchObject({ flags: ['exif_gps_far', 'exif_time_far'], timeDiffMinutes: 180 });
    expect(byId.get(ids[0] as string)?.distanceM).toBeGreaterThan(1100);
    expect(byId.get(ids[0] as string)?.distanceM).toBeLessThan(1120);
    expect(byId.get(ids[1] as string)).toMatchObject({ flags: ['exif_missing'], distanceM: null, timeDiffMinutes: null });
    const row = await ctx.db
      .selectFrom('media')
      .select('flags')
      .where('id', '=', ids[0] as string)
      .executeTakeFirstOrThrow();
    expect(row.flags).toEqual(['exif_gps_far', 'exif_time_far']);
    const back = await svc.compare([ids[0] as string], { lng: 111.3, lat: 30.7, at: '2026-11-21T02:30:00Z' });
    expect(back[0]).toMatchObject({ flags: [], distanceM: 0, timeDiffMinutes: 30 });
  });

  it('stores all files of an upload or none', async () => {
    const good = await photo('jpeg');
    const beforeRows = await rows();
    const beforeFiles = listFiles(root).length;
    expect(
      await code(
        svc.upload(alice, [
          { filename: 'a.jpg', buffer: good },
          { filename: 'b.jpg', buffer: Buffer.from('not an image at all') },
        ]),
      ),
    ).toBe('415 media_type_unsupported');
    const big = Buffer.concat([good, Buffer.alloc(2 * 1024 * 1024)]);
    expect(await code(svc.upload(alice, [{ buffer: good }, { buffer: big }]))).toBe('413 media_too_large');
    const corrupt = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(500, 7)]);
    expect(await code(svc.upload(alice, [{ buffer: good }, { buffer: corrupt }]))).toBe('422 media_invalid');
    // PNG bytes are PNG whatever the name says.
    expect(
      await code(
        svc.upload(alice, [
          { buffer: good },
          { filename: 'x.png', buffer: Buffer.concat([Buffer.from('\x89PNG\r\n\x1a\n', 'latin1'), Buffer.alloc(64)]) },
        ]),
      ),
    ).toBe('422 media_invalid');
    expect(await code(svc.upload(alice, []))).toBe('400 media_file_required');
    // A storage failure halfway removes what was written.
    let n = 0;
    const inner = svc.storage;
    const flaky = new MediaService(ctx, {
      storage: {
        put: (k, b, t) => (++n === 4 ? Promise.reject(new Error('disk full')) : inner.put(k, b, t)),
        get: (k) => inner.get(k),
        delete: (k) => inner.delete(k),
      },
    });
    await expect(flaky.upload(alice, [{ buffer: good }, { buffer: good }])).rejects.toThrow('disk full');
    expect(n).toBe(4);
    expect(await rows()).toBe(beforeRows);
    expect(listFiles(root).length).toBe(beforeFiles);
  });

  it('lets a caller use only their own unattached media', async () => {
    const [a] = await svc.upload(alice, [{ buffer: await photo('jpeg', { width: 50, height: 50 }) }]);
    const [b] = await svc.upload(bob, [{ buffer: await photo('jpeg', { width: 50, height: 50 }) }]);
    const ids = [a?.id as string, b?.id as string];
    expect((await svc.assertUsable(alice, [ids[0] as string, ids[0] as string])).map((r) => r.id)).toEqual([ids[0]]);
    const err = await svc.assertUsable(alice, [...ids, 'nope', '00000000-0000-0000-0000-000000000000']).catch((e) => e as AppError);
    expect(err).toMatchObject({
      status: 422,
      code: 'media_not_found',
      details: { ids: [ids[1], 'nope', '00000000-0000-0000-0000-000000000000'] },
    });
    expect(await svc.canView(alice, (await svc.get(ids[0] as string))!)).toBe(true);
    expect(await svc.canView(bob, (await svc.get(ids[0] as string))!)).toBe(false);
    expect(await code(svc.open(bob, ids[0] as string, 'original'))).toBe('404 media_not_found');
    const { stream, contentType } = await svc.open(alice, ids[0] as string, 'thumb');
    expect(contentType).toBe('image/jpeg');
    const chunks: Buffer[] = [];
    for await (const c of stream) chunks.push(c as Buffer);
    expect((await sharp(Buffer.concat(chunks)).metadata()).width).toBe(50);
    expect(await code(svc.openPublic(ids[0] as string))).toBe('404 media_not_found');
    expect(await svc.setPublic([ids[0] as string], true)).toBe(1);
    expect((await svc.openPublic(ids[0] as string)).contentType).toBe('image/jpeg');
  });

  it('keeps storage keys inside the media folder', () => {
    const s = new LocalMediaStorage(root);
    for (const bad of ['../x', 'a/../../b', '/etc/passwd', 'a//b', 'A/B', 'a\\b', '', '.hidden', 'a/..']) {
      expect(() => s.pathOf(bad), bad).toThrow();
    }
    expect(s.pathOf('ab/cd-ef/thumb')).toBe(path.join(root, 'ab', 'cd-ef', 'thumb'));
  });

  it('measures distance on the sphere', () => {
    expect(distanceM(111.3, 30.7, 111.3, 30.71)).toBeCloseTo(1112, -1);
    expect(distanceM(0, 0, 0, 0)).toBe(0);
  });
});
