/**
 * Listings and buckets as the S3 API reference documents them (ListObjects, ListObjectsV2,
 * ListObjectVersions, ListMultipartUploads, ListParts, ListBuckets, CreateBucket and the error list),
 * against a real server with raw requests (to see every element as sent) and the SDK v3 (its
 * ListBuckets paginator):
 * - max-keys=0 (max-uploads, max-parts) answers an empty page that is not truncated;
 * - an empty continuation-token, and max-keys that are no integer or negative, are InvalidArgument;
 * - encoding-type=url encodes every key-bearing element, control characters included;
 * - ListBuckets pages with max-buckets, continuation-token, prefix and bucket-region;
 * - CreateBucket of an existing bucket: 200 to its owner in us-east-1 (S3's legacy answer),
 *   BucketAlreadyOwnedByYou elsewhere, BucketAlreadyExists to anyone else;
 * - a deleted bucket is NoSuchBucket to every requester, whatever their policies.
 */
import {
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteBucketCommand,
  DeleteObjectCommand,
  ListBucketsCommand,
  PutBucketVersioningCommand,
  PutObjectCommand,
  UploadPartCommand,
  paginateListBuckets,
  type S3Client,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AdminClient } from '../../src/admin/client.js';
import { anonymousS3, outcome, rootAdmin, s3As, type Keys } from '../helpers/iam-fixtures.js';
import { errorCode, rawRequest, type RawResponse } from '../helpers/raw.js';
import { TestServer } from '../helpers/server.js';

const BUCKET = 'listings';
const VERSIONED = 'listings-versioned';
/** Keys with characters XML 1.0 cannot carry (\x01) or that a parser changes (\n), under a delimiter and not. */
const KEYS = ['plain.txt', 'ctl\x01dir/a.txt', 'ctl\x01dir/b.txt', 'nl\ndir/c.txt', 'sp ace+plus&amp.txt', 'z\x01key'];

const MAKER: Keys = { accessKey: 'bucket-maker', secretKey: 'bucket-maker-secret' };
const OUTSIDER: Keys = { accessKey: 'outsider', secretKey: 'outsider-secret' };

let server: TestServer;
let s3: S3Client;
let admin: AdminClient;
let uploadId: string;

beforeAll(async () => {
  server = await TestServer.start({ drives: 4 });
  s3 = server.client();
  admin = rootAdmin(server);
  await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
  for (const key of KEYS) await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: key }));
  await s3.send(new CreateBucketCommand({ Bucket: VERSIONED }));
  await s3.send(new PutBucketVersioningCommand({ Bucket: VERSIONED, VersioningConfiguration: { Status: 'Enabled' } }));
  for (const key of KEYS) await s3.send(new PutObjectCommand({ Bucket: VERSIONED, Key: key, Body: key }));
  for (const key of KEYS) uploadId = (await s3.send(new CreateMultipartUploadCommand({ Bucket: BUCKET, Key: key }))).UploadId!;
  // The last upload (of the last key) gets two parts, for ListParts.
  for (const part of [1, 2]) await s3.send(new UploadPartCommand({ Bucket: BUCKET, Key: KEYS[KEYS.length - 1], UploadId: uploadId, PartNumber: part, Body: 'part' }));
  await admin.addUser(MAKER.accessKey, MAKER.secretKey);
  await admin.putPolicy('make-buckets', JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:*', Resource: ['arn:aws:s3:::made-*', 'arn:aws:s3:::root-*', 'arn:aws:s3:::gone-*'] }] }));
  await admin.attachPolicies(['make-buckets'], { user: MAKER.accessKey });
  await admin.addUser(OUTSIDER.accessKey, OUTSIDER.secretKey);
});

afterAll(async () => {
  s3?.destroy();
  await server?.destroy();
});

function get(path: string, query: string): Promise<RawResponse> {
  return rawRequest(server.endpoint, { method: 'GET', path, query });
}

/** The texts of every `<name>` element (not nested in another of its name), as sent. */
function texts(xml: string, name: string): string[] {
  return [...xml.matchAll(new RegExp(`<${name}>([^<]*)</${name}>`, 'g'))].map((m) => m[1]);
}

function text(xml: string, name: string): string | undefined {
  return texts(xml, name)[0];
}

function commonPrefixes(xml: string): string[] {
  return [...xml.matchAll(/<CommonPrefixes><Prefix>([^<]*)<\/Prefix><\/CommonPrefixes>/g)].map((m) => m[1]);
}

/** An InvalidArgument answer naming `argument`, as [status, code, ArgumentName, message]. */
function refusal(res: RawResponse): [number, string | undefined, string | undefined, string | undefined] {
  return [res.status, errorCode(res.text), text(res.text, 'ArgumentName'), text(res.text, 'Message')];
}

describe('max-keys=0 answers an empty page that is not truncated', () => {
  it('ListObjects v1 and v2, ListObjectVersions, ListMultipartUploads and ListParts', async () => {
    const pages = {
      v1: await get(`/${BUCKET}`, 'max-keys=0'),
      v2: await get(`/${BUCKET}`, 'list-type=2&max-keys=0'),
      versions: await get(`/${VERSIONED}`, 'versions&max-keys=0'),
      uploads: await get(`/${BUCKET}`, 'uploads&max-uploads=0'),
      parts: await get(`/${BUCKET}/${encodeURIComponent(KEYS[KEYS.length - 1])}`, `uploadId=${encodeURIComponent(uploadId)}&max-parts=0`),
    };
    for (const [name, res] of Object.entries(pages)) {
      expect(res.status, `${name}: ${res.text}`).toBe(200);
      expect(text(res.text, 'IsTruncated'), name).toBe('false');
      for (const element of ['Contents', 'Version', 'Upload', 'Part', 'CommonPrefixes', 'NextContinuationToken', 'NextMarker', 'NextKeyMarker']) {
        expect(res.text, `${name} has no ${element}`).not.toContain(`<${element}>`);
      }
    }
    expect(text(pages.v2.text, 'KeyCount')).toBe('0');
    expect(text(pages.v2.text, 'MaxKeys')).toBe('0');
    expect(text(pages.uploads.text, 'MaxUploads')).toBe('0');
    expect(text(pages.parts.text, 'MaxParts')).toBe('0');
  });

  it('a page of one is still truncated when more follow', async () => {
    for (const query of ['max-keys=1', 'list-type=2&max-keys=1', 'uploads&max-uploads=1']) {
      expect(text((await get(`/${BUCKET}`, query)).text, 'IsTruncated'), query).toBe('true');
    }
  });
});

describe('bad listing arguments are InvalidArgument, as S3 answers them', () => {
  it('an empty continuation-token', async () => {
    expect(refusal(await get(`/${BUCKET}`, 'list-type=2&continuation-token='))).toEqual([400, 'InvalidArgument', 'continuation-token', 'The continuation token provided is incorrect']);
  });

  it('max-keys (max-uploads, max-parts, part-number-marker) that are no integer, out of its range, or negative', async () => {
    const parts = `/${BUCKET}/${encodeURIComponent(KEYS[KEYS.length - 1])}`;
    const cases: [string, string, string, string][] = [
      [`/${BUCKET}`, 'max-keys=ten', 'max-keys', 'Provided max-keys not an integer or within integer range'],
      [`/${BUCKET}`, 'list-type=2&max-keys=99999999999', 'max-keys', 'Provided max-keys not an integer or within integer range'],
      [`/${BUCKET}`, 'list-type=2&max-keys=1.5', 'max-keys', 'Provided max-keys not an integer or within integer range'],
      [`/${BUCKET}`, 'max-keys=-1', 'max-keys', 'Argument max-keys must be an integer between 0 and 2147483647'],
      [`/${VERSIONED}`, 'versions&max-keys=-5', 'max-keys', 'Argument max-keys must be an integer between 0 and 2147483647'],
      [`/${BUCKET}`, 'uploads&max-uploads=x', 'max-uploads', 'Provided max-uploads not an integer or within integer range'],
      [`/${BUCKET}`, 'uploads&max-uploads=-1', 'max-uploads', 'Argument max-uploads must be an integer between 0 and 2147483647'],
      [parts, `uploadId=${encodeURIComponent(uploadId)}&max-parts=-2`, 'max-parts', 'Argument max-parts must be an integer between 0 and 2147483647'],
      [parts, `uploadId=${encodeURIComponent(uploadId)}&part-number-marker=one`, 'part-number-marker', 'Provided part-number-marker not an integer or within integer range'],
    ];
    for (const [path, query, argument, message] of cases) {
      expect(refusal(await get(path, query)), query).toEqual([400, 'InvalidArgument', argument, message]);
    }
  });

  it('a part-number-marker past the first thousand is taken as it is, not capped', async () => {
    const res = await get(`/${BUCKET}/${encodeURIComponent(KEYS[KEYS.length - 1])}`, `uploadId=${encodeURIComponent(uploadId)}&part-number-marker=1500`);
    expect([res.status, text(res.text, 'PartNumberMarker'), texts(res.text, 'PartNumber')]).toEqual([200, '1500', []]);
  });

  it('an encoding-type other than url, on every listing that takes one', async () => {
    for (const [path, query] of [
      [`/${BUCKET}`, 'encoding-type=base64'],
      [`/${BUCKET}`, 'list-type=2&encoding-type=URL'],
      [`/${VERSIONED}`, 'versions&encoding-type=xml'],
      [`/${BUCKET}`, 'uploads&encoding-type=none'],
    ]) {
      expect(refusal(await get(path, query)), query).toEqual([400, 'InvalidArgument', 'encoding-type', 'Invalid Encoding Method specified in Request']);
    }
  });
});

describe('encoding-type=url encodes every key-bearing element', () => {
  const decoded = (values: string[]): string[] => values.map(decodeURIComponent);
  /** No control character reaches the document: XML 1.0 cannot carry \x01, and a parser may change \n. */
  const expectNoControlCharacters = (xml: string): void => expect(xml).not.toMatch(/[\x00-\x1f]/);

  it('ListObjects v1: Key, Prefix, Delimiter, Marker, NextMarker and CommonPrefixes', async () => {
    const first = await get(`/${BUCKET}`, `encoding-type=url&delimiter=%2F&max-keys=1&marker=${encodeURIComponent('a\x01')}`);
    expect(first.status, first.text).toBe(200);
    expectNoControlCharacters(first.text);
    expect(text(first.text, 'EncodingType')).toBe('url');
    expect(decodeURIComponent(text(first.text, 'Marker')!)).toBe('a\x01');
    expect(commonPrefixes(first.text).map(decodeURIComponent)).toEqual(['ctl\x01dir/']);
    expect(decodeURIComponent(text(first.text, 'NextMarker')!)).toBe('ctl\x01dir/');

    const all = await get(`/${BUCKET}`, `encoding-type=url&delimiter=${encodeURIComponent('\x01')}&prefix=${encodeURIComponent('ctl\x01')}`);
    expectNoControlCharacters(all.text);
    expect(decodeURIComponent(text(all.text, 'Prefix')!)).toBe('ctl\x01');
    expect(decodeURIComponent(text(all.text, 'Delimiter')!)).toBe('\x01');
    expect(decoded(texts(all.text, 'Key'))).toEqual(['ctl\x01dir/a.txt', 'ctl\x01dir/b.txt']);

    const keys = await get(`/${BUCKET}`, 'encoding-type=url');
    expect(decoded(texts(keys.text, 'Key')).sort()).toEqual([...KEYS].sort());
  });

  it('ListObjectsV2: Key, Prefix, Delimiter, StartAfter and CommonPrefixes', async () => {
    const res = await get(`/${BUCKET}`, `list-type=2&encoding-type=url&delimiter=%2F&start-after=${encodeURIComponent('ctl\x01')}`);
    expect(res.status, res.text).toBe(200);
    expectNoControlCharacters(res.text);
    expect(decodeURIComponent(text(res.text, 'StartAfter')!)).toBe('ctl\x01');
    expect(decodeURIComponent(text(res.text, 'Delimiter')!)).toBe('/');
    expect(commonPrefixes(res.text).map(decodeURIComponent)).toEqual(['ctl\x01dir/', 'nl\ndir/']);
    expect(decoded(texts(res.text, 'Key'))).toEqual(['plain.txt', 'sp ace+plus&amp.txt', 'z\x01key']);
  });

  it('ListObjectVersions: Key, Prefix, Delimiter, KeyMarker, NextKeyMarker and CommonPrefixes', async () => {
    const res = await get(`/${VERSIONED}`, `versions&encoding-type=url&delimiter=%2F&max-keys=2&prefix=&key-marker=${encodeURIComponent('a\x01')}`);
    expect(res.status, res.text).toBe(200);
    expectNoControlCharacters(res.text);
    expect(decodeURIComponent(text(res.text, 'KeyMarker')!)).toBe('a\x01');
    expect(commonPrefixes(res.text).map(decodeURIComponent)).toEqual(['ctl\x01dir/', 'nl\ndir/']);
    expect(decodeURIComponent(text(res.text, 'NextKeyMarker')!)).toBe('nl\ndir/');
    const rest = await get(`/${VERSIONED}`, `versions&encoding-type=url&key-marker=${encodeURIComponent('sp')}`);
    expectNoControlCharacters(rest.text);
    expect(decoded(texts(rest.text, 'Key'))).toEqual(['sp ace+plus&amp.txt', 'z\x01key']);
  });

  it('ListMultipartUploads: Key, Prefix, Delimiter, KeyMarker, NextKeyMarker and CommonPrefixes', async () => {
    const res = await get(`/${BUCKET}`, `uploads&encoding-type=url&delimiter=%2F&max-uploads=2&key-marker=${encodeURIComponent('a\x01')}`);
    expect(res.status, res.text).toBe(200);
    expectNoControlCharacters(res.text);
    expect(text(res.text, 'EncodingType')).toBe('url');
    expect(decodeURIComponent(text(res.text, 'KeyMarker')!)).toBe('a\x01');
    expect(commonPrefixes(res.text).map(decodeURIComponent)).toEqual(['ctl\x01dir/', 'nl\ndir/']);
    expect(text(res.text, 'IsTruncated')).toBe('true');
    expect(decodeURIComponent(text(res.text, 'NextKeyMarker')!)).toBe('nl\ndir/');

    // The next page starts after the common prefix the last one ended on: nothing twice.
    const next = await get(`/${BUCKET}`, `uploads&encoding-type=url&delimiter=%2F&key-marker=${encodeURIComponent('nl\ndir/')}`);
    expectNoControlCharacters(next.text);
    expect(commonPrefixes(next.text)).toEqual([]);
    expect(decoded(texts(next.text, 'Key'))).toEqual(['plain.txt', 'sp ace+plus&amp.txt', 'z\x01key']);
    expect(decodeURIComponent(text(next.text, 'Prefix') ?? 'missing')).toBe('');
  });
});

describe('ListBuckets pages as S3 does', () => {
  const names = ['page-a', 'page-b', 'page-c', 'page-d', 'page-e'];

  beforeAll(async () => {
    for (const name of names) await s3.send(new CreateBucketCommand({ Bucket: name }));
  });

  it('max-buckets with prefix: a ContinuationToken while more follow, the Prefix echoed, each bucket with its region', async () => {
    const first = await get('/', 'max-buckets=2&prefix=page-');
    expect(first.status, first.text).toBe(200);
    expect(texts(first.text, 'Name')).toEqual(['page-a', 'page-b']);
    expect(texts(first.text, 'BucketRegion')).toEqual(['us-east-1', 'us-east-1']);
    expect(text(first.text, 'Prefix')).toBe('page-');
    const token = text(first.text, 'ContinuationToken')!;
    expect(token).toBeTruthy();
    expect(token).not.toContain('page-b');

    const second = await get('/', `max-buckets=2&prefix=page-&continuation-token=${encodeURIComponent(token)}`);
    expect(texts(second.text, 'Name')).toEqual(['page-c', 'page-d']);
    const last = await get('/', `max-buckets=2&prefix=page-&continuation-token=${encodeURIComponent(text(second.text, 'ContinuationToken')!)}`);
    expect(texts(last.text, 'Name')).toEqual(['page-e']);
    expect(last.text).not.toContain('<ContinuationToken>');
  });

  it('without paging parameters, every bucket and neither element', async () => {
    const all = await get('/', '');
    expect(texts(all.text, 'Name')).toEqual(expect.arrayContaining([BUCKET, VERSIONED, ...names]));
    expect(all.text).not.toContain('<ContinuationToken>');
    expect(all.text).not.toContain('<Prefix>');
  });

  it("the SDK's paginator walks every bucket once", async () => {
    const seen: string[] = [];
    for await (const page of paginateListBuckets({ client: s3, pageSize: 2 }, { Prefix: 'page-' })) {
      expect(page.Buckets!.length).toBeLessThanOrEqual(2);
      seen.push(...page.Buckets!.map((b) => b.Name!));
    }
    expect(seen).toEqual(names);
    const everything: string[] = [];
    for await (const page of paginateListBuckets({ client: s3, pageSize: 3 }, {})) everything.push(...page.Buckets!.map((b) => b.Name!));
    expect(everything).toEqual((await s3.send(new ListBucketsCommand({}))).Buckets!.map((b) => b.Name!));
  });

  it('bucket-region keeps the buckets of that region: all of them here, none of another', async () => {
    expect(texts((await get('/', 'bucket-region=us-east-1&prefix=page-')).text, 'Name')).toEqual(names);
    const elsewhere = await get('/', 'bucket-region=eu-west-1');
    expect([elsewhere.status, texts(elsewhere.text, 'Name')]).toEqual([200, []]);
  });

  it('max-buckets outside 1..10000 and continuation tokens it did not issue are InvalidArgument', async () => {
    for (const [query, message] of [
      ['max-buckets=0', 'Argument max-buckets must be an integer between 1 and 10000'],
      ['max-buckets=10001', 'Argument max-buckets must be an integer between 1 and 10000'],
      ['max-buckets=-3', 'Argument max-buckets must be an integer between 1 and 10000'],
      ['max-buckets=many', 'Provided max-buckets not an integer or within integer range'],
    ]) {
      expect(refusal(await get('/', query)), query).toEqual([400, 'InvalidArgument', 'max-buckets', message]);
    }
    for (const token of ['not a token', Buffer.from('Not_A_Bucket').toString('base64url'), 'cGFnZS1i=']) {
      expect(refusal(await get('/', `continuation-token=${encodeURIComponent(token)}`)), token).toEqual([400, 'InvalidArgument', 'continuation-token', 'The continuation token provided is incorrect']);
    }
  });
});

describe('CreateBucket of a bucket that exists', () => {
  it("answers its owner 200 in us-east-1 (S3's legacy answer) and anyone else BucketAlreadyExists", async () => {
    await s3.send(new CreateBucketCommand({ Bucket: 'root-owned' }));
    expect(await outcome(s3.send(new CreateBucketCommand({ Bucket: 'root-owned' })))).toEqual({ verdict: 'allow', status: 200 });

    const maker = s3As(server, MAKER);
    expect(await outcome(maker.send(new CreateBucketCommand({ Bucket: 'root-owned' })))).toEqual({ verdict: 'BucketAlreadyExists', status: 409 });
    await maker.send(new CreateBucketCommand({ Bucket: 'made-by-maker' }));
    expect(await outcome(maker.send(new CreateBucketCommand({ Bucket: 'made-by-maker' })))).toEqual({ verdict: 'allow', status: 200 });
    expect(await outcome(s3.send(new CreateBucketCommand({ Bucket: 'made-by-maker' })))).toEqual({ verdict: 'BucketAlreadyExists', status: 409 });

    const raw = await rawRequest(server.endpoint, { method: 'PUT', path: '/made-by-maker' });
    expect([raw.status, errorCode(raw.text), text(raw.text, 'BucketName')]).toEqual([409, 'BucketAlreadyExists', 'made-by-maker']);
    maker.destroy();
  });

  it('answers its owner BucketAlreadyOwnedByYou in us-east-1 too when the request asks for Object Lock, an ACL or ownership the bucket was not made with', async () => {
    await s3.send(new CreateBucketCommand({ Bucket: 'plain-owned' }));
    for (const settings of [{ ObjectLockEnabledForBucket: true }, { ACL: 'private' as const }, { ObjectOwnership: 'ObjectWriter' as const }]) {
      expect(await outcome(s3.send(new CreateBucketCommand({ Bucket: 'plain-owned', ...settings }))), JSON.stringify(settings)).toEqual({ verdict: 'BucketAlreadyOwnedByYou', status: 409 });
    }
  });

  it('answers its owner BucketAlreadyOwnedByYou in any other region', async () => {
    const regional = await TestServer.start({ drives: 2, extraArgs: ['--region', 'eu-west-1'] });
    try {
      const client = regional.client();
      await client.send(new CreateBucketCommand({ Bucket: 'regional', CreateBucketConfiguration: { LocationConstraint: 'eu-west-1' } }));
      const again = await rawRequest(regional.endpoint, { method: 'PUT', path: '/regional' });
      expect([again.status, errorCode(again.text), text(again.text, 'BucketName')]).toEqual([409, 'BucketAlreadyOwnedByYou', 'regional']);
      client.destroy();
    } finally {
      await regional.destroy();
    }
  });
});

describe('a deleted bucket is NoSuchBucket to every requester', () => {
  it('root, a user its policy allows, a user no policy allows, and anonymous', async () => {
    const bucket = 'gone-bucket';
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'k', Body: 'v' }));
    const requesters = { root: s3, allowed: s3As(server, MAKER), unrelated: s3As(server, OUTSIDER), anonymous: anonymousS3(server) };
    // Each asks while the bucket is there, so whatever a node keeps of it is warm.
    for (const client of Object.values(requesters)) await outcome(client.send(new PutObjectCommand({ Bucket: bucket, Key: 'warm', Body: 'x' })));
    await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: 'k' }));
    await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: 'warm' }));
    await s3.send(new DeleteBucketCommand({ Bucket: bucket }));

    for (const [who, client] of Object.entries(requesters)) {
      expect(await outcome(client.send(new PutObjectCommand({ Bucket: bucket, Key: 'k', Body: 'v' }))), who).toEqual({ verdict: 'NoSuchBucket', status: 404 });
    }
    for (const [who, keys] of [['unrelated', OUTSIDER], ['allowed', MAKER]] as const) {
      for (const [method, path, query] of [['GET', `/${bucket}`, 'list-type=2'], ['GET', `/${bucket}/k`, ''], ['DELETE', `/${bucket}`, ''], ['GET', `/${bucket}`, 'policy']]) {
        const res = await rawRequest(server.endpoint, { method, path, query, accessKey: keys.accessKey, secretKey: keys.secretKey });
        expect([res.status, errorCode(res.text), text(res.text, 'BucketName')], `${who} ${method} ${path}?${query}`).toEqual([404, 'NoSuchBucket', bucket]);
      }
      const head = await rawRequest(server.endpoint, { method: 'HEAD', path: `/${bucket}`, accessKey: keys.accessKey, secretKey: keys.secretKey });
      expect(head.status, `${who} HEAD`).toBe(404);
    }
    const anonymous = await rawRequest(server.endpoint, { method: 'GET', path: `/${bucket}/k`, sign: false });
    expect([anonymous.status, errorCode(anonymous.text)]).toEqual([404, 'NoSuchBucket']);
    for (const client of Object.values(requesters)) if (client !== s3) client.destroy();
  });
});
