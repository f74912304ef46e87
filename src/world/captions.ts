// Captions: three descriptions of every clip, worded differently for every seed.
//
//   short    : one line naming each object, its colour and motion ("a red ball bounces").
//   detailed : every object with size, colour, motion, direction, speed and start region, the
//              relations between objects, the background, style, camera and lighting.
//   long     : a descriptive re-caption in the spirit of Sora's, several sentences of prose.
//
// Every word comes from the shared lexicon (world/lexicon.ts), so short and detailed captions
// parse back (world/prompt.ts) into a spec with the same objects, colours, motions and
// directions. Synonyms, verbs, adverb placement and clause order vary with the seed.
import { classByName, type ObjectClass, shownColor } from './classes.ts';
import {
  BACKGROUND_WORDS,
  CAMERA_CLAUSES,
  COLOR_WORDS,
  DIRECTION_WORDS,
  gerund,
  LIGHTING_WORDS,
  linearVerbsFor,
  MOTION_VERBS,
  regionPhrase,
  SIZE_WORDS,
  SPEED_WORDS,
  STYLE_WORDS,
  thirdPerson,
  timingPhrases,
  verbForms,
} from './lexicon.ts';
import { DEFAULT_DIRECTION, effectiveDirection, isClockwise, sceneTracks, type Track } from './motion.ts';
import { makeRng, type Rng } from './random.ts';
import type { ColorName, Direction, SceneObject, SceneSpec } from './spec.ts';

export interface Captions {
  short: string;
  detailed: string;
  long: string;
}

/** A relation between two objects that holds in the clip (what captions and the oracle check). */
export interface RelationFact {
  kind: 'left-of' | 'right-of' | 'above' | 'below' | 'towards' | 'collide' | 'behind' | 'front';
  /** ids of the subject and the other object. */
  a: string;
  b: string;
  /** The frame where it holds (0 for layout relations; the first overlap for collide/behind/front). */
  frame: number;
}

/** Motions for which speed changes what is drawn. */
export const SPEED_MATTERS = new Set(['linear', 'bounce', 'zigzag', 'orbit', 'grow', 'shrink', 'rotate']);

interface Described {
  obj: SceneObject;
  cls: ObjectClass;
  color: ColorName;
  /** 1-based rank among objects of the same class and shown colour, 0 if unique. */
  ordinal: number;
}

const ORDINALS = ['first', 'second', 'third', 'fourth', 'fifth', 'sixth', 'seventh', 'eighth'];

function article(word: string): string {
  return /^[aeiou]/.test(word) ? 'an' : 'a';
}

function capitalise(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

function describe(spec: SceneSpec): Described[] {
  const out: Described[] = spec.objects.map((obj) => {
    const cls = classByName(obj.class)!;
    return { obj, cls, color: shownColor(cls, obj.color), ordinal: 0 };
  });
  const groups = new Map<string, Described[]>();
  for (const d of out) {
    const k = `${d.cls.name}/${d.color}`;
    groups.set(k, [...(groups.get(k) ?? []), d]);
  }
  for (const g of groups.values()) {
    if (g.length > 1)
      g.forEach((d, i) => {
        d.ordinal = i + 1;
      });
  }
  return out;
}

/** Nouns a caption may use for a class (plural-looking synonyms left out). */
function nounsFor(cls: ObjectClass): string[] {
  return [cls.name, ...cls.synonyms.filter((s) => s !== 'mice')];
}

function noun(rng: Rng, cls: ObjectClass): string {
  const n = rng.chance(0.6) ? cls.name : rng.pick(nounsFor(cls));
  return n === 'cherries' ? rng.pick(['bunch of cherries', 'cherries']) : n;
}

interface NpOptions {
  definite: boolean;
  size: boolean;
  color: boolean;
  /** Words placed between the determiner and the adjectives (a participle). */
  pre?: string;
  /** Introduce a repeated object with "another". */
  another?: boolean;
}

function nounPhrase(rng: Rng, d: Described, o: NpOptions): string {
  const words: string[] = [];
  if (o.pre) words.push(o.pre);
  if (o.size) words.push(rng.pick(SIZE_WORDS[d.obj.size]));
  if (o.color || d.cls.tintable) words.push(rng.pick(COLOR_WORDS[d.color]));
  let n = noun(rng, d.cls);
  if (n === 'cherries' && !o.definite) n = 'bunch of cherries';
  words.push(n);
  const body = words.join(' ');
  if (o.definite) return `the ${d.ordinal > 0 ? `${ORDINALS[d.ordinal - 1]} ` : ''}${body}`;
  if (o.another) return `another ${body}`;
  return `${article(body)} ${body}`;
}

function directionPhrase(rng: Rng, dir: Direction): string {
  return rng.pick(DIRECTION_WORDS[dir]);
}

function speedPhrase(rng: Rng, d: Described): string {
  return rng.pick(SPEED_WORDS[d.obj.motion.speed]);
}

/** The verb phrase of an object's motion (third person), with or without its speed. */
function verbPhrase(rng: Rng, d: Described, withSpeed: boolean): string {
  const m = d.obj.motion;
  const dir = effectiveDirection(m);
  const speedOn = withSpeed && SPEED_MATTERS.has(m.kind);
  const speed = speedOn ? speedPhrase(rng, d) : '';
  const place = (verb: string, rest: string) => {
    // vary where the speed adverb goes: before the verb, after the verb, or at the end
    if (!speed) return [verb, rest].filter(Boolean).join(' ');
    const single = !speed.includes(' ');
    const r = rng.int(3);
    if (r === 0 && single) return [speed, verb, rest].filter(Boolean).join(' ');
    if (r === 1) return [verb, speed, rest].filter(Boolean).join(' ');
    return [verb, rest, speed].filter(Boolean).join(' ');
  };
  switch (m.kind) {
    case 'static':
      return thirdPerson(rng.pick(MOTION_VERBS.static));
    case 'linear': {
      const verbs = [...linearVerbsFor(d.cls), ...MOTION_VERBS.linear];
      const v = thirdPerson(rng.pick(verbs));
      return place(v, directionPhrase(rng, dir!));
    }
    case 'zigzag':
      return place(thirdPerson(rng.pick(MOTION_VERBS.zigzag)), directionPhrase(rng, dir!));
    case 'bounce': {
      const v = thirdPerson(rng.pick(MOTION_VERBS.bounce));
      const sayDir = dir !== DEFAULT_DIRECTION.bounce || rng.chance(0.5);
      if (!sayDir) return place(v, '');
      return place(v, rng.chance(0.5) ? `heading ${directionPhrase(rng, dir!)}` : directionPhrase(rng, dir!));
    }
    case 'fall': {
      const v = thirdPerson(rng.pick(MOTION_VERBS.fall));
      return dir ? `${v} while drifting ${directionPhrase(rng, dir)}` : v;
    }
    case 'orbit':
    case 'rotate': {
      const v = thirdPerson(rng.pick(MOTION_VERBS[m.kind]));
      const cw = isClockwise(m);
      const sayTurn = !cw || rng.chance(0.5);
      return place(v, sayTurn ? (cw ? 'clockwise' : rng.pick(['counterclockwise', 'anticlockwise'])) : '');
    }
    case 'grow':
    case 'shrink':
      return place(thirdPerson(rng.pick(MOTION_VERBS[m.kind])), '');
    case 'appear':
    case 'disappear':
      return `${thirdPerson(rng.pick(MOTION_VERBS[m.kind]))} ${rng.pick(timingPhrases(m.at))}`;
  }
}

/** Participles that can stand before a noun ("a bouncing red ball"), when no direction needs saying. */
function prefixParticiple(rng: Rng, d: Described): string | undefined {
  const m = d.obj.motion;
  if (m.kind === 'bounce' && effectiveDirection(m) === DEFAULT_DIRECTION.bounce) return gerund('bounce');
  if (m.kind === 'rotate' && isClockwise(m)) return rng.pick(['spinning', 'rotating', 'twirling']);
  if (m.kind === 'grow') return rng.pick(['growing', 'expanding']);
  if (m.kind === 'shrink') return 'shrinking';
  if (m.kind === 'fall' && !effectiveDirection(m)) return rng.pick(['falling', 'dropping']);
  if (m.kind === 'zigzag' && effectiveDirection(m) === 'right') return 'zigzagging';
  return undefined;
}

function backgroundPhrase(rng: Rng, spec: SceneSpec): string {
  const bg = spec.background;
  if (bg.kind === 'solid') {
    return `${rng.pick(['a plain', 'a solid', 'a uniform'])} ${rng.pick(COLOR_WORDS[bg.color])} ${rng.pick(['background', 'backdrop'])}`;
  }
  if (bg.kind === 'gradient') {
    const c1 = rng.pick(COLOR_WORDS[bg.color]);
    const c2 = rng.pick(COLOR_WORDS[bg.color2]);
    return rng.pick([
      `a gradient from ${c1} to ${c2}`,
      `a ${c1} to ${c2} gradient`,
      `a gradient background fading from ${c1} to ${c2}`,
    ]);
  }
  const w = rng.pick(BACKGROUND_WORDS[bg.kind]);
  return /^(sea|ocean|sky|night|desert|sand|snow|grass|water|waves|rolling waves|dunes|sand dunes|open sea|open sky)$/.test(
    w,
  )
    ? `the ${w}`
    : `${article(w)} ${w}`;
}

function stylePhrase(rng: Rng, spec: SceneSpec): string {
  const w = rng.pick(STYLE_WORDS[spec.style]);
  const np = /s$/.test(w) ? w : `${article(w)} ${w}`;
  return rng.pick([`in ${np}`, `drawn in ${np}`, `rendered in ${np}`, `in ${w}`]);
}

function backgroundPrep(spec: SceneSpec, rng: Rng): string {
  switch (spec.background.kind) {
    case 'sky':
    case 'night':
      return rng.pick(['in', 'against']);
    case 'sea':
      return rng.pick(['over', 'above']);
    case 'solid':
    case 'gradient':
      return rng.pick(['on', 'against']);
    default:
      return rng.pick(['on', 'over', 'in']);
  }
}

// ----- relations ---------------------------------------------------------------------------

/** The relations that hold between the objects of a spec (deterministic; no seed). */
export function sceneRelations(spec: SceneSpec, tracks: Track[] = sceneTracks(spec)): RelationFact[] {
  const out: RelationFact[] = [];
  const W = spec.width;
  const H = spec.height;
  const n = spec.objects.length;
  const F = spec.frames;
  const px = (t: Track, f: number) => t.x[f]! * W;
  const py = (t: Track, f: number) => t.y[f]! * H;
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const a = spec.objects[i]!;
      const b = spec.objects[j]!;
      const ta = tracks[i]!;
      const tb = tracks[j]!;
      const both0 = ta.shown[0] && tb.shown[0];
      // layout at the first frame
      if (both0) {
        const dx = px(tb, 0) - px(ta, 0);
        const dy = py(tb, 0) - py(ta, 0);
        if (Math.abs(dx) >= Math.abs(dy) && Math.abs(dx) > 0.15 * W) {
          out.push({ kind: dx > 0 ? 'left-of' : 'right-of', a: a.id, b: b.id, frame: 0 });
        } else if (Math.abs(dy) > Math.abs(dx) && Math.abs(dy) > 0.15 * H) {
          out.push({ kind: dy > 0 ? 'above' : 'below', a: a.id, b: b.id, frame: 0 });
        }
      }
      // overlap over time
      let overlap = -1;
      for (let f = 0; f < F; f++) {
        if (!ta.shown[f] || !tb.shown[f]) continue;
        const d = Math.hypot(px(tb, f) - px(ta, f), py(tb, f) - py(ta, f));
        const reach = ((ta.sizePx * ta.scale[f]! + tb.sizePx * tb.scale[f]!) / 2) * 0.7;
        if (d < reach) {
          overlap = f;
          break;
        }
      }
      const moves = (t: Track) => {
        let m = 0;
        for (let f = 1; f < F; f++) m = Math.max(m, Math.hypot(px(t, f) - px(t, 0), py(t, f) - py(t, 0)));
        return m;
      };
      if (overlap > 0) {
        // who is the mover: the one that travelled more
        const aMoves = moves(ta) >= moves(tb);
        const [s, o] = aMoves ? [a, b] : [b, a];
        const [si, oi] = aMoves ? [i, j] : [j, i];
        const sFar =
          spec.objects[si]!.depth < spec.objects[oi]!.depth || (s.depth === o.depth ? null : false);
        if (sFar === null) out.push({ kind: 'collide', a: s.id, b: o.id, frame: overlap });
        else out.push({ kind: sFar ? 'behind' : 'front', a: s.id, b: o.id, frame: overlap });
      } else if (overlap < 0 && F > 1) {
        const f1 = F - 1;
        if (ta.shown[0] && tb.shown[0] && ta.shown[f1] && tb.shown[f1]) {
          const d0 = Math.hypot(px(tb, 0) - px(ta, 0), py(tb, 0) - py(ta, 0));
          const d1 = Math.hypot(px(tb, f1) - px(ta, f1), py(tb, f1) - py(ta, f1));
          if (d1 < 0.6 * d0 && d0 - d1 > 0.1 * Math.min(W, H)) {
            const aMoves = moves(ta) >= moves(tb);
            out.push({ kind: 'towards', a: aMoves ? a.id : b.id, b: aMoves ? b.id : a.id, frame: 0 });
          }
        }
      }
    }
  }
  return out;
}

const RELATION_PHRASES: Record<RelationFact['kind'], string[]> = {
  'left-of': ['is to the left of', 'starts to the left of', 'begins left of'],
  'right-of': ['is to the right of', 'starts to the right of', 'begins right of'],
  above: ['is above', 'starts above', 'begins higher than'],
  below: ['is below', 'starts below', 'begins beneath'],
  towards: ['heads towards', 'moves toward', 'approaches', 'gets closer to'],
  collide: ['collides with', 'bumps into', 'crashes into', 'runs into'],
  behind: ['passes behind', 'slips behind', 'goes behind'],
  front: ['passes in front of', 'goes in front of'],
};

// ----- the three captions ------------------------------------------------------------------

/** What a prompt's expansion (pipeline/promptExpansion.ts) asks of the captioner. */
export interface CaptionOptions {
  /**
   * Per object: whether the detailed caption names where it starts (default: every object); an
   * expansion leaves out the places the parser chose rather than the user. The wording of
   * everything else is the same either way.
   */
  startPlaces?: readonly boolean[];
  /** Where the captioner has a choice of phrases, it takes one this text uses (the user's words). */
  wordsOf?: string;
  /**
   * Whether the reader (a model's tokenizer) knows every word of a phrase: where the captioner
   * has a choice, it takes a phrase the reader knows. The world words things in more ways than a
   * model trained on one curriculum level has read ("grassy field" where it knows "grass").
   */
  reads?: (phrase: string) => boolean;
}

/** Captions for a spec; `seed` picks the wording. */
export function captionScene(spec: SceneSpec, seed: number, options: CaptionOptions = {}): Captions {
  const seeded = makeRng(seed).fork('captions');
  const rng =
    options.wordsOf === undefined && options.reads === undefined
      ? seeded
      : preferring(seeded, options.wordsOf ?? '', options.reads);
  const ds = describe(spec);
  return {
    short: shortCaption(spec, ds, rng.fork('short')),
    detailed: detailedCaption(spec, ds, rng.fork('detailed'), options.startPlaces),
    long: longCaption(spec, ds, rng.fork('long')),
  };
}

/**
 * `rng`, except that a pick among phrases keeps to those `reads` accepts (when any is), and among
 * them takes the longest one `text` contains, whole words, when there is one. Verbs are picked in
 * their base form and conjugated later, so a phrase also counts as contained in its first word's
 * present forms ("moves", "moving" for "move"). It draws the same numbers as `rng`, so every other
 * choice is unchanged.
 */
function preferring(rng: Rng, text: string, reads?: (phrase: string) => boolean): Rng {
  const words = ` ${
    text
      .toLowerCase()
      .match(/[a-z]+/g)
      ?.join(' ') ?? ''
  } `;
  const said = (phrase: string) => {
    if (phrase.trim() === '') return false; // an empty choice ("no lead-in") says nothing
    const [first, ...rest] = phrase.toLowerCase().split(' ');
    // not the past form: "left" (leave) would match a direction
    return verbForms(first!)
      .slice(0, 3)
      .some((form) => words.includes(` ${[form, ...rest].join(' ')} `));
  };
  return {
    ...rng,
    pick: <T>(items: readonly T[]): T => {
      const drawn = rng.pick(items);
      // a verb is picked in its base form and conjugated later ("moves", "moving"): both forms
      // read will do
      const readable = (item: T) =>
        !reads ||
        typeof item !== 'string' ||
        reads(item) ||
        (reads(thirdPerson(item)) && reads(gerund(item)));
      // no words of the user's to prefer, and the drawn phrase is read: it stands (the common
      // case of every training caption)
      if (text === '' && readable(drawn)) return drawn;
      const readableItems = items.filter(readable);
      const choices = readableItems.length > 0 ? readableItems : items;
      let used: T | undefined;
      for (const item of choices) {
        if (typeof item !== 'string' || !said(item)) continue;
        if (used === undefined || item.length > (used as string).length) used = item;
      }
      if (used !== undefined) return used;
      // the drawn phrase, or one the reader knows chosen by the same draw
      return choices.includes(drawn) ? drawn : choices[items.indexOf(drawn) % choices.length]!;
    },
    fork: (label) => preferring(rng.fork(label), text, reads),
  };
}

function introduced(ds: Described[], i: number): boolean {
  const d = ds[i]!;
  return d.ordinal > 1;
}

function shortCaption(spec: SceneSpec, ds: Described[], rng: Rng): string {
  if (ds.length === 0) {
    const bg = backgroundPhrase(rng, spec);
    return `${rng.pick(['an empty view of', 'nothing but', 'just'])} ${bg}`;
  }
  const clauses = ds.map((d, i) => {
    const another = introduced(ds, i);
    const showSize = d.obj.size !== 'medium' && rng.chance(0.5);
    const showColor = d.cls.tintable || rng.chance(0.6);
    const pre = rng.chance(0.35) ? prefixParticiple(rng, d) : undefined;
    const np = nounPhrase(rng, d, { definite: false, size: showSize, color: showColor, pre, another });
    if (pre) return np;
    if (rng.chance(0.25) && d.obj.motion.kind !== 'appear' && d.obj.motion.kind !== 'disappear') {
      // participle after the noun: "a red ball moving to the right"
      const vp = verbPhrase(rng, d, false);
      const [v, ...rest] = vp.split(' ');
      if (
        v &&
        ![
          'slowly',
          'quickly',
          'steadily',
          'gently',
          'rapidly',
          'swiftly',
          'leisurely',
          'briskly',
          'unhurriedly',
        ].includes(v)
      )
        return `${np} ${[gerund(baseOf(v)), ...rest].join(' ')}`;
    }
    return `${np} ${verbPhrase(rng, d, false)}`;
  });
  let s = clauses[0]!;
  for (let i = 1; i < clauses.length; i++)
    s += rng.pick([', and ', ' while ', ' as ', ', ', ' and ']) + clauses[i];
  if (rng.chance(0.3)) s += ` ${backgroundPrep(spec, rng)} ${backgroundPhrase(rng, spec)}`;
  return s;
}

/** Base form of a third-person verb we produced ("bounces" -> "bounce"). */
function baseOf(v: string): string {
  const irregular: Record<string, string> = { goes: 'go', flies: 'fly', does: 'do', dollies: 'dolly' };
  if (irregular[v]) return irregular[v];
  if (/(ss|sh|ch|x|z|o)es$/.test(v)) return v.slice(0, -2);
  if (v.endsWith('ies')) return `${v.slice(0, -3)}y`;
  if (v.endsWith('s')) return v.slice(0, -1);
  return v;
}

function detailedCaption(
  spec: SceneSpec,
  ds: Described[],
  rng: Rng,
  startPlaces?: readonly boolean[],
): string {
  const sentences: string[] = [];
  const tracks = sceneTracks(spec);
  for (let i = 0; i < ds.length; i++) {
    const d = ds[i]!;
    const np = nounPhrase(rng, d, { definite: false, size: true, color: true, another: introduced(ds, i) });
    const vp = verbPhrase(rng, d, true);
    // Drawn either way, so leaving the place out changes no other word.
    const region = rng.pick(regionPhrase(d.obj.start.x, d.obj.start.y));
    const r = rng.int(3);
    const begins = r === 2 ? rng.pick(['begins', 'starts']) : '';
    if (startPlaces?.[i] === false) sentences.push(`${capitalise(np)} ${vp}.`);
    else if (r === 0) sentences.push(`${capitalise(np)} ${vp}, starting ${region}.`);
    else if (r === 1) sentences.push(`${capitalise(region)}, ${np} ${vp}.`);
    else sentences.push(`${capitalise(np)} ${begins} ${region} and ${vp}.`);
  }
  const facts = sceneRelations(spec, tracks);
  const byId = new Map(ds.map((d) => [d.obj.id, d]));
  for (const fact of rng.shuffle(facts).slice(0, 3)) {
    const a = byId.get(fact.a)!;
    const b = byId.get(fact.b)!;
    const ra = nounPhrase(rng, a, { definite: true, size: false, color: true });
    const rb = nounPhrase(rng, b, { definite: true, size: false, color: true });
    sentences.push(`${capitalise(ra)} ${rng.pick(RELATION_PHRASES[fact.kind])} ${rb}.`);
  }
  const bg = backgroundPhrase(rng, spec);
  const style = stylePhrase(rng, spec);
  sentences.push(
    rng.pick([
      `The scene is set ${backgroundPrep(spec, rng)} ${bg}, ${style}.`,
      `Everything happens ${backgroundPrep(spec, rng)} ${bg}, ${style}.`,
      `The setting is ${bg}, ${style}.`,
    ]),
  );
  const cam = `the ${rng.pick(['camera', 'camera', 'viewpoint'])} ${rng.pick(CAMERA_CLAUSES[spec.camera])}`;
  const light = rng.pick(LIGHTING_WORDS[spec.lighting].slice(0, spec.lighting === 'constant' ? 3 : 5));
  sentences.push(
    capitalise(rng.chance(0.5) ? `${cam} ${rng.pick(['and', 'while'])} ${light}.` : `${light}, and ${cam}.`),
  );
  return sentences.join(' ');
}

// ----- long, descriptive re-caption ---------------------------------------------------------

const BACKGROUND_PROSE: Record<string, string[]> = {
  grass: [
    'a sunlit grassy meadow, its blades of grass streaked in shades of green',
    'a lush green lawn with soft, uneven texture',
  ],
  sky: [
    'a bright blue sky scattered with soft white clouds',
    'an open daytime sky that pales towards the horizon',
  ],
  sea: [
    'a deep blue sea whose rolling waves catch glints of light',
    'the open ocean, rippling with pale wave crests',
  ],
  night: ['a dark night sky sprinkled with tiny stars', 'a deep navy starry sky'],
  desert: ['a warm sandy desert with gentle dunes', 'golden sand dunes under an even light'],
  snow: ['a quiet snowy field with faint blue shadows', 'a pale, sparkling snowfield'],
};
const STYLE_PROSE: Record<string, string[]> = {
  flat: [
    'The look is clean and flat, with solid colours and crisp anti-aliased edges.',
    'It is rendered in a minimal flat style with no shading.',
  ],
  cartoon: [
    'It is drawn like a cartoon: every object has a bold, dark outline and punchy colours.',
    'Bold outlines give the whole clip a cheerful comic look.',
  ],
  pixel: [
    'Everything is rendered as retro pixel art, with chunky blocks and a reduced colour palette.',
    'The pixelated, 8-bit look makes every edge blocky.',
  ],
  sketch: [
    'It looks like a pencil sketch on warm paper: grey pencil lines, light hatching and only a hint of colour.',
    'The hand-drawn pencil style keeps colours faint against the paper.',
  ],
  neon: [
    'It glows in a neon style: the scene is dark and each object is traced by bright, glowing edges.',
    'Neon outlines shine against a darkened backdrop.',
  ],
};
const FLAVOUR: Record<string, string[]> = {
  shape: ['smooth', 'crisp', 'glossy', 'simple'],
  animal: ['playful', 'curious', 'lively', 'cheerful'],
  vehicle: ['shiny', 'sturdy', 'bright'],
  plant: ['fresh', 'vivid'],
  food: ['tasty-looking', 'bright'],
  thing: ['familiar', 'bright'],
  sky: ['soft', 'pale'],
};

function longCaption(spec: SceneSpec, ds: Described[], rng: Rng): string {
  const out: string[] = [];
  const secs = spec.frames / spec.fps;
  const bgDesc =
    spec.background.kind === 'solid'
      ? `a plain ${COLOR_WORDS[spec.background.color][0]} background`
      : spec.background.kind === 'gradient'
        ? `a smooth gradient that shifts from ${spec.background.color} at the top to ${spec.background.color2} at the bottom`
        : rng.pick(BACKGROUND_PROSE[spec.background.kind]!);
  out.push(
    rng.pick([
      `A ${secs.toFixed(1).replace(/\.0$/, '')}-second clip set against ${bgDesc}.`,
      `The video opens on ${bgDesc}.`,
      `This short animation takes place over ${bgDesc}.`,
    ]),
  );
  if (ds.length === 0) out.push('No objects appear; the background alone fills the frame.');
  ds.forEach((d, i) => {
    const flavour = rng.pick(FLAVOUR[d.cls.category] ?? ['bright']);
    const np = nounPhrase(rng, d, { definite: false, size: true, color: true, another: introduced(ds, i) });
    const withFlavour = np.replace(
      /^(a|an|another) /,
      (m) => `${m === 'another ' ? 'another' : article(flavour)} ${flavour}, `,
    );
    const region = rng.pick(regionPhrase(d.obj.start.x, d.obj.start.y));
    const lead =
      i === 0
        ? rng.pick(['At first, ', 'In the frame, ', ''])
        : rng.pick(['Meanwhile, ', 'At the same time, ', 'Nearby, ', 'Elsewhere, ']);
    const vp = verbPhrase(rng, d, true);
    let extra = '';
    switch (d.obj.motion.kind) {
      case 'bounce':
        extra = ' It rebounds cleanly off the edges of the frame, never leaving the view.';
        break;
      case 'fall':
        extra = ' Gravity pulls it down until it hits the ground and bounces to rest.';
        break;
      case 'orbit':
        extra = ' Its path traces a steady circle around the spot where it began.';
        break;
      case 'appear':
        extra = ' Before that moment the space it occupies is empty.';
        break;
      case 'disappear':
        extra = ' After that, it is gone for the rest of the clip.';
        break;
      case 'static':
        extra = ' It never moves.';
        break;
    }
    out.push(`${lead}${lead ? withFlavour : capitalise(withFlavour)} ${region} ${vp}.${extra}`);
  });
  const facts = sceneRelations(spec);
  const byId = new Map(ds.map((d) => [d.obj.id, d]));
  for (const fact of facts.slice(0, 3)) {
    const a = nounPhrase(rng, byId.get(fact.a)!, { definite: true, size: false, color: true });
    const b = nounPhrase(rng, byId.get(fact.b)!, { definite: true, size: false, color: true });
    const say: Record<RelationFact['kind'], string> = {
      'left-of': `${capitalise(a)} begins to the left of ${b}.`,
      'right-of': `${capitalise(a)} begins to the right of ${b}.`,
      above: `${capitalise(a)} starts out above ${b}.`,
      below: `${capitalise(a)} starts out below ${b}.`,
      towards: `As the clip goes on, ${a} draws closer to ${b}.`,
      collide: `At one point ${a} runs straight into ${b}.`,
      behind: `At one point ${a} passes behind ${b}, hidden for a moment before it reappears.`,
      front: `At one point ${a} passes in front of ${b}, briefly covering it.`,
    };
    out.push(say[fact.kind]);
  }
  out.push(rng.pick(STYLE_PROSE[spec.style]!));
  const cam: Record<string, string> = {
    static: 'The camera stays perfectly still throughout.',
    'pan-left': 'The camera pans slowly to the left, so the background drifts to the right.',
    'pan-right': 'The camera pans slowly to the right, so the background drifts to the left.',
    'pan-up': 'The camera tilts upward, sliding the scene down the frame.',
    'pan-down': 'The camera tilts downward, sliding the scene up the frame.',
    'zoom-in': 'The camera slowly zooms in, so everything grows a little larger.',
    'zoom-out': 'The camera slowly pulls back, revealing more of the surroundings.',
  };
  out.push(cam[spec.camera]!);
  const light: Record<string, string> = {
    constant: 'The lighting stays even from start to finish.',
    'fade-in': 'The clip fades in from near darkness to full brightness.',
    'fade-out': 'The light fades away until the scene is almost black.',
    'day-to-night': 'Over the clip, day turns into night: the colours dim and take on a cool blue tint.',
    'night-to-day': 'Over the clip, night turns into day: a cool, dim blue gives way to full daylight.',
  };
  out.push(light[spec.lighting]!);
  return out.join(' ');
}
