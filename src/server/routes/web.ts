// The web page: three static files from src/server/web, served by name from a fixed list (no
// path from the URL ever reaches the filesystem).
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Hono } from 'hono';
import type { AppEnv } from '../context.ts';

const WEB_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'web');
const FILES: Record<string, { file: string; type: string }> = {
  '/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/app.js': { file: 'app.js', type: 'text/javascript; charset=utf-8' },
  '/app.css': { file: 'app.css', type: 'text/css; charset=utf-8' },
};

export function webRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  for (const [path, { file, type }] of Object.entries(FILES)) {
    app.get(path, async (c) => {
      const body = await readFile(join(WEB_DIR, file));
      return c.body(body, 200, {
        'content-type': type,
        'cache-control': 'no-cache',
        'content-security-policy': "default-src 'self'; media-src 'self' blob:; img-src 'self' blob: data:",
        'x-content-type-options': 'nosniff',
      });
    });
  }
  return app;
}
