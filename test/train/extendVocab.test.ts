// --extend-vocab: a model's tokenizer gains the words of a new run's captions (a level-0 model has
// never read "above" or "meadow") on unused embedding rows, keeping every existing id.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { saveModel } from '../../src/models/bundle.ts';
import { extendTokenizer, parseTokenizer, tokenize, trainTokenizer } from '../../src/models/text.ts';
import { worldCaptions } from '../../src/train/clips.ts';
import { parseTrainConfig, TrainConfigError } from '../../src/train/config.ts';
import { Trainer } from '../../src/train/trainer.ts';
import { tinyModel } from '../pipeline/_tinyModel.ts';

const shape = { seed: 1, width: 32, height: 32, frames: 5, fps: 8 };

test('extendTokenizer adds the unread words, most used first, and keeps every id', () => {
  const level0 = trainTokenizer(worldCaptions({ ...shape, level: 0 }, 500), { maxLength: 64 });
  const level1 = worldCaptions({ ...shape, level: 1 }, 500);
  const unknown = (t: typeof level0) => level1.flatMap((c) => tokenize(t, c).unknown).length;
  const extended = extendTokenizer(level0, level1, { maxVocab: 512 });
  assert.deepEqual(extended.vocab.slice(0, level0.vocab.length), level0.vocab);
  assert.ok(extended.vocab.includes('above'), 'a relation word level 0 never says');
  assert.ok(unknown(extended) < 0.2 * unknown(level0), `${unknown(extended)} vs ${unknown(level0)}`);
  const capped = extendTokenizer(level0, level1, { maxVocab: level0.vocab.length + 3 });
  const added = extended.vocab.slice(level0.vocab.length);
  assert.deepEqual(capped.vocab.slice(level0.vocab.length), added.slice(0, 3), 'the most used first');
  assert.equal(extendTokenizer(level0, level1, { maxVocab: 10 }).vocab.length, level0.vocab.length);
});

test('train --extend-vocab: a DiT run from a model reads its new level with the extended tokenizer', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'kinema-extend-vocab-'));
  try {
    const model = await tinyModel(3);
    const modelPath = join(dir, 'model.safetensors');
    await saveModel(modelPath, model, 'F32');
    const input = { stage: 'dit', preset: 'tiny', steps: 1, out: join(dir, 'run'), initFrom: modelPath };
    const config = parseTrainConfig({ ...input, extendVocab: true, data: { level: 1 } });
    const trainer = await Trainer.create(config);
    const tokenizer = parseTokenizer(trainer.checkpoint().extra!.tokenizer!);
    await trainer.dispose();
    assert.deepEqual(tokenizer.vocab.slice(0, model.tokenizer.vocab.length), model.tokenizer.vocab);
    assert.ok(tokenizer.vocab.length > model.tokenizer.vocab.length + 20, `${tokenizer.vocab.length} words`);
    assert.ok(tokenizer.vocab.length <= model.preset.dit.text.vocabSize);
    assert.throws(
      () => parseTrainConfig({ ...input, initFrom: undefined, autoencoder: 'ae', extendVocab: true }),
      (err: unknown) =>
        err instanceof TrainConfigError && /needs --stage dit and --init-from/.test(err.message),
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
