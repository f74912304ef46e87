// A worker: takes jobs from the queue, runs the generator into a folder of its own (named by its
// lease token, so two workers never write the same files), and tidies up by outcome: the winner
// of a completion prunes folders left by dead workers; a worker whose job was taken over or
// deleted removes what it wrote.

import { mkdir, rename, rm } from 'node:fs/promises';
import { hostname } from 'node:os';
import { dirname } from 'node:path';
import type { VideoGenerator } from './generator.ts';
import type { ClaimedJob, Consumer, JobQueue, Outcome } from './queue/queue.ts';
import type { DataDir } from './storage.ts';
import type { StoredResult } from './video.ts';

export interface WorkerOptions {
  queue: JobQueue;
  data: DataDir;
  generator: VideoGenerator;
  /** Names this worker in lease tokens; default host and pid. */
  workerId?: string;
  /** Told about every finished attempt (logging, tests). */
  onOutcome?: (job: ClaimedJob, outcome: Outcome) => void;
}

export class VideoWorker {
  readonly id: string;
  private consumer: Consumer | null = null;

  constructor(private readonly options: WorkerOptions) {
    this.id = options.workerId ?? `${hostname()}-${process.pid}`;
  }

  start(): void {
    if (this.consumer) return;
    this.consumer = this.options.queue.consume((job) => this.run(job), {
      workerId: this.id,
      onOutcome: (job, outcome) => this.settle(job, outcome),
    });
  }

  /** Finishes the current job if it ends within `graceMs`, else hands it back to the queue. */
  async stop(graceMs = 10_000): Promise<void> {
    const consumer = this.consumer;
    this.consumer = null;
    await consumer?.stop(graceMs);
  }

  private async run(job: ClaimedJob): Promise<StoredResult> {
    const { data, generator } = this.options;
    const { input } = job.record;
    const dir = data.resultDir(input.id, job.token);
    const work = data.resolve(data.attemptDir(job.token));
    await mkdir(work, { recursive: true });
    const generated = await generator
      .generate(
        {
          ...input,
          inputReference: input.inputReference && data.resolve(input.inputReference),
          sourceVideo: input.sourceVideo && data.resolve(input.sourceVideo),
        },
        work,
        job.progress,
        job.signal,
      )
      .catch(async (err: unknown) => {
        await rm(work, { recursive: true, force: true });
        throw err;
      });
    // The finished files appear under the video in one rename, just before completion is recorded.
    await mkdir(dirname(data.resolve(dir)), { recursive: true });
    await rename(work, data.resolve(dir));
    return { ...generated, dir };
  }

  private async settle(job: ClaimedJob, outcome: Outcome): Promise<void> {
    const { data, queue } = this.options;
    const id = job.record.id;
    const ownDir = data.resolve(data.resultDir(id, job.token));
    if (outcome.kind === 'completed') {
      await data.pruneAttempts(id, outcome.result.dir);
    } else if (outcome.kind === 'lost' && !(await queue.get(id))) {
      await data.removeVideo(id); // deleted while running: nothing of it may stay behind
    } else {
      await rm(ownDir, { recursive: true, force: true });
    }
    this.options.onOutcome?.(job, outcome);
  }
}
