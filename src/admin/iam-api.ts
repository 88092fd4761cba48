/**
 * The admin API's IAM resources (under /tessera/admin/v1/), JSON in and out. Each route names the
 * admin action it needs (MinIO's names, so mc's policies such as consoleAdmin read the same).
 *
 *   GET    users                            admin:ListUsers
 *   GET    users/<key>                      admin:GetUser
 *   PUT    users/<key>   {secretKey, email?} admin:CreateUser (only the root user changes an existing user's secret)
 *   DELETE users/<key>                      admin:DeleteUser (its service accounts and memberships go too)
 *   PUT    users/<key>/status {status}      admin:EnableUser | admin:DisableUser
 *   GET    users/<key>/service-accounts     admin:ListServiceAccounts
 *   POST   users/<key>/service-accounts {accessKey?, secretKey?, policy?, name?, description?, expiresAt?}
 *                                           the root user, or the user itself; answers {accessKey, secretKey}
 *   GET    service-accounts/<key>           admin:ListServiceAccounts
 *   PUT    service-accounts/<key>/status {status}   admin:UpdateServiceAccount
 *   DELETE service-accounts/<key>           admin:RemoveServiceAccount
 *   (a user needs none of these for its own service accounts)
 *   GET    groups                           admin:ListGroups
 *   GET    groups/<name>                    admin:GetGroup
 *   POST   groups/<name>/members {add?, remove?}    admin:AddUserToGroup / admin:RemoveUserFromGroup
 *   PUT    groups/<name>/status {status}    admin:EnableGroup | admin:DisableGroup
 *   DELETE groups/<name>                    admin:RemoveUserFromGroup (the group must have no members)
 *   GET    policies                         admin:ListUserPolicies
 *   GET    policies/<name>                  admin:GetPolicy
 *   PUT    policies/<name>    <policy JSON> admin:CreatePolicy
 *   DELETE policies/<name>                  admin:DeletePolicy
 *   POST   attach-policies {policies, user | group}  admin:AttachUserOrGroupPolicy
 *   POST   detach-policies {policies, user | group}  admin:AttachUserOrGroupPolicy
 */
import type { AdminAction } from '../iam/actions.js';
import { IamError } from '../iam/errors.js';
import type { AttachTarget, Iam, NewServiceAccount } from '../iam/iam.js';
import type { Status } from '../iam/state.js';
import type { Identity } from '../iam/identity.js';

/** What a route needs from the request: its decoded path segments and method, its JSON body, and a permission check. */
export interface IamAdminRequest {
  method: string;
  segments: string[];
  /** The body as signed and read (text); '' when it has none. */
  body: string;
  /** Throws unless the caller may do `action`. */
  authorize(action: AdminAction): void;
  caller: Identity;
}

/**
 * Service accounts a caller manages as its own: a user's, under itself, need no admin action (they can
 * only narrow what it may do). Making one for another user is the root user's alone (whoever could
 * would act as that user), and a service account makes none (it would shed its own policy).
 */
function ownsServiceAccountsOf(caller: Identity, user: string | undefined): boolean {
  return caller.kind === 'user' && caller.userName === user;
}

function authorizeServiceAccountCreation(caller: Identity, parent: string): void {
  if (caller.kind === 'root' || ownsServiceAccountsOf(caller, parent)) return;
  if (caller.kind === 'service-account') throw new IamError('AccessDenied', 'a service account cannot make service accounts');
  throw new IamError('AccessDenied', "only the root user makes service accounts for another user");
}

type Json = Record<string, unknown>;

function parseBody(body: string): Json {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    throw new IamError('InvalidArgument', 'the request body must be a JSON object');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new IamError('InvalidArgument', 'the request body must be a JSON object');
  return parsed as Json;
}

function stringList(value: unknown, field: string): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string') || value.length > 1000) throw new IamError('InvalidArgument', `${field} must be a list of strings`);
  return value as string[];
}

function optionalString(body: Json, field: string): string | undefined {
  const value = body[field];
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw new IamError('InvalidArgument', `${field} must be a string`);
  return value;
}

function status(body: Json): Status {
  if (body.status !== 'enabled' && body.status !== 'disabled') throw new IamError('InvalidArgument', 'status must be "enabled" or "disabled"');
  return body.status;
}

function attachTarget(body: Json): AttachTarget {
  const user = optionalString(body, 'user');
  const group = optionalString(body, 'group');
  if ((user === undefined) === (group === undefined)) throw new IamError('InvalidArgument', 'name exactly one of user and group');
  return user !== undefined ? { user } : { group: group! };
}

function newServiceAccount(body: Json): NewServiceAccount {
  const expiresAt = body.expiresAt;
  if (expiresAt !== undefined && typeof expiresAt !== 'string') throw new IamError('InvalidArgument', 'expiresAt must be an ISO 8601 date');
  const expiry = expiresAt === undefined ? undefined : Date.parse(expiresAt);
  if (expiry !== undefined && Number.isNaN(expiry)) throw new IamError('InvalidArgument', 'expiresAt must be an ISO 8601 date');
  const policy = body.policy;
  if (policy !== undefined && (typeof policy !== 'object' || policy === null) && typeof policy !== 'string') throw new IamError('InvalidArgument', 'policy must be a policy document');
  return {
    accessKey: optionalString(body, 'accessKey'),
    secretKey: optionalString(body, 'secretKey'),
    policy: policy === undefined ? undefined : typeof policy === 'string' ? policy : JSON.stringify(policy),
    name: optionalString(body, 'name'),
    description: optionalString(body, 'description'),
    expiresAt: expiry,
  };
}

const DONE = { ok: true };

/** Serves an IAM route; undefined when `segments` names none (the caller answers 404 or 405). */
export async function serveIamAdmin(iam: Iam, request: IamAdminRequest): Promise<unknown> {
  const { method, segments, authorize, caller } = request;
  const [resource, name, sub, extra] = segments;
  const body = (): Json => parseBody(request.body);
  if (extra !== undefined) return undefined;
  const route = `${method} ${resource}${name === undefined ? '' : '/:name'}${sub === undefined ? '' : `/${sub}`}`;
  switch (route) {
    case 'GET users':
      authorize('admin:ListUsers');
      return { users: iam.listUsers() };
    case 'GET users/:name':
      authorize('admin:GetUser');
      return iam.userInfo(name);
    case 'PUT users/:name': {
      authorize('admin:CreateUser');
      const user = body();
      const secretKey = optionalString(user, 'secretKey');
      if (secretKey === undefined) throw new IamError('InvalidArgument', 'secretKey is required');
      await iam.addUser(name, secretKey, optionalString(user, 'email'), caller.kind === 'root');
      return DONE;
    }
    case 'DELETE users/:name':
      authorize('admin:DeleteUser');
      await iam.removeUser(name);
      return DONE;
    case 'PUT users/:name/status': {
      const next = status(body());
      authorize(next === 'enabled' ? 'admin:EnableUser' : 'admin:DisableUser');
      await iam.setUserStatus(name, next);
      return DONE;
    }
    case 'GET users/:name/service-accounts':
      if (!ownsServiceAccountsOf(caller, name)) authorize('admin:ListServiceAccounts');
      return { serviceAccounts: iam.listServiceAccounts(name) };
    case 'POST users/:name/service-accounts':
      authorizeServiceAccountCreation(caller, name);
      return iam.addServiceAccount(name, newServiceAccount(body()));
    case 'GET service-accounts/:name':
      if (!ownsServiceAccountsOf(caller, iam.parentOf(name))) authorize('admin:ListServiceAccounts');
      return iam.serviceAccountInfo(name);
    case 'PUT service-accounts/:name/status':
      if (!ownsServiceAccountsOf(caller, iam.parentOf(name))) authorize('admin:UpdateServiceAccount');
      await iam.setServiceAccountStatus(name, status(body()));
      return DONE;
    case 'DELETE service-accounts/:name':
      if (!ownsServiceAccountsOf(caller, iam.parentOf(name))) authorize('admin:RemoveServiceAccount');
      await iam.removeServiceAccount(name);
      return DONE;
    case 'GET groups':
      authorize('admin:ListGroups');
      return { groups: iam.listGroups() };
    case 'GET groups/:name':
      authorize('admin:GetGroup');
      return iam.groupInfo(name);
    case 'POST groups/:name/members': {
      const change = body();
      const add = stringList(change.add, 'add');
      const remove = stringList(change.remove, 'remove');
      if (add.length + remove.length === 0) throw new IamError('InvalidArgument', 'name members to add or remove');
      if (add.length > 0) {
        authorize('admin:AddUserToGroup');
        await iam.addGroupMembers(name, add);
      }
      if (remove.length > 0) {
        authorize('admin:RemoveUserFromGroup');
        await iam.removeGroupMembers(name, remove);
      }
      return DONE;
    }
    case 'PUT groups/:name/status': {
      const next = status(body());
      authorize(next === 'enabled' ? 'admin:EnableGroup' : 'admin:DisableGroup');
      await iam.setGroupStatus(name, next);
      return DONE;
    }
    case 'DELETE groups/:name':
      authorize('admin:RemoveUserFromGroup');
      await iam.removeGroup(name);
      return DONE;
    case 'GET policies':
      authorize('admin:ListUserPolicies');
      return { policies: iam.listPolicies() };
    case 'GET policies/:name':
      authorize('admin:GetPolicy');
      return iam.policyInfo(name);
    case 'PUT policies/:name':
      authorize('admin:CreatePolicy');
      await iam.putPolicy(name, request.body);
      return DONE;
    case 'DELETE policies/:name':
      authorize('admin:DeletePolicy');
      await iam.removePolicy(name);
      return DONE;
    case 'POST attach-policies':
    case 'POST detach-policies': {
      authorize('admin:AttachUserOrGroupPolicy');
      const change = body();
      const policies = stringList(change.policies, 'policies');
      if (resource === 'attach-policies') await iam.attachPolicies(policies, attachTarget(change));
      else await iam.detachPolicies(policies, attachTarget(change));
      return DONE;
    }
    default:
      return undefined;
  }
}
