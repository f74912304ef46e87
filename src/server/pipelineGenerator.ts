// The server's VideoGenerator: Kinema's text-to-video pipeline. A job is generated at the model's
// native size with the requested aspect ratio (sides on the model's grid, the longer one at most
// `maxNativeSide`), upscaled to the requested pixels, watermarked, signed and written as the
// video, its thumbnail and its spritesheet.
import { join } from 'node:path';
import type { VideoFrames } from '../media/frames.ts';
import { resizeFrames } from '../media/resize.ts';
import { MAX_FRAMES } from '../pipeline/conditioning.ts';
import { editVideo } from '../pipeline/edit.ts';
import { extendVideo } from '../pipeline/extend.ts';
import {
  type GeneratedVideo as PipelineVideo,
  sizeMultiple,
  type VideoPipeline,
} from '../pipeline/generate.ts';
import { imageToVideo } from '../pipeline/imageToVideo.ts';
import { readClip, readImage, screenInput } from '../pipeline/inputs.ts';
import { auditLogOf, type OperatorSettings, provenanceFor } from '../pipeline/operator.ts';
import { writeOutput } from '../pipeline/output.ts';
import { DEFAULT_SETTINGS } from '../pipeline/settings.ts';
import { c2paReadable } from '../provenance/c2pa.ts';
import { LikenessRefused } from '../safety/likeness.ts';
import { assertPromptAllowed, PolicyViolation } from '../safety/policy.ts';
import {
  type GeneratedVideo,
  GenerationError,
  generatorModels,
  nativeSizeOnGrid,
  type VideoGenerator,
  type VideoJobInput,
} from './generator.ts';

/** Errors meant for the user carry `static userError = true` on their class. */
function isUserError(err: unknown): err is Error {
  return err instanceof Error && (err.constructor as { userError?: boolean }).userError === true;
}

export interface PipelineGeneratorOptions {
  pipeline: VideoPipeline;
  operator: OperatorSettings;
  /** Longest native side (default 64: what the shipped model trained at). */
  maxNativeSide?: number;
  defaultFps?: number;
  defaultSteps?: number;
  defaultGuidance?: number;
  /** How far an edit may move from its source (SDEdit strength). */
  editStrength?: number;
}

export class PipelineGenerator implements VideoGenerator {
  readonly models: readonly string[];
  readonly maxNativeSide: number;

  constructor(private readonly options: PipelineGeneratorOptions) {
    this.models = generatorModels(options.pipeline.model.id);
    this.maxNativeSide = options.maxNativeSide ?? 64;
  }

  nativeSize(width: number, height: number) {
    return nativeSizeOnGrid(sizeMultiple(this.options.pipeline.model), this.maxNativeSide, width, height);
  }

  async generate(
    job: VideoJobInput,
    outDir: string,
    onProgress: (fraction: number) => void,
    signal: AbortSignal,
  ): Promise<GeneratedVideo> {
    try {
      return await this.generateOrThrow(job, outDir, onProgress, signal);
    } catch (err) {
      // A user's mistake (a bad source file, an impossible size) fails the job at once with its
      // message; retrying it would only fail again. Everything else is retried by the queue.
      if (isUserError(err)) throw new GenerationError(err.message, 'invalid_request');
      throw err;
    }
  }

  private async generateOrThrow(
    job: VideoJobInput,
    outDir: string,
    onProgress: (fraction: number) => void,
    signal: AbortSignal,
  ): Promise<GeneratedVideo> {
    const log = auditLogOf(this.options.operator);
    const request = { keyId: null, action: job.kind, prompt: job.prompt, outputId: job.id };
    for (const text of [job.prompt, job.negativePrompt]) {
      if (!text) continue;
      try {
        assertPromptAllowed(text, {}, { log, request: { ...request, prompt: text } });
      } catch (err) {
        if (err instanceof PolicyViolation)
          throw new GenerationError(err.message, 'content_policy_violation');
        throw err;
      }
    }
    if ((job.kind === 'edit' || job.kind === 'extend') && !job.sourceVideo) {
      throw new GenerationError(`an ${job.kind} needs a source video`, 'invalid_request');
    }
    // The likeness rule on the picture or clip the job starts from, before any compute on it.
    const inputs = [job.inputReference, job.kind === 'remix' ? null : job.sourceVideo];
    const audit = { log, ...request };
    for (const file of inputs) {
      if (!file) continue;
      try {
        await screenInput(file, job.likenessConsent === true, audit);
      } catch (err) {
        if (err instanceof LikenessRefused)
          throw new GenerationError(
            new LikenessRefused(err.faces, 'likeness_consent: true').message,
            'content_policy_violation',
          );
        throw err;
      }
    }
    const { pipeline } = this.options;
    const native = this.nativeSize(job.width, job.height);
    const fps = job.fps ?? this.options.defaultFps ?? DEFAULT_SETTINGS.fps;
    const temporal = pipeline.model.preset.autoencoder.temporalPatch;
    const framesOf = (seconds: number) => 1 + temporal * Math.max(1, Math.round((seconds * fps) / temporal));
    // The model reads detailed captions best; the job keeps the user's prompt, the result says
    // what the model read.
    const expansion = pipeline.expandPrompt(job.prompt, {
      ...native,
      frames: Math.min(MAX_FRAMES, framesOf(job.seconds)),
      fps,
      seed: job.seed,
      enabled: job.expandPrompt !== false,
      // the frames of an image to animate or a clip to edit or extend fix where objects start
      framesGiven:
        Boolean(job.inputReference) ||
        ((job.kind === 'edit' || job.kind === 'extend') && Boolean(job.sourceVideo)),
    });
    const settings = {
      prompt: expansion.prompt,
      negativePrompt: job.negativePrompt ?? undefined,
      seed: job.seed,
      steps: job.steps ?? this.options.defaultSteps ?? DEFAULT_SETTINGS.steps,
      guidanceScale: job.guidanceScale ?? this.options.defaultGuidance ?? DEFAULT_SETTINGS.guidanceScale,
      guidanceInterval: job.guidanceInterval ?? DEFAULT_SETTINGS.guidanceInterval,
      sampler: 'euler' as const,
      ...native,
      fps,
      onProgress: (percent: number) => {
        signal.throwIfAborted();
        onProgress(0.9 * (percent / 100));
      },
    };
    const framesFor = (seconds: number) => {
      const frames = framesOf(seconds);
      if (frames > MAX_FRAMES) {
        throw new GenerationError(
          `${seconds} s at ${fps} fps is ${frames} frames; the most is ${MAX_FRAMES} (ask for fewer seconds or a lower fps)`,
          'invalid_request',
        );
      }
      return frames;
    };
    let video: PipelineVideo;
    if (job.kind === 'edit' && job.sourceVideo) {
      const source = await this.readSource(job.sourceVideo, native, fps);
      video = await editVideo(pipeline, {
        ...settings,
        video: source,
        strength: this.options.editStrength ?? 0.6,
      });
    } else if (job.kind === 'extend' && job.sourceVideo) {
      const source = await this.readSource(job.sourceVideo, native, fps);
      const addFrames = Math.max(1, framesFor(job.seconds) - source.frames);
      video = await extendVideo(pipeline, { ...settings, video: source, addFrames, direction: 'forward' });
    } else if (job.inputReference) {
      const image = await readImage(job.inputReference, native.width, native.height);
      video = await imageToVideo(pipeline, { ...settings, image, frames: framesFor(job.seconds) });
    } else {
      video = await pipeline.generate({ ...settings, frames: framesFor(job.seconds) });
    }
    signal.throwIfAborted();

    const clip: VideoFrames = {
      pixels: video.pixels,
      frames: video.frames,
      width: video.width,
      height: video.height,
      fps,
    };
    const { provenance } = provenanceFor(this.options.operator, {
      outputId: job.id,
      prompt: job.prompt,
      modelId: video.modelId,
      action: job.kind,
      // C2PA can name the parent as an ingredient only when its format is one C2PA reads.
      derivation:
        job.sourceVideo && job.kind !== 'create' && c2paReadable(job.sourceVideo)
          ? { kind: job.kind === 'extend' ? 'extension' : job.kind, parentFile: job.sourceVideo }
          : undefined,
    });
    const full = resizeFrames(clip, job.width, job.height);
    await writeOutput(full, join(outDir, 'video.mp4'), { provenance });
    onProgress(0.95);
    const middle = Math.floor(full.frames / 2);
    const frameSize = job.width * job.height * 3;
    const still = {
      ...full,
      frames: 1,
      pixels: full.pixels.subarray(middle * frameSize, (middle + 1) * frameSize),
    };
    await writeOutput(still, join(outDir, 'thumbnail.png'), {
      provenance: { ...provenance, audit: undefined },
    });
    // Spritesheet tiles stay at the native size: small previews for scrubbing.
    await writeOutput(clip, join(outDir, 'spritesheet.png'), {
      format: 'spritesheet',
      provenance: { ...provenance, audit: undefined },
    });
    onProgress(1);
    return {
      video: 'video.mp4',
      thumbnail: 'thumbnail.png',
      spritesheet: 'spritesheet.png',
      nativeWidth: native.width,
      nativeHeight: native.height,
      frames: video.frames,
      fps,
      modelPrompt: expansion.prompt,
    };
  }

  private async readSource(
    file: string,
    size: { width: number; height: number },
    fps: number,
  ): Promise<VideoFrames> {
    try {
      return await readClip(file, size.width, size.height, fps);
    } catch (err) {
      throw new GenerationError(
        `cannot read the source video: ${(err as Error).message}`,
        'invalid_source_video',
      );
    }
  }
}
