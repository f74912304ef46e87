import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import {
  C2paError,
  readManifest,
  sha256Hex,
  signFile,
  TRAINED_ALGORITHMIC_MEDIA,
} from '../../src/provenance/c2pa.ts';
import { IdentityError, loadIdentity } from '../../src/provenance/identity.ts';
import { syntheticClip } from './_clips.ts';
import { decodeFrames, encodeFrames } from './_ffmpeg.ts';

const dir = mkdtempSync(join(tmpdir(), 'kinema-c2pa-'));
const identity = loadIdentity({ localDir: join(dir, 'identity') });
const clip = syntheticClip(7, 64, 8);
const info = { outputId: 'video_test_1', model: { id: 'kinema-test' }, prompt: 'a red ball bounces' };

test('the local identity is created once, then reused', () => {
  assert.equal(identity.created, true);
  assert.equal(identity.local, true);
  const again = loadIdentity({ localDir: join(dir, 'identity') });
  assert.equal(again.created, false);
  assert.equal(again.certificateChainPem, identity.certificateChainPem);
  assert.throws(() => loadIdentity({ certificatePath: join(dir, 'missing.pem') }), IdentityError);
});

test('MP4: signed manifest is valid, trusted with our root, and the video decodes identically', async () => {
  const raw = join(dir, 'raw.mp4');
  const signed = join(dir, 'signed.mp4');
  await encodeFrames(clip, raw, ['-c:v', 'libx264', '-crf', '18', '-pix_fmt', 'yuv420p']);
  await signFile(raw, signed, info, identity);
  const untrusted = await readManifest(signed);
  assert.equal(untrusted.state, 'valid');
  assert.deepEqual(untrusted.codes, ['signingCredential.untrusted']);
  const report = await readManifest(signed, identity.trustAnchorsPem);
  assert.equal(report.state, 'trusted');
  const m = report.manifest!;
  assert.equal(m.actions[0]!.action, 'c2pa.created');
  assert.equal(m.actions[0]!.digitalSourceType, TRAINED_ALGORITHMIC_MEDIA);
  assert.equal(m.generation!.prompt_sha256, sha256Hex(info.prompt));
  assert.equal(m.generation!.prompt, undefined, 'the prompt itself is not stored without opt-in');
  assert.deepEqual((await decodeFrames(signed)).pixels, (await decodeFrames(raw)).pixels);
});

test('one flipped byte in the media data makes the manifest invalid', async () => {
  const bytes = readFileSync(join(dir, 'signed.mp4'));
  const mdat = bytes.indexOf(Buffer.from('mdat'));
  assert.ok(mdat > 0);
  bytes[mdat + 100] = bytes[mdat + 100]! ^ 0x01;
  const tampered = join(dir, 'tampered.mp4');
  writeFileSync(tampered, bytes);
  const report = await readManifest(tampered, identity.trustAnchorsPem);
  assert.equal(report.state, 'invalid');
  assert.ok(report.codes.includes('assertion.bmffHash.mismatch'), report.codes.join());
});

test('PNG, JPEG and WebP sign; an unsigned file reads as absent; WebM is refused clearly', async () => {
  for (const ext of ['png', 'jpg', 'webp']) {
    const raw = join(dir, `still.${ext}`);
    const signed = join(dir, `still-signed.${ext}`);
    await encodeFrames({ ...clip, frames: 1, pixels: clip.pixels.subarray(0, 64 * 64 * 3) }, raw, [
      '-frames:v',
      '1',
    ]);
    assert.equal((await readManifest(raw)).state, 'absent');
    await signFile(raw, signed, { ...info, includePrompt: true }, identity);
    const report = await readManifest(signed, identity.trustAnchorsPem);
    assert.equal(report.state, 'trusted', ext);
    assert.equal(report.manifest!.generation!.prompt, info.prompt);
  }
  await assert.rejects(signFile(join(dir, 'x.webm'), join(dir, 'y.webm'), info, identity), C2paError);
});

test('a remix records c2pa.edited with the parent output as ingredient', async () => {
  const child = join(dir, 'child.mp4');
  const signedChild = join(dir, 'child-signed.mp4');
  await encodeFrames(syntheticClip(8, 64, 8), child, ['-c:v', 'libx264', '-pix_fmt', 'yuv420p']);
  await signFile(
    child,
    signedChild,
    { ...info, derivation: { kind: 'remix', parentFile: join(dir, 'signed.mp4') } },
    identity,
  );
  const report = await readManifest(signedChild, identity.trustAnchorsPem);
  assert.equal(report.state, 'trusted', report.codes.join());
  assert.deepEqual(
    report.manifest!.actions.map((a) => a.action),
    ['c2pa.opened', 'c2pa.edited'],
  );
  assert.equal(report.manifest!.ingredients[0]!.relationship, 'parentOf');
  assert.ok(report.manifest!.ingredients[0]!.manifest, 'the parent manifest travels as ingredient');
});
