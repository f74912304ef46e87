// Text → video: the one function every surface (CLI, API, web page) calls to make a clip.
//
//   prompt ─tokenize─▶ caption ids ─┐
//   seed ─▶ noise latents ──────────┴─▶ sampler (DiT in ONNX Runtime, CFG) ─▶ latents ─▶ decoder ─▶ frames
//
// Conditioning frames (image-to-video, extension, loops, connecting clips) and a start time below
// 1 (SDEdit-style editing) enter through the same call, so one model does all of it.
import { frameMaskToValues, type SamplerMethod, sample } from '../diffusion/samplers.ts';
import { ensureJax } from '../engine/jax.ts';
import { latentFrameCount, pixelFrameCount } from '../models/autoencoder.ts';
import { DEFAULT_WEIGHTS, loadModel, type ModelBundle } from '../models/bundle.ts';
import { readsEveryWord, tokenizeBatch } from '../models/text.ts';
import { Rng } from '../nn/init.ts';
import { type ExpandedPrompt, type ExpansionContext, expandPrompt } from './promptExpansion.ts';
import { AutoencoderSession, DenoiserSession, type LatentShape } from './sessions.ts';
import { checkSettings, DEFAULT_SETTINGS } from './settings.ts';

export interface GenerateRequest {
  prompt: string;
  /** What the video should not look like: replaces the null caption in guidance. */
  negativePrompt?: string;
  seed: number;
  /** Sampling steps (each one or two DiT evaluations, two with guidance). */
  steps: number;
  guidanceScale: number;
  /**
   * Where guidance applies, as a share of the sampling path (1 its noisy start, 0 its clean end;
   * see `SampleOptions.guidanceInterval`); elsewhere one conditional evaluation. Default:
   * `DEFAULT_SETTINGS.guidanceInterval`.
   */
  guidanceInterval?: readonly [number, number];
  sampler: SamplerMethod;
  /**
   * Timestep shift of the sampling schedule (t' = shift·t / (1 + (shift − 1)·t)): above 1 spends
   * more of the steps at high noise. Default 3, the shift the models were trained with.
   */
  shift?: number;
  width: number;
  height: number;
  /** Pixel frames; rounded to the model's 1 + 2k grid. */
  frames: number;
  fps: number;
  /** RGB uint8 frames (frames, height, width, 3) to keep: their latent frames are given clean. */
  conditionPixels?: Uint8Array;
  /** For each latent frame, 1 if it comes from `conditionPixels`. */
  conditionLatentMask?: Float32Array;
  /** Start time of the flow in (0, 1]: below 1, the sampler starts from `conditionPixels` noised to t (SDEdit). */
  startTime?: number;
  /**
   * Factorised text-to-video (as in Emu Video): first sample the first frame as a still image,
   * then the clip conditioned on it, so the motion is drawn from a known start instead of
   * from noise. Applies to plain text-to-video only (no conditioning frames, start time 1).
   * Default: `DEFAULT_SETTINGS.factorized`.
   */
  factorized?: boolean;
  onProgress?: (percent: number) => void;
}

export interface GeneratedVideo {
  /** RGB uint8, (frames, height, width, 3). */
  pixels: Uint8Array;
  frames: number;
  width: number;
  height: number;
  fps: number;
  /** Prompt words the model has never seen (they were ignored). */
  unknownWords: string[];
  modelId: string;
}

export class GenerationError extends Error {
  override name = 'GenerationError';
  static readonly userError = true;
}

/** The spatial grid a size must fit: autoencoder patch × DiT patch. */
export function sizeMultiple(model: ModelBundle): number {
  return model.preset.autoencoder.patchSize * model.preset.dit.patch[1];
}

/** Nearest valid size and frame count for a request, so callers can report what changes. */
export function validShape(model: ModelBundle, width: number, height: number, frames: number) {
  const m = sizeMultiple(model);
  const round = (v: number) => Math.max(m, Math.round(v / m) * m);
  const temporal = model.preset.autoencoder.temporalPatch;
  const k = Math.max(0, Math.round((frames - 1) / temporal));
  return { width: round(width), height: round(height), frames: 1 + temporal * k };
}

export class VideoPipeline {
  // Sessions per shape, exported on first use. The promise is cached, not the session, so two
  // concurrent jobs of one shape share one export instead of racing to create two.
  private readonly denoisers = new Map<string, Promise<DenoiserSession>>();
  private readonly decoders = new Map<string, Promise<AutoencoderSession>>();
  private readonly encoders = new Map<string, Promise<AutoencoderSession>>();

  private constructor(readonly model: ModelBundle) {}

  static async load(weights: string = DEFAULT_WEIGHTS): Promise<VideoPipeline> {
    await ensureJax();
    return new VideoPipeline(await loadModel(weights));
  }

  static fromModel(model: ModelBundle): VideoPipeline {
    return new VideoPipeline(model);
  }

  /** `prompt` rewritten as a detailed caption in the words this model has read (promptExpansion.ts). */
  expandPrompt(prompt: string, context: Omit<ExpansionContext, 'reads'>): ExpandedPrompt {
    return expandPrompt(prompt, { ...context, reads: readsEveryWord(this.model.tokenizer) });
  }

  latentShape(width: number, height: number, frames: number): LatentShape {
    const ae = this.model.preset.autoencoder;
    return [latentFrameCount(ae, frames), height / ae.patchSize, width / ae.patchSize, ae.latentChannels];
  }

  async generate(request: GenerateRequest): Promise<GeneratedVideo> {
    await ensureJax();
    const { width, height, frames } = request;
    const fixed = validShape(this.model, width, height, frames);
    if (fixed.width !== width || fixed.height !== height || fixed.frames !== frames) {
      throw new GenerationError(
        `size ${width}x${height}x${frames} does not fit the model's grid; nearest valid: ${fixed.width}x${fixed.height}x${fixed.frames} (sides multiples of ${sizeMultiple(this.model)}, frames 1 + ${this.model.preset.autoencoder.temporalPatch}k)`,
      );
    }
    checkSettings(this.model, request);
    if (
      request.conditionLatentMask &&
      request.conditionLatentMask.length !== latentFrameCount(this.model.preset.autoencoder, frames)
    )
      throw new GenerationError('the conditioning mask needs one flag per latent frame');
    if (request.conditionPixels && request.conditionPixels.length !== frames * height * width * 3)
      throw new GenerationError(`conditioning pixels must be ${frames}x${height}x${width}x3 values`);
    const shape = this.latentShape(width, height, frames);
    const perFrame = shape[1] * shape[2] * shape[3];
    const count = shape[0] * perFrame;
    const denoiser = await this.denoiser(shape);
    const tokenizer = this.model.tokenizer;
    const caption = tokenizeBatch(tokenizer, [request.prompt], tokenizer.maxLength);
    const negative = request.negativePrompt
      ? tokenizeBatch(tokenizer, [request.negativePrompt], tokenizer.maxLength)
      : undefined;

    const startTime = request.startTime ?? 1;
    const guidanceInterval = request.guidanceInterval ?? DEFAULT_SETTINGS.guidanceInterval;
    if (!(startTime > 0 && startTime <= 1))
      throw new GenerationError(`start time must be in (0, 1], got ${startTime}`);
    const factorized =
      (request.factorized ?? DEFAULT_SETTINGS.factorized) === true &&
      shape[0] > 1 &&
      !request.conditionPixels &&
      !request.conditionLatentMask &&
      startTime === 1;
    const guided =
      (session: DenoiserSession, conditionLatents: Float32Array, conditionMask: Float32Array) =>
      (latents: Float32Array, t: number, conditional: boolean) => {
        const useNegative = !conditional && negative;
        const ids = conditional ? caption : (negative ?? caption);
        return session.run({
          latents,
          timestep: Float32Array.of(t),
          captionIds: ids.ids,
          captionMask: ids.mask,
          captionKeep: Float32Array.of(conditional || useNegative ? 1 : 0),
          conditionLatents,
          conditionMask,
        });
      };
    const rng = new Rng(request.seed);
    // A still is 1/F of the clip's tokens: its share of the progress bar.
    const stillShare = factorized ? 1 / shape[0] : 0;

    // Conditioning: encode the given pixels once; the mask says which latent frames are kept.
    let conditionLatents: Float32Array = new Float32Array(count);
    const conditionFrames = request.conditionLatentMask ?? new Float32Array(shape[0]);
    if (request.conditionPixels)
      conditionLatents = await this.encodePixels(request.conditionPixels, width, height, frames);
    if (factorized) {
      // The first latent frame is a still on its own (the causal autoencoder encodes frame 0
      // alone), so the DiT's image mode samples it; the clip then starts from it.
      const stillShape: LatentShape = [1, shape[1], shape[2], shape[3]];
      const stillNoise = new Float32Array(perFrame);
      for (let i = 0; i < perFrame; i++) stillNoise[i] = rng.normal();
      const still = await sample({
        noise: stillNoise,
        denoise: guided(await this.denoiser(stillShape), new Float32Array(perFrame), new Float32Array(1)),
        steps: request.steps,
        method: request.sampler,
        guidanceScale: request.guidanceScale,
        guidanceInterval,
        shift: request.shift,
        conditionLatents: new Float32Array(perFrame),
        conditionMask: new Float32Array(perFrame),
        onProgress: (p) => request.onProgress?.(p * stillShare),
      });
      conditionLatents.set(still, 0);
      conditionFrames[0] = 1;
    }

    const noise = new Float32Array(count);
    for (let i = 0; i < count; i++) noise[i] = rng.normal();
    const denoise = guided(denoiser, conditionLatents, conditionFrames);
    // SDEdit: the path starts at x_s = (1 − s)·x0 + s·noise instead of pure noise, and the sampler
    // walks the schedule rescaled to [0, s], so `steps` always means the steps actually taken.
    let start: Float32Array = noise;
    if (startTime < 1) {
      if (!request.conditionPixels) throw new GenerationError('editing (start time < 1) needs input frames');
      start = new Float32Array(count);
      for (let i = 0; i < count; i++)
        start[i] = (1 - startTime) * conditionLatents[i]! + startTime * noise[i]!;
    }
    const latents = await sample({
      noise: start,
      denoise,
      steps: request.steps,
      method: request.sampler,
      guidanceScale: request.guidanceScale,
      guidanceInterval,
      shift: request.shift,
      conditionLatents,
      conditionMask: frameMaskToValues(conditionFrames, perFrame),
      onProgress: (p) => request.onProgress?.(stillShare * 100 + p * (1 - stillShare)),
      startTime,
    });
    const pixels = await this.decodeLatents(latents, shape);
    return {
      pixels,
      frames,
      width,
      height,
      fps: request.fps,
      unknownWords: caption.unknown[0] ?? [],
      modelId: this.model.id,
    };
  }

  /** Pixels (frames, height, width, 3) uint8 → scaled latents (F, h, w, C). */
  async encodePixels(
    pixels: Uint8Array,
    width: number,
    height: number,
    frames: number,
  ): Promise<Float32Array> {
    const key = `${frames}x${height}x${width}`;
    const encoder = await cached(this.encoders, key, () =>
      AutoencoderSession.create(this.model, 'encode', [1, frames, height, width, 3]),
    );
    const input = new Float32Array(pixels.length);
    for (let i = 0; i < pixels.length; i++) input[i] = pixels[i]! / 127.5 - 1;
    const latents = await encoder.run(input);
    for (let i = 0; i < latents.length; i++) latents[i] *= this.model.latentScale;
    return latents;
  }

  /** Scaled latents → RGB uint8 frames. */
  async decodeLatents(latents: Float32Array, shape: LatentShape): Promise<Uint8Array> {
    const key = shape.join('x');
    const decoder = await cached(this.decoders, key, () =>
      AutoencoderSession.create(this.model, 'decode', [1, ...shape]),
    );
    const unscaled = new Float32Array(latents.length);
    for (let i = 0; i < latents.length; i++) unscaled[i] = latents[i]! / this.model.latentScale;
    const out = await decoder.run(unscaled);
    const pixels = new Uint8Array(out.length);
    for (let i = 0; i < out.length; i++)
      pixels[i] = Math.max(0, Math.min(255, Math.round((out[i]! + 1) * 127.5)));
    return pixels;
  }

  private denoiser(shape: LatentShape): Promise<DenoiserSession> {
    return cached(this.denoisers, shape.join('x'), () => DenoiserSession.create(this.model, 1, shape));
  }

  /** Pixel frames that a number of latent frames decodes to. */
  pixelFrames(latentFrames: number): number {
    return pixelFrameCount(this.model.preset.autoencoder, latentFrames);
  }

  async dispose(): Promise<void> {
    for (const s of [...this.denoisers.values(), ...this.decoders.values(), ...this.encoders.values()])
      await (await s.catch(() => undefined))?.dispose();
  }
}

/** The value for `key`, created once; a failed creation is forgotten so a later call can retry. */
function cached<T>(cache: Map<string, Promise<T>>, key: string, create: () => Promise<T>): Promise<T> {
  let entry = cache.get(key);
  if (!entry) {
    entry = create();
    cache.set(key, entry);
    entry.catch(() => cache.delete(key));
  }
  return entry;
}
