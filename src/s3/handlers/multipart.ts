import { S3Error } from '../../errors.js';
import { MAX_PART_SIZE } from '../../erasure/multipart.js';
import type { PartInfo } from '../../object/types.js';
import { entityTooLarge, uploadBody } from '../body.js';
import { algorithmFromHeader, headerForAlgorithm, CHECKSUM_ALGORITHMS, type ChecksumAlgorithm } from '../checksums.js';
import { writePrecondition } from '../conditions.js';
import { copyBody, openCopySource } from '../copy-source.js';
import { checkListedPartChecksums, defaultChecksumType, isFullObjectCapable, multipartChecksums, type ChecksumType, type DeclaredChecksum } from '../multipart-checksums.js';
import { firstValue, parityFor, parsePartNumber, requireKey, storedHeaders } from '../object-request.js';
import { readSmallBody } from '../read-body.js';
import { compareKeys, isNameOf } from '../../storage/names.js';
import { requireBucket, type S3Request } from '../request.js';
import { objectUrl, quoteEtag, sendXml, setExpirationHeader, setVersionHeader, xmlDate } from '../response.js';
import { parseXml } from '../xml.js';
import { requireAttributePermissions, writeAttributes } from '../object-lock.js';
import { objectAclFor, ownerElement } from './acl.js';
import { MAX_LISTED, countParam, listParams } from '../list-params.js';

function checksumHeaderName(alg: string): string {
  return `Checksum${alg}`;
}

function requestedAlgorithm(req: S3Request): { algorithm?: ChecksumAlgorithm; type?: ChecksumType } {
  const rawAlg = firstValue(req.ctx.req.headers['x-amz-checksum-algorithm']);
  const rawType = firstValue(req.ctx.req.headers['x-amz-checksum-type'])?.toUpperCase();
  if (rawAlg === undefined) {
    if (rawType !== undefined) throw new S3Error('InvalidRequest', 'The x-amz-checksum-type header can only be used with the x-amz-checksum-algorithm header.');
    return {};
  }
  const algorithm = algorithmFromHeader(`x-amz-checksum-${rawAlg.toLowerCase()}`);
  if (!algorithm) throw new S3Error('InvalidRequest', `Checksum algorithm ${rawAlg} is not supported.`);
  if (rawType !== undefined && rawType !== 'COMPOSITE' && rawType !== 'FULL_OBJECT') {
    throw new S3Error('InvalidRequest', `Value for x-amz-checksum-type header is invalid.`);
  }
  const type = (rawType as ChecksumType | undefined) ?? defaultChecksumType(algorithm);
  if (type === 'FULL_OBJECT' && !isFullObjectCapable(algorithm)) {
    throw new S3Error('InvalidRequest', `The ${algorithm} algorithm does not support the FULL_OBJECT checksum type.`);
  }
  if (type === 'COMPOSITE' && algorithm === 'CRC64NVME') {
    throw new S3Error('InvalidRequest', 'The CRC64NVME algorithm does not support the COMPOSITE checksum type.');
  }
  return { algorithm, type };
}

export async function createMultipartUpload(req: S3Request): Promise<void> {
  const { bucket, key } = requireKey(req);
  const headers = storedHeaders(req.ctx.req.headers);
  const parity = parityFor(req.ctx);
  if (parity !== undefined) headers['x-amz-storage-class'] = 'REDUCED_REDUNDANCY';
  const { algorithm, type } = requestedAlgorithm(req);
  const attributes = { ...writeAttributes(req.ctx.req.headers), ...(await objectAclFor(req.iam, req.access, bucket, key, req.ctx.req.headers)) };
  await requireAttributePermissions(req.access, { bucket, key }, attributes);
  const upload = await req.objects.newMultipartUpload(bucket, key, {
    headers,
    parity,
    attributes,
    ...(algorithm ? { checksumAlgorithm: algorithm, checksumType: type } : {}),
  });
  if (algorithm) {
    req.ctx.set('x-amz-checksum-algorithm', algorithm);
    req.ctx.set('x-amz-checksum-type', type!);
  }
  sendXml(req.ctx, 'InitiateMultipartUploadResult', { Bucket: bucket, Key: key, UploadId: upload.uploadId });
}

function uploadIdOf(req: S3Request): string {
  const id = req.target.query.get('uploadId');
  // An id this server could never have issued names no upload (and must not reach a drive).
  if (!id || !isNameOf('upload id', id)) throw new S3Error('NoSuchUpload');
  return id;
}

function setPartChecksumHeaders(req: S3Request, part: PartInfo): void {
  for (const [alg, value] of Object.entries(part.checksums ?? {})) req.ctx.set(headerForAlgorithm(alg as ChecksumAlgorithm), value);
}

export async function uploadPart(req: S3Request): Promise<void> {
  const { bucket, key } = requireKey(req);
  const partNumber = parsePartNumber(req.target.query.get('partNumber') ?? '');
  const uploadId = uploadIdOf(req);
  if (req.ctx.req.headers['x-amz-copy-source'] !== undefined) return uploadPartCopy(req, bucket, key, uploadId, partNumber);
  const part = await req.objects.putObjectPart(bucket, key, uploadId, partNumber, (upload) =>
    uploadBody(req.ctx, req.auth, { maxSize: MAX_PART_SIZE, uploadAlgorithm: upload.checksumAlgorithm as ChecksumAlgorithm | undefined }),
  );
  req.ctx.set('ETag', quoteEtag(part.etag));
  setPartChecksumHeaders(req, part);
  req.ctx.status = 200;
  req.ctx.body = '';
}

async function uploadPartCopy(req: S3Request, bucket: string, key: string, uploadId: string, partNumber: number): Promise<void> {
  const { reader } = await openCopySource(req, { allowRange: true });
  const size = reader.range ? reader.range.end - reader.range.start + 1 : reader.info.size;
  if (size > MAX_PART_SIZE) {
    reader.stream.destroy();
    throw entityTooLarge(size, MAX_PART_SIZE);
  }
  const part = await req.objects
    .putObjectPart(bucket, key, uploadId, partNumber, (upload) => copyBody(reader, upload.checksumAlgorithm as ChecksumAlgorithm | undefined))
    .finally(() => reader.stream.destroy());
  const checksums = Object.fromEntries(Object.entries(part.checksums ?? {}).map(([alg, v]) => [checksumHeaderName(alg), v]));
  setVersionHeader(req.ctx, reader.info, 'x-amz-copy-source-version-id');
  sendXml(req.ctx, 'CopyPartResult', { LastModified: xmlDate(part.modTime), ETag: quoteEtag(part.etag), ...checksums });
}

interface ListedPart {
  PartNumber?: unknown;
  ETag?: unknown;
  [checksum: string]: unknown;
}

export async function completeMultipartUpload(req: S3Request): Promise<void> {
  const { bucket, key } = requireKey(req);
  const uploadId = uploadIdOf(req);
  const doc = parseXml(await readSmallBody(req, undefined, { checksumHeaders: false }));
  const root = doc.CompleteMultipartUpload as { Part?: ListedPart | ListedPart[] } | undefined;
  if (!root || typeof root !== 'object') throw new S3Error('MalformedXML');
  const listed = root.Part === undefined ? [] : Array.isArray(root.Part) ? root.Part : [root.Part];
  if (listed.length === 0) throw new S3Error('MalformedXML', 'The XML you provided was not well-formed or did not validate against our published schema');
  const parts = listed.map((p) => {
    const number = Number(p.PartNumber);
    if (!Number.isInteger(number) || typeof p.ETag !== 'string') throw new S3Error('MalformedXML');
    const checksums: Record<string, string> = {};
    for (const alg of CHECKSUM_ALGORITHMS) {
      const value = p[checksumHeaderName(alg)];
      if (typeof value === 'string') checksums[alg] = value;
    }
    return { number, etag: p.ETag, checksums };
  });
  const declared: DeclaredChecksum = { values: {}, type: firstValue(req.ctx.req.headers['x-amz-checksum-type']) };
  for (const alg of CHECKSUM_ALGORITHMS) {
    const value = firstValue(req.ctx.req.headers[headerForAlgorithm(alg)]);
    if (value !== undefined) declared.values[alg] = value;
  }
  const info = await req.objects.completeMultipartUpload(bucket, key, uploadId, parts, {
    checksums: (upload, chosen) => {
      chosen.forEach((part, i) => checkListedPartChecksums(parts[i].checksums, part));
      return multipartChecksums(upload, chosen, declared);
    },
    precondition: writePrecondition(req.ctx.req.headers),
  });
  const checksums = Object.fromEntries(Object.entries(info.checksums).map(([alg, v]) => [checksumHeaderName(alg), v]));
  setVersionHeader(req.ctx, info);
  setExpirationHeader(req.ctx, info);
  sendXml(req.ctx, 'CompleteMultipartUploadResult', {
    Location: objectUrl(req.ctx, bucket, key),
    Bucket: bucket,
    Key: key,
    ETag: quoteEtag(info.etag),
    ...checksums,
    ...(info.checksumType ? { ChecksumType: info.checksumType } : {}),
  });
}

export async function abortMultipartUpload(req: S3Request): Promise<void> {
  const { bucket, key } = requireKey(req);
  await req.objects.abortMultipartUpload(bucket, key, uploadIdOf(req));
  req.ctx.status = 204;
}

export async function listParts(req: S3Request): Promise<void> {
  const { bucket, key } = requireKey(req);
  const uploadId = uploadIdOf(req);
  const maxParts = Math.min(countParam(req.target.query, 'max-parts', MAX_LISTED), MAX_LISTED);
  const marker = countParam(req.target.query, 'part-number-marker', 0);
  const { upload, parts } = await req.objects.listObjectParts(bucket, key, uploadId);
  const after = parts.filter((p) => p.number > marker);
  const page = after.slice(0, maxParts);
  // A page of none (max-parts=0) is the whole answer, not the first of endless empty ones.
  const truncated = maxParts > 0 && after.length > page.length;
  const owner = await ownerElement(req, bucket);
  sendXml(req.ctx, 'ListPartsResult', {
    Bucket: bucket,
    Key: key,
    UploadId: uploadId,
    Initiator: owner,
    Owner: owner,
    StorageClass: upload.headers['x-amz-storage-class'] ?? 'STANDARD',
    PartNumberMarker: marker,
    ...(page.length > 0 ? { NextPartNumberMarker: page[page.length - 1].number } : {}),
    MaxParts: maxParts,
    IsTruncated: truncated,
    ...(upload.checksumAlgorithm ? { ChecksumAlgorithm: upload.checksumAlgorithm, ChecksumType: upload.checksumType } : {}),
    Part: page.map((p) => ({
      PartNumber: p.number,
      LastModified: xmlDate(p.modTime),
      ETag: quoteEtag(p.etag),
      Size: p.size,
      ...Object.fromEntries(Object.entries(p.checksums ?? {}).map(([alg, v]) => [checksumHeaderName(alg), v])),
    })),
  });
}

export async function listMultipartUploads(req: S3Request): Promise<void> {
  const bucket = requireBucket(req);
  const { prefix, delimiter, maxKeys: maxUploads, encode, encodingType } = listParams(req, 'max-uploads');
  const q = req.target.query;
  const keyMarker = q.get('key-marker') ?? '';
  const uploadIdMarker = q.get('upload-id-marker') ?? '';
  const all = await req.objects.listMultipartUploads(bucket, prefix);

  const uploads: typeof all = [];
  const prefixes: string[] = [];
  let truncated = false;
  /** Where the next page starts: after the last upload or common prefix of this one. */
  let next: { key: string; uploadId?: string } | undefined;
  let passedMarker = keyMarker === '';
  for (const u of all) {
    if (!passedMarker) {
      const order = compareKeys(u.key, keyMarker);
      if (order < 0 || (order === 0 && (uploadIdMarker === '' || u.uploadId <= uploadIdMarker))) continue;
      passedMarker = true;
    }
    const at = delimiter ? u.key.indexOf(delimiter, prefix.length) : -1;
    const common = at >= 0 ? u.key.slice(0, at + delimiter.length) : undefined;
    if (common !== undefined && (prefixes[prefixes.length - 1] === common || common === keyMarker)) continue;
    if (uploads.length + prefixes.length >= maxUploads) {
      // A page of none (max-uploads=0) is the whole answer, not the first of endless empty ones.
      truncated = maxUploads > 0;
      break;
    }
    if (common !== undefined) {
      prefixes.push(common);
      next = { key: common };
    } else {
      uploads.push(u);
      next = { key: u.key, uploadId: u.uploadId };
    }
  }
  const owner = await ownerElement(req, bucket);
  sendXml(req.ctx, 'ListMultipartUploadsResult', {
    Bucket: bucket,
    KeyMarker: encode(keyMarker),
    UploadIdMarker: uploadIdMarker,
    ...(truncated && next ? { NextKeyMarker: encode(next.key), NextUploadIdMarker: next.uploadId ?? '' } : {}),
    Prefix: encode(prefix),
    ...(delimiter ? { Delimiter: encode(delimiter) } : {}),
    MaxUploads: maxUploads,
    IsTruncated: truncated,
    Upload: uploads.map((u) => ({
      Key: encode(u.key),
      UploadId: u.uploadId,
      Initiator: owner,
      Owner: owner,
      StorageClass: u.headers['x-amz-storage-class'] ?? 'STANDARD',
      Initiated: xmlDate(u.initiated),
      ...(u.checksumAlgorithm ? { ChecksumAlgorithm: u.checksumAlgorithm, ChecksumType: u.checksumType } : {}),
    })),
    ...(prefixes.length > 0 ? { CommonPrefixes: prefixes.map((p) => ({ Prefix: encode(p) })) } : {}),
    ...(encodingType ? { EncodingType: encodingType } : {}),
  });
}
