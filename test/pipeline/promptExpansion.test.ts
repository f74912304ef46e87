// Prompt expansion: a prompt as people write it becomes the detailed caption the model reads
// best, keeping the user's words and naming where objects start (not for a straight mover the
// user did not place, nor over frames the user gave).
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

/** "a red ball moves", or with the start place between them: "a red ball starts on the left and moves". */
function subjectThenVerb(subject: string, verb: string): RegExp {
  return new RegExp(`\\b${subject} (?:(?:starts|begins) [^,.]+ and )?${verb}\\b`);
}

test("the expansion keeps the user's words where the captioner has several", () => {
  for (let seed = 0; seed < 10; seed++) {
    const { prompt } = expandPrompt('a red ball moves to the right on a blue background', {
      ...context,
      seed,
    });
    assert.match(prompt, /\bred ball\b/, prompt);
    assert.match(prompt, /\bblue background\b/, prompt);
    assert.match(prompt, /\bto the right\b/, prompt);
    assert.match(prompt, subjectThenVerb('red ball', 'moves'), `the verb as the user wrote it: ${prompt}`);
  }
  const drifting = expandPrompt('a green ring drifting to the left', context).prompt;
  assert.match(drifting, subjectThenVerb('green ring', 'drifts'), drifting);
  const plural = expandPrompt('two red balls slide to the left', context).prompt;
  assert.match(plural, subjectThenVerb('red ball', 'slides'), plural);
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
    assert.match(
      read,
      subjectThenVerb('red ball', 'bounces'),
      `the user's words where the model knows them: ${read}`,
    );
  }
});

test("the expansion names where objects start, but not a straight mover's unless stated, nor over given frames", () => {
  // World captions always say where objects start; without it the model reads a caption unlike
  // any it trained on. A straight mover's start place, named, cost direction; given frames (an
  // image to animate) fix every start, so the caption must not contradict them.
  const named = (prompt: string, seed: number, framesGiven = false) => {
    const { start } = readPrompt(prompt, { ...context, seed }).spec.objects[0]!;
    const text = expandPrompt(prompt, { ...context, seed, framesGiven }).prompt.toLowerCase();
    return regionPhrase(start.x, start.y).some((place) => text.includes(place));
  };
  for (let seed = 0; seed < 10; seed++) {
    assert.ok(named('a big yellow square on a plain green background', seed), 'a still object is placed');
    assert.ok(named('a red ball bounces', seed), 'so is a bouncing one');
    assert.ok(!named('a red ball moves to the right', seed), 'a straight mover is not');
    assert.ok(named('a red ball on the right moves up', seed), 'unless the prompt places it');
    assert.ok(!named('a big yellow square on a plain green background', seed, true), 'frames given');
    assert.ok(named('a red ball on the right moves up', seed, true), 'the stated place over frames');
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
