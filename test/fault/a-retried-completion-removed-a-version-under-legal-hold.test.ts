/**
 * Issue 12, found by review: "a retried completion removed a version under legal hold". The first
 * try of a CompleteMultipartUpload committed on two drives of four and died before answering; the
 * retry found that version below write quorum, and before the retry's commit took the object's lock,
 * heal completed the version and a client put a legal hold on it. The retry's commit dropped every
 * version on its data directory: the held version went. Now a commit never drops a version anyone
 * could not delete, and the retry answers with the version its first try committed.
 */
import { randomBytes } from 'node:crypto';
import { afterEach, expect, it } from 'vitest';
import { healObject } from '../../src/erasure/heal.js';
import { ErasureSet } from '../../src/erasure/set.js';
import { armFailpoint } from '../../src/failpoints.js';
import { NamespaceLock } from '../../src/lock/namespace-lock.js';
import { formattedDrives, putBody, type DriveRig } from '../helpers/drive-rig.js';

const BUCKET = 'retried';
let rig: DriveRig | undefined;
afterEach(async () => rig?.destroy());

it('a retried completion removed a version under legal hold that heal had completed meanwhile: the retry answers with that version', async () => {
  rig = await formattedDrives(4, [BUCKET], 'tessera-retry-hold-');
  const set = new ErasureSet(rig.drives, { blockSize: 1024 * 1024, inlineLimit: 128 * 1024, defaultParity: 2, locks: new NamespaceLock() });
  const upload = await set.uploads.create(BUCKET, 'key', { headers: {} });
  const p1 = await set.uploads.uploadPart(BUCKET, 'key', upload.uploadId, 1, putBody(randomBytes(5 * 1024 * 1024)));
  const p2 = await set.uploads.uploadPart(BUCKET, 'key', upload.uploadId, 2, putBody(randomBytes(1000)));
  const chosen = [p1, p2].map((p) => ({ number: p.number, etag: p.etag }));
  const complete = () => set.uploads.complete(BUCKET, 'key', upload.uploadId, chosen, { checksums: () => ({}) }, 'Enabled');
  const disarm = armFailpoint('multipart.complete.committed', () => {
    throw new Error('crashed after the commit (test)');
  });
  await expect(complete()).rejects.toThrow(/crashed/);
  disarm();
  const first = (await rig.drives[0].readRecord(BUCKET, 'key'))!.versions[0].versionId;
  // The commit had reached only two drives (below write quorum 3).
  for (const slot of [2, 3]) await rig.drives[slot].writeRecord(BUCKET, 'key', undefined);
  // Between the retry's look and its commit: heal completes the version, a client holds it.
  const original = set.committedVersionWithData.bind(set);
  let raced = false;
  set.committedVersionWithData = async (...args) => {
    const found = await original(...args);
    if (!raced) {
      raced = true;
      await healObject(set, BUCKET, 'key');
      await set.updateVersion(BUCKET, 'key', first, () => ({ legalHold: true }));
    }
    return found;
  };
  const answered = await complete();
  expect(answered.versionId).toBe(first);
  expect(await set.getObjectInfo(BUCKET, 'key', first)).toMatchObject({ legalHold: true });
  for (const drive of rig.drives) expect((await drive.readRecord(BUCKET, 'key'))!.versions.map((v) => v.versionId)).toEqual([first]);
});
