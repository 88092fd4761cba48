/**
 * ACLs as requests give them (a canned `x-amz-acl`, `x-amz-grant-*` headers, or an AccessControlPolicy
 * document) and as responses show them, and the rules Object Ownership sets on them: under
 * BucketOwnerEnforced (the default) ACLs are off, and only ACLs that give the bucket owner full
 * control and nobody anything are accepted (AccessControlListNotSupported otherwise).
 */
import { S3Error } from '../errors.js';
import { ALL_USERS_URI, AUTHENTICATED_USERS_URI, LOG_DELIVERY_URI, PERMISSIONS, MAX_GRANTS, type Grant, type Grantee, type GranteeDirectory, type ObjectOwnership, type Owner, type Permission } from '../meta/acl.js';
import type { PublicAccessBlockConfig } from '../meta/bucket-config.js';
import type { HeaderSource } from './object-request.js';
import { firstValue } from './object-request.js';
import { parseXml } from './xml.js';

const CANNED_ACLS = ['private', 'public-read', 'public-read-write', 'authenticated-read', 'aws-exec-read', 'bucket-owner-read', 'bucket-owner-full-control', 'log-delivery-write'] as const;
export type CannedAcl = (typeof CANNED_ACLS)[number];

const user = (owner: Owner): Grantee => ({ type: 'CanonicalUser', id: owner.id, displayName: owner.displayName });
const group = (uri: string): Grantee => ({ type: 'Group', uri });

/** The grants a canned ACL stands for, for a resource owned by `owner` in a bucket owned by `bucketOwner`. */
export function cannedGrants(canned: CannedAcl, owner: Owner, bucketOwner: Owner): Grant[] {
  const grants: Grant[] = [{ grantee: user(owner), permission: 'FULL_CONTROL' }];
  const toBucketOwner = (permission: Permission): void => {
    if (bucketOwner.id !== owner.id) grants.push({ grantee: user(bucketOwner), permission });
  };
  switch (canned) {
    case 'public-read':
      grants.push({ grantee: group(ALL_USERS_URI), permission: 'READ' });
      break;
    case 'public-read-write':
      grants.push({ grantee: group(ALL_USERS_URI), permission: 'READ' }, { grantee: group(ALL_USERS_URI), permission: 'WRITE' });
      break;
    case 'authenticated-read':
      grants.push({ grantee: group(AUTHENTICATED_USERS_URI), permission: 'READ' });
      break;
    case 'bucket-owner-read':
      toBucketOwner('READ');
      break;
    case 'bucket-owner-full-control':
      toBucketOwner('FULL_CONTROL');
      break;
    case 'log-delivery-write':
      grants.push({ grantee: group(LOG_DELIVERY_URI), permission: 'WRITE' }, { grantee: group(LOG_DELIVERY_URI), permission: 'READ_ACP' });
      break;
    default:
      break;
  }
  return grants;
}

const GRANT_HEADERS: Record<string, Permission> = {
  'x-amz-grant-full-control': 'FULL_CONTROL',
  'x-amz-grant-read': 'READ',
  'x-amz-grant-write': 'WRITE',
  'x-amz-grant-read-acp': 'READ_ACP',
  'x-amz-grant-write-acp': 'WRITE_ACP',
};

function resolveUser(directory: GranteeDirectory, kind: 'id' | 'emailAddress', value: string): Grantee {
  const found = kind === 'id' ? directory.byId(value) : directory.byEmail(value);
  if (!found) {
    if (kind === 'emailAddress') throw new S3Error('UnresolvableGrantByEmailAddress');
    throw new S3Error('InvalidArgument', 'Invalid id', { ArgumentName: 'CanonicalUser/ID', ArgumentValue: value });
  }
  return user(found);
}

function groupGrantee(uri: string): Grantee {
  if (uri !== ALL_USERS_URI && uri !== AUTHENTICATED_USERS_URI && uri !== LOG_DELIVERY_URI) throw new S3Error('InvalidArgument', 'Invalid group uri', { ArgumentName: 'Group/URI', ArgumentValue: uri });
  return group(uri);
}

/** `id="…", emailAddress="…", uri="…"`, as the x-amz-grant-* headers list grantees. */
function headerGrantees(value: string, directory: GranteeDirectory): Grantee[] {
  const grantees: Grantee[] = [];
  const pattern = /\s*(id|emailAddress|uri)\s*=\s*"([^"]*)"\s*(,|$)/giy;
  let consumed = 0;
  for (let match = pattern.exec(value); match; match = pattern.exec(value)) {
    const kind = match[1].toLowerCase();
    grantees.push(kind === 'uri' ? groupGrantee(match[2]) : resolveUser(directory, kind === 'id' ? 'id' : 'emailAddress', match[2]));
    consumed = pattern.lastIndex;
    if (consumed >= value.length) break;
  }
  if (consumed < value.trim().length || grantees.length === 0) throw new S3Error('InvalidArgument', 'Invalid grant header value', { ArgumentName: 'x-amz-grant', ArgumentValue: value });
  return grantees;
}

/** What ACL a write or a PutAcl request sets, if any: a canned ACL or explicit grants (both at once is refused). */
export type RequestedAcl = { canned: CannedAcl } | { grants: Grant[] } | undefined;

export function aclFromHeaders(headers: HeaderSource, directory: GranteeDirectory): RequestedAcl {
  const canned = firstValue(headers['x-amz-acl']);
  const grants: Grant[] = [];
  for (const [name, permission] of Object.entries(GRANT_HEADERS)) {
    const value = firstValue(headers[name]);
    if (value !== undefined) for (const grantee of headerGrantees(value, directory)) grants.push({ grantee, permission });
  }
  if (canned !== undefined && grants.length > 0) throw new S3Error('InvalidRequest', 'Specifying both Canned ACLs and Header Grants is not allowed');
  if (canned !== undefined) {
    if (!(CANNED_ACLS as readonly string[]).includes(canned)) throw new S3Error('InvalidArgument', undefined, { ArgumentName: 'x-amz-acl', ArgumentValue: canned });
    return { canned: canned as CannedAcl };
  }
  if (grants.length > MAX_GRANTS) throw new S3Error('InvalidArgument', `An ACL may have at most ${MAX_GRANTS} grants.`);
  return grants.length > 0 ? { grants } : undefined;
}

type XmlNode = Record<string, unknown>;

function list(value: unknown): XmlNode[] {
  if (value === undefined || value === '') return [];
  return (Array.isArray(value) ? value : [value]) as XmlNode[];
}

/** An AccessControlPolicy document (PutBucketAcl / PutObjectAcl body): its grants, and the owner id it names. */
export function aclFromXml(text: string, directory: GranteeDirectory): { ownerId?: string; grants: Grant[] } {
  const policy = parseXml(text).AccessControlPolicy as XmlNode | undefined;
  if (typeof policy !== 'object' || policy === null) throw new S3Error('MalformedACLError');
  const owner = policy.Owner as XmlNode | undefined;
  const grants: Grant[] = [];
  for (const node of list((policy.AccessControlList as XmlNode | undefined)?.Grant)) {
    const grantee = node.Grantee as XmlNode | undefined;
    const permission = node.Permission as Permission;
    if (typeof grantee !== 'object' || grantee === null || !PERMISSIONS.includes(permission)) throw new S3Error('MalformedACLError');
    // The grantee's kind shows in which element it carries (its xsi:type attribute says the same).
    let resolved: Grantee;
    if (typeof grantee.ID === 'string') resolved = resolveUser(directory, 'id', grantee.ID);
    else if (typeof grantee.EmailAddress === 'string') resolved = resolveUser(directory, 'emailAddress', grantee.EmailAddress);
    else if (typeof grantee.URI === 'string') resolved = groupGrantee(grantee.URI);
    else throw new S3Error('MalformedACLError');
    grants.push({ grantee: resolved, permission });
  }
  if (grants.length > MAX_GRANTS) throw new S3Error('MalformedACLError', `An ACL may have at most ${MAX_GRANTS} grants.`);
  return { ...(typeof owner?.ID === 'string' ? { ownerId: owner.ID } : {}), grants };
}

/** Grants that give the bucket owner full control and nobody anything else: all BucketOwnerEnforced accepts. */
export function onlyOwnerFullControl(grants: Grant[], bucketOwner: Owner): boolean {
  return grants.every((g) => g.permission === 'FULL_CONTROL' && g.grantee.type === 'CanonicalUser' && g.grantee.id === bucketOwner.id);
}

/**
 * Refuses grants BucketOwnerEnforced does not take: under it the bucket owner owns everything, and an
 * ACL may only give the bucket owner full control (`private` and `bucket-owner-full-control` expand to
 * that). `refusal` is the error: AccessControlListNotSupported, or InvalidBucketAclWithObjectOwnership
 * for CreateBucket.
 */
export function checkAclAllowed(
  grants: Grant[],
  ownership: ObjectOwnership,
  bucketOwner: Owner,
  refusal: 'AccessControlListNotSupported' | 'InvalidBucketAclWithObjectOwnership' = 'AccessControlListNotSupported',
): void {
  if (ownership === 'BucketOwnerEnforced' && !onlyOwnerFullControl(grants, bucketOwner)) throw new S3Error(refusal);
}

/** Block Public Access's BlockPublicAcls: an ACL that grants anything to AllUsers or AuthenticatedUsers is refused. */
export function refusePublicAcl(grants: Grant[], block: PublicAccessBlockConfig | undefined): void {
  if (!block?.BlockPublicAcls) return;
  if (grants.some((g) => g.grantee.type === 'Group' && (g.grantee.uri === ALL_USERS_URI || g.grantee.uri === AUTHENTICATED_USERS_URI))) {
    throw new S3Error('AccessDenied', 'The bucket blocks public ACLs (BlockPublicAcls).');
  }
}

/** The grants a requested ACL stands for. */
export function grantsOf(requested: Exclude<RequestedAcl, undefined>, owner: Owner, bucketOwner: Owner): Grant[] {
  return 'canned' in requested ? cannedGrants(requested.canned, owner, bucketOwner) : requested.grants;
}

function granteeXml(grantee: Grantee): XmlNode {
  const xsi = { '@_xmlns:xsi': 'http://www.w3.org/2001/XMLSchema-instance' };
  if (grantee.type === 'Group') return { ...xsi, '@_xsi:type': 'Group', URI: grantee.uri };
  return { ...xsi, '@_xsi:type': 'CanonicalUser', ID: grantee.id, ...(grantee.displayName !== undefined ? { DisplayName: grantee.displayName } : {}) };
}

/** The AccessControlPolicy document a GetAcl answers with. */
export function aclXml(owner: Owner, grants: Grant[]): XmlNode {
  return {
    Owner: { ID: owner.id, DisplayName: owner.displayName },
    AccessControlList: { Grant: grants.map((g) => ({ Grantee: granteeXml(g.grantee), Permission: g.permission })) },
  };
}
