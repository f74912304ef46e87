// AdamW with global-norm gradient clipping and a warm-up + cosine learning-rate schedule, as pure
// jax-js functions over flat parameter records. The engine traces these into the exported training
// graph (src/engine/trainStep.ts); run eagerly they are the reference that graph is checked against.
//
// jax-js ops consume their arguments (move semantics): every array used twice is passed as `.ref`.
import { numpy as np } from '@jax-js/jax';

export type Params = Record<string, np.Array>;

export interface AdamWConfig {
  /** Peak learning rate, reached at the end of warm-up. */
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  /** Decoupled weight decay (Loshchilov & Hutter), applied to parameters with `decays(name, ndim)`. */
  weightDecay: number;
  /** Clip gradients to this global L2 norm; 0 disables clipping. */
  clipNorm: number;
  /** Linear warm-up from 0 to `lr` over this many steps. */
  warmupSteps: number;
  /** Cosine decay from `lr` to `lr * minLrRatio` ends here; later steps stay at the minimum. */
  totalSteps: number;
  minLrRatio: number;
}

export const DEFAULT_ADAMW: AdamWConfig = {
  lr: 3e-4,
  beta1: 0.9,
  beta2: 0.999,
  eps: 1e-8,
  weightDecay: 0.01,
  clipNorm: 1,
  warmupSteps: 100,
  totalSteps: 10_000,
  minLrRatio: 0.1,
};

/** Weight decay goes to matrices (ndim ≥ 2), not to biases, norms' scales or embeddings' offsets. */
export function decaysByDefault(_name: string, ndim: number): boolean {
  return ndim >= 2;
}

export interface AdamWState {
  /** First moment (running mean of gradients), one per parameter. */
  m: Params;
  /** Second moment (running mean of squared gradients). */
  v: Params;
}

export function initAdamW(params: Params): AdamWState {
  const zeros = () => Object.fromEntries(Object.entries(params).map(([k, p]) => [k, np.zeros(p.shape)]));
  return { m: zeros(), v: zeros() };
}

/**
 * Learning rate at `step` (float32 scalar, counted from 1): linear warm-up, then cosine decay.
 * `momentStep` (default `step`) counts the updates of the optimizer's moments: moments that start
 * at zero part-way through the schedule (a run from trained weights) warm up again, as Adam's first
 * updates are all about the learning rate in size whatever the gradients' noise.
 */
export function learningRate(step: np.Array, cfg: AdamWConfig, momentStep?: np.Array): np.Array {
  const warmup = Math.max(1, cfg.warmupSteps);
  const decaySteps = Math.max(1, cfg.totalSteps - cfg.warmupSteps);
  const warm = np.minimum((momentStep ?? step.ref).mul(1 / warmup), 1);
  const progress = np.clip(step.sub(cfg.warmupSteps).mul(1 / decaySteps), 0, 1);
  const cosine = np.cos(progress.mul(Math.PI)).add(1).mul(0.5);
  const decay = cosine.mul(1 - cfg.minLrRatio).add(cfg.minLrRatio);
  // warm < 1 during warm-up (where decay is 1); afterwards warm is 1.
  return warm.mul(decay).mul(cfg.lr);
}

/** The L2 norm of all gradients together (a float32 scalar). Does not consume `grads`. */
export function globalNorm(grads: Params): np.Array {
  let total: np.Array | null = null;
  for (const g of Object.values(grads)) {
    const sq = np.sum(np.square(g.ref));
    total = total ? total.add(sq) : sq;
  }
  return np.sqrt(total ?? np.zeros([]));
}

/** Scales gradients so their global norm is at most `maxNorm`; returns them with the norm before clipping. */
export function clipByGlobalNorm(grads: Params, maxNorm: number): { grads: Params; norm: np.Array } {
  const norm = globalNorm(grads);
  if (maxNorm <= 0) return { grads, norm };
  const scale = np.minimum(np.reciprocal(norm.ref.add(1e-6)).mul(maxNorm), 1);
  const clipped: Params = {};
  for (const [k, g] of Object.entries(grads)) clipped[k] = g.mul(scale.ref);
  scale.dispose();
  return { grads: clipped, norm };
}

/**
 * One AdamW update with learning rate `lr` (scalar). `step` (float32 scalar, from 1) counts the
 * updates the moments in `state` have taken in, for the bias corrections: moments that start at zero
 * part-way through a schedule start this count at 1 again.
 * Consumes params, grads, state, step and lr; returns the new parameters and state.
 */
export function adamwUpdate(
  params: Params,
  grads: Params,
  state: AdamWState,
  step: np.Array,
  lr: np.Array,
  cfg: AdamWConfig,
  decays: (name: string, ndim: number) => boolean = decaysByDefault,
): { params: Params; state: AdamWState } {
  const { beta1: b1, beta2: b2 } = cfg;
  // Bias corrections 1 - beta^t, written with exp/log so they trace to plain primitives.
  const correction1 = np
    .exp(step.ref.mul(Math.log(b1)))
    .mul(-1)
    .add(1);
  const correction2 = np
    .exp(step.mul(Math.log(b2)))
    .mul(-1)
    .add(1);
  const stepSize = lr.ref.div(correction1); // lr / (1 - b1^t)
  const invCorrection2 = np.reciprocal(correction2);
  const out: Params = {};
  const m: Params = {};
  const v: Params = {};
  for (const [name, p] of Object.entries(params)) {
    const g = grads[name];
    m[name] = state.m[name].mul(b1).add(g.ref.mul(1 - b1));
    v[name] = state.v[name].mul(b2).add(np.square(g).mul(1 - b2));
    const denom = np.sqrt(v[name].ref.mul(invCorrection2.ref)).add(cfg.eps);
    const update = m[name].ref.div(denom).mul(stepSize.ref);
    const decayed =
      cfg.weightDecay > 0 && decays(name, p.ndim) ? p.ref.sub(p.mul(lr.ref).mul(cfg.weightDecay)) : p;
    out[name] = decayed.sub(update);
  }
  stepSize.dispose();
  invCorrection2.dispose();
  lr.dispose();
  return { params: out, state: { m, v } };
}
