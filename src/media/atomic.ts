// Outputs appear whole or not at all: everything is written to a temporary name next to the
// target (same directory, so the final rename is atomic on one filesystem) and renamed at the end.
// On failure the temporary file or folder is removed.
import { randomBytes } from 'node:crypto';
import { rename, rm } from 'node:fs/promises';
import { basename, dirname, extname, join } from 'node:path';

/** A hidden sibling of `target` that keeps its extension (tools pick formats by extension). */
export function tempSibling(target: string): string {
  const ext = extname(target);
  const stem = basename(target, ext);
  return join(dirname(target), `.${stem}.${process.pid}-${randomBytes(4).toString('hex')}.tmp${ext}`);
}

/** Runs `write(tmp)` then renames tmp to `target`; removes tmp if anything fails. */
export async function writeAtomically<T>(target: string, write: (tmp: string) => Promise<T>): Promise<T> {
  const tmp = tempSibling(target);
  try {
    const result = await write(tmp);
    await replace(tmp, target);
    return result;
  } catch (err) {
    await rm(tmp, { recursive: true, force: true });
    throw err;
  }
}

/**
 * Renames; a target that rename cannot overwrite (a folder, or a file where a folder goes) is
 * swapped out and removed.
 */
async function replace(tmp: string, target: string): Promise<void> {
  try {
    await rename(tmp, target);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'ENOTEMPTY' && code !== 'EEXIST' && code !== 'EISDIR' && code !== 'ENOTDIR') throw err;
    const old = tempSibling(target);
    await rename(target, old);
    await rename(tmp, target);
    await rm(old, { recursive: true, force: true });
  }
}
