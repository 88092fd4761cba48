/**
 * A CompleteMultipartUpload whose answer the client never got (a dropped connection, a timeout) is sent
 * again by the SDKs. The upload was gone by then, so the retry answered 404 NoSuchUpload and an ordinary
 * lib-storage Upload failed (and aborted) although the object had been made. S3 answers a repeated
 * completion with the object it made, while that object is there and the request names the same parts.
 */
import { createHash, randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  CompleteMultipartUploadCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  PutBucketVersioningCommand,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
  type CompletedPart,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACCESS_KEY, SECRET_KEY, TestServer, endServer, serverWithBuckets } from '../helpers/server.js';

const MiB = 1024 * 1024;
const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

async function errorName(p: Promise<unknown>): Promise<string> {
  return p.then(
    () => 'no error',
    (err: Error) => err.name,
  );
}

/**
 * A proxy in front of the server that lets the server carry out the first CompleteMultipartUpload and
 * then drops the client's connection instead of handing it the answer, as a lost answer looks.
 */
async function answerLosingProxy(target: string): Promise<{ endpoint: string; dropped: () => number; close: () => Promise<void> }> {
  let dropped = 0;
  const upstream = new URL(target);
  const proxy = http.createServer((req, res) => {
    const forward = http.request({ host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers }, (answer) => {
      const completion = req.method === 'POST' && /[?&]uploadId=/.test(req.url ?? '');
      if (completion && dropped === 0) {
        dropped++;
        answer.resume();
        answer.on('end', () => req.socket.destroy());
        return;
      }
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    forward.on('error', () => res.destroy());
    req.pipe(forward);
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  const { port } = proxy.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    dropped: () => dropped,
    close: () => new Promise((resolve) => proxy.close(() => resolve())),
  };
}

describe('a repeated CompleteMultipartUpload answered NoSuchUpload', () => {
  let server: TestServer;
  let s3: S3Client;
  const bucket = 'repeated-completion';

  beforeAll(async () => ({ server, s3 } = await serverWithBuckets([bucket], { drives: 4 })));

  afterAll(() => endServer(server, s3));

  async function uploadedParts(Key: string, bodies: Buffer[]): Promise<{ UploadId: string; parts: CompletedPart[] }> {
    const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key }));
    const parts: CompletedPart[] = [];
    for (const [i, Body] of bodies.entries()) {
      const { ETag } = await s3.send(new UploadPartCommand({ Bucket: bucket, Key, UploadId, PartNumber: i + 1, Body }));
      parts.push({ PartNumber: i + 1, ETag });
    }
    return { UploadId: UploadId!, parts };
  }

  it('a lib-storage Upload whose completion answer was lost succeeds: the SDK retry gets the object', async () => {
    const proxy = await answerLosingProxy(server.endpoint);
    const client = new S3Client({ endpoint: proxy.endpoint, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: ACCESS_KEY, secretAccessKey: SECRET_KEY } });
    try {
      const data = randomBytes(12 * MiB);
      const done = await new Upload({ client, params: { Bucket: bucket, Key: 'lost-answer', Body: data }, partSize: 5 * MiB, queueSize: 4 }).done();
      expect(proxy.dropped()).toBe(1);
      expect(done.ETag).toMatch(/-3"$/);
      const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'lost-answer' }));
      expect(got.ETag).toBe(done.ETag);
      expect(sha256(await got.Body!.transformToByteArray())).toBe(sha256(data));
    } finally {
      client.destroy();
      await proxy.close();
    }
  });

  it('the same completion sent again, or twice at once, answers the same object; other parts or a replaced object answer NoSuchUpload', async () => {
    const bodies = [randomBytes(5 * MiB), randomBytes(100)];
    const { UploadId, parts } = await uploadedParts('again', bodies);
    const complete = (Parts: CompletedPart[], Key = 'again') => s3.send(new CompleteMultipartUploadCommand({ Bucket: bucket, Key, UploadId, MultipartUpload: { Parts } }));
    const [first, concurrent] = await Promise.all([complete(parts), complete(parts)]);
    expect(concurrent.ETag).toBe(first.ETag);
    const again = await complete(parts);
    expect(again.ETag).toBe(first.ETag);
    expect(sha256(await (await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'again' }))).Body!.transformToByteArray())).toBe(sha256(Buffer.concat(bodies)));

    expect(await errorName(complete(parts.slice(0, 1)))).toBe('NoSuchUpload');
    expect(await errorName(complete(parts, 'another-key'))).toBe('NoSuchUpload');
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'again', Body: 'replaced' }));
    expect(await errorName(complete(parts))).toBe('NoSuchUpload');
  });

  it('in a versioned bucket the repeated completion answers the version it made, and makes no other', async () => {
    const versioned = 'repeated-completion-versioned';
    await s3.send(new CreateBucketCommand({ Bucket: versioned }));
    await s3.send(new PutBucketVersioningCommand({ Bucket: versioned, VersioningConfiguration: { Status: 'Enabled' } }));
    const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: versioned, Key: 'v' }));
    const { ETag } = await s3.send(new UploadPartCommand({ Bucket: versioned, Key: 'v', UploadId, PartNumber: 1, Body: 'only part' }));
    const complete = () => s3.send(new CompleteMultipartUploadCommand({ Bucket: versioned, Key: 'v', UploadId, MultipartUpload: { Parts: [{ PartNumber: 1, ETag }] } }));
    const first = await complete();
    const again = await complete();
    expect(again.VersionId).toBe(first.VersionId);
    expect(again.ETag).toBe(first.ETag);
  });
});
