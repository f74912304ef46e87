// The trainer: owns one run's state (parameters, AdamW moments, EMA, step) and moves it forward.
//
// Two stages share this loop. The autoencoder learns pixels ↔ latents first; the DiT (with its
// caption encoder) then learns rectified flow on those latents. Each stage supplies a loss and a
// batch maker; the whole training step (loss, gradients, clipping, AdamW) runs as one ONNX graph
// in onnxruntime-node (src/engine/trainStep.ts). Checkpoints are atomic; a run stopped at any
// point resumes exactly, because every batch is a pure function of (seed, step).
import { appendFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { numpy as np } from '@jax-js/jax';
import {
  DEFAULT_CONDITIONING,
  ditLoss,
  type FlowNegatives,
  type HiddenLoss,
  objectLossWeights,
  SWAP_MIN_TIMESTEP,
  sampleCaptionKeep,
  sampleConditionMask,
  sampleNoise,
  sampleTimesteps,
  swapNoisyInputs,
} from '../diffusion/flow.ts';
import { ArraySpec, exportInference } from '../engine/export.ts';
import { ensureJax } from '../engine/jax.ts';
import { type HostTensor, OrtSession } from '../engine/session.ts';
import { OrtTrainStep, type TrainsParameter } from '../engine/trainStep.ts';
import {
  type AutoencoderConfig,
  type AutoencoderLossWeights,
  autoencoderLoss,
  autoencoderParamSpec,
  DEFAULT_LOSS_WEIGHTS,
  decoderLoss,
  decoderParamSpec,
  encode,
  latentFrameCount,
  PIXEL_OBJECT_RAMP,
  widenLatentChannels,
} from '../models/autoencoder.ts';
import { loadModel, type ModelBundle } from '../models/bundle.ts';
import { ditParamSpec } from '../models/dit.ts';
import { getPreset, type ModelPreset } from '../models/presets.ts';
import {
  encodeText,
  extendTokenizer,
  parseTokenizer,
  readsEveryWord,
  type TextEncoderConfig,
  type Tokenizer,
  textEncoder,
  textEncoderParamSpec,
  tokenizeBatch,
  trainTokenizer,
} from '../models/text.ts';
import type { AdamWConfig } from '../nn/adamw.ts';
import { createEma, emaDecayAt, updateEma } from '../nn/ema.ts';
import { initParams, Rng } from '../nn/init.ts';
import {
  fromHostParams,
  type HostParams,
  type Params,
  refParams,
  toHostParams,
  withParams,
} from '../nn/params.ts';
import {
  captionProbeLoss,
  captionProbeParamSpec,
  captionTargetSpecs,
  captionTargets,
  probeTargetsOf,
} from './captionProbe.ts';
import { type Checkpoint, loadCheckpoint, saveCheckpoint } from './checkpoint.ts';
import {
  type ClipBatch,
  type ClipSourceOptions,
  shardBatch,
  worldBatch,
  worldCaptionBatch,
  worldCaptions,
} from './clips.ts';
import type { TrainConfig } from './config.ts';
import { type LossPoint, renderLossCurve } from './lossCurve.ts';
import { ShardReader } from './shards.ts';
import {
  tokenGridOf,
  tokenProbeBlock,
  tokenProbeLoss,
  tokenProbeParamSpec,
  tokenTargetSpecs,
  tokenTargets,
} from './tokenProbe.ts';

export class TrainingError extends Error {
  override name = 'TrainingError';
}

export interface StepReport {
  step: number;
  loss: number;
  gradNorm: number;
  lr: number;
  /** Wall time of this step, batch making included. */
  seconds: number;
  /** The clip shape it trained on, as WIDTHxHEIGHTxFRAMES (one of the run's buckets). */
  clip: string;
}

/** What differs between the autoencoder and the DiT: parameters, loss, and how a batch is made. */
interface Stage {
  initialParams(): Params;
  loss(params: Params, batch: Record<string, np.Array>): np.Array;
  /** Shapes and dtypes of one batch of clips of the given shape. */
  batchShapes(shape: BatchShape): Record<string, ArraySpec>;
  makeBatch(step: number, shape: BatchShape): Promise<Record<string, HostTensor>>;
  /** Strings stored with every checkpoint (tokenizer, latent scale, …). */
  extra(): Record<string, string>;
  /** Trained weights a fresh run starts from instead of its random init, where they exist. */
  warmStart?: HostParams;
  /** Which parameters the optimizer updates (default all); the rest stay as they start. */
  trains?: TrainsParameter;
  /** A trained tensor whose shape differs from the model's, adapted (undefined: refuse). */
  adapt?(
    name: string,
    trained: HostParams[string],
    fresh: HostParams[string],
  ): HostParams[string] | undefined;
}

/** One clip shape a run trains on, with its batch size. */
export interface BatchShape {
  batch: number;
  width: number;
  height: number;
  frames: number;
}

export function clipShapeOf(config: TrainConfig, preset: ModelPreset): BatchShape {
  return {
    batch: config.batch ?? (config.stage === 'text' ? TEXT_BATCH : preset.training.batch),
    width: config.width ?? preset.training.width,
    height: config.height ?? preset.training.height,
    frames: config.frames ?? preset.training.frames,
  };
}

/**
 * The shapes a run trains on: its one clip shape, or its aspect/duration buckets (as Sora trains
 * on native sizes). A bucket without a batch size keeps the pixels per batch of the base shape.
 */
export function bucketsOf(config: TrainConfig, preset: ModelPreset): BatchShape[] {
  const base = clipShapeOf(config, preset);
  const buckets = config.buckets?.length ? config.buckets : [base];
  const grid = preset.autoencoder.patchSize * preset.dit.patch[1];
  const basePixels = base.width * base.height * base.frames;
  return buckets.map((b) => {
    if (b.width % grid !== 0 || b.height % grid !== 0)
      throw new TrainingError(`bucket ${b.width}x${b.height}: width and height must be multiples of ${grid}`);
    latentFrameCount(preset.autoencoder, b.frames); // throws for frame counts the autoencoder cannot take
    const batch =
      b.batch ?? Math.max(1, Math.round((base.batch * basePixels) / (b.width * b.height * b.frames)));
    return { batch, width: b.width, height: b.height, frames: b.frames };
  });
}

/** The bucket a step trains on: a pure function of (seed, step), so a resumed run replays it. */
export function bucketAt(config: TrainConfig, buckets: readonly BatchShape[], step: number): BatchShape {
  if (buckets.length === 1) return buckets[0]!;
  return buckets[Math.floor(Rng.derive(config.seed, `bucket:${step}`).uniform() * buckets.length)]!;
}

function shapeKey(shape: BatchShape): string {
  return `${shape.width}x${shape.height}x${shape.frames}:${shape.batch}`;
}

function pixelShapeOf(shape: BatchShape): number[] {
  return [shape.batch, shape.frames, shape.height, shape.width, 3];
}

function latentShapeOf(cfg: AutoencoderConfig, shape: BatchShape): number[] {
  const { patchSize, latentChannels } = cfg;
  return [
    shape.batch,
    latentFrameCount(cfg, shape.frames),
    shape.height / patchSize,
    shape.width / patchSize,
    latentChannels,
  ];
}

/** The frozen encoder as one ORT session per clip shape, made when a shape is first needed. */
function encoderSessions(cfg: AutoencoderConfig, weights: HostParams) {
  const sessions = new Map<string, ReturnType<typeof encoderSession>>();
  return (shape: BatchShape) => {
    const pixelShape = pixelShapeOf(shape);
    const key = pixelShape.join('x');
    if (!sessions.has(key)) sessions.set(key, encoderSession(cfg, weights, pixelShape));
    return sessions.get(key)!;
  };
}

function clipSource(config: TrainConfig, preset: ModelPreset): ClipSourceOptions {
  const shape = clipShapeOf(config, preset);
  return {
    seed: config.seed,
    ...shape,
    fps: config.fps,
    level: config.data.level,
    maxObjects: config.data.maxObjects,
    backgrounds: config.data.backgrounds,
    mix: config.data.mix,
  };
}

/** Captions the tokenizer's vocabulary is trained on: the world's, or the shard set's own. */
function trainingCaptions(config: TrainConfig, source: ClipSourceOptions): string[] {
  if (config.data.source === 'world') return worldCaptions(source, 2000);
  const reader = new ShardReader(config.data.shards!);
  const count = Math.min(reader.length, 5000);
  const captions = Array.from({ length: count }, (_, i) => Object.values(reader.info(i).captions)).flat();
  reader.close();
  return captions;
}

/**
 * Batches of training clips of a given shape from the configured source; world captions worded in
 * the words `reads` accepts (the DiT's tokenizer), when given.
 */
function clipMaker(
  config: TrainConfig,
  preset: ModelPreset,
  reads?: (phrase: string) => boolean,
): (step: number, shape: BatchShape) => ClipBatch {
  const source = { ...clipSource(config, preset), reads };
  if (config.data.source === 'world')
    return (step, shape) =>
      worldBatch({ ...source, ...shape }, step, shape.batch, {
        masks: config.tokenProbe > 0,
        negatives: config.classContrast > 0 || config.classSwapInput > 0,
      });
  const reader = new ShardReader(config.data.shards!);
  if (reader.length === 0) throw new TrainingError(`${config.data.shards} holds no clips`);
  return (step, shape) => shardBatch(reader, { ...source, ...shape }, step, shape.batch);
}

function pixelWeightShapeOf(shape: BatchShape): number[] {
  return [shape.batch, shape.frames, shape.height, shape.width, 1];
}

/** The autoencoder's and decoder's loss terms, with the run's edge weight. */
function reconstructionWeights(config: TrainConfig): AutoencoderLossWeights {
  return { ...DEFAULT_LOSS_WEIGHTS, edges: config.edgeWeight };
}

/** Object-weighted reconstruction: silhouettes are what the oracle (and a viewer) tells classes by. */
function pixelWeights(config: TrainConfig, pixels: Float32Array, shape: BatchShape): HostTensor {
  return {
    data: objectLossWeights(pixels, pixelShapeOf(shape), config.objectWeight, PIXEL_OBJECT_RAMP),
    shape: pixelWeightShapeOf(shape),
  };
}

function autoencoderStage(config: TrainConfig, preset: ModelPreset, bundle?: ModelBundle): Stage {
  const cfg = preset.autoencoder;
  const clips = clipMaker(config, preset);
  const lossWeights = reconstructionWeights(config);
  return {
    initialParams: () => initParams(autoencoderParamSpec(cfg), config.seed),
    loss: (params, batch) => autoencoderLoss(params, cfg, batch.pixels!, lossWeights, batch.pixelWeight),
    batchShapes: (shape) => ({
      pixels: new ArraySpec(pixelShapeOf(shape)),
      pixelWeight: new ArraySpec(pixelWeightShapeOf(shape)),
    }),
    async makeBatch(step, shape) {
      const { pixels } = clips(step, shape);
      return {
        pixels: { data: pixels, shape: pixelShapeOf(shape) },
        pixelWeight: pixelWeights(config, pixels, shape),
      };
    },
    extra: () => ({}),
    // From a shipped model: its trained autoencoder, with any blocks the preset adds as new, and
    // more latent channels if the preset has them.
    warmStart: bundle?.autoencoder,
    adapt: widenLatentChannels,
  };
}

/** The autoencoder's encoder as an ORT session with its weights fed as inputs. */
export async function encoderSession(
  cfg: AutoencoderConfig,
  weights: HostParams,
  pixelShape: number[],
): Promise<{ run(pixels: Float32Array): Promise<Float32Array> }> {
  const session = await frozenSession(
    (params: Params, pixels: np.Array) => encode(params, cfg, pixels),
    weights,
    { pixels: new ArraySpec(pixelShape) },
  );
  return { run: (pixels) => session.run({ pixels: { data: pixels, shape: pixelShape } }) };
}

/** The caption encoder's token outputs (batch, length, width) for a batch shape, weights frozen. */
function textTokenSession(cfg: TextEncoderConfig, weights: HostParams, batch: number, length: number) {
  return frozenSession(
    (params: Params, ids: np.Array, mask: np.Array) => {
      const text = encodeText(params, cfg, ids, mask);
      text.mask.dispose();
      text.pooled.dispose();
      return text.tokens; // (batch, length, width)
    },
    weights,
    { ids: new ArraySpec([batch, length], 'int32'), mask: new ArraySpec([batch, length]) },
  );
}

/** `fn(params, ...inputs)` with fixed weights as one ONNX Runtime session: inputs in, one array out. */
async function frozenSession(
  fn: (params: Params, ...inputs: np.Array[]) => np.Array,
  weights: HostParams,
  inputs: Record<string, ArraySpec>,
): Promise<{ run(feeds: Record<string, HostTensor>): Promise<Float32Array> }> {
  const specs = Object.fromEntries(Object.entries(weights).map(([k, v]) => [k, new ArraySpec(v.shape)]));
  const graph = exportInference(fn, [specs, ...Object.values(inputs)], {
    argNames: ['params', ...Object.keys(inputs)],
    outputNames: ['output'],
  });
  const session = await OrtSession.create(graph.model);
  const weightFeeds: Record<string, HostTensor> = {};
  for (const [k, v] of Object.entries(weights)) weightFeeds[`params.${k}`] = v;
  return {
    async run(feeds) {
      const out = await session.run({ ...weightFeeds, ...feeds });
      return Object.values(out)[0]!.data as Float32Array;
    },
  };
}

/** The preset's autoencoder must be the bundle's, but for the decoder's extra blocks. */
function checkSameEncoder(preset: ModelPreset, bundle: ModelBundle): void {
  const { decoderSpacetimeBlocks: _ours, ...encoderSide } = preset.autoencoder;
  const { decoderSpacetimeBlocks: _theirs, ...bundleSide } = bundle.preset.autoencoder;
  if (JSON.stringify(encoderSide) !== JSON.stringify(bundleSide))
    throw new TrainingError(
      `preset ${preset.name}'s autoencoder (${JSON.stringify(encoderSide)}) is not ${bundle.id}'s (${JSON.stringify(bundleSide)})`,
    );
}

/** A bundle's caption encoder (`text.` weights), for a fresh DiT with the same encoder config. */
function captionEncoderOf(bundle: ModelBundle, preset: ModelPreset): HostParams {
  if (JSON.stringify(preset.dit.text) !== JSON.stringify(bundle.preset.dit.text))
    throw new TrainingError(
      `preset ${preset.name}'s caption encoder (${JSON.stringify(preset.dit.text)}) is not ${bundle.id}'s (${JSON.stringify(bundle.preset.dit.text)})`,
    );
  checkSameEncoder(preset, bundle);
  return Object.fromEntries(Object.entries(bundle.dit).filter(([name]) => name.startsWith('text.')));
}

/** The frozen autoencoder's weights: from --autoencoder, else from the bundle the run starts from. */
async function autoencoderWeights(config: TrainConfig, bundle?: ModelBundle): Promise<HostParams> {
  if (!config.autoencoder) return bundle!.autoencoder;
  const ae = await loadCheckpoint(config.autoencoder);
  if (ae.stage !== 'autoencoder')
    throw new TrainingError(`${config.autoencoder} is not an autoencoder checkpoint`);
  return ae.ema ?? ae.params;
}

/**
 * The decoder alone, learning to reconstruct clips from a frozen encoder's latents. The latents do
 * not change, so a DiT trained on them stays valid; new decoder blocks start as the identity.
 */
async function decoderStage(config: TrainConfig, preset: ModelPreset, bundle?: ModelBundle): Promise<Stage> {
  const cfg = preset.autoencoder;
  if (bundle) checkSameEncoder(preset, bundle);
  const aeWeights = await autoencoderWeights(config, bundle);
  const clips = clipMaker(config, preset);
  const encoderFor = encoderSessions(cfg, aeWeights);
  const lossWeights = reconstructionWeights(config);
  return {
    initialParams: () => initParams(decoderParamSpec(cfg), config.seed),
    loss: (params, batch) =>
      decoderLoss(params, cfg, batch.latents!, batch.pixels!, lossWeights, batch.pixelWeight),
    batchShapes: (shape) => ({
      latents: new ArraySpec(latentShapeOf(cfg, shape)),
      pixels: new ArraySpec(pixelShapeOf(shape)),
      pixelWeight: new ArraySpec(pixelWeightShapeOf(shape)),
    }),
    async makeBatch(step, shape) {
      const { pixels } = clips(step, shape);
      const encoder = await encoderFor(shape);
      return {
        latents: { data: await encoder.run(pixels), shape: latentShapeOf(cfg, shape) },
        pixels: { data: pixels, shape: pixelShapeOf(shape) },
        pixelWeight: pixelWeights(config, pixels, shape),
      };
    },
    extra: () => ({}),
    warmStart: aeWeights,
  };
}

async function ditStage(
  config: TrainConfig,
  preset: ModelPreset,
  resumed?: Checkpoint,
  bundle?: ModelBundle,
): Promise<Stage> {
  const aeWeights = await autoencoderWeights(config, bundle);
  const aeCfg = preset.autoencoder;
  const source = clipSource(config, preset);
  const encoderFor = encoderSessions(aeCfg, aeWeights);
  const base = clipShapeOf(config, preset);
  const probe = config.captionProbe; // weight of the caption-probe loss (0: none)
  const tokenProbe = config.tokenProbe; // weight of the token-probe loss (0: none)
  const contrast = config.classContrast; // λ of the class negatives (0: none)
  // Which samples get a class-swapped noisy input: its own seeded draw, so runs without the
  // option replay exactly as before.
  const swapSamples = (step: number, timesteps: ArrayLike<number>, present: boolean[]) =>
    config.classSwapInput > 0
      ? present.map((has, b) => {
          const u = Rng.derive(config.seed, `swap input:${step}:${b}`).uniform();
          return has && timesteps[b]! >= SWAP_MIN_TIMESTEP && u < config.classSwapInput;
        })
      : undefined;
  const cells = config.tokenProbeCells; // the token probe's parts per token side
  const tokenSide = tokenGridOf(aeCfg, preset.dit, base).tokenPixels;
  if (tokenSide.some((pixels) => pixels % cells !== 0))
    throw new TrainingError(
      `--token-probe-cells ${cells} does not divide ${preset.name}'s tokens (${tokenSide.join('×')} pixels)`,
    );

  const tokenizer: Tokenizer = resumed?.extra?.tokenizer
    ? parseTokenizer(resumed.extra.tokenizer)
    : bundle
      ? config.extendVocab
        ? extendTokenizer(bundle.tokenizer, trainingCaptions(config, source), {
            maxVocab: preset.dit.text.vocabSize,
          })
        : bundle.tokenizer
      : trainTokenizer(trainingCaptions(config, source), {
          maxLength: preset.dit.text.maxLength,
          maxVocab: preset.dit.text.vocabSize,
        });
  const makeClips = clipMaker(config, preset, readsEveryWord(tokenizer));
  // Latents are scaled to unit variance for the diffusion (as Stable Diffusion's 0.18215); measured
  // once on fresh clips and kept with the run so a resumed run uses the same scale.
  const latentScale = resumed?.extra?.latentScale
    ? Number(resumed.extra.latentScale)
    : config.freshDit
      ? bundle!.latentScale
      : 1 / standardDeviation(await (await encoderFor(base)).run(makeClips(-2, base).pixels));
  return {
    initialParams: () =>
      initParams(
        {
          ...ditParamSpec(preset.dit),
          ...(probe ? captionProbeParamSpec(preset.dit.text.width) : {}),
          ...(tokenProbe ? tokenProbeParamSpec(preset.dit.width, cells) : {}),
        },
        config.seed,
      ),
    loss: (params, batch) => {
      const flowBatch = {
        latents: batch.latents!,
        noise: batch.noise!,
        timestep: batch.timestep!,
        captionIds: batch.captionIds!,
        captionMask: batch.captionMask!,
        captionKeep: batch.captionKeep!,
        conditionMask: batch.conditionMask!,
        lossWeight: batch.lossWeight!,
      };
      const tokens: HiddenLoss | undefined = tokenProbe
        ? {
            afterBlock: tokenProbeBlock(preset.dit),
            loss: (p, hidden) =>
              tokenProbeLoss(p, hidden, batch.tokenTarget!, batch.tokenWeight!).mul(tokenProbe),
          }
        : undefined;
      const negatives: FlowNegatives | undefined = contrast
        ? { latents: batch.negativeLatents!, present: batch.negativePresent!, weight: contrast }
        : undefined;
      const extras = { hiddenLoss: tokens, negatives };
      if (!probe) return ditLoss(params, preset.dit, flowBatch, extras);
      const flow = ditLoss(
        refParams(params),
        preset.dit,
        { ...flowBatch, captionIds: flowBatch.captionIds.ref, captionMask: flowBatch.captionMask.ref },
        extras,
      );
      const probed = withParams(params, (p) => {
        const text = textEncoder(p.at('text'), preset.dit.text, flowBatch.captionIds, flowBatch.captionMask);
        text.tokens.dispose();
        text.mask.dispose();
        return captionProbeLoss(p, text.pooled, probeTargetsOf(batch));
      });
      return flow.add(probed.mul(probe)); // scalar
    },
    batchShapes: (shape) => ({
      ...ditBatchShapes(aeCfg, shape, tokenizer.maxLength),
      ...(probe ? captionTargetSpecs(shape.batch) : {}),
      ...(tokenProbe ? tokenTargetSpecs(shape.batch, tokenGridOf(aeCfg, preset.dit, shape), cells) : {}),
      ...(contrast
        ? {
            negativeLatents: new ArraySpec(latentShapeOf(aeCfg, shape)),
            negativePresent: new ArraySpec([shape.batch]),
          }
        : {}),
    }),
    async makeBatch(step, shape) {
      const clips = makeClips(step, shape);
      const latents = await (await encoderFor(shape)).run(clips.pixels);
      const batch = ditBatch(config, aeCfg, tokenizer, latentScale, {
        step,
        shape,
        latents,
        captions: clips.captions,
      });
      // Negatives through the same encoder and scale; none where the caption was dropped (the
      // unconditional prediction cannot know the class, so it must not be pushed off one, nor
      // be asked to draw one that its input does not show).
      const negativeLatents =
        clips.negatives &&
        (await (await encoderFor(shape)).run(clips.negatives.pixels)).map((v) => v * latentScale);
      const present = clips.negatives?.present.map((has, b) => has && batch.captionKeep!.data[b] === 1);
      // ditBatch drew noise and timesteps as float32 and scaled `latents` in place
      const [noise, timesteps] = [batch.noise!.data as Float32Array, batch.timestep!.data as Float32Array];
      const swapped = negativeLatents && present && swapSamples(step, timesteps, present);
      if (swapped) swapNoisyInputs(noise, latents, negativeLatents, timesteps, swapped);
      const negatives = contrast &&
        negativeLatents &&
        present && {
          negativeLatents: { data: negativeLatents, shape: latentShapeOf(aeCfg, shape) },
          // a swapped sample's noise no longer leads to its negative: no repulsion there
          negativePresent: {
            data: Float32Array.from(present, (has, b) => (has && !swapped?.[b] ? 1 : 0)),
            shape: [shape.batch],
          },
        };
      return {
        ...batch,
        ...negatives,
        ...(probe ? captionTargets(clips.labels) : {}),
        ...(tokenProbe
          ? tokenTargets(clips.masks ?? [], tokenGridOf(aeCfg, preset.dit, shape), shape, cells)
          : {}),
      };
    },
    extra: () => ({ tokenizer: JSON.stringify(tokenizer), latentScale: String(latentScale) }),
    // A shipped DiT moved onto another autoencoder (create() gives no checkpoint then): everything
    // but the layers that read and write latents carries over when the latent channels change.
    // A fresh DiT keeps only the bundle's caption encoder.
    warmStart: config.freshDit ? captionEncoderOf(bundle!, preset) : bundle?.dit,
    // A frozen caption encoder keeps what the words mean while the DiT learns something new: an
    // auxiliary loss let it drift and short prompts lost their background colours (model card).
    trains: config.freezeText ? (name) => !name.startsWith('text.') : undefined,
    adapt: (name, _trained, fresh) =>
      name.startsWith('patchEmbed.') || name.startsWith('final.') ? fresh : undefined,
  };
}

/** Captions per step of the text stage (only the batch of a BatchShape matters to it). */
const TEXT_BATCH = 256;
/**
 * Weight of the anchor term of the text stage: mean squared change of the encoder's token outputs
 * from where they started (layer-normed, so about 2 per value between unrelated outputs). At 1 the
 * run of this session moved them by a small fraction of that while the probe's loss fell to 0.1.
 */
const TEXT_ANCHOR_WEIGHT = 1;

/**
 * The caption encoder alone, trained on the caption probe (src/train/captionProbe.ts): what a
 * pretrained text encoder is to other video models, here learned from the world's captions and
 * the scene specs behind them. It starts from a model bundle's encoder and tokenizer, and an anchor
 * term keeps its token outputs near where they started, so the DiT that reads them still can; a
 * DiT run from the bundle this makes (`weights pack --text`) then learns to use what is new.
 */
function textStage(
  config: TrainConfig,
  preset: ModelPreset,
  resumed?: Checkpoint,
  bundle?: ModelBundle,
): Stage {
  if (!bundle) throw new TrainingError('the text stage starts from a model: give --init-from MODEL');
  if (JSON.stringify(preset.dit.text) !== JSON.stringify(bundle.preset.dit.text))
    throw new TrainingError(
      `${config.initFrom} is a ${bundle.preset.name} model: train it with --preset ${bundle.preset.name}`,
    );
  // The anchor is the starting model's encoder: a resumed run must start from the same model.
  const startedFrom = resumed?.extra?.startingModel;
  if (startedFrom !== undefined && startedFrom !== bundle.id)
    throw new TrainingError(`this run started from ${startedFrom}, but ${config.initFrom} is ${bundle.id}`);
  if (config.data.source !== 'world')
    throw new TrainingError(
      'the text stage learns from world captions (their scenes are the answers), not shards',
    );
  const textCfg = bundle.preset.dit.text;
  const { tokenizer } = bundle;
  const length = tokenizer.maxLength;
  const startingEncoder: HostParams = {};
  for (const [name, tensor] of Object.entries(bundle.dit))
    if (name.startsWith('text.')) startingEncoder[name] = tensor;
  const source = { ...clipSource(config, preset), reads: readsEveryWord(tokenizer) };
  const anchorParams = Object.fromEntries(
    Object.entries(startingEncoder).map(([name, t]) => [name.slice('text.'.length), t]),
  );
  const anchors = new Map<number, ReturnType<typeof textTokenSession>>();
  const anchorFor = (batch: number) => {
    if (!anchors.has(batch)) anchors.set(batch, textTokenSession(textCfg, anchorParams, batch, length));
    return anchors.get(batch)!;
  };
  return {
    initialParams: () => {
      const spec = Object.fromEntries(
        Object.entries(textEncoderParamSpec(textCfg)).map(([name, entry]) => [`text.${name}`, entry]),
      );
      return initParams({ ...spec, ...captionProbeParamSpec(textCfg.width) }, config.seed);
    },
    loss: (params, batch) =>
      withParams(params, (p) => {
        const text = textEncoder(p.at('text'), textCfg, batch.captionIds!, batch.captionMask!); // tokens (batch, length, width)
        const mask = text.mask.reshape([...text.mask.shape, 1]); // (batch, length, 1)
        const moved = np.square(text.tokens.sub(batch.anchorTokens!)).mul(mask.ref).sum(); // scalar
        const anchor = moved.div(mask.sum().mul(textCfg.width).add(1e-6));
        return captionProbeLoss(p, text.pooled, probeTargetsOf(batch)).add(anchor.mul(TEXT_ANCHOR_WEIGHT));
      }),
    batchShapes: (shape) => ({
      captionIds: new ArraySpec([shape.batch, length], 'int32'),
      captionMask: new ArraySpec([shape.batch, length]),
      anchorTokens: new ArraySpec([shape.batch, length, textCfg.width]),
      ...captionTargetSpecs(shape.batch),
    }),
    async makeBatch(step, shape) {
      const { captions, labels } = worldCaptionBatch(source, step, shape.batch);
      const tokens = tokenizeBatch(tokenizer, captions, length);
      const ids = { data: tokens.ids, shape: [shape.batch, length] };
      const mask = { data: tokens.mask, shape: [shape.batch, length] };
      const anchor = await (await anchorFor(shape.batch)).run({ ids, mask }); // where the start put them
      return {
        captionIds: ids,
        captionMask: mask,
        anchorTokens: { data: anchor, shape: [shape.batch, length, textCfg.width] },
        ...captionTargets(labels),
      };
    },
    extra: () => ({ tokenizer: JSON.stringify(tokenizer), startingModel: bundle.id }),
    warmStart: startingEncoder,
  };
}

/** Shapes and dtypes of one DiT training batch of clips of a shape. */
export function ditBatchShapes(
  aeCfg: AutoencoderConfig,
  shape: BatchShape,
  captionLength: number,
): Record<string, ArraySpec> {
  const latentShape = latentShapeOf(aeCfg, shape);
  return {
    latents: new ArraySpec(latentShape),
    noise: new ArraySpec(latentShape),
    timestep: new ArraySpec([shape.batch]),
    captionIds: new ArraySpec([shape.batch, captionLength], 'int32'),
    captionMask: new ArraySpec([shape.batch, captionLength]),
    captionKeep: new ArraySpec([shape.batch]),
    conditionMask: new ArraySpec([shape.batch, latentShape[1]!]),
    lossWeight: new ArraySpec([...latentShape.slice(0, 4), 1]),
  };
}

/**
 * One DiT training batch from encoded clips: latents scaled to unit variance (in place), caption
 * tokens, and the step's seeded noise, timesteps, caption dropout and conditioning masks.
 */
export function ditBatch(
  config: Pick<
    TrainConfig,
    'seed' | 'timestepShift' | 'terminalFraction' | 'captionDropout' | 'objectWeight' | 'conditioning'
  >,
  aeCfg: AutoencoderConfig,
  tokenizer: Tokenizer,
  latentScale: number,
  clips: { step: number; shape: BatchShape; latents: Float32Array; captions: string[] },
): Record<string, HostTensor> {
  const { step, shape, latents } = clips;
  const { batch } = shape;
  const length = tokenizer.maxLength;
  const latentShape = latentShapeOf(aeCfg, shape);
  const latentFrames = latentShape[1]!;
  for (let i = 0; i < latents.length; i++) latents[i]! *= latentScale;
  const rng = Rng.derive(config.seed, `noise:${step}`);
  const captions = tokenizeBatch(tokenizer, clips.captions, length);
  // Draw order (noise, timesteps, dropout, masks) is part of the run: a resumed run replays it.
  const noise = sampleNoise(rng, latents.length);
  const timesteps = sampleTimesteps(rng, batch, {
    shift: config.timestepShift,
    terminalFraction: config.terminalFraction,
  });
  return {
    latents: { data: latents, shape: latentShape },
    noise: { data: noise, shape: latentShape },
    timestep: { data: timesteps, shape: [batch] },
    captionIds: { data: captions.ids, shape: [batch, length] },
    captionMask: { data: captions.mask, shape: [batch, length] },
    captionKeep: { data: sampleCaptionKeep(rng, batch, config.captionDropout), shape: [batch] },
    conditionMask: {
      data: sampleConditionMask(rng, batch, latentFrames, config.conditioning),
      shape: [batch, latentFrames],
    },
    lossWeight: {
      data: objectLossWeights(latents, latentShape, config.objectWeight),
      shape: [...latentShape.slice(0, 4), 1],
    },
  };
}

function standardDeviation(values: Float32Array): number {
  let sum = 0;
  let sq = 0;
  for (const v of values) {
    sum += v;
    sq += v * v;
  }
  const mean = sum / values.length;
  return Math.sqrt(Math.max(1e-8, sq / values.length - mean * mean));
}

export class Trainer {
  private readonly losses: LossPoint[] = [];

  /** One exported training step per clip shape, sharing one state (parameters, moments, step). */
  private readonly stepsByShape = new Map<string, OrtTrainStep>();

  private constructor(
    readonly config: TrainConfig,
    readonly preset: ModelPreset,
    private readonly stage: Stage,
    private readonly buckets: readonly BatchShape[],
    private readonly adamw: Partial<AdamWConfig>,
    /** The training step that holds the current state. */
    private active: OrtTrainStep,
    private readonly ema: HostParams,
    private step: number,
  ) {
    this.stepsByShape.set(shapeKey(bucketAt(config, buckets, step)), active);
  }

  /**
   * Builds the run. With `resume`, continues from `<out>/checkpoint.safetensors` when it exists;
   * otherwise, with `config.initFrom`, from that model bundle's weights (fresh AdamW moments).
   */
  static async create(config: TrainConfig, opts: { resume?: boolean } = {}): Promise<Trainer> {
    await ensureJax();
    const path = join(config.out, 'checkpoint.safetensors');
    let resumed: Checkpoint | undefined;
    if (opts.resume) {
      resumed = await loadCheckpoint(path).catch((err: Error) => {
        if ((err.message ?? '').includes('ENOENT')) return undefined;
        throw err;
      });
      if (resumed && resumed.stage !== config.stage) {
        throw new TrainingError(`${path} is a ${resumed.stage} checkpoint, not ${config.stage}`);
      }
      if (resumed) checkSameRun(path, resumed.config as Partial<TrainConfig>, config);
    }
    // A resumed run keeps the model it was started with, even where the preset has since gained
    // a layer (a run from a bundle gets the new layer, zero-initialised: see `continued`).
    const saved = (resumed?.config as { presetConfig?: ModelPreset } | undefined)?.presetConfig;
    const preset = saved ?? getPreset(config.preset);
    let bundle: ModelBundle | undefined;
    if (config.initFrom) bundle = await loadModel(config.initFrom);
    // The shipped DiT continues where it stopped, unless it moves onto another autoencoder's
    // latents: then it starts a new schedule from its weights (see ditStage's warm start).
    const continued =
      !resumed && bundle && config.stage === 'dit' && !config.autoencoder && !config.freshDit
        ? checkpointFromBundle(bundle)
        : undefined;
    resumed ??= continued;
    const stage =
      config.stage === 'autoencoder'
        ? autoencoderStage(config, preset, bundle)
        : config.stage === 'decoder'
          ? await decoderStage(config, preset, bundle)
          : config.stage === 'text'
            ? textStage(config, preset, resumed, bundle)
            : await ditStage(config, preset, resumed, bundle);
    const params = stage.initialParams();
    const host = await toHostParams(params);
    if (!resumed && stage.warmStart) resumed = warmStartCheckpoint(config, host, stage);
    // A layer the preset gained since the bundle was made (zero-initialised, such as frame
    // positions), or blocks a deeper preset appends (adaLN-zero: identities), start fresh; the
    // bundle's function is unchanged.
    if (continued) {
      const notHere = (why: string) =>
        new TrainingError(
          `${config.initFrom}'s DiT is not a ${preset.name} DiT (${why}): train it with its own preset or a deeper one, or start a new DiT on its autoencoder with --fresh-dit`,
        );
      const dropped = Object.keys(continued.params).find((name) => !host[name]);
      if (dropped) throw notHere(`the preset has no "${dropped}"`);
      const mismatch = Object.keys(continued.params).find(
        (name) => host[name]!.shape.join() !== continued.params[name]!.shape.join(),
      );
      if (mismatch)
        throw notHere(
          `"${mismatch}" has shape [${continued.params[mismatch]!.shape}], the preset's [${host[mismatch]!.shape}]`,
        );
      resumed = {
        ...continued,
        params: { ...host, ...continued.params },
        ema: { ...host, ...continued.ema },
      };
    }
    const adamw = {
      lr: config.lr,
      warmupSteps: config.warmupSteps,
      weightDecay: config.weightDecay,
      clipNorm: config.clipNorm,
      totalSteps: config.steps,
    };
    const buckets = bucketsOf(config, preset);
    const firstShape = bucketAt(config, buckets, resumed?.step ?? 0);
    const ortStep = await OrtTrainStep.create(stage.loss, params, stage.batchShapes(firstShape), {
      adamw,
      trains: stage.trains,
    });
    let ema = createEma(host);
    let step = 0;
    if (resumed) {
      const flat = (h: HostParams | undefined) =>
        h ? Object.fromEntries(Object.entries(h).map(([k, v]) => [k, v.data])) : undefined;
      const m = flat(resumed.adamM);
      const v = flat(resumed.adamV);
      const moments = m && v ? { m, v, steps: resumed.adamSteps } : undefined;
      ortStep.load(flat(resumed.params)!, moments, resumed.step + 1);
      ema = resumed.ema ?? createEma(resumed.params);
      step = resumed.step;
    }
    for (const p of Object.values(params)) p.dispose();
    const trainer = new Trainer(config, preset, stage, buckets, adamw, ortStep, ema, step);
    if (resumed) await trainer.readLog();
    return trainer;
  }

  private get logPath(): string {
    return join(this.config.out, 'log.jsonl');
  }

  /** Loss history of the steps before a resume, so the loss curve covers the whole run. */
  private async readLog(): Promise<void> {
    const text = await readFile(this.logPath, 'utf8').catch(() => '');
    for (const line of text.split('\n')) {
      if (!line.trim()) continue;
      try {
        const entry = JSON.parse(line) as Partial<StepReport>;
        if (typeof entry.step === 'number' && typeof entry.loss === 'number' && entry.step <= this.step) {
          this.losses.push({ step: entry.step, loss: entry.loss });
        }
      } catch {
        // a torn last line from a killed process: skip it
      }
    }
  }

  /** Appends one step's metrics to `<out>/log.jsonl`. */
  async log(report: StepReport): Promise<void> {
    await mkdir(this.config.out, { recursive: true });
    await appendFile(this.logPath, `${JSON.stringify({ ...report, time: new Date().toISOString() })}\n`);
  }

  get currentStep(): number {
    return this.step;
  }

  /** One optimizer step. A non-finite loss stops the run before it can spoil a checkpoint. */
  async trainStep(): Promise<StepReport> {
    const started = performance.now();
    const shape = bucketAt(this.config, this.buckets, this.step);
    const ortStep = await this.trainStepFor(shape);
    const batch = await this.stage.makeBatch(this.step, shape);
    const { loss, gradNorm, lr } = await ortStep.step(batch);
    if (!Number.isFinite(loss) || !Number.isFinite(gradNorm)) {
      // Keep the last good state: undo this step and checkpoint what came before it.
      ortStep.rollback();
      const path = await this.save();
      throw new TrainingError(
        `loss became ${loss} at step ${this.step + 1}; stopping. The state after step ${this.step} is saved in ${path}`,
      );
    }
    this.step++;
    updateEma(this.ema, this.hostParams(), emaDecayAt(this.step, this.config.emaDecay));
    this.losses.push({ step: this.step, loss });
    return {
      step: this.step,
      loss,
      gradNorm,
      lr,
      seconds: (performance.now() - started) / 1000,
      clip: `${shape.width}x${shape.height}x${shape.frames}`,
    };
  }

  /** The training step for a clip shape (exported when first needed), holding the current state. */
  private async trainStepFor(shape: BatchShape): Promise<OrtTrainStep> {
    const key = shapeKey(shape);
    let target = this.stepsByShape.get(key);
    if (!target) {
      const params = fromHostParams(this.hostParams());
      target = await OrtTrainStep.create(this.stage.loss, params, this.stage.batchShapes(shape), {
        adamw: this.adamw,
        trains: this.stage.trains,
      });
      for (const p of Object.values(params)) p.dispose();
      this.stepsByShape.set(key, target);
    }
    if (target !== this.active) {
      target.load(this.active.params, this.active.moments, this.active.nextStep);
      this.active = target;
    }
    return target;
  }

  private hostParams(): HostParams {
    const live = this.active.params;
    return Object.fromEntries(
      Object.entries(live).map(([k, data]) => [k, { shape: this.ema[k]!.shape, data }]),
    );
  }

  checkpoint(): Checkpoint {
    const withShapes = (record: Record<string, Float32Array>): HostParams =>
      Object.fromEntries(Object.entries(record).map(([k, data]) => [k, { shape: this.ema[k]!.shape, data }]));
    const { m, v, steps } = this.active.moments;
    return {
      stage: this.config.stage,
      step: this.step,
      config: { ...this.config, presetConfig: this.preset },
      params: withShapes(this.active.params),
      ema: this.ema,
      adamM: withShapes(m),
      adamV: withShapes(v),
      adamSteps: steps,
      extra: this.stage.extra(),
    };
  }

  /**
   * Writes the checkpoint (atomically) and the loss curve. A failed write — typically a full disk —
   * becomes a TrainingError that says which checkpoint is still on disk; nothing half-written stays.
   */
  async save(): Promise<string> {
    const path = join(this.config.out, 'checkpoint.safetensors');
    try {
      await mkdir(this.config.out, { recursive: true });
      await saveCheckpoint(path, this.checkpoint());
      await writeFile(join(this.config.out, 'loss.png'), renderLossCurve(this.losses));
    } catch (error) {
      const { code, message } = error as NodeJS.ErrnoException;
      const reason = code === 'ENOSPC' ? 'no space left on device' : message;
      const kept = await loadCheckpoint(path).then(
        (previous) => `the previous checkpoint (step ${previous.step}) is kept`,
        () => 'no earlier checkpoint is there',
      );
      throw new TrainingError(`could not save step ${this.step} to ${path}: ${reason}; ${kept}`);
    }
    return path;
  }

  async dispose(): Promise<void> {
    for (const ortStep of this.stepsByShape.values()) await ortStep.dispose();
  }
}

/**
 * A resumed run must be the same run: what decides its batches and its model cannot change,
 * or "resumes exactly" would silently stop being true. (Steps, lr and checkpointing may change.)
 */
function checkSameRun(path: string, saved: Partial<TrainConfig>, now: TrainConfig): void {
  const keys = [
    'preset',
    'batch',
    'width',
    'height',
    'frames',
    'buckets',
    'fps',
    'seed',
    'captionDropout',
    'terminalFraction',
    'conditioning',
    'captionProbe',
  ] as const;
  // Runs saved before `conditioning` and `captionProbe` were options trained with their defaults.
  const before: Partial<TrainConfig> = { conditioning: DEFAULT_CONDITIONING, captionProbe: 0, ...saved };
  const changed = keys.filter((k) => JSON.stringify(before[k]) !== JSON.stringify(now[k]));
  if (JSON.stringify(saved.data) !== JSON.stringify(now.data)) changed.push('data' as never);
  if (changed.length > 0) {
    throw new TrainingError(
      `${path} was trained with different ${changed.join(', ')}; resume with the same settings or use another --out`,
    );
  }
}

/** Step 0 of a run whose parameters come from trained weights where names and shapes match. */
function warmStartCheckpoint(config: TrainConfig, fresh: HostParams, stage: Stage): Checkpoint {
  const trained = stage.warmStart!;
  const params: HostParams = {};
  for (const [name, init] of Object.entries(fresh)) {
    const found = trained[name];
    if (!found || found.shape.join() === init.shape.join()) {
      params[name] = found ?? init;
      continue;
    }
    const adapted = stage.adapt?.(name, found, init);
    if (!adapted)
      throw new TrainingError(
        `trained weight "${name}" has shape [${found.shape}], the model needs [${init.shape}]`,
      );
    params[name] = adapted;
  }
  return { stage: config.stage, step: 0, config, params };
}

/** A shipped bundle seen as a DiT checkpoint: weights (its EMA), step and latent scale, no moments. */
function checkpointFromBundle(bundle: ModelBundle): Checkpoint {
  const card = bundle.card as { ditSteps?: number };
  const weights = bundle.dit;
  return {
    stage: 'dit',
    step: card.ditSteps ?? 0,
    config: bundle.card,
    params: weights,
    ema: weights,
    // no tokenizer: ditStage takes the bundle's, or extends it (--extend-vocab)
    extra: { latentScale: String(bundle.latentScale) },
  };
}

/** Parameters of a checkpoint as jax-js arrays (EMA when present: it samples better). */
export function checkpointParams(ckpt: Checkpoint, useEma = true): Params {
  return fromHostParams(useEma && ckpt.ema ? ckpt.ema : ckpt.params);
}
