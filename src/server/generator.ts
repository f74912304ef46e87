// The one seam between serving and the model. The server, the queue and the workers only know
// this interface; `kinema serve` injects an implementation (the world renderer in tests today,
// the text-to-video pipeline once it lands). Nothing here knows about tensors.

/** What a job asks for, validated and defaulted by the API before it is queued. */
export interface VideoJobInput {
  /** The video id; generators may use it to name things, never as a path. */
  id: string;
  /** create: from text (and an optional image); remix/edit/extend: from a source video too. */
  kind: 'create' | 'remix' | 'edit' | 'extend';
  prompt: string;
  /** The model name as the client sent it (e.g. "sora-2" or "kinema-world"). */
  model: string;
  /** Duration of the whole output in seconds (for extend: source plus extension). */
  seconds: number;
  /** Requested output pixels; the generator renders at its native size and upscales. */
  width: number;
  height: number;
  seed: number;
  steps: number | null;
  guidanceScale: number | null;
  /** Where guidance applies; null or absent (jobs stored before it existed): the pipeline's default. */
  guidanceInterval?: [number, number] | null;
  fps: number | null;
  negativePrompt: string | null;
  /**
   * Rewrite the prompt as a detailed caption before the model reads it (pipeline/promptExpansion.ts).
   * Absent in jobs stored before it existed: expanded, as every job is by default.
   */
  expandPrompt?: boolean;
  /** Absolute path of a reference image (PNG/JPEG/WebP, checked by content), if any. */
  inputReference: string | null;
  /** Absolute path of the source video for remix/edit/extend, if any. */
  sourceVideo: string | null;
  /**
   * The requester says the people shown in the uploaded picture or clip consented; without it an
   * input showing faces fails the job (the likeness rule). Absent in jobs stored before it existed.
   */
  likenessConsent?: boolean;
}

/** Files the generator wrote into the output folder it was given, and what it actually made. */
export interface GeneratedVideo {
  /** File names inside the output folder (no directories). */
  video: string;
  thumbnail: string;
  spritesheet: string;
  /** The resolution the model sampled at before upscaling to the requested size. */
  nativeWidth: number;
  nativeHeight: number;
  frames: number;
  fps: number;
  /** What the model was given: the expanded prompt, or the prompt as written. */
  modelPrompt: string;
}

export interface VideoGenerator {
  /** Model names this generator answers to; the first is the default. */
  readonly models: readonly string[];
  /** The size the model samples at for a requested output size (same aspect ratio). */
  nativeSize(width: number, height: number): { width: number; height: number };
  /**
   * Generates into `outDir` (which exists and is empty). Calls `onProgress` with 0..1 as work
   * advances; stops promptly with an AbortError when `signal` aborts (the job was deleted or the
   * worker is shutting down). Throws GenerationError for failures that retrying cannot fix.
   */
  generate(
    job: VideoJobInput,
    outDir: string,
    onProgress: (fraction: number) => void,
    signal: AbortSignal,
  ): Promise<GeneratedVideo>;
}

/** A failure that retrying will not fix (a prompt the model cannot draw, an unreadable image). */
export class GenerationError extends Error {
  override name = 'GenerationError';
  constructor(
    message: string,
    readonly code = 'generation_failed',
  ) {
    super(message);
  }
}

/**
 * The size a model on a `grid`-pixel patch grid samples at for a requested output size: the same
 * aspect ratio, sides on the grid, the longer one at most `maxNativeSide` (never above it).
 */
export function nativeSizeOnGrid(
  grid: number,
  maxNativeSide: number,
  width: number,
  height: number,
): { width: number; height: number } {
  const scale = Math.min(1, maxNativeSide / Math.max(width, height));
  const fit = (v: number) => Math.max(grid, grid * Math.round((v * scale) / grid));
  return { width: fit(width), height: fit(height) };
}

/** The model names a generator on the model `modelId` answers to; the first is the default. */
export function generatorModels(modelId: string): readonly string[] {
  return [modelId, 'kinema'];
}
