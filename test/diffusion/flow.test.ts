import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { init, numpy as np, tree, valueAndGrad } from '@jax-js/jax';
import {
  ditLoss,
  type FlowBatch,
  objectLossWeights,
  sampleCaptionKeep,
  sampleConditionMask,
  sampleNoise,
  sampleTimesteps,
} from '../../src/diffusion/flow.ts';
import { ditParamSpec } from '../../src/models/dit.ts';
import { PRESETS } from '../../src/models/presets.ts';
import { initParams, Rng } from '../../src/nn/init.ts';
import { assertAllClose } from '../engine/_helpers.ts';
import { adamTrainer } from '../nn/helpers.ts';

before(async () => {
  await init('wasm');
});

const cfg = PRESETS.tiny.dit;
const [batch, frames, height, width, channels] = [4, 3, 4, 4, cfg.latentChannels];
const shape = [batch, frames, height, width, channels];
const count = batch * frames * height * width * channels;

/** A fixed batch: four clips, their captions, fixed noise and timesteps (host arrays). */
function fixedBatch(seed: number, conditionMask = new Float32Array(batch * frames)) {
  const rng = new Rng(seed);
  return {
    latents: sampleNoise(rng, count),
    noise: sampleNoise(rng, count),
    timestep: new Float32Array([0.2, 0.4, 0.6, 0.8]),
    captionIds: Int32Array.from({ length: batch * 4 }, (_, i) => 2 + ((i * 7) % 40)),
    captionMask: new Float32Array(batch * 4).fill(1),
    captionKeep: new Float32Array(batch).fill(1),
    conditionMask,
    lossWeight: new Float32Array(batch * frames * height * width).fill(1),
  };
}

function toArrays(host: ReturnType<typeof fixedBatch>): FlowBatch {
  return {
    latents: np.array(host.latents, { shape }),
    noise: np.array(host.noise, { shape }),
    timestep: np.array(host.timestep),
    captionIds: np.array(host.captionIds, { shape: [batch, 4] }),
    captionMask: np.array(host.captionMask, { shape: [batch, 4] }),
    captionKeep: np.array(host.captionKeep),
    conditionMask: np.array(host.conditionMask, { shape: [batch, frames] }),
    lossWeight: np.array(host.lossWeight, { shape: [batch, frames, height, width, 1] }),
  };
}

describe('rectified flow', () => {
  test('logit-normal timesteps are in (0, 1) with median 1/2; other draws are seeded', () => {
    const t = sampleTimesteps(new Rng(1), 4000);
    assert.ok(t.every((v) => v > 0 && v < 1));
    const sorted = Array.from(t).sort((a, b) => a - b);
    assert.ok(Math.abs(sorted[2000] - 0.5) < 0.03);
    assert.deepEqual(sampleTimesteps(new Rng(5), 8), sampleTimesteps(new Rng(5), 8));
    // Shifted as the sampler's schedule: the median moves to 3/4 and high noise is common.
    const shifted = Array.from(sampleTimesteps(new Rng(1), 4000, { shift: 3 })).sort((a, b) => a - b);
    assert.ok(Math.abs(shifted[2000]! - 0.75) < 0.03);
    const high = (xs: number[]) => xs.filter((v) => v > 0.9).length / xs.length;
    assert.ok(high(shifted) > 5 * high(sorted), `${high(shifted)} vs ${high(sorted)}`);
    // A mixture of shifts: one shift in a list is that shift; [3, 1] trains low noise more.
    assert.deepEqual(
      sampleTimesteps(new Rng(1), 64, { shift: [3] }),
      sampleTimesteps(new Rng(1), 64, { shift: 3 }),
    );
    const mixed = Array.from(sampleTimesteps(new Rng(1), 4000, { shift: [3, 1] }));
    const low = (xs: number[]) => xs.filter((v) => v < 0.35).length / xs.length;
    assert.ok(low(mixed) > 3 * low(shifted) && low(mixed) < low(sorted), `${low(mixed)} vs ${low(shifted)}`);
    // A quarter of the batch at almost pure noise, where only the caption can decide the clip.
    const terminal = sampleTimesteps(new Rng(2), 4000, { shift: 3, terminalFraction: 0.25 });
    const nearOne = terminal.filter((v) => v >= 0.995 && v < 1).length / terminal.length;
    assert.ok(Math.abs(nearOne - 0.25) < 0.03, `${nearOne}`);
    const keep = sampleCaptionKeep(new Rng(2), 10000, 0.1);
    const dropped = keep.filter((k) => k === 0).length / keep.length;
    assert.ok(Math.abs(dropped - 0.1) < 0.02);
    const mask = sampleConditionMask(new Rng(3), 1000, 5, { firstFrame: 0.5, prefix: 0, firstAndLast: 0 });
    const firstGiven = Array.from({ length: 1000 }, (_, b) => mask[b * 5]).filter((v) => v === 1).length;
    assert.ok(Math.abs(firstGiven - 500) < 60);
  });

  test('at initialisation the loss is E[(noise − x0)²] ≈ 2 (the model predicts zero)', () => {
    const params = initParams(ditParamSpec(cfg), 0);
    const loss = ditLoss(params, cfg, toArrays(fixedBatch(1))).item();
    const host = fixedBatch(1);
    const expected = host.noise.reduce((s, n, i) => s + (n - host.latents[i]) ** 2, 0) / count;
    assert.ok(Math.abs(loss - expected) < 1e-4, `${loss} vs ${expected}`);
  });

  test('conditioning frames carry no loss', () => {
    const params = initParams(ditParamSpec(cfg), 0);
    const mask = new Float32Array(batch * frames);
    mask[0] = 1; // clip 0, frame 0 is given
    const host = fixedBatch(2, mask);
    const loss = ditLoss(params, cfg, toArrays(host)).item();
    const perFrame = height * width * channels;
    let sum = 0;
    for (let i = 0; i < count; i++) if (i >= perFrame) sum += (host.noise[i] - host.latents[i]) ** 2;
    assert.ok(Math.abs(loss - sum / (count - perFrame)) < 1e-4);
  });

  test('object weights: 1 on a flat background, 1 + w on an object and its border', () => {
    // One clip, one frame, 6×6 positions, 2 channels: background (0.3, −0.2), a 2×2 object at (2, 2).
    const [h, w, c] = [6, 6, 2];
    const latents = new Float32Array(h * w * c);
    for (let i = 0; i < h * w; i++) latents.set([0.3, -0.2], i * c);
    for (const [y, x] of [
      [2, 2],
      [2, 3],
      [3, 2],
      [3, 3],
    ])
      latents.set([3.3, 1.8], (y * w + x) * c);
    const weights = objectLossWeights(latents, [1, 1, h, w, c], 8);
    const at = (y: number, x: number) => weights[y * w + x];
    assert.equal(at(2, 2), 9); // distance √13 > 2: full weight
    assert.equal(at(1, 1), 9); // the border, by the 3×3 widening
    assert.equal(at(4, 4), 9);
    assert.equal(at(0, 0), 1); // background two positions away
    assert.equal(at(5, 5), 1);
    assert.equal(weights.filter((v) => v === 9).length, 16);
    assert.ok(objectLossWeights(latents, [1, 1, h, w, c], 0).every((v) => v === 1));
  });

  test('object weights on pixels: a wider border, set by the ramp', () => {
    // 8×8 pixels in [-1, 1], background 0, one pixel differing by 0.3 in one channel at (4, 4).
    const [h, w] = [8, 8];
    const pixels = new Float32Array(h * w * 3);
    pixels[(4 * w + 4) * 3] = 0.3;
    const weights = objectLossWeights(pixels, [1, 1, h, w, 3], 8, { from: 0.1, to: 0.5, radius: 2 });
    // distance 0.3 is halfway up the ramp: 1 + 8 · 0.5, over the 5×5 square around it
    assert.equal(weights.filter((v) => v === 5).length, 25);
    assert.equal(weights[2 * w + 2], 5);
    assert.equal(weights[1 * w + 4], 1);
    assert.equal(weights.filter((v) => v === 1).length, 64 - 25);
  });

  test('the loss is the weighted mean over positions', () => {
    const params = initParams(ditParamSpec(cfg), 0);
    const host = fixedBatch(4);
    host.lossWeight = host.lossWeight.map((_, i) => 1 + (i % 3)); // 1, 2, 3, 1, 2, 3, ...
    const loss = ditLoss(params, cfg, toArrays(host)).item();
    let sum = 0;
    let weights = 0;
    for (let i = 0; i < count; i++) {
      const wgt = 1 + (Math.floor(i / channels) % 3);
      sum += wgt * (host.noise[i] - host.latents[i]) ** 2;
      weights += wgt;
    }
    assert.ok(Math.abs(loss - sum / weights) < 1e-4, `${loss} vs ${sum / weights}`);
  });

  test('class negatives: the loss subtracts λ × the weighted error against each present negative', () => {
    const params = initParams(ditParamSpec(cfg), 0); // predicts zero velocity
    const host = fixedBatch(5);
    const negative = sampleNoise(new Rng(6), count);
    const present = Float32Array.of(1, 0, 1, 1);
    const lambda = 0.1;
    const loss = ditLoss(params, cfg, toArrays(host), {
      negatives: { latents: np.array(negative, { shape }), present: np.array(present), weight: lambda },
    }).item();
    let flow = 0;
    let repel = 0;
    const perClip = count / batch;
    for (let i = 0; i < count; i++) {
      flow += (host.noise[i] - host.latents[i]) ** 2;
      if (present[Math.floor(i / perClip)]) repel += (host.noise[i] - negative[i]) ** 2;
    }
    const expected = flow / count - (lambda * repel) / count;
    assert.ok(Math.abs(loss - expected) < 1e-4, `${loss} vs ${expected}`);
  });

  test('class negatives equal to the clips scale the loss and its gradients by 1 − λ; absent ones change nothing', () => {
    const params = initParams(ditParamSpec(cfg), 0);
    const host = fixedBatch(7);
    const lambda = 0.2;
    const lossWith = (negatives: Float32Array, present: Float32Array) => (p: typeof params) =>
      ditLoss(p, cfg, toArrays(host), {
        negatives: { latents: np.array(negatives, { shape }), present: np.array(present), weight: lambda },
      });
    const plain = (p: typeof params) => ditLoss(p, cfg, toArrays(host));
    const [plainLoss, plainGrads] = valueAndGrad(plain)(tree.ref(params));
    const [sameLoss, sameGrads] = valueAndGrad(lossWith(host.latents, new Float32Array(batch).fill(1)))(
      tree.ref(params),
    );
    const absentLoss = lossWith(sampleNoise(new Rng(8), count), new Float32Array(batch))(tree.ref(params));
    const plainValue = plainLoss.item();
    assert.ok(Math.abs(sameLoss.item() - (1 - lambda) * plainValue) < 1e-5);
    assert.ok(Math.abs(absentLoss.item() - plainValue) < 1e-6);
    // the zero-initialised output layer is where the first gradients land
    const name = 'final.linear.weight';
    const expected = Array.from(plainGrads[name]!.dataSync(), (g: number) => (1 - lambda) * g);
    assertAllClose(sameGrads[name]!.dataSync(), expected, { rtol: 1e-4, atol: 1e-7, what: name });
    assert.ok(
      expected.some((g) => Math.abs(g) > 1e-4),
      'the compared gradient is not all zero',
    );
  });

  test('overfitting a batch of 4 clips drives the loss near zero', () => {
    const host = fixedBatch(3);
    const params = initParams(ditParamSpec(cfg), 0);
    const trainer = adamTrainer((p, b: FlowBatch) => ditLoss(p, cfg, b), params, 1e-2);
    const first = trainer.step(toArrays(host));
    let last = first;
    let steps = 1;
    while (steps < 300 && last > 0.005 * first) {
      last = trainer.step(toArrays(host));
      steps++;
    }
    console.log(`DiT overfit: loss ${first.toFixed(3)} → ${last.toFixed(4)} in ${steps} steps`);
    assert.ok(last < 0.01 * first, `loss ${first} → ${last} after ${steps} steps`);
    tree.dispose(trainer.state);
  });
});
