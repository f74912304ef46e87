// Prompt expansion: a prompt as people write it becomes the detailed caption the model reads
// best, keeping the user's words and adding no start place the user did not give.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { readsEveryWord, tokenize, trainTokenizer } from '../../src/models/text.ts';
import { expandPrompt, expansionNote } from '../../src/pipeline/promptExpansion.ts';
import { worldCaptions } from '../../src/train/clips.ts';
import { captionScene } from '../../src/world/captions.ts';
import { regionPhrase } from '../../src/world/lexicon.ts';
import { readPrompt } from '../../src/world/prompt.ts';

const context = { width: 64, height: 64, frames: 17, fps: 8, seed: 0 };

test('prompt expansion rewrites a short prompt as a detailed caption, or keeps it and says why', () => {
  const short = expandPrompt('a red ball bounces', context);
  assert.equal(short.expanded, true);
  assert.match(short.prompt, /red ball/);
  assert.ok(short.prompt.split(' ').length > 10);
  assert.deepEqual(expandPrompt('a red ball bounces', context), short);
  const unknown = expandPrompt('a zeppelin floats', context);
  assert.equal(unknown.expanded, false);
  assert.equal(unknown.prompt, 'a zeppelin floats');
  assert.match(unknown.reason!, /zeppelin/);
  const off = expandPrompt('a red ball bounces', { ...context, enabled: false });
  assert.equal(off.prompt, 'a red ball bounces');
});

test('words the world does not know are left out and named, unless nothing is left to draw', () => {
  const styled = expandPrompt('a red ball moves to the right, cinematic 4k', context);
  assert.equal(styled.expanded, true);
  assert.deepEqual(styled.ignoredWords, ['cinematic', '4k']);
  assert.doesNotMatch(styled.prompt, /cinematic|4k/);
  assert.match(expansionNote(styled)!, /left out, unknown to the model: cinematic, 4k/);
  const nothing = expandPrompt('a zeppelin floats', context);
  assert.equal(nothing.expanded, false);
  assert.match(expansionNote(nothing)!, /kept as written: unknown word: "zeppelin"/);
  assert.equal(expansionNote(expandPrompt('a red ball', { ...context, enabled: false })), undefined);
});

test("the expansion keeps the user's words where the captioner has several", () => {
  for (let seed = 0; seed < 10; seed++) {
    const { prompt } = expandPrompt('a red ball moves to the right on a blue background', {
      ...context,
      seed,
    });
    assert.match(prompt, /\bred ball\b/, prompt);
    assert.match(prompt, /\bblue background\b/, prompt);
    assert.match(prompt, /\bto the right\b/, prompt);
    assert.match(prompt, /\bred ball moves\b/, `the verb as the user wrote it: ${prompt}`);
  }
  const drifting = expandPrompt('a green ring drifting to the left', context).prompt;
  assert.match(drifting, /\bgreen ring drifts\b/, drifting);
  const plural = expandPrompt('two red balls slide to the left', context).prompt;
  assert.match(plural, /\bred ball slides\b/, plural);
  assert.doesNotMatch(plural, /\b(orb|sphere)\b/, plural);
});

test('the expansion words the scene in the words the model has read', () => {
  // A tokenizer trained as a level-0 run trains it: plain backgrounds only, so it knows "grass"
  // (every world word is in its base vocabulary) but not the captioner's "grassy field".
  const level0 = { seed: 0, width: 64, height: 64, frames: 17, fps: 8, level: 0 };
  const tokenizer = trainTokenizer(worldCaptions(level0, 300), { maxLength: 64 });
  const prompt = 'a red ball bounces over a grassy field';
  assert.match(expandPrompt(prompt, context).prompt, /grassy field/);
  for (let seed = 0; seed < 10; seed++) {
    const read = expandPrompt(prompt, { ...context, seed, reads: readsEveryWord(tokenizer) }).prompt;
    assert.deepEqual(tokenize(tokenizer, read).unknown, [], read);
    assert.match(read, /\bgrass\b/, read);
    assert.match(read, /\bred ball bounces\b/, `the user's words where the model knows them: ${read}`);
  }
});

test('the expansion names a start place only where the prompt gave one', () => {
  // The parser starts a rightward mover at the left edge; a caption saying so kept the ball still.
  for (let seed = 0; seed < 10; seed++) {
    const free = expandPrompt('a red ball moves to the right', { ...context, seed }).prompt;
    const { start } = readPrompt('a red ball moves to the right', { ...context, seed }).spec.objects[0]!;
    for (const place of regionPhrase(start.x, start.y)) assert.ok(!free.includes(place), free);
    assert.doesNotMatch(free, /\b(start|starts|starting|begins)\b/, free);
    const placed = expandPrompt('a red ball on the left moves up', { ...context, seed }).prompt;
    assert.match(placed, /left/, placed);
  }
  assert.deepEqual(readPrompt('a red ball on the left and a blue square', context).placed, [true, false]);
});

test("leaving start places out changes no other word of the world's captions", () => {
  const { spec } = readPrompt('a red ball moves to the right and a blue square falls', context);
  for (let seed = 0; seed < 20; seed++) {
    const all = captionScene(spec, seed);
    assert.deepEqual(captionScene(spec, seed, { startPlaces: [true, true] }), all);
    const some = captionScene(spec, seed, { startPlaces: [false, true] });
    assert.equal(some.short, all.short);
    assert.equal(some.long, all.long);
    // The first sentence loses its place; every later sentence is the same.
    const sentences = (text: string) => text.split('. ');
    assert.deepEqual(sentences(some.detailed).slice(1), sentences(all.detailed).slice(1));
    assert.ok(some.detailed.length < all.detailed.length);
  }
});
