// The whole training step — loss, gradients, global-norm clipping, AdamW — as one ONNX graph run
// by onnxruntime-node, with parameters and optimizer state kept in host buffers between steps.
//
//   const trainer = await OrtTrainStep.create(loss, params, { x: new ArraySpec([8, 256, 64]) }, { adamw });
//   const { loss, gradNorm } = await trainer.step({ x: { data, shape } });
//
// Per-step overhead: the graph's outputs (new parameters and moments) are written by ORT straight
// into preallocated buffers (`fetches`), and the two buffer sets swap roles every step (ping-pong),
// so no memory is allocated or copied per step beyond the batch.
import { type numpy as np, tree, valueAndGrad } from '@jax-js/jax';
import {
  type AdamWConfig,
  adamwUpdate,
  clipByGlobalNorm,
  DEFAULT_ADAMW,
  decaysByDefault,
  learningRate,
  type Params,
} from '../nn/adamw.ts';
import {
  ArraySpec,
  type ExportedGraph,
  type ExportOptions,
  exportFunction,
  type Traceable,
} from './export.ts';
import { type HostTensor, OrtSession } from './session.ts';

export type Batch = Record<string, np.Array>;
/** A scalar loss of the parameters and one batch. */
export type LossFn = (params: Params, batch: Batch) => np.Array;

export interface StepResult {
  params: Params;
  m: Params;
  v: Params;
  loss: np.Array;
  gradNorm: np.Array;
  lr: np.Array;
}

/** Which parameters a step updates; the others are frozen (by default none). */
export type TrainsParameter = (name: string) => boolean;

const trainsAll: TrainsParameter = () => true;

/**
 * The training step as a pure jax-js function: (params, m, v, batch, step, momentStep) → new state
 * and metrics. `step` (float32 scalar, from 1) places the step on the learning-rate schedule;
 * `momentStep` counts the updates m and v hold (from 1), for Adam's bias corrections. They differ
 * when a run starts part-way through a schedule with fresh moments (from a model's weights): with
 * the schedule's step there, the first updates would be ≈ 3–6× the learning rate; the learning
 * rate warms up again over them too. Consumes its arguments. Frozen parameters (`trains`
 * false) pass through with their moments: no update, no weight decay, and their gradients stay out
 * of the clipping norm.
 */
export function makeTrainStep(
  loss: LossFn,
  cfg: AdamWConfig,
  decays: (name: string, ndim: number) => boolean = decaysByDefault,
  trains: TrainsParameter = trainsAll,
): (params: Params, m: Params, v: Params, batch: Batch, step: np.Array, momentStep: np.Array) => StepResult {
  return (params, m, v, batch, step, momentStep) => {
    const [lossValue, allGrads] = valueAndGrad(loss)(tree.ref(params), batch);
    const trained = { params: {} as Params, m: {} as Params, v: {} as Params, grads: {} as Params };
    const frozen = { params: {} as Params, m: {} as Params, v: {} as Params };
    for (const name of Object.keys(params)) {
      const part = trains(name) ? trained : frozen;
      part.params[name] = params[name];
      part.m[name] = m[name];
      part.v[name] = v[name];
      if (part === trained) trained.grads[name] = allGrads[name];
      else allGrads[name].dispose();
    }
    const { grads: clipped, norm } = clipByGlobalNorm(trained.grads, cfg.clipNorm);
    const lr = learningRate(step, cfg, momentStep.ref);
    const next = adamwUpdate(trained.params, clipped, trained, momentStep, lr.ref, cfg, decays);
    return {
      params: { ...next.params, ...frozen.params },
      m: { ...next.state.m, ...frozen.m },
      v: { ...next.state.v, ...frozen.v },
      loss: lossValue,
      gradNorm: norm,
      lr,
    };
  };
}

export class TrainStepError extends Error {
  override name = 'TrainStepError';
}

export interface OrtTrainStepOptions {
  adamw?: Partial<AdamWConfig>;
  decays?: (name: string, ndim: number) => boolean;
  /** Which parameters are trained (default all); the rest keep their values. */
  trains?: TrainsParameter;
  /** ORT intra-op threads (default 2). */
  threads?: number;
  /** First step number (for resuming); default 1. */
  step?: number;
}

/** AdamW's first and second moments, and how many updates they hold (absent: all of the run's). */
export interface AdamMoments {
  m: Record<string, Float32Array>;
  v: Record<string, Float32Array>;
  steps?: number;
}

interface StateBuffers {
  params: Record<string, Float32Array>;
  m: Record<string, Float32Array>;
  v: Record<string, Float32Array>;
}

const SECTIONS = ['params', 'm', 'v'] as const;

/** Exports the training step of `loss` for parameters and a batch of these shapes. */
export function exportTrainStep(
  loss: LossFn,
  params: Record<string, Traceable>,
  batch: Record<string, Traceable>,
  cfg: AdamWConfig,
  decays?: (name: string, ndim: number) => boolean,
  exportOptions: Pick<ExportOptions, 'fuse'> = {},
  trains?: TrainsParameter,
): ExportedGraph {
  const step = makeTrainStep(loss, cfg, decays, trains);
  // Trace with a record output flattened into a tuple, so output names are params_out.*, m_out.*, …
  const asTuple = (p: Params, m: Params, v: Params, b: Batch, s: np.Array, ms: np.Array) => {
    const r = step(p, m, v, b, s, ms);
    return [r.params, r.m, r.v, r.loss, r.gradNorm, r.lr];
  };
  return exportFunction(asTuple, [params, params, params, batch, new ArraySpec([]), new ArraySpec([])], {
    argNames: ['params', 'm', 'v', 'batch', 'step', 'momentStep'],
    outputNames: ['params_out', 'm_out', 'v_out', 'loss', 'gradNorm', 'lr'],
    name: 'train_step',
    ...exportOptions,
  });
}

/** Runs training steps in onnxruntime-node, keeping parameters and AdamW moments between calls. */
export class OrtTrainStep {
  private current: StateBuffers;
  private spare: StateBuffers;
  private readonly scalars = {
    loss: new Float32Array(1),
    gradNorm: new Float32Array(1),
    lr: new Float32Array(1),
  };
  private stepNumber: number;
  /** Updates the moments hold, plus one (see makeTrainStep's momentStep). */
  private momentStepNumber: number;

  private constructor(
    readonly session: OrtSession,
    readonly graph: ExportedGraph,
    readonly shapes: Record<string, number[]>,
    private readonly batchNames: string[],
    initial: Record<string, Float32Array>,
    firstStep: number,
  ) {
    const fresh = (fill?: Record<string, Float32Array>): Record<string, Float32Array> =>
      Object.fromEntries(
        Object.entries(shapes).map(([k, s]) => [
          k,
          fill ? fill[k] : new Float32Array(s.reduce((a, b) => a * b, 1)),
        ]),
      );
    this.current = { params: fresh(initial), m: fresh(), v: fresh() };
    this.spare = { params: fresh(), m: fresh(), v: fresh() };
    this.stepNumber = firstStep;
    this.momentStepNumber = 1;
  }

  /**
   * Exports and loads the training step. `params` gives the initial values (read once, not
   * consumed); `batch` the shapes and dtypes of one batch (arrays or ArraySpecs).
   */
  static async create(
    loss: LossFn,
    params: Params,
    batch: Record<string, Traceable>,
    opts: OrtTrainStepOptions = {},
  ): Promise<OrtTrainStep> {
    const cfg = { ...DEFAULT_ADAMW, ...opts.adamw };
    const specs: Record<string, ArraySpec> = {};
    const initial: Record<string, Float32Array> = {};
    for (const [k, p] of Object.entries(params)) {
      if (p.dtype !== 'float32')
        throw new TrainStepError(`parameter '${k}' is ${p.dtype}; only float32 is trained`);
      specs[k] = new ArraySpec([...p.shape]);
      initial[k] = Float32Array.from(p.ref.dataSync() as Float32Array);
    }
    const graph = exportTrainStep(loss, specs, batch, cfg, opts.decays, {}, opts.trains);
    const session = await OrtSession.create(graph.model, { threads: opts.threads });
    const shapes = Object.fromEntries(Object.entries(specs).map(([k, s]) => [k, s.shape]));
    return new OrtTrainStep(session, graph, shapes, Object.keys(batch), initial, opts.step ?? 1);
  }

  /** The step number the next call to `step` will use (counting from 1). */
  get nextStep(): number {
    return this.stepNumber;
  }

  /** Runs one step on `batch` (host arrays) and returns its loss, gradient norm and learning rate. */
  async step(batch: Record<string, HostTensor>): Promise<{ loss: number; gradNorm: number; lr: number }> {
    const feeds: Record<string, HostTensor> = {
      step: { data: Float32Array.of(this.stepNumber), shape: [] },
      momentStep: { data: Float32Array.of(this.momentStepNumber), shape: [] },
    };
    const fetches: Record<string, HostTensor> = {};
    for (const section of SECTIONS) {
      for (const [k, shape] of Object.entries(this.shapes)) {
        feeds[`${section}.${k}`] = { data: this.current[section][k], shape };
        fetches[`${section}_out.${k}`] = { data: this.spare[section][k], shape };
      }
    }
    for (const name of this.batchNames) {
      const t = batch[name];
      if (!t) throw new TrainStepError(`batch is missing '${name}'`);
      feeds[`batch.${name}`] = t;
    }
    for (const [k, data] of Object.entries(this.scalars)) fetches[k] = { data, shape: [] };
    await this.session.run(feeds, fetches);
    [this.current, this.spare] = [this.spare, this.current];
    this.stepNumber++;
    this.momentStepNumber++;
    return { loss: this.scalars.loss[0], gradNorm: this.scalars.gradNorm[0], lr: this.scalars.lr[0] };
  }

  /**
   * Undoes the last step: the state before it is still in the spare buffers (they swap roles
   * every step), so a step that produced NaNs can be thrown away without a checkpoint.
   */
  rollback(): void {
    [this.current, this.spare] = [this.spare, this.current];
    this.stepNumber--;
    this.momentStepNumber--;
  }

  /** Current parameters as host arrays (live views: copy them to keep a snapshot). */
  get params(): Record<string, Float32Array> {
    return this.current.params;
  }

  /**
   * Current AdamW moments as host arrays (live views), for checkpoints, with the number of updates
   * they hold (`steps`; fewer than the schedule's steps when they started part-way).
   */
  get moments(): AdamMoments {
    return { m: this.current.m, v: this.current.v, steps: this.momentStepNumber - 1 };
  }

  /**
   * Replaces parameters and moments (resuming from a checkpoint); `nextStep` is the schedule's next
   * step. Missing moments reset to zero and their bias corrections start again; moments without a
   * count of their own are taken to have started with the schedule.
   */
  load(params: Record<string, Float32Array>, moments?: AdamMoments, nextStep?: number): void {
    for (const k of Object.keys(this.shapes)) {
      if (!params[k] || params[k].length !== this.current.params[k].length) {
        throw new TrainStepError(`parameter '${k}' is missing or has the wrong size`);
      }
      this.current.params[k].set(params[k]);
      if (moments) {
        this.current.m[k].set(moments.m[k]);
        this.current.v[k].set(moments.v[k]);
      } else {
        this.current.m[k].fill(0);
        this.current.v[k].fill(0);
      }
    }
    if (nextStep !== undefined) this.stepNumber = nextStep;
    this.momentStepNumber = moments ? (moments.steps ?? this.stepNumber - 1) + 1 : 1;
  }

  async dispose(): Promise<void> {
    await this.session.dispose();
  }
}
