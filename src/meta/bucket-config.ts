/**
 * A bucket's configuration (tags, versioning, Object Lock, lifecycle, policy, Block Public Access,
 * owner, Object Ownership and ACL), as
 * every drive of the pool keeps it beside the bucket's entry. A change is written with a greater
 * stamp than the configuration it was made from, and a drive keeps only the greatest stamp it was
 * given: so copies converge on the newest, whatever order changes and heals reach a drive in.
 */
import { OBJECT_OWNERSHIPS, isGrants, isOwner, type Grant, type ObjectOwnership, type Owner } from './acl.js';
import { isLifecycleRules, type LifecycleRule } from './lifecycle.js';

export interface BucketConfig {
  /** Orders a bucket's configurations: greater is newer. */
  stamp: number;
  /** Bucket tags, in the order they were put. */
  tags?: [string, string][];
  /** Absent until versioning is first set; never absent again (it can be suspended, not turned off). */
  versioning?: 'Enabled' | 'Suspended';
  /** Object Lock, once enabled (it cannot be turned off), with the retention new versions get by default. */
  objectLock?: { defaultRetention?: DefaultRetention };
  /** Lifecycle rules, enforced by the lifecycle worker (src/lifecycle). */
  lifecycle?: LifecycleRule[];
  /** The bucket policy as the client gave it (JSON text; src/iam parses and enforces it). */
  policy?: string;
  /** S3's Block Public Access settings. */
  publicAccessBlock?: PublicAccessBlockConfig;
  /** Who made the bucket (absent for buckets made before owners were kept: the root user's). */
  owner?: Owner;
  /** S3 Object Ownership; absent means BucketOwnerEnforced (ACLs off), 'unset' that the controls were deleted (ACLs on, as ObjectWriter). */
  ownership?: ObjectOwnership | 'unset';
  /** The bucket's ACL grants (its owner is `owner`). */
  acl?: Grant[];
}

export interface PublicAccessBlockConfig {
  BlockPublicAcls: boolean;
  IgnorePublicAcls: boolean;
  BlockPublicPolicy: boolean;
  RestrictPublicBuckets: boolean;
}

export const PUBLIC_ACCESS_BLOCK_FIELDS = ['BlockPublicAcls', 'IgnorePublicAcls', 'BlockPublicPolicy', 'RestrictPublicBuckets'] as const;

function isPublicAccessBlock(value: unknown): value is PublicAccessBlockConfig {
  if (typeof value !== 'object' || value === null) return false;
  const fields = Object.keys(value);
  return fields.length === PUBLIC_ACCESS_BLOCK_FIELDS.length && PUBLIC_ACCESS_BLOCK_FIELDS.every((f) => typeof (value as Record<string, unknown>)[f] === 'boolean');
}

/** The largest bucket policy AWS takes (20 KiB). */
export const MAX_BUCKET_POLICY_BYTES = 20 * 1024;

export type RetentionMode = 'GOVERNANCE' | 'COMPLIANCE';

/** A bucket's default retention: a mode and a period of whole days or years. */
export interface DefaultRetention {
  mode: RetentionMode;
  days?: number;
  years?: number;
}

/** The longest default retention AWS takes (100 years). */
export const MAX_RETENTION_DAYS = 36_500;

function isDefaultRetention(value: unknown): value is DefaultRetention {
  if (typeof value !== 'object' || value === null) return false;
  const { mode, days, years, ...rest } = value as Record<string, unknown>;
  if (Object.keys(rest).length > 0 || (mode !== 'GOVERNANCE' && mode !== 'COMPLIANCE')) return false;
  const period = (n: unknown, max: number): boolean => Number.isSafeInteger(n) && (n as number) >= 1 && (n as number) <= max;
  return (days !== undefined) !== (years !== undefined) && (days === undefined || period(days, MAX_RETENTION_DAYS)) && (years === undefined || period(years, 100));
}

/** AWS's limits for bucket tags (PutBucketTagging). */
export const BUCKET_TAG_LIMITS = { count: 50, keyLength: 128, valueLength: 256 } as const;

/** The most a stored configuration may take (a drive refuses more). */
export const MAX_BUCKET_CONFIG_BYTES = 256 * 1024;

const CONFIG_FIELDS = new Set(['stamp', 'tags', 'versioning', 'objectLock', 'lifecycle', 'policy', 'publicAccessBlock', 'owner', 'ownership', 'acl']);

/** Whether `value` has the shape of a configuration (a drive checks what it is given before storing it). */
export function isBucketConfig(value: unknown): value is BucketConfig {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const config = value as Record<string, unknown>;
  if (!Number.isSafeInteger(config.stamp) || (config.stamp as number) < 1) return false;
  for (const field of Object.keys(config)) if (!CONFIG_FIELDS.has(field)) return false;
  if (config.versioning !== undefined && config.versioning !== 'Enabled' && config.versioning !== 'Suspended') return false;
  if (config.lifecycle !== undefined && !isLifecycleRules(config.lifecycle)) return false;
  if (config.policy !== undefined && (typeof config.policy !== 'string' || Buffer.byteLength(config.policy) > MAX_BUCKET_POLICY_BYTES)) return false;
  if (config.publicAccessBlock !== undefined && !isPublicAccessBlock(config.publicAccessBlock)) return false;
  if (config.owner !== undefined && !isOwner(config.owner)) return false;
  if (config.ownership !== undefined && config.ownership !== 'unset' && !OBJECT_OWNERSHIPS.includes(config.ownership as ObjectOwnership)) return false;
  if (config.acl !== undefined && !isGrants(config.acl)) return false;
  if (config.objectLock !== undefined) {
    const lock = config.objectLock as Record<string, unknown> | null;
    if (typeof lock !== 'object' || lock === null || Object.keys(lock).some((k) => k !== 'defaultRetention')) return false;
    if (lock.defaultRetention !== undefined && !isDefaultRetention(lock.defaultRetention)) return false;
  }
  if (config.tags !== undefined) {
    if (!Array.isArray(config.tags) || config.tags.length > BUCKET_TAG_LIMITS.count) return false;
    for (const tag of config.tags) {
      if (!Array.isArray(tag) || tag.length !== 2 || typeof tag[0] !== 'string' || typeof tag[1] !== 'string') return false;
      if (tag[0].length === 0 || [...tag[0]].length > BUCKET_TAG_LIMITS.keyLength || [...tag[1]].length > BUCKET_TAG_LIMITS.valueLength) return false;
    }
  }
  return true;
}
