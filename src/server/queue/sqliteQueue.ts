// The embedded queue: one SQLite file in WAL mode, no server to run. Several processes (the API
// server and any number of `kinema worker`s on the same machine) share it; SQLite's write lock
// serialises claims. Every state change a worker makes is conditional on its lease token, so a
// worker that lost its lease (presumed dead, job handed to another) cannot complete or fail the job.
import Database from 'better-sqlite3';
import { GenerationError } from '../generator.ts';
import type { StoredResult, VideoRecord, VideoStatus } from '../video.ts';
import type {
  ClaimedJob,
  ConsumeOptions,
  Consumer,
  JobHandler,
  JobQueue,
  ListQuery,
  NewVideo,
  Outcome,
  QueueTiming,
  VideoPage,
} from './queue.ts';
import { DEFAULT_TIMING, leaseToken } from './queue.ts';
import { idleWait } from './sleep.ts';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS videos (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  status TEXT NOT NULL,
  progress INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL,
  completed_at INTEGER,
  expires_at INTEGER,
  error TEXT,
  input TEXT NOT NULL,
  result TEXT,
  attempts INTEGER NOT NULL DEFAULT 0,
  source_video_id TEXT,
  size TEXT NOT NULL,
  seconds TEXT NOT NULL,
  lease_token TEXT,
  lease_until INTEGER,
  run_after INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS videos_runnable ON videos (status, run_after);
CREATE INDEX IF NOT EXISTS videos_expiry ON videos (expires_at);
`;

interface Row {
  seq: number;
  id: string;
  status: VideoStatus;
  progress: number;
  created_at: number;
  completed_at: number | null;
  expires_at: number | null;
  error: string | null;
  input: string;
  result: string | null;
  attempts: number;
  source_video_id: string | null;
  size: string;
  seconds: string;
  lease_token: string | null;
}

function toRecord(row: Row): VideoRecord {
  return {
    id: row.id,
    status: row.status,
    progress: row.progress,
    createdAt: row.created_at,
    completedAt: row.completed_at,
    expiresAt: row.expires_at,
    error: row.error ? JSON.parse(row.error) : null,
    input: JSON.parse(row.input),
    result: row.result ? JSON.parse(row.result) : null,
    attempts: row.attempts,
    sourceVideoId: row.source_video_id,
    size: row.size,
    seconds: row.seconds,
  };
}

const nowS = () => Math.floor(Date.now() / 1000);

export class SqliteQueue implements JobQueue {
  readonly kind = 'sqlite';
  private readonly db: Database.Database;
  /** Idle consumers in this process, woken when a job is submitted here. */
  private readonly sleepers = new Set<() => void>();

  constructor(
    file: string,
    readonly timing: QueueTiming = DEFAULT_TIMING,
  ) {
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    // FULL: a job acknowledged to the client survives a power cut, not only a process crash.
    this.db.pragma('synchronous = FULL');
    this.db.pragma('busy_timeout = 10000');
    this.db.exec(SCHEMA);
  }

  /** The same database handle, for the idempotency and key stores that share the file. */
  get database(): Database.Database {
    return this.db;
  }

  async submit(job: NewVideo): Promise<VideoRecord> {
    this.db
      .prepare(
        `INSERT INTO videos (id, status, created_at, input, source_video_id, size, seconds)
         VALUES (?, 'queued', ?, ?, ?, ?, ?)`,
      )
      .run(job.input.id, nowS(), JSON.stringify(job.input), job.sourceVideoId, job.size, job.seconds);
    for (const wake of this.sleepers) wake();
    return (await this.get(job.input.id))!;
  }

  async get(id: string): Promise<VideoRecord | undefined> {
    const row = this.db.prepare('SELECT * FROM videos WHERE id = ?').get(id) as Row | undefined;
    return row && toRecord(row);
  }

  async list(query: ListQuery): Promise<VideoPage> {
    const desc = query.order === 'desc';
    let rows: Row[];
    if (query.after) {
      const anchor = this.db.prepare('SELECT seq FROM videos WHERE id = ?').get(query.after) as
        | { seq: number }
        | undefined;
      if (!anchor) return { items: [], hasMore: false };
      rows = this.db
        .prepare(
          `SELECT * FROM videos WHERE seq ${desc ? '<' : '>'} ? ORDER BY seq ${desc ? 'DESC' : 'ASC'} LIMIT ?`,
        )
        .all(anchor.seq, query.limit + 1) as Row[];
    } else {
      rows = this.db
        .prepare(`SELECT * FROM videos ORDER BY seq ${desc ? 'DESC' : 'ASC'} LIMIT ?`)
        .all(query.limit + 1) as Row[];
    }
    return { items: rows.slice(0, query.limit).map(toRecord), hasMore: rows.length > query.limit };
  }

  async remove(id: string): Promise<VideoRecord | undefined> {
    const row = this.db.prepare('DELETE FROM videos WHERE id = ? RETURNING *').get(id) as Row | undefined;
    return row && toRecord(row);
  }

  async takeExpired(now: number, limit: number): Promise<VideoRecord[]> {
    const rows = this.db
      .prepare(
        `DELETE FROM videos WHERE id IN (SELECT id FROM videos WHERE expires_at IS NOT NULL AND expires_at < ? LIMIT ?)
         RETURNING *`,
      )
      .all(now, limit) as Row[];
    return rows.map(toRecord);
  }

  /**
   * Takes the oldest runnable job: queued and due, or in progress with a lease that ran out (its
   * worker died). A job whose lease ran out `maxAttempts` times is failed instead of re-run.
   */
  claim(workerId: string): { record: VideoRecord; token: string } | undefined {
    const token = leaseToken(workerId);
    return this.db
      .transaction(() => {
        const now = Date.now();
        for (;;) {
          const row = this.db
            .prepare(
              `SELECT * FROM videos
               WHERE (status = 'queued' AND run_after <= ?) OR (status = 'in_progress' AND lease_until < ?)
               ORDER BY seq LIMIT 1`,
            )
            .get(now, now) as Row | undefined;
          if (!row) return undefined;
          if (row.status === 'in_progress' && row.attempts >= this.timing.maxAttempts) {
            this.finish(row.id, row.lease_token, 'failed', {
              code: 'worker_lost',
              message: `the worker stopped responding on each of ${row.attempts} attempts`,
            });
            continue;
          }
          this.db
            .prepare(
              `UPDATE videos SET status = 'in_progress', attempts = attempts + 1, lease_token = ?, lease_until = ?
               WHERE id = ?`,
            )
            .run(token, now + this.timing.leaseMs, row.id);
          return { record: toRecord({ ...row, status: 'in_progress', attempts: row.attempts + 1 }), token };
        }
      })
      .immediate();
  }

  /** Renews the lease and stores progress; false when the lease is gone (job deleted or taken over). */
  heartbeat(id: string, token: string, progress: number): boolean {
    return (
      this.db
        .prepare(
          `UPDATE videos SET lease_until = ?, progress = MAX(progress, ?)
           WHERE id = ? AND lease_token = ? AND status = 'in_progress'`,
        )
        .run(Date.now() + this.timing.leaseMs, progress, id, token).changes === 1
    );
  }

  /** Completes or fails a job held under `token`; false when the lease was lost meanwhile. */
  finish(
    id: string,
    token: string | null,
    status: 'completed' | 'failed',
    error: { code: string; message: string } | null,
    result: StoredResult | null = null,
  ): boolean {
    const now = nowS();
    return (
      this.db
        .prepare(
          `UPDATE videos SET status = ?, progress = CASE WHEN ? = 'completed' THEN 100 ELSE progress END,
             completed_at = ?, expires_at = ?, error = ?, result = ?, lease_token = NULL, lease_until = NULL
           WHERE id = ? AND lease_token IS ? AND status = 'in_progress'`,
        )
        .run(
          status,
          status,
          now,
          now + this.timing.retentionS,
          error && JSON.stringify(error),
          result && JSON.stringify(result),
          id,
          token,
        ).changes === 1
    );
  }

  /** Puts a held job back in the queue: after `delayMs` for a retry, or at once (and uncounted) on shutdown. */
  requeue(id: string, token: string, delayMs: number, countAttempt: boolean): boolean {
    return (
      this.db
        .prepare(
          `UPDATE videos SET status = 'queued', run_after = ?, lease_token = NULL, lease_until = NULL,
             attempts = attempts - ?
           WHERE id = ? AND lease_token = ? AND status = 'in_progress'`,
        )
        .run(Date.now() + delayMs, countAttempt ? 0 : 1, id, token).changes === 1
    );
  }

  consume(handler: JobHandler, options: ConsumeOptions): Consumer {
    const stopping = new AbortController();
    let current: { abort: AbortController; done: Promise<void> } | null = null;
    const loop = (async () => {
      while (!stopping.signal.aborted) {
        const claimed = this.claim(options.workerId);
        if (!claimed) {
          const wait = idleWait(this.timing.pollMs, stopping.signal);
          this.sleepers.add(wait.wake);
          await wait.done;
          this.sleepers.delete(wait.wake);
          continue;
        }
        const abort = new AbortController();
        const done = this.run(claimed.record, claimed.token, abort, handler, options);
        current = { abort, done };
        await done;
        current = null;
      }
    })();
    return {
      stop: async (graceMs: number) => {
        stopping.abort();
        const running = current;
        if (running) {
          const timer = setTimeout(() => running.abort.abort('shutdown'), graceMs);
          await running.done;
          clearTimeout(timer);
        }
        await loop;
      },
    };
  }

  private async run(
    record: VideoRecord,
    token: string,
    abort: AbortController,
    handler: JobHandler,
    options: ConsumeOptions,
  ): Promise<void> {
    let progress = 0;
    const beat = () => {
      if (!this.heartbeat(record.id, token, progress)) abort.abort('lost');
    };
    // Beat often enough to keep progress live, and at least three times per lease.
    const timer = setInterval(beat, Math.min(1000, this.timing.leaseMs / 3));
    const job: ClaimedJob = {
      record,
      attempt: record.attempts,
      token,
      signal: abort.signal,
      progress: (fraction) => {
        progress = Math.max(progress, Math.min(99, Math.floor(fraction * 100)));
      },
    };
    let outcome: Outcome;
    try {
      const result = await handler(job);
      clearInterval(timer);
      outcome = this.finish(record.id, token, 'completed', null, result)
        ? { kind: 'completed', result }
        : { kind: 'lost', result };
    } catch (err) {
      clearInterval(timer);
      const error = err instanceof Error ? err : new Error(String(err));
      outcome = this.settleFailure(record, token, abort.signal, error);
    }
    await options.onOutcome?.(job, outcome);
  }

  private settleFailure(record: VideoRecord, token: string, signal: AbortSignal, error: Error): Outcome {
    if (signal.aborted) {
      if (signal.reason === 'shutdown' && this.requeue(record.id, token, 0, false))
        return { kind: 'released' };
      return { kind: 'lost', result: null };
    }
    const permanent = error instanceof GenerationError || record.attempts >= this.timing.maxAttempts;
    if (!permanent) {
      const delayMs = this.timing.retryDelayMs * 2 ** (record.attempts - 1);
      return this.requeue(record.id, token, delayMs, true)
        ? { kind: 'retry', error }
        : { kind: 'lost', result: null };
    }
    const code = error instanceof GenerationError ? error.code : 'generation_failed';
    return this.finish(record.id, token, 'failed', { code, message: error.message })
      ? { kind: 'failed', error }
      : { kind: 'lost', result: null };
  }

  async close(): Promise<void> {
    this.db.close();
  }
}
