/**
 * CompleteMultipartUpload retried after a try that committed but failed before it answered (a crash,
 * lost drive answers): the upload is still there, and the retry names the same data directory as the
 * version the first try committed. Three ways that went wrong, each with its regression test:
 *  - "a retried CompleteMultipartUpload deleted the object's own data": the clean-up of the version
 *    the retry replaced removed that directory;
 *  - "a removal waiting for a reader fired after a retried completion made the directory live again";
 *  - "a failed retry of a completion moved the committed version's parts out of its directory";
 * and two more once versions came (issue 12): the retry is now answered with the version the first
 * try committed, rather than committing the data again as another version:
 *  - "a retried completion across a versioning change put a second version on the same data";
 *  - "a retried completion jumped above a version written after its first try".
 */
import { createHash, randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { ErasureSet } from '../../src/erasure/set.js';
import { armFailpoint } from '../../src/failpoints.js';
import { NamespaceLock } from '../../src/lock/namespace-lock.js';
import type { ObjectRecord } from '../../src/meta/record.js';
import type { ObjectInfo, Versioning } from '../../src/object/types.js';
import { DriveError, type Drive } from '../../src/storage/drive.js';
import { formattedDrives, putBody, readObject, withCommit, type DriveRig } from '../helpers/drive-rig.js';

const BUCKET = 'retried';
const PART = 5 * 1024 * 1024;
const sha256 = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const CTX = { blockSize: 1024 * 1024, inlineLimit: 128 * 1024, defaultParity: 2 };

const rigs: DriveRig[] = [];
afterEach(async () => {
  for (const rig of rigs.splice(0)) await rig.destroy();
});

/** An upload of two parts, completed once: the commit lands on every drive, then the completion fails. */
async function completedOnceThenFailed(set: ErasureSet, versioning?: Versioning): Promise<{ retry: (versioning?: Versioning) => Promise<ObjectInfo>; whole: Buffer }> {
  const upload = await set.uploads.create(BUCKET, 'key', { headers: {} });
  const bodies = [randomBytes(PART), randomBytes(1000)];
  const parts = [];
  for (const [i, body] of bodies.entries()) parts.push(await set.uploads.uploadPart(BUCKET, 'key', upload.uploadId, i + 1, putBody(body)));
  const chosen = parts.map((p) => ({ number: p.number, etag: p.etag }));
  const retry = (again?: Versioning): Promise<ObjectInfo> => set.uploads.complete(BUCKET, 'key', upload.uploadId, chosen, { checksums: () => ({}) }, again);
  const disarm = armFailpoint('multipart.complete.committed', () => {
    throw new Error('crashed after the commit (test)');
  });
  try {
    await expect(retry(versioning)).rejects.toThrow(/crashed/);
  } finally {
    disarm();
  }
  const whole = Buffer.concat(bodies);
  expect(sha256(await readObject(set, BUCKET, 'key'))).toBe(sha256(whole));
  return { retry, whole };
}


describe('CompleteMultipartUpload retried after it committed', () => {
  it("a retried CompleteMultipartUpload deleted the object's own data: it completes, and the object reads back whole", async () => {
    const rig = await formattedDrives(4, [BUCKET], 'tessera-complete-retry-');
    rigs.push(rig);
    const set = new ErasureSet(rig.drives, { ...CTX, locks: new NamespaceLock() });
    const { retry, whole } = await completedOnceThenFailed(set);
    await retry();
    expect(sha256(await readObject(set, BUCKET, 'key'))).toBe(sha256(whole));
  });

  it('a removal waiting for a reader fired after a retried completion made the directory live again: the retry keeps it', async () => {
    const rig = await formattedDrives(4, [BUCKET], 'tessera-complete-retry-');
    rigs.push(rig);
    const set = new ErasureSet(rig.drives, { ...CTX, locks: new NamespaceLock() });
    const { retry, whole } = await completedOnceThenFailed(set);
    const dataDir = (await rig.drives[0].readRecord(BUCKET, 'key'))!.versions[0].dataDir;
    // A slow reader holds the directory's shard files open on every drive...
    const readers = await Promise.all(rig.drives.map((d) => d.openShard(BUCKET, dataDir, 'part.1')));
    // ...while another client overwrites the key (the directory's removal waits for the reader), and
    // the first client's retry completes the upload again into the same directory.
    await set.putObject(BUCKET, 'key', putBody(randomBytes(500)), { headers: {} });
    await retry();
    await Promise.all(readers.map((r) => r.close()));
    await sleep(200);
    expect(sha256(await readObject(set, BUCKET, 'key'))).toBe(sha256(whole));
  });

  it("a failed retry of a completion moved the committed version's parts out of its directory: they stay", async () => {
    const rig = await formattedDrives(4, [BUCKET], 'tessera-complete-retry-');
    rigs.push(rig);
    const set = new ErasureSet(rig.drives, { ...CTX, locks: new NamespaceLock() });
    const { whole } = await completedOnceThenFailed(set);
    // The retry goes through a set whose drives all refuse the commit (a definite failure): it is undone.
    const refusing = rig.drives.map((d) => withCommit(d, async () => Promise.reject(new DriveError('faulty', 'refused (test)'))));
    const upload = (await rig.drives[0].listUploads(BUCKET, ''))[0].record;
    const parts = await set.uploads.listParts(BUCKET, 'key', upload.uploadId);
    const failing = new ErasureSet(refusing, { ...CTX, locks: new NamespaceLock() });
    const chosen = parts.parts.map((p) => ({ number: p.number, etag: p.etag }));
    // The retry finds the version committed and answers with it: nothing is committed (or undone) again.
    await expect(failing.uploads.complete(BUCKET, 'key', upload.uploadId, chosen, { checksums: () => ({}) })).resolves.toMatchObject({ size: whole.length });
    expect(sha256(await readObject(set, BUCKET, 'key'))).toBe(sha256(whole));
    const records: (ObjectRecord | undefined)[] = await Promise.all(rig.drives.map((d) => d.readRecord(BUCKET, 'key')));
    expect(records.every((r) => r?.versions[0].dataDir === upload.dataDir)).toBe(true);
  });

  it('a retried completion across a versioning change put a second version on the same data: the retry answers with the first version', async () => {
    const rig = await formattedDrives(4, [BUCKET], 'tessera-complete-retry-');
    rigs.push(rig);
    const set = new ErasureSet(rig.drives, { ...CTX, locks: new NamespaceLock() });
    const { retry, whole } = await completedOnceThenFailed(set, 'Enabled');
    const first = (await rig.drives[0].readRecord(BUCKET, 'key'))!.versions[0];
    // Versioning was suspended between the tries: the retry must not add a null version on the same data.
    const answered = await retry('Suspended');
    expect(answered.versionId).toBe(first.versionId);
    for (const drive of rig.drives) expect((await drive.readRecord(BUCKET, 'key'))!.versions.map((v) => v.versionId)).toEqual([first.versionId]);
    expect(sha256(await readObject(set, BUCKET, 'key'))).toBe(sha256(whole));
    // Deleting that version leaves nothing that names its data.
    await set.deleteVersion(BUCKET, 'key', first.versionId);
    for (const drive of rig.drives) expect(await drive.readRecord(BUCKET, 'key')).toBeUndefined();
  });

  it('a retried completion jumped above a version written after its first try: it stays where its first try put it', async () => {
    const rig = await formattedDrives(4, [BUCKET], 'tessera-complete-retry-');
    rigs.push(rig);
    const set = new ErasureSet(rig.drives, { ...CTX, locks: new NamespaceLock() });
    const { retry } = await completedOnceThenFailed(set, 'Enabled');
    const later = await set.putObject(BUCKET, 'key', putBody(Buffer.from('written after the first try')), { headers: {} }, 'Enabled');
    const answered = await retry('Enabled');
    const versions = (await rig.drives[0].readRecord(BUCKET, 'key'))!.versions;
    expect(versions.map((v) => v.versionId)).toEqual([later.versionId, answered.versionId]);
    expect((await set.getObjectInfo(BUCKET, 'key')).versionId).toBe(later.versionId);
  });
});
