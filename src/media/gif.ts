// Animated GIF in pure JS (gifenc): one 256-colour palette per frame, looping forever.
// GIF stores delays in whole centiseconds, so a frame rate like 8 fps (12.5 cs) cannot be exact
// per frame; delays are rounded on the running total (13, 12, 13, 12 ... cs) so the clip's total
// length stays exact. Browsers raise delays under 2 cs to 10 cs, so above 50 fps GIFs play slower.
import { writeFile } from 'node:fs/promises';
import gifenc from 'gifenc';
import { writeAtomically } from './atomic.ts';
import { checkShape, frameAt, type VideoFrames } from './frames.ts';

/** Per-frame delays in centiseconds whose running sum tracks frames / fps exactly. */
export function gifDelaysCs(frames: number, fps: number): number[] {
  const delays: number[] = [];
  for (let i = 0; i < frames; i++)
    delays.push(Math.round(((i + 1) * 100) / fps) - Math.round((i * 100) / fps));
  return delays;
}

function rgbToRgba(rgb: Uint8Array): Uint8Array {
  const rgba = new Uint8Array((rgb.length / 3) * 4);
  for (let i = 0, j = 0; i < rgb.length; i += 3, j += 4) {
    rgba[j] = rgb[i]!;
    rgba[j + 1] = rgb[i + 1]!;
    rgba[j + 2] = rgb[i + 2]!;
    rgba[j + 3] = 255;
  }
  return rgba;
}

/** GIF file bytes for a clip. */
export function encodeGif(video: VideoFrames): Uint8Array {
  checkShape(video, video.frames, video.pixels.length);
  const encoder = gifenc.GIFEncoder();
  const delays = gifDelaysCs(video.frames, video.fps);
  for (let f = 0; f < video.frames; f++) {
    const rgba = rgbToRgba(frameAt(video, f));
    const palette = gifenc.quantize(rgba, 256);
    const index = gifenc.applyPalette(rgba, palette);
    encoder.writeFrame(index, video.width, video.height, { palette, delay: delays[f]! * 10, repeat: 0 });
  }
  encoder.finish();
  return encoder.bytesView();
}

export async function writeGif(video: VideoFrames, out: string): Promise<{ path: string; bytes: number }> {
  const bytes = encodeGif(video);
  await writeAtomically(out, (tmp) => writeFile(tmp, bytes));
  return { path: out, bytes: bytes.length };
}
