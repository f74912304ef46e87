import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { probeMedia } from '../../src/media/probe.ts';
import { DEFAULT_WEIGHTS, loadModel, saveModel, WeightsError } from '../../src/models/bundle.ts';
import { GenerationError, VideoPipeline, validShape } from '../../src/pipeline/generate.ts';
import { writeOutput } from '../../src/pipeline/output.ts';
import { TINY_REQUEST, tinyModel } from './_tinyModel.ts';

const request = TINY_REQUEST;

test('the same seed and settings give identical frames; another seed does not', async () => {
  const pipeline = VideoPipeline.fromModel(await tinyModel());
  const a = await pipeline.generate(request);
  const b = await pipeline.generate(request);
  const c = await pipeline.generate({ ...request, seed: 8 });
  assert.equal(a.pixels.length, 5 * 16 * 16 * 3);
  assert.deepEqual(a.pixels, b.pixels);
  assert.notDeepEqual(a.pixels, c.pixels);
  await pipeline.dispose();
});

test("the schedule's shift defaults to the training shift, 3; another shift walks other times", async () => {
  // The shipped model: the tiny one's zero-initialised output layer makes every schedule alike.
  const pipeline = await VideoPipeline.load(DEFAULT_WEIGHTS);
  const shipped = { ...request, width: 64, height: 64, frames: 5, steps: 2 };
  const plain = await pipeline.generate(shipped);
  assert.deepEqual((await pipeline.generate({ ...shipped, shift: 3 })).pixels, plain.pixels);
  assert.notDeepEqual((await pipeline.generate({ ...shipped, shift: 1 })).pixels, plain.pixels);
  await pipeline.dispose();
});

test('factorised sampling starts the clip from the still the same prompt and seed give as an image', async () => {
  const pipeline = await VideoPipeline.load(DEFAULT_WEIGHTS);
  const shipped = { ...request, width: 64, height: 64, steps: 2 };
  const still = await pipeline.generate({ ...shipped, frames: 1 });
  const clip = await pipeline.generate({ ...shipped, factorized: true });
  const frame = 64 * 64 * 3;
  // The causal decoder makes frame 0 from the first latent frame alone: the still, kept clean.
  const first = clip.pixels.subarray(0, frame);
  let worst = 0;
  for (let i = 0; i < frame; i++) worst = Math.max(worst, Math.abs(first[i]! - still.pixels[i]!));
  assert.ok(worst <= 2, `first frame differs from the still by up to ${worst}`);
  // Later frames are sampled, not copies of the first.
  assert.notDeepEqual(clip.pixels.subarray(4 * frame), first);
  // A one-frame request has nothing to factorise: the same still either way.
  assert.deepEqual(
    (await pipeline.generate({ ...shipped, frames: 1, factorized: true })).pixels,
    still.pixels,
  );
  await pipeline.dispose();
});

test('unknown prompt words are reported; sizes off the grid are refused with the nearest valid one, backwards guidance intervals too', async () => {
  const pipeline = VideoPipeline.fromModel(await tinyModel());
  const video = await pipeline.generate({ ...request, prompt: 'a red zeppelin moves to the right' });
  assert.deepEqual(video.unknownWords, ['zeppelin']);
  await assert.rejects(
    () => pipeline.generate({ ...request, width: 20 }),
    (e: unknown) => {
      return e instanceof GenerationError && /nearest valid: 24x16x5/.test(e.message);
    },
  );
  assert.deepEqual(validShape(pipeline.model, 63, 30, 16), { width: 64, height: 32, frames: 17 });
  for (const guidanceInterval of [
    [0.9, 0.5],
    [-0.1, 0.5],
    [0.5, 1.5],
  ] as [number, number][])
    await assert.rejects(
      () => pipeline.generate({ ...request, guidanceInterval }),
      (e: unknown) => e instanceof GenerationError && /guidance interval must be/.test(e.message),
    );
  await pipeline.dispose();
});

test('weights round-trip through fp16 safetensors and a written MP4 probes with the right size', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'kinema-weights-'));
  try {
    const model = await tinyModel();
    await saveModel(join(dir, 'kinema.safetensors'), model);
    const loaded = await loadModel(join(dir, 'kinema.safetensors'));
    assert.deepEqual(loaded.tokenizer, model.tokenizer);
    const name = Object.keys(model.dit)[0]!;
    const before = model.dit[name]!.data;
    const after = loaded.dit[name]!.data;
    for (let i = 0; i < before.length; i++)
      assert.ok(Math.abs(before[i]! - after[i]!) <= 1e-3 * Math.max(1, Math.abs(before[i]!)));
    const pipeline = await VideoPipeline.load(join(dir, 'kinema.safetensors'));
    const video = await pipeline.generate(request);
    const written = await writeOutput(video, join(dir, 'out.mp4'), { provenance: null });
    const info = await probeMedia(written.path);
    assert.equal(info.width, 16);
    assert.equal(info.frames, 5);
    await pipeline.dispose();
    await assert.rejects(() => loadModel(join(dir, 'missing.safetensors')), WeightsError);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
