/**
 * Records below read quorum (a write cut short, drives replaced and not yet healed). A listing shows
 * only keys whose record reaches read quorum; such a key is still data until heal decides:
 *  - issue 10, failure 2: "DeleteBucket destroys objects a listing cannot currently read": a bucket
 *    is empty only when every drive says it holds no record at all;
 *  - a listing that meets such a key does not drop it silently: it queues the key for heal, which
 *    removes a record that every drive shows to be dangling.
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { CreateBucketCommand, DeleteBucketCommand, ListBucketsCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { afterEach, describe, expect, it } from 'vitest';
import { LocalDrive } from '../../src/storage/local-drive.js';
import { readRecords } from '../helpers/heal-disk.js';
import { TestServer } from '../helpers/server.js';

const BUCKET = 'dangling';
const KEY = 'only-one-record-left';

async function dataDirs(drive: string): Promise<string[]> {
  const bucketDir = join(drive, BUCKET);
  const found: string[] = [];
  for (const prefix of await readdir(bucketDir).catch(() => [] as string[])) found.push(...(await readdir(join(bucketDir, prefix))));
  return found;
}

/** A server whose object KEY has its record (and data) on the first drive only; `env` for its restart. */
async function serverWithDanglingRecord(env: Record<string, string> = {}): Promise<{ server: TestServer; s3: S3Client }> {
  const server = await TestServer.start({ drives: 4 });
  const s3 = server.client();
  await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
  await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: KEY, Body: Buffer.alloc(300 * 1024, 7) }));
  await server.stop();
  for (const path of server.drives.slice(1)) {
    const drive = new LocalDrive(path);
    await drive.open();
    await drive.writeRecord(BUCKET, KEY, undefined);
    await drive.close();
  }
  server.env = env;
  await server.launch();
  return { server, s3 };
}

describe('records below read quorum', () => {
  let server: TestServer | undefined;
  afterEach(async () => server?.destroy());

  it('DeleteBucket destroys objects a listing cannot currently read: a bucket whose only record is on one drive is not empty', async () => {
    // Healing off: the listing below queues the key for heal, which would remove the record first.
    const started = await serverWithDanglingRecord({ TESSERA_HEAL: 'off' });
    server = started.server;
    const before = await dataDirs(server.drives[0]);
    expect(before).toHaveLength(1);
    const listed = await started.s3.send(new ListObjectsV2Command({ Bucket: BUCKET }));
    expect(listed.KeyCount, 'one record of four is below read quorum: the listing does not show it').toBe(0);
    await expect(started.s3.send(new DeleteBucketCommand({ Bucket: BUCKET }))).rejects.toMatchObject({ name: 'BucketNotEmpty', $metadata: { httpStatusCode: 409 } });
    expect((await started.s3.send(new ListBucketsCommand({}))).Buckets?.map((b) => b.Name)).toContain(BUCKET);
    expect(await dataDirs(server.drives[0])).toEqual(before);
    started.s3.destroy();
  });

  it('a listing does not drop such a key silently: heal hears of it and removes the dangling record', async () => {
    const started = await serverWithDanglingRecord();
    server = started.server;
    const listed = await started.s3.send(new ListObjectsV2Command({ Bucket: BUCKET }));
    expect(listed.KeyCount).toBe(0);
    const deadline = Date.now() + 20_000;
    while ((await readRecords(server.drives[0], [{ bucket: BUCKET, key: KEY }]))[0] !== undefined) {
      expect(Date.now(), `the dangling record is still on drive 1:\n${server.output}`).toBeLessThan(deadline);
      await new Promise((r) => setTimeout(r, 200));
    }
    // and then the bucket is empty indeed
    await started.s3.send(new DeleteBucketCommand({ Bucket: BUCKET }));
    started.s3.destroy();
  });
});
