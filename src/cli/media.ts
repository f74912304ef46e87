// `kinema media probe|convert` and `kinema data ingest`.
import type { Command } from 'commander';
import { convertMedia } from '../media/convert.ts';
import { FITS, type Fit } from '../media/decode.ts';
import { UnsupportedMediaError } from '../media/errors.ts';
import { ingestVideos } from '../media/ingest.ts';
import { probeMedia } from '../media/probe.ts';
import { shardClipSink } from '../train/shardSink.ts';

function parseSize(text: string): { width: number; height: number } {
  const match = /^(\d+)x(\d+)$/.exec(text);
  if (!match) throw new UnsupportedMediaError(`size must look like 64x64, got ${text}`);
  return { width: Number(match[1]), height: Number(match[2]) };
}

function parseFit(text: string): Fit {
  if (!(FITS as readonly string[]).includes(text))
    throw new UnsupportedMediaError(`--fit must be one of ${FITS.join(', ')}`);
  return text as Fit;
}

function print(json: boolean, value: unknown, text: string): void {
  process.stdout.write(json ? `${JSON.stringify(value)}\n` : `${text}\n`);
}

export function registerMediaCommands(program: Command): void {
  const media = program
    .command('media')
    .description('probe and convert videos and images (ffmpeg: $KINEMA_FFMPEG)');
  media
    .command('probe <file>')
    .description('container, codec, size, fps, duration and exact frame count (format detected from content)')
    .option('--json', 'print JSON')
    .option('--ffmpeg <path>', 'ffmpeg executable')
    .action(async (file: string, opts: { json?: boolean; ffmpeg?: string }) => {
      const info = await probeMedia(file, { ffmpeg: opts.ffmpeg });
      const fps = info.fps === undefined ? 'still' : `${info.fps} fps`;
      print(
        !!opts.json,
        info,
        `${file}: ${info.format} ${info.codec} ${info.width}x${info.height} ${fps} ${info.frames} frames ${info.durationS.toFixed(3)} s`,
      );
    });
  media
    .command('convert <input> <output>')
    .description(
      'decode INPUT, write OUTPUT by its name: .mp4 .webm .gif, .png/.jpg/.webp (thumbnail), folder/ (PNG frames)',
    )
    .option('--size <WxH>', 'output size (default: source size)')
    .option('--fps <n>', 'output frame rate (default: keep every source frame)', Number)
    .option('--fit <fit>', `how aspect ratios meet: ${FITS.join(' | ')}`, 'crop')
    .option('--crf <n>', 'MP4/WebM quality (lower is better)', Number)
    .option('--chroma <420|444>', '420 plays everywhere (default); 444 keeps colour edges', '420')
    .option('--allow-extension-mismatch', 'decode files whose extension disagrees with their content')
    .option('--json', 'print JSON')
    .option('--ffmpeg <path>', 'ffmpeg executable')
    .action(async (input: string, output: string, opts) => {
      const size = opts.size ? parseSize(opts.size) : {};
      if (opts.chroma !== '420' && opts.chroma !== '444')
        throw new UnsupportedMediaError('--chroma must be 420 or 444');
      const result = await convertMedia(input, output, {
        ...size,
        fps: opts.fps,
        fit: parseFit(opts.fit),
        crf: opts.crf,
        chroma: opts.chroma,
        allowExtensionMismatch: opts.allowExtensionMismatch,
        ffmpeg: opts.ffmpeg,
      });
      print(!!opts.json, result, `${output}: written (${result.kind})`);
    });

  const data =
    program.commands.find((c) => c.name() === 'data') ?? program.command('data').description('training data');
  data
    .command('ingest <source>')
    .description(
      'cut captioned videos (folder with .txt sidecars, path,text CSV, or JSONL) into training clips',
    )
    .requiredOption('--out <dir>', 'output folder')
    .option('--size <WxH>', 'clip size', '64x64')
    .option('--frames <n>', 'frames per clip', Number, 17)
    .option('--fps <n>', 'clip frame rate', Number, 8)
    .option('--fit <fit>', `how aspect ratios meet: ${FITS.join(' | ')}`, 'crop')
    .option('--buckets <list>', 'aspect buckets, e.g. 64x64,96x64,64x96 (nearest aspect wins)')
    .option('--max-clips-per-video <n>', 'cap clips per video', Number)
    .option('--shard-size <n>', 'clips per shard file', Number, 256)
    .option('--json', 'print the summary as JSON')
    .option('--ffmpeg <path>', 'ffmpeg executable')
    .action(async (source: string, opts) => {
      const sink = shardClipSink(opts.out, { shardSize: opts.shardSize, meta: { source: 'ingest' } });
      try {
        const summary = await ingestVideos(source, sink, {
          ...parseSize(opts.size),
          frames: opts.frames,
          fps: opts.fps,
          fit: parseFit(opts.fit),
          buckets: opts.buckets ? String(opts.buckets).split(',').map(parseSize) : undefined,
          maxClipsPerVideo: opts.maxClipsPerVideo,
          ffmpeg: opts.ffmpeg,
          onVideo: (done, total, path) => process.stderr.write(`[${done + 1}/${total}] ${path}\n`),
        });
        const lines = [
          `${summary.clips} clips from ${summary.videos} videos → ${opts.out}`,
          ...summary.uncaptioned.map((p) => `no caption (skipped): ${p}`),
          ...summary.tooShort.map((p) => `too short for one clip: ${p}`),
          ...summary.failed.map((f) => `failed: ${f.path}: ${f.error}`),
        ];
        print(!!opts.json, summary, lines.join('\n'));
      } finally {
        await sink.close();
      }
    });
}
