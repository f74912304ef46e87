// Writing a generated video in the format a user asked for. Every output path of Kinema goes
// through `writeOutput`, so provenance is applied in one place: the frames get the visible and
// the invisible watermark before encoding, each MP4, GIF, PNG and JPEG file gets a signed C2PA
// manifest (the C2PA library cannot sign WebM; WebP is left unsigned too: `signed` says which),
// and the audit log gets a record with the files' hashes.
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm } from 'node:fs/promises';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { encodeVideo } from '../media/encode-video.ts';
import type { VideoFrames } from '../media/frames.ts';
import { writeGif } from '../media/gif.ts';
import { writePngSequence } from '../media/png.ts';
import { writeSpritesheet } from '../media/spritesheet.ts';
import { writeThumbnail } from '../media/thumbnail.ts';
import { type ManifestInfo, signFile } from '../provenance/c2pa.ts';
import type { SigningIdentity } from '../provenance/identity.ts';
import { type MarkingConfig, markFrames, watermarkPayloadFor } from '../provenance/mark.ts';
import type { AuditLog } from '../safety/audit.ts';

export const OUTPUT_FORMATS = ['mp4', 'webm', 'gif', 'png', 'spritesheet', 'jpeg', 'webp'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

export class OutputError extends Error {
  override name = 'OutputError';
  static readonly userError = true;
}

/** The format implied by a path: .mp4/.webm/.gif, .png (one frame: a still), a folder (PNG frames). */
export function formatOfPath(out: string, frames: number): OutputFormat {
  const ext = extname(out).toLowerCase().slice(1);
  if (ext === 'mp4' || ext === 'webm' || ext === 'gif' || ext === 'webp') return ext;
  if (ext === 'jpg' || ext === 'jpeg') return 'jpeg';
  if (ext === 'png') return frames === 1 ? 'png' : 'spritesheet';
  if (ext === '') return 'png';
  throw new OutputError(
    `cannot tell the output format from "${out}"; use .mp4, .webm, .gif, .png, .jpg or a folder`,
  );
}

/** What provenance an output carries. Marking and identity are the operator's, never a request's. */
export interface Provenance {
  outputId: string;
  prompt: string;
  modelId: string;
  marking: MarkingConfig;
  identity: SigningIdentity;
  /** Operator opt-in: store the prompt itself in the manifest, not only its hash. */
  includePrompt?: boolean;
  /** For edits, extensions and remixes: the earlier output file and its id. */
  derivation?: ManifestInfo['derivation'] & { parentOutputId?: string };
  audit?: { log: AuditLog; keyId: string | null; action: string };
}

export interface WrittenOutput {
  path: string;
  format: OutputFormat;
  /** Every media file written (one, or one per frame for a PNG folder). */
  files: string[];
  /** Whether each file carries a C2PA manifest (WebM cannot: the C2PA library does not support it). */
  signed: boolean;
}

// C2PA signing reads one file and writes another: media go to a hidden temporary name first.
const SIGNABLE = new Set<OutputFormat>(['mp4', 'gif', 'png', 'spritesheet', 'jpeg', 'webp']);

export async function writeOutput(
  video: VideoFrames,
  out: string,
  /** `provenance: null` writes unmarked, unsigned media: only for tests of the media path and ONNX exports. */
  options: { format?: OutputFormat; provenance: Provenance | null },
): Promise<WrittenOutput> {
  const format = options.format ?? formatOfPath(out, video.frames);
  const { provenance } = options;
  await mkdir(dirname(resolve(out)), { recursive: true }); // `-o out/clip.mp4` creates out/
  const frames = provenance
    ? { ...video, ...markFrames(video, provenance.outputId, provenance.marking) }
    : video;
  const signed = Boolean(provenance) && SIGNABLE.has(format);
  // A folder of PNG frames is signed frame by frame in place; a single file is written under a
  // hidden temporary name and signed into `out`.
  const folder = format === 'png' && !isStill(video, out);
  const target =
    signed && !folder ? join(dirname(out), `.${randomBytes(4).toString('hex')}.${basename(out)}`) : out;

  let written: { path: string; files: string[] };
  try {
    written = await writeMedia(frames, target, format);
    if (provenance && signed) {
      const info: ManifestInfo = {
        outputId: provenance.outputId,
        model: { id: provenance.modelId },
        prompt: provenance.prompt,
        includePrompt: provenance.includePrompt,
        derivation: provenance.derivation,
      };
      written = await signWritten(written, out, format, info, provenance.identity);
    }
  } finally {
    if (target !== out) await rm(target, { force: true });
  }
  if (provenance?.audit) {
    const hashes = await Promise.all(
      written.files.map(async (f) =>
        createHash('sha256')
          .update(await readFile(f))
          .digest('hex'),
      ),
    );
    provenance.audit.log.append({
      keyId: provenance.audit.keyId,
      action: provenance.audit.action,
      promptSha256: createHash('sha256').update(provenance.prompt).digest('hex'),
      decision: 'allowed',
      category: null,
      reason: null,
      outputId: provenance.outputId,
      watermarkPayload: watermarkPayloadFor(provenance.outputId),
      fileSha256: hashes,
      parentOutputId: provenance.derivation?.parentOutputId ?? null,
    });
  }
  return { path: written.path, format, files: written.files, signed };
}

/** One frame written to a .png file (rather than a folder of frames). */
function isStill(video: VideoFrames, out: string): boolean {
  return video.frames === 1 && extname(out).toLowerCase() === '.png';
}

async function writeMedia(
  video: VideoFrames,
  out: string,
  format: OutputFormat,
): Promise<{ path: string; files: string[] }> {
  switch (format) {
    case 'mp4':
    case 'webm': {
      const encoded = await encodeVideo(video, out, { format });
      return { path: encoded.path, files: [encoded.path] };
    }
    case 'gif': {
      const written = await writeGif(video, out);
      return { path: written.path, files: [written.path] };
    }
    case 'spritesheet': {
      const written = await writeSpritesheet(video, out);
      return { path: written.image, files: [written.image] };
    }
    case 'png': {
      if (isStill(video, out)) {
        const written = await writeThumbnail(video, out, { frame: 0 });
        return { path: written.path, files: [written.path] };
      }
      const written = await writePngSequence(video, out);
      const names = (await readdir(written.path)).filter((n) => n.endsWith('.png')).sort();
      return { path: written.path, files: names.map((n) => join(written.path, n)) };
    }
    case 'jpeg':
    case 'webp': {
      const written = await writeThumbnail(video, out);
      return { path: written.path, files: [written.path] };
    }
  }
}

/** Signs what was written: a single file from its temporary name into `out`; PNG frames in place. */
async function signWritten(
  written: { path: string; files: string[] },
  out: string,
  format: OutputFormat,
  info: ManifestInfo,
  identity: SigningIdentity,
): Promise<{ path: string; files: string[] }> {
  if (format === 'png' && written.path !== written.files[0]) {
    for (const file of written.files) {
      const unsigned = join(dirname(file), `.unsigned.${basename(file)}`);
      await rename(file, unsigned);
      try {
        await signFile(unsigned, file, info, identity);
      } finally {
        await rm(unsigned, { force: true });
      }
    }
    return written;
  }
  if (format === 'spritesheet') {
    // The index JSON was written next to the temporary image: move it beside the real one.
    const tempIndex = `${written.path.slice(0, -4)}.json`;
    await rename(tempIndex, `${out.slice(0, -4)}.json`);
  }
  await signFile(written.path, out, info, identity);
  return { path: out, files: [out] };
}
