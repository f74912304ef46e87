// The token probe: targets are the rendered masks' class shares per token, the loss is the
// weighted cross-entropy it claims to be, it trains inside the DiT step, and packed models leave
// the head out.
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { numpy as np } from '@jax-js/jax';
import { ensureJax } from '../../src/engine/jax.ts';
import { getPreset } from '../../src/models/presets.ts';
import { initValues } from '../../src/nn/init.ts';
import { fromHostParams, withParams } from '../../src/nn/params.ts';
import { loadCheckpoint } from '../../src/train/checkpoint.ts';
import { parseTrainConfig, type TrainConfigInput } from '../../src/train/config.ts';
import { curriculumScene } from '../../src/train/curriculum.ts';
import { packBundle } from '../../src/train/pack.ts';
import {
  TOKEN_ANSWERS,
  TOKEN_PROBE_PREFIX,
  tokenGridOf,
  tokenProbeLoss,
  tokenProbeParamSpec,
  tokenTargets,
} from '../../src/train/tokenProbe.ts';
import { CLASSES } from '../../src/world/classes.ts';
import { renderClip } from '../../src/world/render.ts';
import { assertAllClose } from '../engine/_helpers.ts';
import { trainTinyAutoencoder, trainTinyDit } from './_tinyRuns.ts';

const small = getPreset('small');
const shape = { width: 64, height: 64, frames: 17, fps: 8 };

test('token targets: class shares of each token’s pixels over its frames, object tokens weigh more', () => {
  const spec = curriculumScene(5, 0, shape);
  const clip = renderClip(spec, 5, { masks: true });
  const grid = tokenGridOf(small.autoencoder, small.dit, shape);
  assert.deepEqual(grid.grid, [9, 8, 8]); // 17 frames → 9 latent frames; 64 px / (4 px · 2) = 8
  const { tokenTarget, tokenWeight } = tokenTargets([{ masks: clip.masks!, spec }, undefined], grid, shape);
  const tokens = 9 * 8 * 8;
  assert.deepEqual(tokenTarget.shape, [2, tokens, TOKEN_ANSWERS]);
  const answer = 1 + CLASSES.findIndex((c) => c.name === spec.objects[0]!.class);
  let objectPixelsFrame0 = 0;
  for (let token = 0; token < tokens; token++) {
    const shares = tokenTarget.data.subarray(token * TOKEN_ANSWERS, (token + 1) * TOKEN_ANSWERS);
    assert.ok(Math.abs(shares.reduce((a, b) => a + b, 0) - 1) < 1e-5, `token ${token} shares sum to 1`);
    // one object: only background and its class
    assert.ok(shares.every((share, k) => k === 0 || k === answer || share === 0));
    assert.ok(Math.abs(tokenWeight.data[token]! - (1 + 7 * shares[answer]!)) < 1e-5);
    if (token < 64) objectPixelsFrame0 += shares[answer]! * 64; // frame 0: 8×8 pixels per token
  }
  const maskPixelsFrame0 = clip.masks!.subarray(0, 64 * 64).filter((owner) => owner === 0).length;
  assert.ok(maskPixelsFrame0 > 20);
  assert.ok(Math.abs(objectPixelsFrame0 - maskPixelsFrame0) < 1e-3);
  // a later latent frame averages its two pixel frames: frame 1's token shares come from frames 1 and 2
  const frame1 = clip.masks!.subarray(64 * 64, 3 * 64 * 64).filter((owner) => owner === 0).length;
  let objectPixelsLatent1 = 0;
  for (let token = 64; token < 128; token++)
    objectPixelsLatent1 += tokenTarget.data[token * TOKEN_ANSWERS + answer]! * 128;
  assert.ok(Math.abs(objectPixelsLatent1 - frame1) < 1e-3);
  // a clip without masks (a shard clip) is not probed
  assert.ok(tokenWeight.data.subarray(tokens).every((w) => w === 0));
});

for (const cells of [1, 2]) {
  test(`token probe loss: weighted mean cross-entropy of the head’s answers (${cells}×${cells} cells per token)`, async () => {
    await ensureJax();
    const width = 8;
    // seeded weights, and biases that are not zero so they are checked too
    const host = Object.fromEntries(
      Object.entries(tokenProbeParamSpec(width, cells)).map(([name, entry]) => {
        const data = name.endsWith('bias')
          ? Float32Array.from({ length: entry.shape[0]! }, (_, i) => 0.1 * Math.cos(i))
          : initValues(name, entry, 3);
        return [name, { shape: entry.shape, data }];
      }),
    );
    const [batch, tokens] = [2, 3];
    const parts = tokens * cells * cells;
    const hidden = Float32Array.from({ length: batch * tokens * width }, (_, i) => Math.sin(i * 0.7));
    const target = new Float32Array(batch * parts * TOKEN_ANSWERS);
    const weight = Float32Array.from({ length: batch * parts }, (_, i) => [1, 8, 2.5, 0, 1, 3][i % 6]!);
    for (let row = 0; row < batch * parts; row++) {
      target[row * TOKEN_ANSWERS] = 0.25;
      target[row * TOKEN_ANSWERS + 1 + (row % 5)] = 0.75;
    }
    const loss = withParams(fromHostParams(host), (p) =>
      tokenProbeLoss(
        p,
        np.array(hidden, { shape: [batch, tokens, width] }),
        np.array(target, { shape: [batch, parts, TOKEN_ANSWERS] }),
        np.array(weight, { shape: [batch, parts] }),
      ),
    );
    // the same on the host, in float64: cell k of a token reads outputs k·answers … (k + 1)·answers − 1
    const w1 = host[`${TOKEN_PROBE_PREFIX}fc1.weight`]!.data;
    const b1 = host[`${TOKEN_PROBE_PREFIX}fc1.bias`]!.data;
    const w2 = host[`${TOKEN_PROBE_PREFIX}fc2.weight`]!.data;
    const b2 = host[`${TOKEN_PROBE_PREFIX}fc2.bias`]!.data;
    const outputs = cells * cells * TOKEN_ANSWERS;
    let total = 0;
    let weights = 0;
    for (let row = 0; row < batch * tokens; row++) {
      const h = Array.from({ length: width }, (_, j) => {
        let s = b1[j]!;
        for (let i = 0; i < width; i++) s += hidden[row * width + i]! * w1[i * width + j]!;
        return s / (1 + Math.exp(-s)); // SiLU
      });
      for (let cell = 0; cell < cells * cells; cell++) {
        const logits = Array.from({ length: TOKEN_ANSWERS }, (_, k) => {
          const o = cell * TOKEN_ANSWERS + k;
          let s = b2[o]!;
          for (let j = 0; j < width; j++) s += h[j]! * w2[j * outputs + o]!;
          return s;
        });
        const max = Math.max(...logits);
        const logSum = max + Math.log(logits.reduce((a, l) => a + Math.exp(l - max), 0));
        const part = row * cells * cells + cell;
        let ce = 0;
        for (let k = 0; k < TOKEN_ANSWERS; k++)
          ce -= target[part * TOKEN_ANSWERS + k]! * (logits[k]! - logSum);
        total += weight[part]! * ce;
        weights += weight[part]!;
      }
    }
    assertAllClose(await loss.data(), [total / weights], { rtol: 1e-4 });
  });
}

test('pixel cells: each cell is its pixel’s class (the silhouette); a token’s shares are its cells’ mean', () => {
  const spec = curriculumScene(7, 0, shape);
  const clip = renderClip(spec, 7, { masks: true });
  const grid = tokenGridOf(small.autoencoder, small.dit, shape);
  const whole = tokenTargets([{ masks: clip.masks!, spec }], grid, shape);
  const pixels = tokenTargets([{ masks: clip.masks!, spec }], grid, shape, 8);
  const tokens = 9 * 8 * 8;
  assert.deepEqual(pixels.tokenTarget.shape, [1, tokens * 64, TOKEN_ANSWERS]);
  const answer = 1 + CLASSES.findIndex((c) => c.name === spec.objects[0]!.class);
  // frame 0 (latent frame 0 holds it alone): cell (token, y, x) is the pixel's owner
  let objectCells = 0;
  for (let r = 0; r < 8; r++)
    for (let c = 0; c < 8; c++)
      for (let y = 0; y < 8; y++)
        for (let x = 0; x < 8; x++) {
          const part = (r * 8 + c) * 64 + y * 8 + x;
          const owner = clip.masks![(r * 8 + y) * 64 + c * 8 + x]!;
          const share = pixels.tokenTarget.data[part * TOKEN_ANSWERS + answer]!;
          assert.equal(share, owner === 0 ? 1 : 0, `pixel (${r * 8 + y}, ${c * 8 + x})`);
          assert.equal(pixels.tokenWeight.data[part], 1 + 7 * share);
          objectCells += share;
        }
  assert.ok(objectCells > 20, `${objectCells} object pixels in frame 0`);
  // every token, every frame: the whole-token shares are the mean of its 64 cells
  for (let token = 0; token < tokens; token++)
    for (let k = 0; k < TOKEN_ANSWERS; k++) {
      let sum = 0;
      for (let cell = 0; cell < 64; cell++)
        sum += pixels.tokenTarget.data[(token * 64 + cell) * TOKEN_ANSWERS + k]!;
      assert.ok(Math.abs(sum / 64 - whole.tokenTarget.data[token * TOKEN_ANSWERS + k]!) < 1e-5);
    }
});

test('the token probe trains inside the DiT step, adds to its loss, and stays out of packed models', async () => {
  await ensureJax();
  const dir = await mkdtemp(join(tmpdir(), 'kinema-token-probe-'));
  try {
    await trainTinyAutoencoder(dir);
    const train = (input: Partial<TrainConfigInput> & { out: string }, steps: number) =>
      trainTinyDit(dir, input, steps);
    const plain = await train({ out: join(dir, 'plain') }, 1);
    const probed = await train({ out: join(dir, 'probe'), tokenProbe: 1 }, 30);
    // Same seed, same batch: the first step's loss is larger by the probe's cross-entropy
    // (about ln 61 ≈ 4.1 at a fresh head).
    const firstLoss = JSON.parse((await readFile(join(dir, 'probe', 'log.jsonl'), 'utf8')).split('\n')[0]!)
      .loss as number;
    assert.ok(firstLoss > plain.losses[0]! + 2, `first loss ${firstLoss} vs plain ${plain.losses[0]}`);
    // the head learns: the loss (mostly the probe's, early on) falls well below where it started
    const late = probed.losses.slice(-5).reduce((a, b) => a + b, 0) / 5;
    assert.ok(late < 0.5 * firstLoss, `loss ${firstLoss.toFixed(3)} → ${late.toFixed(3)}`);
    const head = Object.keys(probed.checkpoint.params).filter((n) => n.startsWith(TOKEN_PROBE_PREFIX));
    assert.equal(head.length, 4);
    const packed = packBundle({
      autoencoder: await loadCheckpoint(join(dir, 'ae', 'checkpoint.safetensors')),
      dit: probed.checkpoint,
    });
    assert.ok(!Object.keys(packed.dit).some((n) => n.startsWith(TOKEN_PROBE_PREFIX)));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('train --token-probe-cells: the head answers per cell; a count that does not divide the tokens is refused', async () => {
  await ensureJax();
  const dir = await mkdtemp(join(tmpdir(), 'kinema-token-cells-'));
  try {
    await trainTinyAutoencoder(dir);
    const { losses, checkpoint } = await trainTinyDit(
      dir,
      { out: join(dir, 'cells'), tokenProbe: 1, tokenProbeCells: 4 },
      2,
    );
    assert.ok(losses.every(Number.isFinite));
    assert.deepEqual(checkpoint.params[`${TOKEN_PROBE_PREFIX}fc2.weight`]!.shape, [32, 16 * TOKEN_ANSWERS]);
    await assert.rejects(
      trainTinyDit(dir, { out: join(dir, 'three'), tokenProbe: 1, tokenProbeCells: 3 }, 1),
      /--token-probe-cells 3 does not divide tiny's tokens \(8×8 pixels\)/,
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  assert.throws(
    () => parseTrainConfig({ stage: 'dit', preset: 'tiny', steps: 1, out: '/tmp/x', tokenProbeCells: 8 }),
    /--token-probe-cells shapes the token probe; give it a weight with --token-probe/,
  );
});
