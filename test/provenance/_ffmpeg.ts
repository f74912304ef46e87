// Minimal ffmpeg bridge for provenance: decode a media file to RGB frames (for `verify`) and
// encode frames to a file (for tests and the robustness benchmark). A stopgap until src/media
// lands; the binary is KINEMA_FFMPEG if set, else the one from @ffmpeg-installer/ffmpeg.
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { RgbFrames } from '../../src/provenance/frames.ts';

export class FfmpegError extends Error {
  static readonly userError = true;
  override name = 'FfmpegError';
}

export function ffmpegPath(): string {
  if (process.env.KINEMA_FFMPEG) return process.env.KINEMA_FFMPEG;
  const require = createRequire(import.meta.url);
  return (require('@ffmpeg-installer/ffmpeg') as { path: string }).path;
}

interface FfmpegRun {
  code: number | null;
  stdout: Buffer;
  stderr: string;
}

/** Runs ffmpeg; resolves with stdout, rejects with FfmpegError carrying stderr's tail. */
export async function runFfmpeg(args: readonly string[], stdin?: Uint8Array): Promise<Buffer> {
  const run = await spawnFfmpeg(args, stdin);
  if (run.code === 0) return run.stdout;
  throw new FfmpegError(
    `ffmpeg failed (${run.code}): ${run.stderr.trim().split('\n').slice(-3).join(' | ')}`,
  );
}

function spawnFfmpeg(args: readonly string[], stdin?: Uint8Array): Promise<FfmpegRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(ffmpegPath(), ['-hide_banner', '-nostdin', ...args], {
      stdio: [stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout?.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr?.on('data', (chunk: Buffer) => err.push(chunk));
    child.on('error', (e) => reject(new FfmpegError(`cannot run ffmpeg: ${e.message}`)));
    child.on('close', (code) =>
      resolve({ code, stdout: Buffer.concat(out), stderr: Buffer.concat(err).toString() }),
    );
    if (stdin && child.stdin) {
      child.stdin.on('error', () => {}); // ffmpeg may exit before reading everything; 'close' reports it.
      child.stdin.end(stdin);
    }
  });
}

/** Width and height of a file's first video stream, read from ffmpeg's stream listing. */
export async function probeSize(file: string): Promise<{ width: number; height: number }> {
  // `ffmpeg -i FILE` with no output exits 1 after printing the streams; that is expected.
  const { stderr } = await spawnFfmpeg(['-i', file]);
  const match = /Video: [^\n]*?, (\d+)x(\d+)/.exec(stderr);
  if (!match) throw new FfmpegError(`no video stream found in ${file}`);
  return { width: Number(match[1]), height: Number(match[2]) };
}

/** Decodes up to `maxFrames` frames of a video or image file to RGB. */
export async function decodeFrames(file: string, maxFrames = 64): Promise<RgbFrames> {
  const { width, height } = await probeSize(file);
  const raw = await runFfmpeg([
    '-v',
    'error',
    '-i',
    file,
    '-frames:v',
    String(maxFrames),
    '-f',
    'rawvideo',
    '-pix_fmt',
    'rgb24',
    '-',
  ]);
  const frames = Math.floor(raw.length / (width * height * 3));
  if (frames === 0) throw new FfmpegError(`no frames decoded from ${file}`);
  return {
    pixels: new Uint8Array(raw.buffer, raw.byteOffset, frames * width * height * 3),
    frames,
    height,
    width,
  };
}

/** Encodes frames to `file`; `outputArgs` choose codec, quality and filters (e.g. ['-crf', '30']). */
export async function encodeFrames(
  video: RgbFrames,
  file: string,
  outputArgs: readonly string[],
  fps = 8,
): Promise<void> {
  await runFfmpeg(
    [
      '-v',
      'error',
      '-y',
      '-f',
      'rawvideo',
      '-pix_fmt',
      'rgb24',
      '-s',
      `${video.width}x${video.height}`,
      '-r',
      String(fps),
      '-i',
      '-',
      ...outputArgs,
      file,
    ],
    video.pixels,
  );
}

/** Writes a clip with ffmpeg arguments (a codec, an attack) into `dir` and reads it back. */
export async function roundTrip(
  video: RgbFrames,
  args: readonly string[],
  ext: string,
  dir: string,
): Promise<RgbFrames> {
  const file = join(dir, `clip.${ext}`);
  await encodeFrames(video, file, args);
  return decodeFrames(file);
}

/**
 * What someone does to a file they were given: ffmpeg reads `input` and writes `attacked.EXT` in
 * `dir` with `args` (global metadata is copied, as ffmpeg does by default). Returns the new path.
 */
export async function attackFile(
  input: string,
  args: readonly string[],
  ext: string,
  dir: string,
): Promise<string> {
  const out = join(dir, `attacked.${ext}`);
  await runFfmpeg(['-v', 'error', '-y', '-i', input, ...args, out]);
  return out;
}
