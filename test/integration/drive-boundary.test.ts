/**
 * Client input that reaches the drives' name checks (src/storage/names.ts) is answered by the S3
 * layer as S3 would answer it, never as a drive failure (503) or an internal error:
 *  - listings page past a 1024-byte key, and a start-after longer than any key still lists what follows;
 *  - a made-up continuation token that looks issued is InvalidArgument;
 *  - an upload id this server could not have issued is NoSuchUpload;
 *  - a bucket name S3 forbids is InvalidBucketName on object calls and in a copy source;
 *  - heal state files of any shape on a drive do not stop the server from starting.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CreateBucketCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawRequest } from '../helpers/raw.js';
import { TestServer } from '../helpers/server.js';

const BUCKET = 'boundary';
const LONG_KEY = `k${'x'.repeat(1023)}`;
const KEYS = ['a', 'b', LONG_KEY, 'kz', 'z'];

describe('S3 input at the drive boundary', () => {
  let server: TestServer;
  let s3: S3Client;

  beforeAll(async () => {
    server = await TestServer.start();
    s3 = server.client();
    await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
    for (const key of KEYS) await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: key.slice(0, 10) }));
  });
  afterAll(async () => {
    s3?.destroy();
    await server?.destroy();
  });

  it('pages past a 1024-byte key, and lists after it or after a start-after longer than any key', async () => {
    const seen: string[] = [];
    let token: string | undefined;
    do {
      const page = await s3.send(new ListObjectsV2Command({ Bucket: BUCKET, MaxKeys: 1, ContinuationToken: token }));
      seen.push(...(page.Contents ?? []).map((o) => o.Key!));
      token = page.NextContinuationToken;
    } while (token);
    expect(seen).toEqual(KEYS);
    const afterLong = await s3.send(new ListObjectsV2Command({ Bucket: BUCKET, StartAfter: LONG_KEY }));
    expect(afterLong.Contents?.map((o) => o.Key)).toEqual(['kz', 'z']);
    const afterHuge = await s3.send(new ListObjectsV2Command({ Bucket: BUCKET, StartAfter: `k${'x'.repeat(2000)}` }));
    expect(afterHuge.Contents?.map((o) => o.Key)).toEqual(['kz', 'z']);
    const v1 = await rawRequest(server.endpoint, { method: 'GET', path: `/${BUCKET}`, query: `marker=${'y'.repeat(1500)}` });
    expect(v1.status).toBe(200);
    expect(v1.text).toContain('<Key>z</Key>');
    expect(v1.text).not.toContain('<Key>kz</Key>');
  });

  it('refuses a made-up continuation token that looks issued with InvalidArgument', async () => {
    const forged = Buffer.concat([Buffer.from('tp1:'), Buffer.alloc(3000, 0x6b)]).toString('base64url');
    const res = await rawRequest(server.endpoint, { method: 'GET', path: `/${BUCKET}`, query: `list-type=2&continuation-token=${forged}` });
    expect(res.status, res.text).toBe(400);
    expect(res.text).toContain('<Code>InvalidArgument</Code>');
  });

  it('answers NoSuchUpload for upload ids it could not have issued', async () => {
    for (const id of ['bogus', '../../x', 'a'.repeat(63), 'A'.repeat(64), `${'a'.repeat(64)}/..`]) {
      for (const [method, query] of [['GET', `uploadId=${encodeURIComponent(id)}`], ['DELETE', `uploadId=${encodeURIComponent(id)}`], ['PUT', `partNumber=1&uploadId=${encodeURIComponent(id)}`]]) {
        const res = await rawRequest(server.endpoint, { method, path: `/${BUCKET}/key`, query, body: method === 'PUT' ? 'part' : undefined });
        expect(res.status, `${method} ${id}: ${res.text}`).toBe(404);
        expect(res.text).toContain('<Code>NoSuchUpload</Code>');
      }
    }
  });

  it('answers InvalidBucketName for bucket names S3 forbids, on object calls and in a copy source', async () => {
    for (const bucket of ['UPPER', 'a', 'under_score', '.tessera.sys', 'x..y']) {
      const get = await rawRequest(server.endpoint, { method: 'GET', path: `/${encodeURIComponent(bucket)}/key` });
      expect(get.status, `${bucket}: ${get.text}`).toBe(400);
      expect(get.text).toContain('<Code>InvalidBucketName</Code>');
      const copy = await rawRequest(server.endpoint, { method: 'PUT', path: `/${BUCKET}/copy`, headers: { 'x-amz-copy-source': `/${encodeURIComponent(bucket)}/key` } });
      expect(copy.status, `${bucket}: ${copy.text}`).toBe(400);
      expect(copy.text).toContain('<Code>InvalidBucketName</Code>');
    }
  });

  it('starts with heal state files of any shape on its drives', async () => {
    await server.stop();
    const shapes = ['null', '[]', '"text"', '{"version":1,"buckets":null}', '{"entries":[null,1,"x"]}', '{'];
    for (const [i, drive] of server.drives.entries()) {
      await writeFile(join(drive, '.tessera.sys', 'healing.json'), shapes[i % shapes.length]);
      await writeFile(join(drive, '.tessera.sys', 'mrf.json'), shapes[(i + 1) % shapes.length]);
    }
    await server.launch();
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: BUCKET }));
    expect(listed.Contents?.map((o) => o.Key)).toEqual(KEYS);
  });
});
