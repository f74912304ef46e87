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

/**
 * Runs ffmpeg writing to `pipe:1` and yields its stdout as it arrives. Backpressure is real: a
 * consumer that reads slowly pauses ffmpeg. Breaking out of the loop kills the child.
 */
export async function* ffmpegStdout(job: FfmpegJob): AsyncGenerator<Buffer> {
  const ffmpeg = new FfmpegChild(job);
  // Attach the handler now: `finished` may reject while the consumer is still reading.
  const settled = ffmpeg.finished.then(
    (stderr) => ({ ok: true as const, stderr }),
    (error: unknown) => ({ ok: false as const, error }),
  );
  let completed = false;
  try {
    for await (const chunk of ffmpeg.child.stdout as AsyncIterable<Buffer>) yield chunk;
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
