// Invisible watermark: embeds a 32-bit payload (plus the Kinema marker and 32 check bits) into the luma of
// every frame as a keyed, tiled, smooth spread-spectrum pattern (see watermarkPattern.ts), and
// finds it again after re-encoding, resizing, cropping and palette conversion.
//
// Embedding is informed: the embedder knows the host, reads its own result the way the detector
// will, and raises the weight of the bits the host works against; then it runs the detector on a
// weakened and a cropped copy and raises the strength for the few clips that fail (see
// embedWatermark).
//
// Detection, per candidate scale: undo the scale, subtract an edge-preserving host estimate from
// each frame, fold all frames onto one tile (summing every tile position of every frame: a
// 17-frame clip gives 17 looks), and correlate the fold with each bit's pattern at all 4096 cyclic
// shifts via FFT (a crop only shifts the tile).
// At each shift the signs are the bits; a shift counts only if they form a valid codeword (marker +
// check bits), after trying to flip the least reliable bits, so the codeword itself is the sync.
// Kinema's files store small clips upscaled (encode-video.ts); the media decoder undoes that while
// the size tag survives, and the scale search covers x2 and x4 when it does not (GIF, crop).
import { type ComplexGrid, complexGrid, fft2d } from './fft.ts';
import { checkFrames, frameLuma, type RgbFrames } from './frames.ts';
import {
  CODE_BITS,
  encodeCodeword,
  LEGACY_CODE_BITS,
  MARKER_BITS,
  mismatch,
  type Syndromes,
  syndromeTables,
} from './watermarkCode.ts';
import { bitTiles, chipLayout, codewordTile, TILE } from './watermarkPattern.ts';

/** The key used when the operator configures none: anyone with Kinema can detect its outputs. */
export const DEFAULT_WATERMARK_KEY = 'kinema-public-watermark-v1';

export interface EmbedOptions {
  /** Pattern scale in grey levels before the per-bit boost (default 2.5: the RMS change is about this). */
  strength?: number;
}

export interface DetectOptions {
  /** Scales (received size / original size) to try; default covers halving and common resizes. */
  scales?: readonly number[];
  /** Least sync score (a z-score) to accept; default none: the codeword check alone decides. */
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
  /**
   * Which codeword was read: 'v2' (80 bits, 32 check bits on the payload) or 'legacy' (the 64-bit
   * codeword of marks written before v2, accepted only when read without any correction).
   */
  codeword: 'v2' | 'legacy' | null;
}

/**
 * Kinema stores clips under 160 px upscaled (x4 for 64 px, x2 for 128 px; see encode-video.ts):
 * a decoder that drops the size tag (a GIF, a crop) hands over 4x or 2x frames, so those scales
 * come early. See orderedScales for the order actually tried.
 */
const DEFAULT_SCALES = [1, 4, 2, 0.5, 3, 1.5, 0.75, 2 / 3];
/** The factors Kinema's files repeat pixels by (encode-video.ts): their block grids are searched. */
const STORED_UPSCALES = [2, 4];
/** Original short sides the scale search prefers (Kinema's model sizes). */
const LIKELY_SHORT_SIDE = { min: 48, max: 160 };
/**
 * The host estimate the fold subtracts (shared by the embedder's read-out and the detector): the
 * mean of the pixels within HOST_RADIUS whose luma is within HOST_RANGE of the centre pixel (a
 * sigma filter), then a clip on what remains (grey levels). A plain box mean smeared every hard
 * edge of pixel-style scenes (4-px blocks, bands) over 3 pixels on each side, where the residual
 * hit the clip and outweighed the pattern: the informed embedder could not make up for it even at
 * its strongest (both 64x64 misses of bench/trust.ts, 26.9 dB). The sigma filter leaves a step
 * between two flat areas out of the estimate, so the residual there is the pattern; on smooth
 * hosts it is the box mean. The range keeps most of the pattern's own swing (a few grey levels
 * times the bit weights) inside: on 20 64x64 world clips, 20 instead of 12 cost 0.2 dB mean and
 * 2 dB min PSNR for the same detections. Through the stored MP4 (13 clips of 64x64) the
 * detector's bit reliability rose from 0.90 to 0.96 after crf 30 and from 0.87 to 0.93 after a
 * 10 % crop. bench/trust.ts, 100 clips of 64x64 per attack, box → sigma filter: found fresh
 * 98 → 100, crf 30 97 → 100, half size 97 → 100, 10 % crop 93 → 100, GIF 100 → 100; mark PSNR
 * mean 30.7 → 34.4 dB, min 26.4 → 28.7 (the self-check raises the strength less often).
 * Radius 3 / clip 3 were chosen with the box (they read fewer bits wrong than 4 / 6 or 8 / 6).
 */
const HOST_RADIUS = 3;
const HOST_RANGE = 12;
const DETAIL_CLIP = 3;
/**
 * Informed embedding: rounds, the margin each bit should reach (in units of what a plain bit
 * contributes to its own read-out) and the range of a bit's weight. A higher MAX_WEIGHT fixes more
 * host-dominated clips but costs PSNR fast (64x64: max 4 gives 37 dB, max 6 with a higher target 32 dB).
 */
const BOOST_ROUNDS = 4;
const TARGET_MARGIN = 1;
const MIN_WEIGHT = 1;
const MAX_WEIGHT = 4;
const MAX_RMS_WEIGHT = 2;
/**
 * Self-check after embedding: the detector must find the payload with the pattern scaled by
 * SELF_CHECK_ATTENUATION (what crf 30, a crop or a GIF leave of it, roughly); if not, the
 * strength rises by SELF_CHECK_STEP, at most SELF_CHECK_STEPS times. Only clips whose host
 * defeats the mark pay the extra PSNR.
 */
const SELF_CHECK_ATTENUATION = 0.7;
const SELF_CHECK_STEP = 1.25;
const SELF_CHECK_STEPS = 3;
const SELF_CHECK_CROP = 0.9;
/**
 * The informed rounds and the self-check read the mark from evenly spaced frames holding at most
 * this many pixels (at least 4 frames): the host's interference is a mean over tile positions, and
 * a 640x360 frame already holds 56 tiles. Every clip at 64x64 up to 64 frames is read whole. Reading
 * all 64 frames of a 640x360 clip took 6 s, which stalled the server's event loop.
 */
const READ_BUDGET_PIXELS = 64 * 64 * 64;
const READ_MIN_FRAMES = 4;
/** Strongest-energy shifts that get the Chase search at every scale, whatever their marker. */
const SYNC_CANDIDATES = 16;
/**
 * Chase search: flips of up to CHASE_FLIPS among the CHASE_BITS least reliable bits, pairs among
 * the PAIR_BITS least reliable, and any single bit: about 1000 flip sets per shift, so about
 * 2^18 tries per video near the true position (30 shifts x 8 scales), against 32 check bits on
 * the payload.
 */
const CHASE_BITS = 16;
const CHASE_FLIPS = 3;
const PAIR_BITS = 24;
const V2 = syndromeTables(CODE_BITS);
const LEGACY = syndromeTables(LEGACY_CODE_BITS);

/**
 * Returns a marked copy of `video` carrying `payload` under `key`.
 *
 * Informed embedding: after a plain embedding, the embedder reads each bit back at the true
 * position (the detector's own fold and correlation) and raises the weight of every bit whose
 * margin is below TARGET_MARGIN, a few Newton-like rounds, up to MAX_WEIGHT. On small frames the
 * host's own texture, not the codec, flips most bits: on 8 world clips of 64x64, a plain embedding
 * at 41 dB read 8 % of bits wrong before any attack and 18 % after crf 30; informed at 39 dB, 4 %
 * and 8 %.
 *
 * Then a self-check (SELF_CHECK_*): the detector must read the payload from the clip with the
 * pattern at 0.7 of its strength, whole and cropped to 90 %; a clip that fails gets the strength
 * x1.25 (at most 3 times). Without it a few host-dominated clips fail every attack (64x64 world
 * clips through the stored MP4: 6 of 30 with the 80-bit codeword).
 */
export function embedWatermark(
  video: RgbFrames,
  payload: number,
  key = DEFAULT_WATERMARK_KEY,
  options: EmbedOptions = {},
): RgbFrames {
  checkFrames(video);
  const layout = chipLayout(key);
  const filters = bitTiles(layout);
  const symbols = encodeCodeword(payload).map((bit) => (bit ? 1 : -1));
  const detectFilters = filters.map((tile) => conjugate(fft2d(complexGrid(TILE, tile))));
  const sample = evenlySpacedFrames(
    video,
    Math.max(READ_MIN_FRAMES, Math.floor(READ_BUDGET_PIXELS / (video.height * video.width))),
  );
  const reads = (frames: RgbFrames) => {
    const check = detectAtScale(frames, 1, detectFilters).v2;
    return check.found && check.payload === payload;
  };
  let strength = options.strength ?? 2.5;
  let tile = informedTile(sample, symbols, layout, filters, strength);
  for (let raised = 0; raised < SELF_CHECK_STEPS; raised++) {
    // Self-check: the detector must read the payload with the mark weakened as an attack would,
    // on the whole frame and on a 10 % crop (a crop loses part of every bit's cells).
    const weakened = addTile(sample, tile, strength * SELF_CHECK_ATTENUATION);
    if (reads(weakened) && reads(cropFrames(weakened, SELF_CHECK_CROP))) break;
    strength *= SELF_CHECK_STEP;
    tile = informedTile(sample, symbols, layout, filters, strength);
  }
  return addTile(video, tile, strength);
}

/** At most `count` frames of `video`, evenly spaced from the first to the last (all if fewer). */
function evenlySpacedFrames(video: RgbFrames, count: number): RgbFrames {
  if (video.frames <= count) return video;
  const frameBytes = video.height * video.width * 3;
  const pixels = new Uint8Array(count * frameBytes);
  for (let i = 0; i < count; i++) {
    const f = count === 1 ? 0 : Math.round((i * (video.frames - 1)) / (count - 1));
    pixels.set(video.pixels.subarray(f * frameBytes, (f + 1) * frameBytes), i * frameBytes);
  }
  return { ...video, pixels, frames: count };
}

/** The informed tile (see embedWatermark): per-bit weights raised where the host works against. */
function informedTile(
  video: RgbFrames,
  symbols: readonly number[],
  layout: ReturnType<typeof chipLayout>,
  filters: readonly Float64Array[],
  strength: number,
): Float64Array {
  const weights: number[] = [...symbols];
  let tile = codewordTile(layout, weights);
  // What a plain bit contributes to its own read-out, without a host (on mid-grey frames).
  const flat = { ...video, pixels: new Uint8Array(video.pixels.length).fill(128) };
  const alone = foldFrames(addTile(flat, tile, strength), 1, null);
  if (!alone) return tile;
  const unit = readAtOrigin(alone, filters).reduce((sum, c, bit) => sum + c * symbols[bit]!, 0) / CODE_BITS;
  for (let round = 0; round < BOOST_ROUNDS; round++) {
    const readOut = readAtOrigin(foldFrames(addTile(video, tile, strength), 1, null)!, filters);
    let changed = false;
    for (let bit = 0; bit < CODE_BITS; bit++) {
      const margin = (readOut[bit]! * symbols[bit]!) / unit;
      const weight = Math.abs(weights[bit]!);
      // Newton-like step towards margin = TARGET_MARGIN: bits the host helps give energy back.
      const next = Math.max(MIN_WEIGHT, Math.min(MAX_WEIGHT, weight + (TARGET_MARGIN - margin)));
      if (Math.abs(next - weight) > 0.05) {
        weights[bit] = symbols[bit]! * next;
        changed = true;
      }
    }
    if (!changed) break;
    limitEnergy(weights);
    tile = codewordTile(layout, weights);
  }
  return tile;
}

/**
 * Caps the weights' RMS at MAX_RMS_WEIGHT by shrinking every boost (weight - 1) alike, so the
 * PSNR cost stays bounded (about 6 dB over a plain embedding) on hosts that fight every bit, such
 * as heavy per-frame noise.
 */
function limitEnergy(weights: number[]): void {
  const rms = Math.sqrt(weights.reduce((sum, w) => sum + w * w, 0) / weights.length);
  if (rms <= MAX_RMS_WEIGHT) return;
  // Solve for the shrink factor k on the boosts: RMS of 1 + k·(|w| - 1) equals the cap.
  let low = 0;
  let high = 1;
  for (let i = 0; i < 30; i++) {
    const k = (low + high) / 2;
    const r = Math.sqrt(
      weights.reduce((sum, w) => sum + (1 + k * (Math.abs(w) - 1)) ** 2, 0) / weights.length,
    );
    if (r > MAX_RMS_WEIGHT) high = k;
    else low = k;
  }
  for (let bit = 0; bit < weights.length; bit++) {
    weights[bit] = Math.sign(weights[bit]!) * (1 + low * (Math.abs(weights[bit]!) - 1));
  }
}

/** The centre `fraction` of every frame (both axes), offset off the tile grid as a real crop is. */
function cropFrames(video: RgbFrames, fraction: number): RgbFrames {
  const height = Math.max(1, Math.round(video.height * fraction));
  const width = Math.max(1, Math.round(video.width * fraction));
  const top = Math.floor((video.height - height) / 2);
  const left = Math.floor((video.width - width) / 2);
  const pixels = new Uint8Array(video.frames * height * width * 3);
  for (let f = 0; f < video.frames; f++) {
    for (let y = 0; y < height; y++) {
      const from = ((f * video.height + top + y) * video.width + left) * 3;
      pixels.set(video.pixels.subarray(from, from + width * 3), (f * height + y) * width * 3);
    }
  }
  return { pixels, frames: video.frames, height, width };
}

/** `video` plus `strength` x the tile, repeated over every frame; the same on R, G and B. */
function addTile(video: RgbFrames, tile: Float64Array, strength: number): RgbFrames {
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

/** Each bit's raw correlation with the fold at shift 0 (the uncropped, unscaled position). */
function readAtOrigin(fold: Float64Array, filters: readonly Float64Array[]): number[] {
  return filters.map((filter) => {
    let sum = 0;
    for (let i = 0; i < fold.length; i++) sum += fold[i]! * filter[i]!;
    return sum;
  });
}

/** Looks for a Kinema watermark made with `key` in `video`. */
export function detectWatermark(
  video: RgbFrames,
  key = DEFAULT_WATERMARK_KEY,
  options: DetectOptions = {},
): Detection {
  checkFrames(video);
  const minScore = options.minScore ?? Number.NEGATIVE_INFINITY;
  const filters = bitTiles(chipLayout(key)).map((tile) => conjugate(fft2d(complexGrid(TILE, tile))));
  // Scales are tried most likely first; a valid v2 codeword ends the search (a fluke needs 48
  // check bits to match by chance), otherwise the strongest near-miss is reported. A legacy
  // codeword counts only when no scale gives a v2 one.
  let best: Detection = notFound();
  let legacy: Detection | null = null;
  for (const scale of options.scales ?? orderedScales(video)) {
    const candidate = detectAtScale(video, scale, filters);
    if (candidate.v2.found && candidate.v2.score >= minScore) return candidate.v2;
    if (candidate.v2.score > best.score)
      best = { ...candidate.v2, found: false, payload: null, codeword: null };
    if (!legacy && candidate.legacy && candidate.legacy.score >= minScore) legacy = candidate.legacy;
  }
  return legacy ?? best;
}

/**
 * DEFAULT_SCALES, those that give an original short side Kinema generates (LIKELY_SHORT_SIDE)
 * first: a GIF or a crop of a stored 64 px clip arrives at about 256 px, where scale 4 is right
 * and scale 1 only costs time.
 */
function orderedScales(video: RgbFrames): number[] {
  const short = Math.min(video.width, video.height);
  const likely = (scale: number) =>
    short / scale >= LIKELY_SHORT_SIDE.min && short / scale <= LIKELY_SHORT_SIDE.max;
  return [...DEFAULT_SCALES.filter(likely), ...DEFAULT_SCALES.filter((scale) => !likely(scale))];
}

function notFound(): Detection {
  return {
    found: false,
    payload: null,
    confidence: 0.5,
    score: Number.NEGATIVE_INFINITY,
    scale: 1,
    correctedBits: 0,
    codeword: null,
  };
}

function conjugate(grid: ComplexGrid): ComplexGrid {
  for (let i = 0; i < grid.im.length; i++) grid.im[i] = -grid.im[i]!;
  return grid;
}

/**
 * Detection at one scale. Kinema's upscales (k = 2, 4) are undone on their block grid; the grid
 * the frames show comes first, then the other k² - 1 offsets: on small cropped outputs the
 * mark is marginal and which block offsets read a valid codeword is close to chance (64x64 outputs
 * cropped 10 %, 80 clips: a bilinear resize read 67, the shown grid alone 27 of the first 40, all
 * offsets 73). Each offset is another try against 48 check bits: with the 18 extra folds, false
 * positives stay below 10^-8 per video.
 */
function detectAtScale(
  video: RgbFrames,
  scale: number,
  filters: ComplexGrid[],
): { v2: Detection; legacy: Detection | null } {
  if (!STORED_UPSCALES.includes(scale)) return detectInFold(foldFrames(video, scale, null), scale, filters);
  let best: Detection = notFound();
  let legacy: Detection | null = null;
  for (const grid of blockGrids(video, scale)) {
    const candidate = detectInFold(foldFrames(video, scale, grid), scale, filters);
    if (candidate.v2.found) return candidate;
    if (candidate.v2.score > best.score) best = candidate.v2;
    legacy ??= candidate.legacy;
  }
  return { v2: best, legacy };
}

function detectInFold(
  fold: Float64Array | null,
  scale: number,
  filters: ComplexGrid[],
): { v2: Detection; legacy: Detection | null } {
  if (!fold) return { v2: notFound(), legacy: null };
  const spectrum = fft2d(complexGrid(TILE, fold));
  const n = TILE * TILE;
  // z[bit][shift]: each bit's correlation at every cyclic shift, normalised by its spread.
  const z = filters.map((filter) => {
    const product = complexGrid(TILE);
    for (let i = 0; i < n; i++) {
      product.re[i] = spectrum.re[i]! * filter.re[i]! - spectrum.im[i]! * filter.im[i]!;
      product.im[i] = spectrum.re[i]! * filter.im[i]! + spectrum.im[i]! * filter.re[i]!;
    }
    return fft2d(product, true).re;
  });
  for (let bit = 0; bit < CODE_BITS; bit++) z[bit] = standardise(z[bit]!);
  const energy = new Float64Array(n);
  for (let shift = 0; shift < n; shift++) {
    for (let bit = 0; bit < CODE_BITS; bit++) energy[shift] = energy[shift]! + z[bit]![shift]! ** 2;
  }
  // Sync by decoding: energy alone often ranks the true shift below a few hundred others on small
  // frames, so every shift is a candidate. The strongest shifts by energy, and any shift whose
  // marker bits read with at most one error, get the Chase search; the rest are skipped. Only a
  // valid codeword counts: the tries this makes (about 30 shifts x 1000 flip sets x 8 scales)
  // times 2^-48 bound false positives on unmarked video near 10^-9.
  const strong = new Set(strongestShifts(energy, SYNC_CANDIDATES));
  const marker = encodeCodeword(0).slice(0, MARKER_BITS);
  let best = notFound();
  let legacy: Detection | null = null;
  const soft = new Array<number>(CODE_BITS);
  for (let shift = 0; shift < n; shift++) {
    if (!strong.has(shift)) {
      let markerErrors = 0;
      for (let bit = 0; bit < MARKER_BITS; bit++)
        if (z[bit]![shift]! > 0 !== (marker[bit] === 1)) markerErrors++;
      if (markerErrors > 1) continue;
    }
    for (let bit = 0; bit < CODE_BITS; bit++) soft[bit] = z[bit]![shift]!;
    const decoded = decodeSoft(soft, V2);
    const candidate: Detection = {
      found: decoded !== null,
      payload: decoded?.payload ?? null,
      confidence: bitReliability(soft),
      score: chiSquareZ(energy[shift]!, CODE_BITS) - maxNullZ(n),
      scale,
      correctedBits: decoded?.flipped ?? 0,
      codeword: decoded ? 'v2' : null,
    };
    if (candidate.found && !best.found) best = candidate;
    else if (candidate.found === best.found && candidate.score > best.score) best = candidate;
    // Legacy marks (64 bits, 16 check bits on the payload): only a word read without any
    // correction, as the flip search's ~2^14 tries per video would find a wrong payload.
    if (!best.found) {
      const read = soft.slice(0, LEGACY_CODE_BITS);
      const legacyDecoded = decodeSoft(read, LEGACY, 0);
      if (legacyDecoded && (!legacy || candidate.score > legacy.score)) {
        legacy = {
          ...candidate,
          found: true,
          payload: legacyDecoded.payload,
          confidence: bitReliability(read),
          codeword: 'legacy',
        };
      }
    }
  }
  return { v2: best, legacy };
}

/**
 * The `count` highest-energy shifts. Neighbours of a peak are kept on purpose: the pattern is
 * smooth, so after a crop or a codec the best-decoding shift is often one pixel off the peak.
 */
function strongestShifts(energy: Float64Array, count: number): number[] {
  return Array.from(energy.keys())
    .sort((a, b) => energy[b]! - energy[a]!)
    .slice(0, count);
}

/**
 * Sum of luma minus its host estimate (hostResidual) over all frames, folded onto one tile (mean
 * per tile position), after undoing `scale`: block means on `blocks` when given (see blockGrids),
 * else a bilinear resize.
 */
function foldFrames(video: RgbFrames, scale: number, blocks: BlockGrid | null): Float64Array | null {
  const height = blocks ? Math.floor((video.height - blocks.top) / scale) : Math.round(video.height / scale);
  const width = blocks ? Math.floor((video.width - blocks.left) / scale) : Math.round(video.width / scale);
  if (height < TILE / 2 || width < TILE / 2) return null;
  const sum = new Float64Array(TILE * TILE);
  const count = new Float64Array(TILE * TILE);
  for (let f = 0; f < video.frames; f++) {
    let luma = frameLuma(video, f);
    if (blocks) luma = blockMeans(luma, video.width, scale, blocks, height, width);
    else if (scale !== 1) luma = resizeBilinear(luma, video.height, video.width, height, width);
    const detail = hostResidual(luma, height, width);
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
  // Zero mean: the fold's DC would add a bias (DC x each filter's sum) to every shift of a bit;
  // removing it here makes the embedder's read-out and the detector's z agree in sign.
  let mean = 0;
  for (const v of sum) mean += v;
  mean /= sum.length;
  for (let i = 0; i < sum.length; i++) sum[i] = sum[i]! - mean;
  return sum;
}

/** Where the k x k blocks of a pixel-repeated upscale start: row and column offsets below k. */
interface BlockGrid {
  top: number;
  left: number;
}

/**
 * Every block grid of a k x upscale, the one the frames show first: the offset whose rows
 * (columns) carry the most luma change across their upper (left) edge, summed over a few frames.
 * A crop by a number of pixels that is not a multiple of k moves the grid; a codec softens block
 * edges but keeps them the largest changes.
 */
function blockGrids(video: RgbFrames, k: number): BlockGrid[] {
  const { height, width } = video;
  const rowEdges = new Float64Array(k);
  const columnEdges = new Float64Array(k);
  const step = Math.max(1, Math.floor(video.frames / 4));
  for (let f = 0; f < video.frames; f += step) {
    const luma = frameLuma(video, f);
    for (let y = 1; y < height; y++) {
      for (let x = 1; x < width; x++) {
        const here = luma[y * width + x]!;
        rowEdges[y % k] = rowEdges[y % k]! + Math.abs(here - luma[(y - 1) * width + x]!);
        columnEdges[x % k] = columnEdges[x % k]! + Math.abs(here - luma[y * width + x - 1]!);
      }
    }
  }
  const shown = {
    top: rowEdges.indexOf(Math.max(...rowEdges)),
    left: columnEdges.indexOf(Math.max(...columnEdges)),
  };
  const grids = [shown];
  for (let top = 0; top < k; top++)
    for (let left = 0; left < k; left++)
      if (top !== shown.top || left !== shown.left) grids.push({ top, left });
  return grids;
}

/** Means of the k x k blocks starting at `grid`: (height, width) values. */
function blockMeans(
  luma: Float32Array,
  sourceWidth: number,
  k: number,
  grid: BlockGrid,
  height: number,
  width: number,
): Float32Array {
  const out = new Float32Array(height * width);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let sum = 0;
      for (let dy = 0; dy < k; dy++) {
        const row = (grid.top + y * k + dy) * sourceWidth + grid.left + x * k;
        for (let dx = 0; dx < k; dx++) sum += luma[row + dx]!;
      }
      out[y * width + x] = sum / (k * k);
    }
  }
  return out;
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

/**
 * Each pixel minus its host estimate: the mean of the in-frame pixels of its (2 HOST_RADIUS + 1)²
 * window whose luma is within HOST_RANGE of its own (see HOST_RANGE for why not a box mean).
 */
function hostResidual(src: Float32Array, h: number, w: number): Float64Array {
  const out = new Float64Array(h * w);
  for (let y = 0; y < h; y++) {
    const y0 = Math.max(0, y - HOST_RADIUS);
    const y1 = Math.min(h - 1, y + HOST_RADIUS);
    for (let x = 0; x < w; x++) {
      const x0 = Math.max(0, x - HOST_RADIUS);
      const x1 = Math.min(w - 1, x + HOST_RADIUS);
      const centre = src[y * w + x]!;
      let sum = 0;
      let count = 0;
      for (let yy = y0; yy <= y1; yy++) {
        for (let i = yy * w + x0, end = yy * w + x1; i <= end; i++) {
          const v = src[i]!;
          if (Math.abs(v - centre) <= HOST_RANGE) {
            sum += v;
            count++;
          }
        }
      }
      // The centre pixel is always in its own range, so count >= 1.
      out[y * w + x] = centre - sum / count;
    }
  }
  return out;
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

/**
 * Hard decision, then Chase-style search over flip sets (see CHASE_BITS) by syndromes: a set
 * makes a valid codeword when its bits' syndrome changes cancel the word's mismatch. Of the valid
 * codewords found, the one whose flips cost least evidence wins. `maxFlips` 0 accepts only a word
 * that is valid as read.
 */
function decodeSoft(
  soft: readonly number[],
  code: Syndromes,
  maxFlips = CHASE_FLIPS,
): { payload: number; flipped: number } | null {
  const hard = soft.map((z) => (z > 0 ? 1 : 0));
  const start = mismatch(hard);
  if (start.marker === 0 && start.check === 0) return { payload: start.payload, flipped: 0 };
  if (maxFlips === 0) return null;
  const order = soft
    .map((z, bit) => ({ bit, reliability: Math.abs(z) }))
    .sort((a, b) => a.reliability - b.reliability)
    .map((entry) => entry.bit);
  let best: { flips: number[]; cost: number } | null = null;
  const consider = (flips: number[]) => {
    let cost = 0;
    let marker = start.marker;
    let check = start.check;
    for (const bit of flips) {
      cost += Math.abs(soft[bit]!);
      marker ^= code.marker[bit]!;
      check ^= code.check[bit]!;
    }
    if (marker === 0 && check >>> 0 === 0 && (!best || cost < best.cost)) best = { flips, cost };
  };
  for (const flips of flipSets(order.slice(0, CHASE_BITS), maxFlips)) if (flips.length > 0) consider(flips);
  const weakest = new Set(order.slice(0, CHASE_BITS));
  for (const pair of flipSets(order.slice(0, PAIR_BITS), 2)) {
    if (pair.length === 2 && pair.some((bit) => !weakest.has(bit))) consider(pair);
  }
  for (const bit of order.slice(CHASE_BITS)) consider([bit]);
  if (!best) return null;
  const found: { flips: number[] } = best;
  let payload = start.payload;
  for (const bit of found.flips) {
    if (bit >= MARKER_BITS && bit < MARKER_BITS + 32) payload ^= 2 ** (MARKER_BITS + 31 - bit);
  }
  return { payload: payload >>> 0, flipped: found.flips.length };
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
