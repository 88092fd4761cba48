/**
 * Issue 10, failure 3: "A PUT racing DeleteBucket is acknowledged into the deleted bucket, and the
 * object reappears when someone re-creates a bucket of that name". The race is opened wide with a
 * failpoint that holds DeleteBucket between its emptiness check and the deletion on the drives.
 */
import { CreateBucketCommand, DeleteBucketCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, describe, expect, it } from 'vitest';
import { TestServer } from '../helpers/server.js';

const BUCKET = 'raced';

describe('DeleteBucket racing a PUT', () => {
  let server: TestServer | undefined;
  afterAll(async () => server?.destroy());

  it('a PUT racing DeleteBucket is acknowledged into the deleted bucket: either the PUT fails or the bucket stays, with the object', async () => {
    server = await TestServer.start({ drives: 4 });
    server.env = { TESSERA_FAILPOINTS: 'pool.delete-bucket.checked=sleep:1500' };
    await server.stop();
    await server.launch();
    const s3 = server.client({ maxAttempts: 1 });
    await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));

    const deletion = s3.send(new DeleteBucketCommand({ Bucket: BUCKET })).then(
      () => 'deleted',
      (err: { name: string }) => err.name,
    );
    await new Promise((r) => setTimeout(r, 500)); // DeleteBucket has found the bucket empty and waits at the failpoint
    const put = await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'racer', Body: 'acknowledged?' })).then(
      () => 'acknowledged',
      (err: { name: string }) => err.name,
    );
    const deleted = await deletion;
    console.log(`PUT: ${put}; DeleteBucket: ${deleted}`);

    if (put === 'acknowledged') {
      // an acknowledged object keeps its bucket, and reads back
      expect(deleted).toBe('BucketNotEmpty');
      const got = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'racer' }));
      expect(await got.Body!.transformToString()).toBe('acknowledged?');
    } else {
      // the bucket went first: a bucket made again under its name is empty
      expect(deleted).toBe('deleted');
      await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
      expect((await s3.send(new ListObjectsV2Command({ Bucket: BUCKET }))).KeyCount).toBe(0);
    }
    s3.destroy();
  });
});
