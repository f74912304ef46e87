// Lighting normalisation: frames as they would look under full, constant light.
//
// The spec's lighting (fades, day to night) is divided out with the world's own light model, and
// a per-frame gain (clip luminance over reference luminance) absorbs whatever global brightness
// a generator got wrong, so colours can be compared with the palette in every frame.
import { lightingAt } from '../world/motion.ts';
import type { SceneSpec } from '../world/spec.ts';
import { type ClipShape, frameOffset } from './clip.ts';

/** Below this light level a frame is too dark to find objects in (fade-in/out ends). */
export const DARK_FRAME = 0.3;

/** Frame f divided by the spec's light and an extra `gain`: RGB floats (height, width, 3). */
export function normalizedFrame(
  pixels: Uint8Array,
  shape: ClipShape,
  spec: SceneSpec,
  f: number,
  gain = 1,
): Float32Array {
  const light = lightingAt(spec, f);
  const mul = [1 / (light.r * gain), 1 / (light.g * gain), 1 / (light.b * gain)];
  const n = shape.width * shape.height * 3;
  const o = frameOffset(shape, f);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i += 3) {
    out[i] = pixels[o + i]! * mul[0]!;
    out[i + 1] = pixels[o + i + 1]! * mul[1]!;
    out[i + 2] = pixels[o + i + 2]! * mul[2]!;
  }
  return out;
}

/** Frames whose light is too low to judge objects in. */
export function darkFrames(spec: SceneSpec): Uint8Array {
  const out = new Uint8Array(spec.frames);
  for (let f = 0; f < spec.frames; f++) out[f] = lightingAt(spec, f).brightness < DARK_FRAME ? 1 : 0;
  return out;
}

/** Luminance (height, width) of a normalised frame. */
export function lumaOf(frame: Float32Array): Float32Array {
  const out = new Float32Array(frame.length / 3);
  for (let i = 0; i < out.length; i++) {
    out[i] = 0.299 * frame[3 * i]! + 0.587 * frame[3 * i + 1]! + 0.114 * frame[3 * i + 2]!;
  }
  return out;
}
