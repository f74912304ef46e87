// The video autoencoder: pixels ↔ latents, 4× smaller in height and width and 2× in time.
//
// Causal in time, as in modern video VAEs: the first frame is encoded on its own (it is padded by
// repeating it, like a causal convolution pads the past), then every following pair of frames
// becomes one latent frame. So T = 1 + 2k frames → 1 + k latent frames, a still image is a
// 1-frame video, and a latent frame never depends on later frames.
//
// Built from patch MLPs instead of convolutions so it is cheap on a CPU and traces to plain matrix
// products: each 2×4×4 block of pixels is one token; a residual MLP over every token's 3×3
// neighbourhood of tokens lets neighbouring patches agree on edges that cross patch borders.
import { numpy as np } from '@jax-js/jax';
import { ones, type ParamSpec, xavier, zeros } from '../nn/init.ts';
import { gelu, layerNorm, linear } from '../nn/layers.ts';
import { type HostParams, type ParamReader, type Params, withParams } from '../nn/params.ts';

// ---------------------------------------------------------------------------------------------
// Config

export interface AutoencoderConfig {
  /** Channels per latent pixel. */
  latentChannels: number;
  /** Spatial downsampling: pixels per latent pixel along height and width. */
  patchSize: number;
  /** Frames per latent frame after the first (the first latent frame holds frame 0 alone). */
  temporalPatch: number;
  /** Width of the per-token MLPs. */
  hidden: number;
  /** Residual 3×3-neighbourhood mixing blocks, in the encoder and again in the decoder. */
  mixBlocks: number;
  /**
   * Extra decoder blocks that mix each token with its 3×3 neighbourhood in this latent frame and
   * the one before (causal), after the spatial ones: sharper edges and steadier frames. They start
   * as the identity, so they can be added to a trained decoder and fine-tuned with the encoder
   * frozen: the latents, and so the DiT trained on them, stay valid. Absent = 0.
   */
  decoderSpacetimeBlocks?: number;
  /** Latents are multiplied by this after encoding (and divided before decoding) so the DiT sees
   *  roughly unit variance; measure it on data after training the autoencoder. */
  latentScale: number;
}

/** Values per pixel token: temporalPatch × patchSize × patchSize × RGB. */
function patchValues(cfg: AutoencoderConfig): number {
  return cfg.temporalPatch * cfg.patchSize * cfg.patchSize * 3;
}

/** Latent frames for a clip of `frames` frames (which must be 1 + temporalPatch·k). */
export function latentFrameCount(cfg: AutoencoderConfig, frames: number): number {
  if (frames < 1 || (frames - 1) % cfg.temporalPatch !== 0)
    throw new Error(`a clip needs 1 + ${cfg.temporalPatch}·k frames for this autoencoder, got ${frames}`);
  return 1 + (frames - 1) / cfg.temporalPatch;
}

/** Pixel frames decoded from `latentFrames` latent frames. */
export function pixelFrameCount(cfg: AutoencoderConfig, latentFrames: number): number {
  return 1 + (latentFrames - 1) * cfg.temporalPatch;
}

export function autoencoderParamSpec(cfg: AutoencoderConfig): ParamSpec {
  const { hidden, latentChannels, mixBlocks } = cfg;
  const values = patchValues(cfg);
  const spec: ParamSpec = {};
  const addLinear = (name: string, fanIn: number, fanOut: number) => {
    spec[`${name}.weight`] = { shape: [fanIn, fanOut], init: xavier };
    spec[`${name}.bias`] = { shape: [fanOut], init: zeros };
  };
  const addMixer = (name: string) => {
    spec[`${name}.norm.weight`] = { shape: [hidden], init: ones };
    spec[`${name}.norm.bias`] = { shape: [hidden], init: zeros };
    addLinear(`${name}.fc1`, 9 * hidden, hidden);
    addLinear(`${name}.fc2`, hidden, hidden);
  };
  addLinear('encoder.in', values, hidden);
  for (let i = 0; i < mixBlocks; i++) addMixer(`encoder.mix.${i}`);
  addLinear('encoder.out', hidden, latentChannels);
  addLinear('decoder.in', latentChannels, hidden);
  for (let i = 0; i < mixBlocks; i++) addMixer(`decoder.mix.${i}`);
  for (let i = 0; i < (cfg.decoderSpacetimeBlocks ?? 0); i++) {
    const name = `decoder.spacetime.${i}`;
    spec[`${name}.norm.weight`] = { shape: [hidden], init: ones };
    spec[`${name}.norm.bias`] = { shape: [hidden], init: zeros };
    addLinear(`${name}.fc1`, 18 * hidden, hidden);
    spec[`${name}.fc2.weight`] = { shape: [hidden, hidden], init: zeros }; // starts as the identity
    spec[`${name}.fc2.bias`] = { shape: [hidden], init: zeros };
  }
  addLinear('decoder.out', hidden, values);
  return spec;
}

/**
 * A trained tensor adapted to an autoencoder with more latent channels (net2net widening): the
 * trained channels come first and keep their meaning; the new ones start as fresh encoder features
 * that the decoder ignores (zero rows), so the widened autoencoder starts exactly where the trained
 * one was and then learns what to put in the new channels. Undefined where this does not apply.
 */
export function widenLatentChannels(
  name: string,
  trained: HostParams[string],
  fresh: HostParams[string],
): HostParams[string] | undefined {
  const [rows, columns] = fresh.shape;
  const data = fresh.data.slice();
  if (name === 'encoder.out.weight' && trained.shape[0] === rows && trained.shape[1]! < columns!) {
    const old = trained.shape[1]!;
    for (let i = 0; i < rows!; i++) data.set(trained.data.subarray(i * old, (i + 1) * old), i * columns!);
    return { shape: fresh.shape, data };
  }
  if (name === 'encoder.out.bias' && trained.shape[0]! < rows!) {
    data.set(trained.data);
    return { shape: fresh.shape, data };
  }
  if (name === 'decoder.in.weight' && trained.shape[1] === columns && trained.shape[0]! < rows!) {
    data.fill(0);
    data.set(trained.data);
    return { shape: fresh.shape, data };
  }
  return undefined;
}

/** The decoder's share of the parameters (what a decoder fine-tune trains). */
export function decoderParamSpec(cfg: AutoencoderConfig): ParamSpec {
  return Object.fromEntries(
    Object.entries(autoencoderParamSpec(cfg)).filter(([k]) => k.startsWith('decoder.')),
  );
}

// ---------------------------------------------------------------------------------------------
// Pixels ↔ tokens

/** (batch, frames, H, W, 3) with frames = 1 + 2k → (batch, 1 + k, H/4, W/4, 2·4·4·3). */
function patchify(cfg: AutoencoderConfig, pixels: np.Array): np.Array {
  const [batch, frames, height, width, rgb] = pixels.shape;
  const { patchSize: s, temporalPatch: pt } = cfg;
  if (height % s !== 0 || width % s !== 0)
    throw new Error(`frame size ${width}x${height} is not a multiple of the patch size ${s}`);
  const latentFrames = latentFrameCount(cfg, frames);
  // Repeat frame 0 (temporalPatch − 1) times in front, so that it forms a group on its own.
  const first = pixels.ref.slice([], [0, 1]); // (batch, 1, H, W, 3)
  const padded = np.concatenate([...Array.from({ length: pt - 1 }, () => first.ref), pixels], 1);
  first.dispose();
  return padded
    .reshape([batch, latentFrames, pt, height / s, s, width / s, s, rgb])
    .transpose([0, 1, 3, 5, 2, 4, 6, 7]) // (batch, latentFrames, h, w, pt, s, s, 3)
    .reshape([batch, latentFrames, height / s, width / s, pt * s * s * rgb]);
}

/** The inverse of `patchify`, dropping the padding copies of frame 0. */
function unpatchify(cfg: AutoencoderConfig, tokens: np.Array): np.Array {
  const [batch, latentFrames, h, w] = tokens.shape;
  const { patchSize: s, temporalPatch: pt } = cfg;
  const frames = tokens
    .reshape([batch, latentFrames, h, w, pt, s, s, 3])
    .transpose([0, 1, 4, 2, 5, 3, 6, 7]) // (batch, latentFrames, pt, h, s, w, s, 3)
    .reshape([batch, latentFrames * pt, h * s, w * s, 3]);
  // The first group decodes frame 0 pt times; keep the last copy (the others were padding).
  return frames.slice([], [pt - 1, latentFrames * pt]); // (batch, 1 + pt·(latentFrames − 1), H, W, 3)
}

/** Each token with its 3×3 spatial neighbourhood (zeros past the border): (..., h, w, c) → (..., h, w, 9c). */
function neighbourhood(x: np.Array): np.Array {
  const [batch, frames, h, w, channels] = x.shape;
  const padded = np.pad(x, [
    [0, 0],
    [0, 0],
    [1, 1],
    [1, 1],
    [0, 0],
  ]); // (batch, frames, h + 2, w + 2, c)
  const shifted: np.Array[] = [];
  for (let dy = 0; dy < 3; dy++) {
    for (let dx = 0; dx < 3; dx++) shifted.push(padded.ref.slice([], [], [dy, dy + h], [dx, dx + w])); // (batch, frames, h, w, c)
  }
  padded.dispose();
  return np.concatenate(shifted, -1).reshape([batch, frames, h, w, 9 * channels]);
}

/** Each token with its 3×3 neighbourhood in its own latent frame and the previous one (causal). */
function spacetimeNeighbourhood(x: np.Array): np.Array {
  const [batch, frames, h, w, channels] = x.shape;
  const here = neighbourhood(x); // (batch, frames, h, w, 9c)
  // The frame before each frame; frame 0 sees itself, as the causal encoder pads the past.
  const before =
    frames === 1
      ? here.ref
      : np.concatenate([here.ref.slice([], [0, 1]), here.ref.slice([], [0, frames - 1])], 1);
  return np.concatenate([before, here], -1).reshape([batch, frames, h, w, 18 * channels]);
}

/** x + MLP(3×3 neighbourhood of norm(x)): lets adjacent patches share information. */
function mixBlock(p: ParamReader, x: np.Array, spacetime = false): np.Array {
  const normed = layerNorm(x.ref, p.at('norm'));
  // (batch, frames, h, w, 9·hidden), or 18·hidden with the previous frame
  const context = spacetime ? spacetimeNeighbourhood(normed) : neighbourhood(normed);
  return x.add(linear(p.at('fc2'), gelu(linear(p.at('fc1'), context)))); // (batch, frames, h, w, hidden)
}

// ---------------------------------------------------------------------------------------------
// Encoder and decoder

/** pixels (batch, frames, H, W, 3) in [-1, 1] → latents (batch, latentFrames, H/4, W/4, C). */
export function encoder(p: ParamReader, cfg: AutoencoderConfig, pixels: np.Array): np.Array {
  let x = gelu(linear(p.at('in'), patchify(cfg, pixels))); // (batch, latentFrames, h, w, hidden)
  for (let i = 0; i < cfg.mixBlocks; i++) x = mixBlock(p.at(`mix.${i}`), x);
  return linear(p.at('out'), x).mul(cfg.latentScale); // (batch, latentFrames, h, w, latentChannels)
}

/** latents (batch, latentFrames, h, w, C) → pixels (batch, 1 + 2(latentFrames − 1), 4h, 4w, 3). */
export function decoder(p: ParamReader, cfg: AutoencoderConfig, latents: np.Array): np.Array {
  let x = gelu(linear(p.at('in'), latents.mul(1 / cfg.latentScale))); // (batch, latentFrames, h, w, hidden)
  for (let i = 0; i < cfg.mixBlocks; i++) x = mixBlock(p.at(`mix.${i}`), x);
  for (let i = 0; i < (cfg.decoderSpacetimeBlocks ?? 0); i++) x = mixBlock(p.at(`spacetime.${i}`), x, true);
  return unpatchify(cfg, linear(p.at('out'), x)); // (batch, frames, H, W, 3)
}

/** Public: consumes params (the autoencoder's record) and pixels. */
export function encode(params: Params, cfg: AutoencoderConfig, pixels: np.Array): np.Array {
  return withParams(params, (p) => encoder(p.at('encoder'), cfg, pixels));
}

/** Public: consumes params and latents. */
export function decode(params: Params, cfg: AutoencoderConfig, latents: np.Array): np.Array {
  return withParams(params, (p) => decoder(p.at('decoder'), cfg, latents));
}

// ---------------------------------------------------------------------------------------------
// Training objective

/** Smooth L1 (Charbonnier), elementwise: |d| for large errors, quadratic near 0, so its gradient is defined. */
function charbonnier(difference: np.Array): np.Array {
  return np.sqrt(np.square(difference).add(1e-6));
}

/** x cut to [start, end) along `axis`, whole along the other axes. */
function sliceAlong(x: np.Array, axis: number, start: number, end: number): np.Array {
  return x.slice(...(x.shape.map((_, a) => (a === axis ? [start, end] : [])) as [number, number][]));
}

/** Differences between neighbours along one axis (edges): x[i+1] − x[i]. */
function differences(x: np.Array, axis: number): np.Array {
  const n = x.shape[axis];
  return sliceAlong(x.ref, axis, 1, n).sub(sliceAlong(x, axis, 0, n - 1));
}

/**
 * Mean of per-element `values` (batch, frames, H, W, 3), each pixel weighted by `weight`
 * (batch, frames, H, W, 1), normalised by the weights' sum; a plain mean without weights. Consumes
 * values, not weight.
 */
function weightedMean(values: np.Array, weight: np.Array | undefined): np.Array {
  if (!weight) return values.mean();
  return values.mul(weight.ref).mean().div(weight.ref.mean());
}

export interface AutoencoderLossWeights {
  /** Weight of the Charbonnier (L1-like) term. */
  l1: number;
  /** Weight of the mean squared error. */
  l2: number;
  /** Weight of the matching of spatial and temporal gradients (sharp edges, steady motion). */
  edges: number;
}

export const DEFAULT_LOSS_WEIGHTS: AutoencoderLossWeights = { l1: 1, l2: 1, edges: 0.5 };

/**
 * How far a pixel is from its frame's background before it counts as object (pixels in [-1, 1]):
 * a 5 % colour difference starts the ramp, 25 % is full, and two pixels of border count too, because
 * the silhouette is what tells a hexagon from a ball.
 */
export const PIXEL_OBJECT_RAMP = { from: 0.1, to: 0.5, radius: 2 };

/**
 * How far a reconstruction is from the clip: consumes both (batch, frames, H, W, 3) and the
 * optional per-pixel weights (batch, frames, H, W, 1) (objects count more: see PIXEL_OBJECT_RAMP).
 * A scalar.
 */
export function reconstructionLoss(
  reconstruction: np.Array,
  pixels: np.Array,
  weights: AutoencoderLossWeights,
  pixelWeight?: np.Array,
): np.Array {
  const error = reconstruction.ref.sub(pixels.ref); // (batch, frames, H, W, 3)
  let loss = weightedMean(charbonnier(error.ref), pixelWeight)
    .mul(weights.l1)
    .add(weightedMean(np.square(error), pixelWeight).mul(weights.l2));
  const axes = pixels.shape[1] > 1 ? [1, 2, 3] : [2, 3]; // time, height, width
  for (const axis of axes) {
    const edgeError = differences(reconstruction.ref, axis).sub(differences(pixels.ref, axis));
    // an edge between pixels i and i+1 takes pixel i+1's weight
    const edgeWeight = pixelWeight && sliceAlong(pixelWeight.ref, axis, 1, pixelWeight.shape[axis]);
    loss = loss.add(weightedMean(charbonnier(edgeError), edgeWeight).mul(weights.edges / axes.length));
    edgeWeight?.dispose();
  }
  reconstruction.dispose();
  pixels.dispose();
  pixelWeight?.dispose();
  return loss;
}

/**
 * Reconstruction loss of a batch of clips: consumes params, pixels (batch, frames, H, W, 3) and
 * the optional per-pixel weights (batch, frames, H, W, 1). Returns a scalar.
 */
export function autoencoderLoss(
  params: Params,
  cfg: AutoencoderConfig,
  pixels: np.Array,
  weights: AutoencoderLossWeights = DEFAULT_LOSS_WEIGHTS,
  pixelWeight?: np.Array,
): np.Array {
  return withParams(params, (p) => {
    const latents = encoder(p.at('encoder'), cfg, pixels.ref); // (batch, latentFrames, h, w, C)
    return reconstructionLoss(decoder(p.at('decoder'), cfg, latents), pixels, weights, pixelWeight);
  });
}

/**
 * The same loss for the decoder alone, on latents of a frozen encoder: consumes the decoder's
 * params, the latents (batch, latentFrames, h, w, C), the clips they came from and the optional
 * per-pixel weights.
 */
export function decoderLoss(
  params: Params,
  cfg: AutoencoderConfig,
  latents: np.Array,
  pixels: np.Array,
  weights: AutoencoderLossWeights = DEFAULT_LOSS_WEIGHTS,
  pixelWeight?: np.Array,
): np.Array {
  return withParams(params, (p) =>
    reconstructionLoss(decoder(p.at('decoder'), cfg, latents), pixels, weights, pixelWeight),
  );
}

/** Peak signal-to-noise ratio in dB of two clips in [-1, 1] (peak-to-peak 2). */
export function psnr(reconstruction: Float32Array, original: Float32Array): number {
  let sum = 0;
  for (let i = 0; i < original.length; i++) {
    const clipped = Math.min(1, Math.max(-1, reconstruction[i]));
    sum += (clipped - original[i]) ** 2;
  }
  const mse = sum / original.length;
  return 10 * Math.log10(4 / Math.max(mse, 1e-12));
}
