// The frame layout every provenance step works on: RGB uint8, (frames, height, width, 3), the same
// layout as the world's clips and the media decoder's output.

/** A video (or a still image, frames = 1) as packed RGB bytes. */
export interface RgbFrames {
  /** RGB uint8, (frames, height, width, 3). */
  pixels: Uint8Array;
  frames: number;
  height: number;
  width: number;
}

/** Frames whose declared shape does not match their bytes. */
export class FrameShapeError extends Error {
  static readonly userError = true;
  override name = 'FrameShapeError';
}

/** Throws FrameShapeError unless the shape is positive and matches the byte count. */
export function checkFrames(video: RgbFrames): void {
  const { frames, height, width, pixels } = video;
  for (const [what, n] of [
    ['frames', frames],
    ['height', height],
    ['width', width],
  ] as const) {
    if (!Number.isInteger(n) || n <= 0)
      throw new FrameShapeError(`${what} must be a positive integer, got ${n}`);
  }
  const expected = frames * height * width * 3;
  if (pixels.length !== expected) {
    throw new FrameShapeError(
      `expected ${expected} bytes for ${frames}x${height}x${width}x3 frames, got ${pixels.length}`,
    );
  }
}

/** Rec. 601 luma of one frame as floats in 0..255, row-major (height, width). */
export function frameLuma(video: RgbFrames, frame: number): Float32Array {
  const { height, width, pixels } = video;
  const n = height * width;
  const out = new Float32Array(n);
  const base = frame * n * 3;
  for (let i = 0; i < n; i++) {
    const p = base + i * 3;
    out[i] = 0.299 * pixels[p]! + 0.587 * pixels[p + 1]! + 0.114 * pixels[p + 2]!;
  }
  return out;
}

/** Peak signal-to-noise ratio in dB between two videos of the same shape (Infinity when identical). */
export function psnr(a: RgbFrames, b: RgbFrames): number {
  if (a.pixels.length !== b.pixels.length)
    throw new FrameShapeError('PSNR needs two videos of the same shape');
  let sum = 0;
  for (let i = 0; i < a.pixels.length; i++) {
    const d = a.pixels[i]! - b.pixels[i]!;
    sum += d * d;
  }
  const mse = sum / a.pixels.length;
  return mse === 0 ? Number.POSITIVE_INFINITY : 10 * Math.log10((255 * 255) / mse);
}
