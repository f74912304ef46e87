// Decode any supported input and write it as any output, the output kind chosen from its name:
//   .mp4 .webm        streamed (memory stays bounded for long inputs)
//   .gif              animated GIF (whole clip in memory)
//   .png .jpg .webp   thumbnail of the middle frame
//   a name ending in / or without extension: PNG sequence folder
import { extname } from 'node:path';
import { type DecodeOptions, openVideo } from './decode.ts';
import { type Chroma, encodeVideo } from './encode-video.ts';
import { collectFrames } from './frames.ts';
import { writeGif } from './gif.ts';
import { writePngSequence } from './png.ts';
import { writeThumbnail } from './thumbnail.ts';

export type OutputKind = 'mp4' | 'webm' | 'gif' | 'thumbnail' | 'png-sequence';

export function outputKindOf(out: string): OutputKind {
  const ext = extname(out).toLowerCase();
  if (out.endsWith('/') || ext === '') return 'png-sequence';
  if (ext === '.mp4' || ext === '.webm' || ext === '.gif') return ext.slice(1) as OutputKind;
  return 'thumbnail';
}

export interface ConvertOptions extends DecodeOptions {
  crf?: number;
  chroma?: Chroma;
}

export async function convertMedia(input: string, out: string, options: ConvertOptions = {}) {
  const kind = outputKindOf(out);
  const { info, stream } = await openVideo(input, options);
  const target = out.replace(/\/+$/, '');
  if (kind === 'mp4' || kind === 'webm') {
    const encoded = await encodeVideo(stream, target, {
      format: kind,
      crf: options.crf,
      chroma: options.chroma,
      ffmpeg: options.ffmpeg,
    });
    return { kind, input: info, output: encoded };
  }
  const clip = await collectFrames(stream);
  if (kind === 'gif') return { kind, input: info, output: await writeGif(clip, target) };
  if (kind === 'thumbnail')
    return { kind, input: info, output: await writeThumbnail(clip, target, { ffmpeg: options.ffmpeg }) };
  return { kind, input: info, output: await writePngSequence(clip, target) };
}
