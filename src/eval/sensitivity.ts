// Caption sensitivity: does the DiT use a word at all? For held-out prompts, the clean clip is
// noised to a high t, and the DiT's one-step estimate of the clean latents (x0 = x_t − t·v) is
// compared with the truth under the true caption and under the caption of the same scene with one
// attribute changed (the object's colour, class or motion direction). Where only the caption can
// decide (t near 1), a model that follows that word does worse with the wrong one: the ratio of
// the two errors is > 1. A ratio of 1 means the word is ignored, whatever the samples look like.
//
// This needs no sampling and no oracle, so it is cheap (a few DiT evaluations per prompt) and it
// separates "the model cannot draw X" from "the model does not listen to X". The error is
// object-weighted as in training (objectLossWeights), so a small object counts. The error under
// the true caption alone, per noise level, is reported too: how well the DiT denoises at each t.
import { objectLossWeights } from '../diffusion/flow.ts';
import { type Tokenizer, tokenizeBatch } from '../models/text.ts';
import { Rng } from '../nn/init.ts';
import type { VideoPipeline } from '../pipeline/generate.ts';
import { DenoiserSession } from '../pipeline/sessions.ts';
import { captionScene } from '../world/captions.ts';
import { CLASSES } from '../world/classes.ts';
import { renderClip } from '../world/render.ts';
import { COLOR_NAMES, type ColorName, type Direction, type SceneSpec } from '../world/spec.ts';
import { evalPrompts } from './suite.ts';

export const SENSITIVITY_ATTRIBUTES = ['color', 'class', 'direction'] as const;
export type SensitivityAttribute = (typeof SENSITIVITY_ATTRIBUTES)[number];

export interface SensitivityOptions {
  /** Held-out level-0 prompts to try (those without the attribute are skipped). */
  count: number;
  /** Noise levels (flow time, 1 = pure noise) at which the estimates are compared. */
  times: readonly number[];
  width: number;
  height: number;
  frames: number;
  fps: number;
}

export const DEFAULT_SENSITIVITY: SensitivityOptions = {
  count: 20,
  times: [0.9, 0.99],
  width: 64,
  height: 64,
  frames: 17,
  fps: 8,
};

export interface SensitivityReport {
  /** Per attribute and time: mean error with the changed caption over mean error with the true one. */
  ratios: Record<SensitivityAttribute, Record<string, number | null>>;
  /** Prompts used per attribute. */
  prompts: Record<SensitivityAttribute, number>;
  /**
   * Per time: the one-step x0 error under the true caption, object-weighted, per latent value,
   * over the prompts used (how well the DiT denoises at each noise level, words aside).
   */
  errors: Record<string, number | null>;
}

const SHAPE_CLASSES = CLASSES.filter((c) => c.kind === 'shape').map((c) => c.name);

const OPPOSITE: Record<Direction, Direction> = {
  right: 'left',
  left: 'right',
  up: 'down',
  down: 'up',
  'up-right': 'down-left',
  'down-left': 'up-right',
  'up-left': 'down-right',
  'down-right': 'up-left',
};

/** The scene with one attribute of its first object changed, or undefined where it does not apply. */
export function changedScene(spec: SceneSpec, attribute: SensitivityAttribute): SceneSpec | undefined {
  const [object, ...rest] = spec.objects;
  if (!object) return undefined;
  const motion = object.motion;
  switch (attribute) {
    case 'color': {
      // the colour after it in the list that is neither its own nor the background's
      const taken = new Set<string>([
        object.color ?? '',
        spec.background.color ?? '',
        spec.background.color2 ?? '',
      ]);
      const start = COLOR_NAMES.indexOf(object.color as ColorName);
      for (let k = 1; k <= COLOR_NAMES.length; k++) {
        const color = COLOR_NAMES[(start + k * 5) % COLOR_NAMES.length]!; // 5 steps: far in hue
        if (!taken.has(color)) return { ...spec, objects: [{ ...object, color }, ...rest] };
      }
      return undefined;
    }
    case 'class': {
      // another drawn shape, half the list away (ball ↔ ring, square ↔ cross, …)
      const at = SHAPE_CLASSES.indexOf(object.class);
      if (at < 0) return undefined;
      const other = SHAPE_CLASSES[(at + Math.floor(SHAPE_CLASSES.length / 2)) % SHAPE_CLASSES.length]!;
      return { ...spec, objects: [{ ...object, class: other }, ...rest] };
    }
    case 'direction': {
      if (motion.kind !== 'linear' || !motion.direction) return undefined;
      return {
        ...spec,
        objects: [{ ...object, motion: { ...motion, direction: OPPOSITE[motion.direction] } }, ...rest],
      };
    }
  }
}

/**
 * The clean latents x_t is taken to (noisy with `seed` from `x0` at time t), and the DiT's one-step
 * estimate of them under a caption: x0 ≈ x_t − t·v. Latents of one clip, (frames, height, width, C).
 */
export async function oneStepEstimate(
  denoiser: DenoiserSession,
  tokenizer: Tokenizer,
  x0: Float32Array,
  frames: number,
  t: number,
  caption: string,
  seed: number,
): Promise<Float32Array> {
  const tokens = tokenizeBatch(tokenizer, [caption], tokenizer.maxLength);
  const rng = new Rng(seed);
  const noisy = new Float32Array(x0.length);
  for (let i = 0; i < x0.length; i++) noisy[i] = (1 - t) * x0[i]! + t * rng.normal();
  const velocity = await denoiser.run({
    latents: noisy,
    timestep: Float32Array.of(t),
    captionIds: tokens.ids,
    captionMask: tokens.mask,
    captionKeep: Float32Array.of(1),
    conditionLatents: new Float32Array(x0.length),
    conditionMask: new Float32Array(frames),
  });
  const estimate = new Float32Array(x0.length);
  for (let i = 0; i < x0.length; i++) estimate[i] = noisy[i]! - t * velocity[i]!;
  return estimate;
}

export async function captionSensitivity(
  pipeline: VideoPipeline,
  options: SensitivityOptions = DEFAULT_SENSITIVITY,
): Promise<SensitivityReport> {
  const { width, height, frames } = options;
  const model = pipeline.model;
  const shape = pipeline.latentShape(width, height, frames); // (frames, height, width, channels) of latents
  const count = shape.reduce((a, b) => a * b, 1);
  const denoiser = await DenoiserSession.create(model, 1, shape);
  const prompts = evalPrompts({ ...options, level: 0, captionStyle: 'detailed' });
  const sums = Object.fromEntries(
    SENSITIVITY_ATTRIBUTES.map((a) => [a, options.times.map(() => ({ truth: 0, changed: 0 }))]),
  ) as Record<SensitivityAttribute, { truth: number; changed: number }[]>;
  const used = Object.fromEntries(SENSITIVITY_ATTRIBUTES.map((a) => [a, 0])) as Record<
    SensitivityAttribute,
    number
  >;
  const truthSums = options.times.map(() => 0);
  let truthPrompts = 0;

  // Object-weighted squared error of the one-step x0 estimate from x_t under a caption.
  const error = async (x0: Float32Array, weights: Float32Array, caption: string, t: number, seed: number) => {
    const estimate = await oneStepEstimate(denoiser, model.tokenizer, x0, shape[0], t, caption, seed);
    const channels = shape[3];
    let sum = 0;
    for (let i = 0; i < count; i++) sum += weights[Math.floor(i / channels)]! * (estimate[i]! - x0[i]!) ** 2;
    return sum;
  };

  try {
    for (const { seed, spec, prompt } of prompts) {
      const changes = SENSITIVITY_ATTRIBUTES.map((a) => [a, changedScene(spec, a)] as const).filter(
        (entry): entry is readonly [SensitivityAttribute, SceneSpec] => entry[1] !== undefined,
      );
      if (!changes.length) continue;
      const x0 = await pipeline.encodePixels(renderClip(spec, seed).pixels, width, height, frames);
      const weights = objectLossWeights(x0, [1, ...shape], 8); // (frames·height·width) positions
      // The same noise (seed + k) under every caption: only the words differ.
      const truth: number[] = [];
      for (const [k, t] of options.times.entries()) truth.push(await error(x0, weights, prompt, t, seed + k));
      for (const [k, e] of truth.entries()) truthSums[k]! += e;
      truthPrompts++;
      for (const [attribute, changed] of changes) {
        const wrongCaption = captionScene(changed, seed).detailed;
        for (const [k, t] of options.times.entries()) {
          sums[attribute][k]!.truth += truth[k]!;
          sums[attribute][k]!.changed += await error(x0, weights, wrongCaption, t, seed + k);
        }
        used[attribute]++;
      }
    }
  } finally {
    await denoiser.dispose();
  }
  const ratios = Object.fromEntries(
    SENSITIVITY_ATTRIBUTES.map((a) => [
      a,
      Object.fromEntries(
        options.times.map((t, k) => [String(t), used[a] ? sums[a][k]!.changed / sums[a][k]!.truth : null]),
      ),
    ]),
  ) as SensitivityReport['ratios'];
  const errors = Object.fromEntries(
    options.times.map((t, k) => [String(t), truthPrompts ? truthSums[k]! / (truthPrompts * count) : null]),
  );
  return { ratios, prompts: used, errors };
}
