// Image → video: a picture becomes the first frame of a generated clip, and optionally a second
// picture its last (keyframe interpolation). Both come out exactly as given.
import { framesOfLatent, type GivenFrames, generateThrough, latentOfFrame } from './conditioning.ts';
import type { GeneratedVideo, VideoPipeline } from './generate.ts';
import { checkSettings, type GenerationSettings } from './settings.ts';

export interface AnimateRequest extends GenerationSettings {
  /** The first frame, RGB uint8 (height, width, 3). */
  image: Uint8Array;
  /** The last frame, RGB uint8 (height, width, 3): the clip ends on it. */
  lastImage?: Uint8Array;
  /** Pixel frames, 1 + 2k (at least 3 with a last image, so something lies between). */
  frames: number;
  onProgress?: (percent: number) => void;
}

export async function imageToVideo(
  pipeline: VideoPipeline,
  request: AnimateRequest,
): Promise<GeneratedVideo> {
  const { model } = pipeline;
  checkSettings(model, request);
  const given: GivenFrames = new Map([[0, request.image]]);
  if (request.lastImage) {
    // The last latent frame holds the last `temporalPatch` pixel frames: the picture is held
    // still across them, which is how the model saw first+last conditioning in training.
    const last = latentOfFrame(model, request.frames - 1);
    const [from, to] = framesOfLatent(model, last);
    if (last === 0) throw new ImageToVideoError('a clip with a last image needs at least 3 frames');
    for (let f = from; f < to; f++) given.set(f, request.lastImage);
  }
  return generateThrough(pipeline, request, given);
}

export class ImageToVideoError extends Error {
  override name = 'ImageToVideoError';
  static readonly userError = true;
}
