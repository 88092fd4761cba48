/**
 * Regressions from the review of the IAM change:
 * - a bucket ACL's WRITE grant let its grantee (anonymous, with public-read-write) delete versions
 *   for good; AWS gives s3:DeleteObjectVersion through WRITE to the bucket owner only;
 * - a service account's access key, which its user picks freely, passed for the name of a user in a
 *   bucket policy's Principal: any user could take the grants meant for a user that does not exist yet.
 */
import { CreateBucketCommand, DeleteObjectCommand, GetObjectCommand, PutBucketAclCommand, PutBucketPolicyCommand, PutBucketVersioningCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AdminClient } from '../../src/admin/client.js';
import { TestServer } from '../helpers/server.js';
import { anonymousS3, outcome, rootAdmin, s3As, ROOT_KEYS } from '../helpers/iam-fixtures.js';

let server: TestServer;

beforeAll(async () => {
  server = await TestServer.start();
});

afterAll(async () => {
  await server?.destroy();
});

describe('grants reach no further than AWS gives them', () => {
  it('a WRITE grant writes and deletes (a marker) but does not delete a version for good', async () => {
    const root = s3As(server, ROOT_KEYS);
    await root.send(new CreateBucketCommand({ Bucket: 'open-writes', ObjectOwnership: 'ObjectWriter' }));
    await root.send(new PutBucketVersioningCommand({ Bucket: 'open-writes', VersioningConfiguration: { Status: 'Enabled' } }));
    await root.send(new PutBucketAclCommand({ Bucket: 'open-writes', ACL: 'public-read-write' }));
    const kept = await root.send(new PutObjectCommand({ Bucket: 'open-writes', Key: 'ledger', Body: 'history' }));
    const anonymous = anonymousS3(server);
    expect((await outcome(anonymous.send(new PutObjectCommand({ Bucket: 'open-writes', Key: 'drop', Body: 'x' })))).verdict).toBe('allow');
    expect((await outcome(anonymous.send(new DeleteObjectCommand({ Bucket: 'open-writes', Key: 'ledger' })))).verdict).toBe('allow');
    expect((await outcome(anonymous.send(new DeleteObjectCommand({ Bucket: 'open-writes', Key: 'ledger', VersionId: kept.VersionId })))).verdict).toBe('AccessDenied');
    expect((await outcome(root.send(new GetObjectCommand({ Bucket: 'open-writes', Key: 'ledger', VersionId: kept.VersionId })))).verdict).toBe('allow');
  });

  it('a service account named like another user gets none of the grants a bucket policy gives that user', async () => {
    const admin = rootAdmin(server);
    const root = s3As(server, ROOT_KEYS);
    await root.send(new CreateBucketCommand({ Bucket: 'for-bob' }));
    await root.send(new PutObjectCommand({ Bucket: 'for-bob', Key: 'note', Body: 'for bob only' }));
    await root.send(new PutBucketPolicyCommand({
      Bucket: 'for-bob',
      Policy: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: ['bob', 'arn:aws:iam::000000000000:user/bob'] }, Action: 's3:GetObject', Resource: 'arn:aws:s3:::for-bob/*' }] }),
    }));
    await admin.addUser('mallory', 'mallory-secret-key');
    const mallory = { accessKey: 'mallory', secretKey: 'mallory-secret-key' };
    const asMallory = new AdminClient({ url: server.endpoint, accessKey: mallory.accessKey, secretKey: mallory.secretKey });
    const posing = await asMallory.addServiceAccount('mallory', { accessKey: 'bob', secretKey: 'posing-as-bob' });
    expect((await outcome(s3As(server, posing).send(new GetObjectCommand({ Bucket: 'for-bob', Key: 'note' })))).verdict).toBe('AccessDenied');
  });
});
