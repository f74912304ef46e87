// The world's object classes: what can appear in a clip, what it is called, and how it is drawn.
//
// Two kinds: drawn shapes (tinted to any colour) and sprites, real Noto emoji images from the
// `emoji-datasource-google` package. A sprite keeps its own colours unless it is tintable
// (a light, mostly single-colour image that reads well when recoloured).
import type { ColorName } from './spec.ts';

export const SHAPES = [
  'circle',
  'square',
  'triangle',
  'star',
  'heart',
  'diamond',
  'ring',
  'cross',
  'hexagon',
  'moon',
] as const;
export type ShapeName = (typeof SHAPES)[number];

export interface ObjectClass {
  /** The canonical name, used in specs and captions. */
  name: string;
  /** Other words for it (captions vary among them; the parser accepts them). */
  synonyms: string[];
  kind: 'shape' | 'sprite';
  /** For shapes: the outline to draw. */
  shape?: ShapeName;
  /** For sprites: the image file in emoji-datasource-google/img/google/64. */
  image?: string;
  /** Whether the spec's colour recolours it; otherwise it keeps `nativeColor`. */
  tintable: boolean;
  /** The colour a caption uses when the class is not tintable. */
  nativeColor?: ColorName;
  /** Coarse group, for captions ("an animal") and for held-out evaluation splits. */
  category: 'shape' | 'animal' | 'vehicle' | 'plant' | 'food' | 'thing' | 'sky';
}

const shape = (name: string, shapeName: ShapeName, synonyms: string[]): ObjectClass => ({
  name,
  synonyms,
  kind: 'shape',
  shape: shapeName,
  tintable: true,
  category: 'shape',
});

const sprite = (
  name: string,
  image: string,
  nativeColor: ColorName,
  category: ObjectClass['category'],
  synonyms: string[] = [],
): ObjectClass => ({ name, synonyms, kind: 'sprite', image, tintable: false, nativeColor, category });

export const CLASSES: readonly ObjectClass[] = [
  shape('ball', 'circle', ['sphere', 'orb', 'circle', 'dot']),
  shape('square', 'square', ['box', 'cube', 'block']),
  shape('triangle', 'triangle', ['pyramid', 'wedge']),
  shape('star', 'star', ['starlet']),
  shape('heart', 'heart', ['love heart']),
  shape('diamond', 'diamond', ['rhombus', 'gem']),
  shape('ring', 'ring', ['donut', 'hoop']),
  shape('cross', 'cross', ['plus', 'plus sign']),
  shape('hexagon', 'hexagon', ['hex']),
  shape('crescent', 'moon', ['half moon']),
  sprite('cat', '1f431.png', 'orange', 'animal', ['kitten', 'kitty']),
  sprite('dog', '1f436.png', 'brown', 'animal', ['puppy', 'pup']),
  sprite('rabbit', '1f430.png', 'white', 'animal', ['bunny', 'hare']),
  sprite('mouse', '1f42d.png', 'gray', 'animal', ['mice']),
  sprite('bird', '1f426.png', 'blue', 'animal', ['songbird']),
  sprite('fish', '1f41f.png', 'blue', 'animal', ['minnow']),
  sprite('frog', '1f438.png', 'green', 'animal', ['toad']),
  sprite('turtle', '1f422.png', 'green', 'animal', ['tortoise']),
  sprite('butterfly', '1f98b.png', 'blue', 'animal', ['moth']),
  sprite('bee', '1f41d.png', 'yellow', 'animal', ['bumblebee', 'honeybee']),
  sprite('octopus', '1f419.png', 'pink', 'animal', ['squid']),
  sprite('elephant', '1f418.png', 'gray', 'animal', []),
  sprite('penguin', '1f427.png', 'black', 'animal', []),
  sprite('duck', '1f986.png', 'brown', 'animal', ['duckling']),
  sprite('owl', '1f989.png', 'brown', 'animal', []),
  sprite('whale', '1f433.png', 'blue', 'animal', []),
  sprite('pig', '1f437.png', 'pink', 'animal', ['piglet', 'hog']),
  sprite('car', '1f697.png', 'red', 'vehicle', ['automobile', 'auto']),
  sprite('bus', '1f68c.png', 'gray', 'vehicle', ['coach']),
  sprite('airplane', '2708-fe0f.png', 'gray', 'vehicle', ['plane', 'jet', 'aeroplane']),
  sprite('rocket', '1f680.png', 'gray', 'vehicle', ['spaceship']),
  sprite('sailboat', '26f5.png', 'white', 'vehicle', ['boat', 'yacht']),
  sprite('helicopter', '1f681.png', 'gray', 'vehicle', ['chopper']),
  sprite('train', '1f686.png', 'gray', 'vehicle', ['locomotive']),
  sprite('tree', '1f332.png', 'green', 'plant', ['pine', 'fir']),
  sprite('sunflower', '1f33b.png', 'yellow', 'plant', ['flower', 'bloom']),
  sprite('rose', '1f339.png', 'red', 'plant', []),
  sprite('cactus', '1f335.png', 'green', 'plant', []),
  sprite('mushroom', '1f344.png', 'red', 'plant', ['toadstool']),
  sprite('apple', '1f34e.png', 'red', 'food', []),
  sprite('banana', '1f34c.png', 'yellow', 'food', []),
  sprite('cherries', '1f352.png', 'red', 'food', ['cherry']),
  sprite('pizza', '1f355.png', 'orange', 'food', ['pizza slice']),
  sprite('cake', '1f370.png', 'white', 'food', ['cheesecake']),
  sprite('house', '1f3e0.png', 'brown', 'thing', ['home', 'cottage']),
  sprite('balloon', '1f388.png', 'red', 'thing', []),
  sprite('gift', '1f381.png', 'yellow', 'thing', ['present', 'parcel']),
  sprite('umbrella', '2602-fe0f.png', 'purple', 'thing', ['parasol']),
  sprite('soccer ball', '26bd.png', 'white', 'thing', ['football']),
  sprite('basketball', '1f3c0.png', 'orange', 'thing', []),
  sprite('kite', '1fa81.png', 'blue', 'thing', []),
  sprite('guitar', '1f3b8.png', 'orange', 'thing', []),
  sprite('teddy bear', '1f9f8.png', 'brown', 'thing', ['teddy']),
  sprite('robot', '1f916.png', 'gray', 'thing', ['android', 'bot']),
  sprite('ghost', '1f47b.png', 'white', 'thing', ['spirit', 'phantom']),
  sprite('snowman', '2603-fe0f.png', 'white', 'thing', []),
  sprite('cloud', '2601-fe0f.png', 'white', 'sky', []),
  sprite('moon', '1f319.png', 'yellow', 'sky', []),
];

const byName = new Map<string, ObjectClass>();
for (const c of CLASSES) byName.set(c.name, c);

/** The class of a canonical name, or undefined. */
export function classByName(name: string): ObjectClass | undefined {
  return byName.get(name);
}

/** The colour an object of this class actually shows, given the spec's colour. */
export function shownColor(cls: ObjectClass, specColor: ColorName): ColorName {
  return cls.tintable ? specColor : (cls.nativeColor ?? specColor);
}
