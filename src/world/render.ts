// The renderer: (scene spec, seed) -> frames + per-frame ground truth + captions.
//
// Deterministic: the same spec and seed give the same bytes on every run (all randomness comes
// from a mulberry32 stream seeded by `seed`; no clocks, no Math.random).
//
// Pixel geometry: pixel (i, j) covers [i, i+1) x [j, j+1) and is sampled at its centre
// (i + 0.5, j + 0.5). Truth x/y are the object's centre in those continuous pixel coordinates,
// after the camera. An object is drawn inside a w x h square (w = h = nominal size x grow/shrink
// scale x camera zoom) centred at (x, y) and rotated by `angle` (clockwise). Draw order is
// by depth, then by the order of spec.objects; nearer objects cover farther ones.
//
// Truth `occluded` is the fraction of the object's silhouette (pixels with coverage >= 0.5,
// counted as if the frame were unbounded) that is not the topmost silhouette in the frame:
// hidden by nearer objects or outside the frame. `present` is false before "appear", after
// "disappear", and when no pixel of the silhouette falls inside the frame.

import type { WorldBackground } from './background.ts';
import { drawBackground } from './background.ts';
import { captionScene } from './captions.ts';
import { classByName, shownColor } from './classes.ts';
import type { CameraState } from './motion.ts';
import { cameraAt, lightingAt, sceneTracks } from './motion.ts';
import { PALETTE } from './palette.ts';
import { makeRng } from './random.ts';
import { type Sdf, SHAPE_SDF } from './shapes.ts';
import type { Clip, FrameTruth, ObjectTruth, SceneSpec } from './spec.ts';
import { loadSprite, type Sprite, spriteLevel } from './sprites.ts';
import {
  alignToBlocks,
  applyStyle,
  makeStyleScratch,
  type Rect,
  styleBackgroundPixels,
  styleMargin,
} from './style.ts';

export interface RenderOptions {
  /** Also return per-pixel ownership masks (Clip.masks). */
  masks?: boolean;
  /** Skip caption generation (captions come back empty): for raw-speed uses. */
  captions?: boolean;
  /**
   * Render the slow, obvious way (every frame's background sampled and styled whole). Gives the
   * same bytes as the default fast path; tests use it to prove that.
   */
  reference?: boolean;
}

interface Drawable {
  index: number;
  sdf?: Sdf;
  sprite?: Sprite;
  color: readonly [number, number, number];
  tint?: readonly [number, number, number];
}

interface DrawStats {
  total: number;
  inFrame: number;
}

const stats: DrawStats = { total: 0, inFrame: 0 };

function drawShape(
  frame: Uint8ClampedArray,
  owner: Int8Array,
  W: number,
  H: number,
  d: Drawable,
  sx: number,
  sy: number,
  s: number,
  angle: number,
): void {
  const sdf = d.sdf!;
  const cos = Math.cos(angle);
  const sin = Math.sin(angle);
  const half = (s / 2) * (Math.abs(cos) + Math.abs(sin)) + 1;
  const x0 = Math.floor(sx - half);
  const x1 = Math.ceil(sx + half);
  const y0 = Math.floor(sy - half);
  const y1 = Math.ceil(sy + half);
  const inv = 1 / s;
  const [cr, cg, cb] = d.color;
  let total = 0;
  let inFrame = 0;
  const id = d.index;
  for (let py = y0; py < y1; py++) {
    const dy = py + 0.5 - sy;
    const rowIn = py >= 0 && py < H;
    for (let px = x0; px < x1; px++) {
      const dx = px + 0.5 - sx;
      const u = (cos * dx + sin * dy) * inv;
      const v = (-sin * dx + cos * dy) * inv;
      const sd = sdf(u, v) * s;
      if (sd >= 0.5) continue;
      const a = sd <= -0.5 ? 1 : 0.5 - sd;
      const solid = a >= 0.5;
      if (solid) total++;
      if (!rowIn || px < 0 || px >= W) continue;
      const p = py * W + px;
      const i = p * 3;
      if (a >= 1) {
        frame[i] = cr;
        frame[i + 1] = cg;
        frame[i + 2] = cb;
      } else {
        frame[i] = frame[i]! + (cr - frame[i]!) * a;
        frame[i + 1] = frame[i + 1]! + (cg - frame[i + 1]!) * a;
        frame[i + 2] = frame[i + 2]! + (cb - frame[i + 2]!) * a;
      }
      if (solid) {
        owner[p] = id;
        inFrame++;
      }
    }
  }
  stats.total = total;
  stats.inFrame = inFrame;
}

function drawSprite(
  frame: Uint8ClampedArray,
  owner: Int8Array,
  W: number,
  H: number,
  d: Drawable,
  sx: number,
  sy: number,
  s: number,
  angle: number,
): void {
  const level = spriteLevel(d.sprite!, s);
  const L = level.size;
  const tex = level.rgba;
  const cos = Math.cos(angle);
  const sin = Math.sin(angle);
  const half = (s / 2) * (Math.abs(cos) + Math.abs(sin)) + 1;
  const x0 = Math.floor(sx - half);
  const x1 = Math.ceil(sx + half);
  const y0 = Math.floor(sy - half);
  const y1 = Math.ceil(sy + half);
  const k = L / s;
  const tint = d.tint;
  let total = 0;
  let inFrame = 0;
  const id = d.index;
  for (let py = y0; py < y1; py++) {
    const dy = py + 0.5 - sy;
    const rowIn = py >= 0 && py < H;
    for (let px = x0; px < x1; px++) {
      const dx = px + 0.5 - sx;
      // texel coordinates (continuous, texel centres at +0.5)
      const tu = (cos * dx + sin * dy) * k + L / 2 - 0.5;
      const tv = (-sin * dx + cos * dy) * k + L / 2 - 0.5;
      if (tu <= -1 || tv <= -1 || tu >= L || tv >= L) continue;
      const ix = Math.floor(tu);
      const iy = Math.floor(tv);
      const fx = tu - ix;
      const fy = tv - iy;
      let r = 0;
      let g = 0;
      let b = 0;
      let a = 0;
      // bilinear over premultiplied texels, zero outside
      if (ix >= 0 && iy >= 0 && ix + 1 < L && iy + 1 < L) {
        const t0 = (iy * L + ix) * 4;
        const t1 = t0 + L * 4;
        const w00 = (1 - fx) * (1 - fy);
        const w01 = fx * (1 - fy);
        const w10 = (1 - fx) * fy;
        const w11 = fx * fy;
        a = tex[t0 + 3]! * w00 + tex[t0 + 7]! * w01 + tex[t1 + 3]! * w10 + tex[t1 + 7]! * w11;
        if (a < 0.5) continue;
        r = tex[t0]! * w00 + tex[t0 + 4]! * w01 + tex[t1]! * w10 + tex[t1 + 4]! * w11;
        g = tex[t0 + 1]! * w00 + tex[t0 + 5]! * w01 + tex[t1 + 1]! * w10 + tex[t1 + 5]! * w11;
        b = tex[t0 + 2]! * w00 + tex[t0 + 6]! * w01 + tex[t1 + 2]! * w10 + tex[t1 + 6]! * w11;
      } else {
        for (let q = 0; q < 4; q++) {
          const qx = ix + (q & 1);
          const qy = iy + (q >> 1);
          if (qx < 0 || qy < 0 || qx >= L || qy >= L) continue;
          const w = ((q & 1) === 1 ? fx : 1 - fx) * (q >> 1 === 1 ? fy : 1 - fy);
          const t = (qy * L + qx) * 4;
          r += tex[t]! * w;
          g += tex[t + 1]! * w;
          b += tex[t + 2]! * w;
          a += tex[t + 3]! * w;
        }
      }
      if (a < 0.5) continue;
      const alpha = a / 255;
      const solid = alpha >= 0.5;
      if (solid) total++;
      if (!rowIn || px < 0 || px >= W) continue;
      if (tint) {
        const lum = (0.299 * r + 0.587 * g + 0.114 * b) / 255;
        r = tint[0] * lum * 1.3;
        g = tint[1] * lum * 1.3;
        b = tint[2] * lum * 1.3;
      }
      const p = py * W + px;
      const i = p * 3;
      const ia = 1 - alpha;
      frame[i] = frame[i]! * ia + r;
      frame[i + 1] = frame[i + 1]! * ia + g;
      frame[i + 2] = frame[i + 2]! * ia + b;
      if (solid) {
        owner[p] = id;
        inFrame++;
      }
    }
  }
  stats.total = total;
  stats.inFrame = inFrame;
}

/** Copies the part `r` of the frame from a world background image as the camera sees it. */
function sampleBackground(
  bg: WorldBackground,
  src: Uint8Array | Uint8ClampedArray,
  frame: Uint8ClampedArray,
  W: number,
  H: number,
  cam: CameraState,
  r: Rect,
  colIdx: Int32Array,
): void {
  if (r.x1 <= r.x0 || r.y1 <= r.y0) return;
  const zoom = cam.zoom;
  if (zoom === 1) {
    // nearest pixel: frame pixel i shows world pixel i + round(cam.x * W) + ox
    const bx0 = Math.floor(cam.x * W + 0.5) + bg.ox;
    const by0 = cam.y * H + bg.oy;
    const rowLen = (r.x1 - r.x0) * 3;
    for (let j = r.y0; j < r.y1; j++) {
      const by = Math.min(bg.bh - 1, Math.max(0, Math.floor(by0 + j + 0.5)));
      const s = (by * bg.bw + bx0 + r.x0) * 3;
      frame.set(src.subarray(s, s + rowLen), (j * W + r.x0) * 3);
    }
    return;
  }
  for (let i = r.x0; i < r.x1; i++) {
    const bx = Math.floor((cam.x + (i + 0.5) / (zoom * W)) * W + bg.ox);
    colIdx[i] = Math.min(bg.bw - 1, Math.max(0, bx)) * 3;
  }
  for (let j = r.y0; j < r.y1; j++) {
    const by = Math.min(bg.bh - 1, Math.max(0, Math.floor((cam.y + (j + 0.5) / (zoom * H)) * H + bg.oy)));
    const row = by * bg.bw * 3;
    let o = (j * W + r.x0) * 3;
    for (let i = r.x0; i < r.x1; i++) {
      const s = row + colIdx[i]!;
      frame[o++] = src[s]!;
      frame[o++] = src[s + 1]!;
      frame[o++] = src[s + 2]!;
    }
  }
}

/** How each object of a spec is drawn (resolved once per clip). */
function drawables(spec: SceneSpec): Drawable[] {
  return spec.objects.map((o, index) => {
    const cls = classByName(o.class);
    if (!cls) throw new Error(`unknown object class "${o.class}" at objects.${index}.class`);
    const color = PALETTE[shownColor(cls, o.color)];
    if (cls.kind === 'shape') return { index, sdf: SHAPE_SDF[cls.shape!], color };
    return {
      index,
      sprite: loadSprite(cls.image!),
      color,
      tint: cls.tintable ? PALETTE[o.color] : undefined,
    };
  });
}

/** Renders a clip. `spec` must be valid (see parseSpec); `seed` picks textures and caption wording. */
export function renderClip(spec: SceneSpec, seed: number, options: RenderOptions = {}): Clip {
  const W = spec.width;
  const H = spec.height;
  const F = spec.frames;
  const style = spec.style;
  const rng = makeRng(seed);
  const bg = drawBackground(spec.background, W, H, rng.fork('background'));
  const tracks = sceneTracks(spec);
  const draw = drawables(spec);
  const order = draw
    .map((d) => d.index)
    .sort((a, b) => spec.objects[a]!.depth - spec.objects[b]!.depth || a - b);
  const nObj = spec.objects.length;
  const frameSize = W * H * 3;
  const pixels = new Uint8Array(F * frameSize);
  const clamped = new Uint8ClampedArray(pixels.buffer);
  const owner = new Int8Array(W * H);
  const masks = options.masks ? new Int8Array(F * W * H) : undefined;
  const scratch = makeStyleScratch(W, H, style);
  const colIdx = new Int32Array(W);
  const totals = new Int32Array(nObj);
  const inFrames = new Int32Array(nObj);
  const visible = new Int32Array(nObj);
  const lut = new Uint8Array(256 * 3);
  const truth: FrameTruth[] = new Array(F);
  const margin = styleMargin(style, W, H);

  // Background pixels away from objects only need a per-pixel colour map for most styles, so
  // the styled world background is computed once; a static camera even reuses one crop.
  const reference = options.reference === true;
  const staticCam = !reference && spec.camera === 'static';
  const rawWorld = bg.rgb;
  const pointwise = styleBackgroundPixels(style, rawWorld);
  // pixel style with a moving camera: blocks are on the frame's grid, so style every frame whole
  const wholeFrameStyle = reference || (style === 'pixel' && !staticCam);
  const styledWorld = pointwise ?? rawWorld;
  const needRawInRect = style !== 'flat' && style !== 'cartoon' && !wholeFrameStyle;
  let rawCrop: Uint8ClampedArray | undefined;
  let styledCrop: Uint8ClampedArray | undefined;
  if (staticCam) {
    rawCrop = new Uint8ClampedArray(frameSize);
    sampleBackground(
      bg,
      rawWorld,
      rawCrop,
      W,
      H,
      { x: 0, y: 0, zoom: 1 },
      { x0: 0, y0: 0, x1: W, y1: H },
      colIdx,
    );
    if (pointwise) {
      styledCrop = new Uint8ClampedArray(frameSize);
      sampleBackground(
        bg,
        pointwise,
        styledCrop,
        W,
        H,
        { x: 0, y: 0, zoom: 1 },
        { x0: 0, y0: 0, x1: W, y1: H },
        colIdx,
      );
    } else {
      styledCrop = new Uint8ClampedArray(rawCrop);
      owner.fill(-1);
      applyStyle(style, styledCrop, owner, W, H, scratch);
    }
  }

  const sxs = new Float64Array(nObj);
  const sys = new Float64Array(nObj);
  const sizes = new Float64Array(nObj);
  for (let f = 0; f < F; f++) {
    const frame = clamped.subarray(f * frameSize, (f + 1) * frameSize);
    const cam = cameraAt(spec, f);
    const zoom = cam.zoom;
    // where each object is, and the rectangle holding every drawn object (plus the style margin)
    let rx0 = W;
    let ry0 = H;
    let rx1 = 0;
    let ry1 = 0;
    for (let k = 0; k < nObj; k++) {
      const tr = tracks[k]!;
      const sx = (tr.x[f]! - cam.x) * zoom * W;
      const sy = (tr.y[f]! - cam.y) * zoom * H;
      const s = tr.sizePx * tr.scale[f]! * zoom;
      sxs[k] = sx;
      sys[k] = sy;
      sizes[k] = s;
      if (!tr.shown[f] || !(s > 0)) continue;
      const a = tr.angle[f]!;
      const half = (s / 2) * (Math.abs(Math.cos(a)) + Math.abs(Math.sin(a))) + 1 + margin;
      rx0 = Math.min(rx0, Math.floor(sx - half));
      ry0 = Math.min(ry0, Math.floor(sy - half));
      rx1 = Math.max(rx1, Math.ceil(sx + half));
      ry1 = Math.max(ry1, Math.ceil(sy + half));
    }
    let rect: Rect = {
      x0: Math.max(0, rx0),
      y0: Math.max(0, ry0),
      x1: Math.min(W, rx1),
      y1: Math.min(H, ry1),
    };
    if (rect.x1 <= rect.x0 || rect.y1 <= rect.y0) rect = { x0: 0, y0: 0, x1: 0, y1: 0 };
    else if (style === 'pixel') rect = alignToBlocks(rect, W, H);
    // background: styled everywhere, raw where objects (and their style margin) are
    const full: Rect = { x0: 0, y0: 0, x1: W, y1: H };
    if (wholeFrameStyle) rect = full;
    if (staticCam) {
      frame.set(styledCrop!);
      if (needRawInRect) {
        const rowLen = (rect.x1 - rect.x0) * 3;
        for (let j = rect.y0; j < rect.y1; j++) {
          const o = (j * W + rect.x0) * 3;
          frame.set(rawCrop!.subarray(o, o + rowLen), o);
        }
      }
    } else {
      sampleBackground(bg, wholeFrameStyle ? rawWorld : styledWorld, frame, W, H, cam, full, colIdx);
      if (needRawInRect) sampleBackground(bg, rawWorld, frame, W, H, cam, rect, colIdx);
    }
    // objects, far to near
    owner.fill(-1);
    const objs: ObjectTruth[] = new Array(nObj);
    for (const k of order) {
      const tr = tracks[k]!;
      const d = draw[k]!;
      const sx = sxs[k]!;
      const sy = sys[k]!;
      const s = sizes[k]!;
      const angle = tr.angle[f]!;
      totals[k] = 0;
      inFrames[k] = 0;
      if (tr.shown[f] && s > 0) {
        if (d.sdf) drawShape(frame, owner, W, H, d, sx, sy, s, angle);
        else drawSprite(frame, owner, W, H, d, sx, sy, s, angle);
        totals[k] = stats.total;
        inFrames[k] = stats.inFrame;
      }
      objs[k] = { id: tr.id, x: sx, y: sy, w: s, h: s, angle, present: false, occluded: 0 };
    }
    visible.fill(0);
    for (let j = rect.y0; j < rect.y1; j++) {
      for (let p = j * W + rect.x0, e = j * W + rect.x1; p < e; p++) {
        const o = owner[p]!;
        if (o >= 0) visible[o]!++;
      }
    }
    for (let k = 0; k < nObj; k++) {
      const t = objs[k]!;
      const tr = tracks[k]!;
      if (!tr.shown[f]) continue;
      const total = totals[k]!;
      if (total === 0) {
        // smaller than a pixel: present if its centre is in the frame
        t.present = t.x >= 0 && t.x < W && t.y >= 0 && t.y < H;
        t.occluded = 0;
      } else {
        t.present = inFrames[k]! > 0;
        t.occluded = Math.min(1, Math.max(0, 1 - visible[k]! / total));
      }
      t.area = total;
      t.visibleArea = visible[k]!;
    }
    if (masks) masks.set(owner, f * W * H);
    applyStyle(style, frame, owner, W, H, scratch, rect);
    // lighting
    const light = lightingAt(spec, f);
    if (light.r !== 1 || light.g !== 1 || light.b !== 1) {
      for (let v = 0; v < 256; v++) {
        lut[v] = Math.min(255, Math.round(v * light.r));
        lut[256 + v] = Math.min(255, Math.round(v * light.g));
        lut[512 + v] = Math.min(255, Math.round(v * light.b));
      }
      for (let i = 0; i < frameSize; i += 3) {
        frame[i] = lut[frame[i]!]!;
        frame[i + 1] = lut[256 + frame[i + 1]!]!;
        frame[i + 2] = lut[512 + frame[i + 2]!]!;
      }
    }
    truth[f] = {
      frame: f,
      objects: objs,
      camera: { x: cam.x, y: cam.y, zoom },
      brightness: light.brightness,
    };
  }
  const captions =
    options.captions === false ? { short: '', detailed: '', long: '' } : captionScene(spec, seed);
  const clip: Clip = { spec, seed, pixels, truth, captions };
  if (masks) clip.masks = masks;
  return clip;
}
