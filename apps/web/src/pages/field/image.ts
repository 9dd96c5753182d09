import { carryExif } from './exif.ts';

/** The longest side of a photo after compression, in pixels. */
export const MAX_SIDE = 1600;
/** JPEG quality of a compressed photo. */
export const QUALITY = 0.8;

export interface CompressedPhoto {
  blob: Blob;
  /** Bytes of the file as picked or taken. */
  originalBytes: number;
  width: number;
  height: number;
}

/**
 * Shrinks a photo in the browser before it is uploaded or stored: drawn on a canvas with its
 * long side at most MAX_SIDE and encoded as JPEG. The original is kept when it is already
 * smaller than what the canvas gives (a small JPEG), so compression never costs bytes. A JPEG's
 * EXIF (capture time, GPS) goes into the compressed photo, its orientation reset to upright.
 */
export async function compressImage(file: Blob): Promise<CompressedPhoto> {
  const bitmap = await createImageBitmap(file, { imageOrientation: 'from-image' });
  try {
    const scale = Math.min(1, MAX_SIDE / Math.max(bitmap.width, bitmap.height));
    const width = Math.max(1, Math.round(bitmap.width * scale));
    const height = Math.max(1, Math.round(bitmap.height * scale));
    const canvas = document.createElement('canvas');
    canvas.width = width;
    canvas.height = height;
    const ctx = canvas.getContext('2d');
    if (!ctx) throw new Error('canvas 2d unavailable');
    ctx.drawImage(bitmap, 0, 0, width, height);
    const encoded = await new Promise<Blob>((resolve, reject) =>
      canvas.toBlob((b) => (b ? resolve(b) : reject(new Error('JPEG encoding failed'))), 'image/jpeg', QUALITY),
    );
    const carried =
      file.type === 'image/jpeg' ? carryExif(new Uint8Array(await file.arrayBuffer()), new Uint8Array(await encoded.arrayBuffer())) : null;
    const blob = carried ? new Blob([carried as Uint8Array<ArrayBuffer>], { type: 'image/jpeg' }) : encoded;
    const keepOriginal = scale === 1 && file.type === 'image/jpeg' && file.size <= blob.size;
    return { blob: keepOriginal ? file : blob, originalBytes: file.size, width, height };
  } finally {
    bitmap.close();
  }
}

/** "1.2 MB", "830 KB". */
export function fmtBytes(n: number): string {
  if (n >= 1024 * 1024) return `${(n / 1024 / 1024).toFixed(1)} MB`;
  return `${Math.max(1, Math.round(n / 1024))} KB`;
}
