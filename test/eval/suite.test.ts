import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runSuite, type SuiteOptions } from '../../src/eval/suite.ts';
import { DEFAULT_WEIGHTS } from '../../src/models/bundle.ts';
import { VideoPipeline } from '../../src/pipeline/generate.ts';

test('eval suite from the true first frame: the start place is given, so position scores full marks', async () => {
  const pipeline = await VideoPipeline.load(DEFAULT_WEIGHTS);
  try {
    const options: SuiteOptions = {
      count: 4,
      level: 0,
      width: 64,
      height: 64,
      frames: 17,
      fps: 8,
      steps: 6,
      guidanceScale: 1.5,
      captionStyle: 'detailed',
    };
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
