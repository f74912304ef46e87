// The HTTP application: middleware (errors, auth, rate limits, body size) in front of the route
// factories. Pure wiring over AppOptions: tests drive it in-process with app.request().
import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { rateLimit, requireKey } from './auth/middleware.ts';
import { RateLimiter } from './auth/rateLimit.ts';
import type { AppEnv, AppOptions } from './context.ts';
import { ApiError, payloadTooLarge } from './errors.ts';
import { characterRoutes } from './routes/characters.ts';
import { contentRoutes } from './routes/content.ts';
import { openapiRoutes } from './routes/openapi.ts';
import { provenanceRoutes } from './routes/provenance.ts';
import { videoRoutes } from './routes/videos.ts';
import { webRoutes } from './routes/web.ts';

export function createApp(options: AppOptions): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const maxBody =
    Math.max(options.limits.maxJsonBytes, options.limits.maxVideoBytes, options.limits.maxImageBytes) +
    1024 * 1024;

  app.onError((err, c) => {
    if (err instanceof ApiError) return c.json(err.body(), err.status, err.headers);
    // Anything else is a bug or an outage: log it here, tell the client only that it happened.
    console.error('kinema serve: unexpected error', err);
    return c.json(new ApiError(500, 'internal server error', 'server_error', 'internal_error').body(), 500);
  });
  app.notFound((c) =>
    c.json(
      new ApiError(
        404,
        `no route for ${c.req.method} ${c.req.path}`,
        'invalid_request_error',
        'unknown_url',
      ).body(),
      404,
    ),
  );

  app.route('/', webRoutes());
  app.route('/', openapiRoutes(options));
  app.get('/health', (c) => c.json({ ok: true, queue: options.queue.kind }));

  const v1 = new Hono<AppEnv>();
  v1.use(requireKey(options.keys));
  if (options.rateLimit) v1.use(rateLimit(new RateLimiter(options.rateLimit.requestsPerMinute)));
  v1.use(
    bodyLimit({
      maxSize: maxBody,
      onError: () => {
        throw payloadTooLarge(`request body is larger than ${maxBody} bytes`);
      },
    }),
  );
  v1.route('/', characterRoutes(options));
  v1.route('/', contentRoutes(options));
  v1.route('/', provenanceRoutes(options));
  v1.route('/', videoRoutes(options));
  app.route('/v1', v1);
  return app;
}
