// Training resumes exactly: 20 steps straight = 10 steps, stop (checkpoint), resume, 10 more.
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { saveModel } from '../../src/models/bundle.ts';
import { loadCheckpoint, saveCheckpoint } from '../../src/train/checkpoint.ts';
import { parseTrainConfig } from '../../src/train/config.ts';
import { Trainer } from '../../src/train/trainer.ts';
import { tinyModel } from '../pipeline/_tinyModel.ts';

async function train(out: string, steps: number, upTo: number, resume: boolean): Promise<void> {
  const config = parseTrainConfig({
    stage: 'autoencoder',
    preset: 'tiny',
    steps,
    out,
    lr: 1e-2,
    warmupSteps: 2,
    seed: 3,
  });
  const trainer = await Trainer.create(config, { resume });
  while (trainer.currentStep < upTo) await trainer.log(await trainer.trainStep());
  await trainer.save();
  await trainer.dispose();
}

test('20 steps = 10 steps + resume + 10 steps (weights, EMA and moments)', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'kinema-resume-'));
  try {
    await train(join(dir, 'straight'), 20, 20, false);
    await train(join(dir, 'split'), 20, 10, false);
    await train(join(dir, 'split'), 20, 20, true);
    const a = await loadCheckpoint(join(dir, 'straight', 'checkpoint.safetensors'));
    const b = await loadCheckpoint(join(dir, 'split', 'checkpoint.safetensors'));
    assert.equal(a.step, 20);
    assert.equal(b.step, 20);
    for (const section of ['params', 'ema', 'adamM', 'adamV'] as const) {
      for (const [name, tensor] of Object.entries(a[section]!)) {
        const other = b[section]![name]!.data;
        tensor.data.forEach((v, i) => {
          assert.ok(
            Math.abs(v - other[i]!) <= 1e-5 + 1e-4 * Math.abs(v),
            `${section}/${name}[${i}]: ${v} vs ${other[i]}`,
          );
        });
      }
    }
    // The log covers every step once, and the loss went down.
    const log = (await readFile(join(dir, 'split', 'log.jsonl'), 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    assert.deepEqual(
      log.map((e) => e.step),
      Array.from({ length: 20 }, (_, i) => i + 1),
    );
    assert.ok(log.at(-1).loss < log[0].loss, `loss ${log[0].loss} → ${log.at(-1).loss}`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('a resumed run refuses a checkpoint of the other stage or other settings', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'kinema-resume-'));
  try {
    await train(dir, 2, 2, false);
    const config = parseTrainConfig({
      stage: 'dit',
      preset: 'tiny',
      steps: 4,
      out: dir,
      autoencoder: join(dir, 'checkpoint.safetensors'),
    });
    await assert.rejects(
      () => Trainer.create(config, { resume: true }),
      /is a autoencoder checkpoint, not dit/,
    );
    const otherSeed = parseTrainConfig({ stage: 'autoencoder', preset: 'tiny', steps: 4, out: dir, seed: 9 });
    await assert.rejects(() => Trainer.create(otherSeed, { resume: true }), /trained with different seed/);
    // The run trained with the default conditioning shares; other shares make another run.
    const otherShares = parseTrainConfig({
      stage: 'autoencoder',
      preset: 'tiny',
      steps: 4,
      out: dir,
      seed: 3,
      conditioning: { firstFrame: 0.5, prefix: 0, firstAndLast: 0 },
    });
    await assert.rejects(
      () => Trainer.create(otherShares, { resume: true }),
      /trained with different conditioning/,
    );
    assert.throws(
      () =>
        parseTrainConfig({
          ...otherShares,
          conditioning: { firstFrame: 0.6, prefix: 0.3, firstAndLast: 0.2 },
        }),
      /invalid training option "conditioning": the shares add up to more than 1/,
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('a run can start from a shipped model bundle: its weights, step, tokenizer and autoencoder', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'kinema-init-'));
  try {
    const model = { ...(await tinyModel()), card: { autoencoderSteps: 30, ditSteps: 40 } };
    await saveModel(join(dir, 'model.safetensors'), model);
    const config = parseTrainConfig({
      stage: 'dit',
      preset: 'tiny',
      steps: 50,
      out: join(dir, 'run'),
      initFrom: join(dir, 'model.safetensors'),
    });
    const trainer = await Trainer.create(config);
    assert.equal(trainer.currentStep, 40);
    const ckpt = trainer.checkpoint();
    const name = Object.keys(model.dit)[0]!;
    const expected = model.dit[name]!.data;
    ckpt.params[name]!.data.forEach((v, i) => {
      assert.ok(Math.abs(v - expected[i]!) <= 1e-3 * Math.max(1, Math.abs(expected[i]!)));
    });
    assert.equal(ckpt.extra?.tokenizer, JSON.stringify(model.tokenizer));
    const report = await trainer.trainStep();
    assert.equal(report.step, 41);
    // Its AdamW moments start at zero here, so their bias corrections count from this run's first
    // step, not the schedule's 41st, and a resumed run goes on counting from there.
    assert.equal(trainer.checkpoint().adamSteps, 1);
    await trainer.save();
    await trainer.dispose();
    const resumed = await Trainer.create(config, { resume: true });
    assert.equal((await resumed.trainStep()).step, 42);
    assert.equal(resumed.checkpoint().adamSteps, 2);
    await resumed.dispose();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('a preset that gained a layer: a run from an older bundle gets it at zero, a resumed run keeps its own model', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'kinema-gained-'));
  const withoutMotion = <T extends Record<string, unknown>>(params: T): T =>
    Object.fromEntries(Object.entries(params).filter(([name]) => !name.includes('.motion.'))) as T;
  try {
    // A bundle from before co-moving rotary positions.
    const model = { ...(await tinyModel()), card: { autoencoderSteps: 30, ditSteps: 40 } };
    model.preset = { ...model.preset, dit: { ...model.preset.dit, motionRotary: undefined } };
    model.dit = withoutMotion(model.dit);
    await saveModel(join(dir, 'model.safetensors'), model);
    const out = join(dir, 'run');
    const config = parseTrainConfig({
      stage: 'dit',
      preset: 'tiny',
      steps: 50,
      out,
      initFrom: join(dir, 'model.safetensors'),
    });
    const fromBundle = await Trainer.create(config);
    const gained = fromBundle.checkpoint();
    assert.ok(
      gained.params['blocks.0.motion.weight']!.data.every((v) => v === 0),
      'the new layer starts at zero',
    );
    await fromBundle.dispose();

    // A run started before the preset gained the layer resumes with the model it was started with.
    const old = {
      ...gained,
      config: { ...(gained.config as object), presetConfig: model.preset },
      params: withoutMotion(gained.params),
      ema: withoutMotion(gained.ema!),
      adamM: undefined,
      adamV: undefined,
    };
    await mkdir(out, { recursive: true });
    await saveCheckpoint(join(out, 'checkpoint.safetensors'), old);
    const resumed = await Trainer.create(config, { resume: true });
    assert.equal((await resumed.trainStep()).step, 41);
    assert.ok(!Object.keys(resumed.checkpoint().params).some((name) => name.includes('.motion.')));
    await resumed.dispose();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
