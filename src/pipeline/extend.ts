// Extending a video forward or backward in time.
//
// Forward: the last frames of the video (a whole number of latent frames from frame 0 of a new
// window: 1 + 2m of them) are given as the window's prefix — the model was trained with prefix
// conditioning — and it generates what follows. Backward: the video's first frames become the
// window's last latent frame(s) and the model generates what led up to them (as with last-frame
// conditioning). Either way the original frames come out untouched and the new ones are joined on.
import type { VideoFrames } from '../media/frames.ts';
import { checkClipLength, type GivenFrames, generateThrough, temporalPatch } from './conditioning.ts';
import type { GeneratedVideo, VideoPipeline } from './generate.ts';
import { checkSettings, type GenerationSettings } from './settings.ts';

export class ExtendError extends Error {
  override name = 'ExtendError';
  static readonly userError = true;
}

export type ExtendDirection = 'forward' | 'backward';

export interface ExtendRequest extends GenerationSettings {
  /** The clip to extend, already at width × height (its fps is replaced by the settings' fps). */
  video: VideoFrames;
  /** New frames to add. */
  addFrames: number;
  direction: ExtendDirection;
  /** Frames of the clip the model sees; default 5 forward (3 latent frames), 2 backward (1). */
  contextFrames?: number;
  onProgress?: (percent: number) => void;
}

export interface ExtendedVideo extends GeneratedVideo {
  /** Frames [from, to) of the result that are new. */
  added: [number, number];
}

const DEFAULT_CONTEXT = { forward: 5, backward: 2 } as const;

export async function extendVideo(pipeline: VideoPipeline, request: ExtendRequest): Promise<ExtendedVideo> {
  const { model } = pipeline;
  checkSettings(model, request);
  const { video, addFrames, direction } = request;
  const { width, height } = request;
  if (video.width !== width || video.height !== height)
    throw new ExtendError(
      `the clip is ${video.width}x${video.height}, but the request is ${width}x${height}`,
    );
  if (!Number.isInteger(addFrames) || addFrames < 1)
    throw new ExtendError(`frames to add must be a positive integer, got ${addFrames}`);
  checkClipLength(video.frames + addFrames, 'the extended clip');
  const temporal = temporalPatch(model);
  const frameSize = width * height * 3;
  const frame = (f: number) => video.pixels.subarray(f * frameSize, (f + 1) * frameSize);
  const wanted = Math.min(request.contextFrames ?? DEFAULT_CONTEXT[direction], video.frames);
  const given: GivenFrames = new Map();
  const output = new Uint8Array((video.frames + addFrames) * frameSize);

  if (direction === 'forward') {
    // Context 1 + temporal·m frames at the window's start; new frames rounded up to whole latents.
    const context = 1 + temporal * Math.floor((wanted - 1) / temporal);
    const fresh = temporal * Math.ceil(addFrames / temporal);
    const window = context + fresh;
    for (let i = 0; i < context; i++) given.set(i, frame(video.frames - context + i));
    const generated = await generateThrough(pipeline, { ...request, frames: window }, given);
    output.set(video.pixels);
    output.set(
      generated.pixels.subarray(context * frameSize, (context + addFrames) * frameSize),
      video.frames * frameSize,
    );
    return {
      ...generated,
      pixels: output,
      frames: video.frames + addFrames,
      added: [video.frames, video.frames + addFrames],
    };
  }

  // Backward: the clip's first temporal·m frames close the window; latent 0 is always new.
  const context = temporal * Math.floor(wanted / temporal);
  if (context < temporal)
    throw new ExtendError(
      `extending backward needs a clip of at least ${temporal} frames (the model's last latent frame holds ${temporal})`,
    );
  const fresh = 1 + temporal * Math.ceil((addFrames - 1) / temporal);
  const window = fresh + context;
  for (let i = 0; i < context; i++) given.set(fresh + i, frame(i));
  const generated = await generateThrough(pipeline, { ...request, frames: window }, given);
  output.set(generated.pixels.subarray((fresh - addFrames) * frameSize, fresh * frameSize));
  output.set(video.pixels, addFrames * frameSize);
  return { ...generated, pixels: output, frames: video.frames + addFrames, added: [0, addFrames] };
}
