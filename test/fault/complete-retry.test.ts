/**
 * CompleteMultipartUpload retried after a try that committed but failed before it answered (a crash,
 * lost drive answers): the upload is still there, and the retry names the same data directory as the
 * version the first try committed. Three ways that went wrong, each with its regression test:
 *  - "a retried CompleteMultipartUpload deleted the object's own data": the clean-up of the version
 *    the retry replaced removed that directory;
 *  - "a removal waiting for a reader fired after a retried completion made the directory live again";
 *  - "a failed retry of a completion moved the committed version's parts out of its directory".
 */
import { createHash, randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { ErasureSet } from '../../src/erasure/set.js';
import { armFailpoint } from '../../src/failpoints.js';
import { NamespaceLock } from '../../src/lock/namespace-lock.js';
import type { ObjectRecord } from '../../src/meta/record.js';
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
async function completedOnceThenFailed(set: ErasureSet): Promise<{ retry: () => Promise<unknown>; whole: Buffer }> {
  const upload = await set.uploads.create(BUCKET, 'key', { headers: {} });
  const bodies = [randomBytes(PART), randomBytes(1000)];
  const parts = [];
  for (const [i, body] of bodies.entries()) parts.push(await set.uploads.uploadPart(BUCKET, 'key', upload.uploadId, i + 1, putBody(body)));
  const chosen = parts.map((p) => ({ number: p.number, etag: p.etag }));
  const retry = (): Promise<unknown> => set.uploads.complete(BUCKET, 'key', upload.uploadId, chosen, { checksums: () => ({}) });
  const disarm = armFailpoint('multipart.complete.committed', () => {
    throw new Error('crashed after the commit (test)');
  });
  try {
    await expect(retry()).rejects.toThrow(/crashed/);
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
    await expect(failing.uploads.complete(BUCKET, 'key', upload.uploadId, chosen, { checksums: () => ({}) })).rejects.toMatchObject({ kind: 'write-quorum' });
    expect(sha256(await readObject(set, BUCKET, 'key'))).toBe(sha256(whole));
    const records: (ObjectRecord | undefined)[] = await Promise.all(rig.drives.map((d) => d.readRecord(BUCKET, 'key')));
    expect(records.every((r) => r?.versions[0].dataDir === upload.dataDir)).toBe(true);
  });
});
