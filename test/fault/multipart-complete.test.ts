/**
 * Issue 10, failure 4: "A failed CompleteMultipartUpload destroys acknowledged parts". A completion
 * that misses write quorum must leave the upload as it was: its parts listed and their data in
 * place, so that a retry once the drives are back completes it with the right bytes.
 * The failure is made with a failpoint (src/failpoints.ts) armed through TESSERA_FAILPOINTS: two of
 * the four drives fail between placing the data and writing the record.
 */
import { randomBytes } from 'node:crypto';
import { CompleteMultipartUploadCommand, CreateBucketCommand, CreateMultipartUploadCommand, GetObjectCommand, ListPartsCommand, UploadPartCommand } from '@aws-sdk/client-s3';
import { afterAll, describe, expect, it } from 'vitest';
import { sha256Hex } from '../helpers/raw.js';
import { TestServer } from '../helpers/server.js';

const BUCKET = 'completion';
const KEY = 'big';
const MiB = 1024 * 1024;

describe('CompleteMultipartUpload without write quorum', () => {
  let server: TestServer | undefined;
  afterAll(async () => server?.destroy());

  it('a failed CompleteMultipartUpload destroys acknowledged parts: it does not, and a retry completes with the right bytes', async () => {
    server = await TestServer.start({ drives: 4 });
    let s3 = server.client();
    await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
    const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: BUCKET, Key: KEY }));
    const bodies = [randomBytes(5 * MiB), randomBytes(5 * MiB), randomBytes(MiB)];
    const parts = [];
    for (const [i, body] of bodies.entries()) {
      const { ETag } = await s3.send(new UploadPartCommand({ Bucket: BUCKET, Key: KEY, UploadId, PartNumber: i + 1, Body: body }));
      parts.push({ PartNumber: i + 1, ETag });
    }
    // Complete with parts 1 and 3 only: part 2 must survive a failed completion too.
    const chosen = [parts[0], parts[2]];
    s3.destroy();
    await server.stop();

    server.env = { TESSERA_FAILPOINTS: 'local-drive.commit.placed=error:2' };
    await server.launch();
    s3 = server.client({ maxAttempts: 1 });
    await expect(s3.send(new CompleteMultipartUploadCommand({ Bucket: BUCKET, Key: KEY, UploadId, MultipartUpload: { Parts: chosen } }))).rejects.toMatchObject({
      $metadata: { httpStatusCode: 503 },
    });
    s3.destroy();
    await server.stop();

    server.env = {};
    await server.launch();
    s3 = server.client();
    const listed = await s3.send(new ListPartsCommand({ Bucket: BUCKET, Key: KEY, UploadId }));
    expect(listed.Parts?.map((p) => p.PartNumber)).toEqual([1, 2, 3]);
    await s3.send(new CompleteMultipartUploadCommand({ Bucket: BUCKET, Key: KEY, UploadId, MultipartUpload: { Parts: chosen } }));
    const got = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: KEY }));
    expect(sha256Hex(await got.Body!.transformToByteArray())).toBe(sha256Hex(Buffer.concat([bodies[0], bodies[2]])));
    s3.destroy();
  });
});
