// `kinema weights pack`: turn the two training checkpoints (autoencoder, DiT) into the shipped
// fp16 model bundle that every other command loads by default.
import type { Command } from 'commander';
import { getPreset } from '../models/presets.ts';
import { bundleFromCheckpoints, DEFAULT_WEIGHTS, saveModel } from '../pipeline/weights.ts';
import { loadCheckpoint } from '../train/checkpoint.ts';

export function registerWeightsCommands(program: Command): void {
  const weights = program.command('weights').description('package and inspect model weights');
  weights
    .command('pack')
    .description('write the EMA weights of an autoencoder and a DiT checkpoint as one fp16 model file')
    .requiredOption('--autoencoder <checkpoint>', 'autoencoder checkpoint.safetensors')
    .requiredOption('--dit <checkpoint>', 'DiT checkpoint.safetensors')
    .option('--out <file>', 'model file to write', DEFAULT_WEIGHTS)
    .option('--id <id>', 'model id (default: kinema-<preset>-<dit step>)')
    .action(async (opts: { autoencoder: string; dit: string; out: string; id?: string }) => {
      const autoencoder = await loadCheckpoint(opts.autoencoder);
      const dit = await loadCheckpoint(opts.dit);
      const presetName = (dit.config as { preset?: string }).preset ?? 'small';
      const id = opts.id ?? `kinema-${presetName}-${dit.step}`;
      const bundle = bundleFromCheckpoints(id, getPreset(presetName), autoencoder, dit, {
        autoencoderConfig: autoencoder.config,
        ditConfig: dit.config,
      });
      await saveModel(opts.out, bundle);
      process.stderr.write(`kinema: wrote ${opts.out} (${id})\n`);
    });
}
