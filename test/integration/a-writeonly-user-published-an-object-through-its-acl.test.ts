/**
 * Regression: a user allowed s3:PutObject but not s3:PutObjectAcl wrote objects with `x-amz-acl:
 * public-read` (or a grant header to AllUsers) into a bucket with ACLs on, and anonymous requests could
 * then read them. AWS asks for s3:PutObjectAcl to set an ACL with a write; Tessera asks for it when the
 * ACL grants anyone beyond the object's owner and the bucket owner (a `private` or
 * `bucket-owner-full-control` ACL, which rclone and others send by default, needs nothing more).
 */
import { CopyObjectCommand, CreateBucketCommand, CreateMultipartUploadCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestServer } from '../helpers/server.js';
import { outcome, rootAdmin, s3As, ROOT_KEYS } from '../helpers/iam-fixtures.js';

const BUCKET = 'writer-owned';
let server: TestServer;

beforeAll(async () => {
  server = await TestServer.start();
  const admin = rootAdmin(server);
  await admin.addUser('wonly', 'wonly-secret-key');
  await admin.attachPolicies(['writeonly'], { user: 'wonly' });
  await s3As(server, ROOT_KEYS).send(new CreateBucketCommand({ Bucket: BUCKET, ObjectOwnership: 'ObjectWriter' }));
  await s3As(server, ROOT_KEYS).send(new PutObjectCommand({ Bucket: BUCKET, Key: 'source', Body: 'source' }));
});

afterAll(async () => {
  await server?.destroy();
});

describe('a write that sets an ACL', () => {
  it('granting AllUsers needs s3:PutObjectAcl, on PUT, copy and multipart', async () => {
    const wonly = s3As(server, { accessKey: 'wonly', secretKey: 'wonly-secret-key' });
    expect((await outcome(wonly.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'k', Body: 'x', ACL: 'public-read' })))).verdict).toBe('AccessDenied');
    expect((await outcome(wonly.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'k', Body: 'x', GrantRead: 'uri="http://acs.amazonaws.com/groups/global/AllUsers"' })))).verdict).toBe('AccessDenied');
    expect((await outcome(wonly.send(new CreateMultipartUploadCommand({ Bucket: BUCKET, Key: 'm', ACL: 'public-read' })))).verdict).toBe('AccessDenied');
    const root = s3As(server, ROOT_KEYS);
    expect((await outcome(root.send(new CopyObjectCommand({ Bucket: BUCKET, Key: 'c', CopySource: `${BUCKET}/source`, ACL: 'public-read' })))).verdict).toBe('allow');
    expect((await fetch(`${server.endpoint}/${BUCKET}/k`)).status).toBe(403);
  });

  it('that is private or gives the bucket owner full control needs nothing more', async () => {
    const wonly = s3As(server, { accessKey: 'wonly', secretKey: 'wonly-secret-key' });
    expect((await outcome(wonly.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'p', Body: 'x', ACL: 'private' })))).verdict).toBe('allow');
    expect((await outcome(wonly.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'q', Body: 'x', ACL: 'bucket-owner-full-control' })))).verdict).toBe('allow');
  });
});
