// One ffmpeg child process with a deadline. Frames travel through its stdin/stdout pipes (never
// temp files); stderr is kept (its tail) to explain failures. Whatever happens (error, timeout,
// a consumer that stops reading early) the child is killed and reaped before we return, so no
// zombie or orphan ffmpeg outlives the call.
import { type ChildProcess, spawn } from 'node:child_process';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { FfmpegError, type MediaError, MediaTimeoutError } from './errors.ts';
import { classifyFfmpegFailure } from './ffmpeg-failure.ts';

export interface FfmpegJob {
  binary: string;
  /** Arguments after the binary; `-hide_banner` and `-nostdin` are added here. */
  args: string[];
  /** Wall-clock limit for the whole process, in milliseconds. */
  timeoutMs: number;
  /** Bytes to pipe into ffmpeg's stdin (read with `-i pipe:0`). */
  stdin?: AsyncIterable<Uint8Array> | Iterable<Uint8Array>;
  /** The input file, named in errors about its content. */
  inputFile?: string;
}

const STDERR_KEEP = 32 * 1024;

/** A started ffmpeg: read `stdout`, then await `finished` (stderr on success, typed error otherwise). */
class FfmpegChild {
  readonly child: ChildProcess;
  readonly finished: Promise<string>;
  private stderr = '';
  private failure: Error | undefined;
  private exited = false;

  constructor(private readonly job: FfmpegJob) {
    const stdinMode = job.stdin ? 'pipe' : 'ignore';
    const args = ['-hide_banner', ...(job.stdin ? [] : ['-nostdin']), ...job.args];
    this.child = spawn(job.binary, args, { stdio: [stdinMode, 'pipe', 'pipe'] });
    this.child.stderr?.setEncoding('utf8');
    this.child.stderr?.on('data', (text: string) => {
      this.stderr = (this.stderr + text).slice(-STDERR_KEEP);
    });
    const timer = setTimeout(() => {
      this.fail(
        new MediaTimeoutError(`ffmpeg ran longer than ${job.timeoutMs} ms and was stopped`, job.inputFile),
      );
    }, job.timeoutMs);
    this.finished = new Promise<string>((resolve, reject) => {
      this.child.once('error', (err) => this.fail(err));
      this.child.once('close', (code, signal) => {
        this.exited = true;
        clearTimeout(timer);
        if (this.failure) reject(this.failure);
        else if (code === 0) resolve(this.stderr);
        else reject(this.failureFromExit(code, signal));
      });
    });
    if (job.stdin && this.child.stdin) this.feed(job.stdin, this.child.stdin);
  }

  /** Records the first failure and kills the child; `finished` rejects with it once reaped. */
  fail(err: Error): void {
    this.failure ??= err;
    this.kill();
  }

  kill(): void {
    if (!this.exited) this.child.kill('SIGKILL');
  }

  private feed(source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>, stdin: NodeJS.WritableStream): void {
    pipeline(Readable.from(source, { objectMode: false }), stdin).catch((err: NodeJS.ErrnoException) => {
      // EPIPE: ffmpeg stopped reading (it failed, or has all it needs); its exit status says why.
      if (err.code !== 'EPIPE' && err.code !== 'ERR_STREAM_DESTROYED') this.fail(err);
    });
  }

  private failureFromExit(code: number | null, signal: NodeJS.Signals | null): MediaError {
    const classified = classifyFfmpegFailure(this.stderr, this.job.inputFile);
    if (classified) return classified;
    const how = signal ? `was killed by ${signal}` : `exited with code ${code}`;
    const tail = this.stderr.trim().split('\n').slice(-3).join(' | ');
    return new FfmpegError(`ffmpeg ${how}: ${tail}`, code, this.stderr);
  }
}

/** Runs ffmpeg to completion (output goes to a file named in `args`); resolves with its stderr. */
export async function runFfmpeg(job: FfmpegJob): Promise<string> {
  const ffmpeg = new FfmpegChild(job);
  ffmpeg.child.stdout?.resume();
  return ffmpeg.finished;
}

export interface StdoutOptions {
  /**
   * Bytes per yielded chunk (the last may be shorter): ffmpeg's pieces are copied straight into
   * chunks of this size, so a consumer gets whole frames with one copy. Default: pieces as read.
   */
  chunkBytes?: number;
  /** Size of the first chunk when it differs (a decode that knows its frame count reads in one). */
  firstChunkBytes?: number;
  /** Unread bytes held before ffmpeg is paused (default 4 MiB; at least one chunk is held). */
  highWaterBytes?: number;
}

/**
 * Runs ffmpeg writing to `pipe:1` and yields its stdout as it arrives. Backpressure is real: a
 * consumer that reads slowly pauses ffmpeg. Breaking out of the loop kills the child.
 *
 * Why not `for await` over the socket: Node's stream iterator stops reading at its 16 KiB
 * highWaterMark and concatenates what it buffered, so every 64 KiB read meant a stall for ffmpeg
 * and an extra copy. Here the socket flows into whole chunks and pauses only at `highWaterBytes`.
 */
export async function* ffmpegStdout(job: FfmpegJob, options: StdoutOptions = {}): AsyncGenerator<Uint8Array> {
  const ffmpeg = new FfmpegChild(job);
  // Attach the handler now: `finished` may reject while the consumer is still reading.
  const settled = ffmpeg.finished.then(
    (stderr) => ({ ok: true as const, stderr }),
    (error: unknown) => ({ ok: false as const, error }),
  );
  const stdout = ffmpeg.child.stdout as NodeJS.ReadableStream & { destroyed: boolean };
  const { chunkBytes } = options;
  const highWater = options.highWaterBytes ?? 4 * 1024 * 1024;
  const ready: Uint8Array[] = [];
  let queued = 0;
  let chunk: Uint8Array | undefined;
  let filled = 0;
  let chunkIndex = 0;
  let ended = false;
  let wake: (() => void) | undefined;
  const notify = () => {
    wake?.();
    wake = undefined;
  };
  const push = (piece: Uint8Array) => {
    ready.push(piece);
    queued += piece.length;
  };
  const nextChunk = () => {
    const size = chunkIndex++ === 0 ? (options.firstChunkBytes ?? chunkBytes!) : chunkBytes!;
    // Unzeroed memory: every byte is overwritten before the chunk is handed out (see 'end').
    const buffer = Buffer.allocUnsafeSlow(size);
    return new Uint8Array(buffer.buffer, buffer.byteOffset, size);
  };
  stdout.on('data', (piece: Buffer) => {
    if (chunkBytes === undefined) push(piece);
    else {
      let offset = 0;
      while (offset < piece.length) {
        chunk ??= nextChunk();
        const n = Math.min(chunk.length - filled, piece.length - offset);
        chunk.set(n === piece.length ? piece : piece.subarray(offset, offset + n), filled);
        filled += n;
        offset += n;
        if (filled === chunk.length) {
          push(chunk);
          chunk = undefined;
          filled = 0;
        }
      }
    }
    if (queued >= highWater) stdout.pause();
    notify();
  });
  const end = () => {
    if (ended) return;
    // A partly filled last chunk is copied out so no unwritten memory travels with it.
    if (chunk && filled > 0) push(chunk.slice(0, filled));
    chunk = undefined;
    ended = true;
    notify();
  };
  stdout.once('end', end);
  stdout.once('close', end);
  stdout.once('error', (err: Error) => {
    ffmpeg.fail(err);
    end();
  });
  let completed = false;
  try {
    for (;;) {
      const piece = ready.shift();
      if (piece) {
        queued -= piece.length;
        if (queued < highWater && stdout.isPaused()) stdout.resume();
        yield piece;
      } else if (ended) break;
      else await new Promise<void>((resolve) => (wake = resolve));
    }
    const result = await settled;
    if (!result.ok) throw result.error;
    completed = true;
  } finally {
    if (!completed) {
      ffmpeg.kill();
      await settled;
    }
  }
}
