// `kinema export-onnx`: the model's inference graphs as standalone .onnx files (weights baked
// in) for one clip shape, plus the tokenizer and a manifest, so any ONNX Runtime — onnxruntime-web
// in a browser tab included — can generate without Kinema's Node code. With `site`, the folder
// also gets the browser demo page and ORT-web's wasm runtime: a static site that generates video
// entirely client-side. expand.js is src/pipeline/promptExpansion.ts bundled for the browser, so
// the page rewrites prompts into the model's caption style exactly as `generate` and the API do.
//
//   DIR/                       (site)            DIR/ (graphs only)
//     index.html, kinema-web.js, expand.js         manifest.json
//     ort/  ort.wasm.min.mjs, ort-wasm-*.{mjs,wasm} denoiser.onnx
//     model/ manifest.json, denoiser.onnx,          decoder.onnx
//            decoder.onnx, tokenizer.json           tokenizer.json
import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { ensureJax } from '../engine/jax.ts';
import type { ModelBundle } from '../models/bundle.ts';
import { VideoPipeline } from './generate.ts';
import { autoencoderGraph, denoiserGraph } from './sessions.ts';
import { checkSize, DEFAULT_SETTINGS } from './settings.ts';

export const ONNX_EXPORT_FORMAT = 'kinema-onnx-1';

/** What a browser (or any ORT) needs to know to run the exported graphs. */
export interface OnnxManifest {
  format: typeof ONNX_EXPORT_FORMAT;
  model: string;
  width: number;
  height: number;
  frames: number;
  /** Frames per second the clip is meant to play at (prompt expansion reads speeds with it). */
  fps: number;
  /** [frames, height, width, channels] of one sample's latents. */
  latentShape: [number, number, number, number];
  /** Caption token ids per prompt (padded with 0). */
  captionLength: number;
  latentScale: number;
  /** The sampler's time schedule: t' = shift·t / (1 + (shift − 1)·t), as in src/diffusion/samplers.ts. */
  scheduleShift: number;
  /** The sampling defaults of the Node pipeline (src/pipeline/settings.ts), for the page's form. */
  guidanceScale: number;
  /** Times t at which guidance applies, [low, high]. */
  guidanceInterval: readonly [number, number];
  files: { denoiser: string; decoder: string; tokenizer: string };
}

export interface OnnxExportOptions {
  width: number;
  height: number;
  /** Pixel frames, 1 + 2k. */
  frames: number;
  outDir: string;
  /** Also write the browser page and ORT-web runtime (graphs go to outDir/model). */
  site?: boolean;
}

const here = dirname(fileURLToPath(import.meta.url));
/** The browser demo's own files. */
export const WEB_DEMO_DIR = resolve(here, '../../web/browser');
const WEB_DEMO_FILES = ['index.html', 'kinema-web.js'];
/** The parts of onnxruntime-web's dist the demo loads: the wasm-only build and its runtime. */
const ORT_WEB_FILES = ['ort.wasm.min.mjs', 'ort-wasm-simd-threaded.mjs', 'ort-wasm-simd-threaded.wasm'];

export async function exportOnnx(model: ModelBundle, options: OnnxExportOptions): Promise<OnnxManifest> {
  await ensureJax();
  const { width, height, frames } = options;
  checkSize(model, width, height);
  const latentShape = VideoPipeline.fromModel(model).latentShape(width, height, frames);
  const modelDir = options.site ? join(options.outDir, 'model') : options.outDir;
  await mkdir(modelDir, { recursive: true });

  // The denoiser exactly as the Node pipeline builds it (same inputs, names and layout).
  await writeFile(join(modelDir, 'denoiser.onnx'), denoiserGraph(model, 1, latentShape).model);
  await writeFile(
    join(modelDir, 'decoder.onnx'),
    autoencoderGraph(model, 'decode', [1, ...latentShape]).model,
  );
  await writeFile(join(modelDir, 'tokenizer.json'), JSON.stringify(model.tokenizer));
  const manifest: OnnxManifest = {
    format: ONNX_EXPORT_FORMAT,
    model: model.id,
    width,
    height,
    frames,
    fps: DEFAULT_SETTINGS.fps,
    latentShape,
    captionLength: model.tokenizer.maxLength,
    latentScale: model.latentScale,
    scheduleShift: 3,
    guidanceScale: DEFAULT_SETTINGS.guidanceScale,
    guidanceInterval: DEFAULT_SETTINGS.guidanceInterval,
    files: { denoiser: 'denoiser.onnx', decoder: 'decoder.onnx', tokenizer: 'tokenizer.json' },
  };
  await writeFile(join(modelDir, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);

  if (options.site) {
    for (const file of WEB_DEMO_FILES) await copyFile(join(WEB_DEMO_DIR, file), join(options.outDir, file));
    await build({
      entryPoints: [join(here, 'promptExpansion.ts')],
      outfile: join(options.outDir, 'expand.js'),
      bundle: true,
      format: 'esm',
      platform: 'browser',
      minify: true,
      logLevel: 'silent',
    });
    const ortDist = dirname(createRequire(import.meta.url).resolve('onnxruntime-web'));
    await mkdir(join(options.outDir, 'ort'), { recursive: true });
    for (const file of ORT_WEB_FILES) await copyFile(join(ortDist, file), join(options.outDir, 'ort', file));
  }
  return manifest;
}
