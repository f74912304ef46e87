import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { scoreClip } from '../../src/eval/oracle.ts';
import { DEFAULT_WEIGHTS } from '../../src/models/bundle.ts';
import { EditError, editVideo } from '../../src/pipeline/edit.ts';
import { VideoPipeline } from '../../src/pipeline/generate.ts';
import { DEFAULT_SETTINGS } from '../../src/pipeline/settings.ts';
import { parsePrompt } from '../../src/world/prompt.ts';
import { renderClip } from '../../src/world/render.ts';
import { gradientClip, settings } from './_clips.ts';
import { tinyModel } from './_tinyModel.ts';

let pipeline: VideoPipeline;
before(async () => {
  pipeline = VideoPipeline.fromModel(await tinyModel());
});
after(() => pipeline.dispose());

/** Mean absolute difference of two clips (0..255). */
function distance(a: Uint8Array, b: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += Math.abs(a[i]! - b[i]!);
  return sum / a.length;
}

test('strength 0 returns the input exactly; more strength moves further from it', async () => {
  const clip = gradientClip(4); // off the 1 + 2k grid on purpose
  const kept = await editVideo(pipeline, { ...settings, video: clip, strength: 0 });
  assert.deepEqual(kept.pixels, clip.pixels);
  const light = await editVideo(pipeline, { ...settings, video: clip, strength: 0.3 });
  const full = await editVideo(pipeline, { ...settings, video: clip, strength: 1 });
  assert.equal(light.frames, 4);
  assert.equal(full.pixels.length, clip.pixels.length);
  assert.notDeepEqual(light.pixels, full.pixels);
  // Strength 1 starts from pure noise: it is plain text → video, whatever the input.
  const fromOther = await editVideo(pipeline, { ...settings, video: gradientClip(4, 100), strength: 1 });
  assert.deepEqual(fromOther.pixels, full.pixels);
  assert.deepEqual(
    (await editVideo(pipeline, { ...settings, video: clip, strength: 0.3 })).pixels,
    light.pixels,
  );
  // With a light edit the input still shows: another input gives another result.
  const lightOther = await editVideo(pipeline, { ...settings, video: gradientClip(4, 100), strength: 0.3 });
  assert.ok(distance(lightOther.pixels, light.pixels) > 0);
});

test('strength outside 0..1 is refused', async () => {
  await assert.rejects(
    () => editVideo(pipeline, { ...settings, video: gradientClip(3), strength: 1.5 }),
    (e: unknown) => e instanceof EditError && /from 0 .* to 1/.test(e.message),
  );
});

test('the shipped model: an edit at strength 1 follows the new prompt by the oracle; at 0 it keeps the old one', async () => {
  const shipped = await VideoPipeline.load(DEFAULT_WEIGHTS);
  const shape = { width: 64, height: 64, frames: 17, fps: 8 };
  const before = 'a big red square on a plain blue background';
  const after = 'a big yellow square on a plain green background';
  const specBefore = parsePrompt(before, { ...shape, seed: 1 });
  const specAfter = parsePrompt(after, { ...shape, seed: 1 });
  const video = { ...shape, pixels: renderClip(specBefore, 1).pixels };
  // colour of the square and of the background, judged against each prompt's scene
  const follows = (pixels: Uint8Array, spec: typeof specBefore) => {
    const { color, background } = scoreClip(spec, pixels, { seed: 1 }).scores;
    return ((color ?? 0) + (background ?? 0)) / 2;
  };
  for (const [strength, seed] of [
    [1, 1],
    [1, 2],
    [0, 1],
  ] as const) {
    const edited = await editVideo(shipped, {
      ...DEFAULT_SETTINGS,
      ...shape,
      prompt: after,
      seed,
      video,
      strength,
    });
    const [toAfter, toBefore] = [follows(edited.pixels, specAfter), follows(edited.pixels, specBefore)];
    if (strength === 1)
      assert.ok(toAfter >= 0.75 && toBefore <= 0.25, `strength 1, seed ${seed}: ${toAfter} vs ${toBefore}`);
    else assert.ok(toBefore >= 0.99 && toAfter <= 0.5, `strength 0: ${toBefore} vs ${toAfter}`);
  }
  await shipped.dispose();
});
