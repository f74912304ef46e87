// `kinema world ...`: the captioned-video world from the command line.
//
//   kinema world sample PROMPT -o DIR   render one clip: PNG frames, truth.json (spec, captions,
//                                       per-frame ground truth), optionally clip.mp4
//   kinema world export --count N --out DIR
//                                       write N random training clips as shards (resumable)
//   kinema world vocab [--json]         every word the world knows
//
// Bad input (sizes, unknown words, bad options) fails before anything is written; outputs
// appear whole or not at all.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Command } from 'commander';
import { writeAtomically } from '../media/atomic.ts';
import { encodePng, pngFrameName } from '../media/png.ts';
import { ShardWriter } from '../train/shards.ts';
import { parsePrompt, vocabulary } from '../world/prompt.ts';
import { mixSeed, normaliseSeed } from '../world/random.ts';
import { renderClip } from '../world/render.ts';
import { CURRICULUM, curriculumOptions, type SampleOptions, sampleScene } from '../world/sample.ts';
import { BACKGROUNDS, CAMERA_MOVES, LIGHTINGS, parseSpec, type SceneSpec, STYLES } from '../world/spec.ts';
import { createProgressBar } from './progress.ts';

/** A command-line option with a bad value. */
export class WorldOptionError extends Error {
  static userError = true;
  override name = 'WorldOptionError';
}

function int(name: string, lo: number, hi: number): (v: string) => number {
  return (v) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < lo || n > hi)
      throw new WorldOptionError(`--${name} must be an integer from ${lo} to ${hi}, got "${v}"`);
    return n;
  };
}
function num(name: string, lo: number, hi: number): (v: string) => number {
  return (v) => {
    const n = Number(v);
    if (!Number.isFinite(n) || n <= lo || n > hi)
      throw new WorldOptionError(`--${name} must be a number in (${lo}, ${hi}], got "${v}"`);
    return n;
  };
}
function oneOf<T extends string>(name: string, values: readonly T[]): (v: string) => T {
  return (v) => {
    if (!values.includes(v as T))
      throw new WorldOptionError(`--${name} must be one of ${values.join(', ')}; got "${v}"`);
    return v as T;
  };
}

/** A spec for the given sizes with nothing in it: validates sizes with the spec's own rules. */
function checkSizes(width: number, height: number, frames: number, fps: number): void {
  parseSpec({ width, height, frames, fps, background: { kind: 'solid' }, objects: [] });
}

interface SampleCliOptions {
  out: string;
  width: number;
  height: number;
  frames: number;
  fps: number;
  seed: number;
  style?: (typeof STYLES)[number];
  background?: (typeof BACKGROUNDS)[number];
  camera?: (typeof CAMERA_MOVES)[number];
  lighting?: (typeof LIGHTINGS)[number];
  spec?: string;
  mp4?: boolean;
  json?: boolean;
}

/** Renders one clip into `out` (atomically): PNG frames, truth.json, optional clip.mp4. */
export async function sampleToDir(
  spec: SceneSpec,
  seed: number,
  out: string,
  extra: { prompt?: string; mp4?: boolean } = {},
): Promise<{ out: string; files: string[] }> {
  const clip = renderClip(spec, seed);
  const frameSize = spec.width * spec.height * 3;
  const files: string[] = [];
  await writeAtomically(out, async (tmp) => {
    await mkdir(tmp, { recursive: true });
    for (let f = 0; f < spec.frames; f++) {
      const name = pngFrameName(f);
      await writeFile(
        join(tmp, name),
        encodePng(clip.pixels.subarray(f * frameSize, (f + 1) * frameSize), spec.width, spec.height),
      );
      files.push(name);
    }
    const doc = {
      ...(extra.prompt !== undefined ? { prompt: extra.prompt } : {}),
      seed,
      spec,
      captions: clip.captions,
      frames: files,
      truth: clip.truth,
    };
    await writeFile(join(tmp, 'truth.json'), `${JSON.stringify(doc, null, 2)}\n`);
    files.push('truth.json');
    if (extra.mp4) {
      const { encodeVideo } = await import('../media/encode-video.ts');
      await encodeVideo(
        { pixels: clip.pixels, frames: spec.frames, width: spec.width, height: spec.height, fps: spec.fps },
        join(tmp, 'clip.mp4'),
        { format: 'mp4' },
      );
      files.push('clip.mp4');
    }
  });
  return { out, files };
}

interface ExportCliOptions {
  count: number;
  out: string;
  shardSize: number;
  width: number;
  height: number;
  frames: number;
  fps: number;
  seed: number;
  maxObjects: number;
  stage?: number;
  truth: boolean;
  quiet?: boolean;
}

/** The seed of clip `index` of an export run. */
export function exportClipSeed(runSeed: number, index: number): number {
  return mixSeed(normaliseSeed(runSeed), index >>> 0);
}

/** Writes `count` random clips as shards into `out`; reruns skip complete shards. */
export function exportShards(o: ExportCliOptions): { written: number; skipped: number; shards: number } {
  checkSizes(o.width, o.height, o.frames, o.fps);
  const base: SampleOptions = {
    width: o.width,
    height: o.height,
    frames: o.frames,
    fps: o.fps,
    maxObjects: o.maxObjects,
  };
  const sampleOptions = o.stage !== undefined ? curriculumOptions(o.stage, base) : base;
  const writer = new ShardWriter(o.out, {
    shardSize: o.shardSize,
    total: o.count,
    meta: {
      generator: 'kinema-world',
      width: o.width,
      height: o.height,
      frames: o.frames,
      fps: o.fps,
      seed: o.seed,
      maxObjects: o.maxObjects,
      ...(o.stage !== undefined ? { stage: o.stage } : {}),
      truth: o.truth,
    },
  });
  const pending = writer.pending();
  const skipped = writer.shardCount - pending.length;
  const todo = pending.reduce((a, n) => a + writer.countOf(n), 0);
  const bar = createProgressBar('export', todo, process.stderr, { quiet: o.quiet });
  let done = 0;
  const t0 = performance.now();
  for (const n of pending) {
    const first = n * o.shardSize;
    const count = writer.countOf(n);
    writer.writeShard(
      n,
      (function* () {
        for (let i = first; i < first + count; i++) {
          const seed = exportClipSeed(o.seed, i);
          const spec = sampleScene(seed, sampleOptions);
          const clip = renderClip(spec, seed);
          yield {
            width: spec.width,
            height: spec.height,
            frames: spec.frames,
            fps: spec.fps,
            pixels: clip.pixels,
            captions: clip.captions,
            spec,
            ...(o.truth ? { truth: clip.truth } : {}),
            meta: { seed, index: i },
          };
          done++;
          const rate = done / ((performance.now() - t0) / 1000);
          bar.update(done, `${rate.toFixed(0)} clips/s`);
        }
      })(),
    );
  }
  writer.finish();
  bar.finish(skipped > 0 ? `(${skipped} complete shard${skipped > 1 ? 's' : ''} skipped)` : undefined);
  return { written: done, skipped, shards: writer.shardCount };
}

export function registerWorldCommands(program: Command): void {
  const world = program.command('world').description('the captioned-video world: sample, export, vocab');

  world
    .command('sample')
    .description('render one clip from a prompt (or a spec file): PNG frames + truth.json')
    .argument('[prompt]', 'what to show, e.g. "a small red ball bounces over a grassy field"')
    .requiredOption('-o, --out <dir>', 'output folder (replaced as a whole)')
    .option('--width <n>', 'frame width in pixels', int('width', 8, 4096), 128)
    .option('--height <n>', 'frame height in pixels', int('height', 8, 4096), 128)
    .option('--frames <n>', 'number of frames', int('frames', 1, 10_000), 32)
    .option('--fps <n>', 'frames per second', num('fps', 0, 240), 8)
    .option(
      '--seed <n>',
      'seed for textures, wording and anything the prompt leaves open',
      int('seed', 0, 2 ** 32 - 1),
      0,
    )
    .option('--style <style>', `default style (${STYLES.join(', ')})`, oneOf('style', STYLES))
    .option(
      '--background <kind>',
      `default background (${BACKGROUNDS.join(', ')})`,
      oneOf('background', BACKGROUNDS),
    )
    .option('--camera <move>', `default camera (${CAMERA_MOVES.join(', ')})`, oneOf('camera', CAMERA_MOVES))
    .option('--lighting <kind>', `default lighting (${LIGHTINGS.join(', ')})`, oneOf('lighting', LIGHTINGS))
    .option('--spec <file>', 'render this scene spec (JSON, or a truth.json) instead of a prompt')
    .option('--mp4', 'also write clip.mp4')
    .option('--json', 'print the result as JSON')
    .action(async (prompt: string | undefined, o: SampleCliOptions) => {
      checkSizes(o.width, o.height, o.frames, o.fps);
      let spec: SceneSpec;
      if (o.spec) {
        let doc: unknown;
        try {
          doc = JSON.parse(await readFile(o.spec, 'utf8'));
        } catch (e) {
          throw new WorldOptionError(`cannot read spec ${o.spec}: ${(e as Error).message}`);
        }
        spec = parseSpec(
          doc !== null && typeof doc === 'object' && 'spec' in doc ? (doc as { spec: unknown }).spec : doc,
        );
      } else {
        if (!prompt?.trim())
          throw new WorldOptionError('give a prompt (e.g. "a red ball bounces") or --spec FILE');
        spec = parsePrompt(prompt, {
          width: o.width,
          height: o.height,
          frames: o.frames,
          fps: o.fps,
          seed: o.seed,
          defaults: { style: o.style, background: o.background, camera: o.camera, lighting: o.lighting },
        });
      }
      const t0 = performance.now();
      const res = await sampleToDir(spec, o.seed, o.out, { prompt, mp4: o.mp4 });
      const ms = performance.now() - t0;
      if (o.json)
        process.stdout.write(`${JSON.stringify({ out: res.out, files: res.files.length, spec }, null, 2)}\n`);
      else {
        const c = spec.objects.length;
        process.stdout.write(
          `wrote ${spec.frames} frames ${spec.width}x${spec.height} @ ${spec.fps} fps, ${c} object${c === 1 ? '' : 's'}, to ${res.out} (${ms.toFixed(0)} ms)\n`,
        );
      }
    });

  world
    .command('export')
    .description('write random training clips as binary shards with an index (resumable)')
    .requiredOption('--count <n>', 'number of clips', int('count', 1, 100_000_000))
    .requiredOption('--out <dir>', 'output folder (shards + index.json)')
    .option('--shard-size <n>', 'clips per shard', int('shard-size', 1, 1_000_000), 256)
    .option('--width <n>', 'frame width', int('width', 8, 4096), 64)
    .option('--height <n>', 'frame height', int('height', 8, 4096), 64)
    .option('--frames <n>', 'frames per clip', int('frames', 1, 10_000), 16)
    .option('--fps <n>', 'frames per second', num('fps', 0, 240), 8)
    .option('--seed <n>', 'run seed (clip i uses a seed derived from it)', int('seed', 0, 2 ** 32 - 1), 0)
    .option('--max-objects <n>', 'at most this many objects per clip', int('max-objects', 0, 8), 3)
    .option(
      '--stage <n>',
      `curriculum stage 0..${CURRICULUM.length - 1} (narrower distributions first)`,
      int('stage', 0, 100),
    )
    .option('--no-truth', 'leave per-frame ground truth out of the shards')
    .option('--quiet', 'no progress line')
    .action((o: ExportCliOptions) => {
      const res = exportShards(o);
      process.stdout.write(
        `${o.out}: ${o.count} clips in ${res.shards} shard${res.shards === 1 ? '' : 's'} (${res.written} rendered now, ${res.skipped} shard${res.skipped === 1 ? '' : 's'} already complete)\n`,
      );
    });

  world
    .command('vocab')
    .description('list every word the world knows, grouped')
    .option('--json', 'as JSON')
    .action((o: { json?: boolean }) => {
      const v = vocabulary();
      if (o.json) {
        process.stdout.write(`${JSON.stringify(v, null, 2)}\n`);
        return;
      }
      const lines: string[] = [];
      lines.push(`objects (${v.classes.length}):`);
      for (const c of v.classes)
        lines.push(
          `  ${c.name}${c.synonyms.length ? ` (${c.synonyms.join(', ')})` : ''} - ${c.kind === 'shape' ? 'shape, any colour' : `${c.category}, ${c.color}`}`,
        );
      const group = (title: string, g: Record<string, readonly string[]>) => {
        lines.push(`${title}:`);
        for (const [k, ws] of Object.entries(g)) lines.push(`  ${k}: ${ws.join(', ')}`);
      };
      group('colours', v.colors);
      group('sizes', v.sizes);
      group('motions', v.motions);
      group('directions', v.directions);
      group('turning (orbit, rotate)', v.turning);
      group('speeds', v.speeds);
      group('backgrounds', v.backgrounds);
      group('styles', v.styles);
      group('camera', v.camera);
      group('lighting', v.lighting);
      group('relations', v.relations);
      lines.push(
        `positions: ${v.positions.filter((p) => p.startsWith('in the') || p.startsWith('on the')).join(', ')}`,
      );
      lines.push(`timing (appear, disappear): ${v.timing.join(', ')}`);
      lines.push(`numbers: ${v.numbers.join(', ')}`);
      process.stdout.write(`${lines.join('\n')}\n`);
    });
}
