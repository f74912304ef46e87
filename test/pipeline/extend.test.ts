import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { frameChange, frameDifference } from '../../src/eval/clip.ts';
import { ConditioningError } from '../../src/pipeline/conditioning.ts';
import { ExtendError, extendVideo } from '../../src/pipeline/extend.ts';
import { VideoPipeline } from '../../src/pipeline/generate.ts';
import { gradientClip, SIZE, settings, shape } from './_clips.ts';
import { tinyModel } from './_tinyModel.ts';

let pipeline: VideoPipeline;
before(async () => {
  pipeline = VideoPipeline.fromModel(await tinyModel());
});
after(() => pipeline.dispose());

const frameSize = SIZE * SIZE * 3;

/** The seam's step is no larger than the largest ordinary step of the clip elsewhere. */
function assertNoSeam(pixels: Uint8Array, frames: number, seamAfter: number): void {
  const steps = frameChange(pixels, shape(frames)).steps;
  const seam = frameDifference(pixels, shape(frames), seamAfter, seamAfter + 1);
  const others = steps.filter((_, i) => i !== seamAfter);
  assert.ok(seam <= Math.max(...others) * 1.1, `seam ${seam} vs other steps ${others}`);
}

test('forward: the clip is kept exactly and new frames follow it without a seam', async () => {
  const clip = gradientClip(5);
  const out = await extendVideo(pipeline, { ...settings, video: clip, addFrames: 3, direction: 'forward' });
  assert.equal(out.frames, 8);
  assert.deepEqual(out.added, [5, 8]);
  assert.deepEqual(out.pixels.subarray(0, 5 * frameSize), clip.pixels);
  assertNoSeam(out.pixels, out.frames, 4);
  const again = await extendVideo(pipeline, { ...settings, video: clip, addFrames: 3, direction: 'forward' });
  assert.deepEqual(again.pixels, out.pixels);
});

test('backward: new frames lead into the clip, which is kept exactly', async () => {
  const clip = gradientClip(4);
  const out = await extendVideo(pipeline, { ...settings, video: clip, addFrames: 4, direction: 'backward' });
  assert.equal(out.frames, 8);
  assert.deepEqual(out.added, [0, 4]);
  assert.deepEqual(out.pixels.subarray(4 * frameSize), clip.pixels);
  assertNoSeam(out.pixels, out.frames, 3);
});

test('impossible extensions fail with clear typed errors', async () => {
  const clip = gradientClip(3);
  await assert.rejects(
    () => extendVideo(pipeline, { ...settings, video: gradientClip(1), addFrames: 2, direction: 'backward' }),
    (e: unknown) => e instanceof ExtendError && /at least 2 frames/.test(e.message),
  );
  await assert.rejects(
    () => extendVideo(pipeline, { ...settings, video: clip, addFrames: 300, direction: 'forward' }),
    (e: unknown) => e instanceof ConditioningError && /at most 257/.test(e.message),
  );
  await assert.rejects(
    () => extendVideo(pipeline, { ...settings, width: 24, video: clip, addFrames: 2, direction: 'forward' }),
    /clip is 16x16, but the request is 24x16/,
  );
  await assert.rejects(
    () => extendVideo(pipeline, { ...settings, video: clip, addFrames: 0, direction: 'forward' }),
    ExtendError,
  );
});
