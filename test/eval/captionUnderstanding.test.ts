import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ensureJax } from '../../src/engine/jax.ts';
import { captionUnderstanding } from '../../src/eval/captionUnderstanding.ts';
import { DEFAULT_WEIGHTS, loadModel } from '../../src/models/bundle.ts';
import { PROBED_ATTRIBUTES } from '../../src/train/captionProbe.ts';

test('caption understanding: words state every attribute; the shipped encoder keeps colour', async () => {
  await ensureJax();
  const model = await loadModel(DEFAULT_WEIGHTS);
  const report = await captionUnderstanding(model, { count: 400, style: 'detailed' });
  assert.deepEqual(Object.keys(report).sort(), Object.keys(PROBED_ATTRIBUTES).sort());
  for (const [attribute, a] of Object.entries(report)) {
    assert.equal(a.captions, 80, attribute);
    for (const v of [a.encoder, a.bagOfWords, a.majority]) assert.ok(v >= 0 && v <= 1);
  }
  // Word counts carry direction and class (the captions state them); a probe beats guessing.
  assert.ok(report.direction!.bagOfWords >= 0.8, `direction from words ${report.direction!.bagOfWords}`);
  assert.ok(report.class!.bagOfWords > report.class!.majority + 0.5);
  assert.ok(report.color!.encoder >= 0.8, `colour from the encoder ${report.color!.encoder}`);
  // Short captions state no speed, size or start place: those are not scored.
  const short = await captionUnderstanding(model, { count: 100, style: 'short' });
  assert.deepEqual(Object.keys(short).sort(), ['class', 'color', 'direction']);
});
