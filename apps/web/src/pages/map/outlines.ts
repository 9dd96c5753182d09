import { useEffect, useState } from 'react';
import { api } from '../../api.ts';
import type { FeatureCollection, RegionLevel, RegionProperties } from '../../types.ts';

export type RegionFC = FeatureCollection<RegionProperties>;

/** The levels the case maps draw (workbench, hotline, case detail): districts, streets, communities. */
export const CASE_MAP_LEVELS = ['district', 'street', 'community'] as const;

/** The levels the maintenance maps draw (beats, regions, patrol): districts, streets, unit grids. */
export const GRID_MAP_LEVELS = ['district', 'street', 'grid'] as const;

/** How long one answer serves the console's maps before it is asked for again. */
const TTL_MS = 5 * 60_000;

const cache = new Map<RegionLevel, { at: number; promise: Promise<RegionFC> }>();

/**
 * One level of the city's outlines (`GET /api/regions/geojson`), shared by the console's maps:
 * a page asks for them as it opens, before its map code has loaded, and the next map within a
 * few minutes takes the same answer. `fresh` asks again (after a boundary changed).
 */
export function regionOutlines(level: RegionLevel, fresh = false): Promise<RegionFC> {
  const hit = cache.get(level);
  if (hit && !fresh && Date.now() - hit.at < TTL_MS) return hit.promise;
  const promise = api.get<RegionFC>('/api/regions/geojson', { level });
  cache.set(level, { at: Date.now(), promise });
  // A failed read is not kept: the next map asks again.
  promise.catch(() => {
    if (cache.get(level)?.promise === promise) cache.delete(level);
  });
  return promise;
}

/** The levels asked for together; each level that could not be read is left out. */
export async function regionOutlinesOf<L extends RegionLevel>(levels: readonly L[], fresh = false): Promise<Partial<Record<L, RegionFC>>> {
  const answers = await Promise.allSettled(levels.map((l) => regionOutlines(l, fresh)));
  const out: Partial<Record<L, RegionFC>> = {};
  answers.forEach((a, i) => {
    if (a.status === 'fulfilled') out[levels[i] as L] = a.value;
  });
  return out;
}

/** The outlines of these levels for a map about to be built: null until they are here (a level that failed is left out). */
export function useRegionOutlines<L extends RegionLevel>(levels: readonly L[]): Partial<Record<L, RegionFC>> | null {
  const [outlines, setOutlines] = useState<Partial<Record<L, RegionFC>> | null>(null);
  useEffect(() => {
    let alive = true;
    void regionOutlinesOf(levels).then((o) => {
      if (alive) setOutlines(o);
    });
    return () => {
      alive = false;
    };
  }, [levels]);
  return outlines;
}

/** The bounding box of a feature collection's coordinates, as MapLibre takes bounds. */
export function bboxOfCollection(fc: FeatureCollection | undefined): [[number, number], [number, number]] | null {
  if (!fc) return null;
  let w = Infinity;
  let s = Infinity;
  let e = -Infinity;
  let n = -Infinity;
  const walk = (c: unknown): void => {
    if (!Array.isArray(c)) return;
    if (typeof c[0] === 'number' && typeof c[1] === 'number') {
      w = Math.min(w, c[0]);
      e = Math.max(e, c[0]);
      s = Math.min(s, c[1]);
      n = Math.max(n, c[1]);
      return;
    }
    for (const x of c) walk(x);
  };
  for (const f of fc.features) walk((f.geometry as { coordinates?: unknown }).coordinates);
  return Number.isFinite(w)
    ? [
        [w, s],
        [e, n],
      ]
    : null;
}

/** A GeoJSON geometry as the API sends and takes it. */
export interface Geometry {
  type: string;
  coordinates: unknown;
}

/** The bounds of a geometry's coordinates. */
export function bboxOfGeometry(g: Geometry | null | undefined): [number, number, number, number] | null {
  if (!g) return null;
  const b = bboxOfCollection({ type: 'FeatureCollection', features: [{ type: 'Feature', geometry: g, properties: null }] });
  return b ? [b[0][0], b[0][1], b[1][0], b[1][1]] : null;
}
