/**
 * Headers a presigned URL carries in its query, which S3 reads as the request's headers: SDKs move
 * x-amz-* headers (and, with V2, Content-Type and Content-MD5) into the URL so that whoever uses it
 * need not send them. Each is covered by the URL's signature (V4 signs the query; V2 signs them as
 * the headers they stand for). A header the request sends itself wins.
 */
import { parseQuery, type SignatureAlgorithm } from './sigv4.js';

/** Query parameters that carry the signature itself, not a header. */
const V4_SIGNING_PARAMETERS = new Set(['x-amz-algorithm', 'x-amz-credential', 'x-amz-date', 'x-amz-expires', 'x-amz-signedheaders', 'x-amz-signature']);

export function presignedHeaders(rawQuery: string, algorithm: SignatureAlgorithm | undefined): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const { name, value } of parseQuery(rawQuery)) {
    const lower = name.toLowerCase();
    const isHeader = lower.startsWith('x-amz-') ? !V4_SIGNING_PARAMETERS.has(lower) : algorithm === 'AWS' && (lower === 'content-type' || lower === 'content-md5');
    if (isHeader && headers[lower] === undefined) headers[lower] = value;
  }
  return headers;
}
