// Input pictures and clips for the generation features, decoded at the generation's size (centre
// crop) and frame rate, with the media layer's typed errors for bad files.
import { decodeVideo } from '../media/decode.ts';
import { UnsupportedMediaError } from '../media/errors.ts';
import type { VideoFrames } from '../media/frames.ts';
import { probeMedia } from '../media/probe.ts';
import type { ModelBundle } from '../models/bundle.ts';
import { type FaceCheck, type LikenessAudit, screenLikeness } from '../safety/likeness.ts';
import { validShape } from './generate.ts';

/** Longest side of the default size chosen for an input (the model's training size). */
const DEFAULT_LONG_SIDE = 64;

/**
 * The generation size for an input when the user gives none: its own size when that fits the
 * grid and is small, else its aspect ratio at a long side of 64, rounded to the grid.
 */
export async function sizeForInput(
  model: ModelBundle,
  file: string,
): Promise<{ width: number; height: number }> {
  const info = await probeMedia(file);
  const own = validShape(model, info.width, info.height, 1);
  if (own.width === info.width && own.height === info.height && Math.max(info.width, info.height) <= 128)
    return { width: info.width, height: info.height };
  const scale = DEFAULT_LONG_SIDE / Math.max(info.width, info.height);
  const fitted = validShape(model, info.width * scale, info.height * scale, 1);
  return { width: fitted.width, height: fitted.height };
}

/** First frame of an image (or video) file as RGB uint8 (height, width, 3). */
export async function readImage(file: string, width: number, height: number): Promise<Uint8Array> {
  const video = await decodeVideo(file, { width, height, fit: 'crop' });
  if (video.frames < 1) throw new UnsupportedMediaError('has no frames', file);
  return video.pixels.slice(0, width * height * 3);
}

/** A whole clip, resampled to `fps` and cropped to width × height. */
export async function readClip(
  file: string,
  width: number,
  height: number,
  fps: number,
): Promise<VideoFrames> {
  const video = await decodeVideo(file, { width, height, fps, fit: 'crop' });
  if (video.frames < 1) throw new UnsupportedMediaError('has no frames', file);
  return video;
}

/** Long side the face detector sees an input at: faces must keep enough pixels to be found. */
const FACE_CHECK_SIDE = 320;
/** Frames decoded from an input clip for the face check, spread over its whole length. */
const FACE_CHECK_FRAMES = 12;

/**
 * The likeness rule on a user's input file (picture or clip): faces are looked for in the file as
 * given (up to 320 px, a dozen frames spread over a clip), not in the small crop the model sees,
 * and an input showing faces is refused without consent (LikenessRefused), with an audit record.
 */
export async function screenInput(file: string, consent: boolean, audit?: LikenessAudit): Promise<FaceCheck> {
  const info = await probeMedia(file);
  const scale = Math.min(1, FACE_CHECK_SIDE / Math.max(info.width, info.height));
  // Resampled so that memory stays small however long the clip is.
  const clip = info.fps !== undefined && info.frames > 1;
  const fps = clip ? Math.min(info.fps!, FACE_CHECK_FRAMES / Math.max(info.durationS, 1e-3)) : undefined;
  const frames = await decodeVideo(file, {
    width: Math.max(2, Math.round(info.width * scale)),
    height: Math.max(2, Math.round(info.height * scale)),
    fit: 'stretch',
    ...(fps === undefined ? {} : { fps }),
  });
  if (frames.frames < 1) throw new UnsupportedMediaError('has no frames', file);
  return screenLikeness(frames, consent, audit);
}
