/**
 * Issue 10, failure 1: "Overwrite crash with parity below N/2 loses both versions". With
 * REDUCED_REDUNDANCY on four drives (3 data + 1 parity: read quorum 3, write quorum 3) the server is
 * killed after the new record reached two drives and before the commit could be undone: two drives
 * hold the new version, two the old, and neither has read quorum by its drives' current versions.
 * The overwrite was never acknowledged, so the old version must still be served, heal must restore
 * it on every drive (not remove every copy as dangling), and the new one's data must go.
 * The crash is made with failpoints armed through TESSERA_FAILPOINTS: two drives fail after their
 * data was placed, the other two record the new version, and the process dies where it would undo.
 */
import { randomBytes } from 'node:crypto';
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, describe, expect, it } from 'vitest';
import { AdminClient } from '../../src/admin/client.js';
import { readRecords, verifyDrives } from '../helpers/heal-disk.js';
import { sha256Hex } from '../helpers/raw.js';
import { ACCESS_KEY, SECRET_KEY, TestServer } from '../helpers/server.js';

const BUCKET = 'overwrites';
const CRASH_MID_COMMIT = 'local-drive.commit.placed=error:2;erasure-set.commit.missed-quorum=crash:1';

async function put(s3: S3Client, key: string, body: Buffer): Promise<void> {
  await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: body, StorageClass: 'REDUCED_REDUNDANCY' }));
}

async function bodyOf(s3: S3Client, key: string): Promise<string> {
  const res = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
  return sha256Hex(Buffer.from(await res.Body!.transformToByteArray()));
}

describe('an overwrite that crashes mid-commit', () => {
  let server: TestServer | undefined;
  afterAll(async () => server?.destroy());

  // An inline object (its shards in the records) and one with part files.
  it.each([
    ['small', 1000],
    ['large', 3 * 1024 * 1024 + 17],
  ])('overwrite crash with parity below N/2 loses both versions: it keeps the old one (%s object)', async (key, size) => {
    server ??= await TestServer.start({ drives: 4 });
    let s3 = server.client();
    await s3.send(new CreateBucketCommand({ Bucket: BUCKET })).catch(() => undefined);
    const old = randomBytes(size);
    await put(s3, key, old);
    s3.destroy();
    await server.stop();

    server.env = { TESSERA_FAILPOINTS: CRASH_MID_COMMIT };
    await server.launch();
    s3 = server.client({ maxAttempts: 1 });
    await expect(put(s3, key, randomBytes(size))).rejects.toThrow();
    s3.destroy();
    await server.stop();
    expect(server.proc?.signalCode).toBe('SIGKILL');

    // The crash left the drives split two and two.
    const records = await Promise.all(server.drives.map((drive) => readRecords(drive, [{ bucket: BUCKET, key }])));
    const etags = records.map(([record]) => record?.versions[0]?.etag);
    expect(new Set(etags).size).toBe(2);

    server.env = {};
    await server.launch();
    s3 = server.client();
    expect(await bodyOf(s3, key)).toBe(sha256Hex(old));

    const admin = new AdminClient({ url: server.endpoint, accessKey: ACCESS_KEY, secretKey: SECRET_KEY });
    for await (const line of admin.heal({ bucket: BUCKET, prefix: key, recursive: true })) void line;
    expect(await bodyOf(s3, key)).toBe(sha256Hex(old));
    s3.destroy();
    await server.stop();

    // A census of the drives: every drive holds the old version whole.
    const report = await verifyDrives(server.drives, [{ bucket: BUCKET, key, body: old }]);
    expect(report.problems).toEqual([]);
    expect(report.shards.get(`${BUCKET}/${key}`)).toBe(4);
    server.env = {};
    await server.launch();
  });
});
