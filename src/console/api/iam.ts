/**
 * The admin API's IAM calls (users, groups, service accounts, policies) and the JSON they answer,
 * as src/admin/iam-api.ts serves them (its types: src/iam/summaries.ts, import-free, shared with the
 * server). Each names the admin action it needs, for a refusal's message.
 */
import { adminJson } from './admin.js';
import type { Session } from './session.js';
import { encodeRfc3986 } from './signer.js';
import type { GroupSummary as Group, PolicySummary as PolicyInfo, ServiceAccountSummary as ServiceAccount, Status, UserSummary as User } from '../../iam/summaries.js';

export type { Group, PolicyInfo, ServiceAccount, Status, User };

/** The body of POST users/<user>/service-accounts (src/admin/iam-api.ts turns it into src/iam/iam.ts's NewServiceAccount). */
export interface NewServiceAccount {
  name?: string;
  description?: string;
  /** ISO 8601. */
  expiresAt?: string;
  /** The account's own policy (JSON text), narrowing its parent's. */
  policy?: string;
}

/** Mirrors AttachTarget (src/iam/iam.ts). */
export type PolicyTarget = { user: string } | { group: string };

const seg = encodeRfc3986;

export const listUsers = async (s: Session): Promise<User[]> => (await adminJson<{ users: User[] }>(s, 'GET', 'users', { permission: 'admin:ListUsers' })).users;

export const addUser = (s: Session, accessKey: string, secretKey: string): Promise<unknown> =>
  adminJson(s, 'PUT', `users/${seg(accessKey)}`, { body: { secretKey }, permission: 'admin:CreateUser' });

export const removeUser = (s: Session, accessKey: string): Promise<unknown> => adminJson(s, 'DELETE', `users/${seg(accessKey)}`, { permission: 'admin:DeleteUser' });

export const setUserStatus = (s: Session, accessKey: string, status: Status): Promise<unknown> =>
  adminJson(s, 'PUT', `users/${seg(accessKey)}/status`, { body: { status }, permission: status === 'enabled' ? 'admin:EnableUser' : 'admin:DisableUser' });

export const listServiceAccounts = async (s: Session, user: string): Promise<ServiceAccount[]> =>
  (await adminJson<{ serviceAccounts: ServiceAccount[] }>(s, 'GET', `users/${seg(user)}/service-accounts`, { permission: 'admin:ListServiceAccounts' })).serviceAccounts;

/**
 * Answers the keys (the secret is shown once). No permission lets one make them for another user: only
 * the root user may, or a user for itself; a refusal's own message says so.
 */
export const addServiceAccount = (s: Session, user: string, account: NewServiceAccount): Promise<{ accessKey: string; secretKey: string }> =>
  adminJson(s, 'POST', `users/${seg(user)}/service-accounts`, { body: account });

export const setServiceAccountStatus = (s: Session, accessKey: string, status: Status): Promise<unknown> =>
  adminJson(s, 'PUT', `service-accounts/${seg(accessKey)}/status`, { body: { status }, permission: 'admin:UpdateServiceAccount' });

export const removeServiceAccount = (s: Session, accessKey: string): Promise<unknown> =>
  adminJson(s, 'DELETE', `service-accounts/${seg(accessKey)}`, { permission: 'admin:RemoveServiceAccount' });

export const listGroups = async (s: Session): Promise<Group[]> => (await adminJson<{ groups: Group[] }>(s, 'GET', 'groups', { permission: 'admin:ListGroups' })).groups;

/** Adding members to a group that does not exist makes it. */
export const addGroupMembers = (s: Session, group: string, members: string[]): Promise<unknown> =>
  adminJson(s, 'POST', `groups/${seg(group)}/members`, { body: { add: members }, permission: 'admin:AddUserToGroup' });

export const removeGroupMembers = (s: Session, group: string, members: string[]): Promise<unknown> =>
  adminJson(s, 'POST', `groups/${seg(group)}/members`, { body: { remove: members }, permission: 'admin:RemoveUserFromGroup' });

export const setGroupStatus = (s: Session, group: string, status: Status): Promise<unknown> =>
  adminJson(s, 'PUT', `groups/${seg(group)}/status`, { body: { status }, permission: status === 'enabled' ? 'admin:EnableGroup' : 'admin:DisableGroup' });

/** The group must have no members. */
export const removeGroup = (s: Session, group: string): Promise<unknown> => adminJson(s, 'DELETE', `groups/${seg(group)}`, { permission: 'admin:RemoveUserFromGroup' });

export const listPolicies = async (s: Session): Promise<PolicyInfo[]> =>
  (await adminJson<{ policies: PolicyInfo[] }>(s, 'GET', 'policies', { permission: 'admin:ListUserPolicies' })).policies;

/** Stores the document as typed (the server validates it again). */
export const putPolicy = (s: Session, name: string, text: string): Promise<unknown> => adminJson(s, 'PUT', `policies/${seg(name)}`, { body: text, permission: 'admin:CreatePolicy' });

export const removePolicy = (s: Session, name: string): Promise<unknown> => adminJson(s, 'DELETE', `policies/${seg(name)}`, { permission: 'admin:DeletePolicy' });

export const attachPolicies = (s: Session, policies: string[], target: PolicyTarget): Promise<unknown> =>
  adminJson(s, 'POST', 'attach-policies', { body: { policies, ...target }, permission: 'admin:AttachUserOrGroupPolicy' });

export const detachPolicies = (s: Session, policies: string[], target: PolicyTarget): Promise<unknown> =>
  adminJson(s, 'POST', 'detach-policies', { body: { policies, ...target }, permission: 'admin:AttachUserOrGroupPolicy' });
