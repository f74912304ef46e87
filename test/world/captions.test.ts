import assert from 'node:assert/strict';
import { test } from 'node:test';
import { captionScene, SPEED_MATTERS, sceneRelations } from '../../src/world/captions.ts';
import { classByName, shownColor } from '../../src/world/classes.ts';
import { regionOf } from '../../src/world/lexicon.ts';
import { effectiveDirection } from '../../src/world/motion.ts';
import { parsePrompt } from '../../src/world/prompt.ts';
import { sampleScene } from '../../src/world/sample.ts';
import { parseSpec, type SceneSpec } from '../../src/world/spec.ts';

/** What a caption must carry: class, shown colour, motion and its effective direction (+ more for detailed). */
function signature(s: SceneSpec, detailed: boolean): string {
  const objs = s.objects.map((o) => {
    const c = classByName(o.class)!;
    const parts = [o.class, shownColor(c, o.color), o.motion.kind, effectiveDirection(o.motion) ?? '-'];
    if (detailed) {
      parts.push(o.size, SPEED_MATTERS.has(o.motion.kind) ? o.motion.speed : '');
      const r = regionOf(o.start.x, o.start.y);
      parts.push(`${r.x},${r.y}`);
    }
    return parts.join('/');
  });
  if (!detailed) return objs.join(' | ');
  const bg = s.background;
  const bgs =
    bg.kind === 'solid'
      ? `solid ${bg.color}`
      : bg.kind === 'gradient'
        ? `gradient ${bg.color}-${bg.color2}`
        : bg.kind;
  return `${objs.join(' | ')} || ${bgs} ${s.style} ${s.camera} ${s.lighting}`;
}

test('short and detailed captions parse back to the same objects, colours, motions and directions', () => {
  let checked = 0;
  const sizes = [
    [64, 64, 16, 8],
    [96, 64, 24, 12],
    [48, 80, 10, 5],
  ] as const;
  for (let seed = 0; seed < 900; seed++) {
    const [width, height, frames, fps] = sizes[seed % sizes.length]!;
    const spec = sampleScene(seed, {
      width,
      height,
      frames,
      fps,
      minObjects: seed % 7 === 0 ? 0 : 1,
      maxObjects: 5,
    });
    const captions = captionScene(spec, seed);
    for (const kind of ['short', 'detailed'] as const) {
      const parsed = parsePrompt(captions[kind], { width, height, frames, fps });
      assert.equal(
        signature(parsed, kind === 'detailed'),
        signature(spec, kind === 'detailed'),
        `seed ${seed} ${kind}: ${captions[kind]}`,
      );
      checked++;
    }
  }
  assert.equal(checked, 1800);
});

test('captions vary with the seed: synonyms, verbs and word order', () => {
  const spec = sampleScene(11, { width: 64, height: 64, frames: 16, minObjects: 2, maxObjects: 2 });
  const shorts = new Set<string>();
  const detailed = new Set<string>();
  const longs = new Set<string>();
  for (let seed = 0; seed < 30; seed++) {
    const c = captionScene(spec, seed);
    shorts.add(c.short);
    detailed.add(c.detailed);
    longs.add(c.long);
  }
  assert.ok(shorts.size >= 25, `${shorts.size} distinct short captions`);
  assert.ok(detailed.size === 30, `${detailed.size} distinct detailed captions`);
  assert.ok(longs.size >= 25, `${longs.size} distinct long captions`);
  // and the same seed gives the same words
  assert.deepEqual(captionScene(spec, 5), captionScene(spec, 5));
});

test('the long caption is several sentences and names every object', () => {
  const spec = sampleScene(4, { width: 64, height: 64, frames: 16, minObjects: 3, maxObjects: 3 });
  const long = captionScene(spec, 4).long;
  assert.ok(long.split(/[.!?] /).length >= 5, long);
  assert.ok(long.length > 300, long);
});

test('relations between objects: left of, towards, passing behind, colliding', () => {
  const base = { width: 96, height: 64, frames: 16, fps: 8, background: { kind: 'solid' } };
  const still = { kind: 'static' };
  const left = parseSpec({
    ...base,
    objects: [
      { id: 'a', class: 'ball', color: 'red', start: { x: 0.2, y: 0.5 }, motion: still },
      { id: 'b', class: 'cat', color: 'orange', start: { x: 0.8, y: 0.5 }, motion: still },
    ],
  });
  assert.deepEqual(sceneRelations(left), [{ kind: 'left-of', a: 'a', b: 'b', frame: 0 }]);
  assert.match(captionScene(left, 1).detailed, /(left of|right of)/);
  const mk = (depthA: number, depthB: number) =>
    parseSpec({
      ...base,
      objects: [
        {
          id: 'a',
          class: 'ball',
          color: 'red',
          start: { x: 0.15, y: 0.5 },
          motion: { kind: 'linear', direction: 'right', speed: 'fast' },
          depth: depthA,
        },
        {
          id: 'b',
          class: 'square',
          color: 'blue',
          size: 'large',
          start: { x: 0.7, y: 0.5 },
          motion: still,
          depth: depthB,
        },
      ],
    });
  const kinds = (s: SceneSpec) => sceneRelations(s).map((r) => `${r.kind}:${r.a}>${r.b}`);
  assert.ok(kinds(mk(0, 1)).includes('behind:a>b'), kinds(mk(0, 1)).join());
  assert.ok(kinds(mk(1, 0)).includes('front:a>b'), kinds(mk(1, 0)).join());
  assert.ok(kinds(mk(0, 0)).includes('collide:a>b'), kinds(mk(0, 0)).join());
  const towards = parseSpec({
    ...base,
    frames: 8,
    objects: [
      {
        id: 'a',
        class: 'ball',
        color: 'red',
        start: { x: 0.1, y: 0.5 },
        motion: { kind: 'linear', direction: 'right', speed: 'fast' },
      },
      { id: 'b', class: 'square', color: 'blue', size: 'small', start: { x: 0.9, y: 0.5 }, motion: still },
    ],
  });
  assert.ok(kinds(towards).includes('towards:a>b'), kinds(towards).join());
});
