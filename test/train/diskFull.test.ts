// A full disk while checkpointing: the run stops with a clear message and the previous checkpoint
// survives, intact. The disk is a real one: a small tmpfs mounted for the test (needs root, as on
// CI's machines; elsewhere the test says why it is skipped).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadCheckpoint } from '../../src/train/checkpoint.ts';
import { parseTrainConfig } from '../../src/train/config.ts';
import { Trainer, TrainingError } from '../../src/train/trainer.ts';

const config = (out: string) =>
  parseTrainConfig({ stage: 'autoencoder', preset: 'tiny', steps: 10, out, warmupSteps: 1, seed: 5 });

function mountTmpfs(dir: string, bytes: number): boolean {
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${bytes}`, 'tmpfs', dir], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

test('a full disk while checkpointing keeps the previous checkpoint and says so', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'kinema-diskfull-'));
  const disk = join(dir, 'disk');
  try {
    // How big one checkpoint is, written on the ordinary disk.
    const probe = await Trainer.create(config(join(dir, 'probe')));
    await probe.trainStep();
    const size = (await stat(await probe.save())).size;
    await probe.dispose();

    await mkdir(disk);
    // Room for one checkpoint and its loss curve, not for a second one beside it.
    if (!mountTmpfs(disk, Math.ceil(size * 1.5))) {
      t.skip('mounting a tmpfs needs root');
      return;
    }
    const out = join(disk, 'run');
    const trainer = await Trainer.create(config(out));
    await trainer.trainStep();
    await trainer.save(); // step 1 fits
    await trainer.trainStep();
    await assert.rejects(trainer.save(), (error: Error) => {
      assert.ok(error instanceof TrainingError, String(error));
      assert.match(
        error.message,
        /could not save step 2 .*no space left on device; the previous checkpoint \(step 1\) is kept/,
      );
      return true;
    });
    await trainer.dispose();
    const kept = await loadCheckpoint(join(out, 'checkpoint.safetensors'));
    assert.equal(kept.step, 1);
    assert.deepEqual(
      (await readdir(out)).filter((name) => name.endsWith('.tmp')),
      [],
      'no half-written temporary file is left',
    );
  } finally {
    try {
      execFileSync('umount', [disk], { stdio: 'ignore' });
    } catch {
      // not mounted (skipped)
    }
    await rm(dir, { recursive: true, force: true });
  }
});
