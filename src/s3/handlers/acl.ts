/**
 * Get/PutBucketAcl and Get/PutObjectAcl. Under BucketOwnerEnforced (the default) ACLs are off: a read
 * shows the bucket owner's full control, and a write is accepted only when it gives just that
 * (AccessControlListNotSupported otherwise). With ACLs on, the grants are stored (the bucket's in its
 * configuration, an object's in its version) and decide access with policies (src/iam/ownership.ts).
 */
import { S3Error } from '../../errors.js';
import type { BucketAccess } from '../../iam/authorize.js';
import { OBJECT_OWNERSHIPS, type AccessControlList, type Grant, type ObjectOwnership, type Owner } from '../../meta/acl.js';
import type { BucketConfig } from '../../meta/bucket-config.js';
import type { Iam } from '../../iam/iam.js';
import { ownershipOf } from '../../iam/bucket-access.js';
import { ownerOf, type Identity } from '../../iam/identity.js';
import type { AccessCheck } from '../access.js';
import { aclFromHeaders, aclFromXml, aclXml, cannedGrants, checkAclAllowed, grantsOf, onlyOwnerFullControl, refusePublicAcl } from '../acl.js';
import { firstValue, requestedVersion, requireKey, type HeaderSource } from '../object-request.js';
import { readSmallBody } from '../read-body.js';
import { requireBucket, type S3Request } from '../request.js';
import { sendXml, setVersionHeader } from '../response.js';

/** The bucket's access settings as this node holds them; NoSuchBucket when it is not there. */
export async function existingBucketAccess(iam: Iam, bucket: string): Promise<BucketAccess> {
  const access = await iam.bucketAccess.get(bucket);
  if (!access) throw new S3Error('NoSuchBucket', undefined, { BucketName: bucket });
  return access;
}

/** The bucket owner as listings show it (an ID and DisplayName element pair). */
export async function ownerOfBucket(req: S3Request, bucket: string): Promise<Owner> {
  return (await existingBucketAccess(req.iam, bucket)).ownership.owner;
}

/** The Owner (or Initiator) element of a multipart listing. */
export async function ownerElement(req: S3Request, bucket: string): Promise<{ ID: string; DisplayName: string }> {
  const owner = await ownerOfBucket(req, bucket);
  return { ID: owner.id, DisplayName: owner.displayName };
}

/** The grants a PutAcl request sets (headers or document), for a resource owned by `owner`. */
async function requestedGrants(req: S3Request, owner: Owner, bucketOwner: Owner): Promise<Grant[]> {
  const fromHeaders = aclFromHeaders(req.ctx.req.headers, req.iam.grantees);
  const text = await readSmallBody(req);
  if (text.trim() !== '') {
    if (fromHeaders) throw new S3Error('UnexpectedContent', 'This request does not support content with ACL headers.');
    return aclFromXml(text, req.iam.grantees).grants;
  }
  if (!fromHeaders) throw new S3Error('MissingSecurityHeader', 'Your request was missing a required header: x-amz-acl or an AccessControlPolicy body.');
  return grantsOf(fromHeaders, owner, bucketOwner);
}

export async function getBucketAcl(req: S3Request): Promise<void> {
  const bucket = requireBucket(req);
  const { ownership } = await existingBucketAccess(req.iam, bucket);
  const grants = ownership.ownership === 'BucketOwnerEnforced' || ownership.grants.length === 0 ? cannedGrants('private', ownership.owner, ownership.owner) : ownership.grants;
  sendXml(req.ctx, 'AccessControlPolicy', aclXml(ownership.owner, grants));
}

export async function putBucketAcl(req: S3Request): Promise<void> {
  const bucket = requireBucket(req);
  const access = await existingBucketAccess(req.iam, bucket);
  const { owner } = access.ownership;
  const grants = await requestedGrants(req, owner, owner);
  checkAclAllowed(grants, access.ownership.ownership, owner);
  refusePublicAcl(grants, access.publicAccessBlock);
  if (access.ownership.ownership !== 'BucketOwnerEnforced') {
    await req.objects.updateBucketConfig(bucket, ({ stamp: _stamp, ...current }) => {
      // Checked again on the settings the change is made on, under the configuration's lock: the cached ones may be old.
      checkAclAllowed(grants, ownershipOf(current), owner);
      refusePublicAcl(grants, current.publicAccessBlock);
      return { ...current, acl: grants };
    });
    await req.iam.bucketAccessChanged(bucket);
  }
  req.ctx.status = 200;
  req.ctx.body = '';
}

/** The ACL a version shows: its own, or (none of its own, or ACLs off) the bucket owner's full control. */
function effectiveObjectAcl(access: BucketAccess, own: AccessControlList | undefined): AccessControlList {
  const { owner, ownership } = access.ownership;
  if (own && ownership !== 'BucketOwnerEnforced') return own;
  return { owner, grants: cannedGrants('private', owner, owner) };
}

export async function getObjectAcl(req: S3Request): Promise<void> {
  const { bucket, key } = requireKey(req);
  const access = await existingBucketAccess(req.iam, bucket);
  const info = await req.objects.getObjectInfo(bucket, key, requestedVersion(req));
  const acl = effectiveObjectAcl(access, info.acl);
  setVersionHeader(req.ctx, info);
  sendXml(req.ctx, 'AccessControlPolicy', aclXml(acl.owner, acl.grants));
}

export async function putObjectAcl(req: S3Request): Promise<void> {
  const { bucket, key } = requireKey(req);
  const versionId = requestedVersion(req);
  const access = await existingBucketAccess(req.iam, bucket);
  const current = await req.objects.getObjectInfo(bucket, key, versionId);
  const { owner } = effectiveObjectAcl(access, current.acl);
  const grants = await requestedGrants(req, owner, access.ownership.owner);
  checkAclAllowed(grants, access.ownership.ownership, access.ownership.owner);
  refusePublicAcl(grants, access.publicAccessBlock);
  const info =
    access.ownership.ownership === 'BucketOwnerEnforced'
      ? current
      : await req.objects.updateObjectAttributes(bucket, key, versionId, (version) => ({ acl: { owner: version.acl?.owner ?? owner, grants } }));
  setVersionHeader(req.ctx, info);
  req.ctx.status = 200;
  req.ctx.body = '';
}

/** The identity as an owner of what it makes (anonymous writes belong to the bucket owner). */
function ownerFor(identity: Identity, bucketOwner: Owner): Owner {
  return identity.kind === 'anonymous' ? bucketOwner : ownerOf(identity);
}

/**
 * The ACL a new object (PUT, copy, multipart upload) gets from its request's headers, as Object
 * Ownership decides: none of its own under BucketOwnerEnforced (the bucket owner owns it; only ACLs
 * that say so are accepted), otherwise owned by its writer (by the bucket owner under
 * BucketOwnerPreferred when the writer gives it bucket-owner-full-control) with the grants asked for.
 */
export async function objectAclFor(iam: Iam, check: AccessCheck, bucket: string, key: string, headers: HeaderSource): Promise<{ acl?: AccessControlList }> {
  const access = await existingBucketAccess(iam, bucket);
  const { owner: bucketOwner, ownership } = access.ownership;
  const requested = aclFromHeaders(headers, iam.grantees);
  if (ownership === 'BucketOwnerEnforced') {
    if (requested) checkAclAllowed(grantsOf(requested, bucketOwner, bucketOwner), ownership, bucketOwner);
    return {};
  }
  const preferred = ownership === 'BucketOwnerPreferred' && requested !== undefined && 'canned' in requested && requested.canned === 'bucket-owner-full-control';
  const owner = preferred ? bucketOwner : ownerFor(check.identity, bucketOwner);
  const grants = requested ? grantsOf(requested, owner, bucketOwner) : cannedGrants('private', owner, bucketOwner);
  refusePublicAcl(grants, access.publicAccessBlock);
  // Granting anyone but the two owners anything is setting an ACL: that takes s3:PutObjectAcl, as AWS asks.
  const grantsOthers = grants.some((g) => g.grantee.type !== 'CanonicalUser' || (g.grantee.id !== owner.id && g.grantee.id !== bucketOwner.id));
  if (grantsOthers) await check.require('s3:PutObjectAcl', { bucket, key, fresh: true });
  // The bucket owner's private object needs no ACL of its own: it reads back the same without one.
  if (owner.id === bucketOwner.id && onlyOwnerFullControl(grants, bucketOwner)) return {};
  return { acl: { owner, grants } };
}

/** CreateBucket's owner, Object Ownership (x-amz-object-ownership) and ACL, as the configuration to make it with. */
export function newBucketAccess(req: S3Request): Omit<BucketConfig, 'stamp'> {
  const { headers } = req.ctx.req;
  const { identity } = req.access;
  const owner = ownerOf(identity);
  const asked = firstValue(headers['x-amz-object-ownership']);
  if (asked !== undefined && !(OBJECT_OWNERSHIPS as readonly string[]).includes(asked)) {
    throw new S3Error('InvalidArgument', 'Invalid x-amz-object-ownership header', { ArgumentName: 'x-amz-object-ownership', ArgumentValue: asked });
  }
  const ownership = (asked ?? 'BucketOwnerEnforced') as ObjectOwnership;
  const requested = aclFromHeaders(headers, req.iam.grantees);
  const grants = requested && grantsOf(requested, owner, owner);
  if (grants) checkAclAllowed(grants, ownership, owner, 'InvalidBucketAclWithObjectOwnership');
  return {
    // The root user's buckets need no owner recorded: a bucket without one is the root user's.
    ...(identity.kind !== 'root' ? { owner } : {}),
    ...(ownership !== 'BucketOwnerEnforced' ? { ownership } : {}),
    ...(grants && ownership !== 'BucketOwnerEnforced' && !onlyOwnerFullControl(grants, owner) ? { acl: grants } : {}),
  };
}
