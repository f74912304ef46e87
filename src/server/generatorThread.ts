// The worker-thread side of ThreadedGenerator: loads the model, then runs the jobs the parent
// thread posts with the ordinary PipelineGenerator, posting progress and the outcome back.
// Started by threadedGenerator.ts through thread.mjs; never imported by the main thread.
import { parentPort, workerData } from 'node:worker_threads';
import { sizeMultiple, VideoPipeline } from '../pipeline/generate.ts';
import { GenerationError } from './generator.ts';
import { PipelineGenerator } from './pipelineGenerator.ts';
import type { FromThread, ThreadSetup, ToThread } from './threadedGenerator.ts';

const port = parentPort!;
const { weights, module: _entry, ...options } = workerData as ThreadSetup & { module: string };
const pipeline = await VideoPipeline.load(weights);
const generator = new PipelineGenerator({ ...options, pipeline });
const running = new Map<number, AbortController>();
const post = (message: FromThread) => port.postMessage(message);

port.on('message', (message: ToThread) => {
  if (message.kind === 'abort') {
    running.get(message.id)?.abort(message.reason);
    return;
  }
  const { id, job, outDir } = message;
  const abort = new AbortController();
  running.set(id, abort);
  generator
    .generate(job, outDir, (fraction) => post({ kind: 'progress', id, fraction }), abort.signal)
    .then(
      (result) => post({ kind: 'done', id, result }),
      (err: unknown) => {
        const error = err instanceof Error ? err : new Error(String(err));
        post({
          kind: 'failed',
          id,
          message: error.message,
          // only GenerationError's code travels: the queue retries everything else
          code: error instanceof GenerationError ? error.code : null,
        });
      },
    )
    .finally(() => running.delete(id));
});

post({
  kind: 'ready',
  models: generator.models,
  grid: sizeMultiple(pipeline.model),
  maxNativeSide: generator.maxNativeSide,
});
