// Exponential moving average of weights (the EMA copy samples better than the raw weights).
//
// ema ← decay · ema + (1 − decay) · params, after every optimizer step. Two forms: in place on host
// Float32Arrays (what the trainer holds between ONNX Runtime steps, no allocation), and on jax-js
// arrays (for code that trains in jax-js).
import type { HostParams, Params } from './params.ts';

/** A fresh EMA initialised to a copy of the parameters. */
export function createEma(params: HostParams): HostParams {
  const ema: HostParams = {};
  for (const [name, { shape, data }] of Object.entries(params))
    ema[name] = { shape: [...shape], data: data.slice() };
  return ema;
}

/** Update `ema` in place towards `params`. */
export function updateEma(ema: HostParams, params: HostParams, decay: number): void {
  if (!(decay >= 0 && decay <= 1)) throw new Error(`EMA decay must be in [0, 1], got ${decay}`);
  const step = 1 - decay;
  for (const [name, { data }] of Object.entries(params)) {
    const target = ema[name]?.data;
    if (!target || target.length !== data.length)
      throw new Error(`EMA has no parameter "${name}" of that size`);
    for (let i = 0; i < data.length; i++) target[i] += step * (data[i] - target[i]);
  }
}

/**
 * Warm-up of the decay as in many diffusion trainers: min(decay, (1 + step) / (10 + step)), so
 * the average is not dominated by the random initial weights early on.
 */
export function emaDecayAt(step: number, decay: number): number {
  return Math.min(decay, (1 + step) / (10 + step));
}

/** jax-js form: consumes `ema`, borrows `params`, returns the new average. */
export function emaStep(ema: Params, params: Params, decay: number): Params {
  const out: Params = {};
  for (const [name, average] of Object.entries(ema)) {
    const param = params[name];
    if (!param) throw new Error(`EMA has a parameter "${name}" the model does not`);
    out[name] = average.mul(decay).add(param.ref.mul(1 - decay));
  }
  return out;
}
