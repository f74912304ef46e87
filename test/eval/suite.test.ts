import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  type ClipReport,
  DIMENSIONS,
  type Dimension,
  type Scores,
  scoreClip,
} from '../../src/eval/oracle.ts';
import { onlyStated, runSuite, type SuiteOptions } from '../../src/eval/suite.ts';
import { WRITTEN_PROMPTS, writtenEvalPrompts } from '../../src/eval/writtenPrompts.ts';
import { DEFAULT_WEIGHTS } from '../../src/models/bundle.ts';
import { VideoPipeline } from '../../src/pipeline/generate.ts';
import { CLASSES } from '../../src/world/classes.ts';

/** Level-0 clips at the native shape, sampled in few steps (the tests check how scores are made). */
const FEW_STEPS = { level: 0, width: 64, height: 64, frames: 17, fps: 8, steps: 6, guidanceScale: 1.5 };

test('eval suite from the true first frame: the start place is given, so position scores full marks', async () => {
  const pipeline = await VideoPipeline.load(DEFAULT_WEIGHTS);
  try {
    const options: SuiteOptions = { ...FEW_STEPS, count: 4, captionStyle: 'detailed' };
    const given = await runSuite(pipeline, { ...options, trueFirstFrame: true });
    assert.equal(given.trueFirstFrame, true);
    assert.ok(given.dimensions.position.mean! >= 0.9, `position ${given.dimensions.position.mean}`);
    const free = await runSuite(pipeline, options);
    assert.equal(free.trueFirstFrame, false);
    assert.ok(given.dimensions.position.mean! >= free.dimensions.position.mean!);
  } finally {
    await pipeline.dispose();
  }
});

test('written prompts parse into level 0’s world: one shape on a plain background, still or moving straight', () => {
  const shapes = new Set(CLASSES.filter((c) => c.kind === 'shape').map((c) => c.name));
  const prompts = writtenEvalPrompts({
    count: WRITTEN_PROMPTS.length,
    width: 64,
    height: 64,
    frames: 17,
    fps: 8,
  });
  for (const { prompt, spec, checks } of prompts) {
    assert.equal(spec.objects.length, 1, prompt);
    const [object] = spec.objects;
    assert.ok(shapes.has(object!.class), `${prompt}: ${object!.class}`);
    assert.equal(spec.background.kind, 'solid', prompt);
    assert.ok(['static', 'linear'].includes(object!.motion.kind), `${prompt}: ${object!.motion.kind}`);
    // a prompt is judged on direction exactly when it states one, on size when it states one
    assert.ok(checks, `${prompt} says what it states`);
    assert.equal(checks.includes('direction'), object!.motion.kind === 'linear', prompt);
    assert.equal(checks.includes('size'), object!.size !== 'medium', prompt);
  }
});

test('eval suite --caption written: each clip is scored only on what its prompt states', async () => {
  const pipeline = await VideoPipeline.load(DEFAULT_WEIGHTS);
  try {
    const report = await runSuite(pipeline, { ...FEW_STEPS, count: 3, captionStyle: 'written' });
    const stated = (d: Dimension) => WRITTEN_PROMPTS.slice(0, 3).filter((p) => p.checks.includes(d)).length;
    for (const d of DIMENSIONS) assert.equal(report.dimensions[d].count, stated(d), d);
    assert.equal(report.dimensions.speed.count, 0);
    assert.ok(report.dimensions.background.count === 3 && report.dimensions.class.count === 3);
  } finally {
    await pipeline.dispose();
  }
});

test('eval suite --expand gives the model each prompt as generate does: expanded into a detailed caption', async () => {
  const pipeline = await VideoPipeline.load(DEFAULT_WEIGHTS);
  try {
    const report = await runSuite(pipeline, {
      ...FEW_STEPS,
      count: 1,
      captionStyle: 'written',
      expand: true,
    });
    assert.equal(report.expanded, true);
    const [{ seed, prompt, spec, checks }] = writtenEvalPrompts({ ...FEW_STEPS, count: 1 });
    const expanded = pipeline.expandPrompt(prompt, { ...FEW_STEPS, seed });
    assert.equal(expanded.expanded, true);
    const settings = { ...FEW_STEPS, sampler: 'euler' as const, factorized: false };
    const video = await pipeline.generate({ ...settings, prompt: expanded.prompt, seed });
    const alone = onlyStated(scoreClip(spec, video.pixels, { seed }), checks!);
    assert.equal(report.overall, alone.overall);
  } finally {
    await pipeline.dispose();
  }
});

test('onlyStated: unstated dimensions drop out and the overall is the mean of the stated ones', () => {
  const scores = Object.fromEntries(DIMENSIONS.map((d, i) => [d, i / DIMENSIONS.length])) as Scores;
  const report = { scores, overall: 0.5 } as ClipReport;
  const kept = onlyStated(report, ['class', 'background']);
  assert.equal(kept.scores.class, scores.class);
  assert.equal(kept.scores.background, scores.background);
  assert.equal(kept.scores.speed, null);
  assert.equal(kept.overall, (scores.class! + scores.background!) / 2);
});
