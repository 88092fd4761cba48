/**
 * Reads a small request body (XML documents) completely, with the same verification as uploads.
 * `checksumHeaders` false: the request's x-amz-checksum-* headers describe an object, not this body
 * (CompleteMultipartUpload), so they are not checked against it.
 */
import { S3Error } from '../errors.js';
import { uploadBody } from './body.js';
import { algorithmFromHeader } from './checksums.js';
import { firstValue, type HeaderSource } from './object-request.js';
import type { S3Request } from './request.js';
import { MAX_XML_BODY } from './xml.js';

export async function readSmallBody(req: S3Request, limit = MAX_XML_BODY, { checksumHeaders = true } = {}): Promise<string> {
  const { 'content-length': length, 'transfer-encoding': encoding } = req.ctx.req.headers;
  const streaming = req.auth.payload.kind === 'streaming-signed' || req.auth.payload.kind === 'streaming-unsigned-trailer';
  // No body at all; one sent chunked goes on, to be sized by x-amz-decoded-content-length or refused for its missing length.
  if (length === undefined && encoding === undefined && !streaming) return '';
  if (Number(length) > limit + 64 * 1024) throw new S3Error('MalformedXML', 'The XML document is too large.');
  const body = uploadBody(req.ctx, req.auth, { checksumHeaders });
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body.stream) {
    size += chunk.length;
    if (size > limit) throw new S3Error('MalformedXML', 'The XML document is too large.');
    chunks.push(chunk);
  }
  body.seal();
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * Whether a request (or a form) proves its body: Content-MD5, or an x-amz-checksum-<algorithm> value
 * in a header or named as its trailer, each checked against the body as it is read. A checksum
 * algorithm named without a value (x-amz-sdk-checksum-algorithm, x-amz-checksum-type) proves nothing.
 */
export function declaresBodyDigest(headers: HeaderSource): boolean {
  if (Object.keys(headers).some((name) => name === 'content-md5' || algorithmFromHeader(name) !== undefined)) return true;
  const trailer = firstValue(headers['x-amz-trailer'])?.trim();
  return trailer !== undefined && algorithmFromHeader(trailer) !== undefined;
}

/** Requests AWS refuses without Content-MD5 (or a checksum of the body, as the SDKs send instead). */
export function requireBodyIntegrity(req: S3Request): void {
  if (!declaresBodyDigest(req.ctx.req.headers)) throw new S3Error('InvalidRequest', 'Missing required header for this request: Content-MD5');
}
