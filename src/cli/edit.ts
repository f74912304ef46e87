// The generation commands beyond plain text → video: animate a picture, extend a clip, connect
// two clips, make a loop, edit a clip toward a new prompt, remix an earlier clip, run a batch of
// prompts, and export the model for the browser. Each one expands the prompt (shown; --no-expand
// turns it off), shows progress, writes the output and its generation record (`<output>.json`).
import { basename, dirname, join, resolve } from 'node:path';
import { type Command, Option } from 'commander';
import { z } from 'zod';
import { DEFAULT_WEIGHTS } from '../models/bundle.ts';
import { readBatch, runBatch } from '../pipeline/batch.ts';
import { connectVideos } from '../pipeline/connect.ts';
import { editVideo } from '../pipeline/edit.ts';
import { exportOnnx } from '../pipeline/exportOnnx.ts';
import { extendVideo } from '../pipeline/extend.ts';
import { type GeneratedVideo, VideoPipeline, validShape } from '../pipeline/generate.ts';
import { imageToVideo } from '../pipeline/imageToVideo.ts';
import { readClip, readImage, screenInput, sizeForInput } from '../pipeline/inputs.ts';
import { loopVideo } from '../pipeline/loop.ts';
import {
  auditLogOf,
  LOCAL_IDENTITY_NOTICE,
  operatorSettingsFromEnv,
  provenanceFor,
} from '../pipeline/operator.ts';
import { OUTPUT_FORMATS, type OutputFormat, type Provenance, writeOutput } from '../pipeline/output.ts';
import { type ExpandedPrompt, expansionNote } from '../pipeline/promptExpansion.ts';
import { type GenerationRecord, loadRecord, makeRecord, recordPath, saveRecord } from '../pipeline/record.ts';
import { remixVideo } from '../pipeline/remix.ts';
import { DEFAULT_SETTINGS, framesForSeconds, type GenerationSettings } from '../pipeline/settings.ts';
import { c2paReadable } from '../provenance/c2pa.ts';
import { LikenessRefused } from '../safety/likeness.ts';
import { assertPromptAllowed } from '../safety/policy.ts';
import { guidanceIntervalOption, parseSize, withSamplingOptions } from './generate.ts';
import { createProgressBar } from './progress.ts';

const int = (v: string) => Number.parseInt(v, 10);

/** The options every generation command shares, checked once here. */
const commonSchema = z.object({
  out: z.string().min(1),
  seed: z.number().int(),
  steps: z.number().int(),
  guidance: z.number(),
  guidanceInterval: z.tuple([z.number(), z.number()]),
  sampler: z.enum(['euler', 'heun']),
  size: z.string().optional(),
  fps: z.number(),
  frames: z.number().int().optional(),
  seconds: z.number().optional(),
  negative: z.string().optional(),
  format: z.enum(OUTPUT_FORMATS).optional(),
  weights: z.string(),
  json: z.boolean(),
  expand: z.boolean(),
  consent: z.boolean(),
});
type CommonOptions = z.infer<typeof commonSchema>;

function withCommonOptions(command: Command, durationHelp: string): Command {
  return withSamplingOptions(command)
    .requiredOption('-o, --out <file>', 'output: .mp4, .webm, .gif, .png, or a folder of PNG frames')
    .option('--size <WxH>', 'frame size (default: the input’s aspect at 64 px, or 64x64)')
    .option(
      '--fps <n>',
      'frames per second (inputs are resampled to it)',
      Number.parseFloat,
      DEFAULT_SETTINGS.fps,
    )
    .option('--frames <n>', `frames (1 + 2k) ${durationHelp}`, int)
    .option('--seconds <s>', `duration in seconds ${durationHelp}`, Number.parseFloat)
    .option('--negative <prompt>', 'negative prompt: what to steer away from')
    .addOption(
      new Option('--format <format>', 'output format (default: from the file name)').choices([
        ...OUTPUT_FORMATS,
      ]),
    )
    .option('--weights <file>', 'model weights', DEFAULT_WEIGHTS)
    .option('--no-expand', 'give the model the prompt as written (no prompt expansion)')
    .option(
      '--consent',
      'the people shown in the input pictures or clips consented to this use (inputs with faces are refused without it; the decision is logged)',
      false,
    )
    .option('--json', 'print a JSON summary instead of progress', false);
}

/** Edits, extensions and remixes of a signable file record it as their C2PA parent ingredient. */
function derivationOf(kind: GenerationRecord['kind'], input?: string): Provenance['derivation'] {
  const derived = { edit: 'edit', extend: 'extension', remix: 'remix' } as const;
  if (!input || !(kind in derived) || !c2paReadable(input)) return undefined;
  return { kind: derived[kind as keyof typeof derived], parentFile: resolve(input) };
}

/** One generation command's run: pipeline, settings, prompt expansion, progress, output, record. */
class Run {
  readonly started = performance.now();
  readonly bar;
  /** The operator's settings (environment), and their audit log for refusals and consent. */
  readonly operator = operatorSettingsFromEnv();
  readonly auditLog = auditLogOf(this.operator);
  expansion!: ExpandedPrompt;

  private constructor(
    readonly kind: GenerationRecord['kind'],
    readonly pipeline: VideoPipeline,
    readonly opts: CommonOptions,
  ) {
    this.bar = createProgressBar(kind, 100, process.stderr, { quiet: opts.json });
  }

  static async start(kind: GenerationRecord['kind'], rawOpts: unknown): Promise<Run> {
    const opts = commonSchema.parse(rawOpts);
    return new Run(kind, await VideoPipeline.load(opts.weights), opts);
  }

  /** Size: --size, else the input's, else 64×64; rounded to the grid with a note. */
  async size(input?: string): Promise<{ width: number; height: number }> {
    const wanted = this.opts.size
      ? parseSize(this.opts.size)
      : input
        ? await sizeForInput(this.pipeline.model, input)
        : { width: DEFAULT_SETTINGS.width, height: DEFAULT_SETTINGS.height };
    const fixed = validShape(this.pipeline.model, wanted.width, wanted.height, 1);
    if (fixed.width !== wanted.width || fixed.height !== wanted.height)
      this.note(`size rounded to ${fixed.width}x${fixed.height} (the model's grid)`);
    return { width: fixed.width, height: fixed.height };
  }

  /** Frames from --frames or --seconds (else `fallback`), rounded to 1 + 2k with a note. */
  frames(fallback: number): number {
    const { frames, seconds, fps } = this.opts;
    const wanted = frames ?? (seconds !== undefined ? framesForSeconds(seconds, fps) : fallback);
    const fixed = validShape(this.pipeline.model, 8, 8, wanted).frames;
    if (fixed !== wanted) this.note(`frames rounded to ${fixed}`);
    return fixed;
  }

  /**
   * The settings for `prompt` at a size and length, with the prompt expanded (and shown).
   * `framesGiven`: the user's frames fix where objects start (see `ExpansionContext`).
   */
  settings(
    prompt: string,
    size: { width: number; height: number },
    frames: number,
    framesGiven: boolean,
  ): GenerationSettings {
    const { opts } = this;
    // Refuse before any compute is spent (and log the refusal).
    for (const text of [prompt, opts.negative]) {
      if (text === undefined) continue;
      const request = { keyId: null, action: this.kind, prompt: text };
      assertPromptAllowed(text, {}, { log: this.auditLog, request });
    }
    this.expansion = this.pipeline.expandPrompt(prompt, {
      ...size,
      frames,
      fps: opts.fps,
      seed: opts.seed,
      enabled: opts.expand,
      framesGiven,
    });
    const note = expansionNote(this.expansion);
    if (note) this.note(note);
    return {
      prompt: this.expansion.prompt,
      negativePrompt: opts.negative,
      seed: opts.seed,
      steps: opts.steps,
      guidanceScale: opts.guidance,
      guidanceInterval: opts.guidanceInterval,
      sampler: opts.sampler,
      fps: opts.fps,
      ...size,
    };
  }

  /**
   * The likeness rule on the user's input files, after the prompt passed (settings() checks it)
   * and before any compute on them: faces without --consent are refused, and logged.
   */
  async screen(...files: (string | undefined)[]): Promise<void> {
    const audit = {
      log: this.auditLog,
      keyId: null,
      action: this.kind,
      prompt: this.expansion.original,
    };
    for (const file of files) {
      if (!file) continue;
      try {
        await screenInput(file, this.opts.consent, audit);
      } catch (err) {
        if (err instanceof LikenessRefused) throw new LikenessRefused(err.faces, '--consent');
        throw err;
      }
    }
  }

  readonly onProgress = (percent: number) => this.bar.update(Math.round(percent));

  note(text: string): void {
    if (!this.opts.json) process.stderr.write(`kinema: ${text}\n`);
  }

  /** Writes the clip and its record, prints the summary, frees the pipeline. */
  async finish(
    video: GeneratedVideo,
    extra: Partial<Pick<GenerationRecord, 'inputs' | 'options' | 'remixed_from'>> & {
      record?: GenerationRecord;
    } = {},
  ): Promise<void> {
    this.bar.finish();
    if (video.unknownWords.length > 0)
      process.stderr.write(
        `kinema: warning: the model does not know these words and ignored them: ${video.unknownWords.join(', ')}\n`,
      );
    const { provenance, identityCreated } = provenanceFor(this.operator, {
      prompt: this.expansion.original,
      modelId: video.modelId,
      action: this.kind,
      derivation: derivationOf(this.kind, extra.inputs?.[0]),
    });
    if (identityCreated) this.note(LOCAL_IDENTITY_NOTICE);
    const written = await writeOutput(video, this.opts.out, {
      format: this.opts.format as OutputFormat | undefined,
      provenance,
    });
    const settings = {
      ...this.settingsOf(),
      prompt: this.expansion.original,
      modelPrompt: this.expansion.prompt,
    };
    const record = {
      ...(extra.record ?? makeRecord(this.kind, settings, video, extra)),
      output: basename(written.path),
      inputs: (extra.inputs ?? []).map((file) => resolve(file)),
    };
    await saveRecord(recordPath(written.path), record);
    const seconds = (performance.now() - this.started) / 1000;
    if (this.opts.json)
      process.stdout.write(
        `${JSON.stringify({ output: written.path, outputFormat: written.format, recordFile: recordPath(written.path), record, seconds: Number(seconds.toFixed(2)) })}\n`,
      );
    else
      process.stderr.write(
        `kinema: wrote ${written.path} (${video.width}x${video.height}, ${video.frames} frames) and ${recordPath(written.path)} in ${seconds.toFixed(1)} s\n`,
      );
    await this.pipeline.dispose();
  }

  private settingsOf() {
    const { seed, steps, guidance, guidanceInterval, sampler, negative } = this.opts;
    return { seed, steps, guidanceScale: guidance, guidanceInterval, sampler, negativePrompt: negative };
  }
}

export function registerEditCommands(program: Command): void {
  withCommonOptions(
    program
      .command('animate')
      .description('image → video: animate a picture as the first frame (and --last as the last)')
      .argument('<image>', 'the first frame (PNG, JPEG, … or a video’s first frame)')
      .argument('<prompt>', 'what happens in the clip')
      .option('--last <image>', 'a picture to end on (keyframe interpolation)'),
    '(default 17)',
  ).action(async (image: string, prompt: string, rawOpts: { last?: string }) => {
    const run = await Run.start('animate', rawOpts);
    const size = await run.size(image);
    const frames = run.frames(17);
    const settings = run.settings(prompt, size, frames, true);
    await run.screen(image, rawOpts.last);
    const video = await imageToVideo(run.pipeline, {
      ...settings,
      frames,
      image: await readImage(image, size.width, size.height),
      lastImage: rawOpts.last ? await readImage(rawOpts.last, size.width, size.height) : undefined,
      onProgress: run.onProgress,
    });
    await run.finish(video, { inputs: rawOpts.last ? [image, rawOpts.last] : [image] });
  });

  withCommonOptions(
    program
      .command('extend')
      .description('extend a video forward (default) or --backward in time')
      .argument('<video>', 'the clip to extend')
      .argument('<prompt>', 'what happens in the new part')
      .option('--backward', 'add the new frames before the clip', false)
      .option('--context <frames>', 'frames of the clip the model sees (default 5 forward, 2 backward)', int),
    'to add (default 2 s)',
  ).action(async (file: string, prompt: string, rawOpts: { backward: boolean; context?: number }) => {
    const run = await Run.start('extend', rawOpts);
    const size = await run.size(file);
    const { frames, seconds, fps } = run.opts;
    const addFrames = frames ?? framesForSeconds(seconds ?? 2, fps) - 1;
    const video = await readClip(file, size.width, size.height, fps);
    const direction = rawOpts.backward ? 'backward' : 'forward';
    const settings = run.settings(prompt, size, video.frames + addFrames, true);
    await run.screen(file);
    const extended = await extendVideo(run.pipeline, {
      ...settings,
      video,
      addFrames,
      direction,
      contextFrames: rawOpts.context,
      onProgress: run.onProgress,
    });
    await run.finish(extended, { inputs: [file], options: { direction, addFrames } });
  });

  withCommonOptions(
    program
      .command('connect')
      .description('connect two videos with a generated transition')
      .argument('<first>', 'clip A (the result starts with it)')
      .argument('<second>', 'clip B (the result ends with it)')
      .argument('<prompt>', 'what happens in the transition'),
    'of the transition (default 1 s)',
  ).action(async (first: string, second: string, prompt: string, rawOpts: unknown) => {
    const run = await Run.start('connect', rawOpts);
    const size = await run.size(first);
    const { frames, seconds, fps } = run.opts;
    const transitionFrames = frames ?? framesForSeconds(seconds ?? 1, fps) - 1;
    const a = await readClip(first, size.width, size.height, fps);
    const b = await readClip(second, size.width, size.height, fps);
    const settings = run.settings(prompt, size, a.frames + transitionFrames + b.frames, true);
    await run.screen(first, second);
    const video = await connectVideos(run.pipeline, {
      ...settings,
      first: a,
      second: b,
      transitionFrames,
      onProgress: run.onProgress,
    });
    await run.finish(video, { inputs: [first, second], options: { transitionFrames } });
  });

  withCommonOptions(
    program
      .command('loop')
      .description('a seamless loop: the last frame flows into the first')
      .argument('<prompt>', 'what the loop shows')
      .option('--image <file>', 'the loop’s key frame (default: the prompt’s still image)'),
    '(default 17)',
  ).action(async (prompt: string, rawOpts: { image?: string }) => {
    const run = await Run.start('loop', rawOpts);
    const size = await run.size(rawOpts.image);
    const frames = run.frames(17);
    const settings = run.settings(prompt, size, frames, rawOpts.image !== undefined);
    await run.screen(rawOpts.image);
    const video = await loopVideo(run.pipeline, {
      ...settings,
      frames,
      image: rawOpts.image ? await readImage(rawOpts.image, size.width, size.height) : undefined,
      onProgress: run.onProgress,
    });
    await run.finish(video, { inputs: rawOpts.image ? [rawOpts.image] : [] });
  });

  withCommonOptions(
    program
      .command('edit')
      .description('video → video: re-generate a clip toward a new prompt (SDEdit)')
      .argument('<video>', 'the clip to edit')
      .argument('<prompt>', 'what the clip should become')
      .option('--strength <s>', '0 keeps the input, 1 ignores it', Number.parseFloat, 0.6),
    '(ignored: the input’s length is kept)',
  ).action(async (file: string, prompt: string, rawOpts: { strength: number }) => {
    const run = await Run.start('edit', rawOpts);
    const size = await run.size(file);
    const video = await readClip(file, size.width, size.height, run.opts.fps);
    const settings = run.settings(prompt, size, video.frames, true);
    await run.screen(file);
    const edited = await editVideo(run.pipeline, {
      ...settings,
      video,
      strength: rawOpts.strength,
      onProgress: run.onProgress,
    });
    await run.finish(edited, { inputs: [file], options: { strength: rawOpts.strength } });
  });

  withCommonOptions(
    program
      .command('remix')
      .description('a new video from an earlier one’s recorded settings, with a new prompt')
      .argument('<record>', 'the earlier output’s record (<output>.json)')
      .argument('<prompt>', 'the new prompt')
      .option(
        '--strength <s>',
        'below 1: edit the earlier clip instead of starting from its noise',
        Number.parseFloat,
      ),
    '(ignored: the record’s length is kept)',
  ).action(async (recordFile: string, prompt: string, rawOpts: { strength?: number }) => {
    const run = await Run.start('remix', rawOpts);
    const record = await loadRecord(recordFile);
    const size = { width: record.width, height: record.height };
    // with a strength the earlier clip is edited, so its frames fix where objects start
    const { strength } = rawOpts;
    run.settings(prompt, size, record.frames, strength !== undefined);
    const earlier = join(dirname(recordFile), record.output);
    const source =
      strength !== undefined
        ? {
            video: await readClip(earlier, record.width, record.height, record.fps),
            strength,
          }
        : undefined;
    const remix = await remixVideo(run.pipeline, {
      record,
      prompt,
      modelPrompt: run.expansion.prompt,
      source,
      onProgress: run.onProgress,
    });
    await run.finish(remix.video, { record: remix.record, inputs: source ? [earlier] : [] });
  });

  program
    .command('batch')
    .description(
      'generate one clip per prompt in a file (.txt: a prompt per line; .jsonl: objects with settings)',
    )
    .argument('<file>', 'the prompt file')
    .requiredOption('--out <dir>', 'folder for the clips and their records')
    .option('--format <ext>', 'output file type: mp4, webm, gif', 'mp4')
    .option('--seed <n>', 'seed for items without one', int, DEFAULT_SETTINGS.seed)
    .option('--steps <n>', 'sampling steps', int, DEFAULT_SETTINGS.steps)
    .option('--guidance <scale>', 'guidance scale', Number.parseFloat, DEFAULT_SETTINGS.guidanceScale)
    .addOption(guidanceIntervalOption())
    .option('--size <WxH>', 'frame size', '64x64')
    .option('--fps <n>', 'frames per second', Number.parseFloat, DEFAULT_SETTINGS.fps)
    .option('--frames <n>', 'frames per clip (1 + 2k)', int, 17)
    .option('--weights <file>', 'model weights', DEFAULT_WEIGHTS)
    .option('--no-expand', 'give the model the prompts as written')
    .action(async (file: string, rawOpts) => {
      const opts = z
        .object({
          out: z.string(),
          format: z.enum(['mp4', 'webm', 'gif']),
          seed: z.number().int(),
          steps: z.number().int(),
          guidance: z.number(),
          guidanceInterval: z.tuple([z.number(), z.number()]),
          size: z.string(),
          fps: z.number(),
          frames: z.number().int(),
          weights: z.string(),
          expand: z.boolean(),
        })
        .parse(rawOpts);
      const items = await readBatch(file);
      const operator = operatorSettingsFromEnv();
      const pipeline = await VideoPipeline.load(opts.weights);
      const bar = createProgressBar('batch', 100);
      const results = await runBatch(pipeline, items, {
        defaults: {
          ...DEFAULT_SETTINGS,
          ...parseSize(opts.size),
          seed: opts.seed,
          steps: opts.steps,
          guidanceScale: opts.guidance,
          guidanceInterval: opts.guidanceInterval,
          fps: opts.fps,
          frames: opts.frames,
        },
        outDir: opts.out,
        extension: opts.format,
        expand: opts.expand,
        onItem: (i, item, modelPrompt) =>
          process.stderr.write(`\nkinema: [${i + 1}/${items.length}] line ${item.line}: ${modelPrompt}\n`),
        onProgress: (p) => bar.update(Math.round(p)),
        provenanceOf: (prompt) => {
          const { provenance, identityCreated } = provenanceFor(operator, {
            prompt,
            modelId: pipeline.model.id,
            action: 'batch',
          });
          if (identityCreated) process.stderr.write(`kinema: ${LOCAL_IDENTITY_NOTICE}\n`);
          return provenance;
        },
        audit: { log: auditLogOf(operator), keyId: null },
      });
      bar.finish();
      process.stderr.write(`kinema: wrote ${results.length} clips to ${opts.out}\n`);
      await pipeline.dispose();
    });

  program
    .command('export-onnx')
    .description(
      'export the model as ONNX graphs (+ tokenizer) for one clip size; --web adds a browser demo site',
    )
    .requiredOption('--out <dir>', 'output folder')
    .option('--size <WxH>', 'frame size', '64x64')
    .option('--frames <n>', 'frames (1 + 2k)', int, 17)
    .option(
      '--web',
      'also write index.html and the onnxruntime-web runtime: serve the folder statically',
      false,
    )
    .option('--weights <file>', 'model weights', DEFAULT_WEIGHTS)
    .action(async (rawOpts) => {
      const opts = z
        .object({
          out: z.string(),
          size: z.string(),
          frames: z.number().int(),
          web: z.boolean(),
          weights: z.string(),
        })
        .parse(rawOpts);
      const pipeline = await VideoPipeline.load(opts.weights);
      const { width, height } = parseSize(opts.size);
      const shape = validShape(pipeline.model, width, height, opts.frames);
      if (shape.frames !== opts.frames) process.stderr.write(`kinema: frames rounded to ${shape.frames}\n`);
      const manifest = await exportOnnx(pipeline.model, { ...shape, outDir: opts.out, site: opts.web });
      process.stderr.write(
        `kinema: exported ${manifest.model} for ${manifest.width}x${manifest.height}x${manifest.frames} to ${opts.out}${opts.web ? ' (serve it, e.g. `npx http-server`, and open index.html)' : ''}\n`,
      );
    });
}
