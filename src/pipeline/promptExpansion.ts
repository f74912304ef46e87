// Prompt expansion: a short prompt is rewritten into the detailed caption style the model was
// trained on (as Sora does with its re-captioner), by parsing it into a scene and captioning the
// scene. The result is shown to the user; when the prompt cannot be parsed it is kept as written
// and the reason is reported.
//
// Two choices keep the expansion close to the captions the model trained on (both measured on the
// written prompts of src/eval/writtenPrompts.ts; model card, "Prompt expansion"):
// - world captions always say where each object starts, so the expansion does too (the user's
//   place, or the parser's), except for an object travelling in a straight line that the user did
//   not place: named there, it cost direction (0.97 → 0.88). Written prompts 0.760 → 0.770
//   (colour 0.81 → 0.82, size 0.44 → 0.52). Where the user gave frames (an image to animate, a
//   clip to extend or edit), those fix where objects start: only the places the prompt states;
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
  /**
   * The user gave frames (an image to animate, a clip to extend, edit or connect): they fix where
   * objects start, so only the start places the prompt states are named.
   */
  framesGiven?: boolean;
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
    startPlaces: namedStartPlaces(parsed, context.framesGiven ?? false),
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

/**
 * Per object, whether the caption names where it starts: where the prompt states it, and else
 * unless given frames fix it or it travels in a straight line (see the header).
 */
function namedStartPlaces(parsed: ParsedPrompt, framesGiven: boolean): boolean[] {
  return parsed.placed.map((stated, i) => {
    const { kind } = parsed.spec.objects[i]!.motion;
    return stated || (!framesGiven && kind !== 'linear' && kind !== 'zigzag');
  });
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
