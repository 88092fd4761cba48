/**
 * What the admin API answers of users, service accounts, groups and policies, as JSON reaches a client.
 * Types only, importing nothing, so the browser console (src/console) imports them as they are.
 */

/** Whether an identity may sign requests. */
export type Status = 'enabled' | 'disabled';

export interface UserSummary {
  accessKey: string;
  status: Status;
  policies: string[];
  groups: string[];
  canonicalId: string;
  email?: string;
  created: string;
  updated: string;
}

export interface ServiceAccountSummary {
  accessKey: string;
  parent: string;
  status: Status;
  name?: string;
  description?: string;
  expiresAt?: string;
  /** The account's own policy, when it has one (JSON text). */
  policy?: string;
  created: string;
}

export interface GroupSummary {
  name: string;
  status: Status;
  members: string[];
  policies: string[];
  created: string;
}

export interface PolicySummary {
  name: string;
  builtin: boolean;
  /** The document as given, parsed (JSON). */
  policy: unknown;
  /** Users and groups it is attached to. */
  users: string[];
  groups: string[];
}
