/**
 * One request's decision, as AWS makes it: an explicit Deny in the identity's policies or the
 * bucket's policy wins; otherwise an Allow in either, or what owning the resource and ACL grants give
 * (src/iam/ownership.ts), grants; otherwise the request is denied. The root user is allowed
 * everything (as MinIO's owner is: no bucket policy can lock the deployment's owner out). A service
 * account's own policy narrows: every allow must also be its.
 */
import type { PublicAccessBlockConfig } from '../meta/bucket-config.js';
import type { Identity } from './identity.js';
import type { BucketOwnership } from './ownership.js';
import { evaluate, type Decision, type Policy, type RequestContext } from './policy/index.js';

/** What a bucket's configuration says about access, parsed once per change. */
export interface BucketAccess {
  policy?: Policy;
  publicAccessBlock?: PublicAccessBlockConfig;
  ownership: BucketOwnership;
}

/**
 * The policies' verdict: 'deny' (an explicit Deny, or a service account's policy that does not allow),
 * 'allow', or 'none' (nothing allows: ownership and ACLs may still grant, see ownershipAllows).
 */
export function decide(identity: Identity, request: RequestContext, bucket?: BucketAccess): Decision {
  if (identity.kind === 'root') return 'allow';
  const fromBucket = bucket?.policy ? evaluate([bucket.policy], request) : 'none';
  if (fromBucket === 'deny') return 'deny';
  // RestrictPublicBuckets: a public policy grants nothing to anyone outside the account.
  const bucketGrants = fromBucket === 'allow' && !(identity.kind === 'anonymous' && bucket?.policy?.isPublic && bucket.publicAccessBlock?.RestrictPublicBuckets);
  if (identity.kind === 'anonymous') return bucketGrants ? 'allow' : 'none';
  const fromIdentity = evaluate(identity.policies, request);
  if (fromIdentity === 'deny') return 'deny';
  if (identity.sessionPolicy && evaluate([identity.sessionPolicy], request) !== 'allow') return 'deny';
  return fromIdentity === 'allow' || bucketGrants ? 'allow' : 'none';
}

/** Whether the policies alone allow the request (the admin API, whose actions no ACL grants). */
export function isAllowed(identity: Identity, request: RequestContext, bucket?: BucketAccess): boolean {
  return decide(identity, request, bucket) === 'allow';
}

/** The condition keys any policy that can decide for `identity` in `bucket` reads. */
export function conditionKeysFor(identity: Identity, bucket?: BucketAccess): ReadonlySet<string> {
  const bucketKeys = bucket?.policy?.conditionKeys;
  if (!bucketKeys || bucketKeys.size === 0) return identity.conditionKeys;
  if (identity.conditionKeys.size === 0) return bucketKeys;
  return new Set([...identity.conditionKeys, ...bucketKeys]);
}
