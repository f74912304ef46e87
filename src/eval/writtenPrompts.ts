// Written prompts: short instructions as a person types them, for the suite's `--caption written`.
//
// Why. The suite's prompts are the world's own captions; a model can score well on them and still
// fail what users write. A run that scored higher on detailed captions drew blue backgrounds for
// "a big yellow square on a plain green background" (model card, "Class"). These prompts are
// written by hand within level 0's world (one shape, a plain background, straight motion or
// none), in words the parser knows but in phrasings the captioner does not produce verbatim.
//
// Each prompt is scored only on what it states: the parser fills in the rest (the start place, the
// speed, the size when unsaid), and judging a model against those defaults would be noise.
import { Rng } from '../nn/init.ts';
import { parsePrompt } from '../world/prompt.ts';
import type { Dimension } from './oracle.ts';
import type { EvalPrompt } from './suite.ts';

export interface WrittenPrompt {
  prompt: string;
  /** The oracle dimensions the prompt states. */
  checks: readonly Dimension[];
}

const STILL: readonly Dimension[] = ['class', 'count', 'color', 'background'];
const SIZED: readonly Dimension[] = [...STILL, 'size'];
const MOVING: readonly Dimension[] = [...STILL, 'direction'];
const SIZED_MOVING: readonly Dimension[] = [...SIZED, 'direction'];

export const WRITTEN_PROMPTS: readonly WrittenPrompt[] = [
  { prompt: 'a big yellow square on a plain green background', checks: SIZED },
  { prompt: 'a red ball moves to the right on a blue background', checks: MOVING },
  { prompt: 'a small white star on a plain black background', checks: SIZED },
  { prompt: 'a purple heart moves up on an orange background', checks: MOVING },
  { prompt: 'a big blue triangle on a plain yellow background', checks: SIZED },
  { prompt: 'a green ring moves to the left on a pink background', checks: MOVING },
  { prompt: 'an orange diamond sliding down over a solid gray backdrop', checks: MOVING },
  { prompt: 'a tiny pink cross drifts left, white background', checks: SIZED_MOVING },
  { prompt: 'one black hexagon in the middle of a red background', checks: [...STILL, 'position'] },
  { prompt: 'a large cyan crescent moving right against a purple backdrop', checks: SIZED_MOVING },
  { prompt: 'a brown ball glides downward across a light blue background', checks: MOVING },
  { prompt: 'a gray star rising on a plain white background', checks: MOVING },
];

/** `count` prompts cycling through the list, each with its own seed (so repeats differ). */
export function writtenEvalPrompts(opts: {
  count: number;
  width: number;
  height: number;
  frames: number;
  fps: number;
}): EvalPrompt[] {
  return Array.from({ length: opts.count }, (_, i) => {
    const { prompt, checks } = WRITTEN_PROMPTS[i % WRITTEN_PROMPTS.length]!;
    const seed = (Rng.derive(0, `written:${i}`).uniform() * 2 ** 31) >>> 0;
    return { seed, prompt, spec: parsePrompt(prompt, { ...opts, seed }), checks };
  });
}
