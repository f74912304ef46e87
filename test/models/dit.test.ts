import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { init, numpy as np, tree } from '@jax-js/jax';
import {
  type DitConfig,
  type DitInputs,
  ditForward,
  ditParamSpec,
  movingRotary,
  patchify,
  rotaryAngles3d,
  rotaryTables3d,
  type SpacetimeAngles,
  unpatchify,
} from '../../src/models/dit.ts';
import { ditTrainingFlops, getPreset, PRESETS, presetParameterCounts } from '../../src/models/presets.ts';
import { initParams, Rng } from '../../src/nn/init.ts';
import { applyRotary } from '../../src/nn/layers.ts';
import { type Params, paramReader } from '../../src/nn/params.ts';
import { assertClose, checkGradient, randomArray } from '../nn/helpers.ts';

before(async () => {
  await init('wasm');
});

// The tiny preset without its place, time and motion pathways: the tests below add each one alone.
const cfg: DitConfig = {
  ...PRESETS.tiny.dit,
  framePositions: undefined,
  timePositions: undefined,
  frameConditioning: undefined,
  motionRotary: undefined,
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

  /** A grid's rotary angles and rates as arrays (tokens, headDim/2), optionally float64. */
  function spacetimeAngles(
    grid: [number, number, number],
    headDim: number,
    dtype = np.float32,
  ): SpacetimeAngles {
    const host = rotaryAngles3d(grid, headDim, cfg.ropeTheta);
    const shape = [grid[0] * grid[1] * grid[2], headDim / 2];
    const array = (values: Float32Array) => np.array(values, { shape }).astype(dtype);
    return {
      angles: array(host.angles),
      rowRates: array(host.rowRates),
      columnRates: array(host.columnRates),
    };
  }

  test('co-moving rotary: a head moving with the path sees it standing still', async () => {
    const grid: [number, number, number] = [3, 4, 8];
    const headDim = 16; // 2 time, 3 row and 3 column pairs
    const textWidth = 4;
    // From the bias alone: head 0 moves right two columns a frame, head 1 down one row a frame,
    // head 2 stays put.
    const p = paramReader({
      weight: np.zeros([textWidth, 6]),
      bias: np.array(new Float32Array([0, 2, 1, 0, 0, 0])),
    });
    const spacetime = spacetimeAngles(grid, headDim);
    const moved = movingRotary(p, 3, spacetime, np.ones([1, textWidth]));
    const cos = (await moved.cos.data()) as Float32Array; // (1, heads, tokens, pairs)
    const sin = (await moved.sin.data()) as Float32Array;
    for (const a of Object.values(spacetime)) a.dispose();
    const still = rotaryTables3d(grid, headDim, cfg.ropeTheta);
    const pairs = headDim / 2;
    const tokens = grid[0] * grid[1] * grid[2];
    const token = (f: number, h: number, w: number) => (f * grid[1] + h) * grid[2] + w;
    const at = (values: ArrayLike<number>, head: number, t: number) =>
      Array.from({ length: pairs }, (_, j) => values[(head * tokens + t) * pairs + j]!);
    // A head at (frame f, where the path has gone by then) has the angles the fixed tables give
    // the path's start: an object moving with the head is, to it, where it was.
    for (const [f, h, w] of [
      [1, 0, 3],
      [2, 1, 0],
      [2, 0, 2],
    ] as const) {
      for (const [values, table] of [
        [cos, still.cos],
        [sin, still.sin],
      ] as const) {
        assertClose(at(values, 0, token(f, h, w + 2 * f)), at(table, 0, token(f, h, w)), 1e-5, 1e-5);
        assertClose(at(values, 1, token(f, h + f, w)), at(table, 0, token(f, h, w)), 1e-5, 1e-5);
      }
    }
    // Head 2 keeps the fixed tables.
    assertClose(cos.subarray(2 * tokens * pairs), still.cos, 1e-5, 1e-5);
    assertClose(sin.subarray(2 * tokens * pairs), still.sin, 1e-5, 1e-5);
  });

  test('co-moving rotary: gradients through the velocity weights and the caption match finite differences', async () => {
    const rng = new Rng(21);
    const grid: [number, number, number] = [3, 2, 3];
    const headDim = 8;
    const heads = 2;
    const textWidth = 3;
    const tokens = grid[0] * grid[1] * grid[2];
    const x = randomArray(rng, [2, heads, tokens, headDim]);
    const weight = randomArray(rng, [textWidth, 2 * heads], 0.3);
    const pooled = randomArray(rng, [2, textWidth]);
    const bias = randomArray(rng, [2 * heads], 0.3);
    const rotated = (w: np.Array, c: np.Array) => {
      const spacetime = spacetimeAngles(grid, headDim, np.float64);
      const tables = movingRotary(paramReader({ weight: w, bias: bias.ref }), heads, spacetime, c);
      for (const a of Object.values(spacetime)) a.dispose();
      return applyRotary(x.ref, tables.cos, tables.sin);
    };
    const weighting = randomArray(new Rng(5), [2, heads, tokens, headDim]);
    // jax-js's float64 sin and cos are accurate to ≈ 3e-8 (measured), not to 1e-16: over these
    // 576 rotated values that is ≈ 1e-6 of noise on the loss, so finite differences need a larger
    // step and a looser tolerance than the other layers' (measured per element: 1e-4 at h = 1e-2).
    const opts = { h: 1e-2, rtol: 1e-3 };
    await checkGradient((w) => rotated(w, pooled.ref).mul(weighting.ref).sum(), weight.ref, opts);
    await checkGradient((c) => rotated(weight.ref, c).mul(weighting.ref).sum(), pooled.ref, opts);
    for (const a of [x, weight, pooled, bias, weighting]) a.dispose();
  });

  test('co-moving rotary starts as a no-op', async () => {
    const moving: DitConfig = { ...cfg, motionRotary: true };
    const withZero = liveParams(8);
    for (let i = 0; i < cfg.depth; i++) {
      withZero[`blocks.${i}.motion.weight`] = np.zeros([cfg.text.width, 2 * cfg.heads]);
      withZero[`blocks.${i}.motion.bias`] = np.zeros([2 * cfg.heads]);
    }
    const a = (await ditForward(liveParams(8), cfg, inputs(new Rng(9), 2, 3, 4, 4)).data()) as Float32Array;
    const b = await ditForward(withZero, moving, inputs(new Rng(9), 2, 3, 4, 4)).data();
    assertClose(b, a, 0, 1e-6);
    // With velocities, the same weights relate the clip's frames differently: the output changes.
    const rng = new Rng(10);
    const withVelocity = liveParams(8);
    for (let i = 0; i < cfg.depth; i++) {
      withVelocity[`blocks.${i}.motion.weight`] = randomArray(
        rng,
        [cfg.text.width, 2 * cfg.heads],
        0.5,
      ).astype(np.float32);
      withVelocity[`blocks.${i}.motion.bias`] = randomArray(rng, [2 * cfg.heads], 0.5).astype(np.float32);
    }
    const c = (await ditForward(withVelocity, moving, inputs(new Rng(9), 2, 3, 4, 4)).data()) as Float32Array;
    assert.ok(c.some((v, i) => Math.abs(v - a[i]!) > 1e-4));
  });

  test('presets: registry, parameter counts and training FLOPs', () => {
    const small = getPreset('small');
    const counts = presetParameterCounts(small);
    assert.ok(counts.dit > 1e6 && counts.dit < 2e7, `${counts.dit}`);
    const flops = ditTrainingFlops(small);
    assert.ok(flops > 2e10 && flops < 2e11, `${flops}`);
    assert.throws(
      () => getPreset('huge'),
      /unknown model preset "huge" \(known: tiny, small, small-96, small-144, small-6blocks, base\)/,
    );
  });

  test('presets: the scaling family is the small model with only the DiT width changed', () => {
    const small = getPreset('small');
    const members = ['small-96', 'small-144', 'small'].map(getPreset);
    for (const member of members) {
      assert.deepEqual({ ...member.dit, width: 0 }, { ...small.dit, width: 0 });
      assert.deepEqual(member.autoencoder, small.autoencoder);
      assert.deepEqual(member.training, small.training);
    }
    assert.deepEqual(
      members.map((m) => m.dit.width),
      [96, 144, 192],
    );
    const params = members.map((m) => presetParameterCounts(m).dit);
    const flops = members.map((m) => ditTrainingFlops(m));
    assert.ok(params[0]! < params[1]! && params[1]! < params[2]!, `${params}`);
    assert.ok(flops[0]! < flops[1]! && flops[1]! < flops[2]!, `${flops}`);
  });
});
