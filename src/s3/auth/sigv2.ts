/**
 * AWS Signature Version 2 for S3 (HMAC-SHA1): the `Authorization: AWS <key>:<signature>` header and
 * query-string authentication (`AWSAccessKeyId`, `Expires`, `Signature`), as boto3's default
 * presigned URLs, s3cmd with signature_v2 and older tools send them.
 *
 * The string to sign is the method, Content-MD5, Content-Type, the date (the Date header, empty when
 * x-amz-date is sent, or Expires for a URL), the x-amz-* headers (lower-cased, sorted, repeated values
 * joined with ','), and the resource: the path as sent (with `/<bucket>` before it for a virtual-host
 * request, `/<bucket>/` for a bucket itself) and the parameters that must be signed. A URL's query may
 * carry headers (presigned-headers.ts), signed as the headers they stand for. Clients disagree on
 * whether values are signed decoded (as AWS documents) or as sent (s3cmd), so both are tried; each
 * reading covers the same method, headers, path and parameters.
 */
import { createHmac } from 'node:crypto';
import { S3Error } from '../../errors.js';
import { SUBRESOURCES } from '../subresources.js';
import { declaredPayload } from './payload.js';
import { presignedHeaders } from './presigned-headers.js';
import { checkSkew, hexBytes, parseAmzDate, parseQuery, signaturesEqual, type AuthResult, type IncomingSignedRequest, type SignatureAlgorithm } from './sigv4.js';

export const SIGV2_ALGORITHM = 'AWS' satisfies SignatureAlgorithm;

/** A request with what a V2 resource needs beyond the wire: the bucket its Host header named, if any. */
export interface SigV2Request extends IncomingSignedRequest {
  hostBucket?: string;
}

/**
 * What a V2 signature covers of the query: every parameter that selects what the request does (so a
 * signature cannot be taken to another sub-resource), the version it acts on, the response-header
 * overrides, and the others boto3 signs. A request whose signature leaves one out is refused: boto3's
 * V2 signer omits the sub-resources S3 added after V2 was retired (retention, legal-hold, attributes,
 * publicAccessBlock, ownershipControls, ...), which therefore need V4, as S3 has required since 2020.
 */
const SIGNED_PARAMETERS: ReadonlySet<string> = new Set([
  ...SUBRESOURCES, 'versionId', 'defaultObjectAcl', 'select-type', 'storageClass',
  'response-cache-control', 'response-content-disposition', 'response-content-encoding', 'response-content-language',
  'response-content-type', 'response-expires',
]);

/** How a request is signed with V2, if it is. */
export function sigV2Mechanism(req: IncomingSignedRequest): 'header' | 'query' | undefined {
  const header = single(req.headers, 'authorization');
  if (header !== undefined && /^AWS\s/.test(header.trimStart())) return 'header';
  if (header === undefined && parseQuery(req.rawQuery).some((p) => p.name === 'AWSAccessKeyId' || p.name === 'Signature')) return 'query';
  return undefined;
}

/** base64(HMAC-SHA1(secret, text)): a V2 request signature, and a V2 POST form's policy signature. */
export function sigV2Signature(secret: string, text: string | Buffer): string {
  return createHmac('sha1', secret).update(text).digest('base64');
}

export function verifySigV2(req: SigV2Request, lookupSecret: (accessKey: string) => string | undefined, now: Date = new Date()): AuthResult {
  const viaQuery = sigV2Mechanism(req) === 'query';
  const { accessKey, signature, dateLine } = viaQuery ? queryCredentials(req, now) : headerCredentials(req, now);
  const secret = lookupSecret(accessKey);
  if (secret === undefined) throw new S3Error('InvalidAccessKeyId', undefined, { AWSAccessKeyId: accessKey });
  const headers = viaQuery ? { ...presignedHeaders(req.rawQuery, SIGV2_ALGORITHM), ...req.headers } : req.headers;
  const candidates = stringsToSign({ ...req, headers }, dateLine);
  for (const text of candidates) {
    // Node reads header bytes as Latin-1; clients sign the UTF-8 of the same characters, or those very
    // bytes. Only a text wholly in Latin-1 has that second reading (encoding others would drop bits).
    for (const encoding of /[^\x00-\x7f]/.test(text) && !/[^\x00-\xff]/.test(text) ? (['utf8', 'latin1'] as const) : (['utf8'] as const)) {
      if (signaturesEqual(sigV2Signature(secret, Buffer.from(text, encoding)), signature)) {
        return { accessKey, payload: declaredPayload(headers), presigned: viaQuery, algorithm: SIGV2_ALGORITHM };
      }
    }
  }
  const first = candidates[0]!;
  throw new S3Error('SignatureDoesNotMatch', undefined, {
    AWSAccessKeyId: accessKey,
    StringToSign: first,
    SignatureProvided: signature,
    StringToSignBytes: hexBytes(first),
  });
}

interface V2Credentials {
  accessKey: string;
  signature: string;
  /** What the string to sign carries as its date: the Date header, '' beside x-amz-date, or Expires. */
  dateLine: string[];
}

function single(headers: IncomingSignedRequest['headers'], name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function headerCredentials(req: IncomingSignedRequest, now: Date): V2Credentials {
  const auth = single(req.headers, 'authorization')!.trim();
  const match = /^AWS ([^:\s]+):(\S+)$/.exec(auth);
  if (!match) {
    throw new S3Error('InvalidArgument', 'AWS authorization header is invalid.  Expected AwsAccessKeyId:signature', { ArgumentName: 'Authorization', ArgumentValue: auth });
  }
  const amzDate = single(req.headers, 'x-amz-date');
  const date = single(req.headers, 'date');
  const requestTime = parseHttpDate(amzDate ?? date);
  if (requestTime === undefined) throw new S3Error('AccessDenied', 'AWS authentication requires a valid Date or x-amz-date header');
  checkSkew(requestTime, now, (amzDate ?? date)!);
  // AWS signs '' for the date when x-amz-date is sent; some clients sign the Date header they also send.
  const dateLine = amzDate === undefined ? [date!.trim()] : date === undefined ? [''] : ['', date.trim()];
  return { accessKey: match[1]!, signature: match[2]!, dateLine };
}

function queryCredentials(req: IncomingSignedRequest, now: Date): V2Credentials {
  const params = parseQuery(req.rawQuery);
  const find = (name: string) => params.find((p) => p.name === name)?.value;
  const accessKey = find('AWSAccessKeyId');
  const signature = find('Signature');
  const expires = find('Expires');
  if (!accessKey || !signature || expires === undefined) {
    throw new S3Error('AccessDenied', 'Query-string authentication requires the Signature, Expires and AWSAccessKeyId parameters');
  }
  if (!/^\d+$/.test(expires)) throw new S3Error('AccessDenied', 'Invalid date (should be seconds since epoch): ' + expires);
  if (Number(expires) * 1000 < now.getTime()) {
    throw new S3Error('AccessDenied', 'Request has expired', { Expires: new Date(Number(expires) * 1000).toISOString(), ServerTime: now.toISOString() });
  }
  return { accessKey, signature, dateLine: [expires] };
}

/** An RFC 1123 date as V2 clients send it (or the ISO basic form some send in x-amz-date). */
function parseHttpDate(text: string | undefined): Date | undefined {
  if (text === undefined) return undefined;
  const iso = parseAmzDate(text.trim());
  if (iso) return iso;
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? undefined : new Date(ms);
}

/** The x-amz-* headers as V2 signs them: `name:value\n` each, sorted, repeated values joined with ','. */
function canonicalAmzHeaders(headers: IncomingSignedRequest['headers']): string {
  const names = Object.keys(headers).filter((name) => name.startsWith('x-amz-') && headers[name] !== undefined).sort();
  let out = '';
  for (const name of names) {
    const value = headers[name]!;
    const values = Array.isArray(value) ? value : [value];
    out += `${name}:${values.map((v) => v.replace(/\s*\r?\n\s*/g, ' ').trim()).join(',')}\n`;
  }
  return out;
}

interface QueryPart {
  name: string;
  decoded: string;
  raw: string;
  hasEquals: boolean;
}

function queryParts(rawQuery: string): QueryPart[] {
  return rawQuery.split('&').filter((part) => part !== '').map((part) => {
    const eq = part.indexOf('=');
    const [{ name, value }] = parseQuery(part) as [{ name: string; value: string }];
    return { name, decoded: value, raw: eq < 0 ? '' : part.slice(eq + 1), hasEquals: eq >= 0 };
  });
}

/**
 * The resource as clients sign it: the path as sent, and the signed parameters sorted by name with
 * their values decoded (`name=` kept as sent, as AWS documents and boto3 signs) or as sent (`name`
 * alone when empty, as s3cmd signs).
 */
function canonicalResources(req: SigV2Request): string[] {
  const path = (req.hostBucket !== undefined ? `/${req.hostBucket}` : '') + (req.rawPath === '' ? '/' : req.rawPath);
  const parts = queryParts(req.rawQuery)
    .filter((p) => SIGNED_PARAMETERS.has(p.name))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const query = (text: string[]) => (parts.length === 0 ? '' : '?' + text.join('&'));
  const queries = new Set([query(parts.map((p) => (p.hasEquals ? `${p.name}=${p.decoded}` : p.name))), query(parts.map((p) => (p.raw === '' ? p.name : `${p.name}=${p.raw}`)))]);
  const paths = [path];
  // A bucket's own resource is `/<bucket>/` as AWS documents it (boto3 signs that), or the path as sent.
  if (/^\/[^/]+$/.test(path)) paths.push(`${path}/`);
  return paths.flatMap((p) => [...queries].map((q) => p + q));
}

function stringsToSign(req: SigV2Request, dateLines: string[]): string[] {
  const md5 = single(req.headers, 'content-md5')?.trim() ?? '';
  const type = single(req.headers, 'content-type')?.trim() ?? '';
  const amz = canonicalAmzHeaders(req.headers);
  const out: string[] = [];
  for (const dateLine of dateLines) {
    for (const resource of canonicalResources(req)) out.push(`${req.method.toUpperCase()}\n${md5}\n${type}\n${dateLine}\n${amz}${resource}`);
  }
  return [...new Set(out)];
}
