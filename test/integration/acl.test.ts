/**
 * S3 Object Ownership and ACLs as AWS documents them ("Controlling ownership of objects and disabling
 * ACLs for your bucket", "Access control list (ACL) overview" with its Canned ACL table, and the
 * PutObject/PutObjectAcl/CreateBucket API references), against a real server with the SDK v3 and raw
 * unsigned requests.
 *
 * Every bucket here is owned by a user (not root), so that who owns what is visible: under
 * BucketOwnerEnforced (the default) ACLs are off and the bucket owner owns everything; under
 * ObjectWriter each object is its writer's and grants decide access; under BucketOwnerPreferred an
 * object written with bucket-owner-full-control becomes the bucket owner's.
 */
import {
  CreateBucketCommand,
  DeleteBucketOwnershipControlsCommand,
  GetBucketAclCommand,
  GetBucketOwnershipControlsCommand,
  GetObjectAclCommand,
  GetObjectCommand,
  ListBucketsCommand,
  ListObjectsV2Command,
  PutBucketAclCommand,
  PutBucketOwnershipControlsCommand,
  PutObjectAclCommand,
  PutObjectCommand,
  type Grant,
  type ObjectCannedACL,
  type ObjectOwnership,
  type S3Client,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postForm, signedPolicyFields } from '../helpers/post-form.js';
import type { AdminClient } from '../../src/admin/client.js';
import { outcome, rootAdmin, ROOT_KEYS, s3As, verdict } from '../helpers/iam-fixtures.js';
import { errorCode, rawRequest } from '../helpers/raw.js';
import { TestServer } from '../helpers/server.js';

const SECRET = 'acl-test-secret';
const ALL_USERS = 'http://acs.amazonaws.com/groups/global/AllUsers';
const AUTHENTICATED_USERS = 'http://acs.amazonaws.com/groups/global/AuthenticatedUsers';
const READER_EMAIL = 'reader@example.com';

/** A grant list as comparable strings: `user:<id>:<permission>` or `group:<uri>:<permission>`, sorted. */
function grantList(grants: Grant[] | undefined): string[] {
  return (grants ?? [])
    .map((g) => (g.Grantee?.Type === 'Group' ? `group:${g.Grantee.URI}:${g.Permission}` : `user:${g.Grantee?.ID}:${g.Permission}`))
    .sort();
}

const user = (id: string, permission: string): string => `user:${id}:${permission}`;
const group = (uri: string, permission: string): string => `group:${uri}:${permission}`;

describe('Object Ownership and ACLs', () => {
  let server: TestServer;
  let admin: AdminClient;
  let root: S3Client;
  /** Has readwrite: makes the buckets, so owns them. */
  let owner: S3Client;
  /** May only PutObject and PutObjectAcl (the PutObject API reference asks for both to write with an ACL). */
  let writer: S3Client;
  /** Has no policy at all: whatever it gets, an ACL gave it. */
  let reader: S3Client;
  const ids = { root: '', owner: '', writer: '', reader: '' };

  const anonymous = (method: string, path: string, query = '', body?: string) =>
    rawRequest(server.endpoint, { method, path, query, sign: false, ...(body !== undefined ? { body } : {}) });
  const objectAcl = (Bucket: string, Key: string) => root.send(new GetObjectAclCommand({ Bucket, Key }));
  const ownershipOf = async (Bucket: string): Promise<string | undefined> =>
    (await root.send(new GetBucketOwnershipControlsCommand({ Bucket }))).OwnershipControls?.Rules?.[0]?.ObjectOwnership;

  beforeAll(async () => {
    server = await TestServer.start({ drives: 4 });
    admin = rootAdmin(server);
    root = s3As(server, ROOT_KEYS);
    await admin.putPolicy(
      'put-with-acl',
      JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ['s3:PutObject', 's3:PutObjectAcl'], Resource: 'arn:aws:s3:::*' }] }),
    );
    for (const name of ['owner', 'writer', 'reader']) await admin.addUser(name, SECRET);
    await admin.attachPolicies(['readwrite'], { user: 'owner' });
    await admin.attachPolicies(['put-with-acl'], { user: 'writer' });
    owner = s3As(server, { accessKey: 'owner', secretKey: SECRET });
    writer = s3As(server, { accessKey: 'writer', secretKey: SECRET });
    reader = s3As(server, { accessKey: 'reader', secretKey: SECRET });
    ids.owner = (await admin.userInfo('owner')).canonicalId;
    ids.writer = (await admin.userInfo('writer')).canonicalId;
    ids.reader = (await admin.userInfo('reader')).canonicalId;
    ids.root = (await root.send(new ListBucketsCommand({}))).Owner!.ID!;
    expect(new Set(Object.values(ids)).size).toBe(4);
  });

  afterAll(async () => {
    await server?.destroy();
  });

  describe('ownership controls', () => {
    it('a new bucket says BucketOwnerEnforced', async () => {
      await owner.send(new CreateBucketCommand({ Bucket: 'own-default' }));
      expect(await ownershipOf('own-default')).toBe('BucketOwnerEnforced');
    });

    it('Put and Get round trip each setting; after Delete, GET answers 404 OwnershipControlsNotFoundError', async () => {
      for (const setting of ['ObjectWriter', 'BucketOwnerPreferred', 'BucketOwnerEnforced'] as ObjectOwnership[]) {
        const put = await owner.send(new PutBucketOwnershipControlsCommand({ Bucket: 'own-default', OwnershipControls: { Rules: [{ ObjectOwnership: setting }] } }));
        expect(put.$metadata.httpStatusCode).toBe(200);
        expect(await ownershipOf('own-default')).toBe(setting);
      }
      const del = await owner.send(new DeleteBucketOwnershipControlsCommand({ Bucket: 'own-default' }));
      expect(del.$metadata.httpStatusCode).toBe(204);
      expect(await outcome(root.send(new GetBucketOwnershipControlsCommand({ Bucket: 'own-default' })))).toEqual({ verdict: 'OwnershipControlsNotFoundError', status: 404 });
    });

    it.each(['ObjectWriter', 'BucketOwnerPreferred', 'BucketOwnerEnforced'] as ObjectOwnership[])('CreateBucket with x-amz-object-ownership %s makes the bucket so', async (setting) => {
      const Bucket = `own-${setting.toLowerCase()}`;
      await owner.send(new CreateBucketCommand({ Bucket, ObjectOwnership: setting }));
      expect(await ownershipOf(Bucket)).toBe(setting);
    });
  });

  describe('BucketOwnerEnforced: ACLs are off', () => {
    const BUCKET = 'acl-enforced';

    beforeAll(async () => {
      await owner.send(new CreateBucketCommand({ Bucket: BUCKET }));
      await writer.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'by-writer.txt', Body: 'x' }));
    });

    it('PutObject with ACL public-read is refused: 400 AccessControlListNotSupported', async () => {
      expect(await outcome(writer.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'public.txt', Body: 'x', ACL: 'public-read' })))).toEqual({
        verdict: 'AccessControlListNotSupported',
        status: 400,
      });
      expect(await outcome(owner.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'public.txt', Body: 'x', ACL: 'public-read' })))).toEqual({
        verdict: 'AccessControlListNotSupported',
        status: 400,
      });
      expect(await verdict(root.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'public.txt' })))).toBe('NoSuchKey');
    });

    it('PutObject with ACL bucket-owner-full-control is accepted (200)', async () => {
      const out = await writer.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'bofc.txt', Body: 'x', ACL: 'bucket-owner-full-control' }));
      expect(out.$metadata.httpStatusCode).toBe(200);
      // The bucket owner owns it, as it owns everything here.
      expect((await objectAcl(BUCKET, 'bofc.txt')).Owner?.ID).toBe(ids.owner);
    });

    it('PutBucketAcl and PutObjectAcl with public-read are refused: 400 AccessControlListNotSupported', async () => {
      expect(await outcome(owner.send(new PutBucketAclCommand({ Bucket: BUCKET, ACL: 'public-read' })))).toEqual({ verdict: 'AccessControlListNotSupported', status: 400 });
      expect(await outcome(owner.send(new PutObjectAclCommand({ Bucket: BUCKET, Key: 'by-writer.txt', ACL: 'public-read' })))).toEqual({
        verdict: 'AccessControlListNotSupported',
        status: 400,
      });
      expect((await anonymous('GET', `/${BUCKET}/by-writer.txt`)).status).toBe(403);
    });

    it("GetBucketAcl and GetObjectAcl show the bucket owner's FULL_CONTROL, even for another user's object", async () => {
      const bucketAcl = await root.send(new GetBucketAclCommand({ Bucket: BUCKET }));
      expect(bucketAcl.Owner?.ID).toBe(ids.owner);
      expect(grantList(bucketAcl.Grants)).toEqual([user(ids.owner, 'FULL_CONTROL')]);
      const acl = await objectAcl(BUCKET, 'by-writer.txt');
      expect(acl.Owner?.ID).toBe(ids.owner);
      expect(grantList(acl.Grants)).toEqual([user(ids.owner, 'FULL_CONTROL')]);
    });

    it('CreateBucket with ACL public-read and ACLs off is refused: 400 InvalidBucketAclWithObjectOwnership', async () => {
      expect(await outcome(owner.send(new CreateBucketCommand({ Bucket: 'acl-refused', ACL: 'public-read' })))).toEqual({
        verdict: 'InvalidBucketAclWithObjectOwnership',
        status: 400,
      });
      expect(await outcome(owner.send(new CreateBucketCommand({ Bucket: 'acl-refused', ACL: 'public-read', ObjectOwnership: 'BucketOwnerEnforced' })))).toEqual({
        verdict: 'InvalidBucketAclWithObjectOwnership',
        status: 400,
      });
      // No bucket was made.
      expect((await root.send(new ListBucketsCommand({}))).Buckets?.map((b) => b.Name)).not.toContain('acl-refused');
      // With ObjectWriter the same request is taken.
      await owner.send(new CreateBucketCommand({ Bucket: 'acl-refused', ACL: 'public-read', ObjectOwnership: 'ObjectWriter' }));
      expect(grantList((await root.send(new GetBucketAclCommand({ Bucket: 'acl-refused' }))).Grants)).toEqual([group(ALL_USERS, 'READ'), user(ids.owner, 'FULL_CONTROL')].sort());
    });
  });

  describe('ObjectWriter: ACLs are on, and each object is its writer’s', () => {
    const BUCKET = 'acl-writer';

    beforeAll(async () => {
      await owner.send(new CreateBucketCommand({ Bucket: BUCKET, ObjectOwnership: 'ObjectWriter' }));
      await writer.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'plain.txt', Body: 'plain' }));
    });

    it("ListBuckets' Owner is the requester; the bucket's ACL names its maker as owner", async () => {
      expect((await owner.send(new ListBucketsCommand({}))).Owner?.ID).toBe(ids.owner);
      expect((await root.send(new ListBucketsCommand({}))).Owner?.ID).toBe(ids.root);
      const acl = await owner.send(new GetBucketAclCommand({ Bucket: BUCKET }));
      expect(acl.Owner?.ID).toBe(ids.owner);
      expect(grantList(acl.Grants)).toEqual([user(ids.owner, 'FULL_CONTROL')]);
    });

    it("GetObjectAcl's Owner is the writer, with FULL_CONTROL; the bucket owner's own object is the bucket owner's", async () => {
      const acl = await objectAcl(BUCKET, 'plain.txt');
      expect(acl.Owner?.ID).toBe(ids.writer);
      expect(grantList(acl.Grants)).toEqual([user(ids.writer, 'FULL_CONTROL')]);
      await owner.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'by-owner.txt', Body: 'x' }));
      const own = await objectAcl(BUCKET, 'by-owner.txt');
      expect(own.Owner?.ID).toBe(ids.owner);
      expect(grantList(own.Grants)).toEqual([user(ids.owner, 'FULL_CONTROL')]);
    });

    // The Canned ACL table of the ACL overview: the object owner always gets FULL_CONTROL.
    const CANNED: [ObjectCannedACL, (o: typeof ids) => string[]][] = [
      ['private', (o) => [user(o.writer, 'FULL_CONTROL')]],
      ['public-read', (o) => [user(o.writer, 'FULL_CONTROL'), group(ALL_USERS, 'READ')]],
      ['public-read-write', (o) => [user(o.writer, 'FULL_CONTROL'), group(ALL_USERS, 'READ'), group(ALL_USERS, 'WRITE')]],
      ['authenticated-read', (o) => [user(o.writer, 'FULL_CONTROL'), group(AUTHENTICATED_USERS, 'READ')]],
      ['bucket-owner-read', (o) => [user(o.writer, 'FULL_CONTROL'), user(o.owner, 'READ')]],
      ['bucket-owner-full-control', (o) => [user(o.writer, 'FULL_CONTROL'), user(o.owner, 'FULL_CONTROL')]],
    ];

    it.each(CANNED)('PutObject with canned ACL %s gives the grants AWS documents', async (canned, expected) => {
      const Key = `canned/${canned}.txt`;
      await writer.send(new PutObjectCommand({ Bucket: BUCKET, Key, Body: 'x', ACL: canned }));
      const acl = await objectAcl(BUCKET, Key);
      expect(acl.Owner?.ID).toBe(ids.writer);
      expect(grantList(acl.Grants)).toEqual(expected(ids).sort());
      // PutObjectAcl with the same canned ACL on a private object gives the same grants.
      const again = `canned-later/${canned}.txt`;
      await writer.send(new PutObjectCommand({ Bucket: BUCKET, Key: again, Body: 'x' }));
      await writer.send(new PutObjectAclCommand({ Bucket: BUCKET, Key: again, ACL: canned }));
      expect(grantList((await objectAcl(BUCKET, again)).Grants)).toEqual(expected(ids).sort());
    });

    it('x-amz-grant-read with id="…" grants READ to that user, who then reads though it has no policy at all', async () => {
      expect(await outcome(reader.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'plain.txt' })))).toEqual({ verdict: 'AccessDenied', status: 403 });
      await writer.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'granted-by-id.txt', Body: 'for reader', GrantRead: `id="${ids.reader}"` }));
      const acl = await objectAcl(BUCKET, 'granted-by-id.txt');
      expect(acl.Owner?.ID).toBe(ids.writer);
      expect(grantList(acl.Grants)).toContain(user(ids.reader, 'READ'));
      expect(await (await reader.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'granted-by-id.txt' }))).Body!.transformToString()).toBe('for reader');
      // READ is not READ_ACP, and covers no other object.
      expect(await verdict(reader.send(new GetObjectAclCommand({ Bucket: BUCKET, Key: 'granted-by-id.txt' })))).toBe('AccessDenied');
      expect(await verdict(reader.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'plain.txt' })))).toBe('AccessDenied');
    });

    it('x-amz-grant-read with emailAddress="…" resolves to the user with that e-mail address', async () => {
      // AdminClient.addUser sends no e-mail: PUT the user with one through the admin API.
      (await admin.request('PUT', 'users/reader', {}, undefined, { json: { secretKey: SECRET, email: READER_EMAIL } })).resume();
      expect((await admin.userInfo('reader')).email).toBe(READER_EMAIL);
      await writer.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'granted-by-email.txt', Body: 'by email', GrantRead: `emailAddress="${READER_EMAIL}"` }));
      expect(grantList((await objectAcl(BUCKET, 'granted-by-email.txt')).Grants)).toContain(user(ids.reader, 'READ'));
      expect(await (await reader.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'granted-by-email.txt' }))).Body!.transformToString()).toBe('by email');
    });

    it('a grant to an e-mail address nobody has is refused: 400 UnresolvableGrantByEmailAddress', async () => {
      expect(await outcome(writer.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'nobody.txt', Body: 'x', GrantRead: 'emailAddress="nobody@example.com"' })))).toEqual({
        verdict: 'UnresolvableGrantByEmailAddress',
        status: 400,
      });
      expect(await verdict(root.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'nobody.txt' })))).toBe('NoSuchKey');
      expect(await outcome(writer.send(new PutObjectAclCommand({ Bucket: BUCKET, Key: 'plain.txt', GrantRead: 'emailAddress="nobody@example.com"' })))).toEqual({
        verdict: 'UnresolvableGrantByEmailAddress',
        status: 400,
      });
    });

    it('PutObjectAcl with an AccessControlPolicy body sets exactly its grants', async () => {
      await writer.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'xml.txt', Body: 'xml' }));
      expect(await verdict(reader.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'xml.txt' })))).toBe('AccessDenied');
      const put = await writer.send(
        new PutObjectAclCommand({
          Bucket: BUCKET,
          Key: 'xml.txt',
          AccessControlPolicy: {
            Owner: { ID: ids.writer },
            Grants: [
              { Grantee: { Type: 'CanonicalUser', ID: ids.writer }, Permission: 'FULL_CONTROL' },
              { Grantee: { Type: 'CanonicalUser', ID: ids.reader }, Permission: 'READ' },
              { Grantee: { Type: 'CanonicalUser', ID: ids.reader }, Permission: 'READ_ACP' },
              { Grantee: { Type: 'Group', URI: AUTHENTICATED_USERS }, Permission: 'READ_ACP' },
            ],
          },
        }),
      );
      expect(put.$metadata.httpStatusCode).toBe(200);
      const acl = await objectAcl(BUCKET, 'xml.txt');
      expect(acl.Owner?.ID).toBe(ids.writer);
      expect(grantList(acl.Grants)).toEqual(
        [user(ids.writer, 'FULL_CONTROL'), user(ids.reader, 'READ'), user(ids.reader, 'READ_ACP'), group(AUTHENTICATED_USERS, 'READ_ACP')].sort(),
      );
      // The grants are in force: READ and READ_ACP, but not WRITE_ACP.
      expect(await verdict(reader.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'xml.txt' })))).toBe('allow');
      expect(grantList((await reader.send(new GetObjectAclCommand({ Bucket: BUCKET, Key: 'xml.txt' }))).Grants)).toEqual(grantList(acl.Grants));
      expect(await outcome(reader.send(new PutObjectAclCommand({ Bucket: BUCKET, Key: 'xml.txt', ACL: 'public-read' })))).toEqual({ verdict: 'AccessDenied', status: 403 });
    });

    it('a public-read-write bucket ACL lets anonymous requests PUT (and list) in the bucket', async () => {
      const Bucket = 'acl-public-write';
      await owner.send(new CreateBucketCommand({ Bucket, ObjectOwnership: 'ObjectWriter' }));
      const before = await anonymous('PUT', `/${Bucket}/anon.txt`, '', 'anonymous');
      expect(before.status).toBe(403);
      expect(errorCode(before.text)).toBe('AccessDenied');
      await owner.send(new PutBucketAclCommand({ Bucket, ACL: 'public-read-write' }));
      expect(grantList((await root.send(new GetBucketAclCommand({ Bucket }))).Grants)).toEqual(
        [user(ids.owner, 'FULL_CONTROL'), group(ALL_USERS, 'READ'), group(ALL_USERS, 'WRITE')].sort(),
      );
      const put = await anonymous('PUT', `/${Bucket}/anon.txt`, '', 'anonymous');
      expect(put.status).toBe(200);
      expect(await (await root.send(new GetObjectCommand({ Bucket, Key: 'anon.txt' }))).Body!.transformToString()).toBe('anonymous');
      const list = await anonymous('GET', `/${Bucket}`, 'list-type=2');
      expect(list.status).toBe(200);
      expect(list.text).toContain('<Key>anon.txt</Key>');
    });

    it('authenticated-read lets any signed user read, but not anonymous requests', async () => {
      await writer.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'members-only.txt', Body: 'members', ACL: 'authenticated-read' }));
      expect(await (await reader.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'members-only.txt' }))).Body!.transformToString()).toBe('members');
      const res = await anonymous('GET', `/${BUCKET}/members-only.txt`);
      expect(res.status).toBe(403);
      expect(errorCode(res.text)).toBe('AccessDenied');
      // The same on the bucket: READ to AuthenticatedUsers lists it for the reader only.
      const Bucket = 'acl-authenticated';
      await owner.send(new CreateBucketCommand({ Bucket, ObjectOwnership: 'ObjectWriter' }));
      expect(await verdict(reader.send(new ListObjectsV2Command({ Bucket })))).toBe('AccessDenied');
      await owner.send(new PutBucketAclCommand({ Bucket, ACL: 'authenticated-read' }));
      expect(await verdict(reader.send(new ListObjectsV2Command({ Bucket })))).toBe('allow');
      expect((await anonymous('GET', `/${Bucket}`, 'list-type=2')).status).toBe(403);
    });

    it('public-read on an object lets anonymous requests read it', async () => {
      expect((await anonymous('GET', `/${BUCKET}/canned/public-read.txt`)).status).toBe(200);
      expect((await anonymous('GET', `/${BUCKET}/canned/private.txt`)).status).toBe(403);
    });
  });

  describe('BucketOwnerPreferred', () => {
    const BUCKET = 'acl-preferred';

    beforeAll(async () => {
      await owner.send(new CreateBucketCommand({ Bucket: BUCKET, ObjectOwnership: 'BucketOwnerPreferred' }));
    });

    it('an object written with bucket-owner-full-control becomes the bucket owner’s; without it, it stays the writer’s', async () => {
      await writer.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'handed-over.txt', Body: 'x', ACL: 'bucket-owner-full-control' }));
      const handed = await objectAcl(BUCKET, 'handed-over.txt');
      expect(handed.Owner?.ID).toBe(ids.owner);
      expect(grantList(handed.Grants)).toContain(user(ids.owner, 'FULL_CONTROL'));
      await writer.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'kept.txt', Body: 'x' }));
      expect((await objectAcl(BUCKET, 'kept.txt')).Owner?.ID).toBe(ids.writer);
      await writer.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'kept-public.txt', Body: 'x', ACL: 'public-read' }));
      expect((await objectAcl(BUCKET, 'kept-public.txt')).Owner?.ID).toBe(ids.writer);
    });
  });
  describe('the acl field of a POST form upload', () => {
    const form = (bucket: string, key: string, acl: string): Record<string, string> => {
      const fields = { key, acl };
      return { ...fields, ...signedPolicyFields([{ bucket }, { key }, { acl }]) };
    };

    it('under BucketOwnerEnforced, public-read is AccessControlListNotSupported and stores nothing', async () => {
      await root.send(new CreateBucketCommand({ Bucket: 'acl-form-enforced' }));
      const res = await postForm(server.endpoint, 'acl-form-enforced', form('acl-form-enforced', 'page.html', 'public-read'), { name: 'page.html', content: 'hi' });
      expect(res.status).toBe(400);
      expect(res.text).toContain('<Code>AccessControlListNotSupported</Code>');
      expect((await anonymous('GET', '/acl-form-enforced/page.html')).status).toBe(403);
    });

    it('with ACLs on, public-read makes the uploaded object readable by anonymous requests', async () => {
      await root.send(new CreateBucketCommand({ Bucket: 'acl-form-writer', ObjectOwnership: 'ObjectWriter' }));
      const res = await postForm(server.endpoint, 'acl-form-writer', form('acl-form-writer', 'page.html', 'public-read'), { name: 'page.html', content: 'hi' });
      expect(res.status).toBe(204);
      expect((await anonymous('GET', '/acl-form-writer/page.html')).status).toBe(200);
      expect(grantList((await objectAcl('acl-form-writer', 'page.html')).Grants)).toContain(group(ALL_USERS, 'READ'));
    });
  });
});
