/**
 * Found by review (fixed since): when full drives alone keep a PUT (or UploadPart) from its write quorum,
 * writeShardFiles throws 'storage-full' right after opening the shard writers, without aborting the
 * writers that DID open on the drives with room. Each leaks an open file descriptor (closed only by GC,
 * with a DEP0137 warning) and, where the drive takes O_DIRECT, an aligned slab that is never given back
 * to the process-wide pool (src/storage/aligned-slabs.ts, a fixed number in all): after enough refused
 * PUTs every later shard write in the process falls back to the page cache. The other failure paths of
 * writeShardFiles drop (abort) every writer first.
 *
 * src/erasure/write.ts writeShardFiles: `if (... + full >= quorum) { await discardStaging(...); throw ... }`.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { ErasureSet } from '../../src/erasure/set.js';
import { NamespaceLock } from '../../src/lock/namespace-lock.js';
import type { Drive } from '../../src/storage/drive.js';
import type { SpaceReserve } from '../../src/storage/free-space.js';
import { formattedDrives, putBody, withMethod, type DriveRig } from '../helpers/drive-rig.js';

const BUCKET = 'review-bucket';

const full: SpaceReserve = { dataBytes: () => Number.MAX_SAFE_INTEGER, metadataBytes: 0 };
const roomy: SpaceReserve = { dataBytes: () => 0, metadataBytes: 0 };

/** Writers handed out, and whether each was finished or aborted. */
const opened: { drive: number; settled: boolean }[] = [];

function tracking(drive: Drive, slot: number): Drive {
  return withMethod(drive, 'createShardWriter', async (stagingId, file) => {
    const writer = await drive.createShardWriter(stagingId, file);
    const entry = { drive: slot, settled: false };
    opened.push(entry);
    return {
      write: (chunks) => writer.write(chunks),
      finish: async () => { entry.settled = true; await writer.finish(); },
      abort: async () => { entry.settled = true; await writer.abort(); },
    };
  });
}

let rig: DriveRig | undefined;
afterAll(() => rig?.destroy());

describe('a PUT refused for full drives', () => {
  it('closes the shard writers it opened on the drives with room', async () => {
    rig = await formattedDrives(4, [BUCKET], 'tessera-review-', (slot) => (slot < 2 ? roomy : full));
    const set = new ErasureSet(rig.drives.map(tracking), { blockSize: 64 * 1024, inlineLimit: 16 * 1024, defaultParity: 2, locks: new NamespaceLock() });

    const err = await set.putObject(BUCKET, 'large', putBody(randomBytes(200 * 1024)), { headers: {} }).then(() => undefined, (e: unknown) => e as { kind?: string });
    expect(err?.kind).toBe('storage-full');
    expect(opened.map((w) => w.drive).sort()).toEqual([0, 1]); // opened at once, in either order
    // Every writer that was opened must have been finished or aborted (file closed, slab returned).
    expect(opened.filter((w) => !w.settled)).toEqual([]);
  });
});
