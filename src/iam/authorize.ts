/**
 * One request's decision, as AWS makes it within one account: an explicit Deny in the identity's
 * policies or the bucket's policy wins; otherwise an Allow in either grants; otherwise the request is
 * denied. The root user is allowed everything (as MinIO's owner is: no bucket policy can lock the
 * deployment's owner out). A service account's own policy narrows: every allow must also be its.
 */
import type { Identity } from './identity.js';
import type { PublicAccessBlockConfig } from '../meta/bucket-config.js';
import { evaluate, type Policy, type RequestContext } from './policy/index.js';

/** What a bucket's configuration says about access, parsed once per change. */
export interface BucketAccess {
  policy?: Policy;
  publicAccessBlock?: PublicAccessBlockConfig;
}

export function isAllowed(identity: Identity, request: RequestContext, bucket?: BucketAccess): boolean {
  if (identity.kind === 'root') return true;
  const fromBucket = bucket?.policy ? evaluate([bucket.policy], request) : 'none';
  if (fromBucket === 'deny') return false;
  // RestrictPublicBuckets: a public policy grants nothing to anyone outside the account.
  const bucketGrants = fromBucket === 'allow' && !(identity.kind === 'anonymous' && bucket?.policy?.isPublic && bucket.publicAccessBlock?.RestrictPublicBuckets);
  if (identity.kind === 'anonymous') return bucketGrants;
  const fromIdentity = evaluate(identity.policies, request);
  if (fromIdentity === 'deny') return false;
  if (identity.sessionPolicy && evaluate([identity.sessionPolicy], request) !== 'allow') return false;
  return fromIdentity === 'allow' || bucketGrants;
}

/** The condition keys any policy that can decide for `identity` in `bucket` reads. */
export function conditionKeysFor(identity: Identity, bucket?: BucketAccess): Set<string> {
  const keys = new Set<string>();
  const policies = [...identity.policies, ...(identity.sessionPolicy ? [identity.sessionPolicy] : []), ...(bucket?.policy ? [bucket.policy] : [])];
  for (const policy of policies) for (const key of policy.conditionKeys) keys.add(key);
  return keys;
}
