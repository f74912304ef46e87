// `kinema serve`, `kinema worker` and `kinema keys`: the HTTP API, its workers and its API keys.
import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { z } from 'zod';
import { DEFAULT_WEIGHTS, loadModel } from '../models/bundle.ts';
import { type OperatorSettings, operatorSettingsFromEnv } from '../pipeline/operator.ts';
import { loadIdentity } from '../provenance/identity.ts';
import { createApp } from '../server/app.ts';
import { openBackend } from '../server/backend.ts';
import { startExpirySweeps } from '../server/expiry.ts';
import type { VideoGenerator } from '../server/generator.ts';
import { generatorModels } from '../server/generator.ts';
import { listen } from '../server/httpServer.ts';
import { isId } from '../server/ids.ts';
import { DEFAULT_LIMITS } from '../server/limits.ts';
import { DEFAULT_TIMING } from '../server/queue/queue.ts';
import { DataDir } from '../server/storage.ts';
import { ThreadedGenerator } from '../server/threadedGenerator.ts';
import { VideoWorker } from '../server/worker.ts';

/** The operator's provenance settings; their state (identity, audit log) lives in the data folder. */
function operatorFor(dataRoot: string): OperatorSettings {
  const operator = operatorSettingsFromEnv();
  if (!process.env.KINEMA_HOME) operator.home = join(dataRoot, 'provenance');
  return operator;
}

/**
 * One text-to-video pipeline on the given weights per worker, each in a thread of its own: the
 * event loop stays free for HTTP and lease renewals, and the workers' jobs run in parallel.
 */
function startGenerators(count: number, weights: string, dataRoot: string): Promise<ThreadedGenerator[]> {
  const operator = operatorFor(dataRoot);
  return Promise.all(Array.from({ length: count }, () => ThreadedGenerator.start({ weights, operator })));
}

/** What `GET /v1/videos/{id}/provenance` checks outputs against. */
function verificationFor(dataRoot: string) {
  const operator = operatorFor(dataRoot);
  const identity = loadIdentity({
    certificatePath: operator.certificatePath,
    privateKeyPath: operator.privateKeyPath,
    trustAnchorsPath: operator.trustAnchorsPath,
    localDir: join(operator.home, 'identity'),
  });
  return { trustAnchorsPem: identity.trustAnchorsPem, watermarkKey: operator.watermarkKey };
}

class ServeOptionError extends Error {
  static userError = true;
  override name = 'ServeOptionError';
}

const commonSchema = z.object({
  queue: z.string().optional(),
  data: z.string().default('./kinema-data'),
  weights: z.string().default(DEFAULT_WEIGHTS),
});

const serveSchema = commonSchema.extend({
  port: z.coerce.number().int().min(0).max(65535).default(8000),
  host: z.string().default('127.0.0.1'),
  workers: z.coerce.number().int().min(0).max(64).default(1),
  auth: z.boolean().default(true),
  rateLimit: z.coerce.number().int().min(0).default(600),
  retentionHours: z.coerce.number().positive().default(24),
});

function parse<S extends z.ZodType>(schema: S, raw: unknown): z.infer<S> {
  const result = schema.safeParse(raw);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  throw new ServeOptionError(`--${issue.path.join('.')}: ${issue.message}`);
}

async function openData(dir: string): Promise<DataDir> {
  const data = new DataDir(resolve(dir));
  await mkdir(data.root, { recursive: true });
  await data.init();
  return data;
}

function onShutdown(stop: () => Promise<void>): void {
  let stopping = false;
  const handler = () => {
    if (stopping) process.exit(1); // a second Ctrl-C: leave now
    stopping = true;
    process.stderr.write('kinema: shutting down (finishing or handing back the current job)...\n');
    stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
}

function startWorkers(
  backend: ReturnType<typeof openBackend>,
  data: DataDir,
  generators: readonly VideoGenerator[],
): VideoWorker[] {
  return generators.map((generator, i) => {
    const worker = new VideoWorker({
      queue: backend.queue,
      data,
      generator,
      workerId: `${process.pid}-${i}`,
    });
    worker.start();
    return worker;
  });
}

export function registerServeCommands(program: Command): void {
  const queueHelp = 'sqlite:PATH (default: DATA/kinema.db) or redis://HOST:PORT';

  program
    .command('serve')
    .description('Serve the OpenAI-compatible Videos API, the web page, and (by default) one worker')
    .option('--port <n>', 'TCP port', '8000')
    .option('--host <addr>', 'address to listen on', '127.0.0.1')
    .option('--queue <url>', queueHelp)
    .option('--data <dir>', 'folder for results and uploads (shared by all workers)', './kinema-data')
    .option('--weights <file>', 'model weights', DEFAULT_WEIGHTS)
    .option('--workers <n>', 'workers in this process (0: API only, run `kinema worker` elsewhere)', '1')
    .option('--no-auth', 'accept requests without an API key (local use only)')
    .option('--rate-limit <n>', 'requests per minute per key (0: unlimited)', '600')
    .option('--retention-hours <h>', 'how long results are kept', '24')
    .action(async (raw: Record<string, unknown>) => {
      const opts = parse(serveSchema, raw);
      const data = await openData(opts.data);
      const backend = openBackend(opts.queue, data.root, {
        ...DEFAULT_TIMING,
        retentionS: Math.round(opts.retentionHours * 3600),
      });
      if (opts.auth && (await backend.keys.list()).every((k) => k.revokedAt !== null)) {
        process.stderr.write(
          'kinema: no API keys yet; create one with `kinema keys create NAME` (or serve with --no-auth)\n',
        );
      }
      const generators = await startGenerators(opts.workers, opts.weights, data.root);
      const app = createApp({
        queue: backend.queue,
        data,
        keys: opts.auth ? backend.keys : null,
        idempotency: backend.idempotency,
        models: generatorModels((await loadModel(opts.weights)).id),
        limits: DEFAULT_LIMITS,
        rateLimit: opts.rateLimit > 0 ? { requestsPerMinute: opts.rateLimit } : null,
        verification: verificationFor(data.root),
      });
      const server = await listen(app, opts.port, opts.host);
      const workers = startWorkers(backend, data, generators);
      const stopSweeps = startExpirySweeps(backend.queue, data);
      process.stderr.write(
        `kinema: serving ${server.url} (API ${server.url}/v1, queue ${backend.queue.kind}, ${workers.length} worker(s))\n`,
      );
      onShutdown(async () => {
        stopSweeps();
        await server.close();
        await Promise.all(workers.map((w) => w.stop(30_000)));
        await Promise.all(generators.map((g) => g.close()));
        await backend.queue.close();
      });
    });

  program
    .command('worker')
    .description('Run a worker that takes jobs from the queue (scale out with many, on many machines)')
    .option('--queue <url>', queueHelp)
    .option('--data <dir>', 'folder for results and uploads (the same one the server uses)', './kinema-data')
    .option('--weights <file>', 'model weights', DEFAULT_WEIGHTS)
    .option('--concurrency <n>', 'jobs at a time in this process', '1')
    .action(async (raw: Record<string, unknown>) => {
      const opts = parse(
        commonSchema.extend({ concurrency: z.coerce.number().int().min(1).max(64).default(1) }),
        raw,
      );
      const data = await openData(opts.data);
      const backend = openBackend(opts.queue, data.root);
      const generators = await startGenerators(opts.concurrency, opts.weights, data.root);
      const workers = startWorkers(backend, data, generators);
      process.stderr.write(`kinema: ${workers.length} worker(s) on the ${backend.queue.kind} queue\n`);
      onShutdown(async () => {
        await Promise.all(workers.map((w) => w.stop(30_000)));
        await Promise.all(generators.map((g) => g.close()));
        await backend.queue.close();
      });
    });

  const keys = program.command('keys').description('Manage API keys (stored hashed; a secret is shown once)');
  const keyOptions = (cmd: Command) =>
    cmd.option('--queue <url>', queueHelp).option('--data <dir>', 'data folder', './kinema-data');
  const withBackend = async <T>(
    raw: Record<string, unknown>,
    use: (b: ReturnType<typeof openBackend>) => Promise<T>,
  ) => {
    const opts = parse(commonSchema, raw);
    const data = await openData(opts.data);
    const backend = openBackend(opts.queue, data.root);
    try {
      return await use(backend);
    } finally {
      await backend.queue.close();
    }
  };

  keyOptions(keys.command('create <name>').description('Create a key and print its secret'))
    .option('--json', 'print JSON')
    .action(async (name: string, raw: Record<string, unknown>) => {
      await withBackend(raw, async (b) => {
        const { key, secret } = await b.keys.create(name);
        if (raw.json) process.stdout.write(`${JSON.stringify({ ...key, secret })}\n`);
        else process.stdout.write(`${secret}\n`);
        process.stderr.write(
          `kinema: created ${key.id} "${key.name}"; the secret above is not shown again\n`,
        );
      });
    });

  keyOptions(keys.command('list').description('List keys (never their secrets)'))
    .option('--json', 'print JSON')
    .action(async (raw: Record<string, unknown>) => {
      await withBackend(raw, async (b) => {
        const list = await b.keys.list();
        if (raw.json) return void process.stdout.write(`${JSON.stringify(list)}\n`);
        for (const k of list) {
          const state = k.revokedAt ? `revoked ${new Date(k.revokedAt * 1000).toISOString()}` : 'active';
          process.stdout.write(`${k.id}  ${k.prefix}…  ${k.name}  ${state}\n`);
        }
      });
    });

  keyOptions(keys.command('revoke <id>').description('Revoke a key at once')).action(
    async (id: string, raw: Record<string, unknown>) => {
      if (!isId('key', id))
        throw new ServeOptionError(
          `"${id}" is not a key id (key_ and 32 hex digits; see \`kinema keys list\`)`,
        );
      await withBackend(raw, async (b) => {
        if (!(await b.keys.revoke(id))) throw new ServeOptionError(`no active key ${id}`);
        process.stderr.write(`kinema: revoked ${id}\n`);
      });
    },
  );
}
