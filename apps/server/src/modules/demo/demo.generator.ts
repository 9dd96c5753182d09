/**
 * The demo city, generated from a seed: districts → streets → communities → unit grids
 * on a lattice of 25 m cells, departments, people and beats, roads, door plates and
 * points of interest, and the component census. Pure: no database, no clock, no
 * Math.random — the same (scale, seed) always gives the same city. demo.service.ts loads it.
 *
 * Geography: an irregular blob of cells near Yichang (111.30 E, 30.70 N). Roads run along
 * every 8th lattice line (200 m blocks, every 3rd line an avenue). Regions are contiguous
 * groups of cells grown from seeds, with a cost for crossing a road so that boundaries
 * tend to follow roads; a unit grid averages 16 cells = 10,000 m² (万米单元网格).
 */
import { DEMO_ACCOUNTS, type Role } from '@cityloop/shared';
import { gazetteerSearchText } from '../geocode/normalize.ts';
import { DEMO_CLASSES, DEMO_COMPONENTS_AT_SCALE_1, type DemoClass, type DeptKey } from './demo.classes.ts';
import { type LatticePolygon, partition, traceOutlines } from './demo.geometry.ts';
import {
  CITY_CODE,
  CITY_NAME,
  COMMUNITY_ROOTS,
  COMMUNITY_TAILS,
  DISTRICT_NAMES,
  ESTATE_ROOTS,
  ESTATE_TAILS,
  nth,
  ORDINALS,
  POI_KINDS,
  personName,
  phoneNumber,
  ROAD_ROOTS,
  STREET_ROOTS,
} from './demo.names.ts';
import { apportion, type Rng, stream, WeightedTable } from './demo.random.ts';

/** Targets at scale 1 (a city of Yichang's size). */
export const DEMO_TARGETS = {
  districts: 4,
  streets: 16,
  communities: 127,
  grids: 1203,
  inspectors: 235,
  components: DEMO_COMPONENTS_AT_SCALE_1,
} as const;

/** Cell edge in metres; a unit grid averages CELLS_PER_GRID cells. */
export const CELL_M = 25;
const CELLS_PER_GRID = 16;
/** Roads every ROAD_EVERY cells (200 m); every AVENUE_EVERY-th road line is an avenue. */
const ROAD_EVERY = 8;
const AVENUE_EVERY = 3;
/** Extra growth cost (in cells) for each road a region crosses from its seed. */
const ROAD_PENALTY = 5;
/** Longest named road on a minor line, in cells (1.6 km); longer lines get 一路, 二路… */
const MAX_ROAD_CELLS = 64;
const CENTRE: [number, number] = [111.3, 30.7];

export type RegionLevel = 'district' | 'street' | 'community' | 'grid';

export interface DemoRegion {
  level: RegionLevel;
  code: string;
  name: string;
  /** Indexes into `regions` (ancestors only; null at and above the row's own level). */
  parent: number | null;
  district: number | null;
  street: number | null;
  community: number | null;
  /** SRID=4326;MULTIPOLYGON(…) */
  ewkt: string;
  cells: number;
  /** Centre of a cell of the region near its centroid, [lng, lat]. */
  anchor: [number, number];
}

export interface DemoDepartment {
  key: string;
  code: string;
  name: string;
  shortName: string;
  level: 'city' | 'district' | 'street';
  kind: 'execution' | 'support' | 'centre';
  parent: number | null;
  region: number | null;
  phone: string;
}

export interface DemoPerson {
  username: string;
  name: string;
  phone: string;
  department: number | null;
  roles: Array<{ role: Role; scopeRegion: number | null; scopeDepartment: number | null }>;
}

export interface DemoBeat {
  code: string;
  name: string;
  inspector: number;
  /** Region indexes of the grids. */
  grids: number[];
}

export interface DemoRoad {
  name: string;
  horizontal: boolean;
  /** The lattice line (vy for a horizontal road, vx for a vertical one). */
  line: number;
  /** Extent along the line, in lattice units [from, to). */
  from: number;
  to: number;
  avenue: boolean;
}

export interface DemoComponent {
  code: string;
  classCode: string;
  name: string;
  ewkt: string;
  status: 'intact' | 'damaged' | 'lost' | 'occupied';
  owner: number;
  maintainer: number;
  grid: number;
  address: string;
  attributes: Record<string, string | number>;
}

export interface DemoAddress {
  kind: 'district' | 'area' | 'block' | 'road' | 'doorplate' | 'poi';
  name: string;
  fullAddress: string;
  roadName: string | null;
  houseNumber: string | null;
  district: number | null;
  grid: number | null;
  ewkt: string;
  aliases: string[];
  searchText: string;
}

export interface DemoCity {
  scale: number;
  seed: number;
  cityName: string;
  cityCode: string;
  center: [number, number];
  zoom: number;
  bbox: [number, number, number, number];
  counts: { districts: number; streets: number; communities: number; grids: number };
  /** Districts, then streets, communities and grids, each level in code order. */
  regions: DemoRegion[];
  departments: DemoDepartment[];
  people: DemoPerson[];
  beats: DemoBeat[];
  roads: DemoRoad[];
  classCounts: Map<string, number>;
  componentCount: number;
  /** The component census, generated lazily (417k at scale 1). */
  components(): Generator<DemoComponent>;
  gazetteer(): DemoAddress[];
  /** The grid (region index) containing a WGS 84 point, or -1 outside the city. */
  gridAt(lng: number, lat: number): number;
}

/** Counts of each level for a scale; every level keeps at least what the one above needs. */
export function demoSizes(scale: number) {
  // Codes leave two digits for districts (02–99): 20× Yichang is far beyond any real city.
  if (!(scale > 0 && scale <= 20))
    throw new Error(`演示城市规模须大于 0 且不超过 20 / The demo scale must be above 0 and at most 20, got ${scale}`);
  const districts = Math.max(2, Math.round(DEMO_TARGETS.districts * scale));
  const streets = Math.max(districts, Math.round(DEMO_TARGETS.streets * scale));
  const communities = Math.max(streets, Math.round(DEMO_TARGETS.communities * scale));
  const grids = Math.max(communities * 2, Math.round(DEMO_TARGETS.grids * scale));
  const inspectors = Math.min(grids, Math.max(streets, Math.round(DEMO_TARGETS.inspectors * scale)));
  const components = Math.max(100, Math.round(DEMO_TARGETS.components * scale));
  return { districts, streets, communities, grids, inspectors, components };
}

const pad = (n: number, width: number) => String(n).padStart(width, '0');

/** Metres per degree at the city's latitude (WGS 84 ellipsoid series). */
function metresPerDegree(latDeg: number): { lng: number; lat: number } {
  const p = (latDeg * Math.PI) / 180;
  return {
    lat: 111132.92 - 559.82 * Math.cos(2 * p) + 1.175 * Math.cos(4 * p),
    lng: 111412.84 * Math.cos(p) - 93.5 * Math.cos(3 * p),
  };
}

interface Lattice {
  w: number;
  h: number;
  /** Lattice line offsets of the road network. */
  offX: number;
  offY: number;
  inCity: Uint8Array;
}

/** The city's footprint: a noisy ellipse of about `target` cells, one 4-connected piece without holes. */
function buildFootprint(target: number, rng: Rng): Lattice {
  const aspect = 1.35;
  const amp = [0.1, 0.07, 0.04];
  const phase = [rng.range(0, 2 * Math.PI), rng.range(0, 2 * Math.PI), rng.range(0, 2 * Math.PI)];
  const shape = (theta: number) =>
    1 +
    (amp[0] as number) * Math.sin(2 * theta + (phase[0] as number)) +
    (amp[1] as number) * Math.sin(3 * theta + (phase[1] as number)) +
    (amp[2] as number) * Math.sin(5 * theta + (phase[2] as number));
  let radius = Math.sqrt(target / (Math.PI * aspect));
  let lattice: Lattice | null = null;
  for (let iter = 0; iter < 4; iter++) {
    const w = Math.ceil(2 * radius * aspect * 1.3) + 4;
    const h = Math.ceil(2 * radius * 1.3) + 4;
    const cx = w / 2;
    const cy = h / 2;
    const inCity = new Uint8Array(w * h);
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const dx = (x + 0.5 - cx) / aspect;
        const dy = y + 0.5 - cy;
        if (Math.hypot(dx, dy) <= radius * shape(Math.atan2(dy, dx))) inCity[y * w + x] = 1;
      }
    }
    keepMainPiece(inCity, w, h, Math.floor(cx), Math.floor(cy));
    const count = inCity.reduce((a, b) => a + b, 0);
    lattice = { w, h, offX: Math.floor(cx) % ROAD_EVERY, offY: Math.floor(cy) % ROAD_EVERY, inCity };
    if (Math.abs(count - target) / target < 0.01) break;
    radius *= Math.sqrt(target / count);
  }
  return lattice as Lattice;
}

/** Keeps the 4-connected piece around (sx, sy) and fills its holes. */
function keepMainPiece(inCity: Uint8Array, w: number, h: number, sx: number, sy: number) {
  const flood = (start: number[], accept: (i: number) => boolean) => {
    const seen = new Uint8Array(w * h);
    const stack = start.filter(accept);
    for (const s of stack) seen[s] = 1;
    while (stack.length) {
      const i = stack.pop() as number;
      const x = i % w;
      const y = (i - x) / w;
      for (const [nx, ny] of [
        [x + 1, y],
        [x - 1, y],
        [x, y + 1],
        [x, y - 1],
      ] as const) {
        if (nx < 0 || ny < 0 || nx >= w || ny >= h) continue;
        const j = ny * w + nx;
        if (!seen[j] && accept(j)) {
          seen[j] = 1;
          stack.push(j);
        }
      }
    }
    return seen;
  };
  const main = flood([sy * w + sx], (i) => inCity[i] === 1);
  const border: number[] = [];
  for (let x = 0; x < w; x++) border.push(x, (h - 1) * w + x);
  for (let y = 0; y < h; y++) border.push(y * w, y * w + w - 1);
  const outside = flood(border, (i) => main[i] === 0);
  for (let i = 0; i < w * h; i++) inCity[i] = outside[i] ? 0 : 1;
}

/** Generates the whole demo city. */
export function generateCity(opts: { scale: number; seed: number }): DemoCity {
  const { scale, seed } = opts;
  const sizes = demoSizes(scale);
  const lat = buildFootprint(sizes.grids * CELLS_PER_GRID, stream(seed, 'footprint'));
  const { w, h, offX, offY, inCity } = lat;
  const mpd = metresPerDegree(CENTRE[1]);
  const lng0 = CENTRE[0] - (w * CELL_M) / 2 / mpd.lng;
  const lat0 = CENTRE[1] - (h * CELL_M) / 2 / mpd.lat;
  // Lattice coordinates → degrees, formatted once so shared vertices are byte-identical.
  const lngOf = (vx: number) => lng0 + (vx * CELL_M) / mpd.lng;
  const latOf = (vy: number) => lat0 + (vy * CELL_M) / mpd.lat;
  const fx = Array.from({ length: w + 1 }, (_, i) => lngOf(i).toFixed(7));
  const fy = Array.from({ length: h + 1 }, (_, i) => latOf(i).toFixed(7));
  const pt = (x: number, y: number) => `${lngOf(x).toFixed(7)} ${latOf(y).toFixed(7)}`;

  const cityCells: number[] = [];
  for (let i = 0; i < w * h; i++) if (inCity[i]) cityCells.push(i);
  const cx = (i: number) => (i % w) + 0.5;
  const cy = (i: number) => Math.floor(i / w) + 0.5;
  const block = (i: number): [number, number] => [
    Math.floor(((i % w) - offX) / ROAD_EVERY),
    Math.floor((Math.floor(i / w) - offY) / ROAD_EVERY),
  ];

  // ---- Regions: each level splits the cells of the level above. ----
  const regionRng = stream(seed, 'regions');
  // Which parent part a cell is in while that parent is being split (a fresh stamp per parent).
  const levelOf = new Int32Array(w * h).fill(-1);
  let stamp = 0;
  interface Part {
    cells: number[];
    parent: number;
  }
  /** Splits each parent part into `counts[p]` contiguous children, numbered in reading order. */
  const split = (parents: Part[], counts: number[], spread: number): Part[] => {
    const children: Part[] = [];
    parents.forEach((p, pi) => {
      const k = counts[pi] as number;
      const mark = ++stamp;
      for (const c of p.cells) levelOf[c] = mark;
      const weights = Array.from({ length: k }, () => regionRng.range(1 - spread, 1 + spread));
      const labels = partition(
        {
          members: p.cells,
          k,
          weights,
          x: cx,
          y: cy,
          neighbours: (id, fn) => {
            const x = id % w;
            if (x + 1 < w && levelOf[id + 1] === mark) fn(id + 1);
            if (x > 0 && levelOf[id - 1] === mark) fn(id - 1);
            if (id + w < w * h && levelOf[id + w] === mark) fn(id + w);
            if (id - w >= 0 && levelOf[id - w] === mark) fn(id - w);
          },
          penalty: (s, id) => {
            const [ax, ay] = block(s);
            const [bx, by] = block(id);
            return ROAD_PENALTY * (Math.abs(ax - bx) + Math.abs(ay - by));
          },
        },
        regionRng,
      );
      const groups: number[][] = Array.from({ length: k }, () => []);
      p.cells.forEach((c, i) => {
        groups[labels[i] as number]?.push(c);
      });
      for (const g of readingOrder(groups, p.cells.length / k)) children.push({ cells: g, parent: pi });
    });
    return children;
  };
  const readingOrder = (groups: number[][], avgCells: number) => {
    const band = Math.max(2, Math.sqrt(avgCells));
    const key = groups.map((g) => {
      const mx = g.reduce((a, c) => a + cx(c), 0) / g.length;
      const my = g.reduce((a, c) => a + cy(c), 0) / g.length;
      return { g, row: Math.floor((h - my) / band), mx };
    });
    key.sort((a, b) => a.row - b.row || a.mx - b.mx);
    return key.map((k) => k.g);
  };

  const cityPart: Part = { cells: cityCells, parent: -1 };
  const districts = split([cityPart], [sizes.districts], 0.2);
  const streets = split(
    districts,
    apportion(
      sizes.streets,
      districts.map((d) => d.cells.length),
      1,
    ),
    0.25,
  );
  const communities = split(
    streets,
    apportion(
      sizes.communities,
      streets.map((s) => s.cells.length),
      1,
    ),
    0.2,
  );
  const grids = split(
    communities,
    apportion(
      sizes.grids,
      communities.map((c) => c.cells.length),
      1,
      communities.map((c) => c.cells.length),
    ),
    0.12,
  );

  // Region rows, with names, codes and outlines.
  const nameRng = stream(seed, 'names');
  const districtNames = nameRng.shuffle(DISTRICT_NAMES);
  const streetNames = nameRng.shuffle(STREET_ROOTS).map((r) => `${r}街道`);
  const communityNames = [...new Set(nameRng.shuffle(COMMUNITY_ROOTS.flatMap((r) => COMMUNITY_TAILS.map((t) => `${r}${t}社区`))))];
  const dOff = 0;
  const sOff = districts.length;
  const cOff = sOff + streets.length;
  const gOff = cOff + communities.length;
  const gridOfCell = new Int32Array(w * h).fill(-1);
  const levels: Array<{ level: RegionLevel; parts: Part[]; off: number }> = [
    { level: 'district', parts: districts, off: dOff },
    { level: 'street', parts: streets, off: sOff },
    { level: 'community', parts: communities, off: cOff },
    { level: 'grid', parts: grids, off: gOff },
  ];
  const regions: DemoRegion[] = [];
  const serial = new Map<number, number>();
  const prefix = CITY_CODE.slice(0, 4);
  levels.forEach(({ level, parts, off }, li) => {
    const label = new Int32Array(w * h).fill(-1);
    parts.forEach((p, i) => {
      for (const c of p.cells) label[c] = i;
    });
    if (level === 'grid') gridOfCell.set(label.map((v) => (v < 0 ? -1 : v + gOff)));
    const outlines = traceOutlines(label, w, h, parts.length);
    parts.forEach((p, i) => {
      const parentIdx = li === 0 ? null : p.parent + (levels[li - 1] as { off: number }).off;
      const parentRow = parentIdx === null ? null : (regions[parentIdx] as DemoRegion);
      const n = (serial.get(parentIdx ?? -1) ?? 0) + 1;
      serial.set(parentIdx ?? -1, n);
      let code: string;
      let name: string;
      if (level === 'district') {
        code = `${prefix}${pad(n + 1, 2)}`;
        name = nth(districtNames, i, (k) => `第${k}区`);
      } else if (level === 'street') {
        code = `${parentRow?.code}${pad(n, 3)}`;
        name = nth(streetNames, i, (k) => `第${k}街道`);
      } else if (level === 'community') {
        code = `${parentRow?.code}${pad(n, 3)}`;
        name = nth(communityNames, i, (k) => `第${k}社区`);
      } else {
        code = `${parentRow?.code}${pad(n, 3)}`;
        name = `${parentRow?.name}第${n}网格`;
      }
      const mx = p.cells.reduce((a, c) => a + cx(c), 0) / p.cells.length;
      const my = p.cells.reduce((a, c) => a + cy(c), 0) / p.cells.length;
      let anchorCell = p.cells[0] as number;
      let best = Number.POSITIVE_INFINITY;
      for (const c of p.cells) {
        const d = (cx(c) - mx) ** 2 + (cy(c) - my) ** 2;
        if (d < best) {
          best = d;
          anchorCell = c;
        }
      }
      regions[off + i] = {
        level,
        code,
        name,
        parent: parentIdx,
        district: level === 'district' ? null : level === 'street' ? parentIdx : (parentRow?.district ?? null),
        street: level === 'community' ? parentIdx : level === 'grid' ? (parentRow?.street ?? null) : null,
        community: level === 'grid' ? parentIdx : null,
        ewkt: multiPolygonEwkt(outlines[i] as LatticePolygon[], fx, fy),
        cells: p.cells.length,
        anchor: [lngOf(cx(anchorCell)), latOf(cy(anchorCell))],
      };
    });
  });
  const districtOfGrid = (g: number) => (regions[g] as DemoRegion).district as number;
  const streetOfGrid = (g: number) => (regions[g] as DemoRegion).street as number;

  // ---- Departments ----
  const departments: DemoDepartment[] = [];
  const orgRng = stream(seed, 'orgs');
  const landline = () => `0717-${orgRng.int(6, 8)}${pad(orgRng.int(0, 999999), 6)}`;
  const addDept = (d: Omit<DemoDepartment, 'phone'>) => departments.push({ ...d, phone: landline() }) - 1;
  const supervision = addDept({
    key: 'jdzx',
    code: `${CITY_CODE}90`,
    name: `${CITY_NAME}数字化城市管理监督中心`,
    shortName: '监督中心',
    level: 'city',
    kind: 'centre',
    parent: null,
    region: null,
  });
  const command = addDept({
    key: 'zhzx',
    code: `${CITY_CODE}91`,
    name: `${CITY_NAME}数字化城市管理指挥中心`,
    shortName: '指挥中心',
    level: 'city',
    kind: 'centre',
    parent: null,
    region: null,
  });
  const CITY_DEPTS: Array<[key: DeptKey, name: string, shortName: string]> = [
    ['cgj', `${CITY_NAME}城市管理执法局`, '市城管局'],
    ['sz', `${CITY_NAME}市政设施管理处`, '市政处'],
    ['yl', `${CITY_NAME}园林局`, '园林局'],
    ['hw', `${CITY_NAME}环境卫生管理处`, '环卫处'],
    ['jj', `${CITY_NAME}公安局交通警察支队`, '交警支队'],
    ['sw', `${CITY_NAME}水务集团有限公司`, '水务集团'],
    ['gd', `国网${CITY_NAME}供电公司`, '供电公司'],
    ['tx', `中国电信${CITY_NAME}分公司`, '电信公司'],
    ['rq', `${CITY_NAME}燃气集团有限公司`, '燃气集团'],
    ['gb', `${CITY_NAME}广电网络有限公司`, '广电网络'],
    ['jt', `${CITY_NAME}交通运输局`, '交通运输局'],
    ['sthj', `${CITY_NAME}生态环境局`, '生态环境局'],
    ['zj', `${CITY_NAME}住房和城乡建设局`, '住建局'],
  ];
  const cityDept = new Map<string, number>();
  CITY_DEPTS.forEach(([key, name, shortName], i) => {
    cityDept.set(
      key,
      addDept({ key, code: `${CITY_CODE}${pad(i + 1, 2)}`, name, shortName, level: 'city', kind: 'execution', parent: null, region: null }),
    );
  });
  const DISTRICT_DEPTS: Array<[key: string, suffix: string, short: string, parentKey: string]> = [
    ['cgj', '城市管理执法局', '城管局', 'cgj'],
    ['zj', '住房和城乡建设局', '住建局', 'zj'],
    ['hw', '环境卫生管理所', '环卫所', 'hw'],
  ];
  const districtDept = new Map<string, number>();
  for (let d = 0; d < districts.length; d++) {
    const region = regions[dOff + d] as DemoRegion;
    DISTRICT_DEPTS.forEach(([key, suffix, short, parentKey], i) => {
      districtDept.set(
        `${dOff + d}:${key}`,
        addDept({
          key: `${region.code}:${key}`,
          code: `${region.code}${pad(i + 1, 2)}`,
          name: `${region.name}${suffix}`,
          shortName: `${region.name.replace(/区$/, '')}${short}`,
          level: 'district',
          kind: 'execution',
          parent: cityDept.get(parentKey) ?? null,
          region: dOff + d,
        }),
      );
    });
  }
  const streetOffice = new Map<number, number>();
  for (let s = 0; s < streets.length; s++) {
    const region = regions[sOff + s] as DemoRegion;
    streetOffice.set(
      sOff + s,
      addDept({
        key: `${region.code}:office`,
        code: `${region.code}01`,
        name: `${region.name}办事处`,
        shortName: region.name,
        level: 'street',
        kind: 'execution',
        parent: null,
        region: sOff + s,
      }),
    );
  }
  const deptFor = (key: DeptKey, grid: number): number => {
    if (key === 'district') return districtDept.get(`${districtOfGrid(grid)}:cgj`) as number;
    if (key === 'street') return streetOffice.get(streetOfGrid(grid)) as number;
    return cityDept.get(key) as number;
  };

  // ---- Beats: grids of each street split into contiguous groups of ~5 ----
  const gridNeighbours = new Map<number, Set<number>>();
  for (let i = 0; i < w * h; i++) {
    const g = gridOfCell[i] as number;
    if (g < 0) continue;
    for (const j of [(i % w) + 1 < w ? i + 1 : -1, i + w < w * h ? i + w : -1]) {
      const o = j < 0 ? -1 : (gridOfCell[j] as number);
      if (o >= 0 && o !== g) {
        if (!gridNeighbours.has(g)) gridNeighbours.set(g, new Set());
        if (!gridNeighbours.has(o)) gridNeighbours.set(o, new Set());
        gridNeighbours.get(g)?.add(o);
        gridNeighbours.get(o)?.add(g);
      }
    }
  }
  const beatRng = stream(seed, 'beats');
  const gridsOfStreet = streets.map((_, s) =>
    regions
      .map((r, i) => ({ r, i }))
      .filter((x) => x.r.level === 'grid' && x.r.street === sOff + s)
      .map((x) => x.i),
  );
  const beatCounts = apportion(
    sizes.inspectors,
    gridsOfStreet.map((g) => g.length),
    1,
    gridsOfStreet.map((g) => g.length),
  );
  const gridCentre = (g: number) => {
    const r = regions[g] as DemoRegion;
    return r.anchor;
  };
  const beatGroups: Array<{ street: number; grids: number[] }> = [];
  gridsOfStreet.forEach((members, s) => {
    const k = beatCounts[s] as number;
    const labels = partition(
      {
        members,
        k,
        weights: new Array(k).fill(1),
        x: (g) => gridCentre(g)[0] * mpd.lng,
        y: (g) => gridCentre(g)[1] * mpd.lat,
        neighbours: (g, fn) => {
          for (const o of gridNeighbours.get(g) ?? []) fn(o);
        },
      },
      beatRng,
    );
    const groups: number[][] = Array.from({ length: k }, () => []);
    members.forEach((g, i) => {
      groups[labels[i] as number]?.push(g);
    });
    groups.sort((a, b) => Math.min(...a) - Math.min(...b));
    for (const g of groups) beatGroups.push({ street: sOff + s, grids: g.sort((a, b) => a - b) });
  });

  // ---- People ----
  const people: DemoPerson[] = [];
  const peopleRng = stream(seed, 'people');
  const demoName = new Map(DEMO_ACCOUNTS.map((a) => [a.username, a.role] as const));
  const addPerson = (username: string, department: number | null, roles: DemoPerson['roles']) =>
    people.push({ username, name: personName(peopleRng), phone: phoneNumber(peopleRng), department, roles }) - 1;
  const cityRole = (role: Role) => [{ role, scopeRegion: null, scopeDepartment: null }];
  const cgj = cityDept.get('cgj') as number;
  addPerson('admin', null, cityRole('admin'));
  addPerson('acceptor', supervision, cityRole('acceptor'));
  addPerson('shiftlead', supervision, cityRole('shiftlead'));
  addPerson('dispatcher', command, cityRole('dispatcher'));
  addPerson('handler', cgj, [{ role: 'handler', scopeRegion: null, scopeDepartment: cgj }]);
  addPerson('leader', cgj, cityRole('leader'));
  const beats: DemoBeat[] = [];
  const beatSerial = new Map<number, number>();
  beatGroups.forEach((b, i) => {
    const username = i === 0 ? 'inspector' : `jdy${pad(i, 3)}`;
    const inspector = addPerson(username, supervision, [{ role: 'inspector', scopeRegion: b.street, scopeDepartment: null }]);
    const street = regions[b.street] as DemoRegion;
    const n = (beatSerial.get(b.street) ?? 0) + 1;
    beatSerial.set(b.street, n);
    beats.push({ code: `ZR${street.code}${pad(n, 2)}`, name: `${street.name}第${n}责任网格`, inspector, grids: b.grids });
  });
  for (let i = 1; i <= 7; i++) addPerson(`slry${pad(i, 2)}`, supervision, cityRole('acceptor'));
  for (let i = 1; i <= 3; i++) addPerson(`zbz${pad(i, 2)}`, supervision, cityRole('shiftlead'));
  for (let i = 1; i <= 5; i++) addPerson(`pqy${pad(i, 2)}`, command, cityRole('dispatcher'));
  addPerson('ld01', supervision, cityRole('leader'));
  addPerson('ld02', command, cityRole('leader'));
  addPerson('ld03', cgj, cityRole('leader'));
  departments.forEach((d, i) => {
    addPerson(`bm${d.code}`, i, [{ role: 'dept_admin', scopeRegion: null, scopeDepartment: i }]);
    if (d.kind !== 'execution') return;
    for (let k = 1; k <= 2; k++) addPerson(`cz${d.code}${k}`, i, [{ role: 'handler', scopeRegion: null, scopeDepartment: i }]);
  });
  for (const [username] of demoName) {
    if (!people.some((p) => p.username === username)) throw new Error(`demo account ${username} missing`);
  }

  // ---- Roads along the lattice lines ----
  const roadRng = stream(seed, 'roads');
  const roads: DemoRoad[] = [];
  const cellIn = (x: number, y: number) => x >= 0 && y >= 0 && x < w && y < h && inCity[y * w + x] === 1;
  const lines: Array<{ horizontal: boolean; line: number; runs: Array<[number, number]>; avenue: boolean }> = [];
  for (const horizontal of [true, false]) {
    const span = horizontal ? h : w;
    const along = horizontal ? w : h;
    const off = horizontal ? offY : offX;
    for (let v = off; v < span; v += ROAD_EVERY) {
      if (v === 0) continue;
      const runs: Array<[number, number]> = [];
      let start = -1;
      for (let a = 0; a <= along; a++) {
        const both = a < along && (horizontal ? cellIn(a, v - 1) && cellIn(a, v) : cellIn(v - 1, a) && cellIn(v, a));
        if (both && start < 0) start = a;
        if (!both && start >= 0) {
          if (a - start >= 3) runs.push([start, a]);
          start = -1;
        }
      }
      if (runs.length > 0) lines.push({ horizontal, line: v, runs, avenue: ((v - off) / ROAD_EVERY) % AVENUE_EVERY === 0 });
    }
  }
  const roots = roadRng.shuffle(ROAD_ROOTS);
  const DIRS = ['东', '西', '南', '北', '新', '中'];
  lines.forEach((ln, li) => {
    const root =
      li < roots.length
        ? (roots[li] as string)
        : `${roots[li % roots.length]}${DIRS[Math.floor(li / roots.length) - 1] ?? Math.floor(li / roots.length)}`;
    const segments: Array<[number, number]> = [];
    for (const [a, b] of ln.runs) {
      const parts = ln.avenue ? 1 : Math.ceil((b - a) / MAX_ROAD_CELLS);
      for (let k = 0; k < parts; k++) segments.push([a + Math.round(((b - a) * k) / parts), a + Math.round(((b - a) * (k + 1)) / parts)]);
    }
    segments.forEach(([from, to], k) => {
      let name: string;
      if (segments.length === 1) name = ln.avenue ? `${root}大道` : `${root}${roadRng.next() < 0.3 ? '街' : '路'}`;
      else name = ln.avenue && k === 0 ? `${root}大道` : `${root}${ORDINALS[k] ?? k + 1}路`;
      const road: DemoRoad = { name, horizontal: ln.horizontal, line: ln.line, from, to, avenue: ln.avenue };
      roads.push(road);
    });
  });

  /**
   * A place `d` metres to one side of a road centre line, `p` lattice units along it.
   * Returns lattice coordinates (x, y) and the cell, or null outside the city.
   */
  const besideRoad = (road: DemoRoad, p: number, side: 1 | -1, d: number) => {
    const off = d / CELL_M;
    const x = road.horizontal ? p : road.line + side * off;
    const y = road.horizontal ? road.line + side * off : p;
    const ix = Math.floor(x);
    const iy = Math.floor(y);
    if (!cellIn(ix, iy)) return null;
    return { x, y, cell: iy * w + ix };
  };
  /** A point `along` lattice units along a road and `across` units off it, as "lng lat". */
  const roadPt = (road: DemoRoad, side: 1 | -1, along: number, across: number) =>
    road.horizontal ? pt(along, road.line + side * across) : pt(road.line + side * across, along);
  /** Door plate number at `p` on `side` (odd numbers on the west/south side, every 12.5 m). */
  const houseNumber = (road: DemoRoad, p: number, side: 1 | -1) => {
    const k = Math.max(0, Math.floor((p - road.from) * 2));
    return side < 0 ? 2 * k + 1 : 2 * k + 2;
  };
  /** Keeps a fraction of a cell away from its edges so a point never sits on a grid boundary. */
  const inset = (v: number, margin = 0.03) => {
    const i = Math.floor(v);
    const f = v - i;
    return i + Math.min(1 - margin, Math.max(margin, f));
  };
  const roadTable = new WeightedTable(roads.map((r) => [r, r.to - r.from] as const));
  const districtName = (grid: number) => (regions[districtOfGrid(grid)] as DemoRegion).name;

  // ---- Components ----
  const classCounts = new Map<string, number>();
  const perClass = apportion(
    sizes.components,
    DEMO_CLASSES.map((c) => c.weight),
    0,
  );
  DEMO_CLASSES.forEach((c, i) => {
    classCounts.set(c.code, perClass[i] as number);
  });
  const OFFSETS: Record<DemoClass['place'], [number, number]> = { road: [1, 9], curb: [8.5, 11.5], side: [11, 24], block: [12, 99] };
  function* components(): Generator<DemoComponent> {
    const rng = stream(seed, 'components');
    const serials = new Map<string, number>();
    for (const cls of DEMO_CLASSES) {
      const count = classCounts.get(cls.code) ?? 0;
      for (let n = 0; n < count; n++) {
        let placed: { road: DemoRoad; p: number; side: 1 | -1; x: number; y: number; cell: number; ewkt: string } | null = null;
        for (let attempt = 0; attempt < 50 && !placed; attempt++) {
          const road = roadTable.pick(rng);
          const side: 1 | -1 = rng.next() < 0.5 ? 1 : -1;
          const [lo, hi] = OFFSETS[cls.place];
          const len = cls.geometry === 'point' ? 0 : rng.range(8, 20) / CELL_M;
          const depth = cls.geometry === 'polygon' ? rng.range(6, 18) / CELL_M : 0;
          // Along: the whole shape stays in one cell.
          const a0 = rng.range(road.from, road.to);
          const ai = Math.floor(a0);
          const p = cls.geometry === 'point' ? inset(a0) : ai + rng.range(0.04, Math.max(0.05, 0.96 - len));
          let off = inset(rng.range(lo, hi) / CELL_M);
          if (depth > 0) off = Math.floor(off) + rng.range(0.04, Math.max(0.05, 0.96 - depth));
          const at = besideRoad(road, p, side, off * CELL_M);
          if (!at) continue;
          let ewkt: string;
          if (cls.geometry === 'point') ewkt = `SRID=4326;POINT(${pt(at.x, at.y)})`;
          else if (cls.geometry === 'line')
            ewkt = `SRID=4326;LINESTRING(${roadPt(road, side, p, off)},${roadPt(road, side, p + len, off)})`;
          else {
            const ring = [
              [p, off],
              [p + len, off],
              [p + len, off + depth],
              [p, off + depth],
              [p, off],
            ] as const;
            ewkt = `SRID=4326;POLYGON((${ring.map(([u, v]) => roadPt(road, side, u, v)).join(',')}))`;
          }
          placed = { road, p, side, ...at, ewkt };
        }
        if (!placed) throw new Error(`could not place a ${cls.name}`);
        const grid = gridOfCell[placed.cell] as number;
        const district = regions[districtOfGrid(grid)] as DemoRegion;
        const key = `${district.code}${cls.code}`;
        const s = (serials.get(key) ?? 0) + 1;
        serials.set(key, s);
        if (s > 999_999) throw new Error(`more than 999,999 ${cls.name} in ${district.name}`);
        const roll = rng.next();
        const status = roll < 0.93 ? 'intact' : roll < 0.97 ? 'damaged' : roll < 0.985 ? 'lost' : 'occupied';
        const number = houseNumber(placed.road, placed.p, placed.side);
        yield {
          code: `${key}${pad(s, 6)}`,
          classCode: cls.code,
          name: cls.name,
          ewkt: placed.ewkt,
          status,
          owner: deptFor(cls.owner, grid),
          maintainer: deptFor(cls.maintainer, grid),
          grid,
          address: `${placed.road.name}${number}号`,
          attributes: componentAttributes(cls, placed.road.name, rng),
        };
      }
    }
  }

  // ---- Gazetteer ----
  const gazetteer = (): DemoAddress[] => {
    const rng = stream(seed, 'gazetteer');
    const out: DemoAddress[] = [];
    const add = (a: Omit<DemoAddress, 'searchText'>) => out.push({ ...a, searchText: gazetteerSearchText(a) });
    const pointAt = (lngLat: [number, number]) => `SRID=4326;POINT(${lngLat[0].toFixed(7)} ${lngLat[1].toFixed(7)})`;
    const gridAtLngLat = (lngLat: [number, number]) => gridAt(lngLat[0], lngLat[1]);
    for (const r of regions) {
      if (r.level === 'grid') continue;
      const grid = gridAtLngLat(r.anchor);
      const d = r.level === 'district' ? r : (regions[r.district as number] as DemoRegion);
      const s = r.level === 'community' ? (regions[r.street as number] as DemoRegion) : null;
      const full = r.level === 'district' ? r.name : r.level === 'street' ? `${d.name} ${r.name}` : `${d.name} ${s?.name} ${r.name}`;
      add({
        kind: r.level === 'district' ? 'district' : 'area',
        name: r.name,
        fullAddress: full,
        roadName: null,
        houseNumber: null,
        district: r.level === 'district' ? regions.indexOf(r) : r.district,
        grid,
        ewkt: pointAt(r.anchor),
        aliases: [r.name.replace(/(区|街道|社区)$/, '')],
      });
    }
    for (const road of roads) {
      const mid = Math.floor((road.from + road.to) / 2) + 0.5;
      const at = besideRoad(road, mid, 1, 1) ?? besideRoad(road, mid, -1, 1);
      const grid = at ? (gridOfCell[at.cell] as number) : -1;
      const a = road.horizontal ? pt(road.from, road.line) : pt(road.line, road.from);
      const b = road.horizontal ? pt(road.to, road.line) : pt(road.line, road.to);
      add({
        kind: 'road',
        name: road.name,
        fullAddress: `${districtName(grid)} ${road.name}`,
        roadName: road.name,
        houseNumber: null,
        district: districtOfGrid(grid),
        grid,
        ewkt: `SRID=4326;LINESTRING(${a},${b})`,
        aliases: [],
      });
    }
    // Door plates every 12.5 m on both sides, 10 m from the centre line.
    for (const road of roads) {
      for (let k = 0; k < (road.to - road.from) * 2; k++) {
        const p = road.from + (k + 0.5) / 2;
        for (const side of [-1, 1] as const) {
          const at = besideRoad(road, p, side, 10);
          if (!at) continue;
          const grid = gridOfCell[at.cell] as number;
          const no = `${houseNumber(road, p, side)}号`;
          add({
            kind: 'doorplate',
            name: `${road.name}${no}`,
            fullAddress: `${districtName(grid)} ${road.name} ${no}`,
            roadName: road.name,
            houseNumber: no,
            district: districtOfGrid(grid),
            grid,
            ewkt: `SRID=4326;POINT(${pt(at.x, at.y)})`,
            aliases: [],
          });
        }
      }
    }
    // Estates (小区) and points of interest, placed off a road with that road's door number.
    const placeOff = (lo: number, hi: number) => {
      for (;;) {
        const road = roadTable.pick(rng);
        const side: 1 | -1 = rng.next() < 0.5 ? 1 : -1;
        const p = inset(rng.range(road.from, road.to));
        const at = besideRoad(road, p, side, inset(rng.range(lo, hi) / CELL_M) * CELL_M);
        if (at) return { road, side, p, ...at, grid: gridOfCell[at.cell] as number };
      }
    };
    const taken = new Set<string>();
    const estateNames = rng.shuffle(ESTATE_ROOTS.flatMap((r) => ESTATE_TAILS.map((t) => `${r}${t}`)));
    const estates = Math.round(sizes.grids * 0.35);
    for (let i = 0; i < estates; i++) {
      const at = placeOff(30, 95);
      const name = nth(estateNames, i, (k) => `第${k}小区`);
      const no = `${houseNumber(at.road, at.p, at.side)}号`;
      taken.add(name);
      add({
        kind: 'block',
        name,
        fullAddress: `${districtName(at.grid)} ${at.road.name} ${no} ${name}`,
        roadName: at.road.name,
        houseNumber: no,
        district: districtOfGrid(at.grid),
        grid: at.grid,
        ewkt: `SRID=4326;POINT(${pt(at.x, at.y)})`,
        aliases: [],
      });
    }
    const poiTable = new WeightedTable(POI_KINDS.map((k) => [k, k.weight] as const));
    const poiCount = Math.round(sizes.grids * 1.2);
    const running = new Map<string, number>();
    const addPoi = (name: string, aliases: string[], at: ReturnType<typeof placeOff>) => {
      const no = `${houseNumber(at.road, at.p, at.side)}号`;
      add({
        kind: 'poi',
        name,
        fullAddress: `${districtName(at.grid)} ${at.road.name} ${no} ${name}`,
        roadName: at.road.name,
        houseNumber: no,
        district: districtOfGrid(at.grid),
        grid: at.grid,
        ewkt: `SRID=4326;POINT(${pt(at.x, at.y)})`,
        aliases,
      });
    };
    for (let i = 0; i < poiCount; i++) {
      const kind = poiTable.pick(rng);
      const at = placeOff(12, 45);
      const community = regions[(regions[at.grid] as DemoRegion).community as number] as DemoRegion;
      const place = rng.next() < 0.6 ? community.name.replace(/社区$/, '') : at.road.name;
      const n = running.get(kind.type) ?? 0;
      let name = kind.name(place, n, rng);
      if (taken.has(name)) name = `${at.road.name}${kind.name(place, n, rng)}`;
      if (taken.has(name)) continue;
      running.set(kind.type, n + 1);
      taken.add(name);
      addPoi(name, kind.aliases?.(place, n) ?? [], at);
    }
    return out;
  };

  /**
   * Grid containing a WGS 84 point: the lattice cell it falls in, judged against the
   * vertex coordinates as written (7 decimals), exactly as the database will see them.
   */
  const xs = fx.map(Number);
  const ys = fy.map(Number);
  const cellIndex = (v: number, lines: number[], guess: number) => {
    let i = Math.max(0, Math.min(lines.length - 2, guess));
    while (i > 0 && v < (lines[i] as number)) i--;
    while (i < lines.length - 2 && v >= (lines[i + 1] as number)) i++;
    return v < (lines[0] as number) || v >= (lines[lines.length - 1] as number) ? -1 : i;
  };
  const gridAt = (lng: number, latDeg: number) => {
    const ix = cellIndex(lng, xs, Math.floor(((lng - lng0) * mpd.lng) / CELL_M));
    const iy = cellIndex(latDeg, ys, Math.floor(((latDeg - lat0) * mpd.lat) / CELL_M));
    if (ix < 0 || iy < 0) return -1;
    return gridOfCell[iy * w + ix] as number;
  };

  // Extent of the city for the map.
  let minX = w;
  let minY = h;
  let maxX = 0;
  let maxY = 0;
  for (const c of cityCells) {
    minX = Math.min(minX, c % w);
    maxX = Math.max(maxX, (c % w) + 1);
    minY = Math.min(minY, Math.floor(c / w));
    maxY = Math.max(maxY, Math.floor(c / w) + 1);
  }
  const bbox: [number, number, number, number] = [lngOf(minX), latOf(minY), lngOf(maxX), latOf(maxY)];
  const center: [number, number] = [round6((bbox[0] + bbox[2]) / 2), round6((bbox[1] + bbox[3]) / 2)];
  // Fit the city's width into ~900 px of Web Mercator tiles.
  const widthM = (maxX - minX) * CELL_M;
  const zoom = Math.max(9, Math.min(15, Math.floor(Math.log2((900 * 156543.03 * Math.cos((CENTRE[1] * Math.PI) / 180)) / widthM))));

  return {
    scale,
    seed,
    cityName: CITY_NAME,
    cityCode: CITY_CODE,
    center,
    zoom,
    bbox,
    counts: { districts: districts.length, streets: streets.length, communities: communities.length, grids: grids.length },
    regions,
    departments,
    people,
    beats,
    roads,
    classCounts,
    componentCount: [...classCounts.values()].reduce((a, b) => a + b, 0),
    components,
    gazetteer,
    gridAt,
  };
}

const round6 = (n: number) => Math.round(n * 1e6) / 1e6;

function multiPolygonEwkt(polys: LatticePolygon[], fx: string[], fy: string[]): string {
  const ring = (r: Array<[number, number]>) => `(${r.map(([x, y]) => `${fx[x]} ${fy[y]}`).join(',')})`;
  return `SRID=4326;MULTIPOLYGON(${polys.map((p) => `(${p.map(ring).join(',')})`).join(',')})`;
}

const MATERIALS = ['球墨铸铁', '复合材料', '混凝土', '钢纤维混凝土'];

/** A few class-specific census attributes (CJ/T 214 basic attributes). */
function componentAttributes(cls: DemoClass, roadName: string, rng: Rng): Record<string, string | number> {
  const code = cls.code;
  if (/^01(0\d|1[0-4]|2[7-9]|30)$/.test(code)) return { material: rng.pick(MATERIALS) };
  if (code === '0203') return { stopName: `${roadName}站` };
  if (code === '0126') return { num: rng.int(3, 12) };
  if (code === '0403') return { spec: `${rng.pick([1.2, 1.5, 1.8])}m×${rng.pick([1.2, 1.5, 1.8])}m` };
  return {};
}
