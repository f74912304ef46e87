// `kinema generate PROMPT -o out.mp4`: text → video with the shipped weights (or --weights).
import { type Command, Option } from 'commander';
import { DEFAULT_WEIGHTS } from '../models/bundle.ts';
import { GenerationError, VideoPipeline, validShape } from '../pipeline/generate.ts';
import {
  auditLogOf,
  LOCAL_IDENTITY_NOTICE,
  operatorSettingsFromEnv,
  provenanceFor,
} from '../pipeline/operator.ts';
import { OUTPUT_FORMATS, type OutputFormat, writeOutput } from '../pipeline/output.ts';
import { expansionNote } from '../pipeline/promptExpansion.ts';
import { DEFAULT_SETTINGS } from '../pipeline/settings.ts';
import { assertPromptAllowed } from '../safety/policy.ts';
import { createProgressBar } from './progress.ts';

const int = (v: string) => Number.parseInt(v, 10);

/** --seed, --steps, --guidance and --sampler, with the shared defaults (every generating command). */
export function withSamplingOptions(command: Command): Command {
  return command
    .option(
      '--seed <n>',
      'random seed: the same seed and settings give the same video',
      int,
      DEFAULT_SETTINGS.seed,
    )
    .option('--steps <n>', 'sampling steps', int, DEFAULT_SETTINGS.steps)
    .option(
      '--guidance <scale>',
      'classifier-free guidance scale (1 = off)',
      Number.parseFloat,
      DEFAULT_SETTINGS.guidanceScale,
    )
    .addOption(guidanceIntervalOption())
    .addOption(new Option('--sampler <name>', 'ODE sampler').choices(['euler', 'heun']).default('euler'));
}

/** `--guidance-interval LOW,HIGH`, for every command that samples. */
export function guidanceIntervalOption(): Option {
  return new Option(
    '--guidance-interval <low,high>',
    'where guidance applies, as a share of the sampling path (1 = its noisy start, 0 = the clean end)',
  )
    .argParser(parseGuidanceInterval)
    .default(DEFAULT_SETTINGS.guidanceInterval);
}

/** "0.55,0.95" → [0.55, 0.95]; the range itself is checked with the other settings. */
export function parseGuidanceInterval(value: string): [number, number] {
  const parts = value.split(',').map((part) => Number(part.trim()));
  if (parts.length !== 2 || parts.some((part) => !Number.isFinite(part)))
    throw new GenerationError(`guidance interval must look like LOW,HIGH (e.g. 0.55,0.95), got "${value}"`);
  return [parts[0]!, parts[1]!];
}

export function parseSize(size: string): { width: number; height: number } {
  const match = /^(\d+)x(\d+)$/.exec(size.trim());
  if (!match) throw new GenerationError(`size must look like WIDTHxHEIGHT (e.g. 64x64), got "${size}"`);
  return { width: Number(match[1]), height: Number(match[2]) };
}

export function registerGenerateCommands(program: Command): void {
  withSamplingOptions(program.command('generate'))
    .description('generate a video from a text prompt')
    .argument('<prompt>', 'what the video shows, e.g. "a red ball moves to the right on a blue background"')
    .requiredOption(
      '-o, --out <file>',
      'output: .mp4, .webm, .gif, .png (spritesheet, or a still with --frames 1), or a folder of PNG frames',
    )
    .option('--size <WxH>', 'frame size (sides rounded to the model grid)', '64x64')
    .option('--frames <n>', 'number of frames (1 + 2k; 1 makes a still image)', int)
    .option('--seconds <s>', 'duration in seconds (instead of --frames)', Number.parseFloat)
    .option('--fps <n>', 'frames per second', Number.parseFloat, 8)
    .option('--negative <prompt>', 'negative prompt: what to steer away from')
    .option('--no-expand', 'give the model the prompt as written (no prompt expansion)')
    .option(
      '--factorized',
      `sample the first frame as a still image, then the clip from it${DEFAULT_SETTINGS.factorized ? ' (default)' : ''}`,
      DEFAULT_SETTINGS.factorized,
    )
    .option('--no-factorized', 'sample the whole clip at once')
    .addOption(
      new Option('--format <format>', 'output format (default: from the file name)').choices([
        ...OUTPUT_FORMATS,
      ]),
    )
    .option('--weights <file>', 'model weights', DEFAULT_WEIGHTS)
    .option('--json', 'print a JSON summary instead of progress', false)
    .action(async (prompt: string, opts) => {
      // Refuse before any compute is spent (and log the refusal).
      const log = auditLogOf(operatorSettingsFromEnv());
      for (const text of [prompt, opts.negative as string | undefined]) {
        if (text === undefined) continue;
        assertPromptAllowed(text, {}, { log, request: { keyId: null, action: 'generate', prompt: text } });
      }
      const pipeline = await VideoPipeline.load(opts.weights);
      const { width, height } = parseSize(opts.size);
      const frames =
        opts.frames ?? (opts.seconds !== undefined ? Math.round(opts.seconds * opts.fps) + 1 : 17);
      const shape = validShape(pipeline.model, width, height, frames);
      const notes: string[] = [];
      if (shape.width !== width || shape.height !== height)
        notes.push(`size rounded to ${shape.width}x${shape.height}`);
      if (shape.frames !== frames) notes.push(`frames rounded to ${shape.frames}`);
      // The model reads detailed captions best: the prompt is rewritten as one (and shown).
      const expansion = pipeline.expandPrompt(prompt, {
        ...shape,
        fps: opts.fps,
        seed: opts.seed,
        enabled: opts.expand,
      });
      const note = expansionNote(expansion);
      if (note) notes.push(note);
      for (const note of notes) process.stderr.write(`kinema: ${note}\n`);
      const bar = createProgressBar('generate', 100, process.stderr, { quiet: opts.json });
      const started = performance.now();
      const video = await pipeline.generate({
        prompt: expansion.prompt,
        negativePrompt: opts.negative,
        seed: opts.seed,
        steps: opts.steps,
        guidanceScale: opts.guidance,
        guidanceInterval: opts.guidanceInterval,
        sampler: opts.sampler,
        factorized: opts.factorized,
        ...shape,
        fps: opts.fps,
        onProgress: (percent) => bar.update(Math.round(percent)),
      });
      bar.finish();
      if (video.unknownWords.length > 0) {
        process.stderr.write(
          `kinema: warning: the model does not know these words and ignored them: ${video.unknownWords.join(', ')}\n`,
        );
      }
      const { provenance, identityCreated } = provenanceFor(operatorSettingsFromEnv(), {
        prompt,
        modelId: video.modelId,
        action: 'generate',
      });
      if (identityCreated) process.stderr.write(`kinema: ${LOCAL_IDENTITY_NOTICE}\n`);
      const written = await writeOutput(video, opts.out, {
        format: opts.format as OutputFormat | undefined,
        provenance,
      });
      const seconds = (performance.now() - started) / 1000;
      const summary = {
        output: written.path,
        id: provenance.outputId,
        signed: written.signed,
        format: written.format,
        prompt,
        modelPrompt: expansion.prompt,
        seed: opts.seed,
        width: video.width,
        height: video.height,
        frames: video.frames,
        fps: video.fps,
        model: video.modelId,
        unknownWords: video.unknownWords,
        seconds: Number(seconds.toFixed(2)),
      };
      if (opts.json) process.stdout.write(`${JSON.stringify(summary)}\n`);
      else
        process.stderr.write(
          `kinema: wrote ${written.path} (${video.width}x${video.height}, ${video.frames} frames) in ${seconds.toFixed(1)} s\n`,
        );
      await pipeline.dispose();
    });
}
