// Media benchmarks: round-trip PSNR per output format on world clips at 64 and 128 (goal for
// MP4 at the default settings: ≥ 35 dB); encode and decode frames/s through Kinema's wrapper vs
// the same ffmpeg command run directly from a shell with frames from a file (ratio goal ≥ 0.9);
// and peak RSS while streaming a 10 000-frame decode.
import { execFile, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { decodeArgs, decodeVideo, openVideo } from '../src/media/decode.ts';
import { encodeVideo, type VideoEncodeOptions, videoEncodeArgs } from '../src/media/encode-video.ts';
import { ffmpegPath } from '../src/media/ffmpeg-binary.ts';
import type { VideoFrames } from '../src/media/frames.ts';
import { writeGif } from '../src/media/gif.ts';
import { writePngSequence } from '../src/media/png.ts';
import { probeMedia } from '../src/media/probe.ts';
import { psnr } from '../src/media/psnr.ts';
import { renderClip } from '../src/world/render.ts';
import { sampleScene } from '../src/world/sample.ts';
import { worldLikeClip } from '../test/media/fixtures.ts';
import { report } from './_report.ts';

const run = promisify(execFile);
const ffmpeg = ffmpegPath();
const dir = await mkdtemp(join(tmpdir(), 'kinema-bench-media-'));

function shell(command: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('sh', ['-c', command], { stdio: 'ignore' });
    child.once('close', (code) => (code === 0 ? resolve() : reject(new Error(`${command}: exit ${code}`))));
  });
}

const quote = (arg: string) => `'${arg.replace(/'/g, `'\\''`)}'`;

/**
 * Median wall times of several functions run in turn (a, b, c, a, b, c, ...), so that the load
 * of a shared machine drifting during the run weighs on all of them alike.
 */
async function interleavedMs(fns: (() => unknown)[], runs = 7): Promise<number[]> {
  for (const fn of fns) await fn();
  const times = fns.map(() => [] as number[]);
  for (let r = 0; r < runs; r++) {
    for (const [i, fn] of fns.entries()) {
      const t0 = performance.now();
      await fn();
      times[i]!.push(performance.now() - t0);
    }
  }
  return times.map((t) => t.sort((a, b) => a - b)[Math.floor(t.length / 2)]!);
}

/** PSNR in dB rounded for JSON (a lossless round trip reports "lossless"). */
const db = (value: number) => (Number.isFinite(value) ? +value.toFixed(2) : 'lossless');

/** A clip from the world renderer itself (three scenes, 17 frames each, at 8 fps). */
function rendererClip(size: number): VideoFrames {
  const parts: Uint8Array[] = [];
  for (let seed = 100; seed < 103; seed++) {
    const spec = sampleScene(seed, { width: size, height: size, frames: 17, fps: 8 });
    parts.push(renderClip(spec, seed, { captions: false }).pixels);
  }
  return { pixels: Buffer.concat(parts), frames: 51, width: size, height: size, fps: 8 };
}

async function roundTrip(clip: VideoFrames, name: string): Promise<Record<string, number | string>> {
  const video = async (options: VideoEncodeOptions, ext: string) => {
    const out = join(dir, `${name}.${ext}`);
    await encodeVideo(clip, out, options);
    return db(psnr(clip.pixels, (await decodeVideo(out)).pixels));
  };
  const gif = join(dir, `${name}.gif`);
  await writeGif(clip, gif);
  const png = await writePngSequence(clip, join(dir, `${name}-png`));
  const pngFrames = await Promise.all(png.files.map((f) => decodeVideo(join(png.path, f))));
  return {
    mp4: await video({ format: 'mp4' }, 'mp4'),
    webm: await video({ format: 'webm' }, 'webm'),
    gif: db(psnr(clip.pixels, (await decodeVideo(gif)).pixels)),
    png: db(psnr(clip.pixels, Buffer.concat(pngFrames.map((f) => f.pixels)))),
    // For comparison: stored at their own size (4:2:0 bound) and as 4:4:4 (does not play everywhere).
    mp4Upscale1: await video({ format: 'mp4', upscale: 1 }, 'own.mp4'),
    mp4Chroma444: await video({ format: 'mp4', chroma: '444' }, '444.mp4'),
  };
}

try {
  for (const size of [64, 128]) {
    const encoded = await encodeVideo(worldLikeClip(size, size, 2, 8), join(dir, 'size.mp4'), {
      format: 'mp4',
    });
    report({
      name: `media.psnr.${size}`,
      clip: 'world-like fixture, 17 frames',
      display: `${encoded.displayWidth}x${encoded.displayHeight}`,
      ...(await roundTrip(worldLikeClip(size, size, 17, 8), `like${size}`)),
    });
    report({
      name: `media.psnr.renderer.${size}`,
      clip: 'world renderer, 3 scenes x 17 frames',
      ...(await roundTrip(rendererClip(size), `world${size}`)),
    });
  }

  for (const [size, frames] of [
    [128, 96],
    [512, 24],
  ] as const) {
    const clip = worldLikeClip(size, size, frames, 24);
    const rawFile = join(dir, `frames${size}.rgb`);
    await writeFile(rawFile, clip.pixels);
    const ours = join(dir, `ours${size}.mp4`);
    const direct = join(dir, `direct${size}.mp4`);
    const directArgs = videoEncodeArgs(clip, direct, { format: 'mp4' }).map(quote).join(' ');
    const [encodeOurs, encodeDirect] = (await interleavedMs([
      () => encodeVideo(clip, ours, { format: 'mp4' }),
      () => shell(`${quote(ffmpeg)} -hide_banner ${directArgs} < ${quote(rawFile)}`),
    ])) as [number, number];
    report({
      name: `media.encode.mp4.${size}`,
      frames,
      fps: +((frames * 1000) / encodeOurs).toFixed(1),
      directFps: +((frames * 1000) / encodeDirect).toFixed(1),
      ratio: +(encodeDirect / encodeOurs).toFixed(3),
      display: `${(await probeMedia(ours)).displayWidth}px`,
    });

    // The very command decodeVideo runs (same args builder), from a shell to /dev/null, and the
    // same with its frames read through a pipe (`| cat`), as any reader of ffmpeg's stdout must.
    // Each run is short (0.1-0.3 s) and the machine may be shared: 15 rounds, not 7.
    const decodeArgv = decodeArgs(await probeMedia(ours));
    const decodeCommand = `${quote(ffmpeg)} -hide_banner -nostdin ${decodeArgv.map(quote).join(' ')}`;
    const [decodeOurs, probeOnly, probeFfmpeg, decodeDirect, decodePiped] = (await interleavedMs(
      [
        () => decodeVideo(ours),
        () => probeMedia(ours),
        () => probeMedia(ours, { readIndex: false }),
        () => shell(`${decodeCommand} > /dev/null`),
        () => shell(`${decodeCommand} | cat > /dev/null`),
      ],
      15,
    )) as [number, number, number, number, number];
    report({
      name: `media.decode.mp4.${size}`,
      frames,
      fps: +((frames * 1000) / decodeOurs).toFixed(1),
      directFps: +((frames * 1000) / decodeDirect).toFixed(1),
      ratio: +(decodeDirect / decodeOurs).toFixed(3),
      ratioVsPipedShell: +(decodePiped / decodeOurs).toFixed(3),
      probeMs: +probeOnly.toFixed(1),
      probeFfmpegMs: +probeFfmpeg.toFixed(1),
      ratioWithoutProbe: +(decodeDirect / (decodeOurs - probeOnly)).toFixed(3),
    });
  }

  // A long input: 10 000 frames at 128x128 (491 MB of RGB) streamed in 16-frame chunks.
  const long = join(dir, 'long.mp4');
  await run(ffmpeg, [
    '-v',
    'error',
    '-f',
    'lavfi',
    '-i',
    'testsrc2=size=128x128:rate=25',
    '-frames:v',
    '10000',
    '-c:v',
    'libx264',
    '-preset',
    'ultrafast',
    '-pix_fmt',
    'yuv420p',
    '-y',
    long,
  ]);
  const rssBefore = process.memoryUsage().rss;
  let peak = rssBefore;
  let decoded = 0;
  const t0 = performance.now();
  const { stream } = await openVideo(long);
  for await (const chunk of stream.chunks) {
    decoded += chunk.length / (128 * 128 * 3);
    peak = Math.max(peak, process.memoryUsage().rss);
  }
  report({
    name: 'media.decode.long',
    frames: decoded,
    seconds: +((performance.now() - t0) / 1000).toFixed(2),
    allFramesMB: +((decoded * 128 * 128 * 3) / 1e6).toFixed(0),
    rssBeforeMB: +(rssBefore / 1e6).toFixed(0),
    rssPeakMB: +(peak / 1e6).toFixed(0),
  });
} finally {
  await rm(dir, { recursive: true, force: true });
}
