// Training clips: from the built-in world, rendered on the fly, or from shards on disk.
//
// Every clip of a run is a pure function of (run seed, step, index in batch), so a resumed run
// sees exactly the batches the uninterrupted run would have seen.

import { Rng } from '../nn/init.ts';
import { captionScene } from '../world/captions.ts';
import { renderClip } from '../world/render.ts';
import type { BackgroundKind, SceneSpec } from '../world/spec.ts';
import { type CaptionStyle, captionLabels, type ProbedAttribute } from './captionProbe.ts';
import { classNegativeScene } from './classNegatives.ts';
import { curriculumScene } from './curriculum.ts';
import type { ShardReader } from './shards.ts';
import type { ClipMasks } from './tokenProbe.ts';

export interface ClipBatch {
  /** Pixels scaled to [-1, 1]: (batch, frames, height, width, 3). */
  pixels: Float32Array;
  captions: string[];
  /** What each clip's caption states (world clips; undefined for shard clips), for the caption probe. */
  labels: (Record<ProbedAttribute, number> | undefined)[];
  /** Rendered ownership masks (world clips, when asked for), for the token probe. */
  masks?: (ClipMasks | undefined)[];
  /** The clips again with their first object's class swapped (world clips, when asked for), for
   *  contrastive flow matching: pixels as above, and which clips have one. */
  negatives?: { pixels: Float32Array; present: boolean[] };
  shape: [number, number, number, number, number];
}

export interface ClipSourceOptions {
  seed: number;
  width: number;
  height: number;
  frames: number;
  fps: number;
  /** Curriculum level (see curriculum.ts) and an optional tighter cap on objects per clip. */
  level: number;
  maxObjects?: number;
  /** The backgrounds drawn from, instead of the level's. */
  backgrounds?: readonly BackgroundKind[];
  /** A share of the clips drawn from another level instead. */
  mix?: { level: number; share: number };
  /**
   * Whether the model's tokenizer knows every word of a phrase: captions are then worded in its
   * vocabulary (a model's fixed tokenizer knows "grass" but not the captioner's "grassy meadow").
   */
  reads?: (phrase: string) => boolean;
}

/** The curriculum level of the clip with this seed: the run's, or for a share of clips the mixed-in one. */
export function clipLevel(opts: Pick<ClipSourceOptions, 'level' | 'mix'>, seed: number): number {
  if (!opts.mix) return opts.level;
  return Rng.derive(seed, 'level').uniform() < opts.mix.share ? opts.mix.level : opts.level;
}

/** Which caption style a training sample uses: mostly short and detailed, sometimes the long re-caption. */
function pickCaptionStyle(rng: Rng): CaptionStyle {
  const u = rng.uniform();
  return u < 0.45 ? 'short' : u < 0.9 ? 'detailed' : 'long';
}

/** A seed for clip `index` of batch `step`, mixed so neighbouring steps share nothing. */
export function clipSeed(runSeed: number, step: number, index: number): number {
  return (Rng.derive(runSeed, `clip:${step}:${index}`).uniform() * 2 ** 31) >>> 0;
}

/** What a world batch brings besides pixels and captions. */
export interface WorldBatchExtras {
  /** Each clip's ownership masks (the token probe's truth). */
  masks?: boolean;
  /** Each clip with another class (contrastive flow matching's negatives). */
  negatives?: boolean;
}

/** A batch of world clips, with the extras asked for. */
export function worldBatch(
  opts: ClipSourceOptions,
  step: number,
  batch: number,
  extras: WorldBatchExtras = {},
): ClipBatch {
  const { width, height, frames } = opts;
  const frameValues = frames * height * width * 3;
  const toUnit = (rgb: Uint8Array, out: Float32Array, b: number) => {
    for (let i = 0; i < frameValues; i++) out[b * frameValues + i] = rgb[i]! / 127.5 - 1;
  };
  const pixels = new Float32Array(batch * frameValues);
  const negatives = extras.negatives
    ? { pixels: new Float32Array(batch * frameValues), present: [] as boolean[] }
    : undefined;
  const { specs, seeds, captions, labels } = worldCaptionBatch(opts, step, batch);
  const masks: ClipMasks[] = [];
  specs.forEach((spec, b) => {
    const clip = renderClip(spec, seeds[b]!, { masks: extras.masks });
    toUnit(clip.pixels, pixels, b);
    if (extras.masks) masks.push({ masks: clip.masks!, spec });
    if (negatives) {
      const negative = classNegativeScene(spec, seeds[b]!);
      if (negative) toUnit(renderClip(negative, seeds[b]!, { captions: false }).pixels, negatives.pixels, b);
      negatives.present.push(negative !== undefined);
    }
  });
  return {
    pixels,
    captions,
    labels,
    shape: [batch, frames, height, width, 3],
    ...(extras.masks ? { masks } : {}),
    ...(negatives ? { negatives } : {}),
  };
}

/** The scenes and captions of a world batch without rendering them (what the text stage trains on). */
export function worldCaptionBatch(opts: ClipSourceOptions, step: number, batch: number) {
  const specs: SceneSpec[] = [];
  const seeds: number[] = [];
  const captions: string[] = [];
  const labels: Record<ProbedAttribute, number>[] = [];
  for (let b = 0; b < batch; b++) {
    const seed = clipSeed(opts.seed, step, b);
    const spec = curriculumScene(seed, clipLevel(opts, seed), opts, opts);
    const style = pickCaptionStyle(new Rng(seed ^ 0x5bd1e995));
    specs.push(spec);
    seeds.push(seed);
    captions.push(captionScene(spec, seed, { reads: opts.reads })[style]);
    labels.push(captionLabels(spec, style));
  }
  return { specs, seeds, captions, labels };
}

/**
 * A batch from a shard set (the world's export or a user's ingested videos). Records are drawn
 * at random, seeded by (run seed, step, index); each must already have the run's clip shape,
 * which `kinema data ingest --size --frames` produces.
 */
export function shardBatch(
  reader: ShardReader,
  opts: ClipSourceOptions,
  step: number,
  batch: number,
): ClipBatch {
  const { width, height, frames } = opts;
  const frameValues = frames * height * width * 3;
  const pixels = new Float32Array(batch * frameValues);
  const captions: string[] = [];
  for (let b = 0; b < batch; b++) {
    const rng = Rng.derive(opts.seed, `shard:${step}:${b}`);
    const index = Math.floor(rng.uniform() * reader.length);
    const record = reader.get(index);
    if (
      record.width !== width ||
      record.height !== height ||
      record.frames !== frames ||
      (record.channels ?? 3) !== 3
    ) {
      throw new ShardShapeError(
        `shard record ${index} is ${record.width}x${record.height}x${record.frames}; this run trains on ${width}x${height}x${frames} (ingest with --size ${width}x${height} --frames ${frames})`,
      );
    }
    const offset = b * frameValues;
    for (let i = 0; i < frameValues; i++) pixels[offset + i] = record.pixels[i]! / 127.5 - 1;
    const texts = Object.values(record.captions).filter((t) => t.trim().length > 0);
    captions.push(texts[Math.floor(rng.uniform() * texts.length)] ?? '');
  }
  return {
    pixels,
    captions,
    labels: captions.map(() => undefined),
    shape: [batch, frames, height, width, 3],
  };
}

export class ShardShapeError extends Error {
  override name = 'ShardShapeError';
  static readonly userError = true;
}

/** Captions of many world scenes, for training the tokenizer's vocabulary at the start of a run. */
export function worldCaptions(opts: ClipSourceOptions, count: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    const seed = clipSeed(opts.seed, -1, i);
    const spec = curriculumScene(seed, clipLevel(opts, seed), opts, opts);
    const c = captionScene(spec, seed);
    out.push(c.short, c.detailed, c.long);
  }
  return out;
}
