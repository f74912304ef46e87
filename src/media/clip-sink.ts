// A stand-in ClipSink until the training shard writer (src/train/shards.ts) is wired in: clips are
// appended to OUT/clips.bin (raw RGB, back to back) and described, one JSON line each, in
// OUT/clips.jsonl (byte offset, shape, fps, captions, source).
import { mkdir, open } from 'node:fs/promises';
import { join } from 'node:path';
import type { ClipRecord, ClipSink } from './ingest.ts';

export async function rawClipSink(outDir: string): Promise<ClipSink & { close(): Promise<void> }> {
  await mkdir(outDir, { recursive: true });
  const pixels = await open(join(outDir, 'clips.bin'), 'w');
  const index = await open(join(outDir, 'clips.jsonl'), 'w');
  let offset = 0;
  return {
    async write(clip: ClipRecord) {
      await pixels.write(clip.pixels);
      const { pixels: _pixels, ...meta } = clip;
      await index.write(`${JSON.stringify({ offset, bytes: clip.pixels.length, ...meta })}\n`);
      offset += clip.pixels.length;
    },
    async close() {
      await pixels.close();
      await index.close();
    },
  };
}
