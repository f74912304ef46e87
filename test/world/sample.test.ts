import assert from 'node:assert/strict';
import { test } from 'node:test';
import { classByName } from '../../src/world/classes.ts';
import { renderClip } from '../../src/world/render.ts';
import { CURRICULUM, contrasts, curriculumOptions, sampleScene } from '../../src/world/sample.ts';
import { MOTIONS, STYLES } from '../../src/world/spec.ts';

const base = { width: 64, height: 64, frames: 16, fps: 8 };

test('the same seed and options give the same scene; seeds differ', () => {
  assert.deepEqual(sampleScene(42, base), sampleScene(42, base));
  const distinct = new Set(Array.from({ length: 50 }, (_, i) => JSON.stringify(sampleScene(i, base))));
  assert.equal(distinct.size, 50);
});

test('options narrow the distribution (curriculum stage 0: one shape, plain, flat, still camera)', () => {
  const o = curriculumOptions(0, base);
  for (let i = 0; i < 200; i++) {
    const s = sampleScene(i, o);
    assert.equal(s.objects.length, 1);
    assert.equal(classByName(s.objects[0]!.class)!.kind, 'shape');
    assert.ok(['static', 'linear'].includes(s.objects[0]!.motion.kind), s.objects[0]!.motion.kind);
    assert.equal(s.background.kind, 'solid');
    assert.equal(s.style, 'flat');
    assert.equal(s.camera, 'static');
    assert.equal(s.lighting, 'constant');
    assert.ok(contrasts(s.objects[0]!.color, s.background), 'object colour stands out');
  }
  assert.equal(curriculumOptions(99, base).maxObjects, CURRICULUM[CURRICULUM.length - 1]!.maxObjects);
  const only = sampleScene(1, {
    ...base,
    motions: ['orbit'],
    styles: ['neon'],
    minObjects: 3,
    maxObjects: 3,
    classes: ['cat', 'dog'],
  });
  assert.ok(
    only.objects.every((o) => o.motion.kind === 'orbit' && ['cat', 'dog'].includes(o.class)),
    'only orbiting cats and dogs',
  );
  assert.equal(only.style, 'neon');
});

test('the full distribution covers every motion and style', () => {
  const motions = new Set<string>();
  const styles = new Set<string>();
  for (let i = 0; i < 400; i++) {
    const s = sampleScene(i, { ...base, maxObjects: 4 });
    for (const o of s.objects) motions.add(o.motion.kind);
    styles.add(s.style);
  }
  assert.deepEqual([...motions].sort(), [...MOTIONS].sort());
  assert.deepEqual([...styles].sort(), [...STYLES].sort());
});

test('objects start where they stay mostly visible', () => {
  let shownFrames = 0;
  let presentFrames = 0;
  for (let i = 0; i < 150; i++) {
    const s = sampleScene(i, { ...base, maxObjects: 3, cameras: ['static'] });
    const c = renderClip(s, i, { captions: false });
    for (const t of c.truth) {
      t.objects.forEach((o, k) => {
        const m = s.objects[k]!.motion;
        const scheduled =
          (m.kind !== 'appear' || t.frame >= Math.round(m.at * s.frames)) &&
          (m.kind !== 'disappear' || t.frame < Math.round(m.at * s.frames));
        if (!scheduled) return;
        shownFrames++;
        if (o.present) presentFrames++;
      });
    }
  }
  assert.ok(
    presentFrames / shownFrames > 0.97,
    `${((presentFrames / shownFrames) * 100).toFixed(1)}% of object-frames in view`,
  );
});
