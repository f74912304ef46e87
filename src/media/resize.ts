// Bilinear resizing of whole clips: the model samples at its native size, users ask for more
// pixels (the Videos API's 720x1280); upscaling happens here, once, before encoding.
import type { VideoFrames } from './frames.ts';

/** For each output pixel along one axis: the two source pixels to blend and the weight of the second. */
function bilinearAxis(out: number, inp: number) {
  const lo = new Int32Array(out);
  const hi = new Int32Array(out);
  const t = new Float32Array(out);
  for (let o = 0; o < out; o++) {
    const x = Math.min(inp - 1, Math.max(0, ((o + 0.5) * inp) / out - 0.5));
    lo[o] = Math.floor(x);
    hi[o] = Math.min(inp - 1, lo[o]! + 1);
    t[o] = x - lo[o]!;
  }
  return { lo, hi, t };
}

/** The clip at width × height (pixel centres aligned, edges clamped). */
export function resizeFrames(clip: VideoFrames, width: number, height: number): VideoFrames {
  if (clip.width === width && clip.height === height) return clip;
  const { width: w, height: h } = clip;
  const xs = bilinearAxis(width, w);
  const ys = bilinearAxis(height, h);
  const out = new Uint8Array(clip.frames * width * height * 3);
  for (let f = 0; f < clip.frames; f++) {
    const src = clip.pixels.subarray(f * w * h * 3, (f + 1) * w * h * 3);
    const base = f * width * height * 3;
    for (let y = 0; y < height; y++) {
      const top = ys.lo[y]! * w;
      const bottom = ys.hi[y]! * w;
      const ty = ys.t[y]!;
      for (let x = 0; x < width; x++) {
        const a = (top + xs.lo[x]!) * 3;
        const b = (top + xs.hi[x]!) * 3;
        const c = (bottom + xs.lo[x]!) * 3;
        const d = (bottom + xs.hi[x]!) * 3;
        const tx = xs.t[x]!;
        const o = base + (y * width + x) * 3;
        for (let k = 0; k < 3; k++) {
          const upper = src[a + k]! + (src[b + k]! - src[a + k]!) * tx;
          const lower = src[c + k]! + (src[d + k]! - src[c + k]!) * tx;
          out[o + k] = Math.round(upper + (lower - upper) * ty);
        }
      }
    }
  }
  return { ...clip, pixels: out, width, height };
}
