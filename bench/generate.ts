// Generation benchmark: a 4-second clip at the default settings (DEFAULT_SETTINGS: 12 Euler
// steps, guidance on 7 of them, 8 fps → 33 frames) at 64×64 and 128×128 in Node (onnxruntime-node), and
// the 64×64 clip in headless Chromium (onnxruntime-web, wasm) as a ratio to Node. Uses the
// shipped weights when weights/kinema.safetensors exists, else a randomly initialised model of
// `--preset` (default tiny; `--preset small` has the shipped model's size, so its timings stand
// in for it).
// Fraction of peak: DiT FLOPs (src/models/presets.ts) over the measured ORT MatMul peak.
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { extname, join, normalize } from 'node:path';
import { denoiserCalls } from '../src/diffusion/samplers.ts';
import { ensureJax } from '../src/engine/jax.ts';
import { encodeModel, GraphBuilder } from '../src/engine/onnxGraph.ts';
import { OrtSession } from '../src/engine/session.ts';
import { autoencoderParamSpec } from '../src/models/autoencoder.ts';
import { DEFAULT_WEIGHTS, loadModel, type ModelBundle } from '../src/models/bundle.ts';
import { ditParamSpec } from '../src/models/dit.ts';
import { ditForwardFlops, getPreset } from '../src/models/presets.ts';
import { trainTokenizer, worldVocabulary } from '../src/models/text.ts';
import { initParams } from '../src/nn/init.ts';
import { toHostParams } from '../src/nn/params.ts';
import { exportOnnx } from '../src/pipeline/exportOnnx.ts';
import { VideoPipeline } from '../src/pipeline/generate.ts';
import { DEFAULT_SETTINGS, framesForSeconds } from '../src/pipeline/settings.ts';
import { launchChromium } from '../test/_chromium.ts';
import { report, timeMs } from './_report.ts';

const SECONDS = 4;
const PROMPT = 'a red ball moves to the right on a blue background';
const presetArg = process.argv.indexOf('--preset');
const presetName = presetArg > 0 ? process.argv[presetArg + 1]! : 'tiny';

async function randomModel(name: string): Promise<ModelBundle> {
  await ensureJax();
  const preset = getPreset(name);
  return {
    id: `kinema-${name}-random`,
    preset,
    autoencoder: await toHostParams(initParams(autoencoderParamSpec(preset.autoencoder), 0)),
    dit: await toHostParams(initParams(ditParamSpec(preset.dit), 1)),
    tokenizer: trainTokenizer(worldVocabulary(), {
      maxLength: preset.dit.text.maxLength,
      maxVocab: preset.dit.text.vocabSize,
    }),
    latentScale: 1,
    card: {},
  };
}

/** Measured ORT float32 MatMul 2048³ GFLOP/s on 2 threads (the peak the fractions refer to). */
async function matmulPeak(): Promise<number> {
  const n = 2048;
  const g = new GraphBuilder();
  g.inputs.push(
    { name: 'a', dtype: 'float32', shape: [n, n] },
    { name: 'b', dtype: 'float32', shape: [n, n] },
  );
  g.node('MatMul', ['a', 'b'], {}, 'c');
  g.outputs.push({ name: 'c', dtype: 'float32', shape: [n, n] });
  const session = await OrtSession.create(encodeModel(g.graph('matmul')), { threads: 2 });
  const data = () => ({ data: Float32Array.from({ length: n * n }, () => Math.random()), shape: [n, n] });
  const feeds = { a: data(), b: data() };
  const ms = await timeMs(() => session.run(feeds), 3, 1);
  await session.dispose();
  return (2 * n ** 3) / ms / 1e6;
}

const shipped = existsSync(DEFAULT_WEIGHTS);
const model = shipped ? await loadModel(DEFAULT_WEIGHTS) : await randomModel(presetName);
const peak = await matmulPeak();
const settings = {
  ...DEFAULT_SETTINGS,
  prompt: PROMPT,
  frames: framesForSeconds(SECONDS, DEFAULT_SETTINGS.fps),
};
const evaluations = denoiserCalls({ ...settings, method: settings.sampler });
const nodeSeconds: Record<number, number> = {};

for (const side of [64, 128]) {
  const pipeline = VideoPipeline.fromModel(model);
  const request = { ...settings, width: side, height: side };
  let t0 = performance.now();
  await pipeline.generate(request); // first run: graph export and session creation included
  const coldSeconds = (performance.now() - t0) / 1000;
  t0 = performance.now();
  await pipeline.generate(request);
  const seconds = (performance.now() - t0) / 1000;
  await pipeline.dispose();
  nodeSeconds[side] = seconds;
  const flops = evaluations * ditForwardFlops(model.preset.dit, model.preset.autoencoder, request, 1);
  report({
    name: `generate_${side}x${side}_4s`,
    model: model.id,
    shipped_weights: shipped,
    width: side,
    height: side,
    frames: settings.frames,
    steps: settings.steps,
    guidance: settings.guidanceScale,
    guidance_interval: settings.guidanceInterval,
    denoiser_calls: evaluations,
    seconds,
    cold_seconds: coldSeconds,
    realtime_ratio: SECONDS / seconds,
    dit_gflops: flops / 1e9,
    fraction_of_peak: flops / 1e9 / seconds / peak,
    peak_gflops: peak,
  });
}

// The 64×64 clip in Chromium: export the site, serve it, time one generation in the page.
const dir = await mkdtemp(join(tmpdir(), 'kinema-bench-web-'));
await exportOnnx(model, { width: 64, height: 64, frames: settings.frames, outDir: dir, site: true });
const types: Record<string, string> = {
  '.mjs': 'text/javascript',
  '.js': 'text/javascript',
  '.wasm': 'application/wasm',
  '.json': 'application/json',
};
const server = createServer(async (req, res) => {
  const path = normalize(new URL(req.url!, 'http://x').pathname);
  try {
    const body = await readFile(join(dir, path.endsWith('/') ? `${path}index.html` : path));
    res.writeHead(200, { 'content-type': types[extname(path)] ?? 'text/html' }).end(body);
  } catch {
    res.writeHead(404).end();
  }
});
await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
const browser = await launchChromium();
try {
  const page = await browser.newPage();
  await page.goto(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
  await page.waitForFunction(() => 'kinema' in window, undefined, { timeout: 120_000 });
  const browserSeconds = await page.evaluate(async (options) => {
    // biome-ignore lint/suspicious/noExplicitAny: the page's global, set by index.html.
    const kinema = (window as any).kinema;
    const t0 = performance.now();
    await kinema.generate(options);
    return (performance.now() - t0) / 1000;
  }, settings);
  report({
    name: 'generate_browser_64x64_4s',
    model: model.id,
    engine: 'onnxruntime-web wasm, 1 thread, headless Chromium',
    seconds: browserSeconds,
    realtime_ratio: SECONDS / browserSeconds,
    ratio_to_node: browserSeconds / nodeSeconds[64]!,
  });
} finally {
  await browser.close();
  server.close();
  await rm(dir, { recursive: true, force: true });
}
