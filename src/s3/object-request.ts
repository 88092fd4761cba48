/** What object-writing requests share: the target key, the headers to store, the storage class. */
import type { Context } from 'koa';
import { S3Error } from '../errors.js';
import { validateObjectKey } from './names.js';
import { requireBucket, type S3Request } from './request.js';

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

export function requireKey(req: S3Request): { bucket: string; key: string } {
  const bucket = requireBucket(req);
  const key = req.target.key;
  if (key === undefined) throw new S3Error('InvalidRequest', 'An object key is required.');
  validateObjectKey(key);
  return { bucket, key };
}

export function firstValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(',') : value;
}

/** Content headers and user metadata to store, as the request gave them (aws-chunked removed). */
export function storedHeaders(ctx: Context): Record<string, string> {
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

export function parityFor(ctx: Context): number | undefined {
  const storageClass = firstValue(ctx.req.headers['x-amz-storage-class']);
  if (storageClass === undefined || storageClass === 'STANDARD') return undefined;
  if (storageClass === 'REDUCED_REDUNDANCY') return ctx.state.reducedParity as number;
  throw new S3Error('InvalidStorageClass');
}

