// The caption probe: labels claim only what a caption states, the loss is part of the training
// step and teaches the heads, the heads never reach a packed model, and a run keeps its weight.
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { numpy as np } from '@jax-js/jax';
import { ensureJax } from '../../src/engine/jax.ts';
import { saveModel } from '../../src/models/bundle.ts';
import { getPreset } from '../../src/models/presets.ts';
import { parseTokenizer, textEncoder, tokenizeBatch } from '../../src/models/text.ts';
import { fromHostParams, withParams } from '../../src/nn/params.ts';
import {
  CAPTION_PROBE_PREFIX,
  type CaptionStyle,
  captionLabels,
  captionProbeLoss,
  captionTargets,
  PROBED_ATTRIBUTES,
  UNLABELLED,
} from '../../src/train/captionProbe.ts';
import { type Checkpoint, loadCheckpoint } from '../../src/train/checkpoint.ts';
import { parseTrainConfig, type TrainConfigInput } from '../../src/train/config.ts';
import { curriculumScene } from '../../src/train/curriculum.ts';
import { packBundle } from '../../src/train/pack.ts';
import { Trainer } from '../../src/train/trainer.ts';
import { captionScene } from '../../src/world/captions.ts';
import { parsePrompt } from '../../src/world/prompt.ts';
import { tinyModel } from '../pipeline/_tinyModel.ts';
import { trainTinyAutoencoder, trainTinyDit } from './_tinyRuns.ts';

const shape = { width: 64, height: 64, frames: 17, fps: 8 };

test('labels say only what the caption states: parsing the caption back gives the same answers', () => {
  let labelled = 0;
  for (const level of [0, 1, 2]) {
    for (let seed = 1; seed <= 120; seed++) {
      const spec = curriculumScene(seed, level, shape);
      const captions = captionScene(spec, seed);
      for (const style of ['short', 'detailed'] as CaptionStyle[]) {
        const labels = captionLabels(spec, style);
        const parsed = captionLabels(parsePrompt(captions[style], { ...shape, seed }), style);
        for (const [attribute, answer] of Object.entries(labels)) {
          if (answer === UNLABELLED) continue;
          labelled++;
          const name = PROBED_ATTRIBUTES[attribute as keyof typeof PROBED_ATTRIBUTES][answer];
          assert.equal(
            parsed[attribute as keyof typeof labels],
            answer,
            `level ${level} ${style} caption "${captions[style]}" does not state ${attribute} ${name}`,
          );
        }
      }
    }
  }
  assert.ok(labelled > 120 * 5, `only ${labelled} labels`);
  const short = captionLabels(curriculumScene(1, 0, shape), 'short');
  assert.deepEqual([short.speed, short.size, short.start], [UNLABELLED, UNLABELLED, UNLABELLED]);
  // Two objects: which one a head should describe is not defined, so nothing is labelled.
  let twoObjects = 0;
  for (let seed = 1; seed <= 60; seed++) {
    const spec = curriculumScene(seed, 1, shape);
    if (spec.objects.length !== 2) continue;
    twoObjects++;
    assert.ok(Object.values(captionLabels(spec, 'detailed')).every((a) => a === UNLABELLED));
  }
  assert.ok(twoObjects > 0);
});

test('one-hot targets: one 1 per labelled attribute, zeros for unlabelled clips', () => {
  const spec = curriculumScene(3, 0, shape);
  const targets = captionTargets([captionLabels(spec, 'detailed'), undefined]);
  for (const [name, { data, shape: dims }] of Object.entries(targets)) {
    const answers = dims[1]!;
    assert.equal(
      data.subarray(0, answers).reduce((a, b) => a + b, 0),
      1,
      name,
    );
    assert.ok(data.subarray(answers).every((v) => v === 0));
  }
});

async function trainTiny(dir: string, input: Partial<TrainConfigInput> & { out: string }, steps: number) {
  return (await trainTinyDit(dir, input, steps)).checkpoint;
}

/** The probe's mean cross-entropy on held-out level-0 detailed captions, under a checkpoint's weights. */
async function heldOutProbeLoss(ckpt: Checkpoint): Promise<number> {
  const preset = getPreset('tiny');
  const tokenizer = parseTokenizer(ckpt.extra!.tokenizer!);
  const specs = Array.from({ length: 32 }, (_, i) =>
    curriculumScene(9000 + i, 0, { ...shape, width: 16, height: 16, frames: 5 }),
  );
  const captions = specs.map((spec, i) => captionScene(spec, 9000 + i).detailed);
  const tokens = tokenizeBatch(tokenizer, captions, tokenizer.maxLength);
  const targets = Object.fromEntries(
    Object.entries(captionTargets(specs.map((s) => captionLabels(s, 'detailed')))).map(([k, t]) => [
      k,
      np.array(t.data, { shape: t.shape }),
    ]),
  );
  const loss = withParams(fromHostParams(ckpt.params), (p) => {
    const text = textEncoder(
      p.at('text'),
      preset.dit.text,
      np.array(tokens.ids, { shape: [captions.length, tokenizer.maxLength], dtype: np.int32 }),
      np.array(tokens.mask, { shape: [captions.length, tokenizer.maxLength] }),
    );
    text.tokens.dispose();
    text.mask.dispose();
    return captionProbeLoss(p, text.pooled, targets);
  });
  return (await loss.data())[0]!;
}

test('the probe loss trains the heads, adds to the step loss, stays out of packed models, and fixes the run', async () => {
  await ensureJax();
  const dir = await mkdtemp(join(tmpdir(), 'kinema-probe-'));
  try {
    await trainTinyAutoencoder(dir);

    const plain = await trainTiny(dir, { out: join(dir, 'plain') }, 1);
    assert.ok(!Object.keys(plain.params).some((n) => n.startsWith(CAPTION_PROBE_PREFIX)));
    const start = await trainTiny(dir, { out: join(dir, 'probe'), captionProbe: 1 }, 1);
    const before = await heldOutProbeLoss(start);
    const probed = await trainTiny(dir, { out: join(dir, 'probe'), captionProbe: 1 }, 80);
    const after = await heldOutProbeLoss(probed);
    assert.ok(after < 0.75 * before, `held-out probe loss ${before.toFixed(3)} → ${after.toFixed(3)}`);

    // Same seed, same batch: the first step's loss differs by the probe's cross-entropy (> 0).
    const firstLoss = async (run: string) =>
      JSON.parse((await readFile(join(dir, run, 'log.jsonl'), 'utf8')).split('\n')[0]!).loss as number;
    assert.ok((await firstLoss('probe')) > (await firstLoss('plain')) + 0.5);

    const packed = packBundle({
      autoencoder: await loadCheckpoint(join(dir, 'ae', 'checkpoint.safetensors')),
      dit: probed,
    });
    assert.ok(!Object.keys(packed.dit).some((n) => n.startsWith(CAPTION_PROBE_PREFIX)));
    assert.ok(Object.keys(probed.params).some((n) => n.startsWith(CAPTION_PROBE_PREFIX)));

    await assert.rejects(
      () => trainTiny(dir, { out: join(dir, 'probe') }, 81),
      /trained with different captionProbe/,
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('the text stage trains a model’s caption encoder on the probe; packing swaps in only the encoder', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'kinema-text-'));
  try {
    const model = await tinyModel();
    const modelPath = join(dir, 'model.safetensors');
    await saveModel(modelPath, model);
    await assert.rejects(
      async () => parseTrainConfig({ stage: 'text', preset: 'tiny', steps: 1, out: join(dir, 'x') }),
      /--init-from MODEL/,
    );
    const config = (steps: number) =>
      parseTrainConfig({
        stage: 'text',
        preset: 'tiny',
        steps,
        lr: 1e-2,
        warmupSteps: 1,
        batch: 32,
        out: join(dir, 'text'),
        initFrom: modelPath,
      });
    const first = await Trainer.create(config(30));
    const start = await first.trainStep();
    while (first.currentStep < 30) await first.log(await first.trainStep());
    await first.save();
    await first.dispose();
    const log = (await readFile(join(dir, 'text', 'log.jsonl'), 'utf8')).trim().split('\n');
    const last = JSON.parse(log[log.length - 1]!).loss as number;
    assert.ok(last < 0.8 * start.loss, `text-stage loss ${start.loss.toFixed(3)} → ${last.toFixed(3)}`);

    const text = await loadCheckpoint(join(dir, 'text', 'checkpoint.safetensors'));
    const packed = packBundle({ base: model, text });
    assert.match(packed.id, /-t30$/, 'a swapped encoder shows in the id');
    for (const [name, tensor] of Object.entries(model.dit)) {
      const now = packed.dit[name]!.data;
      const same = tensor.data.every((v, i) => v === now[i]);
      assert.equal(same, !name.startsWith('text.'), `${name} ${same ? 'kept' : 'changed'}`);
    }
    assert.ok(!Object.keys(packed.dit).some((n) => n.startsWith(CAPTION_PROBE_PREFIX)));
    assert.equal(packed.card.textSteps, 30);
    const otherTokenizer = {
      ...model,
      tokenizer: { ...model.tokenizer, vocab: [...model.tokenizer.vocab, 'zebra'] },
    };
    assert.throws(() => packBundle({ base: otherTokenizer, text }), /another tokenizer/);
    const narrower = {
      ...model,
      dit: { ...model.dit, 'text.norm.weight': { shape: [7], data: new Float32Array(7) } },
    };
    assert.throws(() => packBundle({ base: narrower, text }), /"text.norm.weight" does not fit/);
    assert.throws(
      () =>
        parseTrainConfig({
          stage: 'text',
          preset: 'tiny',
          steps: 1,
          out: dir,
          initFrom: modelPath,
          captionProbe: 0.1,
        }),
      /--caption-probe needs the dit stage/,
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
