// Given frames → the model's conditioning inputs, and back: the one mechanism behind
// image-to-video, extension, connecting clips and loops.
//
// The autoencoder is causal: pixel frame 0 alone is latent frame 0, then every `temporalPatch`
// frames make one latent frame. A latent frame can be given to the DiT clean only when all of its
// pixel frames are given, so callers place their frames on whole latent frames:
//
//   pixel frames   0 | 1 2 | 3 4 | … | F−2 F−1
//   latent frames  0 |  1  |  2  | … |   k
//
// After decoding, the given frames are pasted back exactly (users expect their picture, not the
// decoder's rendition of it), and the decoder's error at each pasted frame is spread over the
// generated frames next to it, fading with distance, so no seam appears where they meet.

import type { ModelBundle } from '../models/bundle.ts';
import type { GeneratedVideo, VideoPipeline } from './generate.ts';
import type { GenerationSettings } from './settings.ts';

export class ConditioningError extends Error {
  override name = 'ConditioningError';
  static readonly userError = true;
}

/** Frames a clip may have at most: a guard against requests that would run for hours. */
export const MAX_FRAMES = 257;

/** Latent frame that holds pixel frame `frame`. */
export function latentOfFrame(model: ModelBundle, frame: number): number {
  const temporal = model.preset.autoencoder.temporalPatch;
  return frame === 0 ? 0 : Math.floor((frame - 1) / temporal) + 1;
}

/** First and one-past-last pixel frame of latent frame `latent`. */
export function framesOfLatent(model: ModelBundle, latent: number): [number, number] {
  const temporal = model.preset.autoencoder.temporalPatch;
  return latent === 0 ? [0, 1] : [1 + (latent - 1) * temporal, 1 + latent * temporal];
}

/** Frames per latent frame after the first. */
export function temporalPatch(model: ModelBundle): number {
  return model.preset.autoencoder.temporalPatch;
}

/** The smallest valid clip length (1 + temporalPatch·k) that is at least `frames`. */
export function framesAtLeast(model: ModelBundle, frames: number): number {
  const temporal = temporalPatch(model);
  return 1 + temporal * Math.max(0, Math.ceil((frames - 1) / temporal));
}

export function checkClipLength(frames: number, what = 'the clip'): void {
  if (frames > MAX_FRAMES)
    throw new ConditioningError(
      `${what} would have ${frames} frames; at most ${MAX_FRAMES} can be generated at once (lower --seconds or --fps)`,
    );
}

/** A clip's given frames: pixel frame index → RGB uint8 (height, width, 3). */
export type GivenFrames = Map<number, Uint8Array>;

export interface Conditioning {
  /** RGB uint8 (frames, height, width, 3); frames not given are mid-grey (ignored by the mask). */
  conditionPixels: Uint8Array;
  /** Per latent frame: 1 where the latent frame is given clean. */
  conditionLatentMask: Float32Array;
}

/** Builds the model's conditioning inputs; every latent frame touched must be fully given. */
export function conditionOn(
  model: ModelBundle,
  shape: { width: number; height: number; frames: number },
  given: GivenFrames,
): Conditioning {
  const frameSize = shape.width * shape.height * 3;
  const conditionPixels = new Uint8Array(shape.frames * frameSize).fill(128);
  const latents = latentOfFrame(model, shape.frames - 1) + 1;
  const conditionLatentMask = new Float32Array(latents);
  for (const [frame, pixels] of given) {
    if (frame < 0 || frame >= shape.frames)
      throw new ConditioningError(`given frame ${frame} is outside the clip (0..${shape.frames - 1})`);
    if (pixels.length !== frameSize)
      throw new ConditioningError(
        `given frame ${frame} has ${pixels.length} bytes, expected ${frameSize} (${shape.width}x${shape.height} RGB)`,
      );
    conditionPixels.set(pixels, frame * frameSize);
    conditionLatentMask[latentOfFrame(model, frame)] = 1;
  }
  for (let latent = 0; latent < latents; latent++) {
    if (!conditionLatentMask[latent]) continue;
    const [from, to] = framesOfLatent(model, latent);
    for (let f = from; f < to; f++)
      if (!given.has(f))
        throw new ConditioningError(
          `latent frame ${latent} covers pixel frames ${from}..${to - 1}, but frame ${f} is not given`,
        );
  }
  return { conditionPixels, conditionLatentMask };
}

/**
 * Pastes the given frames into a decoded clip (in place) and spreads the decoder's error at them
 * over the generated frames: each generated frame gets the error of the nearest given frame on
 * each side, weighted linearly by closeness (fading to nothing at the clip's ends).
 */
export function pasteGivenFrames(
  pixels: Uint8Array,
  shape: { width: number; height: number; frames: number },
  given: GivenFrames,
): void {
  const frameSize = shape.width * shape.height * 3;
  const anchors = [...given.keys()].sort((a, b) => a - b);
  if (anchors.length === 0) return;
  // Decoder error at each given frame: exact − decoded, (height, width, 3) as floats.
  const error = new Map<number, Float32Array>();
  for (const frame of anchors) {
    const exact = given.get(frame)!;
    const e = new Float32Array(frameSize);
    const o = frame * frameSize;
    for (let i = 0; i < frameSize; i++) e[i] = exact[i]! - pixels[o + i]!;
    error.set(frame, e);
  }
  for (let f = 0; f < shape.frames; f++) {
    const o = f * frameSize;
    if (given.has(f)) {
      pixels.set(given.get(f)!, o);
      continue;
    }
    const before = anchors.filter((a) => a < f).at(-1);
    const after = anchors.find((a) => a > f);
    // Weight of each side: 1 at the anchor, 0 at the other anchor or one frame past the clip's end.
    const left = before === undefined ? -1 : before;
    const right = after === undefined ? shape.frames : after;
    const span = right - left;
    const wBefore = before === undefined ? 0 : (right - f) / span;
    const wAfter = after === undefined ? 0 : (f - left) / span;
    const eb = before === undefined ? undefined : error.get(before)!;
    const ea = after === undefined ? undefined : error.get(after)!;
    for (let i = 0; i < frameSize; i++) {
      const correction = (eb ? wBefore * eb[i]! : 0) + (ea ? wAfter * ea[i]! : 0);
      pixels[o + i] = Math.max(0, Math.min(255, Math.round(pixels[o + i]! + correction)));
    }
  }
}

/** Frame `f` of a clip (a view, not a copy). */
export function frameOf(pixels: Uint8Array, width: number, height: number, f: number): Uint8Array {
  const size = width * height * 3;
  return pixels.subarray(f * size, (f + 1) * size);
}

/** Generates a clip of `frames` frames that passes through the given frames exactly. */
export async function generateThrough(
  pipeline: VideoPipeline,
  settings: GenerationSettings & { frames: number; onProgress?: (percent: number) => void },
  given: GivenFrames,
): Promise<GeneratedVideo> {
  checkClipLength(settings.frames);
  const conditioning = conditionOn(pipeline.model, settings, given);
  const video = await pipeline.generate({ ...settings, ...conditioning });
  pasteGivenFrames(video.pixels, video, given);
  return video;
}
