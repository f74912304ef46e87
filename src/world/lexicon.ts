// The world's words: one table shared by the captioner (which picks among the phrases, seeded)
// and the prompt parser (which recognises every phrase here, longest match first). Because both
// read the same table, every caption the captioner writes parses back.
//
// Phrases are lower-case words separated by single spaces; hyphens in user text become spaces
// ("zig-zag" = "zig zag") and apostrophes are dropped ("doesn't" = "doesnt").
import { CLASSES, type ObjectClass } from './classes.ts';
import type {
  BackgroundKind,
  CameraMove,
  ColorName,
  Direction,
  Lighting,
  MotionKind,
  Size,
  Speed,
  Style,
} from './spec.ts';

export const COLOR_WORDS: Record<ColorName, string[]> = {
  red: ['red', 'scarlet', 'crimson'],
  orange: ['orange', 'tangerine'],
  yellow: ['yellow', 'golden'],
  green: ['green', 'emerald'],
  blue: ['blue', 'azure'],
  purple: ['purple', 'violet'],
  pink: ['pink', 'rosy'],
  brown: ['brown', 'chocolate'],
  white: ['white', 'snow white'],
  black: ['black', 'jet black'],
  gray: ['gray', 'grey', 'silver'],
  cyan: ['cyan', 'turquoise', 'aqua'],
};

export const SIZE_WORDS: Record<Size, string[]> = {
  small: ['small', 'little', 'tiny'],
  medium: ['medium sized', 'mid sized', 'medium', 'average sized'],
  large: ['large', 'big', 'huge'],
};

/** Speed adverbs (first ones are what captions use most). */
export const SPEED_WORDS: Record<Speed, string[]> = {
  slow: ['slowly', 'gently', 'leisurely', 'at a slow pace', 'at a leisurely pace', 'unhurriedly'],
  medium: ['steadily', 'at a steady pace', 'at a moderate speed', 'at medium speed', 'at an even pace'],
  fast: ['quickly', 'rapidly', 'swiftly', 'at high speed', 'at a fast pace', 'briskly'],
};
/** Speed adjectives before a noun ("a fast red car"). */
export const SPEED_ADJECTIVES: Record<Speed, string[]> = {
  slow: ['slow', 'sluggish'],
  medium: ['steady', 'moderate'],
  fast: ['fast', 'speedy', 'quick', 'rapid'],
};

/** Direction phrases after a motion verb. */
export const DIRECTION_WORDS: Record<Direction, string[]> = {
  right: [
    'to the right',
    'right',
    'rightward',
    'rightwards',
    'toward the right',
    'towards the right',
    'from left to right',
    'eastward',
  ],
  left: [
    'to the left',
    'left',
    'leftward',
    'leftwards',
    'toward the left',
    'towards the left',
    'from right to left',
    'westward',
  ],
  up: ['up', 'upward', 'upwards', 'toward the top', 'towards the top', 'from bottom to top', 'skyward'],
  down: ['down', 'downward', 'downwards', 'toward the bottom', 'towards the bottom', 'from top to bottom'],
  'up-right': [
    'up and to the right',
    'up and right',
    'diagonally up and to the right',
    'toward the upper right',
    'towards the top right',
    'northeast',
  ],
  'up-left': [
    'up and to the left',
    'up and left',
    'diagonally up and to the left',
    'toward the upper left',
    'towards the top left',
    'northwest',
  ],
  'down-right': [
    'down and to the right',
    'down and right',
    'diagonally down and to the right',
    'toward the lower right',
    'towards the bottom right',
    'southeast',
  ],
  'down-left': [
    'down and to the left',
    'down and left',
    'diagonally down and to the left',
    'toward the lower left',
    'towards the bottom left',
    'southwest',
  ],
};

export const TURN_WORDS = {
  clockwise: ['clockwise'],
  counterclockwise: ['counterclockwise', 'counter clockwise', 'anticlockwise', 'anti clockwise'],
} as const;

/**
 * Motion verb phrases, in the base form; the first word is the verb and is inflected
 * (moves / moving / moved). `generic` verbs (linear) never override a specific motion.
 */
export const MOTION_VERBS: Record<MotionKind, string[]> = {
  static: [
    'sit still',
    'stay still',
    'stay put',
    'rest in place',
    'remain still',
    'hold still',
    'stand still',
    'keep still',
    'stay in place',
  ],
  linear: ['move', 'slide', 'travel', 'glide', 'drift', 'go', 'head', 'cross the frame'],
  bounce: ['bounce', 'bounce around', 'bounce off the walls', 'ricochet', 'rebound', 'bounce back and forth'],
  fall: ['fall', 'drop', 'fall down', 'tumble down', 'plummet', 'drop down', 'fall to the ground'],
  orbit: [
    'orbit',
    'go around in a circle',
    'move in a circle',
    'revolve',
    'loop around',
    'travel in a circle',
    'circle around',
  ],
  zigzag: ['zigzag', 'zig zag', 'weave', 'zigzag back and forth'],
  grow: ['grow', 'get bigger', 'grow larger', 'grow bigger', 'expand', 'swell', 'enlarge'],
  shrink: ['shrink', 'get smaller', 'grow smaller', 'contract', 'dwindle', 'shrink down'],
  rotate: ['rotate', 'spin', 'twirl', 'spin around', 'turn around', 'spin in place', 'rotate in place'],
  appear: ['appear', 'pop up', 'pop into view', 'show up', 'materialize', 'come into view'],
  disappear: ['disappear', 'vanish', 'pop out of view', 'blink out', 'go out of view'],
};
/** Extra words that parse as a motion but that captions do not use for every class. */
export const MOTION_VERBS_EXTRA: Partial<Record<MotionKind, string[]>> = {
  static: [
    'rest',
    'wait',
    'sit',
    'stay',
    'hover in place',
    'do not move',
    'does not move',
    'doesnt move',
    'dont move',
    'not moving',
    'motionless',
    'stationary',
    'still',
  ],
  linear: [
    'roll',
    'walk',
    'run',
    'fly',
    'swim',
    'drive',
    'sail',
    'float',
    'scurry',
    'trot',
    'hop',
    'waddle',
    'crawl',
    'flutter',
    'cruise',
    'zoom across',
    'dash',
    'race',
    'wander',
    'stroll',
    'pass',
    'hurry',
  ],
  bounce: ['bouncy', 'hop around'],
  zigzag: ['zig zags', 'zig zagging', 'zig zagged', 'zigzagging'],
  fall: ['plunge', 'tumble', 'sink to the floor', 'drop to the floor'],
  orbit: ['circle', 'go round', 'go around', 'swirl around'],
  rotate: ['turn in place', 'whirl', 'pirouette', 'spinning'],
  appear: ['emerge', 'materialise', 'arrive'],
  disappear: ['vanish from view', 'leave', 'blink out of existence'],
};
/** Verbs that imply a heading. */
export const IMPLIED_DIRECTION_VERBS: [string, Direction][] = [
  ['rise', 'up'],
  ['ascend', 'up'],
  ['climb', 'up'],
  ['descend', 'down'],
  ['sink', 'down'],
  ['lift off', 'up'],
  ['take off', 'up-right'],
];

/** Class-appropriate verbs for linear motion (captions pick from these plus the generic ones). */
export function linearVerbsFor(cls: ObjectClass): string[] {
  const n = cls.name;
  if (['bird', 'butterfly', 'bee', 'owl', 'airplane', 'helicopter'].includes(n))
    return ['fly', 'flutter'].slice(0, n === 'airplane' || n === 'helicopter' ? 1 : 2);
  if (['fish', 'whale', 'octopus'].includes(n)) return ['swim'];
  if (['car', 'bus', 'train'].includes(n)) return ['drive', 'cruise'];
  if (n === 'sailboat') return ['sail'];
  if (n === 'rocket') return ['fly', 'zoom across'];
  if (
    [
      'cat',
      'dog',
      'rabbit',
      'mouse',
      'elephant',
      'pig',
      'penguin',
      'duck',
      'robot',
      'snowman',
      'teddy bear',
    ].includes(n)
  )
    return n === 'duck' || n === 'penguin'
      ? ['waddle', 'walk']
      : n === 'mouse'
        ? ['scurry', 'run']
        : ['walk', 'run', 'trot'].slice(0, n === 'robot' || n === 'snowman' || n === 'teddy bear' ? 1 : 3);
  if (n === 'turtle') return ['crawl', 'swim'];
  if (n === 'frog') return ['hop'];
  if (['balloon', 'cloud', 'ghost', 'kite'].includes(n)) return ['float', 'drift'];
  if (n === 'ball' || n === 'soccer ball' || n === 'basketball') return ['roll'];
  return [];
}

export const BACKGROUND_WORDS: Record<Exclude<BackgroundKind, 'solid' | 'gradient'>, string[]> = {
  grass: [
    'grassy field',
    'grassy meadow',
    'meadow',
    'lawn',
    'green field',
    'grass',
    'grassland',
    'field of grass',
  ],
  sky: ['blue sky', 'open sky', 'sunny sky', 'daytime sky', 'sky'],
  sea: ['sea', 'ocean', 'open sea', 'rolling waves', 'water', 'waves', 'seascape'],
  night: ['starry night sky', 'night sky', 'starry sky', 'starlit sky', 'night'],
  desert: ['desert', 'sand dunes', 'sandy desert', 'dunes', 'sand'],
  snow: ['snowy field', 'snowfield', 'snowy ground', 'snowy landscape', 'snow'],
};
/** Adjective forms of textured backgrounds ("a grassy hill"). */
export const BACKGROUND_EXTRA: Partial<Record<BackgroundKind, string[]>> = {
  grass: ['grassy', 'grassy hill', 'green meadow'],
  sky: ['clear sky', 'the heavens'],
  night: ['starry night', 'under the stars', 'at night', 'nighttime', 'night time'],
  desert: ['sandy'],
  snow: ['snowy', 'winter landscape'],
  sea: ['seaside', 'underwater', 'beach', 'lake', 'river', 'pond'],
};
export const BACKGROUND_NOUNS = ['background', 'backdrop', 'canvas', 'setting', 'scene background'];
export const BACKGROUND_MODIFIERS = [
  'plain',
  'solid',
  'uniform',
  'single color',
  'single colour',
  'solid color',
  'solid colour',
  'flat colored',
  'flat coloured',
];
export const GRADIENT_WORDS = ['gradient', 'color gradient', 'colour gradient', 'gradient background'];

export const STYLE_WORDS: Record<Style, string[]> = {
  flat: [
    'flat style',
    'flat vector style',
    'flat design',
    'minimal flat style',
    'flat illustration',
    'flat colors',
  ],
  cartoon: [
    'cartoon style',
    'outlined cartoon style',
    'cartoon',
    'comic style',
    'bold outlined cartoon',
    'toon style',
  ],
  pixel: [
    'pixel art',
    'pixel art style',
    'retro pixel art',
    '8 bit pixel art',
    'pixelated style',
    'pixel style',
  ],
  sketch: [
    'pencil sketch',
    'hand drawn pencil sketch',
    'sketch style',
    'pencil drawing',
    'sketchy pencil style',
  ],
  neon: ['neon style', 'glowing neon', 'neon glow', 'neon lights', 'neon'],
};
export const STYLE_EXTRA: Partial<Record<Style, string[]>> = {
  flat: ['flat', 'flat colours', 'minimalist', 'vector art', 'simple shapes'],
  cartoon: ['cartoonish', 'bold outlines', 'with bold outlines', 'outlined', 'comic', 'animated cartoon'],
  pixel: ['pixel', 'pixelated', '8 bit', '16 bit', 'retro game', 'pixels', 'blocky'],
  sketch: ['sketch', 'sketched', 'pencil', 'drawn in pencil', 'hand drawn', 'sketchy', 'charcoal'],
  neon: ['glowing', 'neon glowing', 'synthwave', 'glow'],
};

/** Camera: the subject word, and phrases for each move. Pan phrases are built from verbs + directions. */
export const CAMERA_NOUNS = ['camera', 'viewpoint', 'the view'];
export const CAMERA_WORDS: Record<CameraMove, string[]> = {
  static: [
    'static camera',
    'fixed camera',
    'locked off camera',
    'still camera',
    'stationary camera',
    'locked camera',
  ],
  'pan-left': ['pans to the left', 'pans left', 'pan left', 'panning left', 'tracks left', 'sweeps left'],
  'pan-right': [
    'pans to the right',
    'pans right',
    'pan right',
    'panning right',
    'tracks right',
    'sweeps right',
  ],
  'pan-up': ['pans up', 'tilts up', 'pan up', 'tilt up', 'panning up', 'pans upward'],
  'pan-down': ['pans down', 'tilts down', 'pan down', 'tilt down', 'panning down', 'pans downward'],
  'zoom-in': [
    'zooms in',
    'zoom in',
    'zooming in',
    'pushes in',
    'push in',
    'dollies in',
    'dolly in',
    'slow zoom in',
    'zooms closer',
  ],
  'zoom-out': [
    'zooms out',
    'zoom out',
    'zooming out',
    'pulls back',
    'pull back',
    'pulls out',
    'dollies out',
    'dolly out',
    'widens',
  ],
};
/** What a caption says about each camera move (camera is the subject: "the camera ..."). */
export const CAMERA_CLAUSES: Record<CameraMove, string[]> = {
  static: ['stays still', 'holds still', 'does not move', 'remains still'],
  'pan-left': ['pans to the left', 'pans left', 'tracks left', 'sweeps left'],
  'pan-right': ['pans to the right', 'pans right', 'tracks right', 'sweeps right'],
  'pan-up': ['pans up', 'tilts up', 'pans upward'],
  'pan-down': ['pans down', 'tilts down', 'pans downward'],
  'zoom-in': ['zooms in', 'pushes in', 'slowly zooms in', 'dollies in'],
  'zoom-out': ['zooms out', 'pulls back', 'slowly zooms out', 'dollies out'],
};
/** Verbs that make the camera the subject and take a direction ("pans", "tilts"). */
export const CAMERA_VERBS = ['pan', 'tilt', 'sweep', 'truck', 'track', 'swing'];

export const LIGHTING_WORDS: Record<Lighting, string[]> = {
  constant: [
    'the lighting stays constant',
    'the light stays even',
    'the lighting remains steady',
    'constant lighting',
    'even lighting',
    'steady lighting',
  ],
  'fade-in': [
    'the scene fades in from black',
    'the picture fades in',
    'the scene fades in',
    'fades in from black',
    'fade in from black',
    'fades in',
    'fade in',
    'fading in',
  ],
  'fade-out': [
    'the scene fades to black',
    'the picture fades out',
    'the scene fades out',
    'fades to black',
    'fade to black',
    'fades out',
    'fade out',
    'fading out',
  ],
  'day-to-night': [
    'day turns into night',
    'day turns to night',
    'daylight fades into night',
    'night falls',
    'from day to night',
    'day to night',
    'dusk falls',
    'sunset',
  ],
  'night-to-day': [
    'night turns into day',
    'night turns to day',
    'dawn breaks',
    'day breaks',
    'from night to day',
    'night to day',
    'sunrise',
  ],
};

export type Relation =
  | 'left-of'
  | 'right-of'
  | 'above'
  | 'below'
  | 'towards'
  | 'away'
  | 'collide'
  | 'behind'
  | 'front'
  | 'near';
export const RELATION_WORDS: Record<Relation, string[]> = {
  'left-of': ['to the left of', 'left of', 'on the left of', 'on the left side of', 'west of'],
  'right-of': ['to the right of', 'right of', 'on the right of', 'on the right side of', 'east of'],
  above: ['above', 'over', 'on top of', 'higher than', 'up above'],
  below: ['below', 'under', 'beneath', 'underneath', 'lower than'],
  towards: [
    'towards',
    'toward',
    'in the direction of',
    'closer to',
    'heading for',
    'straight at',
    'approaches',
    'approach',
    'approaching',
    'chases',
    'chase',
    'chasing',
  ],
  away: ['away from'],
  collide: [
    'collides with',
    'collide with',
    'colliding with',
    'crashes into',
    'bumps into',
    'runs into',
    'smashes into',
    'hits',
    'collides into',
  ],
  behind: [
    'passes behind',
    'pass behind',
    'passing behind',
    'goes behind',
    'slips behind',
    'moves behind',
    'behind',
    'hidden behind',
  ],
  front: ['passes in front of', 'pass in front of', 'passing in front of', 'in front of', 'goes in front of'],
  near: ['next to', 'beside', 'near', 'alongside', 'close to'],
};

/** Start positions: named regions of a 3 x 3 grid (x, y in 0..1; undefined = not said). */
export interface RegionPos {
  x?: number;
  y?: number;
}
export const REGION_X = { left: 0.2, center: 0.5, right: 0.8 } as const;
export const REGION_Y = { top: 0.2, middle: 0.5, bottom: 0.8 } as const;
export const POSITION_WORDS: [string, RegionPos][] = [];
{
  const xs: [string, number][] = [
    ['left', REGION_X.left],
    ['right', REGION_X.right],
  ];
  const ys: [string, number][] = [
    ['top', REGION_Y.top],
    ['upper', REGION_Y.top],
    ['bottom', REGION_Y.bottom],
    ['lower', REGION_Y.bottom],
  ];
  for (const prep of ['in the', 'at the', 'on the', 'near the', 'from the']) {
    for (const [yw, y] of ys) {
      for (const [xw, x] of xs) {
        POSITION_WORDS.push([`${prep} ${yw} ${xw}`, { x, y }]);
        POSITION_WORDS.push([`${prep} ${yw} ${xw} corner`, { x, y }]);
      }
    }
    for (const [xw, x] of xs) {
      POSITION_WORDS.push([`${prep} ${xw}`, { x }]);
      POSITION_WORDS.push([`${prep} ${xw} side`, { x }]);
      POSITION_WORDS.push([`${prep} ${xw} edge`, { x }]);
    }
    for (const [yw, y] of [
      ['top', REGION_Y.top],
      ['bottom', REGION_Y.bottom],
    ] as [string, number][]) {
      POSITION_WORDS.push([`${prep} ${yw}`, { y }]);
      POSITION_WORDS.push([`${prep} ${yw} edge`, { y }]);
    }
    for (const c of ['center', 'centre', 'middle']) POSITION_WORDS.push([`${prep} ${c}`, { x: 0.5, y: 0.5 }]);
  }
  POSITION_WORDS.push(['in the middle of the frame', { x: 0.5, y: 0.5 }], ['centered', { x: 0.5, y: 0.5 }]);
}

/** How captions name a region. */
export function regionPhrase(x: number, y: number): string[] {
  const xw = x < 1 / 3 ? 'left' : x > 2 / 3 ? 'right' : '';
  const yw = y < 1 / 3 ? 'top' : y > 2 / 3 ? 'bottom' : '';
  if (xw && yw) return [`in the ${yw} ${xw}`, `in the ${yw} ${xw} corner`, `near the ${yw} ${xw}`];
  if (xw) return [`on the ${xw}`, `on the ${xw} side`, `near the ${xw} edge`];
  if (yw) return [`at the ${yw}`, `near the ${yw}`, `at the ${yw} edge`];
  return ['in the center', 'in the middle', 'near the center'];
}

/** The region (as parsed back) of a normalised position: what a region phrase means. */
export function regionOf(x: number, y: number): RegionPos {
  return {
    x: x < 1 / 3 ? REGION_X.left : x > 2 / 3 ? REGION_X.right : REGION_X.center,
    y: y < 1 / 3 ? REGION_Y.top : y > 2 / 3 ? REGION_Y.bottom : REGION_Y.middle,
  };
}

/** appear/disappear timing: phrase -> `at`. */
export const TIMING_WORDS: [string, number][] = [
  ['early on', 0.25],
  ['early', 0.25],
  ['near the beginning', 0.25],
  ['shortly after the start', 0.25],
  ['halfway through', 0.5],
  ['midway through', 0.5],
  ['midway', 0.5],
  ['half way through', 0.5],
  ['in the middle of the clip', 0.5],
  ['partway through', 0.5],
  ['near the end', 0.75],
  ['toward the end', 0.75],
  ['towards the end', 0.75],
  ['late', 0.75],
  ['late in the clip', 0.75],
];
export function timingPhrases(at: number): string[] {
  if (at < 0.375) return ['early on', 'near the beginning', 'shortly after the start'];
  if (at < 0.625) return ['halfway through', 'midway through', 'partway through'];
  return ['near the end', 'toward the end', 'late in the clip'];
}
export function quantiseAt(at: number): number {
  return at < 0.375 ? 0.25 : at < 0.625 ? 0.5 : 0.75;
}

export const NUMBER_WORDS: [string, number][] = [
  ['one', 1],
  ['two', 2],
  ['three', 3],
  ['four', 4],
  ['five', 5],
  ['six', 6],
  ['seven', 7],
  ['eight', 8],
  ['nine', 9],
  ['ten', 10],
  ['a pair of', 2],
  ['a couple of', 2],
  ['couple of', 2],
  ['pair of', 2],
  ['a few', 3],
  ['several', 3],
  ['single', 1],
  ['lone', 1],
  ['twin', 2],
];
export const ORDINAL_WORDS: [string, number][] = [
  ['first', 1],
  ['second', 2],
  ['third', 3],
  ['fourth', 4],
  ['fifth', 5],
  ['sixth', 6],
  ['seventh', 7],
  ['eighth', 8],
  ['other', 2],
];

/** Words with no meaning for the scene: skipped by the parser. */
export const STOP_WORDS = (
  'a an the this that these those is are was were be being been am it its itself they them their there here ' +
  'of in on at by for from to into onto with without and or but while as then also too very really quite just ' +
  'some its across around through along within throughout whole entire time clip video scene animation footage ' +
  'image picture we you see can showing shows show depicts depicting where when during meanwhile each both together ' +
  'same own slightly somewhat softly smoothly constantly continuously repeatedly again back forth ' +
  'has have having being bunch group all one please make create render generate draw drawn rendered set sets ' +
  'against upon about whom whose what lovely nice cute beautiful pretty happy bit rather ' +
  'screen frame side way path direction course view sight clean calm simple ' +
  'whilst so such than after before until moment seconds light lighting lights look looks like ' +
  'starting starts start begins beginning begin initially placed positioned located everything happens happen ' +
  'takes place fading fades shifting gets get getting me my i us our your want wants would something ' +
  'film movie short there nothing empty only'
).split(/\s+/);
/** Phrases skipped as a whole. */
export const STOP_PHRASES = [
  'a bunch of',
  'bunch of',
  'a group of',
  'group of',
  'the whole time',
  'the entire time',
  'from start to finish',
  'in the scene',
  'on screen',
  'in view',
];

// ----- inflection ------------------------------------------------------------------------

const IRREGULAR: Record<string, [string, string, string]> = {
  go: ['goes', 'going', 'went'],
  fly: ['flies', 'flying', 'flew'],
  swim: ['swims', 'swimming', 'swam'],
  run: ['runs', 'running', 'ran'],
  fall: ['falls', 'falling', 'fell'],
  spin: ['spins', 'spinning', 'spun'],
  sit: ['sits', 'sitting', 'sat'],
  grow: ['grows', 'growing', 'grew'],
  shrink: ['shrinks', 'shrinking', 'shrank'],
  drop: ['drops', 'dropping', 'dropped'],
  zigzag: ['zigzags', 'zigzagging', 'zigzagged'],
  drive: ['drives', 'driving', 'drove'],
  rise: ['rises', 'rising', 'rose'],
  get: ['gets', 'getting', 'got'],
  do: ['does', 'doing', 'did'],
  hop: ['hops', 'hopping', 'hopped'],
  slip: ['slips', 'slipping', 'slipped'],
  stand: ['stands', 'standing', 'stood'],
  keep: ['keeps', 'keeping', 'kept'],
  hold: ['holds', 'holding', 'held'],
  sink: ['sinks', 'sinking', 'sank'],
  come: ['comes', 'coming', 'came'],
  pop: ['pops', 'popping', 'popped'],
  weave: ['weaves', 'weaving', 'wove'],
  slide: ['slides', 'sliding', 'slid'],
  blink: ['blinks', 'blinking', 'blinked'],
  leave: ['leaves', 'leaving', 'left'],
  take: ['takes', 'taking', 'took'],
  swing: ['swings', 'swinging', 'swung'],
  swell: ['swells', 'swelling', 'swelled'],
  pan: ['pans', 'panning', 'panned'],
  zig: ['zigs', 'zigging', 'zigged'],
  trot: ['trots', 'trotting', 'trotted'],
  plummet: ['plummets', 'plummeting', 'plummeted'],
  orbit: ['orbits', 'orbiting', 'orbited'],
  travel: ['travels', 'traveling', 'traveled'],
  ricochet: ['ricochets', 'ricocheting', 'ricocheted'],
  speed: ['speeds', 'speeding', 'sped'],
  dolly: ['dollies', 'dollying', 'dollied'],
};

/** [base, third person singular, -ing, past] forms of a verb. */
export function verbForms(verb: string): [string, string, string, string] {
  const irr = IRREGULAR[verb];
  if (irr) return [verb, ...irr];
  const vowel = (c: string | undefined) => c !== undefined && 'aeiou'.includes(c);
  let s: string;
  if (/(s|sh|ch|x|z|o)$/.test(verb)) s = `${verb}es`;
  else if (verb.endsWith('y') && !vowel(verb[verb.length - 2])) s = `${verb.slice(0, -1)}ies`;
  else s = `${verb}s`;
  let ing: string;
  if (verb.endsWith('ie')) ing = `${verb.slice(0, -2)}ying`;
  else if (verb.endsWith('e') && !verb.endsWith('ee')) ing = `${verb.slice(0, -1)}ing`;
  else ing = `${verb}ing`;
  let past: string;
  if (verb.endsWith('e')) past = `${verb}d`;
  else if (verb.endsWith('y') && !vowel(verb[verb.length - 2])) past = `${verb.slice(0, -1)}ied`;
  else past = `${verb}ed`;
  return [verb, s, ing, past];
}

/** All inflections of a verb phrase (the first word is the verb). */
export function phraseForms(phrase: string): string[] {
  if (/^(does|doesnt|dont|do|not|motionless|stationary|still|is)\b/.test(phrase)) return [phrase];
  const [verb, ...rest] = phrase.split(' ');
  const tail = rest.length > 0 ? ` ${rest.join(' ')}` : '';
  return [...new Set(verbForms(verb!).map((v) => v + tail))];
}

/** Third person singular of a verb phrase ("bounce around" -> "bounces around"). */
export function thirdPerson(phrase: string): string {
  const [verb, ...rest] = phrase.split(' ');
  return [verbForms(verb!)[1], ...rest].join(' ');
}
/** -ing form of a verb phrase. */
export function gerund(phrase: string): string {
  const [verb, ...rest] = phrase.split(' ');
  return [verbForms(verb!)[2], ...rest].join(' ');
}

const PLURAL_IRREGULAR: Record<string, string[]> = {
  mouse: ['mice'],
  cactus: ['cacti', 'cactuses'],
  octopus: ['octopuses', 'octopi'],
  fish: ['fish', 'fishes'],
  sheep: ['sheep'],
  cherries: [],
};
/** Plural forms of a noun phrase (the last word is pluralised). */
export function pluralForms(noun: string): string[] {
  const words = noun.split(' ');
  const last = words.pop()!;
  const pre = words.length > 0 ? `${words.join(' ')} ` : '';
  const irr = PLURAL_IRREGULAR[last];
  if (irr) return irr.map((p) => pre + p);
  if (/(s|sh|ch|x|z)$/.test(last)) return [`${pre}${last}es`];
  if (/[^aeiou]y$/.test(last)) return [`${pre}${last.slice(0, -1)}ies`];
  return [`${pre}${last}s`];
}

/** The class words: canonical name plus synonyms. */
export function classWords(cls: ObjectClass): string[] {
  return [cls.name, ...cls.synonyms];
}
export { CLASSES };
