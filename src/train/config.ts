// The configuration of a training run: validated once here, trusted everywhere after.
import { z } from 'zod';
import { DEFAULT_CONDITIONING } from '../diffusion/flow.ts';
import { DEFAULT_LOSS_WEIGHTS } from '../models/autoencoder.ts';
import { PRESETS } from '../models/presets.ts';
import { BACKGROUNDS } from '../world/spec.ts';

const presetNames = Object.keys(PRESETS) as [keyof typeof PRESETS, ...(keyof typeof PRESETS)[]];

export const trainConfigSchema = z.object({
  /**
   * The autoencoder trains first (pixels ↔ latents); the DiT then learns on its latents. The
   * decoder stage fine-tunes the decoder alone on the frozen encoder's latents, which leaves a
   * trained DiT valid. The text stage trains the caption encoder alone on the caption probe
   * (src/train/captionProbe.ts), starting from a model's encoder.
   */
  stage: z.enum(['autoencoder', 'dit', 'decoder', 'text']),
  preset: z.enum(presetNames).default('small'),
  /** Total optimizer steps of the run (the LR schedule ends here). */
  steps: z.number().int().min(1).max(10_000_000),
  /** Clip shape and batch; default: the preset's training shape. */
  batch: z.number().int().min(1).max(1024).optional(),
  width: z.number().int().min(8).max(1024).optional(),
  height: z.number().int().min(8).max(1024).optional(),
  frames: z.number().int().min(1).max(257).optional(),
  /**
   * Aspect/duration buckets: each step trains on one of these clip shapes (picked by seed and
   * step), so one run learns several sizes and lengths. Batch: default keeps the pixels per batch.
   */
  buckets: z
    .array(
      z.object({
        width: z.number().int().min(8).max(1024),
        height: z.number().int().min(8).max(1024),
        frames: z.number().int().min(1).max(257),
        batch: z.number().int().min(1).max(1024).optional(),
      }),
    )
    .min(1)
    .optional(),
  fps: z.number().positive().max(60).default(8),
  lr: z.number().positive().max(1).default(3e-4),
  warmupSteps: z.number().int().min(0).default(200),
  weightDecay: z.number().min(0).max(1).default(0.01),
  clipNorm: z.number().min(0).default(1),
  emaDecay: z.number().min(0).max(1).default(0.999),
  /**
   * Shift of the training timesteps towards noise; the sampler's schedule uses the same (3).
   * Several: each sample draws one of them (a mixture; [3, 1] trains low noise more).
   */
  timestepShift: z
    .union([z.number().min(1).max(10), z.array(z.number().min(1).max(10)).min(1).max(8)])
    .default(3),
  /** Share of samples trained at almost pure noise, where only the caption can decide the clip. */
  terminalFraction: z.number().min(0).max(1).default(0.25),
  /**
   * Shares of DiT samples that see some latent frames clean (src/diffusion/flow.ts
   * `sampleConditionMask`): the first (image-to-video, and the second stage of factorised
   * text-to-video), a prefix (extension), first and last (connect, loops). The rest are plain
   * text-to-video.
   */
  conditioning: z
    .object({
      firstFrame: z.number().min(0).max(1),
      prefix: z.number().min(0).max(1),
      firstAndLast: z.number().min(0).max(1),
    })
    .refine((c) => c.firstFrame + c.prefix + c.firstAndLast <= 1, 'the shares add up to more than 1')
    .default(DEFAULT_CONDITIONING),
  /**
   * DiT: weight of the caption-probe loss (src/train/captionProbe.ts): linear heads must read the
   * scene's attributes (direction, speed, colour, class, size, start place) from the pooled
   * caption, so the jointly trained caption encoder keeps what the words say. 0: off.
   */
  captionProbe: z.number().min(0).max(10).default(0),
  /**
   * DiT: weight of the token-probe loss (src/train/tokenProbe.ts): a head on the middle block's
   * tokens must say which class covers each token, from the rendered masks. 0: off.
   */
  tokenProbe: z.number().min(0).max(10).default(0),
  /**
   * DiT: the token probe asks about cells × cells parts of each token (1: the whole token, which
   * classes cover it; the token's side in pixels: which class covers each pixel, the silhouette).
   */
  tokenProbeCells: z.number().int().min(1).max(16).default(1),
  /**
   * DiT: λ of contrastive flow matching against class negatives (FlowNegatives in
   * src/diffusion/flow.ts, src/train/classNegatives.ts): predictions are pushed away from the
   * velocity towards the same clip with another class. Below 1 so the loss stays convex. 0: off.
   */
  classContrast: z.number().min(0).max(0.5).default(0),
  /**
   * DiT: share of captioned samples at t ≥ 0.5 whose noisy input shows the clip with another
   * class while the target stays the clip (`swapNoisyInputs` in src/diffusion/flow.ts): the class
   * word, not the input, must then decide the shape. 0: off.
   */
  classSwapInput: z.number().min(0).max(1).default(0),
  /**
   * DiT: keep the caption encoder (`text.` weights) as the run starts. Auxiliary losses on the DiT
   * otherwise reach the jointly trained encoder through cross-attention and can move what it says
   * about words they do not score (the token-probe run lost background colours on short prompts).
   */
  freezeText: z.boolean().default(false),
  /**
   * DiT from a model (--init-from): add the words of this run's captions that the model's
   * tokenizer lacks (a level-0 model has never read "above" or "meadow"), on embedding rows not
   * used yet. The caption encoder is the model's; with --freeze-text the new words keep their
   * initial embeddings, which the DiT learns to read as they are.
   */
  extendVocab: z.boolean().default(false),
  /** Probability of training a sample with the null caption (what classifier-free guidance needs). */
  captionDropout: z.number().min(0).max(1).default(0.1),
  /**
   * Extra loss weight on what differs from its frame's background (objects): on latent positions
   * for the DiT (0 is a plain mean, under which the DiT learned backdrops and drew no objects), on
   * pixels for the autoencoder and decoder. See `objectLossWeights` in src/diffusion/flow.ts.
   */
  objectWeight: z.number().min(0).max(100).default(8),
  /**
   * Autoencoder and decoder: weight of the edge term (spatial and temporal gradients matched;
   * `AutoencoderLossWeights.edges`). Sharper outlines are what tells a star from a ball.
   */
  edgeWeight: z.number().min(0).max(100).default(DEFAULT_LOSS_WEIGHTS.edges),
  seed: z.number().int().min(0).default(0),
  /** Where training clips come from: the built-in world, or shards written by `world export`/`data ingest`. */
  data: z
    .object({
      source: z.enum(['world', 'shards']).default('world'),
      shards: z.string().optional(),
      /** World curriculum level (src/train/curriculum.ts): 0 = one shape, straight motion. */
      level: z.number().int().min(0).max(2).default(0),
      /** At most this many objects per clip (tighter than the level's own cap). */
      maxObjects: z.number().int().min(1).max(8).optional(),
      /**
       * The backgrounds scenes are drawn on, instead of the level's (e.g. level 0's one shape on
       * textured backgrounds: one new thing at a time; objects are the same as without it).
       */
      backgrounds: z.array(z.enum(BACKGROUNDS)).min(1).optional(),
      /** A share of the clips from another level, e.g. two-object level-1 scenes among level-0 ones. */
      mix: z.object({ level: z.number().int().min(0).max(2), share: z.number().min(0).max(1) }).optional(),
    })
    .default({ source: 'world', level: 0 }),
  /** The autoencoder checkpoint whose latents the DiT (or a decoder fine-tune) learns from. */
  autoencoder: z.string().optional(),
  /**
   * Continue from a shipped model bundle (weights/kinema.safetensors) when the run folder has no
   * checkpoint: its weights, step count, tokenizer and autoencoder; AdamW moments start afresh.
   */
  initFrom: z.string().optional(),
  /**
   * DiT stage with --init-from: a new DiT of the preset (fresh weights, step 0) on the bundle's
   * autoencoder, tokenizer, latent scale and caption encoder, e.g. one member of a scaling study.
   */
  freshDit: z.boolean().default(false),
  checkpointEvery: z.number().int().min(1).default(250),
  logEvery: z.number().int().min(1).default(10),
  out: z.string().min(1),
});
export type TrainConfig = z.infer<typeof trainConfigSchema>;
export type TrainConfigInput = z.input<typeof trainConfigSchema>;

export class TrainConfigError extends Error {
  override name = 'TrainConfigError';
}

export function parseTrainConfig(input: unknown): TrainConfig {
  const result = trainConfigSchema.safeParse(input);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    throw new TrainConfigError(
      `invalid training option "${issue.path.join('.') || '(root)'}": ${issue.message}`,
    );
  }
  const config = result.data;
  if (config.data.source === 'shards' && !config.data.shards) {
    throw new TrainConfigError(
      'data.source "shards" needs data.shards (a folder written by `kinema world export`)',
    );
  }
  if (config.data.mix && config.data.source !== 'world') {
    throw new TrainConfigError('--mix-level mixes world curriculum levels; shard sets have none');
  }
  if (config.captionProbe > 0 && (config.stage !== 'dit' || config.data.source !== 'world')) {
    throw new TrainConfigError(
      '--caption-probe needs the dit stage on world clips (shard clips carry no answers to probe for)',
    );
  }
  if (config.tokenProbeCells > 1 && config.tokenProbe === 0) {
    throw new TrainConfigError(
      '--token-probe-cells shapes the token probe; give it a weight with --token-probe',
    );
  }
  if (config.freezeText && config.stage !== 'dit') {
    throw new TrainConfigError(
      '--freeze-text holds the caption encoder of a DiT run; use it with --stage dit',
    );
  }
  if (config.freezeText && config.captionProbe > 0) {
    throw new TrainConfigError(
      '--caption-probe trains the caption encoder, which --freeze-text holds fixed: use one or the other',
    );
  }
  if (config.classContrast > 0 && (config.stage !== 'dit' || config.data.source !== 'world')) {
    throw new TrainConfigError(
      '--class-contrast needs the dit stage on world clips (a shard clip cannot be rendered again with another class)',
    );
  }
  if (config.classSwapInput > 0 && (config.stage !== 'dit' || config.data.source !== 'world')) {
    throw new TrainConfigError(
      '--class-swap-input needs the dit stage on world clips (a shard clip cannot be rendered again with another class)',
    );
  }
  if (config.tokenProbe > 0 && (config.stage !== 'dit' || config.data.source !== 'world')) {
    throw new TrainConfigError(
      '--token-probe needs the dit stage on world clips (shard clips carry no masks to probe for)',
    );
  }
  if (config.extendVocab && (config.stage !== 'dit' || !config.initFrom)) {
    throw new TrainConfigError(
      "--extend-vocab adds words to a model's tokenizer: it needs --stage dit and --init-from MODEL",
    );
  }
  if (config.stage === 'text' && !config.initFrom) {
    throw new TrainConfigError("the text stage trains a model's caption encoder: give --init-from MODEL");
  }
  if (config.freshDit && (config.stage !== 'dit' || !config.initFrom || config.autoencoder)) {
    throw new TrainConfigError(
      "--fresh-dit starts a new DiT on a model's autoencoder and caption encoder: it needs --stage dit and --init-from MODEL, without --autoencoder",
    );
  }
  if (config.stage !== 'autoencoder' && !config.autoencoder && !config.initFrom) {
    throw new TrainConfigError(
      `the ${config.stage} stage needs --autoencoder CHECKPOINT (train the autoencoder first) or --init-from MODEL`,
    );
  }
  return config;
}
