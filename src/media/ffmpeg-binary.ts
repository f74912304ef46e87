// Which ffmpeg to run. Default: the static build inside @ffmpeg-installer/ffmpeg, so `npm ci` is
// enough. A user who decodes untrusted uploads should point KINEMA_FFMPEG (or the `ffmpeg`
// option) at a maintained, security-patched build such as Debian's /usr/bin/ffmpeg.
import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { promisify } from 'node:util';
import { UnsupportedMediaError } from './errors.ts';

const run = promisify(execFile);

/** The ffmpeg to use: the explicit option, else $KINEMA_FFMPEG, else the npm-installed build. */
export function ffmpegPath(explicit?: string): string {
  if (explicit) return explicit;
  const fromEnv = process.env.KINEMA_FFMPEG;
  if (fromEnv) return fromEnv;
  try {
    const require = createRequire(import.meta.url);
    return (require('@ffmpeg-installer/ffmpeg') as { path: string }).path;
  } catch (err) {
    // The installer throws a plain string on platforms it has no binary for.
    throw new UnsupportedMediaError(
      `no ffmpeg binary for ${process.platform}-${process.arch} in @ffmpeg-installer/ffmpeg (${String(err)}); set KINEMA_FFMPEG to an ffmpeg executable`,
    );
  }
}

const encoderLists = new Map<string, Promise<Set<string>>>();

/** The encoder names a given ffmpeg binary was built with (cached per binary). */
export function ffmpegEncoders(binary: string): Promise<Set<string>> {
  let list = encoderLists.get(binary);
  if (!list) {
    list = run(binary, ['-hide_banner', '-encoders'], { timeout: 10_000 }).then(({ stdout }) => {
      // Lines look like " V..... libx264    libx264 H.264 / AVC ...".
      const names = stdout
        .split('\n')
        .map((line) => /^\s[VAS][A-Z.]{5}\s+(\S+)/.exec(line)?.[1])
        .filter((name): name is string => name !== undefined);
      return new Set(names);
    });
    encoderLists.set(binary, list);
  }
  return list;
}

/** Throws a typed error when `binary` lacks `encoder` (e.g. libwebp, libx264). */
export async function requireEncoder(binary: string, encoder: string, purpose: string): Promise<void> {
  const encoders = await ffmpegEncoders(binary);
  if (!encoders.has(encoder)) {
    throw new UnsupportedMediaError(
      `${purpose} needs the ${encoder} encoder, which ${binary} was not built with`,
    );
  }
}
