// The browser demo, end to end: export the tiny model's graphs as a static site, serve it on
// 127.0.0.1, generate in headless Chromium with onnxruntime-web (wasm), and compare with Node.
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { extname, join, normalize } from 'node:path';
import { after, before, test } from 'node:test';
import { exportOnnx } from '../../src/pipeline/exportOnnx.ts';
import { VideoPipeline } from '../../src/pipeline/generate.ts';
import { launchChromium } from '../_chromium.ts';
import { settings } from './_clips.ts';
import { tinyModel } from './_tinyModel.ts';

const TYPES: Record<string, string> = {
  '.html': 'text/html',
  '.js': 'text/javascript',
  '.mjs': 'text/javascript',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.onnx': 'application/octet-stream',
};

let dir: string;
let server: Server;
let origin: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kinema-web-'));
  server = createServer(async (request, response) => {
    const path = normalize(decodeURIComponent(new URL(request.url!, 'http://x').pathname));
    try {
      const body = await readFile(join(dir, path.endsWith('/') ? `${path}index.html` : path));
      response.writeHead(200, {
        'content-type': TYPES[extname(path) || '.html'] ?? 'application/octet-stream',
      });
      response.end(body);
    } catch {
      response.writeHead(404).end();
    }
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(async () => {
  server.close();
  await rm(dir, { recursive: true, force: true });
});

interface BrowserClip {
  pixels: number[];
  frames: number;
  width: number;
  height: number;
  modelPrompt: string;
  expansion: { expanded: boolean; reason?: string; ignoredWords: string[] };
  unknownWords: string[];
}

test('the exported site expands the prompt and generates frames of the right size in Chromium, matching Node', async () => {
  const model = await tinyModel(0, { captionMatters: true });
  const manifest = await exportOnnx(model, { width: 16, height: 16, frames: 5, outDir: dir, site: true });
  assert.deepEqual(manifest.latentShape, [3, 4, 4, 4]);
  const browser = await launchChromium();
  try {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${origin}/`);
    await page.waitForFunction(() => 'kinema' in window, undefined, { timeout: 60_000 });
    assert.deepEqual(errors, []);
    const generateInPage = async (options: object) =>
      (await page.evaluate(async (options) => {
        // biome-ignore lint/suspicious/noExplicitAny: the page's global, set by index.html.
        const kinema = (window as any).kinema;
        const out = await kinema.generate(options);
        return { ...out, pixels: Array.from(out.pixels as Uint8Array) };
      }, options)) as BrowserClip;

    // The page rewrites the prompt as `generate` and the API do: the same caption for the same seed.
    // Guidance on the middle step of three only (t = 1, 0.86, 0.6), so the page must honour the interval.
    const guided = { ...settings, guidanceInterval: [0.7, 0.9] as [number, number] };
    const clip = await generateInPage(guided);
    const pipeline = VideoPipeline.fromModel(model);
    const expansion = pipeline.expandPrompt(settings.prompt, {
      width: 16,
      height: 16,
      frames: 5,
      fps: 8,
      seed: settings.seed,
    });
    assert.ok(expansion.expanded && expansion.prompt !== settings.prompt);
    assert.equal(clip.modelPrompt, expansion.prompt);
    assert.deepEqual(clip.expansion, { expanded: true, ignoredWords: [] });
    assert.equal(clip.frames, 5);
    assert.equal(clip.width, 16);
    assert.equal(clip.height, 16);
    assert.equal(clip.pixels.length, 5 * 16 * 16 * 3);
    // Same seed, settings and caption as the Node pipeline: the same frames up to float rounding.
    const node = await pipeline.generate({ ...guided, prompt: expansion.prompt, frames: 5 });
    await pipeline.dispose();
    let worst = 0;
    for (let i = 0; i < node.pixels.length; i++)
      worst = Math.max(worst, Math.abs(node.pixels[i]! - clip.pixels[i]!));
    assert.ok(worst <= 2, `browser and Node frames differ by up to ${worst}`);

    // Expansion off: the model reads the prompt as written, unknown words named.
    const asWritten = await generateInPage({
      ...settings,
      prompt: 'a red zeppelin moves to the right',
      expandPrompt: false,
    });
    assert.equal(asWritten.modelPrompt, 'a red zeppelin moves to the right');
    assert.equal(asWritten.expansion.expanded, false);
    assert.deepEqual(asWritten.unknownWords, ['zeppelin']);

    // The form: what the model read is shown under the clip.
    await page.fill('#prompt', settings.prompt);
    await page.fill('#seed', String(settings.seed));
    await page.click('#go');
    await page.waitForFunction(
      () => document.getElementById('status')?.textContent?.startsWith('done'),
      undefined,
      {
        timeout: 60_000,
      },
    );
    assert.equal(await page.textContent('#model-prompt p'), expansion.prompt);
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
  }
});
