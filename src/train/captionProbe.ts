// Caption probe: an auxiliary loss that makes the caption encoder say what the caption says.
//
// Why. The caption encoder is trained jointly with the DiT from the diffusion loss alone, and that
// loss rewards a word only once the DiT already uses it. Direction and class never got started:
// a linear probe on the pooled caption vector of the 20 000-step model (`kinema eval captions`)
// read direction 0.65 and class 0.44 on held-out captions, where the same probe on plain word
// counts reads 0.94 and 1.00 — the encoder had thrown away what the words carry, so the DiT could
// not follow "moves to the left" and the words gave it nothing to learn from.
//
// What. Small linear heads read the scene's attributes (motion direction, speed, colour, class,
// size, start region) from the pooled caption vector, trained with cross-entropy on world clips,
// whose scene specs give the answers for free. The heads are training-only: `weights pack` leaves
// them out. Shard clips (real videos) carry no labels and add nothing to this loss.
import { nn, numpy as np } from '@jax-js/jax';
import { ArraySpec } from '../engine/export.ts';
import type { ParamSpec } from '../nn/init.ts';
import { xavier, zeros } from '../nn/init.ts';
import type { ParamReader } from '../nn/params.ts';
import { CLASSES, classByName, shownColor } from '../world/classes.ts';
import { COLOR_NAMES, type ColorName, DIRECTIONS, type SceneSpec, SIZES, SPEEDS } from '../world/spec.ts';

/** Which caption of a clip was trained on (src/world/captions.ts): the short one names less. */
export type CaptionStyle = 'short' | 'detailed' | 'long';

/** The attributes a caption states and their answers, in head order. */
export const PROBED_ATTRIBUTES = {
  direction: ['still', ...DIRECTIONS],
  speed: ['still', ...SPEEDS],
  color: COLOR_NAMES,
  class: CLASSES.map((c) => c.name),
  size: SIZES,
  start: ['top left', 'top', 'top right', 'left', 'center', 'right', 'bottom left', 'bottom', 'bottom right'],
} as const;
export type ProbedAttribute = keyof typeof PROBED_ATTRIBUTES;
const ATTRIBUTES = Object.keys(PROBED_ATTRIBUTES) as ProbedAttribute[];

/** Not stated by the caption, or not one answer (several objects, curved motion): no loss. */
export const UNLABELLED = -1;

/** The parameter names of the heads all start with this. */
export const CAPTION_PROBE_PREFIX = 'captionProbe.';

/**
 * What the caption of a one-object world scene states, as an answer index per attribute
 * (UNLABELLED where it is not said or not one answer). Short captions name the object, its colour
 * and motion (with direction) but not speed, size or start place.
 */
export function captionLabels(spec: SceneSpec, style: CaptionStyle): Record<ProbedAttribute, number> {
  const labels = Object.fromEntries(ATTRIBUTES.map((a) => [a, UNLABELLED])) as Record<
    ProbedAttribute,
    number
  >;
  if (spec.objects.length !== 1) return labels;
  const object = spec.objects[0]!;
  const { motion } = object;
  const still = motion.kind === 'static';
  const straight = motion.kind === 'linear' && motion.direction !== undefined;
  if (still) labels.direction = 0;
  if (straight) labels.direction = 1 + DIRECTIONS.indexOf(motion.direction!);
  const cls = classByName(object.class);
  if (cls) labels.class = CLASSES.indexOf(cls);
  // The colour the caption names is the one shown: a sprite that cannot be tinted shows its own,
  // and short captions name it only some of the time.
  if (cls && object.color && (cls.tintable || style !== 'short'))
    labels.color = COLOR_NAMES.indexOf(shownColor(cls, object.color as ColorName));
  if (style !== 'short') {
    if (still) labels.speed = 0;
    if (straight) labels.speed = 1 + SPEEDS.indexOf(motion.speed);
    labels.size = SIZES.indexOf(object.size);
    // where a still or straight-moving object starts (an orbit's "start" is read as its centre)
    if (still || straight) labels.start = third(object.start.y) * 3 + third(object.start.x);
  }
  return labels;
}

/** Which third of the frame a normalised coordinate is in, as the captions' region phrases say. */
function third(at: number): number {
  return at < 1 / 3 ? 0 : at > 2 / 3 ? 2 : 1;
}

/** Heads: one linear map per attribute from the pooled caption (textWidth) to its answers. */
export function captionProbeParamSpec(textWidth: number): ParamSpec {
  const spec: ParamSpec = {};
  for (const attribute of ATTRIBUTES) {
    const answers = PROBED_ATTRIBUTES[attribute].length;
    spec[`${CAPTION_PROBE_PREFIX}${attribute}.weight`] = { shape: [textWidth, answers], init: xavier };
    spec[`${CAPTION_PROBE_PREFIX}${attribute}.bias`] = { shape: [answers], init: zeros };
  }
  return spec;
}

/** Batch arrays of the probe: a one-hot target per attribute, all zeros where unlabelled. */
export function captionTargetSpecs(batch: number): Record<string, ArraySpec> {
  return Object.fromEntries(
    ATTRIBUTES.map((a) => [`probe_${a}`, new ArraySpec([batch, PROBED_ATTRIBUTES[a].length])]),
  );
}

/** Host one-hot targets (batch, answers) per attribute from each clip's labels. */
export function captionTargets(
  labels: readonly (Record<ProbedAttribute, number> | undefined)[],
): Record<string, { data: Float32Array; shape: number[] }> {
  const out: Record<string, { data: Float32Array; shape: number[] }> = {};
  for (const attribute of ATTRIBUTES) {
    const answers = PROBED_ATTRIBUTES[attribute].length;
    const data = new Float32Array(labels.length * answers);
    labels.forEach((clip, b) => {
      const answer = clip?.[attribute] ?? UNLABELLED;
      if (answer >= 0) data[b * answers + answer] = 1;
    });
    out[`probe_${attribute}`] = { data, shape: [labels.length, answers] };
  }
  return out;
}

/**
 * Mean cross-entropy of the heads over the labelled (clip, attribute) pairs: a scalar.
 * `p` reads the heads (`captionProbe.` in the training record); consumes `pooled` and the targets.
 */
export function captionProbeLoss(
  p: ParamReader,
  pooled: np.Array, // (batch, textWidth): the caption encoder's masked mean
  targets: Record<string, np.Array>, // probe_<attribute>: (batch, answers) one-hot or zeros
): np.Array {
  let total: np.Array = np.array(0);
  let labelled: np.Array = np.array(0);
  for (const attribute of ATTRIBUTES) {
    const head = p.at(`${CAPTION_PROBE_PREFIX}${attribute}`);
    const logits = np.matmul(pooled.ref, head('weight')).add(head('bias')); // (batch, answers)
    const target = targets[`probe_${attribute}`]!; // (batch, answers)
    labelled = labelled.add(target.ref.sum());
    total = total.add(nn.logSoftmax(logits, -1).mul(target).sum().mul(-1));
  }
  pooled.dispose();
  return total.div(labelled.add(1e-6)); // scalar
}

/** The probe's batch arrays out of a training batch. */
export function probeTargetsOf(batch: Record<string, np.Array>): Record<string, np.Array> {
  return Object.fromEntries(ATTRIBUTES.map((a) => [`probe_${a}`, batch[`probe_${a}`]!]));
}
