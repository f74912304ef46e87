// Serving overhead without generation: autocannon on loopback against create and retrieve
// (req/s, p99 latency), and queue throughput (jobs/s submitted, claimed and completed with the
// smallest real world-generator job) through SQLite and through Redis.
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
// @ts-expect-error autocannon ships no types (and @types/autocannon is not installed); results are read by field name below.
import autocannon from 'autocannon';
import { createApp } from '../src/server/app.ts';
import { openBackend } from '../src/server/backend.ts';
import { listen } from '../src/server/httpServer.ts';
import { DEFAULT_LIMITS } from '../src/server/limits.ts';
import { DataDir } from '../src/server/storage.ts';
import { VideoWorker } from '../src/server/worker.ts';
import { tinyPipelineGenerator } from '../test/server/fixtures/generator.ts';
import { report } from './_report.ts';

const TIMING = { leaseMs: 10_000, maxAttempts: 3, pollMs: 20, retryDelayMs: 100, retentionS: 3600 };

async function startRedis(port: number) {
  const child = spawn(
    'redis-server',
    ['--save', '', '--appendonly', 'no', '--port', String(port), '--bind', '127.0.0.1'],
    { stdio: ['ignore', 'pipe', 'ignore'] },
  );
  await new Promise<void>((resolve) =>
    child.stdout.on('data', (d: Buffer) => d.toString().includes('Ready') && resolve()),
  );
  return () =>
    new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill();
    });
}

async function bench(backendName: string, queueUrl: string | undefined) {
  const dir = await mkdtemp(join(tmpdir(), 'kinema-bench-'));
  const data = new DataDir(dir);
  await data.init();
  const backend = openBackend(queueUrl, dir, TIMING);
  const generator = await tinyPipelineGenerator(join(dir, 'provenance'));
  const { secret } = await backend.keys.create('bench');
  const app = createApp({
    queue: backend.queue,
    data,
    keys: backend.keys,
    idempotency: backend.idempotency,
    models: generator.models,
    limits: DEFAULT_LIMITS,
    rateLimit: null,
  });
  const server = await listen(app, 0);
  const headers = { authorization: `Bearer ${secret}`, 'content-type': 'application/json' };
  const create = await autocannon({
    url: `${server.url}/v1/videos`,
    method: 'POST',
    headers,
    body: JSON.stringify({ prompt: 'a red ball', size: '16x16', seconds: '1' }),
    connections: 8,
    duration: 3,
  });
  report({
    name: `server.create.${backendName}`,
    reqPerS: create.requests.average,
    p99Ms: create.latency.p99,
    non2xx: create.non2xx,
  });
  const page = (await (await fetch(`${server.url}/v1/videos?limit=1`, { headers })).json()) as {
    data: { id: string }[];
  };
  const retrieve = await autocannon({
    url: `${server.url}/v1/videos/${page.data[0]!.id}`,
    headers,
    connections: 8,
    duration: 3,
  });
  report({
    name: `server.retrieve.${backendName}`,
    reqPerS: retrieve.requests.average,
    p99Ms: retrieve.latency.p99,
    non2xx: retrieve.non2xx,
  });

  // Queue throughput: drain what create queued, with two in-process workers and the smallest real job.
  const queued = create.requests.total;
  const workers = [0, 1].map(
    (i) => new VideoWorker({ queue: backend.queue, data, generator, workerId: `bench-${i}` }),
  );
  const t0 = performance.now();
  let done = 0;
  const limit = Math.min(queued, 200);
  await new Promise<void>((resolve) => {
    for (const w of workers) w.start();
    const timer = setInterval(async () => {
      const pageDone = await backend.queue.list({ limit: 100, order: 'asc' });
      done = pageDone.items.filter((r) => r.status === 'completed').length;
      if (done >= Math.min(limit, 100)) {
        clearInterval(timer);
        resolve();
      }
    }, 100);
  });
  const seconds = (performance.now() - t0) / 1000;
  report({
    name: `server.queue.${backendName}`,
    jobsPerS: done / seconds,
    jobs: done,
    job: '16x16, 8 frames, world renderer + x264',
  });
  await Promise.all(workers.map((w) => w.stop(1000)));
  await server.close();
  await backend.queue.close();
  await rm(dir, { recursive: true, force: true });
}

await bench('sqlite', undefined);
const port = 20000 + Math.floor(Math.random() * 20000);
const stopRedis = await startRedis(port);
try {
  await bench('redis', `redis://127.0.0.1:${port}`);
} finally {
  await stopRedis();
}
