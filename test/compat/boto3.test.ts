/**
 * Compatibility with boto3 (Python), path-style addressing: a script written to a temp file and
 * run with python3 creates a bucket, puts and gets, uploads and downloads a 20 MiB file through
 * the transfer manager (multipart, ranged parallel GETs), pages through 1,200 keys with the
 * list_objects_v2 paginator, copies, deletes in bulk, uses a presigned URL with urllib and reads
 * metadata back. It prints one JSON document of results, one entry per step; each step is one test.
 *
 * The script runs under every distinct boto3 found: `python3` on PATH and Debian's
 * /usr/bin/python3 (python3-boto3), when they carry different boto3 versions.
 */
import { expect, it } from 'vitest';
import {
  BOTO3_MISSING,
  MiB,
  boto3Interpreters,
  boto3Script,
  clientSuite,
  describeBoto3Runs,
  boto3Fixture,
} from './compat.js';

const found = boto3Interpreters();
const missing = found.length > 0 ? undefined : BOTO3_MISSING;

const SCRIPT = boto3Script(String.raw`
@step('create_bucket')
def _():
    s3.create_bucket(Bucket=bucket)
    s3.head_bucket(Bucket=bucket)
    names = [b['Name'] for b in s3.list_buckets()['Buckets']]
    return {'listed': bucket in names}

@step('put_get_head')
def _():
    data = os.urandom(100 * 1024 + 3)
    put = s3.put_object(Bucket=bucket, Key='small/obj.bin', Body=data, ContentType='application/x-compat',
                        Metadata={'color': 'blue', 'Mixed-Case': 'Value With Spaces'})
    got = s3.get_object(Bucket=bucket, Key='small/obj.bin')
    body = got['Body'].read()
    head = s3.head_object(Bucket=bucket, Key='small/obj.bin')
    return {
        'sha256': sha256(data), 'got_sha256': sha256(body),
        'put_etag': put['ETag'], 'md5': '"%s"' % hashlib.md5(data).hexdigest(),
        'get_etag': got['ETag'], 'head_etag': head['ETag'],
        'head_length': head['ContentLength'], 'size': len(data),
        'head_type': head['ContentType'], 'head_metadata': head['Metadata'], 'get_metadata': got['Metadata'],
    }

@step('transfer_20MiB')
def _():
    return transfer_big('big/20MiB.bin', 4)

@step('paginate_1200')
def _():
    keys = ['many/d%d/key-%05d%s' % (i % 7, i, ['', '.txt', ' spaced', '+plus', '=eq'][i % 5]) for i in range(1200)]
    with concurrent.futures.ThreadPoolExecutor(16) as pool:
        list(pool.map(lambda k: s3.put_object(Bucket=bucket, Key=k, Body=k.encode()), keys))
    def collect(**kw):
        seen, pages = [], 0
        for page in s3.get_paginator('list_objects_v2').paginate(Bucket=bucket, Prefix='many/', **kw):
            pages += 1
            seen.extend(o['Key'] for o in page.get('Contents', []))
        return seen, pages
    default_keys, default_pages = collect()
    small_keys, small_pages = collect(PaginationConfig={'PageSize': 250})
    def report(seen):
        return {'count': len(seen), 'unique': len(set(seen)), 'missing': sorted(set(keys) - set(seen))[:20],
                'unexpected': sorted(set(seen) - set(keys))[:20], 'sorted': seen == sorted(seen, key=lambda k: k.encode())}
    return {'default': {**report(default_keys), 'pages': default_pages}, 'page250': {**report(small_keys), 'pages': small_pages}}

@step('copy_object')
def _():
    data = os.urandom(300 * 1024)
    s3.put_object(Bucket=bucket, Key='copy/src', Body=data, Metadata={'origin': 'src'})
    res = s3.copy_object(Bucket=bucket, Key='copy/dst', CopySource={'Bucket': bucket, 'Key': 'copy/src'})
    copied = s3.get_object(Bucket=bucket, Key='copy/dst')
    res2 = s3.copy_object(Bucket=bucket, Key='copy/dst2', CopySource='%s/copy/src' % bucket,
                          MetadataDirective='REPLACE', Metadata={'origin': 'replaced'}, ContentType='text/x-replaced')
    head2 = s3.head_object(Bucket=bucket, Key='copy/dst2')
    body2 = s3.get_object(Bucket=bucket, Key='copy/dst2')['Body'].read()
    return {'sha256': sha256(data), 'copy_sha256': sha256(copied['Body'].read()), 'copy_metadata': copied['Metadata'],
            'copy_etag': res['CopyObjectResult']['ETag'], 'md5': '"%s"' % hashlib.md5(data).hexdigest(),
            'replaced_metadata': head2['Metadata'], 'replaced_type': head2['ContentType'], 'replaced_sha256': sha256(body2),
            'replaced_etag': res2['CopyObjectResult']['ETag']}

@step('delete_objects')
def _():
    keys = ['bulk/%02d' % i for i in range(10)] + ['bulk/sub/x y', 'bulk/ü']
    for k in keys:
        s3.put_object(Bucket=bucket, Key=k, Body=b'x')
    s3.put_object(Bucket=bucket, Key='bulk/keep', Body=b'k')
    res = s3.delete_objects(Bucket=bucket, Delete={'Objects': [{'Key': k} for k in keys], 'Quiet': False})
    left = [o['Key'] for o in s3.list_objects_v2(Bucket=bucket, Prefix='bulk/').get('Contents', [])]
    gone = []
    for k in keys[:3]:
        try:
            s3.head_object(Bucket=bucket, Key=k)
            gone.append(False)
        except botocore.exceptions.ClientError as e:
            gone.append(e.response['ResponseMetadata']['HTTPStatusCode'] == 404)
    quiet = s3.delete_objects(Bucket=bucket, Delete={'Objects': [{'Key': 'bulk/keep'}], 'Quiet': True})
    return {'requested': sorted(keys), 'deleted': sorted(d['Key'] for d in res.get('Deleted', [])),
            'errors': res.get('Errors', []), 'left': left, 'head_404': gone,
            'quiet_deleted': quiet.get('Deleted', []), 'quiet_errors': quiet.get('Errors', []),
            'left_after_quiet': s3.list_objects_v2(Bucket=bucket, Prefix='bulk/').get('KeyCount')}

@step('presigned_url')
def _():
    data = os.urandom(50 * 1024)
    s3.put_object(Bucket=bucket, Key='pre/signed obj+1.bin', Body=data)
    url = s3.generate_presigned_url('get_object', Params={'Bucket': bucket, 'Key': 'pre/signed obj+1.bin'}, ExpiresIn=300)
    with urllib.request.urlopen(url, timeout=30) as r:
        body, status = r.read(), r.status
    put_url = s3.generate_presigned_url('put_object', Params={'Bucket': bucket, 'Key': 'pre/put-via-url'}, ExpiresIn=300)
    req = urllib.request.Request(put_url, data=data, method='PUT')
    with urllib.request.urlopen(req, timeout=30) as r:
        put_status = r.status
    put_back = s3.get_object(Bucket=bucket, Key='pre/put-via-url')['Body'].read()
    try:
        urllib.request.urlopen(url.replace('X-Amz-Signature=', 'X-Amz-Signature=0'), timeout=30)
        tampered = 200
    except urllib.error.HTTPError as e:
        tampered = e.code
    return {'url': url, 'status': status, 'sha256': sha256(data), 'got_sha256': sha256(body),
            'put_status': put_status, 'put_sha256': sha256(put_back), 'tampered_status': tampered}

@step('head_object_metadata')
def _():
    s3.put_object(Bucket=bucket, Key='meta/obj', Body=b'meta', ContentType='text/plain; charset=utf-8',
                  CacheControl='max-age=60', ContentDisposition='attachment; filename="x.txt"', ContentLanguage='en',
                  Metadata={'a': '1', 'b-c': 'two words'})
    h = s3.head_object(Bucket=bucket, Key='meta/obj')
    missing = None
    try:
        s3.head_object(Bucket=bucket, Key='meta/absent')
    except botocore.exceptions.ClientError as e:
        missing = e.response['Error']['Code']
    return {'metadata': h['Metadata'], 'type': h['ContentType'], 'cache': h.get('CacheControl'),
            'disposition': h.get('ContentDisposition'), 'language': h.get('ContentLanguage'),
            'length': h['ContentLength'], 'etag': h['ETag'], 'md5': '"%s"' % hashlib.md5(b'meta').hexdigest(),
            'has_last_modified': 'LastModified' in h, 'missing_code': missing}

`);

clientSuite('boto3', missing, () => {
  const fixture = boto3Fixture('boto3', SCRIPT);

  describeBoto3Runs(
    found,
    {
      bigSize: 20 * MiB,
      timeoutMs: 100_000,
      setup: fixture.setup('boto3-compat'),
    },
    (boto3) => {
      const stepOf = boto3.step;

      it('create_bucket, head_bucket, list_buckets', () => {
        expect(stepOf('create_bucket').listed).toBe(true);
      });

      it('put_object / get_object / head_object', () => {
        const s = stepOf('put_get_head');
        expect(s.got_sha256).toBe(s.sha256);
        expect(s.put_etag).toBe(s.md5);
        expect(s.get_etag).toBe(s.md5);
        expect(s.head_etag).toBe(s.md5);
        expect(s.head_length).toBe(s.size);
        expect(s.head_type).toBe('application/x-compat');
        // S3 lower-cases user metadata names.
        expect(s.head_metadata).toEqual({ color: 'blue', 'mixed-case': 'Value With Spaces' });
        expect(s.get_metadata).toEqual(s.head_metadata);
      });

      it('upload_file (multipart, 5 MiB parts) and download_file of 20 MiB, same sha256', () => {
        const s = stepOf('transfer_20MiB');
        expect(s.length).toBe(20 * MiB);
        expect(s.etag).toMatch(/^"[0-9a-f]{32}-4"$/);
        expect(s.down_size).toBe(20 * MiB);
        expect(s.down_sha256).toBe(boto3.bigHash);
      });

      it('list_objects_v2 paginator over 1,200 keys sees every key exactly once, in order', () => {
        const s = stepOf('paginate_1200');
        for (const [mode, pages] of [['default', 2], ['page250', 5]] as const) {
          const r = s[mode];
          expect(r.missing, mode).toEqual([]);
          expect(r.unexpected, mode).toEqual([]);
          expect(r.count, mode).toBe(1200);
          expect(r.unique, mode).toBe(1200);
          expect(r.sorted, mode).toBe(true);
          expect(r.pages, mode).toBe(pages);
        }
      });

      it('copy_object (COPY and REPLACE metadata directives)', () => {
        const s = stepOf('copy_object');
        expect(s.copy_sha256).toBe(s.sha256);
        expect(s.copy_metadata).toEqual({ origin: 'src' });
        expect(s.copy_etag).toBe(s.md5);
        expect(s.replaced_sha256).toBe(s.sha256);
        expect(s.replaced_metadata).toEqual({ origin: 'replaced' });
        expect(s.replaced_type).toBe('text/x-replaced');
        expect(s.replaced_etag).toBe(s.md5);
      });

      it('delete_objects (verbose and quiet)', () => {
        const s = stepOf('delete_objects');
        expect(s.errors).toEqual([]);
        expect(s.deleted).toEqual(s.requested);
        expect(s.left).toEqual(['bulk/keep']);
        expect(s.head_404).toEqual([true, true, true]);
        expect(s.quiet_deleted).toEqual([]);
        expect(s.quiet_errors).toEqual([]);
        expect(s.left_after_quiet).toBe(0);
      });

      it('generate_presigned_url used with urllib (GET and PUT; a tampered one is refused)', () => {
        const s = stepOf('presigned_url');
        expect(s.status).toBe(200);
        expect(s.got_sha256).toBe(s.sha256);
        expect(s.put_status).toBe(200);
        expect(s.put_sha256).toBe(s.sha256);
        expect(s.tampered_status).toBe(403);
      });

      it('head_object returns metadata and standard headers', () => {
        const s = stepOf('head_object_metadata');
        expect(s.metadata).toEqual({ a: '1', 'b-c': 'two words' });
        expect(s.type).toBe('text/plain; charset=utf-8');
        expect(s.cache).toBe('max-age=60');
        expect(s.disposition).toBe('attachment; filename="x.txt"');
        expect(s.language).toBe('en');
        expect(s.length).toBe(4);
        expect(s.etag).toBe(s.md5);
        expect(s.has_last_modified).toBe(true);
        expect(s.missing_code).toBe('404');
      });
    },
  );
});
