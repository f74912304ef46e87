import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { init, numpy as np, tree } from '@jax-js/jax';
import { PRESETS } from '../../src/models/presets.ts';
import {
  encodeText,
  normalizeWords,
  parseTokenizer,
  textEncoderParamSpec,
  tokenize,
  tokenizeBatch,
  trainTokenizer,
  worldVocabulary,
} from '../../src/models/text.ts';
import { initParams } from '../../src/nn/init.ts';
import { assertClose } from '../nn/helpers.ts';

before(async () => {
  await init('wasm');
});

const captions = [
  'A red ball moves to the right on a grass background.',
  'A small blue bird flies up-left, slowly.',
  'A red ball moves to the right quickly',
  'The cat bounces on the sea.',
  'The cat bounces twice',
];

describe('tokenizer', () => {
  test('normalises case, accents and punctuation, splits hyphens', () => {
    assert.deepEqual(normalizeWords('A Café-Bird, flies UP-LEFT!'), [
      'a',
      'cafe',
      'bird',
      'flies',
      'up',
      'left',
    ]);
  });

  test('knows the world vocabulary even when captions never used it', () => {
    const tokenizer = trainTokenizer(captions);
    for (const word of ['penguin', 'soccer', 'cyan', 'zigzag', 'neon'])
      assert.ok(tokenizer.vocab.includes(word), word);
    assert.ok(worldVocabulary().length > 100);
  });

  test('unknown words map to <unk> and are reported; plurals of known words are understood', () => {
    const tokenizer = trainTokenizer(captions);
    const result = tokenize(tokenizer, 'Two cats and a glorp near the zorblax');
    const unk = tokenizer.vocab.indexOf('<unk>');
    assert.deepEqual(result.unknown, ['two', 'and', 'glorp', 'near', 'zorblax']);
    assert.equal(result.ids[1], tokenizer.vocab.indexOf('cat'));
    assert.equal(result.ids.filter((id) => id === unk).length, 5);
    assert.equal(tokenize(tokenizer, 'a red ball').unknown.length, 0);
  });

  test('words seen minCount times join the vocabulary; maxVocab and maxLength are respected', () => {
    const tokenizer = trainTokenizer(captions, { minCount: 2, maxLength: 4 });
    assert.ok(tokenizer.vocab.includes('moves'));
    assert.ok(!tokenizer.vocab.includes('flies'), 'seen once');
    const long = tokenize(tokenizer, 'a red ball moves right');
    assert.equal(long.ids.length, 4);
    assert.ok(long.truncated);
    assert.throws(() => trainTokenizer(captions, { maxVocab: 10 }), /smaller than the world/);
  });

  test('batches are padded with a mask, and the JSON form round-trips', () => {
    const tokenizer = trainTokenizer(captions);
    const batch = tokenizeBatch(tokenizer, ['red ball', 'a blue bird flies']);
    assert.equal(batch.length, 4);
    assert.deepEqual(Array.from(batch.mask), [1, 1, 0, 0, 1, 1, 1, 1]);
    assert.equal(batch.ids[2], 0);
    assert.deepEqual(parseTokenizer(JSON.stringify(tokenizer)), tokenizer);
    assert.throws(() => parseTokenizer('{"vocab": []}'), /not a Kinema tokenizer/);
  });
});

describe('text encoder', () => {
  test('shapes, and padding never changes the real tokens or the pooled vector', async () => {
    const cfg = PRESETS.tiny.dit.text;
    const params = initParams(textEncoderParamSpec(cfg), 0);
    const run = async (ids: number[], mask: number[]) => {
      const out = encodeText(
        tree.ref(params),
        cfg,
        np.array(new Int32Array(ids), { shape: [1, ids.length] }),
        np.array(new Float32Array(mask), { shape: [1, mask.length] }),
      );
      const result = {
        shape: out.tokens.shape,
        tokens: (await out.tokens.data()) as Float32Array,
        pooled: (await out.pooled.data()) as Float32Array,
      };
      out.mask.dispose();
      return result;
    };
    const short = await run([5, 9, 12], [1, 1, 1]);
    const padded = await run([5, 9, 12, 0, 0], [1, 1, 1, 0, 0]);
    assert.deepEqual(short.shape, [1, 3, cfg.width]);
    assert.deepEqual(padded.shape, [1, 5, cfg.width]);
    assertClose(padded.tokens.subarray(0, 3 * cfg.width), short.tokens, 1e-4, 1e-5);
    assertClose(padded.pooled, short.pooled, 1e-4, 1e-5);
    const other = await run([5, 9, 13], [1, 1, 1]);
    assert.ok(Math.abs(other.pooled[0] - short.pooled[0]) > 1e-6, 'different words, different encoding');
  });
});
