// `kinema train`: train the autoencoder or the DiT on the built-in world, with a progress bar,
// a JSONL log, a loss curve, atomic checkpoints every N steps and on Ctrl-C, and --resume.
import { type Command, InvalidArgumentError, Option } from 'commander';
import { PRESETS } from '../models/presets.ts';
import { parseTrainConfig } from '../train/config.ts';
import { Trainer } from '../train/trainer.ts';
import { BACKGROUNDS, type BackgroundKind } from '../world/spec.ts';
import { createProgressBar } from './progress.ts';

const int = (v: string) => Number.parseInt(v, 10);

/** "64x64x17,96x64x17:6" → buckets (width x height x frames, optional :batch). */
function parseBuckets(value: string) {
  return value.split(',').map((item) => {
    const match = /^(\d+)x(\d+)x(\d+)(?::(\d+))?$/.exec(item.trim());
    if (!match) throw new InvalidArgumentError(`"${item}" is not WIDTHxHEIGHTxFRAMES[:BATCH]`);
    const [, width, height, frames, batch] = match.map(Number);
    return { width: width!, height: height!, frames: frames!, batch: batch || undefined };
  });
}

/** "0.4,0.1,0.1" → shares of first-frame, prefix and first-and-last conditioning. */
function conditioningShares(value: string) {
  const shares = value.split(',').map((v) => Number(v.trim()));
  if (shares.length !== 3 || shares.some((v) => !Number.isFinite(v))) {
    throw new InvalidArgumentError(`"${value}" is not three numbers FIRST,PREFIX,ENDS`);
  }
  const [firstFrame, prefix, firstAndLast] = shares as [number, number, number];
  return { firstFrame, prefix, firstAndLast };
}

/** "3" → 3, "3,1" → [3, 1] (a mixture); the config's schema checks the range. */
function timestepShifts(value: string): number | number[] {
  const shifts = value.split(',').map((v) => Number(v.trim()));
  if (shifts.some((v) => !Number.isFinite(v)))
    throw new InvalidArgumentError(`"${value}" is not a list of numbers`);
  return shifts.length === 1 ? shifts[0]! : shifts;
}

function levelMix(value: string) {
  const [level, share] = value.split(':').map((v) => Number(v.trim()));
  if (!Number.isInteger(level) || !Number.isFinite(share) || value.split(':').length !== 2) {
    throw new InvalidArgumentError(`"${value}" is not LEVEL:SHARE (e.g. 1:0.3)`);
  }
  return { level: level!, share: share! };
}

/** "solid,grass,sky" → background kinds (the world's names; `kinema world vocab` lists them). */
export function backgroundList(value: string): BackgroundKind[] {
  const kinds = value.split(',').map((v) => v.trim());
  for (const kind of kinds)
    if (!(BACKGROUNDS as readonly string[]).includes(kind))
      throw new InvalidArgumentError(`"${kind}" is not a background: ${BACKGROUNDS.join(', ')}`);
  return kinds as BackgroundKind[];
}

export function registerTrainCommands(program: Command): void {
  program
    .command('train')
    .description(
      'train the autoencoder, then the DiT, on the built-in captioned-video world (decoder: fine-tune the decoder alone; text: the caption encoder alone, on what captions state)',
    )
    .addOption(
      new Option('--stage <stage>', 'what to train')
        .choices(['autoencoder', 'dit', 'decoder', 'text'])
        .makeOptionMandatory(),
    )
    .addOption(new Option('--preset <name>', 'model size').choices(Object.keys(PRESETS)).default('small'))
    .requiredOption('--steps <n>', 'total optimizer steps of the run', int)
    .requiredOption('--out <dir>', 'run folder: checkpoint.safetensors, log.jsonl, loss.png')
    .option('--autoencoder <checkpoint>', 'autoencoder checkpoint (dit and decoder stages)')
    .option('--resume', 'continue from <out>/checkpoint.safetensors if it exists', false)
    .option(
      '--init-from <model>',
      'start from a shipped model bundle (e.g. weights/kinema.safetensors) when <out> has no checkpoint; a deeper --preset (small-6blocks from a small model) appends identity blocks to its DiT',
    )
    .option('--batch <n>', 'clips per step (default: the preset; text stage: 256 captions)', int)
    .option('--width <px>', 'clip width (default: the preset)', int)
    .option('--height <px>', 'clip height (default: the preset)', int)
    .option('--frames <n>', 'clip frames, 1 + 2k (default: the preset)', int)
    .option(
      '--buckets <list>',
      'aspect/duration buckets, e.g. 64x64x17,96x64x17,64x96x9 (each step trains on one; :B sets its batch)',
      parseBuckets,
    )
    .option('--lr <rate>', 'peak learning rate', Number.parseFloat)
    .option('--warmup <steps>', 'learning-rate warm-up steps', int)
    .option(
      '--ema <decay>',
      "decay of the weights' moving average that checkpoints ship (default 0.999)",
      Number.parseFloat,
    )
    .option(
      '--shards <dir>',
      'train on a shard set (from `world export` or `data ingest`) instead of the live world',
    )
    .option(
      '--level <n>',
      'world curriculum level: 0 one shape, 1 two objects and all classes, 2 everything',
      int,
    )
    .option('--max-objects <n>', 'at most this many objects per clip', int)
    .option(
      '--backgrounds <list>',
      "draw scenes on these backgrounds instead of the level's, e.g. solid,grass,sky,sea,night (level 0's shape on textures; a name given twice is drawn twice as often)",
      backgroundList,
    )
    .option(
      '--mix-level <level:share>',
      'draw this share of the clips from another curriculum level (e.g. 1:0.3: two-object scenes among level-0 ones)',
      levelMix,
    )
    .option(
      '--extend-vocab',
      "DiT from a model: add this run's caption words the model's tokenizer lacks (e.g. level 1's \"above\")",
    )
    .option(
      '--edge-weight <w>',
      'autoencoder and decoder: weight of the edge term, gradients matched (default 0.5)',
      Number.parseFloat,
    )
    .option(
      '--object-weight <w>',
      'DiT: extra loss weight on latents that differ from the background (objects; default 8, 0: plain mean)',
      Number.parseFloat,
    )
    .option(
      '--terminal-fraction <p>',
      'DiT: share of samples trained at almost pure noise, where only the caption decides the clip (default 0.25)',
      Number.parseFloat,
    )
    .option(
      '--timestep-shift <shifts>',
      'DiT: shift of the training timesteps towards noise (default 3); several, comma-separated, are a mixture (3,1: more training at low noise)',
      timestepShifts,
    )
    .option(
      '--conditioning <first,prefix,ends>',
      'DiT: shares of samples that see their first latent frame, a prefix, or the first and last clean (default 0.1,0.05,0.05)',
      conditioningShares,
    )
    .option(
      '--caption-probe <w>',
      'DiT: weight of the loss that makes the caption encoder keep what captions state (direction, colour, …; default 0: off)',
      Number.parseFloat,
    )
    .option(
      '--token-probe <w>',
      "DiT: weight of the loss that makes the middle block's tokens say which object class covers them (default 0: off)",
      Number.parseFloat,
    )
    .option(
      '--token-probe-cells <n>',
      "DiT: the token probe names the class of each of n × n parts of a token (default 1: the whole token; the token's side in pixels: each pixel, the object's silhouette)",
      int,
    )
    .option(
      '--class-contrast <lambda>',
      'DiT: push predictions away from the same clip drawn with another class (contrastive flow matching; default 0: off, at most 0.5)',
      Number.parseFloat,
    )
    .option(
      '--class-swap-input <share>',
      'DiT: share of captioned samples at t ≥ 0.5 whose noisy input shows the clip with another class, the target staying the clip, so the word decides the shape (default 0: off)',
      Number.parseFloat,
    )
    .option(
      '--freeze-text',
      'DiT: keep the caption encoder as the run starts (train the DiT alone on what the words already mean)',
      false,
    )
    .option(
      '--fresh-dit',
      "DiT: a new DiT of --preset on the --init-from model's autoencoder and caption encoder (scaling studies)",
      false,
    )
    .option('--checkpoint-every <n>', 'steps between checkpoints', int)
    .option('--seed <n>', 'run seed', int)
    .option('--json', 'print one JSON line per logged step instead of a progress bar', false)
    .action(async (opts) => {
      const config = parseTrainConfig({
        stage: opts.stage,
        preset: opts.preset,
        steps: opts.steps,
        out: opts.out,
        autoencoder: opts.autoencoder,
        initFrom: opts.initFrom,
        freshDit: opts.freshDit,
        freezeText: opts.freezeText,
        batch: opts.batch,
        width: opts.width,
        height: opts.height,
        frames: opts.frames,
        buckets: opts.buckets,
        lr: opts.lr,
        objectWeight: opts.objectWeight,
        edgeWeight: opts.edgeWeight,
        extendVocab: opts.extendVocab,
        terminalFraction: opts.terminalFraction,
        timestepShift: opts.timestepShift,
        conditioning: opts.conditioning,
        captionProbe: opts.captionProbe,
        tokenProbe: opts.tokenProbe,
        tokenProbeCells: opts.tokenProbeCells,
        classContrast: opts.classContrast,
        classSwapInput: opts.classSwapInput,
        warmupSteps: opts.warmup,
        emaDecay: opts.ema,
        seed: opts.seed,
        checkpointEvery: opts.checkpointEvery,
        data: {
          source: opts.shards ? 'shards' : 'world',
          shards: opts.shards,
          level: opts.level ?? 0,
          maxObjects: opts.maxObjects,
          backgrounds: opts.backgrounds,
          mix: opts.mixLevel,
        },
      });
      await runTraining(config, { resume: opts.resume, json: opts.json });
    });
}

async function runTraining(
  config: ReturnType<typeof parseTrainConfig>,
  opts: { resume: boolean; json: boolean },
) {
  const trainer = await Trainer.create(config, { resume: opts.resume });
  if (trainer.currentStep >= config.steps) {
    process.stderr.write(
      `kinema: ${config.out} is already at step ${trainer.currentStep} of ${config.steps}\n`,
    );
    return;
  }
  let stopRequested = false;
  const onSignal = () => {
    if (stopRequested) process.exit(130); // a second Ctrl-C: leave now
    stopRequested = true;
    process.stderr.write(
      '\nkinema: stopping after this step and saving a checkpoint (Ctrl-C again to abort)\n',
    );
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const start = trainer.currentStep;
  const bar = createProgressBar(`train ${config.stage}`, config.steps, process.stderr, {
    quiet: opts.json,
    initial: start,
  });
  let lastLoss = Number.NaN;
  try {
    while (trainer.currentStep < config.steps && !stopRequested) {
      const report = await trainer.trainStep();
      lastLoss = report.loss;
      if (report.step % config.logEvery === 0 || report.step === start + 1) {
        await trainer.log(report);
        if (opts.json) process.stdout.write(`${JSON.stringify(report)}\n`);
      }
      bar.update(report.step, `loss ${report.loss.toFixed(4)} ${report.seconds.toFixed(2)}s/step`);
      if (report.step % config.checkpointEvery === 0) await trainer.save();
    }
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  const path = await trainer.save();
  bar.finish(`loss ${lastLoss.toFixed(4)}`, trainer.currentStep);
  process.stderr.write(`kinema: checkpoint at step ${trainer.currentStep}: ${path}\n`);
  await trainer.dispose();
}
