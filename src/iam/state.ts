/**
 * IAM's state: users, service accounts, groups, custom policies and what is attached to whom, as one
 * document. It is small (admin changes are rare and every node holds all of it in memory), and a
 * single document changes atomically: no reader ever sees a group naming a user that is not there yet.
 */
import { IamError } from './errors.js';
import type { Status } from './summaries.js';

export type { Status };

export interface UserEntry {
  secretKey: string;
  status: Status;
  /** Policies attached to the user directly, by name. */
  policies: string[];
  /** Stable per user (ACL grants name it); never reused for another user. */
  canonicalId: string;
  /** For ACL grants by e-mail address (x-amz-grant-*: emailAddress="…"). */
  email?: string;
  created: number;
  updated: number;
}

export interface ServiceAccountEntry {
  secretKey: string;
  /** The user whose permissions the account acts with. */
  parent: string;
  status: Status;
  /** An identity policy (JSON text) that narrows the parent's: both must allow. */
  policy?: string;
  name?: string;
  description?: string;
  /** Epoch ms after which the key is refused. */
  expiresAt?: number;
  created: number;
}

export interface GroupEntry {
  members: string[];
  status: Status;
  policies: string[];
  created: number;
}

export interface PolicyEntry {
  /** The document as given (JSON text). */
  text: string;
  created: number;
  updated: number;
}

export interface IamState {
  users: Record<string, UserEntry>;
  serviceAccounts: Record<string, ServiceAccountEntry>;
  groups: Record<string, GroupEntry>;
  policies: Record<string, PolicyEntry>;
}

export function emptyState(): IamState {
  return { users: {}, serviceAccounts: {}, groups: {}, policies: {} };
}

/** Access keys as MinIO and AWS take them: 3 to 128 characters of letters, digits and `+=,.@_-`. */
const ACCESS_KEY = /^[A-Za-z0-9+=,.@_-]{3,128}$/;
/** Group and policy names: 1 to 128 of the same characters. */
const NAME = /^[A-Za-z0-9+=,.@_-]{1,128}$/;

/** Names the state's records are keyed by may not be those every object inherits (`constructor`, `__proto__`...). */
function isInheritedName(name: string): boolean {
  return name in Object.prototype;
}

export function checkAccessKey(accessKey: unknown): asserts accessKey is string {
  if (typeof accessKey !== 'string' || !ACCESS_KEY.test(accessKey) || isInheritedName(accessKey)) {
    throw new IamError('InvalidArgument', 'an access key is 3 to 128 characters of letters, digits and + = , . @ _ -');
  }
}

export function checkSecretKey(secretKey: unknown): asserts secretKey is string {
  if (typeof secretKey !== 'string' || secretKey.length < 8 || secretKey.length > 128 || /[\u0000-\u001f\u007f]/.test(secretKey)) {
    throw new IamError('InvalidArgument', 'a secret key is 8 to 128 characters, none of them control characters');
  }
}

export function checkEmail(email: unknown): asserts email is string {
  if (typeof email !== 'string' || email.length > 254 || !/^[^\s@",]+@[^\s@",]+$/.test(email)) throw new IamError('InvalidArgument', 'not an e-mail address');
}

export function checkName(kind: 'group' | 'policy', name: unknown): asserts name is string {
  if (typeof name !== 'string' || !NAME.test(name) || isInheritedName(name)) {
    throw new IamError('InvalidArgument', `a ${kind} name is 1 to 128 characters of letters, digits and + = , . @ _ - (and not a reserved word such as constructor)`);
  }
}

type Fields = Record<string, unknown>;

const isRecord = (value: unknown): value is Fields => typeof value === 'object' && value !== null && !Array.isArray(value);
const isStringList = (value: unknown): boolean => Array.isArray(value) && value.every((item) => typeof item === 'string');
const isStatus = (value: unknown): boolean => value === 'enabled' || value === 'disabled';

const ENTRY_CHECKS: Record<keyof IamState, (entry: Fields) => boolean> = {
  users: (u) => typeof u.secretKey === 'string' && isStatus(u.status) && isStringList(u.policies) && typeof u.canonicalId === 'string',
  serviceAccounts: (a) => typeof a.secretKey === 'string' && typeof a.parent === 'string' && isStatus(a.status) && (a.policy === undefined || typeof a.policy === 'string'),
  groups: (g) => isStringList(g.members) && isStatus(g.status) && isStringList(g.policies),
  policies: (p) => typeof p.text === 'string',
};

/**
 * Whether `value` is a state document of the shape this code writes: a stored document is checked,
 * entry by entry, before decisions are made from it.
 */
export function isIamState(value: unknown): value is IamState {
  if (!isRecord(value)) return false;
  return (Object.keys(ENTRY_CHECKS) as (keyof IamState)[]).every((field) => {
    const entries = value[field];
    return isRecord(entries) && Object.values(entries).every((entry) => isRecord(entry) && ENTRY_CHECKS[field](entry));
  });
}
