/**
 * Access control lists as S3 keeps them: an owner and a list of grants, for a bucket (in its
 * configuration) or a version of an object (in its record). Grants by e-mail are resolved to the
 * user's canonical id when they are put, as S3 resolves them, so only ids and group URIs are stored.
 */

export type Permission = 'FULL_CONTROL' | 'READ' | 'WRITE' | 'READ_ACP' | 'WRITE_ACP';

export const PERMISSIONS: readonly Permission[] = ['FULL_CONTROL', 'READ', 'WRITE', 'READ_ACP', 'WRITE_ACP'];

export const ALL_USERS_URI = 'http://acs.amazonaws.com/groups/global/AllUsers';
export const AUTHENTICATED_USERS_URI = 'http://acs.amazonaws.com/groups/global/AuthenticatedUsers';
export const LOG_DELIVERY_URI = 'http://acs.amazonaws.com/groups/s3/LogDelivery';

const GROUP_URIS = new Set([ALL_USERS_URI, AUTHENTICATED_USERS_URI, LOG_DELIVERY_URI]);

export type Grantee = { type: 'CanonicalUser'; id: string; displayName?: string } | { type: 'Group'; uri: string };

export interface Grant {
  grantee: Grantee;
  permission: Permission;
}

export interface Owner {
  id: string;
  displayName: string;
}

/** Looks up users for grants: by e-mail (resolved to the user's id, as S3 does) and by canonical id. */
export interface GranteeDirectory {
  byEmail(email: string): Owner | undefined;
  byId(id: string): Owner | undefined;
}

export interface AccessControlList {
  owner: Owner;
  grants: Grant[];
}

/** S3 Object Ownership: who owns new objects, and whether ACLs count at all (not under BucketOwnerEnforced). */
export type ObjectOwnership = 'BucketOwnerEnforced' | 'BucketOwnerPreferred' | 'ObjectWriter';

export const OBJECT_OWNERSHIPS: readonly ObjectOwnership[] = ['BucketOwnerEnforced', 'BucketOwnerPreferred', 'ObjectWriter'];

/** AWS's limit on grants in one ACL. */
export const MAX_GRANTS = 100;

function isShortString(value: unknown, max = 256): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= max;
}

export function isOwner(value: unknown): value is Owner {
  if (typeof value !== 'object' || value === null) return false;
  const { id, displayName, ...rest } = value as Record<string, unknown>;
  return Object.keys(rest).length === 0 && isShortString(id, 128) && typeof displayName === 'string' && displayName.length <= 256;
}

function isGrantee(value: unknown): value is Grantee {
  if (typeof value !== 'object' || value === null) return false;
  const grantee = value as Record<string, unknown>;
  if (grantee.type === 'Group') return Object.keys(grantee).length === 2 && typeof grantee.uri === 'string' && GROUP_URIS.has(grantee.uri);
  if (grantee.type !== 'CanonicalUser' || !isShortString(grantee.id, 128)) return false;
  return Object.keys(grantee).every((k) => k === 'type' || k === 'id' || (k === 'displayName' && typeof grantee.displayName === 'string' && grantee.displayName.length <= 256));
}

export function isGrants(value: unknown): value is Grant[] {
  return (
    Array.isArray(value) &&
    value.length <= MAX_GRANTS &&
    value.every((g) => typeof g === 'object' && g !== null && Object.keys(g).length === 2 && isGrantee((g as Grant).grantee) && PERMISSIONS.includes((g as Grant).permission))
  );
}
