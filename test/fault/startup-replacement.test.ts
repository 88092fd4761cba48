/**
 * Start-up with a drive that has no format in a formatted pool. A fresh disk is a replacement and is
 * formatted into its slot; but a disk that failed to mount leaves an empty directory of the root
 * filesystem (or no directory at all) at its path, and formatting that and healing onto it fills the
 * root filesystem. Start-up must apply the guards revive() applies at run time.
 * In-process (bootstrapPool on LocalDrives in temp directories); which directories are mount points
 * is staged through the drive's Directories, since a test cannot mount disks.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { bootstrapPool, prepareLocalDrives, type PoolLayout } from '../../src/erasure/bootstrap.js';
import type { ErasurePool } from '../../src/erasure/pool.js';
import { NamespaceLock } from '../../src/lock/namespace-lock.js';
import { directories } from '../../src/storage/directories.js';
import type { DriveFormat } from '../../src/storage/format.js';
import { LocalDrive, SYSTEM_DIR } from '../../src/storage/local-drive.js';

let dir: string;
let roots: string[];
/** The drive paths that are mount points of a disk of their own. */
let mounted: Set<string>;
let pools: ErasurePool[];

async function start(): Promise<{ pool: ErasurePool; layout: PoolLayout; drives: LocalDrive[]; log: string[] }> {
  const drives = roots.map((r) => new LocalDrive(r, r, { ...directories, isMountPoint: async (d) => mounted.has(d) }));
  const local = new Map(drives.map((d, i) => [i, d]));
  const log: string[] = [];
  await prepareLocalDrives(local);
  const { pool, layout } = await bootstrapPool({
    drives,
    driveNodes: drives.map(() => 0),
    local,
    formatsFreshPool: true,
    locks: new NamespaceLock(),
    log: (line) => log.push(line),
  });
  pools.push(pool);
  return { pool, layout, drives, log };
}

const hasFormat = (root: string): boolean => existsSync(join(root, SYSTEM_DIR, 'format.json'));

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tessera-startup-replacement-'));
  roots = [1, 2, 3, 4].map((i) => join(dir, `d${i}`));
  mounted = new Set(roots);
  pools = [];
  const first = await start();
  await first.pool.close();
});

afterEach(async () => {
  for (const pool of pools) await pool.close();
  await rm(dir, { recursive: true, force: true });
});

describe('a drive without a format at start-up, in a formatted pool', () => {
  it('an unmounted disk at start-up (an empty directory on the parent filesystem) is not formatted as a replacement', async () => {
    // The node restarts and drive 3's disk does not mount: its path is an empty directory of the root filesystem.
    mounted.delete(roots[2]);
    for (const entry of await readdir(roots[2])) await rm(join(roots[2], entry), { recursive: true, force: true });

    const { layout, drives, log } = await start();
    expect(layout.replaced).toEqual([]);
    expect(hasFormat(roots[2])).toBe(false);
    expect(drives[2].isOnline()).toBe(false);
    expect(log.join('\n')).toMatch(/d3 stays offline: its disk is no longer mounted there/);

    // Once a disk is mounted there (an empty new one), the drive monitor's revive formats it.
    mounted.add(roots[2]);
    const reference = JSON.parse(await readFile(join(roots[0], SYSTEM_DIR, 'format.json'), 'utf8')) as DriveFormat;
    expect(await drives[2].revive(reference, reference.sets[0][2])).toBe('reformatted');
    expect(hasFormat(roots[2])).toBe(true);
  });

  it('a missing drive directory at start-up is left missing, not created and formatted as a replacement', async () => {
    await rm(roots[1], { recursive: true, force: true });
    const { layout, drives, log } = await start();
    expect(layout.replaced).toEqual([]);
    expect(existsSync(roots[1])).toBe(false);
    expect(drives[1].isOnline()).toBe(false);
    expect(log.join('\n')).toMatch(/d2 stays offline: its directory is missing/);
  });

  it('a drive directory holding other data and no format at start-up is not formatted as a replacement', async () => {
    for (const entry of await readdir(roots[3])) await rm(join(roots[3], entry), { recursive: true, force: true });
    await writeFile(join(roots[3], 'someone-elses-file'), 'keep me');
    const { layout, drives, log } = await start();
    expect(layout.replaced).toEqual([]);
    expect(hasFormat(roots[3])).toBe(false);
    expect(drives[3].isOnline()).toBe(false);
    expect(log.join('\n')).toMatch(/d4 stays offline: its directory is not empty and has no format/);
  });

  it('a fresh empty disk mounted at a drive path is still a replacement: formatted into its slot', async () => {
    for (const entry of await readdir(roots[0])) await rm(join(roots[0], entry), { recursive: true, force: true });
    const { layout, drives } = await start();
    expect(layout.replaced).toEqual([roots[0]]);
    expect(hasFormat(roots[0])).toBe(true);
    expect(drives[0].isOnline()).toBe(true);
  });
});
