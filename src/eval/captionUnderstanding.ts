// Caption understanding: how much of what a caption states does the caption encoder keep?
//
// A linear probe (ridge regression onto one-hot answers, argmax) reads each attribute a caption
// states (src/train/captionProbe.ts: motion direction, speed, colour, class, size, start place)
// from the pooled caption vector the DiT is conditioned on, fitted on 80 % of held-out level-0
// captions and scored on the rest. The same probe on plain word counts is the bar: an encoder that
// scores below bag-of-words has thrown away what the words carry, and no DiT can follow a word
// its caption vector does not hold. Cheap: no DiT, no sampling.
import { numpy as np } from '@jax-js/jax';
import type { ModelBundle } from '../models/bundle.ts';
import { encodeText, tokenizeBatch } from '../models/text.ts';
import { Rng } from '../nn/init.ts';
import { fromHostParams, type HostParams } from '../nn/params.ts';
import {
  type CaptionStyle,
  captionLabels,
  PROBED_ATTRIBUTES,
  type ProbedAttribute,
  UNLABELLED,
} from '../train/captionProbe.ts';
import { curriculumScene } from '../train/curriculum.ts';
import { captionScene } from '../world/captions.ts';
import { DIRECTION_VECTORS, DIRECTIONS } from '../world/spec.ts';
import { predict, ridge } from './linearProbe.ts';

export interface CaptionUnderstandingOptions {
  /** Held-out level-0 captions (80 % fit the probe, 20 % score it). */
  count: number;
  style: CaptionStyle;
}

export const DEFAULT_CAPTION_UNDERSTANDING: CaptionUnderstandingOptions = { count: 1500, style: 'detailed' };

export interface AttributeAccuracy {
  /** Probe on the pooled caption vector. */
  encoder: number;
  /** The same probe on word counts. */
  bagOfWords: number;
  /** Always answering the most common answer of the fitting set. */
  majority: number;
  /** Scored captions that state the attribute. */
  captions: number;
}

export type CaptionUnderstandingReport = Partial<Record<ProbedAttribute, AttributeAccuracy>>;

const BATCH = 100;
const RIDGE = 1e-2;

/** What the probe needs of a model: its caption encoder (under `text.` in the DiT) and tokenizer. */
export type CaptionModel = Pick<ModelBundle, 'preset' | 'dit' | 'tokenizer'>;

/** Held-out level-0 captions and what each states (seeds no training run draws). */
export function heldOutCaptions(options: CaptionUnderstandingOptions) {
  const shape = { width: 64, height: 64, frames: 17, fps: 8 };
  const captions: string[] = [];
  const labels: Record<ProbedAttribute, number>[] = [];
  for (let i = 0; i < options.count; i++) {
    const seed = (Rng.derive(0, `captions:${i}`).uniform() * 2 ** 31) >>> 0;
    const spec = curriculumScene(seed, 0, shape);
    captions.push(captionScene(spec, seed)[options.style]);
    labels.push(captionLabels(spec, options.style));
  }
  return { captions, labels };
}

export async function captionUnderstanding(
  model: CaptionModel,
  options: CaptionUnderstandingOptions = DEFAULT_CAPTION_UNDERSTANDING,
): Promise<CaptionUnderstandingReport> {
  const { captions, labels } = heldOutCaptions(options);
  const encoded = await pooledCaptions(model, captions);
  const counted = wordCounts(model, captions);
  const fit = Math.floor(captions.length * 0.8);
  const report: CaptionUnderstandingReport = {};
  for (const attribute of Object.keys(PROBED_ATTRIBUTES) as ProbedAttribute[]) {
    const answers = PROBED_ATTRIBUTES[attribute].length;
    const stated = labels.map((l, i) => [i, l[attribute]] as const).filter(([, a]) => a !== UNLABELLED);
    const fitting = stated.filter(([i]) => i < fit);
    const scoring = stated.filter(([i]) => i >= fit);
    if (!fitting.length || !scoring.length) continue;
    const frequency = new Array<number>(answers).fill(0);
    for (const [, a] of fitting) frequency[a]!++;
    const common = frequency.indexOf(Math.max(...frequency));
    const accuracy = (features: Float32Array[]) => {
      const weights = ridge(
        fitting.map(([i]) => features[i]!),
        fitting.map(([, a]) => a),
        answers,
        RIDGE,
      );
      const right = scoring.filter(([i, a]) => predict(weights, features[i]!) === a).length;
      return right / scoring.length;
    };
    report[attribute] = {
      encoder: accuracy(encoded),
      bagOfWords: accuracy(counted),
      majority: scoring.filter(([, a]) => a === common).length / scoring.length,
      captions: scoring.length,
    };
  }
  return report;
}

/** How one DiT head moves its rotary positions with the caption's stated direction. */
export interface MotionHead {
  block: number;
  head: number;
  /**
   * Mean cosine, over the eight compass directions, between the head's velocity for captions
   * stating that direction (less its mean over all eight) and the direction itself: 1 = the head
   * moves exactly the way captions say, 0 = unrelated. Says nothing of how fast: see `along`.
   */
  alignment: number;
  /** The same velocity's mean component along the stated direction, in tokens per latent frame. */
  along: number;
}

/**
 * What the co-moving rotary heads (`DitConfig.motionRotary`) read from captions: per block and
 * head, the velocity (row, column) of held-out captions grouped by the direction they state,
 * compared with that direction. Empty for a model without co-moving rotary positions.
 */
export async function captionMotionHeads(
  model: CaptionModel,
  options: CaptionUnderstandingOptions = DEFAULT_CAPTION_UNDERSTANDING,
): Promise<MotionHead[]> {
  const cfg = model.preset.dit;
  // A text-stage checkpoint's preset may have the layer while its weights are the encoder's alone.
  if (!cfg.motionRotary || !model.dit['blocks.0.motion.weight']) return [];
  const { captions, labels } = heldOutCaptions(options);
  const moving = labels
    .map((l, i) => [i, l.direction - 1] as const)
    .filter(([, d]) => d >= 0 && d < DIRECTIONS.length);
  const encoded = await pooledCaptions(
    model,
    moving.map(([i]) => captions[i]!),
  );
  // The velocity is linear in the pooled caption, so a direction's mean velocity is the velocity
  // of its mean caption, and the bias cancels against the mean over directions: each head only
  // needs the direction means, centred.
  const width = cfg.text.width;
  const stated = DIRECTIONS.flatMap((direction, d) => {
    const members = moving.flatMap(([, m], n) => (m === d ? [encoded[n]!] : []));
    if (!members.length) return [];
    const mean = new Float32Array(width);
    for (const p of members) for (let k = 0; k < width; k++) mean[k]! += p[k]! / members.length;
    return [{ vector: DIRECTION_VECTORS[direction], mean }];
  });
  if (!stated.length) return []; // no held-out caption states a straight direction
  const overall = new Float32Array(width);
  for (const { mean } of stated) for (let k = 0; k < width; k++) overall[k]! += mean[k]! / stated.length;
  const heads: MotionHead[] = [];
  for (let block = 0; block < cfg.depth; block++) {
    const weight = model.dit[`blocks.${block}.motion.weight`]!; // (textWidth, heads · (row, column))
    const outputs = 2 * cfg.heads;
    for (let head = 0; head < cfg.heads; head++) {
      let alignment = 0;
      let along = 0;
      for (const { vector, mean } of stated) {
        let row = 0; // the direction's velocity less the mean over directions
        let column = 0;
        for (let k = 0; k < width; k++) {
          row += (mean[k]! - overall[k]!) * weight.data[k * outputs + 2 * head]!;
          column += (mean[k]! - overall[k]!) * weight.data[k * outputs + 2 * head + 1]!;
        }
        const [dx, dy] = vector; // (column, row): right and down are positive
        const dot = column * dx + row * dy;
        alignment += dot / Math.max(1e-9, Math.hypot(row, column));
        along += dot;
      }
      heads.push({ block, head, alignment: alignment / stated.length, along: along / stated.length });
    }
  }
  return heads;
}

/** The text encoder's pooled vector of each caption: (captions) × (textWidth). */
export async function pooledCaptions(model: CaptionModel, captions: string[]): Promise<Float32Array[]> {
  const cfg = model.preset.dit.text;
  const textParams: HostParams = {};
  for (const [name, tensor] of Object.entries(model.dit))
    if (name.startsWith('text.')) textParams[name.slice('text.'.length)] = tensor;
  const length = model.tokenizer.maxLength;
  const out: Float32Array[] = [];
  for (let start = 0; start < captions.length; start += BATCH) {
    const chunk = captions.slice(start, start + BATCH);
    const tokens = tokenizeBatch(model.tokenizer, chunk, length);
    const {
      tokens: perToken,
      mask,
      pooled,
    } = encodeText(
      fromHostParams(textParams),
      cfg,
      np.array(tokens.ids, { shape: [chunk.length, length], dtype: np.int32 }),
      np.array(tokens.mask, { shape: [chunk.length, length] }),
    );
    perToken.dispose();
    mask.dispose();
    const values = new Float32Array(await pooled.data()); // (chunk, textWidth)
    for (let k = 0; k < chunk.length; k++) out.push(values.slice(k * cfg.width, (k + 1) * cfg.width));
  }
  return out;
}

/** How often each vocabulary word occurs in each caption: (captions) × (vocabulary). */
function wordCounts(model: CaptionModel, captions: string[]): Float32Array[] {
  const vocabulary = model.tokenizer.vocab.length;
  return captions.map((caption) => {
    const counts = new Float32Array(vocabulary);
    const tokens = tokenizeBatch(model.tokenizer, [caption], model.tokenizer.maxLength);
    tokens.ids.forEach((id, k) => {
      if (tokens.mask[k]) counts[id]!++;
    });
    return counts;
  });
}
