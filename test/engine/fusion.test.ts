// Fused patterns (src/engine/patterns.ts): tanh and softmax, forward and backward, must be
// recognised in traced programs, exported as ONNX Tanh / Softmax, and give the same values and
// gradients as jax-js (|Δ| ≤ 1e-5 + 1e-4·|expected|).
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { nn, numpy as np, random, valueAndGrad } from '@jax-js/jax';
import { decodeModel } from '../../src/engine/onnxGraph.ts';
import { gelu, layerNorm } from '../../src/nn/layers.ts';
import { assertAllClose, initJax, runInOrt } from './_helpers.ts';

before(initJax);

function opCounts(model: Uint8Array): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const n of decodeModel(model).graph?.node ?? [])
    counts[n.opType ?? ''] = (counts[n.opType ?? ''] ?? 0) + 1;
  return counts;
}

/** Runs `fn` and its gradient in ORT and jax-js and compares; returns the ONNX op counts. */
async function checkValueAndGrad(
  fn: (x: np.Array, w: np.Array) => np.Array,
  x: np.Array,
  w: np.Array,
): Promise<Record<string, number>> {
  // One trace for value and gradient, as in a training step: forward values feed the backward.
  const both = (xx: np.Array, ww: np.Array) => valueAndGrad((a: np.Array) => fn(a, ww))(xx);
  const { outputs, graph } = await runInOrt(both, [x, w]);
  const [value, gradient] = both(x.ref, w.ref);
  assertAllClose(outputs[0].data as Float32Array, value.dataSync() as Float32Array, { what: 'value' });
  assertAllClose(outputs[1].data as Float32Array, gradient.dataSync() as Float32Array, { what: 'gradient' });
  return opCounts(graph.model);
}

describe('fused patterns', () => {
  it('tanh-GELU: forward and gradient through one Tanh, no Exp or Where left', async () => {
    const x = random.normal(random.key(1), [6, 40]).mul(3);
    const w = random.normal(random.key(2), [6, 40]);
    const ops = await checkValueAndGrad((a, b) => gelu(a).mul(b).sum(), x, w);
    assert.equal(ops.Tanh, 1, JSON.stringify(ops));
    assert.equal(ops.Exp ?? 0, 0, JSON.stringify(ops));
    assert.equal(ops.Where ?? 0, 0, JSON.stringify(ops));
  });

  it('np.tanh alone, with a cotangent that broadcasts', async () => {
    const x = random.normal(random.key(3), [5, 7]).mul(4);
    const w = random.normal(random.key(4), [7]);
    const ops = await checkValueAndGrad((a, b) => np.tanh(a).mul(b).sum(), x, w);
    assert.equal(ops.Tanh, 1, JSON.stringify(ops));
  });

  it('softmax over the last axis of a 4-D array: forward and gradient through one Softmax', async () => {
    const x = random.normal(random.key(5), [2, 3, 5, 9]).mul(4);
    const w = random.normal(random.key(6), [2, 3, 5, 9]);
    const ops = await checkValueAndGrad((a, b) => nn.softmax(a, -1).mul(b).sum(), x, w);
    assert.equal(ops.Softmax, 1, JSON.stringify(ops));
    assert.equal(ops.Exp ?? 0, 0, JSON.stringify(ops));
    assert.equal(ops.ReduceMax ?? 0, 0, JSON.stringify(ops));
  });

  it('softmax over a middle axis', async () => {
    const x = random.normal(random.key(7), [4, 6, 3]);
    const w = random.normal(random.key(8), [4, 6, 3]);
    const ops = await checkValueAndGrad((a, b) => nn.softmax(a, 1).mul(b).sum(), x, w);
    assert.equal(ops.Softmax, 1, JSON.stringify(ops));
  });

  it('attention-like use: softmax feeding a matmul, gradient through both', async () => {
    const x = random.normal(random.key(9), [2, 4, 8]);
    const v = random.normal(random.key(10), [2, 8, 3]);
    const ops = await checkValueAndGrad((a, b) => np.square(np.matmul(nn.softmax(a, -1), b)).sum(), x, v);
    assert.equal(ops.Softmax, 1, JSON.stringify(ops));
  });

  it('fuse: false exports the equations one by one, with the same results', async () => {
    const x = random.normal(random.key(13), [4, 10]);
    const both = (a: np.Array) =>
      valueAndGrad((b: np.Array) => nn.softmax(np.tanh(b.ref), -1).mul(b).sum())(a);
    const fused = await runInOrt(both, [x]);
    const plain = await runInOrt(both, [x], { fuse: false });
    const ops = opCounts(plain.graph.model);
    assert.equal(ops.Tanh ?? 0, 0, JSON.stringify(ops));
    assert.equal(ops.Softmax ?? 0, 0, JSON.stringify(ops));
    assert.equal(opCounts(fused.graph.model).Softmax, 1);
    for (const i of [0, 1]) {
      assertAllClose(fused.outputs[i].data as Float32Array, plain.outputs[i].data as Float32Array, {
        what: `output ${i}`,
      });
    }
  });

  it('a plain exp is left alone, and layer norm still matches', async () => {
    const x = random.normal(random.key(11), [3, 16]);
    const w = random.normal(random.key(12), [3, 16]);
    const ops = await checkValueAndGrad((a, b) => np.exp(layerNorm(a)).mul(b).sum(), x, w);
    assert.equal(ops.Exp, 1, JSON.stringify(ops));
    assert.equal(ops.Tanh ?? 0, 0);
    assert.equal(ops.Softmax ?? 0, 0);
  });
});
