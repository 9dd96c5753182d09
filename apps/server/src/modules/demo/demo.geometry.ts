/**
 * Lattice geometry for the demo city: contiguous, size-balanced partitions of a set of
 * nodes (lattice cells, or grids for inspectors' beats), and the outlines of labelled
 * cell sets traced as polygons. Neighbouring regions share their outline vertices
 * exactly, so the generated boundaries have no gaps and no overlaps.
 */
import type { Rng } from './demo.random.ts';

/** Cost bonus (in node spacings) per side a candidate already shares with the growing part. */
const COMPACTNESS = 1.5;

/** A binary min-heap of (cost, value) pairs. */
class MinHeap {
  #cost: number[] = [];
  #val: number[] = [];
  get size() {
    return this.#cost.length;
  }
  push(cost: number, val: number) {
    const c = this.#cost;
    const v = this.#val;
    let i = c.length;
    c.push(cost);
    v.push(val);
    while (i > 0) {
      const p = (i - 1) >> 1;
      if ((c[p] as number) <= cost) break;
      c[i] = c[p] as number;
      v[i] = v[p] as number;
      i = p;
    }
    c[i] = cost;
    v[i] = val;
  }
  pop(): number {
    const c = this.#cost;
    const v = this.#val;
    const top = v[0] as number;
    const lastC = c.pop() as number;
    const lastV = v.pop() as number;
    const n = c.length;
    if (n > 0) {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= n) break;
        const r = l + 1;
        const m = r < n && (c[r] as number) < (c[l] as number) ? r : l;
        if ((c[m] as number) >= lastC) break;
        c[i] = c[m] as number;
        v[i] = v[m] as number;
        i = m;
      }
      c[i] = lastC;
      v[i] = lastV;
    }
    return top;
  }
}

export interface PartitionInput {
  /** Node ids to split (any id space). */
  members: readonly number[];
  /** Number of parts. */
  k: number;
  /** Relative target size of each part. */
  weights: readonly number[];
  x(id: number): number;
  y(id: number): number;
  /** Calls `fn` for each neighbour of `id` (neighbours outside `members` are ignored). */
  neighbours(id: number, fn: (nb: number) => void): void;
  /** Extra cost of joining `id` to the part grown from `seed` (e.g. crossing a road). */
  penalty?(seed: number, id: number): number;
}

/**
 * Splits a connected node set into k contiguous parts of roughly the target sizes:
 * k-means seeds, then all parts grow together from their seeds, the part furthest below
 * its target taking its cheapest frontier node next (cost = distance from the seed +
 * penalty + a little noise, which keeps parts compact and their outlines organic).
 * Returns the part of each member, in `members` order.
 */
export function partition(input: PartitionInput, rng: Rng): Int32Array {
  const { members, k } = input;
  const n = members.length;
  if (k < 1 || k > n) throw new Error(`cannot split ${n} nodes into ${k} parts`);
  const part = new Int32Array(n).fill(-1);
  if (k === 1) return part.fill(0);
  const local = new Map<number, number>();
  members.forEach((id, i) => {
    local.set(id, i);
  });
  const xs = Float64Array.from(members, (id) => input.x(id));
  const ys = Float64Array.from(members, (id) => input.y(id));

  // k-means++ seeds, then a few Lloyd steps snapping each centroid to a member.
  const seeds: number[] = [rng.int(0, n - 1)];
  const d2 = new Float64Array(n).fill(Number.POSITIVE_INFINITY);
  while (seeds.length < k) {
    const s = seeds[seeds.length - 1] as number;
    let total = 0;
    for (let i = 0; i < n; i++) {
      const dx = (xs[i] as number) - (xs[s] as number);
      const dy = (ys[i] as number) - (ys[s] as number);
      d2[i] = Math.min(d2[i] as number, dx * dx + dy * dy);
      total += d2[i] as number;
    }
    let pickAt = rng.next() * total;
    let chosen = -1;
    for (let i = 0; i < n; i++) {
      pickAt -= d2[i] as number;
      if (pickAt <= 0 && (d2[i] as number) > 0) {
        chosen = i;
        break;
      }
    }
    if (chosen < 0) chosen = [...Array(n).keys()].find((i) => !seeds.includes(i)) as number;
    seeds.push(chosen);
  }
  const owner = new Int32Array(n);
  for (let iter = 0; iter < 6; iter++) {
    const sx = new Float64Array(k);
    const sy = new Float64Array(k);
    const cnt = new Float64Array(k);
    for (let i = 0; i < n; i++) {
      let best = 0;
      let bestD = Number.POSITIVE_INFINITY;
      for (let r = 0; r < k; r++) {
        const s = seeds[r] as number;
        const dx = (xs[i] as number) - (xs[s] as number);
        const dy = (ys[i] as number) - (ys[s] as number);
        const d = dx * dx + dy * dy;
        if (d < bestD) {
          bestD = d;
          best = r;
        }
      }
      owner[i] = best;
      sx[best] = (sx[best] as number) + (xs[i] as number);
      sy[best] = (sy[best] as number) + (ys[i] as number);
      cnt[best] = (cnt[best] as number) + 1;
    }
    const nearest = new Float64Array(k).fill(Number.POSITIVE_INFINITY);
    const next = seeds.slice();
    for (let i = 0; i < n; i++) {
      const r = owner[i] as number;
      const cx = (sx[r] as number) / (cnt[r] as number);
      const cy = (sy[r] as number) / (cnt[r] as number);
      const dx = (xs[i] as number) - cx;
      const dy = (ys[i] as number) - cy;
      const d = dx * dx + dy * dy;
      if (d < (nearest[r] as number)) {
        nearest[r] = d;
        next[r] = i;
      }
    }
    seeds.splice(0, k, ...next);
  }

  // Balanced simultaneous growth.
  const wsum = input.weights.reduce((a, b) => a + b, 0);
  const target = input.weights.map((w) => (n * w) / wsum);
  const size = new Float64Array(k);
  const heaps = Array.from({ length: k }, () => new MinHeap());
  const grow = (r: number, i: number) => {
    part[i] = r;
    size[r] = (size[r] as number) + 1;
    const seed = seeds[r] as number;
    input.neighbours(members[i] as number, (nb) => {
      const j = local.get(nb);
      if (j === undefined || part[j] !== -1) return;
      const dx = (xs[j] as number) - (xs[seed] as number);
      const dy = (ys[j] as number) - (ys[seed] as number);
      const extra = input.penalty ? input.penalty(members[seed] as number, nb) : 0;
      // Cells already touching the part more than once come first: fills notches, keeps outlines smooth.
      let touching = 0;
      input.neighbours(nb, (nn) => {
        if (part[local.get(nn) as number] === r) touching++;
      });
      heaps[r]?.push(Math.sqrt(dx * dx + dy * dy) + extra - COMPACTNESS * touching + rng.next() * 0.3, j);
    });
  };
  seeds.forEach((s, r) => {
    grow(r, s);
  });
  let left = n - k;
  while (left > 0) {
    let r = -1;
    let best = Number.POSITIVE_INFINITY;
    for (let q = 0; q < k; q++) {
      if ((heaps[q] as MinHeap).size === 0) continue;
      const ratio = (size[q] as number) / (target[q] as number);
      if (ratio < best) {
        best = ratio;
        r = q;
      }
    }
    if (r < 0) throw new Error('partition: node set is not connected');
    const heap = heaps[r] as MinHeap;
    while (heap.size > 0) {
      const i = heap.pop();
      if (part[i] === -1) {
        grow(r, i);
        left--;
        break;
      }
    }
  }
  return part;
}

/** A polygon as rings of lattice vertices [vx, vy]; the first ring is the shell. */
export type LatticePolygon = Array<Array<[number, number]>>;

// Directions: 0 east, 1 north, 2 west, 3 south.
const DX = [1, 0, -1, 0];
const DY = [0, 1, 0, -1];

/**
 * Outlines of every labelled part of a w×h cell lattice (label -1 = outside). Boundary
 * edges are walked with the part on the left, so shells come out counter-clockwise and
 * holes clockwise; where a part touches itself at a corner the walk turns left, which
 * keeps every ring simple (valid in the OGC sense). Collinear vertices are dropped.
 */
export function traceOutlines(label: Int32Array, w: number, h: number, parts: number): LatticePolygon[][] {
  const at = (x: number, y: number) => (x < 0 || y < 0 || x >= w || y >= h ? -1 : (label[y * w + x] as number));
  const W1 = w + 1;
  // Per part: directed edges, keyed by their start vertex.
  const edges: Array<Map<number, number[]>> = Array.from({ length: parts }, () => new Map());
  const add = (p: number, x: number, y: number, dir: number) => {
    const m = edges[p] as Map<number, number[]>;
    const key = y * W1 + x;
    const list = m.get(key);
    if (list) list.push(dir);
    else m.set(key, [dir]);
  };
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const p = label[y * w + x] as number;
      if (p < 0) continue;
      if (at(x, y - 1) !== p) add(p, x, y, 0);
      if (at(x + 1, y) !== p) add(p, x + 1, y, 1);
      if (at(x, y + 1) !== p) add(p, x + 1, y + 1, 2);
      if (at(x - 1, y) !== p) add(p, x, y + 1, 3);
    }
  }
  const out: LatticePolygon[][] = [];
  for (let p = 0; p < parts; p++) {
    const m = edges[p] as Map<number, number[]>;
    const rings: Array<Array<[number, number]>> = [];
    for (const [startKey, dirs] of m) {
      while (dirs.length > 0) {
        // Each boundary edge has exactly one successor under the left-turn rule, so the
        // walk from an edge comes back to that same edge: that closes the ring.
        const startDir = dirs.pop() as number;
        const ring: Array<[number, number]> = [];
        let x = startKey % W1;
        let y = (startKey - x) / W1;
        ring.push([x, y]);
        let dir = startDir;
        for (;;) {
          x += DX[dir] as number;
          y += DY[dir] as number;
          const key = y * W1 + x;
          const outs = m.get(key) ?? [];
          let chosen = -1;
          let closes = false;
          for (const want of [(dir + 1) % 4, dir, (dir + 3) % 4]) {
            if (key === startKey && want === startDir) {
              chosen = want;
              closes = true;
              break;
            }
            const idx = outs.indexOf(want);
            if (idx >= 0) {
              chosen = want;
              outs.splice(idx, 1);
              break;
            }
          }
          if (chosen < 0) throw new Error('traceOutlines: open boundary');
          if (closes) {
            if (chosen === dir) ring.shift();
            break;
          }
          if (chosen !== dir) ring.push([x, y]);
          dir = chosen;
        }
        ring.push(ring[0] as [number, number]);
        rings.push(ring);
      }
    }
    out.push(assemble(rings));
  }
  return out;
}

function signedArea(ring: Array<[number, number]>): number {
  let a = 0;
  for (let i = 0; i + 1 < ring.length; i++) {
    const [x1, y1] = ring[i] as [number, number];
    const [x2, y2] = ring[i + 1] as [number, number];
    a += x1 * y2 - x2 * y1;
  }
  return a / 2;
}

function inside(px: number, py: number, ring: Array<[number, number]>): boolean {
  let c = false;
  for (let i = 0, j = ring.length - 2; i < ring.length - 1; j = i++) {
    const [xi, yi] = ring[i] as [number, number];
    const [xj, yj] = ring[j] as [number, number];
    if (yi > py !== yj > py && px < ((xj - xi) * (py - yi)) / (yj - yi) + xi) c = !c;
  }
  return c;
}

/** Groups rings into polygons: each hole goes to the shell that contains it. */
function assemble(rings: Array<Array<[number, number]>>): LatticePolygon[] {
  const shells = rings.filter((r) => signedArea(r) > 0);
  const holes = rings.filter((r) => signedArea(r) < 0);
  const polys: LatticePolygon[] = shells.map((s) => [s]);
  for (const hole of holes) {
    // A point just left of the hole's first edge lies in the part, inside exactly one shell.
    const [x1, y1] = hole[0] as [number, number];
    const [x2, y2] = hole[1] as [number, number];
    const mx = (x1 + x2) / 2 - Math.sign(y2 - y1) * 0.25;
    const my = (y1 + y2) / 2 + Math.sign(x2 - x1) * 0.25;
    const owner = polys.length === 1 ? polys[0] : polys.find((p) => inside(mx, my, p[0] as Array<[number, number]>));
    (owner ?? (polys[0] as LatticePolygon)).push(hole);
  }
  return polys;
}
