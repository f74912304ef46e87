// A trained model on disk: one fp16 safetensors file with the autoencoder and the DiT (EMA
// weights), plus everything needed to run them (preset config, tokenizer, latent scale) in its
// metadata, and a JSON config beside it for people and tools. `weights/` in the repo holds the
// default. Training makes bundles (train/pack.ts); the pipeline loads them.
import { existsSync } from 'node:fs';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { HostParams } from '../nn/params.ts';
import { loadSafetensors, saveSafetensors, type Tensor } from '../nn/safetensors.ts';
import type { ModelPreset } from './presets.ts';
import { parseTokenizer, type Tokenizer } from './text.ts';

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
