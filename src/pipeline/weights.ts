// The shipped model: one fp16 safetensors file with the autoencoder and the DiT (EMA weights),
// plus everything needed to run them (preset config, tokenizer, latent scale) in its metadata,
// and a JSON config beside it for people and tools. `weights/` in the repo holds the default.
import { existsSync } from 'node:fs';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { getPreset, type ModelPreset } from '../models/presets.ts';
import { parseTokenizer, type Tokenizer } from '../models/text.ts';
import type { HostParams } from '../nn/params.ts';
import { loadSafetensors, saveSafetensors, type Tensor } from '../nn/safetensors.ts';
import type { Checkpoint } from '../train/checkpoint.ts';

export const MODEL_FORMAT = 'kinema-model-1';

/** The default weights that ship in the repository. */
export const DEFAULT_WEIGHTS = resolve(
  dirname(fileURLToPath(import.meta.url)),
  '../../weights/kinema.safetensors',
);

export interface ModelBundle {
  /** Model id, e.g. "kinema-small-0001". */
  id: string;
  preset: ModelPreset;
  autoencoder: HostParams;
  dit: HostParams;
  tokenizer: Tokenizer;
  /** Multiplies encoder latents to unit variance before diffusion (and divides before decoding). */
  latentScale: number;
  /** Training facts and scores, as recorded when the bundle was made. */
  card: Record<string, unknown>;
}

export class WeightsError extends Error {
  override name = 'WeightsError';
}

export async function loadModel(path: string = DEFAULT_WEIGHTS): Promise<ModelBundle> {
  if (!existsSync(path)) {
    throw new WeightsError(
      `no model weights at ${path}${path === DEFAULT_WEIGHTS ? ' (the default weights are missing from this checkout)' : ''}`,
    );
  }
  let file: Awaited<ReturnType<typeof loadSafetensors>>;
  try {
    file = await loadSafetensors(path);
  } catch (err) {
    throw new WeightsError((err as Error).message);
  }
  const { metadata, tensors } = file;
  if (metadata.format !== MODEL_FORMAT) {
    throw new WeightsError(`${path} is not a Kinema model (format "${metadata.format ?? 'none'}")`);
  }
  const autoencoder: HostParams = {};
  const dit: HostParams = {};
  for (const [name, t] of Object.entries(tensors)) {
    const target = name.startsWith('autoencoder/') ? autoencoder : name.startsWith('dit/') ? dit : undefined;
    if (!target) throw new WeightsError(`${path}: unexpected tensor "${name}"`);
    target[name.slice(name.indexOf('/') + 1)] = { shape: t.shape, data: t.data };
  }
  try {
    return {
      id: metadata.id ?? 'kinema',
      preset: JSON.parse(metadata.preset!) as ModelPreset,
      autoencoder,
      dit,
      tokenizer: parseTokenizer(metadata.tokenizer!),
      latentScale: Number(metadata.latentScale),
      card: JSON.parse(metadata.card ?? '{}') as Record<string, unknown>,
    };
  } catch (err) {
    throw new WeightsError(`${path}: broken metadata (${(err as Error).message})`);
  }
}

/** Writes a bundle as fp16 safetensors + `<name>.json` config beside it (atomically). */
export async function saveModel(
  path: string,
  bundle: ModelBundle,
  dtype: Tensor['dtype'] = 'F16',
): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tensors: Record<string, Tensor> = {};
  for (const [name, { shape, data }] of Object.entries(bundle.autoencoder))
    tensors[`autoencoder/${name}`] = { dtype, shape, data };
  for (const [name, { shape, data }] of Object.entries(bundle.dit))
    tensors[`dit/${name}`] = { dtype, shape, data };
  await saveSafetensors(path, tensors, {
    format: MODEL_FORMAT,
    id: bundle.id,
    preset: JSON.stringify(bundle.preset),
    tokenizer: JSON.stringify(bundle.tokenizer),
    latentScale: String(bundle.latentScale),
    card: JSON.stringify(bundle.card),
  });
  const configPath = join(dirname(path), `${basename(path, '.safetensors')}.json`);
  const temporary = `${configPath}.tmp`;
  await writeFile(
    temporary,
    `${JSON.stringify({ id: bundle.id, preset: bundle.preset, latentScale: bundle.latentScale, card: bundle.card }, null, 2)}\n`,
  );
  await rename(temporary, configPath);
}

/** What a training checkpoint says about its model: the preset it was trained with. */
function checkpointPreset(ckpt: Checkpoint): ModelPreset {
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
  id?: string;
}

/**
 * A bundle from training checkpoints (their EMA weights), optionally on top of an existing bundle:
 * e.g. a new DiT and a fine-tuned decoder over the shipped model's encoder.
 */
export function packBundle(parts: BundleParts): ModelBundle {
  const { base, autoencoder, decoder, dit } = parts;
  if (!base && (!autoencoder || !dit))
    throw new WeightsError('packing needs a base model, or both an autoencoder and a DiT checkpoint');
  for (const [role, ckpt] of [
    ['autoencoder', autoencoder],
    ['decoder', decoder],
    ['dit', dit],
  ] as const) {
    if (ckpt && ckpt.stage !== role)
      throw new WeightsError(`the ${role} checkpoint is a ${ckpt.stage} checkpoint`);
  }
  const weightsOf = (ckpt: Checkpoint) => ckpt.ema ?? ckpt.params;
  const card: Record<string, unknown> = { ...(base?.card ?? {}) };
  // The DiT fixes the preset's name and DiT half; the autoencoder's own run fixes its half.
  const preset: ModelPreset = structuredClone(dit ? checkpointPreset(dit) : base!.preset);
  preset.autoencoder = structuredClone(
    autoencoder ? checkpointPreset(autoencoder).autoencoder : base!.preset.autoencoder,
  );
  let autoencoderWeights: HostParams = autoencoder ? weightsOf(autoencoder) : base!.autoencoder;
  if (autoencoder)
    Object.assign(card, { autoencoderConfig: autoencoder.config, autoencoderSteps: autoencoder.step });
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
  return {
    id: parts.id ?? `kinema-${preset.name}-${card.ditSteps ?? 0}${decoder ? `-d${decoder.step}` : ''}`,
    preset,
    autoencoder: autoencoderWeights,
    dit: dit ? weightsOf(dit) : base!.dit,
    tokenizer: tokenizer!,
    latentScale: latentScale!,
    card,
  };
}
