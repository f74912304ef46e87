// A tiny, randomly initialised model bundle: the real pipeline code at test size.

import { ensureJax } from '../../src/engine/jax.ts';
import { autoencoderParamSpec } from '../../src/models/autoencoder.ts';
import type { ModelBundle } from '../../src/models/bundle.ts';
import { ditParamSpec } from '../../src/models/dit.ts';
import { getPreset } from '../../src/models/presets.ts';
import { trainTokenizer } from '../../src/models/text.ts';
import { initParams } from '../../src/nn/init.ts';
import { toHostParams } from '../../src/nn/params.ts';

export const TINY_MODEL_ID = 'kinema-tiny-test';

export async function tinyModel(seed = 0): Promise<ModelBundle> {
  await ensureJax();
  const preset = getPreset('tiny');
  return {
    id: TINY_MODEL_ID,
    preset,
    autoencoder: await toHostParams(initParams(autoencoderParamSpec(preset.autoencoder), seed)),
    dit: await toHostParams(initParams(ditParamSpec(preset.dit), seed + 1)),
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
