/**
 * Carrying a photo's EXIF across the page's JPEG compression. A canvas encodes pixels only, so
 * a compressed photo would lose its capture time and GPS, which the server compares with the
 * report (and flags `exif_missing` without). These byte-level helpers take the original JPEG's
 * EXIF (APP1) segment and put it into the compressed JPEG, with the orientation set to 1 (the
 * canvas has already turned the pixels upright) and the embedded thumbnail dropped when it is
 * the segment's tail (the usual layout), since it shows the uncompressed picture.
 */

const SOI = 0xd8;
const APP1 = 0xe1;
const SOS = 0xda;
const EOI = 0xd9;
const TAG_ORIENTATION = 0x0112;
const TAG_THUMB_OFFSET = 0x0201;
const TAG_THUMB_LENGTH = 0x0202;
/** "Exif\0\0" after the APP1 marker and length. */
const EXIF_HEADER = [0x45, 0x78, 0x69, 0x66, 0x00, 0x00];
/** Where the TIFF data starts within the segment: marker (2), length (2), "Exif\0\0" (6). */
const TIFF_AT = 10;

const isJpeg = (b: Uint8Array) => b.length > 4 && b[0] === 0xff && b[1] === SOI;

/** The whole EXIF APP1 segment (marker and length included) of a JPEG, or null. */
export function findExifSegment(jpeg: Uint8Array): Uint8Array | null {
  if (!isJpeg(jpeg)) return null;
  let i = 2;
  while (i + 4 <= jpeg.length) {
    if (jpeg[i] !== 0xff) return null;
    const marker = jpeg[i + 1] as number;
    // Fill bytes between segments.
    if (marker === 0xff) {
      i += 1;
      continue;
    }
    if (marker === SOS || marker === EOI) return null;
    const len = ((jpeg[i + 2] as number) << 8) | (jpeg[i + 3] as number);
    if (len < 2 || i + 2 + len > jpeg.length) return null;
    if (marker === APP1 && len >= 8 + EXIF_HEADER.length && EXIF_HEADER.every((v, k) => jpeg[i + 4 + k] === v)) {
      return jpeg.slice(i, i + 2 + len);
    }
    i += 2 + len;
  }
  return null;
}

/** A view on the TIFF data of an EXIF segment, in its byte order. */
function tiffView(segment: Uint8Array) {
  const view = new DataView(segment.buffer, segment.byteOffset + TIFF_AT, segment.length - TIFF_AT);
  const order = view.getUint16(0);
  if (order !== 0x4949 && order !== 0x4d4d) return null;
  const le = order === 0x4949;
  if (view.getUint16(2, le) !== 42) return null;
  return { view, le };
}

/**
 * The EXIF segment made fit for the compressed JPEG: Orientation = 1, and the thumbnail
 * dropped (IFD0 no longer links IFD1; its bytes cut when they end the segment). Returns a copy;
 * null when the segment is not TIFF data it can read.
 */
export function prepareExifSegment(original: Uint8Array): Uint8Array | null {
  let segment = original.slice();
  const tiff = tiffView(segment);
  if (!tiff) return null;
  const { view, le } = tiff;
  const size = view.byteLength;
  const ifd0 = view.getUint32(4, le);
  if (ifd0 + 2 > size) return null;
  const count = view.getUint16(ifd0, le);
  const next = ifd0 + 2 + count * 12;
  if (next + 4 > size) return null;
  for (let k = 0; k < count; k++) {
    const entry = ifd0 + 2 + k * 12;
    // Orientation is a SHORT held in the entry itself.
    if (view.getUint16(entry, le) === TAG_ORIENTATION && view.getUint16(entry + 2, le) === 3) view.setUint16(entry + 8, 1, le);
  }
  const ifd1 = view.getUint32(next, le);
  if (ifd1 !== 0 && ifd1 + 2 <= size) {
    view.setUint32(next, 0, le);
    const n1 = view.getUint16(ifd1, le);
    let thumbAt = 0;
    let thumbLen = 0;
    for (let k = 0; k < n1 && ifd1 + 2 + k * 12 + 12 <= size; k++) {
      const entry = ifd1 + 2 + k * 12;
      const tag = view.getUint16(entry, le);
      if (tag === TAG_THUMB_OFFSET) thumbAt = view.getUint32(entry + 8, le);
      if (tag === TAG_THUMB_LENGTH) thumbLen = view.getUint32(entry + 8, le);
    }
    // The thumbnail (and IFD1 before it) end the TIFF data: cut them off.
    if (thumbAt > ifd1 && thumbLen > 0 && thumbAt + thumbLen >= size) {
      segment = segment.slice(0, TIFF_AT + ifd1);
      const len = segment.length - 2;
      segment[2] = len >> 8;
      segment[3] = len & 0xff;
    }
  }
  return segment;
}

/** The compressed JPEG with the EXIF segment inserted right after its start marker. */
export function insertExifSegment(jpeg: Uint8Array, segment: Uint8Array): Uint8Array {
  if (!isJpeg(jpeg) || findExifSegment(jpeg)) return jpeg;
  const out = new Uint8Array(jpeg.length + segment.length);
  out.set(jpeg.subarray(0, 2), 0);
  out.set(segment, 2);
  out.set(jpeg.subarray(2), 2 + segment.length);
  return out;
}

/** The original's EXIF carried into the compressed JPEG (unchanged when the original has none). */
export function carryExif(original: Uint8Array, compressed: Uint8Array): Uint8Array {
  const found = findExifSegment(original);
  const segment = found ? prepareExifSegment(found) : null;
  return segment ? insertExifSegment(compressed, segment) : compressed;
}
