import { S3Error } from '../../errors.js';
import { firstValue, requestedVersion, requireKey } from '../object-request.js';
import type { S3Request } from '../request.js';
import { sendXml, setVersionHeader } from '../response.js';

const ATTRIBUTES = new Set(['ETag', 'Checksum', 'ObjectParts', 'StorageClass', 'ObjectSize']);

export async function getObjectAttributes(req: S3Request): Promise<void> {
  const { bucket, key } = requireKey(req);
  const wanted = (firstValue(req.ctx.req.headers['x-amz-object-attributes']) ?? '')
    .split(',')
    .map((a) => a.trim())
    .filter(Boolean);
  if (wanted.length === 0 || wanted.some((a) => !ATTRIBUTES.has(a))) {
    throw new S3Error('InvalidArgument', 'Invalid attribute name specified.');
  }
  const info = await req.objects.getObjectInfo(bucket, key, requestedVersion(req));
  const maxParts = Math.min(Number(firstValue(req.ctx.req.headers['x-amz-max-parts']) ?? 1000) || 1000, 1000);
  const marker = Number(firstValue(req.ctx.req.headers['x-amz-part-number-marker']) ?? 0) || 0;
  const checksumFields = (checksums: Record<string, string> | undefined): Record<string, string> =>
    Object.fromEntries(Object.entries(checksums ?? {}).map(([alg, v]) => [`Checksum${alg}`, v]));
  const body: Record<string, unknown> = {};
  if (wanted.includes('ETag')) body.ETag = info.etag;
  if (wanted.includes('Checksum') && Object.keys(info.checksums).length > 0) {
    body.Checksum = { ...checksumFields(info.checksums), ...(info.checksumType ? { ChecksumType: info.checksumType } : { ChecksumType: 'FULL_OBJECT' }) };
  }
  if (wanted.includes('ObjectParts') && info.multipart) {
    const after = info.parts.filter((p) => p.number > marker);
    const page = after.slice(0, maxParts);
    body.ObjectParts = {
      PartsCount: info.parts.length,
      PartNumberMarker: marker,
      ...(page.length > 0 ? { NextPartNumberMarker: page[page.length - 1].number } : {}),
      MaxParts: maxParts,
      IsTruncated: after.length > page.length,
      Part: page.map((p) => ({ PartNumber: p.number, Size: p.size, ...checksumFields(p.checksums) })),
    };
  }
  if (wanted.includes('StorageClass')) body.StorageClass = info.headers['x-amz-storage-class'] ?? 'STANDARD';
  if (wanted.includes('ObjectSize')) body.ObjectSize = info.size;
  req.ctx.set('Last-Modified', info.modTime.toUTCString());
  setVersionHeader(req.ctx, info);
  sendXml(req.ctx, 'GetObjectAttributesResponse', body);
}
