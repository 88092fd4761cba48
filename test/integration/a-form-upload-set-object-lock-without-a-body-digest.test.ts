/**
 * Regression: a POST form with Object Lock fields and neither Content-MD5 nor a checksum field was
 * stored with its retention or legal hold, where the same settings on a PUT are refused with
 * InvalidRequest (AWS's rule, README: "with Content-MD5 or a checksum"): the form did not tell the
 * object layer whether it proved its body. And a checksum algorithm named with no value
 * (`x-amz-checksum-type`, `x-amz-checksum-algorithm`, `x-amz-sdk-checksum-algorithm`) counted as
 * proof, on forms and on PUT alike, though nothing was checked against the body.
 */
import { createHash } from 'node:crypto';
import { CreateBucketCommand, HeadObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exactPolicyForm, postForm } from '../helpers/post-form.js';
import { crc32Base64, errorCode, rawRequest } from '../helpers/raw.js';
import { TestServer, endServer } from '../helpers/server.js';

const BUCKET = 'form-lock-digest';
const CONTENT = 'locked form data';
let server: TestServer;
let s3: S3Client;

beforeAll(async () => {
  server = await TestServer.start();
  s3 = server.client();
  await s3.send(new CreateBucketCommand({ Bucket: BUCKET, ObjectLockEnabledForBucket: true }));
});

afterAll(() => endServer(server, s3));

const RETENTION = { 'x-amz-object-lock-mode': 'GOVERNANCE', 'x-amz-object-lock-retain-until-date': '2099-01-01T00:00:00Z' };

describe('a form with Object Lock fields', () => {
  it.each([
    ['retention', RETENTION],
    ['a legal hold', { 'x-amz-object-lock-legal-hold': 'ON' }],
  ])('setting %s without Content-MD5 or a checksum is InvalidRequest and stores nothing', async (_, lock) => {
    const key = `no-digest-${Object.keys(lock).length}`;
    const res = await postForm(server.endpoint, BUCKET, exactPolicyForm(BUCKET, { key, ...lock }), { name: 'f.txt', content: CONTENT });
    expect([res.status, errorCode(res.text)]).toEqual([400, 'InvalidRequest']);
    await expect(s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key }))).rejects.toMatchObject({ name: 'NotFound' });
  });

  it.each([
    ['x-amz-checksum-type', { 'x-amz-checksum-type': 'FULL_OBJECT' }],
    ['x-amz-checksum-algorithm', { 'x-amz-checksum-algorithm': 'CRC32' }],
  ])('a checksum named by %s with no value proves nothing: InvalidRequest', async (name, named) => {
    const key = `named-only-${name}`;
    const res = await postForm(server.endpoint, BUCKET, exactPolicyForm(BUCKET, { key, ...named, ...RETENTION }), { name: 'f.txt', content: CONTENT });
    expect([res.status, errorCode(res.text)]).toEqual([400, 'InvalidRequest']);
    await expect(s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key }))).rejects.toMatchObject({ name: 'NotFound' });
  });

  it('with Content-MD5 the settings are stored', async () => {
    const md5 = createHash('md5').update(CONTENT).digest('base64');
    const res = await postForm(server.endpoint, BUCKET, exactPolicyForm(BUCKET, { key: 'with-digest', 'content-md5': md5, ...RETENTION }), { name: 'f.txt', content: CONTENT });
    expect(res.status).toBe(204);
    const head = await s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'with-digest' }));
    expect([head.ObjectLockMode, head.ObjectLockRetainUntilDate?.toISOString()]).toEqual(['GOVERNANCE', '2099-01-01T00:00:00.000Z']);
  });
});

describe('a PUT with Object Lock headers', () => {
  it('x-amz-sdk-checksum-algorithm with no checksum value proves nothing: InvalidRequest, nothing stored', async () => {
    const res = await rawRequest(server.endpoint, {
      method: 'PUT',
      path: `/${BUCKET}/put-named-only`,
      headers: { 'x-amz-sdk-checksum-algorithm': 'CRC32', ...RETENTION },
      body: CONTENT,
    });
    expect([res.status, errorCode(res.text)]).toEqual([400, 'InvalidRequest']);
    await expect(s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'put-named-only' }))).rejects.toMatchObject({ name: 'NotFound' });
  });

  it('with its x-amz-checksum-crc32 value, the retention is stored', async () => {
    const res = await rawRequest(server.endpoint, {
      method: 'PUT',
      path: `/${BUCKET}/put-with-crc`,
      headers: { 'x-amz-checksum-crc32': crc32Base64(Buffer.from(CONTENT)), ...RETENTION },
      body: CONTENT,
    });
    expect(res.status).toBe(200);
    expect((await s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'put-with-crc' }))).ObjectLockMode).toBe('GOVERNANCE');
  });
});
