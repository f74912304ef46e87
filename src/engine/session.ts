// A thin, typed wrapper over onnxruntime-node's InferenceSession.
// Inputs and outputs are plain typed arrays with a shape; `fetches` lets a caller hand in
// preallocated output buffers, which ORT then writes in place (no fresh memory per run).
import ort from 'onnxruntime-node';

export type HostData = Float32Array | Int32Array | Uint32Array | BigInt64Array | Uint8Array | Float64Array;

export interface HostTensor {
  data: HostData;
  shape: readonly number[];
}

export interface SessionOptions {
  /** Threads for one operator (ORT intra-op); default 2, the cores of our training machine. */
  threads?: number;
  /** ORT graph optimisation level; default 'all' (fusions, layout transforms). */
  optimization?: 'disabled' | 'basic' | 'extended' | 'all';
  /** Log ORT warnings (default: errors only). */
  verbose?: boolean;
  /** Write the optimised graph here (debugging). */
  optimizedModelPath?: string;
  /**
   * Record ORT's per-node profile to `<prefix>_<date>.json` (Chrome trace format); the file is
   * written by `endProfiling()` or when the session is disposed.
   */
  profilePrefix?: string;
  /**
   * ORT's memory pattern: plan all intermediate buffers as one block per run. Default off: that
   * block is allocated fresh on every run (it bypasses the arena), and on our VMs first-touching
   * gigabytes of fresh pages cost more than the planning saves; the arena then reuses buffers.
   */
  memoryPattern?: boolean;
  /**
   * Let idle pool threads spin waiting for work. Default off: on a shared 2-core machine the
   * spinning steals the core from the other thread (and from a background run) between kernels.
   */
  spinning?: boolean;
}

export class SessionError extends Error {
  override name = 'SessionError';
}

type OrtTensorType = 'float32' | 'int32' | 'uint32' | 'int64' | 'bool' | 'float64' | 'uint8';

function tensorType(data: HostData, declared?: string): OrtTensorType {
  if (data instanceof Float32Array) return 'float32';
  if (data instanceof Int32Array) return 'int32';
  if (data instanceof Uint32Array) return 'uint32';
  if (data instanceof BigInt64Array) return 'int64';
  if (data instanceof Float64Array) return 'float64';
  return declared === 'bool' ? 'bool' : 'uint8';
}

/** Wraps a host array as an ORT tensor without copying. */
export function toOrt(t: HostTensor, declared?: string): ort.Tensor {
  return new ort.Tensor(tensorType(t.data, declared), t.data, [...t.shape]);
}

export class OrtSession {
  private readonly inputTypes: Map<string, string>;

  private constructor(readonly session: ort.InferenceSession) {
    this.inputTypes = new Map(
      session.inputNames.map((name, i) => {
        const meta = session.inputMetadata[i];
        return [name, meta?.isTensor ? meta.type : 'float32'];
      }),
    );
  }

  static async create(model: Uint8Array | string, opts: SessionOptions = {}): Promise<OrtSession> {
    const options: ort.InferenceSession.SessionOptions = {
      intraOpNumThreads: opts.threads ?? 2,
      interOpNumThreads: 1,
      executionMode: 'sequential',
      // Warnings only when asked: ORT logs every unused input or folded node otherwise.
      logSeverityLevel: opts.verbose ? 2 : 3,
      graphOptimizationLevel: opts.optimization ?? 'all',
      enableMemPattern: opts.memoryPattern ?? false,
      enableCpuMemArena: true,
      extra: { session: { 'intra_op.allow_spinning': opts.spinning ? '1' : '0' } },
      ...(opts.optimizedModelPath ? { optimizedModelFilePath: opts.optimizedModelPath } : {}),
      ...(opts.profilePrefix ? { enableProfiling: true, profileFilePrefix: opts.profilePrefix } : {}),
    };
    const session =
      typeof model === 'string'
        ? await ort.InferenceSession.create(model, options)
        : await ort.InferenceSession.create(model, options);
    return new OrtSession(session);
  }

  get inputNames(): readonly string[] {
    return this.session.inputNames;
  }

  get outputNames(): readonly string[] {
    return this.session.outputNames;
  }

  /**
   * Runs the graph. Every input must be fed. With `fetches`, those outputs are written into the
   * given buffers (same shape and type as the graph declares) and returned as they are.
   */
  async run(
    feeds: Record<string, HostTensor>,
    fetches?: Record<string, HostTensor>,
  ): Promise<Record<string, HostTensor>> {
    const ortFeeds: Record<string, ort.Tensor> = {};
    for (const name of this.session.inputNames) {
      const t = feeds[name];
      if (!t) throw new SessionError(`missing input '${name}'`);
      ortFeeds[name] = toOrt(t, this.inputTypes.get(name));
    }
    let results: ort.InferenceSession.ReturnType;
    if (fetches) {
      const ortFetches: Record<string, ort.Tensor | null> = {};
      for (const name of this.session.outputNames)
        ortFetches[name] = fetches[name] ? toOrt(fetches[name]) : null;
      results = await this.session.run(ortFeeds, ortFetches);
    } else {
      results = await this.session.run(ortFeeds);
    }
    const out: Record<string, HostTensor> = {};
    for (const [name, value] of Object.entries(results)) {
      const t = value as ort.Tensor;
      out[name] = fetches?.[name] ?? { data: t.data as HostData, shape: t.dims };
    }
    return out;
  }

  /** Stops profiling (see `profilePrefix`) and writes the trace file. */
  endProfiling(): void {
    this.session.endProfiling();
  }

  async dispose(): Promise<void> {
    await this.session.release();
  }
}
