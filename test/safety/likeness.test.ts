import assert from 'node:assert/strict';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { AuditLog } from '../../src/safety/audit.ts';
import { checkLikeness, decideLikeness, detectFaces, LikenessRefused } from '../../src/safety/likeness.ts';
import { decodeFrames, runFfmpeg } from '../provenance/_ffmpeg.ts';

// Real photos from Debian's opencv-doc package (apt-get install opencv-doc).
const DATA = '/usr/share/doc/opencv-doc/examples/data';
const FACE = join(DATA, 'messi5.jpg');
const NO_FACE = join(DATA, 'fruits.jpg');
const skip = !existsSync(FACE) || !existsSync(NO_FACE) ? 'needs Debian opencv-doc sample images' : false;

async function still(file: string) {
  const png = join(mkdtempSync(join(tmpdir(), 'kinema-face-')), 'in.png');
  await runFfmpeg(['-v', 'error', '-y', '-i', file, '-vf', 'scale=320:-2', png]);
  return decodeFrames(png, 1);
}

test('a photo with a face is refused without consent, allowed and logged with it', { skip }, async () => {
  const check = await detectFaces(await still(FACE));
  assert.throws(() => decideLikeness(check, false), LikenessRefused);
  assert.deepEqual(decideLikeness(check, true), check);
  assert.ok(check.faces >= 1 && check.bestScore > 0.5, JSON.stringify(check));
  const log = new AuditLog(join(mkdtempSync(join(tmpdir(), 'kinema-audit-')), 'audit.jsonl'));
  log.append({
    keyId: 'key_1',
    action: 'image_to_video',
    promptSha256: null,
    decision: 'allowed',
    category: 'likeness',
    reason: `face present (${check.faces}), consent given`,
    outputId: 'video_9',
    watermarkPayload: 9,
    fileSha256: [],
    parentOutputId: null,
  });
  assert.equal(log.records()[0]!.reason, 'face present (1), consent given');
});

test('a photo without a face passes without consent', { skip }, async () => {
  const check = await checkLikeness(await still(NO_FACE), false);
  assert.equal(check.faces, 0);
});
