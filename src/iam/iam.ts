/**
 * IAM on one node: the deployment's users, service accounts, groups and policies held in memory as
 * identities ready for decisions, kept current with the stored state.
 *
 * A change is made under a deployment-wide lock on the state read fresh from the store, written back
 * through the object layer, installed here, and then every other node is told to reload before the
 * call returns (a disabled key is refused everywhere at once). A node that could not be told (down, or
 * cut off for a moment) loads the state when it starts and compares the stored state's ETag with its
 * own every REFRESH_MS, so it converges even if a notice is lost.
 */
import { createHash, randomBytes } from 'node:crypto';
import { ObjectLayerError } from '../object/errors.js';
import { DriveError } from '../storage/drive.js';
import type { ObjectLayer } from '../object/types.js';
import type { Locker } from '../lock/locker.js';
import { BucketAccessCache } from './bucket-access.js';
import type { Credentials } from './credentials.js';
import { IamError } from './errors.js';
import { ROOT_ARN, conditionKeysOf, ownerOf, userPrincipalIds, type Identity } from './identity.js';
import type { GranteeDirectory, Owner } from '../meta/acl.js';
import { BUILTIN_POLICIES, PolicyError, parsePolicy, type Policy } from './policy/index.js';
import { Sealer } from './seal.js';
import { checkAccessKey, checkEmail, checkName, checkSecretKey, type GroupEntry, type IamState, type ServiceAccountEntry, type Status, type UserEntry } from './state.js';
import { IamStore, type StoredState } from './store.js';
import { failpoint } from '../failpoints.js';
import type { GroupSummary, PolicySummary, ServiceAccountSummary, UserSummary } from './summaries.js';

const REFRESH_MS = 10_000;
const STATE_LOCK = 'tessera-iam-state';

/** What one node tells the others after a change. */
export type IamNotice = { kind: 'iam' } | { kind: 'bucket-access'; bucket: string };

function isIamNotice(value: unknown): value is IamNotice {
  if (typeof value !== 'object' || value === null) return false;
  const notice = value as Record<string, unknown>;
  if (notice.kind === 'iam') return Object.keys(notice).length === 1;
  return notice.kind === 'bucket-access' && typeof notice.bucket === 'string' && notice.bucket.length <= 63 && Object.keys(notice).length === 2;
}

export interface IamOptions {
  objects: ObjectLayer;
  locks: Locker;
  root: Credentials;
  /** The root credentials before a change: what they sealed is opened, and sealed again under `root`. */
  previousRoot?: Credentials;
  /** Delivers a notice to every other node; resolves with the nodes that could not be told. */
  tellPeers: (notice: IamNotice) => Promise<string[]>;
  log: (line: string) => void;
  refreshMs?: number;
}

interface KeyHolder {
  secretKey: string;
  identity: Identity;
  expiresAt?: number;
}

export interface NewServiceAccount {
  accessKey?: string;
  secretKey?: string;
  policy?: string;
  name?: string;
  description?: string;
  expiresAt?: number;
}

export type AttachTarget = { user: string } | { group: string };

const iso = (ms: number): string => new Date(ms).toISOString();

/** A key of AWS's shape: 20 upper-case letters and digits. */
function newAccessKey(): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
  return [...randomBytes(20)].map((b) => alphabet[b % alphabet.length]).join('');
}

function newSecretKey(): string {
  return randomBytes(30).toString('base64').replace(/[+/]/g, (c) => (c === '+' ? 'x' : 'y'));
}

function parseIdentityPolicy(text: string): Policy {
  try {
    return parsePolicy(text, 'identity');
  } catch (err) {
    if (err instanceof PolicyError) throw new IamError('MalformedPolicy', err.message);
    throw err;
  }
}

export class Iam {
  readonly bucketAccess: BucketAccessCache;
  private readonly store: IamStore;
  private readonly rootIdentity: Identity;
  private state: IamState | undefined;
  private etag = '';
  private keys = new Map<string, KeyHolder>();
  /** Parsed custom policies by their text: a policy is parsed once, not per user that has it. */
  private parsed = new Map<string, Policy>();
  /**
   * Loads and changes of this node's state run one at a time, in the order asked: a load that began
   * before a change finished cannot install the older state over the newer one.
   */
  private queue: Promise<unknown> = Promise.resolve();
  /** A reload asked for and not yet begun: later asks share it (it will read what they need). */
  private queuedReload: Promise<void> | undefined;
  /** The stored state was sealed under other root credentials: no user key is known here. */
  private sealedUnderOthers = false;
  private timer?: NodeJS.Timeout;

  constructor(private readonly options: IamOptions) {
    this.store = new IamStore(options.objects, new Sealer(options.root, options.previousRoot));
    this.rootIdentity = {
      kind: 'root',
      accessKey: options.root.accessKey,
      userName: options.root.accessKey,
      canonicalId: createHash('sha256').update(`tessera-root\u0000${options.root.accessKey}`).digest('hex'),
      displayName: options.root.accessKey,
      policies: [],
      principal: { anonymous: false, ids: [ROOT_ARN, options.root.accessKey] },
      conditionKeys: new Set(),
    };
    this.bucketAccess = new BucketAccessCache(options.objects, this.rootOwner);
  }

  /** The owner of what the root user makes (and of buckets made before owners were kept). */
  get rootOwner(): Owner {
    return ownerOf(this.rootIdentity);
  }

  /** Users as ACL grants name them: by e-mail or canonical id (root included). */
  readonly grantees: GranteeDirectory = {
    byEmail: (email) => this.owners.byEmail.get(email.toLowerCase()),
    byId: (id) => (id === this.rootIdentity.canonicalId ? this.rootOwner : this.owners.byId.get(id)),
  };
  /** Users as owners, by lower-cased e-mail and by canonical id (rebuilt with the state). */
  private owners = { byEmail: new Map<string, Owner>(), byId: new Map<string, Owner>() };

  /** Loads the stored state (retrying in the background until it can) and keeps it current. */
  async start(): Promise<void> {
    await this.refresh().catch((err: unknown) => this.options.log(`tessera: IAM: cannot load users and policies yet (${(err as Error).message}); only the root user is accepted until they load`));
    this.timer = setInterval(() => void this.refresh().catch((err: unknown) => this.options.log(`tessera: IAM: refresh failed: ${(err as Error).message}`)), this.options.refreshMs ?? REFRESH_MS);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** The secret of an access key that may sign requests now (root, an enabled user, a live service account). */
  lookupSecret = (accessKey: string): string | undefined => {
    if (accessKey === this.options.root.accessKey) return this.options.root.secretKey;
    // Until the state loads, no key but root's can be judged: 503 (retry), not "no such key" (unless
    // it never will: sealed under other root credentials, it holds no key these can open).
    if (this.state === undefined && !this.sealedUnderOthers) throw new ObjectLayerError('read-quorum');
    const holder = this.liveHolder(accessKey);
    return holder?.secretKey;
  };

  /** Who signs with `accessKey` (already verified against lookupSecret). */
  identity(accessKey: string): Identity | undefined {
    if (accessKey === this.options.root.accessKey) return this.rootIdentity;
    return this.liveHolder(accessKey)?.identity;
  }

  private liveHolder(accessKey: string): KeyHolder | undefined {
    const holder = this.keys.get(accessKey);
    if (!holder || (holder.expiresAt !== undefined && holder.expiresAt <= Date.now())) return undefined;
    return holder;
  }

  /** A notice from another node (validated: peers' messages are checked like any input). */
  async onNotice(notice: unknown): Promise<void> {
    if (!isIamNotice(notice)) throw new DriveError('invalid', 'not an IAM notice');
    if (notice.kind === 'iam') await this.reload();
    else {
      // Where a test loses a notice on its way (the sender logs it as missed).
      await failpoint('iam.bucket-access-notice');
      this.bucketAccess.invalidate(notice.bucket);
    }
  }

  /** Drops the bucket's access settings here and on every node; call after changing them. */
  async bucketAccessChanged(bucket: string): Promise<void> {
    this.bucketAccess.invalidate(bucket);
    const missed = await this.options.tellPeers({ kind: 'bucket-access', bucket });
    if (missed.length > 0) this.options.log(`tessera: IAM: could not tell ${missed.join(', ')} that the access settings of bucket ${bucket} changed; they re-read them within 30 s`);
  }

  /** Seals the state again under the current root credentials when it was opened with the previous ones (and still is). */
  private async resealIfNeeded(stored: StoredState): Promise<void> {
    if (!stored.underPrevious) return;
    if (await this.change(() => true, (current) => current.underPrevious === true)) {
      this.options.log('tessera: IAM: users and policies are now sealed under the new root credentials; TESSERA_ROOT_*_PREVIOUS can go');
    }
  }

  /** Runs `work` after every load and change asked for before it. */
  private exclusive<T>(work: () => Promise<T>): Promise<T> {
    const run = this.queue.then(work, work);
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** Reloads when the stored state is not the one held here. */
  async refresh(): Promise<void> {
    if (this.state !== undefined && (await this.store.currentEtag()) === this.etag) return;
    await this.reload();
  }

  /**
   * Loads the stored state. A reload asked for while one runs gets one of its own, after it: the
   * running one may have read the state before the change it is asked for (a notice from a peer).
   */
  reload(): Promise<void> {
    this.queuedReload ??= this.exclusive(async () => {
      this.queuedReload = undefined;
      const stored = await this.store.load().catch((err: unknown) => {
        this.sealedUnderOthers = err instanceof IamError && err.code === 'IamDataSealed';
        throw err;
      });
      this.sealedUnderOthers = false;
      this.install(stored);
      // Not awaited: the reseal is a change, which queues behind this load and takes the deployment's lock.
      void this.resealIfNeeded(stored).catch((err: unknown) => this.options.log(`tessera: IAM: sealing under the new root credentials failed: ${(err as Error).message}`));
    });
    return this.queuedReload;
  }

  private policyByName(name: string, state: IamState): Policy | undefined {
    const builtin = BUILTIN_POLICIES.get(name);
    if (builtin) return builtin;
    const entry = state.policies[name];
    if (!entry) return undefined;
    let policy = this.parsed.get(entry.text);
    if (!policy) {
      try {
        policy = parsePolicy(entry.text, 'identity');
      } catch (err) {
        this.options.log(`tessera: IAM: policy ${name} no longer parses (${(err as Error).message}); it grants nothing`);
        return undefined;
      }
      this.parsed.set(entry.text, policy);
    }
    return policy;
  }

  /** Makes `stored` the state decisions are made with. */
  private install({ state, etag }: StoredState): void {
    const keys = new Map<string, KeyHolder>();
    const groupPolicies = new Map<string, string[]>();
    for (const group of Object.values(state.groups)) {
      if (group.status !== 'enabled') continue;
      for (const member of group.members) groupPolicies.set(member, [...(groupPolicies.get(member) ?? []), ...group.policies]);
    }
    const policiesOf = (user: string, entry: UserEntry): Policy[] => {
      const names = new Set([...entry.policies, ...(groupPolicies.get(user) ?? [])]);
      return [...names].map((n) => this.policyByName(n, state)).filter((p): p is Policy => p !== undefined);
    };
    const owners = { byEmail: new Map<string, Owner>(), byId: new Map<string, Owner>() };
    for (const [name, entry] of Object.entries(state.users)) {
      const owner = { id: entry.canonicalId, displayName: name };
      owners.byId.set(entry.canonicalId, owner);
      if (entry.email !== undefined) owners.byEmail.set(entry.email.toLowerCase(), owner);
    }
    const userIdentities = new Map<string, Identity>();
    for (const [name, entry] of Object.entries(state.users)) {
      if (entry.status !== 'enabled') continue;
      const policies = policiesOf(name, entry);
      const identity: Identity = {
        kind: 'user',
        accessKey: name,
        userName: name,
        canonicalId: entry.canonicalId,
        displayName: name,
        policies,
        principal: { anonymous: false, ids: userPrincipalIds(name) },
        conditionKeys: conditionKeysOf(policies),
      };
      userIdentities.set(name, identity);
      keys.set(name, { secretKey: entry.secretKey, identity });
    }
    for (const [accessKey, account] of Object.entries(state.serviceAccounts)) {
      const parent = userIdentities.get(account.parent);
      if (account.status !== 'enabled' || !parent) continue;
      let sessionPolicy: Policy | undefined;
      try {
        sessionPolicy = account.policy === undefined ? undefined : parsePolicy(account.policy, 'identity');
      } catch (err) {
        this.options.log(`tessera: IAM: the policy of service account ${accessKey} no longer parses (${(err as Error).message}); the account is refused`);
        continue;
      }
      const identity: Identity = {
        ...parent,
        kind: 'service-account',
        accessKey,
        sessionPolicy,
        principal: parent.principal,
        conditionKeys: conditionKeysOf([...parent.policies, sessionPolicy]),
      };
      keys.set(accessKey, { secretKey: account.secretKey, identity, expiresAt: account.expiresAt });
    }
    this.state = state;
    this.etag = etag;
    this.keys = keys;
    this.owners = owners;
    // Policies no longer stored are parsed afresh if they come back.
    const live = new Set(Object.values(state.policies).map((p) => p.text));
    for (const text of this.parsed.keys()) if (!live.has(text)) this.parsed.delete(text);
  }

  /**
   * Applies `apply` to the state read fresh under the deployment-wide IAM lock, stores the result,
   * installs it and tells the other nodes. `apply` validates and throws IamError to refuse. `onlyIf`
   * looks at the stored state first: false leaves it as it is (and `change` answers undefined).
   */
  private async change<T>(apply: (state: IamState) => T, onlyIf?: (current: StoredState) => boolean): Promise<T | undefined> {
    const changed = await this.exclusive(async () => {
      const lease = await this.options.locks.lock(STATE_LOCK, true);
      try {
        const current = await this.store.load();
        if (onlyIf && !onlyIf(current)) return undefined;
        const next = structuredClone(current.state);
        const result = apply(next);
        lease.check();
        const etag = await this.store.save(next);
        this.install({ state: next, etag });
        return { result };
      } finally {
        lease.release();
      }
    });
    if (!changed) return undefined;
    const missed = await this.options.tellPeers({ kind: 'iam' });
    if (missed.length > 0) this.options.log(`tessera: IAM: could not tell ${missed.join(', ')} of a change; they pick it up within ${(this.options.refreshMs ?? REFRESH_MS) / 1000} s of coming back`);
    return changed.result;
  }

  /** The state held here, for queries; refused while it has never loaded (answers would be wrong, not empty). */
  private current(): IamState {
    if (!this.state) throw new IamError('IamUnavailable', 'IAM data has not loaded yet on this node: too few drives answered; try again shortly');
    return this.state;
  }

  // Users

  /**
   * Adds a user, or (when `mayReplace`) gives an existing one a new secret and e-mail. Only the root
   * user replaces: a delegated admin who could would sign in as any user, more powerful ones included.
   */
  async addUser(accessKey: string, secretKey: string, email?: string, mayReplace = true): Promise<void> {
    checkAccessKey(accessKey);
    checkSecretKey(secretKey);
    if (email !== undefined) checkEmail(email);
    if (accessKey === this.options.root.accessKey) throw new IamError('InvalidArgument', 'that access key is the root user');
    await this.change((state) => {
      if (state.serviceAccounts[accessKey]) throw new IamError('UserAlreadyExists', `${accessKey} is a service account`);
      const now = Date.now();
      const existing = Object.hasOwn(state.users, accessKey) ? state.users[accessKey] : undefined;
      if (existing && !mayReplace) throw new IamError('AccessDenied', `user ${accessKey} exists: only the root user changes a user's secret`);
      if (email !== undefined) {
        const holder = Object.keys(state.users).find((name) => name !== accessKey && state.users[name].email?.toLowerCase() === email.toLowerCase());
        if (holder) throw new IamError('InvalidArgument', `the e-mail address ${email} is user ${holder}'s`);
      }
      state.users[accessKey] = existing
        ? { ...existing, secretKey, updated: now, ...(email !== undefined ? { email } : {}) }
        : { secretKey, status: 'enabled', policies: [], canonicalId: randomBytes(32).toString('hex'), created: now, updated: now, ...(email !== undefined ? { email } : {}) };
    });
  }

  async setUserStatus(accessKey: string, status: Status): Promise<void> {
    await this.change((state) => {
      const user = this.userIn(state, accessKey);
      user.status = status;
      user.updated = Date.now();
    });
  }

  /** Removes the user, its service accounts and its group memberships. */
  async removeUser(accessKey: string): Promise<void> {
    await this.change((state) => {
      this.userIn(state, accessKey);
      delete state.users[accessKey];
      for (const [key, account] of Object.entries(state.serviceAccounts)) if (account.parent === accessKey) delete state.serviceAccounts[key];
      for (const group of Object.values(state.groups)) group.members = group.members.filter((m) => m !== accessKey);
    });
  }

  listUsers(): UserSummary[] {
    const state = this.current();
    return Object.keys(state.users)
      .sort()
      .map((name) => this.userSummary(state, name));
  }

  userInfo(accessKey: string): UserSummary {
    const state = this.current();
    this.userIn(state, accessKey);
    return this.userSummary(state, accessKey);
  }

  private userSummary(state: IamState, name: string): UserSummary {
    const user = state.users[name];
    const groups = Object.keys(state.groups).filter((g) => state.groups[g].members.includes(name)).sort();
    return {
      accessKey: name,
      status: user.status,
      policies: [...user.policies],
      groups,
      canonicalId: user.canonicalId,
      ...(user.email !== undefined ? { email: user.email } : {}),
      created: iso(user.created),
      updated: iso(user.updated),
    };
  }

  private userIn(state: IamState, accessKey: string): UserEntry {
    const user = Object.hasOwn(state.users, accessKey) ? state.users[accessKey] : undefined;
    if (!user) throw new IamError('NoSuchUser', `no user ${JSON.stringify(accessKey)}`);
    return user;
  }

  // Service accounts

  async addServiceAccount(parent: string, request: NewServiceAccount): Promise<{ accessKey: string; secretKey: string }> {
    const accessKey = request.accessKey ?? newAccessKey();
    const secretKey = request.secretKey ?? newSecretKey();
    checkAccessKey(accessKey);
    checkSecretKey(secretKey);
    if (accessKey === this.options.root.accessKey) throw new IamError('InvalidArgument', 'that access key is the root user');
    if (request.policy !== undefined) parseIdentityPolicy(request.policy);
    if (request.expiresAt !== undefined && (!Number.isSafeInteger(request.expiresAt) || request.expiresAt <= Date.now())) {
      throw new IamError('InvalidArgument', 'a service account expiry must be in the future');
    }
    for (const [field, value] of [['name', request.name], ['description', request.description]] as const) {
      if (value !== undefined && (typeof value !== 'string' || value.length > 256)) throw new IamError('InvalidArgument', `a service account ${field} is at most 256 characters`);
    }
    await this.change((state) => {
      this.userIn(state, parent);
      if (state.users[accessKey] || state.serviceAccounts[accessKey]) throw new IamError('UserAlreadyExists', `access key ${accessKey} is taken`);
      const entry: ServiceAccountEntry = { secretKey, parent, status: 'enabled', created: Date.now() };
      if (request.policy !== undefined) entry.policy = request.policy;
      if (request.name !== undefined) entry.name = request.name;
      if (request.description !== undefined) entry.description = request.description;
      if (request.expiresAt !== undefined) entry.expiresAt = request.expiresAt;
      state.serviceAccounts[accessKey] = entry;
    });
    return { accessKey, secretKey };
  }

  async setServiceAccountStatus(accessKey: string, status: Status): Promise<void> {
    await this.change((state) => {
      this.serviceAccountIn(state, accessKey).status = status;
    });
  }

  async removeServiceAccount(accessKey: string): Promise<void> {
    await this.change((state) => {
      this.serviceAccountIn(state, accessKey);
      delete state.serviceAccounts[accessKey];
    });
  }

  listServiceAccounts(parent: string): ServiceAccountSummary[] {
    const state = this.current();
    this.userIn(state, parent);
    return Object.keys(state.serviceAccounts)
      .filter((key) => state.serviceAccounts[key].parent === parent)
      .sort()
      .map((key) => this.serviceAccountSummary(key, state.serviceAccounts[key]));
  }

  /** The user a service account acts as; undefined when there is no such account (which only the caller's permission may learn). */
  parentOf(accessKey: string): string | undefined {
    const state = this.current();
    return Object.hasOwn(state.serviceAccounts, accessKey) ? state.serviceAccounts[accessKey].parent : undefined;
  }

  serviceAccountInfo(accessKey: string): ServiceAccountSummary {
    return this.serviceAccountSummary(accessKey, this.serviceAccountIn(this.current(), accessKey));
  }

  private serviceAccountSummary(accessKey: string, account: ServiceAccountEntry): ServiceAccountSummary {
    return {
      accessKey,
      parent: account.parent,
      status: account.status,
      ...(account.name !== undefined ? { name: account.name } : {}),
      ...(account.description !== undefined ? { description: account.description } : {}),
      ...(account.expiresAt !== undefined ? { expiresAt: iso(account.expiresAt) } : {}),
      ...(account.policy !== undefined ? { policy: account.policy } : {}),
      created: iso(account.created),
    };
  }

  private serviceAccountIn(state: IamState, accessKey: string): ServiceAccountEntry {
    const account = Object.hasOwn(state.serviceAccounts, accessKey) ? state.serviceAccounts[accessKey] : undefined;
    if (!account) throw new IamError('NoSuchServiceAccount', `no service account ${JSON.stringify(accessKey)}`);
    return account;
  }

  // Groups

  /** Adds members to the group, making it if it does not exist; every member must be a user. */
  async addGroupMembers(name: string, members: string[]): Promise<void> {
    checkName('group', name);
    await this.change((state) => {
      for (const member of members) this.userIn(state, member);
      const group = (state.groups[name] ??= { members: [], status: 'enabled', policies: [], created: Date.now() });
      group.members = [...new Set([...group.members, ...members])];
    });
  }

  async removeGroupMembers(name: string, members: string[]): Promise<void> {
    await this.change((state) => {
      const group = this.groupIn(state, name);
      group.members = group.members.filter((m) => !members.includes(m));
    });
  }

  /** Removes a group that has no members left. */
  async removeGroup(name: string): Promise<void> {
    await this.change((state) => {
      const group = this.groupIn(state, name);
      if (group.members.length > 0) throw new IamError('GroupNotEmpty', `group ${name} still has members: remove them first`);
      delete state.groups[name];
    });
  }

  async setGroupStatus(name: string, status: Status): Promise<void> {
    await this.change((state) => {
      this.groupIn(state, name).status = status;
    });
  }

  listGroups(): GroupSummary[] {
    const state = this.current();
    return Object.keys(state.groups)
      .sort()
      .map((name) => this.groupSummary(name, state.groups[name]));
  }

  groupInfo(name: string): GroupSummary {
    return this.groupSummary(name, this.groupIn(this.current(), name));
  }

  private groupSummary(name: string, group: GroupEntry): GroupSummary {
    return { name, status: group.status, members: [...group.members].sort(), policies: [...group.policies], created: iso(group.created) };
  }

  private groupIn(state: IamState, name: string): GroupEntry {
    const group = Object.hasOwn(state.groups, name) ? state.groups[name] : undefined;
    if (!group) throw new IamError('NoSuchGroup', `no group ${JSON.stringify(name)}`);
    return group;
  }

  // Policies

  async putPolicy(name: string, text: string): Promise<void> {
    checkName('policy', name);
    if (BUILTIN_POLICIES.has(name)) throw new IamError('BuiltinPolicy', `${name} is a built-in policy and cannot be replaced`);
    parseIdentityPolicy(text);
    await this.change((state) => {
      const now = Date.now();
      state.policies[name] = { text, created: state.policies[name]?.created ?? now, updated: now };
    });
  }

  async removePolicy(name: string): Promise<void> {
    if (BUILTIN_POLICIES.has(name)) throw new IamError('BuiltinPolicy', `${name} is a built-in policy and cannot be removed`);
    await this.change((state) => {
      if (!Object.hasOwn(state.policies, name)) throw new IamError('NoSuchPolicy', `no policy ${JSON.stringify(name)}`);
      const { users, groups } = this.attachmentsOf(state, name);
      if (users.length + groups.length > 0) throw new IamError('PolicyInUse', `policy ${name} is attached to ${[...users.map((u) => `user ${u}`), ...groups.map((g) => `group ${g}`)].join(', ')}: detach it first`);
      delete state.policies[name];
    });
  }

  listPolicies(): PolicySummary[] {
    const state = this.current();
    const names = [...new Set([...BUILTIN_POLICIES.keys(), ...Object.keys(state.policies)])].sort();
    return names.map((name) => this.policySummary(state, name));
  }

  policyInfo(name: string): PolicySummary {
    const state = this.current();
    if (!BUILTIN_POLICIES.has(name) && !Object.hasOwn(state.policies, name)) throw new IamError('NoSuchPolicy', `no policy ${JSON.stringify(name)}`);
    return this.policySummary(state, name);
  }

  private policySummary(state: IamState, name: string): PolicySummary {
    const builtin = BUILTIN_POLICIES.get(name);
    const text = builtin ? builtin.text : state.policies[name].text;
    return { name, builtin: builtin !== undefined, policy: JSON.parse(text), ...this.attachmentsOf(state, name) };
  }

  private attachmentsOf(state: IamState, policy: string): { users: string[]; groups: string[] } {
    return {
      users: Object.keys(state.users).filter((u) => state.users[u].policies.includes(policy)).sort(),
      groups: Object.keys(state.groups).filter((g) => state.groups[g].policies.includes(policy)).sort(),
    };
  }

  async attachPolicies(policies: string[], target: AttachTarget): Promise<void> {
    await this.changeAttachments(policies, target, (current) => [...new Set([...current, ...policies])]);
  }

  async detachPolicies(policies: string[], target: AttachTarget): Promise<void> {
    await this.changeAttachments(policies, target, (current) => current.filter((p) => !policies.includes(p)));
  }

  private async changeAttachments(policies: string[], target: AttachTarget, update: (current: string[]) => string[]): Promise<void> {
    if (policies.length === 0) throw new IamError('InvalidArgument', 'name at least one policy');
    await this.change((state) => {
      for (const name of policies) if (!BUILTIN_POLICIES.has(name) && !Object.hasOwn(state.policies, name)) throw new IamError('NoSuchPolicy', `no policy ${JSON.stringify(name)}`);
      const holder = 'user' in target ? this.userIn(state, target.user) : this.groupIn(state, target.group);
      holder.policies = update(holder.policies);
      if ('user' in target) (holder as UserEntry).updated = Date.now();
    });
  }
}

