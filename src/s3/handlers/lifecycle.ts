/**
 * Put/Get/DeleteBucketLifecycleConfiguration: rules with filters (prefix, tags, object size, and
 * their And), Expiration (days, date, expired delete markers), NoncurrentVersionExpiration and
 * AbortIncompleteMultipartUpload, checked as AWS checks them. Transitions have nowhere to go here:
 * NotImplemented. The lifecycle worker (src/lifecycle) enforces what is stored.
 */
import { randomUUID } from 'node:crypto';
import { S3Error } from '../../errors.js';
import { MAX_LIFECYCLE_RULES, type LifecycleFilter, type LifecycleRule } from '../../meta/lifecycle.js';
import { MAX_BUCKET_CONFIG_BYTES } from '../../meta/bucket-config.js';

/** Room left in a bucket's configuration for the rest of it (tags, Object Lock, policies to come). */
const MAX_LIFECYCLE_BYTES = MAX_BUCKET_CONFIG_BYTES / 2;
import { readSmallBody, requireBodyIntegrity } from '../read-body.js';
import { requireBucket, type S3Request } from '../request.js';
import { sendXml } from '../response.js';
import { OBJECT_TAG_LIMITS } from '../tags.js';
import { parseXml } from '../xml.js';

type Element = Record<string, unknown>;

function list(value: unknown): unknown[] {
  return value === undefined ? [] : Array.isArray(value) ? value : [value];
}

function element(value: unknown): Element {
  if (typeof value === 'string' && value.trim() === '') return {};
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new S3Error('MalformedXML');
  return value as Element;
}

/** The most days a rule may count (about a thousand years: beyond, dates leave what a Date holds). */
const MAX_DAYS = 365_000;

function count(value: unknown, what: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const text = typeof value === 'string' ? value.trim() : '';
  if (!/^\d+$/.test(text) || Number(text) < min || Number(text) > max) {
    throw new S3Error('InvalidArgument', `'${what}' must be ${min > 0 ? 'a positive' : 'a non-negative'} integer${max < Number.MAX_SAFE_INTEGER ? ` no greater than ${max}` : ''}`);
  }
  return Number(text);
}

function tagOf(value: unknown): [string, string] {
  const { Key: key, Value: text } = element(value);
  if (typeof key !== 'string' || typeof text !== 'string') throw new S3Error('MalformedXML');
  if (key.length === 0 || [...key].length > OBJECT_TAG_LIMITS.keyLength || [...text].length > OBJECT_TAG_LIMITS.valueLength) throw new S3Error('InvalidTag', 'The TagKey or TagValue you have provided is invalid.');
  return [key, text];
}

/** A Filter element: one condition, or several under And. */
function filterOf(value: unknown): LifecycleFilter {
  const doc = element(value);
  const names = Object.keys(doc);
  if (names.length > 1) throw new S3Error('MalformedXML');
  const conditions = names[0] === 'And' ? element(doc.And) : doc;
  if (names[0] === 'And' && Object.keys(conditions).length === 0) throw new S3Error('MalformedXML');
  const filter: LifecycleFilter = {};
  if (conditions.Prefix !== undefined) {
    if (typeof conditions.Prefix !== 'string' && conditions.Prefix !== '') throw new S3Error('MalformedXML');
    filter.prefix = String(conditions.Prefix);
  }
  const tags = list(conditions.Tag).map(tagOf);
  if (new Set(tags.map(([k]) => k)).size !== tags.length) throw new S3Error('InvalidArgument', 'Duplicate Tag Keys are not allowed.');
  if (tags.length > 0) filter.tags = tags;
  if (conditions.ObjectSizeGreaterThan !== undefined) filter.sizeGreaterThan = count(conditions.ObjectSizeGreaterThan, 'ObjectSizeGreaterThan', 0);
  if (conditions.ObjectSizeLessThan !== undefined) filter.sizeLessThan = count(conditions.ObjectSizeLessThan, 'ObjectSizeLessThan', 1);
  if (filter.sizeGreaterThan !== undefined && filter.sizeLessThan !== undefined && filter.sizeLessThan <= filter.sizeGreaterThan) {
    throw new S3Error('InvalidArgument', 'ObjectSizeGreaterThan must be less than ObjectSizeLessThan.');
  }
  const known = new Set(['Prefix', 'Tag', 'ObjectSizeGreaterThan', 'ObjectSizeLessThan']);
  if (Object.keys(conditions).some((name) => !known.has(name))) throw new S3Error('MalformedXML');
  return filter;
}

function expirationOf(value: unknown): NonNullable<LifecycleRule['expiration']> {
  const doc = element(value);
  const given = ['Days', 'Date', 'ExpiredObjectDeleteMarker'].filter((name) => doc[name] !== undefined);
  if (given.length !== 1) throw new S3Error('MalformedXML');
  if (doc.Days !== undefined) return { days: count(doc.Days, 'Days', 1, MAX_DAYS) };
  if (doc.Date !== undefined) {
    const date = Date.parse(String(doc.Date).trim());
    if (Number.isNaN(date) || date < 0) throw new S3Error('InvalidArgument', "'Date' must be in ISO 8601 format");
    if (date % 86_400_000 !== 0) throw new S3Error('InvalidArgument', "'Date' must be at midnight GMT");
    return { date };
  }
  const marker = String(doc.ExpiredObjectDeleteMarker).trim();
  if (marker !== 'true' && marker !== 'false') throw new S3Error('MalformedXML');
  return { expiredObjectDeleteMarker: marker === 'true' };
}

function ruleOf(value: unknown): LifecycleRule {
  const doc = element(value);
  if (doc.Transition !== undefined || doc.NoncurrentVersionTransition !== undefined) throw new S3Error('NotImplemented', 'Transitions are not supported: Tessera has one storage class for data.');
  const id = doc.ID === undefined ? randomUUID() : String(doc.ID);
  if (id.length > 255) throw new S3Error('InvalidArgument', 'ID length should not exceed allowed limit of 255');
  const status = typeof doc.Status === 'string' ? doc.Status.trim() : undefined;
  if (status !== 'Enabled' && status !== 'Disabled') throw new S3Error('MalformedXML');
  if (doc.Filter !== undefined && doc.Prefix !== undefined) throw new S3Error('MalformedXML');
  const filter = doc.Filter !== undefined ? filterOf(doc.Filter) : doc.Prefix !== undefined ? { prefix: String(doc.Prefix) } : {};
  const rule: LifecycleRule = { id, enabled: status === 'Enabled', filter };
  if (doc.Expiration !== undefined) rule.expiration = expirationOf(doc.Expiration);
  if (doc.NoncurrentVersionExpiration !== undefined) {
    const n = element(doc.NoncurrentVersionExpiration);
    rule.noncurrentVersionExpiration = {
      noncurrentDays: count(n.NoncurrentDays, 'NoncurrentDays', 1, MAX_DAYS),
      ...(n.NewerNoncurrentVersions !== undefined ? { newerNoncurrentVersions: count(n.NewerNoncurrentVersions, 'NewerNoncurrentVersions', 1) } : {}),
    };
  }
  if (doc.AbortIncompleteMultipartUpload !== undefined) {
    if (filter.tags) throw new S3Error('InvalidRequest', 'AbortIncompleteMultipartUpload cannot be specified with Tags.');
    rule.abortIncompleteMultipartUpload = { daysAfterInitiation: count(element(doc.AbortIncompleteMultipartUpload).DaysAfterInitiation, 'DaysAfterInitiation', 1, MAX_DAYS) };
  }
  if (!rule.expiration && !rule.noncurrentVersionExpiration && !rule.abortIncompleteMultipartUpload) {
    throw new S3Error('InvalidRequest', 'At least one action needs to be specified in a rule');
  }
  if (rule.expiration?.expiredObjectDeleteMarker !== undefined && filter.tags) {
    throw new S3Error('InvalidRequest', 'ExpiredObjectDeleteMarker cannot be specified with Tags.');
  }
  return rule;
}

export async function putBucketLifecycle(req: S3Request): Promise<void> {
  const bucket = requireBucket(req);
  requireBodyIntegrity(req);
  await req.objects.getBucketInfo(bucket);
  // Prefixes and tags are taken as sent: a prefix 'tmp ' does not cover 'tmpfile'.
  const doc = parseXml(await readSmallBody(req), true).LifecycleConfiguration;
  if (doc === undefined) throw new S3Error('MalformedXML');
  const rules = list(element(doc).Rule).map(ruleOf);
  if (rules.length === 0 || rules.length > MAX_LIFECYCLE_RULES) throw new S3Error('MalformedXML');
  if (new Set(rules.map((r) => r.id)).size !== rules.length) throw new S3Error('InvalidArgument', 'Rule ID must be unique. Found same ID for more than one rule');
  // A bucket's configuration has a size limit of its own (what a drive keeps for it).
  if (Buffer.byteLength(JSON.stringify(rules)) > MAX_LIFECYCLE_BYTES) throw new S3Error('InvalidRequest', 'The lifecycle configuration is too large.');
  await req.objects.updateBucketConfig(bucket, ({ stamp: _stamp, ...current }) => ({ ...current, lifecycle: rules }));
  req.ctx.status = 200;
  req.ctx.body = '';
}

function filterXml(filter: LifecycleFilter): Element {
  const conditions: Element = {
    ...(filter.prefix !== undefined ? { Prefix: filter.prefix } : {}),
    ...(filter.tags ? { Tag: filter.tags.map(([Key, Value]) => ({ Key, Value })) } : {}),
    ...(filter.sizeGreaterThan !== undefined ? { ObjectSizeGreaterThan: filter.sizeGreaterThan } : {}),
    ...(filter.sizeLessThan !== undefined ? { ObjectSizeLessThan: filter.sizeLessThan } : {}),
  };
  const parts = (filter.prefix !== undefined ? 1 : 0) + (filter.tags?.length ?? 0) + (filter.sizeGreaterThan !== undefined ? 1 : 0) + (filter.sizeLessThan !== undefined ? 1 : 0);
  return parts > 1 ? { And: conditions } : conditions;
}

export async function getBucketLifecycle(req: S3Request): Promise<void> {
  const { lifecycle } = await req.objects.getBucketConfig(requireBucket(req));
  if (!lifecycle || lifecycle.length === 0) throw new S3Error('NoSuchLifecycleConfiguration');
  sendXml(req.ctx, 'LifecycleConfiguration', {
    Rule: lifecycle.map((rule) => ({
      ID: rule.id,
      Filter: filterXml(rule.filter),
      Status: rule.enabled ? 'Enabled' : 'Disabled',
      ...(rule.expiration
        ? {
            Expiration:
              rule.expiration.days !== undefined
                ? { Days: rule.expiration.days }
                : rule.expiration.date !== undefined
                  ? { Date: new Date(rule.expiration.date).toISOString() }
                  : { ExpiredObjectDeleteMarker: rule.expiration.expiredObjectDeleteMarker === true },
          }
        : {}),
      ...(rule.noncurrentVersionExpiration
        ? { NoncurrentVersionExpiration: { NoncurrentDays: rule.noncurrentVersionExpiration.noncurrentDays, NewerNoncurrentVersions: rule.noncurrentVersionExpiration.newerNoncurrentVersions } }
        : {}),
      ...(rule.abortIncompleteMultipartUpload ? { AbortIncompleteMultipartUpload: { DaysAfterInitiation: rule.abortIncompleteMultipartUpload.daysAfterInitiation } } : {}),
    })),
  });
}

export async function deleteBucketLifecycle(req: S3Request): Promise<void> {
  const bucket = requireBucket(req);
  const { lifecycle } = await req.objects.getBucketConfig(bucket);
  if (lifecycle) await req.objects.updateBucketConfig(bucket, ({ stamp: _stamp, lifecycle: _rules, ...current }) => current);
  req.ctx.status = 204;
}
