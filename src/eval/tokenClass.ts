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
import { numpy as np } from '@jax-js/jax';
import { ArraySpec, exportInference } from '../engine/export.ts';
import { ensureJax } from '../engine/jax.ts';
import { OrtSession } from '../engine/session.ts';
import { ditWithHidden } from '../models/dit.ts';
import { tokenizeBatch } from '../models/text.ts';
import { Rng } from '../nn/init.ts';
import { fromHostParams, withParams } from '../nn/params.ts';
import type { VideoPipeline } from '../pipeline/generate.ts';
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
  const swapped = specs.map((spec) => changedScene(spec, 'class')!);

  const latentShape = pipeline.latentShape(SIZE, SIZE, 1);
  const session = await hiddenTokenSession(model, block, latentShape);
  const fitting = objectTokens.filter((o) => o.still < options.count / 2);
  const scoring = objectTokens.filter((o) => o.still >= options.count / 2);
  const results: TokenClassResult[] = [];
  try {
    for (const t of options.times) {
      const noisy = clean.map((x0, i) => {
        const rng = new Rng(seeds[i]!);
        return x0.map((v) => (1 - t) * v + t * rng.normal());
      });
      const hidden = await tokensAfter(session, model, latentShape, t, noisy, specs, seeds);
      const hiddenSwapped = await tokensAfter(session, model, latentShape, t, noisy, swapped, seeds);
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

/** The DiT's tokens after `block` blocks for each still: (tokens × width) per still. */
async function tokensAfter(
  session: OrtSession,
  model: VideoPipeline['model'],
  latentShape: number[],
  t: number,
  noisy: Float32Array[],
  specs: readonly SceneSpec[],
  seeds: readonly number[],
): Promise<Float32Array[]> {
  const length = model.tokenizer.maxLength;
  const out: Float32Array[] = [];
  const perLatent = noisy[0]!.length;
  for (let from = 0; from < noisy.length; from += BATCH) {
    // The graph has a fixed batch: the last chunk is padded by repeating the last still.
    const chunk = Array.from({ length: BATCH }, (_, k) => Math.min(from + k, noisy.length - 1));
    const captions = chunk.map((i) => captionScene(specs[i]!, seeds[i]!).detailed);
    const tokens = tokenizeBatch(model.tokenizer, captions, length);
    const latents = new Float32Array(BATCH * perLatent);
    for (const [k, i] of chunk.entries()) latents.set(noisy[i]!, k * perLatent);
    const hidden = await session.run({
      latents: { data: latents, shape: [BATCH, ...latentShape] },
      timestep: { data: new Float32Array(BATCH).fill(t), shape: [BATCH] },
      captionIds: { data: tokens.ids, shape: [BATCH, length] },
      captionMask: { data: tokens.mask, shape: [BATCH, length] },
    });
    const values = hidden.hidden!.data as Float32Array;
    const perStill = values.length / BATCH;
    for (let k = 0; k < Math.min(BATCH, noisy.length - from); k++)
      out.push(values.slice(k * perStill, (k + 1) * perStill));
  }
  return out;
}

/** The DiT up to `block` as an ONNX graph (caption kept, nothing conditioned): tokens out. */
async function hiddenTokenSession(
  model: VideoPipeline['model'],
  block: number,
  latentShape: number[],
): Promise<OrtSession> {
  const cfg = model.preset.dit;
  const length = model.tokenizer.maxLength;
  const x = [BATCH, ...latentShape];
  const graph = exportInference(
    (latents: np.Array, timestep: np.Array, ids: np.Array, mask: np.Array) =>
      withParams(fromHostParams(model.dit), (p) => {
        const { velocity, hidden } = ditWithHidden(
          p,
          cfg,
          {
            latents,
            timestep,
            captionIds: ids,
            captionMask: mask,
            captionKeep: np.ones([BATCH]),
            conditionLatents: np.zeros(x),
            conditionMask: np.zeros([BATCH, latentShape[0]!]),
          },
          block,
        );
        velocity.dispose();
        return hidden!; // (batch, tokens, width)
      }),
    [
      new ArraySpec(x),
      new ArraySpec([BATCH]),
      new ArraySpec([BATCH, length], 'int32'),
      new ArraySpec([BATCH, length]),
    ],
    {
      argNames: ['latents', 'timestep', 'captionIds', 'captionMask'],
      outputNames: ['hidden'],
      name: 'kinema_dit_tokens',
    },
  );
  return OrtSession.create(graph.model);
}
