/** Tags: Put/Get/DeleteBucketTagging and Put/Get/DeleteObjectTagging (of the current version, or by versionId). */
import { requestTagConditions } from '../access.js';
import { S3Error } from '../../errors.js';
import { BUCKET_TAG_LIMITS, type BucketConfig } from '../../meta/bucket-config.js';
import { readSmallBody, requireBodyIntegrity } from '../read-body.js';
import { requestedVersion, requireKey } from '../object-request.js';
import { requireBucket, type S3Request } from '../request.js';
import { sendXml, setVersionHeader } from '../response.js';
import { OBJECT_TAG_LIMITS, parseTagSet } from '../tags.js';

/** A configuration's settings other than its tags (and its stamp, which a change sets anew). */
function withoutTags({ stamp: _stamp, tags: _tags, ...rest }: BucketConfig): Omit<BucketConfig, 'stamp' | 'tags'> {
  return rest;
}

function tagSet(tags: [string, string][] | undefined): unknown {
  return tags && tags.length > 0 ? { Tag: tags.map(([Key, Value]) => ({ Key, Value })) } : '';
}

export async function putBucketTagging(req: S3Request): Promise<void> {
  const bucket = requireBucket(req);
  requireBodyIntegrity(req);
  await req.objects.getBucketInfo(bucket);
  const tags = parseTagSet(await readSmallBody(req), BUCKET_TAG_LIMITS);
  await req.objects.updateBucketConfig(bucket, (current) => ({ ...withoutTags(current), ...(tags.length > 0 ? { tags } : {}) }));
  req.ctx.status = 204;
}

export async function getBucketTagging(req: S3Request): Promise<void> {
  const { tags } = await req.objects.getBucketConfig(requireBucket(req));
  if (!tags || tags.length === 0) throw new S3Error('NoSuchTagSet');
  sendXml(req.ctx, 'Tagging', { TagSet: tagSet(tags) });
}

export async function deleteBucketTagging(req: S3Request): Promise<void> {
  const bucket = requireBucket(req);
  const { tags } = await req.objects.getBucketConfig(bucket);
  if (tags) await req.objects.updateBucketConfig(bucket, withoutTags);
  req.ctx.status = 204;
}

export async function getObjectTagging(req: S3Request): Promise<void> {
  const { bucket, key } = requireKey(req);
  const info = await req.objects.getObjectInfo(bucket, key, requestedVersion(req));
  setVersionHeader(req.ctx, info);
  sendXml(req.ctx, 'Tagging', { TagSet: tagSet(info.tags) });
}

export async function putObjectTagging(req: S3Request): Promise<void> {
  const { bucket, key } = requireKey(req);
  const versionId = requestedVersion(req);
  await req.objects.getBucketInfo(bucket);
  const tags = parseTagSet(await readSmallBody(req), OBJECT_TAG_LIMITS);
  // Decided here, not by the route: s3:RequestObjectTag conditions read the tags in the body.
  await req.access.require(versionId === undefined ? 's3:PutObjectTagging' : 's3:PutObjectVersionTagging', { bucket, key, versionId }, requestTagConditions(tags));
  const info = await req.objects.updateObjectAttributes(bucket, key, versionId, () => ({ tags: tags.length > 0 ? tags : undefined }));
  setVersionHeader(req.ctx, info);
  req.ctx.status = 200;
  req.ctx.body = '';
}

export async function deleteObjectTagging(req: S3Request): Promise<void> {
  const { bucket, key } = requireKey(req);
  const info = await req.objects.updateObjectAttributes(bucket, key, requestedVersion(req), () => ({ tags: undefined }));
  setVersionHeader(req.ctx, info);
  req.ctx.status = 204;
}
