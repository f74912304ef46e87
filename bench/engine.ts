// Engine benchmark: ORT matmul peak, a transformer training step (ORT vs the jax-js executor), one
// inference forward, the cost of passing state in and out, RSS over many steps, and the real
// training steps of the default model (small DiT and its autoencoder, batch 8), and the same
// training run of the tiny model on both executors (loss curves, speed).
// Prints one JSON object per line. Numbers are noisy on a shared 2-core machine: compare ratios
// measured in the same run (e.g. `speedup_vs_baseline`), and CPU ms next to wall ms.
// KINEMA_BENCH_JAXJS=1 also times the jax-js executor on the real steps (opt-in: minutes, and the
// DiT step may exceed wasm's 4 GiB memory, DESIGN.md §5). KINEMA_BENCH_REAL_BATCH sets the real
// steps' batch (default: the small preset's 8; 2 fits jax-js's memory, so both executors run it).
// KINEMA_BENCH_ENGINE=a,b runs only these sections: peak, transformer (training step, state I/O,
// inference), rss, real, convergence (all when unset). `convergence` trains the tiny preset's
// autoencoder and DiT on world clips for KINEMA_BENCH_STEPS steps (default 300) on both executors;
// KINEMA_BENCH_OUT names the folder for its loss-curve PNGs (default: the OS temp folder).
import { mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jit, makeJaxpr, numpy as np, tree } from '@jax-js/jax';
import { ditLoss, type FlowBatch } from '../src/diffusion/flow.ts';
import { ArraySpec, exportFunction } from '../src/engine/export.ts';
import { encodeModel, GraphBuilder } from '../src/engine/onnxGraph.ts';
import { type HostTensor, OrtSession } from '../src/engine/session.ts';
import { exportTrainStep, type LossFn, makeTrainStep, OrtTrainStep } from '../src/engine/trainStep.ts';
import { autoencoderLoss, autoencoderParamSpec } from '../src/models/autoencoder.ts';
import { ditParamSpec } from '../src/models/dit.ts';
import { getPreset } from '../src/models/presets.ts';
import { trainTokenizer } from '../src/models/text.ts';
import { type AdamWConfig, DEFAULT_ADAMW, initAdamW, type Params } from '../src/nn/adamw.ts';
import { initParams } from '../src/nn/init.ts';
import { worldBatch, worldCaptions } from '../src/train/clips.ts';
import { trainConfigSchema } from '../src/train/config.ts';
import { renderLossCurves } from '../src/train/lossCurve.ts';
import { clipShapeOf, ditBatch, ditBatchShapes, encoderSession } from '../src/train/trainer.ts';
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

const SECTIONS = ['peak', 'transformer', 'rss', 'real', 'convergence'];
const selected = (process.env.KINEMA_BENCH_ENGINE ?? SECTIONS.join(',')).split(',').map((s) => s.trim());
const unknownSections = selected.filter((s) => !SECTIONS.includes(s));
if (unknownSections.length > 0) {
  throw new Error(
    `KINEMA_BENCH_ENGINE: unknown section(s) ${unknownSections.join(', ')}; known: ${SECTIONS.join(', ')}`,
  );
}
const wants = (section: string) => selected.includes(section);
const adamw = { ...DEFAULT_ADAMW, lr: 1e-3 };

// 1. Measured peak: one float32 MatMul 2048³ (also run for the sections that report fractions of it).
let peakGflops = Number.NaN;
if (wants('peak') || wants('transformer') || wants('real')) {
  const N = 2048;
  const g = new GraphBuilder();
  g.inputs.push(
    { name: 'a', dtype: 'float32', shape: [N, N] },
    { name: 'b', dtype: 'float32', shape: [N, N] },
  );
  g.node('MatMul', ['a', 'b'], {}, 'c');
  g.outputs.push({ name: 'c', dtype: 'float32', shape: [N, N] });
  const peakSession = await OrtSession.create(encodeModel(g.graph('matmul')), { threads: THREADS });
  const peakFeeds = { a: randomHost([N, N]), b: randomHost([N, N]) };
  const peakOut = { c: { data: new Float32Array(N * N), shape: [N, N] } };
  const peakMs = await timeMs(() => peakSession.run(peakFeeds, peakOut), 5, 1);
  peakGflops = (2 * N ** 3) / peakMs / 1e6;
  report({ name: 'matmul_peak', n: N, threads: THREADS, ms: peakMs, gflops: peakGflops });
  await peakSession.dispose();
}

if (wants('transformer')) {
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
    const r = jitStep(
      tree.ref(params),
      tree.ref(state.m),
      tree.ref(state.v),
      tree.ref(jaxBatch),
      np.array(1),
      np.array(1),
    );
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
}

if (wants('rss')) {
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
}

// 5. The real training steps of the default ('small') preset at batch 8: the exported step as the
// trainer runs it, against a baseline in the same run (no pattern fusion, ORT's memory pattern and
// spinning threads: the engine before the speed work), and against the jax-js executor.
const preset = getPreset('small');
const REAL_BATCH = Number(process.env.KINEMA_BENCH_REAL_BATCH ?? preset.training.batch);

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
    batch: REAL_BATCH,
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

if (wants('real')) {
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
      lossWeight: new ArraySpec([...latentShape.slice(0, 4), 1]),
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
      lossWeight: hostRandom([...latentShape.slice(0, 4), 1], () => 1),
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
}

// 6. Convergence: one training run of the tiny preset (autoencoder, then DiT on its latents) on
// both executors from the same initial parameters, with the same batches, noise and AdamW
// settings: ORT (OrtTrainStep, what `kinema train` runs) and jax-js (jit of the same step
// function, the parity tests' reference). The executors sum in different orders, so the curves
// need not match bit for bit: they are compared after smoothing, next to the curve's own noise.

interface ExecutorCurves {
  ort: number[];
  jaxjs: number[];
  /** Mean wall ms per step from step 2 on (step 1 includes jit compilation). */
  ortMs: number;
  jaxjsMs: number;
  /** Exporting and loading the ORT graph; jax-js's first step (tracing and compiling). */
  ortSetupMs: number;
  jaxjsFirstStepMs: number;
  /** ORT's parameters after the last step (host copies). */
  ortParams: Record<string, Float32Array>;
}

function toJax(t: HostTensor): np.Array {
  const dtype = t.data instanceof Int32Array ? np.int32 : np.float32;
  return np.array(t.data as Float32Array, { dtype }).reshape([...t.shape]);
}

/** Trains `steps` steps on both executors, interleaved step by step so load changes hit both alike. */
async function trainOnBothExecutors(
  loss: LossFn,
  params: Params,
  batchShapes: Record<string, ArraySpec>,
  makeBatch: (step: number) => Promise<Record<string, HostTensor>>,
  cfg: AdamWConfig,
  steps: number,
): Promise<ExecutorCurves> {
  const t0 = performance.now();
  const ort = await OrtTrainStep.create(loss, params, batchShapes, { adamw: cfg, threads: THREADS });
  const ortSetupMs = performance.now() - t0;
  // biome-ignore lint/suspicious/noExplicitAny: jit's typing wants a JsTree-returning function; StepResult is one.
  const jaxStep = jit(makeTrainStep(loss, cfg) as any) as unknown as ReturnType<typeof makeTrainStep>;
  let state = { params, ...initAdamW(params) };
  const curves = { ort: [] as number[], jaxjs: [] as number[] };
  let [ortMs, jaxjsMs, jaxjsFirstStepMs] = [0, 0, 0];
  for (let s = 1; s <= steps; s++) {
    const batch = await makeBatch(s - 1);
    const t1 = performance.now();
    curves.ort.push((await ort.step(batch)).loss);
    const t2 = performance.now();
    // Moving the batch into jax-js counts, as ORT's step counts feeding it.
    const jaxBatch = Object.fromEntries(Object.entries(batch).map(([k, t]) => [k, toJax(t)]));
    const r = jaxStep(state.params, state.m, state.v, jaxBatch, np.array(s), np.array(s));
    curves.jaxjs.push((r.loss.dataSync() as Float32Array)[0]!);
    const t3 = performance.now();
    r.gradNorm.dispose();
    r.lr.dispose();
    state = { params: r.params, m: r.m, v: r.v };
    if (s === 1) jaxjsFirstStepMs = t3 - t2;
    else [ortMs, jaxjsMs] = [ortMs + (t2 - t1), jaxjsMs + (t3 - t2)];
  }
  const ortParams = Object.fromEntries(Object.entries(ort.params).map(([k, v]) => [k, v.slice()]));
  tree.dispose(state);
  await ort.dispose();
  const timed = Math.max(1, steps - 1);
  return {
    ...curves,
    ortMs: ortMs / timed,
    jaxjsMs: jaxjsMs / timed,
    ortSetupMs,
    jaxjsFirstStepMs,
    ortParams,
  };
}

/** Trailing moving average (the first values average what exists so far). */
function smooth(xs: number[], window: number): number[] {
  let sum = 0;
  return xs.map((x, i) => {
    sum += x - (i >= window ? xs[i - window]! : 0);
    return sum / Math.min(i + 1, window);
  });
}

/** How far the smoothed curves lie apart, and how noisy the smoothed curve is by itself. */
function compareCurves(name: string, run: ExecutorCurves, cfg: AdamWConfig, window: number, dir: string) {
  const [ort, jaxjs] = [smooth(run.ort, window), smooth(run.jaxjs, window)];
  const rel = ort.map((o, i) => Math.abs(o - jaxjs[i]!) / Math.abs(jaxjs[i]!));
  // Noise: scatter of raw losses around their own average, shrunk by averaging over the window.
  const scatter = run.ort.map((l, i) => (l - ort[i]!) / ort[i]!).slice(window);
  const scatterStd = Math.sqrt(scatter.reduce((a, b) => a + b * b, 0) / Math.max(1, scatter.length));
  const head = (xs: number[]) => xs.slice(0, window).reduce((a, b) => a + b, 0) / window;
  const png = join(dir, `kinema-${name}.png`);
  const points = (xs: number[]) => xs.map((loss, i) => ({ step: i + 1, loss }));
  return {
    png,
    // ORT's average in blue, jax-js's drawn over it in orange: where they agree only orange shows.
    image: renderLossCurves([
      { points: points(run.ort), color: [30, 90, 220] },
      { points: points(run.jaxjs), color: [220, 90, 30] },
    ]),
    result: {
      name,
      steps: run.ort.length,
      lr: cfg.lr,
      warmup_steps: cfg.warmupSteps,
      smoothing_window: window,
      ort_first_loss: run.ort[0],
      jaxjs_first_loss: run.jaxjs[0],
      ort_final_loss: ort.at(-1),
      jaxjs_final_loss: jaxjs.at(-1),
      ort_final_loss_raw: run.ort.at(-1),
      jaxjs_final_loss_raw: run.jaxjs.at(-1),
      // Smoothed loss at the end over the same at the start: both should fall alike.
      ort_final_over_start: ort.at(-1)! / head(run.ort),
      jaxjs_final_over_start: jaxjs.at(-1)! / head(run.jaxjs),
      max_rel_diff_smoothed: Math.max(...rel),
      mean_rel_diff_smoothed: rel.reduce((a, b) => a + b, 0) / rel.length,
      smoothed_noise_rel: scatterStd / Math.sqrt(window),
      ort_ms_per_step: run.ortMs,
      jaxjs_ms_per_step: run.jaxjsMs,
      speedup_vs_jaxjs: run.jaxjsMs / run.ortMs,
      ort_export_ms: Math.round(run.ortSetupMs),
      jaxjs_first_step_ms: Math.round(run.jaxjsFirstStepMs),
      smoothed: {
        every: window,
        ort: ort.filter((_, i) => (i + 1) % window === 0),
        jaxjs: jaxjs.filter((_, i) => (i + 1) % window === 0),
      },
      png,
    },
  };
}

if (wants('convergence')) {
  const steps = Number(process.env.KINEMA_BENCH_STEPS ?? 300);
  const preset = getPreset('tiny');
  // What `kinema train --preset tiny --steps N --lr 1e-3 --warmup N/10` would run, stage by stage.
  const config = trainConfigSchema.parse({
    stage: 'dit',
    preset: 'tiny',
    steps,
    lr: 1e-3,
    warmupSteps: Math.round(steps / 10),
    out: tmpdir(),
  });
  const cfg: AdamWConfig = {
    ...DEFAULT_ADAMW,
    lr: config.lr,
    warmupSteps: config.warmupSteps,
    weightDecay: config.weightDecay,
    clipNorm: config.clipNorm,
    totalSteps: steps,
  };
  const shape = clipShapeOf(config, preset);
  const source = { seed: config.seed, ...shape, fps: config.fps, level: config.data.level };
  const window = Math.max(5, Math.round(steps / 20));
  const dir = process.env.KINEMA_BENCH_OUT ?? tmpdir();
  await mkdir(dir, { recursive: true });

  // The autoencoder on world clips.
  const aeCfg = preset.autoencoder;
  const pixelShape = [shape.batch, shape.frames, shape.height, shape.width, 3];
  const ae = await trainOnBothExecutors(
    (p, b) => autoencoderLoss(p, aeCfg, b.pixels!),
    initParams(autoencoderParamSpec(aeCfg), config.seed),
    { pixels: new ArraySpec(pixelShape) },
    async (step) => ({ pixels: { data: worldBatch(source, step, shape.batch).pixels, shape: pixelShape } }),
    cfg,
    steps,
  );
  const aeReport = compareCurves('convergence_tiny_autoencoder', ae, cfg, window, dir);
  await writeFile(aeReport.png, aeReport.image);
  report(aeReport.result);

  // The DiT on latents of the autoencoder ORT just trained, batches made as the trainer's DiT stage
  // makes them (src/train/trainer.ts): scaled latents, caption tokens, seeded noise and timesteps.
  const aeSpec = autoencoderParamSpec(aeCfg);
  const aeWeights = Object.fromEntries(
    Object.entries(ae.ortParams).map(([k, data]) => [k, { data, shape: [...aeSpec[k]!.shape] }]),
  );
  const encoder = await encoderSession(aeCfg, aeWeights, pixelShape);
  const tokenizer = trainTokenizer(worldCaptions(source, 2000), {
    maxLength: preset.dit.text.maxLength,
    maxVocab: preset.dit.text.vocabSize,
  });
  // Unit-variance latents, measured once on fresh clips as the trainer does.
  const probe = await encoder.run(worldBatch(source, -2, shape.batch).pixels);
  const mean = probe.reduce((a, b) => a + b, 0) / probe.length;
  const latentScale = 1 / Math.sqrt(probe.reduce((a, b) => a + (b - mean) ** 2, 0) / probe.length);
  const dit = await trainOnBothExecutors(
    (p, b) => ditLoss(p, preset.dit, b as unknown as FlowBatch),
    initParams(ditParamSpec(preset.dit), config.seed),
    ditBatchShapes(aeCfg, shape, tokenizer.maxLength),
    async (step) => {
      const clips = worldBatch(source, step, shape.batch);
      const latents = await encoder.run(clips.pixels);
      return ditBatch(config, aeCfg, tokenizer, latentScale, {
        step,
        shape,
        latents,
        captions: clips.captions,
      });
    },
    cfg,
    steps,
  );
  const ditReport = compareCurves('convergence_tiny_dit', dit, cfg, window, dir);
  await writeFile(ditReport.png, ditReport.image);
  report(ditReport.result);
}
