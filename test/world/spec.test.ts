import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseSpec, SpecError } from '../../src/world/spec.ts';

const base = {
  width: 64,
  height: 64,
  frames: 16,
  background: { kind: 'grass' },
  objects: [
    {
      id: 'o0',
      class: 'ball',
      color: 'red',
      start: { x: 0.2, y: 0.5 },
      motion: { kind: 'linear', direction: 'right' },
    },
  ],
};

test('a valid spec gets its defaults filled in', () => {
  const spec = parseSpec(base);
  assert.equal(spec.fps, 8);
  assert.equal(spec.style, 'flat');
  assert.equal(spec.objects[0]!.motion.speed, 'medium');
});

test('a bad field is named by its path', () => {
  assert.throws(
    () => parseSpec({ ...base, objects: [{ ...base.objects[0], color: 'mauve' }] }),
    (e: unknown) => e instanceof SpecError && e.path === 'objects.0.color',
  );
});

test('absurd sizes are refused with a clear message', () => {
  for (const bad of [{ frames: 0 }, { width: -4 }, { frames: 100_000 }]) {
    assert.throws(() => parseSpec({ ...base, ...bad }), SpecError);
  }
});
