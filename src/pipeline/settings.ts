// The settings every generation feature shares (text → video, animate, extend, connect, loop,
// edit, remix, batch), their defaults, and the checks that turn an impossible request into a
// clear error listing what would work.

import type { ModelBundle } from '../models/bundle.ts';
import { type GenerateRequest, GenerationError, sizeMultiple, validShape } from './generate.ts';

/** What a generation needs besides its inputs: the fields of GenerateRequest a user chooses. */
export type GenerationSettings = Pick<
  GenerateRequest,
  | 'prompt'
  | 'negativePrompt'
  | 'seed'
  | 'steps'
  | 'guidanceScale'
  | 'sampler'
  | 'width'
  | 'height'
  | 'fps'
  | 'factorized'
>;

/**
 * The defaults of every entry point (CLI, API, web page): 64×64 at 8 fps, 12 Euler steps, guidance
 * 1.5. Measured on 100 held-out level-0 prompts (overall oracle score of kinema-small16fp-5000 /
 * kinema-small-4877, the two defaults before the current one) at 12 steps: guidance 1 → 0.576 / 0.561, 1.5 → 0.593 / 0.566, 2.5 → 0.569 /
 * 0.558, 4 → 0.525 / 0.546 (more guidance overshoots into speckled fragments: smoothness falls);
 * at guidance 1.5, 24 steps → 0.586 / 0.563, so 12 steps lose nothing and take half the time.
 * The schedule's shift stays at the training shift, 3 (kinema-small16tp-9958, 12 Euler steps:
 * shift 1.5 → 0.595, 2 → 0.604, 3 → 0.608, 5 → 0.609), and Euler stays the default sampler
 * (Heun with 6 steps, 11 evaluations: 0.604).
 */
export const DEFAULT_SETTINGS: Omit<GenerationSettings, 'prompt'> = {
  seed: 0,
  steps: 12,
  guidanceScale: 1.5,
  sampler: 'euler',
  width: 64,
  height: 64,
  fps: 8,
  factorized: false,
};

/** Pixel frames for a duration: one frame at t = 0 plus fps·seconds. */
export function framesForSeconds(seconds: number, fps: number): number {
  if (!(seconds > 0 && Number.isFinite(seconds)))
    throw new GenerationError(`seconds must be a positive number, got ${seconds}`);
  return Math.round(seconds * fps) + 1;
}

/** Refuses a size off the model's grid, naming the nearest valid one. */
export function checkSize(model: ModelBundle, width: number, height: number): void {
  const fixed = validShape(model, width, height, 1);
  if (fixed.width !== width || fixed.height !== height)
    throw new GenerationError(
      `size ${width}x${height} does not fit the model's grid (sides must be multiples of ${sizeMultiple(model)}); nearest valid: ${fixed.width}x${fixed.height}`,
    );
}

/** Checks the numbers a user typed: steps, guidance, fps. */
export function checkSettings(model: ModelBundle, settings: GenerationSettings): void {
  checkSize(model, settings.width, settings.height);
  if (!Number.isInteger(settings.steps) || settings.steps < 1 || settings.steps > 1000)
    throw new GenerationError(`steps must be an integer from 1 to 1000, got ${settings.steps}`);
  if (!(settings.guidanceScale >= 1 && settings.guidanceScale <= 30))
    throw new GenerationError(`guidance scale must be from 1 (off) to 30, got ${settings.guidanceScale}`);
  if (!(settings.fps > 0 && settings.fps <= 120))
    throw new GenerationError(`fps must be in (0, 120], got ${settings.fps}`);
}
