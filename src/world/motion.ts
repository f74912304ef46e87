// Where everything is at each frame: object trajectories, the camera and the lighting.
//
// Units. Positions are normalised to the frame ((0,0) top-left, (1,1) bottom-right of the world
// as the static camera sees it). Speeds are in frame-WIDTHS per second on both axes
// (SPEED_VALUES), so a diagonal really is 45 degrees in pixels and a speed means the same
// number of pixels per frame horizontally and vertically: per frame an object at speed v
// moves v * width / fps pixels. Radii and amplitudes scale with the shorter side.
// Everything here is a closed form or an exact event simulation: no randomness.
import {
  DIRECTION_VECTORS,
  type Direction,
  type Motion,
  type SceneObject,
  type SceneSpec,
  SIZE_VALUES,
  SPEED_VALUES,
} from './spec.ts';

/** Orbit radius as a fraction of the frame's shorter side. */
export const ORBIT_RADIUS = 0.18;
/** Zigzag: sideways amplitude (fraction of the shorter side) and period in seconds. */
export const ZIGZAG_AMPLITUDE = 0.08;
export const ZIGZAG_PERIOD = 0.8;
/** Gravity for "fall", in frame-heights per second squared, and the floor bounce restitution. */
export const GRAVITY = 2.5;
export const RESTITUTION = 0.6;
/** grow/shrink: the size ratio between the last and the first frame, by speed. */
export const GROW_RATIO = { slow: 1.6, medium: 2.5, fast: 4 } as const;
/** rotate: turns per second, by speed. */
export const TURNS_PER_SECOND = { slow: 0.25, medium: 0.5, fast: 1 } as const;
/** Camera: total pan over the clip (frame widths/heights) and the zoom factor reached. */
export const PAN_EXTENT = 0.2;
export const ZOOM_FACTOR = 1.3;
/** The world drawn around the frame (each side, in frame units) so pans and zooms show more of it. */
export const WORLD_MARGIN = 0.125;
/** Lighting: the darkest fade level and the night tint (per-channel multipliers). */
export const FADE_MIN = 0.1;
export const NIGHT_TINT = [0.35, 0.45, 0.75] as const;

/** The heading a motion uses when the spec leaves `direction` out. */
export const DEFAULT_DIRECTION: Partial<Record<Motion['kind'], Direction>> = {
  linear: 'right',
  bounce: 'down-right',
  zigzag: 'right',
  orbit: 'right',
  rotate: 'right',
};

/**
 * The direction a motion actually uses (undefined when direction means nothing for it).
 * For orbit and rotate the direction only picks the sense of turning: a heading with a
 * rightward component (or none) is clockwise on screen, a leftward one counterclockwise.
 * For fall it is an optional sideways drift (its horizontal component only).
 */
export function effectiveDirection(motion: Motion): Direction | undefined {
  switch (motion.kind) {
    case 'linear':
    case 'bounce':
    case 'zigzag':
      return motion.direction ?? DEFAULT_DIRECTION[motion.kind];
    case 'orbit':
    case 'rotate':
      return isClockwise(motion) ? 'right' : 'left';
    case 'fall': {
      const d = motion.direction;
      if (!d) return undefined;
      const dx = DIRECTION_VECTORS[d][0];
      return dx > 0 ? 'right' : dx < 0 ? 'left' : undefined;
    }
    default:
      return undefined;
  }
}

/** For orbit/rotate: whether the turn is clockwise on screen. */
export function isClockwise(motion: Motion): boolean {
  return !motion.direction || DIRECTION_VECTORS[motion.direction][0] >= 0;
}

/** The fraction 0..1 of the clip at a frame (0 for a one-frame clip). */
export function clipFraction(spec: SceneSpec, frame: number): number {
  return spec.frames > 1 ? frame / (spec.frames - 1) : 0;
}

/** For appear/disappear: the first frame at which the object is shown (appear) or hidden (disappear). */
export function switchFrame(spec: SceneSpec, motion: Motion): number {
  return Math.min(spec.frames, Math.max(0, Math.round(motion.at * spec.frames)));
}

/** An object's nominal side length in pixels at scale 1 and camera zoom 1. */
export function objectSizePx(spec: SceneSpec, obj: SceneObject): number {
  return SIZE_VALUES[obj.size] * Math.min(spec.width, spec.height);
}

/** Per-frame state of one object in world coordinates (before the camera). */
export interface Track {
  id: string;
  /** Centre, normalised world coordinates. */
  x: Float64Array;
  y: Float64Array;
  /** Size multiplier (grow/shrink). */
  scale: Float64Array;
  /** Rotation in radians, clockwise on screen. */
  angle: Float64Array;
  /** 1 when the object is shown at all this frame by its motion (appear/disappear), else 0. */
  shown: Uint8Array;
  /** Nominal side length in pixels at scale 1, zoom 1. */
  sizePx: number;
}

function reflect(p: number, lo: number, hi: number): number {
  const len = hi - lo;
  if (len <= 0) return (lo + hi) / 2;
  let q = (p - lo) % (2 * len);
  if (q < 0) q += 2 * len;
  return lo + (q <= len ? q : 2 * len - q);
}

/** Triangle wave: 0 at u=0, +1 at 0.25, -1 at 0.75, period 1. */
function tri(u: number): number {
  let q = (u + 0.25) % 1;
  if (q < 0) q += 1;
  return 1 - 4 * Math.abs(q - 0.5);
}

/** The trajectory of one object over the whole clip. */
export function objectTrack(spec: SceneSpec, obj: SceneObject): Track {
  const n = spec.frames;
  const W = spec.width;
  const H = spec.height;
  const S = Math.min(W, H);
  const sizePx = objectSizePx(spec, obj);
  const t: Track = {
    id: obj.id,
    x: new Float64Array(n),
    y: new Float64Array(n),
    scale: new Float64Array(n),
    angle: new Float64Array(n),
    shown: new Uint8Array(n),
    sizePx,
  };
  const m = obj.motion;
  const speed = SPEED_VALUES[m.speed]; // frame widths per second
  const dir = effectiveDirection(m);
  const [dx, dy] = dir ? DIRECTION_VECTORS[dir] : [0, 0];
  // velocity in normalised units per second
  const vx = dx * speed;
  const vy = (dy * speed * W) / H;
  const x0 = obj.start.x;
  const y0 = obj.start.y;
  const fps = spec.fps;
  const rx = sizePx / 2 / W;
  const ry = sizePx / 2 / H;
  const sw = switchFrame(spec, m);

  // fall: exact event simulation, frame by frame
  let fy = Math.min(y0, 1 - ry);
  let fvy = dy < 0 ? (dy * speed * W) / H : 0; // thrown upwards if the heading says so
  let resting = false;

  for (let f = 0; f < n; f++) {
    const sec = f / fps;
    let x = x0;
    let y = y0;
    let scale = 1;
    let angle = 0;
    let shown = 1;
    switch (m.kind) {
      case 'static':
        break;
      case 'linear':
        x = x0 + vx * sec;
        y = y0 + vy * sec;
        break;
      case 'bounce':
        x = reflect(Math.min(Math.max(x0, rx), 1 - rx) + vx * sec, rx, 1 - rx);
        y = reflect(Math.min(Math.max(y0, ry), 1 - ry) + vy * sec, ry, 1 - ry);
        break;
      case 'zigzag': {
        const amp = (ZIGZAG_AMPLITUDE * S) / W; // along the perpendicular, in width units
        const w = tri(sec / ZIGZAG_PERIOD) * amp;
        // perpendicular to the heading, in isotropic (width) units, then to normalised y
        const px = -dy;
        const py = dx;
        x = x0 + vx * sec + px * w;
        y = y0 + vy * sec + (py * w * W) / H;
        break;
      }
      case 'orbit': {
        const radius = ORBIT_RADIUS * S; // px
        const omega = (speed * W) / radius; // rad/s
        const phi = (isClockwise(m) ? 1 : -1) * omega * sec;
        x = x0 + (radius * Math.sin(phi)) / W;
        y = y0 - (radius * Math.cos(phi)) / H;
        break;
      }
      case 'grow':
      case 'shrink': {
        const r = GROW_RATIO[m.speed];
        const e = clipFraction(spec, f) - 0.5;
        scale = r ** (m.kind === 'grow' ? e : -e);
        break;
      }
      case 'rotate':
        angle = (isClockwise(m) ? 1 : -1) * 2 * Math.PI * TURNS_PER_SECOND[m.speed] * sec;
        break;
      case 'appear':
        shown = f >= sw ? 1 : 0;
        break;
      case 'disappear':
        shown = f < sw ? 1 : 0;
        break;
      case 'fall': {
        if (f > 0) {
          let remaining = 1 / fps;
          const floor = 1 - ry;
          let guard = 0;
          while (remaining > 0 && !resting && guard++ < 64) {
            // time to reach the floor: fy + fvy*tau + G tau^2 / 2 = floor
            const disc = fvy * fvy + 2 * GRAVITY * (floor - fy);
            const tau = (-fvy + Math.sqrt(Math.max(0, disc))) / GRAVITY;
            if (tau > remaining) {
              fy += fvy * remaining + 0.5 * GRAVITY * remaining * remaining;
              fvy += GRAVITY * remaining;
              remaining = 0;
            } else {
              remaining -= tau;
              fy = floor;
              fvy = -(fvy + GRAVITY * tau) * RESTITUTION;
              if (Math.abs(fvy) < 0.15) {
                fvy = 0;
                resting = true;
              }
            }
          }
        }
        y = fy;
        x = reflect(Math.min(Math.max(x0, rx), 1 - rx) + vx * sec, rx, 1 - rx);
        if (vx === 0) x = x0;
        break;
      }
    }
    t.x[f] = x;
    t.y[f] = y;
    t.scale[f] = scale;
    t.angle[f] = angle;
    t.shown[f] = shown;
  }
  return t;
}

/** Trajectories of every object of the spec, in spec order. */
export function sceneTracks(spec: SceneSpec): Track[] {
  return spec.objects.map((o) => objectTrack(spec, o));
}

export interface CameraState {
  /** Top-left of the view in world units. */
  x: number;
  y: number;
  /** Magnification: the view spans 1/zoom of the world on each axis. */
  zoom: number;
}

/** The camera at a frame. */
export function cameraAt(spec: SceneSpec, frame: number): CameraState {
  const f = clipFraction(spec, frame);
  const h = PAN_EXTENT / 2;
  switch (spec.camera) {
    case 'pan-right':
      return { x: -h + PAN_EXTENT * f, y: 0, zoom: 1 };
    case 'pan-left':
      return { x: h - PAN_EXTENT * f, y: 0, zoom: 1 };
    case 'pan-down':
      return { x: 0, y: -h + PAN_EXTENT * f, zoom: 1 };
    case 'pan-up':
      return { x: 0, y: h - PAN_EXTENT * f, zoom: 1 };
    case 'zoom-in':
    case 'zoom-out': {
      const zoom = ZOOM_FACTOR ** (spec.camera === 'zoom-in' ? f : 1 - f);
      const c = 0.5 - 0.5 / zoom;
      return { x: c, y: c, zoom };
    }
    default:
      return { x: 0, y: 0, zoom: 1 };
  }
}

export interface LightState {
  /** Per-channel multipliers applied to the whole frame. */
  r: number;
  g: number;
  b: number;
  /** The luminance-weighted multiplier (FrameTruth.brightness). */
  brightness: number;
}

/** The lighting at a frame. */
export function lightingAt(spec: SceneSpec, frame: number): LightState {
  const f = clipFraction(spec, frame);
  let r = 1;
  let g = 1;
  let b = 1;
  switch (spec.lighting) {
    case 'fade-in':
      r = g = b = FADE_MIN + (1 - FADE_MIN) * f;
      break;
    case 'fade-out':
      r = g = b = 1 - (1 - FADE_MIN) * f;
      break;
    case 'day-to-night':
    case 'night-to-day': {
      const k = spec.lighting === 'day-to-night' ? f : 1 - f;
      r = 1 + (NIGHT_TINT[0] - 1) * k;
      g = 1 + (NIGHT_TINT[1] - 1) * k;
      b = 1 + (NIGHT_TINT[2] - 1) * k;
      break;
    }
  }
  // normalised by the weights' sum, so full light is exactly 1
  return { r, g, b, brightness: (0.299 * r + 0.587 * g + 0.114 * b) / (0.299 + 0.587 + 0.114) };
}
