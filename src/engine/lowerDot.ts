// Lowering of jax-js's `dot` primitive to ONNX MatMul.
//
// jax-js has no matmul primitive: `dot(a, b)` is sum(a * b, axis=-1) with NumPy broadcasting, and
// `np.matmul(x, w)` traces to reshape/transpose/broadcast + dot, e.g.
//   x[3,4] → reshape [3,1,4];  w[4,8] → transpose [8,4] → reshape [1,8,4];  dot → [3,8].
// Materialising that broadcast product would cost M·N·K memory. Instead we read the axes:
// an axis present (size > 1) in both operands is a batch axis, in `a` only an M axis, in `b` only
// an N axis, and the last axis is contracted (K). Then
//   a → [batch, M, K],  b → [batch, K, N],  MatMul → [batch, M, N] → the output's axis order.
// The operands arrive "lazily broadcast" (export.ts): axes the trace broadcast are still size 1.
import { type ElementType, type GraphBuilder, sameShape } from './onnxGraph.ts';

export interface ShapedValue {
  name: string;
  shape: number[];
}

/** An operand as stored (`name`, `shape`) plus a pending transpose: logical axis i is stored axis perm[i]. */
export interface PermutedValue extends ShapedValue {
  perm: number[];
}

const product = (xs: number[]): number => xs.reduce((p, d) => p * d, 1);

/** Adds leading size-1 axes so the logical rank is `rank`. */
function padLeft(g: GraphBuilder, v: PermutedValue, rank: number): PermutedValue {
  const k = rank - v.perm.length;
  if (k === 0) return v;
  const shape = [...Array(k).fill(1), ...v.shape];
  return {
    name: g.reshape(v.name, v.shape, shape),
    shape,
    perm: [...Array(k).keys(), ...v.perm.map((p) => p + k)],
  };
}

const logical = (v: PermutedValue): number[] => v.perm.map((p) => v.shape[p]);

/**
 * Emits MatMul-based nodes for `dot(a, b)` whose result has `outShape`; returns the output name.
 * Operands carry the transposes the trace applied before the dot, so those compose with the
 * matrix layout into at most one Transpose per operand (usually none, or a 2-D swap that ORT fuses).
 * Falls back to Mul + ReduceSum only when the contracted axis itself is broadcast (never seen in
 * traced matmuls).
 */
export function lowerDot(
  g: GraphBuilder,
  aIn: PermutedValue,
  bIn: PermutedValue,
  outShape: number[],
  _dtype: ElementType,
): string {
  const rank = Math.max(aIn.perm.length, bIn.perm.length);
  const a = padLeft(g, aIn, rank);
  const b = padLeft(g, bIn, rank);
  const as = logical(a);
  const bs = logical(b);
  const kAxis = rank - 1;
  const lazyOut = as.slice(0, kAxis).map((d, i) => Math.max(d, bs[i]));

  if (as[kAxis] !== bs[kAxis]) {
    const prod = g.node('Mul', [g.transpose(a.name, a.perm, a.shape), g.transpose(b.name, b.perm, b.shape)]);
    const summed = g.node('ReduceSum', [prod, g.int64s([-1])], { keepdims: 0 });
    return finish(g, summed, lazyOut, outShape);
  }
  const k = as[kAxis];

  const batch: number[] = [];
  const mAxes: number[] = [];
  const nAxes: number[] = [];
  for (let i = 0; i < kAxis; i++) {
    if (as[i] > 1 && bs[i] > 1) batch.push(i);
    else if (as[i] > 1) mAxes.push(i);
    else if (bs[i] > 1) nAxes.push(i);
  }
  const sizes = (axes: number[], shape: number[]) => axes.map((i) => shape[i]);
  const batchShape = batch.length > 0 ? [product(sizes(batch, as))] : [];
  const m = product(sizes(mAxes, as));
  const n = product(sizes(nAxes, bs));

  // a: squeeze the axes it lacks, move batch then M axes before K, flatten to [batch?, M, K].
  // a: squeeze the axes it lacks, move batch then M axes before K, flatten to [batch?, M, K].
  const aMatrix = toMatrix(
    g,
    a,
    [...batch, ...mAxes, kAxis],
    [...batch, ...mAxes, kAxis],
    [...batchShape, m, k],
  );
  // b: the same with N axes after K: [batch?, K, N].
  const bMatrix = toMatrix(
    g,
    b,
    [...batch, ...nAxes, kAxis],
    [...batch, kAxis, ...nAxes],
    [...batchShape, k, n],
  );
  const product_ = g.node('MatMul', [aMatrix, bMatrix]);

  // [batch?, M, N] → axes in the order batch ++ M ++ N → the output's own order.
  const order = [...batch, ...mAxes, ...nAxes];
  const unflat = [...sizes(batch, as), ...sizes(mAxes, as), ...sizes(nAxes, bs)];
  const sorted = [...order].sort((x, y) => x - y);
  const reordered = permuteGrouped(
    g,
    { name: product_, shape: [...batchShape, m, n] },
    unflat,
    sorted.map((axis) => order.indexOf(axis)),
  );
  return finish(g, g.reshape(reordered.name, reordered.shape, lazyOut), lazyOut, outShape);
}

/**
 * Keeps the `kept` logical axes of x (the others are size 1), permutes them to `order`, and
 * reshapes to `target`. Works on stored axes, so x's pending transpose costs nothing extra.
 */
function toMatrix(
  g: GraphBuilder,
  x: PermutedValue,
  kept: number[],
  order: number[],
  target: number[],
): string {
  const keptStored = kept.map((i) => x.perm[i]).sort((p, q) => p - q);
  const permuted = permuteGrouped(
    g,
    x,
    keptStored.map((i) => x.shape[i]),
    order.map((axis) => keptStored.indexOf(x.perm[axis])),
  );
  return g.reshape(permuted.name, permuted.shape, target);
}

/**
 * Transposes x (stored with its shape, logically with `axes` sizes) by `perm`, first merging axes
 * that stay adjacent, so the Transpose is as small as possible: often a plain 2-D swap that ORT
 * folds into the following MatMul (FusedMatMul with transA/transB), or nothing at all.
 */
function permuteGrouped(g: GraphBuilder, x: ShapedValue, axes: number[], perm: number[]): ShapedValue {
  // Runs of consecutive input axes in output order form groups.
  const groups: number[][] = [];
  for (const p of perm) {
    const last = groups[groups.length - 1];
    if (last && last[last.length - 1] + 1 === p) last.push(p);
    else groups.push([p]);
  }
  const byInput = [...groups].sort((a, b) => a[0] - b[0]);
  const groupSize = (grp: number[]) => product(grp.map((i) => axes[i]));
  const mergedIn = byInput.map(groupSize);
  const mergedPerm = groups.map((grp) => byInput.indexOf(grp));
  const reshaped = g.reshape(x.name, x.shape, mergedIn);
  return { name: g.transpose(reshaped, mergedPerm, mergedIn), shape: groups.map(groupSize) };
}

/** Broadcasts a result whose axes were broadcast in both operands back to the declared shape. */
function finish(g: GraphBuilder, x: string, lazyShape: number[], outShape: number[]): string {
  if (sameShape(lazyShape, outShape)) return x;
  return g.node('Expand', [x, g.int64s(outShape)]);
}
