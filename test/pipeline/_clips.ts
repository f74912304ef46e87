// Small inputs for the generation tests: smooth pictures (so video codecs keep them well) and the
// settings every test shares (the tiny model's 16×16 grid, 3 steps).
import type { VideoFrames } from '../../src/media/frames.ts';

export const SIZE = 16;

export const settings = {
  prompt: 'a red ball moves to the right',
  seed: 3,
  steps: 3,
  guidanceScale: 2,
  sampler: 'euler' as const,
  width: SIZE,
  height: SIZE,
  fps: 8,
};

/** A smooth colour gradient, RGB uint8 (SIZE, SIZE, 3); `shift` makes different pictures. */
export function gradient(shift = 0): Uint8Array {
  const image = new Uint8Array(SIZE * SIZE * 3);
  for (let y = 0; y < SIZE; y++)
    for (let x = 0; x < SIZE; x++) {
      const o = (y * SIZE + x) * 3;
      image[o] = 40 + 10 * x + shift;
      image[o + 1] = 60 + 8 * y;
      image[o + 2] = (200 - 5 * (x + y) + 3 * shift) & 255;
    }
  return image;
}

/** A clip of `frames` gradients, each shifted a little more. */
export function gradientClip(frames: number, start = 0): VideoFrames {
  const size = SIZE * SIZE * 3;
  const pixels = new Uint8Array(frames * size);
  for (let f = 0; f < frames; f++) pixels.set(gradient(start + 4 * f), f * size);
  return { pixels, frames, width: SIZE, height: SIZE, fps: 8 };
}

export function frame(pixels: Uint8Array, f: number): Uint8Array {
  const size = SIZE * SIZE * 3;
  return pixels.slice(f * size, (f + 1) * size);
}

export const shape = (frames: number) => ({ frames, width: SIZE, height: SIZE });
