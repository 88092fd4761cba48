/**
 * lmdb keeps its reader table in a lock file that it writes through a shared map. Kept on the drive,
 * a filesystem that turns read-only (or a file made immutable) makes such a write a SIGBUS, which
 * ends the process whatever it was doing, and every drive of the node goes down with the failing one.
 * So each drive's lock file lives in shared memory (/dev/shm), reached through a symlink where lmdb
 * looks for it; the data file stays on the drive, read through a read-only map and written with
 * pwrite, whose failures are ordinary errors. The table is rebuilt whenever the store is opened, so
 * losing it (a reboot) loses nothing. Without a writable /dev/shm the lock file stays on the drive.
 */
import { constants as fsConstants } from 'node:fs';
import { access, readlink, rename, rm, symlink } from 'node:fs/promises';
import { join } from 'node:path';

const SHARED_MEMORY = '/dev/shm';
const LOCK_FILE = 'lock.mdb';

/** Where the lock file of the store in `metaDir` (named `name`, unique on this machine) is kept. */
export async function placeLockFile(metaDir: string, name: string): Promise<string | undefined> {
  const writable = await access(SHARED_MEMORY, fsConstants.W_OK).then(
    () => true,
    () => false,
  );
  if (!writable) return undefined;
  const target = join(SHARED_MEMORY, `tessera-${name}.lmdb-lock`);
  const link = join(metaDir, LOCK_FILE);
  if ((await readlink(link).catch(() => undefined)) === target) return target;
  const staged = join(metaDir, `${LOCK_FILE}.link`);
  await rm(staged, { force: true });
  await symlink(target, staged);
  await rename(staged, link);
  return target;
}

/** Removes a lock file placed by placeLockFile, once its store is closed. */
export async function removeLockFile(target: string | undefined): Promise<void> {
  if (target) await rm(target, { force: true });
}
