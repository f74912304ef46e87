// Visual styles: the same scene, rendered differently. Each style is a pass over a finished
// frame (background + objects, before lighting) that uses the frame's ownership map (which
// object covers each pixel, -1 for background) to find object edges.
//
// flat    : as drawn (anti-aliased fills, sprites as they are).
// cartoon : bold dark outlines around every object, slightly punchier object colours.
// pixel   : blocky (blocks of ~1/21 of the shorter side, on a fixed grid, averaged) and
//           posterised to 6 levels per channel.
// sketch  : grey pencil edges and diagonal hatching on warm paper; objects keep half their colour,
//           the background a quarter, so colours can still be told apart.
// neon    : dark background (15 % of itself), dim object interiors (30 %), bright saturated edges
//           in the object's own colour with a blurred glow around them.
//
// Every style is local (a pixel depends only on pixels within `styleMargin` of it, or on its own
// pixel block), so the renderer styles the background once and then only the rectangle around
// the objects in each frame; the result is the same as styling the whole frame.
import type { Style } from './spec.ts';

export const PAPER = [246, 241, 228] as const;
export const OUTLINE = [24, 24, 34] as const;
export const PENCIL = [72, 72, 78] as const;
/** Fractions of colour kept by sketch (objects, background) and neon (objects, background). */
export const SKETCH_KEEP = { object: 0.5, background: 0.25 } as const;
export const NEON_KEEP = { object: 0.3, background: 0.15 } as const;

/** Edge thickness in pixels for outlines and glows at a frame size. */
export function edgeWidth(width: number, height: number): number {
  return Math.max(1, Math.round(Math.min(width, height) / 64));
}

/** Block size of the pixel style. */
export function pixelBlock(width: number, height: number): number {
  return Math.max(2, Math.round(Math.min(width, height) / 21));
}

/** Radius of the neon glow blur. */
export function glowRadius(width: number, height: number): number {
  return Math.max(1, 2 * edgeWidth(width, height));
}

/** How far (pixels) a style's effect reaches beyond an object's silhouette. */
export function styleMargin(style: Style, width: number, height: number): number {
  const t = edgeWidth(width, height);
  if (style === 'neon') return 2 * glowRadius(width, height) + t + 1;
  if (style === 'cartoon' || style === 'sketch') return t + 1;
  return 1;
}

/** A pixel rectangle [x0, x1) x [y0, y1). */
export interface Rect {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
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
    edges: new Uint8Array(style === 'flat' || style === 'pixel' ? 0 : W * H),
    glow: new Float32Array(needGlow ? W * H * 3 : 0),
    tmp: new Float32Array(needGlow ? W * H * 3 : 0),
    sharp: new Float32Array(needGlow ? W * H * 3 : 0),
  };
}

/** Marks pixels of an object within `t` steps (along x or y) of a different owner inside the frame. */
function edgeMap(owner: Int8Array, W: number, H: number, t: number, out: Uint8Array, r: Rect): void {
  for (let y = r.y0; y < r.y1; y++) {
    for (let x = r.x0; x < r.x1; x++) {
      const p = y * W + x;
      out[p] = 0;
      const o = owner[p]!;
      if (o < 0) continue;
      let edge = 0;
      for (let k = 1; k <= t && edge === 0; k++) {
        if (x - k >= 0 && owner[p - k] !== o) edge = 1;
        else if (x + k < W && owner[p + k] !== o) edge = 1;
        else if (y - k >= 0 && owner[p - k * W] !== o) edge = 1;
        else if (y + k < H && owner[p + k * W] !== o) edge = 1;
      }
      out[p] = edge;
    }
  }
}

function boxBlur(
  src: Float32Array,
  dst: Float32Array,
  W: number,
  r: Rect,
  radius: number,
  horizontal: boolean,
) {
  // running-sum box filter along rows or columns of the rectangle (three channels at once), zero outside it
  const a = horizontal ? r.x0 : r.y0;
  const b = horizontal ? r.x1 : r.y1;
  const l0 = horizontal ? r.y0 : r.x0;
  const l1 = horizontal ? r.y1 : r.x1;
  const step = horizontal ? 3 : 3 * W;
  const lineStep = horizontal ? 3 * W : 3;
  const norm = 1 / (2 * radius + 1);
  for (let line = l0; line < l1; line++) {
    const base = line * lineStep;
    let ar = 0;
    let ag = 0;
    let ab = 0;
    for (let k = a; k <= a + radius && k < b; k++) {
      const q = base + k * step;
      ar += src[q]!;
      ag += src[q + 1]!;
      ab += src[q + 2]!;
    }
    for (let k = a; k < b; k++) {
      const q = base + k * step;
      dst[q] = ar * norm;
      dst[q + 1] = ag * norm;
      dst[q + 2] = ab * norm;
      const out = k - radius;
      const inn = k + radius + 1;
      if (out >= a) {
        const o = base + out * step;
        ar -= src[o]!;
        ag -= src[o + 1]!;
        ab -= src[o + 2]!;
      }
      if (inn < b) {
        const o = base + inn * step;
        ar += src[o]!;
        ag += src[o + 1]!;
        ab += src[o + 2]!;
      }
    }
  }
}

/** Grows a rectangle to whole pixel-style blocks (the block grid starts at 0, 0). */
export function alignToBlocks(r: Rect, W: number, H: number): Rect {
  const b = pixelBlock(W, H);
  return {
    x0: Math.floor(r.x0 / b) * b,
    y0: Math.floor(r.y0 / b) * b,
    x1: Math.min(W, Math.ceil(r.x1 / b) * b),
    y1: Math.min(H, Math.ceil(r.y1 / b) * b),
  };
}

/**
 * Applies a style in place to one frame (RGB, H x W), inside `rect` only (default: the whole
 * frame). For the pixel style the rectangle must be block-aligned (alignToBlocks).
 */
export function applyStyle(
  style: Style,
  frame: Uint8ClampedArray,
  owner: Int8Array,
  W: number,
  H: number,
  scratch: StyleScratch,
  rect: Rect = { x0: 0, y0: 0, x1: W, y1: H },
): void {
  if (style === 'flat' || rect.x1 <= rect.x0 || rect.y1 <= rect.y0) return;
  const t = edgeWidth(W, H);
  if (style === 'pixel') {
    const b = pixelBlock(W, H);
    for (let by = rect.y0; by < rect.y1; by += b) {
      const y1 = Math.min(H, by + b);
      for (let bx = rect.x0; bx < rect.x1; bx += b) {
        const x1 = Math.min(W, bx + b);
        let r = 0;
        let g = 0;
        let bl = 0;
        for (let y = by; y < y1; y++) {
          for (let i = (y * W + bx) * 3, e = (y * W + x1) * 3; i < e; i += 3) {
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
          for (let i = (y * W + bx) * 3, e = (y * W + x1) * 3; i < e; i += 3) {
            frame[i] = qr;
            frame[i + 1] = qg;
            frame[i + 2] = qb;
          }
        }
      }
    }
    return;
  }
  const e = scratch.edges;
  edgeMap(owner, W, H, t, e, rect);
  if (style === 'cartoon') {
    for (let y = rect.y0; y < rect.y1; y++) {
      for (let p = y * W + rect.x0, pe = y * W + rect.x1; p < pe; p++) {
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
    }
    return;
  }
  if (style === 'sketch') {
    const hatch = Math.max(3, Math.round(Math.min(W, H) / 16));
    for (let y = rect.y0; y < rect.y1; y++) {
      for (let x = rect.x0; x < rect.x1; x++) {
        const p = y * W + x;
        const i = p * 3;
        if (e[p]) {
          frame[i] = PENCIL[0];
          frame[i + 1] = PENCIL[1];
          frame[i + 2] = PENCIL[2];
          continue;
        }
        const obj = owner[p]! >= 0;
        const k = obj ? SKETCH_KEEP.object : SKETCH_KEEP.background;
        let r = PAPER[0] + (frame[i]! - PAPER[0]) * k;
        let g = PAPER[1] + (frame[i + 1]! - PAPER[1]) * k;
        let b = PAPER[2] + (frame[i + 2]! - PAPER[2]) * k;
        if (obj && (x + y) % hatch === 0) {
          r *= 0.82;
          g *= 0.82;
          b *= 0.82;
        }
        frame[i] = r;
        frame[i + 1] = g;
        frame[i + 2] = b;
      }
    }
    return;
  }
  // neon
  const glow = scratch.glow;
  const sharp = scratch.sharp;
  let anyEdge = false;
  for (let y = rect.y0; y < rect.y1; y++) {
    for (let p = y * W + rect.x0, pe = y * W + rect.x1; p < pe; p++) {
      const i = p * 3;
      if (e[p]) {
        anyEdge = true;
        const r = frame[i]!;
        const g = frame[i + 1]!;
        const b = frame[i + 2]!;
        const m = Math.max(r, g, b, 1);
        // saturated, full-brightness version of the edge colour, lifted a little towards white
        sharp[i] = (r / m) * 204 + 51;
        sharp[i + 1] = (g / m) * 204 + 51;
        sharp[i + 2] = (b / m) * 204 + 51;
      } else {
        sharp[i] = 0;
        sharp[i + 1] = 0;
        sharp[i + 2] = 0;
      }
    }
  }
  const radius = glowRadius(W, H);
  if (anyEdge) {
    boxBlur(sharp, scratch.tmp, W, rect, radius, true);
    boxBlur(scratch.tmp, glow, W, rect, radius, false);
  }
  for (let y = rect.y0; y < rect.y1; y++) {
    for (let p = y * W + rect.x0, pe = y * W + rect.x1; p < pe; p++) {
      const i = p * 3;
      if (e[p]) {
        frame[i] = sharp[i]!;
        frame[i + 1] = sharp[i + 1]!;
        frame[i + 2] = sharp[i + 2]!;
        continue;
      }
      const k = owner[p]! >= 0 ? NEON_KEEP.object : NEON_KEEP.background;
      const gr = anyEdge ? glow[i]! * 1.2 : 0;
      const gg = anyEdge ? glow[i + 1]! * 1.2 : 0;
      const gb = anyEdge ? glow[i + 2]! * 1.2 : 0;
      frame[i] = frame[i]! * k + 4 + gr;
      frame[i + 1] = frame[i + 1]! * k + 4 + gg;
      frame[i + 2] = frame[i + 2]! * k + 12 + gb;
    }
  }
}

/**
 * The style of background pixels far from any object (no edges, no glow): a per-pixel colour
 * map, so it can be applied once to the whole world background. Identity for flat and cartoon;
 * undefined for pixel (blocks depend on their neighbours).
 */
export function styleBackgroundPixels(
  style: Style,
  rgb: Uint8Array | Uint8ClampedArray,
): Uint8ClampedArray | undefined {
  if (style === 'pixel') return undefined;
  const out = new Uint8ClampedArray(rgb);
  if (style === 'sketch') {
    const k = SKETCH_KEEP.background;
    for (let i = 0; i < out.length; i += 3) {
      out[i] = PAPER[0] + (out[i]! - PAPER[0]) * k;
      out[i + 1] = PAPER[1] + (out[i + 1]! - PAPER[1]) * k;
      out[i + 2] = PAPER[2] + (out[i + 2]! - PAPER[2]) * k;
    }
  } else if (style === 'neon') {
    const k = NEON_KEEP.background;
    for (let i = 0; i < out.length; i += 3) {
      out[i] = out[i]! * k + 4;
      out[i + 1] = out[i + 1]! * k + 4;
      out[i + 2] = out[i + 2]! * k + 12;
    }
  }
  return out;
}
