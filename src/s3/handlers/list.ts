import { S3Error } from '../../errors.js';
import type { ListedObject, ListResult } from '../../object/types.js';
import { badContinuationToken } from '../error-mapping.js';
import { validatePrefix } from '../names.js';
import { requireBucket, type S3Request } from '../request.js';
import { sendXml, xmlDate } from '../response.js';
import { RawXml, escapeXml } from '../xml.js';
import type { Owner } from '../../meta/acl.js';
import { ownerOfBucket } from './acl.js';

/** The most entries a listing page holds (max-keys, max-uploads), whatever the request asks. */
export const MAX_LISTED = 1000;
const INT32_MAX = 2 ** 31 - 1;

/** encoding-type=url: percent-encode like S3 does, leaving '/' readable. */
export function urlEncode(value: string): string {
  return encodeURIComponent(value).replace(/%2F/g, '/').replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/**
 * A count or number parameter of a listing (max-keys, max-uploads, max-parts, part-number-marker,
 * max-buckets): `fallback` when absent; refused with S3's two messages when it is no 32-bit integer,
 * or one outside [min, max].
 */
export function countParam(query: URLSearchParams, name: string, fallback: number, min = 0, max = INT32_MAX): number {
  const raw = query.get(name);
  if (raw === null) return fallback;
  const value = /^[+-]?\d{1,10}$/.test(raw) ? Number(raw) : NaN;
  if (!(Math.abs(value) <= INT32_MAX)) {
    throw new S3Error('InvalidArgument', `Provided ${name} not an integer or within integer range`, { ArgumentName: name, ArgumentValue: raw });
  }
  if (value < min || value > max) {
    throw new S3Error('InvalidArgument', `Argument ${name} must be an integer between ${min} and ${max}`, { ArgumentName: name, ArgumentValue: raw });
  }
  return value;
}

export interface ListParams {
  prefix: string;
  delimiter: string;
  maxKeys: number;
  encode: (value: string) => string;
  encodingType?: string;
}

/** What a listing of keys (objects, versions, uploads) is asked for; `countName` names its page size parameter. */
export function listParams(req: S3Request, countName = 'max-keys'): ListParams {
  const q = req.target.query;
  const maxKeys = Math.min(countParam(q, countName, MAX_LISTED), MAX_LISTED);
  const encodingType = q.get('encoding-type') ?? undefined;
  if (encodingType !== undefined && encodingType !== 'url') {
    throw new S3Error('InvalidArgument', 'Invalid Encoding Method specified in Request', { ArgumentName: 'encoding-type', ArgumentValue: encodingType });
  }
  return {
    prefix: validatePrefix(q.get('prefix') ?? ''),
    delimiter: q.get('delimiter') ?? '',
    maxKeys,
    encodingType,
    encode: encodingType === 'url' ? urlEncode : (v) => v,
  };
}

/** The Owner element of a listed object: the bucket owner's (objects written with ACLs on show it too, see the README). */
export function ownerXml(owner: Owner): string {
  return `<Owner><ID>${escapeXml(owner.id)}</ID><DisplayName>${escapeXml(owner.displayName)}</DisplayName></Owner>`;
}

/** A listed object's ETag, checksum algorithms and Size elements, written directly. */
export function etagToSizeXml(o: ListedObject): string {
  let algorithms = '';
  for (const algorithm of o.checksumAlgorithms) algorithms += `<ChecksumAlgorithm>${escapeXml(algorithm)}</ChecksumAlgorithm>`;
  // The ETag's quotes escaped here, once: quoteEtag's output would be escaped for every key.
  return `<ETag>&quot;${escapeXml(o.etag)}&quot;</ETag>${algorithms}<Size>${o.size}</Size>`;
}

export function storageClassXml(o: ListedObject): string {
  return `<StorageClass>${o.storageClass === undefined ? 'STANDARD' : escapeXml(o.storageClass)}</StorageClass>`;
}

/** The Contents elements of a listing, written directly: a page holds up to 1,000 of them. */
function contents(objects: ListedObject[], encode: (v: string) => string, withOwner: Owner | undefined): RawXml {
  const owner = withOwner ? ownerXml(withOwner) : '';
  let xml = '';
  for (const o of objects) {
    xml += `<Contents><Key>${escapeXml(encode(o.key))}</Key><LastModified>${xmlDate(o.modTime)}</LastModified>${etagToSizeXml(o)}${owner}${storageClassXml(o)}</Contents>`;
  }
  return new RawXml(xml);
}

function commonPrefixes(result: ListResult, encode: (v: string) => string): Record<string, unknown> {
  return result.prefixes.length > 0 ? { CommonPrefixes: result.prefixes.map((p) => ({ Prefix: encode(p) })) } : {};
}

export async function listObjectsV2(req: S3Request): Promise<void> {
  const bucket = requireBucket(req);
  const p = listParams(req);
  const q = req.target.query;
  const token = q.get('continuation-token') ?? undefined;
  if (token === '') throw badContinuationToken();
  const startAfter = q.get('start-after') ?? undefined;
  const result = await req.objects.listObjects(bucket, {
    prefix: p.prefix,
    delimiter: p.delimiter,
    maxKeys: p.maxKeys,
    after: startAfter,
    position: token,
  });
  sendXml(req.ctx, 'ListBucketResult', {
    Name: bucket,
    Prefix: p.encode(p.prefix),
    ...(p.delimiter ? { Delimiter: p.encode(p.delimiter) } : {}),
    MaxKeys: p.maxKeys,
    ...(p.encodingType ? { EncodingType: p.encodingType } : {}),
    KeyCount: result.objects.length + result.prefixes.length,
    IsTruncated: result.isTruncated,
    ...(token !== undefined ? { ContinuationToken: token } : {}),
    ...(result.isTruncated && result.nextPosition ? { NextContinuationToken: result.nextPosition } : {}),
    ...(startAfter !== undefined ? { StartAfter: p.encode(startAfter) } : {}),
    Contents: contents(result.objects, p.encode, q.get('fetch-owner') === 'true' ? await ownerOfBucket(req, bucket) : undefined),
    ...commonPrefixes(result, p.encode),
  });
}

export async function listObjectsV1(req: S3Request): Promise<void> {
  const bucket = requireBucket(req);
  const p = listParams(req);
  const marker = req.target.query.get('marker') ?? '';
  const result = await req.objects.listObjects(bucket, {
    prefix: p.prefix,
    delimiter: p.delimiter,
    maxKeys: p.maxKeys,
    after: marker || undefined,
  });
  sendXml(req.ctx, 'ListBucketResult', {
    Name: bucket,
    Prefix: p.encode(p.prefix),
    Marker: p.encode(marker),
    ...(result.isTruncated && p.delimiter && result.nextMarker !== undefined ? { NextMarker: p.encode(result.nextMarker) } : {}),
    MaxKeys: p.maxKeys,
    ...(p.delimiter ? { Delimiter: p.encode(p.delimiter) } : {}),
    ...(p.encodingType ? { EncodingType: p.encodingType } : {}),
    IsTruncated: result.isTruncated,
    Contents: contents(result.objects, p.encode, await ownerOfBucket(req, bucket)),
    ...commonPrefixes(result, p.encode),
  });
}
