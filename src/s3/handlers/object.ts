import type { Context } from 'koa';
import { S3Error } from '../../errors.js';
import type { ObjectInfo } from '../../object/types.js';
import { uploadBody } from '../body.js';
import { validateObjectKey } from '../names.js';
import { resolveRange } from '../range.js';
import { requireBucket, type S3Request } from '../request.js';
import { quoteEtag, setObjectHeaders } from '../response.js';
import { headerForAlgorithm, type ChecksumAlgorithm } from '../checksums.js';

/** Request headers stored with an object and returned on GET/HEAD. */
const STORED_HEADERS = [
  'content-type',
  'content-encoding',
  'content-disposition',
  'content-language',
  'cache-control',
  'expires',
  'x-amz-website-redirect-location',
];
/** S3's limit on user metadata (x-amz-meta-* names and values). */
const MAX_USER_METADATA_BYTES = 2048;

const RESPONSE_OVERRIDES: Record<string, string> = {
  'response-content-type': 'Content-Type',
  'response-content-language': 'Content-Language',
  'response-expires': 'Expires',
  'response-cache-control': 'Cache-Control',
  'response-content-disposition': 'Content-Disposition',
  'response-content-encoding': 'Content-Encoding',
};

function requireKey(req: S3Request): { bucket: string; key: string } {
  const bucket = requireBucket(req);
  const key = req.target.key;
  if (key === undefined) throw new S3Error('InvalidRequest', 'An object key is required.');
  validateObjectKey(key);
  return { bucket, key };
}

function firstValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(',') : value;
}

/** Content headers and user metadata to store, as the request gave them (aws-chunked removed). */
function storedHeaders(ctx: Context): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const name of STORED_HEADERS) {
    const value = firstValue(ctx.req.headers[name]);
    if (value !== undefined) headers[name] = value;
  }
  if (headers['content-encoding'] !== undefined) {
    const encodings = headers['content-encoding']
      .split(',')
      .map((e) => e.trim())
      .filter((e) => e && e.toLowerCase() !== 'aws-chunked');
    if (encodings.length > 0) headers['content-encoding'] = encodings.join(',');
    else delete headers['content-encoding'];
  }
  let userBytes = 0;
  for (const [name, raw] of Object.entries(ctx.req.headers)) {
    if (!name.startsWith('x-amz-meta-')) continue;
    const value = firstValue(raw) ?? '';
    userBytes += Buffer.byteLength(name.slice('x-amz-meta-'.length)) + Buffer.byteLength(value);
    headers[name] = value;
  }
  if (userBytes > MAX_USER_METADATA_BYTES) throw new S3Error('MetadataTooLarge');
  return headers;
}

function parityFor(ctx: Context): number | undefined {
  const storageClass = firstValue(ctx.req.headers['x-amz-storage-class']);
  if (storageClass === undefined || storageClass === 'STANDARD') return undefined;
  if (storageClass === 'REDUCED_REDUNDANCY') return ctx.state.reducedParity as number;
  throw new S3Error('InvalidStorageClass');
}

export async function putObject(req: S3Request): Promise<void> {
  const { bucket, key } = requireKey(req);
  if (req.ctx.req.headers['x-amz-copy-source'] !== undefined) {
    throw new S3Error('NotImplemented', 'CopyObject is not implemented yet.');
  }
  const headers = storedHeaders(req.ctx);
  const parity = parityFor(req.ctx);
  if (parity !== undefined) headers['x-amz-storage-class'] = 'REDUCED_REDUNDANCY';
  const body = uploadBody(req.ctx.req, req.auth);
  const info = await req.objects.putObject(bucket, key, body, { headers, parity });
  req.ctx.set('ETag', quoteEtag(info.etag));
  for (const [algorithm, value] of Object.entries(info.checksums)) {
    req.ctx.set(headerForAlgorithm(algorithm as ChecksumAlgorithm), value);
  }
  req.ctx.status = 200;
  req.ctx.body = '';
}

function headerDate(value: string | undefined): Date | undefined {
  if (value === undefined) return undefined;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

function etagMatches(condition: string, etag: string): boolean {
  return condition.split(',').some((c) => {
    const t = c.trim();
    return t === '*' || t.replace(/^W\//, '').replace(/"/g, '') === etag;
  });
}

/** The If-* rules of RFC 7232 as S3 applies them to GET and HEAD. */
function checkConditions(ctx: Context, info: ObjectInfo): void {
  const h = ctx.req.headers;
  const ifMatch = firstValue(h['if-match']);
  const ifNoneMatch = firstValue(h['if-none-match']);
  const ifModifiedSince = headerDate(firstValue(h['if-modified-since']));
  const ifUnmodifiedSince = headerDate(firstValue(h['if-unmodified-since']));
  const modifiedSeconds = Math.floor(info.modTime.getTime() / 1000);
  if (ifMatch !== undefined) {
    if (!etagMatches(ifMatch, info.etag)) throw new S3Error('PreconditionFailed', undefined, { Condition: 'If-Match' });
  } else if (ifUnmodifiedSince && modifiedSeconds > Math.floor(ifUnmodifiedSince.getTime() / 1000)) {
    throw new S3Error('PreconditionFailed', undefined, { Condition: 'If-Unmodified-Since' });
  }
  if (ifNoneMatch !== undefined) {
    if (etagMatches(ifNoneMatch, info.etag)) throw notModified(info);
  } else if (ifModifiedSince && modifiedSeconds <= Math.floor(ifModifiedSince.getTime() / 1000)) {
    throw notModified(info);
  }
}

function notModified(info: ObjectInfo): S3Error {
  return new S3Error('NotModified', undefined, { ETag: quoteEtag(info.etag), 'Last-Modified': info.modTime.toUTCString() });
}

function applyResponseOverrides(req: S3Request): void {
  for (const [param, headerName] of Object.entries(RESPONSE_OVERRIDES)) {
    const value = req.target.query.get(param);
    if (value !== null) req.ctx.set(headerName, value);
  }
}

function checksumModeEnabled(ctx: Context): boolean {
  return firstValue(ctx.req.headers['x-amz-checksum-mode'])?.toUpperCase() === 'ENABLED';
}

export async function getObject(req: S3Request): Promise<void> {
  const { bucket, key } = requireKey(req);
  const rangeHeader = firstValue(req.ctx.req.headers.range);
  const reader = await req.objects.getObject(bucket, key, (info) => {
    checkConditions(req.ctx, info);
    return resolveRange(rangeHeader, info.size);
  });
  const { info, range, stream } = reader;
  // A failure after the headers went out must not look like a short but complete body.
  stream.once('error', () => req.ctx.req.socket.destroy());
  setObjectHeaders(req.ctx, info, checksumModeEnabled(req.ctx) && !range);
  applyResponseOverrides(req);
  if (range) {
    req.ctx.status = 206;
    req.ctx.set('Content-Range', `bytes ${range.start}-${range.end}/${info.size}`);
    req.ctx.body = stream;
    req.ctx.length = range.end - range.start + 1;
  } else {
    req.ctx.status = 200;
    req.ctx.body = stream;
    req.ctx.length = info.size;
  }
}

export async function headObject(req: S3Request): Promise<void> {
  const { bucket, key } = requireKey(req);
  const info = await req.objects.getObjectInfo(bucket, key);
  checkConditions(req.ctx, info);
  const range = resolveRange(firstValue(req.ctx.req.headers.range), info.size);
  setObjectHeaders(req.ctx, info, checksumModeEnabled(req.ctx));
  applyResponseOverrides(req);
  req.ctx.status = range ? 206 : 200;
  if (range) req.ctx.set('Content-Range', `bytes ${range.start}-${range.end}/${info.size}`);
  req.ctx.set('Content-Length', String(range ? range.end - range.start + 1 : info.size));
}

export async function deleteObject(req: S3Request): Promise<void> {
  const { bucket, key } = requireKey(req);
  await req.objects.deleteObject(bucket, key);
  req.ctx.status = 204;
}
