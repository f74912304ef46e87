// Tiny training runs for tests: a one-step autoencoder, and DiT runs on its latents.
import { join } from 'node:path';
import { type Checkpoint, loadCheckpoint } from '../../src/train/checkpoint.ts';
import { parseTrainConfig, type TrainConfigInput } from '../../src/train/config.ts';
import { Trainer } from '../../src/train/trainer.ts';

/** Trains the tiny autoencoder one step and saves it to DIR/ae/checkpoint.safetensors. */
export async function trainTinyAutoencoder(dir: string): Promise<void> {
  const ae = await Trainer.create(
    parseTrainConfig({ stage: 'autoencoder', preset: 'tiny', steps: 1, out: join(dir, 'ae') }),
  );
  await ae.trainStep();
  await ae.save();
  await ae.dispose();
}

/**
 * Trains (or resumes) a tiny DiT on DIR/ae's latents up to `steps`, logging every step, and
 * returns the step losses of this call and the saved checkpoint. `input.out` names the run.
 */
export async function trainTinyDit(
  dir: string,
  input: Partial<TrainConfigInput> & { out: string },
  steps: number,
): Promise<{ losses: number[]; checkpoint: Checkpoint }> {
  const trainer = await Trainer.create(
    parseTrainConfig({
      stage: 'dit',
      preset: 'tiny',
      steps,
      lr: 1e-2,
      warmupSteps: 1,
      autoencoder: join(dir, 'ae', 'checkpoint.safetensors'),
      ...input,
    } as TrainConfigInput),
    { resume: true },
  );
  const losses: number[] = [];
  while (trainer.currentStep < steps) {
    const step = await trainer.trainStep();
    losses.push(step.loss);
    await trainer.log(step);
  }
  await trainer.save();
  await trainer.dispose();
  return { losses, checkpoint: await loadCheckpoint(join(input.out, 'checkpoint.safetensors')) };
}
