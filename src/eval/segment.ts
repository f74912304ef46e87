// Segmentation of one frame into coloured blobs that are not background.
//
// A pixel is foreground when its colour does not occur in the background plate (the same scene
// rendered without objects), so the test is independent of where the background is: a wrong
// camera move or a blurry frame still separates objects from grass, sky or a gradient. Each
// foreground pixel is then labelled with its nearest palette colour, and 4-connected runs of one
// label form a blob. Multi-coloured sprites become several blobs that the tracker regroups.
import { PALETTE } from '../world/palette.ts';
import { COLOR_NAMES } from '../world/spec.ts';

/** Palette colours in label order (label i = COLOR_NAMES[i]). */
export const LABEL_RGB: readonly (readonly [number, number, number])[] = COLOR_NAMES.map((c) => PALETTE[c]);
export const LABELS = LABEL_RGB.length;

/**
 * Colour bins of 16 levels per channel (4096 bins). A background colour marks its bin and the 26
 * neighbours, so a pixel within 16..32 levels of some background colour counts as background:
 * wider than mild noise (±8) and codec ringing, narrower than the gap between palette colours.
 */
const BIN_SHIFT = 4;
const BINS = 16;

export type ColorSet = Uint8Array; // (16, 16, 16) membership flags

function quantize(v: number): number {
  return Math.min(BINS - 1, Math.max(0, Math.round(v) >> BIN_SHIFT));
}

function binOf(r: number, g: number, b: number): number {
  return (quantize(r) * BINS + quantize(g)) * BINS + quantize(b);
}

/** The dilated set of colours present in a frame (h*w*3 floats, already light-normalised). */
export function colorSet(frame: Float32Array): ColorSet {
  const seen = new Uint8Array(BINS * BINS * BINS);
  for (let p = 0; p < frame.length; p += 3) seen[binOf(frame[p]!, frame[p + 1]!, frame[p + 2]!)] = 1;
  const set = new Uint8Array(seen.length);
  for (let i = 0; i < seen.length; i++) {
    if (!seen[i]) continue;
    const r = i >> 8;
    const g = (i >> 4) & 15;
    const b = i & 15;
    for (let dr = -1; dr <= 1; dr++)
      for (let dg = -1; dg <= 1; dg++)
        for (let db = -1; db <= 1; db++) {
          const rr = r + dr;
          const gg = g + dg;
          const bb = b + db;
          if (rr < 0 || gg < 0 || bb < 0 || rr >= BINS || gg >= BINS || bb >= BINS) continue;
          set[(rr * BINS + gg) * BINS + bb] = 1;
        }
  }
  return set;
}

/** Index of the palette colour nearest to (r, g, b). */
export function nearestLabel(r: number, g: number, b: number): number {
  let best = 0;
  let bestD = Number.POSITIVE_INFINITY;
  for (let i = 0; i < LABELS; i++) {
    const c = LABEL_RGB[i]!;
    const d = (r - c[0]) ** 2 + (g - c[1]) ** 2 + (b - c[2]) ** 2;
    if (d < bestD) {
      bestD = d;
      best = i;
    }
  }
  return best;
}

/** Per pixel: palette label of a foreground pixel, or -1 for background. (height, width) */
export function labelImage(frame: Float32Array, background: ColorSet): Int8Array {
  const n = frame.length / 3;
  const out = new Int8Array(n);
  for (let i = 0; i < n; i++) {
    const r = frame[3 * i]!;
    const g = frame[3 * i + 1]!;
    const b = frame[3 * i + 2]!;
    out[i] = background[binOf(r, g, b)] ? -1 : nearestLabel(r, g, b);
  }
  return out;
}

export interface Blob {
  label: number;
  area: number;
  /** Centroid in pixels. */
  cx: number;
  cy: number;
  /** Inclusive bounding box. */
  x0: number;
  y0: number;
  x1: number;
  y1: number;
  /** Pixel indices (y * width + x). */
  pixels: Int32Array;
}

/** 4-connected components of equal label, largest first; blobs under `minArea` are noise. */
export function blobs(labels: Int8Array, width: number, height: number, minArea: number): Blob[] {
  const seen = new Uint8Array(labels.length);
  const stack = new Int32Array(labels.length);
  const out: Blob[] = [];
  for (let start = 0; start < labels.length; start++) {
    const label = labels[start]!;
    if (label < 0 || seen[start]) continue;
    let top = 0;
    let count = 0;
    stack[top++] = start;
    seen[start] = 1;
    const members: number[] = [];
    while (top > 0) {
      const i = stack[--top]!;
      members.push(i);
      count++;
      const x = i % width;
      const y = (i - x) / width;
      for (let k = 0; k < 4; k++) {
        if ((k === 0 && x === 0) || (k === 1 && x + 1 === width) || (k === 2 && y === 0)) continue;
        if (k === 3 && y + 1 === height) continue;
        const j = k === 0 ? i - 1 : k === 1 ? i + 1 : k === 2 ? i - width : i + width;
        if (!seen[j] && labels[j] === label) {
          seen[j] = 1;
          stack[top++] = j;
        }
      }
    }
    if (count < minArea) continue;
    let sx = 0;
    let sy = 0;
    let x0 = width;
    let y0 = height;
    let x1 = 0;
    let y1 = 0;
    for (const i of members) {
      const x = i % width;
      const y = (i - x) / width;
      sx += x;
      sy += y;
      if (x < x0) x0 = x;
      if (x > x1) x1 = x;
      if (y < y0) y0 = y;
      if (y > y1) y1 = y;
    }
    out.push({
      label,
      area: count,
      cx: sx / count,
      cy: sy / count,
      x0,
      y0,
      x1,
      y1,
      pixels: Int32Array.from(members),
    });
  }
  return out.sort((a, b) => b.area - a.area);
}
