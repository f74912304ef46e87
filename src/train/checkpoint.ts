// A checkpoint is one record, in one safetensors file: weights, their EMA, the AdamW moments, the
// run's config, the step, and any text the model needs (the tokenizer). Tensors are named by
// section (`params/…`, `ema/…`, `adam_m/…`, `adam_v/…`) so other tools can read them; everything
// else sits in the header's string metadata.
//
// Written atomically (temporary file, then rename): a crash or a full disk mid-write leaves the
// previous checkpoint as it was.

import type { HostParams } from '../nn/params.ts';
import { loadSafetensors, saveSafetensors, type Tensor } from '../nn/safetensors.ts';

export const CHECKPOINT_FORMAT = 'kinema-checkpoint-1';

export type CheckpointSection = 'params' | 'ema' | 'adam_m' | 'adam_v';
const SECTIONS: CheckpointSection[] = ['params', 'ema', 'adam_m', 'adam_v'];

export interface Checkpoint {
  /**
   * Which network this trains: the autoencoder, the DiT with its caption encoder, the
   * autoencoder's decoder alone on a frozen encoder's latents, or the caption encoder alone.
   */
  stage: 'autoencoder' | 'dit' | 'decoder' | 'text';
  /** Optimizer steps taken so far. */
  step: number;
  /** The run's full configuration (preset, data, optimizer), as validated at the edge. */
  config: unknown;
  params: HostParams;
  ema?: HostParams;
  adamM?: HostParams;
  adamV?: HostParams;
  /**
   * Updates the moments hold, when fewer than `step` (they started at zero part-way through the
   * schedule, as when a run starts from a model's weights); absent: as many as `step`.
   */
  adamSteps?: number;
  /** Extra string records, e.g. `tokenizer` (JSON) or `scores` (JSON). */
  extra?: Record<string, string>;
}

export class CheckpointError extends Error {
  override name = 'CheckpointError';
}

export async function saveCheckpoint(
  path: string,
  ckpt: Checkpoint,
  dtype: Tensor['dtype'] = 'F32',
): Promise<void> {
  const tensors: Record<string, Tensor> = {};
  const bySection: Record<CheckpointSection, HostParams | undefined> = {
    params: ckpt.params,
    ema: ckpt.ema,
    adam_m: ckpt.adamM,
    adam_v: ckpt.adamV,
  };
  for (const section of SECTIONS) {
    const host = bySection[section];
    if (!host) continue;
    for (const [name, { shape, data }] of Object.entries(host))
      tensors[`${section}/${name}`] = { dtype, shape, data };
  }
  const metadata: Record<string, string> = {
    format: CHECKPOINT_FORMAT,
    stage: ckpt.stage,
    step: String(ckpt.step),
    config: JSON.stringify(ckpt.config),
  };
  if (ckpt.adamSteps !== undefined && ckpt.adamM) metadata.adam_steps = String(ckpt.adamSteps);
  for (const [key, value] of Object.entries(ckpt.extra ?? {})) metadata[`extra.${key}`] = value;
  await saveSafetensors(path, tensors, metadata);
}

export async function loadCheckpoint(path: string): Promise<Checkpoint> {
  let file: Awaited<ReturnType<typeof loadSafetensors>>;
  try {
    file = await loadSafetensors(path);
  } catch (err) {
    throw new CheckpointError((err as Error).message);
  }
  const { metadata, tensors } = file;
  if (metadata.format !== CHECKPOINT_FORMAT) {
    throw new CheckpointError(`${path} is not a Kinema checkpoint (format "${metadata.format ?? 'none'}")`);
  }
  const sections: Partial<Record<CheckpointSection, HostParams>> = {};
  for (const [key, tensor] of Object.entries(tensors)) {
    const slash = key.indexOf('/');
    const section = key.slice(0, slash) as CheckpointSection;
    if (!SECTIONS.includes(section)) throw new CheckpointError(`${path}: unexpected tensor "${key}"`);
    sections[section] ??= {};
    sections[section][key.slice(slash + 1)] = { shape: tensor.shape, data: tensor.data };
  }
  if (!sections.params) throw new CheckpointError(`${path}: no parameters`);
  const extra: Record<string, string> = {};
  for (const [key, value] of Object.entries(metadata))
    if (key.startsWith('extra.')) extra[key.slice(6)] = value;
  const stage = metadata.stage;
  if (stage !== 'autoencoder' && stage !== 'dit' && stage !== 'decoder' && stage !== 'text')
    throw new CheckpointError(`${path}: unknown stage "${stage}"`);
  return {
    stage,
    step: Number(metadata.step),
    config: JSON.parse(metadata.config ?? 'null'),
    params: sections.params,
    ema: sections.ema,
    adamM: sections.adam_m,
    adamV: sections.adam_v,
    ...(metadata.adam_steps !== undefined && { adamSteps: Number(metadata.adam_steps) }),
    extra,
  };
}
