/**
 * A bucket's settings through S3: versioning and Object Lock, the bucket policy, lifecycle rules.
 * Bodies S3 wants a digest of carry x-amz-checksum-sha256 (see xmlRequest).
 */
import { ApiError, send } from './http.js';
import { children, childText, escapeXml, objectPath, s3Xml, xmlRequest } from './s3.js';
import type { Session } from './session.js';

/** PUTs an XML configuration to `?<subresource>`, with the checksum S3 requires of it. */
async function putXml(session: Session, bucket: string, subresource: string, body: string, permission: string): Promise<void> {
  await send(session, xmlRequest({ method: 'PUT', path: objectPath(bucket), query: { [subresource]: '' }, body, permission }));
}

/** Answers undefined when the call fails with `absent` (the bucket has no such configuration). */
async function unlessAbsent<T>(call: Promise<T>, absent: string): Promise<T | undefined> {
  try {
    return await call;
  } catch (err) {
    if (err instanceof ApiError && err.code === absent) return undefined;
    throw err;
  }
}

// Object Lock (versioning: s3.ts)

export interface ObjectLockState {
  enabled: boolean;
  /** The default retention new objects get, e.g. "GOVERNANCE 30 days". */
  defaultRetention?: string;
}

export async function getObjectLock(session: Session, bucket: string): Promise<ObjectLockState> {
  const root = await unlessAbsent(
    s3Xml(session, { method: 'GET', path: objectPath(bucket), query: { 'object-lock': '' }, permission: 's3:GetBucketObjectLockConfiguration' }),
    'ObjectLockConfigurationNotFoundError',
  );
  if (!root) return { enabled: false };
  const retention = children(children(root, 'Rule')[0] ?? root, 'DefaultRetention')[0];
  const period = retention && (childText(retention, 'Days') ? `${childText(retention, 'Days')} days` : `${childText(retention, 'Years')} years`);
  return { enabled: childText(root, 'ObjectLockEnabled') === 'Enabled', defaultRetention: retention ? `${childText(retention, 'Mode')} ${period}` : undefined };
}

// The bucket policy

/** The policy's text, undefined when the bucket has none. */
export async function getBucketPolicy(session: Session, bucket: string): Promise<string | undefined> {
  const response = await unlessAbsent(send(session, { method: 'GET', path: objectPath(bucket), query: { policy: '' }, permission: 's3:GetBucketPolicy' }), 'NoSuchBucketPolicy');
  return response ? response.text() : undefined;
}

export async function putBucketPolicy(session: Session, bucket: string, text: string): Promise<void> {
  await send(session, { method: 'PUT', path: objectPath(bucket), query: { policy: '' }, headers: { 'content-type': 'application/json' }, body: text, permission: 's3:PutBucketPolicy' });
}

export async function deleteBucketPolicy(session: Session, bucket: string): Promise<void> {
  await send(session, { method: 'DELETE', path: objectPath(bucket), query: { policy: '' }, permission: 's3:DeleteBucketPolicy' });
}

// Lifecycle

/** The parts of a lifecycle rule the console edits; others (tags, sizes, dates) are kept as they came. */
export interface LifecycleRule {
  id: string;
  enabled: boolean;
  prefix: string;
  expirationDays?: number;
  noncurrentDays?: number;
  abortIncompleteDays?: number;
  /** The rule's XML as read, to write back unchanged when it was not made here. */
  xml?: string;
}

const numberIn = (parent: Element | undefined, name: string): number | undefined => {
  const text = parent && childText(parent, name);
  return text ? Number(text) : undefined;
};

function ruleOf(element: Element): LifecycleRule {
  const filter = children(element, 'Filter')[0];
  const and = filter && children(filter, 'And')[0];
  const prefix = (and && childText(and, 'Prefix')) ?? (filter && childText(filter, 'Prefix')) ?? childText(element, 'Prefix') ?? '';
  return {
    id: childText(element, 'ID') ?? '',
    enabled: childText(element, 'Status') === 'Enabled',
    prefix,
    expirationDays: numberIn(children(element, 'Expiration')[0], 'Days'),
    noncurrentDays: numberIn(children(element, 'NoncurrentVersionExpiration')[0], 'NoncurrentDays'),
    abortIncompleteDays: numberIn(children(element, 'AbortIncompleteMultipartUpload')[0], 'DaysAfterInitiation'),
    xml: new XMLSerializer().serializeToString(element).replace(/ xmlns="[^"]*"/, ''),
  };
}

export async function getLifecycle(session: Session, bucket: string): Promise<LifecycleRule[]> {
  const root = await unlessAbsent(
    s3Xml(session, { method: 'GET', path: objectPath(bucket), query: { lifecycle: '' }, permission: 's3:GetLifecycleConfiguration' }),
    'NoSuchLifecycleConfiguration',
  );
  return root ? children(root, 'Rule').map(ruleOf) : [];
}

function ruleXml(rule: LifecycleRule): string {
  if (rule.xml) return rule.xml;
  const parts = [`<ID>${escapeXml(rule.id)}</ID>`, `<Filter><Prefix>${escapeXml(rule.prefix)}</Prefix></Filter>`, `<Status>${rule.enabled ? 'Enabled' : 'Disabled'}</Status>`];
  if (rule.expirationDays) parts.push(`<Expiration><Days>${rule.expirationDays}</Days></Expiration>`);
  if (rule.noncurrentDays) parts.push(`<NoncurrentVersionExpiration><NoncurrentDays>${rule.noncurrentDays}</NoncurrentDays></NoncurrentVersionExpiration>`);
  if (rule.abortIncompleteDays) parts.push(`<AbortIncompleteMultipartUpload><DaysAfterInitiation>${rule.abortIncompleteDays}</DaysAfterInitiation></AbortIncompleteMultipartUpload>`);
  return `<Rule>${parts.join('')}</Rule>`;
}

/** Replaces the bucket's lifecycle configuration with `rules` (none: deletes it). */
export async function putLifecycle(session: Session, bucket: string, rules: LifecycleRule[]): Promise<void> {
  if (rules.length === 0) {
    await send(session, { method: 'DELETE', path: objectPath(bucket), query: { lifecycle: '' }, permission: 's3:PutLifecycleConfiguration' });
    return;
  }
  const body = `<LifecycleConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">${rules.map(ruleXml).join('')}</LifecycleConfiguration>`;
  await putXml(session, bucket, 'lifecycle', body, 's3:PutLifecycleConfiguration');
}
