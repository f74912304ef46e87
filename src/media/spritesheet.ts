// A spritesheet: frames sampled evenly over the clip, laid out left to right, top to bottom in one
// PNG, with a JSON index giving each tile's rectangle and the time of the frame it shows (what
// video players use for scrubbing previews).
import { writeFile } from 'node:fs/promises';
import { writeAtomically } from './atomic.ts';
import { UnsupportedMediaError } from './errors.ts';
import { checkShape, frameAt, type VideoFrames } from './frames.ts';
import { encodePng } from './png.ts';

export interface SpritesheetOptions {
  /** Most tiles (frames sampled evenly, first and last included); default 64. */
  maxTiles?: number;
  /** Tiles per row; default the ceiling of the square root of the tile count. */
  columns?: number;
}

export interface SpritesheetIndex {
  image: string;
  width: number;
  height: number;
  tileWidth: number;
  tileHeight: number;
  columns: number;
  rows: number;
  fps: number;
  tiles: { frame: number; timeS: number; x: number; y: number }[];
}

/** Indices of `count` frames spread evenly over `frames` (first and last included). */
export function sampleFrames(frames: number, count: number): number[] {
  const n = Math.min(frames, count);
  if (n === 1) return [0];
  return Array.from({ length: n }, (_, i) => Math.round((i * (frames - 1)) / (n - 1)));
}

/** The sheet's pixels (RGB) and its index, pure. */
export function buildSpritesheet(video: VideoFrames, image: string, options: SpritesheetOptions = {}) {
  checkShape(video, video.frames, video.pixels.length);
  const maxTiles = options.maxTiles ?? 64;
  if (!Number.isInteger(maxTiles) || maxTiles < 1)
    throw new UnsupportedMediaError(`maxTiles must be ≥ 1, got ${maxTiles}`);
  const picked = sampleFrames(video.frames, maxTiles);
  const columns = Math.min(picked.length, options.columns ?? Math.ceil(Math.sqrt(picked.length)));
  const rows = Math.ceil(picked.length / columns);
  const { width: tw, height: th } = video;
  const sheetWidth = columns * tw;
  const sheet = new Uint8Array(rows * th * sheetWidth * 3);
  const tiles = picked.map((frame, i) => {
    const x = (i % columns) * tw;
    const y = Math.floor(i / columns) * th;
    const rgb = frameAt(video, frame);
    for (let row = 0; row < th; row++) {
      sheet.set(rgb.subarray(row * tw * 3, (row + 1) * tw * 3), ((y + row) * sheetWidth + x) * 3);
    }
    return { frame, timeS: frame / video.fps, x, y };
  });
  const index: SpritesheetIndex = {
    image,
    width: sheetWidth,
    height: rows * th,
    tileWidth: tw,
    tileHeight: th,
    columns,
    rows,
    fps: video.fps,
    tiles,
  };
  return { pixels: sheet, index };
}

/** Writes `out` (PNG) and `out` with .json instead of .png (the index). */
export async function writeSpritesheet(
  video: VideoFrames,
  out: string,
  options: SpritesheetOptions = {},
): Promise<{ image: string; indexFile: string; index: SpritesheetIndex }> {
  if (!out.toLowerCase().endsWith('.png'))
    throw new UnsupportedMediaError(`spritesheet must end in .png, got ${out}`);
  const indexFile = `${out.slice(0, -4)}.json`;
  const imageName = out.split(/[\\/]/).at(-1)!;
  const { pixels, index } = buildSpritesheet(video, imageName, options);
  await writeAtomically(out, (tmp) => writeFile(tmp, encodePng(pixels, index.width, index.height)));
  await writeAtomically(indexFile, (tmp) => writeFile(tmp, `${JSON.stringify(index, null, 2)}\n`));
  return { image: out, indexFile, index };
}
