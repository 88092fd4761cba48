import { S3Error } from '../../errors.js';
import { uploadBody } from '../body.js';
import { bypassesGovernance, firstValue, parityFor, parsePartNumber, requestedVersion, requireKey, storedHeaders } from '../object-request.js';
import { resolveRange } from '../range.js';
import { checkReadConditions, writePrecondition } from '../conditions.js';
import { checkHeaders } from '../header-values.js';
import { copyBody, openCopySource } from '../copy-source.js';
import type { S3Request } from '../request.js';
import { quoteEtag, sendXml, setExpirationHeader, setObjectHeaders, setVersionHeader, setWrittenHeaders, xmlDate, type SentChecksums } from '../response.js';
import { isObjectLayerError } from '../../object/errors.js';
import type { ByteRange, ObjectInfo } from '../../object/types.js';
import type { ChecksumAlgorithm } from '../checksums.js';
import { tagsFromHeader } from '../tags.js';
import { lockFromHeaders, requireAttributePermissions, writeAttributes } from '../object-lock.js';
import { declaresBodyDigest } from '../read-body.js';
import { objectAclFor } from './acl.js';

/** Query parameters of GET and HEAD that set a response header, by the header they set. */
const RESPONSE_OVERRIDES: Record<string, string> = {
  'content-type': 'response-content-type',
  'content-language': 'response-content-language',
  'expires': 'response-expires',
  'cache-control': 'response-cache-control',
  'content-disposition': 'response-content-disposition',
  'content-encoding': 'response-content-encoding',
};

export async function putObject(req: S3Request): Promise<void> {
  const { bucket, key } = requireKey(req);
  if (req.ctx.req.headers['x-amz-copy-source'] !== undefined) return copyObject(req, bucket, key);
  const headers = storedHeaders(req.ctx.req.headers);
  const parity = parityFor(req.ctx);
  if (parity !== undefined) headers['x-amz-storage-class'] = 'REDUCED_REDUNDANCY';
  const precondition = writePrecondition(req.ctx.req.headers);
  if (precondition) {
    // Fail fast before the body is read; the check that counts is repeated under the object's lock.
    precondition(await req.objects.getObjectInfo(bucket, key).catch(ignoreNoSuchKey));
  }
  const attributes = { ...writeAttributes(req.ctx.req.headers), ...(await objectAclFor(req.iam, req.access, bucket, key, req.ctx.req.headers)) };
  await requireAttributePermissions(req.access, { bucket, key }, attributes);
  const body = uploadBody(req.ctx, req.auth);
  const info = await req.objects.putObject(bucket, key, body, { headers, parity, precondition, attributes, bodyDigest: declaresBodyDigest(req.ctx.req.headers) });
  setWrittenHeaders(req.ctx, info);
  req.ctx.status = 200;
  req.ctx.body = '';
}

function ignoreNoSuchKey(err: unknown): undefined {
  if (isObjectLayerError(err, 'no-such-key')) return undefined;
  throw err;
}

const SELF_COPY_MESSAGE =
  "This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes.";

async function copyObject(req: S3Request, bucket: string, key: string): Promise<void> {
  const headers = req.ctx.req.headers;
  const directive = (firstValue(headers['x-amz-metadata-directive']) ?? 'COPY').toUpperCase();
  if (directive !== 'COPY' && directive !== 'REPLACE') throw new S3Error('InvalidArgument', 'Unknown metadata directive.');
  const parity = parityFor(req.ctx);
  const requested = firstValue(headers['x-amz-checksum-algorithm'])?.toUpperCase() as ChecksumAlgorithm | undefined;
  const replaced = directive === 'REPLACE' ? storedHeaders(headers) : undefined;
  const taggingDirective = (firstValue(headers['x-amz-tagging-directive']) ?? 'COPY').toUpperCase();
  if (taggingDirective !== 'COPY' && taggingDirective !== 'REPLACE') throw new S3Error('InvalidArgument', 'Unknown tagging directive.');
  const newTags = taggingDirective === 'REPLACE' ? tagsFromHeader(headers) : undefined;
  // Object Lock settings are the request's own; the source's are not copied (as S3 does).
  const lock = lockFromHeaders(headers);
  await requireAttributePermissions(req.access, { bucket, key }, { ...(newTags ? { tags: newTags } : {}), ...lock });
  const { source, reader } = await openCopySource(req, { allowRange: false });
  try {
    const changesSomething = directive === 'REPLACE' || taggingDirective === 'REPLACE' || parity !== undefined || headers['x-amz-storage-class'] !== undefined || requested !== undefined;
    if (source.bucket === bucket && source.key === key && source.versionId === undefined && !changesSomething) throw new S3Error('InvalidRequest', SELF_COPY_MESSAGE);
    const stored = replaced ?? { ...reader.info.headers };
    delete stored['x-amz-storage-class'];
    if (parity !== undefined) stored['x-amz-storage-class'] = 'REDUCED_REDUNDANCY';
    const algorithm = requested ?? (Object.keys(reader.info.checksums)[0] as ChecksumAlgorithm | undefined);
    const info = await req.objects.putObject(bucket, key, copyBody(reader, algorithm), {
      headers: stored,
      parity,
      precondition: writePrecondition(headers),
      attributes: { tags: taggingDirective === 'REPLACE' ? newTags : reader.info.tags, ...lock, ...(await objectAclFor(req.iam, req.access, bucket, key, req.ctx.req.headers)) },
    });
    const checksums = Object.fromEntries(Object.entries(info.checksums).map(([alg, v]) => [`Checksum${alg}`, v]));
    setVersionHeader(req.ctx, info);
    setExpirationHeader(req.ctx, info);
    setVersionHeader(req.ctx, reader.info, 'x-amz-copy-source-version-id');
    sendXml(req.ctx, 'CopyObjectResult', { LastModified: xmlDate(info.modTime), ETag: quoteEtag(info.etag), ...checksums });
  } finally {
    reader.stream.destroy();
  }
}

/**
 * The part a GET or HEAD asks for with ?partNumber=N, checked before anything is read: a part number
 * and a Range header together are refused, as S3 refuses them.
 */
function requestedPart(req: S3Request): number | undefined {
  const raw = req.target.query.get('partNumber');
  if (raw === null) return undefined;
  const partNumber = parsePartNumber(raw);
  if (req.ctx.req.headers.range !== undefined) throw new S3Error('InvalidRequest', 'Cannot specify both Range header and partNumber query parameter');
  return partNumber;
}

/** The byte range of part `partNumber` of the object; undefined means the whole object. */
function partRange(req: S3Request, info: ObjectInfo, partNumber: number): ByteRange | undefined {
  req.ctx.set('x-amz-mp-parts-count', String(info.parts.length));
  if (!info.multipart && partNumber === 1) return undefined;
  let start = 0;
  for (const part of info.parts) {
    if (part.number === partNumber) return part.size > 0 ? { start, end: start + part.size - 1 } : undefined;
    start += part.size;
  }
  throw new S3Error('InvalidPartNumber', undefined, { PartNumberRequested: String(partNumber), ActualPartCount: String(info.parts.length) });
}

/** The range a GET or HEAD reads: the part asked for, else the Range header's. */
function readRange(req: S3Request, info: ObjectInfo, partNumber: number | undefined): ByteRange | undefined {
  if (partNumber !== undefined) return partRange(req, info, partNumber);
  return resolveRange(firstValue(req.ctx.req.headers.range), info.size);
}

/**
 * The checksums a GET or HEAD answers with when x-amz-checksum-mode is ENABLED: a part's own for a
 * part of a multipart object, the object's for the whole of it, none for another range.
 */
function checksumsToSend(req: S3Request, info: ObjectInfo, partNumber: number | undefined, range: ByteRange | undefined): SentChecksums | undefined {
  if (firstValue(req.ctx.req.headers['x-amz-checksum-mode'])?.toUpperCase() !== 'ENABLED') return undefined;
  const type = info.checksumType ?? 'FULL_OBJECT';
  if (partNumber !== undefined && info.multipart) return { values: info.parts.find((p) => p.number === partNumber)?.checksums ?? {}, type };
  return range ? undefined : { values: info.checksums, type };
}

/** The response headers the request's response-* parameters ask for, checked before anything is read. */
function responseOverrides(req: S3Request): Record<string, string> {
  const overrides: Record<string, string> = {};
  for (const [header, param] of Object.entries(RESPONSE_OVERRIDES)) {
    const value = req.target.query.get(param);
    if (value !== null) overrides[header] = value;
  }
  checkHeaders(overrides, (header) => RESPONSE_OVERRIDES[header]);
  return overrides;
}

export async function getObject(req: S3Request): Promise<void> {
  const { bucket, key } = requireKey(req);
  const overrides = responseOverrides(req);
  const partNumber = requestedPart(req);
  const reader = await req.objects.getObject(bucket, key, {
    versionId: requestedVersion(req),
    range: (info) => {
      checkReadConditions(req.ctx.req.headers, info);
      return readRange(req, info, partNumber);
    },
  });
  const { info, range, stream } = reader;
  // A failure after the headers went out must not look like a short but complete body.
  stream.once('error', () => req.ctx.req.socket.destroy());
  setObjectHeaders(req.ctx, info, checksumsToSend(req, info, partNumber, range));
  req.ctx.set(overrides);
  sandboxActiveContent(req.ctx);
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

/**
 * Objects share their origin with the web console (/tessera/console/), whose tab holds the user's keys:
 * an HTML or SVG object opened in a browser runs in a sandbox, an origin of its own, and cannot read
 * them. PDFs are left out: Chromium's viewer does not open in a sandbox, and runs no page script.
 */
function sandboxActiveContent(ctx: S3Request['ctx']): void {
  if (!/^application\/pdf\b/i.test(ctx.response.get('Content-Type'))) ctx.set('Content-Security-Policy', 'sandbox');
}

export async function headObject(req: S3Request): Promise<void> {
  const { bucket, key } = requireKey(req);
  const overrides = responseOverrides(req);
  const partNumber = requestedPart(req);
  const info = await req.objects.getObjectInfo(bucket, key, requestedVersion(req));
  checkReadConditions(req.ctx.req.headers, info);
  const range = readRange(req, info, partNumber);
  setObjectHeaders(req.ctx, info, checksumsToSend(req, info, partNumber, range));
  req.ctx.set(overrides);
  req.ctx.status = range ? 206 : 200;
  if (range) req.ctx.set('Content-Range', `bytes ${range.start}-${range.end}/${info.size}`);
  req.ctx.set('Content-Length', String(range ? range.end - range.start + 1 : info.size));
}

export async function deleteObject(req: S3Request): Promise<void> {
  const { bucket, key } = requireKey(req);
  const versionId = requestedVersion(req);
  const outcome = await req.objects.deleteObject(bucket, key, versionId, { bypassGovernance: await bypassesGovernance(req, { bucket, key, versionId }) });
  if (outcome.versionId !== undefined) req.ctx.set('x-amz-version-id', outcome.versionId);
  if (outcome.deleteMarker) req.ctx.set('x-amz-delete-marker', 'true');
  req.ctx.status = 204;
}
