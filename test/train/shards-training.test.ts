// Training reads shard sets (the world's export, or a user's ingested videos) as well as the
// live world, and refuses clips of the wrong shape with the ingest options that would fit.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { parseTrainConfig } from '../../src/train/config.ts';
import { shardClipSink } from '../../src/train/shardSink.ts';
import { Trainer } from '../../src/train/trainer.ts';

async function writeClips(dir: string, size: number, frames: number, count: number): Promise<void> {
  const sink = shardClipSink(dir, { shardSize: 3 });
  for (let i = 0; i < count; i++) {
    const pixels = new Uint8Array(frames * size * size * 3).map((_, j) => (j * (i + 3)) % 251);
    await sink.write({
      pixels,
      frames,
      width: size,
      height: size,
      fps: 8,
      captions: [`a striped clip number ${i}`],
      source: `v${i}.mp4`,
      startS: 0,
    });
  }
  await sink.close();
}

test('the autoencoder trains on shards; a shape mismatch names the ingest options to use', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'kinema-shards-'));
  try {
    await writeClips(join(dir, 'good'), 16, 5, 7);
    const config = parseTrainConfig({
      stage: 'autoencoder',
      preset: 'tiny',
      steps: 3,
      out: join(dir, 'run'),
      data: { source: 'shards', shards: join(dir, 'good') },
    });
    const trainer = await Trainer.create(config);
    const first = await trainer.trainStep();
    assert.ok(Number.isFinite(first.loss));
    await trainer.dispose();

    await writeClips(join(dir, 'bad'), 32, 5, 2);
    const bad = await Trainer.create({ ...config, data: { ...config.data, shards: join(dir, 'bad') } });
    await assert.rejects(() => bad.trainStep(), /ingest with --size 16x16 --frames 5/);
    await bad.dispose();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
