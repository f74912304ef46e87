// Engine benchmark: ORT matmul peak, a transformer training step (ORT vs the jax-js executor), one
// inference forward, the cost of passing state in and out, RSS over many steps, and the real
// training steps of the default model (small DiT and its autoencoder, batch 8).
// Prints one JSON object per line. Numbers are noisy on a shared 2-core machine: compare ratios
// measured in the same run (e.g. `speedup_vs_baseline`), and CPU ms next to wall ms.
// KINEMA_BENCH_JAXJS=1 also times the jax-js executor on the real steps (opt-in: minutes, and the
// DiT step may exceed wasm's 4 GiB memory, DESIGN.md §5).
import { jit, makeJaxpr, numpy as np, tree } from '@jax-js/jax';
import { ditLoss, type FlowBatch } from '../src/diffusion/flow.ts';
import { ArraySpec, exportFunction } from '../src/engine/export.ts';
import { encodeModel, GraphBuilder } from '../src/engine/onnxGraph.ts';
import { type HostTensor, OrtSession } from '../src/engine/session.ts';
import { exportTrainStep, type LossFn, makeTrainStep, OrtTrainStep } from '../src/engine/trainStep.ts';
import { autoencoderLoss, autoencoderParamSpec } from '../src/models/autoencoder.ts';
import { ditParamSpec } from '../src/models/dit.ts';
import { getPreset } from '../src/models/presets.ts';
import { DEFAULT_ADAMW, initAdamW, type Params } from '../src/nn/adamw.ts';
import { initParams } from '../src/nn/init.ts';
import { initJax } from '../test/engine/_helpers.ts';
import {
  type TransformerConfig,
  transformerForward,
  transformerLoss,
  transformerParams,
} from '../test/engine/_models.ts';
import { report, timeMs } from './_report.ts';

await initJax();
const THREADS = 2;

/** Matmul FLOPs of a traced function: 2·|out|·K for every dot. Elementwise work is not counted. */
function matmulFlops(fn: (...a: never[]) => unknown, args: unknown[]): number {
  // biome-ignore lint/suspicious/noExplicitAny: tracing accepts any tree of arrays or specs.
  const { jaxpr } = makeJaxpr(fn as any)(...(args as any[]));
  let flops = 0;
  for (const e of jaxpr.jaxpr.flatten().eqns) {
    if (e.primitive !== 'dot') continue;
    const out = e.outBinders[0].aval.shape.reduce((a, b) => a * b, 1);
    const a = e.inputs[0].aval.shape;
    flops += 2 * out * a[a.length - 1];
  }
  return flops;
}

function randomHost(shape: number[], scale = 1): HostTensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const data = new Float32Array(n);
  for (let i = 0; i < n; i++) data[i] = (Math.random() - 0.5) * scale;
  return { data, shape };
}

// 1. Measured peak: one float32 MatMul 2048³.
const N = 2048;
const g = new GraphBuilder();
g.inputs.push({ name: 'a', dtype: 'float32', shape: [N, N] }, { name: 'b', dtype: 'float32', shape: [N, N] });
g.node('MatMul', ['a', 'b'], {}, 'c');
g.outputs.push({ name: 'c', dtype: 'float32', shape: [N, N] });
const peakSession = await OrtSession.create(encodeModel(g.graph('matmul')), { threads: THREADS });
const peakFeeds = { a: randomHost([N, N]), b: randomHost([N, N]) };
const peakOut = { c: { data: new Float32Array(N * N), shape: [N, N] } };
const peakMs = await timeMs(() => peakSession.run(peakFeeds, peakOut), 5, 1);
const peakGflops = (2 * N ** 3) / peakMs / 1e6;
report({ name: 'matmul_peak', n: N, threads: THREADS, ms: peakMs, gflops: peakGflops });
await peakSession.dispose();

// 2. Transformer training step: d=256, 256 tokens, batch 8, 4 blocks.
const cfg: TransformerConfig = { vocab: 64, dim: 256, heads: 4, blocks: 4, tokens: 256 };
const BATCH = 8;
const params = transformerParams(0, cfg);
const nParams = Object.values(params).reduce((s, p) => s + p.size, 0);
const loss = transformerLoss(cfg);
const batchSpec = {
  tokens: new ArraySpec([BATCH, cfg.tokens], 'int32'),
  target: new ArraySpec([BATCH, cfg.tokens, cfg.dim]),
};
const tokens = Int32Array.from({ length: BATCH * cfg.tokens }, (_, i) => (i * 13) % cfg.vocab);
const hostBatch = {
  tokens: { data: tokens, shape: [BATCH, cfg.tokens] },
  target: randomHost([BATCH, cfg.tokens, cfg.dim]),
};
const adamw = { ...DEFAULT_ADAMW, lr: 1e-3 };

const t0 = performance.now();
const trainer = await OrtTrainStep.create(loss, params, batchSpec, { adamw, threads: THREADS });
const exportMs = performance.now() - t0;
const stepFn = makeTrainStep(loss, adamw);
const specParams = Object.fromEntries(
  Object.entries(params).map(([k, p]) => [k, new ArraySpec([...p.shape])]),
);
const flops = matmulFlops(
  // biome-ignore lint/suspicious/noExplicitAny: tracing signature.
  stepFn as any,
  [specParams, specParams, specParams, batchSpec, new ArraySpec([])],
);
const ortMs = await timeMs(() => trainer.step(hostBatch), 5, 2);

// The same graph fed and fetched without preallocated outputs: what passing state costs.
const feeds: Record<string, HostTensor> = { step: { data: Float32Array.of(1), shape: [] } };
for (const section of ['params', 'm', 'v']) {
  for (const [k, p] of Object.entries(trainer.params))
    feeds[`${section}.${k}`] = { data: p, shape: trainer.shapes[k] };
}
feeds['batch.tokens'] = hostBatch.tokens;
feeds['batch.target'] = hostBatch.target;
const freshMs = await timeMs(() => trainer.session.run(feeds), 3, 1);

// jax-js executor (wasm, jit) for the same step.
// biome-ignore lint/suspicious/noExplicitAny: jit's typing wants a JsTree-returning function; StepResult is one.
const jitStep = jit(stepFn as any) as unknown as typeof stepFn;
const jaxBatch = {
  tokens: np.array(tokens, { dtype: np.int32 }).reshape([BATCH, cfg.tokens]),
  target: np.zeros([BATCH, cfg.tokens, cfg.dim]),
};
const state = initAdamW(params);
const runJax = () => {
  const r = jitStep(tree.ref(params), tree.ref(state.m), tree.ref(state.v), tree.ref(jaxBatch), np.array(1));
  r.loss.dataSync();
  tree.dispose([r.params, r.m, r.v, r.gradNorm, r.lr]);
};
const jaxMs = await timeMs(runJax, 1, 1);

const gflops = flops / ortMs / 1e6;
report({
  name: 'train_step',
  model: `transformer d=${cfg.dim} tokens=${cfg.tokens} batch=${BATCH} blocks=${cfg.blocks}`,
  params: nParams,
  equations: trainer.graph.equations,
  export_ms: Math.round(exportMs),
  ms: ortMs,
  matmul_gflop: flops / 1e9,
  gflops,
  peak_gflops: peakGflops,
  fraction_of_peak: gflops / peakGflops,
  jaxjs_ms: jaxMs,
  speedup_vs_jaxjs: jaxMs / ortMs,
});
report({
  name: 'train_step_state_io',
  params: nParams,
  floats_in_and_out: 3 * nParams,
  preallocated_ms: ortMs,
  fresh_outputs_ms: freshMs,
  overhead_ms: freshMs - ortMs,
});

// 3. Inference: one forward of the same model, weights baked in as initializers.
const forward = (t: np.Array) => transformerForward(tree.ref(params), t, cfg);
const inference = exportFunction(forward, [batchSpec.tokens], {
  argNames: ['tokens'],
  outputNames: ['features'],
});
const inferSession = await OrtSession.create(inference.model, { threads: THREADS });
const inferOut = {
  features: { data: new Float32Array(BATCH * cfg.tokens * cfg.dim), shape: [BATCH, cfg.tokens, cfg.dim] },
};
const inferMs = await timeMs(() => inferSession.run({ tokens: hostBatch.tokens }, inferOut), 5, 1);
const inferFlops = matmulFlops(forward as never, [batchSpec.tokens]);
report({
  name: 'inference_forward',
  model: `transformer d=${cfg.dim} tokens=${cfg.tokens} batch=${BATCH} blocks=${cfg.blocks}`,
  ms: inferMs,
  matmul_gflop: inferFlops / 1e9,
  gflops: inferFlops / inferMs / 1e6,
  peak_gflops: peakGflops,
  fraction_of_peak: inferFlops / inferMs / 1e6 / peakGflops,
});
await inferSession.dispose();
await trainer.dispose();

// 4. Memory: RSS over many steps of a small model stays flat.
const small: TransformerConfig = { vocab: 32, dim: 64, heads: 2, blocks: 1, tokens: 32 };
const smallParams: Params = transformerParams(1, small);
const smallTrainer = await OrtTrainStep.create(
  transformerLoss(small),
  smallParams,
  { tokens: new ArraySpec([4, 32], 'int32'), target: new ArraySpec([4, 32, 64]) },
  { adamw, threads: THREADS },
);
const smallBatch = {
  tokens: { data: Int32Array.from({ length: 128 }, (_, i) => i % 32), shape: [4, 32] },
  target: randomHost([4, 32, 64]),
};
const STEPS = 500;
const rss: number[] = [];
const tSmall = performance.now();
for (let s = 0; s < STEPS; s++) {
  await smallTrainer.step(smallBatch);
  if (s === 50 || s === STEPS - 1) rss.push(process.memoryUsage().rss / 2 ** 20);
}
report({
  name: 'rss_over_steps',
  steps: STEPS,
  ms_per_step: (performance.now() - tSmall) / STEPS,
  rss_mb_at_50: rss[0],
  rss_mb_at_end: rss[1],
  growth_mb: rss[1] - rss[0],
});
await smallTrainer.dispose();

// 5. The real training steps of the default ('small') preset at batch 8: the exported step as the
// trainer runs it, against a baseline in the same run (no pattern fusion, ORT's memory pattern and
// spinning threads: the engine before the speed work), and against the jax-js executor.
const preset = getPreset('small');
const REAL_BATCH = preset.training.batch;

/** Median wall and CPU ms of `fns`, run interleaved so load changes hit all of them alike. */
async function interleaved(
  fns: (() => Promise<unknown>)[],
  rounds: number,
): Promise<{ wall: number; cpu: number }[]> {
  for (const fn of fns) await fn();
  const wall = fns.map(() => [] as number[]);
  const cpu = fns.map(() => [] as number[]);
  for (let r = 0; r < rounds; r++) {
    for (const [i, fn] of fns.entries()) {
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      await fn();
      const c = process.cpuUsage(c0);
      wall[i].push(performance.now() - t0);
      cpu[i].push((c.user + c.system) / 1000);
    }
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  return fns.map((_, i) => ({ wall: median(wall[i]), cpu: median(cpu[i]) }));
}

async function realStep(
  name: string,
  loss: LossFn,
  params: Params,
  batch: Record<string, ArraySpec>,
  hostBatch: Record<string, HostTensor>,
  jaxBatch: () => Record<string, np.Array>,
): Promise<void> {
  const specs = Object.fromEntries(Object.entries(params).map(([k, p]) => [k, new ArraySpec([...p.shape])]));
  const nParams = Object.values(params).reduce((sum, p) => sum + p.size, 0);
  const t0 = performance.now();
  const graph = exportTrainStep(loss, specs, batch, adamw);
  const exportMs = performance.now() - t0;
  const baselineGraph = exportTrainStep(loss, specs, batch, adamw, undefined, { fuse: false });
  const session = await OrtSession.create(graph.model, { threads: THREADS });
  const baseline = await OrtSession.create(baselineGraph.model, {
    threads: THREADS,
    memoryPattern: true,
    spinning: true,
  });
  const feeds: Record<string, HostTensor> = { step: { data: Float32Array.of(10), shape: [] } };
  for (const [k, p] of Object.entries(params)) {
    const shape = [...p.shape];
    feeds[`params.${k}`] = { data: p.ref.dataSync() as Float32Array, shape };
    feeds[`m.${k}`] = { data: new Float32Array(p.size), shape };
    feeds[`v.${k}`] = { data: new Float32Array(p.size), shape };
  }
  for (const [k, t] of Object.entries(hostBatch)) feeds[`batch.${k}`] = t;
  const fetches = (outputs: typeof graph.outputs) =>
    Object.fromEntries(
      outputs.map((o) => [
        o.name,
        { data: new Float32Array(o.shape.reduce((a, b) => a * b, 1)), shape: o.shape },
      ]),
    );
  const out = fetches(graph.outputs);
  const baseOut = fetches(baselineGraph.outputs);
  const [fast, slow] = await interleaved(
    [() => session.run(feeds, out), () => baseline.run(feeds, baseOut)],
    3,
  );
  await baseline.dispose();
  await session.dispose();
  const stepFn = makeTrainStep(loss, adamw);
  // biome-ignore lint/suspicious/noExplicitAny: tracing signature.
  const flops = matmulFlops(stepFn as any, [specs, specs, specs, batch, new ArraySpec([])]);
  let jaxMs: number | null = null;
  let jaxError: string | undefined;
  if (process.env.KINEMA_BENCH_JAXJS === '1') {
    try {
      // biome-ignore lint/suspicious/noExplicitAny: see the transformer step above.
      const jitStep = jit(stepFn as any) as unknown as typeof stepFn;
      const state = initAdamW(params);
      const jb = jaxBatch();
      jaxMs = await timeMs(
        () => {
          const r = jitStep(
            tree.ref(params),
            tree.ref(state.m),
            tree.ref(state.v),
            tree.ref(jb),
            np.array(10),
          );
          r.loss.dataSync();
          tree.dispose([r.params, r.m, r.v, r.gradNorm, r.lr]);
        },
        1,
        1,
      );
      tree.dispose([state, jb]);
    } catch (err) {
      jaxError = String((err as Error).message ?? err).slice(0, 200);
    }
  }
  const gflops = flops / fast.wall / 1e6;
  report({
    name,
    params: nParams,
    equations: graph.equations,
    export_ms: Math.round(exportMs),
    ms: fast.wall,
    cpu_ms: fast.cpu,
    matmul_gflop: flops / 1e9,
    gflops,
    peak_gflops: peakGflops,
    fraction_of_peak: gflops / peakGflops,
    baseline_ms: slow.wall,
    baseline_cpu_ms: slow.cpu,
    speedup_vs_baseline: slow.wall / fast.wall,
    jaxjs_ms: jaxMs,
    speedup_vs_jaxjs: jaxMs === null ? null : jaxMs / fast.wall,
    ...(jaxError ? { jaxjs_error: jaxError } : {}),
  });
}

function hostRandom(shape: number[], draw: (i: number) => number): HostTensor {
  const n = shape.reduce((a, b) => a * b, 1);
  return { data: Float32Array.from({ length: n }, (_, i) => draw(i)), shape };
}

{
  const cfg = preset.dit;
  const length = cfg.text.maxLength;
  const latentShape = [REAL_BATCH, 9, 16, 16, cfg.latentChannels];
  const frames = latentShape[1];
  const batch: Record<string, ArraySpec> = {
    latents: new ArraySpec(latentShape),
    noise: new ArraySpec(latentShape),
    timestep: new ArraySpec([REAL_BATCH]),
    captionIds: new ArraySpec([REAL_BATCH, length], 'int32'),
    captionMask: new ArraySpec([REAL_BATCH, length]),
    captionKeep: new ArraySpec([REAL_BATCH]),
    conditionMask: new ArraySpec([REAL_BATCH, frames]),
  };
  const host: Record<string, HostTensor> = {
    latents: randomHost(latentShape, 2),
    noise: randomHost(latentShape, 2),
    timestep: hostRandom([REAL_BATCH], (i) => (i + 0.5) / REAL_BATCH),
    captionIds: {
      data: Int32Array.from({ length: REAL_BATCH * length }, (_, i) => (i * 7) % cfg.text.vocabSize),
      shape: [REAL_BATCH, length],
    },
    captionMask: hostRandom([REAL_BATCH, length], (i) => (i % length < 12 ? 1 : 0)),
    captionKeep: hostRandom([REAL_BATCH], (i) => (i % 5 === 4 ? 0 : 1)),
    conditionMask: hostRandom([REAL_BATCH, frames], (i) => (i === 0 ? 1 : 0)),
  };
  const toJax = () =>
    Object.fromEntries(
      Object.entries(host).map(([k, t]) => [
        k,
        np
          .array(t.data as Float32Array, { dtype: t.data instanceof Int32Array ? np.int32 : np.float32 })
          .reshape([...t.shape]),
      ]),
    );
  await realStep(
    'train_step_dit_small',
    (p, b) => ditLoss(p, cfg, b as unknown as FlowBatch),
    initParams(ditParamSpec(cfg), 1),
    batch,
    host,
    toJax,
  );
}
{
  const cfg = preset.autoencoder;
  const { frames, height, width } = preset.training;
  const pixelShape = [REAL_BATCH, frames, height, width, 3];
  const host = { pixels: randomHost(pixelShape, 2) };
  await realStep(
    'train_step_autoencoder_small',
    (p, b) => autoencoderLoss(p, cfg, b.pixels),
    initParams(autoencoderParamSpec(cfg), 1),
    { pixels: new ArraySpec(pixelShape) },
    host,
    () => ({ pixels: np.array(host.pixels.data as Float32Array).reshape(pixelShape) }),
  );
}
