// PNG stills in pure JS (pngjs): one frame as a PNG, or a whole clip as a folder of numbered PNGs
// (frame_00000.png, ...) plus frames.json with the frame rate and each frame's time.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { writeAtomically } from './atomic.ts';
import { checkShape, frameAt, type VideoFrames } from './frames.ts';

/** PNG file bytes for one RGB frame. */
export function encodePng(rgb: Uint8Array, width: number, height: number): Buffer {
  const png = new PNG({ width, height, colorType: 2, inputColorType: 2, inputHasAlpha: false });
  png.data = Buffer.from(rgb.buffer, rgb.byteOffset, rgb.length);
  return PNG.sync.write(png, { colorType: 2, inputColorType: 2, inputHasAlpha: false });
}

export function pngFrameName(index: number): string {
  return `frame_${String(index).padStart(5, '0')}.png`;
}

/** Writes `outDir`/frame_00000.png ... and frames.json; the folder appears complete or not at all. */
export async function writePngSequence(
  video: VideoFrames,
  outDir: string,
): Promise<{ path: string; files: string[] }> {
  checkShape(video, video.frames, video.pixels.length);
  const files = Array.from({ length: video.frames }, (_, i) => pngFrameName(i));
  await writeAtomically(outDir, async (tmp) => {
    await mkdir(tmp);
    for (let f = 0; f < video.frames; f++) {
      await writeFile(join(tmp, files[f]!), encodePng(frameAt(video, f), video.width, video.height));
    }
    const index = {
      width: video.width,
      height: video.height,
      fps: video.fps,
      frames: files.map((file, i) => ({ file, timeS: i / video.fps })),
    };
    await writeFile(join(tmp, 'frames.json'), `${JSON.stringify(index, null, 2)}\n`);
  });
  return { path: outDir, files };
}
