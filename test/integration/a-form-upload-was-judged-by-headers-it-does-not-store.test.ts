/**
 * Regression: a POST form upload's policy conditions read the request's HTTP headers while what it
 * stored came from the form's fields, so a form dodged a Deny on s3:object-lock-mode (and stored
 * COMPLIANCE retention) or met an Allow on s3:x-amz-acl with a header while its `acl` field set
 * another ACL. Conditions now read the fields, as a PUT's read its headers.
 */
import { CreateBucketCommand, HeadObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formBody, signedPolicyFields } from '../helpers/post-form.js';
import { rawRequest } from '../helpers/raw.js';
import { TestServer } from '../helpers/server.js';
import { outcome, rootAdmin, s3As, ROOT_KEYS } from '../helpers/iam-fixtures.js';

const LOCKED = 'form-conditions-locked';
const ACLS = 'form-conditions-acl';
const USER = { accessKey: 'formuser', secretKey: 'formuser-secret' };
let server: TestServer;

beforeAll(async () => {
  server = await TestServer.start();
  const root = s3As(server, ROOT_KEYS);
  await root.send(new CreateBucketCommand({ Bucket: LOCKED, ObjectLockEnabledForBucket: true }));
  await root.send(new CreateBucketCommand({ Bucket: ACLS, ObjectOwnership: 'ObjectWriter' }));
  const admin = rootAdmin(server);
  await admin.addUser(USER.accessKey, USER.secretKey);
  await admin.putPolicy('form-conditions', JSON.stringify({
    Version: '2012-10-17',
    Statement: [
      { Effect: 'Allow', Action: ['s3:PutObject', 's3:PutObjectRetention', 's3:PutObjectAcl'], Resource: 'arn:aws:s3:::*' },
      { Effect: 'Deny', Action: 's3:PutObject', Resource: `arn:aws:s3:::${LOCKED}/*`, Condition: { StringEquals: { 's3:object-lock-mode': 'COMPLIANCE' } } },
      { Effect: 'Deny', Action: 's3:PutObject', Resource: `arn:aws:s3:::${ACLS}/*`, Condition: { StringNotEquals: { 's3:x-amz-acl': 'private' } } },
    ],
  }));
  await admin.attachPolicies(['form-conditions'], { user: USER.accessKey });
});

afterAll(async () => {
  await server?.destroy();
});

/** POSTs a form signed by USER, with extra HTTP headers beside the form's own. */
function post(bucket: string, fields: Record<string, string>, headers: Record<string, string> = {}) {
  const conditions = [{ bucket }, ...Object.entries(fields).map(([name, value]) => ({ [name]: value }))];
  const { body, contentType } = formBody({ ...fields, ...signedPolicyFields(conditions, 600_000, USER) }, { name: 'f.txt', content: 'data' });
  return rawRequest(server.endpoint, { method: 'POST', path: `/${bucket}`, headers: { ...headers, 'content-type': contentType }, body, sign: false });
}

describe('a form upload is judged by the fields it stores', () => {
  it('a Deny on s3:object-lock-mode COMPLIANCE refuses a form that sets it', async () => {
    const res = await post(LOCKED, { key: 'locked', 'x-amz-object-lock-mode': 'COMPLIANCE', 'x-amz-object-lock-retain-until-date': '2099-01-01T00:00:00Z' });
    expect(res.status).toBe(403);
    expect((await outcome(s3As(server, ROOT_KEYS).send(new HeadObjectCommand({ Bucket: LOCKED, Key: 'locked' })))).verdict).not.toBe('allow');
  });

  it('a header cannot stand in for the acl field', async () => {
    const res = await post(ACLS, { key: 'public', acl: 'public-read' }, { 'x-amz-acl': 'private' });
    expect(res.status).toBe(403);
    expect((await post(ACLS, { key: 'private', acl: 'private' })).status).toBe(204);
  });
});
