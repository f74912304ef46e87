// Named model sizes, like DiT's `DiT_models`: one entry fixes the autoencoder, the caption encoder
// and the DiT together, plus the clip shape it is meant to train on.
//
// Sizing rule (DESIGN.md §4–5): the exported training step runs in ONNX Runtime at roughly
// 100 GFLOP/s on the 2-core machine, and a step should take about a second or less at batch 8.
// `ditTrainingFlops` gives the arithmetic; the presets' comments quote it.
import { countParams } from '../nn/params.ts';
import { type AutoencoderConfig, autoencoderParamSpec, latentFrameCount } from './autoencoder.ts';
import { type DitConfig, ditParamSpec } from './dit.ts';

export interface ClipShape {
  width: number;
  height: number;
  /** Pixel frames: 1 + 2k. */
  frames: number;
}

export interface ModelPreset {
  name: string;
  description: string;
  autoencoder: AutoencoderConfig;
  dit: DitConfig;
  /** What it trains on by default. */
  training: ClipShape & { batch: number };
}

const TEXT_BASE = { vocabSize: 512, maxLength: 32, mlpRatio: 4 };

/**
 * The default: 64x64x17 clips → 9x16x16x16 latents → 576 tokens. About 70 GFLOP per training
 * step at batch 8 (≈ 0.7 s at 100 GFLOP/s). 16 latent channels, not 8: measured with the oracle,
 * an 8-channel autoencoder's own round trip loses the object's shape (class 0.24 on held-out
 * level-0 clips, so no DiT on its latents could pass the class floor); 16 keeps more of it.
 */
const SMALL: ModelPreset = {
  name: 'small',
  description: 'default: 64x64x17 clips, d=192, 4 blocks, 576 tokens',
  autoencoder: {
    latentChannels: 16,
    patchSize: 4,
    temporalPatch: 2,
    hidden: 128,
    mixBlocks: 1,
    decoderSpacetimeBlocks: 2,
    latentScale: 1,
  },
  dit: {
    latentChannels: 16,
    patch: [1, 2, 2],
    width: 192,
    depth: 4,
    heads: 3,
    mlpRatio: 4,
    timestepFeatures: 256,
    ropeTheta: 100,
    framePositions: 4,
    timePositions: 4,
    frameConditioning: 4,
    motionRotary: true,
    text: { ...TEXT_BASE, width: 128, depth: 2, heads: 4 },
  },
  training: { width: 64, height: 64, frames: 17, batch: 8 },
};

/**
 * The small preset with its DiT at another width (same depth, heads, caption encoder and
 * autoencoder): the members of the scaling study (bench/scaling.ts), which trains each from
 * scratch on the shipped autoencoder and caption encoder for the same compute.
 */
function smallAtWidth(width: number): ModelPreset {
  const preset = structuredClone(SMALL);
  preset.name = `small-${width}`;
  preset.description = `the small model with a d=${width} DiT (scaling study)`;
  preset.dit.width = width;
  return preset;
}

/**
 * The small preset with more DiT blocks. A run `--init-from` a small model grows into it: the
 * model's blocks keep their weights and the new ones are appended as identities (adaLN-zero gates,
 * zero-initialised cross-attention output), so training starts from the model's own samples.
 */
function smallAtDepth(depth: number): ModelPreset {
  const preset = structuredClone(SMALL);
  preset.name = `small-${depth}blocks`;
  preset.description = `the small model with ${depth} DiT blocks (grown from a small model)`;
  preset.dit.depth = depth;
  return preset;
}

export const PRESETS = {
  /** For tests: runs a training step in milliseconds in jax-js. */
  tiny: {
    name: 'tiny',
    description: 'test-sized: 16x16x5 clips, d=32, 2 blocks',
    autoencoder: {
      latentChannels: 4,
      patchSize: 4,
      temporalPatch: 2,
      hidden: 32,
      mixBlocks: 1,
      decoderSpacetimeBlocks: 1,
      latentScale: 1,
    },
    dit: {
      latentChannels: 4,
      patch: [1, 2, 2],
      width: 32,
      depth: 2,
      heads: 2,
      mlpRatio: 2,
      timestepFeatures: 32,
      ropeTheta: 100,
      // the small preset's position, time and motion pathways, so the executor tests cover them
      framePositions: 2,
      timePositions: 2,
      frameConditioning: 2,
      motionRotary: true,
      text: { ...TEXT_BASE, width: 32, depth: 1, heads: 2, mlpRatio: 2 },
    },
    training: { width: 16, height: 16, frames: 5, batch: 4 },
  },
  small: SMALL,
  'small-96': smallAtWidth(96),
  'small-144': smallAtWidth(144),
  'small-6blocks': smallAtDepth(6),
  /** For a GPU or long CPU runs: about 4.5x the small step. */
  base: {
    name: 'base',
    description: 'larger: 64x64x17 clips, d=384, 8 blocks',
    autoencoder: {
      latentChannels: 8,
      patchSize: 4,
      temporalPatch: 2,
      hidden: 192,
      mixBlocks: 2,
      latentScale: 1,
    },
    dit: {
      latentChannels: 8,
      patch: [1, 2, 2],
      width: 384,
      depth: 8,
      heads: 6,
      mlpRatio: 4,
      timestepFeatures: 256,
      ropeTheta: 100,
      text: { ...TEXT_BASE, width: 192, depth: 3, heads: 3 },
    },
    training: { width: 64, height: 64, frames: 17, batch: 8 },
  },
} satisfies Record<string, ModelPreset>;

export type PresetName = keyof typeof PRESETS;

export function getPreset(name: string): ModelPreset {
  const preset = (PRESETS as Record<string, ModelPreset>)[name];
  if (!preset) throw new Error(`unknown model preset "${name}" (known: ${Object.keys(PRESETS).join(', ')})`);
  // A deep copy, so callers may adjust it (e.g. latentScale) without touching the registry.
  return structuredClone(preset);
}

// ---------------------------------------------------------------------------------------------
// Arithmetic

/** Floating-point operations (multiply and add counted separately) of one DiT forward pass. */
export function ditForwardFlops(
  cfg: DitConfig,
  autoencoder: AutoencoderConfig,
  clip: ClipShape,
  batch: number,
): number {
  const latentFrames = latentFrameCount(autoencoder, clip.frames);
  const [pf, ph, pw] = cfg.patch;
  const tokens =
    (latentFrames / pf) *
    (clip.height / autoencoder.patchSize / ph) *
    (clip.width / autoencoder.patchSize / pw);
  const d = cfg.width;
  const length = cfg.text.maxLength; // upper bound: captions are padded to the batch's longest
  const patchValues = pf * ph * pw;
  const perBlock =
    2 * tokens * d * 3 * d + // qkv
    2 * tokens * d * d + // attention output
    4 * tokens * tokens * d + // scores and weighted sum
    2 * tokens * d * d * 2 + // cross-attention q and output
    2 * length * d * 2 * d + // cross-attention keys and values
    4 * tokens * length * d + // cross-attention scores and sum
    4 * tokens * d * d * cfg.mlpRatio; // MLP
  const t = cfg.text;
  const textFlops =
    t.depth * (2 * length * t.width * t.width * (4 + 2 * t.mlpRatio) + 4 * length * length * t.width);
  const io =
    2 * tokens * patchValues * (2 * cfg.latentChannels + 1) * d +
    2 * tokens * d * patchValues * cfg.latentChannels;
  return batch * (cfg.depth * perBlock + textFlops + io);
}

/** One training step ≈ forward + backward (2× forward) + optimizer (≈ 10 per parameter). */
export function ditTrainingFlops(
  preset: ModelPreset,
  clip: ClipShape = preset.training,
  batch = preset.training.batch,
) {
  const forward = ditForwardFlops(preset.dit, preset.autoencoder, clip, batch);
  return 3 * forward + 10 * countParams(ditParamSpec(preset.dit));
}

/** Parameter counts of a preset's networks. */
export function presetParameterCounts(preset: ModelPreset): {
  autoencoder: number;
  dit: number;
  text: number;
} {
  const dit = ditParamSpec(preset.dit);
  const text = Object.keys(dit)
    .filter((name) => name.startsWith('text.'))
    .reduce((sum, name) => sum + dit[name].shape.reduce((a, b) => a * b, 1), 0);
  return {
    autoencoder: countParams(autoencoderParamSpec(preset.autoencoder)),
    dit: countParams(dit) - text,
    text,
  };
}
