// Connecting two clips with a generated transition: the window starts on A's last frame and ends
// on B's first frames (B's first latent frame after frame 0), so it runs from one into the other.
import type { VideoFrames } from '../media/frames.ts';
import { checkClipLength, type GivenFrames, generateThrough, temporalPatch } from './conditioning.ts';
import type { GeneratedVideo, VideoPipeline } from './generate.ts';
import { checkSettings, type GenerationSettings } from './settings.ts';

export class ConnectError extends Error {
  override name = 'ConnectError';
  static readonly userError = true;
}

export interface ConnectRequest extends GenerationSettings {
  /** Both at width × height. */
  first: VideoFrames;
  second: VideoFrames;
  /** Generated frames between A's last and B's first (rounded up to whole latent frames; default 8). */
  transitionFrames?: number;
  onProgress?: (percent: number) => void;
}

export interface ConnectedVideo extends GeneratedVideo {
  /** Frames [from, to) of the result that are generated: A is before, B after. */
  transition: [number, number];
}

export async function connectVideos(
  pipeline: VideoPipeline,
  request: ConnectRequest,
): Promise<ConnectedVideo> {
  const { model } = pipeline;
  checkSettings(model, request);
  const { first, second, width, height } = request;
  for (const [name, clip] of [
    ['A', first],
    ['B', second],
  ] as const) {
    if (clip.width !== width || clip.height !== height)
      throw new ConnectError(
        `clip ${name} is ${clip.width}x${clip.height}, but the request is ${width}x${height}`,
      );
  }
  const temporal = temporalPatch(model);
  if (second.frames < temporal)
    throw new ConnectError(
      `clip B needs at least ${temporal} frames (one latent frame), it has ${second.frames}`,
    );
  const wanted = request.transitionFrames ?? 8;
  if (!Number.isInteger(wanted) || wanted < 1)
    throw new ConnectError(`transition frames must be a positive integer, got ${wanted}`);
  // Window (1 + temporal·k frames): A's last frame, the transition (whole latent frames), B's
  // first `temporal` frames (the last latent frame).
  const between = temporal * Math.ceil(wanted / temporal);
  const window = 1 + between + temporal;
  checkClipLength(first.frames + between + second.frames, 'the connected clip');
  const frameSize = width * height * 3;
  const given: GivenFrames = new Map([
    [0, first.pixels.subarray((first.frames - 1) * frameSize, first.frames * frameSize)],
  ]);
  for (let i = 0; i < temporal; i++)
    given.set(1 + between + i, second.pixels.subarray(i * frameSize, (i + 1) * frameSize));
  const generated = await generateThrough(pipeline, { ...request, frames: window }, given);
  const frames = first.frames + between + second.frames;
  const pixels = new Uint8Array(frames * frameSize);
  pixels.set(first.pixels);
  pixels.set(generated.pixels.subarray(frameSize, (1 + between) * frameSize), first.frames * frameSize);
  pixels.set(second.pixels, (first.frames + between) * frameSize);
  return { ...generated, pixels, frames, transition: [first.frames, first.frames + between] };
}
