// A VideoGenerator on the world renderer: the prompt is parsed into a scene (or, when the world
// cannot read it, a scene is sampled from the seed), rendered at a native size with the requested
// aspect ratio, upscaled to the requested pixels and encoded (MP4, PNG thumbnail, PNG
// spritesheet). It stands in for the text-to-video pipeline: the same files, the same progress,
// the same cancellation, with no model. Swap it for the pipeline in `kinema serve`.
import { encodeVideo } from '../media/encode-video.ts';
import type { FrameStream, VideoFrames } from '../media/frames.ts';
import { writeSpritesheet } from '../media/spritesheet.ts';
import { writeThumbnail } from '../media/thumbnail.ts';
import { PromptError, parsePrompt, UnknownWordsError } from '../world/prompt.ts';
import { renderClip } from '../world/render.ts';
import { sampleScene } from '../world/sample.ts';
import type { SceneSpec } from '../world/spec.ts';
import type { GeneratedVideo, VideoGenerator, VideoJobInput } from './generator.ts';
import { fitNative } from './sizes.ts';

export interface WorldGeneratorOptions {
  /** Longest side of the native render (the renderer is exact at any size; this keeps it cheap). */
  maxNativeSide?: number;
  /** Frame rate when the job does not ask for one. */
  defaultFps?: number;
  /** x264 preset: speed over size. */
  preset?: string;
}

function sceneFor(job: VideoJobInput, width: number, height: number, frames: number, fps: number): SceneSpec {
  try {
    return parsePrompt(job.prompt, { width, height, frames, fps, seed: job.seed, unknown: 'ignore' });
  } catch (err) {
    if (!(err instanceof PromptError || err instanceof UnknownWordsError)) throw err;
    return sampleScene(job.seed, { width, height, frames, fps });
  }
}

/** For each output pixel along one axis: the two source pixels to blend and the weight of the second. */
function bilinearAxis(out: number, inp: number) {
  const lo = new Int32Array(out);
  const hi = new Int32Array(out);
  const t = new Float32Array(out);
  for (let o = 0; o < out; o++) {
    const x = Math.min(inp - 1, Math.max(0, ((o + 0.5) * inp) / out - 0.5));
    lo[o] = Math.floor(x);
    hi[o] = Math.min(inp - 1, lo[o]! + 1);
    t[o] = x - lo[o]!;
  }
  return { lo, hi, t };
}

/** Bilinear upscaling, one frame at a time, as a stream the encoder pulls from. */
function upscaled(
  clip: VideoFrames,
  width: number,
  height: number,
  onFrame: (i: number) => void,
  signal: AbortSignal,
): FrameStream {
  const { width: w, height: h } = clip;
  const xs = bilinearAxis(width, w);
  const ys = bilinearAxis(height, h);
  async function* chunks() {
    for (let f = 0; f < clip.frames; f++) {
      signal.throwIfAborted();
      const src = clip.pixels.subarray(f * w * h * 3, (f + 1) * w * h * 3);
      const out = new Uint8Array(width * height * 3);
      for (let y = 0; y < height; y++) {
        const top = ys.lo[y]! * w;
        const bottom = ys.hi[y]! * w;
        const ty = ys.t[y]!;
        for (let x = 0; x < width; x++) {
          const a = (top + xs.lo[x]!) * 3;
          const b = (top + xs.hi[x]!) * 3;
          const c = (bottom + xs.lo[x]!) * 3;
          const d = (bottom + xs.hi[x]!) * 3;
          const tx = xs.t[x]!;
          const o = (y * width + x) * 3;
          for (let k = 0; k < 3; k++) {
            const upper = src[a + k]! + (src[b + k]! - src[a + k]!) * tx;
            const lower = src[c + k]! + (src[d + k]! - src[c + k]!) * tx;
            out[o + k] = Math.round(upper + (lower - upper) * ty);
          }
        }
      }
      onFrame(f);
      yield out;
      // Let heartbeats and HTTP requests in between frames.
      await new Promise((resolve) => setImmediate(resolve));
    }
  }
  return { width, height, fps: clip.fps, chunks: chunks() };
}

export class WorldGenerator implements VideoGenerator {
  readonly models = ['kinema-world'] as const;
  private readonly maxNativeSide: number;
  private readonly defaultFps: number;
  private readonly preset: string;

  constructor(options: WorldGeneratorOptions = {}) {
    this.maxNativeSide = options.maxNativeSide ?? 128;
    this.defaultFps = options.defaultFps ?? 8;
    this.preset = options.preset ?? 'veryfast';
  }

  nativeSize(width: number, height: number) {
    return fitNative(width, height, this.maxNativeSide);
  }

  async generate(
    job: VideoJobInput,
    outDir: string,
    onProgress: (fraction: number) => void,
    signal: AbortSignal,
  ): Promise<GeneratedVideo> {
    const fps = job.fps ?? this.defaultFps;
    const frames = Math.max(1, Math.round(job.seconds * fps));
    const native = this.nativeSize(job.width, job.height);
    const spec = sceneFor(job, native.width, native.height, frames, fps);
    const rendered = renderClip(spec, job.seed, { captions: false });
    const clip: VideoFrames = {
      pixels: rendered.pixels,
      frames,
      width: native.width,
      height: native.height,
      fps,
    };
    onProgress(0.2);
    signal.throwIfAborted();
    const stream = upscaled(
      clip,
      job.width,
      job.height,
      (f) => onProgress(0.2 + (0.7 * (f + 1)) / frames),
      signal,
    );
    await encodeVideo(stream, `${outDir}/video.mp4`, { format: 'mp4', preset: this.preset });
    signal.throwIfAborted();
    const frameSize = native.width * native.height * 3;
    const middle = Math.floor(frames / 2);
    const middleFrame = {
      ...clip,
      frames: 1,
      pixels: clip.pixels.subarray(middle * frameSize, (middle + 1) * frameSize),
    };
    const still = await firstChunk(upscaled(middleFrame, job.width, job.height, () => {}, signal));
    await writeThumbnail(
      { pixels: still, frames: 1, width: job.width, height: job.height, fps },
      `${outDir}/thumbnail.png`,
    );
    // Spritesheet tiles stay at the native size: small previews for scrubbing.
    await writeSpritesheet(clip, `${outDir}/spritesheet.png`, { maxTiles: 16 });
    onProgress(1);
    return {
      video: 'video.mp4',
      thumbnail: 'thumbnail.png',
      spritesheet: 'spritesheet.png',
      nativeWidth: native.width,
      nativeHeight: native.height,
      frames,
      fps,
    };
  }
}

async function firstChunk(stream: FrameStream): Promise<Uint8Array> {
  for await (const chunk of stream.chunks) return chunk;
  throw new Error('the stream held no frame');
}
