import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { frameChange, seamRatio } from '../../src/eval/clip.ts';
import { decodeVideo } from '../../src/media/decode.ts';
import { psnr } from '../../src/media/psnr.ts';
import { ConditioningError } from '../../src/pipeline/conditioning.ts';
import { GenerationError, VideoPipeline } from '../../src/pipeline/generate.ts';
import { imageToVideo } from '../../src/pipeline/imageToVideo.ts';
import { readImage } from '../../src/pipeline/inputs.ts';
import { writeOutput } from '../../src/pipeline/output.ts';
import { frame, gradient, settings, shape } from './_clips.ts';
import { tinyModel } from './_tinyModel.ts';

let pipeline: VideoPipeline;
let dir: string;
before(async () => {
  pipeline = VideoPipeline.fromModel(await tinyModel());
  dir = await mkdtemp(join(tmpdir(), 'kinema-i2v-'));
});
after(async () => {
  await pipeline.dispose();
  await rm(dir, { recursive: true, force: true });
});

test('the first frame is the picture (PSNR ≥ 30 dB after MP4), with no seam after it', async () => {
  const image = gradient();
  const video = await imageToVideo(pipeline, { ...settings, image, frames: 5 });
  assert.equal(video.frames, 5);
  assert.deepEqual(frame(video.pixels, 0), image);
  // Decoded back from the file a user gets.
  const written = await writeOutput(video, join(dir, 'animated.mp4'), { provenance: null });
  const decoded = await decodeVideo(written.path);
  assert.equal(decoded.frames, 5);
  assert.ok(psnr(frame(decoded.pixels, 0), image) >= 30, 'first frame survives encoding');
  // The step from the picture into the generated frames is an ordinary step of the clip.
  const steps = frameChange(video.pixels, shape(5)).steps;
  assert.ok(seamRatio(video.pixels, shape(5), 0, 1) <= 1.5, `seam ${steps[0]} vs steps ${steps}`);
  // Deterministic, and the picture changes the clip.
  assert.deepEqual((await imageToVideo(pipeline, { ...settings, image, frames: 5 })).pixels, video.pixels);
  const other = await imageToVideo(pipeline, { ...settings, image: gradient(90), frames: 5 });
  assert.notDeepEqual(frame(other.pixels, 2), frame(video.pixels, 2));
});

test('a last picture ends the clip (keyframe interpolation)', async () => {
  const first = gradient();
  const last = gradient(120);
  const video = await imageToVideo(pipeline, { ...settings, image: first, lastImage: last, frames: 5 });
  assert.deepEqual(frame(video.pixels, 0), first);
  assert.deepEqual(frame(video.pixels, 4), last);
  assert.notDeepEqual(frame(video.pixels, 2), last);
});

test('pictures from files are read at the clip size; bad requests fail with typed errors', async () => {
  const still = { pixels: gradient(), frames: 1, width: 16, height: 16, fps: 1 };
  const png = (await writeOutput(still, join(dir, 'still.png'), { provenance: null })).path;
  const image = await readImage(png, 16, 16);
  assert.equal(image.length, 16 * 16 * 3);
  const { MediaError } = await import('../../src/media/errors.ts');
  await assert.rejects(() => readImage(join(dir, 'missing.png'), 16, 16), MediaError);
  await assert.rejects(
    () => imageToVideo(pipeline, { ...settings, image, frames: 6 }),
    (e: unknown) => e instanceof GenerationError && /nearest valid: 16x16x7/.test(e.message),
  );
  await assert.rejects(
    () => imageToVideo(pipeline, { ...settings, width: 20, image, frames: 5 }),
    (e: unknown) => e instanceof GenerationError && /multiples of 8.*nearest valid: 24x16/.test(e.message),
  );
  await assert.rejects(
    () => imageToVideo(pipeline, { ...settings, image: image.subarray(0, 30), frames: 5 }),
    ConditioningError,
  );
  await assert.rejects(() => imageToVideo(pipeline, { ...settings, image, frames: 999 }), /at most 257/);
});
