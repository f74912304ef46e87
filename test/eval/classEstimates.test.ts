import assert from 'node:assert/strict';
import { test } from 'node:test';
import { classEstimateGrid, DEFAULT_CLASS_ESTIMATES } from '../../src/eval/classEstimates.ts';
import { psnr } from '../../src/media/psnr.ts';
import { DEFAULT_WEIGHTS } from '../../src/models/bundle.ts';
import { VideoPipeline } from '../../src/pipeline/generate.ts';

test('class estimates: a row per shape, the reference first, and at low noise the estimate is the reference', async () => {
  const pipeline = await VideoPipeline.load(DEFAULT_WEIGHTS);
  const times = [0.3, 0.9];
  const grid = await classEstimateGrid(pipeline, { ...DEFAULT_CLASS_ESTIMATES, times });
  await pipeline.dispose();
  const size = DEFAULT_CLASS_ESTIMATES.size;
  assert.equal(grid.rows.length, 10);
  assert.equal(grid.width, (1 + 2 * times.length) * size);
  assert.equal(grid.height, 10 * size);
  const tile = (row: number, column: number) => {
    const out = new Uint8Array(size * size * 3);
    for (let y = 0; y < size; y++) {
      const from = ((row * size + y) * grid.width + column * size) * 3;
      out.set(grid.rgb.subarray(from, from + size * 3), y * size * 3);
    }
    return out;
  };
  for (const [row, { class: name, caption, swappedCaption }] of grid.rows.entries()) {
    assert.notEqual(caption, swappedCaption, `${name}: the swapped caption names another class`);
    // at t = 0.3 the noisy input shows the shape: the estimate is close to the reference
    const lowNoise = psnr(tile(row, 0), tile(row, 1));
    const highNoise = psnr(tile(row, 0), tile(row, 3));
    assert.ok(lowNoise > 25, `${name}: ${lowNoise.toFixed(1)} dB at t = 0.3`);
    assert.ok(
      lowNoise > highNoise,
      `${name}: ${lowNoise.toFixed(1)} dB at t = 0.3, ${highNoise.toFixed(1)} at 0.9`,
    );
  }
});
