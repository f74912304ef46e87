// --edge-weight: the autoencoder's and decoder's edge term is the run's to set (sharper outlines).
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { parseTrainConfig } from '../../src/train/config.ts';
import { Trainer } from '../../src/train/trainer.ts';

test('the edge weight reaches the autoencoder loss: more weight, a larger first loss', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'kinema-edges-'));
  try {
    const firstLoss = async (edgeWeight: number) => {
      const config = {
        stage: 'autoencoder',
        preset: 'tiny',
        steps: 1,
        edgeWeight,
        out: join(dir, `e${edgeWeight}`),
      };
      const trainer = await Trainer.create(parseTrainConfig(config));
      const { loss } = await trainer.trainStep();
      await trainer.dispose();
      return loss;
    };
    assert.equal(parseTrainConfig({ stage: 'autoencoder', steps: 1, out: dir }).edgeWeight, 0.5);
    const [none, half, more] = [await firstLoss(0), await firstLoss(0.5), await firstLoss(4)];
    // the same clips and initial weights: only the edge term's weight differs
    assert.ok(none < half && half < more, `${none} ${half} ${more}`);
    assert.ok(Math.abs((more - none) / (half - none) - 8) < 0.01, 'the term scales with its weight');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
