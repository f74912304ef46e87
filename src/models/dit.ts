// The spacetime diffusion transformer (DiT): noisy video latents + timestep + caption → velocity.
//
// Latent video is cut into spacetime patches (1×2×2 latent pixels by default), each patch becomes a
// token, and all tokens of all frames attend to each other. Positions enter through 3-D rotary
// embeddings (frame, row, column) and, optionally, features of each token's place in the frame as
// a fraction of its width and height, so one set of weights runs at any size, aspect and duration.
// Each block is adaLN-zero conditioned on the timestep (+ pooled caption), cross-attends to the
// caption's text tokens, and starts as the identity (zero-initialised gates and output layers).
//
// Conditioning frames: per latent frame a flag and the clean latents, given as extra input
// channels. Training sometimes shows the first (or last) frames clean; sampling with them set
// gives image-to-video, extension and loops from this one model.
import { numpy as np } from '@jax-js/jax';
import { normal, ones, type ParamSpec, xavier, zeros } from '../nn/init.ts';
import {
  crossAttention,
  gate,
  layerNorm,
  linear,
  mlp,
  modulate,
  type RotaryTables,
  selfAttention,
  silu,
  sinusoidalEmbedding,
} from '../nn/layers.ts';
import { type ParamReader, type Params, withParams } from '../nn/params.ts';
import { type TextEncoderConfig, type TextEncoding, textEncoder, textEncoderParamSpec } from './text.ts';

// ---------------------------------------------------------------------------------------------
// Config

export interface DitConfig {
  /** Channels of the autoencoder's latents. */
  latentChannels: number;
  /** Spacetime patch in latent pixels: [frames, height, width]. */
  patch: [number, number, number];
  width: number;
  depth: number;
  heads: number;
  mlpRatio: number;
  /** Size of the sinusoidal timestep features fed to the timestep MLP. */
  timestepFeatures: number;
  /** Base of the rotary frequencies (positions are patch indices, so grids are small). */
  ropeTheta: number;
  /**
   * Frequencies of the fractional frame-position features added to every token (absent or 0:
   * none). Rotary positions are relative: alone they tell a token what is near it, not that it is
   * "on the left" or "near the top", which captions say and the model must place.
   */
  framePositions?: number;
  /**
   * Frequencies of the clip-time features added to every token (absent or 0: none). Rotary time
   * is relative too: alone it does not tell a frame that it is the third of the clip, which it
   * needs to put a moving object where "starts on the left, moves right" puts it by then.
   */
  timePositions?: number;
  /**
   * Frequencies of clip-time features added to the adaLN conditioning of each frame (absent or 0:
   * none): every frame then gets its own shift, scale and gate, so "where the object is by now"
   * can scale each token's place features directly. Added as token features (timePositions) the
   * same time signal went unused: at pure noise the trained model drew every frame alike.
   */
  frameConditioning?: number;
  /**
   * Co-moving rotary positions (absent or false: none). Each block reads a velocity per head from
   * the pooled caption and moves every token's row and column rotary positions back by
   * velocity × frame, so a head that attends to "the same place" in other frames attends along the
   * path the caption names instead. Fixed rotary positions only relate tokens by their offset in
   * row, column and frame separately, and a lookup along a straight path x − v·t (where an object
   * moving right was two frames ago) is not a sum of such terms; with the path in the angles it
   * is. Zero-initialised: a model trained without it starts exactly where it was.
   */
  motionRotary?: boolean;
  /** The caption encoder, trained jointly; its parameters live under `text.`. */
  text: TextEncoderConfig;
}

/** Channels the patch embedding sees per latent pixel: noisy latents, clean condition, flag. */
function inputChannels(cfg: DitConfig): number {
  return 2 * cfg.latentChannels + 1;
}

function patchVolume(cfg: DitConfig): number {
  return cfg.patch[0] * cfg.patch[1] * cfg.patch[2];
}

export function ditParamSpec(cfg: DitConfig): ParamSpec {
  const { width: d, depth, mlpRatio, timestepFeatures, latentChannels } = cfg;
  const textWidth = cfg.text.width;
  const spec: ParamSpec = {};
  const addLinear = (name: string, fanIn: number, fanOut: number, init = xavier) => {
    spec[`${name}.weight`] = { shape: [fanIn, fanOut], init };
    spec[`${name}.bias`] = { shape: [fanOut], init: zeros };
  };
  for (const [name, entry] of Object.entries(textEncoderParamSpec(cfg.text))) spec[`text.${name}`] = entry;
  spec['captionNull.token'] = { shape: [textWidth], init: normal(0.02) };
  spec['captionNull.pooled'] = { shape: [textWidth], init: normal(0.02) };
  addLinear('patchEmbed', patchVolume(cfg) * inputChannels(cfg), d);
  // Zero-initialised: a model trained without frame positions starts exactly where it was.
  if (cfg.framePositions) addLinear('framePosition', 4 * cfg.framePositions, d, zeros);
  if (cfg.timePositions) addLinear('timePosition', 2 * cfg.timePositions, d, zeros);
  if (cfg.frameConditioning) addLinear('frameConditioning', 2 * cfg.frameConditioning, d, zeros);
  addLinear('timestep.fc1', timestepFeatures, d, normal(0.02));
  addLinear('timestep.fc2', d, d, normal(0.02));
  addLinear('captionPooled', textWidth, d);
  addLinear('captionTokens', textWidth, d);
  for (let i = 0; i < depth; i++) {
    const b = `blocks.${i}`;
    addLinear(`${b}.adaLN`, d, 6 * d, zeros); // adaLN-zero: every block starts as the identity
    if (cfg.motionRotary) addLinear(`${b}.motion`, textWidth, 2 * cfg.heads, zeros); // (row, column) velocity per head
    addLinear(`${b}.attn.qkv`, d, 3 * d);
    addLinear(`${b}.attn.out`, d, d);
    spec[`${b}.crossNorm.weight`] = { shape: [d], init: ones };
    spec[`${b}.crossNorm.bias`] = { shape: [d], init: zeros };
    addLinear(`${b}.cross.q`, d, d);
    addLinear(`${b}.cross.kv`, d, 2 * d);
    addLinear(`${b}.cross.out`, d, d, zeros); // ungated, so zero-initialised instead
    addLinear(`${b}.mlp.fc1`, d, d * mlpRatio);
    addLinear(`${b}.mlp.fc2`, d * mlpRatio, d);
  }
  addLinear('final.adaLN', d, 2 * d, zeros);
  addLinear('final.linear', d, patchVolume(cfg) * latentChannels, zeros);
  return spec;
}

// ---------------------------------------------------------------------------------------------
// Inputs

export interface DitInputs {
  /** Noisy latents x_t: (batch, frames, height, width, latentChannels). */
  latents: np.Array;
  /** Flow time t in [0, 1] (1 = pure noise): (batch,). */
  timestep: np.Array;
  /** Caption token ids (batch, length) int32 and mask (batch, length), 1 for real tokens. */
  captionIds: np.Array;
  captionMask: np.Array;
  /** 1 to use the caption, 0 to replace it by the learned null caption (CFG): (batch,). */
  captionKeep: np.Array;
  /** Clean latents of the given frames (anything elsewhere): same shape as latents. */
  conditionLatents: np.Array;
  /** 1 for latent frames given clean, 0 for frames to generate: (batch, frames). */
  conditionMask: np.Array;
}

// ---------------------------------------------------------------------------------------------
// Spacetime patches and rotary positions

/** (batch, F, H, W, c) → (batch, F/pf · H/ph · W/pw, pf·ph·pw·c), tokens in (frame, row, col) order. */
export function patchify(cfg: DitConfig, x: np.Array): np.Array {
  const [batch, frames, height, width, channels] = x.shape;
  const [pf, ph, pw] = cfg.patch;
  if (frames % pf || height % ph || width % pw)
    throw new Error(
      `latents ${frames}x${height}x${width} are not a multiple of the patch ${cfg.patch.join('x')}`,
    );
  return x
    .reshape([batch, frames / pf, pf, height / ph, ph, width / pw, pw, channels])
    .transpose([0, 1, 3, 5, 2, 4, 6, 7]) // (batch, F/pf, H/ph, W/pw, pf, ph, pw, c)
    .reshape([batch, (frames / pf) * (height / ph) * (width / pw), pf * ph * pw * channels]);
}

/** The inverse of `patchify` for a grid of (frames, height, width) patches. */
export function unpatchify(cfg: DitConfig, tokens: np.Array, grid: [number, number, number]): np.Array {
  const [batch] = tokens.shape;
  const [pf, ph, pw] = cfg.patch;
  const [gf, gh, gw] = grid;
  return tokens
    .reshape([batch, gf, gh, gw, pf, ph, pw, cfg.latentChannels])
    .transpose([0, 1, 4, 2, 5, 3, 6, 7]) // (batch, gf, pf, gh, ph, gw, pw, C)
    .reshape([batch, gf * pf, gh * ph, gw * pw, cfg.latentChannels]);
}

/** Axes of a token's (frame, row, column) position. */
const ROW_AXIS = 1;
const COLUMN_AXIS = 2;

/**
 * Rotary frequencies of a head's channel pairs: split between the three axes (rows and columns
 * 3/8 each, time the rest), each axis with geometric frequencies.
 */
function rotaryFrequencies(headDim: number, theta: number): { axis: number; frequency: number }[] {
  const pairs = headDim / 2;
  const spatialPairs = Math.floor((pairs * 3) / 8);
  const axisPairs = [pairs - 2 * spatialPairs, spatialPairs, spatialPairs]; // time, rows, columns
  const frequencies: { axis: number; frequency: number }[] = [];
  axisPairs.forEach((count, axis) => {
    for (let k = 0; k < count; k++) frequencies.push({ axis, frequency: theta ** (-k / count) });
  });
  return frequencies;
}

/**
 * For every token of a (frames, rows, columns) grid and channel pair, `value(position, axis,
 * frequency)` with position = [frame, row, column]: a host array (tokens, headDim/2), a constant
 * of the traced program.
 */
function perTokenPair(
  grid: [number, number, number],
  headDim: number,
  theta: number,
  value: (position: number[], axis: number, frequency: number) => number,
): Float32Array {
  const frequencies = rotaryFrequencies(headDim, theta);
  const pairs = headDim / 2;
  const [gf, gh, gw] = grid;
  const out = new Float32Array(gf * gh * gw * pairs);
  for (let f = 0; f < gf; f++)
    for (let h = 0; h < gh; h++)
      for (let w = 0; w < gw; w++) {
        const token = (f * gh + h) * gw + w;
        frequencies.forEach(({ axis, frequency }, j) => {
          out[token * pairs + j] = value([f, h, w], axis, frequency);
        });
      }
  return out;
}

/** Rotary tables (cos, sin) of a grid's positions: host arrays (tokens, headDim/2). */
export function rotaryTables3d(
  grid: [number, number, number],
  headDim: number,
  theta: number,
): { cos: Float32Array; sin: Float32Array } {
  return {
    cos: perTokenPair(grid, headDim, theta, (position, axis, frequency) =>
      Math.cos(position[axis]! * frequency),
    ),
    sin: perTokenPair(grid, headDim, theta, (position, axis, frequency) =>
      Math.sin(position[axis]! * frequency),
    ),
  };
}

/**
 * The rotary angles of a grid, and how they move with a velocity of one token per frame along
 * rows (`rowRates`: frame × frequency on the row pairs, 0 elsewhere) and along columns
 * (`columnRates`): host arrays (tokens, headDim/2).
 */
export function rotaryAngles3d(
  grid: [number, number, number],
  headDim: number,
  theta: number,
): { angles: Float32Array; rowRates: Float32Array; columnRates: Float32Array } {
  const rate = (along: number) =>
    perTokenPair(grid, headDim, theta, (position, axis, frequency) =>
      axis === along ? position[0]! * frequency : 0,
    );
  return {
    angles: perTokenPair(grid, headDim, theta, (position, axis, frequency) => position[axis]! * frequency),
    rowRates: rate(ROW_AXIS),
    columnRates: rate(COLUMN_AXIS),
  };
}

/**
 * Where each token sits in the frame, as sin/cos of its centre's fractional coordinates
 * u, v ∈ (−1, 1) at frequencies k·π/2 (k = 1..count): the same values for "the left third" at any
 * size. Host array (tokens, 4·count) in (frame, row, column) token order (time: timePositionFeatures).
 */
export function framePositionFeatures(grid: [number, number, number], count: number): Float32Array {
  const [gf, gh, gw] = grid;
  const width = 4 * count;
  const features = new Float32Array(gf * gh * gw * width);
  for (let token = 0; token < gf * gh * gw; token++) {
    const row = Math.floor(token / gw) % gh;
    const column = token % gw;
    const u = ((column + 0.5) / gw) * 2 - 1;
    const v = ((row + 0.5) / gh) * 2 - 1;
    for (let k = 1; k <= count; k++) {
      const at = token * width + (k - 1) * 4;
      const frequency = (k * Math.PI) / 2;
      features.set(
        [Math.sin(frequency * u), Math.cos(frequency * u), Math.sin(frequency * v), Math.cos(frequency * v)],
        at,
      );
    }
  }
  return features;
}

/** Latent frames from the first to the last of the native 17-frame clip (2x temporal compression). */
const NATIVE_LATENT_FRAME_SPAN = 8;

/**
 * When each latent frame is, as sin/cos of τ = its index in the patch grid / 8 at frequencies
 * k·π/2 (k = 1..count): with 1×2×2 patches τ runs 0..1 over the native 17-frame clip (9 latent
 * frames) and keeps counting in longer ones, so a frame's features say how long after the start
 * it is, at any duration. Host array (frames, 2·count).
 */
export function frameTimeFeatures(frames: number, count: number): Float32Array {
  const width = 2 * count;
  const features = new Float32Array(frames * width);
  for (let frame = 0; frame < frames; frame++) {
    const tau = frame / NATIVE_LATENT_FRAME_SPAN;
    for (let k = 1; k <= count; k++) {
      const frequency = (k * Math.PI) / 2;
      features.set([Math.sin(frequency * tau), Math.cos(frequency * tau)], frame * width + (k - 1) * 2);
    }
  }
  return features;
}

/** frameTimeFeatures repeated for every token of each frame: host array (tokens, 2·count). */
export function timePositionFeatures(grid: [number, number, number], count: number): Float32Array {
  const [gf, gh, gw] = grid;
  const width = 2 * count;
  const perFrame = gh * gw;
  const byFrame = frameTimeFeatures(gf, count);
  const features = new Float32Array(gf * perFrame * width);
  for (let token = 0; token < gf * perFrame; token++) {
    const frame = Math.floor(token / perFrame);
    features.set(byFrame.subarray(frame * width, (frame + 1) * width), token * width);
  }
  return features;
}

// ---------------------------------------------------------------------------------------------
// Conditioning: timestep and caption

/** Replace dropped captions by the learned null caption: a single valid token and a null pooled vector. */
function applyCaptionDropout(p: ParamReader, text: TextEncoding, keep: np.Array): TextEncoding {
  const [batch, length, textWidth] = text.tokens.shape;
  const keepTokens = keep.ref.reshape([batch, 1, 1]); // (batch, 1, 1)
  const nullTokens = p('captionNull.token').reshape([1, 1, textWidth]); // (1, 1, textWidth)
  const tokens = text.tokens.mul(keepTokens.ref).add(nullTokens.mul(keepTokens.mul(-1).add(1))); // (batch, length, textWidth)
  const firstOnly = new Float32Array(length);
  firstOnly[0] = 1;
  const keepMask = keep.ref.reshape([batch, 1]); // (batch, 1)
  const nullMask = np.array(firstOnly).reshape([1, length]); // (1, length): the null caption is one token
  const mask = text.mask.mul(keepMask.ref).add(nullMask.mul(keepMask.mul(-1).add(1))); // (batch, length)
  const keepPooled = keep.reshape([batch, 1]); // (batch, 1)
  const nullPooled = p('captionNull.pooled').reshape([1, textWidth]);
  const pooled = text.pooled.mul(keepPooled.ref).add(nullPooled.mul(keepPooled.mul(-1).add(1))); // (batch, textWidth)
  return { tokens, mask, pooled };
}

/** Timestep (+ pooled caption) → the conditioning vector c that drives every adaLN: (batch, d). */
function conditioningVector(p: ParamReader, cfg: DitConfig, timestep: np.Array, pooled: np.Array): np.Array {
  // t ∈ [0, 1] is scaled to [0, 1000] so the sinusoid frequencies cover it as in DiT.
  const features = sinusoidalEmbedding(timestep.mul(1000), cfg.timestepFeatures); // (batch, timestepFeatures)
  const timeEmbedding = linear(p.at('timestep.fc2'), silu(linear(p.at('timestep.fc1'), features))); // (batch, d)
  return timeEmbedding.add(linear(p.at('captionPooled'), pooled)); // (batch, d)
}

// ---------------------------------------------------------------------------------------------
// Transformer block and final layer

/** The rotary angles of a grid and their rates (see `rotaryAngles3d`), as arrays: (tokens, headDim/2). */
export interface SpacetimeAngles {
  angles: np.Array;
  rowRates: np.Array;
  columnRates: np.Array;
}

/**
 * Rotary tables moved along each head's caption velocity (`DitConfig.motionRotary`): angle −
 * (row velocity × rowRates + column velocity × columnRates). pooled: (batch, textWidth) →
 * cos, sin (batch, heads, tokens, headDim/2). Consumes `pooled`.
 */
export function movingRotary(
  p: ParamReader,
  heads: number,
  spacetime: SpacetimeAngles,
  pooled: np.Array,
): RotaryTables {
  const [batch] = pooled.shape;
  const [tokens, pairs] = spacetime.angles.shape;
  const velocity = linear(p, pooled).reshape([batch, heads, 2]); // (batch, heads, (row, column)) in tokens per frame
  const [rowVelocity, columnVelocity] = np.split(velocity, 2, -1).map((v) => v.reshape([batch, heads, 1, 1]));
  const table = (a: np.Array) => a.ref.reshape([1, 1, tokens, pairs]); // (1, 1, tokens, pairs)
  const angles = table(spacetime.angles)
    .sub(rowVelocity!.mul(table(spacetime.rowRates)))
    .sub(columnVelocity!.mul(table(spacetime.columnRates))); // (batch, heads, tokens, pairs)
  return { cos: np.cos(angles.ref), sin: np.sin(angles) };
}

/** A block's rotary positions: fixed tables, or angles it moves along the caption's velocities. */
type BlockRotary = RotaryTables | { spacetime: SpacetimeAngles; pooled: np.Array };

/**
 * adaLN-zero block: x + gate·SelfAttention(modulated norm(x)) (rotary positions),
 * x + CrossAttention(norm(x), caption), x + gate·MLP(modulated norm(x)).
 */
function ditBlock(
  p: ParamReader,
  cfg: DitConfig,
  x: np.Array, // (batch, tokens, d)
  conditioning: np.Array, // (batch, groups, d), already through SiLU; groups = 1 or frames
  context: np.Array, // (batch, length, d)
  contextMask: np.Array, // (batch, length)
  rotary: BlockRotary, // a pooled caption (batch, textWidth) in it is consumed
): np.Array {
  const modulation = linear(p.at('adaLN'), conditioning); // (batch, groups, 6d)
  const [shiftAttn, scaleAttn, gateAttn, shiftMlp, scaleMlp, gateMlp] = np.split(modulation, 6, -1); // each (batch, groups, d)
  const attnIn = modulate(layerNorm(x.ref), shiftAttn, scaleAttn); // (batch, tokens, d)
  const moving = 'spacetime' in rotary;
  const tables = moving ? movingRotary(p.at('motion'), cfg.heads, rotary.spacetime, rotary.pooled) : rotary;
  const attnOut = selfAttention(p.at('attn'), attnIn, cfg.heads, { rotary: tables }); // (batch, tokens, d)
  if (moving) {
    tables.cos.dispose();
    tables.sin.dispose();
  }
  x = x.ref.add(gate(attnOut, gateAttn)); // (batch, tokens, d)
  const crossOut = crossAttention(
    p.at('cross'),
    layerNorm(x.ref, p.at('crossNorm')),
    context,
    contextMask,
    cfg.heads,
  );
  x = x.ref.add(crossOut); // (batch, tokens, d)
  const mlpOut = mlp(p.at('mlp'), modulate(layerNorm(x.ref), shiftMlp, scaleMlp)); // (batch, tokens, d)
  return x.add(gate(mlpOut, gateMlp)); // (batch, tokens, d)
}

/** Modulated norm, then a linear map to each patch's velocity values: (batch, tokens, pf·ph·pw·C). */
function finalLayer(p: ParamReader, x: np.Array, conditioning: np.Array): np.Array {
  const [shift, scale] = np.split(linear(p.at('adaLN'), conditioning), 2, -1); // each (batch, groups, d)
  return linear(p.at('linear'), modulate(layerNorm(x), shift, scale)); // (batch, tokens, pf·ph·pw·C)
}

// ---------------------------------------------------------------------------------------------
// Forward pass

/** The DiT on a reader over the full record (text encoder under `text.`). Consumes the inputs. */
export function dit(p: ParamReader, cfg: DitConfig, inputs: DitInputs): np.Array {
  return ditWithHidden(p, cfg, inputs).velocity;
}

/**
 * The DiT, also giving the tokens after `hiddenAfter` blocks (batch, tokens, d) when asked: what
 * an auxiliary loss on the model's own features reads in training (src/train/tokenProbe.ts).
 */
export function ditWithHidden(
  p: ParamReader,
  cfg: DitConfig,
  inputs: DitInputs,
  hiddenAfter?: number,
): { velocity: np.Array; hidden?: np.Array } {
  const { latents, timestep, captionIds, captionMask, captionKeep, conditionLatents, conditionMask } = inputs;
  const [batch, frames, height, width, channels] = latents.shape;
  if (channels !== cfg.latentChannels)
    throw new Error(`latents have ${channels} channels, the model expects ${cfg.latentChannels}`);
  const grid: [number, number, number] = [frames / cfg.patch[0], height / cfg.patch[1], width / cfg.patch[2]];

  // Caption → text tokens in the model width, with dropped captions swapped for the null caption.
  const encoded = textEncoder(p.at('text'), cfg.text, captionIds, captionMask); // tokens (batch, length, textWidth)
  const text = applyCaptionDropout(p, encoded, captionKeep);
  const context = linear(p.at('captionTokens'), text.tokens); // (batch, length, d)
  const pooled = text.pooled; // (batch, textWidth)
  const clipConditioning = conditioningVector(p, cfg, timestep, pooled.ref).reshape([batch, 1, cfg.width]); // (batch, 1, d)
  const conditioning = silu(
    cfg.frameConditioning
      ? clipConditioning.add(
          linear(
            p.at('frameConditioning'),
            np
              .array(frameTimeFeatures(grid[0], cfg.frameConditioning))
              .reshape([1, grid[0], 2 * cfg.frameConditioning]),
          ),
        ) // (batch, frames, d)
      : clipConditioning,
  ); // (batch, groups, d)

  // Input channels: noisy latents, clean conditioning latents where given, and the flag itself.
  const flag = conditionMask.reshape([batch, frames, 1, 1, 1]); // (batch, frames, 1, 1, 1)
  const clean = conditionLatents.mul(flag.ref); // (batch, frames, height, width, C)
  const flagChannel = np.broadcastTo(flag, [batch, frames, height, width, 1]); // (batch, frames, height, width, 1)
  const input = np.concatenate([latents, clean, flagChannel], -1); // (batch, frames, height, width, 2C + 1)
  let x = linear(p.at('patchEmbed'), patchify(cfg, input)); // (batch, tokens, d)
  // Absolute place and time, which rotary positions cannot give (see DitConfig).
  const tokens = grid[0] * grid[1] * grid[2];
  const embedFeatures = (layer: string, features: Float32Array) =>
    linear(p.at(layer), np.array(features).reshape([1, tokens, features.length / tokens])); // (1, tokens, d)
  if (cfg.framePositions)
    x = x.add(embedFeatures('framePosition', framePositionFeatures(grid, cfg.framePositions))); // (batch, tokens, d)
  if (cfg.timePositions)
    x = x.add(embedFeatures('timePosition', timePositionFeatures(grid, cfg.timePositions))); // (batch, tokens, d)

  // Rotary positions: the same tables for every block, or angles each block moves along its own
  // caption velocities. (tokens, headDim/2) each.
  const headDim = cfg.width / cfg.heads;
  const array = (values: Float32Array) => np.array(values).reshape([tokens, headDim / 2]);
  let fixed: RotaryTables | undefined;
  let spacetime: SpacetimeAngles | undefined;
  if (cfg.motionRotary) {
    const host = rotaryAngles3d(grid, headDim, cfg.ropeTheta);
    spacetime = {
      angles: array(host.angles),
      rowRates: array(host.rowRates),
      columnRates: array(host.columnRates),
    };
  } else {
    const host = rotaryTables3d(grid, headDim, cfg.ropeTheta);
    fixed = { cos: array(host.cos), sin: array(host.sin) };
  }
  let hidden: np.Array | undefined;
  for (let i = 0; i < cfg.depth; i++) {
    const rotary: BlockRotary = spacetime ? { spacetime, pooled: pooled.ref } : fixed!;
    x = ditBlock(p.at(`blocks.${i}`), cfg, x, conditioning.ref, context.ref, text.mask.ref, rotary);
    if (i + 1 === hiddenAfter) hidden = x.ref;
  }
  for (const a of Object.values(spacetime ?? fixed!)) a.dispose();
  pooled.dispose();
  context.dispose();
  text.mask.dispose();

  const patches = finalLayer(p.at('final'), x, conditioning); // (batch, tokens, pf·ph·pw·C)
  return { velocity: unpatchify(cfg, patches, grid), hidden }; // velocity: (batch, frames, height, width, C)
}

/** Public entry point: consumes `params` and the inputs, returns the predicted velocity. */
export function ditForward(params: Params, cfg: DitConfig, inputs: DitInputs): np.Array {
  return withParams(params, (p) => dit(p, cfg, inputs));
}
