import fs from 'node:fs';
import path from 'node:path';
import { COORD_SYSTEMS, type CoordSys } from '@cityloop/shared';
import { parse as parseCsv } from 'csv-parse/sync';
import type { Context } from '../../context.ts';
import { csvRow } from '../../db/database.ts';
import { AppError, badRequest } from '../../errors.ts';
import { toWgs84 } from '../../lib/coords.ts';
import { GeocodeRepository, PLACE_KINDS, type PlaceKind, STAGE_COLUMNS } from './geocode.repository.ts';
import { gazetteerSearchText } from './normalize.ts';

/**
 * Gazetteer import (地理编码 基础数据): a GeoJSON FeatureCollection (properties kind, name,
 * fullAddress, roadName, houseNumber, aliases) or CSV (kind,name,full_address,road_name,
 * house_number,lng,lat[,coord_sys][,aliases]). Validated row by row; all-or-nothing unless
 * skipInvalid. Rows go through COPY into a staging table, then into `gazetteer` in one statement.
 */

export type ImportFormat = 'csv' | 'geojson';

export interface ImportOptions {
  /** Default: from the file name (.csv / .geojson / .json) or the content. */
  format?: ImportFormat;
  /** Coordinate system of the input (default wgs84); a CSV row's coord_sys column wins. */
  coordSys?: CoordSys;
  /** Import the valid rows and report the others, instead of rejecting the whole file. */
  skipInvalid?: boolean;
  /** Who imports (audit); null for the CLI. */
  actorId?: number | null;
}

export interface RejectedRow {
  /** 1-based record number: CSV data row (the header is not counted) or GeoJSON feature. */
  row: number;
  error: string;
  message: string;
}

export interface ImportResult {
  inserted: number;
  /** Current places with the same kind and full address, superseded by the imported ones. */
  replaced: number;
  rejected: RejectedRow[];
}

/** At most this many rejected rows are listed; the error says how many there were. */
const MAX_LISTED = 1000;

type Position = [number, number];
type Geometry =
  | { type: 'Point'; coordinates: Position }
  | { type: 'LineString' | 'MultiPoint'; coordinates: Position[] }
  | { type: 'Polygon' | 'MultiLineString'; coordinates: Position[][] }
  | { type: 'MultiPolygon'; coordinates: Position[][][] };

export interface PlaceRow {
  row: number;
  kind: PlaceKind;
  name: string;
  fullAddress: string;
  roadName: string | null;
  houseNumber: string | null;
  aliases: string[];
  /** WGS 84. */
  geometry: Geometry;
}

/** Chinese names of the place types (CJ/T 215 基本地点) accepted for `kind`. */
const KIND_ALIASES: Record<string, PlaceKind> = {
  行政区域: 'district',
  行政区: 'district',
  地片: 'area',
  区片: 'block',
  街巷: 'road',
  道路: 'road',
  门牌: 'doorplate',
  楼牌: 'doorplate',
  门楼牌: 'doorplate',
  '门(楼)牌': 'doorplate',
  '门（楼）牌': 'doorplate',
  兴趣点: 'poi',
  标志物: 'poi',
};

class RowError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const text = (v: unknown): string | null => {
  if (v === null || v === undefined) return null;
  const s = String(v).trim();
  return s === '' ? null : s;
};

function parseKind(v: unknown): PlaceKind {
  const s = text(v);
  if (!s) throw new RowError('kind_missing', '缺少地点类型 kind / kind is missing');
  const k = (PLACE_KINDS as readonly string[]).includes(s.toLowerCase()) ? (s.toLowerCase() as PlaceKind) : KIND_ALIASES[s];
  if (!k) throw new RowError('kind_invalid', `未知地点类型 ${s} / Unknown kind "${s}" (expected ${PLACE_KINDS.join(', ')})`);
  return k;
}

function parseCoordSys(v: unknown, fallback: CoordSys): CoordSys {
  const s = text(v);
  if (!s) return fallback;
  const c = s.toLowerCase();
  if (!(COORD_SYSTEMS as readonly string[]).includes(c)) {
    throw new RowError('coord_sys_invalid', `未知坐标系 ${s} / Unknown coordinate system "${s}" (expected ${COORD_SYSTEMS.join(', ')})`);
  }
  return c as CoordSys;
}

/** A [lng, lat] position in range, converted to WGS 84. */
function position(p: unknown, sys: CoordSys): Position {
  if (!Array.isArray(p) || p.length < 2) throw new RowError('coordinates_invalid', '坐标应为 [经度, 纬度] / A position must be [lng, lat]');
  const [lng, lat] = p as unknown[];
  if (typeof lng !== 'number' || typeof lat !== 'number' || !Number.isFinite(lng) || !Number.isFinite(lat)) {
    throw new RowError('coordinates_invalid', '坐标必须是数字 / Coordinates must be numbers');
  }
  if (lng < -180 || lng > 180 || lat < -90 || lat > 90) {
    throw new RowError(
      'coordinates_invalid',
      `坐标超出经纬度范围 (${lng}, ${lat}) / Coordinates (${lng}, ${lat}) are not longitude/latitude in degrees`,
    );
  }
  const [x, y] = toWgs84(lng, lat, sys);
  return [x, y];
}

function ring(r: unknown, sys: CoordSys, closed: boolean): Position[] {
  if (!Array.isArray(r)) throw new RowError('geometry_invalid', '几何坐标结构不正确 / Malformed geometry coordinates');
  const pts = r.map((p) => position(p, sys));
  if (closed) {
    const a = pts[0];
    const b = pts[pts.length - 1];
    if (pts.length < 4 || !a || !b || a[0] !== b[0] || a[1] !== b[1]) {
      throw new RowError('geometry_invalid', '面的边界须闭合且至少 4 个点 / A polygon ring must be closed and have at least 4 positions');
    }
  } else if (pts.length < 2) {
    throw new RowError('geometry_invalid', '线至少需要 2 个点 / A line needs at least 2 positions');
  }
  return pts;
}

function list(v: unknown): unknown[] {
  if (!Array.isArray(v) || v.length === 0)
    throw new RowError('geometry_invalid', '几何坐标为空或结构不正确 / Empty or malformed geometry coordinates');
  return v;
}

/** Checks a GeoJSON geometry's structure and converts it to WGS 84. */
function geometry(g: unknown, sys: CoordSys): Geometry {
  if (!g || typeof g !== 'object') throw new RowError('geometry_missing', '缺少几何 / The feature has no geometry');
  const { type, coordinates } = g as { type?: unknown; coordinates?: unknown };
  switch (type) {
    case 'Point':
      return { type, coordinates: position(coordinates, sys) };
    case 'MultiPoint':
      return { type, coordinates: list(coordinates).map((p) => position(p, sys)) };
    case 'LineString':
      return { type, coordinates: ring(coordinates, sys, false) };
    case 'MultiLineString':
      return { type, coordinates: list(coordinates).map((l) => ring(l, sys, false)) };
    case 'Polygon':
      return { type, coordinates: list(coordinates).map((r) => ring(r, sys, true)) };
    case 'MultiPolygon':
      return { type, coordinates: list(coordinates).map((poly) => list(poly).map((r) => ring(r, sys, true))) };
    default:
      throw new RowError('geometry_invalid', `不支持的几何类型 ${String(type)} / Unsupported geometry type ${String(type)}`);
  }
}

/** Checks one place's fields (shared by CSV and GeoJSON). */
function place(
  row: number,
  p: { kind: unknown; name: unknown; fullAddress: unknown; roadName: unknown; houseNumber: unknown; aliases: unknown },
  geom: Geometry,
): PlaceRow {
  const kind = parseKind(p.kind);
  const name = text(p.name);
  if (!name) throw new RowError('name_missing', '缺少名称 name / name is missing');
  if (name.length > 200) throw new RowError('name_too_long', '名称超过 200 字 / name is longer than 200 characters');
  const fullAddress = text(p.fullAddress);
  if (!fullAddress) throw new RowError('full_address_missing', '缺少完整地址 / fullAddress (full_address) is missing');
  if (fullAddress.length > 500)
    throw new RowError('full_address_too_long', '完整地址超过 500 字 / fullAddress is longer than 500 characters');
  const roadName = text(p.roadName);
  const houseNumber = text(p.houseNumber);
  if (kind === 'doorplate') {
    if (!roadName) throw new RowError('road_name_missing', '门牌须有街巷名 / A door plate needs roadName (road_name)');
    if (!houseNumber) throw new RowError('house_number_missing', '门牌须有门牌号 / A door plate needs houseNumber (house_number)');
    if (geom.type !== 'Point') throw new RowError('geometry_wrong_type', `门牌须为点 / A door plate must be a Point, got ${geom.type}`);
  }
  let aliases: string[] = [];
  if (Array.isArray(p.aliases)) aliases = p.aliases.map(text).filter((a): a is string => !!a);
  else if (typeof p.aliases === 'string')
    aliases = p.aliases
      .split(/[|;；]/)
      .map(text)
      .filter((a): a is string => !!a);
  else if (p.aliases !== undefined && p.aliases !== null)
    throw new RowError('aliases_invalid', '别名应为字符串数组 / aliases must be an array of strings');
  return { row, kind, name, fullAddress, roadName, houseNumber, aliases, geometry: geom };
}

function reject(rejected: RejectedRow[], row: number, err: unknown) {
  if (err instanceof RowError) rejected.push({ row, error: err.code, message: err.message });
  else throw err;
}

const CSV_REQUIRED = ['kind', 'name', 'full_address', 'lng', 'lat'];
const CSV_OPTIONAL = ['road_name', 'house_number', 'coord_sys', 'aliases'];

/** Parses gazetteer CSV (header row required); returns valid rows and rejected ones. */
export function parseGazetteerCsv(csvText: string, coordSys: CoordSys = 'wgs84'): { rows: PlaceRow[]; rejected: RejectedRow[] } {
  let records: string[][];
  try {
    records = parseCsv(csvText, { bom: true, skip_empty_lines: true, relax_column_count: true }) as string[][];
  } catch (err) {
    throw badRequest('import_file_invalid', `CSV 无法解析 / The CSV cannot be parsed: ${(err as Error).message}`);
  }
  const header = (records.shift() ?? []).map((h) => h.trim().toLowerCase());
  const missing = CSV_REQUIRED.filter((c) => !header.includes(c));
  const unknown = header.filter((c) => !CSV_REQUIRED.includes(c) && !CSV_OPTIONAL.includes(c));
  if (missing.length > 0 || unknown.length > 0) {
    throw badRequest(
      'import_header_invalid',
      `CSV 表头不正确 / CSV header: ${missing.length ? `missing ${missing.join(', ')}` : ''}${missing.length && unknown.length ? '; ' : ''}${unknown.length ? `unknown ${unknown.join(', ')}` : ''} ` +
        `(columns: ${[...CSV_REQUIRED, ...CSV_OPTIONAL].join(', ')})`,
      { missing, unknown },
    );
  }
  const rows: PlaceRow[] = [];
  const rejected: RejectedRow[] = [];
  records.forEach((rec, i) => {
    const row = i + 1;
    try {
      if (rec.length !== header.length) {
        throw new RowError(
          'column_count',
          `本行有 ${rec.length} 列，表头有 ${header.length} 列 / The row has ${rec.length} columns, the header ${header.length}`,
        );
      }
      const f = Object.fromEntries(header.map((h, j) => [h, rec[j]]));
      const sys = parseCoordSys(f.coord_sys, coordSys);
      const lng = text(f.lng);
      const lat = text(f.lat);
      if (!lng || !lat || !/^-?\d+(\.\d+)?$/.test(lng) || !/^-?\d+(\.\d+)?$/.test(lat)) {
        throw new RowError(
          'coordinates_invalid',
          `坐标不是数字 (${f.lng}, ${f.lat}) / lng/lat must be decimal degrees, got (${f.lng}, ${f.lat})`,
        );
      }
      const geom: Geometry = { type: 'Point', coordinates: position([Number(lng), Number(lat)], sys) };
      rows.push(
        place(
          row,
          {
            kind: f.kind,
            name: f.name,
            fullAddress: f.full_address,
            roadName: f.road_name,
            houseNumber: f.house_number,
            aliases: f.aliases,
          },
          geom,
        ),
      );
    } catch (err) {
      reject(rejected, row, err);
    }
  });
  return { rows, rejected };
}

/** Parses a GeoJSON FeatureCollection; returns valid rows and rejected ones. */
export function parseGazetteerGeoJson(doc: unknown, coordSys: CoordSys = 'wgs84'): { rows: PlaceRow[]; rejected: RejectedRow[] } {
  const fc = doc as { type?: unknown; features?: unknown };
  if (!fc || typeof fc !== 'object' || fc.type !== 'FeatureCollection' || !Array.isArray(fc.features)) {
    throw badRequest('import_file_invalid', '需要 GeoJSON FeatureCollection / Expected a GeoJSON FeatureCollection');
  }
  const rows: PlaceRow[] = [];
  const rejected: RejectedRow[] = [];
  fc.features.forEach((feature: unknown, i: number) => {
    const row = i + 1;
    try {
      const f = feature as { type?: unknown; properties?: Record<string, unknown> | null; geometry?: unknown };
      if (!f || typeof f !== 'object' || f.type !== 'Feature')
        throw new RowError('feature_invalid', '不是 GeoJSON Feature / Not a GeoJSON Feature');
      const p = f.properties ?? {};
      const sys = parseCoordSys(p.coordSys, coordSys);
      const geom = geometry(f.geometry, sys);
      rows.push(
        place(
          row,
          { kind: p.kind, name: p.name, fullAddress: p.fullAddress, roadName: p.roadName, houseNumber: p.houseNumber, aliases: p.aliases },
          geom,
        ),
      );
    } catch (err) {
      reject(rejected, row, err);
    }
  });
  return { rows, rejected };
}

const num = (n: number) => String(Math.round(n * 1e9) / 1e9);
const pos = (p: Position) => `${num(p[0])} ${num(p[1])}`;
const line = (ps: Position[]) => `(${ps.map(pos).join(', ')})`;
const poly = (rs: Position[][]) => `(${rs.map(line).join(', ')})`;

/** GeoJSON → EWKT for COPY. */
export function toEwkt(g: Geometry): string {
  switch (g.type) {
    case 'Point':
      return `SRID=4326;POINT(${pos(g.coordinates)})`;
    case 'MultiPoint':
      return `SRID=4326;MULTIPOINT(${g.coordinates.map((p) => `(${pos(p)})`).join(', ')})`;
    case 'LineString':
      return `SRID=4326;LINESTRING${line(g.coordinates)}`;
    case 'MultiLineString':
      return `SRID=4326;MULTILINESTRING(${g.coordinates.map(line).join(', ')})`;
    case 'Polygon':
      return `SRID=4326;POLYGON${poly(g.coordinates)}`;
    case 'MultiPolygon':
      return `SRID=4326;MULTIPOLYGON(${g.coordinates.map(poly).join(', ')})`;
  }
}

/** A PostgreSQL text[] literal. */
const pgArray = (items: string[]) => `{${items.map((s) => `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`).join(',')}}`;

/**
 * Writes parsed rows: all-or-nothing (400 import_rows_invalid listing the rows) unless
 * skipInvalid. PostGIS validity of lines and polygons is checked on the staged rows.
 */
export async function importGazetteerRows(
  ctx: Context,
  parsed: { rows: PlaceRow[]; rejected: RejectedRow[] },
  opts: ImportOptions = {},
): Promise<ImportResult> {
  const rejected = [...parsed.rejected];
  const fail = () => {
    rejected.sort((a, b) => a.row - b.row);
    throw new AppError(
      400,
      'import_rows_invalid',
      `${rejected.length} 行数据有误，未导入任何数据 / ${rejected.length} row(s) are invalid; nothing was imported (skipInvalid=true imports the valid rows)`,
      { inserted: 0, replaced: 0, rejected: rejected.slice(0, MAX_LISTED), rejectedTotal: rejected.length },
    );
  };
  if (rejected.length > 0 && !opts.skipInvalid) fail();
  const repo = new GeocodeRepository(ctx.db);
  const result = await ctx.database.transaction(async (tx) => {
    await repo.createStage(tx.db);
    if (parsed.rows.length > 0) {
      let csv = '';
      for (const r of parsed.rows) {
        csv += csvRow([
          r.row,
          r.kind,
          r.name,
          r.fullAddress,
          r.roadName,
          r.houseNumber,
          toEwkt(r.geometry),
          pgArray(r.aliases),
          gazetteerSearchText(r),
        ]);
      }
      await tx.copyCsv('gazetteer_stage', STAGE_COLUMNS, csv);
    }
    const invalid = parsed.rows.some((r) => r.geometry.type !== 'Point' && r.geometry.type !== 'MultiPoint')
      ? await repo.invalidStaged(tx.db)
      : [];
    for (const bad of invalid) {
      rejected.push({ row: bad.ord, error: 'geometry_invalid', message: `几何无效 / Invalid geometry: ${bad.reason}` });
    }
    if (invalid.length > 0) {
      if (!opts.skipInvalid) fail();
      await repo.dropStaged(
        tx.db,
        invalid.map((b) => b.ord),
      );
    }
    const counts = await repo.commitStage(tx.db);
    await ctx.services.audit.record(
      {
        actorId: opts.actorId ?? null,
        action: 'gazetteer.import',
        entity: 'gazetteer',
        entityId: null,
        after: { ...counts, rejected: rejected.length },
      },
      tx.db,
    );
    return counts;
  });
  rejected.sort((a, b) => a.row - b.row);
  return { ...result, rejected: rejected.slice(0, MAX_LISTED) };
}

/** Guesses the format from a file name or the content's first character. */
export function detectFormat(name: string | null, content: string): ImportFormat {
  const ext = name ? path.extname(name).toLowerCase() : '';
  if (ext === '.csv') return 'csv';
  if (ext === '.geojson' || ext === '.json') return 'geojson';
  return /^\s*[{[]/.test(content.replace(/^\uFEFF/, '')) ? 'geojson' : 'csv';
}

/** Parses text in either format. */
export function parseGazetteerText(content: string, format: ImportFormat, coordSys: CoordSys = 'wgs84') {
  if (format === 'csv') return parseGazetteerCsv(content, coordSys);
  let doc: unknown;
  try {
    doc = JSON.parse(content.replace(/^\uFEFF/, ''));
  } catch (err) {
    throw badRequest('import_file_invalid', `GeoJSON 无法解析 / The GeoJSON cannot be parsed: ${(err as Error).message}`);
  }
  return parseGazetteerGeoJson(doc, coordSys);
}

/**
 * Imports a gazetteer file (.geojson/.json or .csv) — the CLI's `cityloop import gazetteer`.
 * Throws AppError import_rows_invalid (details.rejected) when rows are bad and skipInvalid is off.
 */
export async function importGazetteerFile(ctx: Context, file: string, opts: ImportOptions = {}): Promise<ImportResult> {
  const content = fs.readFileSync(file, 'utf8');
  const format = opts.format ?? detectFormat(file, content);
  return importGazetteerRows(ctx, parseGazetteerText(content, format, opts.coordSys), opts);
}
