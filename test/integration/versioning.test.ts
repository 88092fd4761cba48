/**
 * Versioning as AWS S3 documents it (issue 12 item 1), against a real server process with the SDK v3
 * and raw requests: PutBucketVersioning/GetBucketVersioning, version ids on every kind of write,
 * reads and deletes by version id, delete markers (404/405 with their headers), the `null` version
 * of never-versioned and suspended buckets, ListObjectVersions paging, and DeleteObjects with ids.
 */
import {
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetBucketVersioningCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  ListObjectVersionsCommand,
  PutBucketVersioningCommand,
  PutObjectCommand,
  UploadPartCommand,
  type ListObjectVersionsCommandOutput,
  type S3Client,
} from '@aws-sdk/client-s3';
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorCode, failure, rawRequest } from '../helpers/raw.js';
import { TestServer } from '../helpers/server.js';

/** Every version and delete marker of the bucket as [key, versionId, isLatest, kind], in listing order. */
function flatten(page: ListObjectVersionsCommandOutput): [string, string, boolean, string][] {
  const rows = [
    ...(page.Versions ?? []).map((v) => ({ key: v.Key!, id: v.VersionId!, latest: v.IsLatest!, kind: 'version', at: v.LastModified! })),
    ...(page.DeleteMarkers ?? []).map((m) => ({ key: m.Key!, id: m.VersionId!, latest: m.IsLatest!, kind: 'marker', at: m.LastModified! })),
  ];
  // The SDK parses Version and DeleteMarker elements into two lists: put them back in S3's order (key, then newest first).
  rows.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : b.at.getTime() - a.at.getTime() || (a.id < b.id ? 1 : -1)));
  return rows.map((r) => [r.key, r.id, r.latest, r.kind]);
}

describe('versioning', () => {
  let server: TestServer;
  let s3: S3Client;

  const text = async (Bucket: string, Key: string, VersionId?: string): Promise<string> =>
    (await s3.send(new GetObjectCommand({ Bucket, Key, VersionId }))).Body!.transformToString();
  const versioning = (Bucket: string, Status: 'Enabled' | 'Suspended'): Promise<unknown> =>
    s3.send(new PutBucketVersioningCommand({ Bucket, VersioningConfiguration: { Status } }));
  const listAll = async (Bucket: string, extra: { Prefix?: string } = {}): Promise<[string, string, boolean, string][]> =>
    flatten(await s3.send(new ListObjectVersionsCommand({ Bucket, ...extra })));
  const raw = (method: string, bucket: string, key: string, query = '', body?: string): ReturnType<typeof rawRequest> =>
    rawRequest(server.endpoint, {
      method,
      path: `/${bucket}/${encodeURIComponent(key)}`,
      query,
      ...(body !== undefined ? { body, headers: { 'content-md5': createHash('md5').update(body).digest('base64') } } : {}),
    });

  beforeAll(async () => {
    server = await TestServer.start({ drives: 4 });
    s3 = server.client();
    for (const Bucket of ['plain', 'versioned', 'suspended', 'paged', 'restore']) await s3.send(new CreateBucketCommand({ Bucket }));
  });

  afterAll(async () => {
    await server?.destroy();
  });

  it('a bucket never versioned has no Status; Enabled and Suspended are read back; anything else is refused', async () => {
    expect((await s3.send(new GetBucketVersioningCommand({ Bucket: 'plain' }))).Status).toBeUndefined();
    await versioning('versioned', 'Enabled');
    expect((await s3.send(new GetBucketVersioningCommand({ Bucket: 'versioned' }))).Status).toBe('Enabled');
    await versioning('suspended', 'Enabled');
    await versioning('suspended', 'Suspended');
    expect((await s3.send(new GetBucketVersioningCommand({ Bucket: 'suspended' }))).Status).toBe('Suspended');
    const put = async (xml: string): Promise<string> => {
      const res = await rawRequest(server.endpoint, { method: 'PUT', path: '/plain', query: 'versioning', body: xml, headers: { 'content-md5': createHash('md5').update(xml).digest('base64') } });
      return res.status === 200 ? 'ok' : (errorCode(res.text) ?? `HTTP ${res.status}`);
    };
    expect(await put('<VersioningConfiguration><Status>On</Status></VersioningConfiguration>')).toBe('IllegalVersioningConfigurationException');
    expect(await put('<VersioningConfiguration></VersioningConfiguration>')).toBe('IllegalVersioningConfigurationException');
    expect(await put('<VersioningConfiguration><Status>Enabled</Status><MfaDelete>Enabled</MfaDelete></VersioningConfiguration>')).toBe('NotImplemented');
    expect(await put('<Other/>')).toBe('MalformedXML');
    expect(await put('<VersioningConfiguration>')).toBe('MalformedXML');
    expect((await s3.send(new GetBucketVersioningCommand({ Bucket: 'plain' }))).Status).toBeUndefined();
    expect(await failure(versioning('no-such-bucket', 'Enabled'))).toBe('NoSuchBucket');
  });

  it('never versioned: writes name no version; the null version is read by id; DELETE removes it without a marker', async () => {
    const put = await s3.send(new PutObjectCommand({ Bucket: 'plain', Key: 'k', Body: 'one' }));
    expect(put.VersionId).toBeUndefined();
    await s3.send(new PutObjectCommand({ Bucket: 'plain', Key: 'k', Body: 'two' }));
    expect(await text('plain', 'k', 'null')).toBe('two');
    expect(await listAll('plain')).toEqual([['k', 'null', true, 'version']]);
    const deleted = await s3.send(new DeleteObjectCommand({ Bucket: 'plain', Key: 'k' }));
    expect(deleted.DeleteMarker).toBeUndefined();
    expect(deleted.VersionId).toBeUndefined();
    expect(await listAll('plain')).toEqual([]);
  });

  it('enabled: each write is a new version, reads by id see each, and the listing shows them newest first', async () => {
    const ids: string[] = [];
    for (const body of ['v1', 'v2', 'v3']) ids.push((await s3.send(new PutObjectCommand({ Bucket: 'versioned', Key: 'doc', Body: body }))).VersionId!);
    expect(new Set(ids).size).toBe(3);
    expect(ids).not.toContain('null');
    expect(await text('versioned', 'doc')).toBe('v3');
    expect(await text('versioned', 'doc', ids[0])).toBe('v1');
    const head = await s3.send(new HeadObjectCommand({ Bucket: 'versioned', Key: 'doc', VersionId: ids[1] }));
    expect([head.VersionId, head.ContentLength]).toEqual([ids[1], 2]);
    expect((await s3.send(new GetObjectCommand({ Bucket: 'versioned', Key: 'doc' }))).VersionId).toBe(ids[2]);
    expect(await listAll('versioned', { Prefix: 'doc' })).toEqual([
      ['doc', ids[2], true, 'version'],
      ['doc', ids[1], false, 'version'],
      ['doc', ids[0], false, 'version'],
    ]);
    // A large object (several blocks, not inline) and a multipart one are versions like any other.
    const big = Buffer.alloc(3 * 1024 * 1024 + 5, 7);
    const bigId = (await s3.send(new PutObjectCommand({ Bucket: 'versioned', Key: 'doc', Body: big }))).VersionId!;
    const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: 'versioned', Key: 'doc' }));
    const part = await s3.send(new UploadPartCommand({ Bucket: 'versioned', Key: 'doc', UploadId, PartNumber: 1, Body: 'multipart' }));
    const done = await s3.send(new CompleteMultipartUploadCommand({ Bucket: 'versioned', Key: 'doc', UploadId, MultipartUpload: { Parts: [{ PartNumber: 1, ETag: part.ETag }] } }));
    expect(done.VersionId).toMatch(/^[0-9a-f-]{36}$/);
    expect(await text('versioned', 'doc')).toBe('multipart');
    expect((await s3.send(new GetObjectCommand({ Bucket: 'versioned', Key: 'doc', VersionId: bigId }))).ContentLength).toBe(big.length);
    expect(await text('versioned', 'doc', ids[0])).toBe('v1');
  });

  it('DELETE makes a delete marker: GET is 404 and HEAD of the marker 405, both naming it; deleting the marker brings the object back', async () => {
    await s3.send(new PutObjectCommand({ Bucket: 'versioned', Key: 'gone', Body: 'still here' }));
    const deleted = await s3.send(new DeleteObjectCommand({ Bucket: 'versioned', Key: 'gone' }));
    expect(deleted.DeleteMarker).toBe(true);
    const marker = deleted.VersionId!;
    expect(await failure(text('versioned', 'gone'))).toBe('NoSuchKey');
    const get = await raw('GET', 'versioned', 'gone');
    expect([get.status, errorCode(get.text), get.headers['x-amz-delete-marker'], get.headers['x-amz-version-id']]).toEqual([404, 'NoSuchKey', 'true', marker]);
    const byId = await raw('GET', 'versioned', 'gone', `versionId=${marker}`);
    expect([byId.status, errorCode(byId.text), byId.headers['x-amz-delete-marker'], byId.headers['x-amz-version-id']]).toEqual([405, 'MethodNotAllowed', 'true', marker]);
    expect(byId.headers['last-modified']).toBeDefined();
    const head = await raw('HEAD', 'versioned', 'gone', `versionId=${marker}`);
    expect([head.status, head.headers['x-amz-delete-marker']]).toEqual([405, 'true']);
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: 'versioned', Prefix: 'gone' }));
    expect(listed.KeyCount).toBe(0);
    // A second DELETE stacks another marker.
    const again = await s3.send(new DeleteObjectCommand({ Bucket: 'versioned', Key: 'gone' }));
    expect(again.VersionId).not.toBe(marker);
    expect((await listAll('versioned', { Prefix: 'gone' })).map(([, , latest, kind]) => [latest, kind])).toEqual([
      [true, 'marker'],
      [false, 'marker'],
      [false, 'version'],
    ]);
    for (const VersionId of [again.VersionId, marker]) {
      const removed = await s3.send(new DeleteObjectCommand({ Bucket: 'versioned', Key: 'gone', VersionId }));
      expect([removed.DeleteMarker, removed.VersionId]).toEqual([true, VersionId]);
    }
    expect(await text('versioned', 'gone')).toBe('still here');
  });

  it('version ids: a malformed one is InvalidArgument, an unknown one NoSuchVersion, and deleting an unknown one is no error', async () => {
    expect(await failure(text('versioned', 'doc', 'not-a-version'))).toBe('InvalidArgument');
    const unknown = '01a00000-0000-7000-8000-000000000000';
    expect(await failure(text('versioned', 'doc', unknown))).toBe('NoSuchVersion');
    expect(await failure(text('versioned', 'no-such-key', unknown))).toBe('NoSuchVersion');
    const res = await raw('DELETE', 'versioned', 'doc', `versionId=${unknown}`);
    expect(res.status).toBe(204);
    expect(await failure(s3.send(new DeleteObjectCommand({ Bucket: 'versioned', Key: 'doc', VersionId: '' })))).not.toBe('no error');
    const empty = await raw('GET', 'versioned', 'doc', 'versionId=');
    expect([empty.status, errorCode(empty.text)]).toEqual([400, 'InvalidArgument']);
  });

  it('suspended: writes replace the null version (over versions kept from when it was enabled); DELETE makes a null marker', async () => {
    const kept = (await s3.send(new PutObjectCommand({ Bucket: 'suspended', Key: 'k', Body: 'from before' }))).VersionId;
    expect(kept).toBe('null');
    await versioning('suspended', 'Enabled');
    const enabled = (await s3.send(new PutObjectCommand({ Bucket: 'suspended', Key: 'k', Body: 'enabled' }))).VersionId!;
    await versioning('suspended', 'Suspended');
    const put = await s3.send(new PutObjectCommand({ Bucket: 'suspended', Key: 'k', Body: 'suspended 1' }));
    expect(put.VersionId).toBe('null');
    await s3.send(new PutObjectCommand({ Bucket: 'suspended', Key: 'k', Body: 'suspended 2' }));
    expect(await listAll('suspended')).toEqual([
      ['k', 'null', true, 'version'],
      ['k', enabled, false, 'version'],
    ]);
    expect(await text('suspended', 'k', 'null')).toBe('suspended 2');
    const deleted = await s3.send(new DeleteObjectCommand({ Bucket: 'suspended', Key: 'k' }));
    expect([deleted.DeleteMarker, deleted.VersionId]).toEqual([true, 'null']);
    expect(await listAll('suspended')).toEqual([
      ['k', 'null', true, 'marker'],
      ['k', enabled, false, 'version'],
    ]);
    expect(await text('suspended', 'k', enabled)).toBe('enabled');
  });

  it('copy: a source version by id, its id reported; copying an old version onto its own key restores it', async () => {
    await versioning('restore', 'Enabled');
    const first = (await s3.send(new PutObjectCommand({ Bucket: 'restore', Key: 'r', Body: 'good' }))).VersionId!;
    await s3.send(new PutObjectCommand({ Bucket: 'restore', Key: 'r', Body: 'bad' }));
    const copy = await s3.send(new CopyObjectCommand({ Bucket: 'restore', Key: 'r', CopySource: `restore/r?versionId=${first}` }));
    expect(copy.CopySourceVersionId).toBe(first);
    expect(copy.VersionId).not.toBe(first);
    expect(await text('restore', 'r')).toBe('good');
    expect(await listAll('restore')).toHaveLength(3);
    const other = await s3.send(new CopyObjectCommand({ Bucket: 'plain', Key: 'from-restore', CopySource: `restore/r?versionId=${first}` }));
    expect([other.CopySourceVersionId, other.VersionId]).toEqual([first, undefined]);
    expect(await failure(s3.send(new CopyObjectCommand({ Bucket: 'plain', Key: 'x', CopySource: 'restore/r?versionId=bogus' })))).toBe('InvalidArgument');
  });

  it('ListObjectVersions pages through keys and versions with key-marker and version-id-marker, rolls up common prefixes, url-encodes', async () => {
    await versioning('paged', 'Enabled');
    const expected: [string, string, boolean, string][] = [];
    for (const key of ['a', 'b c', 'dir/x', 'dir/y', 'e']) {
      const ids: string[] = [];
      for (let i = 0; i < 3; i++) ids.push((await s3.send(new PutObjectCommand({ Bucket: 'paged', Key: key, Body: `${key}${i}` }))).VersionId!);
      const rows: [string, string, boolean, string][] = ids.reverse().map((id, i) => [key, id, i === 0, 'version']);
      if (key === 'b c') rows.unshift([key, (await s3.send(new DeleteObjectCommand({ Bucket: 'paged', Key: key }))).VersionId!, true, 'marker']);
      if (key === 'b c') rows[1][2] = false;
      expected.push(...rows);
    }
    expect(await listAll('paged')).toEqual(expected);
    for (const MaxKeys of [1, 2, 4, 7]) {
      const seen: [string, string, boolean, string][] = [];
      let KeyMarker: string | undefined;
      let VersionIdMarker: string | undefined;
      for (let pages = 0; pages < 40; pages++) {
        const page = await s3.send(new ListObjectVersionsCommand({ Bucket: 'paged', MaxKeys, KeyMarker, VersionIdMarker }));
        const rows = flatten(page);
        expect(rows.length).toBeLessThanOrEqual(MaxKeys);
        seen.push(...rows);
        if (!page.IsTruncated) break;
        expect(rows.length).toBe(MaxKeys);
        KeyMarker = page.NextKeyMarker;
        VersionIdMarker = page.NextVersionIdMarker;
      }
      expect(seen, `max-keys ${MaxKeys}`).toEqual(expected);
    }
    const rolled = await s3.send(new ListObjectVersionsCommand({ Bucket: 'paged', Delimiter: '/' }));
    expect(rolled.CommonPrefixes).toEqual([{ Prefix: 'dir/' }]);
    expect(flatten(rolled).map(([key]) => key)).not.toContain('dir/x');
    // A page that ends on a common prefix resumes after it.
    const first = await s3.send(new ListObjectVersionsCommand({ Bucket: 'paged', Delimiter: '/', MaxKeys: 8 }));
    expect([first.IsTruncated, first.NextKeyMarker, first.NextVersionIdMarker, first.CommonPrefixes]).toEqual([true, 'dir/', undefined, [{ Prefix: 'dir/' }]]);
    const rest = await s3.send(new ListObjectVersionsCommand({ Bucket: 'paged', Delimiter: '/', KeyMarker: first.NextKeyMarker, VersionIdMarker: first.NextVersionIdMarker }));
    expect(flatten(rest).map(([key]) => key)).toEqual(['e', 'e', 'e']);
    // The version a marker names may be deleted between pages: the listing resumes where it stood.
    const page = await s3.send(new ListObjectVersionsCommand({ Bucket: 'paged', MaxKeys: 2 }));
    await s3.send(new DeleteObjectCommand({ Bucket: 'paged', Key: page.NextKeyMarker, VersionId: page.NextVersionIdMarker }));
    const resumed = flatten(await s3.send(new ListObjectVersionsCommand({ Bucket: 'paged', KeyMarker: page.NextKeyMarker, VersionIdMarker: page.NextVersionIdMarker })));
    expect(resumed).toEqual(expected.slice(2));
    const encoded = await rawRequest(server.endpoint, { method: 'GET', path: '/paged', query: 'versions&encoding-type=url&prefix=b%20' });
    expect(encoded.text).toContain('<Key>b%20c</Key>');
    expect(encoded.text).toContain('<Prefix>b%20</Prefix>');
    const orphan = await rawRequest(server.endpoint, { method: 'GET', path: '/paged', query: `versions&version-id-marker=${page.NextVersionIdMarker}` });
    expect([orphan.status, errorCode(orphan.text)]).toEqual([400, 'InvalidArgument']);
    const badMarker = await rawRequest(server.endpoint, { method: 'GET', path: '/paged', query: 'versions&key-marker=a&version-id-marker=zzz' });
    expect([badMarker.status, errorCode(badMarker.text)]).toEqual([400, 'InvalidArgument']);
    expect(await failure(s3.send(new ListObjectVersionsCommand({ Bucket: 'no-such-bucket' })))).toBe('NoSuchBucket');
  });

  it('DeleteObjects: markers made for keys, versions removed by id, each reported as S3 reports it', async () => {
    const v = (await s3.send(new PutObjectCommand({ Bucket: 'versioned', Key: 'batch', Body: 'x' }))).VersionId!;
    const res = await s3.send(
      new DeleteObjectsCommand({ Bucket: 'versioned', Delete: { Objects: [{ Key: 'batch' }, { Key: 'batch', VersionId: v }, { Key: 'other', VersionId: 'bogus' }] } }),
    );
    const [marker, removed] = res.Deleted!;
    expect(marker.Key).toBe('batch');
    expect(marker.DeleteMarker).toBe(true);
    expect(marker.DeleteMarkerVersionId).toMatch(/^[0-9a-f-]{36}$/);
    expect([removed.VersionId, removed.DeleteMarker]).toEqual([v, undefined]);
    expect(res.Errors).toEqual([expect.objectContaining({ Key: 'other', VersionId: 'bogus', Code: 'InvalidArgument' })]);
    const left = await s3.send(new DeleteObjectsCommand({ Bucket: 'versioned', Delete: { Objects: [{ Key: 'batch', VersionId: marker.DeleteMarkerVersionId }] } }));
    expect(left.Deleted).toEqual([expect.objectContaining({ Key: 'batch', VersionId: marker.DeleteMarkerVersionId, DeleteMarker: true, DeleteMarkerVersionId: marker.DeleteMarkerVersionId })]);
    expect(await listAll('versioned', { Prefix: 'batch' })).toEqual([]);
    // A key is taken as sent: deleting ' spaced ' leaves 'spaced' alone (the XML parser trimmed it once).
    await s3.send(new PutObjectCommand({ Bucket: 'plain', Key: 'spaced', Body: 'x' }));
    await s3.send(new PutObjectCommand({ Bucket: 'plain', Key: ' spaced ', Body: 'y' }));
    await s3.send(new DeleteObjectsCommand({ Bucket: 'plain', Delete: { Objects: [{ Key: ' spaced ' }] } }));
    expect(await text('plain', 'spaced')).toBe('x');
    expect(await failure(text('plain', ' spaced '))).toBe('NoSuchKey');
  });

  it('a copy cannot name a delete marker as its source (400), nor copy a key whose current version is one (404 without the marker headers)', async () => {
    await s3.send(new PutObjectCommand({ Bucket: 'versioned', Key: 'src', Body: 'source' }));
    const marker = (await s3.send(new DeleteObjectCommand({ Bucket: 'versioned', Key: 'src' }))).VersionId!;
    const named = await rawRequest(server.endpoint, { method: 'PUT', path: '/versioned/dst', headers: { 'x-amz-copy-source': `/versioned/src?versionId=${marker}` } });
    expect([named.status, errorCode(named.text)]).toEqual([400, 'InvalidRequest']);
    const current = await rawRequest(server.endpoint, { method: 'PUT', path: '/versioned/dst', headers: { 'x-amz-copy-source': '/versioned/src' } });
    expect([current.status, errorCode(current.text), current.headers['x-amz-delete-marker']]).toEqual([404, 'NoSuchKey', undefined]);
  });

  it('answers name the null version as soon as versioning is set on the node that set it; GetObjectAttributes names its version', async () => {
    await s3.send(new CreateBucketCommand({ Bucket: 'late' }));
    await s3.send(new PutObjectCommand({ Bucket: 'late', Key: 'k', Body: 'x' }));
    expect((await s3.send(new HeadObjectCommand({ Bucket: 'late', Key: 'k' }))).VersionId).toBeUndefined();
    await versioning('late', 'Enabled');
    expect((await s3.send(new HeadObjectCommand({ Bucket: 'late', Key: 'k' }))).VersionId).toBe('null');
    const attributes = await rawRequest(server.endpoint, { method: 'GET', path: '/late/k', query: 'attributes', headers: { 'x-amz-object-attributes': 'ETag' } });
    expect([attributes.status, attributes.headers['x-amz-version-id']]).toEqual([200, 'null']);
  });

  it('a key-marker longer than any key, with a version-id-marker, lists what comes after it', async () => {
    const long = 'z'.repeat(1500);
    const res = await rawRequest(server.endpoint, { method: 'GET', path: '/paged', query: `versions&key-marker=${long}&version-id-marker=01a00000-0000-7000-8000-000000000000` });
    expect(res.status).toBe(200);
    expect(res.text).not.toContain('<Version>');
  });

  it('a key holding as many versions as a record can take refuses more (XTesseraTooManyVersions) but can still be deleted, and takes versions again once old ones go', async () => {
    await s3.send(new CreateBucketCommand({ Bucket: 'crowded' }));
    await versioning('crowded', 'Enabled');
    // Objects of 16 KiB stay inline in a versioned key: each version adds ~8 KiB to the key's record on every drive.
    const body = Buffer.alloc(16 * 1024, 1);
    const ids: string[] = [];
    let refused = '';
    for (let i = 0; i < 1000 && !refused; i++) {
      await s3
        .send(new PutObjectCommand({ Bucket: 'crowded', Key: 'k', Body: body }))
        .then((r) => ids.push(r.VersionId!), (err: Error) => (refused = err.name));
    }
    expect(refused).toBe('XTesseraTooManyVersions');
    expect(ids.length).toBeGreaterThan(300);
    expect((await s3.send(new DeleteObjectCommand({ Bucket: 'crowded', Key: 'k' }))).DeleteMarker).toBe(true);
    for (const VersionId of ids.slice(0, 10)) await s3.send(new DeleteObjectCommand({ Bucket: 'crowded', Key: 'k', VersionId }));
    expect((await s3.send(new PutObjectCommand({ Bucket: 'crowded', Key: 'k', Body: body }))).VersionId).toBeDefined();
  });
});
