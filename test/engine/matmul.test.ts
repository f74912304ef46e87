// jax-js traces np.matmul to reshape/transpose/broadcast + `dot`; the exporter must emit MatMul
// and never materialise the broadcast product (M·N·K elements).
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { makeJaxpr, numpy as np, random, tree, valueAndGrad } from '@jax-js/jax';
import { decodeModel } from '../../src/engine/onnxGraph.ts';
import { assertAllClose, initJax, runInOrt } from './_helpers.ts';

before(initJax);

const normal = (seed: number, shape: number[]) => random.normal(random.key(seed), shape);

function opCounts(model: Uint8Array): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const n of decodeModel(model).graph?.node ?? [])
    counts[n.opType ?? ''] = (counts[n.opType ?? ''] ?? 0) + 1;
  return counts;
}

function dotCount(fn: (...a: np.Array[]) => unknown, args: np.Array[]): number {
  // biome-ignore lint/suspicious/noExplicitAny: the test functions return arrays or tuples of arrays.
  const { jaxpr } = makeJaxpr(fn as any)(...tree.ref(args));
  return jaxpr.jaxpr.flatten().eqns.filter((e) => e.primitive === 'dot').length;
}

const cases: { name: string; fn: (...a: np.Array[]) => np.Array | np.Array[]; shapes: number[][] }[] = [
  {
    name: 'matrix × matrix',
    fn: (a, b) => np.matmul(a, b),
    shapes: [
      [5, 7],
      [7, 3],
    ],
  },
  {
    name: 'batched activations × weight [B,T,D]@[D,E]',
    fn: (a, b) => np.matmul(a, b),
    shapes: [
      [2, 5, 8],
      [8, 6],
    ],
  },
  {
    name: 'attention scores q @ kᵀ [B,H,T,d]',
    fn: (q, k) => np.matmul(q, np.transpose(k, [0, 1, 3, 2])),
    shapes: [
      [2, 3, 5, 4],
      [2, 3, 5, 4],
    ],
  },
  {
    name: 'gradient of a linear layer (broadcast cotangents)',
    fn: (x, w) => {
      const [, g] = valueAndGrad((p: np.Array[]) => np.sum(np.square(np.matmul(x, p[0]))))([w]);
      return g;
    },
    shapes: [
      [6, 4],
      [4, 9],
    ],
  },
];

describe('matmul pattern', () => {
  for (const c of cases) {
    it(`${c.name}: one MatMul per dot, no Expand, no Mul+ReduceSum product`, async () => {
      const args = c.shapes.map((s, i) => normal(i + 1, s));
      const dots = dotCount(c.fn, args);
      const { outputs, graph } = await runInOrt(c.fn, args);
      const counts = opCounts(graph.model);
      assert.ok(dots > 0);
      assert.equal(counts.MatMul, dots, JSON.stringify(counts));
      assert.equal(counts.Expand ?? 0, 0, 'a broadcast was materialised');
      assert.equal(counts.ReduceSum ?? 0, 0, 'a dot fell back to multiply-and-sum');
      const expected = [c.fn(...args)].flat() as np.Array[];
      outputs.forEach((o, i) => {
        assertAllClose(o.data as Float32Array, expected[i].dataSync() as Float32Array, { what: c.name });
      });
    });
  }
});
