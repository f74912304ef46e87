// Ingest on a small folder of real encoded videos (ffmpeg test sources, plus opencv-doc's real
// footage when installed): sidecar captions, CSV and JSONL lists, uncaptioned and broken videos
// reported, clips of the training size and rate.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { parseCsv } from '../../src/media/captions.ts';
import { type ClipRecord, ingestVideos, nearestBucket } from '../../src/media/ingest.ts';
import { ShardReader } from '../../src/train/shards.ts';
import { renderTestSource, tempFolder } from './fixtures.ts';

let dir: string;
let cleanup: () => Promise<void>;
let videos: string;
const run = promisify(execFile);
const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const TREE = '/usr/share/doc/opencv-doc/examples/data/tree.avi';

before(async () => {
  ({ dir, cleanup } = await tempFolder());
  videos = join(dir, 'videos');
  await mkdir(join(videos, 'sub'), { recursive: true });
  const h264 = ['-c:v', 'libx264', '-pix_fmt', 'yuv420p'];
  await renderTestSource(join(videos, 'wide.mp4'), {
    width: 160,
    height: 90,
    fps: 24,
    seconds: 5,
    args: h264,
  });
  await writeFile(join(videos, 'wide.txt'), 'a test pattern with a moving gradient\n');
  await renderTestSource(join(videos, 'sub', 'short.webm'), {
    width: 64,
    height: 64,
    fps: 8,
    seconds: 1,
    args: ['-c:v', 'libvpx-vp9'],
  });
  await writeFile(join(videos, 'sub', 'short.txt'), 'too short');
  await renderTestSource(join(videos, 'nocaption.mp4'), {
    width: 64,
    height: 64,
    fps: 8,
    seconds: 3,
    args: h264,
  });
  await writeFile(join(videos, 'broken.mp4'), 'not a video at all');
  await writeFile(join(videos, 'broken.txt'), 'a caption for a broken file');
  if (existsSync(TREE)) {
    await copyFile(TREE, join(videos, 'tree.avi'));
    await writeFile(join(videos, 'tree.txt'), 'a tree swaying in the wind');
  }
});
after(() => cleanup());

function collector(): { clips: ClipRecord[]; write: (c: ClipRecord) => Promise<void> } {
  const clips: ClipRecord[] = [];
  return { clips, write: async (c) => void clips.push({ ...c, pixels: c.pixels.slice() }) };
}

test('folder with sidecar captions → 17-frame 64x64 8 fps clips; the rest reported', {
  timeout: 60_000,
}, async () => {
  const sink = collector();
  const summary = await ingestVideos(videos, sink, {
    width: 64,
    height: 64,
    frames: 17,
    fps: 8,
    maxClipsPerVideo: 3,
  });
  assert.deepEqual(summary.uncaptioned, [join(videos, 'nocaption.mp4')]);
  assert.deepEqual(summary.tooShort, [join(videos, 'sub', 'short.webm')]);
  assert.equal(summary.failed.length, 1);
  assert.match(summary.failed[0]!.error, /NotMediaError/);
  const wide = sink.clips.filter((c) => c.source.endsWith('wide.mp4'));
  assert.equal(wide.length, 2); // 5 s at 8 fps = 40 frames = two whole 17-frame clips
  assert.deepEqual(
    wide.map((c) => c.startS),
    [0, 17 / 8],
  );
  for (const clip of sink.clips) {
    assert.deepEqual(
      [clip.width, clip.height, clip.frames, clip.fps, clip.pixels.length],
      [64, 64, 17, 8, 17 * 64 * 64 * 3],
    );
  }
  assert.deepEqual(wide[0]!.captions, ['a test pattern with a moving gradient']);
  if (existsSync(TREE)) assert.equal(sink.clips.filter((c) => c.source.endsWith('tree.avi')).length, 3);
  assert.equal(summary.clips, sink.clips.length);
});

test('CSV (Open-Sora path,text) and JSONL lists, with aspect buckets', { timeout: 30_000 }, async () => {
  await writeFile(
    join(dir, 'list.csv'),
    'path,text\nvideos/wide.mp4,"a pattern, wide"\nvideos/nocaption.mp4,\n',
  );
  const csvSink = collector();
  const fromCsv = await ingestVideos(join(dir, 'list.csv'), csvSink, {
    width: 64,
    height: 64,
    frames: 8,
    fps: 4,
    buckets: [
      { width: 64, height: 64 },
      { width: 96, height: 56 },
    ],
  });
  assert.deepEqual(fromCsv.uncaptioned, [join(videos, 'nocaption.mp4')]);
  assert.deepEqual([csvSink.clips[0]!.width, csvSink.clips[0]!.height], [96, 56]);
  assert.deepEqual(csvSink.clips[0]!.captions, ['a pattern, wide']);
  await writeFile(
    join(dir, 'list.jsonl'),
    `${JSON.stringify({ path: 'videos/wide.mp4', text: ['one', 'two'] })}\n`,
  );
  const jsonlSink = collector();
  await ingestVideos(join(dir, 'list.jsonl'), jsonlSink, {
    width: 32,
    height: 32,
    frames: 8,
    fps: 4,
    maxClipsPerVideo: 1,
  });
  assert.deepEqual(
    jsonlSink.clips.map((c) => c.captions),
    [['one', 'two']],
  );
});

test('kinema data ingest writes training shards and lists the uncaptioned video', {
  timeout: 60_000,
}, async () => {
  // Run the command in its own process, as a user would (stdout here belongs to the test runner).
  const out = join(dir, 'shards');
  const script = `import { Command } from 'commander';
import { registerMediaCommands } from './src/cli/media.ts';
const program = new Command();
registerMediaCommands(program);
await program.parseAsync(process.argv.slice(1), { from: 'user' });`;
  const { stdout } = await run(
    process.execPath,
    [
      '--import',
      'tsx',
      '--input-type=module',
      '-e',
      script,
      'data',
      'ingest',
      videos,
      '--out',
      out,
      '--max-clips-per-video',
      '1',
      '--json',
    ],
    { cwd: ROOT, timeout: 60_000 },
  );
  const summary = JSON.parse(stdout);
  assert.deepEqual(summary.uncaptioned, [join(videos, 'nocaption.mp4')]);
  // The clips are a training shard set, readable by the trainer's reader, captions kept.
  const reader = new ShardReader(out);
  assert.equal(reader.length, summary.clips);
  const first = reader.get(0, { verify: true });
  assert.deepEqual([first.width, first.height], [64, 64]);
  assert.ok(Object.values(first.captions)[0]!.length > 0);
  reader.close();
});

test('CSV parsing handles quotes, commas and newlines; buckets pick the nearest aspect', () => {
  assert.deepEqual(parseCsv('path,text\r\na.mp4,"say ""hi"", then\nleave"\n'), [
    ['path', 'text'],
    ['a.mp4', 'say "hi", then\nleave'],
  ]);
  const buckets = [
    { width: 64, height: 64 },
    { width: 96, height: 64 },
    { width: 64, height: 96 },
  ];
  assert.deepEqual(nearestBucket(buckets, 1920, 1080), { width: 96, height: 64 });
  assert.deepEqual(nearestBucket(buckets, 480, 640), { width: 64, height: 96 });
});
