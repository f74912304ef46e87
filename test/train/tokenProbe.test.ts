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
import type { TrainConfigInput } from '../../src/train/config.ts';
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

test('token probe loss: weighted mean cross-entropy of the head’s answers', async () => {
  await ensureJax();
  const width = 8;
  // seeded weights, and biases that are not zero so they are checked too
  const host = Object.fromEntries(
    Object.entries(tokenProbeParamSpec(width)).map(([name, entry]) => {
      const data = name.endsWith('bias')
        ? Float32Array.from({ length: entry.shape[0]! }, (_, i) => 0.1 * Math.cos(i))
        : initValues(name, entry, 3);
      return [name, { shape: entry.shape, data }];
    }),
  );
  const [batch, tokens] = [2, 3];
  const hidden = Float32Array.from({ length: batch * tokens * width }, (_, i) => Math.sin(i * 0.7));
  const target = new Float32Array(batch * tokens * TOKEN_ANSWERS);
  const weight = Float32Array.of(1, 8, 2.5, 0, 1, 3);
  for (let row = 0; row < batch * tokens; row++) {
    target[row * TOKEN_ANSWERS] = 0.25;
    target[row * TOKEN_ANSWERS + 1 + (row % 5)] = 0.75;
  }
  const loss = withParams(fromHostParams(host), (p) =>
    tokenProbeLoss(
      p,
      np.array(hidden, { shape: [batch, tokens, width] }),
      np.array(target, { shape: [batch, tokens, TOKEN_ANSWERS] }),
      np.array(weight, { shape: [batch, tokens] }),
    ),
  );
  // the same on the host, in float64
  const w1 = host[`${TOKEN_PROBE_PREFIX}fc1.weight`]!.data;
  const b1 = host[`${TOKEN_PROBE_PREFIX}fc1.bias`]!.data;
  const w2 = host[`${TOKEN_PROBE_PREFIX}fc2.weight`]!.data;
  const b2 = host[`${TOKEN_PROBE_PREFIX}fc2.bias`]!.data;
  let total = 0;
  let weights = 0;
  for (let row = 0; row < batch * tokens; row++) {
    const h = Array.from({ length: width }, (_, j) => {
      let s = b1[j]!;
      for (let i = 0; i < width; i++) s += hidden[row * width + i]! * w1[i * width + j]!;
      return s / (1 + Math.exp(-s)); // SiLU
    });
    const logits = Array.from({ length: TOKEN_ANSWERS }, (_, k) => {
      let s = b2[k]!;
      for (let j = 0; j < width; j++) s += h[j]! * w2[j * TOKEN_ANSWERS + k]!;
      return s;
    });
    const max = Math.max(...logits);
    const logSum = max + Math.log(logits.reduce((a, l) => a + Math.exp(l - max), 0));
    let ce = 0;
    for (let k = 0; k < TOKEN_ANSWERS; k++) ce -= target[row * TOKEN_ANSWERS + k]! * (logits[k]! - logSum);
    total += weight[row]! * ce;
    weights += weight[row]!;
  }
  assertAllClose(await loss.data(), [total / weights], { rtol: 1e-4 });
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
