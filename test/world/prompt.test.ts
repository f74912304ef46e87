import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CLASSES } from '../../src/world/classes.ts';
import {
  editDistance,
  PromptError,
  parsePrompt,
  UnknownWordsError,
  vocabulary,
} from '../../src/world/prompt.ts';
import {
  BACKGROUNDS,
  CAMERA_MOVES,
  COLOR_NAMES,
  LIGHTINGS,
  MOTIONS,
  SpecError,
  STYLES,
} from '../../src/world/spec.ts';

const opts = { width: 64, height: 64, frames: 16, fps: 8 };
const parse = (t: string) => parsePrompt(t, opts);
const brief = (t: string) =>
  parse(t).objects.map((o) =>
    [o.class, o.color, o.size, o.motion.kind, o.motion.direction ?? '-', o.motion.speed].join(' '),
  );

test('a simple prompt, with defaults for everything left unsaid', () => {
  const s = parse('a red ball bounces');
  assert.deepEqual(brief('a red ball bounces'), ['ball red medium bounce - medium']);
  assert.equal(s.background.kind, 'solid');
  assert.equal(s.style, 'flat');
  assert.equal(s.camera, 'static');
  assert.equal(s.lighting, 'constant');
  assert.equal(s.width, 64);
});

test('synonyms, paraphrases and word order', () => {
  assert.deepEqual(brief('a little crimson sphere slides quickly toward the upper left'), [
    'ball red small linear up-left fast',
  ]);
  assert.deepEqual(brief('swiftly, a big grey cube zig-zags from right to left'), [
    'square gray large zigzag left fast',
  ]);
  assert.deepEqual(brief('a spinning purple star'), ['star purple medium rotate - medium']);
  assert.deepEqual(brief('an orange cube rotating anticlockwise'), [
    'square orange medium rotate left medium',
  ]);
  assert.deepEqual(brief('the bunny hops to the left'), ['rabbit white medium linear left medium']);
  assert.deepEqual(
    brief('a yellow balloon rises slowly'),
    ['balloon red medium linear up slow'],
    'a balloon keeps its own colour',
  );
  assert.deepEqual(brief("a green heart doesn't move"), ['heart green medium static - medium']);
  assert.deepEqual(brief('A blue diamond gets bigger.'), ['diamond blue medium grow - medium']);
});

test('numbers and plurals make several objects', () => {
  assert.equal(parse('two balls').objects.length, 2);
  assert.equal(parse('three red stars fall').objects.length, 3);
  assert.equal(parse('a pair of cats and 4 fish').objects.length, 6);
  assert.equal(parse('some cherries').objects.length, 1);
  assert.ok(
    parse('two blue boxes move right').objects.every(
      (o) => o.motion.direction === 'right' && o.color === 'blue',
    ),
    'both',
  );
  assert.throws(() => parse('nine balls'), PromptError);
});

test('scene words: backgrounds, styles, camera and lighting', () => {
  const s = parse(
    'a rocket flies up over a starry night sky in pixel art as the camera pans left and day turns into night',
  );
  assert.equal(s.background.kind, 'night');
  assert.equal(s.style, 'pixel');
  assert.equal(s.camera, 'pan-left');
  assert.equal(s.lighting, 'day-to-night');
  assert.equal(s.objects[0]!.motion.direction, 'up');
  const g = parse('a white star on a gradient from red to blue, zoom in, fade to black');
  assert.deepEqual([g.background.kind, g.background.color, g.background.color2], ['gradient', 'red', 'blue']);
  assert.equal(g.camera, 'zoom-in');
  assert.equal(g.lighting, 'fade-out');
  const p = parse('a red ball on a plain black background drawn as a pencil sketch');
  assert.deepEqual([p.background.kind, p.background.color, p.style], ['solid', 'black', 'sketch']);
  assert.equal(parse('a neon cat on the beach of the desert').style, 'neon');
});

test('relations shape the layout', () => {
  const l = parse('a red ball to the left of a green box');
  assert.ok(l.objects[0]!.start.x < l.objects[1]!.start.x, 'left of');
  const a = parse('a cat above a dog');
  assert.ok(a.objects[0]!.start.y < a.objects[1]!.start.y, 'above');
  const b = parse('a car passes behind a tree');
  assert.equal(b.objects[0]!.motion.kind, 'linear');
  assert.ok(b.objects[0]!.depth < b.objects[1]!.depth, 'behind is farther');
  assert.equal(
    b.objects[0]!.motion.direction,
    b.objects[0]!.start.x < b.objects[1]!.start.x ? 'right' : 'left',
  );
  const t = parse('a mouse runs towards a cat');
  assert.equal(
    t.objects[0]!.motion.direction,
    t.objects[0]!.start.x < t.objects[1]!.start.x ? 'right' : 'left',
  );
  const c = parse('a blue ball bumps into a red box');
  assert.equal(c.objects[0]!.depth, c.objects[1]!.depth);
  // "the" refers back instead of adding an object
  assert.equal(parse('a red ball and a blue box. the red ball is above the blue box.').objects.length, 2);
  const pos = parse('a star in the top right corner and a moon at the bottom');
  assert.deepEqual(pos.objects[0]!.start, { x: 0.8, y: 0.2 });
  assert.equal(pos.objects[1]!.start.y, 0.8);
});

test('unknown words are named, with the nearest known words', () => {
  try {
    parse('a purpel bal bounses over the grass');
    assert.fail('should throw');
  } catch (e) {
    assert.ok(e instanceof UnknownWordsError, String(e));
    assert.deepEqual(
      e.words.map((w) => w.word),
      ['purpel', 'bal', 'bounses'],
    );
    assert.equal(e.words[0]!.suggestions[0], 'purple');
    assert.ok(e.words[1]!.suggestions.includes('ball'), e.message);
    assert.equal(e.words[2]!.suggestions[0], 'bounces');
    assert.match(e.message, /"purpel" \(did you mean "purple"/);
    assert.match(e.message, /kinema world vocab/);
  }
  // with unknown: 'ignore' the rest still parses
  assert.equal(parsePrompt('a shiny red ball', { ...opts, unknown: 'ignore' }).objects[0]!.class, 'ball');
  assert.equal(editDistance('bounses', 'bounces'), 1);
  assert.equal(editDistance('teh', 'the'), 1);
});

test('stop words are ignored; an empty or meaningless prompt is a clear error', () => {
  assert.deepEqual(brief('please show me a video of a red ball that bounces'), [
    'ball red medium bounce - medium',
  ]);
  assert.throws(() => parse(''), PromptError);
  assert.throws(() => parse('the of and'), PromptError);
});

test('sizes outside the limits are refused by the spec, naming the field', () => {
  assert.throws(
    () => parsePrompt('a ball', { ...opts, width: 0 }),
    (e: unknown) => e instanceof SpecError && e.path === 'width',
  );
  assert.throws(
    () => parsePrompt('a ball', { ...opts, frames: 100_000 }),
    (e: unknown) => e instanceof SpecError && e.path === 'frames',
  );
});

test('vocabulary lists what the world knows, grouped', () => {
  const v = vocabulary();
  assert.equal(v.classes.length, CLASSES.length);
  assert.ok(v.classes.length >= 40, 'at least 40 classes');
  assert.deepEqual(Object.keys(v.colors).sort(), [...COLOR_NAMES].sort());
  for (const m of MOTIONS) assert.ok(v.motions[m]!.length > 0, m);
  for (const b of BACKGROUNDS) assert.ok(v.backgrounds[b]!.length > 0, b);
  for (const s of STYLES) assert.ok(v.styles[s]!.length > 0, s);
  for (const c of CAMERA_MOVES) assert.ok(v.camera[c]!.length > 0, c);
  for (const l of LIGHTINGS) assert.ok(v.lighting[l]!.length > 0, l);
  // every class word parses to that class
  for (const c of v.classes)
    for (const w of [c.name, ...c.synonyms]) assert.equal(parse(`a ${w}`).objects[0]!.class, c.name, w);
});
