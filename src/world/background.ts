// Backgrounds, drawn once per clip over the whole world the camera can see: the frame plus a
// margin on every side (WORLD_MARGIN), at the clip's own pixel scale, so a static camera just
// copies rows and pans/zooms sample it. Textures are seeded value noise measured in world units,
// so a texture looks the same at any resolution.
import { WORLD_MARGIN } from './motion.ts';
import { PALETTE } from './palette.ts';
import type { Rng } from './random.ts';
import type { Background } from './spec.ts';

export interface WorldBackground {
  /** RGB uint8, bh x bw x 3. */
  rgb: Uint8Array;
  bw: number;
  bh: number;
  /** Pixels of margin on the left/top: frame pixel (i, j) of a static camera is (i + ox, j + oy). */
  ox: number;
  oy: number;
  /** Mean colour of the frame area (0..255), for captions and the oracle. */
  mean: [number, number, number];
}

/** Representative colour of each textured background (what the oracle expects to see). */
export const BACKGROUND_BASE: Record<string, readonly [number, number, number]> = {
  grass: [78, 150, 62],
  sky: [130, 180, 238],
  sea: [28, 98, 160],
  night: [16, 22, 56],
  desert: [222, 188, 122],
  snow: [232, 238, 248],
};

/**
 * Smooth value noise over a coarse random grid (wrapping), evaluated on a pixel lattice: the
 * per-column and per-row cell indices and smoothstep weights are computed once, so each pixel
 * costs four lookups and three lerps.
 */
class NoiseLayer {
  private readonly g: Float32Array;
  private readonly gw: number;
  readonly xi: Int32Array;
  readonly xf: Float32Array;
  readonly yi: Int32Array;
  readonly yf: Float32Array;
  constructor(rng: Rng, gw: number, gh: number, xs: Float64Array, ys: Float64Array, fx: number, fy: number) {
    this.gw = gw;
    this.g = new Float32Array((gw + 1) * (gh + 1));
    for (let i = 0; i < this.g.length; i++) this.g[i] = rng.next();
    const lattice = (coords: Float64Array, f: number, n: number): [Int32Array, Float32Array] => {
      const idx = new Int32Array(coords.length);
      const w = new Float32Array(coords.length);
      for (let k = 0; k < coords.length; k++) {
        const v = coords[k]! * f;
        const fl = Math.floor(v);
        let t = v - fl;
        t = t * t * (3 - 2 * t);
        idx[k] = ((fl % n) + n) % n;
        w[k] = t;
      }
      return [idx, w];
    };
    [this.xi, this.xf] = lattice(xs, fx, gw);
    [this.yi, this.yf] = lattice(ys, fy, gh);
  }
  /** Noise at lattice column bx, row by (0..1). */
  at(bx: number, by: number): number {
    const i = this.yi[by]! * (this.gw + 1) + this.xi[bx]!;
    const g = this.g;
    const a = g[i]!;
    const b = g[i + 1]!;
    const c = g[i + this.gw + 1]!;
    const d = g[i + this.gw + 2]!;
    const fx = this.xf[bx]!;
    const fy = this.yf[by]!;
    return a + (b - a) * fx + (c - a) * fy + (a - b - c + d) * fx * fy;
  }
}

function clamp255(v: number): number {
  return v < 0 ? 0 : v > 255 ? 255 : v;
}

/** Draws the background of a clip (frame W x H plus margins). */
export function drawBackground(bg: Background, width: number, height: number, rng: Rng): WorldBackground {
  const ox = Math.ceil(WORLD_MARGIN * width);
  const oy = Math.ceil(WORLD_MARGIN * height);
  const bw = width + 2 * ox;
  const bh = height + 2 * oy;
  const rgb = new Uint8Array(bw * bh * 3);
  const S = Math.min(width, height);
  // world coordinates of pixel centres: wx = (bx + 0.5 - ox) / width
  const put = (i: number, r: number, g: number, b: number) => {
    rgb[i] = clamp255(r);
    rgb[i + 1] = clamp255(g);
    rgb[i + 2] = clamp255(b);
  };
  const kind = bg.kind;
  if (kind === 'solid') {
    const [r, g, b] = PALETTE[bg.color];
    for (let i = 0; i < bw * bh * 3; i += 3) {
      rgb[i] = r;
      rgb[i + 1] = g;
      rgb[i + 2] = b;
    }
  } else if (kind === 'gradient') {
    const c1 = PALETTE[bg.color];
    const c2 = PALETTE[bg.color2];
    for (let by = 0; by < bh; by++) {
      let t = (by + 0.5 - oy) / height;
      t = t < 0 ? 0 : t > 1 ? 1 : t;
      const r = c1[0] + (c2[0] - c1[0]) * t;
      const g = c1[1] + (c2[1] - c1[1]) * t;
      const b = c1[2] + (c2[2] - c1[2]) * t;
      for (let bx = 0; bx < bw; bx++) put((by * bw + bx) * 3, r + 0.5, g + 0.5, b + 0.5);
    }
  } else {
    // textures: noise at two scales, in world units (aspect-correct via S)
    const xs = new Float64Array(bw);
    const ys = new Float64Array(bh);
    for (let bx = 0; bx < bw; bx++) xs[bx] = (bx + 0.5 - ox) / S;
    for (let by = 0; by < bh; by++) ys[by] = (by + 0.5 - oy) / S;
    const [cfx, cfy, ffx, ffy] = {
      grass: [4, 4, 40, 6],
      sky: [3, 5, 1, 1],
      sea: [3, 3, 1, 1],
      night: [2, 2, 60, 60],
      desert: [3, 3, 50, 50],
      snow: [4, 4, 50, 50],
    }[kind];
    const coarse = new NoiseLayer(rng.fork('coarse'), 16, 16, xs, ys, cfx, cfy);
    const fine = new NoiseLayer(rng.fork('fine'), 64, 64, xs, ys, ffx, ffy);
    const phase = rng.range(0, Math.PI * 2);
    const sinX = new Float64Array(bw);
    for (let bx = 0; bx < bw; bx++) sinX[bx] = kind === 'sea' ? Math.sin(xs[bx]! * 9) * 1.5 : xs[bx]! * 8;
    for (let by = 0; by < bh; by++) {
      const wy = ys[by]!;
      const ty = (by + 0.5 - oy) / height; // 0..1 down the frame
      let i = by * bw * 3;
      for (let bx = 0; bx < bw; bx++, i += 3) {
        switch (kind) {
          case 'grass': {
            const k = 0.8 + 0.35 * coarse.at(bx, by) + 0.3 * (fine.at(bx, by) - 0.5) - 0.12 * ty;
            put(i, 78 * k, 150 * k, 62 * k);
            break;
          }
          case 'sky': {
            const n = coarse.at(bx, by);
            const cloud = n > 0.62 ? Math.min(1, (n - 0.62) * 4) : 0;
            const r = 100 + 70 * ty;
            const g = 160 + 45 * ty;
            const b = 232 + 15 * ty;
            put(i, r + (245 - r) * cloud, g + (248 - g) * cloud, b + (252 - b) * cloud);
            break;
          }
          case 'sea': {
            const n = coarse.at(bx, by);
            const wave = Math.sin(wy * 45 + phase + n * 6 + sinX[bx]!);
            const crest = wave > 0.85 ? (wave - 0.85) * 3 : 0;
            const k = 0.85 + 0.25 * n + 0.15 * ty;
            put(i, 28 * k + 160 * crest, 98 * k + 140 * crest, 160 * k + 90 * crest);
            break;
          }
          case 'night': {
            const k = 0.8 + 0.4 * ty;
            const f = fine.at(bx, by);
            const star = f > 0.93 ? (f - 0.93) * 14 : 0;
            const glow = 0.15 * coarse.at(bx, by);
            put(
              i,
              12 * k + 230 * star + 20 * glow,
              18 * k + 230 * star + 20 * glow,
              48 * k + 200 * star + 40 * glow,
            );
            break;
          }
          case 'desert': {
            const n = coarse.at(bx, by);
            const dune = Math.sin(sinX[bx]! + wy * 20 + n * 5 + phase);
            const grain = fine.at(bx, by) - 0.5;
            const k = 0.94 + 0.08 * dune + 0.08 * grain;
            put(i, 222 * k, 188 * k, 122 * k);
            break;
          }
          case 'snow': {
            const sparkle = fine.at(bx, by) > 0.94 ? 20 : 0;
            const shade = 0.93 + 0.08 * coarse.at(bx, by);
            put(i, 232 * shade + sparkle, 238 * shade + sparkle, 248 * shade + sparkle);
            break;
          }
        }
      }
    }
  }
  let r = 0;
  let g = 0;
  let b = 0;
  const step = Math.max(1, Math.floor((width * height) / 1024));
  let count = 0;
  for (let p = 0; p < width * height; p += step) {
    const x = p % width;
    const y = (p / width) | 0;
    const i = ((y + oy) * bw + x + ox) * 3;
    r += rgb[i]!;
    g += rgb[i + 1]!;
    b += rgb[i + 2]!;
    count++;
  }
  return { rgb, bw, bh, ox, oy, mean: [r / count, g / count, b / count] };
}
