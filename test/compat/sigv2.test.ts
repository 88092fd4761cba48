/**
 * Signature Version 2 with real clients against one server:
 * - boto3 with a default client (no signature_version): its presigned URLs are V2
 *   (AWSAccessKeyId, Expires, Signature), used with urllib for keys with every awkward character,
 *   response-* overrides, tampered, moved and expired URLs;
 * - boto3 with signature_version='s3' (the V2 Authorization header) through the bucket, object,
 *   listing, copy, multipart, tagging, bulk delete, ACL and versioning calls;
 * - s3cmd with signature_v2 = True: mb, put (small and 12 MiB multipart), get, ls, info, cp,
 *   signurl, del, rb;
 * - an IAM user refused V2 by a bucket policy on s3:signatureversion, and allowed V2 only by another.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand, GetObjectCommand, HeadObjectCommand, PutBucketPolicyCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT_KEYS, rootAdmin, s3As, verdict } from '../helpers/iam-fixtures.js';
import { errorCode, rawRequest } from '../helpers/raw.js';
import { TestServer, cleanEnv } from '../helpers/server.js';
import { v2HeaderSigned, v2PresignQuery } from '../helpers/sigv2.js';
import {
  BOTO3_MISSING,
  MiB,
  boto3Interpreters,
  boto3Script,
  clientSuite,
  debianClient,
  describeBoto3Runs,
  expectSuccess,
  listKeys,
  run,
  sha256,
  sha256File,
  writeRandomFile,
  writeS3cmdConfig,
} from './compat.js';

const pythons = boto3Interpreters();
const s3cmd = debianClient('s3cmd');

const USER = { accessKey: 'sigv2user', secretKey: 'sigv2user-secret-key' };
const ACCOUNT = '000000000000';
/** The user may do anything here by its IAM policy; the bucket policy denies it anything not signed with V4. */
const V4_ONLY = 'sigv2-v4-only';
/** The user has no IAM permission here; the bucket policy lets it read only with V2. */
const V2_ONLY = 'sigv2-v2-only';

/** Keys with every character a URL or a V2 resource could get wrong. */
const AWKWARD_KEYS = ['sp ace.txt', 'ünïcødé/日本.txt', 'plus+sign', 'eq=ual', 'amp&ersand', 'quest?ion', "apos'trophe", 'bang!', 'star*', 'paren(', "dir/all +=&?'!*() ü"];

const SCRIPT = boto3Script(String.raw`
import base64, re, time, urllib.parse

USER = ('${USER.accessKey}', '${USER.secretKey}')
V4_ONLY = '${V4_ONLY}'
V2_ONLY = '${V2_ONLY}'
KEYS = json.loads(${JSON.stringify(JSON.stringify(AWKWARD_KEYS))})

def plain_client(keys=(E['S3_ACCESS_KEY'], E['S3_SECRET_KEY']), **extra):
    return boto3.client('s3', endpoint_url=E['S3_ENDPOINT'], aws_access_key_id=keys[0], aws_secret_access_key=keys[1],
                        region_name='us-east-1',
                        config=Config(s3={'addressing_style': 'path'}, retries={'max_attempts': 1, 'mode': 'standard'}, **extra))

# No signature_version: API calls are SigV4, presigned URLs are V2.
default = plain_client()
v2 = plain_client(signature_version='s3')
v2bucket = bucket + '-v2'

def fetch(url, method='GET', data=None, headers=None):
    # urllib would add "Content-Type: application/x-www-form-urlencoded" to a body, and V2 signs the
    # Content-Type: an empty one stands for none, as the URL was signed without.
    headers = {'Content-Type': '', **(headers or {})} if data is not None else headers or {}
    req = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            body = r.read()
            return {'status': r.status, 'sha256': sha256(body), 'headers': {k.lower(): v for k, v in r.headers.items()}}
    except urllib.error.HTTPError as e:
        text = e.read().decode('utf-8', 'replace')
        code = re.search(r'<Code>([^<]*)</Code>', text)
        message = re.search(r'<Message>([^<]*)</Message>', text)
        return {'status': e.code, 'code': code and code.group(1), 'message': message and message.group(1)}

def query_names(url):
    return sorted(k for k, _ in urllib.parse.parse_qsl(urllib.parse.urlsplit(url).query, keep_blank_values=True))

def presign(method, client=default, expires=300, **params):
    return client.generate_presigned_url(method, Params={'Bucket': bucket, **params}, ExpiresIn=expires)

# botocore 1.28.0 to 1.31.1 sign a path-style request whose operation has a query in its model
# (?acl, ?list-type=2, ...) with that query twice (/bucket?acl?acl), which S3 refuses too (boto/botocore#2962).
BOTOCORE = tuple(int(p) for p in botocore.__version__.split('.')[:3])
HEADER_V2_BROKEN = (1, 28, 0) <= BOTOCORE < (1, 31, 2)

def v2_step(name):
    if not HEADER_V2_BROKEN:
        return step(name)
    def skip(fn):
        results[name] = {'ok': True, 'skipped': 'botocore %s signs sub-resources twice (boto/botocore#2962)' % botocore.__version__}
        return fn
    return skip

def code_of(fn):
    try:
        fn()
        return 'allow'
    except botocore.exceptions.ClientError as e:
        return e.response['Error']['Code']

@step('presigned_url_form')
def _():
    s3.create_bucket(Bucket=bucket)
    return {'get': query_names(presign('get_object', Key='k')), 'put': query_names(presign('put_object', Key='k'))}

@step('presigned_keys')
def _():
    out = {}
    for key in KEYS:
        data = os.urandom(1000) + key.encode()
        put = fetch(presign('put_object', Key=key), 'PUT', data)
        stored = put['status'] == 200 and sha256(s3.get_object(Bucket=bucket, Key=key)['Body'].read()) == sha256(data)
        got = fetch(presign('get_object', Key=key))
        out[key] = {'put': put['status'], 'put_code': put.get('code'), 'stored': stored,
                    'get': got['status'], 'get_code': got.get('code'), 'same': got.get('sha256') == sha256(data)}
    return {'keys': out}

@step('presigned_overrides')
def _():
    s3.put_object(Bucket=bucket, Key='over/ride.bin', Body=b'override me', ContentType='application/octet-stream')
    url = presign('get_object', Key='over/ride.bin', ResponseContentType='text/plain; charset=utf-8',
                  ResponseContentDisposition='attachment; filename="a b+c.txt"', ResponseCacheControl='no-cache',
                  ResponseContentLanguage='fr')
    got = fetch(url)
    h = got.get('headers', {})
    return {'status': got['status'], 'code': got.get('code'), 'query': query_names(url), 'type': h.get('content-type'),
            'disposition': h.get('content-disposition'), 'cache': h.get('cache-control'), 'language': h.get('content-language')}

@step('presigned_tampered')
def _():
    s3.put_object(Bucket=bucket, Key='t/one', Body=b'1')
    s3.put_object(Bucket=bucket, Key='t/two', Body=b'2')
    url = presign('get_object', Key='t/one')
    signature = re.search(r'Signature=([^&]+)', url).group(1)
    forged = urllib.parse.quote(base64.b64encode(b'\0' * 20).decode(), safe='')
    later = re.sub(r'Expires=(\d+)', lambda m: 'Expires=%d' % (int(m.group(1)) + 3600), url)
    return {'original': fetch(url)['status'], 'signature': fetch(url.replace(signature, forged)),
            'key': fetch(url.replace('/t/one?', '/t/two?')), 'expires': fetch(later), 'method': fetch(url, 'DELETE'),
            'still_there': s3.get_object(Bucket=bucket, Key='t/one')['Body'].read().decode()}

@step('presigned_expired')
def _():
    s3.put_object(Bucket=bucket, Key='exp', Body=b'x')
    url = presign('get_object', Key='exp', expires=1)
    time.sleep(2.5)
    return fetch(url)

@step('presigned_put_with_its_headers')
def _():
    url = presign('put_object', Key='hdr/put', ContentType='text/x-v2', Metadata={'owner': 'ops'})
    put = fetch(url, 'PUT', b'with headers', {'Content-Type': 'text/x-v2', 'x-amz-meta-owner': 'ops'})
    head = s3.head_object(Bucket=bucket, Key='hdr/put') if put['status'] == 200 else {}
    return {'query': query_names(url), 'put': put, 'type': head.get('ContentType'), 'metadata': head.get('Metadata')}

@step('v2_create_bucket')
def _():
    v2.create_bucket(Bucket=v2bucket)
    v2.head_bucket(Bucket=v2bucket)
    return {'listed': v2bucket in [b['Name'] for b in v2.list_buckets()['Buckets']]}

@step('v2_put_get_head')
def _():
    data = os.urandom(64 * 1024 + 5)
    key = 'dir/obj ü+=.bin'
    put = v2.put_object(Bucket=v2bucket, Key=key, Body=data, ContentType='application/x-v2', Metadata={'color': 'blue', 'Two-Words': 'a b'})
    got = v2.get_object(Bucket=v2bucket, Key=key)
    head = v2.head_object(Bucket=v2bucket, Key=key)
    ranged = v2.get_object(Bucket=v2bucket, Key=key, Range='bytes=10-19')['Body'].read()
    return {'same': sha256(got['Body'].read()) == sha256(data), 'etag': put['ETag'], 'md5': '"%s"' % hashlib.md5(data).hexdigest(),
            'type': head['ContentType'], 'metadata': head['Metadata'], 'length': head['ContentLength'], 'size': len(data),
            'ranged': ranged == data[10:20]}

@v2_step('v2_list_objects')
def _():
    for k in ['l/a', 'l/b/c', 'l/d e', 'l/f+g']:
        v2.put_object(Bucket=v2bucket, Key=k, Body=b'.')
    v1 = v2.list_objects(Bucket=v2bucket, Prefix='l/', Delimiter='/')
    first = v2.list_objects_v2(Bucket=v2bucket, Prefix='l/', MaxKeys=2)
    rest = v2.list_objects_v2(Bucket=v2bucket, Prefix='l/', ContinuationToken=first['NextContinuationToken'])
    return {'v1_keys': [o['Key'] for o in v1.get('Contents', [])], 'v1_prefixes': [p['Prefix'] for p in v1.get('CommonPrefixes', [])],
            'v2_keys': [o['Key'] for o in first['Contents'] + rest['Contents']], 'truncated': first['IsTruncated']}

@step('v2_copy_object')
def _():
    v2.copy_object(Bucket=v2bucket, Key='copy/dst', CopySource={'Bucket': v2bucket, 'Key': 'dir/obj ü+=.bin'})
    source = v2.get_object(Bucket=v2bucket, Key='dir/obj ü+=.bin')['Body'].read()
    copy = v2.get_object(Bucket=v2bucket, Key='copy/dst')
    return {'same': sha256(copy['Body'].read()) == sha256(source), 'metadata': copy['Metadata']}

@v2_step('v2_multipart')
def _():
    cfg = TransferConfig(multipart_threshold=5 * MiB, multipart_chunksize=5 * MiB, max_concurrency=3)
    v2.upload_file(os.path.join(work, 'big.bin'), v2bucket, 'big/12MiB.bin', Config=cfg)
    head = v2.head_object(Bucket=v2bucket, Key='big/12MiB.bin')
    dst = os.path.join(work, 'big.down')
    v2.download_file(v2bucket, 'big/12MiB.bin', dst, Config=cfg)
    upload = v2.create_multipart_upload(Bucket=v2bucket, Key='big/aborted')['UploadId']
    v2.upload_part(Bucket=v2bucket, Key='big/aborted', UploadId=upload, PartNumber=1, Body=b'part one')
    parts = v2.list_parts(Bucket=v2bucket, Key='big/aborted', UploadId=upload)['Parts']
    listed = [u['UploadId'] for u in v2.list_multipart_uploads(Bucket=v2bucket).get('Uploads', [])]
    v2.abort_multipart_upload(Bucket=v2bucket, Key='big/aborted', UploadId=upload)
    return {'etag': head['ETag'], 'length': head['ContentLength'], 'down_sha256': sha256_file(dst),
            'parts': [p['PartNumber'] for p in parts], 'listed': upload in listed,
            'after_abort': v2.list_multipart_uploads(Bucket=v2bucket).get('Uploads', [])}

@v2_step('v2_tagging')
def _():
    v2.put_object_tagging(Bucket=v2bucket, Key='copy/dst', Tagging={'TagSet': [{'Key': 'team', 'Value': 'blue'}, {'Key': 'a b', 'Value': 'c+d'}]})
    tags = v2.get_object_tagging(Bucket=v2bucket, Key='copy/dst')['TagSet']
    v2.put_bucket_tagging(Bucket=v2bucket, Tagging={'TagSet': [{'Key': 'env', 'Value': 'test'}]})
    bucket_tags = v2.get_bucket_tagging(Bucket=v2bucket)['TagSet']
    v2.delete_object_tagging(Bucket=v2bucket, Key='copy/dst')
    return {'tags': sorted((t['Key'], t['Value']) for t in tags), 'bucket_tags': bucket_tags,
            'after_delete': v2.get_object_tagging(Bucket=v2bucket, Key='copy/dst')['TagSet']}

@v2_step('v2_delete_objects')
def _():
    keys = ['del/%d' % i for i in range(5)] + ['del/x y', 'del/ü', 'del/a+b']
    for k in keys:
        v2.put_object(Bucket=v2bucket, Key=k, Body=b'x')
    res = v2.delete_objects(Bucket=v2bucket, Delete={'Objects': [{'Key': k} for k in keys]})
    return {'deleted': sorted(d['Key'] for d in res.get('Deleted', [])), 'requested': sorted(keys), 'errors': res.get('Errors', []),
            'left': v2.list_objects_v2(Bucket=v2bucket, Prefix='del/')['KeyCount']}

@v2_step('v2_acl')
def _():
    acl = v2.get_bucket_acl(Bucket=v2bucket)
    obj = v2.get_object_acl(Bucket=v2bucket, Key='copy/dst')
    return {'grants': [g['Permission'] for g in acl['Grants']], 'object_grants': [g['Permission'] for g in obj['Grants']],
            'owner': acl['Owner'].get('ID') is not None}

@v2_step('v2_versioning')
def _():
    v2.put_bucket_versioning(Bucket=v2bucket, VersioningConfiguration={'Status': 'Enabled'})
    status = v2.get_bucket_versioning(Bucket=v2bucket).get('Status')
    first = v2.put_object(Bucket=v2bucket, Key='ver/k', Body=b'one')['VersionId']
    second = v2.put_object(Bucket=v2bucket, Key='ver/k', Body=b'two')['VersionId']
    old = v2.get_object(Bucket=v2bucket, Key='ver/k', VersionId=first)['Body'].read().decode()
    old_head = v2.head_object(Bucket=v2bucket, Key='ver/k', VersionId=first)['ContentLength']
    versions = v2.list_object_versions(Bucket=v2bucket, Prefix='ver/').get('Versions', [])
    return {'status': status, 'old': old, 'old_length': old_head, 'listed': [v['VersionId'] for v in versions], 'ids': [second, first]}

@v2_step('v2_delete_bucket')
def _():
    for page in v2.get_paginator('list_object_versions').paginate(Bucket=v2bucket):
        doomed = [{'Key': v['Key'], 'VersionId': v['VersionId']} for v in page.get('Versions', []) + page.get('DeleteMarkers', [])]
        if doomed:
            v2.delete_objects(Bucket=v2bucket, Delete={'Objects': doomed, 'Quiet': True})
    v2.delete_bucket(Bucket=v2bucket)
    return {'head_after': code_of(lambda: v2.head_bucket(Bucket=v2bucket))}

@step('iam_signature_version')
def _():
    user_v2 = plain_client(USER, signature_version='s3')
    user_v4 = plain_client(USER, signature_version='s3v4')
    user_default = plain_client(USER)
    key = 'py/%s' % bucket
    return {
        'v4_put': code_of(lambda: user_v4.put_object(Bucket=V4_ONLY, Key=key, Body=b'v4')),
        'v2_put': code_of(lambda: user_v2.put_object(Bucket=V4_ONLY, Key=key, Body=b'v2')),
        'v4_get': code_of(lambda: user_v4.get_object(Bucket=V4_ONLY, Key=key)),
        'v2_get': code_of(lambda: user_v2.get_object(Bucket=V4_ONLY, Key=key)),
        'v2_url': fetch(user_default.generate_presigned_url('get_object', Params={'Bucket': V4_ONLY, 'Key': key}, ExpiresIn=300)),
        'only_v2_v2_get': code_of(lambda: user_v2.get_object(Bucket=V2_ONLY, Key='readme')),
        'only_v2_v4_get': code_of(lambda: user_v4.get_object(Bucket=V2_ONLY, Key='readme')),
    }
`);

let server: TestServer;
let root: S3Client;
let work: string;

beforeAll(async () => {
  // --domain: a V2 request may name its bucket in the Host header, the resource it signs still starts with /<bucket>
  server = await TestServer.start({ drives: 4, extraArgs: ['--domain', 'localhost'] });
  root = server.client();
  work = await mkdtemp(join(tmpdir(), 'tessera-compat-sigv2-'));
  await writeFile(join(work, 'sigv2.py'), SCRIPT);

  const admin = rootAdmin(server);
  await admin.addUser(USER.accessKey, USER.secretKey);
  await admin.putPolicy('sigv2-v4-only-rw', JSON.stringify({
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Action: 's3:*', Resource: [`arn:aws:s3:::${V4_ONLY}`, `arn:aws:s3:::${V4_ONLY}/*`] }],
  }));
  await admin.attachPolicies(['sigv2-v4-only-rw'], { user: USER.accessKey });
  const user = { AWS: [`arn:aws:iam::${ACCOUNT}:user/${USER.accessKey}`] };
  await root.send(new CreateBucketCommand({ Bucket: V4_ONLY }));
  await root.send(new PutBucketPolicyCommand({
    Bucket: V4_ONLY,
    Policy: JSON.stringify({
      Version: '2012-10-17',
      Statement: [{
        Sid: 'OnlyV4', Effect: 'Deny', Principal: user, Action: 's3:*', Resource: [`arn:aws:s3:::${V4_ONLY}`, `arn:aws:s3:::${V4_ONLY}/*`],
        Condition: { StringNotEquals: { 's3:signatureversion': 'AWS4-HMAC-SHA256' } },
      }],
    }),
  }));
  await root.send(new CreateBucketCommand({ Bucket: V2_ONLY }));
  await root.send(new PutObjectCommand({ Bucket: V2_ONLY, Key: 'readme', Body: 'read me with V2' }));
  await root.send(new PutBucketPolicyCommand({
    Bucket: V2_ONLY,
    Policy: JSON.stringify({
      Version: '2012-10-17',
      Statement: [{
        Sid: 'OnlyV2', Effect: 'Allow', Principal: user, Action: 's3:GetObject', Resource: `arn:aws:s3:::${V2_ONLY}/*`,
        Condition: { StringEquals: { 's3:signatureversion': 'AWS' } },
      }],
    }),
  }));
}, 60_000);

afterAll(async () => {
  root?.destroy();
  await server?.destroy();
  if (work) await rm(work, { recursive: true, force: true });
});

describe('raw V2 requests: a virtual-host bucket, and an IAM user under s3:signatureversion', () => {
  /** GET `key` of `bucket` as `keys` signed with a V2 header, or presigned with V2 when `presigned`. */
  async function v2Get(bucket: string, key: string, keys: { accessKey: string; secretKey: string }, presigned = false): Promise<string> {
    const path = `/${bucket}/${key}`;
    const date = new Date().toUTCString();
    const res = presigned
      ? await rawRequest(server.endpoint, { method: 'GET', path, query: v2PresignQuery({ method: 'GET', path }, keys, Math.floor(Date.now() / 1000) + 300), sign: false })
      : await rawRequest(server.endpoint, { method: 'GET', path, headers: { date, authorization: String(v2HeaderSigned({ method: 'GET', path, headers: { date } }, keys).headers.authorization) }, sign: false });
    return res.status === 200 ? 'allow' : `${res.status} ${errorCode(res.text)}`;
  }

  it('a virtual-host request signs /<bucket> before its path', async () => {
    await root.send(new PutObjectCommand({ Bucket: V4_ONLY, Key: 'hosted', Body: 'hosted' }));
    const date = new Date().toUTCString();
    const get = async (signedFor: string) => {
      const wire = { method: 'GET', path: '/hosted', hostBucket: signedFor, headers: { date } };
      const authorization = String(v2HeaderSigned(wire, ROOT_KEYS).headers.authorization);
      const res = await rawRequest(server.endpoint, { method: 'GET', path: '/hosted', headers: { host: `${V4_ONLY}.localhost:${server.port}`, date, authorization }, sign: false });
      return res.status === 200 ? res.text : `${res.status} ${errorCode(res.text)}`;
    };
    expect(await get(V4_ONLY)).toBe('hosted');
    expect(await get(V2_ONLY)).toBe('403 SignatureDoesNotMatch');
  });

  it('a Deny on StringNotEquals s3:signatureversion AWS4-HMAC-SHA256 refuses the V2 header and URL, not V4', async () => {
    await root.send(new PutObjectCommand({ Bucket: V4_ONLY, Key: 'raw', Body: 'raw' }));
    expect(await verdict(s3As(server, USER).send(new GetObjectCommand({ Bucket: V4_ONLY, Key: 'raw' })))).toBe('allow');
    expect(await v2Get(V4_ONLY, 'raw', USER)).toBe('403 AccessDenied');
    expect(await v2Get(V4_ONLY, 'raw', USER, true)).toBe('403 AccessDenied');
    // the Deny names the user only: the owner signing V2 is not concerned
    expect(await v2Get(V4_ONLY, 'raw', ROOT_KEYS)).toBe('allow');
  });

  it('an Allow on StringEquals s3:signatureversion AWS lets only V2 in', async () => {
    expect(await v2Get(V2_ONLY, 'readme', USER)).toBe('allow');
    expect(await v2Get(V2_ONLY, 'readme', USER, true)).toBe('allow');
    expect(await verdict(s3As(server, USER).send(new GetObjectCommand({ Bucket: V2_ONLY, Key: 'readme' })))).toBe('AccessDenied');
  });
});

clientSuite('boto3 Signature Version 2', pythons.length > 0 ? undefined : BOTO3_MISSING, () => {
  describeBoto3Runs(
    pythons,
    {
      bigSize: 12 * MiB,
      timeoutMs: 120_000,
      setup: (n) => ({ script: join(work, 'sigv2.py'), work, vars: { S3_ENDPOINT: server.endpoint, S3_BUCKET: `sigv2-boto3-${n}` } }),
    },
    (boto3) => {
      const step = boto3.step;
      /** A V2-header step, or undefined (with a warning) when this botocore cannot sign such requests. */
      const headerStep = (name: string) => {
        const s = step(name);
        if (!s.skipped) return s;
        console.warn(`[compat] boto3 Signature Version 2: ${name} not run: ${s.skipped}`);
        return undefined;
      };
      const V2_QUERY = ['AWSAccessKeyId', 'Expires', 'Signature'];

      it('a default client presigns with V2: AWSAccessKeyId, Expires and Signature, no X-Amz-*', () => {
        const s = step('presigned_url_form');
        expect(s.get).toEqual(V2_QUERY);
        expect(s.put).toEqual(V2_QUERY);
      });

      it('presigned PUT then GET with urllib, for keys with spaces, unicode, + = & ? \' ! * (', () => {
        const { keys } = step('presigned_keys');
        for (const key of AWKWARD_KEYS) {
          expect(keys[key], key).toEqual({ put: 200, put_code: null, stored: true, get: 200, get_code: null, same: true });
        }
      });

      it('response-* overrides in a presigned GET are signed and honoured', () => {
        const s = step('presigned_overrides');
        expect(s.query).toEqual([...V2_QUERY, 'response-cache-control', 'response-content-disposition', 'response-content-language', 'response-content-type'].sort());
        expect({ status: s.status, code: s.code }).toEqual({ status: 200, code: null });
        expect(s.type).toBe('text/plain; charset=utf-8');
        expect(s.disposition).toBe('attachment; filename="a b+c.txt"');
        expect(s.cache).toBe('no-cache');
        expect(s.language).toBe('fr');
      });

      it('a forged signature, another key, a later Expires or another method: 403 SignatureDoesNotMatch', () => {
        const s = step('presigned_tampered');
        expect(s.original).toBe(200);
        for (const name of ['signature', 'key', 'expires', 'method']) {
          expect({ status: s[name].status, code: s[name].code }, name).toEqual({ status: 403, code: 'SignatureDoesNotMatch' });
        }
        expect(s.still_there).toBe('1');
      });

      it('an expired URL: 403 AccessDenied "Request has expired"', () => {
        expect(step('presigned_expired')).toMatchObject({ status: 403, code: 'AccessDenied', message: 'Request has expired' });
      });

      it('a presigned PUT with ContentType and Metadata, sent with those headers, stores them', () => {
        const s = step('presigned_put_with_its_headers');
        expect(s.query).toEqual([...V2_QUERY, 'content-type', 'x-amz-meta-owner'].sort());
        expect(s.put.status).toBe(200);
        expect(s.type).toBe('text/x-v2');
        expect(s.metadata).toEqual({ owner: 'ops' });
      });

      it("signature_version='s3': create_bucket, head_bucket, list_buckets", () => {
        expect(step('v2_create_bucket').listed).toBe(true);
      });

      it("signature_version='s3': put/get/head with Content-Type and metadata, a ranged get", () => {
        const s = step('v2_put_get_head');
        expect(s.same).toBe(true);
        expect(s.etag).toBe(s.md5);
        expect(s.type).toBe('application/x-v2');
        expect(s.metadata).toEqual({ color: 'blue', 'two-words': 'a b' });
        expect(s.length).toBe(s.size);
        expect(s.ranged).toBe(true);
      });

      it("signature_version='s3': list_objects (v1 with a delimiter) and list_objects_v2 (two pages)", () => {
        const s = headerStep('v2_list_objects');
        if (!s) return;
        expect(s.v1_keys).toEqual(['l/a', 'l/d e', 'l/f+g']);
        expect(s.v1_prefixes).toEqual(['l/b/']);
        expect(s.v2_keys).toEqual(['l/a', 'l/b/c', 'l/d e', 'l/f+g']);
        expect(s.truncated).toBe(true);
      });

      it("signature_version='s3': copy_object (x-amz-copy-source signed)", () => {
        expect(step('v2_copy_object')).toMatchObject({ same: true, metadata: { color: 'blue', 'two-words': 'a b' } });
      });

      it("signature_version='s3': upload_file of 12 MiB in 5 MiB parts, download_file; list_parts, list_multipart_uploads, abort", () => {
        const s = headerStep('v2_multipart');
        if (!s) return;
        expect(s.etag).toMatch(/^"[0-9a-f]{32}-3"$/);
        expect(s.length).toBe(12 * MiB);
        expect(s.down_sha256).toBe(boto3.bigHash);
        expect(s.parts).toEqual([1]);
        expect(s.listed).toBe(true);
        expect(s.after_abort).toEqual([]);
      });

      it("signature_version='s3': object and bucket tagging", () => {
        const s = headerStep('v2_tagging');
        if (!s) return;
        expect(s.tags).toEqual([['a b', 'c+d'], ['team', 'blue']]);
        expect(s.bucket_tags).toEqual([{ Key: 'env', Value: 'test' }]);
        expect(s.after_delete).toEqual([]);
      });

      it("signature_version='s3': delete_objects", () => {
        const s = headerStep('v2_delete_objects');
        if (!s) return;
        expect(s.errors).toEqual([]);
        expect(s.deleted).toEqual(s.requested);
        expect(s.left).toBe(0);
      });

      it("signature_version='s3': get_bucket_acl and get_object_acl", () => {
        const s = headerStep('v2_acl');
        if (!s) return;
        expect(s).toMatchObject({ grants: ['FULL_CONTROL'], object_grants: ['FULL_CONTROL'], owner: true });
      });

      it("signature_version='s3': versioning put/get, a version read back, list_object_versions", () => {
        const s = headerStep('v2_versioning');
        if (!s) return;
        expect(s.status).toBe('Enabled');
        expect(s.old).toBe('one');
        expect(s.old_length).toBe(3);
        expect(s.listed).toEqual(s.ids);
      });

      it("signature_version='s3': every version deleted, then delete_bucket", () => {
        const s = headerStep('v2_delete_bucket');
        if (!s) return;
        expect(s.head_after).toBe('404');
      });

      it('an IAM user under s3:signatureversion policies: V2 header and URL refused where V4 is required, and the reverse', () => {
        expect(step('iam_signature_version')).toMatchObject({
          v4_put: 'allow',
          v2_put: 'AccessDenied',
          v4_get: 'allow',
          v2_get: 'AccessDenied',
          v2_url: { status: 403, code: 'AccessDenied' },
          only_v2_v2_get: 'allow',
          only_v2_v4_get: 'AccessDenied',
        });
      });
    },
  );
});

clientSuite('s3cmd signature_v2 = True', s3cmd.missing, () => {
  const bucket = 's3cmd-v2';
  const smallKey = "dir/small +=&?'!*()ü.txt";
  let dir: string;
  let config: string;
  let bigHash: string;
  let smallHash: string;
  const s3cmdRun = (...args: string[]) => run(s3cmd.path!, ['-c', config, '--no-progress', ...args], { env: cleanEnv({ HOME: dir }), cwd: dir, timeoutMs: 80_000 });

  beforeAll(async () => {
    dir = await mkdtemp(join(work, 's3cmd-'));
    config = join(dir, 's3cfg');
    await writeS3cmdConfig(config, server.port, false, { signatureV2: true });
  });

  it('mb creates the bucket, ls lists it', async () => {
    expectSuccess(await s3cmdRun('mb', `s3://${bucket}`));
    expect(expectSuccess(await s3cmdRun('ls')).stdout).toMatch(new RegExp(`s3://${bucket}\\s*$`, 'm'));
  });

  it('put of a small file with an awkward name and of 12 MiB in 5 MiB parts', async () => {
    smallHash = await writeRandomFile(join(dir, 'small.bin'), 3000);
    expectSuccess(await s3cmdRun('put', join(dir, 'small.bin'), `s3://${bucket}/${smallKey}`));
    bigHash = await writeRandomFile(join(dir, 'big.bin'), 12 * MiB);
    expectSuccess(await s3cmdRun('put', '--multipart-chunk-size-mb=5', join(dir, 'big.bin'), `s3://${bucket}/big.bin`));
    expect(await listKeys(root, bucket)).toEqual(['big.bin', smallKey]);
    const head = await root.send(new HeadObjectCommand({ Bucket: bucket, Key: 'big.bin' }));
    expect(head.ETag).toMatch(/^"[0-9a-f]{32}-3"$/);
  });

  it('get returns the same sha256', async () => {
    expectSuccess(await s3cmdRun('get', `s3://${bucket}/big.bin`, join(dir, 'big.down')));
    expect(await sha256File(join(dir, 'big.down'))).toBe(bigHash);
    expectSuccess(await s3cmdRun('get', `s3://${bucket}/${smallKey}`, join(dir, 'small.down')));
    expect(await sha256File(join(dir, 'small.down'))).toBe(smallHash);
  });

  it('ls --recursive lists both objects with their sizes', async () => {
    const ls = expectSuccess(await s3cmdRun('ls', '--recursive', `s3://${bucket}`));
    expect(ls.stdout).toMatch(new RegExp(`\\s${12 * MiB}\\s+s3://${bucket}/big\\.bin\\s*$`, 'm'));
    expect(ls.stdout).toMatch(/\s3000\s+s3:\/\/s3cmd-v2\/dir\/small /);
  });

  it('info on an object and on the bucket (HEAD, GET ?acl, ?location, ?policy ...)', async () => {
    const object = expectSuccess(await s3cmdRun('info', `s3://${bucket}/big.bin`));
    expect(object.stdout).toMatch(/File size: 12582912/);
    expect(object.stdout).toMatch(/ACL:\s+.+: FULL_CONTROL/);
    const bucketInfo = expectSuccess(await s3cmdRun('info', `s3://${bucket}`));
    expect(bucketInfo.stdout).toMatch(/\(bucket\):/);
    expect(bucketInfo.stdout).toMatch(/ACL:\s+.+: FULL_CONTROL/);
  });

  it('cp keeps the content', async () => {
    expectSuccess(await s3cmdRun('cp', `s3://${bucket}/${smallKey}`, `s3://${bucket}/copies/small copy.txt`));
    const copy = await root.send(new GetObjectCommand({ Bucket: bucket, Key: 'copies/small copy.txt' }));
    expect(sha256(await copy.Body!.transformToByteArray())).toBe(smallHash);
  });

  it('signurl makes a V2 URL that a plain GET can use', async () => {
    const expiry = `+${300}`;
    const signed = expectSuccess(await s3cmdRun('signurl', `s3://${bucket}/big.bin`, expiry)).stdout.trim();
    const url = new URL(signed);
    expect([...url.searchParams.keys()].sort()).toEqual(['AWSAccessKeyId', 'Expires', 'Signature']);
    const res = await rawRequest(server.endpoint, { method: 'GET', path: url.pathname, query: url.search.slice(1), sign: false });
    expect(res.status, res.text.slice(0, 500)).toBe(200);
    expect(sha256(res.body)).toBe(bigHash);
  });

  it('setacl --acl-public is refused under the BucketOwnerEnforced default (ACLs disabled)', async () => {
    const refused = await s3cmdRun('setacl', '--acl-public', `s3://${bucket}/big.bin`);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr + refused.stdout).toMatch(/AccessControlListNotSupported/);
  });

  it('del removes the objects; rb removes the empty bucket', async () => {
    expectSuccess(await s3cmdRun('del', '--recursive', '--force', `s3://${bucket}`));
    expect(await listKeys(root, bucket)).toEqual([]);
    expectSuccess(await s3cmdRun('rb', `s3://${bucket}`));
    expect(expectSuccess(await s3cmdRun('ls')).stdout).not.toMatch(new RegExp(`s3://${bucket}\\s*$`, 'm'));
  });
});
