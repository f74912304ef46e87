// Downloads: the MP4, the thumbnail or the spritesheet of a completed video, streamed from disk,
// with byte ranges so browsers can seek in the video.
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { Hono } from 'hono';
import type { AppEnv, AppOptions } from '../context.ts';
import { notFound } from '../errors.ts';
import { parseOr400, requestSchemas } from '../requests.ts';
import { completedVideo } from './completedVideo.ts';

const CONTENT_TYPES: Record<string, string> = {
  mp4: 'video/mp4',
  png: 'image/png',
  jpg: 'image/jpeg',
  webm: 'video/webm',
};

function contentType(file: string): string {
  return CONTENT_TYPES[file.split('.').at(-1) ?? ''] ?? 'application/octet-stream';
}

/** The single byte range of a Range header, clamped to the file; undefined for the whole file. */
function byteRange(
  header: string | undefined,
  size: number,
): { start: number; end: number } | undefined | 'bad' {
  if (!header) return undefined;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === '' && m[2] === '')) return 'bad';
  let start: number;
  let end: number;
  if (m[1] === '') {
    start = Math.max(0, size - Number(m[2]));
    end = size - 1;
  } else {
    start = Number(m[1]);
    end = m[2] === '' ? size - 1 : Math.min(size - 1, Number(m[2]));
  }
  return start > end || start >= size ? 'bad' : { start, end };
}

export function contentRoutes(options: AppOptions): Hono<AppEnv> {
  const schemas = requestSchemas(options.limits);
  const app = new Hono<AppEnv>();

  app.get('/videos/:id/content', async (c) => {
    const id = c.req.param('id');
    const { variant } = parseOr400(schemas.content, c.req.query());
    const record = await completedVideo(options, id, 'content');
    const name = record.result[variant];
    const file = options.data.resolve(join(record.result.dir, name));
    const size = await stat(file).then(
      (s) => s.size,
      () => -1,
    );
    if (size < 0) throw notFound(`the ${variant} of video ${id} (it may have expired)`);
    const range = byteRange(c.req.header('range'), size);
    const headers: Record<string, string> = {
      'content-type': contentType(name),
      'accept-ranges': 'bytes',
      'content-disposition': `inline; filename="${id}.${name.split('.').at(-1)}"`,
      'cache-control': 'private, max-age=3600',
    };
    if (range === 'bad') {
      return new Response(null, { status: 416, headers: { ...headers, 'content-range': `bytes */${size}` } });
    }
    const { start, end } = range ?? { start: 0, end: size - 1 };
    const stream = Readable.toWeb(createReadStream(file, { start, end })) as ReadableStream;
    headers['content-length'] = String(end - start + 1);
    if (range) headers['content-range'] = `bytes ${start}-${end}/${size}`;
    return new Response(stream, { status: range ? 206 : 200, headers });
  });

  return app;
}
