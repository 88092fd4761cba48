/**
 * Found by the torture suite (30-minute run, parity 1, seed 1582108621, at 401 s): a drive was wiped
 * and went offline; an overwrite made while it was offline reached two of the three drives left and
 * the node died mid-commit. At restart the wiped drive is formatted again, empty. The drives then show
 * the unacknowledged new version on two drives, the acknowledged old one on the third (and as the
 * version the new one replaced on the two), and nothing on the fourth. A drive without any record may
 * have lost the new version with its disk, so the old one was not served (503), and heal then removed
 * every copy of the key as dangling: GET answered 404 for an acknowledged write.
 *
 * The fourth drive cannot hold a version whose commit was never sent to it: each version's record now
 * names the slots it was not sent to, and only the others count as drives that may hide a copy.
 */
import { randomBytes } from 'node:crypto';
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { CreateBucketCommand, GetObjectCommand, HeadObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, describe, expect, it } from 'vitest';
import { AdminClient } from '../../src/admin/client.js';
import { readRecords, verifyDrives } from '../helpers/heal-disk.js';
import { sha256Hex } from '../helpers/raw.js';
import { ACCESS_KEY, SECRET_KEY, TestServer } from '../helpers/server.js';

const BUCKET = 'wiped';
// One of the three live drives fails its commit, two record the new version, and the process dies
// where it would undo them.
const CRASH_MID_COMMIT = 'local-drive.commit.placed=error:1;erasure-set.commit.missed-quorum=crash:1';

async function put(s3: S3Client, key: string, body: Buffer): Promise<void> {
  await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: body, StorageClass: 'REDUCED_REDUNDANCY' }));
}

async function bodyOf(s3: S3Client, key: string): Promise<string> {
  const res = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
  return sha256Hex(Buffer.from(await res.Body!.transformToByteArray()));
}

async function wipe(drive: string): Promise<void> {
  for (const entry of await readdir(drive)) await rm(join(drive, entry), { recursive: true, force: true });
}

describe('an overwrite made while a drive was wiped, cut short by a crash', () => {
  let server: TestServer | undefined;
  afterAll(async () => server?.destroy());

  it.each([
    ['small', 1000],
    ['large', 3 * 1024 * 1024 + 17],
  ])('a wiped drive without any record does not hide the version an interrupted overwrite replaced (%s object)', async (key, size) => {
    // No background healing: the wiped drive stays offline until the restart formats it again, and
    // the first GET after it is answered from what the crash left, before any heal.
    server ??= await TestServer.start({ drives: 4, env: { TESSERA_HEAL: 'off' } });
    let s3 = server.client();
    await s3.send(new CreateBucketCommand({ Bucket: BUCKET })).catch(() => undefined);
    const old = randomBytes(size);
    await put(s3, key, old);
    s3.destroy();
    await server.stop();

    server.env = { ...server.env, TESSERA_FAILPOINTS: CRASH_MID_COMMIT };
    await server.launch();
    s3 = server.client({ maxAttempts: 1 });
    await wipe(server.drives[3]);
    // A read notices the wipe (the drive's identity is checked at most every 100 ms) and the drive goes offline.
    await new Promise((r) => setTimeout(r, 150));
    await s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key }));
    await expect(put(s3, key, randomBytes(size))).rejects.toThrow();
    s3.destroy();
    await server.stop();
    expect(server.proc?.signalCode).toBe('SIGKILL');

    // Two drives hold the new version, one the old, the wiped one nothing.
    const records = await Promise.all(server.drives.map((drive) => readRecords(drive, [{ bucket: BUCKET, key }])));
    const etags = records.map(([record]) => record?.versions[0]?.etag);
    expect(etags[3]).toBeUndefined();
    expect(new Set(etags.slice(0, 3)).size).toBe(2);

    server.env = { ...server.env, TESSERA_FAILPOINTS: '' };
    await server.launch();
    s3 = server.client();
    expect(await bodyOf(s3, key)).toBe(sha256Hex(old));

    const admin = new AdminClient({ url: server.endpoint, accessKey: ACCESS_KEY, secretKey: SECRET_KEY });
    for await (const line of admin.heal({ bucket: BUCKET, prefix: key, recursive: true })) void line;
    expect(await bodyOf(s3, key)).toBe(sha256Hex(old));
    s3.destroy();
    await server.stop();

    // A census of the drives: every drive, the formatted-again one too, holds the old version whole.
    const report = await verifyDrives(server.drives, [{ bucket: BUCKET, key, body: old }]);
    expect(report.problems).toEqual([]);
    expect(report.shards.get(`${BUCKET}/${key}`)).toBe(4);
    await server.launch();
  });
});
