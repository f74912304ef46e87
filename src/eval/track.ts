// Tracking: which blobs of each frame are which object of the spec.
//
// Per frame, every object claims one "primary" blob by the lowest cost, greedily over all
// (object, blob) pairs: cost = colour mismatch with the object's colour signature + distance to
// where the object should be (its position in the previous frame when it was seen, else where the
// reference clip has it). Distance is part of the cost so that two objects of one colour are told
// apart; colour is only a cost, not a gate, so a wrong-coloured object is still found and then
// judged wrong by the colour score instead of being lost. Left-over blobs near a claimed primary
// join that object (sprites are several colours, blurry edges are odd colours); large blobs that
// belong to nobody are extra objects (they count against "count").
import type { Blob } from './segment.ts';
import { LABELS } from './segment.ts';

/** What the tracker knows about one object before looking. */
export interface Expectation {
  id: string;
  /** Where the object should be in each frame, pixels (frame coordinates). */
  x: Float64Array;
  y: Float64Array;
  /** Smallest blob that may be this object's primary, per frame (pixels). */
  minArea: Float64Array;
  /** Radius around the primary within which other blobs join it, per frame (pixels). */
  radius: Float64Array;
  /** Share of each palette label in the object's pixels (sums to 1; all equal when unknown). */
  signature: Float64Array;
  /** Farthest a primary may be from where the object should be (pixels; Infinity: anywhere). */
  maxDistance: number;
  /** Frames in which the object should be seen (1) or not (0): expected objects claim first. */
  expected: Uint8Array;
  /** Frames in which the object may be looked for at all. */
  searchable: Uint8Array;
}

/** One object's observations over the clip. NaN where not present. */
export interface ObjectTrack {
  id: string;
  present: Uint8Array;
  /** Centroid, pixels (frame coordinates). */
  x: Float64Array;
  y: Float64Array;
  /** Foreground pixel count and bounding-box size. */
  area: Float64Array;
  /** Pixel count of the object's largest single-colour piece (its primary blob). */
  primaryArea: Float64Array;
  w: Float64Array;
  h: Float64Array;
  /** Per frame, the share of each palette label: (frames, LABELS). */
  colors: Float64Array;
}

/** Weight of position against colour in the cost: one frame-side of distance = 2 colour misses. */
const POSITION_WEIGHT = 2;

function emptyTrack(id: string, n: number): ObjectTrack {
  return {
    id,
    present: new Uint8Array(n),
    x: new Float64Array(n).fill(Number.NaN),
    y: new Float64Array(n).fill(Number.NaN),
    area: new Float64Array(n),
    primaryArea: new Float64Array(n),
    w: new Float64Array(n),
    h: new Float64Array(n),
    colors: new Float64Array(n * LABELS),
  };
}

export interface TrackResult {
  tracks: ObjectTrack[];
  /** Per frame, blobs that belong to no object and are as large as a real one. */
  extras: number[];
}

/**
 * Track `expect`ed objects through per-frame blobs. `side` is the frame's shorter side, for
 * normalising distances; `extraArea` is the size from which an unclaimed blob counts as an object.
 */
export function trackObjects(
  frames: Blob[][],
  expect: readonly Expectation[],
  side: number,
  extraArea: number,
): TrackResult {
  const n = frames.length;
  const tracks = expect.map((e) => emptyTrack(e.id, n));
  const extras: number[] = [];
  for (let f = 0; f < n; f++) {
    const blobsF = frames[f]!;
    const owner = new Int32Array(blobsF.length).fill(-1);
    // Objects the reference shows in this frame claim first (primaries, then nearby pieces);
    // objects it does not show may only claim what is left, so an object "appearing from
    // nowhere" is one made of pixels that no expected object explains.
    const primary = new Int32Array(expect.length).fill(-1);
    for (const phase of [1, 0]) {
      const pairs: { o: number; b: number; cost: number }[] = [];
      expect.forEach((e, o) => {
        if (!e.searchable[f] || e.expected[f] !== phase) return;
        const prev = f > 0 && tracks[o]!.present[f - 1];
        const px = prev ? tracks[o]!.x[f - 1]! : e.x[f]!;
        const py = prev ? tracks[o]!.y[f - 1]! : e.y[f]!;
        const maxSig = Math.max(...e.signature);
        blobsF.forEach((b, bi) => {
          if (owner[bi]! >= 0 || b.area < e.minArea[f]!) return;
          const d = Math.hypot(b.cx - px, b.cy - py);
          if (d > e.maxDistance + e.radius[f]!) return;
          const colour = 1 - e.signature[b.label]! / maxSig;
          pairs.push({ o, b: bi, cost: colour + (POSITION_WEIGHT * d) / side });
        });
      });
      pairs.sort((p, q) => p.cost - q.cost);
      for (const p of pairs) {
        if (primary[p.o]! >= 0 || owner[p.b]! >= 0) continue;
        primary[p.o] = p.b;
        owner[p.b] = p.o;
      }
      // other blobs join the nearest claimed object whose radius reaches them
      blobsF.forEach((b, bi) => {
        if (owner[bi]! >= 0) return;
        let best = -1;
        let bestD = Number.POSITIVE_INFINITY;
        expect.forEach((e, o) => {
          const pb = primary[o]!;
          if (pb < 0 || e.expected[f] !== phase) return;
          const d = Math.hypot(b.cx - blobsF[pb]!.cx, b.cy - blobsF[pb]!.cy);
          if (d <= e.radius[f]! && d < bestD) {
            best = o;
            bestD = d;
          }
        });
        owner[bi] = best;
      });
    }
    // 3. measure each object from its blobs; count unclaimed large blobs
    let extra = 0;
    blobsF.forEach((b, bi) => {
      if (owner[bi]! < 0 && b.area >= extraArea) extra++;
    });
    extras.push(extra);
    expect.forEach((_, o) => {
      if (primary[o]! < 0) return;
      const t = tracks[o]!;
      let area = 0;
      let sx = 0;
      let sy = 0;
      let x0 = Number.POSITIVE_INFINITY;
      let y0 = Number.POSITIVE_INFINITY;
      let x1 = Number.NEGATIVE_INFINITY;
      let y1 = Number.NEGATIVE_INFINITY;
      blobsF.forEach((b, bi) => {
        if (owner[bi] !== o) return;
        area += b.area;
        sx += b.cx * b.area;
        sy += b.cy * b.area;
        x0 = Math.min(x0, b.x0);
        y0 = Math.min(y0, b.y0);
        x1 = Math.max(x1, b.x1);
        y1 = Math.max(y1, b.y1);
        t.colors[f * LABELS + b.label]! += b.area;
      });
      for (let l = 0; l < LABELS; l++) t.colors[f * LABELS + l]! /= area;
      t.present[f] = 1;
      t.x[f] = sx / area;
      t.y[f] = sy / area;
      t.area[f] = area;
      t.primaryArea[f] = blobsF[primary[o]!]!.area;
      t.w[f] = x1 - x0 + 1;
      t.h[f] = y1 - y0 + 1;
    });
  }
  return { tracks, extras };
}
