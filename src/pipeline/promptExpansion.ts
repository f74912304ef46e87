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
//   where it has a choice of phrases it takes the user's, among those the model can read (the
//   world knows "grassy field"; a model trained on plain backgrounds knows only "grass").
import { captionScene } from '../world/captions.ts';
import { type ParsedPrompt, readPrompt, UnknownWordsError } from '../world/prompt.ts';

export interface ExpandedPrompt {
  /** What the user wrote. */
  original: string;
  /** What the model is given: the detailed caption, or the original when expansion failed/was off. */
  prompt: string;
  expanded: boolean;
  /** Why the prompt was kept as written (parse error, or expansion turned off). */
  reason?: string;
  /** Words the world does not know, left out of the expansion (the model cannot read them either). */
  ignoredWords?: string[];
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
  /**
   * Whether the model's tokenizer knows every word of a phrase (`readsEveryWord` in
   * src/models/text.ts): the expansion then words the scene in the model's vocabulary.
   */
  reads?: (phrase: string) => boolean;
}

const EXPANSION_OFF = 'prompt expansion is off';

export function expandPrompt(prompt: string, context: ExpansionContext): ExpandedPrompt {
  if (context.enabled === false) return { original: prompt, prompt, expanded: false, reason: EXPANSION_OFF };
  const options = {
    width: context.width,
    height: context.height,
    frames: context.frames,
    fps: context.fps,
    seed: context.seed,
  };
  let ignoredWords: string[] | undefined;
  let parsed: ParsedPrompt;
  try {
    try {
      parsed = readPrompt(prompt, options);
    } catch (err) {
      // The tokenizer learned its words from the world's captions, so words the world does not
      // know reach the model as <unk>, which can derail it (one, "rising", put a gray star on
      // pink). Left out, the rest of the prompt is drawn, provided an object was understood: an
      // expansion must not turn "a zeppelin" into an empty scene.
      if (!(err instanceof UnknownWordsError)) throw err;
      parsed = readPrompt(prompt, { ...options, unknown: 'ignore' });
      if (parsed.spec.objects.length === 0) throw err;
      ignoredWords = err.words.map((w) => w.word);
    }
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    return { original: prompt, prompt, expanded: false, reason };
  }
  const caption = captionScene(parsed.spec, context.seed, {
    startPlaces: parsed.placed,
    wordsOf: prompt,
    reads: context.reads,
  });
  return {
    original: prompt,
    prompt: caption.detailed,
    expanded: true,
    ...(ignoredWords ? { ignoredWords } : {}),
  };
}

/** What a command tells the user about the prompt the model will read (undefined: nothing to say). */
export function expansionNote(expansion: ExpandedPrompt): string | undefined {
  if (!expansion.expanded)
    return expansion.reason === EXPANSION_OFF ? undefined : `prompt kept as written: ${expansion.reason}`;
  const ignored = expansion.ignoredWords?.length
    ? `left out, unknown to the model: ${expansion.ignoredWords.join(', ')}; `
    : '';
  return `prompt expanded to: "${expansion.prompt}" (${ignored}--no-expand to keep yours)`;
}
