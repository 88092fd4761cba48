/**
 * Compatibility with the `minio` npm client (minio-js), path style, 5 MiB parts: makeBucket,
 * putObject from a 12 MiB stream (multipart), getObject and a ranged getPartialObject compared by
 * sha256, statObject, the listObjectsV2 stream, copyObject (both call forms), composeObject
 * (UploadPartCopy), removeObjects, presignedGetObject used with fetch, listIncompleteUploads.
 */
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { AbortMultipartUploadCommand, CreateMultipartUploadCommand, HeadBucketCommand, UploadPartCommand, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { TestServer } from '../helpers/server.js';
import { KiB, MiB, clientSuite, importMinio, minioClient, sha256, sha256Stream, type MinioClient } from './compat.js';

const { minio, missing } = await importMinio();

/** Collects every item of a minio object stream. */
function collect<T>(stream: NodeJS.ReadableStream): Promise<T[]> {
  return new Promise((resolve, reject) => {
    const items: T[] = [];
    stream.on('data', (item: T) => items.push(item));
    stream.once('error', reject);
    stream.once('end', () => resolve(items));
  });
}

/** A stream of `data` in uneven chunks, with no length known up front. */
function chunked(data: Buffer): Readable {
  return Readable.from(
    (function* () {
      for (let at = 0, n = 0; at < data.length; n++) {
        const size = [65_536, 1_000_003, 333_333][n % 3];
        yield data.subarray(at, at + size);
        at += size;
      }
    })(),
    { objectMode: false },
  );
}

clientSuite('minio-js', missing, () => {
  let server: TestServer;
  let s3: S3Client;
  let client: MinioClient;
  const bucket = 'minio-js-compat';
  const big = randomBytes(12 * MiB);

  beforeAll(async () => {
    server = await TestServer.start({ drives: 4 });
    s3 = server.client();
    client = minioClient(minio!, server.port);
  });

  afterAll(async () => {
    s3?.destroy();
    await server?.destroy();
  });

  it('makeBucket and bucketExists', async () => {
    await client.makeBucket(bucket, 'us-east-1');
    await s3.send(new HeadBucketCommand({ Bucket: bucket }));
    expect(await client.bucketExists(bucket)).toBe(true);
    expect(await client.bucketExists('minio-js-absent')).toBe(false);
    expect((await client.listBuckets()).map((b) => b.name)).toContain(bucket);
  });

  it('putObject from a 12 MiB stream (multipart, 5 MiB parts) and getObject, same sha256', async () => {
    const put = await client.putObject(bucket, 'big/12MiB.bin', chunked(big), undefined, { 'Content-Type': 'application/x-big', 'X-Amz-Meta-Origin': 'stream' });
    // 12 MiB in 5 MiB parts: 3 parts.
    expect(put.etag).toMatch(/^[0-9a-f]{32}-3$/);
    const got = await sha256Stream(await client.getObject(bucket, 'big/12MiB.bin'));
    expect(got.size).toBe(big.length);
    expect(got.sha256).toBe(sha256(big));
    const part = await sha256Stream(await client.getPartialObject(bucket, 'big/12MiB.bin', 5 * MiB - 10, 1 * MiB));
    expect(part.sha256).toBe(sha256(big.subarray(5 * MiB - 10, 6 * MiB - 10)));
  });

  it('statObject returns size, multipart etag, type and metadata', async () => {
    const stat = await client.statObject(bucket, 'big/12MiB.bin');
    expect(stat.size).toBe(12 * MiB);
    expect(stat.etag).toMatch(/^[0-9a-f]{32}-3$/);
    expect(stat.metaData['content-type']).toBe('application/x-big');
    expect(stat.metaData.origin).toBe('stream');
    expect(stat.lastModified).toBeInstanceOf(Date);
    await expect(client.statObject(bucket, 'absent')).rejects.toMatchObject({ code: 'NotFound' });
  });

  it('listObjectsV2 stream, recursive and by prefix with delimiter', async () => {
    const small = new Map<string, Buffer>();
    for (let i = 0; i < 25; i++) {
      const key = `list/${i % 3 === 0 ? 'sub/' : ''}obj-${String(i).padStart(2, '0')}${i % 4 === 0 ? ' spaced' : ''}`;
      const data = randomBytes(i * 97);
      small.set(key, data);
      await client.putObject(bucket, key, data);
    }
    const all = await collect<{ name: string; size: number; etag: string }>(client.listObjectsV2(bucket, 'list/', true));
    expect(all.map((o) => o.name).sort()).toEqual([...small.keys()].sort());
    for (const o of all) expect(o.size, o.name).toBe(small.get(o.name)!.length);

    const top = await collect<{ name?: string; prefix?: string }>(client.listObjectsV2(bucket, 'list/', false));
    expect(top.filter((o) => o.prefix).map((o) => o.prefix)).toEqual(['list/sub/']);
    expect(top.filter((o) => o.name).length).toBe([...small.keys()].filter((k) => !k.startsWith('list/sub/')).length);
    const buckets = await collect<{ prefix?: string }>(client.listObjectsV2(bucket, '', false));
    expect(buckets.map((o) => o.prefix).sort()).toEqual(['big/', 'list/']);
  });

  it('copyObject (CopySourceOptions form and legacy form)', async () => {
    const res = await client.copyObject(
      new minio!.CopySourceOptions({ Bucket: bucket, Object: 'big/12MiB.bin' }),
      new minio!.CopyDestinationOptions({ Bucket: bucket, Object: 'copies/v2.bin' }),
    );
    expect(res).toBeDefined();
    const v2 = await sha256Stream(await client.getObject(bucket, 'copies/v2.bin'));
    expect(v2.sha256).toBe(sha256(big));
    expect((await client.statObject(bucket, 'copies/v2.bin')).metaData.origin).toBe('stream');

    const conditions = new minio!.CopyConditions();
    await client.copyObject(bucket, 'copies/v1.bin', `/${bucket}/big/12MiB.bin`, conditions);
    const v1 = await sha256Stream(await client.getObject(bucket, 'copies/v1.bin'));
    expect(v1.sha256).toBe(sha256(big));
  });

  it('composeObject joins sources with UploadPartCopy', async () => {
    const tail = randomBytes(100 * KiB);
    await client.putObject(bucket, 'compose/tail.bin', tail);
    await client.composeObject(new minio!.CopyDestinationOptions({ Bucket: bucket, Object: 'compose/joined.bin' }), [
      new minio!.CopySourceOptions({ Bucket: bucket, Object: 'big/12MiB.bin' }),
      new minio!.CopySourceOptions({ Bucket: bucket, Object: 'compose/tail.bin' }),
    ]);
    const joined = await sha256Stream(await client.getObject(bucket, 'compose/joined.bin'));
    expect(joined.size).toBe(big.length + tail.length);
    expect(joined.sha256).toBe(sha256(Buffer.concat([big, tail])));
  });

  it('removeObjects deletes a batch of keys', async () => {
    const names = (await collect<{ name: string }>(client.listObjectsV2(bucket, 'list/', true))).map((o) => o.name);
    expect(names.length).toBe(25);
    const errors = (await client.removeObjects(bucket, names)).filter((r) => r && (r as { Error?: unknown }).Error);
    expect(errors).toEqual([]);
    expect(await collect(client.listObjectsV2(bucket, 'list/', true))).toEqual([]);
    await client.removeObject(bucket, 'copies/v1.bin');
    await expect(client.statObject(bucket, 'copies/v1.bin')).rejects.toMatchObject({ code: 'NotFound' });
  });

  it('presignedGetObject URL works with fetch', async () => {
    const url = await client.presignedGetObject(bucket, 'big/12MiB.bin', 300);
    expect(url).toContain('X-Amz-Signature=');
    const res = await fetch(url);
    expect(res.status).toBe(200);
    expect(sha256(Buffer.from(await res.arrayBuffer()))).toBe(sha256(big));
    const ranged = await fetch(url, { headers: { Range: 'bytes=100-199' } });
    expect(ranged.status).toBe(206);
    expect(sha256(Buffer.from(await ranged.arrayBuffer()))).toBe(sha256(big.subarray(100, 200)));
  });

  it('listIncompleteUploads lists an unfinished multipart upload with its size', async () => {
    const created = await s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: 'pending/upload.bin' }));
    const partData = randomBytes(5 * MiB + 1);
    await s3.send(new UploadPartCommand({ Bucket: bucket, Key: 'pending/upload.bin', UploadId: created.UploadId, PartNumber: 1, Body: partData }));
    const second = await s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: 'pending/deeper/other.bin' }));
    try {
      const uploads = await collect<{ key: string; uploadId: string; size: number }>(client.listIncompleteUploads(bucket, 'pending/', true));
      const byKey = new Map(uploads.map((u) => [u.key, u]));
      expect([...byKey.keys()].sort()).toEqual(['pending/deeper/other.bin', 'pending/upload.bin']);
      expect(byKey.get('pending/upload.bin')!.uploadId).toBe(created.UploadId);
      expect(byKey.get('pending/upload.bin')!.size).toBe(partData.length);
      expect(byKey.get('pending/deeper/other.bin')!.uploadId).toBe(second.UploadId);

      const shallow = await collect<{ key?: string; prefix?: string }>(client.listIncompleteUploads(bucket, 'pending/', false));
      expect(shallow.filter((u) => u.key).map((u) => u.key)).toEqual(['pending/upload.bin']);
      expect(shallow.filter((u) => u.prefix).map((u) => u.prefix)).toEqual(['pending/deeper/']);

      await client.removeIncompleteUpload(bucket, 'pending/upload.bin');
      const left = await collect<{ key: string }>(client.listIncompleteUploads(bucket, 'pending/', true));
      expect(left.map((u) => u.key)).toEqual(['pending/deeper/other.bin']);
    } finally {
      await s3.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: 'pending/upload.bin', UploadId: created.UploadId })).catch(() => undefined);
      await s3.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: 'pending/deeper/other.bin', UploadId: second.UploadId })).catch(() => undefined);
    }
  });
});
