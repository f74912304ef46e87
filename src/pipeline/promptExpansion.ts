// Prompt expansion: a short prompt is rewritten into the detailed caption style the model was
// trained on (as Sora does with its re-captioner), by parsing it into a scene and captioning the
// scene. The result is shown to the user; when the prompt cannot be parsed it is kept as written
// and the reason is reported.
import { captionScene } from '../world/captions.ts';
import { parsePrompt } from '../world/prompt.ts';

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
    const spec = parsePrompt(prompt, {
      width: context.width,
      height: context.height,
      frames: context.frames,
      fps: context.fps,
      seed: context.seed,
    });
    return { original: prompt, prompt: captionScene(spec, context.seed).detailed, expanded: true };
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    return { original: prompt, prompt, expanded: false, reason };
  }
}
