import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { init, numpy as np, tree } from '@jax-js/jax';
import {
  type DitConfig,
  type DitInputs,
  ditForward,
  ditParamSpec,
  patchify,
  unpatchify,
} from '../../src/models/dit.ts';
import { ditTrainingFlops, getPreset, PRESETS, presetParameterCounts } from '../../src/models/presets.ts';
import { initParams, Rng } from '../../src/nn/init.ts';
import type { Params } from '../../src/nn/params.ts';
import { assertClose } from '../nn/helpers.ts';

before(async () => {
  await init('wasm');
});

// The tiny preset without its absolute place/time pathways: the tests below add each one alone.
const cfg: DitConfig = {
  ...PRESETS.tiny.dit,
  framePositions: undefined,
  timePositions: undefined,
  frameConditioning: undefined,
};

function randomValues(rng: Rng, count: number): Float32Array {
  return Float32Array.from({ length: count }, () => rng.normal());
}

/** Inputs for a (batch, frames, height, width) latent video and a 3-token caption. */
function inputs(rng: Rng, batch: number, frames: number, height: number, width: number, keep = 1): DitInputs {
  const size = batch * frames * height * width * cfg.latentChannels;
  const shape = [batch, frames, height, width, cfg.latentChannels];
  return {
    latents: np.array(randomValues(rng, size), { shape }),
    timestep: np.array(Float32Array.from({ length: batch }, (_, i) => (i + 0.5) / batch)),
    captionIds: np.array(
      Int32Array.from({ length: batch * 3 }, (_, i) => 2 + (i % 7)),
      { shape: [batch, 3] },
    ),
    captionMask: np.ones([batch, 3]),
    captionKeep: np.full([batch], keep),
    conditionLatents: np.array(randomValues(rng, size), { shape }),
    conditionMask: np.zeros([batch, frames]),
  };
}

/** Parameters with the zero-initialised output layers replaced, so the output depends on the input. */
function liveParams(seed: number, config: DitConfig = cfg): Params {
  const spec = ditParamSpec(config);
  const params = initParams(spec, seed);
  const rng = new Rng(seed + 100);
  for (const [name, entry] of Object.entries(spec)) {
    if (entry.init.kind !== 'zeros' || !name.endsWith('weight')) continue;
    params[name].dispose();
    params[name] = np.array(
      randomValues(
        rng,
        entry.shape.reduce((a, b) => a * b, 1),
      ).map((v) => 0.1 * v),
      {
        shape: entry.shape,
      },
    );
  }
  return params;
}

describe('DiT', () => {
  test('patchify and unpatchify are inverse', async () => {
    const rng = new Rng(0);
    const values = randomValues(rng, 2 * 3 * 4 * 6 * cfg.latentChannels);
    const x = np.array(values, { shape: [2, 3, 4, 6, cfg.latentChannels] });
    const tokens = patchify(cfg, x);
    assert.deepEqual(tokens.shape, [2, 3 * 2 * 3, 4 * cfg.latentChannels]);
    const back = (await unpatchify(cfg, tokens, [3, 2, 3]).data()) as Float32Array;
    assert.deepEqual(back, values);
  });

  test('starts as zero velocity (adaLN-zero and zero output layer)', async () => {
    const params = initParams(ditParamSpec(cfg), 0);
    const velocity = (await ditForward(params, cfg, inputs(new Rng(1), 2, 3, 4, 4)).data()) as Float32Array;
    assert.ok(velocity.every((v) => v === 0));
  });

  test('any size: the same weights run on different sizes, aspects and durations', () => {
    const params = liveParams(3);
    for (const [frames, height, width] of [
      [1, 4, 4],
      [3, 4, 6],
      [5, 6, 2],
    ]) {
      const velocity = ditForward(tree.ref(params), cfg, inputs(new Rng(frames), 2, frames, height, width));
      assert.deepEqual(velocity.shape, [2, frames, height, width, cfg.latentChannels]);
      velocity.dispose();
    }
    tree.dispose(params);
  });

  test('the caption steers the output, and a dropped caption ignores its words', async () => {
    const params = liveParams(4);
    const run = async (ids: number[], keep: number) => {
      const x = inputs(new Rng(9), 1, 1, 4, 4, keep);
      x.captionIds.dispose();
      x.captionIds = np.array(new Int32Array(ids), { shape: [1, 3] });
      return (await ditForward(tree.ref(params), cfg, x).data()) as Float32Array;
    };
    const a = await run([2, 3, 4], 1);
    const b = await run([5, 6, 7], 1);
    assert.ok(
      a.some((v, i) => Math.abs(v - b[i]) > 1e-4),
      'different captions, different velocity',
    );
    assertClose(await run([2, 3, 4], 0), await run([5, 6, 7], 0), 1e-5, 1e-6);
    tree.dispose(params);
  });

  test('conditioning frames enter as input channels', async () => {
    const params = liveParams(5);
    const run = async (flag: number) => {
      const x = inputs(new Rng(2), 1, 3, 4, 4);
      x.conditionMask.dispose();
      x.conditionMask = np.array(new Float32Array([flag, 0, 0]), { shape: [1, 3] });
      return (await ditForward(tree.ref(params), cfg, x).data()) as Float32Array;
    };
    const without = await run(0);
    const withFrame = await run(1);
    assert.ok(without.some((v, i) => Math.abs(v - withFrame[i]) > 1e-4));
    tree.dispose(params);
  });

  /** The DiT's output on latents that are 0.5 everywhere: every token sees the same input. */
  async function uniformOutput(config: DitConfig, params: Params, shape: [number, number, number]) {
    const x = inputs(new Rng(4), 1, ...shape);
    x.latents.dispose();
    x.latents = np.full([1, ...shape, cfg.latentChannels], 0.5);
    return (await ditForward(params, config, x).data()) as Float32Array; // (1, frames, height, width, C)
  }

  /** A zero-initialised `layer` added to trained weights changes nothing. */
  async function assertNoOpAtZero(layer: string, featureWidth: number, config: DitConfig) {
    const withZero = liveParams(8);
    withZero[`${layer}.weight`] = np.zeros([featureWidth, cfg.width]);
    withZero[`${layer}.bias`] = np.zeros([cfg.width]);
    const a = await ditForward(liveParams(8), cfg, inputs(new Rng(9), 1, 3, 4, 4)).data();
    const b = await ditForward(withZero, config, inputs(new Rng(9), 1, 3, 4, 4)).data();
    assertClose(b, a, 0, 1e-6);
  }

  test('frame positions: a uniform frame tells left from right only with them, and they start as a no-op', async () => {
    const placed: DitConfig = { ...cfg, framePositions: 2 };
    // Rotary positions alone cannot tell uniform tokens apart (all values are equal); fractional
    // frame positions can.
    const leftVsRight = async (config: DitConfig, params: Params) => {
      const out = await uniformOutput(config, params, [1, 4, 8]);
      const at = (row: number, column: number) => out[(row * 8 + column) * cfg.latentChannels]!;
      return Math.abs(at(1, 0) - at(1, 6)); // the same place inside their 2×2 patches
    };
    assert.ok((await leftVsRight(cfg, liveParams(7))) < 1e-5);
    assert.ok((await leftVsRight(placed, liveParams(7, placed))) > 1e-3);
    await assertNoOpAtZero('framePosition', 8, placed);
  });

  test('time positions: a still, uniform clip tells its frames apart only with them, and they start as a no-op', async () => {
    const timed: DitConfig = { ...cfg, timePositions: 2 };
    const secondVsFourth = async (config: DitConfig, params: Params) => {
      const out = await uniformOutput(config, params, [5, 4, 4]);
      const frame = 4 * 4 * cfg.latentChannels;
      return Math.abs(out[frame]! - out[3 * frame]!); // frames 1 and 3: rotary sees both alike
    };
    assert.ok((await secondVsFourth(cfg, liveParams(7))) < 1e-5);
    assert.ok((await secondVsFourth(timed, liveParams(7, timed))) > 1e-3);
    await assertNoOpAtZero('timePosition', 4, timed);
  });

  test('frame conditioning: each frame gets its own modulation, and it starts as a no-op', async () => {
    const framed: DitConfig = { ...cfg, frameConditioning: 2 };
    const secondVsFourth = async (config: DitConfig, params: Params) => {
      const out = await uniformOutput(config, params, [5, 4, 4]);
      const frame = 4 * 4 * cfg.latentChannels;
      return Math.abs(out[frame]! - out[3 * frame]!);
    };
    assert.ok((await secondVsFourth(cfg, liveParams(7))) < 1e-5);
    assert.ok((await secondVsFourth(framed, liveParams(7, framed))) > 1e-3);
    await assertNoOpAtZero('frameConditioning', 4, framed);
    // a still image is one frame: one group, as without frame conditioning
    const still = await uniformOutput(framed, liveParams(7, framed), [1, 4, 4]);
    assert.equal(still.length, 4 * 4 * cfg.latentChannels);
  });

  test('presets: registry, parameter counts and training FLOPs', () => {
    const small = getPreset('small');
    const counts = presetParameterCounts(small);
    assert.ok(counts.dit > 1e6 && counts.dit < 2e7, `${counts.dit}`);
    const flops = ditTrainingFlops(small);
    assert.ok(flops > 2e10 && flops < 2e11, `${flops}`);
    assert.throws(() => getPreset('huge'), /unknown model preset "huge" \(known: tiny, small, base\)/);
  });
});
