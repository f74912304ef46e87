// Visible watermark: a small "Kinema AI" label, drawn from a built-in 5x7 bitmap font, that moves
// between the four corners over time (like Sora's) so it cannot be cropped off one edge. White
// text over a dark halo, alpha-blended, so it reads on bright and dark content alike. It is on by
// default; only the operator's configuration can turn it off (requests cannot).
import { checkFrames, frameLuma, type RgbFrames } from './frames.ts';

export const LABEL = 'Kinema AI';

// 5x7 glyphs, one string per row, '#' = ink.
const FONT: Record<string, string[]> = {
  K: ['#...#', '#..#.', '#.#..', '##...', '#.#..', '#..#.', '#...#'],
  i: ['..#..', '.....', '.##..', '..#..', '..#..', '..#..', '.###.'],
  n: ['.....', '.....', '#.##.', '##..#', '#...#', '#...#', '#...#'],
  e: ['.....', '.....', '.###.', '#...#', '#####', '#....', '.###.'],
  m: ['.....', '.....', '##.#.', '#.#.#', '#.#.#', '#.#.#', '#.#.#'],
  a: ['.....', '.....', '.###.', '....#', '.####', '#...#', '.####'],
  A: ['.###.', '#...#', '#...#', '#####', '#...#', '#...#', '#...#'],
  I: ['.###.', '..#..', '..#..', '..#..', '..#..', '..#..', '.###.'],
  ' ': ['.....', '.....', '.....', '.....', '.....', '.....', '.....'],
};

export interface VisibleWatermarkOptions {
  /** Frames spent in each corner before moving to the next (default 48: 2 s at 24 fps). */
  dwellFrames?: number;
  /** Opacity of the label, 0..1 (default 0.7). */
  opacity?: number;
}

/** The label as a mask: 1 = ink, -1 = halo (ink's 8-neighbours), 0 = untouched. */
interface LabelMask {
  width: number;
  height: number;
  cells: Int8Array;
}

function labelMask(scale: number): LabelMask {
  const glyphs = [...LABEL].map((ch) => FONT[ch]!);
  const inkWidth = glyphs.length * 6 - 1;
  // One pixel of halo on every side.
  const width = (inkWidth + 2) * scale;
  const height = (7 + 2) * scale;
  const ink = new Uint8Array((inkWidth + 2) * 9);
  glyphs.forEach((rows, g) => {
    rows.forEach((row, y) => {
      for (let x = 0; x < 5; x++) if (row[x] === '#') ink[(y + 1) * (inkWidth + 2) + g * 6 + x + 1] = 1;
    });
  });
  const cells = new Int8Array(width * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const gx = Math.floor(x / scale);
      const gy = Math.floor(y / scale);
      if (ink[gy * (inkWidth + 2) + gx]) cells[y * width + x] = 1;
      else if (nearInk(ink, inkWidth + 2, 9, gx, gy)) cells[y * width + x] = -1;
    }
  }
  return { width, height, cells };
}

function nearInk(ink: Uint8Array, w: number, h: number, x: number, y: number): boolean {
  for (let dy = -1; dy <= 1; dy++) {
    for (let dx = -1; dx <= 1; dx++) {
      const nx = x + dx;
      const ny = y + dy;
      if (nx >= 0 && ny >= 0 && nx < w && ny < h && ink[ny * w + nx]) return true;
    }
  }
  return false;
}

/** Font scale for a frame size: 1 up to 255 px wide, 2 up to 511 px, and so on. */
export function labelScale(width: number): number {
  return Math.max(1, Math.floor(width / 256) + 1);
}

/** Top-left corner of the label in frame `f`: corners in clockwise order, one per dwell. */
function labelPosition(
  video: RgbFrames,
  mask: LabelMask,
  f: number,
  dwell: number,
): { x: number; y: number } {
  const margin = Math.max(2, Math.round(video.width / 64));
  const corner = Math.floor(f / dwell) % 4;
  const right = video.width - mask.width - margin;
  const bottom = video.height - mask.height - margin;
  return [
    { x: margin, y: margin },
    { x: right, y: margin },
    { x: right, y: bottom },
    { x: margin, y: bottom },
  ][corner]!;
}

/** Returns a copy of `video` with the moving label blended in. Frames too small are returned as is. */
export function applyVisibleWatermark(video: RgbFrames, options: VisibleWatermarkOptions = {}): RgbFrames {
  checkFrames(video);
  const dwell = options.dwellFrames ?? 48;
  const opacity = options.opacity ?? 0.7;
  const mask = labelMask(labelScale(video.width));
  const out = new Uint8Array(video.pixels);
  if (mask.width + 4 > video.width || mask.height + 4 > video.height) return { ...video, pixels: out };
  for (let f = 0; f < video.frames; f++) {
    const at = labelPosition(video, mask, f, dwell);
    for (let y = 0; y < mask.height; y++) {
      for (let x = 0; x < mask.width; x++) {
        const cell = mask.cells[y * mask.width + x]!;
        if (cell === 0) continue;
        const target = cell > 0 ? 255 : 0;
        const alpha = cell > 0 ? opacity : opacity * 0.6;
        const p = ((f * video.height + at.y + y) * video.width + at.x + x) * 3;
        for (let c = 0; c < 3; c++) out[p + c] = Math.round(out[p + c]! * (1 - alpha) + target * alpha);
      }
    }
  }
  return { ...video, pixels: out };
}

export interface VisibleWatermarkDetection {
  present: boolean;
  /** Fraction of frames in which the label was found in some corner. */
  frameFraction: number;
}

/**
 * Looks for the label in each frame's corners (searching ±2 px): ink must be much brighter than
 * its halo everywhere. Present when found in at least half of the frames.
 */
export function detectVisibleWatermark(video: RgbFrames): VisibleWatermarkDetection {
  checkFrames(video);
  const mask = labelMask(labelScale(video.width));
  if (mask.width + 4 > video.width || mask.height + 4 > video.height)
    return { present: false, frameFraction: 0 };
  let hits = 0;
  for (let f = 0; f < video.frames; f++) {
    const luma = frameLuma(video, f);
    const found = [0, 1, 2, 3].some((corner) => {
      const at = labelPosition(video, mask, corner, 1);
      for (let dy = -2; dy <= 2; dy++) {
        for (let dx = -2; dx <= 2; dx++)
          if (labelContrast(luma, video, mask, at.x + dx, at.y + dy) > 0.9) return true;
      }
      return false;
    });
    if (found) hits++;
  }
  const frameFraction = hits / video.frames;
  return { present: frameFraction >= 0.5, frameFraction };
}

/** Fraction of (ink, neighbouring halo) pixel pairs where the ink is brighter by > 40 levels. */
function labelContrast(
  luma: Float32Array,
  video: RgbFrames,
  mask: LabelMask,
  ox: number,
  oy: number,
): number {
  if (ox < 0 || oy < 0 || ox + mask.width > video.width || oy + mask.height > video.height) return 0;
  let pairs = 0;
  let brighter = 0;
  for (let y = 0; y < mask.height; y++) {
    for (let x = 0; x + 1 < mask.width; x++) {
      const a = mask.cells[y * mask.width + x]!;
      const b = mask.cells[y * mask.width + x + 1]!;
      if (a * b !== -1) continue;
      const inkX = a > 0 ? x : x + 1;
      const haloX = a > 0 ? x + 1 : x;
      pairs++;
      const row = (oy + y) * video.width + ox;
      if (luma[row + inkX]! - luma[row + haloX]! > 40) brighter++;
    }
  }
  return pairs === 0 ? 0 : brighter / pairs;
}
