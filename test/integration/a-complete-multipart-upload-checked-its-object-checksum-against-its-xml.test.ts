/**
 * CompleteMultipartUpload's x-amz-checksum-* header is the checksum of the object the upload makes
 * (what the SDK sends for ChecksumCRC32 & co.), but the request's XML body was read like an upload's
 * body and checked against it: every completion that declared its object's checksum failed with
 * BadDigest ("The CRC32 you specified did not match the calculated checksum").
 */
import { randomBytes } from 'node:crypto';
import { CompleteMultipartUploadCommand, CreateBucketCommand, CreateMultipartUploadCommand, HeadObjectCommand, UploadPartCommand, type CompletedPart, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { crc32Base64 } from '../helpers/raw.js';
import { TestServer } from '../helpers/server.js';

const MiB = 1024 * 1024;

describe('a CompleteMultipartUpload checked its object checksum against its XML', () => {
  let server: TestServer;
  let s3: S3Client;
  const Bucket = 'declared-checksum';

  beforeAll(async () => {
    server = await TestServer.start({ drives: 4 });
    s3 = server.client();
    await s3.send(new CreateBucketCommand({ Bucket }));
  });

  afterAll(async () => {
    s3?.destroy();
    await server?.destroy();
  });

  it('the SDK completes a FULL_OBJECT CRC32 upload that declares the object\'s CRC32', async () => {
    const bodies = [randomBytes(5 * MiB), randomBytes(321)];
    const Key = 'declared';
    const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket, Key, ChecksumAlgorithm: 'CRC32', ChecksumType: 'FULL_OBJECT' }));
    const Parts: CompletedPart[] = [];
    for (const [i, Body] of bodies.entries()) {
      const r = await s3.send(new UploadPartCommand({ Bucket, Key, UploadId, PartNumber: i + 1, Body, ChecksumAlgorithm: 'CRC32' }));
      Parts.push({ PartNumber: i + 1, ETag: r.ETag, ChecksumCRC32: r.ChecksumCRC32 });
    }
    const whole = crc32Base64(Buffer.concat(bodies));
    const done = await s3.send(new CompleteMultipartUploadCommand({ Bucket, Key, UploadId, MultipartUpload: { Parts }, ChecksumCRC32: whole, ChecksumType: 'FULL_OBJECT' }));
    expect([done.ChecksumCRC32, done.ChecksumType]).toEqual([whole, 'FULL_OBJECT']);
    const head = await s3.send(new HeadObjectCommand({ Bucket, Key, ChecksumMode: 'ENABLED' }));
    expect([head.ChecksumCRC32, head.ChecksumType]).toEqual([whole, 'FULL_OBJECT']);
  });
});
