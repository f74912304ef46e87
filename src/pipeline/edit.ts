// Video → video editing (SDEdit): the input clip is encoded, noised to time `strength` and
// denoised toward the new prompt. Strength 0 keeps the input exactly; 1 ignores it entirely.
import type { VideoFrames } from '../media/frames.ts';
import { tokenize } from '../models/text.ts';
import { checkClipLength, framesAtLeast } from './conditioning.ts';
import type { GeneratedVideo, VideoPipeline } from './generate.ts';
import { checkSettings, type GenerationSettings } from './settings.ts';

export class EditError extends Error {
  override name = 'EditError';
  static readonly userError = true;
}

export interface EditRequest extends GenerationSettings {
  /** The clip to edit, already at width × height. */
  video: VideoFrames;
  /** 0..1: how far the result may move from the input. */
  strength: number;
  onProgress?: (percent: number) => void;
}

export async function editVideo(pipeline: VideoPipeline, request: EditRequest): Promise<GeneratedVideo> {
  const { model } = pipeline;
  const { video, strength, width, height } = request;
  checkSettings(model, request);
  if (!(strength >= 0 && strength <= 1))
    throw new EditError(`strength must be from 0 (keep the input) to 1 (ignore it), got ${strength}`);
  if (video.width !== width || video.height !== height)
    throw new EditError(`the clip is ${video.width}x${video.height}, but the request is ${width}x${height}`);
  checkClipLength(video.frames, 'the clip to edit');
  const same = {
    pixels: video.pixels.slice(),
    frames: video.frames,
    width,
    height,
    fps: request.fps,
    unknownWords: tokenize(model.tokenizer, request.prompt).unknown,
    modelId: model.id,
  };
  if (strength === 0) {
    request.onProgress?.(100);
    return same;
  }
  // The model needs 1 + 2k frames: hold the last frame to fill the grid, then cut it off again.
  const frameSize = width * height * 3;
  const frames = framesAtLeast(model, video.frames);
  const padded = new Uint8Array(frames * frameSize);
  padded.set(video.pixels);
  const last = video.pixels.subarray((video.frames - 1) * frameSize);
  for (let f = video.frames; f < frames; f++) padded.set(last, f * frameSize);
  const edited = await pipeline.generate({
    ...request,
    frames,
    conditionPixels: padded,
    startTime: strength,
  });
  return { ...edited, pixels: edited.pixels.slice(0, video.frames * frameSize), frames: video.frames };
}
