// ODE samplers for rectified flow: integrate dx/dt = v(x, t) from t = 1 (noise) to t = 0 (data).
//
// The sampler works on plain Float32Arrays and asks a `denoise` callback for velocities, so any
// engine can sit behind it (an ONNX Runtime session, or jax-js in tests). With classifier-free
// guidance it asks twice per evaluation — with the caption and with the null caption — and
// extrapolates: v = v_uncond + guidanceScale · (v_cond − v_uncond).

/** Velocity of the latents at time t; `conditional` = false means "with the null caption". */
export type Denoiser = (
  latents: Float32Array,
  t: number,
  conditional: boolean,
) => Float32Array | Promise<Float32Array>;

export type Schedule = 'uniform' | 'shifted';
export type SamplerMethod = 'euler' | 'heun';

export interface SampleOptions {
  /** Starting noise x_1 (not modified). */
  noise: Float32Array;
  denoise: Denoiser;
  steps: number;
  method?: SamplerMethod;
  schedule?: Schedule;
  /** For the shifted schedule: t' = shift·t / (1 + (shift − 1)·t); > 1 spends more steps at high noise. */
  shift?: number;
  /** 1 = no guidance (one denoiser call per evaluation); > 1 strengthens the caption. */
  guidanceScale?: number;
  /**
   * Where guidance applies, [low, high], as a share of the path's start time: for text-to-video
   * the times t themselves, for an edit from `startTime` s the times t with t / s inside; elsewhere
   * the conditional velocity alone (one call). Default [0, 1]: everywhere. Guidance at the
   * noisiest steps and the last ones costs more than it gives (Kynkäänniemi et al. 2024,
   * "Applying guidance in a limited interval"). Relative to the start, because an edit at strength
   * 0.5 would otherwise get no guidance at all and follow its caption less (see the model card).
   */
  guidanceInterval?: readonly [number, number];
  /** Clean latents for conditioning frames (same layout as noise) and which values they fix. */
  conditionLatents?: Float32Array;
  /** 1 where a value is given clean, per latent value (expand a per-frame mask with `frameMaskToValues`). */
  conditionMask?: Float32Array;
  /** Where the path starts, in (0, 1]: below 1 the noise argument is already x_t at that time (SDEdit). */
  startTime?: number;
  /** Called after every step with the percentage done (0–100). */
  onProgress?: (percent: number) => void;
}

/** Times from 1 down to 0, `steps + 1` of them. */
export function timeSchedule(steps: number, schedule: Schedule = 'shifted', shift = 3): Float32Array {
  if (!Number.isInteger(steps) || steps < 1)
    throw new Error(`steps must be a positive integer, got ${steps}`);
  const times = new Float32Array(steps + 1);
  for (let i = 0; i <= steps; i++) {
    const t = 1 - i / steps;
    times[i] = schedule === 'shifted' ? (shift * t) / (1 + (shift - 1) * t) : t;
  }
  return times;
}

/** Per-frame flags (frames) → per-value mask for latents laid out (frames, ...valuesPerFrame). */
export function frameMaskToValues(
  frameMask: ArrayLike<number>,
  valuesPerFrame: number,
  batch = 1,
): Float32Array {
  const frames = frameMask.length / batch;
  const out = new Float32Array(frameMask.length * valuesPerFrame);
  for (let b = 0; b < batch; b++) {
    for (let f = 0; f < frames; f++) {
      const flag = frameMask[b * frames + f];
      if (flag) out.fill(flag, (b * frames + f) * valuesPerFrame, (b * frames + f + 1) * valuesPerFrame);
    }
  }
  return out;
}

/** The guidance scale at time t: the given one inside the interval, 1 (none) outside. */
function guidanceAt(t: number, guidanceScale: number, interval: readonly [number, number] = [0, 1]): number {
  return t >= interval[0] && t <= interval[1] ? guidanceScale : 1;
}

/** How many times `sample` calls the denoiser with these options (benchmarks count FLOPs with it). */
export function denoiserCalls(
  opts: Pick<SampleOptions, 'steps' | 'method' | 'schedule' | 'shift' | 'guidanceScale' | 'guidanceInterval'>,
): number {
  const times = timeSchedule(opts.steps, opts.schedule ?? 'shifted', opts.shift ?? 3);
  const callsAt = (t: number) =>
    guidanceAt(t, opts.guidanceScale ?? 1, opts.guidanceInterval) === 1 ? 1 : 2;
  let calls = 0;
  for (let i = 0; i < opts.steps; i++) {
    calls += callsAt(times[i]!);
    if (opts.method === 'heun' && times[i + 1]! > 0) calls += callsAt(times[i + 1]!);
  }
  return calls;
}

/** Velocity with classifier-free guidance. */
async function guidedVelocity(
  denoise: Denoiser,
  latents: Float32Array,
  t: number,
  guidanceScale: number,
): Promise<Float32Array> {
  const conditional = await denoise(latents, t, true);
  if (guidanceScale === 1) return conditional;
  const unconditional = await denoise(latents, t, false);
  const out = new Float32Array(latents.length);
  for (let i = 0; i < out.length; i++) {
    out[i] = unconditional[i] + guidanceScale * (conditional[i] - unconditional[i]);
  }
  return out;
}

/** Overwrite the given (conditioning) values with their clean latents. */
function keepConditioningClean(latents: Float32Array, clean?: Float32Array, mask?: Float32Array): void {
  if (!clean || !mask) return;
  for (let i = 0; i < latents.length; i++) if (mask[i]) latents[i] = clean[i];
}

/** x ← x + dt · v. */
function step(x: Float32Array, velocity: Float32Array, dt: number): Float32Array {
  const out = new Float32Array(x.length);
  for (let i = 0; i < x.length; i++) out[i] = x[i] + dt * velocity[i];
  return out;
}

/**
 * Integrate from noise to data. Euler: one velocity per step. Heun: a second evaluation at the
 * step's end and the average of the two slopes (second order), except on the last step, which
 * ends at t = 0 where the velocity is not needed.
 */
export async function sample(opts: SampleOptions): Promise<Float32Array> {
  const { noise, denoise, steps, method = 'euler', guidanceScale = 1, onProgress } = opts;
  const { conditionLatents, conditionMask } = opts;
  const startTime = opts.startTime ?? 1;
  const times = timeSchedule(steps, opts.schedule ?? 'shifted', opts.shift ?? 3).map((t) => t * startTime);
  const scaleAt = (t: number) => guidanceAt(t / startTime, guidanceScale, opts.guidanceInterval);
  let x: Float32Array = noise.slice();
  keepConditioningClean(x, conditionLatents, conditionMask);
  for (let i = 0; i < steps; i++) {
    const t = times[i];
    const next = times[i + 1];
    const dt = next - t; // negative: time runs from 1 to 0
    const velocity = await guidedVelocity(denoise, x, t, scaleAt(t));
    let proposal = step(x, velocity, dt);
    if (method === 'heun' && next > 0) {
      keepConditioningClean(proposal, conditionLatents, conditionMask);
      const velocityNext = await guidedVelocity(denoise, proposal, next, scaleAt(next));
      const average = new Float32Array(x.length);
      for (let j = 0; j < x.length; j++) average[j] = 0.5 * (velocity[j] + velocityNext[j]);
      proposal = step(x, average, dt);
    }
    keepConditioningClean(proposal, conditionLatents, conditionMask);
    x = proposal;
    onProgress?.((100 * (i + 1)) / steps);
  }
  return x;
}
