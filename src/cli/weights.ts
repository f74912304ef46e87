// `kinema weights pack`: turn training checkpoints (autoencoder, decoder fine-tune, DiT) into the
// shipped fp16 model bundle that every other command loads by default, alone or on top of an
// existing bundle.
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
    .option('--id <id>', 'model id (default: kinema-<preset>-<dit step>[-d<decoder step>])')
    .action(async (opts: PackOptions) => {
      const bundle = packBundle({
        base: opts.from ? await loadModel(opts.from) : undefined,
        autoencoder: opts.autoencoder ? await loadCheckpoint(opts.autoencoder) : undefined,
        decoder: opts.decoder ? await loadCheckpoint(opts.decoder) : undefined,
        dit: opts.dit ? await loadCheckpoint(opts.dit) : undefined,
        text: opts.text ? await loadCheckpoint(opts.text) : undefined,
        id: opts.id,
      });
      await saveModel(opts.out, bundle);
      process.stderr.write(`kinema: wrote ${opts.out} (${bundle.id})\n`);
    });
}
