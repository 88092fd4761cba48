/**
 * Object Lock: Put/GetObjectLockConfiguration (a bucket's default retention), Put/GetObjectRetention
 * and Put/GetObjectLegalHold (of the current version, or by versionId). A retention is changed under
 * the object's lock (ObjectLayer.updateObjectAttributes): COMPLIANCE is only ever extended, GOVERNANCE
 * is shortened or removed only with x-amz-bypass-governance-retention.
 */
import { S3Error } from '../../errors.js';
import { MAX_RETENTION_DAYS, type BucketConfig, type DefaultRetention } from '../../meta/bucket-config.js';
import type { ObjectInfo, Retention, VersionAttributes } from '../../object/types.js';
import { bypassesGovernance, requestedVersion, requireKey } from '../object-request.js';
import { legalHoldStatus, retainUntil, retentionMode } from '../object-lock.js';
import { readSmallBody, requireBodyIntegrity } from '../read-body.js';
import { requireBucket, type S3Request } from '../request.js';
import { sendXml, setVersionHeader } from '../response.js';
import { parseXml } from '../xml.js';

const NOT_ENABLED = 'Bucket is missing Object Lock Configuration';

/** A document's root element, which must be an element (not text). */
function rootOf(text: string, name: string): Record<string, unknown> {
  const root = parseXml(text)[name];
  if (root === undefined || (root !== '' && (typeof root !== 'object' || root === null || Array.isArray(root)))) throw new S3Error('MalformedXML');
  return root === '' ? {} : (root as Record<string, unknown>);
}

function defaultRetention(rule: unknown): DefaultRetention | undefined {
  if (rule === undefined) return undefined;
  const retention = typeof rule === 'object' && rule !== null ? (rule as { DefaultRetention?: unknown }).DefaultRetention : undefined;
  if (typeof retention !== 'object' || retention === null) throw new S3Error('MalformedXML');
  const { Mode: mode, Days: days, Years: years } = retention as Record<string, unknown>;
  if (typeof mode !== 'string' || (days === undefined) === (years === undefined)) throw new S3Error('MalformedXML');
  const period = Number(days ?? years);
  if (!/^\d+$/.test(String(days ?? years)) || period < 1) throw new S3Error('InvalidArgument', 'Default retention period must be a positive integer value.');
  if ((days !== undefined && period > MAX_RETENTION_DAYS) || (years !== undefined && period > 100)) throw new S3Error('InvalidArgument', 'Default retention period too large.');
  return { mode: retentionMode(mode), ...(days !== undefined ? { days: period } : { years: period }) };
}

export async function putObjectLockConfiguration(req: S3Request): Promise<void> {
  const bucket = requireBucket(req);
  requireBodyIntegrity(req);
  await req.objects.getBucketInfo(bucket);
  const doc = rootOf(await readSmallBody(req), 'ObjectLockConfiguration');
  if (doc.ObjectLockEnabled !== 'Enabled') throw new S3Error('MalformedXML');
  const rule = defaultRetention(doc.Rule);
  await req.objects.updateBucketConfig(bucket, ({ stamp: _stamp, ...config }) => {
    // Checked under the configuration's lock: a suspension just acknowledged is not undone.
    if (!config.objectLock && config.versioning !== 'Enabled') {
      throw new S3Error('InvalidBucketState', "Versioning must be 'Enabled' on the bucket to apply a Object Lock configuration");
    }
    return { ...config, objectLock: rule ? { defaultRetention: rule } : {} };
  });
  req.ctx.status = 200;
  req.ctx.body = '';
}

export async function getObjectLockConfiguration(req: S3Request): Promise<void> {
  const { objectLock } = await req.objects.getBucketConfig(requireBucket(req));
  if (!objectLock) throw new S3Error('ObjectLockConfigurationNotFoundError');
  const rule = objectLock.defaultRetention;
  sendXml(req.ctx, 'ObjectLockConfiguration', {
    ObjectLockEnabled: 'Enabled',
    ...(rule ? { Rule: { DefaultRetention: { Mode: rule.mode, ...(rule.days !== undefined ? { Days: rule.days } : { Years: rule.years }) } } } : {}),
  });
}

/** The bucket's configuration, which must have Object Lock for the retention and legal-hold APIs. */
async function lockedBucket(req: S3Request, bucket: string): Promise<BucketConfig> {
  const config = await req.objects.getBucketConfig(bucket);
  if (!config.objectLock) throw new S3Error('InvalidRequest', NOT_ENABLED);
  return config;
}

/** Whether `next` may replace `current` (an active retention), by S3's rules. */
function checkRetentionChange(current: Retention | undefined, next: Retention | undefined, bypass: boolean, now = Date.now()): void {
  if (!current || current.until <= now) return;
  const weakens = !next || next.until < current.until || (current.mode === 'COMPLIANCE' && next.mode !== 'COMPLIANCE');
  if (!weakens) return;
  if (current.mode === 'GOVERNANCE' && bypass) return;
  throw new S3Error('AccessDenied', 'Access Denied because object protected by object lock.');
}

export async function putObjectRetention(req: S3Request): Promise<void> {
  const { bucket, key } = requireKey(req);
  const versionId = requestedVersion(req);
  requireBodyIntegrity(req);
  await lockedBucket(req, bucket);
  const doc = rootOf(await readSmallBody(req), 'Retention');
  const { Mode: mode, RetainUntilDate: date } = doc;
  if ((mode === undefined) !== (date === undefined) || (mode !== undefined && (typeof mode !== 'string' || typeof date !== 'string'))) throw new S3Error('MalformedXML');
  const next: Retention | undefined = mode === undefined ? undefined : { mode: retentionMode(mode as string), until: retainUntil(date as string) };
  const bypass = await bypassesGovernance(req, { bucket, key, versionId });
  await changeVersion(req, bucket, key, versionId, (current: ObjectInfo) => {
    checkRetentionChange(current.retention, next, bypass);
    return { retention: next };
  });
}

/** Changes a version's Object Lock settings under the object's lock, and answers with its id. */
async function changeVersion(req: S3Request, bucket: string, key: string, versionId: string | undefined, change: (current: ObjectInfo) => VersionAttributes): Promise<void> {
  const info = await req.objects.updateObjectAttributes(bucket, key, versionId, change);
  setVersionHeader(req.ctx, info);
  req.ctx.status = 200;
  req.ctx.body = '';
}

export async function getObjectRetention(req: S3Request): Promise<void> {
  const { bucket, key } = requireKey(req);
  await lockedBucket(req, bucket);
  const info = await req.objects.getObjectInfo(bucket, key, requestedVersion(req));
  if (!info.retention) throw new S3Error('NoSuchObjectLockConfiguration');
  setVersionHeader(req.ctx, info);
  sendXml(req.ctx, 'Retention', { Mode: info.retention.mode, RetainUntilDate: new Date(info.retention.until).toISOString() });
}

export async function putObjectLegalHold(req: S3Request): Promise<void> {
  const { bucket, key } = requireKey(req);
  const versionId = requestedVersion(req);
  requireBodyIntegrity(req);
  await lockedBucket(req, bucket);
  const { Status: status } = rootOf(await readSmallBody(req), 'LegalHold');
  if (typeof status !== 'string') throw new S3Error('MalformedXML');
  const legalHold = legalHoldStatus(status);
  await changeVersion(req, bucket, key, versionId, () => ({ legalHold }));
}

export async function getObjectLegalHold(req: S3Request): Promise<void> {
  const { bucket, key } = requireKey(req);
  await lockedBucket(req, bucket);
  const info = await req.objects.getObjectInfo(bucket, key, requestedVersion(req));
  if (info.legalHold === undefined) throw new S3Error('NoSuchObjectLockConfiguration');
  setVersionHeader(req.ctx, info);
  sendXml(req.ctx, 'LegalHold', { Status: info.legalHold ? 'ON' : 'OFF' });
}
