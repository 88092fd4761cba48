/**
 * A client of the admin API (`tessera admin ...`, tests, benchmarks): requests signed with SigV4
 * (@smithy/signature-v4, service `s3`) by the given keys; heal results read as an NDJSON stream.
 * A request body (the IAM routes' JSON, a policy document) is signed by its SHA-256
 * (x-amz-content-sha256), as the server requires of any admin request with a body.
 */
import { createHash, createHmac, type Hash, type Hmac } from 'node:crypto';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest, type Agent } from 'node:https';
import { buffer } from 'node:stream/consumers';
import { SignatureV4 } from '@smithy/signature-v4';
import type { HealRequest, SequenceLine } from '../heal/sequence.js';
import type { serverInfo } from './server-info.js';
import type { TopLocks } from './top-locks.js';
import type { TraceFilter } from './trace.js';
import type { TraceLine } from './trace-feed.js';
import type { GroupSummary, PolicySummary, ServiceAccountSummary, UserSummary } from '../iam/summaries.js';

export interface AdminEndpoint {
  url: string;
  accessKey: string;
  secretKey: string;
  region?: string;
  /** For an https URL: whom to trust (default: the system's CAs). */
  httpsAgent?: Agent;
}

type Data = string | ArrayBuffer | ArrayBufferView;

function bytes(data: Data): Buffer {
  if (typeof data === 'string') return Buffer.from(data);
  if (ArrayBuffer.isView(data)) return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  return Buffer.from(data);
}

/** SHA-256 and HMAC-SHA-256 from node:crypto in the shape the signer expects. */
export class Sha256 {
  private hash: Hash | Hmac;

  constructor(private readonly secret?: Data) {
    this.hash = this.fresh();
  }

  private fresh(): Hash | Hmac {
    return this.secret === undefined ? createHash('sha256') : createHmac('sha256', bytes(this.secret));
  }

  update(data: Data): void {
    this.hash.update(bytes(data));
  }

  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.hash.digest());
  }

  reset(): void {
    this.hash = this.fresh();
  }
}

/** A path segment (a user, group or policy name) percent-encoded as SigV4's canonical URI has it. */
function segment(name: string): string {
  return encodeURIComponent(name).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** What a request sends: a body as is (with its content type), or a value as JSON. */
export type RequestBody = { data: string | Buffer; contentType?: string } | { json: unknown };

export type UserStatus = 'enabled' | 'disabled';

/** A new service account's settings (`policy` as JSON text or a document). */
export interface ServiceAccountOptions {
  accessKey?: string;
  secretKey?: string;
  policy?: string | object;
  name?: string;
  description?: string;
  /** When it stops working (an ISO 8601 date or a Date). */
  expiresAt?: string | Date;
}

export type PolicyTarget = { user: string } | { group: string };

/** An error answer of the admin API. */
export class AdminApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'AdminApiError';
  }
}

/** What `AdminClient.trace` follows: the server's filter (see trace.ts), and which nodes (default: all). */
export interface TraceOptions extends TraceFilter {
  nodes?: string[];
}

/** The JSON values of an NDJSON response, as they arrive. */
async function* jsonLines<T>(res: IncomingMessage): AsyncGenerator<T> {
  const decoder = new TextDecoder();
  let pending = '';
  for await (const chunk of res as AsyncIterable<Uint8Array>) {
    pending += decoder.decode(chunk, { stream: true });
    let newline: number;
    while ((newline = pending.indexOf('\n')) >= 0) {
      const line = pending.slice(0, newline).trim();
      pending = pending.slice(newline + 1);
      if (line) yield JSON.parse(line) as T;
    }
  }
  pending += decoder.decode();
  if (pending.trim()) yield JSON.parse(pending) as T;
}

export class AdminClient {
  private readonly signer: SignatureV4;
  private readonly base: URL;
  private readonly httpsAgent?: Agent;

  constructor(endpoint: AdminEndpoint) {
    this.httpsAgent = endpoint.httpsAgent;
    this.base = new URL(endpoint.url);
    this.signer = new SignatureV4({
      service: 's3',
      region: endpoint.region ?? 'us-east-1',
      credentials: { accessKeyId: endpoint.accessKey, secretAccessKey: endpoint.secretKey },
      sha256: Sha256,
      uriEscapePath: false,
    });
  }

  /**
   * Sends a signed request to `/tessera/admin/v1/<route>` (segments already encoded) with an optional
   * body; resolves with the response once it is 2xx, else throws AdminApiError.
   */
  async request(method: string, route: string, query: Record<string, string> = {}, signal?: AbortSignal, body?: RequestBody): Promise<IncomingMessage> {
    const path = `${this.base.pathname.replace(/\/+$/, '')}/tessera/admin/v1/${route}`;
    const payload = body === undefined ? undefined : 'json' in body ? Buffer.from(JSON.stringify(body.json)) : Buffer.from(body.data);
    const headers: Record<string, string> = { host: this.base.host };
    if (payload !== undefined) {
      headers['content-type'] = body !== undefined && 'data' in body && body.contentType ? body.contentType : 'application/json';
      headers['content-length'] = String(payload.length);
      headers['x-amz-content-sha256'] = createHash('sha256').update(payload).digest('hex');
    }
    const signed = await this.signer.sign({
      method,
      protocol: this.base.protocol,
      hostname: this.base.hostname,
      ...(this.base.port ? { port: Number(this.base.port) } : {}),
      path,
      query,
      headers,
      ...(payload !== undefined ? { body: payload } : {}),
    });
    const search = Object.entries(query)
      .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`)
      .join('&');
    const https = this.base.protocol === 'https:';
    const send = https ? httpsRequest : httpRequest;
    const res = await new Promise<IncomingMessage>((resolve, reject) => {
      const req = send(
        {
          method,
          hostname: this.base.hostname.replace(/^\[|\]$/g, ''),
          port: this.base.port || undefined,
          path: `${path}${search ? `?${search}` : ''}`,
          headers: signed.headers,
          agent: https ? this.httpsAgent : undefined,
          signal,
        },
        resolve,
      );
      req.once('error', reject);
      req.end(payload);
    });
    const status = res.statusCode ?? 0;
    if (status < 200 || status >= 300) {
      const text = (await buffer(res)).toString();
      let code = `HTTP${status}`;
      let message = text.slice(0, 300) || (res.statusMessage ?? '');
      try {
        const parsed = JSON.parse(text) as { code?: string; message?: string };
        code = parsed.code ?? code;
        message = parsed.message ?? message;
      } catch {
        // not JSON: an S3 error page or a proxy's
      }
      throw new AdminApiError(status, code, message);
    }
    return res;
  }

  /** A request whose answer is JSON, parsed. */
  private async call<T>(method: string, route: string, body?: RequestBody): Promise<T> {
    const res = await this.request(method, route, {}, undefined, body);
    const text = (await buffer(res)).toString();
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new AdminApiError(res.statusCode ?? 0, 'InvalidResponse', `the server's answer is not JSON: ${text.slice(0, 100)}`);
    }
  }

  /** A request answered by `{ok: true}`. */
  private async perform(method: string, route: string, body?: RequestBody): Promise<void> {
    await this.call<unknown>(method, route, body);
  }

  async info(): Promise<AdminInfo> {
    return this.call<AdminInfo>('GET', 'info');
  }

  /** Starts a CPU profile of the node's process (AdminApiError 409 when one runs already). */
  async startProfile(): Promise<void> {
    (await this.request('POST', 'profile/start')).resume();
  }

  /** Stops the node's CPU profile and returns it: a `.cpuprofile` (JSON) as DevTools and speedscope read it. */
  async stopProfile(): Promise<Buffer> {
    return buffer(await this.request('POST', 'profile/stop'));
  }

  /** Starts a heal sequence and yields its lines as they arrive (the last one is the summary). */
  async *heal(request: Partial<HealRequest>, signal?: AbortSignal): AsyncGenerator<SequenceLine> {
    const query: Record<string, string> = {};
    if (request.bucket) query.bucket = request.bucket;
    if (request.prefix) query.prefix = request.prefix;
    if (request.recursive) query.recursive = 'true';
    if (request.deep) query.deep = 'true';
    if (request.dryRun) query.dryRun = 'true';
    yield* jsonLines<SequenceLine>(await this.request('POST', 'heal', query, signal));
  }

  /**
   * Follows the live trace of every node's requests (or `filter.nodes`'), line by line, until `signal`
   * aborts (or the server ends it). The first line is `subscribed`: requests after it are traced.
   */
  async *trace(filter: TraceOptions = {}, signal?: AbortSignal): AsyncGenerator<TraceLine> {
    const query: Record<string, string> = {};
    if (filter.methods?.length) query.method = filter.methods.join(',');
    if (filter.apis?.length) query.api = filter.apis.join(',');
    if (filter.bucket) query.bucket = filter.bucket;
    if (filter.prefix) query.prefix = filter.prefix;
    if (filter.errorsOnly) query.errors = 'true';
    if (filter.minDurationMs !== undefined) query.minDuration = String(filter.minDurationMs);
    if (filter.nodes?.length) query.node = filter.nodes.join(',');
    try {
      yield* jsonLines<TraceLine>(await this.request('GET', 'trace', query, signal));
    } catch (err) {
      if (!signal?.aborted) throw err;
    }
  }

  /** The `count` locks held or waited for longest, on any node. */
  async topLocks(count = 10): Promise<TopLocks> {
    const res = await this.request('GET', 'top/locks', { count: String(count) });
    return JSON.parse((await buffer(res)).toString()) as TopLocks;
  }

  // Users

  async listUsers(): Promise<UserSummary[]> {
    return (await this.call<{ users: UserSummary[] }>('GET', 'users')).users;
  }

  async userInfo(accessKey: string): Promise<UserSummary> {
    return this.call<UserSummary>('GET', `users/${segment(accessKey)}`);
  }

  /** Creates the user, or gives an existing one the new secret (and e-mail address, for ACL grants, when given). */
  async addUser(accessKey: string, secretKey: string, email?: string): Promise<void> {
    await this.perform('PUT', `users/${segment(accessKey)}`, { json: { secretKey, ...(email !== undefined ? { email } : {}) } });
  }

  /** Removes the user with its service accounts and group memberships. */
  async removeUser(accessKey: string): Promise<void> {
    await this.perform('DELETE', `users/${segment(accessKey)}`);
  }

  async setUserStatus(accessKey: string, status: UserStatus): Promise<void> {
    await this.perform('PUT', `users/${segment(accessKey)}/status`, { json: { status } });
  }

  // Service accounts

  async listServiceAccounts(user: string): Promise<ServiceAccountSummary[]> {
    return (await this.call<{ serviceAccounts: ServiceAccountSummary[] }>('GET', `users/${segment(user)}/service-accounts`)).serviceAccounts;
  }

  /** Creates a service account of `user`; resolves with its keys (generated unless given). */
  async addServiceAccount(user: string, options: ServiceAccountOptions = {}): Promise<{ accessKey: string; secretKey: string }> {
    const { expiresAt, ...rest } = options;
    const request: Record<string, unknown> = Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined));
    if (expiresAt !== undefined) request.expiresAt = expiresAt instanceof Date ? expiresAt.toISOString() : expiresAt;
    return this.call('POST', `users/${segment(user)}/service-accounts`, { json: request });
  }

  async serviceAccountInfo(accessKey: string): Promise<ServiceAccountSummary> {
    return this.call<ServiceAccountSummary>('GET', `service-accounts/${segment(accessKey)}`);
  }

  async setServiceAccountStatus(accessKey: string, status: UserStatus): Promise<void> {
    await this.perform('PUT', `service-accounts/${segment(accessKey)}/status`, { json: { status } });
  }

  async removeServiceAccount(accessKey: string): Promise<void> {
    await this.perform('DELETE', `service-accounts/${segment(accessKey)}`);
  }

  // Groups

  async listGroups(): Promise<GroupSummary[]> {
    return (await this.call<{ groups: GroupSummary[] }>('GET', 'groups')).groups;
  }

  async groupInfo(name: string): Promise<GroupSummary> {
    return this.call<GroupSummary>('GET', `groups/${segment(name)}`);
  }

  /** Adds and/or removes members (adding to a group that does not exist makes it). */
  async updateGroupMembers(name: string, change: { add?: string[]; remove?: string[] }): Promise<void> {
    const request: Record<string, string[]> = {};
    if (change.add && change.add.length > 0) request.add = change.add;
    if (change.remove && change.remove.length > 0) request.remove = change.remove;
    await this.perform('POST', `groups/${segment(name)}/members`, { json: request });
  }

  async setGroupStatus(name: string, status: UserStatus): Promise<void> {
    await this.perform('PUT', `groups/${segment(name)}/status`, { json: { status } });
  }

  /** Removes a group that has no members. */
  async removeGroup(name: string): Promise<void> {
    await this.perform('DELETE', `groups/${segment(name)}`);
  }

  // Policies

  async listPolicies(): Promise<PolicySummary[]> {
    return (await this.call<{ policies: PolicySummary[] }>('GET', 'policies')).policies;
  }

  async policyInfo(name: string): Promise<PolicySummary> {
    return this.call<PolicySummary>('GET', `policies/${segment(name)}`);
  }

  /** Creates or replaces a policy; `text` is the document, sent as given. */
  async putPolicy(name: string, text: string | Buffer): Promise<void> {
    await this.perform('PUT', `policies/${segment(name)}`, { data: text, contentType: 'application/json' });
  }

  async removePolicy(name: string): Promise<void> {
    await this.perform('DELETE', `policies/${segment(name)}`);
  }

  async attachPolicies(policies: string[], target: PolicyTarget): Promise<void> {
    await this.perform('POST', 'attach-policies', { json: { policies, ...target } });
  }

  async detachPolicies(policies: string[], target: PolicyTarget): Promise<void> {
    await this.perform('POST', 'detach-policies', { json: { policies, ...target } });
  }
}

/** What `GET /tessera/admin/v1/info` answers (see server-info.ts and HealManager.info). */
export type AdminInfo = Awaited<ReturnType<typeof serverInfo>>;
