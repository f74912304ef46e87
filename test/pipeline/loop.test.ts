import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { frameChange, frameDifference } from '../../src/eval/clip.ts';
import { ConnectError, connectVideos } from '../../src/pipeline/connect.ts';
import { VideoPipeline } from '../../src/pipeline/generate.ts';
import { LoopError, loopVideo } from '../../src/pipeline/loop.ts';
import { frame, gradient, gradientClip, settings, shape } from './_clips.ts';
import { tinyModel } from './_tinyModel.ts';

let pipeline: VideoPipeline;
before(async () => {
  pipeline = VideoPipeline.fromModel(await tinyModel());
});
after(() => pipeline.dispose());

test('a loop flows from its last frame into its first like any other step', async () => {
  const image = gradient();
  const loop = await loopVideo(pipeline, { ...settings, image, frames: 5 });
  assert.equal(loop.frames, 5);
  assert.deepEqual(frame(loop.pixels, 0), image);
  const { steps } = frameChange(loop.pixels, shape(5));
  const wrap = frameDifference(loop.pixels, shape(5), 4, 0);
  assert.ok(wrap <= Math.max(...steps) * 1.1, `wrap ${wrap} vs steps ${steps}`);
  // Without a picture, the prompt's still image is the key frame.
  const fromPrompt = await loopVideo(pipeline, { ...settings, frames: 5 });
  const still = await pipeline.generate({ ...settings, frames: 1 });
  assert.deepEqual(frame(fromPrompt.pixels, 0), still.pixels);
  await assert.rejects(() => loopVideo(pipeline, { ...settings, frames: 1 }), LoopError);
});

test('connect: the transition starts at A’s last frame and ends at B’s first', async () => {
  const a = gradientClip(3, 0);
  const b = gradientClip(3, 150);
  const out = await connectVideos(pipeline, { ...settings, first: a, second: b, transitionFrames: 3 });
  const [from, to] = out.transition;
  assert.deepEqual([from, to], [3, 7]);
  assert.equal(out.frames, 3 + 4 + 3);
  assert.deepEqual(frame(out.pixels, from - 1), frame(a.pixels, 2));
  assert.deepEqual(frame(out.pixels, to), frame(b.pixels, 0));
  assert.deepEqual(out.pixels.subarray(0, a.pixels.length), a.pixels);
  assert.deepEqual(out.pixels.subarray(to * 16 * 16 * 3), b.pixels);
  await assert.rejects(
    () => connectVideos(pipeline, { ...settings, first: a, second: gradientClip(1) }),
    (e: unknown) => e instanceof ConnectError && /at least 2 frames/.test(e.message),
  );
});
