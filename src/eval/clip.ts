// A clip's pixels as the oracle sees them, and the frame-to-frame change measure that the
// oracle's flicker score and the generation code's seam checks share.
//
// Layout everywhere in src/eval: RGB uint8, (frames, height, width, 3), row-major.

/** The pixels of a clip do not match the size the spec says. */
export class ClipShapeError extends Error {
  override name = 'ClipShapeError';
  static readonly userError = true;
}

export interface ClipShape {
  frames: number;
  height: number;
  width: number;
}

/** Throw unless `pixels` holds exactly frames*height*width*3 bytes. */
export function checkShape(pixels: Uint8Array, shape: ClipShape): void {
  const want = shape.frames * shape.height * shape.width * 3;
  if (pixels.length !== want) {
    throw new ClipShapeError(
      `clip has ${pixels.length} bytes, expected ${want} for ${shape.frames} frames of ${shape.width}x${shape.height} RGB`,
    );
  }
}

/** Byte offset of frame `f`. */
export function frameOffset(shape: ClipShape, f: number): number {
  return f * shape.height * shape.width * 3;
}

/**
 * Mean absolute difference (0..255) between frames a and b over all pixels and channels.
 * This is the plain "how much did the picture change" measure: at a loop seam or a chunk
 * boundary it should look like any other step of the clip.
 */
export function frameDifference(pixels: Uint8Array, shape: ClipShape, a: number, b: number): number {
  checkShape(pixels, shape);
  if (a < 0 || b < 0 || a >= shape.frames || b >= shape.frames) {
    throw new ClipShapeError(`frame index out of range: ${a}, ${b} (clip has ${shape.frames} frames)`);
  }
  const n = shape.height * shape.width * 3;
  const oa = frameOffset(shape, a);
  const ob = frameOffset(shape, b);
  let sum = 0;
  for (let i = 0; i < n; i++) sum += Math.abs(pixels[oa + i]! - pixels[ob + i]!);
  return sum / n;
}

/** Frame-to-frame change statistics of a clip: what a "normal" step looks like. */
export interface FrameChange {
  /** frameDifference(t, t+1) for every t, length frames-1. */
  steps: number[];
  /** Median step: robust to the occasional cut. */
  median: number;
  /** Largest step and where it is (the frame after the jump). */
  max: number;
  maxAt: number;
}

/** Change between consecutive frames over the clip (empty steps for a one-frame clip). */
export function frameChange(pixels: Uint8Array, shape: ClipShape): FrameChange {
  checkShape(pixels, shape);
  const steps: number[] = [];
  for (let f = 0; f + 1 < shape.frames; f++) steps.push(frameDifference(pixels, shape, f, f + 1));
  let max = 0;
  let maxAt = 0;
  steps.forEach((s, i) => {
    if (s > max) {
      max = s;
      maxAt = i + 1;
    }
  });
  return { steps, median: median(steps), max, maxAt };
}

/**
 * How much a seam between frames a and b stands out: its frameDifference divided by the clip's
 * median step. About 1 is invisible; well above 2 reads as a jump.
 */
export function seamRatio(pixels: Uint8Array, shape: ClipShape, a: number, b: number): number {
  const typical = frameChange(pixels, shape).median;
  return frameDifference(pixels, shape, a, b) / Math.max(typical, 0.5);
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return 0;
  const s = [...values].sort((x, y) => x - y);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Mean luminance (0..255, Rec.601 weights) of one frame. */
export function frameLuma(pixels: Uint8Array, shape: ClipShape, f: number): number {
  const n = shape.height * shape.width;
  const o = frameOffset(shape, f);
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const p = o + 3 * i;
    sum += 0.299 * pixels[p]! + 0.587 * pixels[p + 1]! + 0.114 * pixels[p + 2]!;
  }
  return sum / n;
}
