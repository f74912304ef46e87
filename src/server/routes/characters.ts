// Characters: a named subject from an uploaded clip, for later prompts to refer to. Stored as a
// JSON file next to the clip in the data folder. (Using a character in generation waits on the
// model; faces need consent, see the trust issue.)
import { readFile } from 'node:fs/promises';
import { Hono } from 'hono';
import { readFields } from '../body.ts';
import type { AppEnv, AppOptions } from '../context.ts';
import { notFound } from '../errors.ts';
import { isId, newId } from '../ids.ts';
import { parseOr400, requestSchemas } from '../requests.ts';
import { checkVideoFile } from '../uploads.ts';
import { idempotent } from './idempotent.ts';

interface Character {
  id: string;
  created_at: number;
  name: string;
}

export function characterRoutes(options: AppOptions): Hono<AppEnv> {
  const schemas = requestSchemas(options.limits);
  const app = new Hono<AppEnv>();

  app.post('/videos/characters', async (c) => {
    const fields = await readFields(c, options.limits.maxJsonBytes);
    return idempotent(c, options.idempotency, fields, async () => {
      const body = parseOr400(schemas.character, fields);
      const clip = await checkVideoFile(body.video, options.limits.maxVideoBytes, 'video');
      const character: Character = {
        id: newId('character'),
        created_at: Math.floor(Date.now() / 1000),
        name: body.name,
      };
      await options.data.write(options.data.characterPath(character.id, clip.format), clip.bytes);
      await options.data.write(options.data.characterPath(character.id, 'json'), JSON.stringify(character));
      return character;
    });
  });

  app.get('/videos/characters/:id', async (c) => {
    const id = c.req.param('id');
    if (!isId('character', id)) throw notFound('character');
    const raw = await readFile(options.data.resolve(options.data.characterPath(id, 'json')), 'utf8').catch(
      () => null,
    );
    if (raw === null) throw notFound(`character ${id}`);
    return c.json(JSON.parse(raw) as Character);
  });

  return app;
}
