// Level mixing: a run on level-0 scenes can draw a share of its clips from another curriculum
// level (two-object, textured level-1 scenes), decided per clip by its seed.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { worldCaptionBatch } from '../../src/train/clips.ts';
import { parseTrainConfig, TrainConfigError } from '../../src/train/config.ts';

const source = { seed: 3, width: 32, height: 32, frames: 5, fps: 8, level: 0 };
const specsOf = (opts: Parameters<typeof worldCaptionBatch>[0]) =>
  [0, 1, 2, 3].flatMap((step) => worldCaptionBatch(opts, step, 32).specs.map((s) => JSON.stringify(s)));

test('a share of the clips comes from the mixed-in level, the same clips on every call', () => {
  const level0 = specsOf(source);
  const level1 = specsOf({ ...source, level: 1 });
  assert.deepEqual(specsOf({ ...source, mix: { level: 1, share: 0 } }), level0);
  assert.deepEqual(specsOf({ ...source, mix: { level: 1, share: 1 } }), level1);
  const mixed = specsOf({ ...source, mix: { level: 1, share: 0.3 } });
  assert.deepEqual(specsOf({ ...source, mix: { level: 1, share: 0.3 } }), mixed, 'deterministic');
  const fromLevel1 = mixed.filter((s, i) => s === level1[i] && s !== level0[i]).length;
  const fromLevel0 = mixed.filter((s, i) => s === level0[i]).length;
  assert.equal(fromLevel0 + fromLevel1, mixed.length, 'every clip is one of the two levels’ scene');
  assert.ok(
    fromLevel1 > 0.18 * mixed.length && fromLevel1 < 0.42 * mixed.length,
    `${fromLevel1} of ${mixed.length}`,
  );
  const twoObjects = mixed.filter((s) => JSON.parse(s).objects.length === 2).length;
  assert.ok(twoObjects > 0, 'level-1 scenes bring two-object clips');
});

test('--mix-level is for world clips', () => {
  assert.throws(
    () =>
      parseTrainConfig({
        stage: 'dit',
        steps: 1,
        out: 'x',
        initFrom: 'm.safetensors',
        data: { source: 'shards', shards: 'dir', mix: { level: 1, share: 0.3 } },
      }),
    (err: Error) => err instanceof TrainConfigError && /shard sets have none/.test(err.message),
  );
});
