// Camera motion seen in a clip: the global shift and zoom of the background between frames.
//
// For each pair of consecutive frames we search the transform q = s*(p - c) + c + d (zoom s about
// the frame centre c, then shift d) that best maps frame t onto frame t+1, comparing luminance
// only on background pixels (objects move on their own). Composing the pairs gives, for every
// frame, the map from frame-0 pixel coordinates to that frame's: the oracle uses it to judge
// the camera and to undo it, so objects are judged by how they move in the scene.
// A solid background has no texture to follow: the search then stays at "no motion", which is
// the honest answer (nothing in the picture shows a camera move).

/** Per axis: frame-t coordinate = a * frame-0 coordinate + b. */
export interface CameraPath {
  /** Cumulative zoom per frame (1 at frame 0). */
  a: Float64Array;
  bx: Float64Array;
  by: Float64Array;
}

export interface LumaFrames {
  width: number;
  height: number;
  /** Luminance per frame, (height, width). */
  luma: Float32Array[];
  /** 1 where an object is (or may be) and the pixel should not vote, (height, width). */
  mask: Uint8Array[];
}

function sample(img: Float32Array, w: number, h: number, x: number, y: number): number {
  const x0 = Math.floor(x);
  const y0 = Math.floor(y);
  const fx = x - x0;
  const fy = y - y0;
  const x1 = Math.min(x0 + 1, w - 1);
  const y1 = Math.min(y0 + 1, h - 1);
  const a = img[y0 * w + x0]!;
  const b = img[y0 * w + x1]!;
  const c = img[y1 * w + x0]!;
  const d = img[y1 * w + x1]!;
  return a + (b - a) * fx + (c - a) * fy + (a - b - c + d) * fx * fy;
}

export interface Step {
  s: number;
  dx: number;
  dy: number;
}

interface View {
  luma: Float32Array;
  mask: Uint8Array;
}

/** Mean absolute luminance error of mapping `src` onto `dst` by `step`, over sample points. */
function stepError(w: number, h: number, src: View, dst: View, step: Step, stride: number): number {
  const cx = (w - 1) / 2;
  const cy = (h - 1) / 2;
  let sum = 0;
  let n = 0;
  for (let y = 1; y < h - 1; y += stride) {
    for (let x = 1; x < w - 1; x += stride) {
      if (src.mask[y * w + x]) continue;
      const qx = step.s * (x - cx) + cx + step.dx;
      const qy = step.s * (y - cy) + cy + step.dy;
      if (qx < 0 || qy < 0 || qx > w - 1 || qy > h - 1) continue;
      if (dst.mask[Math.round(qy) * w + Math.round(qx)]) continue;
      sum += Math.abs(sample(dst.luma, w, h, qx, qy) - src.luma[y * w + x]!);
      n++;
    }
  }
  // Too few shared background pixels to say anything: no better than identity.
  return n < 16 ? Number.POSITIVE_INFINITY : sum / n;
}

/**
 * Best transform from `src` to `dst`: integer shifts within ±range, then zoom factors, then
 * sub-pixel shifts. A candidate must beat identity clearly, so flat or noisy backgrounds stay put.
 */
export function align(
  w: number,
  h: number,
  src: View,
  dst: View,
  range: number,
  zooms: readonly number[],
  stride: number,
): Step {
  let best: Step = { s: 1, dx: 0, dy: 0 };
  // noise alone makes every shift about as good as none: a move must cut the error by 15 %
  let bestErr = 0.85 * stepError(w, h, src, dst, best, stride) - 0.05;
  const tryStep = (c: Step) => {
    const e = stepError(w, h, src, dst, c, stride);
    if (e < bestErr) {
      best = c;
      bestErr = e;
    }
  };
  for (let dy = -range; dy <= range; dy++) for (let dx = -range; dx <= range; dx++) tryStep({ s: 1, dx, dy });
  const c0 = best;
  for (const s of zooms) if (s !== 1) tryStep({ s, dx: c0.dx, dy: c0.dy });
  for (const step of [0.5, 0.25]) {
    const c = best;
    for (let dy = -1; dy <= 1; dy++)
      for (let dx = -1; dx <= 1; dx++)
        if (dx || dy) tryStep({ s: c.s, dx: c.dx + dx * step, dy: c.dy + dy * step });
  }
  return best;
}

/** Sample about 1500 points per frame: enough for a stable estimate, cheap at any size. */
export function strideFor(width: number, height: number): number {
  return Math.max(1, Math.round(Math.sqrt((width * height) / 1500)));
}

/** Zoom steps between consecutive frames: 1.3x over a clip is ~2 %/frame at 16 frames. */
const STEP_ZOOMS = Array.from({ length: 17 }, (_, k) => 1 + (k - 8) * 0.005);

/** The camera path of a clip from its luminance and object masks. */
export function estimateCamera(f: LumaFrames): CameraPath {
  const n = f.luma.length;
  const a = new Float64Array(n).fill(1);
  const bx = new Float64Array(n);
  const by = new Float64Array(n);
  const stride = strideFor(f.width, f.height);
  // Pans move at most ~1 px/frame at 64 px; 3 px covers fast cameras and low fps.
  const range = Math.max(3, Math.round(f.width / 24));
  const cx = (f.width - 1) / 2;
  const cy = (f.height - 1) / 2;
  for (let t = 0; t + 1 < n; t++) {
    const src = { luma: f.luma[t]!, mask: f.mask[t]! };
    const dst = { luma: f.luma[t + 1]!, mask: f.mask[t + 1]! };
    const { s, dx, dy } = align(f.width, f.height, src, dst, range, STEP_ZOOMS, stride);
    a[t + 1] = s * a[t]!;
    bx[t + 1] = s * bx[t]! + (1 - s) * cx + dx;
    by[t + 1] = s * by[t]! + (1 - s) * cy + dy;
  }
  return { a, bx, by };
}

/** Frame-0 coordinates of a point seen at (x, y) in frame t. */
export function toFrame0(cam: CameraPath, t: number, x: number, y: number): [number, number] {
  return [(x - cam.bx[t]!) / cam.a[t]!, (y - cam.by[t]!) / cam.a[t]!];
}
