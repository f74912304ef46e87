import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { init } from '@jax-js/jax';
import { jaxDenoiser } from '../../src/diffusion/denoiser.ts';
import { sampleNoise } from '../../src/diffusion/flow.ts';
import { denoiserCalls, frameMaskToValues, sample, timeSchedule } from '../../src/diffusion/samplers.ts';
import { ditParamSpec } from '../../src/models/dit.ts';
import { PRESETS } from '../../src/models/presets.ts';
import { initParams, Rng } from '../../src/nn/init.ts';
import { assertClose } from '../nn/helpers.ts';

const data = new Float32Array([0.5, -1, 2, 0]);
const noise = new Float32Array([1, 0.3, -0.7, 2]);

/** The exact rectified-flow velocity towards `data`: along x_t = (1−t)·data + t·noise it is noise − data. */
const straightField = (x: Float32Array, t: number) => x.map((v, i) => (v - data[i]) / t);

describe('samplers', () => {
  test('schedules run from 1 to 0; shifting spends more steps at high noise', () => {
    const uniform = timeSchedule(4, 'uniform');
    assert.deepEqual(Array.from(uniform), [1, 0.75, 0.5, 0.25, 0]);
    const shifted = timeSchedule(4, 'shifted', 3);
    assert.equal(shifted[0], 1);
    assert.equal(shifted[4], 0);
    assert.ok(shifted[2] > uniform[2]);
    assert.throws(() => timeSchedule(0), /positive integer/);
  });

  test('Euler integrates the straight flow exactly; Heun too', async () => {
    for (const method of ['euler', 'heun'] as const) {
      for (const schedule of ['uniform', 'shifted'] as const) {
        const result = await sample({ noise, denoise: straightField, steps: 5, method, schedule });
        assertClose(result, data, 1e-5, 1e-5);
      }
    }
  });

  test('Heun is second order on a curved field (dx/dt = x), Euler first order', async () => {
    // Integrating dx/dt = x from t = 1 to 0 gives x(0) = x(1)/e.
    const exact = noise.map((v) => v / Math.E);
    const error = async (method: 'euler' | 'heun', steps: number) => {
      const result = await sample({ noise, denoise: (x) => x.slice(), steps, method, schedule: 'uniform' });
      return Math.max(...result.map((v, i) => Math.abs(v - exact[i])));
    };
    const [euler10, euler20, heun10, heun20] = [
      await error('euler', 10),
      await error('euler', 20),
      await error('heun', 10),
      await error('heun', 20),
    ];
    assert.ok(heun20 < 0.1 * euler20, `heun ${heun20} vs euler ${euler20}`);
    assert.ok(euler10 / euler20 > 1.7 && euler10 / euler20 < 2.3, 'Euler error halves with twice the steps');
    // Second order: twice the steps, about a quarter of the error (the last step, an Euler step
    // ending at t = 0, only adds a local O(h²) error).
    assert.ok(heun10 / heun20 > 3, `Heun error ratio ${heun10 / heun20}`);
  });

  test('classifier-free guidance extrapolates from the unconditional velocity', async () => {
    const calls: boolean[] = [];
    const denoise = (x: Float32Array, _t: number, conditional: boolean) => {
      calls.push(conditional);
      return x.map(() => (conditional ? 1 : 0.5));
    };
    const result = await sample({ noise, denoise, steps: 1, schedule: 'uniform', guidanceScale: 3 });
    // v = 0.5 + 3·(1 − 0.5) = 2, one step of dt = −1.
    assertClose(
      result,
      noise.map((v) => v - 2),
      1e-6,
    );
    assert.deepEqual(calls, [true, false]);
    calls.length = 0;
    await sample({ noise, denoise, steps: 2, guidanceScale: 1 });
    assert.deepEqual(calls, [true, true], 'no unconditional pass without guidance');
  });

  test('guidance applies only at times inside its interval', async () => {
    const times: [number, boolean][] = [];
    const denoise = (x: Float32Array, t: number, conditional: boolean) => {
      times.push([t, conditional]);
      return x.map(() => (conditional ? 1 : 0.5));
    };
    const interval = {
      steps: 4,
      schedule: 'uniform',
      guidanceScale: 3,
      guidanceInterval: [0.4, 0.9],
    } as const;
    // uniform schedule, 4 steps: t = 1, 0.75, 0.5, 0.25; guided only at 0.75 and 0.5
    const result = await sample({ noise, denoise, ...interval });
    assert.deepEqual(times, [
      [1, true],
      [0.75, true],
      [0.75, false],
      [0.5, true],
      [0.5, false],
      [0.25, true],
    ]);
    assert.equal(denoiserCalls(interval), times.length);
    // two unguided steps at v = 1 and two guided at v = 2, each dt = −0.25
    assertClose(
      result,
      noise.map((v) => v - 0.25 * (1 + 2 + 2 + 1)),
      1e-6,
    );
    // An edit from t = 0.5 takes the interval as shares of its own path: guided at 0.375 and 0.25.
    times.length = 0;
    await sample({ noise, denoise, ...interval, startTime: 0.5 });
    assert.deepEqual(
      times.filter(([, conditional]) => !conditional).map(([t]) => t),
      [0.375, 0.25],
    );
  });

  test('conditioning values stay clean, progress is reported', async () => {
    const clean = new Float32Array([9, 9, 9, 9]);
    const mask = frameMaskToValues([1, 0], 2);
    assert.deepEqual(Array.from(mask), [1, 1, 0, 0]);
    const seen: number[] = [];
    const progress: number[] = [];
    const result = await sample({
      noise,
      denoise: (x) => {
        seen.push(x[0], x[1]);
        return x.map(() => 1);
      },
      steps: 4,
      method: 'heun',
      conditionLatents: clean,
      conditionMask: mask,
      onProgress: (percent) => progress.push(percent),
    });
    assert.ok(
      seen.every((v) => v === 9),
      'the model always sees the clean frame',
    );
    assert.deepEqual(Array.from(result.subarray(0, 2)), [9, 9]);
    assertClose(
      result.subarray(2),
      noise.subarray(2).map((v) => v - 1),
      1e-6,
    );
    assert.deepEqual(progress, [25, 50, 75, 100]);
  });
});

describe('sampling the jax-js DiT', () => {
  test('text-to-video and image-to-video run end to end with guidance', async () => {
    await init('wasm');
    const cfg = PRESETS.tiny.dit;
    const params = initParams(ditParamSpec(cfg), 0);
    const shape: [number, number, number, number, number] = [1, 3, 4, 4, cfg.latentChannels];
    const size = shape.reduce((a, b) => a * b, 1);
    const clean = new Float32Array(size).fill(0.25);
    const denoise = jaxDenoiser(params, cfg, {
      shape,
      captionIds: new Int32Array([2, 3, 4]),
      captionMask: new Float32Array([1, 1, 1]),
      captionLength: 3,
      conditionLatents: clean,
      conditionFrames: new Float32Array([1, 0, 0]),
    });
    const noise = sampleNoise(new Rng(1), size);
    const result = await sample({
      noise,
      denoise,
      steps: 3,
      method: 'heun',
      guidanceScale: 4,
      conditionLatents: clean,
      conditionMask: frameMaskToValues([1, 0, 0], size / 3),
    });
    denoise.dispose();
    assert.equal(result.length, size);
    assert.ok(
      result.subarray(0, size / 3).every((v) => v === 0.25),
      'the given frame is kept',
    );
    // At initialisation the velocity is zero, so the other frames are still the noise.
    assertClose(result.subarray(size / 3), noise.subarray(size / 3), 1e-6);
  });
});
