import assert from 'node:assert/strict';
import { test } from 'node:test';
import { captionSensitivity, changedScene, DEFAULT_SENSITIVITY } from '../../src/eval/sensitivity.ts';
import { evalPrompts } from '../../src/eval/suite.ts';
import { DEFAULT_WEIGHTS } from '../../src/models/bundle.ts';
import { VideoPipeline } from '../../src/pipeline/generate.ts';
import { captionScene } from '../../src/world/captions.ts';

const prompts = evalPrompts({ ...DEFAULT_SENSITIVITY, count: 30, level: 0, captionStyle: 'detailed' });

test('changed scenes differ in exactly the one attribute, and their captions say so', () => {
  let moving = 0;
  for (const { spec, seed } of prompts) {
    const [object] = spec.objects;
    const color = changedScene(spec, 'color')!;
    assert.notEqual(color.objects[0]!.color, object!.color);
    assert.notEqual(color.objects[0]!.color, spec.background.color);
    assert.deepEqual({ ...color.objects[0], color: object!.color }, object);
    const cls = changedScene(spec, 'class')!;
    assert.notEqual(cls.objects[0]!.class, object!.class);
    assert.notEqual(captionScene(cls, seed).detailed, captionScene(spec, seed).detailed);
    const direction = changedScene(spec, 'direction');
    if (object!.motion.kind !== 'linear') {
      assert.equal(direction, undefined, 'only straight motion has a direction to flip');
      continue;
    }
    moving++;
    const [from, to] = [object!.motion.direction, direction!.objects[0]!.motion.direction];
    assert.ok(from && to && from !== to);
    assert.equal(
      changedScene(direction!, 'direction')!.objects[0]!.motion.direction,
      from,
      'opposites pair up',
    );
  }
  assert.ok(moving >= 5, `${moving} moving prompts`);
});

test('the shipped model listens to colour words (ratio > 1) and the report covers every attribute', async () => {
  const pipeline = await VideoPipeline.load(DEFAULT_WEIGHTS);
  const report = await captionSensitivity(pipeline, { ...DEFAULT_SENSITIVITY, count: 8, times: [0.3, 0.9] });
  await pipeline.dispose();
  assert.ok(report.ratios.color['0.9']! > 1.1, `colour ratio ${report.ratios.color['0.9']}`);
  for (const attribute of ['class', 'direction'] as const) {
    assert.ok(report.prompts[attribute] > 0);
    assert.ok(Number.isFinite(report.ratios[attribute]['0.9']));
  }
  // Denoising error per noise level: less noise, a closer estimate of the clean clip.
  const [low, high] = [report.errors['0.3']!, report.errors['0.9']!];
  assert.ok(low > 0 && low < high, `x0 error ${low} at t = 0.3, ${high} at t = 0.9`);
});
