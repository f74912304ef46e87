import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { init, numpy as np } from '@jax-js/jax';
import { rotaryTables3d } from '../../src/models/dit.ts';
import { Rng } from '../../src/nn/init.ts';
import {
  applyRotary,
  attention,
  crossAttention,
  gate,
  gelu,
  keyPaddingBias,
  layerNorm,
  modulate,
  rmsNorm,
  selfAttention,
} from '../../src/nn/layers.ts';
import { paramReader } from '../../src/nn/params.ts';
import { assertClose, checkGradient, randomArray } from './helpers.ts';

before(async () => {
  await init('wasm');
});

/** A fixed random weighting so the checked scalar depends on every output element. */
function weightedSum(y: np.Array, seed = 99): np.Array {
  return y.ref.mul(randomArray(new Rng(seed), y.shape)).sum();
}

describe('layer gradients match finite differences (float64)', () => {
  const rng = new Rng(1);

  test('layerNorm, affine and plain', async () => {
    const p = paramReader({ weight: randomArray(rng, [6]), bias: randomArray(rng, [6]) });
    await checkGradient((x) => weightedSum(layerNorm(x, p)), randomArray(rng, [2, 3, 6]));
    await checkGradient((x) => weightedSum(layerNorm(x)), randomArray(rng, [4, 6]));
  });

  test('rmsNorm and gelu', async () => {
    await checkGradient((x) => weightedSum(rmsNorm(x)), randomArray(rng, [3, 5]));
    await checkGradient((x) => weightedSum(gelu(x)), randomArray(rng, [3, 5], 2));
  });

  test('attention with a key padding mask, through q, k and v', async () => {
    const q = randomArray(rng, [2, 2, 3, 4]);
    const k = randomArray(rng, [2, 2, 5, 4]);
    const v = randomArray(rng, [2, 2, 5, 4]);
    const mask = () => np.array(new Float32Array([1, 1, 1, 0, 0, 1, 1, 1, 1, 1]), { shape: [2, 5] });
    await checkGradient((x) => weightedSum(attention(x, k.ref, v.ref, keyPaddingBias(mask()))), q.ref);
    await checkGradient((x) => weightedSum(attention(q.ref, x, v.ref, keyPaddingBias(mask()))), k.ref);
    await checkGradient((x) => weightedSum(attention(q.ref, k.ref, x, keyPaddingBias(mask()))), v.ref);
    q.dispose();
    k.dispose();
    v.dispose();
  });

  test('rotary positions (3-D tables)', async () => {
    const tables = rotaryTables3d([2, 2, 3], 8, 100);
    const cos = () => np.array(tables.cos).astype(np.float64);
    const sin = () => np.array(tables.sin).astype(np.float64);
    await checkGradient((x) => weightedSum(applyRotary(x, cos(), sin())), randomArray(rng, [1, 2, 12, 8]));
  });

  for (const groups of [1, 3]) {
    test(`adaLN modulation and gate (${groups} token groups), through x, shift, scale and gate`, async () => {
      const x = randomArray(rng, [2, 6, 4]);
      const shift = randomArray(rng, [2, groups, 4]);
      const scale = randomArray(rng, [2, groups, 4]);
      const gates = randomArray(rng, [2, groups, 4]);
      // A smaller step: layer norm over 4 features curves enough for h = 1e-3 to miss by ~1e-4.
      await checkGradient((a) => weightedSum(modulate(layerNorm(a), shift.ref, scale.ref)), x.ref, {
        h: 1e-4,
      });
      await checkGradient((a) => weightedSum(modulate(layerNorm(x.ref), a, scale.ref)), shift.ref);
      await checkGradient((a) => weightedSum(modulate(layerNorm(x.ref), shift.ref, a)), scale.ref);
      await checkGradient((a) => weightedSum(gate(a, gates.ref)), x.ref);
      await checkGradient((a) => weightedSum(gate(x.ref, a)), gates.ref);
      x.dispose();
      shift.dispose();
      scale.dispose();
      gates.dispose();
    });
  }

  test('self- and cross-attention modules', async () => {
    const d = 8;
    const p = paramReader({
      'qkv.weight': randomArray(rng, [d, 3 * d], 0.3),
      'qkv.bias': randomArray(rng, [3 * d], 0.1),
      'out.weight': randomArray(rng, [d, d], 0.3),
      'q.weight': randomArray(rng, [d, d], 0.3),
      'kv.weight': randomArray(rng, [d, 2 * d], 0.3),
    });
    await checkGradient((x) => weightedSum(selfAttention(p, x, 2)), randomArray(rng, [2, 4, d]));
    const context = randomArray(rng, [2, 3, d]);
    const mask = () => np.array(new Float32Array([1, 1, 0, 1, 0, 0]), { shape: [2, 3] });
    await checkGradient(
      (x) => weightedSum(crossAttention(p, x, context.ref, mask(), 2)),
      randomArray(rng, [2, 4, d]),
    );
    context.dispose();
  });
});

describe('layer behaviour', () => {
  test('masked keys get no attention weight', async () => {
    const rng = new Rng(3);
    const q = randomArray(rng, [1, 1, 2, 4]);
    const k = randomArray(rng, [1, 1, 3, 4]);
    const v = randomArray(rng, [1, 1, 3, 4]);
    const mask = np.array(new Float32Array([1, 1, 0]), { shape: [1, 3] });
    const full = await attention(q.ref, k.ref, v.ref, keyPaddingBias(mask)).data();
    // Same as attending over the first two keys only.
    const short = await attention(q, k.slice([], [], [0, 2]), v.slice([], [], [0, 2])).data();
    assertClose(full as Float64Array, short as Float64Array, 1e-9, 1e-12);
  });

  test('rotary rotation keeps norms and makes q·k depend on position differences only', async () => {
    // Six positions along the width axis (headDim 16: 2 time, 3 row and 3 column pairs).
    const tables = rotaryTables3d([1, 1, 6], 16, 100);
    // The same vector at every position.
    const vector = Array.from({ length: 16 }, (_, i) => Math.sin(i + 1));
    const x = np.array(new Float32Array(Array.from({ length: 6 }, () => vector).flat()), {
      shape: [1, 1, 6, 16],
    });
    const rotated = (await applyRotary(x, np.array(tables.cos), np.array(tables.sin)).data()) as Float32Array;
    const row = (i: number) => Array.from(rotated.subarray(i * 16, i * 16 + 16));
    const dot = (a: number[], b: number[]) => a.reduce((s, ai, i) => s + ai * b[i], 0);
    for (let i = 0; i < 6; i++) assert.ok(Math.abs(dot(row(i), row(i)) - dot(vector, vector)) < 1e-4);
    assert.ok(Math.abs(dot(row(0), row(2)) - dot(row(3), row(5))) < 1e-4);
    assert.ok(Math.abs(dot(row(0), row(1)) - dot(row(0), row(3))) > 1e-3, 'different offsets differ');
  });
});
