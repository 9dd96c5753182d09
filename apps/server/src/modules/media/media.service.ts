import crypto from 'node:crypto';
import path from 'node:path';
import type { Readable } from 'node:stream';
import type { CoordSys } from '@cityloop/shared';
import { type Insertable, type Kysely, sql } from 'kysely';
import type { Context } from '../../context.ts';
import type { DB, MediaExif, MediaTable } from '../../db/schema.ts';
import { AppError, badRequest, conflict, notFound, unprocessable } from '../../errors.ts';
import { toWgs84 } from '../../lib/coords.ts';
import { type Auth, publicCaller } from '../auth/auth.service.ts';
import { distanceM, ImageDecodeError, type MediaType, type Processed, processImage, sniffType } from './media.image.ts';
import { MediaRepository, type MediaRow } from './media.repository.ts';
import { S3MediaStorage } from './media.s3.ts';
import { LocalMediaStorage, type MediaStorage } from './media.storage.ts';

export type { MediaRow } from './media.repository.ts';

/** EXIF GPS further than this from the claimed place is flagged. */
export const GPS_FAR_M = 200;
/** EXIF time further than this from the claimed time is flagged. */
export const TIME_FAR_MS = 2 * 3600_000;
export const DEFAULT_MAX_BYTES = 10 * 1024 * 1024;
export const DEFAULT_MAX_FILES = 10;
/** Anonymous uploads (public channel): files per request, and photos per upload token. */
export const PUBLIC_MAX_FILES = 3;
export const PUBLIC_MAX_PER_TOKEN = 9;
/** An upload token as issued: 32 random bytes, base64url. */
export const UPLOAD_TOKEN_PATTERN = '^[A-Za-z0-9_-]{43}$';
const UPLOAD_TOKEN = new RegExp(UPLOAD_TOKEN_PATTERN);

/**
 * Flags on a photo: `exif_missing` (no capture time and no GPS in it), `exif_gps_far` /
 * `exif_time_far` (far from where/when the report says it was taken), `duplicate` (the same
 * bytes were uploaded before). Flags inform reviewers; they do not reject the photo.
 */
export type MediaFlag = 'exif_missing' | 'exif_gps_far' | 'exif_time_far' | 'duplicate';

export interface UploadFile {
  /** Client-side name, informative only (never used for type or storage). */
  filename?: string;
  buffer: Buffer;
}

/** Where and when a photo is said to have been taken. */
export interface Claim {
  lng?: number | null;
  lat?: number | null;
  at?: string | Date | null;
  /** Coordinate system of lng/lat (default wgs84). */
  crs?: CoordSys;
}

export interface MediaView {
  id: string;
  contentType: string;
  size: number;
  width: number;
  height: number;
  exif: { takenAt: string | null; lng: number | null; lat: number | null } | null;
  flags: string[];
  caseId: number | null;
  public: boolean;
  createdAt: string;
  url: string;
  thumbUrl: string;
  publicUrl: string | null;
}

/** What an anonymous uploader gets back: no EXIF, no flags, no URLs it could not open. */
export interface PublicUploadView {
  id: string;
  contentType: string;
  size: number;
  width: number;
  height: number;
  createdAt: string;
}

/** A photo the public may see with a case: the EXIF-stripped rendition only. */
export interface PublicPhotoView {
  id: string;
  contentType: string;
  width: number;
  height: number;
  url: string;
}

export interface CompareResult {
  id: string;
  flags: string[];
  /** Metres between EXIF GPS and the claimed place; null when either is missing. */
  distanceM: number | null;
  /** Minutes between EXIF time and the claimed time; null when either is missing. */
  timeDiffMinutes: number | null;
}

export type Rendition = 'original' | 'thumb' | 'public';

const ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

const mediaNotFound = (id: string) => notFound('media_not_found', `图片 ${id} 不存在 / Media ${id} does not exist`);

const sha256 = (s: string) => crypto.createHash('sha256').update(s).digest('hex');

/** An anonymous upload that no report took within this time is removed. */
export const UNATTACHED_ANONYMOUS_MS = 24 * 3600_000;
/** A staff or machine upload that no report or action took within this time is removed. */
export const UNATTACHED_STAFF_MS = 7 * 24 * 3600_000;

export class MediaService {
  readonly storage: MediaStorage;
  /** Largest accepted file in bytes (per file). */
  maxBytes: number;
  /** Most files in one upload request. */
  maxFiles: number;
  /** Most files in one anonymous upload request. */
  publicMaxFiles = PUBLIC_MAX_FILES;
  /** Most photos one upload token may hold (over all its requests). */
  publicMaxPerToken = PUBLIC_MAX_PER_TOKEN;
  private readonly repo: MediaRepository;

  constructor(
    private readonly ctx: Context,
    opts: { storage?: MediaStorage; maxBytes?: number; maxFiles?: number } = {},
  ) {
    this.repo = new MediaRepository(ctx.db);
    this.storage =
      opts.storage ??
      (ctx.config.mediaS3 ? new S3MediaStorage(ctx.config.mediaS3) : new LocalMediaStorage(path.join(ctx.config.dataDir, 'media')));
    const fromConfig = (ctx.config as { mediaMaxBytes?: number }).mediaMaxBytes;
    this.maxBytes = opts.maxBytes ?? fromConfig ?? DEFAULT_MAX_BYTES;
    this.maxFiles = opts.maxFiles ?? DEFAULT_MAX_FILES;
  }

  static keyOf(id: string, rendition: Rendition): string {
    return `${id.slice(0, 2)}/${id}/${rendition}`;
  }

  // --- upload ------------------------------------------------------------------------------

  /**
   * Checks every file (type by content, size, decodes), renders thumbnails and the
   * metadata-free rendition, then stores all of them or none.
   */
  async upload(auth: Auth, files: UploadFile[], claim: Claim | null = null): Promise<MediaView[]> {
    if (files.length === 0) throw badRequest('media_file_required', '请上传至少一个文件 / Upload at least one file');
    if (files.length > this.maxFiles)
      throw new AppError(413, 'media_too_many_files', `一次最多上传 ${this.maxFiles} 个文件 / At most ${this.maxFiles} files per upload`, {
        maxFiles: this.maxFiles,
      });
    const wgsClaim = normalizeClaim(claim);
    // 1. Cheap checks on every file before any decoding.
    const types: MediaType[] = files.map((f, i) => {
      if (f.buffer.length > this.maxBytes) throw tooLarge(this.maxBytes, f.filename, i);
      if (f.buffer.length === 0) throw unsupported(f.filename, i);
      const t = sniffType(f.buffer);
      if (!t) throw unsupported(f.filename, i);
      return t;
    });
    // 2. Decode and render (one at a time: bounded memory).
    const processed: Processed[] = [];
    for (const [i, f] of files.entries()) {
      try {
        processed.push(await processImage(f.buffer, types[i] as MediaType));
      } catch (err) {
        if (err instanceof ImageDecodeError)
          throw unprocessable('media_invalid', '图片已损坏或无法解码 / The image is damaged or cannot be decoded', {
            index: i,
            filename: f.filename ?? null,
            reason: err.message,
          });
        throw err;
      }
    }
    const hashes = files.map((f) => crypto.createHash('sha256').update(f.buffer).digest('hex'));
    const known = await this.repo.knownHashes(hashes);
    const rows: Insertable<MediaTable>[] = processed.map((p, i) => {
      const sha = hashes[i] as string;
      const dupe = known.has(sha) || hashes.indexOf(sha) < i;
      const flags = [...flagsFor(p.exif, wgsClaim).flags, ...(dupe ? ['duplicate'] : [])];
      return {
        id: crypto.randomUUID(),
        ownerPersonId: auth.personId,
        ownerApiKeyId: auth.personId === null ? auth.apiKeyId : null,
        ownerUploadHash: auth.personId === null && auth.apiKeyId === null ? (auth.uploadTokenHash ?? null) : null,
        contentType: p.contentType,
        size: (files[i] as UploadFile).buffer.length,
        width: p.width,
        height: p.height,
        sha256: sha,
        exif: p.exif ? JSON.stringify(p.exif) : null,
        flags: JSON.stringify(flags),
      };
    });
    // 3. Files first, then the rows in one statement; undo the files if anything fails.
    const written: string[] = [];
    try {
      for (const [i, r] of rows.entries()) {
        const p = processed[i] as Processed;
        const parts: Array<[Rendition, Buffer, string]> = [
          ['original', (files[i] as UploadFile).buffer, p.contentType],
          ['thumb', p.thumb, 'image/jpeg'],
          ['public', p.publicRendition, p.contentType],
        ];
        for (const [rendition, buf, type] of parts) {
          const key = MediaService.keyOf(r.id, rendition);
          written.push(key);
          await this.storage.put(key, buf, type);
        }
      }
      const inserted = await this.repo.insert(rows);
      const byId = new Map(inserted.map((r) => [r.id, r]));
      return rows.map((r) => this.view(byId.get(r.id) as MediaRow));
    } catch (err) {
      await Promise.allSettled(written.map((k) => this.storage.delete(k)));
      throw err;
    }
  }

  /**
   * An anonymous upload (public channel), with the stricter limits: at most publicMaxFiles
   * files per request and publicMaxPerToken per upload token. Without a token a new one is
   * issued and returned (once; only its hash is stored); with one, the photos join the set
   * that token owns. The photos stay private until they go on a public report with the token.
   */
  async uploadPublic(files: UploadFile[], uploadToken: string | null): Promise<{ uploadToken?: string; media: PublicUploadView[] }> {
    if (files.length > this.publicMaxFiles)
      throw new AppError(
        413,
        'media_too_many_files',
        `一次最多上传 ${this.publicMaxFiles} 个文件 / At most ${this.publicMaxFiles} files per upload`,
        { maxFiles: this.publicMaxFiles },
      );
    let issued: string | undefined;
    let hash: string;
    if (uploadToken !== null) {
      hash = sha256(uploadToken);
      const held = UPLOAD_TOKEN.test(uploadToken) ? await this.repo.countByUploadHash(hash) : 0;
      if (held === 0) throw new AppError(403, 'media_upload_token_invalid', '上传凭证无效 / The upload token is unknown or invalid');
      if (held + files.length > this.publicMaxPerToken)
        throw unprocessable(
          'media_upload_set_full',
          `每个上传凭证最多 ${this.publicMaxPerToken} 张照片 / At most ${this.publicMaxPerToken} photos per upload token`,
          { maxPerToken: this.publicMaxPerToken, held },
        );
    } else {
      issued = crypto.randomBytes(32).toString('base64url');
      hash = sha256(issued);
    }
    const stored = await this.upload(publicCaller(hash), files, null);
    const media = stored.map((m) => ({
      id: m.id,
      contentType: m.contentType,
      size: m.size,
      width: m.width,
      height: m.height,
      createdAt: m.createdAt,
    }));
    return issued === undefined ? { media } : { uploadToken: issued, media };
  }

  // --- reading -----------------------------------------------------------------------------

  async get(id: string): Promise<MediaRow | undefined> {
    if (!ID.test(id)) return undefined;
    return this.repo.get(id);
  }

  /** The uploader, or anyone who may see the case the photo is attached to. */
  async canView(auth: Auth | null, media: MediaRow): Promise<boolean> {
    if (!auth) return false;
    if (media.ownerPersonId !== null && media.ownerPersonId === auth.personId) return true;
    if (media.ownerApiKeyId !== null && media.ownerApiKeyId === auth.apiKeyId) return true;
    if (media.caseId === null) return false;
    try {
      await this.ctx.services.cases.getVisible(auth, media.caseId);
      return true;
    } catch (err) {
      if (err instanceof AppError && (err.status === 404 || err.status === 403)) return false;
      throw err;
    }
  }

  /** A photo (or its thumbnail) for a caller allowed to see it; otherwise 404, never 403. */
  async open(auth: Auth | null, id: string, rendition: 'original' | 'thumb') {
    const m = await this.get(id);
    if (!m || !(await this.canView(auth, m))) throw mediaNotFound(id);
    const stream = await this.storage.get(MediaService.keyOf(m.id, rendition));
    return { media: m, stream, contentType: rendition === 'thumb' ? 'image/jpeg' : m.contentType };
  }

  /** The metadata-free rendition of a photo marked public. */
  async openPublic(id: string): Promise<{ media: MediaRow; stream: Readable; contentType: string }> {
    const m = await this.get(id);
    if (!m?.public) throw mediaNotFound(id);
    const stream = await this.storage.get(MediaService.keyOf(m.id, 'public'));
    return { media: m, stream, contentType: m.contentType };
  }

  async listForCase(caseId: number, db?: Kysely<DB>): Promise<MediaView[]> {
    return (await this.repo.forCase(caseId, db)).map((r) => this.view(r));
  }

  /** A case's photos marked public, as links to their EXIF-stripped rendition (nothing else about them). */
  async listPublicForCase(caseId: number): Promise<PublicPhotoView[]> {
    return (await this.repo.publicForCase(caseId)).map((r) => ({
      id: r.id,
      contentType: r.contentType,
      width: r.width,
      height: r.height,
      url: `/api/public/media/${r.id}`,
    }));
  }

  view(r: MediaRow): MediaView {
    const e = r.exif;
    return {
      id: r.id,
      contentType: r.contentType,
      size: r.size,
      width: r.width,
      height: r.height,
      exif: e ? { takenAt: e.takenAt, lng: e.lng, lat: e.lat } : null,
      flags: r.flags ?? [],
      caseId: r.caseId,
      public: r.public,
      createdAt: new Date(r.createdAt).toISOString(),
      url: `/api/media/${r.id}`,
      thumbUrl: `/api/media/${r.id}/thumb`,
      publicUrl: r.public ? `/api/public/media/${r.id}` : null,
    };
  }

  // --- for the cases module ------------------------------------------------------------------

  /**
   * Media ids a caller may put on a case: they exist, and were uploaded by this caller or
   * are already on this case; none is attached to another case. Otherwise 422 `media_not_found`
   * naming the ids. Returns the rows in the order given (duplicates dropped).
   * A caller with neither person nor API key (the public channel) proves it uploaded a photo
   * with the upload token's hash (auth.uploadTokenHash) matching the photo's owner.
   */
  async assertUsable(auth: Auth, ids: string[], caseId: number | null = null, db?: Kysely<DB>): Promise<MediaRow[]> {
    const unique = [...new Set(ids)];
    const rows = await this.repo.many(
      unique.filter((id) => ID.test(id)),
      db,
    );
    const byId = new Map(rows.map((r) => [r.id, r]));
    const bad = unique.filter((id) => {
      const m = byId.get(id);
      if (!m) return true;
      if (m.caseId !== null) return m.caseId !== caseId;
      const mine =
        (m.ownerPersonId !== null && m.ownerPersonId === auth.personId) ||
        (m.ownerApiKeyId !== null && m.ownerApiKeyId === auth.apiKeyId) ||
        (auth.personId === null &&
          auth.apiKeyId === null &&
          m.ownerUploadHash !== null &&
          auth.uploadTokenHash !== undefined &&
          m.ownerUploadHash === auth.uploadTokenHash);
      return !mine;
    });
    if (bad.length > 0)
      throw unprocessable('media_not_found', `图片不存在或不可用：${bad.join(', ')} / Media not found or not usable: ${bad.join(', ')}`, {
        ids: bad,
      });
    return unique.map((id) => byId.get(id) as MediaRow);
  }

  /**
   * Attaches media to a case (pass the transaction's `db`); 409 if one went to another case meanwhile.
   * Anonymous uploads (owned by an upload token) were sent to go on a public report: they are
   * marked public as they first join their case, in the same statement, so the public sees them
   * (EXIF-stripped only) exactly when the case exists.
   */
  async attach(ids: string[], caseId: number, db?: Kysely<DB>): Promise<void> {
    const unique = [...new Set(ids)];
    const done = await this.repo.attach(unique, caseId, db);
    if (done.length !== unique.length) {
      const missing = unique.filter((id) => !done.includes(id));
      throw conflict(
        'media_attached_elsewhere',
        `图片已用于其他案卷：${missing.join(', ')} / Media already on another case: ${missing.join(', ')}`,
        {
          ids: missing,
        },
      );
    }
  }

  /**
   * Removes photos that never joined a case: anonymous uploads (a citizen who gave up before
   * reporting) after UNATTACHED_ANONYMOUS_MS, staff and machine uploads after UNATTACHED_STAFF_MS
   * (a field app may hold an offline report for days). Rows go first, in one statement (a
   * report attaching one at the same moment either wins or finds it gone); then the files.
   * Returns how many were removed.
   */
  async purgeUnattached(now: Date = this.ctx.now()): Promise<number> {
    const res = await sql<{ id: string }>`
      DELETE FROM media WHERE case_id IS NULL AND (
        (owner_upload_hash IS NOT NULL AND created_at < ${new Date(now.getTime() - UNATTACHED_ANONYMOUS_MS)})
        OR (owner_upload_hash IS NULL AND created_at < ${new Date(now.getTime() - UNATTACHED_STAFF_MS)}))
      RETURNING id`.execute(this.ctx.db);
    for (const { id } of res.rows) {
      // A file left behind is harmless (nothing points at it); the next pass does not see it again.
      await Promise.allSettled((['original', 'thumb', 'public'] as const).map((r) => this.storage.delete(MediaService.keyOf(id, r))));
    }
    return res.rows.length;
  }

  /** Marks media public (served EXIF-stripped at /api/public/media/:id) or private again. */
  async setPublic(ids: string[], value: boolean, db?: Kysely<DB>): Promise<number> {
    return this.repo.setPublic([...new Set(ids)], value, db);
  }

  /**
   * Compares the photos' EXIF with where and when the report says they were taken, stores
   * the resulting flags and returns them (with the distance and time difference).
   */
  async compare(ids: string[], claim: Claim, db?: Kysely<DB>): Promise<CompareResult[]> {
    const c = normalizeClaim(claim);
    const rows = await this.repo.many(
      [...new Set(ids)].filter((id) => ID.test(id)),
      db,
    );
    const out: CompareResult[] = [];
    for (const r of rows) {
      const res = flagsFor(r.exif, c);
      const keep = (r.flags ?? []).filter((f) => f === 'duplicate');
      const flags = [...res.flags, ...keep];
      if (JSON.stringify(flags) !== JSON.stringify(r.flags)) await this.repo.setFlags(r.id, flags, db);
      out.push({ id: r.id, flags, distanceM: res.distanceM, timeDiffMinutes: res.timeDiffMinutes });
    }
    return out;
  }
}

interface WgsClaim {
  lng: number | null;
  lat: number | null;
  at: Date | null;
}

function normalizeClaim(claim: Claim | null): WgsClaim {
  if (!claim) return { lng: null, lat: null, at: null };
  const hasLng = claim.lng !== undefined && claim.lng !== null;
  const hasLat = claim.lat !== undefined && claim.lat !== null;
  if (hasLng !== hasLat) throw badRequest('media_claim_invalid', '经度和纬度需同时提供 / Give both claimedLng and claimedLat');
  let lng: number | null = null;
  let lat: number | null = null;
  if (hasLng) {
    const x = Number(claim.lng);
    const y = Number(claim.lat);
    if (!Number.isFinite(x) || !Number.isFinite(y) || Math.abs(x) > 180 || Math.abs(y) > 90)
      throw badRequest('media_claim_invalid', '坐标不合法 / Invalid claimed coordinates');
    [lng, lat] = toWgs84(x, y, claim.crs ?? 'wgs84');
  }
  let at: Date | null = null;
  if (claim.at !== undefined && claim.at !== null && claim.at !== '') {
    at = claim.at instanceof Date ? claim.at : new Date(claim.at);
    if (Number.isNaN(at.getTime()) || (typeof claim.at === 'string' && !/^\d{4}-\d{2}-\d{2}T/.test(claim.at)))
      throw badRequest('media_claim_invalid', '拍摄时间需为 ISO 8601 / claimedAt must be an ISO 8601 time');
  }
  return { lng, lat, at };
}

function flagsFor(exif: MediaExif | null, c: WgsClaim) {
  const flags: MediaFlag[] = [];
  let dist: number | null = null;
  let diff: number | null = null;
  if (!exif || (exif.takenAt === null && exif.lng === null)) flags.push('exif_missing');
  if (exif && exif.lng !== null && exif.lat !== null && c.lng !== null && c.lat !== null) {
    dist = Math.round(distanceM(exif.lng, exif.lat, c.lng, c.lat));
    if (dist > GPS_FAR_M) flags.push('exif_gps_far');
  }
  if (exif?.takenAt && c.at) {
    const ms = Math.abs(new Date(exif.takenAt).getTime() - c.at.getTime());
    diff = Math.round(ms / 60_000);
    if (ms > TIME_FAR_MS) flags.push('exif_time_far');
  }
  return { flags: flags as string[], distanceM: dist, timeDiffMinutes: diff };
}

function tooLarge(max: number, filename: string | undefined, index: number | null) {
  return new AppError(
    413,
    'media_too_large',
    `文件超过 ${Math.round(max / 1024 / 1024)} MB 上限 / The file exceeds the ${Math.round(max / 1024 / 1024)} MB limit`,
    { maxBytes: max, index, filename: filename ?? null },
  );
}

export const mediaTooLarge = (max: number, filename?: string) => tooLarge(max, filename, null);

function unsupported(filename: string | undefined, index: number) {
  return new AppError(415, 'media_type_unsupported', '仅支持 JPEG、PNG、WebP 图片 / Only JPEG, PNG and WebP images are accepted', {
    index,
    filename: filename ?? null,
    accepted: ['image/jpeg', 'image/png', 'image/webp'],
  });
}
