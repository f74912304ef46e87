// The scene spec: the one description of a clip that the renderer draws, the captioner
// describes, the prompt parser produces and the oracle checks against.
//
// Positions are normalised to the frame: (0,0) top-left, (1,1) bottom-right, so one spec
// renders at any width x height. Time is in frames of the clip (the spec also fixes fps).
import { z } from 'zod';
import { classByName } from './classes.ts';

export const DIRECTIONS = [
  'right',
  'left',
  'up',
  'down',
  'up-right',
  'up-left',
  'down-right',
  'down-left',
] as const;
export type Direction = (typeof DIRECTIONS)[number];

/** Unit vectors in image coordinates (y grows downwards). */
export const DIRECTION_VECTORS: Record<Direction, readonly [number, number]> = {
  right: [1, 0],
  left: [-1, 0],
  up: [0, -1],
  down: [0, 1],
  'up-right': [Math.SQRT1_2, -Math.SQRT1_2],
  'up-left': [-Math.SQRT1_2, -Math.SQRT1_2],
  'down-right': [Math.SQRT1_2, Math.SQRT1_2],
  'down-left': [-Math.SQRT1_2, Math.SQRT1_2],
};

export const SPEEDS = ['slow', 'medium', 'fast'] as const;
export type Speed = (typeof SPEEDS)[number];
/** Speed in frame-widths per second: a "medium" object crosses the frame in ~3 s. */
export const SPEED_VALUES: Record<Speed, number> = { slow: 0.15, medium: 0.3, fast: 0.6 };

export const SIZES = ['small', 'medium', 'large'] as const;
export type Size = (typeof SIZES)[number];
/** Object size as a fraction of the frame's shorter side. */
export const SIZE_VALUES: Record<Size, number> = { small: 0.16, medium: 0.25, large: 0.36 };

export const MOTIONS = [
  'static',
  'linear',
  'bounce',
  'fall',
  'orbit',
  'zigzag',
  'grow',
  'shrink',
  'rotate',
  'appear',
  'disappear',
] as const;
export type MotionKind = (typeof MOTIONS)[number];

export const BACKGROUNDS = ['solid', 'gradient', 'grass', 'sky', 'sea', 'night', 'desert', 'snow'] as const;
export type BackgroundKind = (typeof BACKGROUNDS)[number];

export const STYLES = ['flat', 'cartoon', 'pixel', 'sketch', 'neon'] as const;
export type Style = (typeof STYLES)[number];

export const CAMERA_MOVES = [
  'static',
  'pan-left',
  'pan-right',
  'pan-up',
  'pan-down',
  'zoom-in',
  'zoom-out',
] as const;
export type CameraMove = (typeof CAMERA_MOVES)[number];

export const LIGHTINGS = ['constant', 'fade-in', 'fade-out', 'day-to-night', 'night-to-day'] as const;
export type Lighting = (typeof LIGHTINGS)[number];

/** Colour names: the captions' words. RGB values live in world/palette.ts. */
export const COLOR_NAMES = [
  'red',
  'orange',
  'yellow',
  'green',
  'blue',
  'purple',
  'pink',
  'brown',
  'white',
  'black',
  'gray',
  'cyan',
] as const;
export type ColorName = (typeof COLOR_NAMES)[number];

const point = z.object({ x: z.number().min(0).max(1), y: z.number().min(0).max(1) });

export const motionSchema = z.object({
  kind: z.enum(MOTIONS),
  /**
   * For linear, zigzag and bounce: the heading at the first frame (defaults: right, right,
   * down-right). For orbit and rotate: the sense of turning, clockwise on screen when it has a
   * rightward component or is left out, counterclockwise when leftward. For fall: an optional
   * sideways drift (its horizontal component). See world/motion.ts effectiveDirection.
   */
  direction: z.enum(DIRECTIONS).optional(),
  speed: z.enum(SPEEDS).default('medium'),
  /** For appear/disappear: the frame fraction (0..1) at which it happens. */
  at: z.number().min(0).max(1).default(0.5),
});
export type Motion = z.infer<typeof motionSchema>;

export const objectSchema = z.object({
  /** Stable id within the clip ("o0", "o1", ...): the oracle tracks objects by it. */
  id: z.string().min(1).max(32),
  /** A class name from the world's vocabulary (see world/classes.ts). */
  class: z.string().min(1),
  /** A colour name; classes whose sprite cannot be tinted keep their own colour. */
  color: z.enum(COLOR_NAMES),
  size: z.enum(SIZES).default('medium'),
  start: point,
  motion: motionSchema,
  /** Draw order: higher is nearer the camera, drawn later, and occludes lower ones. */
  depth: z.number().int().min(0).max(15).default(0),
});
export type SceneObject = z.infer<typeof objectSchema>;

export const backgroundSchema = z.object({
  kind: z.enum(BACKGROUNDS),
  color: z.enum(COLOR_NAMES).default('white'),
  /** Second colour of a gradient. */
  color2: z.enum(COLOR_NAMES).default('blue'),
});
export type Background = z.infer<typeof backgroundSchema>;

export const MAX_PIXELS_PER_CLIP = 1024 * 1024 * 600; // ~10 s of 1080p; larger is refused, not attempted

export const sceneSpecSchema = z
  .object({
    width: z.number().int().min(8).max(4096),
    height: z.number().int().min(8).max(4096),
    frames: z.number().int().min(1).max(10_000),
    fps: z.number().positive().max(240).default(8),
    background: backgroundSchema,
    style: z.enum(STYLES).default('flat'),
    camera: z.enum(CAMERA_MOVES).default('static'),
    lighting: z.enum(LIGHTINGS).default('constant'),
    objects: z.array(objectSchema).min(0).max(8),
  })
  .superRefine((spec, ctx) => {
    if (spec.width * spec.height * spec.frames > MAX_PIXELS_PER_CLIP) {
      ctx.addIssue({
        code: 'custom',
        path: ['frames'],
        message: `clip too large: ${spec.width}x${spec.height}x${spec.frames} exceeds ${MAX_PIXELS_PER_CLIP} pixels`,
      });
    }
    const ids = new Set<string>();
    spec.objects.forEach((o, i) => {
      if (!classByName(o.class))
        ctx.addIssue({
          code: 'custom',
          path: ['objects', i, 'class'],
          message: `unknown object class "${o.class}" (see \`kinema world vocab\`)`,
        });
      if (ids.has(o.id))
        ctx.addIssue({ code: 'custom', path: ['objects', i, 'id'], message: `duplicate id "${o.id}"` });
      ids.add(o.id);
    });
  });
export type SceneSpec = z.infer<typeof sceneSpecSchema>;
export type SceneSpecInput = z.input<typeof sceneSpecSchema>;

/** A spec failed validation; `path` names the bad field, e.g. "objects.0.color". */
export class SpecError extends Error {
  override name = 'SpecError';
  constructor(
    message: string,
    readonly path: string,
  ) {
    super(message);
  }
}

/** Validate once at the edge: every function past this point trusts the spec. */
export function parseSpec(input: unknown): SceneSpec {
  const result = sceneSpecSchema.safeParse(input);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const path = issue.path.join('.');
  throw new SpecError(`invalid scene spec at "${path || '(root)'}": ${issue.message}`, path);
}

/** Per-frame ground truth of one object: what the oracle should find. */
export interface ObjectTruth {
  id: string;
  /** Centre in pixels of the rendered frame (after the camera). */
  x: number;
  y: number;
  /** Bounding box size in pixels (after camera zoom and grow/shrink). */
  w: number;
  h: number;
  /** Rotation in radians. */
  angle: number;
  /** Drawn at all this frame (false before "appear", after "disappear", or when off-frame). */
  present: boolean;
  /** Fraction 0..1 of the object's box hidden by nearer objects or the frame edge. */
  occluded: number;
  /**
   * Set by the renderer: pixels of the object's silhouette (coverage >= 0.5) as if the frame
   * were unbounded, and how many of them are the topmost silhouette inside the frame.
   * `occluded` = 1 - visibleArea / area (0 when area is 0).
   */
  area?: number;
  visibleArea?: number;
}

export interface FrameTruth {
  frame: number;
  objects: ObjectTruth[];
  /** Camera: top-left of the view in world units (0..1) and its zoom (1 = whole frame). */
  camera: { x: number; y: number; zoom: number };
  /** Global brightness multiplier from lighting (1 = full). */
  brightness: number;
}

/** A rendered clip. */
export interface Clip {
  spec: SceneSpec;
  seed: number;
  /** RGB uint8, (frames, height, width, 3). */
  pixels: Uint8Array;
  truth: FrameTruth[];
  captions: { short: string; detailed: string; long: string };
  /**
   * Only when asked for (renderClip's `masks` option): per pixel, the index in spec.objects of
   * the topmost object silhouette there, or -1 for background; int8 (frames, height, width).
   */
  masks?: Int8Array;
}
