/**
 * Tags: PutBucketTagging, GetBucketTagging, DeleteBucketTagging; and GetObjectTagging, which answers
 * the empty tag set objects have until object tags are stored (they come with versioning: writes
 * that carry tags are refused meanwhile, see storedHeaders).
 */
import { S3Error } from '../../errors.js';
import { BUCKET_TAG_LIMITS, type BucketConfig } from '../../meta/bucket-config.js';
import { readSmallBody, requireBodyIntegrity } from '../read-body.js';
import { requestedVersion, requireKey } from '../object-request.js';
import { requireBucket, type S3Request } from '../request.js';
import { sendXml } from '../response.js';
import { parseXml } from '../xml.js';

/** What AWS allows in a tag's key and value: letters, digits and spaces in any script, and `+ - = . _ : / @`. */
const TAG_CHARACTERS = /^[\p{L}\p{N}\p{Zs}+\-=._:/@]*$/u;

/** The tags a Tagging document holds, checked as AWS checks them. */
export function parseTagSet(xml: string, limit: number): [string, string][] {
  const tagging = parseXml(xml).Tagging as { TagSet?: unknown } | undefined;
  if (!tagging || typeof tagging !== 'object' || !('TagSet' in tagging)) throw new S3Error('MalformedXML');
  const set = tagging.TagSet;
  if (set !== '' && (typeof set !== 'object' || set === null || Array.isArray(set))) throw new S3Error('MalformedXML');
  const listed = set === '' ? [] : (set as { Tag?: unknown }).Tag;
  const entries = listed === undefined ? [] : Array.isArray(listed) ? listed : [listed];
  if (entries.length > limit) throw new S3Error('InvalidTag', `Cannot provide more than ${limit} tags.`);
  const tags: [string, string][] = [];
  const keys = new Set<string>();
  for (const entry of entries) {
    const { Key: key, Value: text } = (entry ?? {}) as { Key?: unknown; Value?: unknown };
    if (typeof key !== 'string' || typeof text !== 'string') throw new S3Error('MalformedXML');
    if (key.length === 0 || [...key].length > BUCKET_TAG_LIMITS.keyLength || !TAG_CHARACTERS.test(key)) throw new S3Error('InvalidTag', 'The TagKey you have provided is invalid.');
    if ([...text].length > BUCKET_TAG_LIMITS.valueLength || !TAG_CHARACTERS.test(text)) throw new S3Error('InvalidTag', 'The TagValue you have provided is invalid.');
    if (key.toLowerCase().startsWith('aws:')) throw new S3Error('InvalidTag', 'Your TagKey cannot be prefixed with aws:');
    if (keys.has(key)) throw new S3Error('InvalidTag', 'Cannot provide multiple Tags with the same key.');
    keys.add(key);
    tags.push([key, text]);
  }
  return tags;
}

/** A configuration's settings other than its tags (and its stamp, which a change sets anew). */
function withoutTags({ stamp: _stamp, tags: _tags, ...rest }: BucketConfig): Omit<BucketConfig, 'stamp' | 'tags'> {
  return rest;
}

export async function putBucketTagging(req: S3Request): Promise<void> {
  const bucket = requireBucket(req);
  requireBodyIntegrity(req);
  await req.objects.getBucketInfo(bucket);
  const tags = parseTagSet(await readSmallBody(req), BUCKET_TAG_LIMITS.count);
  await req.objects.updateBucketConfig(bucket, (current) => ({ ...withoutTags(current), ...(tags.length > 0 ? { tags } : {}) }));
  req.ctx.status = 204;
}

export async function getBucketTagging(req: S3Request): Promise<void> {
  const { tags } = await req.objects.getBucketConfig(requireBucket(req));
  if (!tags || tags.length === 0) throw new S3Error('NoSuchTagSet');
  sendXml(req.ctx, 'Tagging', { TagSet: { Tag: tags.map(([Key, Value]) => ({ Key, Value })) } });
}

export async function deleteBucketTagging(req: S3Request): Promise<void> {
  const bucket = requireBucket(req);
  const { tags } = await req.objects.getBucketConfig(bucket);
  if (tags) await req.objects.updateBucketConfig(bucket, withoutTags);
  req.ctx.status = 204;
}

export async function getObjectTagging(req: S3Request): Promise<void> {
  const { bucket, key } = requireKey(req);
  await req.objects.getObjectInfo(bucket, key, requestedVersion(req));
  sendXml(req.ctx, 'Tagging', { TagSet: '' });
}
