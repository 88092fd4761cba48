/** The S3 endpoint as a koa application: request ids, errors as S3 XML, health, auth, routing. */
import Koa, { type Context, type Next } from 'koa';
import { healthRoutes } from '../admin/health.js';
import { S3Error } from '../errors.js';
import { log } from '../log.js';
import { ANONYMOUS } from '../iam/identity.js';
import type { Iam } from '../iam/iam.js';
import type { ObjectLayer } from '../object/types.js';
import { authenticate } from './auth/authenticate.js';
import { presignedHeaders } from './auth/presigned-headers.js';
import { RequestAccess, anonymousAuth, isAnonymous, signedBy } from './access.js';
import { BODY_FLOOR_STATE, DEFAULT_BODY_FLOOR, type BodyFloor } from './body-watchdog.js';
import { parseTarget, type S3Request, type S3Target } from './request.js';
import { checkTransferEncoding } from './body.js';
import { corsHandler } from './cors.js';
import { toS3Error } from './error-mapping.js';
import { isPostObject, postObject } from './handlers/post-object.js';
import { errorXml, newResponseIds, type ErroredRequest } from './response.js';
import { apiName, route } from './routes.js';
import { validateBucketName } from './names.js';

export interface S3AppOptions {
  objects: ObjectLayer;
  /** Who may sign requests, and what each identity may do. */
  iam: Iam;
  region: string;
  /** Parity used for x-amz-storage-class: REDUCED_REDUNDANCY. */
  reducedParity: number;
  /** Domains under which `bucket.<domain>` Host headers address buckets (virtual-host style). */
  domains: string[];
  /** Origins allowed by CORS (`*` for any); empty refuses cross-origin requests. */
  corsOrigins: string[];
  /** Routes served before S3 authentication and routing, after health (the admin API and metrics). */
  routes?: Koa.Middleware[];
  /** The floor rate of request bodies (default DEFAULT_BODY_FLOOR). */
  bodyFloor?: BodyFloor;
}

/**
 * What the server learns of a request as it goes, for its log line and metrics (kept in
 * `ctx.state.facts`): the request id the client is sent, and once read, the operation, the bucket and
 * key, and the access key that signed it (never its secret or signature).
 */
export interface RequestFacts {
  requestId: string;
  operation?: string;
  bucket?: string;
  key?: string;
  accessKey?: string;
}

/** What an error body may name of the request; a URL that cannot even be parsed names nothing. */
function erroredRequest(ctx: Context): ErroredRequest {
  let target = ctx.state.target as S3Target | undefined;
  if (!target) {
    try {
      target = parseTarget(ctx.req.url ?? '/');
    } catch {
      return { method: ctx.method, rawPath: (ctx.req.url ?? '/').split('?')[0] };
    }
  }
  return { method: ctx.method, bucket: target.bucket, key: target.key, query: target.query, rawPath: target.rawPath };
}

/** The request failed because the client went away (or broke the connection), not because of us. */
function clientVanished(ctx: Context, err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return ctx.req.readableAborted || code === 'ECONNRESET' || code === 'ERR_STREAM_PREMATURE_CLOSE' || (err as Error)?.message === 'aborted';
}

function errorHandler() {
  return async (ctx: Context, next: Next): Promise<void> => {
    const ids = newResponseIds();
    const facts: RequestFacts = { requestId: ids.requestId };
    ctx.state.facts = facts;
    ctx.set('x-amz-request-id', ids.requestId);
    ctx.set('x-amz-id-2', ids.hostId);
    ctx.set('Server', 'Tessera');
    try {
      await next();
    } catch (caught) {
      const mapped = toS3Error(caught);
      const vanished = !mapped && clientVanished(ctx, caught);
      const err = mapped ?? (vanished ? new S3Error('IncompleteBody') : new S3Error('InternalError'));
      if (!mapped && !vanished) log.error(`${ctx.method} ${ctx.url}: internal error`, caught, { reqId: ids.requestId });
      if (ctx.headerSent) {
        ctx.req.socket.destroy();
        return;
      }
      ctx.status = err.status;
      ctx.set(err.headers);
      if (err.code === 'NotModified') {
        for (const [name, value] of Object.entries(err.extra)) ctx.set(name, value);
        ctx.body = null;
        ctx.status = 304;
        return;
      }
      if (ctx.method === 'HEAD') {
        ctx.body = null;
        ctx.status = err.status;
        return;
      }
      if (err.code === 'SlowDown' || err.code === 'SlowDownRead' || err.code === 'SlowDownWrite') ctx.set('Retry-After', '1');
      ctx.type = 'application/xml';
      ctx.body = errorXml(err, ids, erroredRequest(ctx));
    }
  };
}

export function createS3App(options: S3AppOptions): Koa {
  const app = new Koa();
  app.silent = true;
  app.use(errorHandler());
  app.use(healthRoutes(options.objects));
  for (const routes of options.routes ?? []) app.use(routes);
  app.use(corsHandler(options.corsOrigins));
  app.use(async (ctx) => {
    ctx.state.region = options.region;
    ctx.state.reducedParity = options.reducedParity;
    ctx.state[BODY_FLOOR_STATE] = options.bodyFloor ?? DEFAULT_BODY_FLOOR;
    const target = parseTarget(ctx.req.url ?? '/', ctx.get('host'), options.domains);
    ctx.state.target = target;
    const formUpload = isPostObject(ctx, target.bucket, target.key);
    const facts = ctx.state.facts as RequestFacts;
    Object.assign(facts, { operation: formUpload ? 'PostObject' : apiName(ctx.method, target, ctx.get('x-amz-copy-source') !== ''), bucket: target.bucket, key: target.key });
    checkTransferEncoding(ctx.req.headers);
    const { iam, objects } = options;
    if (formUpload) {
      await postObject(ctx, objects, iam, target.bucket!, (signer, fields) => {
        facts.accessKey = signer?.accessKey;
        const identity = signer === undefined ? ANONYMOUS : iam.identity(signer.accessKey);
        if (!identity) throw new S3Error('InvalidAccessKeyId', undefined, { AWSAccessKeyId: signer!.accessKey });
        const signed = signer && { authType: 'POST' as const, algorithm: signer.algorithm };
        return new RequestAccess(identity, iam, { socket: ctx.req.socket, headers: fields }, target, signed, objects);
      });
      return;
    }
    // headersDistinct keeps repeated header lines apart, as SigV4 joins them with "," (Node joins with ", ").
    const signed = {
      method: ctx.method,
      rawPath: target.rawPath,
      rawQuery: target.rawQuery,
      headers: ctx.req.headersDistinct,
      ...(target.virtualHost ? { hostBucket: target.bucket } : {}),
    };
    const anonymous = isAnonymous(signed);
    const auth = anonymous ? anonymousAuth(ctx.req.headers) : authenticate(signed, iam.lookupSecret);
    if (!anonymous) facts.accessKey = auth.accessKey;
    if (auth.presigned) {
      for (const [name, value] of Object.entries(presignedHeaders(target.rawQuery, auth.algorithm))) ctx.req.headers[name] ??= value;
    }
    // A key refused between its signature check and here (disabled that instant) is refused as unknown.
    const identity = anonymous ? ANONYMOUS : iam.identity(auth.accessKey);
    if (!identity) throw new S3Error('InvalidAccessKeyId');
    // No request reaches a bucket S3 cannot name (the deployment's own config bucket among them).
    if (target.bucket !== undefined) validateBucketName(target.bucket);
    const found = route(ctx.method, target);
    const access = new RequestAccess(identity, iam, { socket: ctx.req.socket, headers: ctx.req.headers }, target, signedBy(auth), objects);
    if (found.decidedBy !== 'handler') {
      const action = found.versionAction && target.query.has('versionId') ? found.versionAction : found.action;
      await access.require(action, { bucket: target.bucket, key: target.key, versionId: target.query.get('versionId') ?? undefined });
    }
    const req: S3Request = { ctx, target, auth, objects, access, iam };
    await found.handler(req);
  });
  return app;
}

