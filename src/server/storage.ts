// The data folder: results, uploads and characters on disk. Every path is built here from a
// validated id and a fixed file name, and stored relative to the root, so the folder can be a
// shared mount that workers on other machines see at a different path.
//
//   videos/<video id>/<attempt token>/{video.mp4, thumbnail.png, spritesheet.png}
//   attempts/<attempt token>/   an attempt's files while it runs; moved under videos/ when done
//   uploads/<video id>/reference.<ext> | source.<ext>
//   characters/<character id>.json, characters/<character id>.<ext>
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { isAbsolute, join, normalize, sep } from 'node:path';

export class DataDir {
  constructor(readonly root: string) {}

  async init(): Promise<void> {
    for (const sub of ['videos', 'uploads', 'characters', 'attempts'])
      await mkdir(join(this.root, sub), { recursive: true });
  }

  /** Absolute path of a stored relative path; refuses anything that would leave the root. */
  resolve(relative: string): string {
    const clean = normalize(relative);
    if (isAbsolute(clean) || clean.split(sep).includes('..'))
      throw new Error(`path escapes the data folder: ${relative}`);
    return join(this.root, clean);
  }

  resultDir(videoId: string, token: string): string {
    return join('videos', videoId, token);
  }

  /**
   * Where an attempt writes while it runs. A worker killed mid-job, or one still running after
   * its lease was taken over, leaves files only here, never beside the video's result.
   */
  attemptDir(token: string): string {
    return join('attempts', token);
  }

  uploadPath(videoId: string, name: string): string {
    return join('uploads', videoId, name);
  }

  characterPath(characterId: string, ext: string): string {
    return join('characters', `${characterId}.${ext}`);
  }

  /** Writes bytes under a relative path whole or not at all (temp name, then rename). */
  async write(relative: string, bytes: Uint8Array | string): Promise<void> {
    const target = this.resolve(relative);
    await mkdir(join(target, '..'), { recursive: true });
    const tmp = `${target}.${randomBytes(6).toString('hex')}.tmp`;
    await writeFile(tmp, bytes);
    await rename(tmp, target);
  }

  /** Removes everything stored for a video (results of every attempt, uploads). */
  async removeVideo(videoId: string): Promise<void> {
    await rm(join(this.root, 'videos', videoId), { recursive: true, force: true });
    await rm(join(this.root, 'uploads', videoId), { recursive: true, force: true });
  }

  /** Removes result folders of a video other than `keep` (attempts of workers that died). */
  async pruneAttempts(videoId: string, keep: string): Promise<void> {
    const dir = join(this.root, 'videos', videoId);
    const entries = await readdir(dir).catch(() => [] as string[]);
    for (const entry of entries) {
      if (join('videos', videoId, entry) !== keep)
        await rm(join(dir, entry), { recursive: true, force: true });
    }
  }
}
