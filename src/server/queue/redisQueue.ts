// The scale-out queue: Redis holds the video records, BullMQ moves the jobs. Any number of API
// servers and `kinema worker` processes on any number of machines share one Redis.
//
// BullMQ gives delivery: a job lock renewed while its worker lives, a stalled-job checker that
// puts the job of a dead worker back in the queue, and backoff for retries. The record is the
// truth the API shows; every change a worker makes to it goes through one Lua script that checks
// the worker's lease token first, so a worker presumed dead cannot complete a job another took
// over (exactly-once completion), and a deleted record stays deleted.
import { type Job, Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { GenerationError } from '../generator.ts';
import type { StoredResult, VideoRecord } from '../video.ts';
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

/**
 * Conditional update of one record. KEYS: record, expiry set. ARGV: lease token ('*' = any),
 * required status ('*' any, 'active' queued or in progress, else exact), JSON patch, attempts
 * delta, progress floor. Returns the new record, or nil when the record is gone or not as required.
 */
const TRANSITION = `
local raw = redis.call('GET', KEYS[1])
if not raw then return nil end
local r = cjson.decode(raw)
if ARGV[1] ~= '*' and r.lease ~= ARGV[1] then return nil end
if ARGV[2] == 'active' then
  if r.status ~= 'queued' and r.status ~= 'in_progress' then return nil end
elseif ARGV[2] ~= '*' and r.status ~= ARGV[2] then return nil end
for k, v in pairs(cjson.decode(ARGV[3])) do r[k] = v end
r.attempts = r.attempts + tonumber(ARGV[4])
if tonumber(ARGV[5]) > r.progress then r.progress = tonumber(ARGV[5]) end
if r.expiresAt ~= cjson.null and r.expiresAt ~= nil then redis.call('ZADD', KEYS[2], r.expiresAt, r.id) end
local out = cjson.encode(r)
redis.call('SET', KEYS[1], out)
return out
`;

type Stored = VideoRecord & { lease: string | null };

interface JobData {
  id: string;
}

const nowS = () => Math.floor(Date.now() / 1000);

function strip({ lease: _lease, ...record }: Stored): VideoRecord {
  return record;
}

export class RedisQueue implements JobQueue {
  readonly kind = 'redis';
  private readonly redis: Redis;
  private readonly queue: Queue<JobData>;

  constructor(
    private readonly url: string,
    readonly timing: QueueTiming = DEFAULT_TIMING,
    private readonly prefix = 'kinema',
  ) {
    this.redis = new Redis(url, { maxRetriesPerRequest: 3 });
    this.queue = new Queue<JobData>('videos', { connection: { url }, prefix: `${prefix}:bull` });
  }

  private key(id: string): string {
    return `${this.prefix}:video:${id}`;
  }

  private get listKey(): string {
    return `${this.prefix}:videos`;
  }

  private get expiryKey(): string {
    return `${this.prefix}:expiry`;
  }

  /** The connection, for the idempotency and key stores that share this Redis. */
  get client(): Redis {
    return this.redis;
  }

  async submit(job: NewVideo): Promise<VideoRecord> {
    const id = job.input.id;
    const record: Stored = {
      id,
      status: 'queued',
      progress: 0,
      createdAt: nowS(),
      completedAt: null,
      expiresAt: null,
      error: null,
      input: job.input,
      result: null,
      attempts: 0,
      sourceVideoId: job.sourceVideoId,
      size: job.size,
      seconds: job.seconds,
      lease: null,
    };
    const seq = await this.redis.incr(`${this.prefix}:seq`);
    await this.redis.multi().set(this.key(id), JSON.stringify(record)).zadd(this.listKey, seq, id).exec();
    // The record first, then the job: a worker never sees a job whose record is not there yet.
    await this.queue.add('generate', { id }, this.jobOptions(id));
    return strip(record);
  }

  private jobOptions(id: string) {
    return {
      jobId: id,
      // The record counts attempts; BullMQ's own cap is only a backstop (shutdowns count there too).
      attempts: this.timing.maxAttempts * 3,
      backoff: { type: 'exponential', delay: this.timing.retryDelayMs },
      removeOnComplete: true,
      removeOnFail: true,
    };
  }

  async get(id: string): Promise<VideoRecord | undefined> {
    const raw = await this.redis.get(this.key(id));
    return raw ? strip(JSON.parse(raw)) : undefined;
  }

  async list(query: ListQuery): Promise<VideoPage> {
    const desc = query.order === 'desc';
    let bound = desc ? '+inf' : '-inf';
    if (query.after) {
      const score = await this.redis.zscore(this.listKey, query.after);
      if (score === null) return { items: [], hasMore: false };
      bound = `(${score}`;
    }
    const ids = desc
      ? await this.redis.zrevrangebyscore(this.listKey, bound, '-inf', 'LIMIT', 0, query.limit + 1)
      : await this.redis.zrangebyscore(this.listKey, bound, '+inf', 'LIMIT', 0, query.limit + 1);
    const page = ids.slice(0, query.limit);
    const raws = page.length ? await this.redis.mget(page.map((id) => this.key(id))) : [];
    const items = raws.filter((r): r is string => r !== null).map((r) => strip(JSON.parse(r)));
    return { items, hasMore: ids.length > query.limit };
  }

  async remove(id: string): Promise<VideoRecord | undefined> {
    const raw = await this.redis.getdel(this.key(id));
    await this.redis.multi().zrem(this.listKey, id).zrem(this.expiryKey, id).exec();
    // A running job is locked and stays; its worker notices the record is gone and stops.
    await this.queue.remove(id).catch(() => 0);
    return raw ? strip(JSON.parse(raw)) : undefined;
  }

  async takeExpired(now: number, limit: number): Promise<VideoRecord[]> {
    const ids = await this.redis.zrangebyscore(this.expiryKey, '-inf', `(${now}`, 'LIMIT', 0, limit);
    const removed: VideoRecord[] = [];
    for (const id of ids) {
      const record = await this.remove(id);
      if (record) removed.push(record);
    }
    return removed;
  }

  private async transition(
    id: string,
    lease: string,
    status: string,
    patch: Partial<Stored>,
    attemptsDelta = 0,
    progressFloor = 0,
  ): Promise<Stored | undefined> {
    const out = (await this.redis.eval(
      TRANSITION,
      2,
      this.key(id),
      this.expiryKey,
      lease,
      status,
      JSON.stringify(patch),
      attemptsDelta,
      progressFloor,
    )) as string | null;
    return out ? JSON.parse(out) : undefined;
  }

  consume(handler: JobHandler, options: ConsumeOptions): Consumer {
    const running = new Map<string, AbortController>();
    const worker = new Worker<JobData>('videos', (job) => this.process(job, handler, options, running), {
      connection: { url: this.url, maxRetriesPerRequest: null },
      prefix: `${this.prefix}:bull`,
      concurrency: 1,
      lockDuration: this.timing.leaseMs,
      stalledInterval: Math.max(250, Math.floor(this.timing.leaseMs / 2)),
      // The record's attempt count fails a job that keeps killing workers; this is a backstop.
      maxStalledCount: this.timing.maxAttempts + 1,
      drainDelay: Math.max(1, Math.ceil(this.timing.pollMs / 1000)),
    });
    // A job BullMQ gave up on (stalled too often, out of attempts) must not stay "in progress".
    worker.on('failed', (job: Job<JobData> | undefined, err: Error) => {
      if (!job) return;
      const now = nowS();
      void this.transition(job.data.id, '*', 'active', {
        status: 'failed',
        error: { code: 'worker_lost', message: err.message },
        completedAt: now,
        expiresAt: now + this.timing.retentionS,
        lease: null,
      });
    });
    worker.on('error', () => {
      // Connection hiccups are retried by BullMQ; without a listener Node would treat them as fatal.
    });
    return {
      stop: async (graceMs: number) => {
        const timer = setTimeout(() => {
          for (const abort of running.values()) abort.abort('shutdown');
        }, graceMs);
        await worker.close();
        clearTimeout(timer);
      },
    };
  }

  private async process(
    job: Job<JobData>,
    handler: JobHandler,
    options: ConsumeOptions,
    running: Map<string, AbortController>,
  ): Promise<void> {
    const id = job.data.id;
    const token = leaseToken(options.workerId);
    const started = await this.transition(id, '*', 'active', { status: 'in_progress', lease: token }, 1);
    if (!started) return; // deleted, or already finished by an earlier run
    if (started.attempts > this.timing.maxAttempts) {
      await this.fail(
        id,
        token,
        'worker_lost',
        `the job was started ${started.attempts - 1} times without finishing`,
      );
      return;
    }
    const abort = new AbortController();
    running.set(id, abort);
    let progress = 0;
    const beat = async () => {
      const alive = await this.transition(id, token, 'in_progress', {}, 0, progress).catch(() => 'unknown');
      if (alive === undefined) abort.abort('lost');
    };
    const timer = setInterval(beat, Math.min(1000, this.timing.leaseMs / 3));
    const claimed: ClaimedJob = {
      record: strip(started),
      attempt: started.attempts,
      token,
      signal: abort.signal,
      progress: (fraction) => {
        progress = Math.max(progress, Math.min(99, Math.floor(fraction * 100)));
      },
    };
    let outcome: Outcome;
    let retry: Error | undefined;
    try {
      const result = await handler(claimed);
      clearInterval(timer);
      outcome = (await this.complete(id, token, result))
        ? { kind: 'completed', result }
        : { kind: 'lost', result };
    } catch (err) {
      clearInterval(timer);
      const error = err instanceof Error ? err : new Error(String(err));
      outcome = await this.settleFailure(started, token, abort.signal, error);
      if (outcome.kind === 'retry' || outcome.kind === 'released') retry = error;
    } finally {
      running.delete(id);
    }
    await options.onOutcome?.(claimed, outcome);
    // Throwing hands the job back to BullMQ, which re-delivers it after the backoff.
    if (retry) throw retry;
  }

  private async complete(id: string, token: string, result: StoredResult): Promise<boolean> {
    const now = nowS();
    const done = await this.transition(id, token, 'in_progress', {
      status: 'completed',
      progress: 100,
      result,
      completedAt: now,
      expiresAt: now + this.timing.retentionS,
      lease: null,
    });
    return done !== undefined;
  }

  private async fail(id: string, token: string, code: string, message: string): Promise<boolean> {
    const now = nowS();
    const done = await this.transition(id, token, 'in_progress', {
      status: 'failed',
      error: { code, message },
      completedAt: now,
      expiresAt: now + this.timing.retentionS,
      lease: null,
    });
    return done !== undefined;
  }

  private async settleFailure(
    record: Stored,
    token: string,
    signal: AbortSignal,
    error: Error,
  ): Promise<Outcome> {
    const requeue = (attemptsDelta: number) =>
      this.transition(record.id, token, 'in_progress', { status: 'queued', lease: null }, attemptsDelta);
    if (signal.aborted) {
      if (signal.reason === 'shutdown' && (await requeue(-1))) return { kind: 'released' };
      return { kind: 'lost', result: null };
    }
    const permanent = error instanceof GenerationError || record.attempts >= this.timing.maxAttempts;
    if (!permanent) return (await requeue(0)) ? { kind: 'retry', error } : { kind: 'lost', result: null };
    const code = error instanceof GenerationError ? error.code : 'generation_failed';
    return (await this.fail(record.id, token, code, error.message))
      ? { kind: 'failed', error }
      : { kind: 'lost', result: null };
  }

  async close(): Promise<void> {
    await this.queue.close();
    await this.redis.quit();
  }
}
