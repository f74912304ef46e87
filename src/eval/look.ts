// Appearance statistics of a clip: the numbers the style and background scores compare.
//
// Style is judged by ranking, not by absolute thresholds: the oracle renders the same scene in
// every style and asks whether the clip's statistics are nearest to the style the spec names.
// The statistics are the ones the world's styles change (see world/style.ts): edge density
// (cartoon outlines, sketch hatching, neon rims), dark and bright shares (neon darkens the
// background, sketch brightens it to paper), saturation (sketch halves it), and blockiness
// (pixel art is constant inside blocks and changes only at block borders).

/** One frame, light-normalised RGB floats (height, width, 3). */
export type FloatFrame = Float32Array;

const luma = (f: FloatFrame, p: number) => 0.299 * f[p]! + 0.587 * f[p + 1]! + 0.114 * f[p + 2]!;

/**
 * Style statistics of one frame, each in 0..1.
 * Edge thresholds (40 levels) sit far above mild noise (±8 → neighbour differences rarely > 30)
 * and below any drawn edge.
 */
export function styleStats(f: FloatFrame, width: number, height: number, block: number): number[] {
  let edges = 0;
  let dark = 0;
  let bright = 0;
  let sat = 0;
  let inside = 0;
  let border = 0;
  let nInside = 0;
  let nBorder = 0;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const p = (y * width + x) * 3;
      const l = luma(f, p);
      if (l < 45) dark++;
      if (l > 215) bright++;
      const mx = Math.max(f[p]!, f[p + 1]!, f[p + 2]!);
      const mn = Math.min(f[p]!, f[p + 1]!, f[p + 2]!);
      // saturated share, not mean saturation: noise tints every grey pixel a little
      if (mx > 1 && (mx - mn) / mx > 0.25) sat++;
      if (x + 1 < width) {
        const d = Math.abs(l - luma(f, p + 3));
        if (d > 40) edges++;
        if (x % block === block - 1) {
          border += d;
          nBorder++;
        } else {
          inside += d;
          nInside++;
        }
      }
    }
  }
  const n = width * height;
  const bi = inside / Math.max(1, nInside);
  const bb = border / Math.max(1, nBorder);
  // +16: mild noise adds ~8 to both means and must not read as (or hide) blockiness
  const blockiness = (bb - bi) / (bb + bi + 16);
  return [4 * (edges / n), dark / n, bright / n, sat / n, Math.max(0, blockiness)];
}

/** Mean statistics over a few frames spread through the clip. */
export function clipStyleStats(
  frames: readonly FloatFrame[],
  width: number,
  height: number,
  block: number,
): number[] {
  const picks = pickFrames(frames.length, 4);
  const sum = [0, 0, 0, 0, 0];
  for (const f of picks) {
    const stats = styleStats(frames[f]!, width, height, block);
    for (let i = 0; i < sum.length; i++) sum[i]! += stats[i]!;
  }
  return sum.map((v) => v / picks.length);
}

/** Up to k frame indices spread evenly over n frames. */
export function pickFrames(n: number, k: number): number[] {
  if (n <= k) return Array.from({ length: n }, (_, i) => i);
  return Array.from({ length: k }, (_, i) => Math.round((i * (n - 1)) / (k - 1)));
}

export function distance(a: readonly number[], b: readonly number[]): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i]! - b[i]!) ** 2;
  return Math.sqrt(s);
}

/**
 * Background layout: mean colour of each cell of a 3x3 grid over background pixels (mask 0),
 * `colors` (9, 3), NaN for a cell with no background pixel, and how many background pixels each
 * cell has, `pixels` (9). A solid colour, a vertical gradient or sky over sea all differ here,
 * while the camera's small pans barely move the cell means.
 */
export function backgroundGrid(
  f: FloatFrame,
  width: number,
  height: number,
  mask: Uint8Array,
  gain = 1,
): { colors: Float64Array; pixels: Float64Array } {
  const sum = new Float64Array(27);
  const cnt = new Float64Array(9);
  for (let y = 0; y < height; y++) {
    const gy = Math.min(2, Math.floor((3 * y) / height));
    for (let x = 0; x < width; x++) {
      if (mask[y * width + x]) continue;
      const g = gy * 3 + Math.min(2, Math.floor((3 * x) / width));
      const p = (y * width + x) * 3;
      sum[3 * g]! += f[p]!;
      sum[3 * g + 1]! += f[p + 1]!;
      sum[3 * g + 2]! += f[p + 2]!;
      cnt[g]! += 1;
    }
  }
  for (let g = 0; g < 9; g++)
    for (let c = 0; c < 3; c++) sum[3 * g + c] = cnt[g]! ? (gain * sum[3 * g + c]!) / cnt[g]! : Number.NaN;
  return { colors: sum, pixels: cnt };
}
