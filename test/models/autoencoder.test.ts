import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { grad, init, numpy as np, tree } from '@jax-js/jax';
import {
  autoencoderLoss,
  autoencoderParamSpec,
  DEFAULT_LOSS_WEIGHTS,
  decode,
  encode,
  latentFrameCount,
  pixelFrameCount,
  psnr,
  reconstructionLoss,
  widenLatentChannels,
} from '../../src/models/autoencoder.ts';
import { PRESETS } from '../../src/models/presets.ts';
import { initParams } from '../../src/nn/init.ts';
import { fromHostParams, type HostParams, toHostParams } from '../../src/nn/params.ts';
import { adamTrainer, assertClose, checkGradient } from '../nn/helpers.ts';

before(async () => {
  await init('wasm');
});

const cfg = PRESETS.tiny.autoencoder;

/** World-like clips: a two-colour gradient background and a coloured square moving across it. */
function worldLikeClips(batch: number, frames: number, size: number): Float32Array {
  const pixels = new Float32Array(batch * frames * size * size * 3);
  for (let b = 0; b < batch; b++) {
    const colour = [Math.cos(b), Math.sin(2 * b), Math.cos(3 * b + 1)].map((c) => 0.8 * c);
    for (let f = 0; f < frames; f++) {
      const x0 = 2 + ((b * 3 + f * 2) % (size - 7));
      const y0 = 3 + ((b * 5 + f) % (size - 8));
      for (let y = 0; y < size; y++) {
        for (let x = 0; x < size; x++) {
          const inside = x >= x0 && x < x0 + 5 && y >= y0 && y < y0 + 5;
          for (let c = 0; c < 3; c++) {
            const background = -0.6 + (0.8 * y) / size + 0.2 * c;
            pixels[(((b * frames + f) * size + y) * size + x) * 3 + c] = inside ? colour[c] : background;
          }
        }
      }
    }
  }
  return pixels;
}

describe('autoencoder', () => {
  test('frame counts: 1 + 2k frames ↔ 1 + k latent frames; a still image is one latent frame', () => {
    assert.equal(latentFrameCount(cfg, 1), 1);
    assert.equal(latentFrameCount(cfg, 17), 9);
    assert.equal(pixelFrameCount(cfg, 9), 17);
    assert.throws(() => latentFrameCount(cfg, 4), /1 \+ 2·k frames/);
  });

  test('shapes for an image and a clip, and decode inverts the layout', () => {
    const params = initParams(autoencoderParamSpec(cfg), 0);
    const image = np.zeros([2, 1, 16, 12, 3]);
    const latents = encode(tree.ref(params), cfg, image);
    assert.deepEqual(latents.shape, [2, 1, 4, 3, cfg.latentChannels]);
    assert.deepEqual(decode(tree.ref(params), cfg, latents).shape, [2, 1, 16, 12, 3]);
    const clip = np.zeros([1, 5, 8, 8, 3]);
    const clipLatents = encode(tree.ref(params), cfg, clip);
    assert.deepEqual(clipLatents.shape, [1, 3, 2, 2, cfg.latentChannels]);
    assert.deepEqual(decode(params, cfg, clipLatents).shape, [1, 5, 8, 8, 3]);
  });

  test('causal in time: a latent frame does not depend on later frames', async () => {
    const params = initParams(autoencoderParamSpec(cfg), 1);
    const base = worldLikeClips(1, 5, 8);
    const changed = base.slice();
    changed.fill(0.9, 3 * 8 * 8 * 3); // frames 3 and 4 only
    const run = async (pixels: Float32Array) =>
      (await encode(
        tree.ref(params),
        cfg,
        np.array(pixels, { shape: [1, 5, 8, 8, 3] }),
      ).data()) as Float32Array;
    const a = await run(base);
    const b = await run(changed);
    const perFrame = 2 * 2 * cfg.latentChannels;
    assertClose(b.subarray(0, 2 * perFrame), a.subarray(0, 2 * perFrame), 1e-6, 1e-6); // latents of frames 0 and 1–2
    assert.ok(Math.abs(b[2 * perFrame] - a[2 * perFrame]) > 1e-4, 'the latent of frames 3–4 changes');
  });

  test('spacetime decoder blocks start as the identity, and are causal once trained', async () => {
    assert.equal(cfg.decoderSpacetimeBlocks, 1, 'the tiny preset exercises one spacetime block');
    const params = initParams(autoencoderParamSpec(cfg), 4);
    const latents = np.array(
      Float32Array.from({ length: 3 * 2 * 2 * cfg.latentChannels }, (_, i) => Math.sin(i)),
      {
        shape: [1, 3, 2, 2, cfg.latentChannels],
      },
    );
    // Without the new blocks (a decoder trained before they existed) the output is the same.
    const withoutBlocks = { ...cfg, decoderSpacetimeBlocks: 0 };
    const older = Object.fromEntries(
      Object.entries(tree.ref(params)).filter(([k]) => !k.startsWith('decoder.spacetime.')),
    ) as typeof params;
    for (const [k, v] of Object.entries(params)) if (k.startsWith('decoder.spacetime.')) v.dispose();
    const a = (await decode(tree.ref(params), cfg, latents.ref).data()) as Float32Array;
    const b = (await decode(older, withoutBlocks, latents.ref).data()) as Float32Array;
    assertClose(a, b, 1e-6, 1e-6);
    // Trained (non-zero) blocks: decoded frames never depend on later latent frames.
    const trained = {
      ...params,
      'decoder.spacetime.0.fc2.weight': np.ones([cfg.hidden, cfg.hidden]).mul(0.05),
    };
    params['decoder.spacetime.0.fc2.weight']!.dispose();
    const changed = (await latents.ref.data()) as Float32Array;
    changed.fill(2, 2 * 2 * 2 * cfg.latentChannels); // the last latent frame only
    const c = (await decode(tree.ref(trained), cfg, latents).data()) as Float32Array;
    const d = (await decode(
      trained,
      cfg,
      np.array(changed, { shape: [1, 3, 2, 2, cfg.latentChannels] }),
    ).data()) as Float32Array;
    const framesBefore = 3 * 8 * 8 * 3; // pixel frames 0–2 come from latent frames 0–1
    assert.ok(
      c.subarray(0, framesBefore).some((v, i) => Math.abs(v - a[i]!) > 1e-4),
      'the trained block acts',
    );
    assertClose(d.subarray(0, framesBefore), c.subarray(0, framesBefore), 1e-6, 1e-6);
    assert.ok(Math.abs(d[framesBefore]! - c[framesBefore]!) > 1e-4, 'the last frames change');
  });

  test('widening the latent channels starts exactly where the trained autoencoder was', async () => {
    const wide = { ...cfg, latentChannels: cfg.latentChannels + 2 };
    const trained = await toHostParams(initParams(autoencoderParamSpec(cfg), 6));
    const fresh = await toHostParams(initParams(autoencoderParamSpec(wide), 7));
    const widened = Object.fromEntries(
      Object.entries(fresh).map(([name, init]) => {
        const old = trained[name]!;
        if (old.shape.join() === init.shape.join()) return [name, old];
        const adapted = widenLatentChannels(name, old, init);
        assert.ok(adapted, `${name} is widened`);
        return [name, adapted];
      }),
    );
    const clip = worldLikeClips(1, 5, 8);
    const roundTrip = async (params: HostParams, c: typeof cfg) => {
      const p = fromHostParams(params);
      const latents = encode(tree.ref(p), c, np.array(clip, { shape: [1, 5, 8, 8, 3] }));
      return (await decode(p, c, latents).data()) as Float32Array;
    };
    assertClose(await roundTrip(widened, wide), await roundTrip(trained, cfg), 1e-5, 1e-5);
    assert.equal(
      widenLatentChannels('decoder.out.weight', trained['decoder.out.weight']!, fresh['decoder.out.weight']!),
      undefined,
    );
  });

  test('training improves reconstruction of world-like frames (PSNR reported)', async () => {
    const params = initParams(autoencoderParamSpec(cfg), 2);
    const [batch, frames, size] = [4, 5, 16];
    const data = worldLikeClips(batch, frames, size);
    const pixels = () => np.array(data, { shape: [batch, frames, size, size, 3] });
    const measure = async (p: typeof params) => {
      const latents = encode(tree.ref(p), cfg, pixels());
      return psnr((await decode(tree.ref(p), cfg, latents).data()) as Float32Array, data);
    };
    const before = await measure(params);
    const trainer = adamTrainer(
      (p, b: { pixels: np.Array }) => autoencoderLoss(p, cfg, b.pixels),
      params,
      1e-2,
    );
    const first = trainer.step({ pixels: pixels() });
    let last = first;
    for (let i = 0; i < 150; i++) last = trainer.step({ pixels: pixels() });
    const after = await measure(trainer.state.params);
    console.log(
      `autoencoder PSNR ${before.toFixed(1)} dB → ${after.toFixed(1)} dB (loss ${first.toFixed(3)} → ${last.toFixed(3)})`,
    );
    assert.ok(last < first * 0.5, `loss ${first} → ${last}`);
    assert.ok(after > before + 6, `PSNR ${before} → ${after}`);
  });

  test('object-weighted reconstruction loss: weighted mean over pixels, values and gradients', async () => {
    // One 4×4 frame, all zeros; the reconstruction is off by 0.5 in every channel of pixel (1, 1).
    const shape = [1, 1, 4, 4, 3];
    const weightShape = [1, 1, 4, 4, 1];
    const truth = new Float32Array(48);
    const reconstruction = truth.slice();
    reconstruction.fill(0.5, 15, 18); // pixel (1, 1) = index 5
    const weight = new Float32Array(16).fill(1);
    weight[5] = 9; // an object pixel
    const l2Only = { l1: 0, l2: 1, edges: 0 };
    const loss = (r: np.Array, w?: Float32Array, lossWeights = l2Only) =>
      reconstructionLoss(
        r,
        np.array(truth, { shape }),
        lossWeights,
        w && np.array(w, { shape: weightShape }),
      );
    const recon = () => np.array(reconstruction, { shape });
    // plain: 3 · 0.25 / 48; weighted: Σ w e² / (3 Σ w) = 9 · 0.75 / (3 · 24)
    assertClose([loss(recon()).item()], [0.015625]);
    assertClose([loss(recon(), weight).item()], [0.09375]);
    // uniform weights change nothing, with every term of the default loss
    assertClose(
      [loss(recon(), new Float32Array(16).fill(3), DEFAULT_LOSS_WEIGHTS).item()],
      [loss(recon(), undefined, DEFAULT_LOSS_WEIGHTS).item()],
    );
    // ∂/∂r at the object pixel: 2 w e / (3 Σ w) = 0.125 per channel; 0 elsewhere
    const gradient = (await grad((r: np.Array) => loss(r, weight))(recon()).data()) as Float32Array;
    assertClose(
      gradient,
      Float32Array.from(reconstruction, (v) => (v ? 0.125 : 0)),
    );
    await checkGradient((r) => loss(r, weight, DEFAULT_LOSS_WEIGHTS), recon(), { rtol: 1e-3 });
  });
});
