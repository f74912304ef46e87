import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { signFile } from '../../src/provenance/c2pa.ts';
import { loadIdentity } from '../../src/provenance/identity.ts';
import { markFrames, watermarkPayloadFor } from '../../src/provenance/mark.ts';
import { formatVerifyReport, VerifyError, verifyFile } from '../../src/provenance/verify.ts';
import { syntheticClip } from './_clips.ts';
import { encodeFrames } from './_ffmpeg.ts';

const dir = mkdtempSync(join(tmpdir(), 'kinema-verify-'));
const identity = loadIdentity({ localDir: join(dir, 'identity') });
const H264 = ['-c:v', 'libx264', '-crf', '18', '-pix_fmt', 'yuv420p'];

test('verify reports manifest, invisible payload and visible label of a Kinema output', async () => {
  const raw = join(dir, 'raw.mp4');
  const out = join(dir, 'out.mp4');
  await encodeFrames(markFrames(syntheticClip(11, 128, 8), 'video_abc'), raw, H264);
  await signFile(
    raw,
    out,
    { outputId: 'video_abc', model: { id: 'kinema-test' }, prompt: 'a ball' },
    identity,
  );
  const report = await verifyFile(out, { trustAnchorsPem: identity.trustAnchorsPem });
  assert.equal(report.c2pa.state, 'trusted');
  assert.deepEqual(report.invisibleWatermark, {
    ...report.invisibleWatermark,
    found: true,
    payload: watermarkPayloadFor('video_abc'),
  });
  assert.deepEqual(report.visibleWatermark, { ...report.visibleWatermark, present: true });
  assert.match(formatVerifyReport(report), /C2PA manifest: trusted/);
});

test('verify of a plain video reports absent / not found; a missing file is a typed error', async () => {
  const plain = join(dir, 'plain.mp4');
  await encodeFrames(syntheticClip(12, 128, 8), plain, H264);
  const report = await verifyFile(plain);
  assert.equal(report.c2pa.state, 'absent');
  assert.equal('found' in report.invisibleWatermark && report.invisibleWatermark.found, false);
  assert.equal('present' in report.visibleWatermark && report.visibleWatermark.present, false);
  await assert.rejects(verifyFile(join(dir, 'nope.mp4')), VerifyError);
});

test('`kinema verify FILE --json` prints the report as JSON', () => {
  // A child process, because node:test itself talks over this process's stdout.
  const script = [
    "import { Command } from 'commander';",
    "import { registerVerifyCommands } from './src/cli/verify.ts';",
    'const program = new Command();',
    'registerVerifyCommands(program);',
    "await program.parseAsync(process.argv.slice(1), { from: 'user' });",
  ].join(' ');
  const out = execFileSync(process.execPath, [
    '--import',
    'tsx',
    '--input-type=module',
    '-e',
    script,
    'verify',
    join(dir, 'plain.mp4'),
    '--json',
  ]);
  assert.equal(JSON.parse(out.toString()).c2pa.state, 'absent');
});
