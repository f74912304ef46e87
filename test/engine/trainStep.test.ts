// The exported training step (loss, gradients, clipping, AdamW in one ONNX graph) run by ORT must
// follow the same trajectory as the same step run by jax-js, after 1 and after 20 steps.
// Tolerance: loss, gradient norm and every parameter within |Δ| ≤ 1e-5 + 1e-4·|expected|, after
// step 1 and after step 20 (learning rate 1e-5 relative).
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { numpy as np, random, tree } from '@jax-js/jax';
import { type HostTensor, OrtSession } from '../../src/engine/session.ts';
import { exportTrainStep, type LossFn, makeTrainStep, OrtTrainStep } from '../../src/engine/trainStep.ts';
import { type AdamWConfig, DEFAULT_ADAMW, initAdamW, type Params } from '../../src/nn/adamw.ts';
import { assertAllClose, host, initJax } from './_helpers.ts';
import { mlpLoss, mlpParams, type TransformerConfig, transformerLoss, transformerParams } from './_models.ts';

before(initJax);

const adamw: AdamWConfig = { ...DEFAULT_ADAMW, lr: 1e-2, warmupSteps: 3, totalSteps: 30, clipNorm: 0.5 };

/** Trains `steps` steps on both executors from the same start and compares along the way. */
async function compareTrajectories(
  loss: LossFn,
  params: Params,
  batch: Record<string, np.Array>,
  steps: number,
): Promise<number[]> {
  const losses: number[] = [];
  const trainer = await OrtTrainStep.create(loss, params, batch, { adamw });
  const hostBatch: Record<string, HostTensor> = Object.fromEntries(
    Object.entries(batch).map(([k, v]) => [k, host(v)]),
  );
  const reference = makeTrainStep(loss, adamw);
  let p = tree.ref(params);
  let state = initAdamW(params);
  for (let s = 1; s <= steps; s++) {
    const ort = await trainer.step(hostBatch);
    losses.push(ort.loss);
    const jax = reference(p, state.m, state.v, tree.ref(batch), np.array(s), np.array(s));
    p = jax.params;
    state = { m: jax.m, v: jax.v };
    assertAllClose([ort.loss], jax.loss.dataSync() as Float32Array, {
      rtol: 1e-4,
      what: `loss at step ${s}`,
    });
    assertAllClose([ort.gradNorm], jax.gradNorm.dataSync() as Float32Array, {
      rtol: 1e-4,
      what: `grad norm at step ${s}`,
    });
    assertAllClose([ort.lr], jax.lr.dataSync() as Float32Array, { rtol: 1e-5, what: `lr at step ${s}` });
    if (s === 1 || s === steps) {
      const tol = { rtol: 1e-4, atol: 1e-5 };
      for (const [k, v] of Object.entries(p)) {
        assertAllClose(trainer.params[k], v.ref.dataSync() as Float32Array, {
          ...tol,
          what: `${k} after ${s}`,
        });
      }
    }
  }
  tree.dispose([p, state]);
  await trainer.dispose();
  return losses;
}

describe('training step: ORT vs jax-js', () => {
  it('MLP: 20 steps agree and the loss falls', async () => {
    const x = random.normal(random.key(7), [16, 6]);
    const y = np.sin(np.matmul(x.ref, random.normal(random.key(8), [6, 3])));
    const losses = await compareTrajectories(mlpLoss, mlpParams(1, 6, 12, 3), { x, y }, 20);
    assert.ok(losses[19] < 0.8 * losses[0], `loss ${losses[0]} → ${losses[19]}`);
  });

  it('transformer block (embedding, attention, layer norm, GELU MLP): 20 steps agree', async () => {
    const c: TransformerConfig = { vocab: 11, dim: 16, heads: 2, blocks: 1, tokens: 6 };
    const tokens = np
      .array(
        Array.from({ length: 12 }, (_, i) => (i * 7) % c.vocab),
        { dtype: np.int32 },
      )
      .reshape([2, 6]);
    const target = random.normal(random.key(9), [2, 6, 16]);
    await compareTrajectories(transformerLoss(c), transformerParams(2, c), { tokens, target }, 20);
  });

  it('keeps parameters between calls and loads them back', async () => {
    const params = mlpParams(3, 4, 8, 2);
    const batch = { x: random.normal(random.key(1), [8, 4]), y: random.normal(random.key(2), [8, 2]) };
    const trainer = await OrtTrainStep.create(mlpLoss, params, batch, { adamw });
    const hostBatch = { x: host(batch.x), y: host(batch.y) };
    const first = await trainer.step(hostBatch);
    const snapshot = Object.fromEntries(Object.entries(trainer.params).map(([k, v]) => [k, v.slice()]));
    const second = await trainer.step(hostBatch);
    assert.notEqual(second.loss, first.loss);
    assert.equal(trainer.nextStep, 3);
    trainer.load(snapshot, undefined, 2);
    assertAllClose(trainer.params.w1, snapshot.w1, { what: 'loaded w1' });
    await assert.rejects(trainer.step({ x: hostBatch.x }), /missing 'y'/);
    await trainer.dispose();
  });

  it('fresh moments part-way through the schedule (a run from trained weights): bias corrections and warm-up start again', async () => {
    const params = mlpParams(4, 4, 8, 2);
    const batch = { x: random.normal(random.key(3), [8, 4]), y: random.normal(random.key(4), [8, 2]) };
    const noDecay = { ...adamw, weightDecay: 0 };
    const trainer = await OrtTrainStep.create(mlpLoss, params, batch, { adamw: noDecay });
    const start = Object.fromEntries(Object.entries(trainer.params).map(([k, v]) => [k, v.slice()]));
    trainer.load(start, undefined, 5000);
    const { lr } = await trainer.step({ x: host(batch.x), y: host(batch.y) });
    // Adam's first update from zero moments moves each parameter by lr·g/(|g| + eps) ≤ lr; with the
    // bias corrections of step 5000 it would be ≈ 3.2 lr (m = 0.1 g, √v = 0.03 |g|, both uncorrected).
    let largest = 0;
    for (const [k, before] of Object.entries(start))
      for (let i = 0; i < before.length; i++)
        largest = Math.max(largest, Math.abs(trainer.params[k]![i]! - before[i]!));
    assert.ok(largest <= lr * 1.0001 && largest > 0.9 * lr, `largest update ${largest}, lr ${lr}`);
    assert.equal(trainer.moments.steps, 1);
    // …and the learning rate warms up again: the schedule's minimum (1e-3) over 3 warm-up steps.
    assertAllClose([lr], [1e-3 / 3], { rtol: 1e-5, what: 'lr of the first step from fresh moments' });
    // The same as jax-js's step with the schedule at 5000 and the moments' count at 1.
    const zeros = initAdamW(params);
    const reference = makeTrainStep(mlpLoss, noDecay)(
      params,
      zeros.m,
      zeros.v,
      batch,
      np.array(5000),
      np.array(1),
    );
    for (const [k, v] of Object.entries(reference.params))
      assertAllClose(trainer.params[k]!, v.dataSync() as Float32Array, { rtol: 1e-4, atol: 1e-6, what: k });
    tree.dispose([reference.m, reference.v, reference.loss, reference.gradNorm, reference.lr]);
    await trainer.dispose();
  });

  it('frozen parameters keep their values and moments; the rest train as if the frozen were constants', async () => {
    const params = mlpParams(5, 4, 8, 2);
    const start = Object.fromEntries(Object.entries(params).map(([k, v]) => [k, host(v.ref).data.slice()]));
    const batch = { x: random.normal(random.key(3), [8, 4]), y: random.normal(random.key(4), [8, 2]) };
    const trainsHead = (name: string) => name === 'w2' || name === 'b2';
    const trainer = await OrtTrainStep.create(mlpLoss, params, batch, { adamw, trains: trainsHead });
    // Reference: the same step over the head alone, the first layer closed over as constants.
    const { w1, b1, ...head } = params;
    const headLoss: LossFn = (p, b) => mlpLoss({ ...p, w1: w1.ref, b1: b1.ref }, b);
    const reference = makeTrainStep(headLoss, adamw);
    let p = tree.ref(head);
    let state = initAdamW(head);
    const hostBatch = { x: host(batch.x.ref), y: host(batch.y.ref) };
    for (let s = 1; s <= 5; s++) {
      const ort = await trainer.step(hostBatch);
      const jax = reference(p, state.m, state.v, tree.ref(batch), np.array(s), np.array(s));
      p = jax.params;
      state = { m: jax.m, v: jax.v };
      assertAllClose([ort.gradNorm], jax.gradNorm.dataSync() as Float32Array, {
        rtol: 1e-4,
        what: `grad norm (head only) at step ${s}`,
      });
      jax.loss.dispose();
      jax.lr.dispose();
    }
    for (const k of ['w2', 'b2'])
      assertAllClose(trainer.params[k]!, p[k]!.ref.dataSync() as Float32Array, {
        rtol: 1e-4,
        atol: 1e-5,
        what: k,
      });
    for (const k of ['w1', 'b1']) {
      assert.deepEqual(trainer.params[k], start[k], `${k} is frozen`);
      assert.ok(trainer.moments.m[k]!.every((x) => x === 0) && trainer.moments.v[k]!.every((x) => x === 0));
    }
    assert.notDeepEqual(trainer.params.w2, start.w2);
    tree.dispose([p, state, w1, b1, batch]);
    await trainer.dispose();
  });

  it('exports one graph whose outputs are the new state and the metrics', async () => {
    const params = mlpParams(4, 3, 5, 2);
    const graph = exportTrainStep(mlpLoss, params, { x: np.zeros([4, 3]), y: np.zeros([4, 2]) }, adamw);
    const names = graph.outputs.map((o) => o.name);
    for (const k of Object.keys(params)) {
      for (const section of ['params_out', 'm_out', 'v_out']) assert.ok(names.includes(`${section}.${k}`));
    }
    assert.deepEqual(names.slice(-3), ['loss', 'gradNorm', 'lr']);
    const session = await OrtSession.create(graph.model);
    assert.ok(session.inputNames.includes('step'));
    await session.dispose();
  });
});
