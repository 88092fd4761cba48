/**
 * Regression: a POST form upload signed by a user allowed only s3:PutObject set COMPLIANCE retention,
 * a legal hold and tags on the object it wrote, which the same user's PUT may not (those need
 * s3:PutObjectRetention, s3:PutObjectLegalHold and s3:PutObjectTagging): a writer could leave
 * objects nobody, root included, can delete until 2099.
 */
import { CreateBucketCommand, HeadObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postForm, signedPolicyFields } from '../helpers/post-form.js';
import { TestServer } from '../helpers/server.js';
import { outcome, rootAdmin, s3As, ROOT_KEYS } from '../helpers/iam-fixtures.js';

const BUCKET = 'form-locked';
const WRITER = { accessKey: 'formwriter', secretKey: 'formwriter-secret' };
let server: TestServer;

beforeAll(async () => {
  server = await TestServer.start();
  const admin = rootAdmin(server);
  await s3As(server, ROOT_KEYS).send(new CreateBucketCommand({ Bucket: BUCKET, ObjectLockEnabledForBucket: true }));
  await admin.addUser(WRITER.accessKey, WRITER.secretKey);
  await admin.attachPolicies(['writeonly'], { user: WRITER.accessKey });
});

afterAll(async () => {
  await server?.destroy();
});

function form(key: string, extra: Record<string, string>): Record<string, string> {
  const fields = { key, ...extra };
  const conditions = [{ bucket: BUCKET }, ...Object.entries(fields).map(([name, value]) => ({ [name]: value }))];
  return { ...fields, ...signedPolicyFields(conditions, 600_000, WRITER) };
}

describe('a form upload by a writer without the attribute permissions', () => {
  it.each([
    ['COMPLIANCE retention', { 'x-amz-object-lock-mode': 'COMPLIANCE', 'x-amz-object-lock-retain-until-date': '2099-01-01T00:00:00Z' }],
    ['a legal hold', { 'x-amz-object-lock-legal-hold': 'ON' }],
    ['tags', { tagging: '<Tagging><TagSet><Tag><Key>a</Key><Value>b</Value></Tag></TagSet></Tagging>' }],
  ])('setting %s is refused and stores nothing', async (_, extra) => {
    const key = `locked-${Object.keys(extra)[0]}`;
    const res = await postForm(server.endpoint, BUCKET, form(key, extra), { name: 'f.txt', content: 'data' });
    expect(res.status).toBe(403);
    expect((await outcome(s3As(server, ROOT_KEYS).send(new HeadObjectCommand({ Bucket: BUCKET, Key: key })))).verdict).not.toBe('allow');
  });

  it('without them, the upload is taken', async () => {
    const res = await postForm(server.endpoint, BUCKET, form('plain', {}), { name: 'f.txt', content: 'data' });
    expect(res.status).toBe(204);
  });
});
