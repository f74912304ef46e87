// Small models for engine tests and the engine benchmark: an MLP and a pre-norm transformer
// (attention written with matmul + softmax, layer norm, GELU MLP), as pure jax-js functions.
import { nn, numpy as np, random } from '@jax-js/jax';
import type { Params } from '../../src/nn/adamw.ts';

export function mlpParams(seed: number, din: number, hidden: number, dout: number): Params {
  return {
    w1: random.normal(random.key(seed), [din, hidden]).mul(1 / Math.sqrt(din)),
    b1: np.zeros([hidden]),
    w2: random.normal(random.key(seed + 1), [hidden, dout]).mul(1 / Math.sqrt(hidden)),
    b2: np.zeros([dout]),
  };
}

/** Mean squared error of a one-hidden-layer GELU MLP; batch {x: [N, din], y: [N, dout]}. */
export function mlpLoss(p: Params, b: Record<string, np.Array>): np.Array {
  const h = nn.gelu(np.matmul(b.x, p.w1).add(p.b1));
  const out = np.matmul(h, p.w2).add(p.b2);
  return np.mean(np.square(out.sub(b.y)));
}

export interface TransformerConfig {
  vocab: number;
  dim: number;
  heads: number;
  blocks: number;
  tokens: number;
}

export function transformerParams(seed: number, c: TransformerConfig): Params {
  let k = seed * 1000;
  const normal = (shape: number[], std: number) => random.normal(random.key(k++), shape).mul(std);
  const p: Params = {
    embed: normal([c.vocab, c.dim], 0.5),
    pos: normal([c.tokens, c.dim], 0.1),
  };
  const s = 1 / Math.sqrt(c.dim);
  for (let i = 0; i < c.blocks; i++) {
    Object.assign(p, {
      [`b${i}.ln1.g`]: np.ones([c.dim]),
      [`b${i}.ln1.b`]: np.zeros([c.dim]),
      [`b${i}.wq`]: normal([c.dim, c.dim], s),
      [`b${i}.wk`]: normal([c.dim, c.dim], s),
      [`b${i}.wv`]: normal([c.dim, c.dim], s),
      [`b${i}.wo`]: normal([c.dim, c.dim], s),
      [`b${i}.ln2.g`]: np.ones([c.dim]),
      [`b${i}.ln2.b`]: np.zeros([c.dim]),
      [`b${i}.w1`]: normal([c.dim, 4 * c.dim], s),
      [`b${i}.b1`]: np.zeros([4 * c.dim]),
      [`b${i}.w2`]: normal([4 * c.dim, c.dim], s / 2),
      [`b${i}.b2`]: np.zeros([c.dim]),
    });
  }
  return p;
}

function layerNorm(x: np.Array, g: np.Array, b: np.Array): np.Array {
  const mean = np.mean(x.ref, -1, { keepdims: true });
  const centered = x.sub(mean);
  const variance = np.mean(np.square(centered.ref), -1, { keepdims: true });
  return centered
    .mul(np.reciprocal(np.sqrt(variance.add(1e-5))))
    .mul(g)
    .add(b);
}

/** x: [B, T, D] → [B, T, D]. */
function attention(p: Params, i: number, x: np.Array, heads: number): np.Array {
  const [B, T, D] = x.shape;
  const dh = D / heads;
  // [B, T, D] → [B, H, T, dh]
  const split = (w: np.Array) =>
    np.transpose(np.reshape(np.matmul(x.ref, w), [B, T, heads, dh]), [0, 2, 1, 3]);
  const q = split(p[`b${i}.wq`]);
  const k = split(p[`b${i}.wk`]);
  const v = split(p[`b${i}.wv`]);
  x.dispose();
  const scores = np.matmul(q, np.transpose(k, [0, 1, 3, 2])).mul(1 / Math.sqrt(dh)); // [B, H, T, T]
  const mixed = np.matmul(nn.softmax(scores, -1), v); // [B, H, T, dh]
  return np.matmul(np.reshape(np.transpose(mixed, [0, 2, 1, 3]), [B, T, D]), p[`b${i}.wo`]);
}

/** Token ids [B, T] → features [B, T, D]. */
export function transformerForward(p: Params, tokens: np.Array, c: TransformerConfig): np.Array {
  let x = np.take(p.embed, tokens, 0).add(p.pos);
  for (let i = 0; i < c.blocks; i++) {
    const h = layerNorm(x.ref, p[`b${i}.ln1.g`], p[`b${i}.ln1.b`]);
    x = x.add(attention(p, i, h, c.heads));
    const h2 = layerNorm(x.ref, p[`b${i}.ln2.g`], p[`b${i}.ln2.b`]);
    const hidden = nn.gelu(np.matmul(h2, p[`b${i}.w1`]).add(p[`b${i}.b1`]));
    x = x.add(np.matmul(hidden, p[`b${i}.w2`]).add(p[`b${i}.b2`]));
  }
  return x;
}

/** Regression of the features onto a target [B, T, D]; batch {tokens: int32 [B, T], target}. */
export function transformerLoss(c: TransformerConfig) {
  return (p: Params, b: Record<string, np.Array>): np.Array => {
    const out = transformerForward(p, b.tokens, c);
    return np.mean(np.square(out.sub(b.target)));
  };
}
