/** Reads a small request body (XML documents) completely, with the same verification as uploads. */
import { S3Error } from '../errors.js';
import { uploadBody } from './body.js';
import type { S3Request } from './request.js';
import { MAX_XML_BODY } from './xml.js';

export async function readSmallBody(req: S3Request, limit = MAX_XML_BODY): Promise<string> {
  const length = req.ctx.req.headers['content-length'];
  if (length === undefined && req.auth.payload.kind !== 'streaming-signed' && req.auth.payload.kind !== 'streaming-unsigned-trailer') {
    return '';
  }
  if (Number(length) > limit + 64 * 1024) throw new S3Error('MalformedXML', 'The XML document is too large.');
  const body = uploadBody(req.ctx, req.auth);
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

/** Requests AWS refuses without Content-MD5 (or a checksum of the body, as the SDKs send instead). */
export function requireBodyIntegrity(req: S3Request): void {
  const headers = req.ctx.req.headers;
  const declared =
    headers['content-md5'] !== undefined || Object.keys(headers).some((h) => h.startsWith('x-amz-checksum-')) || headers['x-amz-sdk-checksum-algorithm'] !== undefined;
  if (!declared) throw new S3Error('InvalidRequest', 'Missing required header for this request: Content-MD5');
}
