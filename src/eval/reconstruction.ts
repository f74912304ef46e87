// Autoencoder quality: PSNR of world clips passed through encode → decode, in ONNX Runtime.
import { type numpy as np, tree } from '@jax-js/jax';
import { ArraySpec, exportInference } from '../engine/export.ts';
import { ensureJax } from '../engine/jax.ts';
import { OrtSession } from '../engine/session.ts';
import { type AutoencoderConfig, decode, encode, psnr } from '../models/autoencoder.ts';
import { fromHostParams, type HostParams } from '../nn/params.ts';
import { worldBatch } from '../train/clips.ts';

export interface ReconstructionReport {
  clips: number;
  /** Mean PSNR over clips, in dB (pixels in [-1, 1], peak-to-peak 2). */
  psnr: number;
  minPsnr: number;
}

export async function reconstructionPsnr(
  cfg: AutoencoderConfig,
  weights: HostParams,
  opts: { clips: number; width: number; height: number; frames: number; level: number; seed?: number },
): Promise<ReconstructionReport> {
  await ensureJax();
  const shape = [1, opts.frames, opts.height, opts.width, 3];
  const graph = exportInference(
    (pixels: np.Array) => {
      const params = fromHostParams(weights); // both halves live in one record; each call consumes its own
      return decode(tree.ref(params), cfg, encode(params, cfg, pixels));
    },
    [new ArraySpec(shape)],
    { argNames: ['pixels'], outputNames: ['reconstruction'] },
  );
  const session = await OrtSession.create(graph.model);
  const values: number[] = [];
  // Clips from a stream training never draws ("step" −1000 − i).
  const source = { ...opts, seed: opts.seed ?? 12345, fps: 8 };
  for (let i = 0; i < opts.clips; i++) {
    const { pixels } = worldBatch(source, -1000 - i, 1);
    const out = await session.run({ pixels: { data: pixels, shape } });
    values.push(psnr(out.reconstruction!.data as Float32Array, pixels));
  }
  await session.dispose();
  return {
    clips: values.length,
    psnr: values.reduce((a, b) => a + b, 0) / values.length,
    minPsnr: Math.min(...values),
  };
}
