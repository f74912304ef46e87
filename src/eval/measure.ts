// One clip measured the way the oracle needs it: normalised frames, blobs, object tracks in
// frame and scene coordinates, and the camera path. The judged clip and the reference clip
// (rendered from the spec) go through this same code, so detector biases cancel out when the
// two are compared.
import type { FrameTruth, SceneSpec } from '../world/spec.ts';
import { type CameraPath, estimateCamera } from './camera.ts';
import { type ClipShape, frameLuma, median } from './clip.ts';
import { darkFrames, lumaOf, normalizedFrame } from './normalize.ts';
import { type Blob, blobs, type ColorSet, colorSet, LABELS, labelImage } from './segment.ts';
import { type Expectation, type ObjectTrack, type TrackResult, trackObjects } from './track.ts';

export interface Measured {
  shape: ClipShape;
  /** Light-normalised frames, (height, width, 3) floats each. */
  frames: Float32Array[];
  /** Per pixel palette label or -1 (background), (height, width) each. */
  labels: Int8Array[];
  blobs: Blob[][];
  camera: CameraPath;
  /** Foreground (object) pixels dilated by one pixel, (height, width) each. */
  objectMask: Uint8Array[];
  /** Luminance per frame, (height, width) each. */
  luma: Float32Array[];
}

/** Blobs smaller than this are noise: 0.06 % of the frame (2 px at 64x64, 10 px at 128x128). */
export function minBlobArea(shape: ClipShape): number {
  return Math.max(2, Math.round(shape.width * shape.height * 0.0006));
}

function dilate(labels: Int8Array, w: number, h: number): Uint8Array {
  const out = new Uint8Array(labels.length);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      if (labels[y * w + x]! < 0) continue;
      for (let dy = -1; dy <= 1; dy++)
        for (let dx = -1; dx <= 1; dx++) {
          const xx = x + dx;
          const yy = y + dy;
          if (xx >= 0 && yy >= 0 && xx < w && yy < h) out[yy * w + xx] = 1;
        }
    }
  return out;
}

/**
 * 3x3 box blur of a luminance image: the camera search compares interpolated pixels with whole
 * ones, and interpolation averages noise away, which would make any sub-pixel shift of a noisy
 * flat frame look better than none. Blurring first makes noise smooth so that bias vanishes.
 */
function boxBlur3(img: Float32Array, w: number, h: number): Float32Array {
  const out = new Float32Array(img.length);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      let s = 0;
      let n = 0;
      for (let dy = -1; dy <= 1; dy++)
        for (let dx = -1; dx <= 1; dx++) {
          const xx = x + dx;
          const yy = y + dy;
          if (xx < 0 || yy < 0 || xx >= w || yy >= h) continue;
          s += img[yy * w + xx]!;
          n++;
        }
      out[y * w + x] = s / n;
    }
  return out;
}

/** Per-frame gain of a clip against the reference: ratio of mean luminances. */
export function gains(pixels: Uint8Array, ref: Uint8Array, shape: ClipShape): number[] {
  const out: number[] = [];
  for (let f = 0; f < shape.frames; f++) {
    out.push(Math.max(0.05, frameLuma(pixels, shape, f)) / Math.max(0.05, frameLuma(ref, shape, f)));
  }
  return out;
}

/** Background colour sets of the plate (the scene without objects), per frame. */
export function plateColors(spec: SceneSpec, plate: Uint8Array, shape: ClipShape): ColorSet[] {
  return Array.from({ length: shape.frames }, (_, f) => colorSet(normalizedFrame(plate, shape, spec, f)));
}

/** Normalise, segment and find the camera of a clip. */
export function measureClip(
  spec: SceneSpec,
  pixels: Uint8Array,
  shape: ClipShape,
  gain: readonly number[],
  background: readonly ColorSet[],
): Measured {
  const frames: Float32Array[] = [];
  const labels: Int8Array[] = [];
  const found: Blob[][] = [];
  const objectMask: Uint8Array[] = [];
  const luma: Float32Array[] = [];
  const minArea = minBlobArea(shape);
  for (let f = 0; f < shape.frames; f++) {
    const frame = normalizedFrame(pixels, shape, spec, f, gain[f]);
    const lab = labelImage(frame, background[f]!);
    frames.push(frame);
    labels.push(lab);
    found.push(blobs(lab, shape.width, shape.height, minArea));
    objectMask.push(dilate(lab, shape.width, shape.height));
    luma.push(boxBlur3(lumaOf(frame), shape.width, shape.height));
  }
  const camera = estimateCamera({ width: shape.width, height: shape.height, luma, mask: objectMask });
  return { shape, frames, labels, blobs: found, camera, objectMask, luma };
}

/**
 * Track the spec's objects in the reference clip, where the truth says exactly where each one is:
 * the cost is position only, a primary must lie within the object's drawn box, and an object is
 * looked for only where it is drawn and mostly unhidden.
 */
export function trackReference(m: Measured, spec: SceneSpec, truth: readonly FrameTruth[]): TrackResult {
  const n = m.shape.frames;
  const dark = darkFrames(spec);
  const expect: Expectation[] = spec.objects.map((o, k) => {
    const e: Expectation = {
      id: o.id,
      x: new Float64Array(n),
      y: new Float64Array(n),
      minArea: new Float64Array(n),
      radius: new Float64Array(n),
      signature: new Float64Array(LABELS).fill(1 / LABELS),
      maxDistance: 0,
      expected: new Uint8Array(n).fill(1),
      searchable: new Uint8Array(n),
    };
    for (let f = 0; f < n; f++) {
      const t = truth[f]!.objects[k]!;
      // truth x/y are continuous coordinates; blob centroids are pixel indices (centre at i + 0.5)
      e.x[f] = t.x - 0.5;
      e.y[f] = t.y - 0.5;
      // any piece will do (neon and sketch draw objects in fragments) as long as it is on the object
      e.minArea[f] = minBlobArea(m.shape);
      e.radius[f] = 0.75 * Math.max(t.w, t.h) + 1;
      e.searchable[f] = t.present && t.occluded < 0.5 && !dark[f] ? 1 : 0;
    }
    return e;
  });
  return trackObjects(m.blobs, expect, Math.min(m.shape.width, m.shape.height), Number.POSITIVE_INFINITY);
}

/** Mean colour signature of a reference track (uniform when never seen). */
export function signatureOf(t: ObjectTrack): Float64Array {
  const sig = new Float64Array(LABELS);
  let k = 0;
  for (let f = 0; f < t.present.length; f++) {
    if (!t.present[f]) continue;
    for (let l = 0; l < LABELS; l++) sig[l]! += t.colors[f * LABELS + l]!;
    k++;
  }
  if (k === 0) return sig.fill(1 / LABELS);
  return sig.map((v) => v / k);
}

/**
 * Track the spec's objects in the judged clip, guided by the reference track: colour signature,
 * expected position (previous sighting first), and a primary blob of at least a quarter of the
 * reference's, so that a fragment of another object is never taken for a vanished one.
 */
export function trackJudged(
  m: Measured,
  spec: SceneSpec,
  truth: readonly FrameTruth[],
  ref: TrackResult,
): TrackResult {
  const n = m.shape.frames;
  const dark = darkFrames(spec);
  const medianAreas: number[] = [];
  const expect: Expectation[] = spec.objects.map((o, k) => {
    const r = ref.tracks[k]!;
    const seen = Array.from(r.primaryArea).filter((_, f) => r.present[f]);
    const typical = seen.length ? median(seen) : 0;
    medianAreas.push(typical);
    const e: Expectation = {
      id: o.id,
      x: new Float64Array(n),
      y: new Float64Array(n),
      minArea: new Float64Array(n),
      radius: new Float64Array(n),
      signature: signatureOf(r),
      maxDistance: Number.POSITIVE_INFINITY,
      expected: Uint8Array.from(r.present),
      searchable: new Uint8Array(n),
    };
    for (let f = 0; f < n; f++) {
      const t = truth[f]!.objects[k]!;
      e.x[f] = r.present[f] ? r.x[f]! : t.x - 0.5;
      e.y[f] = r.present[f] ? r.y[f]! : t.y - 0.5;
      e.minArea[f] = Math.max(minBlobArea(m.shape), 0.25 * (r.present[f] ? r.primaryArea[f]! : typical));
      e.radius[f] = 0.75 * Math.max(t.w, t.h) + 2;
      // never seen in the reference (same colour as the background): nothing to judge it by
      e.searchable[f] = !dark[f] && typical > 0 ? 1 : 0;
    }
    return e;
  });
  // An unclaimed blob counts as an extra object from 30 % of the smallest object's area.
  const smallest = medianAreas.filter((a) => a > 0);
  const extraArea = smallest.length
    ? Math.max(minBlobArea(m.shape), 0.3 * Math.min(...smallest))
    : 0.01 * m.shape.width * m.shape.height;
  return trackObjects(m.blobs, expect, Math.min(m.shape.width, m.shape.height), extraArea);
}
