/**
 * Who signed a request, with everything a decision needs already in hand (policies parsed, groups
 * resolved), so authorising a request reads nothing from disk or from another node.
 */
import type { Owner } from '../meta/acl.js';
import type { Policy, RequestPrincipal } from './policy/index.js';

/**
 * The account every principal of a deployment belongs to, for the ARNs policies name them by
 * (`arn:aws:iam::000000000000:user/alice`). One fixed value, so a policy written for one deployment
 * works on another; the form without an account (`arn:aws:iam:::user/alice`, as MinIO writes it) is
 * accepted too.
 */
export const ACCOUNT_ID = '000000000000';

export type IdentityKind = 'root' | 'user' | 'service-account' | 'anonymous';

export interface Identity {
  kind: IdentityKind;
  /** The key the request was signed with; '' when anonymous. */
  accessKey: string;
  /** aws:username: the user's own name (a service account's is its parent's). */
  userName: string;
  /** The owner id ACLs and listings report for this identity. */
  canonicalId: string;
  displayName: string;
  /** The user's own policies and those of its enabled groups (a service account's parent's). */
  policies: readonly Policy[];
  /** A service account's own policy, which narrows its parent's: every allow must also be allowed by it. */
  sessionPolicy?: Policy;
  principal: RequestPrincipal;
  /** The condition keys its policies read (worked out once, so a request whose policies read none builds no condition values). */
  conditionKeys: ReadonlySet<string>;
}

/** The condition keys `policies` read, together. */
export function conditionKeysOf(policies: readonly (Policy | undefined)[]): ReadonlySet<string> {
  const keys = new Set<string>();
  for (const policy of policies) for (const key of policy?.conditionKeys ?? []) keys.add(key);
  return keys;
}

function userArn(name: string): string {
  return `arn:aws:iam::${ACCOUNT_ID}:user/${name}`;
}

export const ROOT_ARN = `arn:aws:iam::${ACCOUNT_ID}:root`;

/** The identity as ACLs and listings name an owner. */
export function ownerOf(identity: Identity): Owner {
  return { id: identity.canonicalId, displayName: identity.displayName };
}

/**
 * The ids a bucket policy's Principal may name a user by. A service account is named by its user's:
 * its own access key is chosen freely, and must not pass for the name of another user.
 */
export function userPrincipalIds(name: string): string[] {
  return [userArn(name), `arn:aws:iam:::user/${name}`, name];
}

export const ANONYMOUS: Identity = {
  kind: 'anonymous',
  accessKey: '',
  userName: '',
  canonicalId: 'anonymous',
  displayName: 'anonymous',
  policies: [],
  principal: { anonymous: true, ids: [] },
  conditionKeys: new Set(),
};
