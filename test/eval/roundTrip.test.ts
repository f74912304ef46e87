// The autoencoder ceiling: the oracle scores round trips of the suite's held-out scenes. A perfect
// autoencoder scores like the truth; the shipped one tells how far its latents limit any DiT.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { roundTripCeiling } from '../../src/eval/reconstruction.ts';
import { loadModel } from '../../src/models/bundle.ts';

test("round trips of the shipped autoencoder: PSNR and the oracle's scores of every scene", async () => {
  const model = await loadModel();
  const report = await roundTripCeiling(model.preset.autoencoder, model.autoencoder, {
    count: 3,
    level: 0,
    width: 64,
    height: 64,
    frames: 17,
  });
  assert.equal(report.clips, 3);
  assert.ok(report.psnr > 20 && report.psnr < 60, `psnr ${report.psnr}`);
  // One solid background: a trained autoencoder keeps it, whatever it does to the object.
  assert.ok(report.dimensions.background.mean! > 0.9, `background ${report.dimensions.background.mean}`);
  for (const [dim, { mean }] of Object.entries(report.dimensions))
    if (mean !== null) assert.ok(mean >= 0 && mean <= 1, `${dim} ${mean}`);
});
