// Seeded parameter initialisation.
//
// Weights are drawn in TypeScript from a small counter-based PRNG rather than with jax-js's
// `random`, so that a model's starting point depends only on (seed, parameter name) — not on the
// engine, nor on the order or number of other parameters. Adding a layer leaves the others' initial
// values unchanged, which keeps experiments comparable.
import { numpy as np } from '@jax-js/jax';
import type { Params } from './params.ts';

/** How one parameter starts. */
export type Initializer =
  | { kind: 'zeros' }
  | { kind: 'ones' }
  /** Normal with the given standard deviation (embeddings, small output layers). */
  | { kind: 'normal'; std: number }
  /** Xavier/Glorot uniform on (fanIn, fanOut) = (shape[0], shape[last]): keeps activations' scale. */
  | { kind: 'xavier'; gain?: number };

export interface ParamSpecEntry {
  shape: number[];
  init: Initializer;
}

/** Every parameter of a model by flat name, e.g. `blocks.0.attn.qkv.weight`. */
export type ParamSpec = Record<string, ParamSpecEntry>;

export const zeros: Initializer = { kind: 'zeros' };
export const ones: Initializer = { kind: 'ones' };
export const xavier: Initializer = { kind: 'xavier' };
export const normal = (std: number): Initializer => ({ kind: 'normal', std });

/** A deterministic stream of uniform numbers in [0, 1) (mulberry32: tiny, fast, good enough for init). */
export class Rng {
  private state: number;
  constructor(seed: number) {
    this.state = seed >>> 0;
  }
  /** Uniform in [0, 1). */
  uniform(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  /** Standard normal (Box–Muller; the first uniform is kept away from 0 so log() stays finite). */
  normal(): number {
    const u1 = 1 - this.uniform();
    const u2 = this.uniform();
    return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
  }
  /** An independent stream derived from this seed and a label (e.g. a parameter name). */
  static derive(seed: number, label: string): Rng {
    // FNV-1a over the label, mixed with the seed.
    let h = 0x811c9dc5 ^ (seed >>> 0);
    for (let i = 0; i < label.length; i++) {
      h ^= label.charCodeAt(i);
      h = Math.imul(h, 0x01000193);
    }
    return new Rng(h >>> 0);
  }
}

/** The initial values of one parameter as plain floats. */
export function initValues(name: string, entry: ParamSpecEntry, seed: number): Float32Array {
  const size = entry.shape.reduce((a, b) => a * b, 1);
  const values = new Float32Array(size);
  const { init } = entry;
  if (init.kind === 'zeros') return values;
  if (init.kind === 'ones') return values.fill(1);
  const rng = Rng.derive(seed, name);
  if (init.kind === 'normal') {
    for (let i = 0; i < size; i++) values[i] = init.std * rng.normal();
    return values;
  }
  const fanIn = entry.shape.length > 1 ? entry.shape.slice(0, -1).reduce((a, b) => a * b, 1) : size;
  const fanOut = entry.shape[entry.shape.length - 1];
  const limit = (init.gain ?? 1) * Math.sqrt(6 / (fanIn + fanOut));
  for (let i = 0; i < size; i++) values[i] = limit * (2 * rng.uniform() - 1);
  return values;
}

/** Fresh parameters for a spec: the same (spec, seed) always gives the same values. */
export function initParams(spec: ParamSpec, seed: number): Params {
  const params: Params = {};
  for (const [name, entry] of Object.entries(spec)) {
    params[name] = np.array(initValues(name, entry, seed), { shape: entry.shape });
  }
  return params;
}
