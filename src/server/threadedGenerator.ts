// A VideoGenerator that runs the text-to-video pipeline in a worker thread, so that sampling,
// watermarking and encoding never hold the event loop that serves HTTP requests and renews the
// queue's leases (in-process, one 640x360 job held it for about a second; a client's idle
// keep-alive socket or a lease can expire in such a pause). Each generator owns one thread; a
// process with N workers gets N threads, which also lets their jobs run in parallel.
//
// The thread (generatorThread.ts) loads the model itself from `weights`; jobs, progress and
// outcomes cross as messages. A GenerationError keeps its code across the boundary; any other
// failure arrives as a plain Error, which the queue retries. A thread that dies fails the jobs it
// held (the queue retries them) and is started again for the next job.
import { Worker } from 'node:worker_threads';
import {
  type GeneratedVideo,
  GenerationError,
  nativeSizeOnGrid,
  type VideoGenerator,
  type VideoJobInput,
} from './generator.ts';
import type { PipelineGeneratorOptions } from './pipelineGenerator.ts';

/** What the thread is started with: the pipeline generator's options, with a weights file for the model. */
export type ThreadSetup = Omit<PipelineGeneratorOptions, 'pipeline'> & { weights: string };

export type ToThread =
  | { kind: 'generate'; id: number; job: VideoJobInput; outDir: string }
  | { kind: 'abort'; id: number; reason: unknown };

export type FromThread =
  | { kind: 'ready'; models: readonly string[]; grid: number; maxNativeSide: number }
  | { kind: 'progress'; id: number; fraction: number }
  | { kind: 'done'; id: number; result: GeneratedVideo }
  | { kind: 'failed'; id: number; message: string; code: string | null };

type Ready = Extract<FromThread, { kind: 'ready' }>;

interface RunningJob {
  resolve(result: GeneratedVideo): void;
  reject(error: Error): void;
  onProgress(fraction: number): void;
}

/** Starts a thread and resolves once its model is loaded; rejects with the thread's own error. */
function startThread(setup: ThreadSetup): Promise<{ thread: Worker; ready: Ready }> {
  const thread = new Worker(new URL('./thread.mjs', import.meta.url), {
    workerData: { ...setup, module: new URL('./generatorThread.ts', import.meta.url).href },
  });
  return new Promise((resolve, reject) => {
    const onMessage = (message: FromThread) => {
      if (message.kind !== 'ready') return;
      stopListening();
      resolve({ thread, ready: message });
    };
    const onError = (err: Error) => {
      stopListening();
      reject(new Error(`the generator thread could not start: ${err.message}`));
    };
    const onExit = (code: number) => {
      stopListening();
      reject(new Error(`the generator thread exited with code ${code} before its model was loaded`));
    };
    const stopListening = () => {
      thread.off('message', onMessage).off('error', onError).off('exit', onExit);
    };
    thread.on('message', onMessage).on('error', onError).on('exit', onExit);
  });
}

export class ThreadedGenerator implements VideoGenerator {
  readonly models: readonly string[];
  private readonly grid: number;
  private readonly maxNativeSide: number;
  private readonly jobs = new Map<number, RunningJob>();
  private nextId = 1;
  /** The thread, or its start; undefined after it died, until the next job starts another. */
  private thread: Promise<Worker> | undefined;
  private closed = false;

  private constructor(
    private readonly setup: ThreadSetup,
    started: { thread: Worker; ready: Ready },
  ) {
    this.models = started.ready.models;
    this.grid = started.ready.grid;
    this.maxNativeSide = started.ready.maxNativeSide;
    this.thread = Promise.resolve(this.watch(started.thread));
  }

  /** Starts the thread and waits for its model: a missing or broken weights file fails here. */
  static async start(setup: ThreadSetup): Promise<ThreadedGenerator> {
    return new ThreadedGenerator(setup, await startThread(setup));
  }

  nativeSize(width: number, height: number) {
    return nativeSizeOnGrid(this.grid, this.maxNativeSide, width, height);
  }

  async generate(
    job: VideoJobInput,
    outDir: string,
    onProgress: (fraction: number) => void,
    signal: AbortSignal,
  ): Promise<GeneratedVideo> {
    const thread = await this.liveThread();
    signal.throwIfAborted(); // also while a restarted thread was loading its model
    const id = this.nextId++;
    const result = new Promise<GeneratedVideo>((resolve, reject) => {
      this.jobs.set(id, { resolve, reject, onProgress });
    });
    const abort = () => post(thread, { kind: 'abort', id, reason: signal.reason });
    signal.addEventListener('abort', abort, { once: true });
    post(thread, { kind: 'generate', id, job, outDir });
    try {
      return await result;
    } finally {
      signal.removeEventListener('abort', abort);
      this.jobs.delete(id);
    }
  }

  /** Stops the thread; a job still running in it fails. */
  async close(): Promise<void> {
    this.closed = true;
    const thread = await this.thread?.catch(() => undefined);
    this.thread = undefined;
    await thread?.terminate();
  }

  private liveThread(): Promise<Worker> {
    if (this.closed) return Promise.reject(new Error('the generator is closed'));
    if (!this.thread) {
      const starting = startThread(this.setup).then((started) => this.watch(started.thread));
      // a failed start fails this job; the next job tries again
      starting.catch(() => {
        if (this.thread === starting) this.thread = undefined;
      });
      this.thread = starting;
    }
    return this.thread;
  }

  /** Routes the thread's messages to their jobs; when it dies, fails them and forgets the thread. */
  private watch(thread: Worker): Worker {
    let failure: Error | undefined;
    thread.on('message', (message: FromThread) => {
      if (message.kind === 'ready') return;
      const job = this.jobs.get(message.id);
      if (!job) return; // already settled
      if (message.kind === 'progress') job.onProgress(message.fraction);
      else if (message.kind === 'done') job.resolve(message.result);
      else
        job.reject(
          message.code === null
            ? new Error(message.message)
            : new GenerationError(message.message, message.code),
        );
    });
    thread.on('error', (err) => {
      failure = err;
    });
    thread.on('exit', (code) => {
      const reason = failure ? failure.message : `exit code ${code}`;
      for (const job of this.jobs.values()) job.reject(new Error(`the generator thread stopped (${reason})`));
      this.jobs.clear();
      if (!this.closed) this.thread = undefined;
    });
    return thread;
  }
}

function post(thread: Worker, message: ToThread): void {
  thread.postMessage(message);
}
