// The training distribution: a seeded random scene for every seed.
//
// `sampleScene(seed, options)` is a pure function of its arguments. Options narrow the
// distribution, so training can follow a curriculum (CURRICULUM below: one shape on a plain
// background first, then sprites, motions, textures, styles, camera and lighting). Objects start
// where they stay mostly in view for the whole clip, colours contrast with the background, and
// with some probability two objects are set up to interact (one heads towards the other and
// collides with it, or passes behind or in front of it).
import { CLASSES, type ObjectClass, shownColor } from './classes.ts';
import { GROW_RATIO, ORBIT_RADIUS, ZIGZAG_AMPLITUDE } from './motion.ts';
import { makeRng, type Rng } from './random.ts';
import {
  BACKGROUNDS,
  type BackgroundKind,
  CAMERA_MOVES,
  type CameraMove,
  COLOR_NAMES,
  type ColorName,
  DIRECTION_VECTORS,
  DIRECTIONS,
  type Direction,
  LIGHTINGS,
  type Lighting,
  MOTIONS,
  type MotionKind,
  parseSpec,
  type SceneSpec,
  SIZE_VALUES,
  SIZES,
  type Size,
  SPEED_VALUES,
  SPEEDS,
  type Speed,
  STYLES,
  type Style,
} from './spec.ts';

export interface SampleOptions {
  width: number;
  height: number;
  frames: number;
  fps?: number;
  /** Number of objects: uniform in [minObjects, maxObjects] (defaults 1 and 3; at most 8). */
  minObjects?: number;
  maxObjects?: number;
  /** Allowed values (default: all). */
  motions?: readonly MotionKind[];
  styles?: readonly Style[];
  backgrounds?: readonly BackgroundKind[];
  cameras?: readonly CameraMove[];
  lightings?: readonly Lighting[];
  directions?: readonly Direction[];
  speeds?: readonly Speed[];
  sizes?: readonly Size[];
  colors?: readonly ColorName[];
  /** Class names allowed (default: all), and class names never used (held out for evaluation). */
  classes?: readonly string[];
  excludeClasses?: readonly string[];
  /** Categories allowed (shape, animal, vehicle, ...). */
  categories?: readonly ObjectClass['category'][];
  /** Probability of a static camera / constant lighting when others are allowed (defaults 0.6 / 0.7). */
  pStaticCamera?: number;
  pConstantLighting?: number;
  /** Probability that two objects are set up to interact (default 0.35). */
  pInteraction?: number;
}

/** Curriculum stages: each a narrowing of the distribution, from easiest to the full world. */
export const CURRICULUM: readonly Partial<SampleOptions>[] = [
  // 0: one shape, plain background, flat, static or linear, static camera
  {
    minObjects: 1,
    maxObjects: 1,
    categories: ['shape'],
    motions: ['static', 'linear'],
    backgrounds: ['solid'],
    styles: ['flat'],
    cameras: ['static'],
    lightings: ['constant'],
  },
  // 1: one object of any class, more motions, gradients
  {
    minObjects: 1,
    maxObjects: 1,
    motions: ['static', 'linear', 'bounce', 'fall', 'grow', 'shrink', 'rotate'],
    backgrounds: ['solid', 'gradient'],
    styles: ['flat'],
    cameras: ['static'],
    lightings: ['constant'],
  },
  // 2: up to two objects, every motion, textured backgrounds
  { minObjects: 1, maxObjects: 2, styles: ['flat', 'cartoon'], cameras: ['static'], lightings: ['constant'] },
  // 3: up to three objects, every style, camera and lighting
  { minObjects: 1, maxObjects: 3 },
  // 4: the full world
  { minObjects: 1, maxObjects: 4 },
];

/** Options of a curriculum stage (clamped to the last stage), merged over `base`. */
export function curriculumOptions(stage: number, base: SampleOptions): SampleOptions {
  const s = CURRICULUM[Math.max(0, Math.min(CURRICULUM.length - 1, Math.floor(stage)))]!;
  return { ...base, ...s, maxObjects: Math.min(s.maxObjects ?? 8, base.maxObjects ?? 8) };
}

/** Colours that are hard to see on a background. */
const LOW_CONTRAST: Record<Exclude<BackgroundKind, 'solid' | 'gradient'>, ColorName[]> = {
  grass: ['green', 'brown'],
  sky: ['blue', 'cyan', 'white'],
  sea: ['blue', 'cyan', 'purple'],
  night: ['black', 'blue', 'purple', 'brown'],
  desert: ['yellow', 'orange', 'brown', 'white'],
  snow: ['white', 'gray', 'cyan'],
};

/** Whether a colour stands out on a background. */
export function contrasts(color: ColorName, bg: SceneSpec['background']): boolean {
  if (bg.kind === 'solid') return color !== bg.color && !(bg.color === 'white' && color === 'yellow');
  if (bg.kind === 'gradient') return color !== bg.color && color !== bg.color2;
  return !LOW_CONTRAST[bg.kind].includes(color);
}

function allowed<T>(list: readonly T[] | undefined, all: readonly T[]): readonly T[] {
  const l = list && list.length > 0 ? list.filter((x) => all.includes(x)) : all;
  if (l.length === 0) throw new Error(`sampleScene: no allowed value among ${all.join(', ')}`);
  return l;
}

/** A random scene for training. Same seed and options, same scene. */
export function sampleScene(seed: number, options: SampleOptions): SceneSpec {
  const rng = makeRng(seed).fork('scene');
  const W = options.width;
  const H = options.height;
  const F = options.frames;
  const fps = options.fps ?? 8;
  const T = Math.max(0, F - 1) / fps;
  const S = Math.min(W, H);
  const minN = Math.max(0, Math.min(8, options.minObjects ?? 1));
  const maxN = Math.max(minN, Math.min(8, options.maxObjects ?? 3));
  const n = minN + rng.int(maxN - minN + 1);

  const motions = allowed(options.motions, MOTIONS);
  const styles = allowed(options.styles, STYLES);
  const backgrounds = allowed(options.backgrounds, BACKGROUNDS);
  const cameras = allowed(options.cameras, CAMERA_MOVES);
  const lightings = allowed(options.lightings, LIGHTINGS);
  const directions = allowed(options.directions, DIRECTIONS);
  const speeds = allowed(options.speeds, SPEEDS);
  const sizes = allowed(options.sizes, SIZES);
  const colors = allowed(options.colors, COLOR_NAMES);
  let classes = CLASSES.filter(
    (c) =>
      (!options.classes || options.classes.length === 0 || options.classes.includes(c.name)) &&
      !(options.excludeClasses ?? []).includes(c.name) &&
      (!options.categories || options.categories.length === 0 || options.categories.includes(c.category)),
  );
  if (classes.length === 0) throw new Error('sampleScene: no allowed object class');

  // scene
  const bgKind = rng.pick(backgrounds);
  const bgColor = rng.pick(colors.length > 1 ? colors : COLOR_NAMES);
  let bgColor2 = rng.pick(COLOR_NAMES);
  while (bgColor2 === bgColor) bgColor2 = rng.pick(COLOR_NAMES);
  const background = { kind: bgKind, color: bgColor, color2: bgColor2 };
  const pickWithDefault = <T>(list: readonly T[], dflt: T, p: number): T => {
    if (list.includes(dflt) && list.length > 1)
      return rng.chance(p) ? dflt : rng.pick(list.filter((x) => x !== dflt));
    return rng.pick(list);
  };
  const style = rng.pick(styles);
  const camera = pickWithDefault(cameras, 'static' as CameraMove, options.pStaticCamera ?? 0.6);
  const lighting = pickWithDefault(lightings, 'constant' as Lighting, options.pConstantLighting ?? 0.7);

  // classes that can be seen on this background
  const visible = classes.filter((c) => c.tintable || contrasts(c.nativeColor!, background));
  if (visible.length > 0) classes = visible;

  const objects: SceneSpec['objects'] = [];
  const interact = n >= 2 && motions.includes('linear') && rng.chance(options.pInteraction ?? 0.35);
  for (let i = 0; i < n; i++) {
    const cls = rng.pick(classes);
    let color: ColorName;
    if (cls.tintable) {
      const ok = colors.filter((c) => contrasts(c, background));
      color = rng.pick(ok.length > 0 ? ok : colors);
    } else color = cls.nativeColor!;
    const size = rng.pick(sizes);
    const kind = rng.pick(motions);
    let speed = rng.pick(speeds);
    let direction: Direction | undefined;
    if (kind === 'linear' || kind === 'zigzag' || kind === 'bounce') direction = rng.pick(directions);
    else if (kind === 'orbit' || kind === 'rotate') direction = rng.chance(0.5) ? 'right' : 'left';
    else if (kind === 'fall' && rng.chance(0.25)) direction = rng.chance(0.5) ? 'right' : 'left';
    if ((kind === 'linear' || kind === 'zigzag') && direction && !fits(direction, speed, size, W, H, S, T)) {
      // a path longer than the frame: slow down to one that fits, if the options allow it
      const slower = speeds.filter(
        (sp) => SPEED_VALUES[sp] < SPEED_VALUES[speed] && fits(direction!, sp, size, W, H, S, T),
      );
      if (slower.length > 0) speed = slower.reduce((a, b) => (SPEED_VALUES[a] > SPEED_VALUES[b] ? a : b));
    }
    const at = rng.pick([0.25, 0.5, 0.75]);
    const motion = { kind, ...(direction ? { direction } : {}), speed, at };
    const start = startFor(rng, { kind, direction, speed, size }, W, H, S, T);
    objects.push({
      id: `o${i}`,
      class: cls.name,
      color: shownColor(cls, color),
      size,
      start,
      motion,
      depth: rng.int(4),
    });
  }
  // spread objects that start on top of each other (a few tries)
  for (let i = 1; i < objects.length; i++) {
    for (let tries = 0; tries < 8; tries++) {
      const o = objects[i]!;
      const clash = objects.slice(0, i).some((p) => {
        const d = Math.hypot((o.start.x - p.start.x) * W, (o.start.y - p.start.y) * H);
        return d < ((SIZE_VALUES[o.size] + SIZE_VALUES[p.size]) * S) / 2;
      });
      if (!clash) break;
      o.start = startFor(rng, { ...o.motion, size: o.size }, W, H, S, T);
    }
  }
  if (interact) setUpInteraction(rng, objects, W, H, S, T, speeds);
  return parseSpec({ width: W, height: H, frames: F, fps, background, style, camera, lighting, objects });
}

/** Whether a straight path at this speed stays inside the frame for the whole clip. */
function fits(
  direction: Direction,
  speed: Speed,
  size: Size,
  W: number,
  H: number,
  S: number,
  T: number,
): boolean {
  const [dx, dy] = DIRECTION_VECTORS[direction];
  const half = (SIZE_VALUES[size] * S) / 2;
  const tx = Math.abs(dx * SPEED_VALUES[speed] * T * W);
  const ty = Math.abs(dy * SPEED_VALUES[speed] * T * W);
  return tx <= W - 2 * half && ty <= H - 2 * half;
}

/** A start point from which the object stays (mostly) in view for the whole clip. */
function startFor(
  rng: Rng,
  m: { kind: MotionKind; direction?: Direction; speed: Speed; size: Size },
  W: number,
  H: number,
  S: number,
  T: number,
): { x: number; y: number } {
  let half = (SIZE_VALUES[m.size] * S) / 2; // px
  if (m.kind === 'grow' || m.kind === 'shrink') half *= Math.sqrt(GROW_RATIO[m.speed]);
  if (m.kind === 'rotate') half *= Math.SQRT2;
  let mx = half / W;
  let my = half / H;
  if (m.kind === 'orbit') {
    mx += (ORBIT_RADIUS * S) / W;
    my += (ORBIT_RADIUS * S) / H;
  }
  if (m.kind === 'zigzag') {
    mx += (ZIGZAG_AMPLITUDE * S) / W;
    my += (ZIGZAG_AMPLITUDE * S) / H;
  }
  const range = (lo: number, hi: number) => (lo <= hi ? rng.range(lo, hi) : (lo + hi) / 2);
  if (m.kind === 'linear' || m.kind === 'zigzag') {
    const [dx, dy] = DIRECTION_VECTORS[m.direction ?? 'right'];
    const tx = dx * SPEED_VALUES[m.speed] * T;
    const ty = (dy * SPEED_VALUES[m.speed] * T * W) / H;
    // a path longer than the frame starts just inside the edge it enters from, so it is in
    // view from the first frame and leaves late
    const axis = (m: number, t: number) => {
      const lo = m - Math.min(0, t);
      const hi = 1 - m - Math.max(0, t);
      return lo <= hi ? rng.range(lo, hi) : t > 0 ? m : 1 - m;
    };
    return { x: clamp01(axis(mx, tx)), y: clamp01(axis(my, ty)) };
  }
  if (m.kind === 'fall') return { x: clamp01(range(mx, 1 - mx)), y: clamp01(range(my, Math.max(my, 0.4))) };
  return { x: clamp01(range(mx, 1 - mx)), y: clamp01(range(my, 1 - my)) };
}

function clamp01(v: number): number {
  return Math.round(Math.min(1, Math.max(0, v)) * 1000) / 1000;
}

/** Object 1 heads horizontally for object 0 and collides with it or passes behind/in front. */
function setUpInteraction(
  rng: Rng,
  objects: SceneSpec['objects'],
  W: number,
  H: number,
  S: number,
  T: number,
  speeds: readonly Speed[],
): void {
  const target = objects[0]!;
  const mover = objects[1]!;
  const fromLeft = rng.chance(0.5);
  const speed =
    speeds.includes('fast') && T < 2.5 ? 'fast' : speeds.includes('medium') ? 'medium' : rng.pick(speeds);
  const travel = SPEED_VALUES[speed] * T; // frame widths
  const halfT = (SIZE_VALUES[target.size] * S) / 2 / W;
  const halfM = (SIZE_VALUES[mover.size] * S) / 2 / W;
  const halfY = (Math.max(SIZE_VALUES[target.size], SIZE_VALUES[mover.size]) * S) / 2 / H;
  // the mover starts fully in view and reaches the target's centre about 3/4 of the way through
  const gap = Math.max(0, Math.min(1 - halfT - halfM, travel * 0.75));
  const moverX = fromLeft ? halfM : 1 - halfM;
  const targetX = fromLeft ? Math.min(1 - halfT, moverX + gap) : Math.max(halfT, moverX - gap);
  const y = Math.min(1 - halfY, Math.max(halfY, target.start.y));
  target.motion = { kind: rng.pick(['static', 'rotate'] as const), speed: 'medium', at: 0.5 };
  target.start = { x: clamp01(targetX), y: clamp01(y) };
  mover.start = {
    x: clamp01(
      moverX + (fromLeft ? 1 : -1) * rng.range(0, Math.max(0, Math.abs(targetX - moverX) - gap * 0.9)),
    ),
    y: target.start.y,
  };
  mover.motion = { kind: 'linear', direction: fromLeft ? 'right' : 'left', speed, at: 0.5 };
  const r = rng.int(3);
  if (r === 0) {
    mover.depth = 0;
    target.depth = 1 + rng.int(3);
  } else if (r === 1) {
    target.depth = 0;
    mover.depth = 1 + rng.int(3);
  } else mover.depth = target.depth;
}
