import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';

/** A photo-like image (noise, so it does not compress to nothing). */
export function photo(
  format: 'jpeg' | 'png' | 'webp',
  opts: { width?: number; height?: number; exif?: { at?: string; offset?: string; lng?: number; lat?: number } } = {},
): Promise<Buffer> {
  let img = sharp({
    create: {
      width: opts.width ?? 800,
      height: opts.height ?? 600,
      channels: 3,
      background: '#808080',
      noise: { type: 'gaussian', mean: 128, sigma: 40 },
    },
  })[format]();
  const e = opts.exif;
  if (e) {
    const dms = (v: number) => {
      const a = Math.abs(v);
      const d = Math.floor(a);
      const m = Math.floor((a - d) * 60);
      const s = Math.round(((a - d) * 60 - m) * 60 * 10000);
      return `${d}/1 ${m}/1 ${s}/10000`;
    };
    img = img.withExif({
      IFD0: { Make: 'CityLoopCam', Model: 'T1' },
      ...(e.at ? { IFD2: { DateTimeOriginal: e.at, ...(e.offset ? { OffsetTimeOriginal: e.offset } : {}) } } : {}),
      ...(e.lng !== undefined && e.lat !== undefined
        ? {
            IFD3: {
              GPSLatitudeRef: e.lat >= 0 ? 'N' : 'S',
              GPSLatitude: dms(e.lat),
              GPSLongitudeRef: e.lng >= 0 ? 'E' : 'W',
              GPSLongitude: dms(e.lng),
            },
          }
        : {}),
    });
  }
  return img.toBuffer();
}

/** A multipart/form-data body built by hand. */
export function multipart(parts: Array<{ name: string; filename?: string; contentType?: string; data: Buffer | string }>) {
  const boundary = `----cityloop${Math.random().toString(16).slice(2)}`;
  const chunks: Buffer[] = [];
  for (const p of parts) {
    let head = `--${boundary}\r\nContent-Disposition: form-data; name="${p.name}"`;
    if (p.filename !== undefined) head += `; filename="${p.filename}"`;
    head += '\r\n';
    if (p.contentType) head += `Content-Type: ${p.contentType}\r\n`;
    chunks.push(Buffer.from(`${head}\r\n`), Buffer.isBuffer(p.data) ? p.data : Buffer.from(p.data), Buffer.from('\r\n'));
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return { payload: Buffer.concat(chunks), headers: { 'content-type': `multipart/form-data; boundary=${boundary}` } };
}

/** Every file under a folder (relative paths). */
export function listFiles(root: string): string[] {
  if (!fs.existsSync(root)) return [];
  return (fs.readdirSync(root, { recursive: true }) as string[]).filter((p) => fs.statSync(path.join(root, p)).isFile()).sort();
}

export const tmpDir = (prefix: string) => fs.mkdtempSync(path.join(os.tmpdir(), prefix));
