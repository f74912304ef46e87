// Backgrounds override: a level's scenes on other backgrounds (level 0's one shape on grass, sky,
// sea...), everything else about each scene unchanged; and world captions worded in the words the
// model's tokenizer knows, as training and the suite give them.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { backgroundList } from '../../src/cli/train.ts';
import { evalPrompts } from '../../src/eval/suite.ts';
import { readsEveryWord, tokenize, trainTokenizer } from '../../src/models/text.ts';
import { worldCaptionBatch, worldCaptions } from '../../src/train/clips.ts';
import { parseTrainConfig } from '../../src/train/config.ts';
import { captionScene } from '../../src/world/captions.ts';

const source = { seed: 3, width: 32, height: 32, frames: 5, fps: 8, level: 0 };
const textures = ['grass', 'sky', 'sea', 'night'] as const;

test('--backgrounds draws the same scenes on the given backgrounds', () => {
  const plain = worldCaptionBatch(source, 0, 64).specs;
  const textured = worldCaptionBatch({ ...source, backgrounds: textures }, 0, 64).specs;
  const kinds = new Set(textured.map((s) => s.background.kind));
  assert.deepEqual([...kinds].sort(), [...textures].sort());
  assert.ok(plain.every((s) => s.background.kind === 'solid'));
  // objects, style, camera: as without the override
  for (const [i, spec] of textured.entries()) assert.deepEqual(spec.objects, plain[i]!.objects);
  const config = parseTrainConfig({
    stage: 'dit',
    steps: 1,
    out: 'x',
    initFrom: 'm.safetensors',
    data: { backgrounds: ['grass'] },
  });
  assert.deepEqual(config.data.backgrounds, ['grass']);
  assert.throws(() =>
    parseTrainConfig({
      stage: 'dit',
      steps: 1,
      out: 'x',
      initFrom: 'm.safetensors',
      data: { backgrounds: ['lava'] },
    }),
  );
  assert.deepEqual(backgroundList('solid, grass'), ['solid', 'grass']);
  assert.throws(() => backgroundList('solid,lava'), /"lava" is not a background: solid, gradient, grass/);
});

test("captions are worded in the tokenizer's words where the captioner has a choice", () => {
  // A level-0 run's tokenizer: plain backgrounds, so "grass" (a world word) but not "meadow".
  const tokenizer = trainTokenizer(worldCaptions(source, 2000), { maxLength: 64 });
  const reads = readsEveryWord(tokenizer);
  const textured = { ...source, backgrounds: textures };
  const unknownIn = (captions: string[]) => captions.flatMap((c) => tokenize(tokenizer, c).unknown);
  const free = worldCaptionBatch(textured, 0, 64);
  const worded = worldCaptionBatch({ ...textured, reads }, 0, 64);
  // each caption is the captioner's for its scene, worded in the tokenizer's words
  for (const [b, caption] of worded.captions.entries()) {
    const styles = captionScene(worded.specs[b]!, worded.seeds[b]!, { reads });
    assert.ok(Object.values(styles).includes(caption), caption);
  }
  // (long captions describe a texture in prose, none of it in a level-0 vocabulary)
  const before = unknownIn(free.captions).length;
  const after = unknownIn(worded.captions).length;
  assert.ok(after < 0.7 * before, `${after} unknown words, ${before} without`);
  // a level-0 caption, which the tokenizer reads whole, is unchanged
  const plain = worldCaptionBatch(source, 0, 64).captions;
  assert.deepEqual(worldCaptionBatch({ ...source, reads }, 0, 64).captions, plain);
  // the suite's detailed and short captions: every word read
  for (const captionStyle of ['detailed', 'short'] as const) {
    const shape = { width: 32, height: 32, frames: 5, fps: 8, captionStyle };
    const suite = evalPrompts({ ...shape, count: 40, level: 0, backgrounds: textures }, reads);
    assert.deepEqual(unknownIn(suite.map((p) => p.prompt)), [], captionStyle);
  }
});
