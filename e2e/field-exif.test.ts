/**
 * The field app's EXIF carry (apps/web/src/pages/field/exif.ts) on real JPEG bytes, in Node: a
 * camera photo's capture time and GPS go into the page-compressed JPEG with the orientation set
 * to 1, an embedded thumbnail at the segment's end is dropped, and the server reads the result
 * as it reads a camera's photo (no `exif_missing`). The in-browser path (canvas + upload) is
 * covered by public-report.e2e.test.ts.
 */
import exifr from 'exifr';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { readExif } from '../apps/server/src/modules/media/media.image.ts';
import { carryExif, findExifSegment, insertExifSegment, prepareExifSegment } from '../apps/web/src/pages/field/exif.ts';

const u8 = (b: Buffer) => new Uint8Array(b);

async function cameraPhoto(): Promise<Buffer> {
  return sharp({ create: { width: 600, height: 400, channels: 3, background: '#7a8a6a' } })
    .jpeg({ quality: 95 })
    .withMetadata({ orientation: 6 })
    .withExif({
      IFD0: { Make: 'CityLoopCam', Model: 'T1' },
      IFD2: { DateTimeOriginal: '2026:11:30 08:30:00', OffsetTimeOriginal: '+08:00' },
      IFD3: { GPSLatitudeRef: 'N', GPSLatitude: '30/1 41/1 1200/100', GPSLongitudeRef: 'E', GPSLongitude: '111/1 17/1 3000/100' },
    })
    .toBuffer();
}

/** A little-endian EXIF segment: IFD0 (Orientation 6) → IFD1 with a thumbnail of `thumb` bytes at the end. */
function segmentWithThumbnail(thumb: number): Uint8Array {
  const tiff: number[] = [];
  const u16 = (v: number) => tiff.push(v & 0xff, v >> 8);
  const u32 = (v: number) => tiff.push(v & 0xff, (v >> 8) & 0xff, (v >> 16) & 0xff, v >>> 24);
  tiff.push(0x49, 0x49);
  u16(42);
  u32(8);
  // IFD0 at 8: one entry, then the next-IFD offset (26).
  u16(1);
  u16(0x0112);
  u16(3);
  u32(1);
  u16(6);
  u16(0);
  u32(26);
  // IFD1 at 26: two entries, thumbnail at 26 + 2 + 24 + 4 = 56.
  u16(2);
  u16(0x0201);
  u16(4);
  u32(1);
  u32(56);
  u16(0x0202);
  u16(4);
  u32(1);
  u32(thumb);
  u32(0);
  for (let i = 0; i < thumb; i++) tiff.push(0xaa);
  const len = 2 + 6 + tiff.length;
  return new Uint8Array([0xff, 0xe1, len >> 8, len & 0xff, 0x45, 0x78, 0x69, 0x66, 0, 0, ...tiff]);
}

describe('field photos: EXIF carried across the page compression', () => {
  it('keeps capture time and GPS, with the orientation reset to 1, and the server reads them', async () => {
    const original = await cameraPhoto();
    // What the canvas gives: upright pixels, no metadata at all.
    const compressed = await sharp(original).rotate().resize(300).jpeg({ quality: 80 }).toBuffer();
    expect(findExifSegment(u8(compressed))).toBeNull();
    const out = Buffer.from(carryExif(u8(original), u8(compressed)));

    const meta = await sharp(out).metadata();
    expect([meta.width, meta.height, meta.orientation ?? 1]).toEqual([300, 450, 1]);
    const tags = await exifr.parse(out, { pick: ['Orientation', 'Make', 'DateTimeOriginal'], translateValues: false, reviveValues: false });
    expect(tags).toMatchObject({ Orientation: 1, Make: 'CityLoopCam', DateTimeOriginal: '2026:11:30 08:30:00' });
    const gps = await exifr.gps(out);
    expect(gps.latitude).toBeCloseTo(30 + 41 / 60 + 12 / 3600, 5);
    expect(gps.longitude).toBeCloseTo(111 + 17 / 60 + 30 / 3600, 5);
    const read = await readExif(meta.exif);
    expect(read).toMatchObject({ takenAt: '2026-11-30T00:30:00.000Z' });
    expect(read?.lat).toBeCloseTo(gps.latitude, 5);
    // The pixels are the compressed ones: the result is the compressed JPEG plus the segment.
    expect(out.length).toBe(compressed.length + (findExifSegment(u8(original)) as Uint8Array).length);
  });

  it('drops an embedded thumbnail that ends the segment, and unlinks IFD1', () => {
    const segment = segmentWithThumbnail(4000);
    const prepared = prepareExifSegment(segment) as Uint8Array;
    // Cut at IFD1 (TIFF offset 26): header 10 + 26 bytes.
    expect(prepared.length).toBe(36);
    expect((prepared[2] as number) * 256 + (prepared[3] as number)).toBe(34);
    const view = new DataView(prepared.buffer, prepared.byteOffset + 10);
    expect(view.getUint16(8 + 2 + 8, true)).toBe(1); // Orientation
    expect(view.getUint32(8 + 2 + 12, true)).toBe(0); // no IFD1
    // The original segment is untouched.
    expect(segment.length).toBe(10 + 56 + 4000);
  });

  it('leaves a photo without EXIF, and anything that is not a JPEG, as it is', async () => {
    const plain = await sharp({ create: { width: 40, height: 30, channels: 3, background: '#fff' } })
      .jpeg()
      .toBuffer();
    const compressed = await sharp(plain).jpeg({ quality: 50 }).toBuffer();
    expect(Buffer.from(carryExif(u8(plain), u8(compressed))).equals(compressed)).toBe(true);
    const png = await sharp(plain).png().toBuffer();
    expect(Buffer.from(carryExif(u8(png), u8(compressed))).equals(compressed)).toBe(true);
    const garbage = new Uint8Array([0xff, 0xd8, 0xff, 0xe1, 0xff, 0xff, 1, 2, 3]);
    expect(findExifSegment(garbage)).toBeNull();
    // A JPEG that already has EXIF keeps its own.
    const withOwn = u8(await cameraPhoto());
    expect(insertExifSegment(withOwn, segmentWithThumbnail(10))).toBe(withOwn);
  });
});
