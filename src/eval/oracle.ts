// The oracle: judge a clip against its scene spec, exactly, with no neural net.
//
// How. The spec is rendered by the world itself (the reference clip, plus a "plate" without
// objects). Both the judged clip and the reference go through the same measurement (measure.ts):
// light-normalised frames, blobs of non-background colour, object tracks, camera path. Each
// dimension then compares the judged measurement with the reference one, so what is scored is
// the difference from what the spec looks like, never a detector's own bias. Object motion is
// judged in scene coordinates (the camera's own motion taken out), so a wrong camera move lowers
// the camera score and not the direction of every object.
//
// Scores are 0..1 (1 = matches the spec); null means "nothing in this clip to judge it by"
// (e.g. direction of a static object, relations with one object) and is left out of `overall`.
import { CLASSES, classByName, shownColor } from '../world/classes.ts';
import { renderClip } from '../world/render.ts';
import type { Clip, SceneSpec } from '../world/spec.ts';
import { STYLES } from '../world/spec.ts';
import { pixelBlock } from '../world/style.ts';
import { align, type CameraPath, type Step, strideFor, toFrame0 } from './camera.ts';
import { type ClipShape, checkShape, median } from './clip.ts';
import { backgroundGrid, clipStyleStats, distance } from './look.ts';
import { gains, type Measured, measureClip, plateColors, trackJudged, trackReference } from './measure.ts';
import { darkFrames, normalizedFrame } from './normalize.ts';
import { mean, minScore, ramp, rankScore } from './score.ts';
import { type ColorSet, LABELS, labelImage } from './segment.ts';
import type { ObjectTrack, TrackResult } from './track.ts';

export const DIMENSIONS = [
  'class',
  'count',
  'color',
  'size',
  'position',
  'direction',
  'speed',
  'relations',
  'permanence',
  'background',
  'style',
  'camera',
  'flicker',
  'smoothness',
] as const;
export type Dimension = (typeof DIMENSIONS)[number];
export type Scores = Record<Dimension, number | null>;

const OBJECT_DIMENSIONS = [
  'class',
  'color',
  'size',
  'position',
  'direction',
  'speed',
  'permanence',
  'smoothness',
] as const;
type ObjectDimension = (typeof OBJECT_DIMENSIONS)[number];

export interface ObjectReport {
  id: string;
  class: string;
  scores: Record<ObjectDimension, number | null>;
  /** The judged track, frame pixel coordinates; null where the object was not found. */
  track: { x: (number | null)[]; y: (number | null)[]; area: number[] };
}

export interface ClipReport {
  frames: number;
  width: number;
  height: number;
  scores: Scores;
  /** Mean of the dimensions that apply. */
  overall: number;
  objects: ObjectReport[];
  /** Camera path found in the clip: per frame zoom and shift of the frame-0 picture, pixels. */
  camera: { zoom: number[]; x: number[]; y: number[] };
  /** Per-frame brightness of the clip relative to the reference. */
  gain: number[];
}

export interface OracleOptions {
  /** Seed for the reference render's textures; positions do not depend on it. */
  seed?: number;
}

const render = (spec: SceneSpec, seed: number): Clip => renderClip(spec, seed, { captions: false });

/** Judge `pixels` (frames, height, width, 3) RGB uint8 against `spec` (already validated). */
export function scoreClip(spec: SceneSpec, pixels: Uint8Array, options: OracleOptions = {}): ClipReport {
  const shape: ClipShape = { frames: spec.frames, height: spec.height, width: spec.width };
  checkShape(pixels, shape);
  const seed = options.seed ?? 0;
  const ref = render(spec, seed);
  const plate = render({ ...spec, objects: [] }, seed);
  const background = plateColors(spec, plate.pixels, shape);

  const refGain = new Array<number>(shape.frames).fill(1);
  const gain = gains(pixels, ref.pixels, shape);
  const R = measureClip(spec, ref.pixels, shape, refGain, background);
  const J = measureClip(spec, pixels, shape, gain, background);
  const refTracks = trackReference(R, spec, ref.truth);
  const judged = trackJudged(J, spec, ref.truth, refTracks);

  // Where the judged clip's first frame sits relative to the reference's (a wrong camera move
  // starts elsewhere): searched over ±15 % of the frame and zooms up to the world's 1.3x.
  const side = Math.min(shape.width, shape.height);
  const offset = align(
    shape.width,
    shape.height,
    { luma: R.luma[0]!, mask: R.objectMask[0]! },
    { luma: J.luma[0]!, mask: J.objectMask[0]! },
    Math.round(0.15 * side),
    [0.77, 0.8, 0.85, 0.9, 0.95, 1.05, 1.1, 1.15, 1.2, 1.25, 1.3],
    strideFor(shape.width, shape.height),
  );
  const scene = {
    ref: (t: number, x: number, y: number) => toFrame0(R.camera, t, x, y),
    judged: (t: number, x: number, y: number) => undoOffset(offset, shape, toFrame0(J.camera, t, x, y)),
    refZoom: (t: number) => R.camera.a[t]!,
    judgedZoom: (t: number) => J.camera.a[t]! * offset.s,
  };

  const objects: ObjectReport[] = spec.objects.map((o, k) => {
    const r = refTracks.tracks[k]!;
    const j = judged.tracks[k]!;
    const scores: Record<ObjectDimension, number | null> = {
      class: classScore(spec, k, J, j, R, r, background, seed),
      color: colorScore(r, j),
      size: sizeScore(r, j, scene),
      position: positionScore(r, j, scene, side),
      direction: directionScore(r, j, scene, side),
      speed: speedScore(r, j, scene, side),
      permanence: permanenceScore(spec, ref, k, r, j),
      smoothness: smoothnessScore(r, j, scene, side),
    };
    return {
      id: o.id,
      class: o.class,
      scores,
      track: {
        x: Array.from(j.x, (v) => (Number.isNaN(v) ? null : round2(v))),
        y: Array.from(j.y, (v) => (Number.isNaN(v) ? null : round2(v))),
        area: Array.from(j.area),
      },
    };
  });

  const scores = {} as Scores;
  // A clip follows the prompt only if every object does: the worst object sets the score.
  for (const d of OBJECT_DIMENSIONS) scores[d] = minScore(objects.map((o) => o.scores[d]));
  scores.count = countScore(refTracks, judged);
  scores.relations = relationScore(refTracks, judged, scene, side);
  scores.background = backgroundScore(R, J, gain);
  scores.style = styleScore(spec, J, R, seed);
  scores.camera = cameraScore(R.camera, J.camera, offset, shape);
  scores.flicker = flickerScore(gain);
  const applicable = DIMENSIONS.map((d) => scores[d]).filter((s): s is number => s !== null);
  return {
    frames: shape.frames,
    width: shape.width,
    height: shape.height,
    scores,
    overall: applicable.length ? mean(applicable) : 1,
    objects,
    camera: {
      zoom: Array.from(J.camera.a, round2),
      x: Array.from(J.camera.bx, round2),
      y: Array.from(J.camera.by, round2),
    },
    gain: gain.map(round2),
  };
}

const round2 = (v: number) => Math.round(v * 100) / 100;

/** From judged frame-0 coordinates to reference frame-0 coordinates. */
function undoOffset(o: Step, shape: ClipShape, [x, y]: [number, number]): [number, number] {
  const cx = (shape.width - 1) / 2;
  const cy = (shape.height - 1) / 2;
  return [(x - cx - o.dx) / o.s + cx, (y - cy - o.dy) / o.s + cy];
}

interface Scene {
  ref: (t: number, x: number, y: number) => [number, number];
  judged: (t: number, x: number, y: number) => [number, number];
  refZoom: (t: number) => number;
  judgedZoom: (t: number) => number;
}

/** Frames where both tracks saw the object. */
function common(r: ObjectTrack, j: ObjectTrack): number[] {
  const out: number[] = [];
  for (let f = 0; f < r.present.length; f++) if (r.present[f] && j.present[f]) out.push(f);
  return out;
}

/**
 * Colour: histogram intersection of palette-label shares, judged vs reference, averaged over
 * frames. A right colour keeps most pixels on the same labels even when blurred (edges drift to
 * neighbouring labels); a wrong palette colour shares almost none. Full marks from 0.6.
 */
function colorScore(r: ObjectTrack, j: ObjectTrack): number | null {
  const fs = common(r, j);
  if (!fs.length) return null;
  const inter = fs.map((f) => {
    let s = 0;
    for (let l = 0; l < LABELS; l++) s += Math.min(r.colors[f * LABELS + l]!, j.colors[f * LABELS + l]!);
    return s;
  });
  return ramp(mean(inter), 0.6, 0.2);
}

/**
 * Size: linear size sqrt(area) in scene units (camera zoom divided out), judged over reference,
 * median over frames. Neighbouring size words differ by 1.44x (|log| 0.36); blur grows a blob by
 * up to ~1 px all round (|log| ~0.1 for a small object at 64 px). Full marks to 0.12, none from 0.35.
 */
function sizeScore(r: ObjectTrack, j: ObjectTrack, scene: Scene): number | null {
  const fs = common(r, j);
  if (!fs.length) return null;
  const logs = fs.map((f) =>
    Math.abs(
      Math.log(Math.sqrt(j.area[f]!) / scene.judgedZoom(f) / (Math.sqrt(r.area[f]!) / scene.refZoom(f))),
    ),
  );
  return ramp(median(logs), 0.12, 0.35);
}

/**
 * Position: distance between judged and reference scene positions at the first common frame,
 * over the frame's shorter side. Captions name positions coarsely (left, centre, top right...),
 * a third of the frame apart: full marks within 6 %, none from 20 %.
 */
function positionScore(r: ObjectTrack, j: ObjectTrack, scene: Scene, side: number): number | null {
  const fs = common(r, j);
  if (!fs.length) return null;
  const f = fs[0]!;
  const [rx, ry] = scene.ref(f, r.x[f]!, r.y[f]!);
  const [jx, jy] = scene.judged(f, j.x[f]!, j.y[f]!);
  return ramp(Math.hypot(jx - rx, jy - ry) / side, 0.06, 0.2);
}

/** Scene-coordinate steps over `lag` frames where both tracks saw the object at both ends. */
function steps(r: ObjectTrack, j: ObjectTrack, scene: Scene, lag: number) {
  const out: { f: number; rv: [number, number]; jv: [number, number] }[] = [];
  for (let f = 0; f + lag < r.present.length; f++) {
    const g = f + lag;
    if (!(r.present[f] && j.present[f] && r.present[g] && j.present[g])) continue;
    const r0 = scene.ref(f, r.x[f]!, r.y[f]!);
    const r1 = scene.ref(g, r.x[g]!, r.y[g]!);
    const j0 = scene.judged(f, j.x[f]!, j.y[f]!);
    const j1 = scene.judged(g, j.x[g]!, j.y[g]!);
    out.push({ f, rv: [r1[0] - r0[0], r1[1] - r0[1]], jv: [j1[0] - j0[0], j1[1] - j0[1]] });
  }
  return out;
}

/**
 * Direction: speed-weighted mean cosine between judged and reference scene velocities (over two
 * frames, to average out centroid jitter), only where the reference moves at least 1 % of the
 * frame per step. Eight compass directions are 45 degrees apart (cos 0.71): full marks from cos
 * 0.85 (~30 degrees), none at 0.3. Null when the reference does not move.
 */
function directionScore(r: ObjectTrack, j: ObjectTrack, scene: Scene, side: number): number | null {
  let num = 0;
  let den = 0;
  for (const s of steps(r, j, scene, 2)) {
    const rl = Math.hypot(...s.rv);
    if (rl < 0.01 * side) continue;
    const jl = Math.hypot(...s.jv);
    const cos = jl > 1e-9 ? (s.rv[0] * s.jv[0] + s.rv[1] * s.jv[1]) / (rl * jl) : 0;
    num += rl * cos;
    den += rl;
  }
  if (den === 0) return null;
  return ramp(-num / den, -0.85, -0.3);
}

/**
 * Speed: judged over reference path length in the scene, plus 1 % of the frame per step on
 * both sides so that a still object's jitter (centroid noise, camera estimate error) does not
 * count as speed; "slow" is ~2 % per step at 8 fps. slow/medium/fast are 2x
 * apart (|log| 0.69): full marks to |log| 0.2, none from 0.55.
 */
function speedScore(r: ObjectTrack, j: ObjectTrack, scene: Scene, side: number): number | null {
  // steps of 3 frames: the world pans its background by whole pixels while objects move by
  // fractions, so per-frame camera-compensated steps wobble by up to half a pixel
  const lag = 3;
  const st = steps(r, j, scene, lag).filter((s) => s.f % lag === 0);
  if (!st.length) return null;
  const eps = 0.01 * side * lag * st.length;
  const lr = st.reduce((a, s) => a + Math.hypot(...s.rv), 0) + eps;
  const lj = st.reduce((a, s) => a + Math.hypot(...s.jv), 0) + eps;
  return ramp(Math.abs(Math.log(lj / lr)), 0.2, 0.55);
}

/**
 * Smoothness: mean acceleration |p(t+1) - 2p(t) + p(t-1)| of the judged scene track minus the
 * reference's (bounces and zigzags accelerate by design), over the frame side. Full marks to
 * 1.2 % (centroid jitter from noise and blur, < 1 px at 64 px), none from 4 % (a jump of a
 * few pixels every frame).
 */
function smoothnessScore(r: ObjectTrack, j: ObjectTrack, scene: Scene, side: number): number | null {
  const acc = (t: ObjectTrack, map: Scene['ref']) => {
    const a: number[] = [];
    for (let f = 1; f + 1 < t.present.length; f++) {
      if (!(r.present[f - 1] && r.present[f] && r.present[f + 1])) continue;
      if (!(j.present[f - 1] && j.present[f] && j.present[f + 1])) continue;
      const p0 = map(f - 1, t.x[f - 1]!, t.y[f - 1]!);
      const p1 = map(f, t.x[f]!, t.y[f]!);
      const p2 = map(f + 1, t.x[f + 1]!, t.y[f + 1]!);
      a.push(Math.hypot(p2[0] - 2 * p1[0] + p0[0], p2[1] - 2 * p1[1] + p0[1]));
    }
    return a;
  };
  const ar = acc(r, scene.ref);
  if (!ar.length) return null;
  const aj = acc(j, scene.judged);
  return ramp((mean(aj) - mean(ar)) / side, 0.012, 0.04);
}

/**
 * Permanence: share of frames where the judged object is where the spec says it is: seen
 * when the reference shows it (drawn, at most half hidden), unseen when the spec does not draw
 * it (before appear, after disappear, off frame). Frames in between (mostly hidden, too dark)
 * do not count.
 */
function permanenceScore(
  spec: SceneSpec,
  ref: Clip,
  k: number,
  r: ObjectTrack,
  j: ObjectTrack,
): number | null {
  const dark = darkFrames(spec);
  let n = 0;
  let ok = 0;
  for (let f = 0; f < spec.frames; f++) {
    if (dark[f]) continue;
    const t = ref.truth[f]!.objects[k]!;
    const shouldShow = r.present[f] && t.occluded < 0.5;
    // hidden by the spec (appear/disappear), not merely off frame: leaving the frame early is
    // a matter of direction or speed, judged there
    const inside = t.x >= 0 && t.y >= 0 && t.x < spec.width && t.y < spec.height;
    const shouldHide = !t.present && inside;
    if (!shouldShow && !shouldHide) continue;
    n++;
    if ((shouldShow && j.present[f]) || (shouldHide && !j.present[f])) ok++;
  }
  return n ? ok / n : null;
}

/**
 * Count: objects the clip shows (each seen in at least a third of the frames where the
 * reference shows it, plus unclaimed object-sized blobs in most frames) against objects the
 * reference shows. Score 1 - |difference| / expected.
 */
function countScore(ref: TrackResult, judged: TrackResult): number | null {
  let expected = 0;
  let shown = 0;
  ref.tracks.forEach((r, k) => {
    const seen = r.present.reduce((a, v) => a + v, 0);
    if (!seen) return;
    expected++;
    const j = judged.tracks[k]!;
    const both = common(r, j).length;
    if (both >= seen / 3) shown++;
  });
  shown += Math.round(median(judged.extras));
  if (expected === 0) return shown === 0 ? 1 : 0;
  return Math.max(0, 1 - Math.abs(shown - expected) / expected);
}

/**
 * Relations: for each pair of objects, left/right and above/below at their first common frame,
 * and whether they approach or separate over the clip (the spec's "towards"), wherever the
 * reference decides it (a gap of 5 % of the frame, a distance change of 10 %). Score: share of
 * decided relations the judged clip agrees with. Null with fewer than two objects.
 */
function relationScore(ref: TrackResult, judged: TrackResult, scene: Scene, side: number): number | null {
  let decided = 0;
  let agree = 0;
  const n = ref.tracks.length;
  for (let a = 0; a < n; a++) {
    for (let b = a + 1; b < n; b++) {
      const ra = ref.tracks[a]!;
      const rb = ref.tracks[b]!;
      const ja = judged.tracks[a]!;
      const jb = judged.tracks[b]!;
      const fs: number[] = [];
      for (let f = 0; f < ra.present.length; f++)
        if (ra.present[f] && rb.present[f] && ja.present[f] && jb.present[f]) fs.push(f);
      if (!fs.length) continue;
      const at = (t: ObjectTrack, map: Scene['ref'], f: number) => map(f, t.x[f]!, t.y[f]!);
      const first = fs[0]!;
      const last = fs[fs.length - 1]!;
      const rA = at(ra, scene.ref, first);
      const rB = at(rb, scene.ref, first);
      const jA = at(ja, scene.judged, first);
      const jB = at(jb, scene.judged, first);
      for (const axis of [0, 1]) {
        const rd = rB[axis]! - rA[axis]!;
        if (Math.abs(rd) < 0.05 * side) continue;
        decided++;
        if (Math.sign(jB[axis]! - jA[axis]!) === Math.sign(rd)) agree++;
      }
      const dist = (p: [number, number], q: [number, number]) => Math.hypot(p[0] - q[0], p[1] - q[1]);
      const rChange = dist(at(ra, scene.ref, last), at(rb, scene.ref, last)) - dist(rA, rB);
      if (Math.abs(rChange) >= 0.1 * side) {
        decided++;
        const jChange = dist(at(ja, scene.judged, last), at(jb, scene.judged, last)) - dist(jA, jB);
        if (Math.sign(jChange) === Math.sign(rChange)) agree++;
      }
    }
  }
  return decided ? agree / decided : null;
}

/**
 * Background: mean colour of a 3x3 grid of background cells (objects masked out), judged vs
 * reference, averaged over frames. The clip's brightness is normalised by its per-frame gain
 * relative to its own median, so a uniformly wrong level (grey for white) counts here while
 * frame-to-frame flicker is left to the flicker score. Palette colours are >= 60 levels apart:
 * full marks to a mean RGB distance of 15, none from 45. A cell where the judged frame has no
 * background left (all of it unlike the scene's background colours) counts as a full miss.
 */
const BACKGROUND_MISS = 45;

function backgroundScore(R: Measured, J: Measured, gain: readonly number[]): number {
  const { width, height } = R.shape;
  const mid = median(gain);
  const dists: number[] = [];
  for (let f = 0; f < R.shape.frames; f++) {
    // J.frames are normalised by the full gain; put the clip's own overall level back.
    const rg = backgroundGrid(R.frames[f]!, width, height, R.objectMask[f]!);
    const jg = backgroundGrid(J.frames[f]!, width, height, J.objectMask[f]!, mid);
    for (let c = 0; c < 9; c++) {
      if (Number.isNaN(rg.colors[3 * c]!)) continue; // the scene itself shows no background here
      // Pixels far from every background colour count as object; where the judged frame has
      // (almost) none left in a cell that shows background, its background is another colour.
      if (jg.pixels[c]! < 0.25 * rg.pixels[c]!) {
        dists.push(BACKGROUND_MISS);
        continue;
      }
      dists.push(
        Math.hypot(
          rg.colors[3 * c]! - jg.colors[3 * c]!,
          rg.colors[3 * c + 1]! - jg.colors[3 * c + 1]!,
          rg.colors[3 * c + 2]! - jg.colors[3 * c + 2]!,
        ),
      );
    }
  }
  return dists.length ? ramp(mean(dists), 15, BACKGROUND_MISS) : 1;
}

/**
 * Style: for each other style that looks measurably different in this scene (statistics at
 * least 0.03 apart), project the clip's statistics onto the line from the spec's style (0) to
 * that style (1). Full marks up to 0.45 of the way, none past 0.75 (nearer the other style);
 * the worst alternative sets the score. Styles that look the same here (a flat or cartoon
 * rendering of one tiny object) cannot be told apart and are not asked about.
 */
function styleScore(spec: SceneSpec, J: Measured, R: Measured, seed: number): number | null {
  const { width, height } = R.shape;
  const block = pixelBlock(width, height);
  const judged = clipStyleStats(J.frames, width, height, block);
  const expected = clipStyleStats(R.frames, width, height, block);
  const scores = STYLES.filter((s) => s !== spec.style).flatMap((style) => {
    const alt = { ...spec, style };
    const clip = render(alt, seed);
    const frames = Array.from({ length: spec.frames }, (_, f) =>
      normalizedFrame(clip.pixels, R.shape, alt, f),
    );
    const other = clipStyleStats(frames, width, height, block);
    const sep = distance(expected, other);
    if (sep < 0.03) return [];
    let t = 0;
    for (let i = 0; i < other.length; i++) t += (judged[i]! - expected[i]!) * (other[i]! - expected[i]!);
    return [ramp(t / (sep * sep), 0.45, 0.75)];
  });
  return scores.length ? Math.min(...scores) : null;
}

/**
 * Camera: where the reference frame-0 picture's corners land in every frame, judged vs
 * reference (the judged path includes its start offset). A pan moves the picture by 20 % of
 * the frame over the clip, a zoom moves corners by ~15 %: full marks within 4 %, none from 10 %.
 */
function cameraScore(R: CameraPath, J: CameraPath, o: Step, shape: ClipShape): number {
  const side = Math.min(shape.width, shape.height);
  const cx = (shape.width - 1) / 2;
  const cy = (shape.height - 1) / 2;
  let worst = 0;
  for (let t = 0; t < R.a.length; t++) {
    for (const [x, y] of [
      [0, 0],
      [shape.width - 1, shape.height - 1],
    ] as const) {
      const rx = R.a[t]! * x + R.bx[t]!;
      const ry = R.a[t]! * y + R.by[t]!;
      const ox = o.s * (x - cx) + cx + o.dx;
      const oy = o.s * (y - cy) + cy + o.dy;
      const jx = J.a[t]! * ox + J.bx[t]!;
      const jy = J.a[t]! * oy + J.by[t]!;
      worst = Math.max(worst, Math.hypot(jx - rx, jy - ry) / side);
    }
  }
  return ramp(worst, 0.04, 0.1);
}

/**
 * Flicker: frame-to-frame brightness jumps that the spec's lighting does not explain. The gain
 * (clip over reference luminance) of a good clip is constant or drifts slowly; flicker is its
 * second difference in log space, |log g(t) - (log g(t-1) + log g(t+1)) / 2|, averaged. An
 * object vanishing moves it by < 0.01; visible flicker is several percent. Full marks to 0.01,
 * none from 0.05.
 */
function flickerScore(gain: readonly number[]): number | null {
  if (gain.length < 3) return null;
  const lg = gain.map(Math.log);
  const r: number[] = [];
  for (let t = 1; t + 1 < lg.length; t++) r.push(Math.abs(lg[t]! - (lg[t - 1]! + lg[t + 1]!) / 2));
  return ramp(mean(r), 0.01, 0.05);
}

/** Radii (px) by which class candidates' silhouettes are grown before matching. */
const SILHOUETTE_GROWTH = [0, 1, 2];

/** Foreground (1) of a label image, grown by a disc of `radius` px. (height, width) */
function grownMask(labels: Int8Array, width: number, height: number, radius: number): Uint8Array {
  const out = new Uint8Array(labels.length);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      if (labels[y * width + x]! < 0) continue;
      for (let dy = -radius; dy <= radius; dy++)
        for (let dx = -radius; dx <= radius; dx++) {
          const xx = x + dx;
          const yy = y + dy;
          if (dx * dx + dy * dy <= radius * radius && xx >= 0 && yy >= 0 && xx < width && yy < height)
            out[yy * width + xx] = 1;
        }
    }
  return out;
}

/**
 * Class: silhouette matching against the other classes the object could be mistaken for (same
 * shown colour). Each alternative is rendered by the world in place of the object; in up to three
 * frames, the judged object's foreground mask (non-background pixels around it) is compared with
 * the reference's and each alternative's (share of differing pixels, best of ±2 px shifts), and
 * rankScore asks whether the spec's class fits best. Masks, not colours, so that a wrong colour
 * is left to the colour score. The silhouettes are also compared grown by one and two pixels,
 * all at the growth where the best candidate fits best: soft edges (a decoder's, a blur's) add a
 * rim of non-background pixels around the drawn shape, and without this a reference render
 * blurred by σ = 0.8 px scored class 0.79, by 1.2 px 0.50 (40 held-out level-0 clips) — a test of
 * sharpness more than of which shape was drawn. Growing rounds a square's corners no more than
 * the blur does, so the drawn class still fits best (tests: blurred references keep their class,
 * blurred swaps do not).
 */
function classScore(
  spec: SceneSpec,
  k: number,
  J: Measured,
  j: ObjectTrack,
  R: Measured,
  r: ObjectTrack,
  background: readonly ColorSet[],
  seed: number,
): number | null {
  const obj = spec.objects[k]!;
  const cls = classByName(obj.class);
  if (!cls) return null;
  const color = shownColor(cls, obj.color);
  const frames = common(r, j);
  if (!frames.length) return null;
  const picks = [frames[0]!, frames[frames.length >> 1]!, frames[frames.length - 1]!].filter(
    (f, i, a) => a.indexOf(f) === i,
  );
  const { width, height } = J.shape;
  const half = Math.ceil(Math.max(...picks.map((f) => Math.sqrt(r.area[f]!))));
  const maskDiff = (cand: Uint8Array[], cx: (f: number) => number, cy: (f: number) => number) => {
    let total = 0;
    for (const f of picks) {
      const a = J.labels[f]!;
      const b = cand[f]!;
      const jx = Math.round(j.x[f]!);
      const jy = Math.round(j.y[f]!);
      let best = Number.POSITIVE_INFINITY;
      for (let sy = -2; sy <= 2; sy++)
        for (let sx = -2; sx <= 2; sx++) {
          const ox = Math.round(cx(f)) + sx;
          const oy = Math.round(cy(f)) + sy;
          let s = 0;
          let n = 0;
          for (let dy = -half; dy <= half; dy++)
            for (let dx = -half; dx <= half; dx++) {
              const ax = jx + dx;
              const ay = jy + dy;
              const bx = ox + dx;
              const by = oy + dy;
              if (ax < 0 || ay < 0 || ax >= width || ay >= height) continue;
              if (bx < 0 || by < 0 || bx >= width || by >= height) continue;
              if (a[ay * width + ax]! >= 0 !== (b[by * width + bx] === 1)) s++;
              n++;
            }
          if (n) best = Math.min(best, s / n);
        }
      total += best;
    }
    return total / picks.length;
  };
  // a candidate's mask differences with its silhouettes as drawn and grown by 1 and 2 px
  const fits = (labels: Int8Array[], cx: (f: number) => number, cy: (f: number) => number) =>
    SILHOUETTE_GROWTH.map((radius) =>
      maskDiff(
        picks.reduce<Uint8Array[]>((masks, f) => {
          masks[f] = grownMask(labels[f]!, width, height, radius);
          return masks;
        }, []),
        cx,
        cy,
      ),
    );
  const expected = fits(
    R.labels,
    (f) => r.x[f]!,
    (f) => r.y[f]!,
  );
  const alternatives = CLASSES.filter((c) => c.name !== cls.name && shownColor(c, color) === color);
  const others = alternatives.map((c) => {
    const alt: SceneSpec = {
      ...spec,
      objects: spec.objects.map((o, i) => (i === k ? { ...o, class: c.name, color } : o)),
    };
    const clip = render(alt, seed);
    const t = clip.truth;
    const labels = new Array<Int8Array>(spec.frames);
    for (const f of picks)
      labels[f] = labelImage(normalizedFrame(clip.pixels, J.shape, alt, f), background[f]!);
    // centred on the alternative's drawn box; the ±2 px search absorbs centroid offsets
    return fits(
      labels,
      (f) => t[f]!.objects[k]!.x - 0.5,
      (f) => t[f]!.objects[k]!.y - 0.5,
    );
  });
  // The edges' softness is the clip's, not a candidate's: one growth for all, the one at which
  // some candidate fits best; a candidate picking its own would let near-ties (a grown hexagon
  // is a ball) crowd the drawn class.
  const all = [expected, ...others];
  const growth = SILHOUETTE_GROWTH.map((_, g) => g).reduce((best, g) =>
    Math.min(...all.map((d) => d[g]!)) < Math.min(...all.map((d) => d[best]!)) ? g : best,
  );
  // mask differences are shares of the patch; scale to the rank score's +1 softening
  return rankScore(
    expected[growth]! * 100,
    others.map((d) => d[growth]! * 100),
  );
}
