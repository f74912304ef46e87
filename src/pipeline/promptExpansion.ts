// Prompt expansion: a short prompt is rewritten into the detailed caption style the model was
// trained on (as Sora does with its re-captioner), by parsing it into a scene and captioning the
// scene. The result is shown to the user; when the prompt cannot be parsed it is kept as written
// and the reason is reported.
//
// Two choices keep the expansion close to what the user wrote (both measured on the written
// prompts of src/eval/writtenPrompts.ts; model card, "Prompt expansion"):
// - the caption names no start place the user did not give: the parser centres a mover's path
//   in the frame, which puts "a ball moves to the right" at the left edge, and "starting on the
//   left" with a rightward move is rare in the world, so the model kept the ball still there;
// - the captioner words each scene many ways ("a red ball" may come back as "a crimson orb");
//   where it has a choice of phrases it takes the user's.
import { captionScene } from '../world/captions.ts';
import { readPrompt } from '../world/prompt.ts';

export interface ExpandedPrompt {
  /** What the user wrote. */
  original: string;
  /** What the model is given: the detailed caption, or the original when expansion failed/was off. */
  prompt: string;
  expanded: boolean;
  /** Why the prompt was kept as written (parse error, or expansion turned off). */
  reason?: string;
}

export interface ExpansionContext {
  width: number;
  height: number;
  frames: number;
  fps: number;
  /** Picks details the prompt leaves open (colours, wording); the generation seed. */
  seed: number;
  /** false = keep the prompt as written. */
  enabled?: boolean;
}

export function expandPrompt(prompt: string, context: ExpansionContext): ExpandedPrompt {
  if (context.enabled === false)
    return { original: prompt, prompt, expanded: false, reason: 'prompt expansion is off' };
  try {
    const parsed = readPrompt(prompt, {
      width: context.width,
      height: context.height,
      frames: context.frames,
      fps: context.fps,
      seed: context.seed,
    });
    const caption = captionScene(parsed.spec, context.seed, {
      startPlaces: parsed.placed,
      wordsOf: prompt,
    });
    return { original: prompt, prompt: caption.detailed, expanded: true };
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    return { original: prompt, prompt, expanded: false, reason };
  }
}
