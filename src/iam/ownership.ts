/**
 * What owning a resource and ACL grants allow, beyond policies. Every identity that makes a bucket
 * owns it (each user is its own canonical user, as each account is in AWS) and may do anything with
 * it and its objects. When the bucket has ACLs on (Object Ownership other than BucketOwnerEnforced),
 * objects are owned by their writer, and grants on the bucket and on each object give the permissions
 * S3 maps them to: READ, WRITE, READ_ACP, WRITE_ACP, FULL_CONTROL.
 */
import { ALL_USERS_URI, AUTHENTICATED_USERS_URI, type AccessControlList, type Grant, type ObjectOwnership, type Owner, type Permission } from '../meta/acl.js';
import type { Action } from './actions.js';
import type { Identity } from './identity.js';

/** What a bucket's configuration says about ownership and ACLs. */
export interface BucketOwnership {
  owner: Owner;
  /** In force: BucketOwnerEnforced when never set, ObjectWriter once the controls were deleted. */
  ownership: ObjectOwnership;
  grants: Grant[];
  /** Block Public Access's IgnorePublicAcls: grants to AllUsers and AuthenticatedUsers count for nothing. */
  ignorePublicAcls: boolean;
}

/** Bucket actions a bucket ACL grant covers, by the permission it needs. */
const BUCKET_PERMISSIONS: Partial<Record<Action, Permission>> = {
  's3:ListBucket': 'READ',
  's3:ListBucketVersions': 'READ',
  's3:ListBucketMultipartUploads': 'READ',
  's3:PutObject': 'WRITE',
  // Deleting a version for good is the bucket owner's alone (AWS's ACL overview): not WRITE's.
  's3:DeleteObject': 'WRITE',
  's3:AbortMultipartUpload': 'WRITE',
  's3:ListMultipartUploadParts': 'WRITE',
  's3:GetBucketAcl': 'READ_ACP',
  's3:PutBucketAcl': 'WRITE_ACP',
};

/** Object actions an object ACL grant covers. */
const OBJECT_PERMISSIONS: Partial<Record<Action, Permission>> = {
  's3:GetObject': 'READ',
  's3:GetObjectVersion': 'READ',
  's3:GetObjectAttributes': 'READ',
  's3:GetObjectVersionAttributes': 'READ',
  's3:GetObjectAcl': 'READ_ACP',
  's3:GetObjectVersionAcl': 'READ_ACP',
  's3:PutObjectAcl': 'WRITE_ACP',
  's3:PutObjectVersionAcl': 'WRITE_ACP',
};

function aclsOn(bucket: BucketOwnership): boolean {
  return bucket.ownership !== 'BucketOwnerEnforced';
}

/** Whether deciding `action` on an object may need that object's own ACL (its owner and grants). */
export function needsObjectAcl(action: Action, bucket: BucketOwnership): boolean {
  return aclsOn(bucket) && action in OBJECT_PERMISSIONS;
}

function grantsPermission(grants: readonly Grant[], identity: Identity, permission: Permission, ignorePublic: boolean): boolean {
  return grants.some((grant) => {
    if (grant.permission !== permission && grant.permission !== 'FULL_CONTROL') return false;
    const { grantee } = grant;
    if (grantee.type === 'CanonicalUser') return identity.kind !== 'anonymous' && grantee.id === identity.canonicalId;
    if (ignorePublic) return false;
    return grantee.uri === ALL_USERS_URI || (grantee.uri === AUTHENTICATED_USERS_URI && identity.kind !== 'anonymous');
  });
}

/**
 * Whether ownership or an ACL grants `action` to `identity`. `object` is the object's ACL when the
 * action is on an object and needsObjectAcl said so (undefined: the object has none of its own, or
 * there is no such object: the bucket owner's then).
 */
export function ownershipAllows(identity: Identity, action: Action, bucket: BucketOwnership, onObject: boolean, object?: AccessControlList): boolean {
  const isBucketOwner = identity.kind !== 'anonymous' && identity.canonicalId === bucket.owner.id;
  const objectPermission = onObject ? OBJECT_PERMISSIONS[action] : undefined;
  if (objectPermission !== undefined && aclsOn(bucket)) {
    const owner = object?.owner ?? bucket.owner;
    if (identity.kind !== 'anonymous' && owner.id === identity.canonicalId) return true;
    return object !== undefined && grantsPermission(object.grants, identity, objectPermission, bucket.ignorePublicAcls);
  }
  if (isBucketOwner) return true;
  const bucketPermission = BUCKET_PERMISSIONS[action];
  return aclsOn(bucket) && bucketPermission !== undefined && grantsPermission(bucket.grants, identity, bucketPermission, bucket.ignorePublicAcls);
}
