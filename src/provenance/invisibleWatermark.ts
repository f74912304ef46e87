// Invisible watermark: embeds a 32-bit payload (plus the Kinema marker and a CRC) into the luma of
// every frame as a keyed, tiled spread-spectrum pattern (see watermarkPattern.ts), and finds it
// again after re-encoding, resizing, cropping and palette conversion.
//
// Detection, per candidate scale: undo the scale, high-pass each frame, fold all frames onto one
// tile (summing every tile position), whiten the fold's spectrum, and correlate it with each bit's
// chip pattern at all 4096 cyclic shifts via FFT. The shift where the 64 bit correlations are
// jointly strongest is the tile's position; the signs there are the bits. A result counts only if
// the bits form a valid codeword (marker + CRC), after trying to flip the least reliable bits.
import { type ComplexGrid, complexGrid, fft2d } from './fft.ts';
import { checkFrames, frameLuma, type RgbFrames } from './frames.ts';
import { CODE_BITS, decodeCodeword, encodeCodeword } from './watermarkCode.ts';
import { bitTiles, CELL, chipLayout, codewordTile, TILE } from './watermarkPattern.ts';

/** The key used when the operator configures none: anyone with Kinema can detect its outputs. */
export const DEFAULT_WATERMARK_KEY = 'kinema-public-watermark-v1';

export interface EmbedOptions {
  /** Peak change in grey levels (default 4: about 43 dB PSNR). */
  strength?: number;
}

export interface DetectOptions {
  /** Scales (received size / original size) to try; default covers halving and common resizes. */
  scales?: readonly number[];
  /** Least sync score (a z-score) to accept; default 4. */
  minScore?: number;
}

export interface Detection {
  found: boolean;
  /** The 32-bit payload when found. */
  payload: number | null;
  /** Estimated fraction of code bits read correctly (0.5 = chance, 1 = certain). */
  confidence: number;
  /** Sync strength as a z-score against an unmarked video. */
  score: number;
  /** Scale at which it was found (received / original). */
  scale: number;
  /** Bits the decoder had to correct. */
  correctedBits: number;
}

const DEFAULT_SCALES = [1, 0.5, 0.75, 2 / 3, 1.5, 2];
const DETAIL_CLIP = 5;

/** Returns a marked copy of `video` carrying `payload` under `key`. */
export function embedWatermark(
  video: RgbFrames,
  payload: number,
  key = DEFAULT_WATERMARK_KEY,
  options: EmbedOptions = {},
): RgbFrames {
  checkFrames(video);
  const strength = options.strength ?? 4;
  const symbols = encodeCodeword(payload).map((bit) => (bit ? 1 : -1));
  const tile = codewordTile(chipLayout(key), symbols);
  const { frames, height, width } = video;
  const out = new Uint8Array(video.pixels);
  for (let f = 0; f < frames; f++) {
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const delta = strength * tile[(y % TILE) * TILE + (x % TILE)]!;
        const p = ((f * height + y) * width + x) * 3;
        // The same delta on R, G and B changes luma by delta and leaves chroma alone.
        for (let c = 0; c < 3; c++) out[p + c] = Math.max(0, Math.min(255, Math.round(out[p + c]! + delta)));
      }
    }
  }
  return { ...video, pixels: out };
}

/** Looks for a Kinema watermark made with `key` in `video`. */
export function detectWatermark(
  video: RgbFrames,
  key = DEFAULT_WATERMARK_KEY,
  options: DetectOptions = {},
): Detection {
  checkFrames(video);
  const minScore = options.minScore ?? 4;
  const filters = bitTiles(chipLayout(key)).map((tile) => conjugate(fft2d(complexGrid(TILE, tile))));
  // Scales are tried most likely first; a valid codeword ends the search (it cannot be a fluke
  // at 2^-32 per try), otherwise the strongest near-miss is reported.
  let best: Detection = notFound();
  for (const scale of options.scales ?? DEFAULT_SCALES) {
    const candidate = detectAtScale(video, scale, filters);
    if (candidate.found && candidate.score >= minScore) return candidate;
    if (candidate.score > best.score) best = { ...candidate, found: false, payload: null };
  }
  return best;
}

function notFound(): Detection {
  return {
    found: false,
    payload: null,
    confidence: 0.5,
    score: Number.NEGATIVE_INFINITY,
    scale: 1,
    correctedBits: 0,
  };
}

function conjugate(grid: ComplexGrid): ComplexGrid {
  for (let i = 0; i < grid.im.length; i++) grid.im[i] = -grid.im[i]!;
  return grid;
}

function detectAtScale(video: RgbFrames, scale: number, filters: ComplexGrid[]): Detection {
  const fold = foldFrames(video, scale);
  if (!fold) return notFound();
  const spectrum = whiten(fft2d(complexGrid(TILE, fold)));
  const n = TILE * TILE;
  // z[bit][shift]: each bit's correlation at every cyclic shift, normalised by its spread.
  const z = filters.map((filter) => {
    const product = complexGrid(TILE);
    for (let i = 0; i < n; i++) {
      product.re[i] = spectrum.re[i]! * filter.re[i]! - spectrum.im[i]! * filter.im[i]!;
      product.im[i] = spectrum.re[i]! * filter.im[i]! + spectrum.im[i]! * filter.re[i]!;
    }
    return standardise(fft2d(product, true).re);
  });
  let bestShift = 0;
  let bestEnergy = -1;
  for (let shift = 0; shift < n; shift++) {
    let energy = 0;
    for (let bit = 0; bit < CODE_BITS; bit++) energy += z[bit]![shift]! ** 2;
    if (energy > bestEnergy) {
      bestEnergy = energy;
      bestShift = shift;
    }
  }
  const soft = z.map((plane) => plane[bestShift]!);
  const decoded = decodeSoft(soft);
  return {
    found: decoded !== null,
    payload: decoded?.payload ?? null,
    confidence: bitReliability(soft),
    score: chiSquareZ(bestEnergy, CODE_BITS) - maxNullZ(n),
    scale,
    correctedBits: decoded?.flipped ?? 0,
  };
}

/** Sum of high-passed luma over all frames, folded onto one tile (mean per tile position). */
function foldFrames(video: RgbFrames, scale: number): Float64Array | null {
  const height = Math.round(video.height / scale);
  const width = Math.round(video.width / scale);
  if (height < TILE / 2 || width < TILE / 2) return null;
  const sum = new Float64Array(TILE * TILE);
  const count = new Float64Array(TILE * TILE);
  for (let f = 0; f < video.frames; f++) {
    let luma = frameLuma(video, f);
    if (scale !== 1) luma = resizeBilinear(luma, video.height, video.width, height, width);
    const detail = highPass(luma, height, width, CELL - 1);
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const t = (y % TILE) * TILE + (x % TILE);
        // Clipping keeps strong edges (objects, the visible label) from drowning the faint pattern.
        const d = detail[y * width + x]!;
        sum[t] = sum[t]! + Math.max(-DETAIL_CLIP, Math.min(DETAIL_CLIP, d));
        count[t] = count[t]! + 1;
      }
    }
  }
  for (let i = 0; i < sum.length; i++) sum[i] = count[i]! > 0 ? sum[i]! / count[i]! : 0;
  return sum;
}

/** Pixel-centre-aligned bilinear resize (the same centre convention as ffmpeg's scaler). */
export function resizeBilinear(
  src: Float32Array,
  h: number,
  w: number,
  nh: number,
  nw: number,
): Float32Array {
  const out = new Float32Array(nh * nw);
  const sy = h / nh;
  const sx = w / nw;
  for (let y = 0; y < nh; y++) {
    const fy = Math.min(h - 1, Math.max(0, (y + 0.5) * sy - 0.5));
    const y0 = Math.floor(fy);
    const y1 = Math.min(h - 1, y0 + 1);
    const ty = fy - y0;
    for (let x = 0; x < nw; x++) {
      const fx = Math.min(w - 1, Math.max(0, (x + 0.5) * sx - 0.5));
      const x0 = Math.floor(fx);
      const x1 = Math.min(w - 1, x0 + 1);
      const tx = fx - x0;
      const top = src[y0 * w + x0]! * (1 - tx) + src[y0 * w + x1]! * tx;
      const bottom = src[y1 * w + x0]! * (1 - tx) + src[y1 * w + x1]! * tx;
      out[y * nw + x] = top * (1 - ty) + bottom * ty;
    }
  }
  return out;
}

/** Image minus its box blur of the given radius (edges clamped): removes the host's low band. */
function highPass(src: Float32Array, h: number, w: number, radius: number): Float64Array {
  const rows = new Float64Array(h * w);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let s = 0;
      for (let d = -radius; d <= radius; d++) s += src[y * w + Math.min(w - 1, Math.max(0, x + d))]!;
      rows[y * w + x] = s;
    }
  }
  const out = new Float64Array(h * w);
  const area = (2 * radius + 1) ** 2;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let s = 0;
      for (let d = -radius; d <= radius; d++) s += rows[Math.min(h - 1, Math.max(0, y + d)) * w + x]!;
      out[y * w + x] = src[y * w + x]! - s / area;
    }
  }
  return out;
}

/** Phase-only whitening: the host's spectrum is uneven, the watermark's is flat in its band. */
function whiten(grid: ComplexGrid): ComplexGrid {
  for (let i = 0; i < grid.re.length; i++) {
    const magnitude = Math.hypot(grid.re[i]!, grid.im[i]!) + 1e-9;
    grid.re[i] = grid.re[i]! / magnitude;
    grid.im[i] = grid.im[i]! / magnitude;
  }
  return grid;
}

function standardise(values: Float64Array): Float64Array {
  let mean = 0;
  for (const v of values) mean += v;
  mean /= values.length;
  let variance = 0;
  for (const v of values) variance += (v - mean) ** 2;
  const sd = Math.sqrt(variance / values.length) || 1;
  return values.map((v) => (v - mean) / sd);
}

/** Wilson–Hilferty: a chi-square value with k degrees of freedom as an approximate z-score. */
function chiSquareZ(value: number, k: number): number {
  const v = 2 / (9 * k);
  return (Math.cbrt(value / k) - (1 - v)) / Math.sqrt(v);
}

/** Expected largest z among n independent null shifts, so scores near 0 mean "noise". */
function maxNullZ(n: number): number {
  return Math.sqrt(2 * Math.log(n));
}

function normalCdf(x: number): number {
  // Abramowitz–Stegun 7.1.26 erf approximation, plenty for a reliability estimate.
  const t = 1 / (1 + (0.3275911 * Math.abs(x)) / Math.SQRT2);
  const poly =
    t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
  const erf = 1 - poly * Math.exp(-(x * x) / 2);
  return x >= 0 ? (1 + erf) / 2 : (1 - erf) / 2;
}

function bitReliability(soft: readonly number[]): number {
  let correct = 0;
  for (const z of soft) correct += normalCdf(Math.abs(z));
  return correct / soft.length;
}

/** Hard decision, then Chase-style search flipping up to 3 of the 10 least reliable bits. */
function decodeSoft(soft: readonly number[]): { payload: number; flipped: number } | null {
  const hard: number[] = soft.map((z) => (z > 0 ? 1 : 0));
  const weakest = soft
    .map((z, bit) => ({ bit, reliability: Math.abs(z) }))
    .sort((a, b) => a.reliability - b.reliability)
    .slice(0, 10)
    .map((entry) => entry.bit);
  for (const flips of flipSets(weakest, 3)) {
    const bits = [...hard];
    for (const bit of flips) bits[bit] = 1 - bits[bit]!;
    const payload = decodeCodeword(bits);
    if (payload !== null) return { payload, flipped: flips.length };
  }
  return null;
}

/** All subsets of `items` with at most `max` elements, smallest first. */
function flipSets(items: readonly number[], max: number): number[][] {
  let level: number[][] = [[]];
  const all: number[][] = [[]];
  for (let size = 1; size <= max; size++) {
    const next: number[][] = [];
    for (const set of level) {
      const last = set.length > 0 ? items.indexOf(set[set.length - 1]!) : -1;
      for (let i = last + 1; i < items.length; i++) next.push([...set, items[i]!]);
    }
    all.push(...next);
    level = next;
  }
  return all;
}
