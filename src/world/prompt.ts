// The prompt parser: free text -> scene spec.
//
// Text is lower-cased and split into words; the lexicon (world/lexicon.ts, the same table the
// captioner writes from) is matched longest phrase first, so "to the left of" is a relation,
// "to the left" a direction and "on the left" a position. A small left-to-right reader then
// builds objects: determiners, numbers and adjectives gather before a noun ("two small red
// balls"); verbs, directions, speeds and positions after it attach to the current subject
// ("... bounce quickly to the left"); "the red ball" refers back to an object already named;
// relations ("to the left of", "towards", "behind", ...) link the subject to the next object
// named and shape the layout. The camera ("the camera pans left") and the lighting ("day turns
// into night") are subjects of their own. Words the world does not know raise
// UnknownWordsError naming each one with the nearest known words; everything left unsaid gets a
// default (white background, flat style, static camera, constant light, medium size and speed,
// a colour from the seed), and positions are laid out so objects stay in view.
import { CLASSES, type ObjectClass, shownColor } from './classes.ts';
import {
  BACKGROUND_EXTRA,
  BACKGROUND_MODIFIERS,
  BACKGROUND_NOUNS,
  BACKGROUND_WORDS,
  CAMERA_NOUNS,
  CAMERA_VERBS,
  CAMERA_WORDS,
  COLOR_WORDS,
  classWords,
  DIRECTION_WORDS,
  GRADIENT_WORDS,
  IMPLIED_DIRECTION_VERBS,
  LIGHTING_WORDS,
  MOTION_VERBS,
  MOTION_VERBS_EXTRA,
  NUMBER_WORDS,
  ORDINAL_WORDS,
  POSITION_WORDS,
  phraseForms,
  pluralForms,
  RELATION_WORDS,
  type RegionPos,
  type Relation,
  SIZE_WORDS,
  SPEED_ADJECTIVES,
  SPEED_WORDS,
  STOP_PHRASES,
  STOP_WORDS,
  STYLE_EXTRA,
  STYLE_WORDS,
  TIMING_WORDS,
  TURN_WORDS,
} from './lexicon.ts';
import { ORBIT_RADIUS } from './motion.ts';
import { makeRng } from './random.ts';
import {
  type BackgroundKind,
  type CameraMove,
  COLOR_NAMES,
  type ColorName,
  DIRECTION_VECTORS,
  type Direction,
  type Lighting,
  type MotionKind,
  parseSpec,
  type SceneSpec,
  SIZE_VALUES,
  type Size,
  SPEED_VALUES,
  type Speed,
  type Style,
} from './spec.ts';

/** Words the world does not know, each with the nearest known words. */
export class UnknownWordsError extends Error {
  static userError = true;
  override name = 'UnknownWordsError';
  constructor(readonly words: { word: string; suggestions: string[] }[]) {
    super(
      `unknown word${words.length > 1 ? 's' : ''}: ${words
        .map(
          (w) =>
            `"${w.word}"${w.suggestions.length ? ` (did you mean ${w.suggestions.map((s) => `"${s}"`).join(', ')}?)` : ''}`,
        )
        .join('; ')}. Run \`kinema world vocab\` to see every word the world knows.`,
    );
  }
}

/** A prompt that cannot become a scene (nothing recognisable, too many objects, ...). */
export class PromptError extends Error {
  static userError = true;
  override name = 'PromptError';
}

export interface ParseOptions {
  width: number;
  height: number;
  frames: number;
  fps?: number;
  /** Picks colours and details the prompt leaves open (default 0). */
  seed?: number;
  /** What to do with unknown words: raise UnknownWordsError (default) or skip them. */
  unknown?: 'error' | 'ignore';
  /** Defaults for what the prompt does not say (the prompt wins when it does). */
  defaults?: { style?: Style; background?: BackgroundKind; camera?: CameraMove; lighting?: Lighting };
}

// ----- the phrase table ----------------------------------------------------------------------

type Meaning =
  | { t: 'class'; cls: ObjectClass; plural: boolean }
  | { t: 'color'; color: ColorName }
  | { t: 'size'; size: Size }
  | { t: 'speed'; speed: Speed; adjective: boolean }
  | { t: 'motion'; kind: MotionKind; dir?: Direction }
  | { t: 'dir'; dir: Direction }
  | { t: 'turn'; cw: boolean }
  | { t: 'bg'; kind: BackgroundKind | 'noun' }
  | { t: 'bgmod' }
  | { t: 'style'; style: Style }
  | { t: 'camera' }
  | { t: 'camverb' }
  | { t: 'cammove'; move: CameraMove }
  | { t: 'light'; lighting: Lighting }
  | { t: 'rel'; rel: Relation }
  | { t: 'pos'; pos: RegionPos }
  | { t: 'when'; at: number }
  | { t: 'num'; n: number }
  | { t: 'ordinal'; n: number }
  | { t: 'det'; definite: boolean }
  | { t: 'another' }
  | { t: 'which' }
  | { t: 'stop' };

interface Table {
  phrases: Map<string, Meaning[]>;
  maxLen: number;
  /** Single words known, for suggestions. */
  words: Set<string>;
}

let table: Table | undefined;

function buildTable(): Table {
  const phrases = new Map<string, Meaning[]>();
  let maxLen = 1;
  const add = (phrase: string, m: Meaning) => {
    const key = normalise(phrase).join(' ');
    if (!key) return;
    const list = phrases.get(key);
    if (!list) phrases.set(key, [m]);
    else if (!list.some((x) => x.t === m.t)) list.push(m);
    maxLen = Math.max(maxLen, key.split(' ').length);
  };
  for (const cls of CLASSES) {
    for (const w of classWords(cls)) {
      add(w, { t: 'class', cls, plural: false });
      for (const p of pluralForms(w)) add(p, { t: 'class', cls, plural: true });
    }
  }
  for (const c of COLOR_NAMES) for (const w of COLOR_WORDS[c]) add(w, { t: 'color', color: c });
  for (const [s, ws] of Object.entries(SIZE_WORDS))
    for (const w of ws) add(w, { t: 'size', size: s as Size });
  for (const [s, ws] of Object.entries(SPEED_WORDS))
    for (const w of ws) add(w, { t: 'speed', speed: s as Speed, adjective: false });
  for (const [s, ws] of Object.entries(SPEED_ADJECTIVES))
    for (const w of ws) add(w, { t: 'speed', speed: s as Speed, adjective: true });
  for (const [d, ws] of Object.entries(DIRECTION_WORDS))
    for (const w of ws) add(w, { t: 'dir', dir: d as Direction });
  for (const w of TURN_WORDS.clockwise) add(w, { t: 'turn', cw: true });
  for (const w of TURN_WORDS.counterclockwise) add(w, { t: 'turn', cw: false });
  for (const [phrase, dir] of IMPLIED_DIRECTION_VERBS)
    for (const f of phraseForms(phrase)) add(f, { t: 'motion', kind: 'linear', dir });
  for (const [k, ws] of Object.entries(MOTION_VERBS)) {
    for (const w of [...ws, ...(MOTION_VERBS_EXTRA[k as MotionKind] ?? [])]) {
      for (const f of phraseForms(w)) add(f, { t: 'motion', kind: k as MotionKind });
    }
  }
  for (const [m, ws] of Object.entries(CAMERA_WORDS))
    for (const w of ws) add(w, { t: 'cammove', move: m as CameraMove });
  for (const w of CAMERA_NOUNS) add(w, { t: 'camera' });
  for (const v of CAMERA_VERBS) for (const f of phraseForms(v)) add(f, { t: 'camverb' });
  for (const [l, ws] of Object.entries(LIGHTING_WORDS))
    for (const w of ws) add(w, { t: 'light', lighting: l as Lighting });
  for (const [b, ws] of Object.entries(BACKGROUND_WORDS))
    for (const w of ws) add(w, { t: 'bg', kind: b as BackgroundKind });
  for (const [b, ws] of Object.entries(BACKGROUND_EXTRA))
    for (const w of ws ?? []) add(w, { t: 'bg', kind: b as BackgroundKind });
  for (const w of BACKGROUND_NOUNS) add(w, { t: 'bg', kind: 'noun' });
  for (const w of GRADIENT_WORDS) add(w, { t: 'bg', kind: 'gradient' });
  for (const w of BACKGROUND_MODIFIERS) add(w, { t: 'bgmod' });
  for (const [s, ws] of Object.entries(STYLE_WORDS))
    for (const w of ws) add(w, { t: 'style', style: s as Style });
  for (const [s, ws] of Object.entries(STYLE_EXTRA))
    for (const w of ws ?? []) add(w, { t: 'style', style: s as Style });
  for (const [r, ws] of Object.entries(RELATION_WORDS))
    for (const w of ws) add(w, { t: 'rel', rel: r as Relation });
  for (const [w, pos] of POSITION_WORDS) add(w, { t: 'pos', pos });
  for (const [w, at] of TIMING_WORDS) add(w, { t: 'when', at });
  for (const [w, n] of NUMBER_WORDS) add(w, { t: 'num', n });
  for (const [w, n] of ORDINAL_WORDS) add(w, { t: 'ordinal', n });
  for (const w of ['which', 'who', 'that']) add(w, { t: 'which' });
  for (const w of ['a', 'an']) add(w, { t: 'det', definite: false });
  for (const w of ['the', 'this', 'these', 'those']) add(w, { t: 'det', definite: true });
  for (const w of ['another', 'one more', 'an extra', 'a further']) add(w, { t: 'another' });
  for (const w of STOP_PHRASES) add(w, { t: 'stop' });
  for (const w of STOP_WORDS) if (w && !phrases.has(w)) add(w, { t: 'stop' });
  const words = new Set<string>();
  for (const k of phrases.keys()) for (const w of k.split(' ')) words.add(w);
  return { phrases, maxLen, words };
}

function getTable(): Table {
  table ??= buildTable();
  return table;
}

/** Lower-case words of a text; sentence ends (. ! ? ; :) become ".". */
function normalise(text: string): string[] {
  return text
    .toLowerCase()
    .replace(/['’`]/g, '')
    .replace(/[.!?;:]+/g, ' . ')
    .replace(/[^a-z0-9.]+/g, ' ')
    .trim()
    .split(/\s+/)
    .filter(Boolean);
}

interface Token {
  text: string;
  meanings: Meaning[];
}

function tokenize(text: string, unknownWords: string[]): Token[] {
  const { phrases, maxLen } = getTable();
  const words = normalise(text);
  const out: Token[] = [];
  let i = 0;
  while (i < words.length) {
    if (words[i] === '.') {
      out.push({ text: '.', meanings: [] });
      i++;
      continue;
    }
    let matched = false;
    for (let len = Math.min(maxLen, words.length - i); len >= 1; len--) {
      const slice = words.slice(i, i + len);
      if (slice.includes('.')) continue;
      const key = slice.join(' ');
      const m = phrases.get(key);
      if (m) {
        out.push({ text: key, meanings: m });
        i += len;
        matched = true;
        break;
      }
    }
    if (matched) continue;
    const w = words[i]!;
    if (/^\d+$/.test(w)) out.push({ text: w, meanings: [{ t: 'num', n: Number(w) }] });
    else unknownWords.push(w);
    i++;
  }
  return out;
}

// ----- suggestions ----------------------------------------------------------------------------

/** Damerau-Levenshtein (optimal string alignment) distance. */
export function editDistance(a: string, b: string): number {
  const m = a.length;
  const n = b.length;
  const d: number[][] = Array.from({ length: m + 1 }, (_, i) => {
    const row = new Array<number>(n + 1).fill(0);
    row[0] = i;
    return row;
  });
  for (let j = 0; j <= n; j++) d[0]![j] = j;
  for (let i = 1; i <= m; i++) {
    for (let j = 1; j <= n; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        v = Math.min(v, d[i - 2]![j - 2]! + 1);
      d[i]![j] = v;
    }
  }
  return d[m]![n]!;
}

/** The known words nearest to `word` (at most `max`). */
export function suggest(word: string, max = 3): string[] {
  const { words } = getTable();
  const limit = Math.max(2, Math.ceil(word.length / 2));
  const scored: [string, number][] = [];
  for (const w of words) {
    if (w.length < 2 && word.length > 2) continue;
    if (Math.abs(w.length - word.length) > limit) continue;
    const d = editDistance(word, w);
    if (d <= limit) scored.push([w, d + (w[0] === word[0] ? 0 : 0.5)]);
  }
  scored.sort((a, b) => a[1] - b[1] || a[0].localeCompare(b[0]));
  return scored.slice(0, max).map((s) => s[0]);
}

// ----- the reader ----------------------------------------------------------------------------

interface PObj {
  cls: ObjectClass;
  color?: ColorName;
  size?: Size;
  kind?: MotionKind;
  dir?: Direction;
  /** Direction came from a clockwise/counterclockwise word. */
  turned?: boolean;
  /** Direction was implied by a verb ("rises"), so a stated one replaces it. */
  weak?: boolean;
  speed?: Speed;
  at?: number;
  pos: RegionPos;
  depth?: number;
}

interface Pending {
  det?: 'indef' | 'def';
  count?: number;
  colors: ColorName[];
  size?: Size;
  speed?: Speed;
  kind?: MotionKind;
  dir?: Direction;
  turned?: boolean;
  weak?: boolean;
  at?: number;
  pos?: RegionPos;
  another?: boolean;
  ordinal?: number;
  bgmod?: boolean;
}

type Subject = { t: 'objects'; objs: PObj[] } | { t: 'camera' } | { t: 'background' } | null;

interface RelationRec {
  rel: Relation;
  a: PObj[];
  b: PObj[];
}

const GENERIC: MotionKind = 'linear';

function applyMotion(o: PObj, kind: MotionKind, dir?: Direction): void {
  if (o.kind === undefined || (o.kind === GENERIC && kind !== GENERIC)) o.kind = kind;
  if (dir && !o.dir) {
    // a heading implied by a verb ("rises") gives way to one said outright
    o.dir = dir;
    o.weak = true;
  }
}

/** Reads a prompt into objects and scene settings (no layout yet). */
function read(tokens: Token[]) {
  const objs: PObj[] = [];
  const relations: RelationRec[] = [];
  const scene: {
    bg?: BackgroundKind;
    bgColors: ColorName[];
    gradientOpen: boolean;
    style?: Style;
    camera?: CameraMove;
    camPan?: boolean;
    lighting?: Lighting;
  } = { bgColors: [], gradientOpen: false };
  let pending: Pending = { colors: [] };
  let subject = null as Subject;
  let relSubject: PObj[] | null = null;
  let pendingRel: { rel: Relation; a: PObj[] } | null = null;
  let lastMention: PObj[] | null = null;
  // at the start of a sentence, words before the first noun describe the next object named
  let sentenceStart = true;

  const pendingActive = () =>
    pending.det !== undefined ||
    pending.count !== undefined ||
    pending.colors.length > 0 ||
    pending.size !== undefined ||
    pending.another === true ||
    pending.ordinal !== undefined ||
    pending.bgmod === true;
  const subjObjs = () => (subject?.t === 'objects' ? subject.objs : null);
  /** Whether describing words go to the next noun (pending) rather than the current subject. */
  const toPending = () => sentenceStart || pendingActive() || !subjObjs();
  /** A sentence that ended without naming a noun ("It bounces."): its words were about the subject. */
  const flushPending = () => {
    const objs = subjObjs();
    if (!objs || pendingActive()) return;
    for (const o of objs) {
      if (pending.kind) applyMotion(o, pending.kind);
      if (pending.dir && (!o.dir || o.weak || o.turned)) {
        o.dir = pending.dir;
        o.turned = pending.turned;
        o.weak = pending.weak;
      }
      if (pending.speed) o.speed = pending.speed;
      if (pending.at !== undefined) o.at = pending.at;
      if (pending.pos) o.pos = { ...o.pos, ...pending.pos };
    }
  };

  /** Whether the next meaningful token continues a noun phrase (noun or adjective). */
  const nounAhead = (i: number) => {
    for (let j = i + 1; j < tokens.length; j++) {
      const m = tokens[j]!.meanings;
      if (tokens[j]!.text === '.') return false;
      if (m.length === 0) continue;
      const t = m[0]!.t;
      if (t === 'stop' && tokens[j]!.text !== 'and') continue;
      return (
        ['class', 'color', 'size', 'bg', 'bgmod', 'num'].includes(t) ||
        (t === 'motion' && m.some((x) => x.t === 'class'))
      );
    }
    return false;
  };

  const setBackground = (kind: BackgroundKind | 'noun') => {
    const cols = pending.colors;
    if (kind === 'gradient') {
      scene.bg = 'gradient';
      scene.bgColors = cols.slice(0, 2);
      scene.gradientOpen = scene.bgColors.length < 2;
    } else if (kind === 'noun') {
      if (cols.length >= 2) {
        scene.bg = 'gradient';
        scene.bgColors = cols.slice(0, 2);
      } else if (cols.length === 1) {
        if (scene.bg !== 'gradient') scene.bg = 'solid';
        scene.bgColors = cols;
      } else if (!scene.bg || pending.bgmod) scene.bg ??= 'solid';
    } else {
      scene.bg = kind;
    }
    pending = { colors: [] };
    pendingRel = null;
    subject = { t: 'background' };
  };

  for (let i = 0; i < tokens.length; i++) {
    const tok = tokens[i]!;
    if (tok.text === '.') {
      flushPending();
      sentenceStart = true;
      pending = { colors: [] };
      pendingRel = null;
      if (relSubject) subject = { t: 'objects', objs: relSubject };
      relSubject = null;
      scene.gradientOpen = false;
      continue;
    }
    let m = tok.meanings[0]!;
    if (m.t === 'class' || m.t === 'camera' || m.t === 'camverb') sentenceStart = false;
    // noun or verb? ("a circle" vs "the ball circles")
    const asClass = tok.meanings.find((x) => x.t === 'class');
    const asMotion = tok.meanings.find((x) => x.t === 'motion');
    if (asClass && asMotion) m = pendingActive() || !subjObjs() ? asClass : asMotion;
    switch (m.t) {
      case 'stop':
        break;
      case 'det':
        if (pending.det !== undefined || pending.colors.length > 0) pending = clauseOnly(pending);
        pending.det = m.definite ? 'def' : 'indef';
        break;
      case 'another':
        pending = { ...clauseOnly(pending), det: 'indef', another: true };
        break;
      case 'which':
        if (nounAhead(i)) {
          pending = { colors: [], det: 'def' };
        } else if (lastMention) {
          subject = { t: 'objects', objs: lastMention };
          relSubject = null;
        }
        break;
      case 'num':
        pending.count = m.n;
        break;
      case 'ordinal':
        pending.ordinal = m.n;
        break;
      case 'color': {
        if (scene.gradientOpen && subject?.t === 'background' && !pendingActive()) {
          scene.bgColors.push(m.color);
          if (scene.bgColors.length >= 2) scene.gradientOpen = false;
        } else if (pendingActive() || nounAhead(i)) {
          pending.colors.push(m.color);
        } else if (subjObjs()) {
          for (const o of subjObjs()!) o.color = m.color;
        } else if (subject?.t === 'background') {
          scene.bg = scene.bg === 'gradient' ? 'gradient' : 'solid';
          scene.bgColors.push(m.color);
        } else pending.colors.push(m.color);
        break;
      }
      case 'size':
        if (pendingActive() || nounAhead(i) || !subjObjs()) pending.size = m.size;
        else for (const o of subjObjs()!) o.size = m.size;
        break;
      case 'speed':
        if (subject?.t === 'camera') break;
        if ((m.adjective && (pendingActive() || nounAhead(i))) || (!m.adjective && toPending()))
          pending.speed = m.speed;
        else if (subjObjs()) for (const o of subjObjs()!) o.speed = m.speed;
        else pending.speed = m.speed;
        break;
      case 'motion':
        if (subject?.t === 'camera' && !pendingActive()) {
          if (m.kind === 'static') scene.camera = 'static';
          else if (m.kind === 'linear') {
            scene.camPan = true;
            if (m.dir) scene.camera = panFor(m.dir);
          }
          break;
        }
        if (toPending()) {
          if (pending.kind === undefined || (pending.kind === GENERIC && m.kind !== GENERIC))
            pending.kind = m.kind;
          if (m.dir && !pending.dir) {
            pending.dir = m.dir;
            pending.weak = true;
          }
        } else for (const o of subjObjs()!) applyMotion(o, m.kind, m.dir);
        break;
      case 'dir':
        if (subject?.t === 'camera') {
          scene.camera = panFor(m.dir);
          break;
        }
        if (toPending()) {
          if (!pending.dir || pending.weak || pending.turned) {
            pending.dir = m.dir;
            pending.weak = false;
            pending.turned = false;
          }
        } else
          for (const o of subjObjs()!) {
            if (!o.dir || o.turned || o.weak) {
              o.dir = m.dir;
              o.turned = false;
              o.weak = false;
            }
          }
        break;
      case 'turn': {
        const dir: Direction = m.cw ? 'right' : 'left';
        if (toPending()) {
          pending.dir ??= dir;
          pending.turned = true;
        } else
          for (const o of subjObjs()!)
            if (!o.dir) {
              o.dir = dir;
              o.turned = true;
            }
        break;
      }
      case 'when':
        if (toPending()) pending.at = m.at;
        else for (const o of subjObjs()!) o.at = m.at;
        break;
      case 'pos':
        if (toPending()) pending.pos = { ...pending.pos, ...m.pos };
        else for (const o of subjObjs()!) o.pos = { ...o.pos, ...m.pos };
        break;
      case 'bgmod':
        pending.bgmod = true;
        break;
      case 'bg':
        setBackground(m.kind);
        break;
      case 'style':
        scene.style = m.style;
        break;
      case 'camera':
        subject = { t: 'camera' };
        pending = { colors: [] };
        break;
      case 'camverb':
        subject = { t: 'camera' };
        scene.camPan = true;
        break;
      case 'cammove':
        scene.camera = m.move;
        break;
      case 'light':
        scene.lighting = m.lighting;
        break;
      case 'rel': {
        const a = subjObjs();
        pendingRel = a ? { rel: m.rel, a } : null;
        if (a && (m.rel === 'towards' || m.rel === 'collide' || m.rel === 'away'))
          for (const o of a) applyMotion(o, GENERIC);
        break;
      }
      case 'class': {
        const cls = m.cls;
        const count = pending.count ?? (m.plural ? 2 : 1);
        let found: PObj[] | null = null;
        if (pending.det === 'def' && !pending.another) {
          const color = pending.colors[0];
          const matches = objs.filter(
            (o) =>
              o.cls === cls &&
              (color === undefined || shownColor(cls, o.color ?? color) === shownColor(cls, color)),
          );
          if (matches.length > 0) {
            if (m.plural && pending.count === undefined) found = matches;
            else if (pending.ordinal !== undefined)
              found = matches[pending.ordinal - 1] ? [matches[pending.ordinal - 1]!] : null;
            else found = matches.slice(0, count);
          }
        }
        const group: PObj[] = found ?? [];
        if (!found) {
          for (let k = 0; k < count; k++) {
            const o: PObj = { cls, pos: { ...pending.pos } };
            objs.push(o);
            group.push(o);
          }
        }
        for (const o of group) {
          if (pending.colors[0]) o.color = pending.colors[0];
          if (pending.size) o.size = pending.size;
          if (pending.speed) o.speed = pending.speed;
          if (pending.kind) applyMotion(o, pending.kind);
          if (pending.dir && (!o.dir || o.weak)) {
            o.dir = pending.dir;
            o.turned = pending.turned;
            o.weak = pending.weak;
          }
          if (pending.at !== undefined) o.at = pending.at;
          if (found && pending.pos) o.pos = { ...o.pos, ...pending.pos };
        }
        if (pendingRel && pendingRel.a !== group && !pendingRel.a.some((o) => group.includes(o))) {
          relations.push({ rel: pendingRel.rel, a: pendingRel.a, b: group });
          relSubject = pendingRel.a;
          subject = { t: 'objects', objs: pendingRel.a };
          pendingRel = null;
        } else {
          subject = { t: 'objects', objs: group };
          relSubject = null;
        }
        lastMention = group;
        pending = { colors: [] };
        break;
      }
    }
  }
  // words left before no noun apply to the last subject
  flushPending();
  return { objs, relations, scene };
}

/** What a new determiner keeps of the words gathered so far: motion, heading, speed, timing, place. */
function clauseOnly(p: Pending): Pending {
  const { kind, dir, turned, weak, speed, at, pos } = p;
  return { colors: [], kind, dir, turned, weak, speed, at, pos };
}

function panFor(dir: Direction): CameraMove {
  const [dx, dy] = DIRECTION_VECTORS[dir];
  if (Math.abs(dx) >= Math.abs(dy)) return dx > 0 ? 'pan-right' : 'pan-left';
  return dy > 0 ? 'pan-down' : 'pan-up';
}

function dirTowards(dx: number, dy: number): Direction {
  const a = Math.atan2(dy, dx); // y down
  const k = Math.round(a / (Math.PI / 4));
  const table: Record<string, Direction> = {
    '0': 'right',
    '1': 'down-right',
    '2': 'down',
    '3': 'down-left',
    '4': 'left',
    '-4': 'left',
    '-3': 'up-left',
    '-2': 'up',
    '-1': 'up-right',
  };
  return table[String(k)]!;
}

/** Parses a prompt into a validated scene spec. */
export function parsePrompt(text: string, options: ParseOptions): SceneSpec {
  return readPrompt(text, options).spec;
}

/** A parsed prompt, and what it said itself rather than left to the layout. */
export interface ParsedPrompt {
  spec: SceneSpec;
  /** Per object (in spec order): whether the prompt placed it ("on the left", "at the top"). */
  placed: boolean[];
}

/** `parsePrompt`, also telling which objects the prompt placed itself. */
export function readPrompt(text: string, options: ParseOptions): ParsedPrompt {
  const unknown: string[] = [];
  const tokens = tokenize(text, unknown);
  if (unknown.length > 0 && options.unknown !== 'ignore') {
    const uniq = [...new Set(unknown)];
    throw new UnknownWordsError(uniq.map((word) => ({ word, suggestions: suggest(word) })));
  }
  const { objs, relations, scene } = read(tokens);
  const meaningful = tokens.some(
    (t) => t.meanings.length > 0 && t.meanings[0]!.t !== 'stop' && t.meanings[0]!.t !== 'det',
  );
  if (!meaningful) {
    throw new PromptError(
      `the prompt "${text.slice(0, 80)}" does not describe anything the world knows; try e.g. "a red ball bounces on grass" (see \`kinema world vocab\`)`,
    );
  }
  if (objs.length > 8)
    throw new PromptError(`the prompt asks for ${objs.length} objects; the world draws at most 8`);
  const rng = makeRng(options.seed ?? 0).fork('prompt');
  const W = options.width;
  const H = options.height;
  const fps = options.fps ?? 8;
  const T = Math.max(0, options.frames - 1) / fps;

  // relations -> depth and motion
  // a position phrase fixes the object: "on the left" means the middle of the left side
  for (const o of objs) {
    if (o.pos.x !== undefined && o.pos.y === undefined) o.pos.y = 0.5;
    if (o.pos.y !== undefined && o.pos.x === undefined) o.pos.x = 0.5;
  }
  const explicitX = new Set(objs.filter((o) => o.pos.x !== undefined));
  const explicitY = new Set(objs.filter((o) => o.pos.y !== undefined));
  for (const r of relations) {
    for (const a of r.a) {
      for (const b of r.b) {
        if (r.rel === 'behind') b.depth = Math.max(b.depth ?? 0, (a.depth ?? 0) + 1);
        if (r.rel === 'front') a.depth = Math.max(a.depth ?? 0, (b.depth ?? 0) + 1);
        if (['behind', 'front', 'towards', 'collide'].includes(r.rel) && a.kind === undefined && !a.turned)
          a.kind = 'linear';
      }
    }
  }
  // motions
  for (const o of objs) {
    if (o.kind === undefined) o.kind = o.turned ? 'rotate' : o.dir ? 'linear' : 'static';
    if (o.turned && o.kind !== 'orbit' && o.kind !== 'rotate')
      o.kind = o.kind === 'linear' ? 'rotate' : o.kind;
  }
  // default slots
  const free = objs.filter((o) => !explicitX.has(o));
  free.forEach((o, k) => {
    o.pos.x = (k + 1) / (free.length + 1);
  });
  const freeY = objs.filter((o) => !explicitY.has(o));
  freeY.forEach((o, k) => {
    o.pos.y = freeY.length > 3 ? (k % 2 === 0 ? 0.35 : 0.65) : 0.5;
  });
  // relation layout
  for (const r of relations) {
    for (const a of r.a) {
      for (const b of r.b) {
        const ax = !explicitX.has(a);
        const bx = !explicitX.has(b);
        const ay = !explicitY.has(a);
        const by = !explicitY.has(b);
        switch (r.rel) {
          case 'left-of':
          case 'right-of': {
            const left = r.rel === 'left-of';
            if ((left ? a.pos.x! >= b.pos.x! : a.pos.x! <= b.pos.x!) && ax && bx)
              [a.pos.x, b.pos.x] = [b.pos.x, a.pos.x];
            if (ax && (left ? a.pos.x! >= b.pos.x! : a.pos.x! <= b.pos.x!))
              a.pos.x = Math.min(0.85, Math.max(0.15, b.pos.x! + (left ? -0.35 : 0.35)));
            if (ay && by) a.pos.y = b.pos.y;
            break;
          }
          case 'above':
          case 'below': {
            const above = r.rel === 'above';
            if (ay) a.pos.y = above ? 0.25 : 0.75;
            if (by) b.pos.y = above ? 0.72 : 0.28;
            if (ax && bx) a.pos.x = b.pos.x;
            break;
          }
          case 'near':
            if (ax && bx) a.pos.x = Math.min(0.85, b.pos.x! + 0.25);
            if (ay && by) a.pos.y = b.pos.y;
            break;
          case 'towards':
          case 'collide':
          case 'behind':
          case 'front':
          case 'away': {
            if (ax) a.pos.x = r.rel === 'away' ? 0.45 : 0.18;
            if (bx) b.pos.x = r.rel === 'away' ? 0.3 : 0.62;
            if (ay) a.pos.y = b.pos.y;
            if ((!a.dir || a.turned || a.weak) && (a.kind === 'linear' || a.kind === 'zigzag')) {
              const dx = b.pos.x! - a.pos.x!;
              const dy = (b.pos.y! - a.pos.y!) * (H / W);
              a.dir = r.rel === 'away' ? dirTowards(-dx, -dy) : dirTowards(dx, dy);
              a.turned = false;
            }
            break;
          }
        }
      }
    }
  }
  // keep movers in view: centre a linear path on its slot
  const S = Math.min(W, H);
  for (const o of objs) {
    const size = o.size ?? 'medium';
    const rx = (SIZE_VALUES[size] * S) / 2 / W + 0.02;
    const ry = (SIZE_VALUES[size] * S) / 2 / H + 0.02;
    if ((o.kind === 'linear' || o.kind === 'zigzag') && o.dir && !relations.some((r) => r.a.includes(o))) {
      const [dx, dy] = DIRECTION_VECTORS[o.dir];
      const travel = Math.min(0.7, SPEED_VALUES[o.speed ?? 'medium'] * T);
      if (!explicitX.has(o)) o.pos.x = o.pos.x! - (dx * travel) / 2;
      if (!explicitY.has(o)) o.pos.y = o.pos.y! - (dy * travel * W) / H / 2;
    }
    if (o.kind === 'fall' && !explicitY.has(o)) o.pos.y = 0.2;
    if (o.kind === 'orbit') {
      const R = (ORBIT_RADIUS * S) / Math.min(W, H);
      o.pos.x = clamp(o.pos.x!, rx + (R * S) / W, 1 - rx - (R * S) / W);
      o.pos.y = clamp(o.pos.y!, ry + (R * S) / H, 1 - ry);
    }
    o.pos.x = clamp(o.pos.x!, Math.min(rx, 0.5), Math.max(1 - rx, 0.5));
    o.pos.y = clamp(o.pos.y!, Math.min(ry, 0.5), Math.max(1 - ry, 0.5));
  }
  // background and colours
  const d = options.defaults ?? {};
  let bgKind: BackgroundKind = scene.bg ?? d.background ?? 'solid';
  let bgColor: ColorName = scene.bgColors[0] ?? 'white';
  let bgColor2: ColorName = scene.bgColors[1] ?? 'blue';
  if (bgKind === 'gradient' && scene.bgColors.length === 1) bgColor2 = bgColor === 'blue' ? 'white' : 'blue';
  const shapeColors = COLOR_NAMES.filter((c) => c !== bgColor);
  const objects = objs.map((o, i) => {
    // a sprite that cannot be recoloured keeps its own colour, whatever the prompt asked
    const color = o.cls.tintable
      ? (o.color ?? rng.pick(shapeColors))
      : (o.cls.nativeColor ?? o.color ?? 'red');
    return {
      id: `o${i}`,
      class: o.cls.name,
      color,
      size: o.size ?? 'medium',
      start: { x: round3(o.pos.x!), y: round3(o.pos.y!) },
      motion: {
        kind: o.kind!,
        ...(o.dir ? { direction: o.dir } : {}),
        speed: o.speed ?? 'medium',
        at: o.at ?? 0.5,
      },
      depth: o.depth ?? 0,
    };
  });
  if (!scene.bg && bgKind === 'solid' && scene.bgColors.length === 0) {
    const shown = new Set(objects.map((o, i) => shownColor(objs[i]!.cls, o.color)));
    bgColor = (['white', 'black', 'gray'] as ColorName[]).find((c) => !shown.has(c)) ?? 'white';
  }
  if (bgKind === 'solid' && scene.bgColors.length >= 2) bgKind = 'gradient';
  const spec = parseSpec({
    width: W,
    height: H,
    frames: options.frames,
    fps,
    background: { kind: bgKind, color: bgColor, color2: bgColor2 },
    style: scene.style ?? d.style ?? 'flat',
    camera: scene.camera ?? (scene.camPan ? 'pan-right' : (d.camera ?? 'static')),
    lighting: scene.lighting ?? d.lighting ?? 'constant',
    objects,
  });
  return { spec, placed: objs.map((o) => explicitX.has(o) || explicitY.has(o)) };
}

function clamp(v: number, lo: number, hi: number): number {
  return v < lo ? lo : v > hi ? hi : v;
}
function round3(v: number): number {
  return Math.round(v * 1000) / 1000;
}

// ----- vocabulary ------------------------------------------------------------------------------

export interface Vocabulary {
  classes: { name: string; synonyms: string[]; kind: 'shape' | 'sprite'; category: string; color?: string }[];
  colors: Record<string, string[]>;
  sizes: Record<string, string[]>;
  speeds: Record<string, string[]>;
  motions: Record<string, string[]>;
  directions: Record<string, string[]>;
  turning: Record<string, readonly string[]>;
  backgrounds: Record<string, string[]>;
  styles: Record<string, string[]>;
  camera: Record<string, string[]>;
  lighting: Record<string, string[]>;
  relations: Record<string, string[]>;
  positions: string[];
  timing: string[];
  numbers: string[];
}

/** Every word and phrase the world knows, grouped by what it means. */
export function vocabulary(): Vocabulary {
  const motions: Record<string, string[]> = {};
  for (const [k, ws] of Object.entries(MOTION_VERBS))
    motions[k] = [...ws, ...(MOTION_VERBS_EXTRA[k as MotionKind] ?? [])];
  motions.linear!.push(...IMPLIED_DIRECTION_VERBS.map(([w, d]) => `${w} (${d})`));
  const backgrounds: Record<string, string[]> = {
    solid: [...BACKGROUND_MODIFIERS.map((m) => `${m} <color> background`), ...BACKGROUND_NOUNS],
    gradient: [...GRADIENT_WORDS, 'gradient from <color> to <color>'],
  };
  for (const [k, ws] of Object.entries(BACKGROUND_WORDS))
    backgrounds[k] = [...ws, ...(BACKGROUND_EXTRA[k as BackgroundKind] ?? [])];
  const styles: Record<string, string[]> = {};
  for (const [k, ws] of Object.entries(STYLE_WORDS)) styles[k] = [...ws, ...(STYLE_EXTRA[k as Style] ?? [])];
  return {
    classes: CLASSES.map((c) => ({
      name: c.name,
      synonyms: c.synonyms,
      kind: c.kind,
      category: c.category,
      ...(c.tintable ? {} : { color: c.nativeColor }),
    })),
    colors: { ...COLOR_WORDS },
    sizes: { ...SIZE_WORDS },
    speeds: Object.fromEntries(
      Object.entries(SPEED_WORDS).map(([k, v]) => [k, [...v, ...SPEED_ADJECTIVES[k as Speed]]]),
    ),
    motions,
    directions: { ...DIRECTION_WORDS },
    turning: { ...TURN_WORDS },
    backgrounds,
    styles,
    camera: { ...CAMERA_WORDS, subject: CAMERA_NOUNS },
    lighting: { ...LIGHTING_WORDS },
    relations: { ...RELATION_WORDS },
    positions: [...new Set(POSITION_WORDS.map(([w]) => w))],
    timing: TIMING_WORDS.map(([w]) => w),
    numbers: NUMBER_WORDS.map(([w]) => w),
  };
}
