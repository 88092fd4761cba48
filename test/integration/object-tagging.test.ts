/**
 * Object tags (issue 12 item 3) against a real server with the SDK v3 and raw requests: tags given
 * with PUT, multipart, copy (x-amz-tagging-directive) and POST forms; Put/Get/DeleteObjectTagging
 * of the current version and of versions by id; x-amz-tagging-count; AWS's limits.
 */
import {
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  DeleteObjectTaggingCommand,
  GetObjectCommand,
  GetObjectTaggingCommand,
  HeadObjectCommand,
  PutBucketVersioningCommand,
  PutObjectCommand,
  PutObjectTaggingCommand,
  UploadPartCommand,
  type S3Client,
  type Tag,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postForm, signedPolicyFields } from '../helpers/post-form.js';
import { errorCode, failure, rawRequest } from '../helpers/raw.js';
import { TestServer } from '../helpers/server.js';

const BUCKET = 'tagged';
const VERSIONED = 'tagged-versions';

describe('object tags', () => {
  let server: TestServer;
  let s3: S3Client;

  const tagsOf = async (Key: string, Bucket = BUCKET, VersionId?: string): Promise<Tag[] | undefined> =>
    (await s3.send(new GetObjectTaggingCommand({ Bucket, Key, VersionId }))).TagSet;
  const putTags = (Key: string, TagSet: Tag[], Bucket = BUCKET, VersionId?: string): Promise<unknown> =>
    s3.send(new PutObjectTaggingCommand({ Bucket, Key, VersionId, Tagging: { TagSet } }));

  beforeAll(async () => {
    server = await TestServer.start({ drives: 4 });
    s3 = server.client();
    await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
    await s3.send(new CreateBucketCommand({ Bucket: VERSIONED }));
    await s3.send(new PutBucketVersioningCommand({ Bucket: VERSIONED, VersioningConfiguration: { Status: 'Enabled' } }));
  });

  afterAll(async () => {
    await server?.destroy();
  });

  it('tags given with a PUT are read back in order and counted on GET and HEAD; PutObjectTagging replaces them, DeleteObjectTagging clears them', async () => {
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'doc', Body: 'content', Tagging: 'team=storage&cost%20centre=&%C3%BCn%C3%AFcode=%C3%BFes' }));
    expect(await tagsOf('doc')).toEqual([{ Key: 'team', Value: 'storage' }, { Key: 'cost centre', Value: '' }, { Key: 'ünïcode', Value: 'ÿes' }]);
    const head = await s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'doc' }));
    const get = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'doc' }));
    expect([head.ContentLength, get.TagCount, await get.Body!.transformToString()]).toEqual([7, 3, 'content']);
    await putTags('doc', [{ Key: 'only', Value: 'one' }]);
    expect(await tagsOf('doc')).toEqual([{ Key: 'only', Value: 'one' }]);
    // A change of tags is not a new version of the content: ETag and Last-Modified stay.
    const after = await s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'doc' }));
    expect([after.ETag, after.LastModified?.getTime()]).toEqual([head.ETag, head.LastModified?.getTime()]);
    await s3.send(new DeleteObjectTaggingCommand({ Bucket: BUCKET, Key: 'doc' }));
    expect(await tagsOf('doc')).toEqual([]);
    expect((await s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'doc' }))).$metadata.httpStatusCode).toBe(200);
    const raw = await rawRequest(server.endpoint, { method: 'HEAD', path: `/${BUCKET}/doc` });
    expect(raw.headers['x-amz-tagging-count']).toBeUndefined();
    expect(await failure(tagsOf('missing'))).toBe('NoSuchKey');
    expect(await failure(putTags('missing', [{ Key: 'a', Value: 'b' }]))).toBe('NoSuchKey');
  });

  it('limits and characters as AWS has them: 10 tags, keys of 128 and values of 256 characters; a malformed header is InvalidArgument', async () => {
    const ten = Array.from({ length: 10 }, (_, i) => ({ Key: `k${i}`, Value: 'v'.repeat(256) }));
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'limits', Body: 'x' }));
    await putTags('limits', ten);
    expect(await tagsOf('limits')).toHaveLength(10);
    expect(await failure(putTags('limits', [...ten, { Key: 'k10', Value: '' }]))).toBe('BadRequest');
    expect(await failure(putTags('limits', [{ Key: 'k'.repeat(129), Value: '' }]))).toBe('InvalidTag');
    expect(await failure(putTags('limits', [{ Key: 'k', Value: 'v'.repeat(257) }]))).toBe('InvalidTag');
    expect(await failure(putTags('limits', [{ Key: 'a', Value: '1' }, { Key: 'a', Value: '2' }]))).toBe('InvalidTag');
    expect(await failure(putTags('limits', [{ Key: 'aws:x', Value: '1' }]))).toBe('InvalidTag');
    expect(await tagsOf('limits')).toHaveLength(10);
    const eleven = Array.from({ length: 11 }, (_, i) => `k${i}=v`).join('&');
    expect(await failure(s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'over', Body: 'x', Tagging: eleven })))).toBe('BadRequest');
    expect(await failure(s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'over', Body: 'x', Tagging: 'a=1&a=2' })))).toBe('InvalidArgument');
    expect(await failure(s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'over', Body: 'x', Tagging: 'a=%E0%A4%A' })))).toBe('InvalidArgument');
    expect(await failure(s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'over' })))).toBe('NotFound');
    // Spaces at either end of a key or value are kept, as AWS keeps them; indentation between elements is not a value.
    const padded = '<Tagging>\n  <TagSet>\n    <Tag><Key> spaced key </Key><Value>  padded  </Value></Tag>\n  </TagSet>\n</Tagging>';
    const put = await rawRequest(server.endpoint, { method: 'PUT', path: `/${BUCKET}/limits`, query: 'tagging', body: padded });
    expect(put.status).toBe(200);
    expect(await tagsOf('limits')).toEqual([{ Key: ' spaced key ', Value: '  padded  ' }]);
    const malformed = await rawRequest(server.endpoint, { method: 'PUT', path: `/${BUCKET}/limits`, query: 'tagging', body: '<Tagging><TagSet>' });
    expect([malformed.status, errorCode(malformed.text)]).toEqual([400, 'MalformedXML']);
  });

  it('multipart uploads, copies and POST forms carry tags: the copy directive COPY keeps the source tags, REPLACE takes the request tags', async () => {
    const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: BUCKET, Key: 'mp', Tagging: 'kind=multipart' }));
    const part = await s3.send(new UploadPartCommand({ Bucket: BUCKET, Key: 'mp', UploadId, PartNumber: 1, Body: 'part' }));
    await s3.send(new CompleteMultipartUploadCommand({ Bucket: BUCKET, Key: 'mp', UploadId, MultipartUpload: { Parts: [{ PartNumber: 1, ETag: part.ETag }] } }));
    expect(await tagsOf('mp')).toEqual([{ Key: 'kind', Value: 'multipart' }]);
    await s3.send(new CopyObjectCommand({ Bucket: BUCKET, Key: 'copied', CopySource: `${BUCKET}/mp` }));
    expect(await tagsOf('copied')).toEqual([{ Key: 'kind', Value: 'multipart' }]);
    await s3.send(new CopyObjectCommand({ Bucket: BUCKET, Key: 'replaced', CopySource: `${BUCKET}/mp`, TaggingDirective: 'REPLACE', Tagging: 'kind=copy' }));
    expect(await tagsOf('replaced')).toEqual([{ Key: 'kind', Value: 'copy' }]);
    await s3.send(new CopyObjectCommand({ Bucket: BUCKET, Key: 'untagged', CopySource: `${BUCKET}/mp`, TaggingDirective: 'REPLACE' }));
    expect(await tagsOf('untagged')).toEqual([]);
    // Copying an object onto itself with new tags only is a change S3 allows.
    await s3.send(new CopyObjectCommand({ Bucket: BUCKET, Key: 'mp', CopySource: `${BUCKET}/mp`, TaggingDirective: 'REPLACE', Tagging: 'kind=self' }));
    expect(await tagsOf('mp')).toEqual([{ Key: 'kind', Value: 'self' }]);
    const bad = await rawRequest(server.endpoint, { method: 'PUT', path: `/${BUCKET}/x`, headers: { 'x-amz-copy-source': `/${BUCKET}/mp`, 'x-amz-tagging-directive': 'MERGE' } });
    expect([bad.status, errorCode(bad.text)]).toEqual([400, 'InvalidArgument']);

    const tagging = '<Tagging><TagSet><Tag><Key>from</Key><Value>form</Value></Tag></TagSet></Tagging>';
    const form = { key: 'posted', tagging, ...signedPolicyFields([{ bucket: BUCKET }, ['eq', '$key', 'posted'], ['eq', '$tagging', tagging]]) };
    const posted = await postForm(server.endpoint, BUCKET, form, { name: 'f.txt', content: 'x' });
    expect(posted.status).toBe(204);
    expect(await tagsOf('posted')).toEqual([{ Key: 'from', Value: 'form' }]);
  });

  it('in a versioned bucket each version has its own tags, read and changed by version id; a delete marker has none to change', async () => {
    const first = (await s3.send(new PutObjectCommand({ Bucket: VERSIONED, Key: 'k', Body: '1', Tagging: 'v=1' }))).VersionId!;
    const second = (await s3.send(new PutObjectCommand({ Bucket: VERSIONED, Key: 'k', Body: '2', Tagging: 'v=2' }))).VersionId!;
    expect(await tagsOf('k', VERSIONED)).toEqual([{ Key: 'v', Value: '2' }]);
    expect(await tagsOf('k', VERSIONED, first)).toEqual([{ Key: 'v', Value: '1' }]);
    const put = await s3.send(new PutObjectTaggingCommand({ Bucket: VERSIONED, Key: 'k', VersionId: first, Tagging: { TagSet: [{ Key: 'v', Value: 'one' }] } }));
    expect(put.VersionId).toBe(first);
    expect(await tagsOf('k', VERSIONED, first)).toEqual([{ Key: 'v', Value: 'one' }]);
    expect(await tagsOf('k', VERSIONED)).toEqual([{ Key: 'v', Value: '2' }]);
    // The version whose tags changed stays where it was among the versions: the current one is still the second.
    expect((await s3.send(new GetObjectCommand({ Bucket: VERSIONED, Key: 'k' }))).VersionId).toBe(second);
    const tagged = await s3.send(new GetObjectTaggingCommand({ Bucket: VERSIONED, Key: 'k', VersionId: first }));
    expect(tagged.VersionId).toBe(first);
    const removed = await s3.send(new DeleteObjectTaggingCommand({ Bucket: VERSIONED, Key: 'k', VersionId: first }));
    expect(removed.VersionId).toBe(first);
    expect(await tagsOf('k', VERSIONED, first)).toEqual([]);
    const marker = (await s3.send(new DeleteObjectCommand({ Bucket: VERSIONED, Key: 'k' }))).VersionId!;
    expect(await failure(putTags('k', [{ Key: 'a', Value: 'b' }], VERSIONED, marker))).toBe('MethodNotAllowed');
    expect(await failure(tagsOf('k', VERSIONED))).toBe('NoSuchKey');
    expect(await failure(tagsOf('k', VERSIONED, '01a00000-0000-7000-8000-000000000000'))).toBe('NoSuchVersion');
    expect(await tagsOf('k', VERSIONED, second)).toEqual([{ Key: 'v', Value: '2' }]);
  });
});
