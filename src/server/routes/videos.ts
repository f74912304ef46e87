// The Videos API: create, retrieve, list, delete, remix, edit, extend.
import { Hono } from 'hono';
import { readFields } from '../body.ts';
import type { AppEnv, AppOptions } from '../context.ts';
import { notFound } from '../errors.ts';
import { isId } from '../ids.ts';
import { parseOr400, requestSchemas } from '../requests.ts';
import { completedSource, readReference, readSourceVideo, submitJob } from '../submit.ts';
import { toVideoObject } from '../video.ts';
import { idempotent } from './idempotent.ts';

export function videoRoutes(options: AppOptions): Hono<AppEnv> {
  const schemas = requestSchemas(options.limits);
  const app = new Hono<AppEnv>();
  const maxJson = options.limits.maxJsonBytes;

  /** The id from the path, or 404 (a malformed id cannot name anything, so it is not found). */
  const pathId = (id: string) => {
    if (!isId('video', id)) throw notFound(`video ${JSON.stringify(id.slice(0, 80))}`);
    return id;
  };

  app.post('/videos', async (c) => {
    const fields = await readFields(c, maxJson);
    return idempotent(c, options.idempotency, fields, async () => {
      const body = parseOr400(schemas.create, fields);
      const record = await submitJob(options, {
        ...body,
        kind: 'create',
        inputReference: await readReference(options, body.input_reference),
      });
      return toVideoObject(record);
    });
  });

  app.post('/videos/edits', async (c) => {
    const fields = await readFields(c, maxJson);
    return idempotent(c, options.idempotency, fields, async () => {
      const { video, ...body } = parseOr400(schemas.edit, fields);
      const record = await submitJob(options, {
        ...body,
        kind: 'edit',
        ...(await readSourceVideo(options, video)),
      });
      return toVideoObject(record);
    });
  });

  app.post('/videos/extensions', async (c) => {
    const fields = await readFields(c, maxJson);
    return idempotent(c, options.idempotency, fields, async () => {
      const { video, seconds, ...body } = parseOr400(schemas.extend, fields);
      const from = await readSourceVideo(options, video);
      // The video object reports the stitched total duration (as the client documents).
      const total = String(Number(from.source?.seconds ?? 0) + Number(seconds));
      const record = await submitJob(options, { ...body, ...from, kind: 'extend', seconds: total });
      return toVideoObject(record);
    });
  });

  app.post('/videos/:id/remix', async (c) => {
    const id = pathId(c.req.param('id'));
    const fields = await readFields(c, maxJson);
    return idempotent(c, options.idempotency, fields, async () => {
      const body = parseOr400(schemas.remix, fields);
      const source = await completedSource(options, id, 'video_id');
      return toVideoObject(await submitJob(options, { ...body, kind: 'remix', source }));
    });
  });

  app.get('/videos', async (c) => {
    const query = parseOr400(schemas.list, c.req.query());
    if (query.after !== undefined) pathId(query.after);
    const page = await options.queue.list(query);
    const data = page.items.map(toVideoObject);
    return c.json({
      object: 'list',
      data,
      first_id: data[0]?.id ?? null,
      last_id: data.at(-1)?.id ?? null,
      has_more: page.hasMore,
    });
  });

  app.get('/videos/:id', async (c) => {
    const id = pathId(c.req.param('id'));
    const record = await options.queue.get(id);
    if (!record) throw notFound(`video ${id}`);
    return c.json(toVideoObject(record));
  });

  app.delete('/videos/:id', async (c) => {
    const id = pathId(c.req.param('id'));
    const record = await options.queue.remove(id);
    if (!record) throw notFound(`video ${id}`);
    await options.data.removeVideo(id);
    return c.json({ id, object: 'video.deleted', deleted: true });
  });

  return app;
}
