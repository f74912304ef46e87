// One small function per primitive: the exported ONNX graph, run in ORT, must match jax-js.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { type JsTree, lax, makeJaxpr, nn, numpy as np, random, tree, valueAndGrad } from '@jax-js/jax';
import { UnsupportedPrimitiveError } from '../../src/engine/lower.ts';
import { assertAllClose, initJax, runInOrt } from './_helpers.ts';

before(initJax);

type Fn = (...args: np.Array[]) => JsTree<np.Array>;
interface Case {
  primitive: string;
  label?: string;
  fn: Fn;
  args: () => np.Array[];
}

const normal = (seed: number, shape: number[]) => random.normal(random.key(seed), shape);
const x34 = () => [normal(1, [3, 4])];
const x34y4 = () => [normal(1, [3, 4]), normal(2, [4])];

const cases: Case[] = [
  { primitive: 'neg', fn: (x) => np.negative(x), args: x34 },
  { primitive: 'reciprocal', fn: (x) => np.reciprocal(np.abs(x).add(0.5)), args: x34 },
  { primitive: 'floor', fn: (x) => np.floor(x.mul(3)), args: x34 },
  { primitive: 'ceil', fn: (x) => np.ceil(x.mul(3)), args: x34 },
  { primitive: 'sin', fn: (x) => np.sin(x), args: x34 },
  { primitive: 'cos', fn: (x) => np.cos(x), args: x34 },
  { primitive: 'asin', fn: (x) => np.arcsin(np.tanh(x)), args: x34 },
  { primitive: 'atan', fn: (x) => np.arctan(x), args: x34 },
  { primitive: 'exp', fn: (x) => np.exp(x), args: x34 },
  { primitive: 'log', fn: (x) => np.log(np.abs(x).add(0.1)), args: x34 },
  { primitive: 'erf', fn: (x) => lax.erf(x), args: x34 },
  { primitive: 'erfc', fn: (x) => lax.erfc(x), args: x34 },
  { primitive: 'sqrt', fn: (x) => np.sqrt(np.abs(x)), args: x34 },
  { primitive: 'add', fn: (x, y) => x.add(y), args: x34y4 },
  { primitive: 'mul', fn: (x, y) => x.mul(y), args: x34y4 },
  { primitive: 'min', fn: (x, y) => np.minimum(x, y), args: x34y4 },
  { primitive: 'max', fn: (x, y) => np.maximum(x, y), args: x34y4 },
  {
    primitive: 'idiv',
    fn: (x, y) => np.floorDivide(x.mul(10).astype(np.int32), np.abs(y.mul(3)).add(1).astype(np.int32)),
    args: x34y4,
  },
  { primitive: 'idiv', label: 'idiv (float, via fmod)', fn: (x) => np.fmod(x.mul(4), 1.5), args: x34 },
  { primitive: 'mod', fn: (x) => np.remainder(x.mul(10).astype(np.int32), 3), args: x34 },
  {
    primitive: 'reduce',
    fn: (x) => [np.sum(x.ref, 0), np.prod(x.ref, 1), np.max(x.ref, 1), np.min(x, 0)],
    args: x34,
  },
  { primitive: 'dot', fn: (x, y) => np.matmul(x, y), args: () => [normal(1, [3, 4]), normal(2, [4, 5])] },
  {
    primitive: 'compare',
    fn: (x, y) => [
      np.less(x.ref, y.ref),
      np.equal(np.floor(x.ref), 0),
      np.notEqual(x.ref, y.ref),
      np.lessEqual(x, y),
    ],
    args: x34y4,
  },
  { primitive: 'where', fn: (x, y) => np.where(np.less(x.ref, y.ref), x, y), args: x34y4 },
  { primitive: 'concatenate', fn: (x) => np.concatenate([x.ref, x.mul(2)], 1), args: x34 },
  { primitive: 'split', fn: (x) => np.split(x, [1, 3], 1), args: x34 },
  {
    primitive: 'gather',
    fn: (x, i) => [np.take(x.ref, i.ref, 0), np.take(x, i, 1)],
    args: () => [normal(1, [5, 4]), np.array([3, 0, 2], { dtype: np.int32 })],
  },
  {
    // The gradient of a gather (an embedding lookup) is a scatter-add.
    primitive: 'scatter',
    fn: (table, i) => valueAndGrad((t: np.Array) => np.sum(np.square(np.take(t, i, 0))))(table)[1],
    args: () => [normal(1, [6, 3]), np.array([1, 4, 1, 0], { dtype: np.int32 })],
  },
  { primitive: 'transpose', fn: (x) => np.transpose(x.mul(2), [1, 0]), args: x34 },
  { primitive: 'broadcast', fn: (y) => np.broadcastTo(y.mul(2), [3, 4]), args: () => [normal(2, [4])] },
  { primitive: 'reshape', fn: (x) => np.reshape(x.mul(2), [2, 6]), args: x34 },
  { primitive: 'flip', fn: (x) => np.flip(x.mul(2), 1), args: x34 },
  { primitive: 'shrink', fn: (x) => x.mul(2).slice([1, 3], [0, 2]), args: x34 },
  {
    primitive: 'pad',
    fn: (x) =>
      np.pad(x.mul(2), [
        [1, 0],
        [0, 2],
      ]),
    args: x34,
  },
  { primitive: 'cast', fn: (x) => x.mul(3).astype(np.int32), args: x34 },
  { primitive: 'stop_gradient', fn: (x) => lax.stopGradient(x.mul(2)), args: x34 },
  { primitive: 'jit', fn: (x) => nn.gelu(x), args: x34 },
];

function tracedPrimitives(fn: Fn, args: np.Array[]): Set<string> {
  const { jaxpr } = makeJaxpr(fn)(...tree.ref(args));
  const prims = new Set(jaxpr.jaxpr.eqns.map((e) => e.primitive as string));
  for (const e of jaxpr.jaxpr.flatten().eqns) prims.add(e.primitive as string);
  return prims;
}

describe('each primitive exports and matches jax-js (forward)', () => {
  for (const c of cases) {
    it(c.label ?? c.primitive, async () => {
      const args = c.args();
      assert.ok(tracedPrimitives(c.fn, args).has(c.primitive), `test does not trace '${c.primitive}'`);
      const { outputs } = await runInOrt(c.fn, args);
      const expected = tree.leaves(c.fn(...args) as JsTree<np.Array>) as np.Array[];
      assert.equal(outputs.length, expected.length);
      outputs.forEach((o, i) => {
        assert.deepEqual([...o.shape], [...expected[i].shape], `output ${i} shape`);
        const want = expected[i].dataSync() as ArrayLike<number>;
        assertAllClose(Array.from(o.data as ArrayLike<number>, Number), Array.from(want, Number), {
          what: `${c.primitive} output ${i}`,
        });
      });
    });
  }
});

describe('unsupported primitives', () => {
  it('name the primitive in a typed error', async () => {
    await assert.rejects(
      runInOrt((x: np.Array) => np.sort(x), [normal(1, [4])]),
      (e: unknown) =>
        e instanceof UnsupportedPrimitiveError && e.primitive === 'sort' && /'sort'/.test(e.message),
    );
  });
});
