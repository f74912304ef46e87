// `kinema eval judge --frames DIR --spec truth.json [--json]`: judge a folder of PNG frames
// against a scene spec with the oracle and print the scores (or the full JSON report).
import { readdirSync, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type Command, Option } from 'commander';
import { PNG } from 'pngjs';
import { ensureJax } from '../engine/jax.ts';
import {
  type CaptionModel,
  captionMotionHeads,
  captionUnderstanding,
  DEFAULT_CAPTION_UNDERSTANDING,
} from '../eval/captionUnderstanding.ts';
import { classEstimateGrid, DEFAULT_CLASS_ESTIMATES } from '../eval/classEstimates.ts';
import { classFollowing, DEFAULT_CLASS_FOLLOWING } from '../eval/classFollowing.ts';
import { scoreClip } from '../eval/oracle.ts';
import { roundTripCeiling } from '../eval/reconstruction.ts';
import { captionSensitivity, DEFAULT_SENSITIVITY } from '../eval/sensitivity.ts';
import { runSuite, type SuiteReport } from '../eval/suite.ts';
import { DEFAULT_TOKEN_CLASS, tokenClassProbe } from '../eval/tokenClass.ts';
import { writeAtomically } from '../media/atomic.ts';
import { encodePng } from '../media/png.ts';
import { DEFAULT_WEIGHTS, loadModel, WeightsError } from '../models/bundle.ts';
import type { ModelPreset } from '../models/presets.ts';
import { parseTokenizer } from '../models/text.ts';
import { VideoPipeline } from '../pipeline/generate.ts';
import { DEFAULT_SETTINGS } from '../pipeline/settings.ts';
import { CHECKPOINT_FORMAT, loadCheckpoint } from '../train/checkpoint.ts';
import { checkpointPreset } from '../train/pack.ts';
import { parseSpec, type SceneSpec } from '../world/spec.ts';
import { guidanceIntervalOption } from './generate.ts';
import { createProgressBar } from './progress.ts';
import { backgroundList } from './train.ts';

/** The frames folder or spec file cannot be used. */
export class EvalInputError extends Error {
  override name = 'EvalInputError';
  static readonly userError = true;
}

/** `--times 0.7,0.9`: flow times in (0, 1]. */
function noiseLevels(list: unknown): number[] {
  const times = String(list).split(',').map(Number);
  if (!times.every((t) => t > 0 && t <= 1))
    throw new EvalInputError(`--times must be in (0, 1], got ${list}`);
  return times;
}

/** A spec file may hold the spec itself or a ground-truth document with a `spec` field. */
function readSpec(path: string): SceneSpec {
  let doc: unknown;
  try {
    doc = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new EvalInputError(`cannot read spec ${path}: ${(err as Error).message}`);
  }
  const inner =
    doc !== null && typeof doc === 'object' && 'spec' in doc ? (doc as { spec: unknown }).spec : doc;
  return parseSpec(inner);
}

/** PNG frames of a folder in name order → (frames, height, width, 3) RGB. */
function readFrames(dir: string, spec: SceneSpec): Uint8Array {
  let names: string[];
  try {
    names = readdirSync(dir)
      .filter((n) => n.toLowerCase().endsWith('.png'))
      .sort();
  } catch (err) {
    throw new EvalInputError(`cannot read frames folder ${dir}: ${(err as Error).message}`);
  }
  if (names.length !== spec.frames) {
    throw new EvalInputError(`${dir} has ${names.length} PNG frames, the spec says ${spec.frames}`);
  }
  const out = new Uint8Array(spec.frames * spec.height * spec.width * 3);
  names.forEach((name, f) => {
    const png = PNG.sync.read(readFileSync(join(dir, name)));
    if (png.width !== spec.width || png.height !== spec.height) {
      throw new EvalInputError(
        `${name} is ${png.width}x${png.height}, the spec says ${spec.width}x${spec.height}`,
      );
    }
    const o = f * spec.width * spec.height * 3;
    for (let i = 0; i < spec.width * spec.height; i++) {
      out[o + 3 * i] = png.data[4 * i]!;
      out[o + 3 * i + 1] = png.data[4 * i + 1]!;
      out[o + 3 * i + 2] = png.data[4 * i + 2]!;
    }
  });
  return out;
}

export function registerEvalCommands(program: Command): void {
  const evalCmd = program
    .command('eval')
    .description('Judge videos against their scene specs with the oracle.');
  evalCmd
    .command('judge')
    .description('Score a folder of PNG frames against a scene spec (or a ground-truth JSON with a "spec").')
    .requiredOption('--frames <dir>', 'folder of PNG frames, read in name order')
    .requiredOption('--spec <file>', 'scene spec JSON')
    .option('--seed <n>', 'seed of the reference render (textures only)', '0')
    .option('--json', 'print the full JSON report')
    .action((opts: { frames: string; spec: string; seed: string; json?: boolean }) => {
      const spec = readSpec(opts.spec);
      const report = scoreClip(spec, readFrames(opts.frames, spec), { seed: Number(opts.seed) || 0 });
      if (opts.json) {
        process.stdout.write(`${JSON.stringify(report)}\n`);
        return;
      }
      for (const [dim, score] of Object.entries(report.scores)) {
        process.stdout.write(`${dim.padEnd(12)} ${score === null ? 'n/a' : score.toFixed(3)}\n`);
      }
      process.stdout.write(`${'overall'.padEnd(12)} ${report.overall.toFixed(3)}\n`);
    });
  evalCmd
    .command('autoencoder')
    .description(
      "Score the autoencoder's round trips of the suite's held-out scenes: the ceiling any DiT on its latents can reach.",
    )
    .option('--weights <file>', 'model weights, or an autoencoder checkpoint.safetensors', DEFAULT_WEIGHTS)
    .option('--count <n>', 'number of scenes', '40')
    .option('--level <n>', 'curriculum level the scenes are drawn from', '0')
    .option('--backgrounds <list>', "draw the level's scenes on these backgrounds instead", backgroundList)
    .option('--json', 'print the aggregate as JSON')
    .action(async (opts) => {
      const count = Number(opts.count);
      if (!(count >= 1)) throw new EvalInputError('--count must be positive');
      const { autoencoder, weights } = await autoencoderFrom(opts.weights);
      const report = await roundTripCeiling(autoencoder, weights, {
        count,
        level: Number(opts.level),
        backgrounds: opts.backgrounds,
        width: 64,
        height: 64,
        frames: 17,
      });
      if (opts.json) {
        process.stdout.write(`${JSON.stringify(report)}\n`);
        return;
      }
      process.stdout.write(`${'psnr'.padEnd(12)} ${report.psnr.toFixed(2)} dB\n`);
      for (const [dim, { mean, count: n }] of Object.entries(report.dimensions)) {
        process.stdout.write(`${dim.padEnd(12)} ${mean === null ? 'n/a' : mean.toFixed(3)}  (${n} clips)\n`);
      }
      process.stdout.write(`${'overall'.padEnd(12)} ${report.overall.toFixed(3)}\n`);
    });
  evalCmd
    .command('suite')
    .description('Generate videos for held-out world prompts and score them with the oracle.')
    .option('--weights <files...>', 'model weights; several are scored side by side on the same prompts', [
      DEFAULT_WEIGHTS,
    ])
    .option('--count <n>', 'number of prompts', '200')
    .option('--level <n>', 'curriculum level the prompts are drawn from (see src/train/curriculum.ts)', '0')
    .option(
      '--backgrounds <list>',
      "draw the level's scenes on these backgrounds instead (as `train --backgrounds`)",
      backgroundList,
    )
    .option('--size <WxH>', 'frame size', '64x64')
    .option('--frames <n>', 'frames per clip', '17')
    .option('--steps <n>', 'sampling steps', String(DEFAULT_SETTINGS.steps))
    .option('--guidance <scale>', 'guidance scale', String(DEFAULT_SETTINGS.guidanceScale))
    .addOption(guidanceIntervalOption())
    .addOption(new Option('--sampler <name>', 'sampler').choices(['euler', 'heun']).default('euler'))
    .option('--shift <s>', 'timestep shift of the sampling schedule (default 3, as trained)')
    .addOption(
      new Option(
        '--caption <style>',
        "prompt style: the world's detailed or short captions, or hand-written prompts scored on what they state",
      )
        .choices(['detailed', 'short', 'written'])
        .default('detailed'),
    )
    .option(
      '--factorized',
      'sample the first frame as a still, then the clip from it',
      DEFAULT_SETTINGS.factorized,
    )
    .option('--no-factorized', 'sample the whole clip at once')
    .option('--expand', 'expand each prompt into a detailed caption first, as generate and the API do', false)
    .option(
      '--true-first-frame',
      "image-to-video from each reference clip's first frame: scores motion apart from layout",
      false,
    )
    .option('--json', 'print the aggregate of each model as one JSON line')
    .action(async (opts) => {
      const [width, height] = String(opts.size).split('x').map(Number);
      const count = Number(opts.count);
      if (!(count >= 1) || !width || !height) throw new EvalInputError('--count and --size must be positive');
      if (opts.shift !== undefined && !(Number(opts.shift) > 0))
        throw new EvalInputError(`--shift must be a positive number, got ${opts.shift}`);
      const scored: { id: string; report: SuiteReport }[] = [];
      for (const weights of opts.weights as string[]) {
        const pipeline = await VideoPipeline.load(weights);
        const bar = createProgressBar(`eval ${pipeline.model.id}`, count, process.stderr, {
          quiet: Boolean(opts.json),
        });
        const report = await runSuite(pipeline, {
          count,
          level: Number(opts.level),
          backgrounds: opts.backgrounds,
          width,
          height,
          frames: Number(opts.frames),
          fps: 8,
          steps: Number(opts.steps),
          guidanceScale: Number(opts.guidance),
          guidanceInterval: opts.guidanceInterval,
          sampler: opts.sampler,
          ...(opts.shift === undefined ? {} : { shift: Number(opts.shift) }),
          captionStyle: opts.caption,
          expand: Boolean(opts.expand),
          factorized: Boolean(opts.factorized),
          trueFirstFrame: Boolean(opts.trueFirstFrame),
          onClip: (i) => bar.update(i + 1),
        });
        bar.finish();
        await pipeline.dispose();
        if (opts.json)
          process.stdout.write(`${JSON.stringify({ id: pipeline.model.id, weights, ...report })}\n`);
        scored.push({ id: pipeline.model.id, report });
      }
      if (!opts.json) process.stdout.write(suiteTable(scored));
    });
  evalCmd
    .command('sensitivity')
    .description(
      'Does the DiT use a caption word? x0 error at high noise with one attribute changed in the caption, over the true caption (1 = ignored).',
    )
    .option('--weights <files...>', 'model weights; several are measured on the same prompts', [
      DEFAULT_WEIGHTS,
    ])
    .option('--count <n>', 'number of held-out level-0 prompts', String(DEFAULT_SENSITIVITY.count))
    .option(
      '--times <list>',
      'noise levels (1 = pure noise), comma-separated',
      DEFAULT_SENSITIVITY.times.join(','),
    )
    .option('--json', 'print each model as one JSON line')
    .action(async (opts) => {
      const count = Number(opts.count);
      if (!(count >= 1)) throw new EvalInputError('--count must be positive');
      const times = noiseLevels(opts.times);
      for (const weights of opts.weights as string[]) {
        const pipeline = await VideoPipeline.load(weights);
        const report = await captionSensitivity(pipeline, { ...DEFAULT_SENSITIVITY, count, times });
        await pipeline.dispose();
        if (opts.json) {
          process.stdout.write(`${JSON.stringify({ id: pipeline.model.id, weights, ...report })}\n`);
          continue;
        }
        process.stdout.write(
          `${pipeline.model.id}: error with the attribute changed ÷ with the true caption\n`,
        );
        for (const [attribute, byTime] of Object.entries(report.ratios)) {
          const cells = Object.entries(byTime).map(
            ([t, r]) => `t=${t}: ${r === null ? 'n/a' : r.toFixed(3)}`,
          );
          const n = report.prompts[attribute as keyof typeof report.prompts];
          process.stdout.write(`  ${attribute.padEnd(10)} ${cells.join('  ')}  (${n} prompts)\n`);
        }
        const errors = Object.entries(report.errors).map(
          ([t, e]) => `t=${t}: ${e === null ? 'n/a' : e.toFixed(4)}`,
        );
        process.stdout.write(`  x0 error with the true caption (object-weighted): ${errors.join('  ')}\n`);
      }
    });
  evalCmd
    .command('classes')
    .description(
      "What the DiT draws for each class: one-step estimates of a large still of every shape at several noise levels, under the true caption and under another class's, as one PNG grid.",
    )
    .requiredOption('-o, --out <file>', 'PNG to write')
    .option('--weights <file>', 'model weights', DEFAULT_WEIGHTS)
    .option(
      '--times <list>',
      'noise levels (1 = pure noise), comma-separated',
      DEFAULT_CLASS_ESTIMATES.times.join(','),
    )
    .option('--seed <n>', 'scene and noise seed', String(DEFAULT_CLASS_ESTIMATES.seed))
    .action(async (opts) => {
      const times = noiseLevels(opts.times);
      const seed = Number(opts.seed);
      if (!Number.isInteger(seed) || seed < 0)
        throw new EvalInputError(`--seed must be a non-negative integer, got ${opts.seed}`);
      const pipeline = await VideoPipeline.load(opts.weights);
      try {
        const grid = await classEstimateGrid(pipeline, { ...DEFAULT_CLASS_ESTIMATES, times, seed });
        const png = encodePng(grid.rgb, grid.width, grid.height);
        await writeAtomically(opts.out, (tmp) => writeFile(tmp, png));
        process.stdout.write(
          `${pipeline.model.id}: wrote ${opts.out} (rows: ${grid.rows.map((r) => r.class).join(', ')}; columns: reference, then per t in ${times.join(', ')} the true caption and another class's)\n`,
        );
      } finally {
        await pipeline.dispose();
      }
    });
  evalCmd
    .command('class-edit')
    .description(
      "Does the caption's class win over the shape in the input? Held-out clips edited (noised to each strength, denoised) under the caption with another class: the result's class scored against that class (the word won) and the clip's own (the input won).",
    )
    .option('--weights <files...>', 'model weights; several are measured on the same clips', [
      DEFAULT_WEIGHTS,
    ])
    .option('--count <n>', 'number of held-out level-0 clips', String(DEFAULT_CLASS_FOLLOWING.count))
    .option(
      '--strengths <list>',
      'edit strengths (the noise level the clip is taken to), comma-separated',
      DEFAULT_CLASS_FOLLOWING.strengths.join(','),
    )
    .option('--json', 'print each model as one JSON line')
    .action(async (opts) => {
      const count = Number(opts.count);
      if (!(Number.isInteger(count) && count >= 1))
        throw new EvalInputError('--count must be a positive integer');
      const strengths = String(opts.strengths).split(',').map(Number);
      if (!strengths.every((s) => s >= 0 && s <= 1))
        throw new EvalInputError(`--strengths must be in [0, 1], got ${opts.strengths}`);
      for (const weights of opts.weights as string[]) {
        const pipeline = await VideoPipeline.load(weights);
        try {
          const report = await classFollowing(pipeline, { ...DEFAULT_CLASS_FOLLOWING, count, strengths });
          if (opts.json) {
            process.stdout.write(`${JSON.stringify({ id: pipeline.model.id, weights, ...report })}\n`);
            continue;
          }
          process.stdout.write(`${pipeline.model.id}: class after editing ${report.prompts} clips\n`);
          for (const [strength, r] of Object.entries(report.byStrength))
            process.stdout.write(
              `  strength ${strength}: another class's caption: follows the word ${r.followsWord.toFixed(3)}, keeps the input ${r.keepsInput.toFixed(3)}; own caption ${r.trueCaption.toFixed(3)}\n`,
            );
        } finally {
          await pipeline.dispose();
        }
      }
    });
  evalCmd
    .command('tokens')
    .description(
      "Does the DiT carry the caption's class on the object's own tokens? A linear probe on the tokens after a block (held-out stills, half fit, half scored; chance 0.10), under the true caption and under another class's.",
    )
    .option('--weights <files...>', 'model weights', [DEFAULT_WEIGHTS])
    .option('--block <n>', 'read the tokens after this many blocks (default: the middle of the DiT)')
    .option(
      '--times <list>',
      'noise levels (1 = pure noise), comma-separated',
      DEFAULT_TOKEN_CLASS.times.join(','),
    )
    .option('--count <n>', 'held-out stills (half fit the probe)', String(DEFAULT_TOKEN_CLASS.count))
    .option('--json', 'print one JSON line per model and noise level')
    .action(async (opts) => {
      const times = noiseLevels(opts.times);
      const count = Number(opts.count);
      if (!Number.isInteger(count) || count < 20)
        throw new EvalInputError(`--count must be an integer of at least 20, got ${opts.count}`);
      for (const weights of opts.weights as string[]) {
        const pipeline = await VideoPipeline.load(weights);
        try {
          const depth = pipeline.model.preset.dit.depth;
          const block = opts.block === undefined ? undefined : Number(opts.block);
          if (block !== undefined && !(Number.isInteger(block) && block >= 1 && block <= depth))
            throw new EvalInputError(
              `--block must be an integer from 1 to ${depth} (the DiT's depth), got ${opts.block}`,
            );
          const results = await tokenClassProbe(pipeline, { block, times, count });
          for (const r of results) {
            if (opts.json)
              process.stdout.write(`${JSON.stringify({ id: pipeline.model.id, weights, ...r })}\n`);
            else
              process.stdout.write(
                `${pipeline.model.id}: block ${r.block}, t = ${r.t}: class from the tokens ${r.trueCaption.toFixed(2)} (chance ${(1 / r.classes).toFixed(2)}), with another class's caption ${r.swappedCaption.toFixed(2)} (${r.tokens} object tokens)\n`,
              );
          }
        } finally {
          await pipeline.dispose();
        }
      }
    });
  evalCmd
    .command('captions')
    .description(
      'How much of what captions state the caption encoder keeps: a linear probe per attribute on the pooled caption vector, against the same probe on word counts.',
    )
    .option('--weights <files...>', 'model bundles, or DiT or text-stage training checkpoints', [
      DEFAULT_WEIGHTS,
    ])
    .option(
      '--count <n>',
      'held-out level-0 captions (80 % fit the probe)',
      String(DEFAULT_CAPTION_UNDERSTANDING.count),
    )
    .option(
      '--caption <style>',
      'caption style: short, detailed or long',
      DEFAULT_CAPTION_UNDERSTANDING.style,
    )
    .option('--json', 'print each model as one JSON line')
    .action(async (opts) => {
      const count = Number(opts.count);
      if (!(count >= 10)) throw new EvalInputError('--count must be at least 10');
      if (!['short', 'detailed', 'long'].includes(opts.caption))
        throw new EvalInputError('--caption is short, detailed or long');
      await ensureJax();
      for (const weights of opts.weights as string[]) {
        const { id, model } = await captionModelFrom(weights);
        const report = await captionUnderstanding(model, { count, style: opts.caption });
        const motionHeads = await captionMotionHeads(model, { count, style: opts.caption });
        if (opts.json) {
          const heads = motionHeads.length ? { motionHeads } : {};
          process.stdout.write(
            `${JSON.stringify({ id, weights, style: opts.caption, ...report, ...heads })}\n`,
          );
          continue;
        }
        process.stdout.write(`${id}: attribute read from the caption (held-out accuracy)\n`);
        process.stdout.write(`  ${'attribute'.padEnd(10)} encoder  words  majority\n`);
        for (const [attribute, a] of Object.entries(report)) {
          const cells = [a.encoder, a.bagOfWords, a.majority].map((v) => v.toFixed(2).padStart(7));
          process.stdout.write(`  ${attribute.padEnd(10)}${cells.join('')}  (${a.captions} captions)\n`);
        }
        if (!motionHeads.length) continue;
        process.stdout.write(
          '  co-moving rotary heads: alignment with the stated direction (1 = moves the way captions say), and speed along it (tokens per latent frame)\n',
        );
        for (const h of motionHeads)
          process.stdout.write(
            `    block ${h.block} head ${h.head}  alignment ${h.alignment.toFixed(2).padStart(5)}  along ${h.along.toFixed(2).padStart(5)}\n`,
          );
      }
    });
}

/** The caption encoder of a model bundle, or of a DiT or text-stage training checkpoint (its EMA). */
async function captionModelFrom(path: string): Promise<{ id: string; model: CaptionModel }> {
  const model = await loadModel(path).catch((err: Error) => {
    if (err instanceof WeightsError && err.message.includes(CHECKPOINT_FORMAT)) return undefined;
    throw err;
  });
  if (model) return { id: model.id, model };
  const ckpt = await loadCheckpoint(path);
  if ((ckpt.stage !== 'dit' && ckpt.stage !== 'text') || !ckpt.extra?.tokenizer)
    throw new EvalInputError(`${path} is a ${ckpt.stage} checkpoint, not a DiT or text one`);
  return {
    id: `${path} (step ${ckpt.step})`,
    model: {
      preset: checkpointPreset(ckpt),
      dit: ckpt.ema ?? ckpt.params,
      tokenizer: parseTokenizer(ckpt.extra.tokenizer),
    },
  };
}

/** One row per dimension, one column per model: the mean, and the clips it was judged on. */
function suiteTable(scored: readonly { id: string; report: SuiteReport }[]): string {
  const width = Math.max(14, ...scored.map(({ id }) => id.length + 2));
  const cell = (text: string) => text.padStart(width);
  const lines = [`${'dimension'.padEnd(12)}${scored.map(({ id }) => cell(id)).join('')}`];
  for (const dim of Object.keys(scored[0]!.report.dimensions)) {
    const cells = scored.map(({ report }) => {
      const { mean, count } = report.dimensions[dim as keyof SuiteReport['dimensions']];
      return cell(mean === null ? 'n/a' : `${mean.toFixed(3)} (${count})`);
    });
    lines.push(`${dim.padEnd(12)}${cells.join('')}`);
  }
  lines.push(
    `${'overall'.padEnd(12)}${scored.map(({ report }) => cell(report.overall.toFixed(3))).join('')}`,
  );
  return `${lines.join('\n')}\n`;
}

/** The autoencoder of a model bundle, or of an autoencoder training checkpoint (its EMA). */
async function autoencoderFrom(path: string) {
  const model = await loadModel(path).catch((err: Error) => {
    if (err instanceof WeightsError && err.message.includes(CHECKPOINT_FORMAT)) return undefined;
    throw err;
  });
  if (model) return { autoencoder: model.preset.autoencoder, weights: model.autoencoder };
  const ckpt = await loadCheckpoint(path);
  if (ckpt.stage !== 'autoencoder') throw new EvalInputError(`${path} is a ${ckpt.stage} checkpoint`);
  const preset = (ckpt.config as { presetConfig?: ModelPreset }).presetConfig;
  if (!preset) throw new EvalInputError(`${path} does not record its model configuration`);
  return { autoencoder: preset.autoencoder, weights: ckpt.ema ?? ckpt.params };
}
