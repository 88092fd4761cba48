/**
 * The admin API under `/tessera/admin/v1/`, and `/tessera/metrics`, mounted in the S3 app before S3
 * authentication and routing. Admin requests are signed with SigV4 exactly like S3 requests (same
 * verifier, same credential store) and only the root user may call them; answers are JSON (errors
 * too: `{"code", "message"}`).
 *
 *   GET  /tessera/admin/v1/info      nodes, drives (online / offline / healing with progress), sets and
 *                                    how many more drive failures each can take, heal queue, scanner
 *   POST /tessera/admin/v1/heal?bucket=B&prefix=P&recursive=true&deep=true&dryRun=true
 *                                    starts a heal sequence; streams one JSON object per line
 *                                    (application/x-ndjson): buckets, objects, then a summary
 *   GET  /tessera/admin/v1/heal      the recent heal sequences' summaries
 *   POST /tessera/admin/v1/profile/start   starts a CPU profile of this node's process (409 if one runs)
 *   POST /tessera/admin/v1/profile/stop    stops it and answers the `.cpuprofile` (409 if none runs)
 *
 * It also counts every other (S3) request, for the metrics and for pacing the heal workers.
 */
import { PassThrough } from 'node:stream';
import type { Context, Next } from 'koa';
import { toS3Error } from '../s3/error-mapping.js';
import { logError } from '../log.js';
import type { HealManager } from '../heal/manager.js';
import type { HealRequest, SequenceLine } from '../heal/sequence.js';
import type { CredentialStore } from '../iam/credentials.js';
import { hasSignature, verifySigV4 } from '../s3/auth/sigv4.js';
import { METRICS_PATH, RequestMetrics, renderMetrics } from './metrics.js';
import { CpuProfiler } from './profiler.js';

export const ADMIN_PREFIX = '/tessera/admin/v1/';

export interface AdminOptions {
  manager: HealManager;
  credentials: CredentialStore;
  /** Only this access key (the root user) may use the admin API. */
  rootAccessKey: string;
}

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

function authenticate(ctx: Context, options: AdminOptions): void {
  const url = ctx.req.url ?? '/';
  const q = url.indexOf('?');
  const signed = {
    method: ctx.method,
    rawPath: q < 0 ? url : url.slice(0, q),
    rawQuery: q < 0 ? '' : url.slice(q + 1),
    headers: ctx.req.headersDistinct,
  };
  if (!hasSignature(signed)) throw new AdminError(403, 'AccessDenied', 'the admin API needs requests signed with SigV4 by the root user');
  const auth = verifySigV4(signed, options.credentials.lookupSecret);
  if (auth.accessKey !== options.rootAccessKey) throw new AdminError(403, 'AccessDenied', 'only the root user may use the admin API');
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
  authenticate(ctx, options);
  const route = ctx.path.slice(ADMIN_PREFIX.length).replace(/\/+$/, '');
  const { manager } = options;
  if (route === 'info' && ctx.method === 'GET') {
    ctx.type = 'application/json';
    ctx.body = JSON.stringify(await manager.info());
    return;
  }
  if (route === 'heal' && ctx.method === 'GET') {
    ctx.type = 'application/json';
    ctx.body = JSON.stringify({ sequences: manager.sequences.list() });
    return;
  }
  if (route === 'heal' && ctx.method === 'POST') {
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
  if ((route === 'profile/start' || route === 'profile/stop') && ctx.method === 'POST') return handleProfile(ctx, profiler, route.slice('profile/'.length));
  if (route === 'info' || route === 'heal' || route === 'profile/start' || route === 'profile/stop') throw new AdminError(405, 'MethodNotAllowed', `${ctx.method} is not allowed on ${ctx.path}`);
  throw new AdminError(404, 'NotFound', `no admin API at ${ctx.path}`);
}

export function adminRoutes(options: AdminOptions) {
  const requests = new RequestMetrics();
  const profiler = new CpuProfiler();
  return async (ctx: Context, next: Next): Promise<void> => {
    if (ctx.path === METRICS_PATH && (ctx.method === 'GET' || ctx.method === 'HEAD')) {
      ctx.type = 'text/plain; version=0.0.4; charset=utf-8';
      ctx.body = await renderMetrics(options.manager, requests);
      return;
    }
    if (ctx.path.startsWith(ADMIN_PREFIX)) {
      try {
        await handleAdmin(ctx, options, profiler);
      } catch (err) {
        const answer = err instanceof AdminError ? err : toS3Error(err);
        const status = answer?.status ?? 500;
        if (status === 500) logError(`tessera: ${ctx.method} ${ctx.url}: admin API error:`, err);
        ctx.status = status;
        ctx.type = 'application/json';
        ctx.body = JSON.stringify({ code: answer?.code ?? 'InternalError', message: answer && status !== 500 ? answer.message : 'internal error' });
      }
      return;
    }
    // An S3 request: counted while it runs (to the end of its response body), so healing makes way.
    const leave = options.manager.foreground.enter();
    const started = Date.now();
    ctx.res.once('close', () => {
      leave();
      requests.observe(ctx.method, ctx.res.statusCode, Date.now() - started);
    });
    await next();
  };
}
