/**
 * Object Lock in the object layer: a bucket's default retention given to new versions, and the rule
 * that no one deletes a version under retention or legal hold (GOVERNANCE yields to an explicit
 * bypass, COMPLIANCE to nothing) until the retention has passed. The delete checks it under the
 * object's lock against every drive's copy of the version (ErasureSet.deleteVersion).
 */
import { ObjectLayerError } from '../object/errors.js';
import type { BucketConfig } from '../meta/bucket-config.js';
import type { VersionAttributes } from '../meta/record.js';

const DAY_MS = 24 * 60 * 60 * 1000;

/** The attributes a new version in `config`'s bucket starts with: the bucket's default retention unless the write gave one. */
export function newVersionAttributes(config: BucketConfig, given: VersionAttributes = {}, now = Date.now()): VersionAttributes {
  const locking = given.retention !== undefined || given.legalHold !== undefined;
  if (!config.objectLock) {
    if (locking) throw new ObjectLayerError('object-lock-not-enabled', { message: 'Bucket is missing Object Lock Configuration' });
    return given;
  }
  const rule = config.objectLock.defaultRetention;
  if (given.retention !== undefined || !rule) return given;
  // Years are calendar years, as MinIO counts them.
  const until = rule.years !== undefined ? addYears(now, rule.years) : now + (rule.days ?? 0) * DAY_MS;
  return { ...given, retention: { mode: rule.mode, until } };
}

function addYears(at: number, years: number): number {
  const date = new Date(at);
  date.setUTCFullYear(date.getUTCFullYear() + years);
  return date.getTime();
}

/** Whether a delete of a version with these attributes is refused, and why. */
export function deletionRefusal(attributes: VersionAttributes, bypassGovernance: boolean, now = Date.now()): string | undefined {
  if (attributes.legalHold) return 'the object is under a legal hold';
  const retention = attributes.retention;
  if (!retention || retention.until <= now) return undefined;
  if (retention.mode === 'GOVERNANCE' && bypassGovernance) return undefined;
  return `the object is under ${retention.mode} retention until ${new Date(retention.until).toISOString()}`;
}

/** Throws 'object-locked' when `deletionRefusal` refuses. */
export function assertDeletable(attributes: VersionAttributes, bypassGovernance: boolean, now = Date.now()): void {
  const why = deletionRefusal(attributes, bypassGovernance, now);
  if (why) throw new ObjectLayerError('object-locked', { message: `Access Denied because object protected by object lock: ${why}.` });
}
