/** Writing S3 responses: XML bodies, object headers, errors. */
import { randomFillSync } from 'node:crypto';
import type { Context } from 'koa';
import { ERRORS, type ErrorField, type ErrorSpec, type S3Error } from '../errors.js';
import type { ObjectInfo } from '../object/types.js';
import { headerForAlgorithm, type ChecksumAlgorithm } from './checksums.js';
import { sendableHeaders } from './header-values.js';
import { toXml } from './xml.js';
import { lockHeaders } from './object-lock.js';
import { log } from '../log.js';

/** Random bytes drawn a page at a time: asking the system for a few at a time cost more than the rest of a small GET's bookkeeping. */
const randomPool = Buffer.alloc(16 * 1024);
let poolOffset = randomPool.length;

function randomFromPool(bytes: number): Buffer {
  if (poolOffset + bytes > randomPool.length) {
    randomFillSync(randomPool);
    poolOffset = 0;
  }
  poolOffset += bytes;
  return randomPool.subarray(poolOffset - bytes, poolOffset);
}

/** The ids of one response, shaped like S3's: x-amz-request-id (16 characters) and x-amz-id-2, the error document's HostId (base64). */
interface ResponseIds {
  requestId: string;
  hostId: string;
}

export function newResponseIds(): ResponseIds {
  return { requestId: randomFromPool(8).toString('hex').toUpperCase(), hostId: randomFromPool(56).toString('base64') };
}

/** The request an error answers, as far as it is known: what the error document may name of it. */
export interface ErroredRequest {
  method?: string;
  bucket?: string;
  key?: string;
  query?: URLSearchParams;
  /** The path the request was sent to, as sent, when no bucket could be read from it. */
  rawPath?: string;
}

/** The Resource element: the bucket and key the request named (`/bucket/key`), else its path. */
function resourceOf({ bucket, key, rawPath }: ErroredRequest): string | undefined {
  if (bucket === undefined) return rawPath;
  return key === undefined ? `/${bucket}` : `/${bucket}/${key}`;
}

/** The kind of resource a request was sent to, as MethodNotAllowed names it. */
function resourceTypeOf({ bucket, key, query }: ErroredRequest): string {
  if (bucket === undefined) return 'SERVICE';
  if (key === undefined) return 'BUCKET';
  return query?.has('uploadId') ? 'UPLOAD' : 'OBJECT';
}

const FIELD_VALUES: Record<ErrorField, (request: ErroredRequest) => string | undefined> = {
  BucketName: (r) => r.bucket,
  Key: (r) => r.key,
  VersionId: (r) => r.query?.get('versionId') ?? undefined,
  UploadId: (r) => r.query?.get('uploadId') ?? undefined,
  Method: (r) => r.method,
  ResourceType: (r) => (r.method === undefined ? undefined : resourceTypeOf(r)),
};

/**
 * The XML body of an S3 error answer, one shape for handlers, the parser's refusals and the connection
 * limits: Code, Message, the fields the catalogue names for the code (from the request), the error's
 * own fields (which win over those), the Resource (as AWS documents the REST error answer), RequestId
 * and HostId.
 */
export function errorXml(err: S3Error, ids: ResponseIds, request: ErroredRequest = {}): string {
  const named: Record<string, string> = {};
  for (const field of (ERRORS[err.code] as ErrorSpec).fields ?? []) {
    const value = FIELD_VALUES[field](request);
    if (value !== undefined) named[field] = value;
  }
  const resource = resourceOf(request);
  return toXml('Error', { Code: err.code, Message: err.message, ...named, ...err.extra, ...(resource !== undefined ? { Resource: resource } : {}), RequestId: ids.requestId, HostId: ids.hostId }, false);
}

/** An XML answer; `namespace` false leaves out the S3 namespace, as S3 does on a form upload's PostResponse. */
export function sendXml(ctx: Context, root: string, body: Record<string, unknown>, status = 200, namespace = true): void {
  ctx.status = status;
  ctx.type = 'application/xml';
  ctx.body = toXml(root, body, namespace);
}

/** The path-style URL of an object on this endpoint, as S3 writes it in Location fields. */
export function objectUrl(ctx: Context, bucket: string, key: string): string {
  return `${ctx.protocol}://${ctx.host}/${bucket}/${encodeURIComponent(key).replace(/%2F/g, '/')}`;
}

export function quoteEtag(etag: string): string {
  return `"${etag}"`;
}

/** ISO 8601 with milliseconds, as S3 writes dates in XML. */
export function xmlDate(date: Date): string {
  return date.toISOString();
}

let reportedUnsendable = false;

/** The stored headers of an object that HTTP can carry: records written before values were checked may hold others. */
function storedHeadersToSend(info: ObjectInfo): Record<string, string> {
  const { sendable, dropped } = sendableHeaders(info.headers);
  if (dropped.length > 0 && !reportedUnsendable) {
    reportedUnsendable = true;
    log.warn(`${info.bucket}/${info.key}: stored headers left out of responses, not valid in HTTP: ${dropped.join(', ')} (reported once)`);
  }
  return sendable;
}

/** Headers describing a stored object, for GET and HEAD. */
/**
 * A version's id as S3 sends it (`x-amz-version-id`, or a copy's `x-amz-copy-source-version-id`): for
 * every version of a bucket that versioning was ever set on, `null` ones too.
 */
export function setVersionHeader(ctx: Context, info: Pick<ObjectInfo, 'versionId' | 'versioning'>, header = 'x-amz-version-id'): void {
  if (info.versionId !== 'null' || info.versioning !== undefined) ctx.set(header, info.versionId);
}

/** `x-amz-expiration` as S3 writes it, when a lifecycle rule will expire the version. */
export function setExpirationHeader(ctx: Context, info: Pick<ObjectInfo, 'expiration'>): void {
  if (info.expiration) ctx.set('x-amz-expiration', `expiry-date="${new Date(info.expiration.at).toUTCString()}", rule-id="${info.expiration.ruleId.replace(/[^\x20-\x7e]|["\\]/g, '')}"`);
}

/** The headers of the answer to a write of a new version (PUT, a form upload): ETag, version id, expiration and checksums. */
export function setWrittenHeaders(ctx: Context, info: ObjectInfo): void {
  ctx.set('ETag', quoteEtag(info.etag));
  setVersionHeader(ctx, info);
  setExpirationHeader(ctx, info);
  for (const [algorithm, value] of Object.entries(info.checksums)) ctx.set(headerForAlgorithm(algorithm as ChecksumAlgorithm), value);
}

/** The x-amz-checksum-* values a GET or HEAD answers with, and their x-amz-checksum-type. */
export interface SentChecksums {
  values: Record<string, string>;
  type: string;
}

export function setObjectHeaders(ctx: Context, info: ObjectInfo, checksums?: SentChecksums): void {
  const stored = storedHeadersToSend(info);
  ctx.set('ETag', quoteEtag(info.etag));
  ctx.set('Last-Modified', info.modTime.toUTCString());
  ctx.set('Accept-Ranges', 'bytes');
  ctx.set('Content-Type', stored['content-type'] ?? 'binary/octet-stream');
  for (const [name, value] of Object.entries(stored)) {
    if (name !== 'content-type') ctx.set(name, value);
  }
  setVersionHeader(ctx, info);
  if (info.tags) ctx.set('x-amz-tagging-count', String(info.tags.length));
  for (const [name, value] of Object.entries(lockHeaders(info))) ctx.set(name, value);
  setExpirationHeader(ctx, info);
  if (checksums && Object.keys(checksums.values).length > 0) {
    for (const [algorithm, value] of Object.entries(checksums.values)) {
      ctx.set(headerForAlgorithm(algorithm as ChecksumAlgorithm), value);
    }
    ctx.set('x-amz-checksum-type', checksums.type);
  }
}
