/**
 * Reads a small request body (XML documents) completely, with the same verification as uploads.
 * `objectChecksums`: the request's x-amz-checksum-* headers describe an object, not this body
 * (CompleteMultipartUpload), so they are not checked against it.
 */
import { S3Error } from '../errors.js';
import { uploadBody } from './body.js';
import type { S3Request } from './request.js';
import { MAX_XML_BODY } from './xml.js';

export async function readSmallBody(req: S3Request, limit = MAX_XML_BODY, { objectChecksums = false } = {}): Promise<string> {
  const { 'content-length': length, 'transfer-encoding': encoding } = req.ctx.req.headers;
  const streaming = req.auth.payload.kind === 'streaming-signed' || req.auth.payload.kind === 'streaming-unsigned-trailer';
  // No body at all; one sent chunked goes on, to be sized by x-amz-decoded-content-length or refused for its missing length.
  if (length === undefined && encoding === undefined && !streaming) return '';
  if (Number(length) > limit + 64 * 1024) throw new S3Error('MalformedXML', 'The XML document is too large.');
  const body = uploadBody(req.ctx, req.auth, { checksumHeaders: !objectChecksums });
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

/** Whether request headers (or a form's fields) declare a digest of the body: Content-MD5, or a checksum as the SDKs send instead. */
export function declaresBodyDigest(headers: Record<string, unknown>): boolean {
  return Object.keys(headers).some((name) => name === 'content-md5' || name.startsWith('x-amz-checksum-') || name === 'x-amz-sdk-checksum-algorithm');
}

/** Requests AWS refuses without Content-MD5 (or a checksum of the body, as the SDKs send instead). */
export function requireBodyIntegrity(req: S3Request): void {
  if (!declaresBodyDigest(req.ctx.req.headers)) throw new S3Error('InvalidRequest', 'Missing required header for this request: Content-MD5');
}
