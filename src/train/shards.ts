// Training shards: a simple binary container for many clips, written once, read at random.
//
// A shard set is a folder:
//
//   index.json            {"format":"kinema-shards","version":1,"shardSize":S,"total":N,
//                          "shards":[{"file":"shard-00000.kin","count":S,"bytes":B},...],
//                          "meta":{...free-form, e.g. the export's options...}}
//   shard-00000.kin       records 0 .. S-1
//   shard-00001.kin       records S .. 2S-1, and so on (the last shard may hold fewer)
//
// A shard file (all integers little-endian):
//
//   file header, 32 bytes
//     0   8 bytes  magic "KINSHRD1"
//     8   u32      version (1)
//     12  u32      record count
//     16  u64      byte offset of the record index
//     24  u32      shard number in its set
//     28  u32      reserved (0)
//   records, one after another, each:
//     0   u32      magic "KREC" (0x4345524b)
//     4   u32      width
//     8   u32      height
//     12  u32      frames
//     16  u32      channels (3 = RGB)
//     20  u32      flags (0)
//     24  f64      fps
//     32  u64      pixel bytes  (= frames * height * width * channels)
//     40  u32      metadata bytes
//     44  u32      CRC-32 of the pixel bytes followed by the metadata bytes
//     48  ...      pixels: uint8, (frames, height, width, channels), row-major
//     ..  ...      metadata: UTF-8 JSON {"captions":{...},"spec"?:...,"truth"?:...,"meta"?:...}
//   record index: count x u64, the byte offset of each record
//
// Writes are atomic: a shard is written to a temporary file in the same folder, synced, and
// renamed into place only when complete; index.json is replaced the same way. Rerunning an
// export skips every shard that is already complete (valid header, the expected count), and
// removes temporary files left by an interrupted run. Records are generic (any size per
// record), so the same format holds the world's clips and a user's own videos.
import {
  closeSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import * as zlib from 'node:zlib';

export const SHARD_MAGIC = 'KINSHRD1';
export const SHARD_VERSION = 1;
const RECORD_MAGIC = 0x4345524b; // "KREC"
const FILE_HEADER = 32;
const RECORD_HEADER = 48;

/** One clip (or video) in a shard. */
export interface ShardRecord {
  width: number;
  height: number;
  frames: number;
  fps: number;
  /** Channels per pixel (default 3, RGB). */
  channels?: number;
  /** uint8, (frames, height, width, channels). */
  pixels: Uint8Array;
  /** Captions by kind, e.g. {short, detailed, long}; at least one. */
  captions: Record<string, string>;
  /** The scene spec, when the clip comes from the world. */
  spec?: unknown;
  /** Per-frame ground truth, when known. */
  truth?: unknown;
  /** Anything else worth keeping (seed, source file, ...). */
  meta?: Record<string, unknown>;
}

export interface ShardIndex {
  format: 'kinema-shards';
  version: number;
  shardSize: number;
  total: number;
  shards: { file: string; count: number; bytes: number }[];
  meta?: Record<string, unknown>;
}

/** A shard file or index that is not what it should be. */
export class ShardError extends Error {
  static userError = true;
  override name = 'ShardError';
}

// ----- CRC-32 ---------------------------------------------------------------------------------

const nativeCrc = (zlib as { crc32?: (data: Uint8Array, value?: number) => number }).crc32;
let crcTable: Uint32Array | undefined;
/** CRC-32 (IEEE), continuing from `crc`. */
export function crc32(data: Uint8Array, crc = 0): number {
  if (nativeCrc) return nativeCrc(data, crc) >>> 0;
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let c = ~crc >>> 0;
  for (let i = 0; i < data.length; i++) c = crcTable[(c ^ data[i]!) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
}

// ----- writing --------------------------------------------------------------------------------

export function shardFileName(n: number): string {
  return `shard-${String(n).padStart(5, '0')}.kin`;
}

/** Writes one shard file record by record; nothing appears under the final name until commit(). */
export class ShardFileWriter {
  private fd: number;
  private pos = FILE_HEADER;
  private offsets: number[] = [];
  private done = false;
  readonly tmpPath: string;

  constructor(
    readonly path: string,
    readonly shardNumber: number,
  ) {
    this.tmpPath = `${path}.tmp-${process.pid}`;
    this.fd = openSync(this.tmpPath, 'w');
    writeSync(this.fd, Buffer.alloc(FILE_HEADER), 0, FILE_HEADER, 0);
  }

  get count(): number {
    return this.offsets.length;
  }

  add(rec: ShardRecord): void {
    if (this.done) throw new Error('shard already committed');
    const channels = rec.channels ?? 3;
    const expected = rec.frames * rec.height * rec.width * channels;
    if (
      !(rec.width > 0 && rec.height > 0 && rec.frames > 0 && channels > 0) ||
      rec.pixels.length !== expected
    ) {
      throw new ShardError(
        `record ${this.count}: ${rec.pixels.length} pixel bytes for ${rec.frames}x${rec.height}x${rec.width}x${channels} (${expected} expected)`,
      );
    }
    const metaObj: Record<string, unknown> = { captions: rec.captions };
    if (rec.spec !== undefined) metaObj.spec = rec.spec;
    if (rec.truth !== undefined) metaObj.truth = rec.truth;
    if (rec.meta !== undefined) metaObj.meta = rec.meta;
    const meta = Buffer.from(JSON.stringify(metaObj), 'utf8');
    const head = Buffer.alloc(RECORD_HEADER);
    head.writeUInt32LE(RECORD_MAGIC, 0);
    head.writeUInt32LE(rec.width, 4);
    head.writeUInt32LE(rec.height, 8);
    head.writeUInt32LE(rec.frames, 12);
    head.writeUInt32LE(channels, 16);
    head.writeUInt32LE(0, 20);
    head.writeDoubleLE(rec.fps, 24);
    head.writeBigUInt64LE(BigInt(expected), 32);
    head.writeUInt32LE(meta.length, 40);
    head.writeUInt32LE(crc32(meta, crc32(rec.pixels)), 44);
    this.offsets.push(this.pos);
    this.write(head);
    this.write(rec.pixels);
    this.write(meta);
  }

  private write(buf: Uint8Array): void {
    let off = 0;
    while (off < buf.length) {
      const n = writeSync(this.fd, buf, off, buf.length - off, this.pos);
      off += n;
      this.pos += n;
    }
  }

  /** Writes the index and header, syncs, and renames into place. Returns the file size. */
  commit(): number {
    if (this.done) throw new Error('shard already committed');
    const indexOffset = this.pos;
    const idx = Buffer.alloc(this.offsets.length * 8);
    for (let i = 0; i < this.offsets.length; i++) idx.writeBigUInt64LE(BigInt(this.offsets[i]!), i * 8);
    this.write(idx);
    const head = Buffer.alloc(FILE_HEADER);
    head.write(SHARD_MAGIC, 0, 'ascii');
    head.writeUInt32LE(SHARD_VERSION, 8);
    head.writeUInt32LE(this.offsets.length, 12);
    head.writeBigUInt64LE(BigInt(indexOffset), 16);
    head.writeUInt32LE(this.shardNumber, 24);
    writeSync(this.fd, head, 0, FILE_HEADER, 0);
    fsyncSync(this.fd);
    closeSync(this.fd);
    renameSync(this.tmpPath, this.path);
    this.done = true;
    return this.pos;
  }

  /** Drops the temporary file (on error or interruption). */
  abort(): void {
    if (this.done) return;
    this.done = true;
    try {
      closeSync(this.fd);
    } catch {}
    rmSync(this.tmpPath, { force: true });
  }
}

/** Reads a shard file's header; undefined when missing, truncated or not a shard. */
export function shardHeader(
  path: string,
): { count: number; indexOffset: number; shardNumber: number; bytes: number } | undefined {
  if (!existsSync(path)) return undefined;
  const bytes = statSync(path).size;
  if (bytes < FILE_HEADER) return undefined;
  const fd = openSync(path, 'r');
  try {
    const head = Buffer.alloc(FILE_HEADER);
    readSync(fd, head, 0, FILE_HEADER, 0);
    if (head.toString('ascii', 0, 8) !== SHARD_MAGIC || head.readUInt32LE(8) !== SHARD_VERSION)
      return undefined;
    const count = head.readUInt32LE(12);
    const indexOffset = Number(head.readBigUInt64LE(16));
    if (indexOffset + count * 8 !== bytes) return undefined;
    return { count, indexOffset, shardNumber: head.readUInt32LE(24), bytes };
  } finally {
    closeSync(fd);
  }
}

export interface ShardSetOptions {
  /** Records per shard. */
  shardSize: number;
  /** Total records the set will hold. */
  total: number;
  /** Stored in index.json (e.g. the export options); a rerun with different meta is refused. */
  meta?: Record<string, unknown>;
}

/**
 * Writes a shard set into a folder, resumably: `pending()` lists the shards still to write, and
 * each is written with `openShard(n)` ... `commit()`; `finish()` writes index.json.
 */
export class ShardWriter {
  readonly shardCount: number;

  constructor(
    readonly dir: string,
    readonly options: ShardSetOptions,
  ) {
    if (!Number.isInteger(options.shardSize) || options.shardSize < 1)
      throw new ShardError(`shard size must be a positive integer, got ${options.shardSize}`);
    if (!Number.isInteger(options.total) || options.total < 0)
      throw new ShardError(`total must be a non-negative integer, got ${options.total}`);
    this.shardCount = Math.ceil(options.total / options.shardSize);
    mkdirSync(dir, { recursive: true });
    const indexPath = join(dir, 'index.json');
    if (existsSync(indexPath)) {
      const old = JSON.parse(readFileSync(indexPath, 'utf8')) as ShardIndex;
      if (
        old.shardSize !== options.shardSize ||
        JSON.stringify(old.meta ?? {}) !== JSON.stringify(options.meta ?? {})
      ) {
        throw new ShardError(
          `${dir} already holds a different shard set (shard size ${old.shardSize}, meta ${JSON.stringify(old.meta ?? {})}); use another folder`,
        );
      }
    }
    // leftovers of an interrupted run
    for (const f of readdirSync(dir)) if (/\.tmp-\d+$/.test(f)) rmSync(join(dir, f), { force: true });
  }

  /** Records in shard n. */
  countOf(n: number): number {
    return Math.min(this.options.shardSize, this.options.total - n * this.options.shardSize);
  }

  /** Whether shard n is already complete on disk. */
  isComplete(n: number): boolean {
    const h = shardHeader(join(this.dir, shardFileName(n)));
    return h !== undefined && h.count === this.countOf(n) && h.shardNumber === n;
  }

  /** Shard numbers still to write. */
  pending(): number[] {
    const out: number[] = [];
    for (let n = 0; n < this.shardCount; n++) if (!this.isComplete(n)) out.push(n);
    return out;
  }

  openShard(n: number): ShardFileWriter {
    if (n < 0 || n >= this.shardCount) throw new ShardError(`no shard ${n} in a set of ${this.shardCount}`);
    return new ShardFileWriter(join(this.dir, shardFileName(n)), n);
  }

  /** Writes a whole shard from records (atomic). */
  writeShard(n: number, records: Iterable<ShardRecord>): void {
    const w = this.openShard(n);
    try {
      for (const r of records) w.add(r);
      if (w.count !== this.countOf(n))
        throw new ShardError(`shard ${n}: ${w.count} records, ${this.countOf(n)} expected`);
      w.commit();
    } catch (e) {
      w.abort();
      throw e;
    }
    this.writeIndex();
  }

  /** Writes index.json for the shards complete so far (atomic). Returns it. */
  writeIndex(): ShardIndex {
    const shards: ShardIndex['shards'] = [];
    for (let n = 0; n < this.shardCount; n++) {
      const file = shardFileName(n);
      const h = shardHeader(join(this.dir, file));
      if (!h || h.count !== this.countOf(n)) break;
      shards.push({ file, count: h.count, bytes: h.bytes });
    }
    const index: ShardIndex = {
      format: 'kinema-shards',
      version: SHARD_VERSION,
      shardSize: this.options.shardSize,
      total: shards.reduce((a, s) => a + s.count, 0),
      shards,
      ...(this.options.meta ? { meta: this.options.meta } : {}),
    };
    const path = join(this.dir, 'index.json');
    const tmp = `${path}.tmp-${process.pid}`;
    writeFileSync(tmp, `${JSON.stringify(index, null, 2)}\n`);
    renameSync(tmp, path);
    return index;
  }

  /** Final index; throws if a shard is missing. */
  finish(): ShardIndex {
    const index = this.writeIndex();
    if (index.total !== this.options.total)
      throw new ShardError(
        `only ${index.total} of ${this.options.total} records are complete in ${this.dir}`,
      );
    return index;
  }
}

// ----- reading --------------------------------------------------------------------------------

export interface ReadRecord extends ShardRecord {
  channels: number;
  captions: Record<string, string>;
}

/** Random access to a shard set written by ShardWriter. */
export class ShardReader {
  readonly index: ShardIndex;
  readonly length: number;
  private starts: number[] = [];
  private fds = new Map<number, { fd: number; offsets: number[] }>();

  constructor(readonly dir: string) {
    const path = join(dir, 'index.json');
    if (!existsSync(path)) throw new ShardError(`no shard index at ${path}`);
    const index = JSON.parse(readFileSync(path, 'utf8')) as ShardIndex;
    if (index.format !== 'kinema-shards' || !Array.isArray(index.shards))
      throw new ShardError(`${path} is not a kinema shard index`);
    if (index.version !== SHARD_VERSION)
      throw new ShardError(`${path}: unsupported shard version ${index.version}`);
    this.index = index;
    let total = 0;
    for (const s of index.shards) {
      this.starts.push(total);
      total += s.count;
    }
    this.length = total;
  }

  private shard(n: number): { fd: number; offsets: number[] } {
    let s = this.fds.get(n);
    if (s) return s;
    const entry = this.index.shards[n]!;
    const path = join(this.dir, entry.file);
    const h = shardHeader(path);
    if (!h || h.count !== entry.count)
      throw new ShardError(`${path} is missing, truncated or not the shard the index lists`);
    const fd = openSync(path, 'r');
    const idx = Buffer.alloc(h.count * 8);
    readSync(fd, idx, 0, idx.length, h.indexOffset);
    const offsets: number[] = [];
    for (let i = 0; i < h.count; i++) offsets.push(Number(idx.readBigUInt64LE(i * 8)));
    s = { fd, offsets };
    this.fds.set(n, s);
    return s;
  }

  private locate(i: number): { fd: number; offset: number } {
    if (!Number.isInteger(i) || i < 0 || i >= this.length)
      throw new RangeError(`record ${i} out of range 0..${this.length - 1}`);
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.starts[mid]! <= i) lo = mid;
      else hi = mid - 1;
    }
    const s = this.shard(lo);
    return { fd: s.fd, offset: s.offsets[i - this.starts[lo]!]! };
  }

  private readHeader(fd: number, offset: number) {
    const head = Buffer.alloc(RECORD_HEADER);
    readSync(fd, head, 0, RECORD_HEADER, offset);
    if (head.readUInt32LE(0) !== RECORD_MAGIC) throw new ShardError(`corrupt record at byte ${offset}`);
    return {
      width: head.readUInt32LE(4),
      height: head.readUInt32LE(8),
      frames: head.readUInt32LE(12),
      channels: head.readUInt32LE(16),
      fps: head.readDoubleLE(24),
      pixelBytes: Number(head.readBigUInt64LE(32)),
      metaBytes: head.readUInt32LE(40),
      crc: head.readUInt32LE(44),
    };
  }

  /** Record i, pixels included. `verify` checks its CRC. */
  get(i: number, options: { verify?: boolean } = {}): ReadRecord {
    const { fd, offset } = this.locate(i);
    const h = this.readHeader(fd, offset);
    const body = Buffer.allocUnsafe(h.pixelBytes + h.metaBytes);
    readSync(fd, body, 0, body.length, offset + RECORD_HEADER);
    const pixels = new Uint8Array(body.buffer, body.byteOffset, h.pixelBytes);
    const metaBuf = body.subarray(h.pixelBytes);
    if (options.verify && crc32(metaBuf, crc32(pixels)) !== h.crc)
      throw new ShardError(`record ${i}: checksum mismatch`);
    const meta = JSON.parse(metaBuf.toString('utf8')) as Omit<
      ShardRecord,
      'pixels' | 'width' | 'height' | 'frames' | 'fps'
    >;
    return {
      width: h.width,
      height: h.height,
      frames: h.frames,
      fps: h.fps,
      channels: h.channels,
      pixels,
      ...meta,
    };
  }

  /** Record i without its pixels (sizes, captions, spec, truth, meta). */
  info(i: number): Omit<ReadRecord, 'pixels'> {
    const { fd, offset } = this.locate(i);
    const h = this.readHeader(fd, offset);
    const metaBuf = Buffer.alloc(h.metaBytes);
    readSync(fd, metaBuf, 0, h.metaBytes, offset + RECORD_HEADER + h.pixelBytes);
    const meta = JSON.parse(metaBuf.toString('utf8'));
    return { width: h.width, height: h.height, frames: h.frames, fps: h.fps, channels: h.channels, ...meta };
  }

  close(): void {
    for (const s of this.fds.values()) closeSync(s.fd);
    this.fds.clear();
  }
}
