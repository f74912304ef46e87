// train --freeze-text: a DiT run that holds its caption encoder keeps the encoder's weights exactly
// (no update, no weight decay, no moments) while the rest of the DiT trains; and the option says
// clearly where it does not apply.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ditParamSpec } from '../../src/models/dit.ts';
import { getPreset } from '../../src/models/presets.ts';
import { initValues } from '../../src/nn/init.ts';
import { parseTrainConfig, TrainConfigError, type TrainConfigInput } from '../../src/train/config.ts';
import { trainTinyAutoencoder, trainTinyDit } from './_tinyRuns.ts';

test('train --freeze-text: the caption encoder stays as it started, the DiT around it trains', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'kinema-freeze-text-'));
  try {
    await trainTinyAutoencoder(dir);
    const { losses, checkpoint } = await trainTinyDit(dir, { out: join(dir, 'dit'), freezeText: true }, 3);
    assert.ok(losses.every(Number.isFinite));
    const spec = ditParamSpec(getPreset('tiny').dit);
    const names = Object.keys(spec);
    const text = names.filter((n) => n.startsWith('text.'));
    assert.ok(text.length > 0);
    for (const name of text) {
      const start = initValues(name, spec[name]!, 0); // the run's seed is 0
      assert.deepEqual(checkpoint.params[name]!.data, start, `${name} moved`);
      assert.deepEqual(checkpoint.ema![name]!.data, start, `${name}'s EMA moved`);
      assert.ok(
        checkpoint.adamV![name]!.data.every((v) => v === 0),
        `${name} has moments`,
      );
    }
    const moved = names.filter(
      (n) =>
        !n.startsWith('text.') &&
        checkpoint.params[n]!.data.some((v, i) => v !== initValues(n, spec[n]!, 0)[i]),
    );
    assert.ok(moved.length > names.length / 4, `only ${moved.length} DiT tensors trained`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('--freeze-text refuses stages without a DiT and the caption probe, which trains the encoder', () => {
  const base = { preset: 'tiny', steps: 1, out: '/tmp/x', freezeText: true };
  for (const [input, message] of [
    [{ ...base, stage: 'autoencoder' }, /use it with --stage dit/],
    [{ ...base, stage: 'text' }, /use it with --stage dit/],
    [{ ...base, stage: 'dit', captionProbe: 0.2 }, /--caption-probe trains the caption encoder/],
  ] as const) {
    assert.throws(
      () => parseTrainConfig(input as TrainConfigInput),
      (err: unknown) => err instanceof TrainConfigError && message.test(err.message),
    );
  }
  assert.equal(
    parseTrainConfig({ ...base, stage: 'dit', autoencoder: '/tmp/ae' } as TrainConfigInput).freezeText,
    true,
  );
});
