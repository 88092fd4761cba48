/**
 * Issue 10, failure 2: "DeleteBucket destroys objects a listing cannot currently read". A listing
 * shows only keys whose record reaches read quorum; a bucket is empty only when every drive says it
 * holds no record at all, so an object whose record survives on one drive (until heal decides) is
 * never deleted with its bucket.
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { CreateBucketCommand, DeleteBucketCommand, ListBucketsCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, describe, expect, it } from 'vitest';
import { LocalDrive } from '../../src/storage/local-drive.js';
import { TestServer } from '../helpers/server.js';

const BUCKET = 'dangling';
const KEY = 'only-one-record-left';

async function dataDirs(drive: string): Promise<string[]> {
  const bucketDir = join(drive, BUCKET);
  const found: string[] = [];
  for (const prefix of await readdir(bucketDir).catch(() => [] as string[])) found.push(...(await readdir(join(bucketDir, prefix))));
  return found;
}

describe('DeleteBucket and records below read quorum', () => {
  let server: TestServer | undefined;
  afterAll(async () => server?.destroy());

  it('DeleteBucket destroys objects a listing cannot currently read: a bucket whose only record is on one drive is not empty', async () => {
    server = await TestServer.start({ drives: 4 });
    const s3 = server.client();
    await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: KEY, Body: Buffer.alloc(300 * 1024, 7) }));
    await server.stop();

    // Three drives lose the record (as after a crash mid-write, or drives replaced and not yet healed).
    for (const path of server.drives.slice(1)) {
      const drive = new LocalDrive(path);
      await drive.open();
      await drive.writeRecord(BUCKET, KEY, undefined);
      await drive.close();
    }
    const before = await dataDirs(server.drives[0]);
    expect(before).toHaveLength(1);

    await server.launch();
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: BUCKET }));
    expect(listed.KeyCount, 'one record of four is below read quorum: the listing does not show it').toBe(0);
    await expect(s3.send(new DeleteBucketCommand({ Bucket: BUCKET }))).rejects.toMatchObject({ name: 'BucketNotEmpty', $metadata: { httpStatusCode: 409 } });
    expect((await s3.send(new ListBucketsCommand({}))).Buckets?.map((b) => b.Name)).toContain(BUCKET);
    expect(await dataDirs(server.drives[0])).toEqual(before);
    s3.destroy();
  });
});
