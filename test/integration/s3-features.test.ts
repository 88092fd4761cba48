/**
 * Multipart, copy, conditional writes, attributes, ACLs, POST policy uploads, virtual hosts and CORS,
 * driven with the AWS SDK (and fetch for browser-style requests) against a real server process.
 */
import { createHash, randomBytes } from 'node:crypto';
import http from 'node:http';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  GetBucketAclCommand,
  GetObjectAttributesCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListPartsCommand,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
  UploadPartCopyCommand,
} from '@aws-sdk/client-s3';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postForm, signedPolicyFields } from '../helpers/post-form.js';
import { errorCode } from '../helpers/raw.js';
import { ACCESS_KEY, SECRET_KEY, TestServer } from '../helpers/server.js';

const MiB = 1024 * 1024;
const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

async function body(c: S3Client, Bucket: string, Key: string, extra: Record<string, unknown> = {}): Promise<Buffer> {
  const res = await c.send(new GetObjectCommand({ Bucket, Key, ...extra }));
  return Buffer.from(await res.Body!.transformToByteArray());
}

async function errorName(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    return (err as Error).name;
  }
  return 'no error';
}

describe('S3 features with real clients', () => {
  let server: TestServer;
  let s3: S3Client;
  const bucket = 'features';

  beforeAll(async () => {
    server = await TestServer.start({ drives: 4, extraArgs: ['--domain', 'localhost', '--cors-allow-origin', 'https://app.example'] });
    s3 = server.client();
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  });

  afterAll(async () => {
    await server?.destroy();
  });

  it('multipart: parts in any order, ETag md5-N, part reads, listing, abort', async () => {
    const parts = [randomBytes(5 * MiB), randomBytes(5 * MiB + 3), randomBytes(777)];
    const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: 'mp/obj', ContentType: 'video/x' }));
    const etags: string[] = [];
    for (const i of [2, 0, 1]) {
      const r = await s3.send(new UploadPartCommand({ Bucket: bucket, Key: 'mp/obj', UploadId, PartNumber: i + 1, Body: parts[i] }));
      etags[i] = r.ETag!;
    }
    const uploads = await s3.send(new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: 'mp/' }));
    expect(uploads.Uploads?.map((u) => u.UploadId)).toEqual([UploadId]);
    const listed = await s3.send(new ListPartsCommand({ Bucket: bucket, Key: 'mp/obj', UploadId }));
    expect(listed.Parts?.map((p) => [p.PartNumber, p.Size])).toEqual([[1, 5 * MiB], [2, 5 * MiB + 3], [3, 777]]);

    const done = await s3.send(
      new CompleteMultipartUploadCommand({
        Bucket: bucket,
        Key: 'mp/obj',
        UploadId,
        MultipartUpload: { Parts: etags.map((ETag, i) => ({ ETag, PartNumber: i + 1 })) },
      }),
    );
    const md5s = Buffer.concat(parts.map((p) => createHash('md5').update(p).digest()));
    expect(done.ETag).toBe(`"${createHash('md5').update(md5s).digest('hex')}-3"`);
    expect(sha256(await body(s3, bucket, 'mp/obj'))).toBe(sha256(Buffer.concat(parts)));
    const second = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'mp/obj', PartNumber: 2 }));
    expect(second.PartsCount).toBe(3);
    expect(sha256(await second.Body!.transformToByteArray())).toBe(sha256(parts[1]));
    expect((await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'mp/obj' }))).ContentType).toBe('video/x');
    expect(await errorName(s3.send(new ListPartsCommand({ Bucket: bucket, Key: 'mp/obj', UploadId })))).toBe('NoSuchUpload');

    const aborted = await s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: 'mp/gone' }));
    await s3.send(new UploadPartCommand({ Bucket: bucket, Key: 'mp/gone', UploadId: aborted.UploadId, PartNumber: 1, Body: 'x' }));
    await s3.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: 'mp/gone', UploadId: aborted.UploadId }));
    expect(await errorName(s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'mp/gone' })))).toBe('NotFound');
    for (const drive of server.drives) {
      const { readdir } = await import('node:fs/promises');
      expect(await readdir(`${drive}/.tessera.sys/multipart`)).toEqual([]);
    }
  });

  it('multipart: small non-last parts, wrong ETags and disorder are refused', async () => {
    const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: 'mp/bad' }));
    const p1 = await s3.send(new UploadPartCommand({ Bucket: bucket, Key: 'mp/bad', UploadId, PartNumber: 1, Body: 'small' }));
    const p2 = await s3.send(new UploadPartCommand({ Bucket: bucket, Key: 'mp/bad', UploadId, PartNumber: 2, Body: 'tail' }));
    const complete = (Parts: { ETag?: string; PartNumber: number }[]) =>
      s3.send(new CompleteMultipartUploadCommand({ Bucket: bucket, Key: 'mp/bad', UploadId, MultipartUpload: { Parts } }));
    expect(await errorName(complete([{ ETag: p1.ETag, PartNumber: 1 }, { ETag: p2.ETag, PartNumber: 2 }]))).toBe('EntityTooSmall');
    expect(await errorName(complete([{ ETag: '"0000"', PartNumber: 1 }]))).toBe('InvalidPart');
    expect(await errorName(complete([{ ETag: p2.ETag, PartNumber: 2 }, { ETag: p1.ETag, PartNumber: 1 }]))).toBe('InvalidPartOrder');
    const single = await complete([{ ETag: p1.ETag, PartNumber: 1 }]);
    expect(single.ETag).toMatch(/-1"$/);
    expect((await body(s3, bucket, 'mp/bad')).toString()).toBe('small');
  });

  it('multipart with CRC32 checksums: composite and full-object values', async () => {
    const parts = [randomBytes(5 * MiB), randomBytes(1000)];
    for (const ChecksumType of ['COMPOSITE', 'FULL_OBJECT'] as const) {
      const Key = `mp/crc-${ChecksumType}`;
      const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key, ChecksumAlgorithm: 'CRC32', ChecksumType }));
      const uploaded = [];
      for (let i = 0; i < parts.length; i++) {
        const r = await s3.send(new UploadPartCommand({ Bucket: bucket, Key, UploadId, PartNumber: i + 1, Body: parts[i], ChecksumAlgorithm: 'CRC32' }));
        uploaded.push({ PartNumber: i + 1, ETag: r.ETag, ChecksumCRC32: r.ChecksumCRC32 });
      }
      const done = await s3.send(new CompleteMultipartUploadCommand({ Bucket: bucket, Key, UploadId, MultipartUpload: { Parts: uploaded } }));
      const { crc32 } = await import('node:zlib');
      const whole = Buffer.alloc(4);
      whole.writeUInt32BE(crc32(Buffer.concat(parts)));
      if (ChecksumType === 'FULL_OBJECT') expect(done.ChecksumCRC32).toBe(whole.toString('base64'));
      else expect(done.ChecksumCRC32).toMatch(/-2$/);
      const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key, ChecksumMode: 'ENABLED' }));
      expect(head.ChecksumCRC32).toBe(done.ChecksumCRC32);
    }
  });

  it('copies server-side: metadata directives, self-copy rule, conditions, part copy', async () => {
    const data = randomBytes(3 * MiB + 11);
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'src', Body: data, ContentType: 'a/b', Metadata: { m: '1' } }));
    await s3.send(new CreateBucketCommand({ Bucket: 'features-dst' }));
    await s3.send(new CopyObjectCommand({ Bucket: 'features-dst', Key: 'copy', CopySource: `${bucket}/src` }));
    const copied = await s3.send(new HeadObjectCommand({ Bucket: 'features-dst', Key: 'copy' }));
    expect([copied.ContentType, copied.Metadata?.m]).toEqual(['a/b', '1']);
    expect(sha256(await body(s3, 'features-dst', 'copy'))).toBe(sha256(data));

    await s3.send(new CopyObjectCommand({ Bucket: bucket, Key: 'src', CopySource: `${bucket}/src`, MetadataDirective: 'REPLACE', ContentType: 'c/d' }));
    const replaced = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'src' }));
    expect([replaced.ContentType, replaced.Metadata?.m]).toEqual(['c/d', undefined]);
    expect(sha256(await body(s3, bucket, 'src'))).toBe(sha256(data));
    expect(await errorName(s3.send(new CopyObjectCommand({ Bucket: bucket, Key: 'src', CopySource: `${bucket}/src` })))).toBe('InvalidRequest');
    expect(
      await errorName(s3.send(new CopyObjectCommand({ Bucket: bucket, Key: 'x', CopySource: `${bucket}/src`, CopySourceIfMatch: '"nope"' }))),
    ).toBe('PreconditionFailed');
    expect(await errorName(s3.send(new CopyObjectCommand({ Bucket: bucket, Key: 'x', CopySource: `${bucket}/missing` })))).toBe('NoSuchKey');

    const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: 'assembled' }));
    const a = await s3.send(new UploadPartCopyCommand({ Bucket: bucket, Key: 'assembled', UploadId, PartNumber: 1, CopySource: `${bucket}/src`, CopySourceRange: `bytes=0-${5 * MiB - 1}`.replace(`${5 * MiB - 1}`, String(3 * MiB + 10)) }));
    const b = await s3.send(new UploadPartCopyCommand({ Bucket: bucket, Key: 'assembled', UploadId, PartNumber: 2, CopySource: `${bucket}/src`, CopySourceRange: 'bytes=10-19' }));
    expect(await errorName(s3.send(new UploadPartCopyCommand({ Bucket: bucket, Key: 'assembled', UploadId, PartNumber: 3, CopySource: `${bucket}/src`, CopySourceRange: `bytes=0-${data.length}` })))).toBe('InvalidArgument');
    await expect(
      s3.send(new CompleteMultipartUploadCommand({ Bucket: bucket, Key: 'assembled', UploadId, MultipartUpload: { Parts: [{ PartNumber: 1, ETag: a.CopyPartResult!.ETag }, { PartNumber: 2, ETag: b.CopyPartResult!.ETag }] } })),
    ).rejects.toMatchObject({ name: 'EntityTooSmall' });
  });

  it('conditional writes: If-None-Match * and If-Match', async () => {
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'cond', Body: 'one', IfNoneMatch: '*' }));
    expect(await errorName(s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'cond', Body: 'two', IfNoneMatch: '*' })))).toBe('PreconditionFailed');
    const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'cond' }));
    expect(await errorName(s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'cond', Body: 'two', IfMatch: '"abc"' })))).toBe('PreconditionFailed');
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'cond', Body: 'three', IfMatch: head.ETag }));
    expect((await body(s3, bucket, 'cond')).toString()).toBe('three');
    expect(await errorName(s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'absent', Body: 'x', IfMatch: head.ETag })))).toBe('NoSuchKey');
  });

  it('answers GetObjectAttributes and a parseable owner ACL', async () => {
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'attrs', Body: 'hello', ChecksumAlgorithm: 'SHA256' }));
    const attrs = await s3.send(new GetObjectAttributesCommand({ Bucket: bucket, Key: 'attrs', ObjectAttributes: ['ETag', 'ObjectSize', 'Checksum', 'StorageClass'] }));
    expect(attrs.ETag).toBe(createHash('md5').update('hello').digest('hex'));
    expect(attrs.ObjectSize).toBe(5);
    expect(attrs.Checksum?.ChecksumSHA256).toBe(createHash('sha256').update('hello').digest('base64'));
    const acl = await s3.send(new GetBucketAclCommand({ Bucket: bucket }));
    expect(acl.Grants?.[0]?.Permission).toBe('FULL_CONTROL');
  });

  it('accepts a POST policy upload and enforces its conditions', async () => {
    const fields = {
      key: 'forms/${filename}',
      'Content-Type': 'text/plain',
      ...signedPolicyFields([{ bucket }, ['starts-with', '$key', 'forms/'], ['content-length-range', 1, 100], ['starts-with', '$Content-Type', 'text/']]),
    };
    const post = (form: Record<string, string>, content: string) => postForm(server.endpoint, bucket, form, { name: 'upload.txt', content });
    expect((await post(fields, 'from a browser')).status).toBe(204);
    const stored = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'forms/upload.txt' }));
    expect([await stored.Body!.transformToString(), stored.ContentType]).toEqual(['from a browser', 'text/plain']);
    const tooBig = await post(fields, 'x'.repeat(101));
    expect([tooBig.status, errorCode(tooBig.text)]).toEqual([400, 'EntityTooLarge']);
    const wrongKey = await post({ ...fields, key: 'elsewhere/x' }, 'data');
    expect([wrongKey.status, errorCode(wrongKey.text)]).toEqual([403, 'AccessDenied']);
    const forged = await post({ ...fields, 'x-amz-signature': '0'.repeat(64) }, 'data');
    expect([forged.status, errorCode(forged.text)]).toEqual([403, 'SignatureDoesNotMatch']);
    const extra = await post({ ...fields, 'x-amz-meta-unlisted': 'v' }, 'data');
    expect(extra.status).toBe(403);
  });

  it('serves virtual-host style requests under --domain', async () => {
    const lookup = (_host: string, options: { all?: boolean }, cb: (...args: unknown[]) => void): void =>
      options?.all ? cb(null, [{ address: '127.0.0.1', family: 4 }]) : cb(null, '127.0.0.1', 4);
    const vhost = new S3Client({
      endpoint: `http://localhost:${server.port}`,
      region: 'us-east-1',
      forcePathStyle: false,
      credentials: { accessKeyId: ACCESS_KEY, secretAccessKey: SECRET_KEY },
      requestHandler: new NodeHttpHandler({ httpAgent: new http.Agent({ lookup } as http.AgentOptions) }),
    });
    await vhost.send(new PutObjectCommand({ Bucket: bucket, Key: 'vhost/a b+c', Body: 'virtual' }));
    expect((await body(s3, bucket, 'vhost/a b+c')).toString()).toBe('virtual');
    expect((await body(vhost, bucket, 'vhost/a b+c')).toString()).toBe('virtual');
  });

  it('answers CORS preflights only for allowed origins', async () => {
    const preflight = (origin: string) =>
      fetch(`${server.endpoint}/${bucket}/k`, { method: 'OPTIONS', headers: { Origin: origin, 'Access-Control-Request-Method': 'PUT' } });
    const ok = await preflight('https://app.example');
    expect([ok.status, ok.headers.get('access-control-allow-origin')]).toEqual([200, 'https://app.example']);
    const refused = await preflight('https://evil.example');
    expect([refused.status, (await refused.text()).match(/<Code>(\w+)</)?.[1]]).toEqual([403, 'AccessForbidden']);
  });
});
