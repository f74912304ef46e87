// Crash test: two worker processes, one killed with SIGKILL mid-job over and over (each kill
// while it holds a job's lease). Every accepted job must complete exactly once: completed in
// the queue, exactly one result folder on disk, the one the record names.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import OpenAI from 'openai';
import type { VideoSeconds, VideoSize } from 'openai/resources/videos';
import type { JobQueue } from '../../src/server/queue/queue.ts';
import { type RedisServer, type Stack, startRedis, startStack, waitFor } from './helpers.ts';

const KILLS = 20;

function spawnWorker(queueUrl: string, dataDir: string, id: string): Promise<ChildProcess> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'test/server/fixtures/worker.ts', queueUrl, dataDir, id],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  return new Promise((resolve, reject) => {
    child.stdout!.once('data', () => resolve(child));
    child.once('exit', (code) => reject(new Error(`worker ${id} exited early (${code})`)));
  });
}

function killHard(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

/** Which worker holds a lease right now (lease tokens start with the worker id). */
async function holder(queue: JobQueue, ids: string[]): Promise<string | undefined> {
  for (const id of ids) {
    const record = await queue.get(id);
    if (record?.status !== 'in_progress') continue;
    const leased = await queueLease(queue, id);
    if (leased) return leased.split('.')[0];
  }
  return undefined;
}

/** The lease token of a record, read from the backend's own storage. */
async function queueLease(queue: JobQueue, id: string): Promise<string | undefined> {
  if ('database' in queue) {
    const db = (queue as unknown as { database: import('better-sqlite3').Database }).database;
    const row = db.prepare('SELECT lease_token FROM videos WHERE id = ?').get(id) as
      | { lease_token: string | null }
      | undefined;
    return row?.lease_token ?? undefined;
  }
  const redis = (queue as unknown as { client: import('ioredis').Redis }).client;
  const raw = await redis.get(`kinema:video:${id}`);
  return raw ? ((JSON.parse(raw) as { lease: string | null }).lease ?? undefined) : undefined;
}

function crashTest(name: string, queueUrl: (dataDir: string) => string) {
  describe(`crash test on ${name}`, () => {
    let stack: Stack;
    before(async () => {
      stack = await startStack({ workers: 0, queueUrl: queueUrl('') || undefined });
    });
    after(() => stack.close());

    test(`${KILLS} kill -9s mid-job: every job completes exactly once`, { timeout: 150_000 }, async () => {
      const url = queueUrl(stack.dataDir);
      const client = new OpenAI({ baseURL: `${stack.url}/v1`, apiKey: stack.apiKey });
      const workers = new Map<string, ChildProcess>();
      for (const id of ['w0', 'w1']) workers.set(id, await spawnWorker(url, stack.dataDir, id));
      const ids: string[] = [];
      const submit = async () => {
        const v = await client.videos.create({
          prompt: 'a red ball moves right',
          size: '320x240' as VideoSize,
          seconds: '4' as VideoSeconds,
        });
        ids.push(v.id);
      };
      for (let i = 0; i < 6; i++) await submit();
      let kills = 0;
      try {
        while (kills < KILLS) {
          const victim = await waitFor('a job in progress', () => holder(stack.options.queue, ids), 30_000);
          await killHard(workers.get(victim)!);
          kills++;
          workers.set(victim, await spawnWorker(url, stack.dataDir, victim));
          // Keep work queued so there is always a job to kill.
          await submit();
        }
        for (const id of ids) {
          const record = await waitFor(
            `job ${id}`,
            async () => {
              const r = await stack.options.queue.get(id);
              return r && (r.status === 'completed' || r.status === 'failed') ? r : undefined;
            },
            60_000,
          );
          assert.equal(record.status, 'completed', `${id}: ${JSON.stringify(record.error)}`);
          const folders = await readdir(join(stack.dataDir, 'videos', id));
          assert.equal(folders.length, 1, `${id} has one result folder, not ${folders.join(', ')}`);
          assert.equal(join('videos', id, folders[0]!), record.result!.dir);
        }
        const restarted = (await Promise.all(ids.map((id) => stack.options.queue.get(id)))).filter(
          (r) => r!.attempts > 1,
        );
        assert.ok(restarted.length > 0, 'some jobs were re-run after a kill');
      } finally {
        await Promise.all([...workers.values()].map(killHard));
      }
      assert.equal(kills, KILLS);
    });
  });
}

let redis: RedisServer | undefined;
before(async () => {
  redis = await startRedis();
});
after(() => redis?.stop());

crashTest('SQLite', (dataDir) => (dataDir ? `sqlite:${join(dataDir, 'kinema.db')}` : ''));
crashTest('Redis + BullMQ', () => redis!.url);
