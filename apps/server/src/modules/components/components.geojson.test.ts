import { describe, expect, it } from 'vitest';
import { GeoJsonSyntaxError, streamFeatures } from './components.geojson.ts';
import { parseWkt } from './components.geometry.ts';

async function collect(text: string, chunkSize: number): Promise<unknown[]> {
  const bytes = Buffer.from(text, 'utf8');
  async function* chunks() {
    for (let i = 0; i < bytes.length; i += chunkSize) yield bytes.subarray(i, i + chunkSize);
  }
  const out: unknown[] = [];
  for await (const f of streamFeatures(chunks())) out.push(f);
  return out;
}

const tricky = {
  type: 'FeatureCollection',
  name: 'features',
  crs: { type: 'name', properties: { name: 'urn:ogc:def:crs:OGC:1.3:CRS84', features: [1, 2] } },
  features: [
    {
      type: 'Feature',
      properties: { code: '4205020101000001', note: 'brackets ] } [ { and "quotes" \\ and 井盖 🚧' },
      geometry: { type: 'Point', coordinates: [111.3, 30.7] },
    },
    {
      type: 'Feature',
      properties: { features: ['not', 'these'] },
      geometry: {
        type: 'LineString',
        coordinates: [
          [111.3, 30.7],
          [111.31, 30.71],
        ],
      },
    },
  ],
  bbox: [111.3, 30.7, 111.31, 30.71],
};

describe('streamFeatures', () => {
  it('yields each feature of the top-level array whatever the chunking (multi-byte characters split too)', async () => {
    const text = `\uFEFF${JSON.stringify(tricky, null, 1)}`;
    for (const size of [1, 2, 3, 7, 64, 100_000]) {
      expect(await collect(text, size), `chunk ${size}`).toEqual(tricky.features);
    }
  });

  it('reads a bare array of features and an empty collection', async () => {
    expect(await collect(JSON.stringify(tricky.features), 5)).toEqual(tricky.features);
    expect(await collect('{"type":"FeatureCollection","features":[]}', 4)).toEqual([]);
    expect(await collect('{"type":"FeatureCollection"}', 4)).toEqual([]);
  });

  it('fails on truncated or broken input', async () => {
    await expect(collect('{"type":"FeatureCollection","features":[{"type":"Feature"', 8)).rejects.toBeInstanceOf(GeoJsonSyntaxError);
    await expect(collect('{"features":[{"type":"Feature",}]}', 8)).rejects.toBeInstanceOf(GeoJsonSyntaxError);
    await expect(collect('{"features":["x"]}', 8)).rejects.toBeInstanceOf(GeoJsonSyntaxError);
    await expect(collect('', 8)).rejects.toBeInstanceOf(GeoJsonSyntaxError);
  });
});

describe('parseWkt', () => {
  it('reads the 2-D types, an SRID prefix and Z values', () => {
    expect(parseWkt('POINT (111.3 30.7)')).toEqual({ type: 'Point', coordinates: [111.3, 30.7] });
    expect(parseWkt('SRID=4326;LINESTRING(1 2, 3 4)')).toEqual({
      type: 'LineString',
      coordinates: [
        [1, 2],
        [3, 4],
      ],
    });
    expect(parseWkt('POLYGON Z ((0 0 1, 1 0 1, 1 1 1, 0 0 1))')).toEqual({
      type: 'Polygon',
      coordinates: [
        [
          [0, 0],
          [1, 0],
          [1, 1],
          [0, 0],
        ],
      ],
    });
    expect(parseWkt('MULTIPOINT ((1 2), (3 4))')).toEqual({
      type: 'MultiPoint',
      coordinates: [
        [1, 2],
        [3, 4],
      ],
    });
    expect(parseWkt('MULTIPOINT (1 2, 3 4)')).toEqual({
      type: 'MultiPoint',
      coordinates: [
        [1, 2],
        [3, 4],
      ],
    });
    expect(parseWkt('SRID=3857;POINT(1 2)')).toBeNull();
    expect(parseWkt('POINT(1)')).toBeNull();
    expect(parseWkt('CIRCLE(1 2)')).toBeNull();
  });
});
