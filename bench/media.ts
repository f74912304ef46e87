// Media benchmarks: encode and decode frames/s through Kinema's wrapper vs the same ffmpeg
// command run directly from a shell with frames from a file (ratio goal ≥ 0.9), and peak RSS
// while streaming a 10 000-frame decode.
import { execFile, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { decodeFilters, decodeVideo, openVideo } from '../src/media/decode.ts';
import { encodeVideo, videoEncodeArgs } from '../src/media/encode-video.ts';
import { ffmpegPath } from '../src/media/ffmpeg-binary.ts';
import { probeMedia } from '../src/media/probe.ts';
import { worldLikeClip } from '../test/media/fixtures.ts';
import { report, timeMs } from './_report.ts';

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

try {
  for (const [size, frames] of [
    [128, 96],
    [512, 24],
  ] as const) {
    const clip = worldLikeClip(size, size, frames, 24);
    const rawFile = join(dir, `frames${size}.rgb`);
    await writeFile(rawFile, clip.pixels);
    const ours = join(dir, `ours${size}.mp4`);
    const direct = join(dir, `direct${size}.mp4`);
    const encodeOurs = await timeMs(() => encodeVideo(clip, ours, { format: 'mp4' }), 3);
    const directArgs = videoEncodeArgs(clip, direct, { format: 'mp4' }).map(quote).join(' ');
    const encodeDirect = await timeMs(
      () => shell(`${quote(ffmpeg)} -hide_banner ${directArgs} < ${quote(rawFile)}`),
      3,
    );
    report({
      name: `media.encode.mp4.${size}`,
      frames,
      fps: +((frames * 1000) / encodeOurs).toFixed(1),
      directFps: +((frames * 1000) / encodeDirect).toFixed(1),
      ratio: +(encodeDirect / encodeOurs).toFixed(3),
    });

    const decodeOurs = await timeMs(() => decodeVideo(ours), 3);
    const probeOnly = await timeMs(() => probeMedia(ours), 3);
    const filters = decodeFilters({ width: size, height: size }, 'crop', undefined);
    const decodeArgs = [
      '-v',
      'error',
      '-f',
      'mov',
      '-i',
      `file:${ours}`,
      '-map',
      '0:v:0',
      '-vf',
      filters,
      '-vsync',
      'passthrough',
      '-f',
      'rawvideo',
      '-pix_fmt',
      'rgb24',
      'pipe:1',
    ];
    const decodeDirect = await timeMs(
      () => shell(`${quote(ffmpeg)} -hide_banner -nostdin ${decodeArgs.map(quote).join(' ')} > /dev/null`),
      3,
    );
    report({
      name: `media.decode.mp4.${size}`,
      frames,
      fps: +((frames * 1000) / decodeOurs).toFixed(1),
      directFps: +((frames * 1000) / decodeDirect).toFixed(1),
      ratio: +(decodeDirect / decodeOurs).toFixed(3),
      probeMs: +probeOnly.toFixed(1),
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
