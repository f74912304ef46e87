// A model bundle from training checkpoints (their EMA weights), for `kinema weights pack`.

import { type ModelBundle, WeightsError } from '../models/bundle.ts';
import { getPreset, type ModelPreset } from '../models/presets.ts';
import { parseTokenizer } from '../models/text.ts';
import type { HostParams } from '../nn/params.ts';
import { CAPTION_PROBE_PREFIX } from './captionProbe.ts';
import type { Checkpoint } from './checkpoint.ts';
import { TOKEN_PROBE_PREFIX } from './tokenProbe.ts';

/** What a training checkpoint says about its model: the preset it was trained with. */
export function checkpointPreset(ckpt: Checkpoint): ModelPreset {
  const config = ckpt.config as { preset?: string; presetConfig?: ModelPreset } | null;
  if (config?.presetConfig) return config.presetConfig;
  return getPreset(config?.preset ?? 'small');
}

export interface BundleParts {
  /** The bundle to start from; parts given below replace its pieces. */
  base?: ModelBundle;
  /** A whole autoencoder (encoder and decoder). */
  autoencoder?: Checkpoint;
  /** A decoder fine-tuned on the autoencoder's frozen latents: replaces the decoder only. */
  decoder?: Checkpoint;
  /** The DiT with its caption encoder, tokenizer and latent scale. */
  dit?: Checkpoint;
  /** A caption encoder from the text stage: replaces the DiT's `text.` weights (same tokenizer). */
  text?: Checkpoint;
  id?: string;
}

/**
 * A bundle from training checkpoints (their EMA weights), optionally on top of an existing bundle:
 * e.g. a new DiT and a fine-tuned decoder over the shipped model's encoder.
 */
export function packBundle(parts: BundleParts): ModelBundle {
  const { base, autoencoder, decoder, dit, text } = parts;
  if (!base && (!autoencoder || !dit))
    throw new WeightsError('packing needs a base model, or both an autoencoder and a DiT checkpoint');
  for (const [role, ckpt] of [
    ['autoencoder', autoencoder],
    ['decoder', decoder],
    ['dit', dit],
    ['text', text],
  ] as const) {
    if (ckpt && ckpt.stage !== role)
      throw new WeightsError(`the ${role} checkpoint is a ${ckpt.stage} checkpoint`);
  }
  const weightsOf = (ckpt: Checkpoint) => ckpt.ema ?? ckpt.params;
  const card: Record<string, unknown> = { ...(base?.card ?? {}) };
  const replaced = Boolean(autoencoder || decoder || dit || text);
  if (replaced) delete card.scores; // they were the base model's
  // The DiT fixes the preset's name and DiT half; the autoencoder's own run fixes its half.
  const preset: ModelPreset = structuredClone(dit ? checkpointPreset(dit) : base!.preset);
  preset.autoencoder = structuredClone(
    autoencoder ? checkpointPreset(autoencoder).autoencoder : base!.preset.autoencoder,
  );
  let autoencoderWeights: HostParams = autoencoder ? weightsOf(autoencoder) : base!.autoencoder;
  if (autoencoder) {
    Object.assign(card, { autoencoderConfig: autoencoder.config, autoencoderSteps: autoencoder.step });
    // its decoder replaces a decoder fine-tune's too
    delete card.decoderConfig;
    delete card.decoderSteps;
  }
  if (decoder) {
    const kept = Object.entries(autoencoderWeights).filter(([name]) => !name.startsWith('decoder.'));
    autoencoderWeights = { ...Object.fromEntries(kept), ...weightsOf(decoder) };
    preset.autoencoder.decoderSpacetimeBlocks =
      checkpointPreset(decoder).autoencoder.decoderSpacetimeBlocks ?? 0;
    Object.assign(card, { decoderConfig: decoder.config, decoderSteps: decoder.step });
  }
  let { tokenizer, latentScale } = base ?? ({} as Partial<ModelBundle>);
  if (dit) {
    const extra = dit.extra ?? {};
    if (!extra.tokenizer || !extra.latentScale)
      throw new WeightsError('the DiT checkpoint has no tokenizer or latent scale');
    tokenizer = parseTokenizer(extra.tokenizer);
    latentScale = Number(extra.latentScale);
    Object.assign(card, { ditConfig: dit.config, ditSteps: dit.step });
  }
  if (preset.autoencoder.latentChannels !== preset.dit.latentChannels)
    throw new WeightsError(
      `the autoencoder makes ${preset.autoencoder.latentChannels} latent channels but the DiT reads ${preset.dit.latentChannels}: pack a DiT trained on this autoencoder`,
    );
  // the probes' heads only shape training; the model does not use them
  const withoutProbe = (weights: HostParams) =>
    Object.fromEntries(
      Object.entries(weights).filter(
        ([name]) => !name.startsWith(CAPTION_PROBE_PREFIX) && !name.startsWith(TOKEN_PROBE_PREFIX),
      ),
    );
  let ditWeights = dit ? withoutProbe(weightsOf(dit)) : base!.dit;
  if (text) {
    if (text.extra?.tokenizer !== JSON.stringify(tokenizer))
      throw new WeightsError('the caption encoder was trained with another tokenizer than this DiT reads');
    const encoder = withoutProbe(weightsOf(text));
    for (const [name, tensor] of Object.entries(encoder)) {
      const fits = ditWeights[name]?.shape.join('x') === tensor.shape.join('x');
      if (!fits) throw new WeightsError(`the caption encoder's "${name}" does not fit this DiT's`);
    }
    ditWeights = { ...ditWeights, ...encoder };
    Object.assign(card, { textConfig: text.config, textSteps: text.step });
  }
  return {
    id:
      parts.id ??
      (replaced || !base
        ? `kinema-${preset.name}-${card.ditSteps ?? 0}${decoder ? `-d${decoder.step}` : ''}${text ? `-t${text.step}` : ''}`
        : base.id),
    preset,
    autoencoder: autoencoderWeights,
    dit: ditWeights,
    tokenizer: tokenizer!,
    latentScale: latentScale!,
    card,
  };
}
