// Seamless loops: the clip starts on a picture and is generated to arrive back at the same
// picture one step after its last frame (first and last latent frames conditioned on it), so
// playing it on repeat shows no jump. Without a picture, the prompt's still image (a 1-frame
// video, same seed) is the loop's key frame.
import {
  framesOfLatent,
  type GivenFrames,
  generateThrough,
  latentOfFrame,
  temporalPatch,
} from './conditioning.ts';
import type { GeneratedVideo, VideoPipeline } from './generate.ts';
import { checkSettings, type GenerationSettings } from './settings.ts';

export interface LoopRequest extends GenerationSettings {
  /** Frames of the loop, 1 + 2k, at least 3. */
  frames: number;
  /** The key frame, RGB uint8 (height, width, 3); default: the prompt's still image. */
  image?: Uint8Array;
  onProgress?: (percent: number) => void;
}

export class LoopError extends Error {
  override name = 'LoopError';
  static readonly userError = true;
}

export async function loopVideo(pipeline: VideoPipeline, request: LoopRequest): Promise<GeneratedVideo> {
  const { model } = pipeline;
  checkSettings(model, request);
  if (request.frames < 3) throw new LoopError(`a loop needs at least 3 frames, got ${request.frames}`);
  const key =
    request.image ?? (await pipeline.generate({ ...request, frames: 1, onProgress: undefined })).pixels;
  // Window = the loop + one more latent frame that is the key frame again (then cut off).
  const window = request.frames + temporalPatch(model);
  const given: GivenFrames = new Map([[0, key]]);
  const [from, to] = framesOfLatent(model, latentOfFrame(model, window - 1));
  for (let f = from; f < to; f++) given.set(f, key);
  const generated = await generateThrough(pipeline, { ...request, frames: window }, given);
  const frameSize = request.width * request.height * 3;
  return {
    ...generated,
    pixels: generated.pixels.slice(0, request.frames * frameSize),
    frames: request.frames,
  };
}
