// Typed media errors. Every failure a user can cause with a file (empty, corrupt, truncated,
// not media, a lying extension, too large, too slow) has its own class, so callers (the CLI, the
// HTTP server) can map it to a clear message and status without parsing text. `userError` marks
// them for the CLI, which prints the message and exits 2 instead of a stack trace.

export class MediaError extends Error {
  static readonly userError = true;
  /** The file concerned, when there is one. */
  readonly file: string | undefined;

  constructor(message: string, file?: string, options?: { cause?: unknown }) {
    super(file === undefined ? message : `${file}: ${message}`, options);
    this.name = new.target.name;
    this.file = file;
  }
}

/** The file has zero bytes. */
export class EmptyMediaError extends MediaError {}

/** The content is not a media format Kinema reads (text, archive, executable...). */
export class NotMediaError extends MediaError {}

/** The extension names one format, the content is another (detected from the bytes). */
export class MediaTypeMismatchError extends MediaError {
  constructor(
    file: string,
    readonly extensionFormat: string,
    readonly contentFormat: string,
  ) {
    super(
      `the extension says ${extensionFormat} but the content is ${contentFormat}; rename the file or allow content-detected formats`,
      file,
    );
  }
}

/** The content starts like a known format but cannot be decoded. */
export class CorruptMediaError extends MediaError {}

/** The file ends early (e.g. an MP4 whose index or data is cut off). */
export class TruncatedMediaError extends CorruptMediaError {}

/** Decoding would exceed a limit (file size, pixels per frame, duration, frame count). */
export class MediaLimitError extends MediaError {
  constructor(
    message: string,
    file: string | undefined,
    readonly limit: string,
    readonly value: number,
    readonly max: number,
  ) {
    super(message, file);
  }
}

/** An external process (ffmpeg) ran past its time limit and was killed. */
export class MediaTimeoutError extends MediaError {}

/** The request cannot be served by this build (e.g. WebP without libwebp), or bad options. */
export class UnsupportedMediaError extends MediaError {}

/** ffmpeg itself failed for a reason not attributable to the input file. */
export class FfmpegError extends MediaError {
  constructor(
    message: string,
    readonly exitCode: number | null,
    readonly stderrTail: string,
  ) {
    super(message);
  }
}
