// The class-edit measure: edits of held-out clips under another class's caption, scored for
// which class won. Strength 0 keeps the clip exactly (no model runs); at low strength the
// shipped model keeps the shape its input shows.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { classFollowing, DEFAULT_CLASS_FOLLOWING } from '../../src/eval/classFollowing.ts';
import { DEFAULT_WEIGHTS } from '../../src/models/bundle.ts';
import { VideoPipeline } from '../../src/pipeline/generate.ts';

test('class edits: an untouched clip keeps its class; at low strength the input still wins', async () => {
  const pipeline = await VideoPipeline.load(DEFAULT_WEIGHTS);
  try {
    const report = await classFollowing(pipeline, {
      ...DEFAULT_CLASS_FOLLOWING,
      count: 4,
      strengths: [0, 0.3],
    });
    assert.equal(report.prompts, 4);
    const untouched = report.byStrength['0']!;
    assert.deepEqual(
      { keepsInput: untouched.keepsInput, trueCaption: untouched.trueCaption },
      { keepsInput: 1, trueCaption: 1 },
    );
    assert.ok(
      untouched.followsWord <= 0.1,
      `another class's caption cannot change an untouched clip: ${untouched.followsWord}`,
    );
    const light = report.byStrength['0.3']!;
    assert.ok(light.keepsInput > light.followsWord, JSON.stringify(light));
    assert.ok(light.trueCaption > light.followsWord, JSON.stringify(light));
  } finally {
    await pipeline.dispose();
  }
});
