// Layers as pure functions: a `ParamReader` for the weights, arrays in, arrays out.
//
// Every function consumes its array arguments (the jax-js convention); parameters come from the
// reader, which hands out fresh references, so only activations used twice need `.ref`.
// Only plain primitives are used (dot, add, mul, exp, tanh, reductions, reshape, transpose,
// slicing, concatenate), so that every model traces to a program the ONNX exporter understands.
// Linear weights are stored as (in, out): `x @ W` needs no transpose in the traced program.
import { lax, nn, numpy as np } from '@jax-js/jax';
import type { ParamReader } from './params.ts';

/** Added to attention scores of masked-out keys: exp() of it is exactly 0 in float32. */
const MASKED = -1e9;

/** y = x W + b: (..., in) → (..., out). Flattened to 2-D so it traces to a single matrix product. */
export function linear(p: ParamReader, x: np.Array): np.Array {
  const weight = p('weight'); // (in, out)
  const leading = x.shape.slice(0, -1);
  const [inFeatures, outFeatures] = weight.shape;
  const y = np.matmul(x.reshape([-1, inFeatures]), weight); // (rows, out)
  const withBias = p.has('bias') ? y.add(p('bias')) : y;
  return withBias.reshape([...leading, outFeatures]); // (..., out)
}

/**
 * Normalise the last axis to zero mean and unit variance. With a reader: then scale by `weight`
 * and shift by `bias` (learned affine). Without: the plain version adaLN modulates.
 */
export function layerNorm(x: np.Array, p?: ParamReader, eps = 1e-6): np.Array {
  const mean = x.ref.mean(-1, { keepdims: true }); // (..., 1)
  const centred = x.sub(mean); // (..., d)
  const variance = np.square(centred.ref).mean(-1, { keepdims: true }); // (..., 1)
  const normed = centred.div(np.sqrt(variance.add(eps))); // (..., d)
  return p ? normed.mul(p('weight')).add(p('bias')) : normed;
}

/** x / rms(x), times a learned per-channel `weight` when a reader is given. */
export function rmsNorm(x: np.Array, p?: ParamReader, eps = 1e-6): np.Array {
  const meanSquare = np.square(x.ref).mean(-1, { keepdims: true }); // (..., 1)
  const normed = x.div(np.sqrt(meanSquare.add(eps))); // (..., d)
  return p ? normed.mul(p('weight')) : normed;
}

/** GELU, tanh approximation (as GPT-2 and DiT use): cheap and smooth. */
export function gelu(x: np.Array): np.Array {
  const cube = x.ref.mul(x.ref).mul(x.ref); // x³ as products: power() would trace through log/exp
  const inner = x.ref.add(cube.mul(0.044715)).mul(Math.sqrt(2 / Math.PI));
  return x.mul(np.tanh(inner).add(1)).mul(0.5);
}

/** x · sigmoid(x). */
export function silu(x: np.Array): np.Array {
  return x.ref.mul(nn.sigmoid(x));
}

/** Softmax over the last axis (max-subtracted, so large scores do not overflow). */
export function softmax(x: np.Array): np.Array {
  return nn.softmax(x, -1);
}

/**
 * adaLN modulation, x · (1 + scale) + shift, per group of consecutive tokens: one group (the
 * whole sequence) or e.g. one per frame. x (batch, tokens, d); shift, scale (batch, groups, d).
 */
export function modulate(x: np.Array, shift: np.Array, scale: np.Array): np.Array {
  const [batch, tokens, d] = x.shape;
  const groups = shift.shape[1]!;
  const grouped = x.reshape([batch, groups, tokens / groups, d]); // (batch, groups, tokens/groups, d)
  const out = grouped
    .mul(scale.reshape([batch, groups, 1, d]).add(1))
    .add(shift.reshape([batch, groups, 1, d])); // (batch, groups, tokens/groups, d)
  return out.reshape([batch, tokens, d]);
}

/** adaLN-zero gate per group of consecutive tokens: x (batch, tokens, d) · gate (batch, groups, d). */
export function gate(x: np.Array, gates: np.Array): np.Array {
  const [batch, tokens, d] = x.shape;
  const groups = gates.shape[1]!;
  const gated = x.reshape([batch, groups, tokens / groups, d]).mul(gates.reshape([batch, groups, 1, d]));
  return gated.reshape([batch, tokens, d]); // (batch, tokens, d)
}

/** (batch, tokens, heads·headDim) → (batch, heads, tokens, headDim). */
export function splitHeads(x: np.Array, heads: number): np.Array {
  const [batch, tokens, d] = x.shape;
  return x.reshape([batch, tokens, heads, d / heads]).transpose([0, 2, 1, 3]);
}

/** (batch, heads, tokens, headDim) → (batch, tokens, heads·headDim). */
export function mergeHeads(x: np.Array): np.Array {
  const [batch, heads, tokens, headDim] = x.shape;
  return x.transpose([0, 2, 1, 3]).reshape([batch, tokens, heads * headDim]);
}

/** An additive score bias from a key padding mask (1 = attend, 0 = padding). */
export function keyPaddingBias(keyMask: np.Array): np.Array {
  // keyMask: (batch, keys) → (batch, 1, 1, keys), 0 where valid and -1e9 where padded
  const [batch, keys] = keyMask.shape;
  return keyMask.sub(1).mul(-MASKED).reshape([batch, 1, 1, keys]);
}

/**
 * softmax(q kᵀ / √headDim + bias) v, written as two matrix products so it traces to `dot`s.
 * q: (batch, heads, queries, headDim); k, v: (batch, heads, keys, headDim);
 * bias: anything broadcastable to (batch, heads, queries, keys), or undefined.
 */
export function attention(q: np.Array, k: np.Array, v: np.Array, bias?: np.Array): np.Array {
  const headDim = q.shape[3];
  const scores = np.matmul(q.mul(1 / Math.sqrt(headDim)), k.transpose([0, 1, 3, 2])); // (batch, heads, queries, keys)
  const weights = softmax(bias ? scores.add(bias) : scores); // (batch, heads, queries, keys)
  return np.matmul(weights, v); // (batch, heads, queries, headDim)
}

/**
 * Rotary position embedding on the last axis, "rotate half" layout: channel i is paired with
 * channel i + headDim/2 and the pair is rotated by the angle in the tables.
 * x: (batch, heads, tokens, headDim); cos, sin: (tokens, headDim/2), the same angles for every
 * sample and head, or (batch, heads, tokens, headDim/2), angles of their own.
 */
export function applyRotary(x: np.Array, cos: np.Array, sin: np.Array): np.Array {
  const half = x.shape[3] / 2;
  const [first, second] = np.split(x, 2, -1); // each (batch, heads, tokens, half)
  const c = cos.ndim === 4 ? cos : cos.reshape([1, 1, -1, half]); // (1 or batch, 1 or heads, tokens, half)
  const s = sin.ndim === 4 ? sin : sin.reshape([1, 1, -1, half]);
  const rotatedFirst = first.ref.mul(c.ref).sub(second.ref.mul(s.ref));
  const rotatedSecond = second.mul(c).add(first.mul(s));
  return np.concatenate([rotatedFirst, rotatedSecond], -1); // (batch, heads, tokens, headDim)
}

/**
 * Rotary tables (cos, sin), each (tokens, headDim/2) or (batch, heads, tokens, headDim/2); reused
 * across layers, so not consumed.
 */
export interface RotaryTables {
  cos: np.Array;
  sin: np.Array;
}

/**
 * Multi-head self-attention with a fused `qkv` projection and an `out` projection.
 * x: (batch, tokens, d) → (batch, tokens, d). Rotary tables, when given, rotate q and k.
 */
export function selfAttention(
  p: ParamReader,
  x: np.Array,
  heads: number,
  opts: { rotary?: RotaryTables; bias?: np.Array } = {},
): np.Array {
  const qkv = linear(p.at('qkv'), x); // (batch, tokens, 3d)
  let [q, k, v] = np.split(qkv, 3, -1).map((t) => splitHeads(t, heads)); // each (batch, heads, tokens, headDim)
  if (opts.rotary) {
    q = applyRotary(q, opts.rotary.cos.ref, opts.rotary.sin.ref);
    k = applyRotary(k, opts.rotary.cos.ref, opts.rotary.sin.ref);
  }
  const mixed = attention(q, k, v, opts.bias); // (batch, heads, tokens, headDim)
  return linear(p.at('out'), mergeHeads(mixed)); // (batch, tokens, d)
}

/**
 * Multi-head cross-attention: queries from x, keys and values from `context` (e.g. text tokens).
 * x: (batch, tokens, d); context: (batch, contextTokens, d); contextMask: (batch, contextTokens).
 */
export function crossAttention(
  p: ParamReader,
  x: np.Array,
  context: np.Array,
  contextMask: np.Array,
  heads: number,
): np.Array {
  const q = splitHeads(linear(p.at('q'), x), heads); // (batch, heads, tokens, headDim)
  const kv = linear(p.at('kv'), context); // (batch, contextTokens, 2d)
  const [k, v] = np.split(kv, 2, -1).map((t) => splitHeads(t, heads)); // (batch, heads, contextTokens, headDim)
  const mixed = attention(q, k, v, keyPaddingBias(contextMask)); // (batch, heads, tokens, headDim)
  return linear(p.at('out'), mergeHeads(mixed)); // (batch, tokens, d)
}

/** Two-layer perceptron with GELU: (..., d) → (..., hidden) → (..., d). */
export function mlp(p: ParamReader, x: np.Array): np.Array {
  return linear(p.at('fc2'), gelu(linear(p.at('fc1'), x)));
}

/** Sinusoidal features of a scalar per sample (timesteps): (batch,) → (batch, dim). */
export function sinusoidalEmbedding(values: np.Array, dim: number, maxPeriod = 10000): np.Array {
  const half = dim / 2;
  const frequencies = new Float32Array(half);
  for (let i = 0; i < half; i++) frequencies[i] = Math.exp((-Math.log(maxPeriod) * i) / half);
  const angles = values.reshape([-1, 1]).mul(np.array(frequencies).reshape([1, half])); // (batch, half)
  return np.concatenate([np.cos(angles.ref), np.sin(angles)], -1); // (batch, dim)
}

/** A one-hot encoding written as a comparison (traces to compare + where, no gather). */
export function oneHot(ids: np.Array, classes: number): np.Array {
  // ids: (...) int32 → (..., classes) float32
  const classIds = np.arange(classes).astype(np.int32); // (classes,)
  const hits = np.equal(ids.reshape([...ids.shape, 1]), classIds); // (..., classes)
  return np.where(hits, 1, 0).astype(np.float32);
}

/** Mean over the tokens axis counting only valid tokens. x: (batch, tokens, d); mask: (batch, tokens). */
export function maskedMean(x: np.Array, mask: np.Array): np.Array {
  const [batch, tokens] = mask.shape;
  const weights = mask.reshape([batch, tokens, 1]); // (batch, tokens, 1)
  const total = x.mul(weights.ref).sum(1); // (batch, d)
  const count = weights.sum(1).add(1e-6); // (batch, 1)
  return total.div(count); // (batch, d)
}

/** Stop gradients flowing into x (used for constants derived from inputs). */
export function stopGradient(x: np.Array): np.Array {
  return lax.stopGradient(x);
}
