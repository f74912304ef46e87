import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { aggregate } from '../../src/eval/aggregate.ts';
import { frameChange, frameDifference, seamRatio } from '../../src/eval/clip.ts';
import { scoreClip } from '../../src/eval/oracle.ts';
import { renderClip } from '../../src/world/render.ts';
import { parseSpec } from '../../src/world/spec.ts';

const shape = { frames: 4, height: 2, width: 2 };
// (4, 2, 2, 3): frames of constant grey 0, 10, 20, 100
const pixels = new Uint8Array(4 * 12);
for (const [f, v] of [0, 10, 20, 100].entries()) pixels.fill(v, f * 12, (f + 1) * 12);

describe('frame difference', () => {
  it('measures the mean absolute change between two frames', () => {
    assert.equal(frameDifference(pixels, shape, 0, 1), 10);
    assert.equal(frameDifference(pixels, shape, 3, 0), 100);
  });
  it('finds the jump in a clip and how much a seam stands out', () => {
    const c = frameChange(pixels, shape);
    assert.deepEqual(c.steps, [10, 10, 80]);
    assert.equal(c.maxAt, 3);
    assert.equal(seamRatio(pixels, shape, 2, 3), 8);
  });
  it('rejects out-of-range frames with a typed error', () => {
    assert.throws(() => frameDifference(pixels, shape, 0, 9), { name: 'ClipShapeError' });
  });
});

describe('aggregate', () => {
  it('averages each dimension over the clips where it applies, JSON-safe', () => {
    const spec = parseSpec({
      width: 64,
      height: 64,
      frames: 8,
      background: { kind: 'solid', color: 'white' },
      objects: [
        { id: 'a', class: 'ball', color: 'red', start: { x: 0.4, y: 0.5 }, motion: { kind: 'static' } },
      ],
    });
    const good = scoreClip(spec, renderClip(spec, 0).pixels);
    const blank = scoreClip(spec, renderClip({ ...spec, objects: [] }, 0).pixels);
    const agg = JSON.parse(JSON.stringify(aggregate([good, blank])));
    assert.equal(agg.clips, 2);
    assert.equal(agg.dimensions.count.count, 2);
    assert.equal(agg.dimensions.count.mean, 0.5); // the blank clip shows no ball
    assert.equal(agg.dimensions.direction.mean, null); // a static ball has no direction
    assert.ok(agg.overall < 1);
  });
});
