// Autoencoder quality: PSNR of world clips passed through encode → decode, in ONNX Runtime, and
// the oracle's scores of those round trips — the ceiling any DiT on these latents can reach
// (a DiT can at best produce latents the encoder would; the decoder then draws them).
import { type numpy as np, tree } from '@jax-js/jax';
import { ArraySpec, exportInference } from '../engine/export.ts';
import { ensureJax } from '../engine/jax.ts';
import { OrtSession } from '../engine/session.ts';
import { type AutoencoderConfig, decode, encode, psnr } from '../models/autoencoder.ts';
import { fromHostParams, type HostParams } from '../nn/params.ts';
import { worldBatch } from '../train/clips.ts';
import { renderClip } from '../world/render.ts';
import type { BackgroundKind } from '../world/spec.ts';
import { type Aggregate, aggregate } from './aggregate.ts';
import { scoreClip } from './oracle.ts';
import { evalPrompts } from './suite.ts';

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
  const session = await roundTripSession(cfg, weights, shape);
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

/** encode → decode of one clip shape as an ORT session. */
async function roundTripSession(
  cfg: AutoencoderConfig,
  weights: HostParams,
  shape: number[],
): Promise<OrtSession> {
  const graph = exportInference(
    (pixels: np.Array) => {
      const params = fromHostParams(weights); // both halves live in one record; each call consumes its own
      return decode(tree.ref(params), cfg, encode(params, cfg, pixels));
    },
    [new ArraySpec(shape)],
    { argNames: ['pixels'], outputNames: ['reconstruction'] },
  );
  return OrtSession.create(graph.model);
}

/**
 * The oracle's scores of autoencoder round trips of the evaluation suite's own held-out scenes:
 * what a perfect DiT on these latents would score. Measured 2026-11-30: the 8-channel autoencoder
 * of kinema-small-4877 reaches only class 0.24 on level 0, so no DiT on it could pass the floors.
 */
export async function roundTripCeiling(
  cfg: AutoencoderConfig,
  weights: HostParams,
  opts: {
    count: number;
    width: number;
    height: number;
    frames: number;
    level: number;
    backgrounds?: readonly BackgroundKind[];
  },
): Promise<Aggregate & { psnr: number }> {
  await ensureJax();
  const shape = [1, opts.frames, opts.height, opts.width, 3];
  const session = await roundTripSession(cfg, weights, shape);
  const prompts = evalPrompts({ ...opts, fps: 8, captionStyle: 'detailed' });
  const reports = [];
  let psnrSum = 0;
  for (const { seed, spec } of prompts) {
    const truth = renderClip(spec, seed, { captions: false }).pixels;
    const pixels = Float32Array.from(truth, (v) => v / 127.5 - 1);
    const out = await session.run({ pixels: { data: pixels, shape } });
    const reconstruction = out.reconstruction!.data as Float32Array;
    psnrSum += psnr(reconstruction, pixels);
    const rgb = Uint8Array.from(reconstruction, (v) =>
      Math.round((Math.min(1, Math.max(-1, v)) + 1) * 127.5),
    );
    reports.push(scoreClip(spec, rgb, { seed }));
  }
  await session.dispose();
  return { ...aggregate(reports), psnr: psnrSum / prompts.length };
}
