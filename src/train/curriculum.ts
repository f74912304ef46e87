// The training distribution over world scenes, as a curriculum: a small model on a CPU learns
// appearance first and motion later, so early levels keep scenes simple (one object, plain
// backgrounds, flat style, still camera) and later levels open up the whole world.
//
// A scene is a pure function of (seed, level, clip shape): the evaluation suite draws its
// held-out prompts from the same levels with seeds training never uses.
import { CLASSES } from '../world/classes.ts';
import { makeRng } from '../world/random.ts';
import {
  BACKGROUNDS,
  type BackgroundKind,
  CAMERA_MOVES,
  type CameraMove,
  COLOR_NAMES,
  DIRECTIONS,
  LIGHTINGS,
  MOTIONS,
  type MotionKind,
  parseSpec,
  type SceneObject,
  type SceneSpec,
  SIZES,
  SPEEDS,
  STYLES,
} from '../world/spec.ts';

export interface CurriculumLevel {
  maxObjects: number;
  motions: readonly MotionKind[];
  backgrounds: readonly BackgroundKind[];
  styles: readonly (typeof STYLES)[number][];
  cameras: readonly CameraMove[];
  lightingChangeProbability: number;
  /** Only shapes (tintable, any colour) or the whole class list. */
  classes: 'shapes' | 'all';
}

export const CURRICULUM: readonly CurriculumLevel[] = [
  // 0: one coloured shape moving in a straight line (or still) on a plain background.
  {
    maxObjects: 1,
    motions: ['linear', 'static'],
    backgrounds: ['solid'],
    styles: ['flat'],
    cameras: ['static'],
    lightingChangeProbability: 0,
    classes: 'shapes',
  },
  // 1: all classes, more motions, textured backgrounds, up to two objects.
  {
    maxObjects: 2,
    motions: ['linear', 'static', 'bounce', 'fall', 'zigzag', 'grow', 'shrink'],
    backgrounds: ['solid', 'gradient', 'grass', 'sky', 'sea', 'night'],
    styles: ['flat', 'cartoon'],
    cameras: ['static'],
    lightingChangeProbability: 0,
    classes: 'all',
  },
  // 2: the whole world.
  {
    maxObjects: 3,
    motions: MOTIONS,
    backgrounds: BACKGROUNDS,
    styles: STYLES,
    cameras: CAMERA_MOVES,
    lightingChangeProbability: 0.2,
    classes: 'all',
  },
];

export interface ClipShape {
  width: number;
  height: number;
  frames: number;
  fps: number;
}

/** Changes to a level's scenes: fewer objects, or other backgrounds (one new thing at a time). */
export interface SceneOverrides {
  /** At most this many objects (tighter than the level's own cap). */
  maxObjects?: number;
  /** The backgrounds drawn from, instead of the level's (the rest of the scene is unchanged). */
  backgrounds?: readonly BackgroundKind[];
}

export function curriculumScene(
  seed: number,
  level: number,
  shape: ClipShape,
  overrides: SceneOverrides = {},
): SceneSpec {
  const lvl = CURRICULUM[Math.max(0, Math.min(CURRICULUM.length - 1, level))]!;
  const { maxObjects } = overrides;
  const rng = makeRng(seed);
  const classes = lvl.classes === 'shapes' ? CLASSES.filter((c) => c.kind === 'shape') : CLASSES;
  const count = 1 + Math.floor(rng.next() * Math.min(maxObjects ?? lvl.maxObjects, lvl.maxObjects));
  const objects: SceneObject[] = [];
  const usedColors = new Set<string>();
  for (let i = 0; i < count; i++) {
    const cls = rng.pick(classes);
    // Distinct colours keep multi-object captions unambiguous.
    let color = rng.pick(COLOR_NAMES);
    for (let tries = 0; usedColors.has(color) && tries < 10; tries++) color = rng.pick(COLOR_NAMES);
    usedColors.add(color);
    const motion = rng.pick(lvl.motions);
    objects.push({
      id: `o${i}`,
      class: cls.name,
      color,
      size: rng.pick(SIZES),
      // Start near the centre so a straight move stays in view for the whole clip.
      start: { x: 0.3 + 0.4 * rng.next(), y: 0.3 + 0.4 * rng.next() },
      motion: {
        kind: motion,
        direction: rng.pick(DIRECTIONS),
        speed: rng.pick(SPEEDS),
        at: 0.3 + 0.4 * rng.next(),
      },
      depth: i,
    });
  }
  // one draw whichever list: a scene with other backgrounds keeps its objects
  const background = rng.pick(overrides.backgrounds ?? lvl.backgrounds);
  let bgColor = rng.pick(COLOR_NAMES);
  for (let tries = 0; usedColors.has(bgColor) && tries < 20; tries++) bgColor = rng.pick(COLOR_NAMES);
  return parseSpec({
    width: shape.width,
    height: shape.height,
    frames: shape.frames,
    fps: shape.fps,
    background: { kind: background, color: bgColor, color2: rng.pick(COLOR_NAMES) },
    style: rng.pick(lvl.styles),
    camera: rng.pick(lvl.cameras),
    lighting: rng.next() < lvl.lightingChangeProbability ? rng.pick(LIGHTINGS) : 'constant',
    objects,
  });
}
