// The evaluation suite: held-out world prompts → the model's videos → the oracle's scores.
//
// Prompts are detailed captions of curriculum scenes whose seeds come from their own stream
// ("eval:<i>"), apart from the training clips' ("clip:<step>:<i>"); the two streams are hashed
// into 2^31 seeds, so an overlap is possible in principle but vanishingly rare. The scene spec
// behind each prompt is what the oracle checks the generated frames against.

import type { SamplerMethod } from '../diffusion/samplers.ts';
import { readsEveryWord } from '../models/text.ts';
import { Rng } from '../nn/init.ts';
import type { GenerateRequest, VideoPipeline } from '../pipeline/generate.ts';
import { imageToVideo } from '../pipeline/imageToVideo.ts';
import { DEFAULT_SETTINGS } from '../pipeline/settings.ts';
import { curriculumScene } from '../train/curriculum.ts';
import { captionScene } from '../world/captions.ts';
import { renderClip } from '../world/render.ts';
import type { BackgroundKind, SceneSpec } from '../world/spec.ts';
import { type Aggregate, aggregate } from './aggregate.ts';
import { type ClipReport, DIMENSIONS, type Dimension, type Scores, scoreClip } from './oracle.ts';
import { writtenEvalPrompts } from './writtenPrompts.ts';

export interface SuiteOptions {
  count: number;
  level: number;
  /** The backgrounds the level's scenes are drawn on instead of its own (see SceneOverrides). */
  backgrounds?: readonly BackgroundKind[];
  width: number;
  height: number;
  frames: number;
  fps: number;
  steps: number;
  guidanceScale: number;
  /** Times at which guidance applies (default: the pipeline's, `DEFAULT_SETTINGS.guidanceInterval`). */
  guidanceInterval?: readonly [number, number];
  sampler?: SamplerMethod;
  /** Sampling schedule shift (default: the pipeline's). */
  shift?: number;
  /** Factorised sampling: the first frame as a still, then the clip from it. */
  factorized?: boolean;
  /**
   * Image-to-video from the reference clip's own first frame: the start place and look are given,
   * so what is left to score is whether the model moves the object as the caption says (a
   * diagnostic of motion apart from layout; frame 0 is exact, so appearance scores are inflated).
   */
  trueFirstFrame?: boolean;
  /**
   * Which caption the prompt is: the detailed one names everything the oracle checks; `written`
   * cycles through hand-written prompts (src/eval/writtenPrompts.ts), scored on what they state.
   */
  captionStyle: 'short' | 'detailed' | 'written';
  /** Give the model each prompt expanded into a detailed caption, as `generate` and the API do. */
  expand?: boolean;
  onClip?: (index: number, report: ClipReport) => void;
}

export interface EvalPrompt {
  seed: number;
  prompt: string;
  spec: SceneSpec;
  /** The dimensions the prompt states, where it does not state everything the oracle checks. */
  checks?: readonly Dimension[];
}

/**
 * The suite's held-out prompts. World captions are worded in the words `reads` accepts (a model's
 * tokenizer) where the captioner has a choice, as training words them: a level-1 caption otherwise
 * often says "starlit" or "meadow" to a model that has only read "night" and "grass".
 */
export function evalPrompts(
  opts: Pick<
    SuiteOptions,
    'count' | 'level' | 'backgrounds' | 'width' | 'height' | 'frames' | 'fps' | 'captionStyle'
  >,
  reads?: (phrase: string) => boolean,
): EvalPrompt[] {
  const { captionStyle } = opts;
  if (captionStyle === 'written') return writtenEvalPrompts(opts);
  return Array.from({ length: opts.count }, (_, i) => {
    const seed = (Rng.derive(0, `eval:${i}`).uniform() * 2 ** 31) >>> 0;
    const spec = curriculumScene(seed, opts.level, opts, { backgrounds: opts.backgrounds });
    return { seed, prompt: captionScene(spec, seed, { reads })[captionStyle], spec };
  });
}

export interface SuiteReport extends Aggregate {
  level: number;
  backgrounds?: readonly BackgroundKind[];
  captionStyle: string;
  expanded: boolean;
  trueFirstFrame: boolean;
  settings: Omit<GenerateRequest, 'prompt' | 'seed'>;
}

export async function runSuite(pipeline: VideoPipeline, opts: SuiteOptions): Promise<SuiteReport> {
  const settings = {
    steps: opts.steps,
    guidanceScale: opts.guidanceScale,
    guidanceInterval: opts.guidanceInterval ?? DEFAULT_SETTINGS.guidanceInterval,
    sampler: opts.sampler ?? 'euler',
    ...(opts.shift === undefined ? {} : { shift: opts.shift }),
    factorized: opts.factorized ?? false,
    width: opts.width,
    height: opts.height,
    frames: opts.frames,
    fps: opts.fps,
  };
  const reports: ClipReport[] = [];
  const prompts = evalPrompts(opts, readsEveryWord(pipeline.model.tokenizer));
  for (const [i, { seed, prompt: written, spec, checks }] of prompts.entries()) {
    const prompt = opts.expand
      ? pipeline.expandPrompt(written, { ...settings, seed, framesGiven: opts.trueFirstFrame }).prompt
      : written;
    const video = opts.trueFirstFrame
      ? await imageToVideo(pipeline, { ...settings, prompt, seed, image: firstFrame(spec, seed) })
      : await pipeline.generate({ ...settings, prompt, seed });
    const full = scoreClip(spec, video.pixels, { seed });
    const report = checks ? onlyStated(full, checks) : full;
    reports.push(report);
    opts.onClip?.(i, report);
  }
  return {
    ...aggregate(reports),
    level: opts.level,
    ...(opts.backgrounds ? { backgrounds: opts.backgrounds } : {}),
    captionStyle: opts.captionStyle,
    expanded: opts.expand ?? false,
    trueFirstFrame: opts.trueFirstFrame ?? false,
    settings,
  };
}

/** The report with only the stated dimensions scored (the rest null), its overall their mean. */
export function onlyStated(report: ClipReport, checks: readonly Dimension[]): ClipReport {
  const scores = Object.fromEntries(
    DIMENSIONS.map((d) => [d, checks.includes(d) ? report.scores[d] : null]),
  ) as Scores;
  const stated = Object.values(scores).filter((v): v is number => v !== null);
  const overall = stated.length ? stated.reduce((a, b) => a + b, 0) / stated.length : 0;
  return { ...report, scores, overall };
}

/** Frame 0 of the prompt's reference render, RGB uint8 (height, width, 3). */
function firstFrame(spec: SceneSpec, seed: number): Uint8Array {
  return renderClip(spec, seed).pixels.slice(0, spec.width * spec.height * 3);
}
