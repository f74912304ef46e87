// Test inputs made on the spot: world-like clips drawn in JS (gradient background, anti-aliased
// coloured shapes that move), and real encoded files made with ffmpeg's own test sources.
// Nothing large is committed; everything lands in a fresh temp folder that the test removes.

import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ffmpegPath } from '../../src/media/ffmpeg-binary.ts';
import type { VideoFrames } from '../../src/media/frames.ts';

const run = promisify(execFile);

const COLOURS: [number, number, number][] = [
  [220, 40, 40],
  [40, 90, 220],
  [245, 220, 40],
  [50, 170, 60],
];

/** A clip like the world renders: sky-to-ground gradient and shapes moving across it. */
export function worldLikeClip(width: number, height: number, frames: number, fps = 8): VideoFrames {
  const pixels = new Uint8Array(frames * height * width * 3);
  const radius = Math.max(3, Math.min(width, height) * 0.15);
  for (let f = 0; f < frames; f++) {
    const t = f / Math.max(1, frames - 1);
    const shapes = COLOURS.map((colour, i) => ({
      colour,
      x: width * (0.2 + 0.6 * ((t + i * 0.25) % 1)),
      y: height * (0.25 + 0.5 * ((i * 0.37 + t * (i % 2 ? -0.5 : 0.5) + 1) % 1)),
      square: i % 2 === 1,
    }));
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const o = ((f * height + y) * width + x) * 3;
        const g = y / height;
        let rgb = [Math.round(90 + 80 * g), Math.round(150 + 40 * g), Math.round(230 - 120 * g)];
        for (const s of shapes) {
          // 2x2 supersampled coverage gives the soft edges a canvas renderer would draw.
          let cover = 0;
          for (const [dx, dy] of [
            [0.25, 0.25],
            [0.75, 0.25],
            [0.25, 0.75],
            [0.75, 0.75],
          ] as const) {
            const px = x + dx - s.x;
            const py = y + dy - s.y;
            const inside = s.square
              ? Math.abs(px) < radius && Math.abs(py) < radius
              : px * px + py * py < radius * radius;
            if (inside) cover += 0.25;
          }
          rgb = rgb.map((c, k) => Math.round(c * (1 - cover) + s.colour[k]! * cover));
        }
        pixels.set(rgb, o);
      }
    }
  }
  return { pixels, frames, height, width, fps };
}

/** A fresh temp folder and a function that removes it. */
export async function tempFolder(): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'kinema-media-test-'));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** Renders ffmpeg's testsrc2 pattern into `out` with the given extra output arguments. */
export async function renderTestSource(
  out: string,
  {
    width,
    height,
    fps,
    seconds,
    args,
  }: { width: number; height: number; fps: number; seconds: number; args: string[] },
): Promise<void> {
  await run(
    ffmpegPath(),
    [
      '-v',
      'error',
      '-f',
      'lavfi',
      '-i',
      `testsrc2=size=${width}x${height}:rate=${fps}`,
      '-t',
      String(seconds),
      ...args,
      '-y',
      out,
    ],
    { timeout: 60_000 },
  );
}

/** ffmpeg processes whose parent is this one, from /proc/PID/stat (ppid: 2nd field after the name). */
export function ffmpegChildren(): string[] {
  return readdirSync('/proc')
    .filter((pid) => /^\d+$/.test(pid))
    .filter((pid) => {
      try {
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
        const isChild = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === process.pid;
        return isChild && stat.includes('(ffmpeg)'); // tsx keeps an esbuild child of its own
      } catch {
        return false; // the process ended while we looked
      }
    });
}
