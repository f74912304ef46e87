// Token probe: an auxiliary loss that makes the DiT's own tokens say which object class covers them.
//
// Why. The DiT draws the stated colour and motion but not the stated class (class 0.09 on level 0;
// `eval sensitivity` 1.12 for class against 1.74 for colour at t = 0.7): its one-step estimates of
// a still's clean latents at t = 0.7 are the same blob for every class, under the true caption and
// under another class's, though the caption encoder holds the class (probe 1.00) and a class
// changes half of an object's latent energy. The diffusion loss alone has not taught the middle of
// the network to carry "this is a star" to the object's tokens in 30 000 steps. REPA (Yu et al.,
// 2024) sped DiT training up many times by supervising a middle block's tokens with a pretrained
// encoder's features; the world gives the semantics exactly, so here the supervision is the truth.
//
// What. A small MLP reads each token after the middle block and predicts the share of the token's
// pixels that each class covers (background as one more answer), with cross-entropy against the
// rendered masks. Object tokens weigh more, as in the diffusion loss. With `cells` > 1 it answers
// for each of cells × cells parts of the token instead, down to single pixels: then the tokens must
// hold the object's silhouette, its class in place, which is what the layers after them draw. The
// head is training-only: `weights pack` leaves it out. Shard clips carry no masks and are not probed.
//
// Measured (tenth session, weight 0.2, 3 966 steps from the default model): a linear probe reads the
// caption's class from the middle block's tokens at 0.99 (at chance before), but samples do not yet
// draw it, and that run lost background colours on hand-written prompts — its caption encoder had
// drifted, which `--freeze-text` now prevents. Eleventh session, with the encoder frozen: with class
// contrast on top, class in samples 0.06 → 0.11 (shipped); per pixel (cells 8, 1 981 steps at half
// the machine) the head named the right class for 0.77 of object pixels but samples did not change.
// See the model card.
import { nn, type numpy as np } from '@jax-js/jax';
import { ArraySpec } from '../engine/export.ts';
import { type AutoencoderConfig, latentFrameCount } from '../models/autoencoder.ts';
import type { DitConfig } from '../models/dit.ts';
import type { ParamSpec } from '../nn/init.ts';
import { xavier, zeros } from '../nn/init.ts';
import { linear, silu } from '../nn/layers.ts';
import type { ParamReader } from '../nn/params.ts';
import { CLASSES, classByName } from '../world/classes.ts';
import type { SceneSpec } from '../world/spec.ts';

/** The parameter names of the head all start with this. */
export const TOKEN_PROBE_PREFIX = 'tokenProbe.';

/** Answers per token: background, then every class in CLASSES order. */
export const TOKEN_ANSWERS = 1 + CLASSES.length;

/** Extra weight of a token wholly covered by objects (the diffusion loss's object weight is 8). */
const OBJECT_TOKEN_WEIGHT = 7;

/** The block after which tokens are probed: the middle of the network, as REPA's early-middle layer. */
export function tokenProbeBlock(cfg: DitConfig): number {
  return Math.ceil(cfg.depth / 2);
}

/**
 * Head: width → width → answers for each of cells × cells parts of the token (REPA's projector is
 * an MLP too). One cell asks which classes cover the token; more ask where inside it each class
 * lies, down to single pixels at cells = the token's side in pixels: the object's silhouette.
 */
export function tokenProbeParamSpec(width: number, cells = 1): ParamSpec {
  return {
    [`${TOKEN_PROBE_PREFIX}fc1.weight`]: { shape: [width, width], init: xavier },
    [`${TOKEN_PROBE_PREFIX}fc1.bias`]: { shape: [width], init: zeros },
    [`${TOKEN_PROBE_PREFIX}fc2.weight`]: { shape: [width, cells * cells * TOKEN_ANSWERS], init: xavier },
    [`${TOKEN_PROBE_PREFIX}fc2.bias`]: { shape: [cells * cells * TOKEN_ANSWERS], init: zeros },
  };
}

/** Where tokens sit in pixels: the autoencoder's compression times the DiT's patch. */
export interface TokenGrid {
  /** Tokens along (frames, rows, columns). */
  grid: [number, number, number];
  /** Pixels per token along rows and columns. */
  tokenPixels: [number, number];
  /** Latent frames per token, and pixel frames per latent frame after the first (causal). */
  patchFrames: number;
  temporalPatch: number;
}

export function tokenGridOf(
  aeCfg: AutoencoderConfig,
  ditCfg: DitConfig,
  shape: { frames: number; height: number; width: number },
): TokenGrid {
  const latentFrames = latentFrameCount(aeCfg, shape.frames);
  const [pf, ph, pw] = ditCfg.patch;
  const tokenPixels: [number, number] = [ph * aeCfg.patchSize, pw * aeCfg.patchSize];
  return {
    grid: [latentFrames / pf, shape.height / tokenPixels[0], shape.width / tokenPixels[1]],
    tokenPixels,
    patchFrames: pf,
    temporalPatch: aeCfg.temporalPatch,
  };
}

/** Targets are per cell: (batch, tokens · cells², answers), a token's cells row by row. */
export function tokenTargetSpecs(batch: number, grid: TokenGrid, cells = 1): Record<string, ArraySpec> {
  const parts = grid.grid[0] * grid.grid[1] * grid.grid[2] * cells * cells;
  return {
    tokenTarget: new ArraySpec([batch, parts, TOKEN_ANSWERS]),
    tokenWeight: new ArraySpec([batch, parts]),
  };
}

/** One clip's rendered ownership masks (object index per pixel, −1 background) and its scene. */
export interface ClipMasks {
  /** int8 (frames, height, width), as renderClip's `masks` option gives. */
  masks: Int8Array;
  spec: SceneSpec;
}

/**
 * Host targets: per token cell (the whole token at cells = 1), the share of its pixels (over the
 * pixel frames its latent frames hold) that each class covers, background first; and its weight,
 * 1 + 7 × the share of objects. Clips without masks (shards) get weight 0.
 */
export function tokenTargets(
  clips: readonly (ClipMasks | undefined)[],
  grid: TokenGrid,
  shape: { frames: number; height: number; width: number },
  cells = 1,
): Record<string, { data: Float32Array; shape: number[] }> {
  const [gf, gh, gw] = grid.grid;
  const [ch, cw] = [grid.tokenPixels[0] / cells, grid.tokenPixels[1] / cells]; // pixels per cell
  const parts = gf * gh * gw * cells * cells;
  const target = new Float32Array(clips.length * parts * TOKEN_ANSWERS);
  const weight = new Float32Array(clips.length * parts);
  const framePixels = shape.height * shape.width;
  clips.forEach((clip, b) => {
    if (!clip) return;
    // answer of each object in the scene
    const answers = clip.spec.objects.map((o) => 1 + CLASSES.indexOf(classByName(o.class)!));
    for (let f = 0; f < gf; f++) {
      // pixel frames of this token's latent frames (the first latent frame holds frame 0 alone)
      const first = f * grid.patchFrames;
      const last = first + grid.patchFrames - 1;
      const fromFrame = first === 0 ? 0 : (first - 1) * grid.temporalPatch + 1;
      const toFrame = last * grid.temporalPatch; // inclusive
      for (let r = 0; r < gh * cells; r++) {
        for (let c = 0; c < gw * cells; c++) {
          // cell row r, column c of the frame's cell grid → its token and its place in the token
          const token = (f * gh + Math.floor(r / cells)) * gw + Math.floor(c / cells);
          const part = token * cells * cells + (r % cells) * cells + (c % cells);
          const out = (b * parts + part) * TOKEN_ANSWERS;
          let pixels = 0;
          for (let frame = fromFrame; frame <= toFrame; frame++) {
            for (let y = r * ch; y < (r + 1) * ch; y++) {
              for (let x = c * cw; x < (c + 1) * cw; x++) {
                const owner = clip.masks[frame * framePixels + y * shape.width + x]!;
                target[out + (owner < 0 ? 0 : answers[owner]!)]! += 1;
                pixels++;
              }
            }
          }
          for (let k = 0; k < TOKEN_ANSWERS; k++) target[out + k]! /= pixels;
          weight[b * parts + part] = 1 + OBJECT_TOKEN_WEIGHT * (1 - target[out]!);
        }
      }
    }
  });
  return {
    tokenTarget: { data: target, shape: [clips.length, parts, TOKEN_ANSWERS] },
    tokenWeight: { data: weight, shape: [clips.length, parts] },
  };
}

/**
 * Weighted mean cross-entropy of the head's answers against the token targets: a scalar.
 * `p` reads the head (`tokenProbe.` in the training record); consumes hidden and the targets.
 */
export function tokenProbeLoss(
  p: ParamReader,
  hidden: np.Array, // (batch, tokens, d): the DiT's tokens after tokenProbeBlock
  target: np.Array, // (batch, tokens · cells², answers): shares, summing to 1 per cell
  weight: np.Array, // (batch, tokens · cells²)
): np.Array {
  const [batch, parts, answers] = target.shape;
  const logits = linear(
    p.at(`${TOKEN_PROBE_PREFIX}fc2`),
    silu(linear(p.at(`${TOKEN_PROBE_PREFIX}fc1`), hidden)),
  ).reshape([batch!, parts!, answers!]); // (batch, tokens, cells² · answers) → per cell
  const crossEntropy = nn.logSoftmax(logits, -1).mul(target).sum(-1).mul(-1); // (batch, tokens · cells²)
  const total = crossEntropy.mul(weight.ref).sum();
  return total.div(weight.sum().add(1e-6)); // scalar
}
