// Does the DiT carry the caption's class on the object's own tokens?
//
// A linear probe (src/eval/linearProbe.ts) reads the class of the object covering each token from
// the DiT's tokens after a block, for noisy latents of held-out level-0 stills under their
// detailed captions. It is fitted on the object tokens of half the stills and scored on the other
// half; 10 classes, chance 0.10. Then the same probe reads the scored tokens again with the caption
// naming another class: a model that takes the class from the caption follows the swapped word
// (accuracy against the true class falls towards 0), one that reads it from the picture does not.
// At high noise there is little picture to read, so the class can only come from the caption.
//
// Why: the tenth session found class at chance on the tokens of a model whose caption encoder
// holds it at 1.00 — the word never reached the tokens — and the token probe (src/train/tokenProbe.ts)
// is scored by exactly this (model card, "Class").
import { ensureJax } from '../engine/jax.ts';
import { OrtSession } from '../engine/session.ts';
import { tokenizeBatch } from '../models/text.ts';
import { Rng } from '../nn/init.ts';
import type { VideoPipeline } from '../pipeline/generate.ts';
import { denoiserGraph, type LatentShape } from '../pipeline/sessions.ts';
import { TOKEN_ANSWERS, tokenGridOf, tokenProbeBlock, tokenTargets } from '../train/tokenProbe.ts';
import { captionScene } from '../world/captions.ts';
import { renderClip } from '../world/render.ts';
import { curriculumOptions, sampleScene } from '../world/sample.ts';
import type { SceneSpec } from '../world/spec.ts';
import { predict, ridge } from './linearProbe.ts';
import { changedScene } from './sensitivity.ts';

export interface TokenClassOptions {
  /** Tokens are read after this many blocks (default: the middle, where the token probe trains). */
  block?: number;
  /** Noise levels (flow time, 1 = pure noise). */
  times: readonly number[];
  /** Held-out stills: half fit the probe, half score it. */
  count: number;
}

export const DEFAULT_TOKEN_CLASS: TokenClassOptions = { times: [0.7, 0.95], count: 160 };

export interface TokenClassResult {
  block: number;
  t: number;
  /** Probe accuracy on the scored object tokens under their true captions. */
  trueCaption: number;
  /** The same probe, the same tokens' true class, under a caption naming another class. */
  swappedCaption: number;
  /** Object tokens scored, and classes among them (chance = 1 / classes). */
  tokens: number;
  classes: number;
}

// Ridge strength for token features (width 192, ≈ 1 000 fitting rows): strong enough that the
// probe does not fit noise in tokens that carry nothing (the tenth session's measurements).
const RIDGE = 10;
const SIZE = 64;
const BATCH = 40;

export async function tokenClassProbe(
  pipeline: VideoPipeline,
  options: TokenClassOptions = DEFAULT_TOKEN_CLASS,
): Promise<TokenClassResult[]> {
  await ensureJax();
  const { model } = pipeline;
  const cfg = model.preset.dit;
  const block = options.block ?? tokenProbeBlock(cfg);
  const shape = { width: SIZE, height: SIZE, frames: 1, fps: 8 };
  const seeds = Array.from({ length: options.count }, (_, i) =>
    Math.floor(Rng.derive(0, `tokens:${i}`).uniform() * 2 ** 31),
  );
  const specs = seeds.map((seed) =>
    sampleScene(seed, { ...curriculumOptions(0, shape), motions: ['static'] }),
  );
  const clips = specs.map((spec, i) => renderClip(spec, seeds[i]!, { masks: true }));
  const grid = tokenGridOf(model.preset.autoencoder, cfg, shape);
  const perStill = grid.grid[0] * grid.grid[1] * grid.grid[2];
  const { tokenTarget } = tokenTargets(
    clips.map((clip, i) => ({ masks: clip.masks!, spec: specs[i]! })),
    grid,
    shape,
  );
  // Object tokens: those the objects cover more than the background, labelled by their main class.
  const objectTokens: { still: number; token: number; answer: number }[] = [];
  for (let still = 0; still < specs.length; still++) {
    for (let token = 0; token < perStill; token++) {
      const shares = tokenTarget.data.subarray(
        (still * perStill + token) * TOKEN_ANSWERS,
        (still * perStill + token + 1) * TOKEN_ANSWERS,
      );
      if (shares[0]! >= 0.5) continue;
      let answer = 1;
      for (let a = 2; a < TOKEN_ANSWERS; a++) if (shares[a]! > shares[answer]!) answer = a;
      objectTokens.push({ still, token, answer });
    }
  }
  const answers = [...new Set(objectTokens.map((o) => o.answer))].sort((a, b) => a - b);
  const clean: Float32Array[] = [];
  for (const clip of clips) clean.push(await pipeline.encodePixels(clip.pixels, SIZE, SIZE, 1));

  // Captions tokenized once: the same for every noise level.
  const length = model.tokenizer.maxLength;
  const tokenized = (scenes: readonly SceneSpec[]) => ({
    ...tokenizeBatch(
      model.tokenizer,
      scenes.map((spec, i) => captionScene(spec, seeds[i]!).detailed),
      length,
    ),
    length,
  });
  const trueCaptions = tokenized(specs);
  const swappedCaptions = tokenized(specs.map((spec) => changedScene(spec, 'class')!));
  const latentShape = pipeline.latentShape(SIZE, SIZE, 1);
  const session = await OrtSession.create(denoiserGraph(model, BATCH, latentShape, block).model);
  const fitting = objectTokens.filter((o) => o.still < options.count / 2);
  const scoring = objectTokens.filter((o) => o.still >= options.count / 2);
  const results: TokenClassResult[] = [];
  try {
    for (const t of options.times) {
      const noisy = clean.map((x0, i) => {
        const rng = new Rng(seeds[i]!);
        return x0.map((v) => (1 - t) * v + t * rng.normal());
      });
      const hidden = await tokensAfter(session, latentShape, t, noisy, trueCaptions);
      const hiddenSwapped = await tokensAfter(session, latentShape, t, noisy, swappedCaptions);
      const row = (tokens: Float32Array[], o: (typeof objectTokens)[number]) =>
        tokens[o.still]!.subarray(o.token * cfg.width, (o.token + 1) * cfg.width);
      const weights = ridge(
        fitting.map((o) => row(hidden, o)),
        fitting.map((o) => answers.indexOf(o.answer)),
        answers.length,
        RIDGE,
      );
      const accuracy = (tokens: Float32Array[]) =>
        scoring.filter((o) => answers[predict(weights, row(tokens, o))] === o.answer).length / scoring.length;
      results.push({
        block,
        t,
        trueCaption: accuracy(hidden),
        swappedCaption: accuracy(hiddenSwapped),
        tokens: scoring.length,
        classes: answers.length,
      });
    }
  } finally {
    await session.dispose();
  }
  return results;
}

/** The DiT's tokens after the session's block for each still: (tokens × width) per still. */
async function tokensAfter(
  session: OrtSession,
  latentShape: LatentShape,
  t: number,
  noisy: Float32Array[],
  captions: { ids: Int32Array; mask: Float32Array; length: number },
): Promise<Float32Array[]> {
  const out: Float32Array[] = [];
  const perLatent = noisy[0]!.length;
  const { length } = captions;
  const x = [BATCH, ...latentShape];
  for (let from = 0; from < noisy.length; from += BATCH) {
    // The graph has a fixed batch: the last chunk is padded by repeating the last still.
    const chunk = Array.from({ length: BATCH }, (_, k) => Math.min(from + k, noisy.length - 1));
    const latents = new Float32Array(BATCH * perLatent);
    const ids = new Int32Array(BATCH * length);
    const mask = new Float32Array(BATCH * length);
    for (const [k, i] of chunk.entries()) {
      latents.set(noisy[i]!, k * perLatent);
      ids.set(captions.ids.subarray(i * length, (i + 1) * length), k * length);
      mask.set(captions.mask.subarray(i * length, (i + 1) * length), k * length);
    }
    const hidden = await session.run({
      latents: { data: latents, shape: x },
      timestep: { data: new Float32Array(BATCH).fill(t), shape: [BATCH] },
      captionIds: { data: ids, shape: [BATCH, length] },
      captionMask: { data: mask, shape: [BATCH, length] },
      captionKeep: { data: new Float32Array(BATCH).fill(1), shape: [BATCH] },
      conditionLatents: { data: new Float32Array(latents.length), shape: x },
      conditionMask: { data: new Float32Array(BATCH * latentShape[0]), shape: [BATCH, latentShape[0]] },
    });
    const values = hidden.hidden!.data as Float32Array;
    const perStill = values.length / BATCH;
    for (let k = 0; k < Math.min(BATCH, noisy.length - from); k++)
      out.push(values.slice(k * perStill, (k + 1) * perStill));
  }
  return out;
}
