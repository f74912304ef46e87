// Drawn shapes as signed distance functions in the object's unit box: (u, v) in [-0.5, 0.5]^2,
// v growing downwards, negative inside. Rasterised with anti-aliasing at any size by
// alpha = clamp(0.5 - sd * sizePx, 0, 1): exact half-pixel coverage at straight edges.
import type { ShapeName } from './classes.ts';

export type Sdf = (u: number, v: number) => number;

function polygon(vertices: readonly (readonly [number, number])[]): Sdf {
  const n = vertices.length;
  const xs = new Float64Array(n);
  const ys = new Float64Array(n);
  vertices.forEach(([x, y], i) => {
    xs[i] = x;
    ys[i] = y;
  });
  // Inigo Quilez's exact polygon distance (winding-number sign).
  return (u, v) => {
    let d = (u - xs[0]!) ** 2 + (v - ys[0]!) ** 2;
    let s = 1;
    for (let i = 0, j = n - 1; i < n; j = i, i++) {
      const ex = xs[j]! - xs[i]!;
      const ey = ys[j]! - ys[i]!;
      const wx = u - xs[i]!;
      const wy = v - ys[i]!;
      let h = (wx * ex + wy * ey) / (ex * ex + ey * ey);
      h = h < 0 ? 0 : h > 1 ? 1 : h;
      const bx = wx - ex * h;
      const by = wy - ey * h;
      const dd = bx * bx + by * by;
      if (dd < d) d = dd;
      const c1 = v >= ys[i]!;
      const c2 = v < ys[j]!;
      const c3 = ex * wy > ey * wx;
      if ((c1 && c2 && c3) || (!c1 && !c2 && !c3)) s = -s;
    }
    return s * Math.sqrt(d);
  };
}

function box(u: number, v: number, hx: number, hy: number): number {
  const qx = Math.abs(u) - hx;
  const qy = Math.abs(v) - hy;
  const ox = qx > 0 ? qx : 0;
  const oy = qy > 0 ? qy : 0;
  return Math.sqrt(ox * ox + oy * oy) + Math.min(Math.max(qx, qy), 0);
}

function regular(n: number, radius: number, inner?: number): [number, number][] {
  const pts: [number, number][] = [];
  const count = inner === undefined ? n : 2 * n;
  for (let i = 0; i < count; i++) {
    const r = inner !== undefined && i % 2 === 1 ? inner : radius;
    const a = -Math.PI / 2 + (i * 2 * Math.PI) / count;
    pts.push([r * Math.cos(a), r * Math.sin(a)]);
  }
  return pts;
}

const star = polygon(regular(5, 0.52, 0.21).map(([x, y]) => [x, y + 0.04] as [number, number]));
const triangle = polygon([
  [0, -0.47],
  [0.5, 0.43],
  [-0.5, 0.43],
]);
const diamond = polygon([
  [0, -0.5],
  [0.38, 0],
  [0, 0.5],
  [-0.38, 0],
]);
const hexagon = polygon(regular(6, 0.5).map(([x, y]) => [y, x] as [number, number]));

function heart(u: number, v: number): number {
  // Inigo Quilez's heart, tip at the origin pointing down, scaled into the unit box.
  const k = 1.21;
  const px = Math.abs(u * k);
  const py = (0.456 - v) * k;
  let d: number;
  if (py + px > 1) {
    d = Math.sqrt((px - 0.25) ** 2 + (py - 0.75) ** 2) - Math.SQRT2 / 4;
  } else {
    const m = 0.5 * Math.max(px + py, 0);
    const a = px * px + (py - 1) ** 2;
    const b = (px - m) ** 2 + (py - m) ** 2;
    d = Math.sqrt(Math.min(a, b)) * Math.sign(px - py);
  }
  return d / k;
}

export const SHAPE_SDF: Record<ShapeName, Sdf> = {
  circle: (u, v) => Math.sqrt(u * u + v * v) - 0.5,
  square: (u, v) => box(u, v, 0.45, 0.45),
  triangle,
  star,
  heart,
  diamond,
  ring: (u, v) => Math.abs(Math.sqrt(u * u + v * v) - 0.36) - 0.14,
  cross: (u, v) => Math.min(box(u, v, 0.5, 0.17), box(u, v, 0.17, 0.5)),
  hexagon,
  moon: (u, v) => {
    const d1 = Math.sqrt(u * u + v * v) - 0.5;
    const d2 = Math.sqrt((u - 0.24) ** 2 + (v + 0.12) ** 2) - 0.4;
    return Math.max(d1, -d2);
  },
};
