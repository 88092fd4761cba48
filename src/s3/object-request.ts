/** What object-writing requests share: the target key, the headers to store, the storage class. */
import { S3Error } from '../errors.js';
import { USER_METADATA_PREFIX, checkHeaders } from './header-values.js';
import { validateObjectKey } from './names.js';
import { requireBucket, type S3Request } from './request.js';
import type { AccessResource } from './access.js';
import { isVersionId } from '../meta/version-id.js';
import { MAX_PART_NUMBER } from '../erasure/multipart.js';
import type { Context } from 'koa';

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

export function requireKey(req: S3Request): { bucket: string; key: string } {
  const bucket = requireBucket(req);
  const key = req.target.key;
  if (key === undefined) throw new S3Error('InvalidRequest', 'An object key is required.');
  validateObjectKey(key);
  return { bucket, key };
}

/** A `partNumber` query parameter (UploadPart, UploadPartCopy, GET and HEAD): an integer from 1 to 10000. */
export function parsePartNumber(raw: string): number {
  const n = /^\d+$/.test(raw) ? Number(raw) : NaN;
  if (!(n >= 1 && n <= MAX_PART_NUMBER)) {
    throw new S3Error('InvalidArgument', `Part number must be an integer between 1 and ${MAX_PART_NUMBER}, inclusive`, { ArgumentName: 'partNumber', ArgumentValue: raw });
  }
  return n;
}

export function firstValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(',') : value;
}

/** Request headers by lower-cased name: a request's own, or the fields of a POST form. */
export type HeaderSource = Record<string, string | string[] | undefined>;

/**
 * Content headers and user metadata to store, as the request gave them (aws-chunked removed), checked
 * so that every later response can carry them.
 */
export function storedHeaders(source: HeaderSource): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const name of STORED_HEADERS) {
    const value = firstValue(source[name]);
    if (value !== undefined) headers[name] = value;
  }
  if (headers['content-encoding'] !== undefined) {
    // The client's other encodings are kept as it wrote them, spacing included ("gzip, br").
    const encodings = headers['content-encoding']
      .split(',')
      .filter((e) => e.trim() !== '' && e.trim().toLowerCase() !== 'aws-chunked')
      .join(',')
      .trim();
    if (encodings !== '') headers['content-encoding'] = encodings;
    else delete headers['content-encoding'];
  }
  for (const [name, value] of Object.entries(source)) {
    if (name.startsWith(USER_METADATA_PREFIX)) headers[name] = firstValue(value) ?? '';
  }
  checkHeaders(headers);
  return headers;
}

/** The parity x-amz-storage-class asks for (a request's header, or a form's field); undefined for the default. */
export function parityFor(ctx: Context, source: HeaderSource = ctx.req.headers): number | undefined {
  const storageClass = firstValue(source['x-amz-storage-class']);
  if (storageClass === undefined || storageClass === 'STANDARD') return undefined;
  if (storageClass === 'REDUCED_REDUNDANCY') return ctx.state.reducedParity as number;
  throw new S3Error('InvalidStorageClass');
}

/** A version id as a request gives it (`versionId` parameter, copy source, DeleteObjects entry), checked. */
export function checkVersionId(value: string, argument = 'versionId'): string {
  if (value === '') throw new S3Error('InvalidArgument', 'Version id cannot be the empty string', { ArgumentName: argument, ArgumentValue: '' });
  if (!isVersionId(value)) throw new S3Error('InvalidArgument', 'Invalid version id specified', { ArgumentName: argument, ArgumentValue: value });
  return value;
}

/** x-amz-bypass-governance-retention: true, from an identity allowed s3:BypassGovernanceRetention (else the header does nothing). */
export async function bypassesGovernance(req: S3Request, resource: AccessResource): Promise<boolean> {
  return firstValue(req.ctx.req.headers['x-amz-bypass-governance-retention'])?.toLowerCase() === 'true' && (await req.access.allowed('s3:BypassGovernanceRetention', resource));
}

/** The request's `versionId` parameter, checked; undefined when it names none. */
export function requestedVersion(req: S3Request): string | undefined {
  const value = req.target.query.get('versionId');
  return value === null ? undefined : checkVersionId(value);
}
