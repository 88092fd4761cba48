/**
 * Found by review (fixed since): a commit into a data-prefix directory that a concurrent commit has just created is
 * acknowledged before that directory's own entry is durable.
 *
 * makeDirectoryDurably (src/storage/directories.ts:75-82) syncs the parents only of the directories
 * that ITS mkdir created; when `mkdir -p` finds the directory already there (another caller created it
 * a moment ago and is still fsyncing the parent, or that fsync failed) it returns at once. commitStaged
 * (src/storage/local-drive.ts:466-478) then renames the staged data into `<bucket>/<2 hex>/` and syncs
 * only that directory and the staging one. Two PUTs whose data dirs share a new prefix (every bucket's
 * first few hundred PUTs, concurrently, on every drive at once): the second is acknowledged while
 * `<bucket>/<2 hex>` may still vanish in a power cut, taking its acknowledged data with it (the record
 * in lmdb survives and points at nothing). Coalescing does not cause this, but it is the same promise:
 * a rename acknowledged before every directory on its path is durable.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { directories, type Directories } from '../../src/storage/directories.js';
import { LocalDrive } from '../../src/storage/local-drive.js';

const BUCKET = 'review-bucket';
let dir: string | undefined;
let drive: LocalDrive | undefined;
afterAll(async () => {
  await drive?.close().catch(() => undefined);
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('two commits into a data-prefix directory that does not exist yet', () => {
  it('the second is not acknowledged before the prefix directory is synced into the bucket directory', async () => {
    dir = await mkdtemp(join(tmpdir(), 'tessera-review2-'));
    const root = join(dir, 'd1');
    /** Syncs of the bucket directory wait for `release` once `stall` is set. */
    let stall = false;
    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    let stalledAt: (() => void) | undefined;
    const stalled = new Promise<void>((r) => (stalledAt = r));
    let bucketSynced = false;
    const dirs: Directories = {
      isMountPoint: (d) => directories.isMountPoint(d),
      async sync(d) {
        if (stall && d === join(root, BUCKET)) {
          stalledAt?.();
          await released;
          await directories.sync(d);
          bucketSynced = true;
          return;
        }
        await directories.sync(d);
      },
    };
    drive = new LocalDrive(root, undefined, dirs);
    const id = randomUUID();
    await drive.prepare();
    await drive.writeFormat({ version: 1, deploymentId: `rig-${id}`, sets: [[id]], thisDrive: id });
    await drive.open();
    await drive.makeBucket(BUCKET, Date.now());

    const staged: string[] = [];
    for (let i = 0; i < 2; i++) {
      const stagingId = randomUUID();
      const writer = await drive.createShardWriter(stagingId, 'part.1');
      await writer.write([randomBytes(10_000)]);
      await writer.finish();
      staged.push(stagingId);
    }
    // Two data dirs under the same, new, prefix `ab`.
    const dataDirs = [`ab${randomUUID().slice(2)}`, `ab${randomUUID().slice(2)}`];

    stall = true;
    const first = drive.commitStaged(staged[0], BUCKET, dataDirs[0]);
    await stalled; // the first commit created <bucket>/ab and is syncing <bucket>
    let secondAcknowledgedEarly = false;
    const second = drive.commitStaged(staged[1], BUCKET, dataDirs[1]).then(() => {
      if (!bucketSynced) secondAcknowledgedEarly = true;
    });
    await Promise.race([second, new Promise((r) => setTimeout(r, 500))]);
    release();
    await Promise.all([first, second]);
    expect(secondAcknowledgedEarly, `commit of ${dataDirs[1]} resolved while ${BUCKET}/ab was not yet durable in ${BUCKET}`).toBe(false);
  });
});
