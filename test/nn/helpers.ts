// Shared test helpers: numeric gradient checks and closeness.
import assert from 'node:assert/strict';
import { grad, jit, numpy as np, tree, valueAndGrad } from '@jax-js/jax';
import { Rng } from '../../src/nn/init.ts';
import type { Params } from '../../src/nn/params.ts';

/** Random float64 array (gradient checks run in double precision so finite differences are exact enough). */
export function randomArray(rng: Rng, shape: number[], scale = 1): np.Array {
  const size = shape.reduce((a, b) => a * b, 1);
  const values = new Float32Array(size);
  for (let i = 0; i < size; i++) values[i] = scale * rng.normal();
  return np.array(values, { shape }).astype(np.float64);
}

export function assertClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  rtol = 1e-5,
  atol = 1e-6,
): void {
  assert.equal(actual.length, expected.length, 'lengths differ');
  for (let i = 0; i < actual.length; i++) {
    const tolerance = atol + rtol * Math.abs(expected[i]);
    if (!(Math.abs(actual[i] - expected[i]) <= tolerance))
      assert.fail(`element ${i}: ${actual[i]} vs ${expected[i]} (tolerance ${tolerance})`);
  }
}

/**
 * Check the gradient of a scalar function of one array against central finite differences along
 * a few random directions: <∇f, v> ≈ (f(x + hv) − f(x − hv)) / 2h. `f` must consume its argument.
 */
export async function checkGradient(
  f: (x: np.Array) => np.Array,
  x: np.Array,
  opts: { directions?: number; h?: number; rtol?: number; seed?: number } = {},
): Promise<void> {
  const { directions = 3, h = 1e-3, rtol = 1e-4, seed = 7 } = opts;
  const rng = new Rng(seed);
  const gradient = Float64Array.from((await grad(f)(x.ref).data()) as Float64Array);
  for (let d = 0; d < directions; d++) {
    const direction = randomArray(rng, x.shape);
    const v = Float64Array.from((await direction.ref.data()) as Float64Array);
    const plus = f(x.ref.add(direction.ref.mul(h))).item();
    const minus = f(x.ref.sub(direction.mul(h))).item();
    const numeric = (plus - minus) / (2 * h);
    let analytic = 0;
    for (let i = 0; i < v.length; i++) analytic += gradient[i] * v[i];
    const tolerance = rtol * Math.max(1, Math.abs(numeric));
    assert.ok(
      Math.abs(numeric - analytic) <= tolerance,
      `direction ${d}: finite differences ${numeric} vs gradient ${analytic}`,
    );
  }
  x.dispose();
}

/**
 * A minimal jit-compiled Adam for tests (the real optimizer, AdamW with clipping, lives in
 * src/nn/adamw.ts and runs in the exported ONNX training step).
 */
export function adamTrainer<Batch extends object>(
  loss: (params: Params, batch: Batch) => np.Array,
  params: Params,
  learningRate: number,
) {
  const [beta1, beta2] = [0.9, 0.999];
  const update = jit((p: Params, m: Params, v: Params, batch: Batch, corrections: np.Array) => {
    // jax-js's tree types cannot tell that an interface of arrays is a tree: hence the casts.
    const [value, grads] = valueAndGrad(loss)(tree.ref(p), batch as never);
    const [c1, c2] = np.split(corrections, 2);
    const next: [Params, Params, Params] = [{}, {}, {}];
    for (const name of Object.keys(p)) {
      const g = grads[name];
      const mNew = m[name].mul(beta1).add(g.ref.mul(1 - beta1));
      const vNew = v[name].mul(beta2).add(g.ref.mul(g).mul(1 - beta2));
      const stepSize = mNew.ref.mul(c1.ref).div(np.sqrt(vNew.ref.mul(c2.ref)).add(1e-8));
      next[0][name] = p[name].sub(stepSize.mul(learningRate));
      next[1][name] = mNew;
      next[2][name] = vNew;
    }
    c1.dispose();
    c2.dispose();
    return [value, ...next] as [np.Array, Params, Params, Params];
  });
  const zerosLike = () => Object.fromEntries(Object.entries(params).map(([k, a]) => [k, np.zeros(a.shape)]));
  const state = { params, m: zerosLike(), v: zerosLike(), t: 0 };
  return {
    state,
    /** One step on `batch` (consumed); returns the loss before the step. */
    step(batch: Batch): number {
      state.t++;
      const corrections = np.array(
        new Float32Array([1 / (1 - beta1 ** state.t), 1 / (1 - beta2 ** state.t)]),
      );
      const [value, p, m, v] = update(state.params, state.m, state.v, batch as never, corrections);
      Object.assign(state, { params: p, m, v });
      return value.item();
    },
  };
}
