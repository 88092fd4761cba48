/**
 * Found by review (minor, wrong S3 error; fixed since): a PUT whose drives run out of space WHILE its shards stream
 * (ENOSPC from the shard file: the data reserve is only checked when the writer is opened, so any
 * object larger than the reserve, or concurrent PUTs, can meet it; the torture `full` fault leaves
 * 0-4 MiB) fails with 'write-quorum' (503 SlowDownWrite, which SDKs retry) instead of 'storage-full'
 * (507 XTesseraStorageFull). writeShardFiles counts full drives only among the writers that refused to
 * open; a writer failing mid-stream is dropped whatever the cause.
 *
 * src/erasure/write.ts writeShardFiles (`.catch(() => drop(slot))`, requireQuorum -> 'write-quorum').
 */
import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { ErasureSet } from '../../src/erasure/set.js';
import { NamespaceLock } from '../../src/lock/namespace-lock.js';
import type { Drive } from '../../src/storage/drive.js';
import type { LocalDrive } from '../../src/storage/local-drive.js';
import { formattedDrives, putBody, withMethod, type DriveRig } from '../helpers/drive-rig.js';

const BUCKET = 'review-bucket';

/** Drives 2-4 fill up after their first shard block: the file write fails as fs does, ENOSPC. */
function fillsUp(drive: LocalDrive, slot: number): Drive {
  if (slot === 0) return drive;
  return withMethod(drive, 'createShardWriter', async (stagingId, file) => {
    const writer = await drive.createShardWriter(stagingId, file);
    let writes = 0;
    return {
      write: (chunks) => {
        if (++writes > 1) return Promise.reject(Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC', errno: -28, syscall: 'write' }));
        return writer.write(chunks);
      },
      finish: () => writer.finish(),
      abort: () => writer.abort(),
    };
  });
}

let rig: DriveRig | undefined;
afterAll(() => rig?.destroy());

describe('drives that fill up mid-stream', () => {
  it('answer storage-full (507), not write-quorum (503)', async () => {
    rig = await formattedDrives(4, [BUCKET], 'tessera-review-');
    const set = new ErasureSet(rig.drives.map(fillsUp), { blockSize: 64 * 1024, inlineLimit: 16 * 1024, defaultParity: 2, locks: new NamespaceLock() });
    const err = await set.putObject(BUCKET, 'large', putBody(randomBytes(5 * 64 * 1024)), { headers: {} }).then(() => undefined, (e: unknown) => e as { kind?: string });
    expect(err?.kind).toBe('storage-full');
  });
});
