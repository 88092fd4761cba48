import type { ListedObject, ListResult } from '../../object/types.js';
import { badContinuationToken } from '../error-mapping.js';
import { listParams } from '../list-params.js';
import { requireBucket, type S3Request } from '../request.js';
import { sendXml, xmlDate } from '../response.js';
import { RawXml, escapeXml } from '../xml.js';
import type { Owner } from '../../meta/acl.js';
import { ownerOfBucket } from './acl.js';

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
