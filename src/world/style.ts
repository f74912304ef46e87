// Visual styles: the same scene, rendered differently. Each style is a pass over a finished
// frame (background + objects, before lighting) that uses the frame's ownership map (which
// object covers each pixel, -1 for background) to find object edges.
//
// flat    : as drawn (anti-aliased fills, sprites as they are).
// cartoon : bold dark outlines around every object, slightly punchier object colours.
// pixel   : blocky (blocks of ~1/21 of the shorter side, averaged) and posterised to 6 levels
//           per channel.
// sketch  : grey pencil edges and diagonal hatching on warm paper; objects keep half their colour,
//           the background a quarter, so colours can still be told apart.
// neon    : dark background (15 % of itself), dim object interiors, bright saturated edges in
//           the object's own colour with a blurred glow around them.
import type { Style } from './spec.ts';

export const PAPER = [246, 241, 228] as const;
export const OUTLINE = [24, 24, 34] as const;
export const PENCIL = [72, 72, 78] as const;

/** Edge thickness in pixels for outlines and glows at a frame size. */
export function edgeWidth(width: number, height: number): number {
  return Math.max(1, Math.round(Math.min(width, height) / 64));
}

/** Block size of the pixel style. */
export function pixelBlock(width: number, height: number): number {
  return Math.max(2, Math.round(Math.min(width, height) / 21));
}

/** Marks pixels within `t` pixels (4-neighbourhood steps along x and y) of an ownership change. */
function edgeMap(owner: Int8Array, W: number, H: number, t: number, out: Uint8Array): void {
  out.fill(0);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const p = y * W + x;
      const o = owner[p]!;
      if (o < 0) continue;
      let edge = false;
      for (let k = 1; k <= t && !edge; k++) {
        if (x - k < 0 || owner[p - k] !== o) edge = true;
        else if (x + k >= W || owner[p + k] !== o) edge = true;
        else if (y - k < 0 || owner[p - k * W] !== o) edge = true;
        else if (y + k >= H || owner[p + k * W] !== o) edge = true;
      }
      // the frame border is not an object edge
      if (edge) {
        let inner = false;
        for (let k = 1; k <= t && !inner; k++) {
          if (x - k >= 0 && owner[p - k] !== o) inner = true;
          else if (x + k < W && owner[p + k] !== o) inner = true;
          else if (y - k >= 0 && owner[p - k * W] !== o) inner = true;
          else if (y + k < H && owner[p + k * W] !== o) inner = true;
        }
        if (inner) out[p] = 1;
      }
    }
  }
}

/** Scratch buffers reused across the frames of one clip. */
export interface StyleScratch {
  edges: Uint8Array;
  glow: Float32Array;
  tmp: Float32Array;
  sharp: Float32Array;
}

export function makeStyleScratch(W: number, H: number, style: Style): StyleScratch {
  const needGlow = style === 'neon';
  return {
    edges: new Uint8Array(W * H),
    glow: new Float32Array(needGlow ? W * H * 3 : 0),
    tmp: new Float32Array(needGlow ? W * H * 3 : 0),
    sharp: new Float32Array(needGlow ? W * H * 3 : 0),
  };
}

function boxBlur(src: Float32Array, dst: Float32Array, W: number, H: number, r: number, horizontal: boolean) {
  // running-sum box filter along rows (stride 3) or columns (stride 3W), zero outside
  const n = horizontal ? W : H;
  const lines = horizontal ? H : W;
  const step = horizontal ? 3 : 3 * W;
  const lineStep = horizontal ? 3 * W : 3;
  const norm = 1 / (2 * r + 1);
  for (let line = 0; line < lines; line++) {
    const base = line * lineStep;
    for (let c = 0; c < 3; c++) {
      const b = base + c;
      let acc = 0;
      for (let k = 0; k <= r && k < n; k++) acc += src[b + k * step]!;
      for (let k = 0; k < n; k++) {
        dst[b + k * step] = acc * norm;
        const out = k - r;
        const inn = k + r + 1;
        if (out >= 0) acc -= src[b + out * step]!;
        if (inn < n) acc += src[b + inn * step]!;
      }
    }
  }
}

/** Applies a style in place to one frame (RGB, H x W). */
export function applyStyle(
  style: Style,
  frame: Uint8ClampedArray,
  owner: Int8Array,
  W: number,
  H: number,
  scratch: StyleScratch,
): void {
  if (style === 'flat') return;
  const t = edgeWidth(W, H);
  if (style === 'cartoon') {
    edgeMap(owner, W, H, t, scratch.edges);
    const e = scratch.edges;
    for (let p = 0; p < W * H; p++) {
      const i = p * 3;
      if (e[p]) {
        frame[i] = OUTLINE[0];
        frame[i + 1] = OUTLINE[1];
        frame[i + 2] = OUTLINE[2];
      } else if (owner[p]! >= 0) {
        // punchier colour: push away from grey
        const r = frame[i]!;
        const g = frame[i + 1]!;
        const b = frame[i + 2]!;
        const m = (r + g + b) / 3;
        frame[i] = m + (r - m) * 1.25;
        frame[i + 1] = m + (g - m) * 1.25;
        frame[i + 2] = m + (b - m) * 1.25;
      }
    }
    return;
  }
  if (style === 'pixel') {
    const b = pixelBlock(W, H);
    for (let by = 0; by < H; by += b) {
      const y1 = Math.min(H, by + b);
      for (let bx = 0; bx < W; bx += b) {
        const x1 = Math.min(W, bx + b);
        let r = 0;
        let g = 0;
        let bl = 0;
        for (let y = by; y < y1; y++) {
          for (let x = bx; x < x1; x++) {
            const i = (y * W + x) * 3;
            r += frame[i]!;
            g += frame[i + 1]!;
            bl += frame[i + 2]!;
          }
        }
        const n = (y1 - by) * (x1 - bx);
        const qr = Math.round(r / n / 51) * 51;
        const qg = Math.round(g / n / 51) * 51;
        const qb = Math.round(bl / n / 51) * 51;
        for (let y = by; y < y1; y++) {
          for (let x = bx; x < x1; x++) {
            const i = (y * W + x) * 3;
            frame[i] = qr;
            frame[i + 1] = qg;
            frame[i + 2] = qb;
          }
        }
      }
    }
    return;
  }
  if (style === 'sketch') {
    edgeMap(owner, W, H, t, scratch.edges);
    const e = scratch.edges;
    const hatch = Math.max(3, Math.round(Math.min(W, H) / 16));
    for (let y = 0; y < H; y++) {
      for (let x = 0; x < W; x++) {
        const p = y * W + x;
        const i = p * 3;
        const obj = owner[p]! >= 0;
        const k = obj ? 0.5 : 0.25;
        let r = PAPER[0] + (frame[i]! - PAPER[0]) * k;
        let g = PAPER[1] + (frame[i + 1]! - PAPER[1]) * k;
        let b = PAPER[2] + (frame[i + 2]! - PAPER[2]) * k;
        if (obj && (x + y) % hatch === 0) {
          r *= 0.82;
          g *= 0.82;
          b *= 0.82;
        }
        if (e[p]) {
          r = PENCIL[0];
          g = PENCIL[1];
          b = PENCIL[2];
        }
        frame[i] = r;
        frame[i + 1] = g;
        frame[i + 2] = b;
      }
    }
    return;
  }
  // neon
  edgeMap(owner, W, H, t, scratch.edges);
  const e = scratch.edges;
  const glow = scratch.glow;
  glow.fill(0);
  for (let p = 0; p < W * H; p++) {
    const i = p * 3;
    if (e[p]) {
      const r = frame[i]!;
      const g = frame[i + 1]!;
      const b = frame[i + 2]!;
      const m = Math.max(r, g, b, 1);
      // saturated, full-brightness version of the edge colour, lifted a little towards white
      glow[i] = (r / m) * 255 * 0.8 + 51;
      glow[i + 1] = (g / m) * 255 * 0.8 + 51;
      glow[i + 2] = (b / m) * 255 * 0.8 + 51;
    }
  }
  const edgeCopy = scratch.tmp;
  // keep the sharp edge colours, then blur a copy for the glow
  const sharp = scratch.sharp;
  sharp.set(glow);
  const r = Math.max(1, 2 * t);
  boxBlur(glow, edgeCopy, W, H, r, true);
  boxBlur(edgeCopy, glow, W, H, r, false);
  for (let p = 0; p < W * H; p++) {
    const i = p * 3;
    if (e[p]) {
      frame[i] = sharp[i]!;
      frame[i + 1] = sharp[i + 1]!;
      frame[i + 2] = sharp[i + 2]!;
      continue;
    }
    const k = owner[p]! >= 0 ? 0.3 : 0.15;
    frame[i] = frame[i]! * k + 4 + glow[i]! * 1.2;
    frame[i + 1] = frame[i + 1]! * k + 4 + glow[i + 1]! * 1.2;
    frame[i + 2] = frame[i + 2]! * k + 12 + glow[i + 2]! * 1.2;
  }
}
