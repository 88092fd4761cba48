/**
 * Regression: a repeated CompleteMultipartUpload (its first answer lost) is answered with the version
 * the first one made, but only when a write quorum of drives still showed that version. A commit
 * that landed on exactly a write quorum, with one of those drives offline afterwards, left a version
 * every GET served while the retry answered NoSuchUpload: lib-storage then aborts and reports an
 * acknowledged object as failed. The upload is gone, so a readable version is a committed one; and
 * drives too few to tell are a 503, never NoSuchUpload.
 */
import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { ErasureSet } from '../../src/erasure/set.js';
import { NamespaceLock } from '../../src/lock/namespace-lock.js';
import { faulty, formattedDrives, putBody, readObject, type DriveRig, type Faults } from '../helpers/drive-rig.js';

const BUCKET = 'degraded-retry';
const rigs: DriveRig[] = [];
afterEach(async () => {
  for (const rig of rigs.splice(0)) await rig.destroy();
});

/** 8 drives, EC 4+4: an upload of one part completed while drives 5-7 refused writes (the commit is on exactly 5). */
async function completedOnWriteQuorum() {
  const rig = await formattedDrives(8, [BUCKET], 'tessera-degraded-retry-');
  rigs.push(rig);
  const faults: Faults[] = rig.drives.map(() => ({ offline: false, failWrites: false }));
  const set = new ErasureSet(rig.drives.map((d, i) => faulty(d, faults[i]!)), { blockSize: 1024 * 1024, inlineLimit: 128 * 1024, defaultParity: 4, locks: new NamespaceLock() });
  const upload = await set.uploads.create(BUCKET, 'key', { headers: {} });
  const body = randomBytes(1000);
  const part = await set.uploads.uploadPart(BUCKET, 'key', upload.uploadId, 1, putBody(body));
  const chosen = [{ number: 1, etag: part.etag }];
  const complete = () => set.uploads.complete(BUCKET, 'key', upload.uploadId, chosen, { checksums: () => ({}) });
  for (const i of [5, 6, 7]) faults[i]!.failWrites = true;
  const first = await complete();
  for (const i of [5, 6, 7]) faults[i]!.failWrites = false;
  return { set, faults, body, first, complete };
}

describe('a repeated completion after a drive that held the commit went offline', () => {
  it('is answered with the version the first completion made, which reads back', async () => {
    const { set, faults, body, first, complete } = await completedOnWriteQuorum();
    faults[0]!.offline = true;
    expect(await readObject(set, BUCKET, 'key')).toEqual(body);
    const again = await complete();
    expect([again.versionId, again.etag]).toEqual([first.versionId, first.etag]);
  });

  it('with too few of the drives that hold the version answering to read it, is a read-quorum error, not NoSuchUpload', async () => {
    const { faults, complete } = await completedOnWriteQuorum();
    for (const i of [0, 1, 2]) faults[i]!.offline = true;
    await expect(complete()).rejects.toMatchObject({ kind: 'read-quorum' });
  });
});
