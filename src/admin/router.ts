/**
 * The admin API under `/tessera/admin/v1/`, and `/tessera/metrics`, mounted in the S3 app before S3
 * authentication and routing. Admin requests are signed with SigV4 exactly like S3 requests (same
 * verifier, same keys); the root user may call all of them, any other identity what its policies
 * allow by the route's admin action (admin:ServerInfo, admin:Heal, admin:Profiling, admin:ServerTrace,
 * admin:TopLocksInfo, and IAM's, see
 * iam-api.ts). Answers are JSON (errors too: `{"code", "message"}`).
 *
 *   GET  /tessera/admin/v1/info      nodes, drives (online / offline / healing with progress), sets and
 *                                    how many more drive failures each can take, heal queue, scanner
 *   POST /tessera/admin/v1/heal?bucket=B&prefix=P&recursive=true&deep=true&dryRun=true
 *                                    starts a heal sequence; streams one JSON object per line
 *                                    (application/x-ndjson): buckets, objects, then a summary
 *   GET  /tessera/admin/v1/heal      the recent heal sequences' summaries
 *   GET  /tessera/admin/v1/trace?method=GET,PUT&api=PutObject&bucket=B&prefix=P&errors=true&minDuration=MS&node=HOST:PORT
 *                                    streams every node's finished requests as they happen, one JSON object
 *                                    per line (see trace-feed.ts), until the client hangs up (admin:ServerTrace)
 *   GET  /tessera/admin/v1/top/locks?count=N   the locks held or waited for longest on any node (admin:TopLocksInfo)
 *   GET  /tessera/admin/v1/metrics/history   the last hour of the cluster's S3 traffic, every node's summed per
 *                                    10 s interval: requests/s, 4xx/s, 5xx/s, bytes in/out per second, latency
 *                                    p50/p90/p99; nodes that did not answer listed as unreachable (see
 *                                    metrics-history.ts; admin:Prometheus, as /tessera/metrics)
 *   POST /tessera/admin/v1/profile/start   starts a CPU profile of this node's process (409 if one runs)
 *   POST /tessera/admin/v1/profile/stop    stops it and answers the `.cpuprofile` (409 if none runs)
 *
 *   GET  /tessera/metrics            Prometheus metrics (metrics.ts), for a scraper that sends
 *                                    `Authorization: Bearer <TESSERA_METRICS_TOKEN>` or signs with
 *                                    SigV4 as an identity allowed admin:Prometheus; others get 403
 *
 * It also observes every other (S3) request, for its log line, the metrics and pacing the heal workers.
 */
import { once } from 'node:events';
import { PassThrough } from 'node:stream';
import type { Context, Next } from 'koa';
import { toS3Error } from '../s3/error-mapping.js';
import { log } from '../log.js';
import type { HealManager } from '../heal/manager.js';
import type { HealRequest, SequenceLine } from '../heal/sequence.js';
import { createHash, timingSafeEqual } from 'node:crypto';
import type { AdminAction } from '../iam/actions.js';
import { isAllowed } from '../iam/authorize.js';
import { IamError } from '../iam/errors.js';
import type { Iam } from '../iam/iam.js';
import type { Identity } from '../iam/identity.js';
import { globalConditionValues } from '../iam/request-conditions.js';
import { hasSignature, verifySigV4, type AuthResult } from '../s3/auth/sigv4.js';
import { serveIamAdmin } from './iam-api.js';
import { METRICS_PATH, type ServerMetrics } from './metrics.js';
import { clusterHistory, type MetricsHistory } from './metrics-history.js';
import { observeRequest } from './request-log.js';
import { CpuProfiler } from './profiler.js';
import { askForBody } from '../cluster/listener.js';
import type { LockActivities } from '../lock/activity.js';
import type { ClusterView } from './cluster-view.js';
import { serverInfo } from './server-info.js';
import { MAX_TOP_LOCKS, topLocks } from './top-locks.js';
import { MAX_FILTER_NAME_LENGTH, MAX_FILTER_NAMES, MAX_SUBSCRIBERS, type RequestTrace, type TraceFilter } from './trace.js';
import { clusterTrace } from './trace-feed.js';

export const ADMIN_PREFIX = '/tessera/admin/v1/';

export interface AdminOptions {
  manager: HealManager;
  iam: Iam;
  metrics: ServerMetrics;
  /** This node's last hour of S3 traffic, sampled from `metrics`. */
  history: MetricsHistory;
  /** The bearer token that lets a scraper read the metrics; unset or empty, only signed requests may. */
  metricsToken?: string;
  cluster: ClusterView;
  trace: RequestTrace;
  /** This node's locks, held and awaited. */
  locks: LockActivities;
  /** Aborted when the server stops: answers that last until the client hangs up (the trace) end then. */
  stopping: AbortSignal;
}

/** Unsent trace output a client may leave waiting before the trace stops polling (and the nodes drop events). */
const TRACE_BACKLOG_BYTES = 256 * 1024;

/** The most an admin request's body may carry (a policy document is at most 20 KiB). */
const MAX_ADMIN_BODY = 64 * 1024;

class AdminError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

function flag(value: string | string[] | undefined, name: string): boolean {
  const v = Array.isArray(value) ? value[value.length - 1] : value;
  if (v === undefined) return false;
  if (v === '' || v === 'true' || v === '1') return true;
  if (v === 'false' || v === '0') return false;
  throw new AdminError(400, 'InvalidArgument', `${name} must be true or false, got ${JSON.stringify(v)}`);
}

function text(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[value.length - 1] : value;
}

interface Caller {
  identity: Identity;
  auth: AuthResult;
}

function authenticate(ctx: Context, options: AdminOptions): Caller {
  const url = ctx.req.url ?? '/';
  const q = url.indexOf('?');
  const signed = {
    method: ctx.method,
    rawPath: q < 0 ? url : url.slice(0, q),
    rawQuery: q < 0 ? '' : url.slice(q + 1),
    headers: ctx.req.headersDistinct,
  };
  if (!hasSignature(signed)) throw new AdminError(403, 'AccessDenied', 'the admin API needs requests signed with SigV4');
  const auth = verifySigV4(signed, options.iam.lookupSecret);
  const identity = options.iam.identity(auth.accessKey);
  if (!identity) throw new AdminError(403, 'InvalidAccessKeyId', 'the access key is not (or no longer) valid');
  return { identity, auth };
}

/** Throws AccessDenied unless `identity` may do `action` (admin actions are on every resource: `arn:aws:s3:::*`). */
function authorizer(ctx: Context, identity: Identity): (action: AdminAction) => void {
  return (action) => {
    const conditions = globalConditionValues(identity.conditionKeys, { socket: ctx.req.socket, headers: ctx.req.headers, identity, now: Date.now() });
    if (!isAllowed(identity, { action, resource: 'arn:aws:s3:::*', principal: identity.principal, conditions })) {
      throw new AdminError(403, 'AccessDenied', `this needs the ${action} permission`);
    }
  };
}

/** The request body, read whole (it is small) and checked against the SHA-256 the signature covers. */
async function signedBody(ctx: Context, auth: AuthResult): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  askForBody(ctx.req, ctx.res);
  for await (const chunk of ctx.req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_ADMIN_BODY) throw new AdminError(413, 'EntityTooLarge', `an admin request body is at most ${MAX_ADMIN_BODY} bytes`);
    chunks.push(chunk);
  }
  const body = Buffer.concat(chunks);
  if (auth.payload.kind === 'sha256') {
    if (createHash('sha256').update(body).digest('hex') !== auth.payload.hex) throw new AdminError(400, 'XAmzContentSHA256Mismatch', 'the body does not match its signed SHA-256');
  } else if (body.length > 0) {
    throw new AdminError(400, 'InvalidRequest', 'an admin request with a body must sign it (x-amz-content-sha256)');
  }
  return body.toString('utf8');
}

function segmentsOf(route: string): string[] {
  try {
    return route.split('/').map((s) => decodeURIComponent(s));
  } catch {
    throw new AdminError(400, 'InvalidArgument', 'the path is not validly encoded');
  }
}

function healRequest(ctx: Context): HealRequest {
  const bucket = text(ctx.query.bucket) || undefined;
  const prefix = text(ctx.query.prefix) ?? '';
  if (bucket === undefined && prefix !== '') throw new AdminError(400, 'InvalidArgument', 'a prefix needs a bucket');
  return {
    bucket,
    prefix,
    recursive: flag(ctx.query.recursive, 'recursive'),
    deep: flag(ctx.query.deep, 'deep'),
    dryRun: flag(ctx.query.dryRun, 'dryRun'),
  };
}

function list(value: string | string[] | undefined): string[] | undefined {
  const v = text(value);
  return v ? v.split(',').map((s) => s.trim()).filter((s) => s !== '') : undefined;
}

/** A trace filter's list of names, within what every node takes. */
function names(value: string | string[] | undefined, name: string): string[] | undefined {
  const given = list(value);
  if (given && (given.length > MAX_FILTER_NAMES || given.some((n) => n.length > MAX_FILTER_NAME_LENGTH))) {
    throw new AdminError(400, 'InvalidArgument', `${name} takes at most ${MAX_FILTER_NAMES} names of at most ${MAX_FILTER_NAME_LENGTH} characters`);
  }
  return given;
}

function count(value: string | string[] | undefined, name: string, fallback: number, max: number): number {
  const v = text(value);
  if (v === undefined) return fallback;
  if (!/^\d{1,9}$/.test(v) || Number(v) > max) throw new AdminError(400, 'InvalidArgument', `${name} must be a whole number up to ${max}, got ${JSON.stringify(v)}`);
  return Number(v);
}

function traceFilter(ctx: Context): TraceFilter {
  const bucket = text(ctx.query.bucket) || undefined;
  const prefix = text(ctx.query.prefix) || undefined;
  if (bucket === undefined && prefix !== undefined) throw new AdminError(400, 'InvalidArgument', 'a prefix needs a bucket');
  const minDuration = text(ctx.query.minDuration);
  return {
    methods: names(ctx.query.method, 'method')?.map((m) => m.toUpperCase()),
    apis: names(ctx.query.api, 'api'),
    bucket,
    prefix,
    errorsOnly: flag(ctx.query.errors, 'errors'),
    minDurationMs: minDuration === undefined ? undefined : count(minDuration, 'minDuration', 0, 24 * 3600_000),
  };
}

/** Streams the cluster's trace as NDJSON until the client hangs up; a client that reads slowly loses events. */
function handleTrace(ctx: Context, options: AdminOptions): void {
  const filter = traceFilter(ctx);
  const nodes = list(ctx.query.node);
  const unknown = nodes?.find((n) => !options.cluster.nodes.includes(n));
  if (unknown !== undefined) throw new AdminError(400, 'InvalidArgument', `no node ${unknown} in this deployment (${options.cluster.nodes.join(' ')})`);
  if (!options.trace.hasRoom) throw new AdminError(503, 'TooManyTraces', `${MAX_SUBSCRIBERS} traces are running on this node already: stop one, or trace through another node`);
  const stream = new PassThrough();
  const hungUp = new AbortController();
  ctx.res.once('close', () => hungUp.abort());
  const stop = AbortSignal.any([hungUp.signal, options.stopping]);
  void (async () => {
    for await (const line of clusterTrace(options.trace, options.cluster, filter, stop, nodes && new Set(nodes))) {
      if (stream.destroyed) break;
      stream.write(`${JSON.stringify(line)}\n`);
      // Stop pulling while the client lags: the nodes' buffers fill and drop, this process holds no more.
      while (stream.writableLength > TRACE_BACKLOG_BYTES && !stop.aborted) await once(stream, 'drain', { signal: stop }).catch(() => undefined);
    }
    stream.end();
  })().catch((err: unknown) => {
    log.error('admin trace failed', err);
    stream.destroy();
  });
  ctx.status = 200;
  ctx.type = 'application/x-ndjson';
  ctx.set('Cache-Control', 'no-store');
  ctx.body = stream;
}

async function handleProfile(ctx: Context, profiler: CpuProfiler, action: string): Promise<void> {
  if (action === 'start') {
    if (!(await profiler.start())) throw new AdminError(409, 'ProfilerRunning', 'a CPU profile is already running on this node');
    ctx.type = 'application/json';
    ctx.body = JSON.stringify({ started: true });
    return;
  }
  const profile = await profiler.stop();
  if (!profile) throw new AdminError(409, 'ProfilerNotRunning', 'no CPU profile is running on this node');
  ctx.type = 'application/json';
  ctx.set('Content-Disposition', 'attachment; filename="tessera.cpuprofile"');
  ctx.body = JSON.stringify(profile);
}

async function handleAdmin(ctx: Context, options: AdminOptions, profiler: CpuProfiler): Promise<void> {
  const { identity, auth } = authenticate(ctx, options);
  const authorize = authorizer(ctx, identity);
  const rawRoute = (ctx.req.url ?? '/').split('?')[0].slice(ADMIN_PREFIX.length).replace(/\/+$/, '');
  const route = ctx.path.slice(ADMIN_PREFIX.length).replace(/\/+$/, '');
  const { manager } = options;
  const answer = await serveIamAdmin(options.iam, { method: ctx.method, segments: segmentsOf(rawRoute), body: await signedBody(ctx, auth), authorize, caller: identity });
  if (answer !== undefined) {
    ctx.type = 'application/json';
    ctx.body = JSON.stringify(answer);
    return;
  }
  if (route === 'info' && ctx.method === 'GET') {
    authorize('admin:ServerInfo');
    ctx.type = 'application/json';
    ctx.body = JSON.stringify(await serverInfo(manager, options.cluster));
    return;
  }
  if (route === 'trace' && ctx.method === 'GET') {
    authorize('admin:ServerTrace');
    return handleTrace(ctx, options);
  }
  if (route === 'top/locks' && ctx.method === 'GET') {
    authorize('admin:TopLocksInfo');
    ctx.type = 'application/json';
    ctx.body = JSON.stringify(await topLocks(options.locks, options.cluster, count(ctx.query.count, 'count', 10, MAX_TOP_LOCKS)));
    return;
  }
  if (route === 'metrics/history' && ctx.method === 'GET') {
    authorize('admin:Prometheus');
    ctx.type = 'application/json';
    ctx.set('Cache-Control', 'no-store');
    ctx.body = JSON.stringify(await clusterHistory(options.history, options.cluster));
    return;
  }
  if (route === 'heal' && ctx.method === 'GET') {
    authorize('admin:Heal');
    ctx.type = 'application/json';
    ctx.body = JSON.stringify({ sequences: manager.sequences.list() });
    return;
  }
  if (route === 'heal' && ctx.method === 'POST') {
    authorize('admin:Heal');
    const request = healRequest(ctx);
    const stream = new PassThrough();
    const write = (line: SequenceLine): void => {
      if (!stream.destroyed && !stream.writableEnded) stream.write(`${JSON.stringify(line)}\n`);
    };
    const sequence = manager.sequences.start(request, write);
    void sequence.done.finally(() => {
      if (!stream.destroyed) stream.end();
    });
    ctx.status = 200;
    ctx.type = 'application/x-ndjson';
    ctx.set('Cache-Control', 'no-store');
    ctx.set('x-tessera-heal-sequence', sequence.id);
    ctx.body = stream;
    return;
  }
  if ((route === 'profile/start' || route === 'profile/stop') && ctx.method === 'POST') {
    authorize('admin:Profiling');
    return handleProfile(ctx, profiler, route.slice('profile/'.length));
  }
  if (['info', 'heal', 'trace', 'top/locks', 'metrics/history', 'profile/start', 'profile/stop'].includes(route)) throw new AdminError(405, 'MethodNotAllowed', `${ctx.method} is not allowed on ${ctx.path}`);
  throw new AdminError(404, 'NotFound', `no admin API at ${ctx.path}`);
}

/** Compared as SHA-256 digests, so the comparison takes the same time whatever the lengths. */
function sameSecret(given: string, expected: string): boolean {
  const digest = (s: string): Buffer => createHash('sha256').update(s).digest();
  return timingSafeEqual(digest(given), digest(expected));
}

/** A bearer token equal to the configured one, or a SigV4 signature by an identity allowed admin:Prometheus (as MinIO's metrics). */
function mayReadMetrics(ctx: Context, options: AdminOptions): boolean {
  const bearer = /^Bearer\s+(\S+)\s*$/i.exec(ctx.get('authorization'));
  if (bearer) return !!options.metricsToken && sameSecret(bearer[1], options.metricsToken);
  try {
    const { identity } = authenticate(ctx, options);
    authorizer(ctx, identity)('admin:Prometheus');
    return true;
  } catch (err) {
    if (err instanceof AdminError || toS3Error(err)) return false;
    throw err;
  }
}

async function serveMetrics(ctx: Context, options: AdminOptions): Promise<void> {
  if (!mayReadMetrics(ctx, options)) {
    ctx.status = 403;
    ctx.type = 'text/plain';
    ctx.body = 'metrics need Authorization: Bearer <TESSERA_METRICS_TOKEN>, or a SigV4 signature by an identity allowed admin:Prometheus\n';
    return;
  }
  ctx.type = options.metrics.contentType;
  ctx.body = await options.metrics.render();
}

export function adminRoutes(options: AdminOptions) {
  const profiler = new CpuProfiler();
  return async (ctx: Context, next: Next): Promise<void> => {
    if (ctx.path === METRICS_PATH && (ctx.method === 'GET' || ctx.method === 'HEAD')) return serveMetrics(ctx, options);
    if (ctx.path.startsWith(ADMIN_PREFIX)) {
      try {
        await handleAdmin(ctx, options, profiler);
      } catch (err) {
        const answer = err instanceof AdminError || err instanceof IamError ? err : toS3Error(err);
        const status = answer?.status ?? 500;
        if (status === 500) log.error(`${ctx.method} ${ctx.url}: admin API error`, err);
        ctx.status = status;
        ctx.type = 'application/json';
        ctx.body = JSON.stringify({ code: answer?.code ?? 'InternalError', message: answer && status !== 500 ? answer.message : 'internal error' });
      }
      return;
    }
    // An S3 request: counted while it runs (to the end of its response body), so healing makes way.
    observeRequest(ctx, options.metrics, options.manager.foreground.enter());
    await next();
  };
}
