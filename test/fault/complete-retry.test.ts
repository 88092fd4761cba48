/**
 * "A retried CompleteMultipartUpload deleted the object's own data": a completion that committed but
 * failed before it could answer (a crash, lost drive answers) leaves its upload behind; the client's
 * retry commits the same data directory again, and the clean-up of the version it replaced removed
 * that directory, the data of both. The retry must complete, and the object must read back whole.
 */
import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErasureSet } from '../../src/erasure/set.js';
import { armFailpoint } from '../../src/failpoints.js';
import { NamespaceLock } from '../../src/lock/namespace-lock.js';
import { formattedDrives, putBody, readObject, type DriveRig } from '../helpers/drive-rig.js';

const BUCKET = 'retried';
const sha256 = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');
const PART = 5 * 1024 * 1024;


describe('CompleteMultipartUpload retried after it committed', () => {
  let rig: DriveRig;
  beforeAll(async () => {
    rig = await formattedDrives(4, [BUCKET], 'tessera-complete-retry-');
  });
  afterAll(() => rig.destroy());

  it('a retried CompleteMultipartUpload deleted the object\'s own data: it completes, and the object reads back whole', async () => {
    const set = new ErasureSet(rig.drives, { blockSize: 1024 * 1024, inlineLimit: 128 * 1024, defaultParity: 2, locks: new NamespaceLock() });
    const upload = await set.uploads.create(BUCKET, 'key', { headers: {} });
    const bodies = [randomBytes(PART), randomBytes(1000)];
    const parts = [];
    for (const [i, body] of bodies.entries()) parts.push(await set.uploads.uploadPart(BUCKET, 'key', upload.uploadId, i + 1, putBody(body)));
    const chosen = parts.map((p) => ({ number: p.number, etag: p.etag }));
    const options = { checksums: () => ({}) };

    // The first completion commits on every drive, then fails before it removes the upload.
    const disarm = armFailpoint('multipart.complete.committed', () => {
      throw new Error('crashed after the commit (test)');
    });
    try {
      await expect(set.uploads.complete(BUCKET, 'key', upload.uploadId, chosen, options)).rejects.toThrow(/crashed/);
    } finally {
      disarm();
    }
    const whole = Buffer.concat(bodies);
    expect(sha256(await readObject(set, BUCKET, 'key'))).toBe(sha256(whole));

    await set.uploads.complete(BUCKET, 'key', upload.uploadId, chosen, options);
    expect(sha256(await readObject(set, BUCKET, 'key'))).toBe(sha256(whole));
  });
});
