/**
 * A small seeded PRNG (mulberry32) so the demo city is the same for the same seed on
 * every machine. Each generation phase draws from its own stream (`stream(seed, name)`),
 * so changing how much one phase draws never reshuffles another.
 */
export class Rng {
  #s: number;
  constructor(seed: number) {
    this.#s = seed >>> 0;
  }

  /** A float in [0, 1). */
  next(): number {
    this.#s = (this.#s + 0x6d2b79f5) >>> 0;
    let t = this.#s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** A float in [lo, hi). */
  range(lo: number, hi: number): number {
    return lo + (hi - lo) * this.next();
  }

  /** An integer in [lo, hi] (inclusive). */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)] as T;
  }

  /** Shuffles a copy (Fisher–Yates). */
  shuffle<T>(items: readonly T[]): T[] {
    const out = items.slice();
    for (let i = out.length - 1; i > 0; i--) {
      const j = Math.floor(this.next() * (i + 1));
      [out[i], out[j]] = [out[j] as T, out[i] as T];
    }
    return out;
  }
}

/** FNV-1a of a string, for naming streams. */
function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** An independent stream for one named phase of the generator. */
export function stream(seed: number, name: string): Rng {
  const r = new Rng((Math.imul(seed >>> 0, 0x9e3779b1) ^ hashString(name)) >>> 0);
  r.next();
  return r;
}

/** Cumulative weights for weighted picks by binary search. */
export class WeightedTable<T> {
  readonly #items: T[];
  readonly #cum: Float64Array;
  constructor(entries: ReadonlyArray<readonly [T, number]>) {
    this.#items = entries.map((e) => e[0]);
    this.#cum = new Float64Array(entries.length);
    let acc = 0;
    entries.forEach((e, i) => {
      acc += e[1];
      this.#cum[i] = acc;
    });
  }
  pick(rng: Rng): T {
    const x = rng.next() * (this.#cum[this.#cum.length - 1] as number);
    let lo = 0;
    let hi = this.#cum.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((this.#cum[mid] as number) > x) hi = mid;
      else lo = mid + 1;
    }
    return this.#items[lo] as T;
  }
}

/**
 * Splits `total` into parts proportional to `weights` (largest remainder), each part
 * within [min, max[i]]. The parts always add up to `total` when that is feasible.
 */
export function apportion(total: number, weights: readonly number[], min = 1, max?: readonly number[]): number[] {
  const n = weights.length;
  const cap = (i: number) => (max ? (max[i] as number) : Number.POSITIVE_INFINITY);
  const parts = new Array<number>(n).fill(min);
  let left = total - min * n;
  if (left < 0) throw new Error(`cannot split ${total} into ${n} parts of at least ${min}`);
  // Hand out the rest proportionally, respecting caps; repeat while caps bite.
  for (let round = 0; left > 0 && round < 50; round++) {
    const open = [...Array(n).keys()].filter((i) => (parts[i] as number) < cap(i));
    if (open.length === 0) break;
    const wsum = open.reduce((a, i) => a + (weights[i] as number), 0) || open.length;
    const shares = open.map((i) => ({ i, exact: (left * ((weights[i] as number) || (wsum === open.length ? 1 : 0))) / wsum }));
    let given = 0;
    for (const s of shares) {
      const add = Math.min(Math.floor(s.exact), cap(s.i) - (parts[s.i] as number));
      parts[s.i] = (parts[s.i] as number) + add;
      given += add;
    }
    left -= given;
    shares.sort((a, b) => b.exact - Math.floor(b.exact) - (a.exact - Math.floor(a.exact)) || a.i - b.i);
    for (const s of shares) {
      if (left === 0) break;
      if ((parts[s.i] as number) < cap(s.i)) {
        parts[s.i] = (parts[s.i] as number) + 1;
        left--;
      }
    }
  }
  if (left !== 0) throw new Error(`cannot split ${total} into ${n} parts within their limits`);
  return parts;
}
