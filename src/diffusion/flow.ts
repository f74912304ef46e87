// Rectified flow (flow matching with straight paths), the DiT's training objective.
//
//   x_t = (1 − t) · x0 + t · noise,   t ∈ [0, 1]   (t = 0: data, t = 1: noise)
//   target velocity  v = dx_t/dt = noise − x0
//
// The model learns v(x_t, t, caption); sampling integrates dx/dt = v from t = 1 down to 0.
// Everything random (noise, timesteps, caption dropout, which frames are given clean) is drawn
// here in TypeScript from a seeded generator and passed in as arrays, so the loss is one pure,
// traceable function (params, batch) → scalar, which the ONNX exporter turns into a training step.
import { numpy as np } from '@jax-js/jax';
import { type DitConfig, ditWithHidden } from '../models/dit.ts';
import type { Rng } from '../nn/init.ts';
import { type ParamReader, type Params, withParams } from '../nn/params.ts';

/** One training batch for `ditLoss`; every field is consumed. */
export interface FlowBatch {
  /** Clean latents x0: (batch, frames, height, width, C). */
  latents: np.Array;
  /** Gaussian noise, same shape. */
  noise: np.Array;
  /** t per sample in (0, 1): (batch,). */
  timestep: np.Array;
  /** (batch, length) int32 token ids and (batch, length) mask. */
  captionIds: np.Array;
  captionMask: np.Array;
  /** 1 keeps the caption, 0 drops it for the null caption (classifier-free guidance): (batch,). */
  captionKeep: np.Array;
  /** 1 for latent frames shown clean (image-to-video, extension, loops), else 0: (batch, frames). */
  conditionMask: np.Array;
  /** Per-position loss weight, ≥ 1 on objects (see `objectLossWeights`): (batch, F, H, W, 1). */
  lossWeight: np.Array;
}

/** An auxiliary loss on the DiT's tokens after some blocks, added to the flow loss (src/train/tokenProbe.ts). */
export interface HiddenLoss {
  afterBlock: number;
  /** Consumes `hidden` (batch, tokens, d); returns a scalar, already weighted. */
  loss: (p: ParamReader, hidden: np.Array) => np.Array;
}

/**
 * Contrastive flow matching (ΔFM, Stoica et al. 2025) with chosen negatives: besides matching its
 * own target velocity, the prediction is pushed away from the velocity that would lead, from the
 * same noise, to a negative: the same clip with one thing changed that the caption states (another
 * class; src/train/classNegatives.ts). The loss becomes MSE(v, target) − λ · MSE(v, negative
 * target); for λ < 1 it stays convex in v, with its minimum moved past the target by
 * λ/(1 − λ) · (target − negative target): what the caption decides is slightly exaggerated, as
 * classifier-free guidance does at sampling, but along exactly that difference.
 */
export interface FlowNegatives {
  /** Clean latents of each sample's negative: (batch, F, H, W, C). */
  latents: np.Array;
  /** 1 where a sample has a negative, else 0: (batch,). */
  present: np.Array;
  /** λ in [0, 1). */
  weight: number;
}

/**
 * Mean squared error between predicted and target velocity, over the frames the model has to
 * generate (conditioning frames are given, so they carry no loss), weighted per position by
 * `lossWeight` and normalised by the weights' sum; minus the repulsion from `negatives` and plus
 * `hiddenLoss` where given. Consumes params and batch (and the negatives' arrays).
 */
export function ditLoss(
  params: Params,
  cfg: DitConfig,
  batch: FlowBatch,
  extras: { hiddenLoss?: HiddenLoss; negatives?: FlowNegatives } = {},
): np.Array {
  const { hiddenLoss, negatives } = extras;
  const { latents, noise, timestep, captionIds, captionMask, captionKeep, conditionMask, lossWeight } = batch;
  const [size, frames] = latents.shape;
  return withParams(params, (p) => {
    const t = timestep.ref.reshape([size, 1, 1, 1, 1]); // (batch, 1, 1, 1, 1)
    const noisy = latents.ref.mul(t.ref.mul(-1).add(1)).add(noise.ref.mul(t)); // x_t: (batch, F, H, W, C)
    // the negatives' target velocity: from the same noise to the negative clip
    const negativeTarget = negatives ? noise.ref.sub(negatives.latents) : undefined; // (batch, F, H, W, C)
    const target = noise.sub(latents.ref); // (batch, F, H, W, C)
    // Conditioning frames are shown clean in the noisy input too, as the sampler keeps them.
    const given = conditionMask.ref.reshape([size, frames, 1, 1, 1]); // (batch, F, 1, 1, 1)
    const input = noisy.mul(given.ref.mul(-1).add(1)).add(latents.ref.mul(given.ref)); // (batch, F, H, W, C)
    const { velocity, hidden } = ditWithHidden(
      p,
      cfg,
      {
        latents: input,
        timestep,
        captionIds,
        captionMask,
        captionKeep,
        conditionLatents: latents,
        conditionMask,
      },
      hiddenLoss?.afterBlock,
    ); // velocity: (batch, F, H, W, C)
    const squaredError = np.square((negativeTarget ? velocity.ref : velocity).sub(target)); // (batch, F, H, W, C)
    const generated = given.mul(-1).add(1); // (batch, F, 1, 1, 1): 1 where the frame is generated
    const weight = lossWeight.mul(generated); // (batch, F, H, W, 1)
    const channels = squaredError.shape[4]!;
    const total = squaredError.mul(weight.ref).sum();
    const count = weight.ref.sum().mul(channels).add(1e-6);
    let flow = total.div(count.ref); // scalar
    if (negatives && negativeTarget) {
      const present = negatives.present.reshape([size, 1, 1, 1, 1]); // (batch, 1, 1, 1, 1)
      const repel = np.square(velocity.sub(negativeTarget)).mul(weight.mul(present)).sum(); // scalar
      flow = flow.sub(repel.div(count).mul(negatives.weight));
    } else {
      weight.dispose();
      count.dispose();
    }
    return hidden && hiddenLoss ? flow.add(hiddenLoss.loss(p, hidden)) : flow;
  });
}

// ---------------------------------------------------------------------------------------------
// Seeded randomness for a batch (host side)

/**
 * Logit-normal t (SD3): sigmoid(mean + std·ε), then shifted towards noise as the sampler's
 * schedule is: t' = shift·t / (1 + (shift − 1)·t). Without the shift, t > 0.9 is drawn 1.4 % of
 * the time, yet that is where the caption alone must decide the clip's layout and colours and
 * where the shifted sampler spends most of its steps.
 *
 * `terminalFraction` of the samples are drawn from t ∈ [0.995, 1): almost pure noise. World clips
 * are so redundant (solid backgrounds over 18k latent values) that even at t = 0.95 the colours
 * can be read off x_t by averaging, so the caption is only ever needed at the very start of
 * sampling — which training otherwise never shows (measured: right, wrong and no caption gave
 * the same loss at every t after 2 400 steps, and samples ignored the prompt).
 *
 * The price of shift 3 with a quarter at the terminal: only ≈ 3 % of samples fall below t = 0.35,
 * where the sampler's last steps settle the objects' outlines. A list of shifts (e.g. [3, 1])
 * draws each sample's shift from it, so the low-noise end gets trained more.
 */
export function sampleTimesteps(
  rng: Rng,
  batch: number,
  opts: { mean?: number; std?: number; shift?: number | readonly number[]; terminalFraction?: number } = {},
): Float32Array {
  const { mean = 0, std = 1, shift = 1, terminalFraction = 0 } = opts;
  // Several shifts: each sample takes one of them at random (a mixture of the distributions). One
  // shift draws nothing more, so runs from before the mixture replay the same timesteps on resume.
  const shifts = typeof shift === 'number' ? [shift] : shift;
  const t = new Float32Array(batch);
  for (let i = 0; i < batch; i++) {
    if (rng.uniform() < terminalFraction) {
      t[i] = 1 - 0.005 * rng.uniform();
      continue;
    }
    const u = 1 / (1 + Math.exp(-(mean + std * rng.normal())));
    const s = shifts.length === 1 ? shifts[0]! : shifts[Math.floor(rng.uniform() * shifts.length)]!;
    t[i] = (s * u) / (1 + (s - 1) * u);
  }
  return t;
}

/** How a value's distance from its frame's background becomes an object weight. */
export interface ObjectRamp {
  /** Distance below which a position is background (weight 1). */
  from: number;
  /** Distance from which it is fully object (weight 1 + objectWeight). */
  to: number;
  /** Half-width of the square max filter that widens objects to their border, in positions. */
  radius: number;
}

/**
 * For latents at unit variance: compression noise on flat backgrounds reaches ≈ 0.7 at the 90th
 * percentile, so the ramp starts at 0.5 and is full at 2; one latent position (4 pixels) of border.
 */
export const LATENT_OBJECT_RAMP: ObjectRamp = { from: 0.5, to: 2, radius: 1 };

/**
 * Per-position loss weights that make objects count: 1 on the background, up to 1 + `objectWeight`
 * where a value differs from its frame's background. World objects cover 2–5 % of the latent
 * positions, so with a plain mean the DiT learned backgrounds and never drew an object (x0 predicted
 * at t = 0.95 held no trace of the captioned shape, and samples were empty backdrops).
 *
 * The background of a frame is its per-channel median over positions; a position's distance from
 * it ramps the weight (`ramp`), then a square max filter widens it to the object's border. Works on
 * any clip, world or real video, latents or pixels: no masks needed.
 * values: (batch, F, H, W, C) → weights (batch, F, H, W, 1).
 */
export function objectLossWeights(
  values: Float32Array,
  shape: readonly number[],
  objectWeight: number,
  ramp: ObjectRamp = LATENT_OBJECT_RAMP,
): Float32Array {
  const [batch, frames, height, width, channels] = shape as [number, number, number, number, number];
  const positions = height * width;
  const weights = new Float32Array(batch * frames * positions).fill(1);
  if (objectWeight === 0) return weights;
  const column = new Float32Array(positions);
  const median = new Float32Array(channels);
  const raw = new Float32Array(positions);
  const rows = new Float32Array(positions); // the max filter, separable: along x, then along y
  const r = ramp.radius;
  for (let frame = 0; frame < batch * frames; frame++) {
    const base = frame * positions * channels;
    for (let c = 0; c < channels; c++) {
      for (let i = 0; i < positions; i++) column[i] = values[base + i * channels + c]!;
      median[c] = selectInPlace(column, positions >> 1);
    }
    for (let i = 0; i < positions; i++) {
      let squared = 0;
      for (let c = 0; c < channels; c++) squared += (values[base + i * channels + c]! - median[c]!) ** 2;
      raw[i] = Math.min(1, Math.max(0, (Math.sqrt(squared) - ramp.from) / (ramp.to - ramp.from)));
    }
    for (let y = 0; y < height; y++)
      for (let x = 0; x < width; x++) {
        let widest = 0;
        for (let xx = Math.max(0, x - r); xx <= Math.min(width - 1, x + r); xx++)
          widest = Math.max(widest, raw[y * width + xx]!);
        rows[y * width + x] = widest;
      }
    for (let y = 0; y < height; y++)
      for (let x = 0; x < width; x++) {
        let widest = 0;
        for (let yy = Math.max(0, y - r); yy <= Math.min(height - 1, y + r); yy++)
          widest = Math.max(widest, rows[yy * width + x]!);
        weights[frame * positions + y * width + x] = 1 + objectWeight * widest;
      }
  }
  return weights;
}

/**
 * The k-th smallest value of `values` (what sorting would put at index k), found by quickselect in
 * linear time on average; reorders `values`. A full sort of every channel of every frame cost
 * ~130 ms per batch of 8 clips of 64×64×17 pixels, a tenth of a decoder training step.
 */
function selectInPlace(values: Float32Array, k: number): number {
  let low = 0;
  let high = values.length - 1;
  while (low < high) {
    const pivot = values[(low + high) >> 1]!;
    let i = low;
    let j = high;
    while (i <= j) {
      while (values[i]! < pivot) i++;
      while (values[j]! > pivot) j--;
      if (i <= j) {
        const t = values[i]!;
        values[i++] = values[j]!;
        values[j--] = t;
      }
    }
    if (k <= j) high = j;
    else if (k >= i) low = i;
    else break;
  }
  return values[k]!;
}

/** Standard normal values. */
export function sampleNoise(rng: Rng, count: number): Float32Array {
  const noise = new Float32Array(count);
  for (let i = 0; i < count; i++) noise[i] = rng.normal();
  return noise;
}

/** Below this t a swapped input would need a noise far from Gaussian ((1 − t)/t > 1). */
export const SWAP_MIN_TIMESTEP = 0.5;

/**
 * Class-swapped noisy inputs (`train --class-swap-input`): for each chosen sample, rewrite its
 * noise so that the noisy input shows the sample's negative (the same clip with another class,
 * src/train/classNegatives.ts) while the target stays the sample itself:
 *
 *   noise' = noise + (1 − t)/t · (negative − x0)
 *   x_t    = (1 − t) · x0 + t · noise' = (1 − t) · negative + t · noise
 *   x_t − t · (noise' − x0) = x0      (the loss's own target velocity, noise' − x0, leads to x0)
 *
 * Why. At mid noise the input shows the object's shape, so the plain loss never needs the class
 * word there, and when sampling the input at mid noise is the model's own blob, which it then
 * sharpens into whatever shape the blob suggests. Showing another class's shape in the input and
 * asking for the caption's makes the word decide the shape. Callers choose only samples with
 * t ≥ `SWAP_MIN_TIMESTEP`: (1 − t)/t grows without bound as t → 0. In place on `noise`.
 * noise, latents, negatives: (batch, F, H, W, C); timesteps, chosen: (batch,).
 */
export function swapNoisyInputs(
  noise: Float32Array,
  latents: ArrayLike<number>,
  negatives: ArrayLike<number>,
  timesteps: ArrayLike<number>,
  chosen: readonly boolean[],
): void {
  const perSample = noise.length / timesteps.length;
  chosen.forEach((swap, b) => {
    if (!swap) return;
    const t = timesteps[b]!;
    const factor = (1 - t) / t;
    for (let i = b * perSample; i < (b + 1) * perSample; i++)
      noise[i]! += factor * (negatives[i]! - latents[i]!);
  });
}

/** Per-sample caption keep flags: 0 with probability `dropProbability` (caption dropout for CFG). */
export function sampleCaptionKeep(rng: Rng, batch: number, dropProbability: number): Float32Array {
  const keep = new Float32Array(batch);
  for (let i = 0; i < batch; i++) keep[i] = rng.uniform() < dropProbability ? 0 : 1;
  return keep;
}

export interface ConditioningProbabilities {
  /** First latent frame given (image-to-video). */
  firstFrame: number;
  /** A prefix of 1..F/2 latent frames given (extension). */
  prefix: number;
  /** First and last frames given (connection, loops when both are the same image). */
  firstAndLast: number;
}

export const DEFAULT_CONDITIONING: ConditioningProbabilities = {
  firstFrame: 0.1,
  prefix: 0.05,
  firstAndLast: 0.05,
};

/**
 * Which latent frames each sample shows clean: (batch, frames) flags. Most samples get none
 * (plain text-to-video); the rest teach the tasks that reuse this model.
 */
export function sampleConditionMask(
  rng: Rng,
  batch: number,
  frames: number,
  probabilities: ConditioningProbabilities = DEFAULT_CONDITIONING,
): Float32Array {
  const mask = new Float32Array(batch * frames);
  if (frames < 2) return mask; // a still image has nothing to condition on
  for (let b = 0; b < batch; b++) {
    const u = rng.uniform();
    const row = mask.subarray(b * frames, (b + 1) * frames);
    if (u < probabilities.firstFrame) {
      row[0] = 1;
    } else if (u < probabilities.firstFrame + probabilities.prefix) {
      row.fill(1, 0, 1 + Math.floor(rng.uniform() * Math.max(1, Math.floor(frames / 2))));
    } else if (u < probabilities.firstFrame + probabilities.prefix + probabilities.firstAndLast) {
      row[0] = 1;
      row[frames - 1] = 1;
    }
  }
  return mask;
}
