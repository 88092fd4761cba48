/**
 * Bucket policies and Block Public Access as AWS documents them, against a real server with the SDK
 * v3 and raw unsigned requests: Put/Get/DeleteBucketPolicy (the text comes back as given),
 * MalformedPolicy for what S3 refuses, GetBucketPolicyStatus (IsPublic per "The meaning of 'public'"
 * in the S3 User Guide's Blocking public access chapter), anonymous access through a public policy,
 * Put/Get/DeletePublicAccessBlock with each of its four settings at work (BlockPublicPolicy,
 * RestrictPublicBuckets, BlockPublicAcls, IgnorePublicAcls), and a policy naming one user.
 */
import {
  CreateBucketCommand,
  DeleteBucketPolicyCommand,
  DeletePublicAccessBlockCommand,
  GetBucketPolicyCommand,
  GetBucketPolicyStatusCommand,
  GetObjectAclCommand,
  GetObjectCommand,
  GetPublicAccessBlockCommand,
  ListObjectsV2Command,
  PutBucketAclCommand,
  PutBucketPolicyCommand,
  PutObjectAclCommand,
  PutObjectCommand,
  PutPublicAccessBlockCommand,
  type PublicAccessBlockConfiguration,
  type S3Client,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AdminClient } from '../../src/admin/client.js';
import { outcome, rootAdmin, ROOT_KEYS, s3As, verdict } from '../helpers/iam-fixtures.js';
import { errorCode, rawRequest, type RawResponse } from '../helpers/raw.js';
import { TestServer } from '../helpers/server.js';

const ACCOUNT = '000000000000';
const SECRET = 'bucket-policy-secret';

function policyText(statements: object[]): string {
  return JSON.stringify({ Version: '2012-10-17', Statement: statements });
}

/** Anyone may list the bucket and read its objects: AWS's public-read example. */
function publicRead(bucket: string): string {
  return policyText([
    { Sid: 'PublicList', Effect: 'Allow', Principal: '*', Action: 's3:ListBucket', Resource: `arn:aws:s3:::${bucket}` },
    { Sid: 'PublicRead', Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: `arn:aws:s3:::${bucket}/*` },
  ]);
}

/** The same, narrowed to one network by aws:SourceIp: not public. */
function fromNetwork(bucket: string): string {
  return policyText([
    { Sid: 'FromOffice', Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: `arn:aws:s3:::${bucket}/*`, Condition: { IpAddress: { 'aws:SourceIp': '192.0.2.0/24' } } },
  ]);
}

describe('bucket policies and Block Public Access', () => {
  let server: TestServer;
  let admin: AdminClient;
  let root: S3Client;
  let bob: S3Client;
  let carol: S3Client;

  /** An unsigned request. */
  const anonymous = (method: string, path: string, query = '', body?: string): Promise<RawResponse> =>
    rawRequest(server.endpoint, { method, path, query, sign: false, ...(body !== undefined ? { body } : {}) });
  const setBlock = (Bucket: string, config: PublicAccessBlockConfiguration): Promise<unknown> =>
    root.send(new PutPublicAccessBlockCommand({ Bucket, PublicAccessBlockConfiguration: config }));
  const makeBucket = async (Bucket: string, ObjectOwnership?: 'ObjectWriter'): Promise<void> => {
    await root.send(new CreateBucketCommand({ Bucket, ...(ObjectOwnership ? { ObjectOwnership } : {}) }));
    // New S3 buckets come with Block Public Access on; these tests start from a bucket without it.
    await root.send(new DeletePublicAccessBlockCommand({ Bucket }));
  };

  beforeAll(async () => {
    server = await TestServer.start({ drives: 4 });
    admin = rootAdmin(server);
    root = s3As(server, ROOT_KEYS);
    // bob and carol have no policies of their own: whatever they get, a bucket policy gave them.
    for (const name of ['bob', 'carol']) await admin.addUser(name, SECRET);
    bob = s3As(server, { accessKey: 'bob', secretKey: SECRET });
    carol = s3As(server, { accessKey: 'carol', secretKey: SECRET });
  });

  afterAll(async () => {
    await server?.destroy();
  });

  describe('Put/Get/DeleteBucketPolicy', () => {
    const BUCKET = 'bp-roundtrip';

    beforeAll(async () => {
      await makeBucket(BUCKET);
    });

    it('GetBucketPolicy and GetBucketPolicyStatus answer NoSuchBucketPolicy (404) while there is none', async () => {
      const get = await outcome(root.send(new GetBucketPolicyCommand({ Bucket: BUCKET })));
      expect(get).toEqual({ verdict: 'NoSuchBucketPolicy', status: 404 });
      const status = await outcome(root.send(new GetBucketPolicyStatusCommand({ Bucket: BUCKET })));
      expect(status).toEqual({ verdict: 'NoSuchBucketPolicy', status: 404 });
    });

    it('a policy put is read back exactly as given, and is gone once deleted', async () => {
      // Compact JSON, as S3 has been seen to answer with (its documentation promises no reformatting, and
      // old S3 answers dropped whitespace), with an Id, a Sid, a string Action and a list of principals:
      // nothing of it may change on the way back.
      const text = JSON.stringify({
        Version: '2012-10-17',
        Id: 'round-trip',
        Statement: [{ Sid: 'ReadForBob', Effect: 'Allow', Principal: { AWS: [`arn:aws:iam::${ACCOUNT}:user/bob`] }, Action: 's3:GetObject', Resource: `arn:aws:s3:::${BUCKET}/*` }],
      });
      const put = await root.send(new PutBucketPolicyCommand({ Bucket: BUCKET, Policy: text }));
      expect(put.$metadata.httpStatusCode).toBe(204);
      expect((await root.send(new GetBucketPolicyCommand({ Bucket: BUCKET }))).Policy).toBe(text);
      const raw = await rawRequest(server.endpoint, { method: 'GET', path: `/${BUCKET}`, query: 'policy' });
      expect(raw.status).toBe(200);
      expect(raw.text).toBe(text);

      const del = await root.send(new DeleteBucketPolicyCommand({ Bucket: BUCKET }));
      expect(del.$metadata.httpStatusCode).toBe(204);
      expect(await outcome(root.send(new GetBucketPolicyCommand({ Bucket: BUCKET })))).toEqual({ verdict: 'NoSuchBucketPolicy', status: 404 });
      // Deleting again (none there) succeeds too.
      expect((await root.send(new DeleteBucketPolicyCommand({ Bucket: BUCKET }))).$metadata.httpStatusCode).toBe(204);
    });

    it('a new policy replaces the old one', async () => {
      await root.send(new PutBucketPolicyCommand({ Bucket: BUCKET, Policy: publicRead(BUCKET) }));
      await root.send(new PutBucketPolicyCommand({ Bucket: BUCKET, Policy: fromNetwork(BUCKET) }));
      expect((await root.send(new GetBucketPolicyCommand({ Bucket: BUCKET }))).Policy).toBe(fromNetwork(BUCKET));
      await root.send(new DeleteBucketPolicyCommand({ Bucket: BUCKET }));
    });

    const MALFORMED: [string, string][] = [
      ['not JSON', '{"Version": "2012-10-17", "Statement": ['],
      ['an action that does not exist', policyText([{ Effect: 'Allow', Principal: '*', Action: 's3:GetObjectz', Resource: `arn:aws:s3:::${BUCKET}/*` }])],
      ['a resource outside the bucket', policyText([{ Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: 'arn:aws:s3:::some-other-bucket/*' }])],
      ['no Principal', policyText([{ Effect: 'Allow', Action: 's3:GetObject', Resource: `arn:aws:s3:::${BUCKET}/*` }])],
      ['no Statement', JSON.stringify({ Version: '2012-10-17' })],
      ['an Effect that is neither Allow nor Deny', policyText([{ Effect: 'Permit', Principal: '*', Action: 's3:GetObject', Resource: `arn:aws:s3:::${BUCKET}/*` }])],
    ];

    it.each(MALFORMED)('a policy with %s is refused: 400 MalformedPolicy, and nothing is stored', async (_, text) => {
      expect(await outcome(root.send(new PutBucketPolicyCommand({ Bucket: BUCKET, Policy: text })))).toEqual({ verdict: 'MalformedPolicy', status: 400 });
      expect(await verdict(root.send(new GetBucketPolicyCommand({ Bucket: BUCKET })))).toBe('NoSuchBucketPolicy');
    });

    it('GetBucketPolicyStatus: Principal "*" without conditions is public; narrowed by aws:SourceIp it is not', async () => {
      await root.send(new PutBucketPolicyCommand({ Bucket: BUCKET, Policy: publicRead(BUCKET) }));
      expect((await root.send(new GetBucketPolicyStatusCommand({ Bucket: BUCKET }))).PolicyStatus?.IsPublic).toBe(true);
      await root.send(new PutBucketPolicyCommand({ Bucket: BUCKET, Policy: fromNetwork(BUCKET) }));
      expect((await root.send(new GetBucketPolicyStatusCommand({ Bucket: BUCKET }))).PolicyStatus?.IsPublic).toBe(false);
      // Naming one user is not public either.
      await root.send(
        new PutBucketPolicyCommand({
          Bucket: BUCKET,
          Policy: policyText([{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCOUNT}:user/bob` }, Action: 's3:GetObject', Resource: `arn:aws:s3:::${BUCKET}/*` }]),
        }),
      );
      expect((await root.send(new GetBucketPolicyStatusCommand({ Bucket: BUCKET }))).PolicyStatus?.IsPublic).toBe(false);
      await root.send(new DeleteBucketPolicyCommand({ Bucket: BUCKET }));
      expect(await verdict(root.send(new GetBucketPolicyStatusCommand({ Bucket: BUCKET })))).toBe('NoSuchBucketPolicy');
    });
  });

  describe('anonymous access', () => {
    const PUBLIC = 'bp-public';
    const PRIVATE = 'bp-private';

    beforeAll(async () => {
      await makeBucket(PUBLIC);
      await makeBucket(PRIVATE);
      for (const Bucket of [PUBLIC, PRIVATE]) await root.send(new PutObjectCommand({ Bucket, Key: 'doc.txt', Body: 'hello' }));
    });

    it('a private bucket answers 403 AccessDenied to unsigned reads', async () => {
      for (const [method, path, query] of [
        ['GET', `/${PRIVATE}/doc.txt`, ''],
        ['GET', `/${PRIVATE}`, 'list-type=2'],
      ]) {
        const res = await anonymous(method, path, query);
        expect(res.status, `${method} ${path}`).toBe(403);
        expect(errorCode(res.text)).toBe('AccessDenied');
      }
      expect((await anonymous('HEAD', `/${PRIVATE}/doc.txt`)).status).toBe(403);
    });

    it('a public-read policy lets unsigned GET, HEAD and ListObjects in, while unsigned PUT and DELETE stay 403 AccessDenied', async () => {
      expect((await anonymous('GET', `/${PUBLIC}/doc.txt`)).status).toBe(403);
      await root.send(new PutBucketPolicyCommand({ Bucket: PUBLIC, Policy: publicRead(PUBLIC) }));

      const get = await anonymous('GET', `/${PUBLIC}/doc.txt`);
      expect(get.status).toBe(200);
      expect(get.text).toBe('hello');
      const head = await anonymous('HEAD', `/${PUBLIC}/doc.txt`);
      expect(head.status).toBe(200);
      expect(head.headers['content-length']).toBe('5');
      const list = await anonymous('GET', `/${PUBLIC}`, 'list-type=2');
      expect(list.status).toBe(200);
      expect(list.text).toContain('<Key>doc.txt</Key>');
      const listV1 = await anonymous('GET', `/${PUBLIC}`);
      expect(listV1.status).toBe(200);

      const put = await anonymous('PUT', `/${PUBLIC}/new.txt`, '', 'anonymous write');
      expect(put.status).toBe(403);
      expect(errorCode(put.text)).toBe('AccessDenied');
      const del = await anonymous('DELETE', `/${PUBLIC}/doc.txt`);
      expect(del.status).toBe(403);
      expect(errorCode(del.text)).toBe('AccessDenied');
      // Nothing was written or removed.
      expect(await verdict(root.send(new GetObjectCommand({ Bucket: PUBLIC, Key: 'new.txt' })))).toBe('NoSuchKey');
      expect(await verdict(root.send(new GetObjectCommand({ Bucket: PUBLIC, Key: 'doc.txt' })))).toBe('allow');
      // The policy does not reach other buckets, nor actions it does not name.
      expect((await anonymous('GET', `/${PRIVATE}/doc.txt`)).status).toBe(403);
      const policy = await anonymous('GET', `/${PUBLIC}`, 'policy');
      expect(policy.status).toBe(403);
      expect(errorCode(policy.text)).toBe('AccessDenied');
    });
  });

  describe('Block Public Access', () => {
    it('Put/Get/DeletePublicAccessBlock, and NoSuchPublicAccessBlockConfiguration (404) when there is none', async () => {
      const BUCKET = 'bpa-config';
      await makeBucket(BUCKET);
      expect(await outcome(root.send(new GetPublicAccessBlockCommand({ Bucket: BUCKET })))).toEqual({ verdict: 'NoSuchPublicAccessBlockConfiguration', status: 404 });
      const config = { BlockPublicAcls: true, IgnorePublicAcls: false, BlockPublicPolicy: true, RestrictPublicBuckets: false };
      await setBlock(BUCKET, config);
      expect((await root.send(new GetPublicAccessBlockCommand({ Bucket: BUCKET }))).PublicAccessBlockConfiguration).toEqual(config);
      const all = { BlockPublicAcls: true, IgnorePublicAcls: true, BlockPublicPolicy: true, RestrictPublicBuckets: true };
      await setBlock(BUCKET, all);
      expect((await root.send(new GetPublicAccessBlockCommand({ Bucket: BUCKET }))).PublicAccessBlockConfiguration).toEqual(all);
      const del = await root.send(new DeletePublicAccessBlockCommand({ Bucket: BUCKET }));
      expect(del.$metadata.httpStatusCode).toBe(204);
      expect(await verdict(root.send(new GetPublicAccessBlockCommand({ Bucket: BUCKET })))).toBe('NoSuchPublicAccessBlockConfiguration');
    });

    it('BlockPublicPolicy refuses a public policy with 403 AccessDenied, but takes one that is not public', async () => {
      const BUCKET = 'bpa-policy';
      await makeBucket(BUCKET);
      await setBlock(BUCKET, { BlockPublicPolicy: true });
      expect(await outcome(root.send(new PutBucketPolicyCommand({ Bucket: BUCKET, Policy: publicRead(BUCKET) })))).toEqual({ verdict: 'AccessDenied', status: 403 });
      expect(await verdict(root.send(new GetBucketPolicyCommand({ Bucket: BUCKET })))).toBe('NoSuchBucketPolicy');
      await root.send(new PutBucketPolicyCommand({ Bucket: BUCKET, Policy: fromNetwork(BUCKET) }));
      expect((await root.send(new GetBucketPolicyCommand({ Bucket: BUCKET }))).Policy).toBe(fromNetwork(BUCKET));
      // Without the setting the same public policy is accepted.
      await root.send(new DeletePublicAccessBlockCommand({ Bucket: BUCKET }));
      await root.send(new PutBucketPolicyCommand({ Bucket: BUCKET, Policy: publicRead(BUCKET) }));
      expect((await root.send(new GetBucketPolicyStatusCommand({ Bucket: BUCKET }))).PolicyStatus?.IsPublic).toBe(true);
    });

    it('RestrictPublicBuckets: a public policy stops granting anonymous requests, while the user it names still gets in', async () => {
      const BUCKET = 'bpa-restrict';
      await makeBucket(BUCKET);
      await root.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'doc.txt', Body: 'restricted' }));
      await root.send(
        new PutBucketPolicyCommand({
          Bucket: BUCKET,
          Policy: policyText([
            { Sid: 'Everyone', Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: `arn:aws:s3:::${BUCKET}/*` },
            { Sid: 'Bob', Effect: 'Allow', Principal: { AWS: [`arn:aws:iam::${ACCOUNT}:user/bob`] }, Action: 's3:GetObject', Resource: `arn:aws:s3:::${BUCKET}/*` },
          ]),
        }),
      );
      expect((await anonymous('GET', `/${BUCKET}/doc.txt`)).status).toBe(200);
      expect(await verdict(bob.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'doc.txt' })))).toBe('allow');

      await setBlock(BUCKET, { RestrictPublicBuckets: true });
      const res = await anonymous('GET', `/${BUCKET}/doc.txt`);
      expect(res.status).toBe(403);
      expect(errorCode(res.text)).toBe('AccessDenied');
      expect(await (await bob.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'doc.txt' }))).Body!.transformToString()).toBe('restricted');
      // The stored policy is unchanged (and still public): lifting the setting lets anonymous requests in again.
      expect((await root.send(new GetBucketPolicyStatusCommand({ Bucket: BUCKET }))).PolicyStatus?.IsPublic).toBe(true);
      await root.send(new DeletePublicAccessBlockCommand({ Bucket: BUCKET }));
      expect((await anonymous('GET', `/${BUCKET}/doc.txt`)).status).toBe(200);
    });

    it('BlockPublicAcls refuses public ACLs on PutBucketAcl, PutObjectAcl and PutObject (403 AccessDenied), and takes private ones', async () => {
      const BUCKET = 'bpa-acls';
      await makeBucket(BUCKET, 'ObjectWriter');
      await root.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'doc.txt', Body: 'x' }));
      await setBlock(BUCKET, { BlockPublicAcls: true });
      expect(await outcome(root.send(new PutBucketAclCommand({ Bucket: BUCKET, ACL: 'public-read' })))).toEqual({ verdict: 'AccessDenied', status: 403 });
      expect(await outcome(root.send(new PutObjectAclCommand({ Bucket: BUCKET, Key: 'doc.txt', ACL: 'public-read' })))).toEqual({ verdict: 'AccessDenied', status: 403 });
      expect(await outcome(root.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'public.txt', Body: 'x', ACL: 'public-read' })))).toEqual({ verdict: 'AccessDenied', status: 403 });
      expect(await outcome(root.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'authenticated.txt', Body: 'x', ACL: 'authenticated-read' })))).toEqual({
        verdict: 'AccessDenied',
        status: 403,
      });
      expect(await verdict(root.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'public.txt' })))).toBe('NoSuchKey');
      // Private ACLs are not public: accepted.
      expect(await verdict(root.send(new PutBucketAclCommand({ Bucket: BUCKET, ACL: 'private' })))).toBe('allow');
      expect(await verdict(root.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'private.txt', Body: 'x', ACL: 'private' })))).toBe('allow');
      // Without the setting the public ACL is accepted.
      await root.send(new DeletePublicAccessBlockCommand({ Bucket: BUCKET }));
      expect(await verdict(root.send(new PutObjectAclCommand({ Bucket: BUCKET, Key: 'doc.txt', ACL: 'public-read' })))).toBe('allow');
    });

    it('IgnorePublicAcls: public-read grants on the bucket and its objects count for nothing, though they stay in the ACL', async () => {
      const BUCKET = 'bpa-ignore';
      await makeBucket(BUCKET, 'ObjectWriter');
      await root.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'doc.txt', Body: 'public', ACL: 'public-read' }));
      await root.send(new PutBucketAclCommand({ Bucket: BUCKET, ACL: 'public-read' }));
      expect((await anonymous('GET', `/${BUCKET}/doc.txt`)).status).toBe(200);
      expect((await anonymous('GET', `/${BUCKET}`, 'list-type=2')).status).toBe(200);

      await setBlock(BUCKET, { IgnorePublicAcls: true });
      const get = await anonymous('GET', `/${BUCKET}/doc.txt`);
      expect(get.status).toBe(403);
      expect(errorCode(get.text)).toBe('AccessDenied');
      const list = await anonymous('GET', `/${BUCKET}`, 'list-type=2');
      expect(list.status).toBe(403);
      expect(errorCode(list.text)).toBe('AccessDenied');
      // The grant is still there; it is just not honoured.
      const acl = await root.send(new GetObjectAclCommand({ Bucket: BUCKET, Key: 'doc.txt' }));
      expect(acl.Grants?.some((g) => g.Grantee?.URI === 'http://acs.amazonaws.com/groups/global/AllUsers' && g.Permission === 'READ')).toBe(true);

      await root.send(new DeletePublicAccessBlockCommand({ Bucket: BUCKET }));
      expect((await anonymous('GET', `/${BUCKET}/doc.txt`)).status).toBe(200);
    });
  });

  describe('a policy naming one user', () => {
    const BUCKET = 'bp-named';

    beforeAll(async () => {
      await makeBucket(BUCKET);
      await root.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'for-bob.txt', Body: 'bob only' }));
    });

    it('grants that user (who has no policy of his own) and nobody else', async () => {
      expect(await verdict(bob.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'for-bob.txt' })))).toBe('AccessDenied');
      await root.send(
        new PutBucketPolicyCommand({
          Bucket: BUCKET,
          Policy: policyText([
            { Sid: 'BobReads', Effect: 'Allow', Principal: { AWS: [`arn:aws:iam::${ACCOUNT}:user/bob`] }, Action: ['s3:GetObject'], Resource: `arn:aws:s3:::${BUCKET}/*` },
            { Sid: 'BobLists', Effect: 'Allow', Principal: { AWS: [`arn:aws:iam::${ACCOUNT}:user/bob`] }, Action: ['s3:ListBucket'], Resource: `arn:aws:s3:::${BUCKET}` },
          ]),
        }),
      );
      expect(await (await bob.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'for-bob.txt' }))).Body!.transformToString()).toBe('bob only');
      expect((await bob.send(new ListObjectsV2Command({ Bucket: BUCKET }))).Contents?.map((c) => c.Key)).toEqual(['for-bob.txt']);
      // Only what it names: no writes for bob.
      expect(await outcome(bob.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'by-bob.txt', Body: 'x' })))).toEqual({ verdict: 'AccessDenied', status: 403 });
      // Nobody else: another user, and anonymous requests.
      expect(await outcome(carol.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'for-bob.txt' })))).toEqual({ verdict: 'AccessDenied', status: 403 });
      expect(await verdict(carol.send(new ListObjectsV2Command({ Bucket: BUCKET })))).toBe('AccessDenied');
      const res = await anonymous('GET', `/${BUCKET}/for-bob.txt`);
      expect(res.status).toBe(403);
      expect(errorCode(res.text)).toBe('AccessDenied');
      expect((await root.send(new GetBucketPolicyStatusCommand({ Bucket: BUCKET }))).PolicyStatus?.IsPublic).toBe(false);
    });
  });
});
