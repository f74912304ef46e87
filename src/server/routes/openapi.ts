// /openapi.json: the API as OpenAPI 3.1, its request schemas generated from the same zod schemas
// that validate requests, so the document cannot drift from the server.
import { Hono } from 'hono';
import { z } from 'zod';
import type { AppEnv, AppOptions } from '../context.ts';
import { requestSchemas } from '../requests.ts';
import { SORA_SIZES } from '../sizes.ts';

const json = (schema: z.ZodType) => z.toJSONSchema(schema, { unrepresentable: 'any', io: 'input' });

const errorSchema = {
  type: 'object',
  properties: {
    error: {
      type: 'object',
      properties: {
        message: { type: 'string' },
        type: { type: 'string' },
        param: { type: ['string', 'null'] },
        code: { type: ['string', 'null'] },
      },
    },
  },
};

const videoSchema = {
  type: 'object',
  required: ['id', 'object', 'status', 'progress', 'model', 'prompt', 'seconds', 'size', 'created_at'],
  properties: {
    id: { type: 'string', pattern: '^video_[0-9a-f]{32}$' },
    object: { const: 'video' },
    status: { enum: ['queued', 'in_progress', 'completed', 'failed'] },
    progress: { type: 'integer', minimum: 0, maximum: 100 },
    model: { type: 'string' },
    prompt: { type: ['string', 'null'] },
    seconds: { type: 'string' },
    size: {
      type: 'string',
      description: `One of ${SORA_SIZES.join(', ')}, or any even WxH (Kinema extension). Generated at the model's native size with the same aspect ratio, then upscaled.`,
    },
    created_at: { type: 'integer' },
    completed_at: { type: ['integer', 'null'] },
    expires_at: { type: ['integer', 'null'] },
    error: { type: ['object', 'null'] },
    remixed_from_video_id: { type: ['string', 'null'] },
    kinema: {
      type: 'object',
      description:
        'Kinema-only: seed, native_size, fps, frames, steps, guidance_scale, negative_prompt, model_prompt (the prompt as the model read it: rewritten as a detailed caption unless the request set expand_prompt to false), attempts.',
    },
  },
};

export function openapiDocument(options: AppOptions): object {
  const s = requestSchemas(options.limits);
  const ok = (schema: object, description = 'OK') => ({
    description,
    content: { 'application/json': { schema } },
  });
  const errors = {
    '400': ok(errorSchema, 'Invalid request'),
    '401': ok(errorSchema, 'Missing or invalid API key'),
    '404': ok(errorSchema, 'Not found'),
    '413': ok(errorSchema, 'Body or upload too large'),
    '429': ok(errorSchema, 'Rate limited (see retry-after)'),
  };
  const body = (schema: z.ZodType) => ({
    required: true,
    content: {
      'multipart/form-data': { schema: json(schema) },
      'application/json': { schema: json(schema) },
    },
  });
  const idParam = {
    name: 'video_id',
    in: 'path',
    required: true,
    schema: { type: 'string', pattern: '^video_[0-9a-f]{32}$' },
  };
  const video = ok(videoSchema);
  return {
    openapi: '3.1.0',
    info: {
      title: 'Kinema Videos API',
      version: '1',
      description: `OpenAI-compatible Videos API. Models: ${options.models.join(', ')} (Sora model names are accepted as aliases).`,
    },
    components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
    security: options.keys ? [{ bearer: [] }] : [],
    paths: {
      '/v1/videos': {
        post: {
          summary: 'Create a video',
          requestBody: body(s.create),
          responses: { '200': video, ...errors },
        },
        get: {
          summary: 'List videos (cursor page)',
          parameters: ['after', 'limit', 'order'].map((name) => ({
            name,
            in: 'query',
            schema: (json(s.list) as { properties: Record<string, object> }).properties[name],
          })),
          responses: {
            '200': ok({
              type: 'object',
              properties: {
                object: { const: 'list' },
                data: { type: 'array', items: videoSchema },
                first_id: {},
                last_id: {},
                has_more: { type: 'boolean' },
              },
            }),
            ...errors,
          },
        },
      },
      '/v1/videos/{video_id}': {
        get: { summary: 'Retrieve a video', parameters: [idParam], responses: { '200': video, ...errors } },
        delete: {
          summary: 'Delete a video (cancels it if running)',
          parameters: [idParam],
          responses: {
            '200': ok({
              type: 'object',
              properties: { id: {}, object: { const: 'video.deleted' }, deleted: { type: 'boolean' } },
            }),
            ...errors,
          },
        },
      },
      '/v1/videos/{video_id}/content': {
        get: {
          summary: 'Download the video, thumbnail or spritesheet',
          parameters: [
            idParam,
            { name: 'variant', in: 'query', schema: { enum: ['video', 'thumbnail', 'spritesheet'] } },
          ],
          responses: {
            '200': { description: 'The file', content: { 'video/mp4': {}, 'image/png': {} } },
            '206': { description: 'A byte range' },
            ...errors,
          },
        },
      },
      '/v1/videos/{video_id}/provenance': {
        get: {
          summary: 'Kinema: the C2PA manifest and its validity, the invisible and the visible watermark',
          parameters: [idParam],
          responses: {
            '200': ok({
              type: 'object',
              properties: {
                id: {},
                object: { const: 'video.provenance' },
                c2pa: {
                  type: 'object',
                  properties: { state: { enum: ['trusted', 'valid', 'invalid', 'absent'] } },
                },
                invisible_watermark: { type: 'object' },
                visible_watermark: { type: 'object' },
              },
            }),
            ...errors,
          },
        },
      },
      '/v1/videos/{video_id}/remix': {
        post: {
          summary: 'Remix a completed video',
          parameters: [idParam],
          requestBody: body(s.remix),
          responses: { '200': video, ...errors },
        },
      },
      '/v1/videos/edits': {
        post: { summary: 'Edit a video', requestBody: body(s.edit), responses: { '200': video, ...errors } },
      },
      '/v1/videos/extensions': {
        post: {
          summary: 'Extend a video',
          requestBody: body(s.extend),
          responses: { '200': video, ...errors },
        },
      },
      '/v1/videos/characters': {
        post: {
          summary: 'Create a character',
          requestBody: body(s.character),
          responses: { '200': ok({ type: 'object' }), ...errors },
        },
      },
      '/v1/videos/characters/{character_id}': {
        get: { summary: 'Retrieve a character', responses: { '200': ok({ type: 'object' }), ...errors } },
      },
    },
  };
}

export function openapiRoutes(options: AppOptions): Hono<AppEnv> {
  const document = openapiDocument(options);
  return new Hono<AppEnv>().get('/openapi.json', (c) => c.json(document));
}
