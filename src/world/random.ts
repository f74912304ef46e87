// Small seeded PRNG for the world: everything random in a clip comes from here, so the same
// (spec, seed) always gives the same bytes. mulberry32: 32-bit state, fast, good enough for
// textures, layouts and caption choices (not for cryptography).

/** A seeded random source. */
export interface Rng {
  /** Uniform float in [0, 1). */
  next(): number;
  /** Uniform integer in [0, n). */
  int(n: number): number;
  /** Uniform float in [lo, hi). */
  range(lo: number, hi: number): number;
  /** One element of a non-empty array. */
  pick<T>(items: readonly T[]): T;
  /** True with probability p. */
  chance(p: number): boolean;
  /** A new, independent stream derived from this one and a label. */
  fork(label: string | number): Rng;
  /** A shuffled copy. */
  shuffle<T>(items: readonly T[]): T[];
}

/** 32-bit FNV-1a hash of a string, for deriving sub-seeds from labels. */
export function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** Mixes two 32-bit values into one (a splitmix-style finaliser). */
export function mixSeed(a: number, b: number): number {
  let h = (a ^ Math.imul(b + 0x9e3779b9, 0x85ebca6b)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d);
  h = Math.imul(h ^ (h >>> 15), 0x846ca68b);
  return (h ^ (h >>> 16)) >>> 0;
}

/** mulberry32: the raw generator, returning floats in [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A seeded Rng; `seed` may be any number (it is reduced to 32 bits) or a string. */
export function makeRng(seed: number | string): Rng {
  const s = typeof seed === 'string' ? hashString(seed) : normaliseSeed(seed);
  const next = mulberry32(mixSeed(s, 0x2545f491));
  const rng: Rng = {
    next,
    int: (n) => Math.floor(next() * n),
    range: (lo, hi) => lo + (hi - lo) * next(),
    pick: (items) => items[Math.floor(next() * items.length)]!,
    chance: (p) => next() < p,
    fork: (label) =>
      makeRng(mixSeed(s, typeof label === 'string' ? hashString(label) : normaliseSeed(label))),
    shuffle: (items) => {
      const out = items.slice();
      for (let i = out.length - 1; i > 0; i--) {
        const j = Math.floor(next() * (i + 1));
        const t = out[i]!;
        out[i] = out[j]!;
        out[j] = t;
      }
      return out;
    },
  };
  return rng;
}

/** Any finite number → a 32-bit unsigned seed (fractions and large values are mixed, not truncated away). */
export function normaliseSeed(seed: number): number {
  if (!Number.isFinite(seed)) return 0;
  if (Number.isInteger(seed) && seed >= 0 && seed <= 0xffffffff) return seed >>> 0;
  const hi = Math.floor(seed / 4294967296);
  const lo = seed - hi * 4294967296;
  return mixSeed(lo >>> 0, hi >>> 0);
}
