// Class negatives for contrastive flow matching (`train --class-contrast`, FlowNegatives in
// src/diffusion/flow.ts): each training clip rendered again with its first object's class swapped
// for another, everything else (place, colour, motion, background, the renderer's seed) the same.
//
// Why. The DiT ignores class words (class 0.09 on level 0; guidance 1.5 → 8 leaves it at 0.08;
// `eval classes` shows one blob for every class at t ≥ 0.7 under any caption), and a linear probe
// reads the class from its tokens at chance. At mid noise the noisy input shows the shape, so the
// plain loss never needs the word there; at high noise the best estimate is a blob whatever the
// class. Pushing each prediction away from the velocity towards the same clip with another class
// gives the word a gradient of its own, along exactly the pixels in which the two classes differ.
// (Measured: λ = 0.1 for 1 315 steps did not put the class on the tokens; on tokens the token probe
// had given the class, λ = 0.1 for 3 100 steps moved class in samples 0.06 → 0.11; see the model card.)
import { Rng } from '../nn/init.ts';
import { CLASSES, classByName } from '../world/classes.ts';
import type { SceneSpec } from '../world/spec.ts';

/**
 * The scene with its first object's class swapped for another of the same kind (a drawn shape for
 * a shape: same colour; a sprite for a sprite), chosen by `seed`; undefined for a scene without objects.
 */
export function classNegativeScene(spec: SceneSpec, seed: number): SceneSpec | undefined {
  const [object, ...rest] = spec.objects;
  const own = object && classByName(object.class);
  if (!object || !own) return undefined;
  const others = CLASSES.filter((c) => c.kind === own.kind && c.name !== own.name);
  const other = others[Math.floor(Rng.derive(seed, 'class negative').uniform() * others.length)]!;
  return { ...spec, objects: [{ ...object, class: other.name }, ...rest] };
}
