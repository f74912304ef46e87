// The durable job queue, one interface over two backends (embedded SQLite, Redis + BullMQ).
// A job is durable once submit() resolves. Workers hold a lease they renew by heartbeat; a worker
// that dies (kill -9) stops renewing, its lease runs out and another worker takes the job over.
// Completion is conditional on still holding the lease, so each job completes exactly once.
import { randomBytes } from 'node:crypto';
import type { VideoJobInput } from '../generator.ts';
import type { StoredResult, VideoRecord } from '../video.ts';

export interface NewVideo {
  input: VideoJobInput;
  size: string;
  seconds: string;
  sourceVideoId: string | null;
}

export interface ListQuery {
  after?: string;
  limit: number;
  order: 'asc' | 'desc';
}

export interface VideoPage {
  items: VideoRecord[];
  hasMore: boolean;
}

export interface QueueTiming {
  /** How long a claim lasts without a heartbeat before another worker may take the job. */
  leaseMs: number;
  /** Starts of one job (crashes included) before it is failed. */
  maxAttempts: number;
  /** How long an idle worker waits before looking for work again. */
  pollMs: number;
  /** Wait before retrying a job whose generator threw (doubles per attempt). */
  retryDelayMs: number;
  /** How long results are kept after completion, in seconds. */
  retentionS: number;
}

export const DEFAULT_TIMING: QueueTiming = {
  leaseMs: 30_000,
  maxAttempts: 3,
  pollMs: 500,
  retryDelayMs: 2_000,
  retentionS: 24 * 3600,
};

/** A job a worker holds. `signal` aborts when the job is deleted, the lease is lost or on shutdown. */
export interface ClaimedJob {
  record: VideoRecord;
  /** 1 for the first start. */
  attempt: number;
  /** A token unique to this start; workers name their output folder with it. */
  token: string;
  signal: AbortSignal;
  progress(fraction: number): void;
}

/** The handler returns the result folder (relative to the data folder) and what it holds. */
export type JobHandler = (job: ClaimedJob) => Promise<StoredResult>;

export type Outcome =
  | { kind: 'completed'; result: StoredResult }
  /** Someone else owns the job now, or it was deleted: the handler's output is not used. */
  | { kind: 'lost'; result: StoredResult | null }
  | { kind: 'retry'; error: Error }
  | { kind: 'failed'; error: Error }
  /** Shutdown: the job was handed back to the queue unfinished. */
  | { kind: 'released' };

export interface ConsumeOptions {
  workerId: string;
  onOutcome?: (job: ClaimedJob, outcome: Outcome) => void | Promise<void>;
}

export interface Consumer {
  /** Stops taking jobs; waits up to `graceMs` for the current one, then aborts and hands it back. */
  stop(graceMs: number): Promise<void>;
}

export interface JobQueue {
  readonly kind: 'sqlite' | 'redis';
  readonly timing: QueueTiming;
  submit(job: NewVideo): Promise<VideoRecord>;
  get(id: string): Promise<VideoRecord | undefined>;
  list(query: ListQuery): Promise<VideoPage>;
  /** Deletes the record (a running job's worker sees its signal abort). Returns what was removed. */
  remove(id: string): Promise<VideoRecord | undefined>;
  /** Removes and returns up to `limit` records whose results expired before `nowS`. */
  takeExpired(nowS: number, limit: number): Promise<VideoRecord[]>;
  consume(handler: JobHandler, options: ConsumeOptions): Consumer;
  close(): Promise<void>;
}

/** A token for one start of one job: the worker's id (for operators) and a random part. */
export function leaseToken(workerId: string): string {
  return `${workerId.replace(/[^A-Za-z0-9_.-]/g, '_').slice(0, 64)}.${randomBytes(8).toString('hex')}`;
}
