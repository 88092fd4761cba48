/**
 * Regression: a POST form with Object Lock fields and neither Content-MD5 nor a checksum field was
 * stored with its retention or legal hold, where the same settings on a PUT are refused with
 * InvalidRequest (AWS's rule, README: "with Content-MD5 or a checksum"): the form did not tell the
 * object layer whether it proved its body.
 */
import { createHash } from 'node:crypto';
import { CreateBucketCommand, HeadObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exactPolicyForm, postForm } from '../helpers/post-form.js';
import { errorCode } from '../helpers/raw.js';
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

  it('with Content-MD5 the settings are stored', async () => {
    const md5 = createHash('md5').update(CONTENT).digest('base64');
    const res = await postForm(server.endpoint, BUCKET, exactPolicyForm(BUCKET, { key: 'with-digest', 'content-md5': md5, ...RETENTION }), { name: 'f.txt', content: CONTENT });
    expect(res.status).toBe(204);
    const head = await s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'with-digest' }));
    expect([head.ObjectLockMode, head.ObjectLockRetainUntilDate?.toISOString()]).toEqual(['GOVERNANCE', '2099-01-01T00:00:00.000Z']);
  });
});
