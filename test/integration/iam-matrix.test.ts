/**
 * IAM decisions over the real AWS SDK v3 against a real server: a matrix of identities × S3 actions,
 * each cell asserting allow, or the exact refusal (AccessDenied; InvalidAccessKeyId for a disabled
 * key), as AWS's policy evaluation logic decides them (an explicit Deny wins, then any Allow, else the
 * implicit deny).
 *
 * Identities: the root user; users holding the built-in readonly and writeonly policies; a user with
 * a home-folder policy after AWS's example (IAM User Guide, "Amazon S3: Allows IAM users access to their S3 home
 * directory, programmatically and in the console"); a service account of a readwrite user whose own
 * policy allows only s3:GetObject (it narrows its parent's); a disabled user; a user whose only
 * permission comes from a group with readwrite (before and after the group is disabled); and
 * anonymous (unsigned) requests. Then explicit Deny: a bucket policy's Deny on a prefix beats a
 * user's readwrite, an identity policy's Deny on aws:SecureTransport false refuses everything over
 * plain http, and aws:SourceIp admits 127.0.0.1/32 but not 10.0.0.0/8.
 *
 * Left out on purpose: ListBuckets for an identity without s3:ListAllMyBuckets (AWS's ListBuckets
 * reference: AccessDenied; this server answers 200 with the buckets the identity may list or locate,
 * as MinIO does, see src/s3/handlers/service.ts), and HeadBucket under an s3:prefix condition (AWS
 * does not document what s3:prefix is for a HeadBucket request).
 */
import {
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetBucketPolicyCommand,
  GetBucketVersioningCommand,
  GetObjectCommand,
  GetObjectTaggingCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListBucketsCommand,
  ListObjectsV2Command,
  PutBucketPolicyCommand,
  PutObjectCommand,
  PutObjectTaggingCommand,
  UploadPartCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AdminClient } from '../../src/admin/client.js';
import { anonymousS3, outcome, rootAdmin, ROOT_KEYS, s3As, verdict, type Keys } from '../helpers/iam-fixtures.js';
import { TestServer } from '../helpers/server.js';

const BUCKET = 'matrix';
/** Where the Get/PutBucketPolicy cells act, so a policy put there changes nothing else. */
const POLICY_BUCKET = 'matrix-policy';
const DENY_BUCKET = 'matrix-deny';

type Who = 'root' | 'reader' | 'writer' | 'alice' | 'sa' | 'disabled' | 'member' | 'anonymous';
const EVERYONE: Who[] = ['root', 'reader', 'writer', 'alice', 'sa', 'disabled', 'member', 'anonymous'];

const SECRET = 'matrix-secret-123';

/** AWS's home-folder policy, with the bucket's name in it. */
const HOME_FOLDER_POLICY = JSON.stringify({
  Version: '2012-10-17',
  Statement: [
    {
      Sid: 'ListHomeFolder',
      Effect: 'Allow',
      Action: 's3:ListBucket',
      Resource: `arn:aws:s3:::${BUCKET}`,
      Condition: { StringLike: { 's3:prefix': ['', 'home/', 'home/${aws:username}/*'] } },
    },
    {
      Sid: 'HomeFolderObjects',
      Effect: 'Allow',
      Action: ['s3:GetObject', 's3:PutObject', 's3:DeleteObject'],
      Resource: `arn:aws:s3:::${BUCKET}/home/\${aws:username}/*`,
    },
  ],
});

const GET_OBJECT_ONLY = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::*' }] };

/** An action performed as someone; resolves with the SDK's answer or rejects with its error. */
type Act = (s3: S3Client, who: Who) => Promise<unknown>;

/** Create, upload one part and complete, as one identity: the first refusal is the cell's outcome. */
async function multipart(s3: S3Client, Key: string): Promise<unknown> {
  const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: BUCKET, Key }));
  const { ETag } = await s3.send(new UploadPartCommand({ Bucket: BUCKET, Key, UploadId, PartNumber: 1, Body: 'part one' }));
  return s3.send(new CompleteMultipartUploadCommand({ Bucket: BUCKET, Key, UploadId, MultipartUpload: { Parts: [{ PartNumber: 1, ETag }] } }));
}

let rootUploadId = '';

const ACTIONS: Record<string, Act> = {
  ListBuckets: (s3) => s3.send(new ListBucketsCommand({})),
  CreateBucket: (s3, who) => s3.send(new CreateBucketCommand({ Bucket: `made-by-${who}` })),
  'CreateBucket (another name)': (s3, who) => s3.send(new CreateBucketCommand({ Bucket: `made-later-by-${who}` })),
  HeadBucket: (s3) => s3.send(new HeadBucketCommand({ Bucket: BUCKET })),
  'ListObjectsV2 (no prefix)': (s3) => s3.send(new ListObjectsV2Command({ Bucket: BUCKET })),
  'ListObjectsV2 prefix home/alice/': (s3) => s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'home/alice/' })),
  'ListObjectsV2 prefix home/bob/': (s3) => s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'home/bob/' })),
  'GetObject shared.txt': (s3) => s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'shared.txt' })).then(async (out) => {
      expect(await out.Body!.transformToString()).toBe('shared');
      return out;
    }),
  'GetObject home/alice/file.txt': (s3) => s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'home/alice/file.txt' })),
  'GetObject home/bob/file.txt': (s3) => s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'home/bob/file.txt' })),
  'HeadObject shared.txt': (s3) => s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'shared.txt' })),
  'HeadObject home/alice/file.txt': (s3) => s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'home/alice/file.txt' })),
  'PutObject put/<who>.txt': (s3, who) => s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: `put/${who}.txt`, Body: `by ${who}` })),
  'PutObject home/alice/new.txt': (s3) => s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'home/alice/new.txt', Body: 'new' })),
  'PutObject home/bob/new.txt': (s3) => s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'home/bob/new.txt', Body: 'new' })),
  'CopyObject shared.txt -> copy/<who>.txt': (s3, who) => s3.send(new CopyObjectCommand({ Bucket: BUCKET, Key: `copy/${who}.txt`, CopySource: `${BUCKET}/shared.txt` })),
  'CopyObject home/alice/file.txt -> home/alice/copy.txt': (s3) => s3.send(new CopyObjectCommand({ Bucket: BUCKET, Key: 'home/alice/copy.txt', CopySource: `${BUCKET}/home/alice/file.txt` })),
  'CopyObject home/bob/file.txt -> home/alice/stolen.txt': (s3) => s3.send(new CopyObjectCommand({ Bucket: BUCKET, Key: 'home/alice/stolen.txt', CopySource: `${BUCKET}/home/bob/file.txt` })),
  'DeleteObject victims/<who>.txt': (s3, who) => s3.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: `victims/${who}.txt` })),
  'DeleteObject home/alice/victim.txt': (s3) => s3.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: 'home/alice/victim.txt' })),
  'Multipart create/upload/complete mp/<who>.bin': (s3, who) => multipart(s3, `mp/${who}.bin`),
  'Multipart create/upload/complete home/alice/mp.bin': (s3) => multipart(s3, 'home/alice/mp.bin'),
  "UploadPart to root's upload": (s3) => s3.send(new UploadPartCommand({ Bucket: BUCKET, Key: 'mp/root-started.bin', UploadId: rootUploadId, PartNumber: 2, Body: 'part two' })),
  'GetObjectTagging shared.txt': (s3) => s3.send(new GetObjectTaggingCommand({ Bucket: BUCKET, Key: 'shared.txt' })),
  'PutObjectTagging tags/<who>.txt': (s3, who) => s3.send(new PutObjectTaggingCommand({ Bucket: BUCKET, Key: `tags/${who}.txt`, Tagging: { TagSet: [{ Key: 'by', Value: who }] } })),
  'GetBucketPolicy (none set)': (s3) => s3.send(new GetBucketPolicyCommand({ Bucket: POLICY_BUCKET })),
  PutBucketPolicy: (s3, who) =>
    s3.send(
      new PutBucketPolicyCommand({
        Bucket: POLICY_BUCKET,
        Policy: JSON.stringify({
          Version: '2012-10-17',
          Statement: [{ Sid: `by-${who}`, Effect: 'Deny', Principal: '*', Action: 's3:GetObject', Resource: `arn:aws:s3:::${POLICY_BUCKET}/nothing-here/*` }],
        }),
      }),
    ),
  GetBucketVersioning: (s3) => s3.send(new GetBucketVersioningCommand({ Bucket: BUCKET })),
};

const A = 'allow';
const D = 'AccessDenied';
/** A refused HEAD: its answer has no body, so no code: only the status. */
const H403 = 'HTTP 403';
const BAD_KEY = 'InvalidAccessKeyId';
/** A HEAD of a key that is not there. */
const GONE = 'HTTP 404';

/**
 * The matrix: [identity, action, expected]. `disabled` is refused every request as an unknown key;
 * `member` is allowed by its group's readwrite alone. GetBucketPolicy answers NoSuchBucketPolicy to
 * whoever may read it (no policy is set yet): the refusal to everyone else is AccessDenied.
 */
const MATRIX: [Who, string, string][] = [
  // ListBuckets needs s3:ListAllMyBuckets (root and readwrite have it); anonymous requests are refused.
  ['root', 'ListBuckets', A],
  ['member', 'ListBuckets', A],
  ['disabled', 'ListBuckets', BAD_KEY],
  ['anonymous', 'ListBuckets', D],

  ['root', 'CreateBucket', A],
  ['reader', 'CreateBucket', D],
  ['writer', 'CreateBucket', D],
  ['alice', 'CreateBucket', D],
  ['sa', 'CreateBucket', D],
  ['disabled', 'CreateBucket', BAD_KEY],
  ['member', 'CreateBucket', A],
  ['anonymous', 'CreateBucket', D],

  ['root', 'HeadBucket', A],
  ['reader', 'HeadBucket', H403],
  ['writer', 'HeadBucket', H403],
  ['sa', 'HeadBucket', H403],
  ['disabled', 'HeadBucket', H403],
  ['member', 'HeadBucket', A],
  ['anonymous', 'HeadBucket', H403],

  ['root', 'ListObjectsV2 (no prefix)', A],
  ['reader', 'ListObjectsV2 (no prefix)', D],
  ['writer', 'ListObjectsV2 (no prefix)', D],
  ['alice', 'ListObjectsV2 (no prefix)', A],
  ['alice', 'ListObjectsV2 prefix home/alice/', A],
  ['alice', 'ListObjectsV2 prefix home/bob/', D],
  ['sa', 'ListObjectsV2 (no prefix)', D],
  ['disabled', 'ListObjectsV2 (no prefix)', BAD_KEY],
  ['member', 'ListObjectsV2 (no prefix)', A],
  ['member', 'ListObjectsV2 prefix home/bob/', A],
  ['anonymous', 'ListObjectsV2 (no prefix)', D],

  ['root', 'GetObject shared.txt', A],
  ['reader', 'GetObject shared.txt', A],
  ['writer', 'GetObject shared.txt', D],
  ['alice', 'GetObject shared.txt', D],
  ['alice', 'GetObject home/alice/file.txt', A],
  ['alice', 'GetObject home/bob/file.txt', D],
  ['sa', 'GetObject shared.txt', A],
  ['disabled', 'GetObject shared.txt', BAD_KEY],
  ['member', 'GetObject shared.txt', A],
  ['anonymous', 'GetObject shared.txt', D],

  ['root', 'HeadObject shared.txt', A],
  ['reader', 'HeadObject shared.txt', A],
  ['writer', 'HeadObject shared.txt', H403],
  ['alice', 'HeadObject shared.txt', H403],
  ['alice', 'HeadObject home/alice/file.txt', A],
  ['sa', 'HeadObject shared.txt', A],
  ['disabled', 'HeadObject shared.txt', H403],
  ['member', 'HeadObject shared.txt', A],
  ['anonymous', 'HeadObject shared.txt', H403],

  ['root', 'PutObject put/<who>.txt', A],
  ['reader', 'PutObject put/<who>.txt', D],
  ['writer', 'PutObject put/<who>.txt', A],
  ['alice', 'PutObject put/<who>.txt', D],
  ['alice', 'PutObject home/alice/new.txt', A],
  ['alice', 'PutObject home/bob/new.txt', D],
  ['sa', 'PutObject put/<who>.txt', D],
  ['disabled', 'PutObject put/<who>.txt', BAD_KEY],
  ['member', 'PutObject put/<who>.txt', A],
  ['anonymous', 'PutObject put/<who>.txt', D],

  // CopyObject needs s3:GetObject on the source and s3:PutObject on the destination.
  ['root', 'CopyObject shared.txt -> copy/<who>.txt', A],
  ['reader', 'CopyObject shared.txt -> copy/<who>.txt', D],
  ['writer', 'CopyObject shared.txt -> copy/<who>.txt', D],
  ['alice', 'CopyObject home/alice/file.txt -> home/alice/copy.txt', A],
  ['alice', 'CopyObject home/bob/file.txt -> home/alice/stolen.txt', D],
  ['sa', 'CopyObject shared.txt -> copy/<who>.txt', D],
  ['disabled', 'CopyObject shared.txt -> copy/<who>.txt', BAD_KEY],
  ['member', 'CopyObject shared.txt -> copy/<who>.txt', A],
  ['anonymous', 'CopyObject shared.txt -> copy/<who>.txt', D],

  ['root', 'DeleteObject victims/<who>.txt', A],
  ['reader', 'DeleteObject victims/<who>.txt', D],
  ['writer', 'DeleteObject victims/<who>.txt', D],
  ['alice', 'DeleteObject victims/<who>.txt', D],
  ['alice', 'DeleteObject home/alice/victim.txt', A],
  ['sa', 'DeleteObject victims/<who>.txt', D],
  ['disabled', 'DeleteObject victims/<who>.txt', BAD_KEY],
  ['member', 'DeleteObject victims/<who>.txt', A],
  ['anonymous', 'DeleteObject victims/<who>.txt', D],

  ['root', 'Multipart create/upload/complete mp/<who>.bin', A],
  ['reader', 'Multipart create/upload/complete mp/<who>.bin', D],
  ['writer', 'Multipart create/upload/complete mp/<who>.bin', A],
  ['alice', 'Multipart create/upload/complete mp/<who>.bin', D],
  ['alice', 'Multipart create/upload/complete home/alice/mp.bin', A],
  ['sa', 'Multipart create/upload/complete mp/<who>.bin', D],
  ['disabled', 'Multipart create/upload/complete mp/<who>.bin', BAD_KEY],
  ['member', 'Multipart create/upload/complete mp/<who>.bin', A],
  ['anonymous', 'Multipart create/upload/complete mp/<who>.bin', D],
  ['reader', "UploadPart to root's upload", D],
  ['writer', "UploadPart to root's upload", A],
  ['sa', "UploadPart to root's upload", D],
  ['anonymous', "UploadPart to root's upload", D],

  ['root', 'GetObjectTagging shared.txt', A],
  ['reader', 'GetObjectTagging shared.txt', D],
  ['writer', 'GetObjectTagging shared.txt', D],
  ['alice', 'GetObjectTagging shared.txt', D],
  ['sa', 'GetObjectTagging shared.txt', D],
  ['disabled', 'GetObjectTagging shared.txt', BAD_KEY],
  ['member', 'GetObjectTagging shared.txt', A],
  ['anonymous', 'GetObjectTagging shared.txt', D],

  ['root', 'PutObjectTagging tags/<who>.txt', A],
  ['reader', 'PutObjectTagging tags/<who>.txt', D],
  ['writer', 'PutObjectTagging tags/<who>.txt', D],
  ['alice', 'PutObjectTagging tags/<who>.txt', D],
  ['sa', 'PutObjectTagging tags/<who>.txt', D],
  ['disabled', 'PutObjectTagging tags/<who>.txt', BAD_KEY],
  ['member', 'PutObjectTagging tags/<who>.txt', A],
  ['anonymous', 'PutObjectTagging tags/<who>.txt', D],

  ['root', 'GetBucketPolicy (none set)', 'NoSuchBucketPolicy'],
  ['reader', 'GetBucketPolicy (none set)', D],
  ['writer', 'GetBucketPolicy (none set)', D],
  ['alice', 'GetBucketPolicy (none set)', D],
  ['sa', 'GetBucketPolicy (none set)', D],
  ['disabled', 'GetBucketPolicy (none set)', BAD_KEY],
  ['member', 'GetBucketPolicy (none set)', 'NoSuchBucketPolicy'],
  ['anonymous', 'GetBucketPolicy (none set)', D],

  ['reader', 'PutBucketPolicy', D],
  ['writer', 'PutBucketPolicy', D],
  ['alice', 'PutBucketPolicy', D],
  ['sa', 'PutBucketPolicy', D],
  ['disabled', 'PutBucketPolicy', BAD_KEY],
  ['anonymous', 'PutBucketPolicy', D],
  ['member', 'PutBucketPolicy', A],
  ['root', 'PutBucketPolicy', A],

  ['root', 'GetBucketVersioning', A],
  ['reader', 'GetBucketVersioning', D],
  ['writer', 'GetBucketVersioning', D],
  ['alice', 'GetBucketVersioning', D],
  ['sa', 'GetBucketVersioning', D],
  ['disabled', 'GetBucketVersioning', BAD_KEY],
  ['member', 'GetBucketVersioning', A],
  ['anonymous', 'GetBucketVersioning', D],
];

/** After the member's group is disabled it has no permission at all. */
const DISABLED_GROUP_MATRIX: [string, string][] = [
  ['CreateBucket (another name)', D],
  ['HeadBucket', H403],
  ['ListObjectsV2 (no prefix)', D],
  ['GetObject shared.txt', D],
  ['HeadObject shared.txt', H403],
  ['PutObject put/<who>.txt', D],
  ['CopyObject shared.txt -> copy/<who>.txt', D],
  ['DeleteObject victims/<who>.txt', D],
  ['Multipart create/upload/complete mp/<who>.bin', D],
  ['GetObjectTagging shared.txt', D],
  ['PutObjectTagging tags/<who>.txt', D],
  ['GetBucketPolicy (none set)', D],
  ['GetBucketVersioning', D],
];

describe('IAM: identities × actions', () => {
  let server: TestServer;
  let admin: AdminClient;
  let root: S3Client;
  const clients = new Map<Who, S3Client>();
  const keys = new Map<string, Keys>();

  const as = (who: Who): S3Client => clients.get(who)!;
  const addUser = async (name: string, policies: string[]): Promise<Keys> => {
    await admin.addUser(name, SECRET);
    if (policies.length > 0) await admin.attachPolicies(policies, { user: name });
    const k = { accessKey: name, secretKey: SECRET };
    keys.set(name, k);
    return k;
  };
  const exists = (Key: string, Bucket = BUCKET): Promise<string> => verdict(root.send(new HeadObjectCommand({ Bucket, Key })));

  beforeAll(async () => {
    server = await TestServer.start({ drives: 4 });
    admin = rootAdmin(server);
    root = s3As(server, ROOT_KEYS);
    for (const Bucket of [BUCKET, POLICY_BUCKET, DENY_BUCKET]) await root.send(new CreateBucketCommand({ Bucket }));
    const seed = async (Key: string, Body = Key): Promise<unknown> => root.send(new PutObjectCommand({ Bucket: BUCKET, Key, Body }));
    await seed('shared.txt', 'shared');
    await root.send(new PutObjectTaggingCommand({ Bucket: BUCKET, Key: 'shared.txt', Tagging: { TagSet: [{ Key: 'kind', Value: 'shared' }] } }));
    await seed('home/alice/file.txt');
    await seed('home/alice/victim.txt');
    await seed('home/bob/file.txt');
    for (const who of EVERYONE) {
      await seed(`victims/${who}.txt`);
      await seed(`tags/${who}.txt`);
    }
    rootUploadId = (await root.send(new CreateMultipartUploadCommand({ Bucket: BUCKET, Key: 'mp/root-started.bin' }))).UploadId!;

    await admin.putPolicy('home-folder', HOME_FOLDER_POLICY);
    const reader = await addUser('reader', ['readonly']);
    const writer = await addUser('writer', ['writeonly']);
    const alice = await addUser('alice', ['home-folder']);
    await addUser('rwparent', ['readwrite']);
    const sa = await admin.addServiceAccount('rwparent', { policy: GET_OBJECT_ONLY });
    const gone = await addUser('gone', ['readwrite']);
    const member = await addUser('member', []);
    await admin.updateGroupMembers('rw-group', { add: ['member'] });
    await admin.attachPolicies(['readwrite'], { group: 'rw-group' });

    // The disabled user's key worked while it was enabled: its refusal below is the disabling's doing.
    expect(await verdict(s3As(server, gone).send(new GetObjectCommand({ Bucket: BUCKET, Key: 'shared.txt' })))).toBe('allow');
    await admin.setUserStatus('gone', 'disabled');

    clients.set('root', root);
    clients.set('reader', s3As(server, reader));
    clients.set('writer', s3As(server, writer));
    clients.set('alice', s3As(server, alice));
    clients.set('sa', s3As(server, sa));
    clients.set('disabled', s3As(server, gone));
    clients.set('member', s3As(server, member));
    clients.set('anonymous', anonymousS3(server));
  });

  afterAll(async () => {
    await server?.destroy();
  });

  it('every action of the matrix names a real request', () => {
    for (const [, action] of MATRIX) expect(ACTIONS[action], action).toBeDefined();
    for (const [action] of DISABLED_GROUP_MATRIX) expect(ACTIONS[action], action).toBeDefined();
  });

  it.each(MATRIX)('%s: %s → %s', async (who, action, expected) => {
    const result = await outcome(ACTIONS[action](as(who), who) as Promise<unknown>);
    expect(result.verdict).toBe(expected);
    if (expected === D || expected === BAD_KEY || expected === H403) expect(result.status).toBe(403);
  });

  it('the matrix cells had their effect: allowed writes and deletes happened, refused ones did not', async () => {
    // Allowed writes made their objects; refused ones made none.
    for (const who of ['root', 'writer', 'member'] as Who[]) expect(await exists(`put/${who}.txt`), who).toBe('allow');
    for (const who of ['reader', 'alice', 'sa', 'disabled', 'anonymous'] as Who[]) expect(await exists(`put/${who}.txt`), who).toBe(GONE);
    expect(await exists('home/alice/new.txt')).toBe('allow');
    expect(await exists('home/bob/new.txt')).toBe(GONE);
    // Copies.
    for (const who of ['root', 'member'] as Who[]) expect(await exists(`copy/${who}.txt`), who).toBe('allow');
    for (const who of ['reader', 'writer', 'sa', 'disabled', 'anonymous'] as Who[]) expect(await exists(`copy/${who}.txt`), who).toBe(GONE);
    expect(await exists('home/alice/copy.txt')).toBe('allow');
    expect(await exists('home/alice/stolen.txt')).toBe(GONE);
    // Deletes.
    for (const who of ['root', 'member'] as Who[]) expect(await exists(`victims/${who}.txt`), who).toBe(GONE);
    for (const who of ['reader', 'writer', 'alice', 'sa', 'disabled', 'anonymous'] as Who[]) expect(await exists(`victims/${who}.txt`), who).toBe('allow');
    expect(await exists('home/alice/victim.txt')).toBe(GONE);
    // Multipart uploads.
    for (const who of ['root', 'writer', 'member'] as Who[]) expect(await exists(`mp/${who}.bin`), who).toBe('allow');
    expect(await exists('home/alice/mp.bin')).toBe('allow');
    // The policy put last (by root) is the one in force.
    const policy = await root.send(new GetBucketPolicyCommand({ Bucket: POLICY_BUCKET }));
    expect(JSON.parse(policy.Policy!).Statement[0].Sid).toBe('by-root');
    // Tags were set only by those allowed to.
    for (const who of ['root', 'member'] as Who[]) expect((await root.send(new GetObjectTaggingCommand({ Bucket: BUCKET, Key: `tags/${who}.txt` }))).TagSet).toEqual([{ Key: 'by', Value: who }]);
    for (const who of ['reader', 'writer', 'alice', 'sa'] as Who[]) expect((await root.send(new GetObjectTaggingCommand({ Bucket: BUCKET, Key: `tags/${who}.txt` }))).TagSet).toEqual([]);
  });

  it('ListObjectsV2 under the home-folder policy lists what the prefix asks for', async () => {
    const out = await as('alice').send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'home/alice/' }));
    expect(out.Contents?.map((c) => c.Key)).toContain('home/alice/file.txt');
    expect(out.Contents?.every((c) => c.Key!.startsWith('home/alice/'))).toBe(true);
    // The listing of the root with a delimiter (the console's first step) is allowed by the "" prefix.
    const top = await as('alice').send(new ListObjectsV2Command({ Bucket: BUCKET, Delimiter: '/' }));
    expect(top.CommonPrefixes?.map((p) => p.Prefix)).toContain('home/');
    expect(await verdict(as('alice').send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'home/', Delimiter: '/' })))).toBe('allow');
    expect(await verdict(as('alice').send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'victims/' })))).toBe(D);
  });

  it('ListBuckets shows the requester as Owner and lists the buckets to root and to readwrite', async () => {
    const byRoot = await root.send(new ListBucketsCommand({}));
    expect(byRoot.Buckets?.map((b) => b.Name)).toEqual(expect.arrayContaining([BUCKET, POLICY_BUCKET, 'made-by-root', 'made-by-member']));
    expect(byRoot.Buckets?.map((b) => b.Name)).not.toContain('made-by-reader');
    const byMember = await as('member').send(new ListBucketsCommand({}));
    expect(byMember.Buckets?.map((b) => b.Name)).toEqual(expect.arrayContaining([BUCKET, 'made-by-member']));
    expect(byMember.Owner?.ID).toBe((await admin.userInfo('member')).canonicalId);
    expect(byRoot.Owner?.ID).not.toBe(byMember.Owner?.ID);
  });

  it('DeleteObjects decides each key: one allowed and one denied in one request', async () => {
    for (const Key of ['home/alice/del.txt', 'home/bob/del.txt', 'del/a.txt', 'del/b.txt']) await root.send(new PutObjectCommand({ Bucket: BUCKET, Key, Body: 'x' }));
    const out = await as('alice').send(
      new DeleteObjectsCommand({ Bucket: BUCKET, Delete: { Objects: [{ Key: 'home/alice/del.txt' }, { Key: 'home/bob/del.txt' }] } }),
    );
    expect(out.$metadata.httpStatusCode).toBe(200);
    expect(out.Deleted?.map((d) => d.Key)).toEqual(['home/alice/del.txt']);
    expect(out.Errors?.map((e) => [e.Key, e.Code])).toEqual([['home/bob/del.txt', 'AccessDenied']]);
    expect(await exists('home/alice/del.txt')).toBe(GONE);
    expect(await exists('home/bob/del.txt')).toBe('allow');

    // Without s3:DeleteObject every key is refused, each as its own Error entry.
    const byReader = await as('reader').send(new DeleteObjectsCommand({ Bucket: BUCKET, Delete: { Objects: [{ Key: 'del/a.txt' }, { Key: 'del/b.txt' }] } }));
    expect(byReader.Deleted ?? []).toEqual([]);
    expect(byReader.Errors?.map((e) => [e.Key, e.Code])).toEqual([
      ['del/a.txt', 'AccessDenied'],
      ['del/b.txt', 'AccessDenied'],
    ]);
    // The service account's own policy (GetObject only) narrows its parent's readwrite.
    const bySa = await as('sa').send(new DeleteObjectsCommand({ Bucket: BUCKET, Delete: { Objects: [{ Key: 'del/a.txt' }] } }));
    expect(bySa.Errors?.map((e) => [e.Key, e.Code])).toEqual([['del/a.txt', 'AccessDenied']]);
    expect(await exists('del/a.txt')).toBe('allow');
    // A disabled key is refused as a whole.
    expect(await verdict(as('disabled').send(new DeleteObjectsCommand({ Bucket: BUCKET, Delete: { Objects: [{ Key: 'del/a.txt' }] } })))).toBe(BAD_KEY);
    // The group's readwrite deletes both.
    const byMember = await as('member').send(new DeleteObjectsCommand({ Bucket: BUCKET, Delete: { Objects: [{ Key: 'del/a.txt' }, { Key: 'del/b.txt' }] } }));
    expect(byMember.Deleted?.map((d) => d.Key).sort()).toEqual(['del/a.txt', 'del/b.txt']);
    expect(byMember.Errors ?? []).toEqual([]);
  });

  it('the service account is narrowed by its own policy while its parent keeps readwrite', async () => {
    const parent = s3As(server, keys.get('rwparent')!);
    expect(await verdict(parent.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'parent.txt', Body: 'p' })))).toBe(A);
    expect(await verdict(as('sa').send(new PutObjectCommand({ Bucket: BUCKET, Key: 'parent.txt', Body: 'sa' })))).toBe(D);
    expect(await (await as('sa').send(new GetObjectCommand({ Bucket: BUCKET, Key: 'parent.txt' }))).Body!.transformToString()).toBe('p');
  });

  describe('after the group is disabled, its member has no permission', () => {
    beforeAll(async () => {
      await admin.setGroupStatus('rw-group', 'disabled');
    });

    it.each(DISABLED_GROUP_MATRIX)('member (group disabled): %s → %s', async (action, expected) => {
      const result = await outcome(ACTIONS[action](as('member'), 'member') as Promise<unknown>);
      expect(result.verdict).toBe(expected);
      expect(result.status).toBe(403);
    });

    it('re-enabling the group gives the permissions back', async () => {
      await admin.setGroupStatus('rw-group', 'enabled');
      expect(await verdict(as('member').send(new GetObjectCommand({ Bucket: BUCKET, Key: 'shared.txt' })))).toBe(A);
      await admin.setGroupStatus('rw-group', 'disabled');
      expect(await verdict(as('member').send(new GetObjectCommand({ Bucket: BUCKET, Key: 'shared.txt' })))).toBe(D);
    });
  });

  describe('explicit Deny', () => {
    it("a bucket policy's Deny on a prefix beats a user's readwrite", async () => {
      const user = s3As(server, keys.get('rwparent')!);
      await root.send(new PutObjectCommand({ Bucket: DENY_BUCKET, Key: 'secret/plans.txt', Body: 'secret' }));
      await root.send(new PutObjectCommand({ Bucket: DENY_BUCKET, Key: 'open/readme.txt', Body: 'open' }));
      // Before the policy, readwrite reaches both prefixes.
      expect(await verdict(user.send(new GetObjectCommand({ Bucket: DENY_BUCKET, Key: 'secret/plans.txt' })))).toBe(A);
      await root.send(
        new PutBucketPolicyCommand({
          Bucket: DENY_BUCKET,
          Policy: JSON.stringify({
            Version: '2012-10-17',
            Statement: [{ Sid: 'NoSecrets', Effect: 'Deny', Principal: { AWS: '*' }, Action: 's3:*', Resource: `arn:aws:s3:::${DENY_BUCKET}/secret/*` }],
          }),
        }),
      );
      expect(await verdict(user.send(new GetObjectCommand({ Bucket: DENY_BUCKET, Key: 'secret/plans.txt' })))).toBe(D);
      expect(await verdict(user.send(new PutObjectCommand({ Bucket: DENY_BUCKET, Key: 'secret/new.txt', Body: 'x' })))).toBe(D);
      expect(await verdict(user.send(new DeleteObjectCommand({ Bucket: DENY_BUCKET, Key: 'secret/plans.txt' })))).toBe(D);
      expect(await verdict(user.send(new GetObjectCommand({ Bucket: DENY_BUCKET, Key: 'open/readme.txt' })))).toBe(A);
      expect(await verdict(user.send(new PutObjectCommand({ Bucket: DENY_BUCKET, Key: 'open/new.txt', Body: 'x' })))).toBe(A);
      const del = await user.send(new DeleteObjectsCommand({ Bucket: DENY_BUCKET, Delete: { Objects: [{ Key: 'open/new.txt' }, { Key: 'secret/plans.txt' }] } }));
      expect(del.Deleted?.map((d) => d.Key)).toEqual(['open/new.txt']);
      expect(del.Errors?.map((e) => [e.Key, e.Code])).toEqual([['secret/plans.txt', 'AccessDenied']]);
      expect(await exists('secret/plans.txt', DENY_BUCKET)).toBe('allow');
    });

    it('an identity policy denying aws:SecureTransport false refuses every request over http', async () => {
      await admin.putPolicy(
        'deny-insecure',
        JSON.stringify({
          Version: '2012-10-17',
          Statement: [{ Effect: 'Deny', Action: 's3:*', Resource: '*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }],
        }),
      );
      const k = await addUser('tls-only', ['readwrite']);
      const user = s3As(server, k);
      expect(await verdict(user.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'shared.txt' })))).toBe(A);
      await admin.attachPolicies(['deny-insecure'], { user: 'tls-only' });
      expect(await verdict(user.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'shared.txt' })))).toBe(D);
      expect(await verdict(user.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'tls.txt', Body: 'x' })))).toBe(D);
      expect(await verdict(user.send(new ListObjectsV2Command({ Bucket: BUCKET })))).toBe(D);
      expect(await verdict(user.send(new CreateBucketCommand({ Bucket: 'made-over-http' })))).toBe(D);
      // A Deny on SecureTransport "true" would not match plain http: the same user is allowed again.
      await admin.putPolicy(
        'deny-insecure',
        JSON.stringify({
          Version: '2012-10-17',
          Statement: [{ Effect: 'Deny', Action: 's3:*', Resource: '*', Condition: { Bool: { 'aws:SecureTransport': 'true' } } }],
        }),
      );
      expect(await verdict(user.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'shared.txt' })))).toBe(A);
    });

    it('aws:SourceIp: an Allow for 127.0.0.1/32 admits this client, one for 10.0.0.0/8 does not', async () => {
      const byIp = (cidr: string): string =>
        JSON.stringify({
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Action: ['s3:GetObject', 's3:ListBucket'], Resource: ['arn:aws:s3:::*'], Condition: { IpAddress: { 'aws:SourceIp': cidr } } }],
        });
      await admin.putPolicy('from-localhost', byIp('127.0.0.1/32'));
      await admin.putPolicy('from-ten', byIp('10.0.0.0/8'));
      const near = s3As(server, await addUser('ip-local', ['from-localhost']));
      const far = s3As(server, await addUser('ip-ten', ['from-ten']));
      expect(await verdict(near.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'shared.txt' })))).toBe(A);
      expect(await verdict(near.send(new ListObjectsV2Command({ Bucket: BUCKET })))).toBe(A);
      expect(await verdict(near.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'ip.txt', Body: 'x' })))).toBe(D);
      expect(await verdict(far.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'shared.txt' })))).toBe(D);
      expect(await verdict(far.send(new ListObjectsV2Command({ Bucket: BUCKET })))).toBe(D);
      // NotIpAddress in a Deny: everyone outside 10.0.0.0/8 (this client included) is refused.
      await admin.putPolicy(
        'deny-outside-ten',
        JSON.stringify({
          Version: '2012-10-17',
          Statement: [{ Effect: 'Deny', Action: 's3:*', Resource: '*', Condition: { NotIpAddress: { 'aws:SourceIp': '10.0.0.0/8' } } }],
        }),
      );
      await admin.attachPolicies(['deny-outside-ten'], { user: 'ip-local' });
      expect(await verdict(near.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'shared.txt' })))).toBe(D);
    });
  });
});
