/**
 * An independent AWS Signature Version 2 signer for tests, written from AWS's "Signing and
 * authenticating REST requests" page: HMAC-SHA1 (base64) over
 * `Method\nContent-MD5\nContent-Type\nDate\n<x-amz-* headers><resource>`, where the date is the Date
 * header ('' when x-amz-date is sent, Expires for a URL), the x-amz-* headers are lower-cased,
 * sorted, trimmed and repeated values joined with ',', and the resource is the path as sent (with
 * `/<bucket>` before it when the Host header named the bucket) followed by the sub-resources among
 * the query parameters, sorted by name, with their values decoded.
 */
import { createHmac } from 'node:crypto';
import { verifySigV2, type SigV2Request } from '../../src/s3/auth/sigv2.js';
import type { S3Error } from '../../src/errors.js';

/** The sub-resources AWS documents, with the ones botocore signs beside them (`cors`, `restore`, `tagging`). */
const SIGNED_SUBRESOURCES = new Set([
  'acl', 'cors', 'delete', 'lifecycle', 'location', 'logging', 'notification', 'partNumber', 'policy', 'requestPayment',
  'restore', 'tagging', 'torrent', 'uploadId', 'uploads', 'versionId', 'versioning', 'versions', 'website',
  'response-cache-control', 'response-content-disposition', 'response-content-encoding', 'response-content-language',
  'response-content-type', 'response-expires',
]);

/** A request as it reaches the server: the path and query as sent, headers by name (repeated ones as arrays). */
export interface V2Wire {
  method: string;
  path: string;
  query?: string;
  headers?: Record<string, string | string[]>;
  hostBucket?: string;
}

export interface V2Keys {
  accessKey: string;
  secretKey: string;
}

function hmacSha1Base64(secret: string, text: string): string {
  return createHmac('sha1', secret).update(text, 'utf8').digest('base64');
}

function lowerCased(headers: V2Wire['headers'] = {}): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const [name, value] of Object.entries(headers)) {
    const lower = name.toLowerCase();
    out.set(lower, [...(out.get(lower) ?? []), ...(Array.isArray(value) ? value : [value])]);
  }
  return out;
}

/** The CanonicalizedResource: bucket from the Host header, path as sent, signed sub-resources with decoded values. */
function v2Resource(wire: V2Wire, subresources: ReadonlySet<string> = SIGNED_SUBRESOURCES): string {
  const path = (wire.hostBucket !== undefined ? `/${wire.hostBucket}` : '') + wire.path;
  const picked = (wire.query ?? '')
    .split('&')
    .filter((part) => part !== '')
    .map((part) => {
      const eq = part.indexOf('=');
      return eq < 0 ? { name: decodeURIComponent(part) } : { name: decodeURIComponent(part.slice(0, eq)), value: decodeURIComponent(part.slice(eq + 1)) };
    })
    .filter((p) => subresources.has(p.name))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return picked.length === 0 ? path : `${path}?${picked.map((p) => (p.value === undefined ? p.name : `${p.name}=${p.value}`)).join('&')}`;
}

/** The StringToSign; `date` defaults to the Date header, or '' when x-amz-date is sent. */
export function v2StringToSign(wire: V2Wire, date?: string, subresources?: ReadonlySet<string>): string {
  const headers = lowerCased(wire.headers);
  const one = (name: string) => headers.get(name)?.[0]?.trim() ?? '';
  const dateLine = date ?? (headers.has('x-amz-date') ? '' : one('date'));
  const amz = [...headers.keys()]
    .filter((name) => name.startsWith('x-amz-'))
    .sort()
    .map((name) => `${name}:${headers.get(name)!.map((v) => v.trim()).join(',')}\n`)
    .join('');
  return `${wire.method}\n${one('content-md5')}\n${one('content-type')}\n${dateLine}\n${amz}${v2Resource(wire, subresources)}`;
}

/** What the server sees of `wire`: lower-cased header names with every value in an array (Node's headersDistinct). */
export function v2Incoming(wire: V2Wire, extraHeaders: Record<string, string> = {}): SigV2Request {
  const headers: Record<string, string[]> = {};
  for (const [name, values] of lowerCased({ ...wire.headers, ...extraHeaders })) headers[name] = values;
  return {
    method: wire.method,
    rawPath: wire.path,
    rawQuery: wire.query ?? '',
    headers,
    ...(wire.hostBucket !== undefined ? { hostBucket: wire.hostBucket } : {}),
  };
}

/** `wire` signed in the Authorization header. */
export function v2HeaderSigned(wire: V2Wire, keys: V2Keys, subresources?: ReadonlySet<string>): SigV2Request {
  const signature = hmacSha1Base64(keys.secretKey, v2StringToSign(wire, undefined, subresources));
  return v2Incoming(wire, { authorization: `AWS ${keys.accessKey}:${signature}` });
}

/** The query parameters that presign `wire` until `expires` (seconds since the epoch). */
export function v2PresignQuery(wire: V2Wire, keys: V2Keys, expires: number, subresources?: ReadonlySet<string>): string {
  const signature = hmacSha1Base64(keys.secretKey, v2StringToSign(wire, String(expires), subresources));
  return `AWSAccessKeyId=${encodeURIComponent(keys.accessKey)}&Expires=${expires}&Signature=${encodeURIComponent(signature)}`;
}

/** `wire` presigned until `expires`, its query parameters after the request's own. */
export function v2Presigned(wire: V2Wire, keys: V2Keys, expires: number, subresources?: ReadonlySet<string>): SigV2Request {
  const auth = v2PresignQuery(wire, keys, expires, subresources);
  return v2Incoming({ ...wire, query: wire.query ? `${wire.query}&${auth}` : auth });
}

/** A header value as Node hands it over: its UTF-8 bytes read as Latin-1. */
export function asNodeReadsIt(value: string): string {
  return Buffer.from(value, 'utf8').toString('latin1');
}

/** AWS's documented example credentials, which the V2 unit tests sign with. */
export const KEYS: V2Keys = { accessKey: 'AKIAIOSFODNN7EXAMPLE', secretKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' };
export const lookup = (accessKey: string): string | undefined => (accessKey === KEYS.accessKey ? KEYS.secretKey : undefined);
/** The unit tests' clock, and an Expires ten minutes after it. */
export const NOW = new Date('2026-03-14T15:09:26Z');
export const EXPIRES = Math.floor(NOW.getTime() / 1000) + 600;

/** What verifySigV2 makes of `req` at NOW: 'accepted', or the S3 error code it refused with. */
export function v2Outcome(req: SigV2Request): string {
  try {
    verifySigV2(req, lookup, NOW);
    return 'accepted';
  } catch (err) {
    return (err as S3Error).code;
  }
}
