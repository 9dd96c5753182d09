import exifr from 'exifr';
import sharp, { type Metadata } from 'sharp';
import type { MediaExif } from '../../db/schema.ts';

export type MediaType = 'image/jpeg' | 'image/png' | 'image/webp';

/** The type by content (magic bytes); names and declared content types are not trusted. */
export function sniffType(buf: Buffer): MediaType | null {
  if (buf.length >= 3 && buf[0] === 0xff && buf[1] === 0xd8 && buf[2] === 0xff) return 'image/jpeg';
  if (buf.length >= 8 && buf.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) return 'image/png';
  if (buf.length >= 12 && buf.toString('latin1', 0, 4) === 'RIFF' && buf.toString('latin1', 8, 12) === 'WEBP') return 'image/webp';
  return null;
}

/** Largest decoded image accepted (guards against decompression bombs): 50 megapixels. */
export const MAX_PIXELS = 50_000_000;
export const THUMB_PX = 320;

export interface Processed {
  contentType: MediaType;
  width: number;
  height: number;
  exif: MediaExif | null;
  /** 320 px JPEG, no metadata. */
  thumb: Buffer;
  /** The full image re-encoded in its own format without any metadata, upright. */
  publicRendition: Buffer;
}

export class ImageDecodeError extends Error {}

/** Decodes, reads EXIF and renders the thumbnail and the metadata-free rendition. */
export async function processImage(buf: Buffer, contentType: MediaType): Promise<Processed> {
  const opts = { limitInputPixels: MAX_PIXELS, failOn: 'error' as const };
  let meta: Metadata;
  try {
    meta = await sharp(buf, opts).metadata();
  } catch (err) {
    throw new ImageDecodeError((err as Error).message);
  }
  const expected = { 'image/jpeg': 'jpeg', 'image/png': 'png', 'image/webp': 'webp' }[contentType];
  if (meta.format !== expected) throw new ImageDecodeError(`decoded as ${meta.format}, expected ${expected}`);
  try {
    // rotate() applies the EXIF orientation, so the metadata-free renditions stay upright.
    const upright = sharp(buf, opts).rotate();
    const encoded =
      contentType === 'image/jpeg'
        ? upright.jpeg({ quality: 90, mozjpeg: true })
        : contentType === 'image/png'
          ? upright.png({ compressionLevel: 9 })
          : upright.webp({ quality: 90 });
    const pub = await encoded.toBuffer({ resolveWithObject: true });
    const thumb = await sharp(buf, opts)
      .rotate()
      .resize(THUMB_PX, THUMB_PX, { fit: 'inside', withoutEnlargement: true })
      .flatten({ background: '#ffffff' })
      .jpeg({ quality: 75, mozjpeg: true })
      .toBuffer();
    return {
      contentType,
      width: pub.info.width,
      height: pub.info.height,
      exif: await readExif(meta.exif),
      thumb,
      publicRendition: pub.data,
    };
  } catch (err) {
    throw new ImageDecodeError((err as Error).message);
  }
}

/** Offset assumed when a camera records local time without one: China Standard Time, no DST. */
export const DEFAULT_EXIF_OFFSET = '+08:00';

/** DateTimeOriginal and GPS from a raw EXIF block (as sharp extracts it from JPEG, PNG or WebP). */
export async function readExif(raw: Buffer | undefined): Promise<MediaExif | null> {
  if (!raw || raw.length < 8) return null;
  const tiff = raw.toString('latin1', 0, 6) === 'Exif\0\0' ? raw.subarray(6) : raw;
  let t: Record<string, unknown> | undefined;
  try {
    t = await exifr.parse(tiff, {
      tiff: true,
      exif: true,
      gps: true,
      ifd1: false,
      interop: false,
      xmp: false,
      icc: false,
      iptc: false,
      jfif: false,
      ihdr: false,
      reviveValues: false,
      translateValues: false,
      pick: ['DateTimeOriginal', 'OffsetTimeOriginal', 'GPSLatitude', 'GPSLatitudeRef', 'GPSLongitude', 'GPSLongitudeRef', 'Make', 'Model'],
    });
  } catch {
    return null;
  }
  if (!t) return null;
  const { at, assumed } = exifTime(t.DateTimeOriginal, t.OffsetTimeOriginal);
  let lng = typeof t.longitude === 'number' && Number.isFinite(t.longitude) ? t.longitude : null;
  let lat = typeof t.latitude === 'number' && Number.isFinite(t.latitude) ? t.latitude : null;
  // 0,0 (or out of range) is what cameras write without a fix.
  if (lng === null || lat === null || Math.abs(lng) > 180 || Math.abs(lat) > 90 || (lng === 0 && lat === 0)) {
    lng = null;
    lat = null;
  }
  if (at === null && lng === null) return null;
  const text = (v: unknown) => (typeof v === 'string' && v.trim() ? v.trim().slice(0, 100) : null);
  return {
    takenAt: at,
    lng: lng === null ? null : round7(lng),
    lat: lat === null ? null : round7(lat),
    ...(at !== null ? { offsetAssumed: assumed } : {}),
    make: text(t.Make),
    model: text(t.Model),
  };
}

const round7 = (x: number) => Math.round(x * 1e7) / 1e7;

function exifTime(v: unknown, offset: unknown): { at: string | null; assumed: boolean } {
  if (typeof v !== 'string') return { at: null, assumed: false };
  const m = /^(\d{4}):(\d{2}):(\d{2})[ T](\d{2}):(\d{2}):(\d{2})/.exec(v.trim());
  if (!m) return { at: null, assumed: false };
  const off = typeof offset === 'string' && /^[+-]\d{2}:\d{2}$/.test(offset.trim()) ? offset.trim() : null;
  const d = new Date(`${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}${off ?? DEFAULT_EXIF_OFFSET}`);
  if (Number.isNaN(d.getTime()) || d.getUTCFullYear() < 1990) return { at: null, assumed: false };
  return { at: d.toISOString(), assumed: off === null };
}

/** Great-circle distance in metres. */
export function distanceM(lng1: number, lat1: number, lng2: number, lat2: number): number {
  const r = Math.PI / 180;
  const dLat = (lat2 - lat1) * r;
  const dLng = (lng2 - lng1) * r;
  const a = Math.sin(dLat / 2) ** 2 + Math.cos(lat1 * r) * Math.cos(lat2 * r) * Math.sin(dLng / 2) ** 2;
  return 2 * 6_371_008.8 * Math.asin(Math.min(1, Math.sqrt(a)));
}
