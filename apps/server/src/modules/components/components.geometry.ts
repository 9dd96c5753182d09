import type { CoordSys } from '@cityloop/shared';
import { toWgs84 } from '../../lib/coords.ts';

/**
 * Component geometry checks that need no database: structure, coordinate ranges,
 * conversion to WGS 84, the class's geometry kind, and GeoJSON ↔ WKT. Shared by the
 * single-item writes and the bulk import (which must not round-trip to PostGIS per row).
 */

export type GeometryKind = 'point' | 'line' | 'polygon';

export interface Geometry {
  type: 'Point' | 'MultiPoint' | 'LineString' | 'MultiLineString' | 'Polygon' | 'MultiPolygon';
  coordinates: unknown;
}

export const GEOMETRY_KIND: Record<Geometry['type'], GeometryKind> = {
  Point: 'point',
  MultiPoint: 'point',
  LineString: 'line',
  MultiLineString: 'line',
  Polygon: 'polygon',
  MultiPolygon: 'polygon',
};

export interface GeometryProblem {
  error: 'geometry_missing' | 'geometry_invalid' | 'geometry_out_of_range' | 'geometry_wrong_type';
  message: string;
}

export interface CheckedGeometry {
  geometry: Geometry;
  kind: GeometryKind;
  /** The point itself for a Point; null otherwise (PostGIS picks ST_PointOnSurface). */
  point: [number, number] | null;
}

const inRange = (x: number, y: number) => x >= -180 && x <= 180 && y >= -90 && y <= 90;

class Problem extends Error {
  constructor(readonly p: GeometryProblem) {
    super(p.message);
  }
}

function position(v: unknown, sys: CoordSys): [number, number] {
  if (
    !Array.isArray(v) ||
    v.length < 2 ||
    typeof v[0] !== 'number' ||
    typeof v[1] !== 'number' ||
    !Number.isFinite(v[0]) ||
    !Number.isFinite(v[1])
  ) {
    throw new Problem({
      error: 'geometry_invalid',
      message: '坐标必须是 [经度, 纬度] 数字对 / A position must be a [lng, lat] pair of numbers',
    });
  }
  if (!inRange(v[0], v[1])) {
    throw new Problem({
      error: 'geometry_out_of_range',
      message: `坐标 (${v[0]}, ${v[1]}) 超出经纬度范围 / Coordinates (${v[0]}, ${v[1]}) are not longitude/latitude in degrees`,
    });
  }
  return sys === 'wgs84' ? [v[0], v[1]] : toWgs84(v[0], v[1], sys);
}

function positions(v: unknown, sys: CoordSys, min: number, what: string): Array<[number, number]> {
  if (!Array.isArray(v) || v.length < min) {
    throw new Problem({
      error: 'geometry_invalid',
      message: `${what}至少需要 ${min} 个点 / A ${what === '线' ? 'line' : 'ring'} needs at least ${min} positions`,
    });
  }
  return v.map((p) => position(p, sys));
}

function ring(v: unknown, sys: CoordSys): Array<[number, number]> {
  const r = positions(v, sys, 4, '面的环');
  const [a, b] = [r[0] as [number, number], r[r.length - 1] as [number, number]];
  if (a[0] !== b[0] || a[1] !== b[1]) {
    // Conversion keeps identical inputs identical, so an open ring was open in the input.
    throw new Problem({ error: 'geometry_invalid', message: '面的环必须首尾闭合 / A polygon ring must be closed' });
  }
  return r;
}

function list(v: unknown): unknown[] {
  if (!Array.isArray(v) || v.length === 0) throw new Problem({ error: 'geometry_invalid', message: '坐标数组为空 / Empty coordinates' });
  return v;
}

/**
 * Checks a GeoJSON geometry and converts it to WGS 84. Returns a problem (never throws)
 * so the import can report it per row.
 */
export function checkGeometry(input: unknown, sys: CoordSys = 'wgs84'): CheckedGeometry | GeometryProblem {
  if (input === null || input === undefined) return { error: 'geometry_missing', message: '缺少几何 / The geometry is missing' };
  if (typeof input !== 'object')
    return { error: 'geometry_invalid', message: '几何必须是 GeoJSON 对象 / The geometry must be a GeoJSON object' };
  const g = input as { type?: unknown; coordinates?: unknown };
  const type = g.type as Geometry['type'];
  if (typeof type !== 'string' || !(type in GEOMETRY_KIND)) {
    return {
      error: 'geometry_wrong_type',
      message: `不支持的几何类型 ${String(g.type)} / Unsupported geometry type ${String(g.type)} (Point, LineString, Polygon or their Multi forms)`,
    };
  }
  try {
    let coordinates: unknown;
    switch (type) {
      case 'Point':
        coordinates = position(g.coordinates, sys);
        break;
      case 'MultiPoint':
        coordinates = list(g.coordinates).map((p) => position(p, sys));
        break;
      case 'LineString':
        coordinates = positions(g.coordinates, sys, 2, '线');
        break;
      case 'MultiLineString':
        coordinates = list(g.coordinates).map((l) => positions(l, sys, 2, '线'));
        break;
      case 'Polygon':
        coordinates = list(g.coordinates).map((r) => ring(r, sys));
        break;
      case 'MultiPolygon':
        coordinates = list(g.coordinates).map((p) => list(p).map((r) => ring(r, sys)));
        break;
    }
    const point = type === 'Point' ? (coordinates as [number, number]) : null;
    return { geometry: { type, coordinates }, kind: GEOMETRY_KIND[type], point };
  } catch (err) {
    if (err instanceof Problem) return err.p;
    throw err;
  }
}

export const isProblem = (v: CheckedGeometry | GeometryProblem): v is GeometryProblem => 'error' in v;

const KIND_LABEL: Record<GeometryKind, string> = { point: '点', line: '线', polygon: '面' };

/** The problem when a class requires another kind of geometry; null when it fits. */
export function kindMismatch(classCode: string, required: GeometryKind | null | undefined, kind: GeometryKind): GeometryProblem | null {
  if (!required || required === kind) return null;
  return {
    error: 'geometry_wrong_type',
    message: `部件小类 ${classCode} 应为${KIND_LABEL[required]}状几何，收到${KIND_LABEL[kind]} / Class ${classCode} takes ${required} geometry, got ${kind}`,
  };
}

// --- GeoJSON → EWKT (for COPY) ------------------------------------------------------

const pt = (p: unknown) => `${(p as number[])[0]} ${(p as number[])[1]}`;
const seq = (ps: unknown) => `(${(ps as unknown[]).map(pt).join(',')})`;
const poly = (rs: unknown) => `(${(rs as unknown[]).map(seq).join(',')})`;

/** A checked WGS 84 geometry as EWKT text, which PostGIS reads in COPY and as a parameter. */
export function toEwkt(g: Geometry): string {
  const c = g.coordinates;
  switch (g.type) {
    case 'Point':
      return `SRID=4326;POINT(${pt(c)})`;
    case 'MultiPoint':
      return `SRID=4326;MULTIPOINT(${(c as unknown[]).map((p) => `(${pt(p)})`).join(',')})`;
    case 'LineString':
      return `SRID=4326;LINESTRING${seq(c)}`;
    case 'MultiLineString':
      return `SRID=4326;MULTILINESTRING(${(c as unknown[]).map(seq).join(',')})`;
    case 'Polygon':
      return `SRID=4326;POLYGON${poly(c)}`;
    case 'MultiPolygon':
      return `SRID=4326;MULTIPOLYGON(${(c as unknown[]).map(poly).join(',')})`;
  }
}

// --- WKT → GeoJSON (CSV `wkt` column) ----------------------------------------------

const WKT_TYPES: Record<string, Geometry['type']> = {
  POINT: 'Point',
  MULTIPOINT: 'MultiPoint',
  LINESTRING: 'LineString',
  MULTILINESTRING: 'MultiLineString',
  POLYGON: 'Polygon',
  MULTIPOLYGON: 'MultiPolygon',
};

/**
 * Parses 2-D WKT (optionally `SRID=4326;` first) into a GeoJSON-shaped object, which then
 * goes through checkGeometry. Returns null when the text is not WKT we read.
 */
export function parseWkt(text: string): { type: string; coordinates: unknown } | null {
  let s = text.trim();
  const srid = /^SRID=(\d+);/i.exec(s);
  if (srid) {
    if (srid[1] !== '4326') return null;
    s = s.slice(srid[0].length);
  }
  const head = /^([A-Za-z]+)\s*(?:Z|M|ZM)?\s*/.exec(s);
  if (!head) return null;
  const type = WKT_TYPES[(head[1] as string).toUpperCase()];
  if (!type) return null;
  let i = head[0].length;
  // A tiny recursive-descent reader over "(...)" lists of "x y" positions.
  const ws = () => {
    while (i < s.length && /\s/.test(s[i] as string)) i++;
  };
  const value = (): unknown => {
    ws();
    if (s[i] === '(') {
      i++;
      const items: unknown[] = [];
      for (;;) {
        items.push(value());
        ws();
        if (s[i] === ',') {
          i++;
          continue;
        }
        if (s[i] === ')') {
          i++;
          break;
        }
        throw new Error('bad wkt');
      }
      return items;
    }
    const m = /^(-?[\d.]+(?:[eE][-+]?\d+)?)\s+(-?[\d.]+(?:[eE][-+]?\d+)?)(?:\s+-?[\d.]+(?:[eE][-+]?\d+)?)*/.exec(s.slice(i, i + 120));
    if (!m) throw new Error('bad wkt');
    i += m[0].length;
    return [Number(m[1]), Number(m[2])];
  };
  try {
    let coords = value();
    ws();
    if (i !== s.length) return null;
    // POINT(x y) reads as [[x, y]]; MULTIPOINT((x y),(x y)) as [[[x, y]], …] or flat.
    if (type === 'Point') coords = (coords as unknown[])[0];
    if (type === 'MultiPoint') coords = (coords as unknown[]).map((p) => (Array.isArray((p as unknown[])[0]) ? (p as unknown[])[0] : p));
    return { type, coordinates: coords };
  } catch {
    return null;
  }
}
