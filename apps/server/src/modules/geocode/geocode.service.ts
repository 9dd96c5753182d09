import type { CoordSys } from '@cityloop/shared';
import type { Context } from '../../context.ts';
import { toWgs84 } from '../../lib/coords.ts';
import type { Located } from '../regions/regions.service.ts';
import {
  detectFormat,
  type ImportFormat,
  type ImportOptions,
  type ImportResult,
  importGazetteerRows,
  parseGazetteerGeoJson,
  parseGazetteerText,
} from './geocode.import.ts';
import { type Candidate, GeocodeRepository, type NearPlace, type PlaceKind } from './geocode.repository.ts';
import { normalizeAddress } from './normalize.ts';

export interface GeocodeHit {
  id: number;
  kind: PlaceKind;
  name: string;
  fullAddress: string;
  lng: number;
  lat: number;
  grid: { id: number; code: string; name: string } | null;
  /** 0-1: 1 = exact door plate; ≥ 0.8 a named place; below, similarity. */
  score: number;
}

export interface ParsedQuery {
  /** The whole query, normalised. */
  normalized: string;
  /** Without a recognised city or district prefix. */
  core: string;
  /** `core` without any other administrative prefix (街道, 镇, 社区, …). */
  stripped: string;
  district: { id: number; name: string } | null;
  road: string | null;
  number: string | null;
}

export interface ReverseResult {
  point: [number, number];
  /** e.g. "西陵区 胜利四路 12号 东侧约 20 米" (STANDARDS.md §2 address pattern). */
  description: string;
  /** What the description is anchored on. */
  source: 'address' | 'road' | 'grid' | 'coordinates';
  nearest: {
    id: number;
    kind: PlaceKind;
    name: string;
    fullAddress: string;
    lng: number;
    lat: number;
    distanceM: number;
    direction: string | null;
  } | null;
  grid: Located['grid'] | null;
  community: Located['community'];
  street: Located['street'];
  district: Located['district'];
}

/** Door plates and POIs farther than this do not describe a point; the nearest road may. */
export const REVERSE_RADIUS_M = 500;
/** Closer than this, a point is "at" the address: no direction or distance. */
export const AT_ADDRESS_M = 3;
/** Queries shorter than this (normalised) look for named places only. */
export const MIN_DOORPLATE_QUERY = 3;

const KIND_ORDER: Record<PlaceKind, number> = { road: 0, poi: 1, block: 2, area: 3, district: 4, doorplate: 5 };
const NAMED_KINDS = new Set<PlaceKind>(['road', 'poi', 'block', 'area', 'district']);
const escapeLike = (s: string) => s.replace(/[\\%_]/g, (c) => `\\${c}`);

/** Drops leading administrative units (…省, …市, …区, …县, …街道, …镇, …乡, …社区) as long as something remains. */
export function stripAdminPrefix(s: string): string {
  let out = s;
  for (;;) {
    const m = /^.{1,12}?(?:省|自治区|市|区|县|街道|镇|乡|社区|村)/.exec(out);
    if (!m || out.length - m[0].length < 2) return out;
    out = out.slice(m[0].length);
  }
}

/** Splits a normalised address query into district, road and house number. */
export function parseQuery(q: string, districts: Array<{ id: number; name: string }>, cityName?: string): ParsedQuery {
  const normalized = normalizeAddress(q);
  let core = normalized;
  const city = cityName ? normalizeAddress(cityName) : '';
  if (city && core.startsWith(city) && core.length > city.length) core = core.slice(city.length);
  let district: ParsedQuery['district'] = null;
  for (const d of districts) {
    const name = normalizeAddress(d.name);
    if (name && core.startsWith(name) && core.length > name.length && (!district || name.length > normalizeAddress(district.name).length))
      district = d;
  }
  if (district) core = core.slice(normalizeAddress(district.name).length);
  const stripped = stripAdminPrefix(core);
  const m = /^(.*?)(\d+(?:[之附]\d+)*)号?$/.exec(stripped);
  const road = m && (m[1] ?? '').length >= 2 ? (m[1] as string) : null;
  const number = road && m ? (m[2] as string) : null;
  return { normalized, core, stripped, district, road, number };
}

/** 8-point compass direction of `to` seen from `from`. */
export function compassDirection(from: [number, number], to: [number, number]): string {
  const latRad = (((from[1] + to[1]) / 2) * Math.PI) / 180;
  const dx = (to[0] - from[0]) * Math.cos(latRad);
  const dy = to[1] - from[1];
  const bearing = ((Math.atan2(dx, dy) * 180) / Math.PI + 360) % 360;
  return ['北', '东北', '东', '东南', '南', '西南', '西', '西北'][Math.round(bearing / 45) % 8] as string;
}

/** Distance as said in a position description: metres below 50, then 5 m, then 10 m steps. */
export function roundDistance(m: number): number {
  if (m < 50) return Math.round(m);
  if (m < 200) return Math.round(m / 5) * 5;
  return Math.round(m / 10) * 10;
}

/** "<address> 东侧约 20 米", or the bare address when the point is at it. */
export function describeFrom(
  address: string,
  anchor: [number, number],
  point: [number, number],
  distanceM: number,
): { text: string; direction: string | null } {
  if (distanceM < AT_ADDRESS_M) return { text: address, direction: null };
  const direction = compassDirection(anchor, point);
  return { text: `${address} ${direction}侧约 ${roundDistance(distanceM)} 米`, direction };
}

/** 地理编码 (subsystem 6 of CJJ/T 106; part 4 of the product): address ↔ point over the gazetteer. */
export class GeocodeService {
  readonly repo: GeocodeRepository;
  constructor(private readonly ctx: Context) {
    this.repo = new GeocodeRepository(ctx.db);
  }

  /**
   * Fuzzy address search. Exact door plates first (road + number, 号 optional, any district
   * prefix), then places named by the query (roads, POIs, blocks), then by similarity.
   */
  async search(q: string, opts: { limit?: number; districtId?: number; kind?: PlaceKind } = {}): Promise<GeocodeHit[]> {
    const limit = opts.limit ?? 10;
    const settings = await this.ctx.services.settings.get();
    const pq = parseQuery(q, await this.repo.districts(), settings.cityName);
    if (!pq.core) return [];
    const patterns = new Set<string>([`%${escapeLike(pq.core)}%`, `%${escapeLike(pq.stripped)}%`]);
    if (pq.road && pq.number) patterns.add(`%${escapeLike(pq.road)}%${escapeLike(pq.number)}%`);
    // One or two characters name a place, not a door plate (and have no trigram to index).
    const kinds = opts.kind ? [opts.kind] : pq.core.length < MIN_DOORPLATE_QUERY ? [...NAMED_KINDS] : undefined;
    const base = { core: pq.core, patterns: [...patterns], districtId: opts.districtId, kinds, limit: Math.max(200, limit * 10) };
    // Containment first (indexed, selective); similarity only when that finds too little
    // and no exact door plate.
    const scored = await this.ctx.database.transaction(async (tx) => {
      const contained = (await this.repo.candidates(tx.db, { ...base, fuzzy: false })).map((c) => ({ c, score: scoreCandidate(c, pq) }));
      if (contained.length >= limit || contained.some((x) => x.score === 1)) return contained;
      return (await this.repo.candidates(tx.db, { ...base, fuzzy: true })).map((c) => ({ c, score: scoreCandidate(c, pq) }));
    });
    return scored
      .sort(
        (a, b) => b.score - a.score || KIND_ORDER[a.c.kind] - KIND_ORDER[b.c.kind] || houseOrder(a.c) - houseOrder(b.c) || a.c.id - b.c.id,
      )
      .slice(0, limit)
      .map(({ c, score }) => ({
        id: c.id,
        kind: c.kind,
        name: c.name,
        fullAddress: c.fullAddress,
        lng: Number(c.lng),
        lat: Number(c.lat),
        grid: c.gridId === null ? null : { id: c.gridId, code: c.gridCode as string, name: c.gridName as string },
        score: Math.round(score * 1000) / 1000,
      }));
  }

  /**
   * Point → position description: the nearest door plate or POI within REVERSE_RADIUS_M
   * ("西陵区 胜利四路 12号 东侧约 20 米"), else the nearest road, else the grid; plus the
   * grid, community, street and district containing the point.
   */
  async reverse(lng: number, lat: number, coordSys: CoordSys = 'wgs84'): Promise<ReverseResult> {
    const point = toWgs84(lng, lat, coordSys);
    const [located, address] = await Promise.all([
      this.ctx.services.regions.tryLocate(point[0], point[1], 'wgs84'),
      this.repo.nearest(point[0], point[1], ['doorplate', 'poi'], REVERSE_RADIUS_M),
    ]);
    let source: ReverseResult['source'] = 'address';
    let near: NearPlace | null = address;
    if (!near) {
      near = await this.repo.nearest(point[0], point[1], ['road'], REVERSE_RADIUS_M);
      source = 'road';
    }
    let description: string;
    let nearest: ReverseResult['nearest'] = null;
    if (near) {
      const anchor: [number, number] = [Number(near.lng), Number(near.lat)];
      const d = describeFrom(near.fullAddress, anchor, point, near.distance);
      description = d.text;
      nearest = {
        id: near.id,
        kind: near.kind,
        name: near.name,
        fullAddress: near.fullAddress,
        lng: anchor[0],
        lat: anchor[1],
        distanceM: Math.round(near.distance * 10) / 10,
        direction: d.direction,
      };
    } else if (located) {
      source = 'grid';
      const parts = [located.district?.name, located.street?.name, located.community?.name, located.grid.name].filter(
        (p): p is string => !!p,
      );
      description = parts.filter((p, i) => parts.indexOf(p) === i).join(' ');
    } else {
      source = 'coordinates';
      description = `${point[0].toFixed(6)}, ${point[1].toFixed(6)}`;
    }
    return {
      point,
      description,
      source,
      nearest,
      grid: located?.grid ?? null,
      community: located?.community ?? null,
      street: located?.street ?? null,
      district: located?.district ?? null,
    };
  }

  /**
   * Imports an uploaded gazetteer: a parsed GeoJSON object, or CSV / GeoJSON text.
   * All-or-nothing unless skipInvalid (see geocode.import.ts).
   */
  async importGazetteer(body: unknown, opts: ImportOptions & { format?: ImportFormat }): Promise<ImportResult> {
    const parsed =
      typeof body === 'string'
        ? parseGazetteerText(body, opts.format ?? detectFormat(null, body), opts.coordSys)
        : parseGazetteerGeoJson(body, opts.coordSys);
    return importGazetteerRows(this.ctx, parsed, opts);
  }
}

/** House number as a number for ordering door plates on one road; others last. */
function houseOrder(c: Candidate): number {
  const n = c.houseNumber ? Number.parseInt(normalizeAddress(c.houseNumber), 10) : Number.NaN;
  return Number.isFinite(n) ? n : Number.MAX_SAFE_INTEGER;
}

/**
 * Ranking:
 *  1.00       exact door plate (road and number match; 号 and district prefix optional)
 *  0.80-0.95  a road/POI/block/area/district whose name or alias is the query (0.95) or starts with or contains it
 *  < 0.80     similarity: containment (by how much of the address the query covers) or trigram word similarity
 * A place in another district than the one the query names loses 15 %.
 */
export function scoreCandidate(c: Candidate, pq: ParsedQuery): number {
  let score = 0;
  const forms = [...new Set([pq.core, pq.stripped, pq.normalized])].filter((f) => f.length > 0);
  if (c.kind === 'doorplate' && pq.road && pq.number && c.roadName && c.houseNumber) {
    const road = normalizeAddress(c.roadName);
    const num = normalizeAddress(c.houseNumber).replace(/号$/, '');
    if (num === pq.number && road.length > 0 && (pq.road === road || pq.road.endsWith(road))) score = 1;
  }
  if (score === 0 && NAMED_KINDS.has(c.kind)) {
    const names = [c.name, ...c.aliases].map(normalizeAddress).filter((n) => n.length > 0);
    const full = normalizeAddress(c.fullAddress);
    if (forms.some((f) => names.includes(f) || full === f)) score = 0.95;
    else {
      for (const f of forms) {
        for (const n of names) {
          if (n.startsWith(f)) score = Math.max(score, 0.85 + 0.05 * (f.length / n.length));
          else if (n.includes(f)) score = Math.max(score, 0.8 + 0.05 * (f.length / n.length));
        }
      }
    }
  }
  if (score === 0) {
    const full = normalizeAddress(c.fullAddress) || c.searchText;
    const contained = forms.find((f) => c.searchText.includes(f));
    score = contained ? 0.45 + 0.3 * Math.min(1, contained.length / full.length) : 0.7 * Math.min(1, c.wsim);
  }
  if (pq.district && c.districtId !== null && c.districtId !== pq.district.id) score *= 0.85;
  return score;
}
