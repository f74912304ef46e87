// Test stacks: a real API server on 127.0.0.1, a real queue (SQLite file or a redis-server this
// file starts), real workers running the text-to-video pipeline on a tiny model (in process, or
// in threads as `kinema serve` runs it).
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadIdentity } from '../../src/provenance/identity.ts';
import { DEFAULT_WATERMARK_KEY } from '../../src/provenance/invisibleWatermark.ts';
import { createApp } from '../../src/server/app.ts';
import { openBackend } from '../../src/server/backend.ts';
import type { AppOptions } from '../../src/server/context.ts';
import { generatorModels, type VideoGenerator } from '../../src/server/generator.ts';
import { listen, type RunningServer } from '../../src/server/httpServer.ts';
import { DEFAULT_LIMITS } from '../../src/server/limits.ts';
import type { QueueTiming } from '../../src/server/queue/queue.ts';
import { DataDir } from '../../src/server/storage.ts';
import { ThreadedGenerator } from '../../src/server/threadedGenerator.ts';
import { VideoWorker } from '../../src/server/worker.ts';
import { TINY_MODEL_ID } from '../pipeline/_tinyModel.ts';
import { tinyPipelineGenerator, tinyThreadedGenerator } from './fixtures/generator.ts';

export const FAST_TIMING: QueueTiming = {
  leaseMs: 1500,
  maxAttempts: 3,
  pollMs: 100,
  retryDelayMs: 100,
  retentionS: 3600,
};

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export interface RedisServer {
  url: string;
  stop(): Promise<void>;
}

/** A throwaway redis-server on a free loopback port, nothing saved to disk. */
export async function startRedis(): Promise<RedisServer> {
  const port = await freePort();
  const child: ChildProcess = spawn(
    'redis-server',
    ['--save', '', '--appendonly', 'no', '--port', String(port), '--bind', '127.0.0.1'],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  await new Promise<void>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('Ready to accept connections')) resolve();
    });
    child.on('exit', (code) => reject(new Error(`redis-server exited with ${code}: ${out}`)));
  });
  child.stdout!.resume();
  return {
    url: `redis://127.0.0.1:${port}`,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

export interface Stack {
  url: string;
  apiKey: string;
  dataDir: string;
  options: AppOptions;
  server: RunningServer;
  workers: VideoWorker[];
  close(): Promise<void>;
}

export interface StackOptions {
  queueUrl?: string;
  workers?: number;
  timing?: QueueTiming;
  auth?: boolean;
  rateLimitPerMinute?: number;
  limits?: Partial<AppOptions['limits']>;
  /** Reuse a data folder (restart tests); it is then left in place on close. */
  dataDir?: string;
  /** Each worker's generator in a thread of its own, as `kinema serve` runs them. */
  threads?: boolean;
}

export async function startStack(opts: StackOptions = {}): Promise<Stack> {
  const dataDir = opts.dataDir ?? (await mkdtemp(join(tmpdir(), 'kinema-serve-')));
  const data = new DataDir(dataDir);
  await data.init();
  const backend = openBackend(opts.queueUrl, dataDir, opts.timing ?? FAST_TIMING);
  const provenanceHome = join(dataDir, 'provenance');
  const workerCount = opts.workers ?? 1;
  const generators: VideoGenerator[] = opts.threads
    ? await Promise.all(
        Array.from({ length: workerCount }, (_, i) =>
          tinyThreadedGenerator(provenanceHome, join(dataDir, `tiny-${i}.safetensors`)),
        ),
      )
    : Array(workerCount).fill(await tinyPipelineGenerator(provenanceHome));
  const { secret } = await backend.keys.create('test');
  const options: AppOptions = {
    queue: backend.queue,
    data,
    keys: opts.auth === false ? null : backend.keys,
    idempotency: backend.idempotency,
    models: generatorModels(TINY_MODEL_ID),
    limits: { ...DEFAULT_LIMITS, ...opts.limits },
    rateLimit: opts.rateLimitPerMinute ? { requestsPerMinute: opts.rateLimitPerMinute } : null,
    verification: {
      trustAnchorsPem: loadIdentity({ localDir: join(dataDir, 'provenance', 'identity') }).trustAnchorsPem,
      watermarkKey: DEFAULT_WATERMARK_KEY,
    },
  };
  const server = await listen(createApp(options), 0);
  const workers = generators.map((generator, i) => {
    const worker = new VideoWorker({ queue: backend.queue, data, generator, workerId: `test-${i}` });
    worker.start();
    return worker;
  });
  return {
    url: server.url,
    apiKey: secret,
    dataDir,
    options,
    server,
    workers,
    close: async () => {
      await Promise.all(workers.map((w) => w.stop(5000)));
      await Promise.all(generators.map((g) => (g instanceof ThreadedGenerator ? g.close() : undefined)));
      await server.close();
      await backend.queue.close();
      if (!opts.dataDir) await rm(dataDir, { recursive: true, force: true });
    },
  };
}

export async function waitFor<T>(
  what: string,
  poll: () => Promise<T | undefined>,
  timeoutMs = 60_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await poll();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
