/**
 * POST Object forms as browsers and SDKs build them, sent byte for byte (test/helpers/post-form.ts)
 * to a real server, each answered as AWS documents ("Browser-based uploads using POST", "POST
 * policy", "POST Object") and as S3 was observed to answer where the documents are silent (ceph
 * s3-tests' test_post_object_* cases, LocalStack's recordings against S3).
 */
import { createHash } from 'node:crypto';
import { crc32 } from 'node:zlib';
import {
  CreateBucketCommand,
  GetObjectCommand,
  GetObjectTaggingCommand,
  HeadObjectCommand,
  PutBucketAclCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { exactPolicyForm, policyDocument, postForm, sigV2Fields, sigV4Fields, signedPolicyFields, type FilePart, type FormOptions } from '../helpers/post-form.js';
import { errorCode, rawRequest, type RawResponse } from '../helpers/raw.js';
import { TestServer, endServer, serverWithBuckets } from '../helpers/server.js';

const BUCKET = 'post-forms';
const OTHER = 'post-forms-other';
const PUBLIC = 'post-forms-public';

let server: TestServer;
let s3: S3Client;

beforeAll(async () => {
  ({ server, s3 } = await serverWithBuckets([BUCKET, OTHER], { drives: 4 }));
  await s3.send(new CreateBucketCommand({ Bucket: PUBLIC, ObjectOwnership: 'ObjectWriter' }));
  await s3.send(new PutBucketAclCommand({ Bucket: PUBLIC, ACL: 'public-read-write' }));
});

afterAll(() => endServer(server, s3));

// Every case asserts its status, so a 500 cannot pass unnoticed; the process must also survive each one.
afterEach(() => {
  expect(server.proc?.exitCode ?? null, `server exited:\n${server.output}`).toBeNull();
});

const FILE: FilePart = { name: 'f.txt', content: 'form data' };

function post(fields: Record<string, string> | [string, string][], file: FilePart = FILE, options?: FormOptions, bucket = BUCKET): Promise<RawResponse> {
  return postForm(server.endpoint, bucket, fields, file, options);
}

/** `fields` and a SigV4 policy of the bucket condition and `conditions`. */
function signed(fields: Record<string, string>, conditions: unknown[], bucket = BUCKET): Record<string, string> {
  return { ...fields, ...signedPolicyFields([{ bucket }, ...conditions]) };
}

/** The object's body, or undefined when there is none. */
async function stored(key: string, bucket = BUCKET): Promise<string | undefined> {
  try {
    return await (await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }))).Body!.transformToString();
  } catch (err) {
    if ((err as Error).name === 'NoSuchKey') return undefined;
    throw err;
  }
}

function messageOf(res: RawResponse): string | undefined {
  return /<Message>([^<]*)<\/Message>/.exec(res.text)?.[1];
}

function argumentOf(res: RawResponse): string | undefined {
  return /<ArgumentName>([^<]*)<\/ArgumentName>/.exec(res.text)?.[1];
}

/** A refusal as status, code and message (XML entities left as sent). */
function refusal(res: RawResponse): { status: number; code?: string; message?: string } {
  return { status: res.status, code: errorCode(res.text), message: messageOf(res) };
}

const failed = (condition: string): string => `Invalid according to Policy: Policy Condition failed: ${condition.replace(/"/g, '&quot;')}`;

let keys = 0;
const newKey = (prefix = 'k'): string => `${prefix}/case-${++keys}`;

describe('form fields', () => {
  it('names in any case (Policy, X-Amz-Signature, KEY, content-TYPE), and condition names and operations in any case (s3-tests case_insensitive_condition_fields)', async () => {
    const key = newKey('case');
    const auth = signedPolicyFields([{ bUcKeT: BUCKET }, ['StArTs-WiTh', '$KeY', 'case/'], { 'CoNtEnT-TyPe': 'text/plain' }]);
    const renamed = {
      'X-Amz-Algorithm': auth['x-amz-algorithm'],
      'X-Amz-Credential': auth['x-amz-credential'],
      'X-Amz-Date': auth['x-amz-date'],
      Policy: auth.policy,
      'X-Amz-Signature': auth['x-amz-signature'],
    };
    const res = await post({ KEY: key, 'content-TYPE': 'text/plain', ...renamed });
    expect(res.status, res.text).toBe(204);
    const head = await s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key }));
    expect(head.ContentType).toBe('text/plain');
  });

  it('a part that names a file is a field unless it is named file, as Python requests sends files= entries', async () => {
    const key = newKey();
    const res = await post(signed({ key, 'x-amz-meta-note': 'as a file part' }, [{ key }, { 'x-amz-meta-note': 'as a file part' }]), { name: 'upload.bin', content: 'the upload' }, { fieldsAsFiles: true });
    expect(res.status, res.text).toBe(204);
    expect(await stored(key)).toBe('the upload');
    expect((await s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key }))).Metadata).toEqual({ note: 'as a file part' });
  });

  it('a field named file without a file name (a text area) is the upload', async () => {
    const key = newKey();
    const res = await post(signed({ key }, [{ key }]), { content: 'typed into a text area', contentType: null });
    expect(res.status, res.text).toBe(204);
    expect(await stored(key)).toBe('typed into a text area');
  });

  it('a name given twice has its values joined by commas, and the policy must say so', async () => {
    const key = newKey();
    const fields: [string, string][] = [['key', key], ['x-amz-meta-tag', 'Ninja'], ['x-amz-meta-tag', 'Stallman']];
    const res = await post([...fields, ...Object.entries(signedPolicyFields([{ bucket: BUCKET }, { key }, { 'x-amz-meta-tag': 'Ninja,Stallman' }]))]);
    expect(res.status, res.text).toBe(204);
    expect((await s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key }))).Metadata).toEqual({ tag: 'Ninja,Stallman' });
  });

  it('fields after the file are ignored: a key sent after it is missing', async () => {
    const boundary = 'after-the-file';
    const part = (name: string, value: string, filename = ''): string => `--${boundary}\r\nContent-Disposition: form-data; name="${name}"${filename}\r\n\r\n${value}\r\n`;
    const before = Object.entries(signed({}, [['starts-with', '$key', '']])).map(([name, value]) => part(name, value));
    const body = [...before, part('file', 'data', '; filename="f.txt"'), part('key', 'late'), `--${boundary}--\r\n`].join('');
    const res = await rawRequest(server.endpoint, { method: 'POST', path: `/${BUCKET}`, headers: { 'content-type': `multipart/form-data; boundary=${boundary}` }, body, sign: false });
    expect([res.status, errorCode(res.text), argumentOf(res)]).toEqual([400, 'InvalidArgument', 'key']);
    expect(await stored('late')).toBeUndefined();
  });

  it('x-amz-storage-class is stored as a PUT would store it; an unknown class is InvalidStorageClass', async () => {
    const key = newKey();
    const ok = await post(signed({ key, 'x-amz-storage-class': 'REDUCED_REDUNDANCY' }, [{ key }, { 'x-amz-storage-class': 'REDUCED_REDUNDANCY' }]));
    expect(ok.status, ok.text).toBe(204);
    expect((await s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key }))).StorageClass).toBe('REDUCED_REDUNDANCY');
    const badKey = newKey();
    const bad = await post(signed({ key: badKey, 'x-amz-storage-class': 'FANCY' }, [{ key: badKey }, { 'x-amz-storage-class': 'FANCY' }]));
    expect([bad.status, errorCode(bad.text), await stored(badKey)]).toEqual([400, 'InvalidStorageClass', undefined]);
  });
});

describe('${filename}', () => {
  it('becomes the file part\'s name without any directory a browser or client sent (after the last / or \\)', async () => {
    const names = { 'notes.txt': 'notes.txt', 'dir/sub/notes2.txt': 'notes2.txt', 'C:\\Users\\me\\photo.jpg': 'photo.jpg' };
    for (const [sent, name] of Object.entries(names)) {
      const res = await post(signed({ key: 'named/${filename}' }, [['starts-with', '$key', 'named/']]), { name: sent, content: sent });
      expect(res.status, `${sent}: ${res.text}`).toBe(204);
      expect(await stored(`named/${name}`)).toBe(sent);
    }
  });

  it('is replaced in every field before the policy is checked: conditions match the expanded values', async () => {
    const fields = { key: 'expanded/${filename}', 'x-amz-meta-original': 'was ${filename}' };
    const res = await post(signed(fields, [{ key: 'expanded/report.pdf' }, ['eq', '$x-amz-meta-original', 'was report.pdf']]), { name: 'report.pdf', content: 'pdf' });
    expect(res.status, res.text).toBe(204);
    expect((await s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'expanded/report.pdf' }))).Metadata).toEqual({ original: 'was report.pdf' });
    const template = await post(signed({ key: 'template/${filename}' }, [{ key: 'template/${filename}' }]), { name: 'report.pdf', content: 'pdf' });
    expect(refusal(template)).toEqual({ status: 403, code: 'AccessDenied', message: failed('["eq", "$key", "template/${filename}"]') });
  });
});

describe('success answers', () => {
  it('success_action_status 201: a PostResponse (no namespace) with Location, Bucket, Key and ETag; 200 and 204 empty; any other value 204', async () => {
    const upload = async (status: string | undefined): Promise<RawResponse> => {
      const fields: Record<string, string> = { key: newKey('status') };
      if (status !== undefined) fields.success_action_status = status;
      return post(exactPolicyForm(BUCKET, fields), { name: 'f.txt', content: 'abc' });
    };
    const created = await upload('201');
    const md5 = `"${createHash('md5').update('abc').digest('hex')}"`;
    expect(created.status).toBe(201);
    const key = /<Key>([^<]*)<\/Key>/.exec(created.text)?.[1];
    expect(created.text).toContain('<PostResponse><Location>');
    expect(created.text).toContain(`<Bucket>${BUCKET}</Bucket>`);
    expect(created.text).toContain(`<ETag>${md5.replace(/"/g, '&quot;')}</ETag>`);
    expect(created.headers.etag).toBe(md5);
    expect(created.headers.location).toBe(`${server.endpoint}/${BUCKET}/${key}`);
    expect(await stored(key!)).toBe('abc');
    const others = await Promise.all(['200', '204', undefined, '404', 'abc'].map(upload));
    expect(others.map((r) => [r.status, r.text, r.headers.etag])).toEqual([
      [200, '', md5],
      [204, '', md5],
      [204, '', md5],
      [204, '', md5],
      [204, '', md5],
    ]);
  });

  it('success_action_redirect (and the older redirect): 303 to it with bucket, key and etag added to its query', async () => {
    for (const field of ['success_action_redirect', 'redirect']) {
      const key = `redirect/${field} a+b.txt`;
      const res = await post(exactPolicyForm(BUCKET, { key, [field]: 'https://app.example/done?from=form' }), { name: 'f.txt', content: 'abc' });
      expect(res.status, res.text).toBe(303);
      const etag = createHash('md5').update('abc').digest('hex');
      expect(res.headers.location).toBe(`https://app.example/done?from=form&bucket=${BUCKET}&key=${encodeURIComponent(key).replace(/%20/g, '+')}&etag=%22${etag}%22`);
      expect(await stored(key)).toBe('abc');
    }
  });

  it('a redirect must be covered by the policy like any other field', async () => {
    const key = newKey();
    const res = await post(signed({ key, success_action_redirect: 'https://app.example/done' }, [{ key }]));
    expect(refusal(res)).toEqual({ status: 403, code: 'AccessDenied', message: 'Invalid according to Policy: Extra input fields: success_action_redirect' });
    expect(await stored(key)).toBeUndefined();
  });
});

describe('fields the policy need not cover', () => {
  it('x-ignore-* fields, the signature fields, and the file part\'s own headers (its Content-Type is no field)', async () => {
    const key = newKey();
    const res = await post(signed({ key, 'x-ignore-submit': 'Upload', 'X-Ignore-Other': 'x' }, [{ key }]), { name: 'p.png', content: 'png', contentType: 'image/png' });
    expect(res.status, res.text).toBe(204);
    expect((await s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key }))).ContentType).toBe('binary/octet-stream');
  });

  it('any other field needs a condition: Extra input fields', async () => {
    const key = newKey();
    const res = await post(signed({ key, submit: 'Upload' }, [{ key }]));
    expect(refusal(res)).toEqual({ status: 403, code: 'AccessDenied', message: 'Invalid according to Policy: Extra input fields: submit' });
    expect(await stored(key)).toBeUndefined();
  });

  it('a SigV4 form\'s policy must name x-amz-algorithm, x-amz-credential and x-amz-date', async () => {
    const key = newKey();
    const res = await post({ key, ...sigV4Fields(policyDocument([{ bucket: BUCKET }, { key }])) });
    expect(refusal(res)).toEqual({ status: 403, code: 'AccessDenied', message: 'Invalid according to Policy: Extra input fields: x-amz-algorithm' });
  });
});

describe('tags and checksums', () => {
  it('a tagging field (a Tagging document) tags the object', async () => {
    const key = newKey();
    const tagging = '<Tagging><TagSet><Tag><Key>team</Key><Value>web</Value></Tag></TagSet></Tagging>';
    const res = await post(signed({ key, tagging }, [{ key }, ['starts-with', '$tagging', '']]));
    expect(res.status, res.text).toBe(204);
    expect((await s3.send(new GetObjectTaggingCommand({ Bucket: BUCKET, Key: key }))).TagSet).toEqual([{ Key: 'team', Value: 'web' }]);
  });

  const content = 'checked content';
  const crc32Of = (text: string): string => {
    const digest = Buffer.alloc(4);
    digest.writeUInt32BE(crc32(text));
    return digest.toString('base64');
  };
  const sha256Of = (text: string): string => createHash('sha256').update(text).digest('base64');

  async function upload(checksums: Record<string, string>): Promise<{ res: RawResponse; key: string }> {
    const key = newKey('checksum');
    return { res: await post(exactPolicyForm(BUCKET, { key, ...checksums }), { name: 'f.txt', content }), key };
  }

  it('x-amz-checksum-* fields are checked against the file, stored and answered', async () => {
    const { res, key } = await upload({ 'x-amz-checksum-crc32': crc32Of(content) });
    expect(res.status, res.text).toBe(204);
    expect(res.headers['x-amz-checksum-crc32']).toBe(crc32Of(content));
    expect((await s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key, ChecksumMode: 'ENABLED' }))).ChecksumCRC32).toBe(crc32Of(content));
    const withAlgorithm = await upload({ 'x-amz-checksum-algorithm': 'SHA256', 'x-amz-checksum-sha256': sha256Of(content) });
    expect(withAlgorithm.res.status, withAlgorithm.res.text).toBe(204);
    expect(withAlgorithm.res.headers['x-amz-checksum-sha256']).toBe(sha256Of(content));
  });

  it('a checksum or Content-MD5 the file does not match is BadDigest, and nothing is stored', async () => {
    const cases = {
      crc32: { 'x-amz-checksum-crc32': crc32Of('other content') },
      sha256: { 'x-amz-checksum-sha256': sha256Of('other content') },
      'Content-MD5': { 'Content-MD5': createHash('md5').update('other content').digest('base64') },
    };
    for (const [name, checksums] of Object.entries(cases)) {
      const { res, key } = await upload(checksums);
      expect([res.status, errorCode(res.text), await stored(key)], name).toEqual([400, 'BadDigest', undefined]);
    }
  });

  it('x-amz-checksum-algorithm without its value is InvalidRequest; a malformed value is refused before the file is read', async () => {
    const missing = await upload({ 'x-amz-checksum-algorithm': 'CRC32' });
    expect([missing.res.status, errorCode(missing.res.text), await stored(missing.key)]).toEqual([400, 'InvalidRequest', undefined]);
    const malformed = await upload({ 'x-amz-checksum-crc32': 'not a checksum' });
    expect([malformed.res.status, await stored(malformed.key)]).toEqual([400, undefined]);
  });
});

describe('refusals', () => {
  const good = (key: string): Record<string, string> => signed({ key }, [{ key }]);

  it('a signature that does not match is SignatureDoesNotMatch (SigV4 and SigV2)', async () => {
    const key = newKey();
    const v4 = await post({ ...good(key), 'x-amz-signature': '0'.repeat(64) });
    const v2 = await post({ key, ...sigV2Fields(policyDocument([{ bucket: BUCKET }, { key }])), signature: 'AAAAAAAAAAAAAAAAAAAAAAAAAAA=' });
    expect([v4.status, errorCode(v4.text), v2.status, errorCode(v2.text), await stored(key)]).toEqual([403, 'SignatureDoesNotMatch', 403, 'SignatureDoesNotMatch', undefined]);
  });

  it('an unknown access key is InvalidAccessKeyId (SigV4 and SigV2)', async () => {
    const key = newKey();
    const stranger = { accessKey: 'nobody-knows-me', secretKey: 'whatever-secret' };
    const v4 = await post({ key, ...sigV4Fields(policyDocument([{ bucket: BUCKET }, { key }]), undefined, stranger) });
    const v2 = await post({ key, ...sigV2Fields(policyDocument([{ bucket: BUCKET }, { key }]), stranger) });
    expect([v4.status, errorCode(v4.text), v2.status, errorCode(v2.text)]).toEqual([403, 'InvalidAccessKeyId', 403, 'InvalidAccessKeyId']);
    expect(v4.text).toContain('<AWSAccessKeyId>nobody-knows-me</AWSAccessKeyId>');
  });

  it('an expired policy is AccessDenied "Invalid according to Policy: Policy expired."', async () => {
    const key = newKey();
    const res = await post({ key, ...signedPolicyFields([{ bucket: BUCKET }, { key }], -1000) });
    expect(refusal(res)).toEqual({ status: 403, code: 'AccessDenied', message: 'Invalid according to Policy: Policy expired.' });
  });

  it('a policy for another bucket is AccessDenied, even with a bucket field naming that bucket (s3-tests wrong_bucket)', async () => {
    const key = newKey();
    const res = await post({ ...good(key), bucket: BUCKET }, FILE, {}, OTHER);
    expect(refusal(res)).toEqual({ status: 403, code: 'AccessDenied', message: failed(`["eq", "$bucket", "${BUCKET}"]`) });
    expect(await stored(key, OTHER)).toBeUndefined();
  });

  it('a missing signature field is InvalidArgument naming it; a missing key names key; no file names file', async () => {
    const key = newKey();
    const { 'x-amz-signature': _, ...unsigned } = good(key);
    const { signature: __, ...unsignedV2 } = { key, ...sigV2Fields(policyDocument([{ bucket: BUCKET }, { key }])) };
    const { key: ___, ...keyless } = good(key);
    const outcomes = [await post(unsigned), await post(unsignedV2), await post(keyless)].map((r) => [r.status, errorCode(r.text), argumentOf(r)]);
    expect(outcomes).toEqual([
      [400, 'InvalidArgument', 'X-Amz-Signature'],
      [400, 'InvalidArgument', 'Signature'],
      [400, 'InvalidArgument', 'key'],
    ]);
    const noFile = await post(good(key), { content: 'not the file', field: 'attachment', name: 'a.txt' });
    expect([noFile.status, errorCode(noFile.text), argumentOf(noFile)]).toEqual([400, 'InvalidArgument', 'file']);
  });

  it('a malformed x-amz-credential or x-amz-date is InvalidArgument naming it', async () => {
    const key = newKey();
    const credential = await post({ ...good(key), 'x-amz-credential': 'testadmin/20260101/us-east-1/s3' });
    const date = await post({ ...good(key), 'x-amz-date': '2026-01-01T00:00:00Z' });
    expect([credential, date].map((r) => [r.status, errorCode(r.text), argumentOf(r)])).toEqual([
      [400, 'InvalidArgument', 'X-Amz-Credential'],
      [400, 'InvalidArgument', 'X-Amz-Date'],
    ]);
  });

  it('a policy document S3 cannot read is 400 InvalidPolicyDocument (signed, so the document is what is judged)', async () => {
    const expiration = new Date(Date.now() + 600_000).toISOString();
    const documents: Record<string, string> = {
      'not JSON': '{"expiration": ',
      'not an object': '[]',
      'no expiration (s3-tests missing_expires_condition)': JSON.stringify({ conditions: [] }),
      'EXPIRATION in capitals (s3-tests expires_is_case_sensitive)': JSON.stringify({ EXPIRATION: expiration, conditions: [] }),
      'an expiration with a space for the T (s3-tests invalid_date_format)': JSON.stringify({ expiration: expiration.replace('T', ' '), conditions: [] }),
      'an expiration with an offset': JSON.stringify({ expiration: expiration.replace('Z', '+00:00'), conditions: [] }),
      'no conditions (s3-tests missing_conditions_list)': JSON.stringify({ expiration }),
      'conditions not a list': JSON.stringify({ expiration, conditions: { bucket: BUCKET } }),
      'an empty condition (s3-tests empty_conditions)': JSON.stringify({ expiration, conditions: [{}] }),
      'two properties in one condition': JSON.stringify({ expiration, conditions: [{ bucket: BUCKET, key: 'k' }] }),
      'a condition value that is not a string': JSON.stringify({ expiration, conditions: [{ 'content-length': 5 }] }),
      'an unknown operation': JSON.stringify({ expiration, conditions: [['ends-with', '$key', 'x']] }),
      'content-length-range with one bound (s3-tests missing_content_length_argument)': JSON.stringify({ expiration, conditions: [['content-length-range', 0]] }),
      'content-length-range below zero (s3-tests invalid_content_length_argument)': JSON.stringify({ expiration, conditions: [['content-length-range', -1, 0]] }),
      'a member policies do not have': JSON.stringify({ expiration, conditions: [], Statement: [] }),
    };
    const outcomes: Record<string, unknown> = {};
    for (const [name, document] of Object.entries(documents)) {
      const res = await post({ key: newKey(), ...sigV4Fields(document) });
      outcomes[name] = [res.status, errorCode(res.text), messageOf(res)?.startsWith('Invalid Policy: ')];
    }
    expect(outcomes).toEqual(Object.fromEntries(Object.keys(documents).map((name) => [name, [400, 'InvalidPolicyDocument', true]])));
  });
});

describe('conditions', () => {
  /** The outcome of a form with `fields` (and a key) under a policy of the bucket, key and `conditions`. */
  async function outcome(fields: Record<string, string>, conditions: unknown[], content = 'data'): Promise<number | string> {
    const key = newKey('cond');
    const res = await post(signed({ key, ...fields }, [{ key }, ...conditions]), { name: 'f.txt', content });
    return res.status < 300 ? res.status : `${res.status} ${errorCode(res.text)}`;
  }

  it('eq, starts-with (with "" for any value) and the exact-match object form; values are case-sensitive', async () => {
    const meta = { 'x-amz-meta-color': 'Blue sky' };
    expect({
      eq: await outcome(meta, [['eq', '$x-amz-meta-color', 'Blue sky']]),
      'eq, other value': await outcome(meta, [['eq', '$x-amz-meta-color', 'blue sky']]),
      object: await outcome(meta, [{ 'x-amz-meta-color': 'Blue sky' }]),
      'object, other value': await outcome(meta, [{ 'x-amz-meta-color': 'Blue' }]),
      'starts-with': await outcome(meta, [['starts-with', '$x-amz-meta-color', 'Blue']]),
      'starts-with, other prefix': await outcome(meta, [['starts-with', '$x-amz-meta-color', 'Red']]),
      'starts-with ""': await outcome(meta, [['starts-with', '$x-amz-meta-color', '']]),
      'starts-with on $key': await outcome({}, [['starts-with', '$key', 'cond/']]),
      'starts-with on $key, other prefix': await outcome({}, [['starts-with', '$key', 'elsewhere/']]),
      'two conditions on one field': await outcome(meta, [['starts-with', '$x-amz-meta-color', 'Blue'], ['eq', '$x-amz-meta-color', 'Blue sky']]),
    }).toEqual({
      eq: 204,
      'eq, other value': '403 AccessDenied',
      object: 204,
      'object, other value': '403 AccessDenied',
      'starts-with': 204,
      'starts-with, other prefix': '403 AccessDenied',
      'starts-with ""': 204,
      'starts-with on $key': 204,
      'starts-with on $key, other prefix': '403 AccessDenied',
      'two conditions on one field': 204,
    });
  });

  it('a condition on a field the form lacks fails, even starts-with ""; so does one not naming its field with $', async () => {
    expect(await outcome({}, [['starts-with', '$Content-Type', '']])).toBe('403 AccessDenied');
    expect(await outcome({ 'Content-Type': 'text/plain' }, [['eq', 'Content-Type', 'text/plain']])).toBe('403 AccessDenied');
  });

  it('starts-with on $Content-Type reads a value with commas as a list, each of which must match; other fields are plain strings', async () => {
    expect({
      list: await outcome({ 'Content-Type': 'image/jpg,image/png,image/gif' }, [['starts-with', '$Content-Type', 'image/']]),
      'list with one other': await outcome({ 'Content-Type': 'image/jpg,text/plain' }, [['starts-with', '$Content-Type', 'image/']]),
      'metadata with commas': await outcome({ 'x-amz-meta-list': 'image/jpg,text/plain' }, [['starts-with', '$x-amz-meta-list', 'image/']]),
    }).toEqual({ list: 204, 'list with one other': '403 AccessDenied', 'metadata with commas': 204 });
  });

  it('content-length-range bounds the file, both bounds included; bounds may be strings of digits; others fail the condition', async () => {
    const range = [['content-length-range', 5, 10]];
    expect({
      4: await outcome({}, range, 'x'.repeat(4)),
      5: await outcome({}, range, 'x'.repeat(5)),
      10: await outcome({}, range, 'x'.repeat(10)),
      11: await outcome({}, range, 'x'.repeat(11)),
      'as strings': await outcome({}, [['content-length-range', '5', '10']], 'x'.repeat(7)),
      'not a number': await outcome({}, [['content-length-range', 'test', '10']], 'x'.repeat(7)),
    }).toEqual({ 4: '400 EntityTooSmall', 5: 204, 10: 204, 11: '400 EntityTooLarge', 'as strings': 204, 'not a number': '403 AccessDenied' });
  });

  it('the failed condition is named as the policy wrote it', async () => {
    const key = newKey();
    const res = await post(signed({ key, 'Content-Type': 'text/html' }, [{ key }, ['starts-with', '$Content-Type', 'image/']]));
    expect(refusal(res)).toEqual({ status: 403, code: 'AccessDenied', message: failed('["starts-with", "$Content-Type", "image/"]') });
    expect(await stored(key)).toBeUndefined();
  });
});

describe('SigV2 and anonymous forms', () => {
  it('a SigV2 form (AWSAccessKeyId, policy, base64 HMAC-SHA1 signature) is taken, its field names in any case', async () => {
    const key = newKey('v2');
    const v2 = sigV2Fields(policyDocument([{ bucket: BUCKET }, ['starts-with', '$key', 'v2/'], ['content-length-range', 0, 100]]));
    const res = await post({ key, ...v2 });
    expect(res.status, res.text).toBe(204);
    expect(await stored(key)).toBe('form data');
    const otherKey = newKey('v2');
    const cased = await post({ Key: otherKey, awsaccesskeyid: v2.AWSAccessKeyId, POLICY: v2.policy, Signature: v2.signature });
    expect(cased.status, cased.text).toBe(204);
  });

  it('a form with no signing field is anonymous: taken by a bucket anyone may write to, AccessDenied by others, whatever policy it carries', async () => {
    const key = newKey('anonymous');
    const res = await post({ key, 'Content-Type': 'text/plain' }, FILE, {}, PUBLIC);
    expect(res.status, res.text).toBe(204);
    expect(await stored(key, PUBLIC)).toBe('form data');
    const refused = await post({ key, policy: Buffer.from(policyDocument([{ bucket: BUCKET }, { key }])).toString('base64') });
    expect([refused.status, errorCode(refused.text), await stored(key)]).toEqual([403, 'AccessDenied', undefined]);
  });
});
