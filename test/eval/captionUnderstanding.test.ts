import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ensureJax } from '../../src/engine/jax.ts';
import {
  captionMotionHeads,
  captionUnderstanding,
  heldOutCaptions,
  pooledCaptions,
} from '../../src/eval/captionUnderstanding.ts';
import { DEFAULT_WEIGHTS, loadModel } from '../../src/models/bundle.ts';
import { PROBED_ATTRIBUTES } from '../../src/train/captionProbe.ts';
import { DIRECTION_VECTORS, DIRECTIONS } from '../../src/world/spec.ts';

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

test('co-moving rotary heads: a head that reads the stated direction aligns with it, its negation opposes it', async () => {
  await ensureJax();
  const shipped = await loadModel(DEFAULT_WEIGHTS);
  // The shipped DiT's heads learned to move the way captions say (most of them; one runs backwards).
  const learned = await captionMotionHeads(shipped, { count: 200, style: 'detailed' });
  assert.equal(learned.length, shipped.preset.dit.depth * shipped.preset.dit.heads);
  assert.ok(learned.filter((h) => h.alignment > 0.5).length >= learned.length / 2, JSON.stringify(learned));
  const without = {
    ...shipped,
    preset: { ...shipped.preset, dit: { ...shipped.preset.dit, motionRotary: undefined } },
  };
  assert.deepEqual(
    await captionMotionHeads(without, { count: 50, style: 'detailed' }),
    [],
    'no co-moving heads',
  );
  // Give the shipped encoder a co-moving layer by hand: head 0's velocity is the sum over the
  // eight directions of (the caption's pooled vector · that direction's mean caption) × the
  // direction, head 1 the negation, head 2 nothing.
  const { captions, labels } = heldOutCaptions({ count: 400, style: 'detailed' });
  const pooled = await pooledCaptions(shipped, captions);
  const width = pooled[0]!.length;
  const mean = new Float32Array(width);
  for (const p of pooled) for (let k = 0; k < width; k++) mean[k]! += p[k]! / pooled.length;
  const heads = shipped.preset.dit.heads;
  const weight = new Float32Array(width * 2 * heads);
  DIRECTIONS.forEach((direction, d) => {
    const members = pooled.filter((_, i) => labels[i]!.direction === d + 1);
    const [dx, dy] = DIRECTION_VECTORS[direction];
    for (let k = 0; k < width; k++) {
      const centred = members.reduce((a, p) => a + p[k]! - mean[k]!, 0) / members.length;
      for (const [head, sign] of [
        [0, 1],
        [1, -1],
      ] as const) {
        weight[k * 2 * heads + 2 * head] += sign * centred * dy; // row: down is positive
        weight[k * 2 * heads + 2 * head + 1] += sign * centred * dx; // column: right is positive
      }
    }
  });
  const model = {
    ...shipped,
    preset: { ...shipped.preset, dit: { ...shipped.preset.dit, depth: 1, motionRotary: true } },
    dit: {
      ...shipped.dit,
      'blocks.0.motion.weight': { shape: [width, 2 * heads], data: weight },
      'blocks.0.motion.bias': { shape: [2 * heads], data: new Float32Array(2 * heads).fill(0.3) },
    },
  };
  const [toward, away, still] = await captionMotionHeads(model, { count: 300, style: 'detailed' });
  assert.ok(toward!.alignment > 0.5 && toward!.along > 0, `aligned head ${JSON.stringify(toward)}`);
  assert.ok(away!.alignment < -0.5 && away!.along < 0, `opposed head ${JSON.stringify(away)}`);
  assert.deepEqual([still!.alignment, still!.along], [0, 0], 'a head that ignores the caption');
  // A preset with the layer but weights without it (a text-stage checkpoint): nothing to report.
  const encoderOnly = Object.fromEntries(
    Object.entries(shipped.dit).filter(([name]) => name.startsWith('text.')),
  );
  assert.deepEqual(
    await captionMotionHeads({ ...model, dit: encoderOnly }, { count: 50, style: 'detailed' }),
    [],
  );
});
