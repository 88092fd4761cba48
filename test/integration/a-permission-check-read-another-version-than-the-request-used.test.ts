/**
 * Regression: decisions that read an object's own state (its ACL, its tags for s3:ExistingObjectTag)
 * read the wrong version of it. A copy's source was judged by the version the destination URL's
 * `?versionId` named, or by the latest version, while the copy read the version `x-amz-copy-source`
 * named; DeleteObjects judged every entry by the latest version whatever VersionId the entry gave. A
 * user could so copy out a version it may not read, and delete a version a tag protects.
 */
import {
  CopyObjectCommand,
  CreateBucketCommand,
  DeleteObjectsCommand,
  PutBucketVersioningCommand,
  PutObjectCommand,
  GetObjectCommand,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawRequest } from '../helpers/raw.js';
import { TestServer } from '../helpers/server.js';
import { outcome, rootAdmin, s3As, ROOT_KEYS } from '../helpers/iam-fixtures.js';

const BUCKET = 'versions-judged';
const MALLORY = { accessKey: 'mallory', secretKey: 'mallory-secret-key' };
const DAVE = { accessKey: 'dave', secretKey: 'dave-secret-key' };
let server: TestServer;

beforeAll(async () => {
  server = await TestServer.start();
  const admin = rootAdmin(server);
  const root = s3As(server, ROOT_KEYS);
  await root.send(new CreateBucketCommand({ Bucket: BUCKET, ObjectOwnership: 'ObjectWriter' }));
  await root.send(new PutBucketVersioningCommand({ Bucket: BUCKET, VersioningConfiguration: { Status: 'Enabled' } }));
  await admin.addUser(MALLORY.accessKey, MALLORY.secretKey);
  await admin.putPolicy('put-only', JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:PutObject', Resource: `arn:aws:s3:::${BUCKET}/*` }] }));
  await admin.attachPolicies(['put-only'], { user: MALLORY.accessKey });
  await admin.addUser(DAVE.accessKey, DAVE.secretKey);
  await admin.putPolicy('tagged-only', JSON.stringify({
    Version: '2012-10-17',
    Statement: [
      { Effect: 'Allow', Action: ['s3:GetObject', 's3:GetObjectVersion'], Resource: `arn:aws:s3:::${BUCKET}/*`, Condition: { StringEquals: { 's3:ExistingObjectTag/classification': 'public' } } },
      { Effect: 'Allow', Action: ['s3:PutObject', 's3:DeleteObject', 's3:DeleteObjectVersion'], Resource: `arn:aws:s3:::${BUCKET}/*` },
      { Effect: 'Deny', Action: ['s3:DeleteObject', 's3:DeleteObjectVersion'], Resource: `arn:aws:s3:::${BUCKET}/*`, Condition: { StringEquals: { 's3:ExistingObjectTag/protected': 'true' } } },
    ],
  }));
  await admin.attachPolicies(['tagged-only'], { user: DAVE.accessKey });
});

afterAll(async () => {
  await server?.destroy();
});

describe('a copy source is judged by the version the copy reads', () => {
  it('an older version the user may not read is not copied out, though the user owns the latest', async () => {
    const root = s3As(server, ROOT_KEYS);
    const mallory = s3As(server, MALLORY);
    const secret = await root.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'report', Body: 'root only' }));
    await mallory.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'report', Body: 'mallory' }));
    const copy = await outcome(mallory.send(new CopyObjectCommand({ Bucket: BUCKET, Key: 'loot', CopySource: `${BUCKET}/report?versionId=${secret.VersionId}` })));
    expect(copy.verdict).toBe('AccessDenied');
  });

  it('the destination URL cannot name the version whose ACL the source is judged by', async () => {
    const root = s3As(server, ROOT_KEYS);
    const mallory = s3As(server, MALLORY);
    const hers = await mallory.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'report3', Body: 'mallory first' }));
    await root.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'report3', Body: 'root only, latest' }));
    const copy = await rawRequest(server.endpoint, {
      method: 'PUT',
      path: `/${BUCKET}/loot3`,
      query: `versionId=${hers.VersionId}`,
      headers: { 'x-amz-copy-source': `/${BUCKET}/report3` },
      accessKey: MALLORY.accessKey,
      secretKey: MALLORY.secretKey,
    });
    expect(copy.status).toBe(403);
  });

  it('s3:ExistingObjectTag is read from the version copied', async () => {
    const root = s3As(server, ROOT_KEYS);
    const dave = s3As(server, DAVE);
    const confidential = await root.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'doc', Body: 'confidential' }));
    await root.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'doc', Body: 'public', Tagging: 'classification=public' }));
    expect((await outcome(dave.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'doc' })))).verdict).toBe('allow');
    expect((await outcome(dave.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'doc', VersionId: confidential.VersionId })))).verdict).toBe('AccessDenied');
    const copy = await outcome(dave.send(new CopyObjectCommand({ Bucket: BUCKET, Key: 'dave/loot', CopySource: `${BUCKET}/doc?versionId=${confidential.VersionId}` })));
    expect(copy.verdict).toBe('AccessDenied');
  });
});

describe('DeleteObjects judges each entry by the version it names', () => {
  it('a version a tag protects is not deleted through an entry naming it', async () => {
    const root = s3As(server, ROOT_KEYS);
    const dave = s3As(server, DAVE);
    const guarded = await root.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'ledger', Body: 'keep', Tagging: 'protected=true' }));
    await root.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'ledger', Body: 'latest, unprotected' }));
    const answer = await dave.send(new DeleteObjectsCommand({ Bucket: BUCKET, Delete: { Objects: [{ Key: 'ledger', VersionId: guarded.VersionId }] } }));
    expect(answer.Deleted ?? []).toEqual([]);
    expect(answer.Errors?.[0]?.Code).toBe('AccessDenied');
    expect((await outcome(root.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'ledger', VersionId: guarded.VersionId })))).verdict).toBe('allow');
  });
});
