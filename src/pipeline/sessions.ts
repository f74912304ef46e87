// The model's inference graphs in ONNX Runtime: the DiT denoiser, the autoencoder's encoder and
// decoder. Each is exported from the same jax-js code that trained it, once per latent shape,
// with the weights baked in as initializers (the same .onnx runs in onnxruntime-web).
import type { numpy as np } from '@jax-js/jax';
import { ArraySpec, type ExportedGraph, exportInference } from '../engine/export.ts';
import { type HostTensor, OrtSession } from '../engine/session.ts';
import { decode, encode } from '../models/autoencoder.ts';
import type { ModelBundle } from '../models/bundle.ts';
import { ditForward, ditWithHidden } from '../models/dit.ts';
import { fromHostParams, withParams } from '../nn/params.ts';

/** Latent video shape of one sample: [frames, height, width, channels]. */
export type LatentShape = [number, number, number, number];

export interface DenoiserInputs {
  /** (batch, F, H, W, C) */
  latents: Float32Array;
  /** (batch,) */
  timestep: Float32Array;
  /** (batch, length) */
  captionIds: Int32Array;
  captionMask: Float32Array;
  /** (batch,) 1 = use the caption, 0 = null caption */
  captionKeep: Float32Array;
  /** (batch, F, H, W, C) clean latents of given frames, and (batch, F) flags */
  conditionLatents: Float32Array;
  conditionMask: Float32Array;
}

/**
 * The DiT denoiser as an ONNX graph for `batch` samples of one latent shape, weights baked in.
 * With `tokensAfter`, the graph stops there instead: its output `hidden` is the DiT's tokens after
 * that many blocks (batch, tokens, width), what `eval tokens` probes.
 */
export function denoiserGraph(
  model: ModelBundle,
  batch: number,
  latentShape: LatentShape,
  tokensAfter?: number,
): ExportedGraph {
  const length = model.tokenizer.maxLength;
  const x = [batch, ...latentShape];
  return exportInference(
    (
      latents: np.Array,
      timestep: np.Array,
      ids: np.Array,
      mask: np.Array,
      keep: np.Array,
      cond: np.Array,
      condMask: np.Array,
    ) => {
      const inputs = {
        latents,
        timestep,
        captionIds: ids,
        captionMask: mask,
        captionKeep: keep,
        conditionLatents: cond,
        conditionMask: condMask,
      };
      if (tokensAfter === undefined) return ditForward(fromHostParams(model.dit), model.preset.dit, inputs);
      return withParams(fromHostParams(model.dit), (p) => {
        const { velocity, hidden } = ditWithHidden(p, model.preset.dit, inputs, tokensAfter);
        velocity.dispose();
        return hidden!;
      });
    },
    [
      new ArraySpec(x),
      new ArraySpec([batch]),
      new ArraySpec([batch, length], 'int32'),
      new ArraySpec([batch, length]),
      new ArraySpec([batch]),
      new ArraySpec(x),
      new ArraySpec([batch, latentShape[0]]),
    ],
    {
      argNames: [
        'latents',
        'timestep',
        'captionIds',
        'captionMask',
        'captionKeep',
        'conditionLatents',
        'conditionMask',
      ],
      outputNames: [tokensAfter === undefined ? 'velocity' : 'hidden'],
      name: tokensAfter === undefined ? 'kinema_denoiser' : 'kinema_dit_tokens',
    },
  );
}

/** The autoencoder's decoder (latents → pixels in [-1, 1]) or encoder as an ONNX graph for one shape. */
export function autoencoderGraph(
  model: ModelBundle,
  direction: 'encode' | 'decode',
  inputShape: number[],
): ExportedGraph {
  const cfg = model.preset.autoencoder;
  return exportInference(
    (x: np.Array) =>
      direction === 'decode'
        ? decode(fromHostParams(model.autoencoder), cfg, x)
        : encode(fromHostParams(model.autoencoder), cfg, x),
    [new ArraySpec(inputShape)],
    {
      argNames: ['input'],
      outputNames: ['output'],
      name: direction === 'decode' ? 'kinema_decoder' : 'kinema_encoder',
    },
  );
}

export class DenoiserSession {
  private constructor(
    private readonly session: OrtSession,
    readonly batch: number,
    readonly latentShape: LatentShape,
    readonly captionLength: number,
  ) {}

  static async create(
    model: ModelBundle,
    batch: number,
    latentShape: LatentShape,
    threads?: number,
  ): Promise<DenoiserSession> {
    const graph = denoiserGraph(model, batch, latentShape);
    const session = await OrtSession.create(graph.model, { threads });
    return new DenoiserSession(session, batch, latentShape, model.tokenizer.maxLength);
  }

  async run(inputs: DenoiserInputs): Promise<Float32Array> {
    const x = [this.batch, ...this.latentShape];
    const feeds: Record<string, HostTensor> = {
      latents: { data: inputs.latents, shape: x },
      timestep: { data: inputs.timestep, shape: [this.batch] },
      captionIds: { data: inputs.captionIds, shape: [this.batch, this.captionLength] },
      captionMask: { data: inputs.captionMask, shape: [this.batch, this.captionLength] },
      captionKeep: { data: inputs.captionKeep, shape: [this.batch] },
      conditionLatents: { data: inputs.conditionLatents, shape: x },
      conditionMask: { data: inputs.conditionMask, shape: [this.batch, this.latentShape[0]] },
    };
    const out = await this.session.run(feeds);
    return out.velocity!.data as Float32Array;
  }

  async dispose(): Promise<void> {
    await this.session.dispose();
  }
}

/** The autoencoder's decoder (latents → pixels in [-1, 1]) or encoder, for one shape. */
export class AutoencoderSession {
  private constructor(
    private readonly session: OrtSession,
    readonly inputShape: number[],
  ) {}

  static async create(
    model: ModelBundle,
    direction: 'encode' | 'decode',
    inputShape: number[],
    threads?: number,
  ): Promise<AutoencoderSession> {
    const graph = autoencoderGraph(model, direction, inputShape);
    return new AutoencoderSession(await OrtSession.create(graph.model, { threads }), inputShape);
  }

  async run(input: Float32Array): Promise<Float32Array> {
    const out = await this.session.run({ input: { data: input, shape: this.inputShape } });
    return out.output!.data as Float32Array;
  }

  async dispose(): Promise<void> {
    await this.session.dispose();
  }
}
