// Clips of unknown number (a user's videos, cut as they are decoded) streamed into a shard set:
// records go straight into the current shard file, a full shard is committed and the next one
// opened, and the index is written at the end — the same format `world export` writes.
import { join } from 'node:path';
import type { ClipRecord, ClipSink } from '../media/ingest.ts';
import { ShardFileWriter, type ShardIndex, ShardWriter, shardFileName } from './shards.ts';

export interface ShardSink extends ClipSink {
  /** Commits the last shard and writes index.json; returns the index. */
  close(): Promise<ShardIndex>;
}

export function shardClipSink(
  dir: string,
  options: { shardSize: number; meta?: Record<string, unknown> },
): ShardSink {
  // Constructing a writer checks the folder (a different set already there is refused).
  new ShardWriter(dir, { shardSize: options.shardSize, total: 0, meta: options.meta });
  let shard = 0;
  let written = 0;
  let current: ShardFileWriter | undefined;
  return {
    async write(clip: ClipRecord) {
      current ??= new ShardFileWriter(join(dir, shardFileName(shard)), shard);
      current.add({
        width: clip.width,
        height: clip.height,
        frames: clip.frames,
        fps: clip.fps,
        pixels: clip.pixels,
        captions: Object.fromEntries(clip.captions.map((text, i) => [i === 0 ? 'text' : `text${i}`, text])),
        meta: { source: clip.source, startS: clip.startS },
      });
      written++;
      if (current.count === options.shardSize) {
        current.commit();
        current = undefined;
        shard++;
      }
    },
    async close() {
      if (current && current.count > 0) current.commit();
      else current?.abort();
      return new ShardWriter(dir, {
        shardSize: options.shardSize,
        total: written,
        meta: options.meta,
      }).finish();
    },
  };
}
