// A `Denoiser` for the samplers backed by the jax-js DiT (the reference engine; the generation
// pipeline plugs an ONNX Runtime session into the same callback type for speed).
import { jit, numpy as np, tree } from '@jax-js/jax';
import { type DitConfig, type DitInputs, ditForward } from '../models/dit.ts';
import type { Params } from '../nn/params.ts';
import type { Denoiser } from './samplers.ts';

export interface DenoiserOptions {
  /** Latent video shape (batch, frames, height, width, channels). */
  shape: [number, number, number, number, number];
  /** (batch, length) token ids and mask, e.g. from `tokenizeBatch`. */
  captionIds: Int32Array;
  captionMask: Float32Array;
  captionLength: number;
  /** Clean latents (same layout as the latents) and per-frame flags (batch, frames). */
  conditionLatents?: Float32Array;
  conditionFrames?: Float32Array;
}

/** Borrows `params` (they stay usable); call `dispose()` on the result when done. */
export function jaxDenoiser(
  params: Params,
  cfg: DitConfig,
  opts: DenoiserOptions,
): Denoiser & { dispose(): void } {
  const [batch, frames] = opts.shape;
  const forward = jit((p: Params, inputs: DitInputs) => ditForward(p, cfg, inputs));
  const denoise = async (latents: Float32Array, t: number, conditional: boolean): Promise<Float32Array> => {
    const velocity = forward(tree.ref(params), {
      latents: np.array(latents, { shape: opts.shape }),
      timestep: np.full([batch], t),
      captionIds: np.array(opts.captionIds, { shape: [batch, opts.captionLength] }),
      captionMask: np.array(opts.captionMask, { shape: [batch, opts.captionLength] }),
      captionKeep: np.full([batch], conditional ? 1 : 0),
      conditionLatents: opts.conditionLatents
        ? np.array(opts.conditionLatents, { shape: opts.shape })
        : np.zeros(opts.shape),
      conditionMask: opts.conditionFrames
        ? np.array(opts.conditionFrames, { shape: [batch, frames] })
        : np.zeros([batch, frames]),
    });
    return new Float32Array((await velocity.data()) as Float32Array);
  };
  return Object.assign(denoise, { dispose: () => forward.dispose() });
}
