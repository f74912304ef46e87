// `kinema weights pack`: turn training checkpoints (autoencoder, decoder fine-tune, DiT, caption
// encoder) into the shipped fp16 model bundle that every other command loads by default, alone or
// on top of an existing bundle, with the model's measured scores in its card.
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { DEFAULT_WEIGHTS, loadModel, saveModel } from '../models/bundle.ts';
import { loadCheckpoint } from '../train/checkpoint.ts';
import { packBundle } from '../train/pack.ts';

interface PackOptions {
  from?: string;
  autoencoder?: string;
  decoder?: string;
  dit?: string;
  text?: string;
  out: string;
  id?: string;
  scores?: string[];
}

/** A model's scores as `kinema eval suite --json` printed them, kept in the bundle's card. */
export interface RecordedScore {
  level: number;
  clips: number;
  captionStyle: string;
  /** The prompts were expanded into detailed captions first (`eval suite --expand`). */
  expanded: boolean;
  trueFirstFrame: boolean;
  settings: Record<string, unknown>;
  overall: number;
  dimensions: Record<string, number | null>;
}

export class ScoresFileError extends Error {
  override name = 'ScoresFileError';
  static readonly userError = true;
}

/** The suite reports of model `id` in `eval suite --json` output files (one JSON object per line). */
export function readScores(paths: readonly string[], id: string): RecordedScore[] {
  return paths.flatMap((path) =>
    readFileSync(path, 'utf8')
      .split('\n')
      .map((line, i) => ({ line, at: `${path}:${i + 1}` }))
      .filter(({ line }) => line.trim())
      .map(({ line, at }) => {
        let report: Record<string, unknown>;
        try {
          report = JSON.parse(line) as Record<string, unknown>;
        } catch {
          throw new ScoresFileError(`${at} is not JSON (give the output of \`eval suite --json\`)`);
        }
        const dimensions = report.dimensions as Record<string, { mean: number | null }> | undefined;
        if (typeof report.overall !== 'number' || !dimensions)
          throw new ScoresFileError(`${at} is not an eval suite report`);
        if (report.id !== id)
          throw new ScoresFileError(`${at} scores ${String(report.id)}, not this model (${id}): give --id`);
        return {
          level: Number(report.level),
          clips: Number(report.clips),
          captionStyle: String(report.captionStyle),
          expanded: Boolean(report.expanded),
          trueFirstFrame: Boolean(report.trueFirstFrame),
          settings: (report.settings ?? {}) as Record<string, unknown>,
          overall: report.overall,
          dimensions: Object.fromEntries(Object.entries(dimensions).map(([k, v]) => [k, v.mean])),
        };
      }),
  );
}

export function registerWeightsCommands(program: Command): void {
  const weights = program.command('weights').description('package and inspect model weights');
  weights
    .command('pack')
    .description('write the EMA weights of training checkpoints as one fp16 model file')
    .option('--from <model>', 'model bundle to start from (its parts not given below are kept)')
    .option('--autoencoder <checkpoint>', 'autoencoder checkpoint.safetensors')
    .option('--decoder <checkpoint>', 'decoder fine-tune checkpoint (replaces the decoder only)')
    .option('--dit <checkpoint>', 'DiT checkpoint.safetensors')
    .option('--text <checkpoint>', "caption encoder from `train --stage text` (replaces the DiT's)")
    .option('--out <file>', 'model file to write', DEFAULT_WEIGHTS)
    .option('--id <id>', 'model id (default: kinema-<preset>-<dit step>[-d<decoder step>][-t<text step>])')
    .option(
      '--scores <files...>',
      'record these `eval suite --json` reports of the model (same id) in its card',
    )
    .action(async (opts: PackOptions) => {
      const bundle = packBundle({
        base: opts.from ? await loadModel(opts.from) : undefined,
        autoencoder: opts.autoencoder ? await loadCheckpoint(opts.autoencoder) : undefined,
        decoder: opts.decoder ? await loadCheckpoint(opts.decoder) : undefined,
        dit: opts.dit ? await loadCheckpoint(opts.dit) : undefined,
        text: opts.text ? await loadCheckpoint(opts.text) : undefined,
        id: opts.id,
      });
      if (opts.scores) bundle.card.scores = readScores(opts.scores, bundle.id);
      await saveModel(opts.out, bundle);
      process.stderr.write(`kinema: wrote ${opts.out} (${bundle.id})\n`);
    });
}
