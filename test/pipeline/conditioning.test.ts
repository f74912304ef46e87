import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  ConditioningError,
  conditionOn,
  framesOfLatent,
  latentOfFrame,
  pasteGivenFrames,
} from '../../src/pipeline/conditioning.ts';
import { tinyModel } from './_tinyModel.ts';

test('pixel frames map to the causal latent grid: 0 | 1 2 | 3 4', async () => {
  const model = await tinyModel();
  assert.deepEqual(
    [0, 1, 2, 3, 4, 5].map((f) => latentOfFrame(model, f)),
    [0, 1, 1, 2, 2, 3],
  );
  assert.deepEqual(framesOfLatent(model, 0), [0, 1]);
  assert.deepEqual(framesOfLatent(model, 2), [3, 5]);
});

test('conditioning marks whole latent frames and refuses half-given ones', async () => {
  const model = await tinyModel();
  const shape = { width: 4, height: 4, frames: 5 };
  const picture = new Uint8Array(4 * 4 * 3).fill(9);
  const c = conditionOn(
    model,
    shape,
    new Map([
      [0, picture],
      [3, picture],
      [4, picture],
    ]),
  );
  assert.deepEqual([...c.conditionLatentMask], [1, 0, 1]);
  assert.equal(c.conditionPixels[3 * 48], 9);
  assert.throws(() => conditionOn(model, shape, new Map([[3, picture]])), ConditioningError);
  assert.throws(() => conditionOn(model, shape, new Map([[5, picture]])), /outside the clip/);
  assert.throws(() => conditionOn(model, shape, new Map([[0, new Uint8Array(3)]])), /expected 48/);
});

test('pasting puts given frames back exactly and fades their decoder error into the neighbours', () => {
  const shape = { width: 1, height: 1, frames: 5 };
  // Decoded clip: flat 100; the given frame 0 is 140, so the error +40 fades over frames 1..4.
  const pixels = new Uint8Array(15).fill(100);
  pasteGivenFrames(pixels, shape, new Map([[0, Uint8Array.of(140, 140, 140)]]));
  assert.deepEqual(
    [0, 1, 2, 3, 4].map((f) => pixels[3 * f]),
    [140, 132, 124, 116, 108],
  );
});
