import crypto from 'node:crypto';
import { DEMO_ACCOUNTS } from '@cityloop/shared';
import { describe, expect, it } from 'vitest';
import { gazetteerSearchText } from '../geocode/normalize.ts';
import { DEMO_CLASSES } from './demo.classes.ts';
import { type DemoCity, demoSizes, generateCity } from './demo.generator.ts';
import { traceOutlines } from './demo.geometry.ts';
import { apportion, Rng, stream } from './demo.random.ts';

const classCodes = new Set(DEMO_CLASSES.map((c) => c.code));

/** Checks every component of a city; returns how many there were. */
function checkComponents(city: DemoCity): number {
  const codes = new Set<string>();
  let n = 0;
  for (const k of city.components()) {
    n++;
    codes.add(k.code);
    const grid = city.regions[k.grid];
    const district = city.regions[grid?.district ?? -1];
    if (
      !/^\d{16}$/.test(k.code) ||
      !classCodes.has(k.classCode) ||
      grid?.level !== 'grid' ||
      k.code.slice(0, 6) !== district?.code ||
      k.code.slice(6, 10) !== k.classCode
    ) {
      throw new Error(`bad component ${JSON.stringify(k)}`);
    }
  }
  expect(codes.size).toBe(n);
  return n;
}

describe('generateCity at scale 1 (Yichang size)', () => {
  const city = generateCity({ scale: 1, seed: 20261122 });

  it('has the target counts of every level', () => {
    expect(city.counts).toEqual({ districts: 4, streets: 16, communities: 127, grids: 1203 });
    expect(city.regions.filter((r) => r.level === 'grid')).toHaveLength(1203);
    expect(city.departments).toHaveLength(43);
    expect(city.beats).toHaveLength(235);
    expect(city.people.filter((p) => p.roles.some((r) => r.role === 'inspector'))).toHaveLength(235);
    expect(city.componentCount).toBe(417_000);
  });

  it('generates 417,000 components with unique, well-formed 16-digit ids', () => {
    expect(checkComponents(city)).toBe(417_000);
  });

  it('sizes unit grids around 10,000 m² (16 cells of 25 m)', () => {
    const cells = city.regions.filter((r) => r.level === 'grid').map((r) => r.cells);
    const mean = cells.reduce((a, b) => a + b, 0) / cells.length;
    expect(mean).toBeGreaterThan(15);
    expect(mean).toBeLessThan(17);
    expect(Math.min(...cells)).toBeGreaterThanOrEqual(2);
    expect(Math.max(...cells)).toBeLessThanOrEqual(40);
  });

  it('codes every region from its parent, grids numbered 001… within each community', () => {
    const seen = new Set<string>();
    for (const r of city.regions) {
      expect(seen.has(r.code)).toBe(false);
      seen.add(r.code);
      const parent = r.parent === null ? null : city.regions[r.parent];
      const len = { district: 6, street: 9, community: 12, grid: 15 }[r.level];
      expect(r.code).toMatch(new RegExp(`^\\d{${len}}$`));
      if (parent) expect(r.code.startsWith(parent.code)).toBe(true);
      else expect(r.code.startsWith('4205')).toBe(true);
    }
    const firstGrids = city.regions.filter((r) => r.level === 'grid' && r.code.endsWith('001'));
    expect(firstGrids).toHaveLength(127);
  });

  it('gives every grid to exactly one beat of ~5 grids, within one street', () => {
    const owner = new Map<number, number>();
    city.beats.forEach((b, i) => {
      const streets = new Set(b.grids.map((g) => city.regions[g]?.street));
      expect(streets.size).toBe(1);
      for (const g of b.grids) {
        expect(owner.has(g)).toBe(false);
        owner.set(g, i);
      }
    });
    expect(owner.size).toBe(1203);
    const sizes = city.beats.map((b) => b.grids.length);
    expect(sizes.reduce((a, b) => a + b, 0) / sizes.length).toBeCloseTo(1203 / 235, 5);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(12);
  });

  it('has one demo account per role, the inspector with a beat and the handler in an execution department', () => {
    for (const a of DEMO_ACCOUNTS) {
      const p = city.people.find((x) => x.username === a.username);
      expect(p?.roles.map((r) => r.role)).toContain(a.role);
    }
    const usernames = new Set(city.people.map((p) => p.username));
    expect(usernames.has('jdy001') && usernames.has('jdy234') && !usernames.has('jdy235')).toBe(true);
    const inspector = city.people.findIndex((p) => p.username === 'inspector');
    expect(city.beats.some((b) => b.inspector === inspector)).toBe(true);
    const handler = city.people.find((p) => p.username === 'handler');
    expect(city.departments[handler?.department ?? -1]?.kind).toBe('execution');
    expect(new Set(city.people.map((p) => p.username)).size).toBe(city.people.length);
    expect(city.departments.filter((d) => d.kind === 'centre').map((d) => d.shortName)).toEqual(['监督中心', '指挥中心']);
    expect(new Set(city.departments.map((d) => d.code)).size).toBe(43);
  });

  it('names 60–120 roads and 20–40k gazetteer entries with normalised search text', () => {
    expect(city.roads.length).toBeGreaterThanOrEqual(60);
    expect(city.roads.length).toBeLessThanOrEqual(120);
    expect(new Set(city.roads.map((r) => r.name)).size).toBe(city.roads.length);
    const g = city.gazetteer();
    expect(g.length).toBeGreaterThan(20_000);
    expect(g.length).toBeLessThan(40_000);
    const kinds = new Set(g.map((a) => a.kind));
    expect([...kinds].sort()).toEqual(['area', 'block', 'district', 'doorplate', 'poi', 'road']);
    const plate = g.find((a) => a.kind === 'doorplate');
    expect(plate?.fullAddress).toMatch(/^\S+区 \S+(路|街|大道) \d+号$/);
    for (const a of g.slice(0, 2000)) expect(a.searchText).toBe(gazetteerSearchText(a));
  });

  it('centres the map on the city near Yichang', () => {
    const [lng, lat] = city.center;
    expect(lng).toBeGreaterThan(111.2);
    expect(lng).toBeLessThan(111.4);
    expect(lat).toBeGreaterThan(30.6);
    expect(lat).toBeLessThan(30.8);
    expect(city.gridAt(lng, lat)).toBeGreaterThanOrEqual(0);
    expect(city.gridAt(city.bbox[0] - 0.01, lat)).toBe(-1);
  });
});

describe('generateCity at small scales', () => {
  it('still makes a coherent city at scale 0.02', () => {
    const city = generateCity({ scale: 0.02, seed: 7 });
    expect(city.counts.districts).toBeGreaterThanOrEqual(2);
    expect(city.counts.streets).toBeGreaterThanOrEqual(city.counts.districts);
    expect(city.counts.communities).toBeGreaterThanOrEqual(city.counts.streets);
    expect(city.counts.grids).toBe(demoSizes(0.02).grids);
    for (const a of DEMO_ACCOUNTS) expect(city.people.some((p) => p.username === a.username)).toBe(true);
    expect(checkComponents(city)).toBe(city.componentCount);
    expect(city.componentCount).toBeGreaterThan(1000);
    expect(city.gazetteer().filter((a) => a.kind === 'doorplate').length).toBeGreaterThan(50);
  });

  it('is reproducible from the seed, and another seed gives another city', () => {
    const digest = (c: DemoCity) => {
      const h = crypto.createHash('sha256');
      for (const r of c.regions) h.update(`${r.code}|${r.name}|${r.ewkt}\n`);
      for (const k of c.components()) h.update(`${k.code}|${k.ewkt}|${k.status}|${k.address}\n`);
      for (const p of c.people) h.update(`${p.username}|${p.name}\n`);
      for (const a of c.gazetteer()) h.update(`${a.fullAddress}|${a.ewkt}\n`);
      return h.digest('hex');
    };
    const a = digest(generateCity({ scale: 0.05, seed: 42 }));
    expect(digest(generateCity({ scale: 0.05, seed: 42 }))).toBe(a);
    expect(digest(generateCity({ scale: 0.05, seed: 43 }))).not.toBe(a);
  });

  it('rejects a scale that is not a positive number', () => {
    expect(() => generateCity({ scale: 0, seed: 1 })).toThrow(/scale/);
    expect(() => generateCity({ scale: Number.NaN, seed: 1 })).toThrow(/scale/);
  });
});

describe('building blocks', () => {
  it('mulberry32 streams are deterministic and independent', () => {
    const a = stream(1, 'x');
    const b = stream(1, 'x');
    const c = stream(1, 'y');
    const xs = [a.next(), a.next(), a.next()];
    expect([b.next(), b.next(), b.next()]).toEqual(xs);
    expect(c.next()).not.toBe(xs[0]);
    const r = new Rng(3);
    for (let i = 0; i < 1000; i++) {
      const v = r.int(2, 5);
      expect(v >= 2 && v <= 5).toBe(true);
    }
  });

  it('apportions exactly, respecting minimums and caps', () => {
    expect(apportion(10, [1, 1, 1])).toEqual([4, 3, 3]);
    expect(apportion(127, [5, 3, 2]).reduce((a, b) => a + b, 0)).toBe(127);
    expect(apportion(5, [100, 1, 1], 1)).toEqual([3, 1, 1]);
    expect(apportion(6, [100, 1], 1, [2, 10])).toEqual([2, 4]);
    expect(() => apportion(2, [1, 1, 1])).toThrow();
  });

  it('traces outlines with holes and corner-touching cells as valid rings', () => {
    // A 3×3 ring of part 0 around a hole of part 1, and a part 2 cell touching part 0 at a corner.
    const w = 4;
    const h = 3;
    // biome-ignore format: a picture of the lattice, south row first
    const label = Int32Array.from([
      0, 0, 0, -1,
      0, 1, 0, -1,
      0, 0, 0, 2,
    ]);
    const [p0, p1, p2] = traceOutlines(label, w, h, 3);
    expect(p0).toHaveLength(1);
    expect(p0?.[0]).toHaveLength(2); // shell + hole
    expect(p0?.[0]?.[0]).toEqual([
      [0, 0],
      [3, 0],
      [3, 3],
      [0, 3],
      [0, 0],
    ]);
    expect(p1?.[0]?.[0]).toEqual([
      [1, 1],
      [2, 1],
      [2, 2],
      [1, 2],
      [1, 1],
    ]);
    expect(p2?.[0]?.[0]).toEqual([
      [3, 2],
      [4, 2],
      [4, 3],
      [3, 3],
      [3, 2],
    ]);
  });
});
