// Every output path carries provenance: watermarks in the pixels, a signed C2PA manifest on the
// file, an audit record with the file's hash.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { operatorSettingsSchema, provenanceFor } from '../../src/pipeline/operator.ts';
import { writeOutput } from '../../src/pipeline/output.ts';
import { watermarkPayloadFor } from '../../src/provenance/mark.ts';
import { verifyFile } from '../../src/provenance/verify.ts';
import { AuditLog } from '../../src/safety/audit.ts';
import { curriculumScene } from '../../src/train/curriculum.ts';
import { renderClip } from '../../src/world/render.ts';

test('an MP4 and a GIF output carry valid C2PA, both watermarks, and an audit record', async () => {
  const home = await mkdtemp(join(tmpdir(), 'kinema-home-'));
  try {
    // World frames stand in for a trained model's output: the tiny random model's frames are
    // saturated noise, which no additive watermark survives (clipping removes it). 128×128×17:
    // at 64×64 the invisible mark survives H.264 only most of the time (see provenance/mark.ts).
    const spec = curriculumScene(3, 1, { width: 128, height: 128, frames: 17, fps: 8 });
    const video = {
      ...renderClip(spec, 3),
      frames: 17,
      width: 128,
      height: 128,
      fps: 8,
      modelId: 'kinema-test',
    };
    const settings = operatorSettingsSchema.parse({ home });
    for (const name of ['clip.mp4', 'clip.gif']) {
      const { provenance, identityCreated } = provenanceFor(settings, {
        outputId: `video_${name === 'clip.mp4' ? 'a' : 'b'}${'0'.repeat(23)}`,
        prompt: 'a red ball',
        modelId: video.modelId,
        action: 'generate',
      });
      const written = await writeOutput(video, join(home, name), { provenance });
      assert.equal(written.signed, true);
      const report = await verifyFile(written.path, { trustAnchorsPem: provenance.identity.trustAnchorsPem });
      assert.equal(report.c2pa.state, 'trusted', `${name}: ${report.c2pa.codes.join(', ')}`);
      assert.ok(
        'found' in report.invisibleWatermark && report.invisibleWatermark.found,
        `${name}: watermark found`,
      );
      assert.equal(
        'payload' in report.invisibleWatermark && report.invisibleWatermark.payload,
        watermarkPayloadFor(provenance.outputId),
      );
      assert.ok(
        'present' in report.visibleWatermark && report.visibleWatermark.present,
        `${name}: visible mark`,
      );
      if (name === 'clip.mp4') assert.equal(identityCreated, true); // the first output made the identity
      const audit = new AuditLog(join(home, 'audit.jsonl')).records().at(-1)!;
      assert.equal(audit.outputId, provenance.outputId);
      assert.deepEqual(audit.fileSha256, [
        createHash('sha256')
          .update(await readFile(written.path))
          .digest('hex'),
      ]);
    }
    // A WebP still is signed too (C2PA reads RIFF); WebM is the one format C2PA cannot carry.
    const still = provenanceFor(settings, {
      outputId: `video_c${'0'.repeat(23)}`,
      prompt: 'a red ball',
      modelId: video.modelId,
      action: 'generate',
    }).provenance;
    const webp = await writeOutput(video, join(home, 'still.webp'), { provenance: still });
    assert.equal(webp.signed, true);
    const stillReport = await verifyFile(webp.path, { trustAnchorsPem: still.identity.trustAnchorsPem });
    assert.equal(stillReport.c2pa.state, 'trusted', stillReport.c2pa.codes.join(', '));
    const webm = await writeOutput(video, join(home, 'clip.webm'), { provenance: still });
    assert.equal(webm.signed, false);
    // No temporary files are left next to the outputs.
    assert.deepEqual(
      (await readdir(home)).filter((n) => n.startsWith('.')),
      [],
    );

    // One flipped byte in the media data breaks the manifest.
    const bytes = await readFile(join(home, 'clip.mp4'));
    bytes[bytes.length - 100] ^= 0xff;
    await writeFile(join(home, 'tampered.mp4'), bytes);
    const tampered = await verifyFile(join(home, 'tampered.mp4'));
    assert.equal(tampered.c2pa.state, 'invalid');
  } finally {
    await rm(home, { recursive: true, force: true });
  }
});
