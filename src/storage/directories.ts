/**
 * What a LocalDrive asks of directories beyond plain file calls: making the names in one durable,
 * and whether one is a mount point. Behind one small interface so a test can watch or stage them.
 *
 * Why directories need fsync: fsync of a file makes its bytes durable, not its name. A file or
 * directory created, or renamed, survives a crash only once the directory holding the new name has
 * been fsynced (and, for a rename, the one that held the old name, or the old name may come back).
 */
import { mkdir, open, rename, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';

export interface Directories {
  /** Makes the entries created, renamed or removed in `dir` durable. */
  sync(dir: string): Promise<void>;
  /** True when `dir` is on another filesystem than its parent (a disk mounted there). */
  isMountPoint(dir: string): Promise<boolean>;
}

async function fsyncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Group commit for directory fsyncs: concurrent PUTs rename into the same few directories (the
 * staging area, a bucket's prefix directories), and each would fsync them on its own. A sync asked
 * for while one of the same directory runs cannot share it (it may have begun before the caller's
 * change); it waits for the next one, which begins once the running one ends, and every caller that
 * asks meanwhile shares that next one. At most two fsyncs of a directory are ever pending.
 */
export function coalescingSync(sync: (dir: string) => Promise<void>): (dir: string) => Promise<void> {
  const running = new Map<string, Promise<void>>();
  const next = new Map<string, Promise<void>>();
  const start = (dir: string): Promise<void> => {
    const done = sync(dir).finally(() => {
      if (running.get(dir) === done) running.delete(dir);
    });
    running.set(dir, done);
    return done;
  };
  return (dir) => {
    const current = running.get(dir);
    if (!current) return start(dir);
    let queued = next.get(dir);
    if (!queued) {
      queued = current
        .catch(() => undefined)
        .then(() => {
          next.delete(dir);
          return start(dir);
        });
      next.set(dir, queued);
    }
    return queued;
  };
}

export const directories: Directories = {
  sync: coalescingSync(fsyncDirectory),
  async isMountPoint(dir) {
    try {
      const [self, parent] = await Promise.all([stat(dir), stat(join(dir, '..'))]);
      return self.dev !== parent.dev;
    } catch {
      return false;
    }
  },
};

/**
 * `mkdir -p dir`, then syncs the parent of every directory that had to be created. A directory that
 * was there already may have been made a moment ago by a call still syncing its parent (or whose
 * sync failed): its parent is synced too, unless `durable` (a caller's memory of directories it saw
 * synced) already holds it.
 */
export async function makeDirectoryDurably(dir: string, sync: Directories['sync'], durable?: Set<string>): Promise<void> {
  const first = await mkdir(dir, { recursive: true });
  if (first === undefined) {
    if (durable?.has(dir)) return;
    await sync(dirname(dir));
  } else {
    for (let created = dir; ; created = dirname(created)) {
      await sync(dirname(created));
      if (created === first) break;
    }
  }
  durable?.add(dir);
}

/** Renames, then syncs the directory of the new name and, when another, that of the old one. */
export async function renameDurably(from: string, to: string, sync: Directories['sync']): Promise<void> {
  await rename(from, to);
  await syncParents([from, to], sync);
}

/** Syncs the directory holding each of `paths`, each directory once. */
export async function syncParents(paths: string[], sync: Directories['sync']): Promise<void> {
  for (const dir of new Set(paths.map((p) => dirname(p)))) await sync(dir);
}

/**
 * Writes `data` to `path` so that a crash leaves the old file or the new one, whole: into `staging`
 * first, fsynced, then renamed over `path`.
 */
export async function replaceFileDurably(staging: string, path: string, data: string | Buffer, sync: Directories['sync']): Promise<void> {
  const handle = await open(staging, 'w');
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await renameDurably(staging, path, sync);
}
