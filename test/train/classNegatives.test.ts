// Class negatives: the same clip with another class, nothing else changed, and a training run
// that uses them.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { SWAP_MIN_TIMESTEP, swapNoisyInputs } from '../../src/diffusion/flow.ts';
import { Rng } from '../../src/nn/init.ts';
import { classNegativeScene } from '../../src/train/classNegatives.ts';
import { worldBatch } from '../../src/train/clips.ts';
import { parseTrainConfig, TrainConfigError, type TrainConfigInput } from '../../src/train/config.ts';
import { curriculumScene } from '../../src/train/curriculum.ts';
import { classByName } from '../../src/world/classes.ts';
import { renderClip } from '../../src/world/render.ts';
import { trainTinyAutoencoder, trainTinyDit } from './_tinyRuns.ts';

const shape = { width: 64, height: 64, frames: 17, fps: 8 };

test('a class negative changes only the first object’s class, to another of its kind, and draws it in the same place', () => {
  const seen = new Set<string>();
  for (const level of [0, 1]) {
    for (let seed = 1; seed <= 40; seed++) {
      const spec = curriculumScene(seed, level, shape);
      const negative = classNegativeScene(spec, seed)!;
      const [object, swapped] = [spec.objects[0]!, negative.objects[0]!];
      assert.notEqual(swapped.class, object.class);
      assert.equal(classByName(swapped.class)!.kind, classByName(object.class)!.kind);
      assert.deepEqual({ ...swapped, class: object.class }, object);
      assert.deepEqual(negative.objects.slice(1), spec.objects.slice(1));
      assert.deepEqual(classNegativeScene(spec, seed), negative, 'seeded');
      seen.add(swapped.class);
      if (level === 0) {
        // same place: the truth's object centre in the first frame is where the original's is
        const a = renderClip(spec, seed, { captions: false }).truth[0]!.objects[0]!;
        const b = renderClip(negative, seed, { captions: false }).truth[0]!.objects[0]!;
        assert.deepEqual([b.x, b.y], [a.x, a.y]);
      }
    }
  }
  assert.ok(seen.size >= 8, `${seen.size} classes used as negatives`);
  assert.equal(classNegativeScene({ ...curriculumScene(1, 0, shape), objects: [] }, 1), undefined);
});

test('world batches bring negatives when asked: same background, different pixels on the object', () => {
  const opts = { seed: 3, ...shape, frames: 1, level: 0 };
  const plain = worldBatch(opts, 5, 4);
  const withNegatives = worldBatch(opts, 5, 4, { negatives: true });
  assert.equal(plain.negatives, undefined);
  assert.deepEqual(withNegatives.pixels, plain.pixels, 'the clips themselves do not change');
  const { pixels, present } = withNegatives.negatives!;
  assert.deepEqual(present, [true, true, true, true]);
  const perClip = 64 * 64 * 3;
  for (let b = 0; b < 4; b++) {
    let differing = 0;
    for (let i = b * perClip; i < (b + 1) * perClip; i++) if (pixels[i] !== plain.pixels[i]) differing++;
    assert.ok(differing > 0 && differing < perClip / 4, `clip ${b}: ${differing} values differ`);
  }
});

test('a class-swapped input shows the negative under the same noise, and the target still leads to the clip', () => {
  const perSample = 12;
  const rng = new Rng(9);
  const draw = () => Float32Array.from({ length: 3 * perSample }, () => rng.normal());
  const [latents, negatives, noise] = [draw(), draw(), draw()];
  const timesteps = Float32Array.from([0.6, 0.9, 0.7]);
  const rewritten = noise.slice();
  swapNoisyInputs(rewritten, latents, negatives, timesteps, [true, true, false]);
  for (let b = 0; b < 3; b++) {
    const t = timesteps[b]!;
    for (let i = b * perSample; i < (b + 1) * perSample; i++) {
      const input = (1 - t) * latents[i]! + t * rewritten[i]!; // what ditLoss feeds the DiT
      const shows = b < 2 ? negatives[i]! : latents[i]!;
      assert.ok(
        Math.abs(input - ((1 - t) * shows + t * noise[i]!)) < 1e-5,
        `sample ${b}: the input shows ${b < 2 ? 'the negative' : 'the clip'}`,
      );
      const x0 = input - t * (rewritten[i]! - latents[i]!); // the x0 the loss's target velocity leads to
      assert.ok(Math.abs(x0 - latents[i]!) < 1e-5, `sample ${b}: the target is the clip`);
    }
  }
  assert.ok(SWAP_MIN_TIMESTEP >= 0.5, 'the rewrite stays within one noise of Gaussian');
});

test('train --class-contrast lowers the step loss; --class-swap-input changes the input, and no sample is both', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'kinema-class-negatives-'));
  try {
    await trainTinyAutoencoder(dir);
    // the loss of the first step: same seed, same batch, a zero-initialised DiT
    const firstLoss = async (input: Partial<TrainConfigInput> & { out: string }) => {
      const { losses } = await trainTinyDit(dir, input, 1);
      assert.ok(losses.every(Number.isFinite));
      return losses[0]!;
    };
    const plain = await firstLoss({ out: join(dir, 'plain') });
    const contrasted = await firstLoss({ out: join(dir, 'contrast'), classContrast: 0.3 });
    assert.ok(contrasted < plain - 0.1, `the repulsion takes off 0.3 × its error: ${contrasted} vs ${plain}`);
    const swapped = await firstLoss({ out: join(dir, 'swap'), classSwapInput: 1 });
    const both = await firstLoss({ out: join(dir, 'both'), classSwapInput: 1, classContrast: 0.3 });
    assert.notEqual(swapped, plain, 'the swapped inputs reach the training step');
    // this batch's four timesteps are all ≥ 0.5, so every sample is swapped and none is repelled
    assert.equal(both, swapped, 'no repulsion from a negative the input already shows');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('the options that render world clips again refuse shard runs with a clear error', () => {
  for (const [option, flag] of [
    ['classContrast', '--class-contrast'],
    ['classSwapInput', '--class-swap-input'],
    ['tokenProbe', '--token-probe'],
  ] as const) {
    assert.throws(
      () =>
        parseTrainConfig({
          stage: 'dit',
          preset: 'tiny',
          steps: 1,
          out: '/tmp/x',
          [option]: 0.1,
          data: { source: 'shards', shards: '/tmp/shards' },
        } as TrainConfigInput),
      (err: unknown) => err instanceof TrainConfigError && err.message.startsWith(`${flag} needs`),
    );
  }
});
