// `GET /v1/videos/{id}/provenance`: what `kinema verify` reports, for a completed video: its
// C2PA manifest and validity, the invisible watermark's payload, the visible watermark.
import { join } from 'node:path';
import { Hono } from 'hono';
import { verifyFile } from '../../provenance/verify.ts';
import type { AppEnv, AppOptions } from '../context.ts';
import { completedVideo } from './completedVideo.ts';

export function provenanceRoutes(options: AppOptions): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.get('/videos/:id/provenance', async (c) => {
    const id = c.req.param('id');
    const record = await completedVideo(options, id, 'provenance');
    const file = options.data.resolve(join(record.result.dir, record.result.video));
    const report = await verifyFile(file, options.verification ?? {});
    const watermark = report.invisibleWatermark;
    const visible = report.visibleWatermark;
    return c.json({
      id,
      object: 'video.provenance',
      c2pa: { state: report.c2pa.state, codes: report.c2pa.codes, manifest: report.c2pa.manifest },
      invisible_watermark:
        'found' in watermark
          ? { found: watermark.found, payload: watermark.found ? watermark.payload : null }
          : { error: watermark.error },
      visible_watermark: 'present' in visible ? { present: visible.present } : { error: visible.error },
    });
  });
  return app;
}
