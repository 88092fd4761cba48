/**
 * Anonymous access levels in a bucket policy, as mc names them (none, download, upload, public), for
 * a bucket or a prefix: read from a policy's statements and written back as statements. Pure (no
 * Node), so the CLI (`tessera anonymous`) and the web console share it.
 *
 * The canned levels grant everyone ({"AWS": ["*"]}), for BUCKET[/PREFIX]:
 *   download  s3:GetBucketLocation and s3:ListBucket on the bucket (ListBucket only for s3:prefix
 *             PREFIX when there is one), s3:GetObject on BUCKET/PREFIX*
 *   upload    s3:GetBucketLocation and s3:ListBucketMultipartUploads on the bucket; s3:PutObject,
 *             s3:AbortMultipartUpload, s3:DeleteObject, s3:ListMultipartUploadParts on BUCKET/PREFIX*
 *   public    both
 *   none      neither
 *
 * The policy is read as grants: every statement of the canned shape (Allow, everyone, no Sid, only
 * the actions above on the bucket or on BUCKET/PREFIX*, a condition only as StringEquals s3:prefix on
 * ListBucket) is split into (action, prefix) grants; every other statement is kept untouched. Setting
 * a level replaces one prefix's grants; writing the grants back gives statements (bucket-wide ones
 * shared), followed by the untouched statements, or nothing when nothing is left.
 */

/** A bucket policy that cannot be read as grants: not JSON, or not a policy document. */
export class UnreadablePolicyError extends Error {}

export const LEVELS = ['none', 'download', 'upload', 'public'] as const;
export type CannedLevel = (typeof LEVELS)[number];
export type Level = CannedLevel | 'custom';

const GET_BUCKET_LOCATION = 's3:GetBucketLocation';
const LIST_BUCKET = 's3:ListBucket';
const LIST_UPLOADS = 's3:ListBucketMultipartUploads';
const DOWNLOAD_OBJECT_ACTIONS = ['s3:GetObject'];
const UPLOAD_OBJECT_ACTIONS = ['s3:AbortMultipartUpload', 's3:DeleteObject', 's3:ListMultipartUploadParts', 's3:PutObject'];
const OBJECT_ACTIONS = [...DOWNLOAD_OBJECT_ACTIONS, ...UPLOAD_OBJECT_ACTIONS];
/** Bucket-wide actions (no prefix): shared by every prefix that has a level. */
const SHARED_BUCKET_ACTIONS = [GET_BUCKET_LOCATION, LIST_UPLOADS];
const BUCKET_ACTIONS = [...SHARED_BUCKET_ACTIONS, LIST_BUCKET];
const S3_ARN = 'arn:aws:s3:::';

type Statement = Record<string, unknown>;

export interface PolicyDocument {
  Version?: unknown;
  Id?: unknown;
  Statement: Statement[];
}

/** A policy split into canned-shape grants and the statements left as they are. */
export interface AnonymousGrants {
  /** Actions on BUCKET/PREFIX*, by prefix. */
  objects: Map<string, Set<string>>;
  /** Prefixes everyone may list (s3:ListBucket with StringEquals s3:prefix). */
  listPrefixes: Set<string>;
  /** Bucket-wide actions: GetBucketLocation, ListBucketMultipartUploads, and ListBucket without a condition. */
  bucket: Set<string>;
  /** Statements of any other shape, kept in order. */
  others: Statement[];
  version: unknown;
  id: unknown;
}

function asList(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [value];
}

/** The canonical spelling of an action of `known` (actions compare case-insensitively), or undefined. */
function knownAction(action: unknown, known: readonly string[]): string | undefined {
  if (typeof action !== 'string') return undefined;
  return known.find((a) => a.toLowerCase() === action.toLowerCase());
}

function isEveryone(principal: unknown): boolean {
  if (principal === '*') return true;
  if (typeof principal !== 'object' || principal === null || Array.isArray(principal)) return false;
  const entries = Object.entries(principal);
  return entries.length === 1 && entries[0][0] === 'AWS' && asList(entries[0][1]).length > 0 && asList(entries[0][1]).every((p) => p === '*');
}

/** The prefix of `arn:aws:s3:::BUCKET/PREFIX*` (no other wildcard), or undefined. */
function objectPrefix(resource: unknown, bucket: string): string | undefined {
  const head = `${S3_ARN}${bucket}/`;
  if (typeof resource !== 'string' || !resource.startsWith(head) || !resource.endsWith('*')) return undefined;
  const prefix = resource.slice(head.length, -1);
  return /[*?]/.test(prefix) ? undefined : prefix;
}

/** The prefixes of a condition that is exactly {StringEquals: {s3:prefix: ...}}, or undefined. */
function prefixCondition(condition: unknown): string[] | undefined {
  if (typeof condition !== 'object' || condition === null || Array.isArray(condition)) return undefined;
  const operators = Object.entries(condition);
  if (operators.length !== 1 || operators[0][0] !== 'StringEquals') return undefined;
  const keys = operators[0][1];
  if (typeof keys !== 'object' || keys === null || Array.isArray(keys)) return undefined;
  const entries = Object.entries(keys);
  if (entries.length !== 1 || entries[0][0].toLowerCase() !== 's3:prefix') return undefined;
  const values = asList(entries[0][1]);
  return values.length > 0 && values.every((v): v is string => typeof v === 'string') ? values : undefined;
}

/** Adds the grants of a canned-shape statement to `grants`; false (adding nothing) for any other statement. */
function absorb(statement: Statement, bucket: string, grants: AnonymousGrants): boolean {
  const allowed = new Set(['Effect', 'Principal', 'Action', 'Resource', 'Condition']);
  if (Object.keys(statement).some((k) => !allowed.has(k))) return false;
  if (statement.Effect !== 'Allow' || !isEveryone(statement.Principal)) return false;
  const actions = asList(statement.Action);
  const resources = asList(statement.Resource);
  if (actions.length === 0 || resources.length === 0) return false;
  const bucketArn = `${S3_ARN}${bucket}`;
  if (resources.every((r) => r === bucketArn)) {
    const named = actions.map((a) => knownAction(a, BUCKET_ACTIONS));
    if (named.some((a) => a === undefined)) return false;
    if (statement.Condition !== undefined) {
      const prefixes = prefixCondition(statement.Condition);
      if (!prefixes || named.some((a) => a !== LIST_BUCKET)) return false;
      for (const p of prefixes) grants.listPrefixes.add(p);
      return true;
    }
    for (const a of named) grants.bucket.add(a!);
    return true;
  }
  if (statement.Condition !== undefined) return false;
  const prefixes = resources.map((r) => objectPrefix(r, bucket));
  const named = actions.map((a) => knownAction(a, OBJECT_ACTIONS));
  if (prefixes.some((p) => p === undefined) || named.some((a) => a === undefined)) return false;
  for (const p of prefixes) {
    const set = grants.objects.get(p!) ?? new Set<string>();
    for (const a of named) set.add(a!);
    grants.objects.set(p!, set);
  }
  return true;
}

/** Parses a bucket policy's text (undefined: the bucket has none) into grants. */
export function readGrants(text: string | undefined, bucket: string): AnonymousGrants {
  const grants: AnonymousGrants = { objects: new Map(), listPrefixes: new Set(), bucket: new Set(), others: [], version: undefined, id: undefined };
  if (text === undefined || text.trim() === '') return grants;
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw new UnreadablePolicyError('not JSON');
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw new UnreadablePolicyError('not a policy document');
  const { Version, Id, Statement } = doc as Record<string, unknown>;
  grants.version = Version;
  grants.id = Id;
  for (const s of Statement === undefined ? [] : asList(Statement)) {
    if (typeof s === 'object' && s !== null && !Array.isArray(s) && absorb(s as Statement, bucket, grants)) continue;
    grants.others.push(s as Statement);
  }
  return grants;
}

const sameSet = (set: Set<string>, list: readonly string[]): boolean => set.size === list.length && list.every((a) => set.has(a));

/** Whether an untouched statement lets everyone at objects under `prefix` (or at the bucket with no prefix). */
function othersTouch(others: Statement[], bucket: string, prefix: string): boolean {
  return others.some((s) => {
    if (typeof s !== 'object' || s === null) return false;
    if (s.Effect !== 'Allow' || !isEveryone(s.Principal)) return false;
    const at = `${S3_ARN}${bucket}/${prefix}`;
    return asList(s.Resource ?? '*').some((r) => {
      if (typeof r !== 'string') return false;
      if (r === '*' || r === `${S3_ARN}*` || (prefix === '' && r === `${S3_ARN}${bucket}`)) return true;
      const head = r.split(/[*?]/)[0];
      return head.startsWith(at) || at.startsWith(head);
    });
  });
}

/** The level everyone has at `prefix`: a canned one when the grants are exactly that, else custom. */
export function levelOf(grants: AnonymousGrants, bucket: string, prefix: string): Level {
  const objects = grants.objects.get(prefix) ?? new Set<string>();
  const canList = grants.listPrefixes.has(prefix) || grants.bucket.has(LIST_BUCKET);
  const hasListForPrefix = grants.listPrefixes.has(prefix) || (prefix === '' && grants.bucket.has(LIST_BUCKET));
  let level: Level;
  if (objects.size === 0) level = hasListForPrefix ? 'custom' : 'none';
  else if (sameSet(objects, DOWNLOAD_OBJECT_ACTIONS)) level = canList ? 'download' : 'custom';
  else if (sameSet(objects, UPLOAD_OBJECT_ACTIONS)) level = grants.bucket.has(LIST_UPLOADS) && !hasListForPrefix ? 'upload' : 'custom';
  else if (sameSet(objects, OBJECT_ACTIONS)) level = canList && grants.bucket.has(LIST_UPLOADS) ? 'public' : 'custom';
  else level = 'custom';
  if (level !== 'custom' && othersTouch(grants.others, bucket, prefix)) return 'custom';
  return level;
}

/** Gives `prefix` the canned `level` (dropping whatever grants it had), and the bucket-wide grants the result needs. */
export function setLevel(grants: AnonymousGrants, prefix: string, level: CannedLevel): void {
  grants.objects.delete(prefix);
  grants.listPrefixes.delete(prefix);
  if (prefix === '') grants.bucket.delete(LIST_BUCKET);
  const download = level === 'download' || level === 'public';
  const upload = level === 'upload' || level === 'public';
  const actions = [...(download ? DOWNLOAD_OBJECT_ACTIONS : []), ...(upload ? UPLOAD_OBJECT_ACTIONS : [])];
  if (actions.length > 0) grants.objects.set(prefix, new Set(actions));
  if (download) {
    if (prefix === '') grants.bucket.add(LIST_BUCKET);
    else grants.listPrefixes.add(prefix);
  }
  // Bucket-wide grants follow what is left: location for any level, upload listing for any writer.
  const anyObjects = grants.objects.size > 0;
  const anyWriter = [...grants.objects.values()].some((set) => set.has('s3:PutObject'));
  for (const [action, needed] of [
    [GET_BUCKET_LOCATION, anyObjects],
    [LIST_UPLOADS, anyWriter],
  ] as const) {
    if (needed) grants.bucket.add(action);
    else grants.bucket.delete(action);
  }
  if (!anyObjects && grants.listPrefixes.size === 0) grants.bucket.delete(LIST_BUCKET);
}

const EVERYONE = { AWS: ['*'] };

/** The grants as a policy document (canned statements first, then the untouched ones); undefined when empty. */
export function writeGrants(grants: AnonymousGrants, bucket: string): PolicyDocument | undefined {
  const statements: Statement[] = [];
  const bucketArn = `${S3_ARN}${bucket}`;
  const bucketActions = BUCKET_ACTIONS.filter((a) => grants.bucket.has(a));
  if (bucketActions.length > 0) statements.push({ Effect: 'Allow', Principal: EVERYONE, Action: bucketActions, Resource: [bucketArn] });
  if (grants.listPrefixes.size > 0) {
    statements.push({ Effect: 'Allow', Principal: EVERYONE, Action: [LIST_BUCKET], Resource: [bucketArn], Condition: { StringEquals: { 's3:prefix': [...grants.listPrefixes].sort() } } });
  }
  // Prefixes with the same actions share a statement.
  const byActions = new Map<string, { actions: string[]; prefixes: string[] }>();
  for (const prefix of [...grants.objects.keys()].sort()) {
    const actions = OBJECT_ACTIONS.filter((a) => grants.objects.get(prefix)!.has(a)).sort();
    const key = actions.join(',');
    const entry = byActions.get(key) ?? { actions, prefixes: [] };
    entry.prefixes.push(prefix);
    byActions.set(key, entry);
  }
  for (const { actions, prefixes } of byActions.values()) {
    statements.push({ Effect: 'Allow', Principal: EVERYONE, Action: actions, Resource: prefixes.map((p) => `${bucketArn}/${p}*`) });
  }
  statements.push(...grants.others);
  if (statements.length === 0) return undefined;
  return { Version: grants.version ?? '2012-10-17', ...(grants.id !== undefined ? { Id: grants.id } : {}), Statement: statements };
}

export function isLevel(text: string): text is CannedLevel {
  return (LEVELS as readonly string[]).includes(text);
}

/** Every prefix the grants name (the bucket itself as ''), sorted. */
export function prefixesOf(grants: AnonymousGrants): string[] {
  const prefixes = new Set<string>([...grants.objects.keys(), ...grants.listPrefixes]);
  if (grants.bucket.has(LIST_BUCKET)) prefixes.add('');
  return [...prefixes].sort();
}

/** Object resources of untouched statements that let everyone in: listed as custom. */
export function otherPublicResources(grants: AnonymousGrants, bucket: string): string[] {
  const found = new Set<string>();
  for (const s of grants.others) {
    if (typeof s !== 'object' || s === null || s.Effect !== 'Allow' || !isEveryone(s.Principal)) continue;
    for (const r of asList(s.Resource)) if (typeof r === 'string' && (r.startsWith(`${S3_ARN}${bucket}`) || r === `${S3_ARN}*` || r === '*')) found.add(r);
  }
  return [...found].sort();
}
