/**
 * The AWS SDK v3 at default settings against a real server: buckets, objects with their headers and
 * metadata, sizes around the inline threshold and block boundaries, a streamed 64 MiB upload,
 * ranges, conditionals, awkward keys, listings, checksums and presigned URLs.
 */
import { createHash, randomBytes } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { Readable } from 'node:stream';
import { crc32 } from 'node:zlib';
import {
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectCommand,
  GetBucketLocationCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListBucketsCommand,
  ListObjectsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type ChecksumAlgorithm,
  type GetObjectCommandOutput,
  type S3Client,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  crc32Base64,
  crc32cBase64,
  crc64nvmeBase64,
  errorCode,
  md5Hex,
  presignUrl,
  rawRequest,
  sha1Base64,
  sha256Base64,
  sha256Hex,
} from '../helpers/raw.js';
import { ROOT, TestServer } from '../helpers/server.js';

const KiB = 1024;
const MiB = 1024 * 1024;

let server: TestServer;
let s3: S3Client;
/** Names in the temp and working directories before the server ran. */
let tmpBefore: Set<string>;
let rootBefore: Set<string>;

beforeAll(async () => {
  tmpBefore = new Set(await readdir(tmpdir()));
  rootBefore = new Set(await readdir(ROOT));
  server = await TestServer.start({ drives: 4 });
  s3 = server.client();
});

afterAll(async () => {
  s3?.destroy();
  await server?.destroy();
});

interface SdkError {
  name?: string;
  $metadata?: { httpStatusCode?: number };
}

/** The promise must reject with this S3 error code and HTTP status. */
async function expectS3Error(promise: Promise<unknown>, code: string | undefined, status: number): Promise<void> {
  const outcome = await promise.then(
    (value) => ({ ok: true as const, value }),
    (err: SdkError) => ({ ok: false as const, err }),
  );
  expect(outcome.ok, `expected ${code ?? ''} ${status}, but the request succeeded`).toBe(false);
  if (outcome.ok) return;
  const got = { status: outcome.err.$metadata?.httpStatusCode, ...(code !== undefined ? { code: outcome.err.name } : {}) };
  expect(got).toEqual({ status, ...(code !== undefined ? { code } : {}) });
}

async function bodyBytes(out: GetObjectCommandOutput): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of out.Body as AsyncIterable<Uint8Array>) chunks.push(Buffer.from(chunk));
  return Buffer.concat(chunks);
}

async function createBucket(name: string): Promise<string> {
  await s3.send(new CreateBucketCommand({ Bucket: name }));
  return name;
}

async function getBytes(bucket: string, key: string, extra: Record<string, unknown> = {}): Promise<{ out: GetObjectCommandOutput; data: Buffer }> {
  const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key, ...extra }));
  return { out, data: await bodyBytes(out) };
}

/** Runs `fn` over `items` with at most `limit` in flight. */
async function pool<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) await fn(items[next++]!);
    }),
  );
}

function utf8Sort(keys: string[]): string[] {
  return [...keys].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
}

// -------------------------------------------------------------------------------------------------

describe('buckets', () => {
  it('creates, lists, heads, locates and deletes buckets with S3 error codes', async () => {
    const name = await createBucket('sdk-bucket-life');
    // Made again by its owner: 200 in us-east-1, S3's legacy answer (listings-and-buckets.test.ts has the rest).
    expect((await s3.send(new CreateBucketCommand({ Bucket: name }))).$metadata.httpStatusCode).toBe(200);

    const list = await s3.send(new ListBucketsCommand({}));
    const entry = list.Buckets?.find((b) => b.Name === name);
    expect(entry, 'ListBuckets must include the new bucket').toBeDefined();
    expect(entry!.CreationDate).toBeInstanceOf(Date);
    expect(Math.abs(entry!.CreationDate!.getTime() - Date.now())).toBeLessThan(5 * 60_000);

    const head = await s3.send(new HeadBucketCommand({ Bucket: name }));
    expect(head.$metadata.httpStatusCode).toBe(200);

    const location = await s3.send(new GetBucketLocationCommand({ Bucket: name }));
    expect(location.$metadata.httpStatusCode).toBe(200);
    // us-east-1 is the empty LocationConstraint in S3
    expect([undefined, '']).toContain(location.LocationConstraint);
    await expectS3Error(s3.send(new GetBucketLocationCommand({ Bucket: 'sdk-no-such-bucket-loc' })), 'NoSuchBucket', 404);

    await s3.send(new PutObjectCommand({ Bucket: name, Key: 'keep', Body: Buffer.from('x') }));
    await expectS3Error(s3.send(new DeleteBucketCommand({ Bucket: name })), 'BucketNotEmpty', 409);
    // still there and intact
    expect((await getBytes(name, 'keep')).data.toString()).toBe('x');

    await s3.send(new DeleteObjectCommand({ Bucket: name, Key: 'keep' }));
    const del = await s3.send(new DeleteBucketCommand({ Bucket: name }));
    expect(del.$metadata.httpStatusCode).toBe(204);

    await expectS3Error(s3.send(new HeadBucketCommand({ Bucket: name })), undefined, 404);
    await expectS3Error(s3.send(new DeleteBucketCommand({ Bucket: name })), 'NoSuchBucket', 404);
    const after = await s3.send(new ListBucketsCommand({}));
    expect(after.Buckets?.map((b) => b.Name) ?? []).not.toContain(name);

    // the name is free again
    await createBucket(name);
    await s3.send(new DeleteBucketCommand({ Bucket: name }));
  });

  it('answers NoSuchBucket / NoSuchKey for missing buckets and keys', async () => {
    await expectS3Error(
      s3.send(new PutObjectCommand({ Bucket: 'sdk-missing-bucket', Key: 'k', Body: Buffer.from('x') })),
      'NoSuchBucket',
      404,
    );
    await expectS3Error(s3.send(new GetObjectCommand({ Bucket: 'sdk-missing-bucket', Key: 'k' })), 'NoSuchBucket', 404);
    await expectS3Error(s3.send(new ListObjectsV2Command({ Bucket: 'sdk-missing-bucket' })), 'NoSuchBucket', 404);
    const bucket = await createBucket('sdk-missing-key');
    await expectS3Error(s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'nope' })), 'NoSuchKey', 404);
    await expectS3Error(s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'nope' })), undefined, 404);
    // S3 answers 204 for deleting a key that does not exist
    const del = await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: 'nope' }));
    expect(del.$metadata.httpStatusCode).toBe(204);
  });
});

// -------------------------------------------------------------------------------------------------

describe('objects', () => {
  let bucket: string;
  beforeAll(async () => {
    bucket = await createBucket('sdk-objects');
  });

  const expires = new Date('2031-02-03T04:05:06Z');
  const headers = {
    ContentType: 'text/x-tessera; charset=utf-8',
    ContentEncoding: 'gzip',
    ContentDisposition: 'attachment; filename="report 1.txt"',
    ContentLanguage: 'de-CH',
    CacheControl: 'max-age=3600, must-revalidate',
    Expires: expires,
    Metadata: { color: 'blue', 'multi-part-name': 'Mixed Case Value', empty: '' },
  };

  for (const mode of ['buffer', 'stream'] as const) {
    it(`round-trips content headers and x-amz-meta-* (${mode} body)`, async () => {
      const key = `meta/${mode}`;
      const data = randomBytes(3000);
      const put = await s3.send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: key,
          Body: mode === 'buffer' ? data : Readable.from([data]),
          ContentLength: data.length,
          ...headers,
        }),
      );
      expect(put.ETag).toBe(`"${md5Hex(data)}"`);

      const check = (out: Record<string, unknown>): void => {
        expect({
          ContentType: out.ContentType,
          ContentEncoding: out.ContentEncoding,
          ContentDisposition: out.ContentDisposition,
          ContentLanguage: out.ContentLanguage,
          CacheControl: out.CacheControl,
          Expires: (out.Expires as Date | undefined)?.toISOString(),
          Metadata: out.Metadata,
          ETag: out.ETag,
          ContentLength: out.ContentLength,
        }).toEqual({
          ...headers,
          Expires: expires.toISOString(),
          ETag: `"${md5Hex(data)}"`,
          ContentLength: data.length,
        });
        expect(out.LastModified).toBeInstanceOf(Date);
      };
      const { out, data: got } = await getBytes(bucket, key);
      expect(sha256Hex(got)).toBe(sha256Hex(data));
      check(out as unknown as Record<string, unknown>);
      check((await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }))) as unknown as Record<string, unknown>);

      await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
      await expectS3Error(s3.send(new GetObjectCommand({ Bucket: bucket, Key: key })), 'NoSuchKey', 404);
      await expectS3Error(s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key })), undefined, 404);
    });
  }

  it('defaults Content-Type to binary/octet-stream and overwrites an object completely', async () => {
    const key = 'overwrite';
    await s3.send(
      new PutObjectCommand({ Bucket: bucket, Key: key, Body: Buffer.from('first version'), Metadata: { a: '1' }, ContentType: 'text/plain' }),
    );
    const second = randomBytes(200 * KiB);
    // the SDK always sends a Content-Type; a raw PUT sends none
    const put = await rawRequest(server.endpoint, { method: 'PUT', path: `/${bucket}/${key}`, body: second });
    expect(put.status).toBe(200);
    const { out, data } = await getBytes(bucket, key);
    expect(data.equals(second)).toBe(true);
    expect(out.ContentType).toBe('binary/octet-stream');
    expect(out.Metadata ?? {}).toEqual({});
    expect(out.ETag).toBe(`"${md5Hex(second)}"`);
  });

  it('GetObject response-* overrides replace the stored headers in the response only', async () => {
    const key = 'overrides';
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: Buffer.from('o'), ContentType: 'text/plain', CacheControl: 'no-store' }));
    const { out } = await getBytes(bucket, key, {
      ResponseContentType: 'application/json',
      ResponseCacheControl: 'max-age=60',
      ResponseContentDisposition: 'inline; filename="o.json"',
      ResponseContentLanguage: 'fr',
      ResponseContentEncoding: 'identity',
      ResponseExpires: new Date('2032-01-01T00:00:00Z'),
    });
    expect({
      type: out.ContentType,
      cache: out.CacheControl,
      disposition: out.ContentDisposition,
      language: out.ContentLanguage,
      encoding: out.ContentEncoding,
      expires: out.Expires?.toISOString(),
    }).toEqual({
      type: 'application/json',
      cache: 'max-age=60',
      disposition: 'inline; filename="o.json"',
      language: 'fr',
      encoding: 'identity',
      expires: '2032-01-01T00:00:00.000Z',
    });
    const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    expect({ type: head.ContentType, cache: head.CacheControl }).toEqual({ type: 'text/plain', cache: 'no-store' });
  });

  it('user metadata is limited to 2 KB (names and values): MetadataTooLarge 400', async () => {
    // 'k' (1 byte) + 2047 bytes = 2048: allowed
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'meta-limit', Body: Buffer.from('m'), Metadata: { k: 'v'.repeat(2047) } }));
    const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'meta-limit' }));
    expect(head.Metadata?.k).toBe('v'.repeat(2047));
    await expectS3Error(
      s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'meta-limit-2', Body: Buffer.from('m'), Metadata: { k: 'v'.repeat(2048) } })),
      'MetadataTooLarge',
      400,
    );
    await expectS3Error(s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'meta-limit-2' })), undefined, 404);
  });

  const sizes = [0, 1, 128 * KiB - 1, 128 * KiB, 128 * KiB + 1, MiB - 1, MiB, MiB + 1, 5 * MiB + 3];
  for (const size of sizes) {
    for (const mode of ['buffer', 'stream'] as const) {
      it(`stores and returns ${size} bytes exactly (${mode} body)`, async () => {
        const key = `size/${mode}/${size}`;
        const data = randomBytes(size);
        const put = await s3.send(
          new PutObjectCommand({
            Bucket: bucket,
            Key: key,
            Body: mode === 'buffer' ? data : Readable.from(size > 0 ? [data.subarray(0, size >> 1), data.subarray(size >> 1)] : []),
            ContentLength: size,
          }),
        );
        expect(put.ETag).toBe(`"${md5Hex(data)}"`);
        expect(put.ChecksumCRC32).toBe(crc32Base64(data));
        const { out, data: got } = await getBytes(bucket, key);
        expect(got.length).toBe(size);
        expect(sha256Hex(got)).toBe(sha256Hex(data));
        expect(out.ETag).toBe(`"${md5Hex(data)}"`);
        expect(out.ContentLength).toBe(size);
        const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
        expect(head.ContentLength).toBe(size);
        expect(head.ETag).toBe(`"${md5Hex(data)}"`);
        await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
      });
    }
  }

  it('streams a 64 MiB upload from a Readable and reads it back identical', async () => {
    const total = 64 * MiB;
    const chunk = 1 * MiB;
    const sha = createHash('sha256');
    const md5 = createHash('md5');
    let crc = 0;
    async function* generate(): AsyncGenerator<Buffer> {
      for (let sent = 0; sent < total; sent += chunk) {
        const piece = randomBytes(chunk);
        sha.update(piece);
        md5.update(piece);
        crc = crc32(piece, crc);
        yield piece;
      }
    }
    const put = await s3.send(
      new PutObjectCommand({ Bucket: bucket, Key: 'big/64mib', Body: Readable.from(generate()), ContentLength: total }),
    );
    const expectedSha = sha.digest('hex');
    const expectedMd5 = md5.digest('hex');
    const crcBuf = Buffer.alloc(4);
    crcBuf.writeUInt32BE(crc >>> 0);
    expect(put.ETag).toBe(`"${expectedMd5}"`);

    const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'big/64mib', ChecksumMode: 'ENABLED' }));
    expect(out.ContentLength).toBe(total);
    expect(out.ETag).toBe(`"${expectedMd5}"`);
    expect(out.ChecksumCRC32).toBe(crcBuf.toString('base64'));
    const gotSha = createHash('sha256');
    let got = 0;
    for await (const piece of out.Body as AsyncIterable<Uint8Array>) {
      gotSha.update(piece);
      got += piece.length;
    }
    expect(got).toBe(total);
    expect(gotSha.digest('hex')).toBe(expectedSha);
    await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: 'big/64mib' }));
  });

  it('returns the CRC32 the SDK sent when ChecksumMode is ENABLED (header and trailer uploads)', async () => {
    for (const mode of ['buffer', 'stream'] as const) {
      const data = randomBytes(300 * KiB + 7);
      const key = `crc/${mode}`;
      const put = await s3.send(
        new PutObjectCommand({ Bucket: bucket, Key: key, Body: mode === 'buffer' ? data : Readable.from([data]), ContentLength: data.length }),
      );
      expect(put.ChecksumCRC32).toBe(crc32Base64(data));
      const { out, data: got } = await getBytes(bucket, key, { ChecksumMode: 'ENABLED' });
      expect(got.equals(data)).toBe(true);
      expect(out.ChecksumCRC32).toBe(crc32Base64(data));
      const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key, ChecksumMode: 'ENABLED' }));
      expect(head.ChecksumCRC32).toBe(crc32Base64(data));
    }
  });

  const algorithms: [ChecksumAlgorithm, (d: Buffer) => string, string][] = [
    ['SHA256', sha256Base64, 'ChecksumSHA256'],
    ['CRC32C', crc32cBase64, 'ChecksumCRC32C'],
    ['SHA1', sha1Base64, 'ChecksumSHA1'],
    ['CRC64NVME', crc64nvmeBase64, 'ChecksumCRC64NVME'],
  ];
  for (const [algorithm, compute, field] of algorithms) {
    it(`verifies and returns x-amz-checksum-${algorithm.toLowerCase()} (header and trailer uploads)`, async () => {
      for (const mode of ['buffer', 'stream'] as const) {
        const data = randomBytes(150 * KiB + 11);
        const key = `algo/${algorithm}/${mode}`;
        const put = await s3.send(
          new PutObjectCommand({
            Bucket: bucket,
            Key: key,
            Body: mode === 'buffer' ? data : Readable.from([data]),
            ContentLength: data.length,
            ChecksumAlgorithm: algorithm,
          }),
        );
        expect((put as unknown as Record<string, unknown>)[field]).toBe(compute(data));
        const { out, data: got } = await getBytes(bucket, key, { ChecksumMode: 'ENABLED' });
        expect(got.equals(data)).toBe(true);
        expect((out as unknown as Record<string, unknown>)[field]).toBe(compute(data));
        const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key, ChecksumMode: 'ENABLED' }));
        expect((head as unknown as Record<string, unknown>)[field]).toBe(compute(data));
      }
    });
  }

  it('rejects a wrong Content-MD5 with BadDigest 400 and stores nothing', async () => {
    const data = Buffer.from('the real content');
    const wrong = createHash('md5').update('something else').digest('base64');
    await expectS3Error(
      s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'bad-md5', Body: data, ContentMD5: wrong })),
      'BadDigest',
      400,
    );
    await expectS3Error(s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'bad-md5' })), undefined, 404);
    // and the right one is accepted
    const right = createHash('md5').update(data).digest('base64');
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'bad-md5', Body: data, ContentMD5: right }));
    expect((await getBytes(bucket, 'bad-md5')).data.equals(data)).toBe(true);
  });

  it('rejects a wrong x-amz-checksum-crc32 header with BadDigest 400 and stores nothing', async () => {
    const data = randomBytes(5000);
    const wrong = crc32Base64(Buffer.from('not the body'));
    // the SDK sends a given checksum value as the header, as is
    await expectS3Error(
      s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'bad-crc-sdk', Body: data, ChecksumCRC32: wrong })),
      'BadDigest',
      400,
    );
    await expectS3Error(s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'bad-crc-sdk' })), undefined, 404);

    // the same on the wire, with a signed payload and nothing else that could fail
    const res = await rawRequest(server.endpoint, {
      method: 'PUT',
      path: `/${bucket}/bad-crc-raw`,
      headers: { 'x-amz-checksum-crc32': wrong },
      body: data,
    });
    expect({ status: res.status, code: errorCode(res.text) }).toEqual({ status: 400, code: 'BadDigest' });
    await expectS3Error(s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'bad-crc-raw' })), undefined, 404);

    // a right one is accepted
    const ok = await rawRequest(server.endpoint, {
      method: 'PUT',
      path: `/${bucket}/bad-crc-raw`,
      headers: { 'x-amz-checksum-crc32': crc32Base64(data) },
      body: data,
    });
    expect(ok.status).toBe(200);
    expect(ok.headers['x-amz-checksum-crc32']).toBe(crc32Base64(data));
  });
});

// -------------------------------------------------------------------------------------------------

describe('ranges and conditionals', () => {
  let bucket: string;
  const size = 5 * MiB + 3;
  let data: Buffer;
  let small: Buffer;
  let etag: string;

  beforeAll(async () => {
    bucket = await createBucket('sdk-ranges');
    data = randomBytes(size);
    small = randomBytes(100 * KiB);
    const put = await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'big', Body: data }));
    etag = put.ETag!;
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'small', Body: small }));
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'empty', Body: Buffer.alloc(0) }));
  });

  const cases: [string, string, number, number][] = [
    ['first byte', 'bytes=0-0', 0, 0],
    ['start-end', 'bytes=100-199', 100, 199],
    ['across the first block boundary', `bytes=${MiB - 10}-${MiB + 9}`, MiB - 10, MiB + 9],
    ['across several blocks', `bytes=${MiB - 1}-${3 * MiB}`, MiB - 1, 3 * MiB],
    ['exactly one block', `bytes=${2 * MiB}-${3 * MiB - 1}`, 2 * MiB, 3 * MiB - 1],
    ['open end', `bytes=${size - 5}-`, size - 5, size - 1],
    ['open end from a block start', `bytes=${5 * MiB}-`, 5 * MiB, size - 1],
    ['suffix', 'bytes=-7', size - 7, size - 1],
    ['suffix longer than the object', `bytes=-${size + 100}`, 0, size - 1],
    ['end past the object', `bytes=${size - 2}-${size + 1000}`, size - 2, size - 1],
    ['last byte', `bytes=${size - 1}-${size - 1}`, size - 1, size - 1],
  ];
  for (const [name, range, start, end] of cases) {
    it(`GET Range ${name} (${range})`, async () => {
      const { out, data: got } = await getBytes(bucket, 'big', { Range: range });
      expect(out.$metadata.httpStatusCode).toBe(206);
      expect(out.ContentRange).toBe(`bytes ${start}-${end}/${size}`);
      expect(out.ContentLength).toBe(end - start + 1);
      expect(got.length).toBe(end - start + 1);
      expect(sha256Hex(got)).toBe(sha256Hex(data.subarray(start, end + 1)));
      expect(out.ETag).toBe(etag);
    });
  }

  it('ignores Range headers S3 ignores (invalid syntax, end before start, several ranges): 200 with the whole object', async () => {
    for (const range of ['bytes=5-2', 'bytes=0-1,3-4', 'items=0-10', 'bytes=abc-def']) {
      const { out, data: got } = await getBytes(bucket, 'small', { Range: range });
      expect(out.$metadata.httpStatusCode, range).toBe(200);
      expect(out.ContentRange, range).toBeUndefined();
      expect(got.equals(small), range).toBe(true);
    }
  });

  it('GET Range inside an inline object', async () => {
    const { out, data: got } = await getBytes(bucket, 'small', { Range: 'bytes=1000-70000' });
    expect(out.$metadata.httpStatusCode).toBe(206);
    expect(out.ContentRange).toBe(`bytes 1000-70000/${small.length}`);
    expect(got.equals(small.subarray(1000, 70001))).toBe(true);
  });

  it('answers 416 InvalidRange past the end', async () => {
    await expectS3Error(s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'big', Range: `bytes=${size}-` })), 'InvalidRange', 416);
    await expectS3Error(
      s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'big', Range: `bytes=${size + 10}-${size + 20}` })),
      'InvalidRange',
      416,
    );
    await expectS3Error(
      s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'small', Range: `bytes=${small.length}-${small.length}` })),
      'InvalidRange',
      416,
    );
    await expectS3Error(s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'empty', Range: 'bytes=0-0' })), 'InvalidRange', 416);
    // the raw answer is an S3 XML error with the status S3 uses
    const raw = await rawRequest(server.endpoint, { method: 'GET', path: `/${bucket}/big`, headers: { range: `bytes=${size}-` } });
    expect({ status: raw.status, code: errorCode(raw.text) }).toEqual({ status: 416, code: 'InvalidRange' });
  });

  it('If-None-Match answers 304, If-Match mismatch 412', async () => {
    const smallEtag = `"${md5Hex(small)}"`;
    await expectS3Error(s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'small', IfNoneMatch: smallEtag })), undefined, 304);
    await expectS3Error(s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'small', IfNoneMatch: smallEtag })), undefined, 304);
    await expectS3Error(
      s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'small', IfMatch: '"0123456789abcdef0123456789abcdef"' })),
      'PreconditionFailed',
      412,
    );
    await expectS3Error(
      s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'small', IfMatch: '"0123456789abcdef0123456789abcdef"' })),
      undefined,
      412,
    );
    // matching conditions serve the object
    const a = await getBytes(bucket, 'small', { IfMatch: smallEtag });
    expect(a.data.equals(small)).toBe(true);
    const b = await getBytes(bucket, 'small', { IfNoneMatch: '"0123456789abcdef0123456789abcdef"' });
    expect(b.data.equals(small)).toBe(true);
    // dates
    await expectS3Error(
      s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'small', IfModifiedSince: new Date(Date.now() + 3600_000) })),
      undefined,
      304,
    );
    await expectS3Error(
      s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'small', IfUnmodifiedSince: new Date('2001-01-01T00:00:00Z') })),
      'PreconditionFailed',
      412,
    );
    const c = await getBytes(bucket, 'small', { IfModifiedSince: new Date('2001-01-01T00:00:00Z') });
    expect(c.data.equals(small)).toBe(true);
    // the raw 304 carries no body and the ETag
    const raw = await rawRequest(server.endpoint, { method: 'GET', path: `/${bucket}/small`, headers: { 'if-none-match': smallEtag } });
    expect(raw.status).toBe(304);
    expect(raw.body.length).toBe(0);
    expect(raw.headers.etag).toBe(smallEtag);
  });
});

// -------------------------------------------------------------------------------------------------

async function walk(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const full = join(dir, entry.name);
    out.push(full);
    if (entry.isDirectory()) out.push(...(await walk(full)));
  }
  return out;
}

describe('keys', () => {
  const bucket = 'sdk-keys';
  const keys = [
    'a//b',
    '../x',
    'x/',
    './y',
    'dir/../../etc/passwd',
    'with space',
    'plus+sign',
    'percent%2Fslash',
    '日本語/ファイル',
    '😀/🎉.txt',
    'tab\tand~tilde!*\'()',
    'question?mark&amp=eq#hash',
    'é'.repeat(512), // 1024 bytes in UTF-8
    'k'.repeat(1024),
  ];

  beforeAll(async () => {
    await createBucket(bucket);
  });

  it('round-trips awkward keys exactly through PUT, GET, HEAD, LIST and DELETE', async () => {
    for (const key of keys) {
      const body = Buffer.from(`content of ${key}`);
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
    }
    for (const key of keys) {
      const { data } = await getBytes(bucket, key);
      expect(data.toString(), `GET ${JSON.stringify(key)}`).toBe(`content of ${key}`);
      const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
      expect(head.ContentLength).toBe(Buffer.byteLength(`content of ${key}`));
    }
    const list = await s3.send(new ListObjectsV2Command({ Bucket: bucket }));
    expect(list.Contents?.map((c) => c.Key)).toEqual(utf8Sort(keys));

    // keys that only differ by what a path normaliser would change are distinct objects
    await expectS3Error(s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'x' })), 'NoSuchKey', 404);
    await expectS3Error(s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'y' })), 'NoSuchKey', 404);
    await expectS3Error(s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'a/b' })), 'NoSuchKey', 404);
    await expectS3Error(s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'etc/passwd' })), 'NoSuchKey', 404);
    await expectS3Error(s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'percent/slash' })), 'NoSuchKey', 404);
  });

  it('rejects a 1025-byte key with KeyTooLongError 400', async () => {
    await expectS3Error(
      s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'é'.repeat(512) + 'x', Body: Buffer.from('x') })),
      'KeyTooLongError',
      400,
    );
    await expectS3Error(
      s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'k'.repeat(1025), Body: Buffer.from('x') })),
      'KeyTooLongError',
      400,
    );
  });

  it('never creates files outside the drive directories', async () => {
    // the server's own directory holds only its drives
    expect((await readdir(server.dir)).sort()).toEqual(server.drives.map((d) => relative(server.dir, d)).sort());
    // each drive holds only its system folder and bucket folders at the top
    const buckets = new Set((await s3.send(new ListBucketsCommand({}))).Buckets?.map((b) => b.Name!) ?? []);
    for (const drive of server.drives) {
      for (const name of await readdir(drive)) {
        expect(name === '.tessera.sys' || buckets.has(name), `unexpected top-level entry ${name} in ${drive}`).toBe(true);
      }
    }
    // nothing named after a key component appeared in the temp dir or the working directory
    const suspicious = ['x', 'y', 'etc', 'passwd', 'b', 'ファイル', '日本語', '😀'];
    for (const name of await readdir(tmpdir())) {
      if (!tmpBefore.has(name)) expect(suspicious, `new entry ${name} in ${tmpdir()}`).not.toContain(name);
    }
    for (const name of await readdir(ROOT)) {
      if (!rootBefore.has(name)) expect(suspicious, `new entry ${name} in ${ROOT}`).not.toContain(name);
    }
    // no file anywhere under the drives is named after a key
    for (const drive of server.drives) {
      for (const path of await walk(drive)) {
        const base = path.slice(path.lastIndexOf('/') + 1);
        expect(['passwd', 'ファイル', '🎉.txt', 'with space', 'plus+sign'], `file named after a key: ${path}`).not.toContain(base);
      }
    }
  });
});

// -------------------------------------------------------------------------------------------------

describe('listings', () => {
  const bucket = 'sdk-listing';
  const keys: string[] = [];
  for (let i = 0; i < 236; i++) keys.push(`p/${String(i).padStart(3, '0')}`);
  keys.push('q/a/1', 'q/a/2', 'q/b/1', 'q/c', 'top-1', 'top-2', 'sp ace/1');
  // UTF-16 order and UTF-8 order differ for 'ｱ' (U+FF71) and '😀' (U+1F600)
  keys.push('u/ｱ', 'u/😀', 'u/é', 'u/z', 'u/Z', 'u/~', 'u/a b');
  const sorted = utf8Sort(keys);

  beforeAll(async () => {
    await createBucket(bucket);
    await pool(keys, 8, async (key) => {
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: Buffer.from(key) }));
    });
  });

  it('has 250 keys and lists them in UTF-8 binary order', async () => {
    expect(keys.length).toBe(250);
    const out = await s3.send(new ListObjectsV2Command({ Bucket: bucket }));
    expect(out.KeyCount).toBe(250);
    expect(out.IsTruncated).toBe(false);
    expect(out.Contents?.map((c) => c.Key)).toEqual(sorted);
    const first = out.Contents!.find((c) => c.Key === 'top-1')!;
    expect(first.Size).toBe(5);
    expect(first.ETag).toBe(`"${md5Hex(Buffer.from('top-1'))}"`);
    expect(first.LastModified).toBeInstanceOf(Date);
  });

  it('V2: paginates with max-keys and continuation-token, every key exactly once', async () => {
    const seen: string[] = [];
    let token: string | undefined;
    let pages = 0;
    for (;;) {
      const out = await s3.send(new ListObjectsV2Command({ Bucket: bucket, MaxKeys: 17, ContinuationToken: token }));
      pages++;
      const got = out.Contents?.map((c) => c.Key!) ?? [];
      expect(got.length).toBeLessThanOrEqual(17);
      expect(out.KeyCount).toBe(got.length);
      expect(out.MaxKeys).toBe(17);
      if (token !== undefined) expect(out.ContinuationToken).toBe(token);
      seen.push(...got);
      if (!out.IsTruncated) {
        expect(out.NextContinuationToken).toBeUndefined();
        break;
      }
      expect(got.length).toBe(17);
      expect(out.NextContinuationToken).toBeTruthy();
      token = out.NextContinuationToken;
      expect(pages).toBeLessThan(40);
    }
    expect(pages).toBe(Math.ceil(250 / 17));
    expect(seen).toEqual(sorted);
  });

  it('V2: prefix, delimiter and CommonPrefixes', async () => {
    const q = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: 'q/' }));
    expect(q.Contents?.map((c) => c.Key)).toEqual(['q/a/1', 'q/a/2', 'q/b/1', 'q/c']);
    expect(q.Prefix).toBe('q/');

    const top = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Delimiter: '/' }));
    expect(top.CommonPrefixes?.map((p) => p.Prefix)).toEqual(['p/', 'q/', 'sp ace/', 'u/']);
    expect(top.Contents?.map((c) => c.Key)).toEqual(['top-1', 'top-2']);
    expect(top.KeyCount).toBe(6);
    expect(top.Delimiter).toBe('/');

    const qd = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: 'q/', Delimiter: '/' }));
    expect(qd.CommonPrefixes?.map((p) => p.Prefix)).toEqual(['q/a/', 'q/b/']);
    expect(qd.Contents?.map((c) => c.Key)).toEqual(['q/c']);

    const none = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: 'nothing/' }));
    expect(none.KeyCount).toBe(0);
    expect(none.Contents ?? []).toEqual([]);
    expect(none.IsTruncated).toBe(false);
  });

  it('V2: a prefix that ends mid-name, and a delimiter other than /', async () => {
    const mid = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: 'p/23' }));
    expect(mid.Contents?.map((c) => c.Key)).toEqual(['p/230', 'p/231', 'p/232', 'p/233', 'p/234', 'p/235']);
    const dash = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: 't', Delimiter: '-' }));
    expect(dash.CommonPrefixes?.map((p) => p.Prefix)).toEqual(['top-']);
    expect(dash.Contents ?? []).toEqual([]);
    const deep = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: 'q/', Delimiter: 'a' }));
    expect(deep.CommonPrefixes?.map((p) => p.Prefix)).toEqual(['q/a']);
    expect(deep.Contents?.map((c) => c.Key)).toEqual(['q/b/1', 'q/c']);
  });

  it('V2: Owner only with fetch-owner; V1 always has it', async () => {
    const plain = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: 'top-' }));
    expect(plain.Contents?.every((c) => c.Owner === undefined)).toBe(true);
    const owned = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: 'top-', FetchOwner: true }));
    expect(owned.Contents?.every((c) => typeof c.Owner?.ID === 'string')).toBe(true);
    const v1 = await s3.send(new ListObjectsCommand({ Bucket: bucket, Prefix: 'top-' }));
    expect(v1.Contents?.every((c) => typeof c.Owner?.ID === 'string')).toBe(true);
  });

  it('rejects a continuation-token it did not issue with InvalidArgument 400', async () => {
    await expectS3Error(
      s3.send(new ListObjectsV2Command({ Bucket: bucket, ContinuationToken: 'this-is-not-a-token-from-this-server' })),
      'InvalidArgument',
      400,
    );
  });

  it('rejects bad max-keys and encoding-type with InvalidArgument 400', async () => {
    for (const query of ['list-type=2&max-keys=-1', 'list-type=2&max-keys=ten', 'list-type=2&encoding-type=base64', 'max-keys=abc']) {
      const res = await rawRequest(server.endpoint, { method: 'GET', path: `/${bucket}`, query });
      expect({ query, status: res.status, code: errorCode(res.text) }).toEqual({ query, status: 400, code: 'InvalidArgument' });
    }
  });

  it('V2: paginates through CommonPrefixes, each exactly once', async () => {
    const entries: string[] = [];
    let token: string | undefined;
    for (let i = 0; i < 20; i++) {
      const out = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Delimiter: '/', MaxKeys: 2, ContinuationToken: token }));
      const page = [...(out.Contents?.map((c) => c.Key!) ?? []), ...(out.CommonPrefixes?.map((p) => p.Prefix!) ?? [])];
      expect(page.length).toBeLessThanOrEqual(2);
      expect(out.KeyCount).toBe(page.length);
      entries.push(...page);
      if (!out.IsTruncated) break;
      token = out.NextContinuationToken;
      expect(token).toBeTruthy();
    }
    expect(entries.sort()).toEqual(['p/', 'q/', 'sp ace/', 'top-1', 'top-2', 'u/']);
  });

  it('V2: start-after', async () => {
    const out = await s3.send(new ListObjectsV2Command({ Bucket: bucket, StartAfter: 'p/225', MaxKeys: 5 }));
    expect(out.Contents?.map((c) => c.Key)).toEqual(['p/226', 'p/227', 'p/228', 'p/229', 'p/230']);
    expect(out.StartAfter).toBe('p/225');
    const rest = await s3.send(new ListObjectsV2Command({ Bucket: bucket, StartAfter: 'u/z' }));
    expect(rest.Contents?.map((c) => c.Key)).toEqual(['u/~', 'u/é', 'u/ｱ', 'u/😀']);
    const between = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: 'q/', StartAfter: 'q/a/2' }));
    expect(between.Contents?.map((c) => c.Key)).toEqual(['q/b/1', 'q/c']);
    // a start-after that is not itself a key
    const notKey = await s3.send(new ListObjectsV2Command({ Bucket: bucket, StartAfter: 'p/2355', MaxKeys: 1 }));
    expect(notKey.Contents?.map((c) => c.Key)).toEqual(['q/a/1']);
  });

  it('V1: paginates with max-keys and marker (last key when no NextMarker), every key exactly once', async () => {
    const seen: string[] = [];
    let marker: string | undefined;
    for (let i = 0; i < 20; i++) {
      const out = await s3.send(new ListObjectsCommand({ Bucket: bucket, MaxKeys: 40, Marker: marker }));
      const got = out.Contents?.map((c) => c.Key!) ?? [];
      expect(got.length).toBeLessThanOrEqual(40);
      expect(out.Marker ?? '').toBe(marker ?? '');
      seen.push(...got);
      if (!out.IsTruncated) break;
      marker = out.NextMarker ?? got[got.length - 1];
    }
    expect(seen).toEqual(sorted);
  });

  it('V1: delimiter with NextMarker across CommonPrefixes', async () => {
    const entries: string[] = [];
    let marker: string | undefined;
    for (let i = 0; i < 20; i++) {
      const out = await s3.send(new ListObjectsCommand({ Bucket: bucket, Delimiter: '/', MaxKeys: 2, Marker: marker }));
      const page = [...(out.Contents?.map((c) => c.Key!) ?? []), ...(out.CommonPrefixes?.map((p) => p.Prefix!) ?? [])];
      expect(page.length).toBeLessThanOrEqual(2);
      entries.push(...page);
      if (!out.IsTruncated) break;
      expect(out.NextMarker, 'a truncated V1 listing with a delimiter carries NextMarker').toBeTruthy();
      marker = out.NextMarker;
    }
    expect(entries.sort()).toEqual(['p/', 'q/', 'sp ace/', 'top-1', 'top-2', 'u/']);

    const q = await s3.send(new ListObjectsCommand({ Bucket: bucket, Prefix: 'q/', Delimiter: '/' }));
    expect(q.CommonPrefixes?.map((p) => p.Prefix)).toEqual(['q/a/', 'q/b/']);
    expect(q.Contents?.map((c) => c.Key)).toEqual(['q/c']);
  });

  /** What clients do with encoding-type=url values: form-decode ('+' is a space). */
  const formDecode = (s: string): string => decodeURIComponent(s.replace(/\+/g, ' '));
  const isEncoded = (s: string): boolean => /^[\x21-\x7e]*$/.test(s);

  it('V2 and V1: encoding-type=url encodes keys, prefixes and CommonPrefixes', async () => {
    const v2 = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: 'u/', EncodingType: 'url' }));
    expect(v2.EncodingType).toBe('url');
    const raw = v2.Contents?.map((c) => c.Key!) ?? [];
    for (const k of raw) expect(isEncoded(k), `key ${k} is not URL-encoded`).toBe(true);
    expect(raw.map(formDecode)).toEqual(sorted.filter((k) => k.startsWith('u/')));

    const v2d = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Delimiter: '/', EncodingType: 'url' }));
    const prefixes = v2d.CommonPrefixes?.map((p) => p.Prefix!) ?? [];
    for (const p of prefixes) expect(isEncoded(p), `prefix ${p} is not URL-encoded`).toBe(true);
    expect(prefixes.map(formDecode)).toEqual(['p/', 'q/', 'sp ace/', 'u/']);

    const v2p = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: 'sp ace/', EncodingType: 'url' }));
    expect(isEncoded(v2p.Prefix!)).toBe(true);
    expect(formDecode(v2p.Prefix!)).toBe('sp ace/');
    expect(v2p.Contents?.map((c) => formDecode(c.Key!))).toEqual(['sp ace/1']);

    const v1 = await s3.send(new ListObjectsCommand({ Bucket: bucket, Prefix: 'u/', EncodingType: 'url' }));
    const rawV1 = v1.Contents?.map((c) => c.Key!) ?? [];
    for (const k of rawV1) expect(isEncoded(k), `key ${k} is not URL-encoded`).toBe(true);
    expect(rawV1.map(formDecode)).toEqual(sorted.filter((k) => k.startsWith('u/')));
  });

  it('without encoding-type, keys come back verbatim', async () => {
    const out = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: 'u/' }));
    expect(out.Contents?.map((c) => c.Key)).toEqual(sorted.filter((k) => k.startsWith('u/')));
  });
});

// -------------------------------------------------------------------------------------------------

describe('presigned URLs', () => {
  const bucket = 'sdk-presign';
  beforeAll(async () => {
    await createBucket(bucket);
  });

  it('a presigned PUT stores with plain fetch and a presigned GET reads it back', async () => {
    for (const key of ['plain.bin', 'dir/日本 語 + plus.bin']) {
      const data = randomBytes(200 * KiB + 5);
      const putUrl = await presignUrl(server.endpoint, { method: 'PUT', bucket, key });
      const put = await fetch(putUrl, { method: 'PUT', body: data });
      expect(put.status, await put.clone().text()).toBe(200);
      expect(put.headers.get('etag')).toBe(`"${md5Hex(data)}"`);

      const { data: viaSdk } = await getBytes(bucket, key);
      expect(sha256Hex(viaSdk)).toBe(sha256Hex(data));

      const getUrl = await presignUrl(server.endpoint, { method: 'GET', bucket, key });
      const get = await fetch(getUrl);
      expect(get.status).toBe(200);
      const got = Buffer.from(await get.arrayBuffer());
      expect(sha256Hex(got)).toBe(sha256Hex(data));
      expect(get.headers.get('etag')).toBe(`"${md5Hex(data)}"`);
    }
  });

  it('a presigned URL is bound to its key, method and signature', async () => {
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'bound', Body: Buffer.from('secret') }));
    const url = await presignUrl(server.endpoint, { method: 'GET', bucket, key: 'bound' });
    const tampered = url.replace(/X-Amz-Signature=([0-9a-f])/, (_m, c: string) => `X-Amz-Signature=${c === '0' ? '1' : '0'}`);
    const bad = await fetch(tampered);
    expect({ status: bad.status, code: errorCode(await bad.text()) }).toEqual({ status: 403, code: 'SignatureDoesNotMatch' });
    const otherKey = await fetch(url.replace('/bound?', '/other?'));
    expect({ status: otherKey.status, code: errorCode(await otherKey.text()) }).toEqual({ status: 403, code: 'SignatureDoesNotMatch' });
    const otherMethod = await fetch(url, { method: 'DELETE' });
    expect({ status: otherMethod.status, code: errorCode(await otherMethod.text()) }).toEqual({ status: 403, code: 'SignatureDoesNotMatch' });
    expect((await getBytes(bucket, 'bound')).data.toString()).toBe('secret');
  });
});
