/**
 * Ways to hurt a drive directory under a running server, as root:
 *
 *   read-only  `chattr -R +i` (immutable): unlike chmod, it stops root too; files and directories can
 *              be neither created, renamed, removed nor opened for writing. Undone with `chattr -R -i`.
 *   vanish     the directory is renamed away (as an unmounted or dead disk looks) and back later.
 *   wipe       everything inside the directory is removed (a replaced disk), the directory stays.
 *   flip       one byte of a few shard files (`<drive>/<bucket>/<xx>/<dataDir>/part.N`) inverted.
 *
 *   full       the drive's own filesystem (a tmpfs, see ClusterOptions.driveFilesystemMiB) filled by a
 *              file beside the drive directory until a few MiB or none are left: writes in flight meet
 *              ENOSPC, later ones the server's own reserve. Undone by removing the file.
 */
import { execFile, execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readdir, rename, rm, stat, statfs } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { flipByte } from '../helpers/heal-disk.js';
import type { Rng } from './rng.js';

const run = promisify(execFile);

/** Directories made immutable and not yet given back: cleared on exit, or nothing could remove them. */
const immutable = new Set<string>();
process.once('exit', () => {
  for (const dir of immutable) {
    try {
      execFileSync('chattr', ['-R', '-f', '-i', dir]);
    } catch {
      // best effort
    }
  }
});

/** Sets or clears the immutable flag on everything under `dir` (errors for files that vanish meanwhile are ignored). */
export async function setImmutable(dir: string, on: boolean): Promise<void> {
  if (on) immutable.add(dir);
  await run('chattr', ['-R', '-f', on ? '+i' : '-i', dir]).catch(() => undefined);
  if (!on) immutable.delete(dir);
}

/** The file that fills a drive's filesystem: beside the drive directory, where the server never looks. */
function fillerPath(drive: string): string {
  return join(dirname(drive), 'filler');
}

/** Fills the filesystem `drive` lives on until `leaveBytes` (or less) are free; returns the MiB left. */
export async function fill(drive: string, leaveBytes: number): Promise<number> {
  // The server writes meanwhile: a filler sized a moment ago may no longer fit; then a little less.
  for (let attempt = 0, margin = 0; attempt < 5; attempt++, margin += 2 ** 20) {
    const fs = await statfs(dirname(drive));
    const free = fs.bavail * fs.bsize;
    if (free <= leaveBytes + margin) break;
    try {
      await run('fallocate', ['-l', String(free - leaveBytes - margin), fillerPath(drive)]);
      break;
    } catch (err) {
      await rm(fillerPath(drive), { force: true });
      if (attempt === 4) throw err;
    }
  }
  const after = await statfs(dirname(drive));
  return Math.round((after.bavail * after.bsize) / 2 ** 20);
}

export async function unfill(drive: string): Promise<void> {
  await rm(fillerPath(drive), { force: true });
}

export function awayPath(dir: string): string {
  return `${dir}.away`;
}

export async function vanish(dir: string): Promise<void> {
  await rename(dir, awayPath(dir));
}

/** Puts a vanished directory back; whatever the server created in its place meanwhile is discarded. */
export async function reappear(dir: string): Promise<string> {
  if (!existsSync(awayPath(dir))) throw new Error(`${dir} is not away`);
  let note = '';
  if (existsSync(dir)) {
    note = `discarded ${(await readdir(dir)).length} entries created while it was away`;
    await rm(dir, { recursive: true, force: true });
  }
  await rename(awayPath(dir), dir);
  return note;
}

export async function wipe(dir: string): Promise<number> {
  const entries = await readdir(dir).catch(() => [] as string[]);
  // maxRetries: the server may create files in a directory while it is being removed (ENOTEMPTY).
  await Promise.all(entries.map((e) => rm(join(dir, e), { recursive: true, force: true, maxRetries: 10, retryDelay: 20 })));
  return entries.length;
}

/** Every shard file of `bucket` on a drive. */
export async function shardFiles(drive: string, bucket: string): Promise<string[]> {
  const out: string[] = [];
  const base = join(drive, bucket);
  for (const prefix of await readdir(base).catch(() => [] as string[])) {
    if (!/^[0-9a-f]{2}$/.test(prefix)) continue;
    for (const dataDir of await readdir(join(base, prefix)).catch(() => [] as string[])) {
      for (const file of await readdir(join(base, prefix, dataDir)).catch(() => [] as string[])) {
        if (/^part\.\d+$/.test(file)) out.push(join(base, prefix, dataDir, file));
      }
    }
  }
  return out;
}

/** Inverts one random byte in each of up to `count` random shard files; returns what it touched. */
export async function flipBytes(drive: string, bucket: string, count: number, rng: Rng): Promise<string[]> {
  const files = await shardFiles(drive, bucket);
  const touched: string[] = [];
  for (let i = 0; i < count && files.length > 0; i++) {
    const file = files.splice(rng.int(0, files.length - 1), 1)[0];
    try {
      const { size } = await stat(file);
      if (size === 0) continue;
      const offset = rng.int(0, size - 1);
      await flipByte(file, offset);
      touched.push(`${file.slice(drive.length + 1)}@${offset}`);
    } catch {
      // removed meanwhile
    }
  }
  return touched;
}
