// Bad inputs of every kind end in a typed MediaError, quickly, with no ffmpeg left running and no
// temp file left behind.
import assert from 'node:assert/strict';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { decodeVideo } from '../../src/media/decode.ts';
import { encodeVideo } from '../../src/media/encode-video.ts';
import {
  CorruptMediaError,
  EmptyMediaError,
  MediaError,
  MediaLimitError,
  MediaTimeoutError,
  MediaTypeMismatchError,
  NotMediaError,
} from '../../src/media/errors.ts';
import { writeThumbnail } from '../../src/media/thumbnail.ts';
import { ffmpegChildren, tempFolder, worldLikeClip } from './fixtures.ts';

let dir: string;
let cleanup: () => Promise<void>;
let mp4: string;
let png: string;
before(async () => {
  ({ dir, cleanup } = await tempFolder());
  mp4 = join(dir, 'good.mp4');
  await encodeVideo(worldLikeClip(32, 32, 24, 8), mp4, { format: 'mp4' });
  png = join(dir, 'good.png');
  await writeThumbnail(worldLikeClip(16, 16, 1, 8), png);
});
after(() => cleanup());

const LIMIT = { timeout: 20_000 };

/** CRC-32 as PNG chunks need it (node 20 has no zlib.crc32). */
function crc32(bytes: Uint8Array): number {
  let crc = ~0;
  for (const byte of bytes) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = (crc >>> 1) ^ (0xedb88320 & -(crc & 1));
  }
  return ~crc >>> 0;
}

function pngChunk(type: string, data: Uint8Array): Buffer {
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  body.copy(out, 4);
  out.writeUInt32BE(crc32(body), 8 + data.length);
  return out;
}

/** A tiny, well-formed PNG header claiming a huge image (a "decompression bomb" probe). */
function hugePng(width: number, height: number): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 2, 0, 0, 0], 8);
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  return Buffer.concat([
    signature,
    pngChunk('IHDR', ihdr),
    pngChunk('IDAT', new Uint8Array([0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01])),
    pngChunk('IEND', new Uint8Array()),
  ]);
}

test('zero-byte file → EmptyMediaError', LIMIT, async () => {
  const file = join(dir, 'empty.mp4');
  await writeFile(file, '');
  await assert.rejects(decodeVideo(file), EmptyMediaError);
});

test('non-media files (text, even named .mp4) → NotMediaError', LIMIT, async () => {
  for (const name of ['notes.txt', 'notes.mp4', 'tiny.gif']) {
    const file = join(dir, name);
    await writeFile(file, name === 'tiny.gif' ? 'GI' : 'just some words, not a video\n');
    await assert.rejects(decodeVideo(file), NotMediaError, name);
  }
});

test(
  'wrong extension (a PNG named .mp4) → MediaTypeMismatchError, or decoded by content when allowed',
  LIMIT,
  async () => {
    const file = join(dir, 'really-a-png.mp4');
    await writeFile(file, await readFile(png));
    await assert.rejects(decodeVideo(file), (err: unknown) => {
      assert.ok(err instanceof MediaTypeMismatchError);
      assert.deepEqual([err.extensionFormat, err.contentFormat], ['mp4', 'png']);
      return true;
    });
    const decoded = await decodeVideo(file, { allowExtensionMismatch: true });
    assert.deepEqual([decoded.width, decoded.height, decoded.frames], [16, 16, 1]);
  },
);

test('truncated MP4 → CorruptMediaError (TruncatedMediaError when the index is cut off)', LIMIT, async () => {
  const bytes = await readFile(mp4);
  const half = join(dir, 'half.mp4');
  await writeFile(half, bytes.subarray(0, Math.floor(bytes.length * 0.6)));
  await assert.rejects(decodeVideo(half), CorruptMediaError);
  // Without +faststart the moov index sits at the end: cutting the file loses it.
  const headOnly = join(dir, 'head-only.mp4');
  const mdatFirst = Buffer.concat([
    bytes.subarray(0, 32),
    Buffer.from([0, 0, 0, 8]),
    Buffer.from('mdat'),
    bytes.subarray(40, 200),
  ]);
  await writeFile(headOnly, mdatFirst);
  await assert.rejects(decodeVideo(headOnly), CorruptMediaError);
});

test('corrupt files (right magic bytes, garbage after) → CorruptMediaError', LIMIT, async () => {
  const garbage = Buffer.alloc(4096);
  for (let i = 0; i < garbage.length; i++) garbage[i] = (i * 7919 + 13) % 251;
  const cases: [string, Buffer][] = [
    [
      'bad.mp4',
      Buffer.concat([Buffer.from([0, 0, 0, 0x18]), Buffer.from('ftypisom'), Buffer.alloc(12), garbage]),
    ],
    ['bad.gif', Buffer.concat([Buffer.from('GIF89a'), garbage])],
    ['bad.webm', Buffer.concat([Buffer.from([0x1a, 0x45, 0xdf, 0xa3]), garbage])],
    ['bad.jpg', Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), garbage])],
  ];
  for (const [name, bytes] of cases) {
    const file = join(dir, name);
    await writeFile(file, bytes);
    await assert.rejects(decodeVideo(file), CorruptMediaError, name);
  }
});

test('huge dimensions → MediaLimitError before any pixel is decoded', LIMIT, async () => {
  const file = join(dir, 'bomb.png');
  await writeFile(file, hugePng(100_000, 100_000));
  await assert.rejects(decodeVideo(file), (err: unknown) => {
    assert.ok(err instanceof MediaError, String(err));
    assert.ok(err instanceof MediaLimitError || err instanceof CorruptMediaError, String(err));
    return true;
  });
  await assert.rejects(decodeVideo(mp4, { limits: { maxPixels: 100 } }), {
    name: 'MediaLimitError',
    limit: 'maxPixels',
  });
  await assert.rejects(decodeVideo(mp4, { limits: { maxFrames: 10 } }), {
    name: 'MediaLimitError',
    limit: 'maxFrames',
  });
  await assert.rejects(decodeVideo(mp4, { limits: { maxDurationS: 1 } }), {
    name: 'MediaLimitError',
    limit: 'maxDurationS',
  });
  await assert.rejects(decodeVideo(mp4, { limits: { maxFileBytes: 100 } }), {
    name: 'MediaLimitError',
    limit: 'maxFileBytes',
  });
});

test('a process past its time limit is killed → MediaTimeoutError', LIMIT, async () => {
  await assert.rejects(decodeVideo(mp4, { limits: { timeoutMs: 1 } }), MediaTimeoutError);
});

test('no ffmpeg child is left running and no temp file is left behind', LIMIT, async () => {
  assert.deepEqual(ffmpegChildren(), []);
  const temps = (await readdir(dir)).filter((f) => f.includes('.tmp'));
  assert.deepEqual(temps, []);
});
