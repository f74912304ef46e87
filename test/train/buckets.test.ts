// Aspect/duration buckets: one run trains on several clip shapes, one per step, picked by seed
// and step, with one shared state, and still resumes exactly.
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadCheckpoint } from '../../src/train/checkpoint.ts';
import { parseTrainConfig, type TrainConfigInput } from '../../src/train/config.ts';
import { Trainer, TrainingError } from '../../src/train/trainer.ts';

const buckets = [
  { width: 16, height: 16, frames: 5 },
  { width: 24, height: 8, frames: 3, batch: 2 },
];

async function train(input: Partial<TrainConfigInput>, upTo: number, resume = false): Promise<void> {
  const config = parseTrainConfig({
    stage: 'autoencoder',
    preset: 'tiny',
    steps: 8,
    lr: 1e-2,
    warmupSteps: 2,
    buckets,
    ...input,
  } as TrainConfigInput);
  const trainer = await Trainer.create(config, { resume });
  while (trainer.currentStep < upTo) await trainer.log(await trainer.trainStep());
  await trainer.save();
  await trainer.dispose();
}

async function logOf(dir: string) {
  const text = await readFile(join(dir, 'log.jsonl'), 'utf8');
  return text
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
}

test('a bucketed run trains on every bucket and resumes exactly', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'kinema-buckets-'));
  try {
    await train({ out: join(dir, 'straight') }, 8);
    await train({ out: join(dir, 'split') }, 4);
    await train({ out: join(dir, 'split') }, 8, true);
    const clips = new Set((await logOf(join(dir, 'straight'))).map((e) => e.clip));
    assert.deepEqual([...clips].sort(), ['16x16x5', '24x8x3']);
    assert.deepEqual(
      (await logOf(join(dir, 'split'))).map((e) => e.clip),
      (await logOf(join(dir, 'straight'))).map((e) => e.clip),
    );
    const a = await loadCheckpoint(join(dir, 'straight', 'checkpoint.safetensors'));
    const b = await loadCheckpoint(join(dir, 'split', 'checkpoint.safetensors'));
    for (const [name, tensor] of Object.entries(a.params)) {
      const other = b.params[name]!.data;
      tensor.data.forEach((v, i) => {
        assert.ok(Math.abs(v - other[i]!) <= 1e-5 + 1e-4 * Math.abs(v), `${name}[${i}]: ${v} vs ${other[i]}`);
      });
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('the DiT trains on buckets; a bucket off the patch grid is refused by name', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'kinema-buckets-'));
  try {
    await train({ out: join(dir, 'ae'), buckets: undefined, steps: 1 }, 1);
    const ae = join(dir, 'ae', 'checkpoint.safetensors');
    await train({ stage: 'dit', out: join(dir, 'dit'), autoencoder: ae, steps: 4 }, 4);
    const log = await logOf(join(dir, 'dit'));
    assert.ok(log.every((e) => Number.isFinite(e.loss)));
    assert.equal(new Set(log.map((e) => e.clip)).size, 2);
    await assert.rejects(
      () => train({ out: join(dir, 'bad'), buckets: [{ width: 20, height: 16, frames: 5 }] }, 1),
      (err: Error) => err instanceof TrainingError && /bucket 20x16: .* multiples of 8/.test(err.message),
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
