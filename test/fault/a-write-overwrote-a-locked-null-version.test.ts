/**
 * Issue 12, found by attack: "a write overwrote a locked null version". A PUT (or copy, POST,
 * multipart completion, or a DELETE in a suspended bucket) that began while the bucket had no
 * versioning commits its version as the `null` one, replacing the `null` version in place; Object
 * Lock enabled on the bucket meanwhile, and a COMPLIANCE retention put on that `null` version, did not
 * stop it, and the locked version's record and data went. The commit now checks, under the object's
 * lock, every drive's copy of the version it replaces, as a delete does.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ErasureSet } from '../../src/erasure/set.js';
import { NamespaceLock } from '../../src/lock/namespace-lock.js';
import { formattedDrives, putBody, readObject, type DriveRig } from '../helpers/drive-rig.js';

const BUCKET = 'late-lock';
const CTX = { blockSize: 64 * 1024, inlineLimit: 16 * 1024, defaultParity: 2 };

describe('a write that replaces a locked null version', () => {
  let rig: DriveRig | undefined;
  afterEach(async () => rig?.destroy());

  it.each([
    ['inline', 1000],
    ['in part files', 200 * 1024],
  ])('a write overwrote a locked null version: it is refused, and the version stays whole (%s)', async (_, size) => {
    rig = await formattedDrives(4, [BUCKET], 'tessera-late-lock-');
    const set = new ErasureSet(rig.drives, { ...CTX, locks: new NamespaceLock() });
    const precious = Buffer.alloc(size, 7);
    await set.putObject(BUCKET, 'k', putBody(precious), { headers: {} });
    // Object Lock came to the bucket, and the null version was put under COMPLIANCE.
    await set.updateVersion(BUCKET, 'k', 'null', () => ({ retention: { mode: 'COMPLIANCE', until: Date.now() + 3_600_000 } }));
    // A PUT that began before, as a bucket without versioning writes: the null version in place.
    await expect(set.putObject(BUCKET, 'k', putBody(Buffer.alloc(size, 9)), { headers: {} })).rejects.toMatchObject({ kind: 'object-locked' });
    // And a DELETE as a suspended bucket makes one: a null delete marker in its place.
    await expect(set.deleteObject(BUCKET, 'k', 'Suspended')).rejects.toMatchObject({ kind: 'object-locked' });
    expect((await readObject(set, BUCKET, 'k')).equals(precious)).toBe(true);
    expect((await set.getObjectInfo(BUCKET, 'k', 'null')).retention?.mode).toBe('COMPLIANCE');
    // Versions above it are new ids: those are allowed.
    await set.putObject(BUCKET, 'k', putBody(Buffer.alloc(10, 1)), { headers: {} }, 'Enabled');
    expect((await readObject(set, BUCKET, 'k')).length).toBe(10);
  });
});
