// A tiny, randomly initialised model bundle: the real pipeline code at test size.

import { ensureJax } from '../../src/engine/jax.ts';
import { autoencoderParamSpec } from '../../src/models/autoencoder.ts';
import type { ModelBundle } from '../../src/models/bundle.ts';
import { ditParamSpec } from '../../src/models/dit.ts';
import { getPreset } from '../../src/models/presets.ts';
import { trainTokenizer } from '../../src/models/text.ts';
import { initParams, Rng } from '../../src/nn/init.ts';
import { type HostParams, toHostParams } from '../../src/nn/params.ts';

export const TINY_MODEL_ID = 'kinema-tiny-test';

/** A generation request at the tiny model's size: 5 frames of 16×16, 3 Euler steps. */
export const TINY_REQUEST = {
  prompt: 'a red ball moves to the right',
  seed: 7,
  steps: 3,
  guidanceScale: 2,
  sampler: 'euler' as const,
  width: 16,
  height: 16,
  frames: 5,
  fps: 8,
};

/**
 * `captionMatters`: the DiT's zero-initialised tensors (adaLN-zero gates, the output layer) get
 * small random values, so its velocity depends on the caption and guidance changes the clip; a
 * fresh DiT predicts zero velocity whatever it is told.
 */
export async function tinyModel(seed = 0, options: { captionMatters?: boolean } = {}): Promise<ModelBundle> {
  await ensureJax();
  const preset = getPreset('tiny');
  return {
    id: TINY_MODEL_ID,
    preset,
    autoencoder: await toHostParams(initParams(autoencoderParamSpec(preset.autoencoder), seed)),
    dit: wakeZeroTensors(await toHostParams(initParams(ditParamSpec(preset.dit), seed + 1)), options, seed),
    // Each caption twice: the tokenizer keeps words seen at least twice.
    tokenizer: trainTokenizer(
      ['a red ball moves to the right', 'a blue square falls'].flatMap((c) => [c, c]),
      {
        maxLength: preset.dit.text.maxLength,
        maxVocab: preset.dit.text.vocabSize,
      },
    ),
    latentScale: 1,
    card: {},
  };
}

function wakeZeroTensors(
  params: HostParams,
  options: { captionMatters?: boolean },
  seed: number,
): HostParams {
  if (!options.captionMatters) return params;
  const rng = new Rng(seed + 2);
  for (const tensor of Object.values(params))
    if (tensor.data.every((v) => v === 0))
      for (let i = 0; i < tensor.data.length; i++) tensor.data[i] = 0.2 * rng.normal();
  return params;
}
