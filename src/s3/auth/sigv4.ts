/**
 * AWS Signature Version 4 verification for S3: Authorization-header auth and presigned URLs.
 *
 * The canonical request is rebuilt from the request exactly as it came off the wire:
 *  - canonical URI: the raw path split on '/', each segment percent-decoded (byte-wise; malformed
 *    escapes are kept literally) and re-encoded with only RFC 3986 unreserved characters left bare.
 *    S3 neither normalises '.'/'..' nor collapses '//', and '%2F' inside a segment stays '%2F'.
 *    If that does not verify, the raw path as sent is tried too (a client that signed the exact bytes
 *    it sent, e.g. with lower-case hex escapes, is still accepted: the bytes are the same ones).
 *  - canonical query: every parameter decoded ('+' means space, as S3 reads query strings) and
 *    re-encoded, sorted by encoded name then encoded value; `X-Amz-Signature` dropped for presign.
 *  - canonical headers: the SignedHeaders list, values trimmed with runs of blanks collapsed,
 *    multiple values (an array, e.g. from IncomingMessage.headersDistinct) joined with ','.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { S3Error } from '../../errors.js';

export interface IncomingSignedRequest {
  method: string;
  /** the request path exactly as sent on the wire, still percent-encoded, no query */
  rawPath: string;
  /** the query string exactly as sent, without '?', '' if none */
  rawQuery: string;
  /** lower-cased names, as Node's IncomingMessage.headers */
  headers: Record<string, string | string[] | undefined>;
}

export interface SigningContext {
  accessKey: string;
  secretKey: string;
  signingKey: Buffer;
  amzDate: string;
  /** 'yyyymmdd/region/s3/aws4_request' */
  scope: string;
  seedSignature: string;
  region: string;
}

export type PayloadMode =
  | { kind: 'unsigned' }
  | { kind: 'sha256'; hex: string }
  | { kind: 'streaming-signed'; trailer: boolean }
  | { kind: 'streaming-unsigned-trailer' };

/** s3:signatureversion: `AWS` for Signature Version 2. */
export type SignatureAlgorithm = 'AWS' | 'AWS4-HMAC-SHA256';

export interface AuthResult {
  accessKey: string;
  payload: PayloadMode;
  /** How the request was signed; absent for an anonymous request. */
  algorithm?: SignatureAlgorithm;
  /** Absent for an anonymous request. */
  context?: SigningContext;
  presigned: boolean;
}

export const ALGORITHM = 'AWS4-HMAC-SHA256';
export const UNSIGNED_PAYLOAD = 'UNSIGNED-PAYLOAD';
export const STREAMING_PAYLOAD = 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD';
export const STREAMING_PAYLOAD_TRAILER = 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER';
export const STREAMING_UNSIGNED_TRAILER = 'STREAMING-UNSIGNED-PAYLOAD-TRAILER';
export const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

/** Allowed clock skew between client and server (S3 uses 15 minutes). */
export const MAX_SKEW_MS = 15 * 60 * 1000;
/** Longest presign validity S3 accepts: one week. */
export const MAX_PRESIGN_EXPIRES = 604800;

const SERVICE = 's3';
const TERMINATOR = 'aws4_request';

// ---------------------------------------------------------------------------------------------
// Small helpers

export function sha256Hex(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

export function hmacSha256(key: string | Uint8Array, data: string | Uint8Array): Buffer {
  return createHmac('sha256', key).update(data).digest();
}

/** Signing keys already derived: one per credential, day, region and service, so a day's requests share it. */
const signingKeys = new Map<string, Buffer>();
const MAX_SIGNING_KEYS = 4096;

/** The SigV4 signing key (four chained HMACs), derived once per (secret, date, region, service). Never mutate it. */
export function deriveSigningKey(secret: string, date: string, region: string, service: string): Buffer {
  const id = `${date}\n${region}\n${service}\n${secret}`;
  let key = signingKeys.get(id);
  if (!key) {
    const kDate = hmacSha256('AWS4' + secret, date);
    const kRegion = hmacSha256(kDate, region);
    const kService = hmacSha256(kRegion, service);
    key = hmacSha256(kService, TERMINATOR);
    // Past days' keys are never asked for again: forgetting all of them at once keeps this simple and bounded.
    if (signingKeys.size >= MAX_SIGNING_KEYS) signingKeys.clear();
    signingKeys.set(id, key);
  }
  return key;
}

/** The UTF-8 bytes of `text` as S3 lists them in SignatureDoesNotMatch answers: two hex digits each, space-separated. */
export function hexBytes(text: string): string {
  return [...Buffer.from(text, 'utf8')].map((b) => b.toString(16).padStart(2, '0')).join(' ');
}

/** Constant-time comparison of two signature strings. */
export function signaturesEqual(expected: string, provided: string): boolean {
  const a = Buffer.from(expected, 'latin1');
  const b = Buffer.from(provided, 'latin1');
  if (a.length !== b.length) {
    // still burn a comparison so the timing does not depend on where the strings differ
    timingSafeEqual(a, a);
    return false;
  }
  return timingSafeEqual(a, b);
}

function isHexDigit(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66);
}

/** Percent-decodes to raw bytes. A '%' not followed by two hex digits is kept literally. */
function percentDecode(s: string, plusAsSpace: boolean): Buffer {
  // fast path: nothing to decode
  if (s.indexOf('%') < 0 && !(plusAsSpace && s.indexOf('+') >= 0)) return Buffer.from(s, 'utf8');
  const src = Buffer.from(s, 'utf8');
  const out = Buffer.allocUnsafe(src.length);
  let o = 0;
  for (let i = 0; i < src.length; i++) {
    const c = src[i]!;
    if (c === 0x25 /* % */ && i + 2 < src.length && isHexDigit(src[i + 1]!) && isHexDigit(src[i + 2]!)) {
      out[o++] = parseInt(String.fromCharCode(src[i + 1]!, src[i + 2]!), 16);
      i += 2;
    } else if (c === 0x2b /* + */ && plusAsSpace) {
      out[o++] = 0x20;
    } else {
      out[o++] = c;
    }
  }
  return out.subarray(0, o);
}

const HEX = '0123456789ABCDEF';

function isUnreserved(c: number): boolean {
  return (
    (c >= 0x41 && c <= 0x5a) || // A-Z
    (c >= 0x61 && c <= 0x7a) || // a-z
    (c >= 0x30 && c <= 0x39) || // 0-9
    c === 0x2d || // -
    c === 0x2e || // .
    c === 0x5f || // _
    c === 0x7e // ~
  );
}

/** RFC 3986 encoding of raw bytes: unreserved characters kept, everything else %XX (upper case). */
function uriEncodeBytes(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < bytes.length; i++) {
    const c = bytes[i]!;
    if (isUnreserved(c)) out += String.fromCharCode(c);
    else out += '%' + HEX[c >> 4] + HEX[c & 15];
  }
  return out;
}

/** RFC 3986 encoding of a (UTF-8) string, as SigV4 requires for query names and values. */
export function uriEncode(s: string): string {
  return uriEncodeBytes(Buffer.from(s, 'utf8'));
}

/** Canonical URI for S3: decode and re-encode every segment, keep the '/' separators as they are. */
export function canonicalUri(rawPath: string): string {
  const path = rawPath === '' ? '/' : rawPath;
  return path
    .split('/')
    .map((seg) => uriEncodeBytes(percentDecode(seg, false)))
    .join('/');
}

interface QueryParam {
  name: string; // decoded
  value: string; // decoded
}

/** Splits and decodes a raw query string. A parameter without '=' has value ''. */
export function parseQuery(rawQuery: string): QueryParam[] {
  const out: QueryParam[] = [];
  if (!rawQuery) return out;
  for (const part of rawQuery.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const rawName = eq < 0 ? part : part.slice(0, eq);
    const rawValue = eq < 0 ? '' : part.slice(eq + 1);
    out.push({
      name: percentDecode(rawName, true).toString('utf8'),
      value: percentDecode(rawValue, true).toString('utf8'),
    });
  }
  return out;
}

/** Same as parseQuery but keeps the decoded bytes re-encoded canonically (exact even for non-UTF-8 bytes). */
function canonicalQuery(rawQuery: string, exclude?: string): string {
  const pairs: [string, string][] = [];
  if (rawQuery) {
    for (const part of rawQuery.split('&')) {
      if (part === '') continue;
      const eq = part.indexOf('=');
      const rawName = eq < 0 ? part : part.slice(0, eq);
      const rawValue = eq < 0 ? '' : part.slice(eq + 1);
      const nameBytes = percentDecode(rawName, true);
      if (exclude !== undefined && nameBytes.toString('utf8') === exclude) continue;
      pairs.push([uriEncodeBytes(nameBytes), uriEncodeBytes(percentDecode(rawValue, true))]);
    }
  }
  // encoded strings are pure ASCII, so code-unit order is byte order
  pairs.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0));
  return pairs.map(([n, v]) => `${n}=${v}`).join('&');
}

function headerValue(headers: IncomingSignedRequest['headers'], name: string): string | undefined {
  const v = headers[name];
  if (v === undefined) return undefined;
  return Array.isArray(v) ? v.join(',') : v;
}

function canonicalHeaderValue(v: string | string[] | undefined): string {
  if (v === undefined) return '';
  const norm = (s: string) => s.replace(/[ \t]+/g, ' ').trim();
  return Array.isArray(v) ? v.map(norm).join(',') : norm(v);
}

function findQuery(params: QueryParam[], name: string): string | undefined {
  for (const p of params) if (p.name === name) return p.value;
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Dates

const AMZ_DATE_RE = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/;

/** Parses 'yyyymmddThhmmssZ'; undefined if malformed. */
export function parseAmzDate(s: string): Date | undefined {
  const m = AMZ_DATE_RE.exec(s);
  if (!m) return undefined;
  const [y, mo, d, h, mi, se] = m.slice(1).map(Number) as [number, number, number, number, number, number];
  const t = Date.UTC(y, mo - 1, d, h, mi, se);
  const date = new Date(t);
  // reject things like month 13 that Date.UTC would roll over
  if (date.getUTCFullYear() !== y || date.getUTCMonth() !== mo - 1 || date.getUTCDate() !== d || h > 23 || mi > 59 || se > 59) {
    return undefined;
  }
  return date;
}

export function formatAmzDate(d: Date): string {
  return d.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
}

// ---------------------------------------------------------------------------------------------
// Public API

/** True when the request carries any SigV4 material. */
export function hasSignature(req: IncomingSignedRequest): boolean {
  const auth = headerValue(req.headers, 'authorization');
  if (auth !== undefined && auth.trimStart().startsWith(ALGORITHM)) return true;
  return findQuery(parseQuery(req.rawQuery), 'X-Amz-Algorithm') !== undefined;
}

interface Credential {
  accessKey: string;
  date: string;
  region: string;
  service: string;
}

/** 'AK/yyyymmdd/region/s3/aws4_request' (the access key itself may not contain '/'). */
export function parseCredential(value: string, fail: (msg: string) => S3Error): Credential {
  const parts = value.split('/');
  if (parts.length !== 5) throw fail(`the Credential is mal-formed; expecting "<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request".`);
  const [accessKey, date, region, service, terminator] = parts as [string, string, string, string, string];
  if (accessKey === '') throw fail('the Credential is mal-formed; the access key is empty.');
  if (!/^\d{8}$/.test(date)) throw fail(`Invalid credential date "${date}". This date is not the same as X-Amz-Date: "".`);
  if (region === '') throw fail('the Credential is mal-formed; the region is empty.');
  if (service !== SERVICE) throw fail(`incorrect service "${service}". This endpoint belongs to "${SERVICE}".`);
  if (terminator !== TERMINATOR) throw fail(`incorrect terminal "${terminator}". This endpoint uses "${TERMINATOR}".`);
  return { accessKey, date, region, service };
}

function parseSignedHeaders(value: string, fail: (msg: string) => S3Error): string[] {
  const list = value.split(';');
  for (const h of list) {
    if (h === '' || h !== h.toLowerCase() || /[\s:]/.test(h)) throw fail(`the SignedHeaders list is mal-formed: "${value}".`);
  }
  if (!list.includes('host')) throw fail('the host header must be signed.');
  return list;
}

/** Parses the Authorization header value after the algorithm name. */
function parseAuthorization(auth: string): { credential: string; signedHeaders: string; signature: string } {
  const malformed = (msg: string) => new S3Error('AuthorizationHeaderMalformed', `The authorization header is malformed; ${msg}`);
  const rest = auth.trim().slice(ALGORITHM.length);
  if (rest !== '' && !/^\s/.test(rest)) throw malformed(`the authorization header requires the algorithm "${ALGORITHM}" followed by a space.`);
  const fields = new Map<string, string>();
  for (const piece of rest.split(',')) {
    const p = piece.trim();
    if (p === '') continue;
    const eq = p.indexOf('=');
    if (eq <= 0) throw malformed(`the authorization component "${p}" is malformed.`);
    const k = p.slice(0, eq).trim();
    const v = p.slice(eq + 1).trim();
    if (fields.has(k)) throw malformed(`the authorization component "${k}" is repeated.`);
    fields.set(k, v);
  }
  const credential = fields.get('Credential');
  const signedHeaders = fields.get('SignedHeaders');
  const signature = fields.get('Signature');
  if (credential === undefined) throw malformed('the authorization header requires a "Credential" parameter.');
  if (signedHeaders === undefined) throw malformed('the authorization header requires a "SignedHeaders" parameter.');
  if (signature === undefined) throw malformed('the authorization header requires a "Signature" parameter.');
  for (const k of fields.keys()) {
    if (k !== 'Credential' && k !== 'SignedHeaders' && k !== 'Signature') {
      throw malformed(`the authorization component "${k}" is not recognised.`);
    }
  }
  return { credential, signedHeaders, signature };
}

/** Every x-amz-* header present must be signed (S3 answers AccessDenied / HeadersNotSigned). */
function checkAmzHeadersSigned(headers: IncomingSignedRequest['headers'], signed: string[]): void {
  const missing: string[] = [];
  for (const name of Object.keys(headers)) {
    if (headers[name] === undefined) continue;
    const lower = name.toLowerCase();
    if (lower.startsWith('x-amz-') && !signed.includes(lower)) missing.push(lower);
  }
  if (missing.length > 0) {
    throw new S3Error('AccessDenied', 'There were headers present in the request which were not signed', {
      HeadersNotSigned: missing.sort().join(', '),
    });
  }
}

function payloadModeFor(value: string): PayloadMode {
  switch (value) {
    case UNSIGNED_PAYLOAD:
      return { kind: 'unsigned' };
    case STREAMING_PAYLOAD:
      return { kind: 'streaming-signed', trailer: false };
    case STREAMING_PAYLOAD_TRAILER:
      return { kind: 'streaming-signed', trailer: true };
    case STREAMING_UNSIGNED_TRAILER:
      return { kind: 'streaming-unsigned-trailer' };
  }
  if (/^[0-9a-fA-F]{64}$/.test(value)) return { kind: 'sha256', hex: value.toLowerCase() };
  if (value.startsWith('STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD')) {
    throw new S3Error('NotImplemented', 'SigV4A (AWS4-ECDSA-P256-SHA256) streaming payloads are not supported.');
  }
  throw new S3Error(
    'InvalidArgument',
    'x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-UNSIGNED-PAYLOAD-TRAILER, STREAMING-AWS4-HMAC-SHA256-PAYLOAD, STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER, or a valid sha256 value.',
    { ArgumentName: 'x-amz-content-sha256', ArgumentValue: value },
  );
}

/** RequestTimeTooSkewed when the request's time is further than MAX_SKEW_MS from ours; `shown` is how the answer names it. */
export function checkSkew(requestTime: Date, now: Date, shown = requestTime.toUTCString()): void {
  if (Math.abs(requestTime.getTime() - now.getTime()) > MAX_SKEW_MS) {
    throw new S3Error('RequestTimeTooSkewed', undefined, {
      RequestTime: shown,
      ServerTime: now.toISOString(),
      MaxAllowedSkewMilliseconds: String(MAX_SKEW_MS),
    });
  }
}

function buildCanonicalRequest(
  method: string,
  uri: string,
  query: string,
  headers: IncomingSignedRequest['headers'],
  signedHeaders: string[],
  payloadHash: string,
): string {
  let canonHeaders = '';
  for (const h of signedHeaders) canonHeaders += `${h}:${canonicalHeaderValue(headers[h])}\n`;
  return `${method}\n${uri}\n${query}\n${canonHeaders}\n${signedHeaders.join(';')}\n${payloadHash}`;
}

/**
 * The canonical request for `req` as this verifier builds it (canonical URI, canonical query with
 * X-Amz-Signature dropped when `presigned`, the given signed headers and payload hash).
 */
export function canonicalRequestFor(
  req: IncomingSignedRequest,
  signedHeaders: string[],
  payloadHash: string,
  presigned = false,
): string {
  return buildCanonicalRequest(
    req.method.toUpperCase(),
    canonicalUri(req.rawPath),
    canonicalQuery(req.rawQuery, presigned ? 'X-Amz-Signature' : undefined),
    req.headers,
    signedHeaders,
    payloadHash,
  );
}

export function stringToSign(amzDate: string, scope: string, canonicalRequest: string, encoding: BufferEncoding = 'utf8'): string {
  return `${ALGORITHM}\n${amzDate}\n${scope}\n${sha256Hex(Buffer.from(canonicalRequest, encoding))}`;
}

/**
 * How the canonical request may have been encoded when it was signed. Node reads header bytes as
 * Latin-1: a client that signed the bytes it sent (UTF-8 metadata from Go clients, or from the JS SDK
 * with a string body) gets them back with 'latin1'; the JS SDK with a Buffer or stream body sends
 * Latin-1 but signs UTF-8. Both are tried only when a header is not ASCII.
 */
function signedEncodings(canonicalRequest: string): BufferEncoding[] {
  return /[^\x00-\x7f]/.test(canonicalRequest) ? ['latin1', 'utf8'] : ['utf8'];
}

/** hex(HMAC-SHA256(signingKey, stringToSign(amzDate, scope, canonicalRequest))) */
export function computeSignature(signingKey: Buffer, amzDate: string, scope: string, canonicalRequest: string): string {
  return hmacSha256(signingKey, stringToSign(amzDate, scope, canonicalRequest)).toString('hex');
}

/**
 * Computes the signature over the canonical request for each candidate URI (canonical first, then
 * the raw path if it differs) and encoding, and throws SignatureDoesNotMatch if none matches.
 */
function checkSignature(
  req: IncomingSignedRequest,
  query: string,
  signedHeaders: string[],
  payloadHash: string,
  amzDate: string,
  scope: string,
  signingKey: Buffer,
  provided: string,
  accessKey: string,
): void {
  const method = req.method.toUpperCase();
  const primaryUri = canonicalUri(req.rawPath);
  const uris = [primaryUri];
  const raw = req.rawPath === '' ? '/' : req.rawPath;
  if (raw !== primaryUri) uris.push(raw);
  let firstCanonical = '';
  let firstStringToSign = '';
  for (const uri of uris) {
    const canonical = buildCanonicalRequest(method, uri, query, req.headers, signedHeaders, payloadHash);
    for (const encoding of signedEncodings(canonical)) {
      const sts = stringToSign(amzDate, scope, canonical, encoding);
      const expected = hmacSha256(signingKey, sts).toString('hex');
      if (signaturesEqual(expected, provided)) return;
      if (firstCanonical === '') {
        firstCanonical = canonical;
        firstStringToSign = sts;
      }
    }
  }
  throw new S3Error('SignatureDoesNotMatch', undefined, {
    AWSAccessKeyId: accessKey,
    StringToSign: firstStringToSign,
    SignatureProvided: provided,
    StringToSignBytes: hexBytes(firstStringToSign),
    CanonicalRequest: firstCanonical,
    CanonicalRequestBytes: hexBytes(firstCanonical),
  });
}

export function verifySigV4(
  req: IncomingSignedRequest,
  lookupSecret: (accessKey: string) => string | undefined,
  now: Date = new Date(),
): AuthResult {
  const auth = headerValue(req.headers, 'authorization');
  const params = parseQuery(req.rawQuery);
  const presignAlg = findQuery(params, 'X-Amz-Algorithm');
  if (auth !== undefined && presignAlg !== undefined) {
    throw new S3Error(
      'InvalidArgument',
      'Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, Signature query string parameter or the Authorization header should be specified',
      { ArgumentName: 'Authorization', ArgumentValue: auth },
    );
  }
  if (auth !== undefined) {
    const trimmed = auth.trimStart();
    if (trimmed.startsWith(ALGORITHM)) return verifyHeaderAuth(req, trimmed, lookupSecret, now);
    if (/^AWS\s/.test(trimmed)) {
      throw new S3Error('InvalidRequest', 'The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256.');
    }
    throw new S3Error('AuthorizationHeaderMalformed', `The authorization header is malformed; the authorization header requires the algorithm "${ALGORITHM}".`);
  }
  if (presignAlg !== undefined) return verifyPresigned(req, params, lookupSecret, now);
  throw new S3Error('AccessDenied', 'Anonymous access is not allowed: the request carries no signature.');
}

function verifyHeaderAuth(
  req: IncomingSignedRequest,
  auth: string,
  lookupSecret: (accessKey: string) => string | undefined,
  now: Date,
): AuthResult {
  const malformed = (msg: string) => new S3Error('AuthorizationHeaderMalformed', `The authorization header is malformed; ${msg}`);
  const parsed = parseAuthorization(auth);
  const cred = parseCredential(parsed.credential, malformed);
  const signedHeaders = parseSignedHeaders(parsed.signedHeaders, malformed);

  // request time: x-amz-date, else Date
  let amzDate: string;
  let requestTime: Date | undefined;
  const xAmzDate = headerValue(req.headers, 'x-amz-date');
  if (xAmzDate !== undefined) {
    amzDate = xAmzDate.trim();
    requestTime = parseAmzDate(amzDate);
  } else {
    const date = headerValue(req.headers, 'date');
    const t = date === undefined ? NaN : Date.parse(date);
    if (!Number.isNaN(t)) {
      requestTime = new Date(t);
      amzDate = formatAmzDate(requestTime);
    } else {
      amzDate = '';
    }
  }
  if (requestTime === undefined) {
    throw new S3Error('AccessDenied', 'AWS authentication requires a valid Date or x-amz-date header');
  }

  const secret = lookupSecret(cred.accessKey);
  if (secret === undefined) throw new S3Error('InvalidAccessKeyId', undefined, { AWSAccessKeyId: cred.accessKey });

  checkSkew(requestTime, now);
  if (cred.date !== amzDate.slice(0, 8)) {
    throw malformed(`Invalid credential date "${cred.date}". This date is not the same as X-Amz-Date: "${amzDate.slice(0, 8)}".`);
  }

  const contentSha = headerValue(req.headers, 'x-amz-content-sha256');
  if (contentSha === undefined) {
    throw new S3Error('InvalidRequest', 'Missing required header for this request: x-amz-content-sha256');
  }
  const payloadHash = contentSha.trim();
  const payload = payloadModeFor(payloadHash);

  checkAmzHeadersSigned(req.headers, signedHeaders);

  const scope = `${cred.date}/${cred.region}/${cred.service}/${TERMINATOR}`;
  const signingKey = deriveSigningKey(secret, cred.date, cred.region, cred.service);
  const query = canonicalQuery(req.rawQuery);
  checkSignature(req, query, signedHeaders, payloadHash, amzDate, scope, signingKey, parsed.signature, cred.accessKey);

  return {
    accessKey: cred.accessKey,
    payload,
    algorithm: ALGORITHM,
    presigned: false,
    context: {
      accessKey: cred.accessKey,
      secretKey: secret,
      signingKey,
      amzDate,
      scope,
      seedSignature: parsed.signature,
      region: cred.region,
    },
  };
}

function verifyPresigned(
  req: IncomingSignedRequest,
  params: QueryParam[],
  lookupSecret: (accessKey: string) => string | undefined,
  now: Date,
): AuthResult {
  const qerr = (msg: string) => new S3Error('AuthorizationQueryParametersError', msg);
  const algorithm = findQuery(params, 'X-Amz-Algorithm');
  const credential = findQuery(params, 'X-Amz-Credential');
  const amzDate = findQuery(params, 'X-Amz-Date');
  const expiresStr = findQuery(params, 'X-Amz-Expires');
  const signedHeadersStr = findQuery(params, 'X-Amz-SignedHeaders');
  const signature = findQuery(params, 'X-Amz-Signature');

  if (algorithm !== ALGORITHM) throw qerr(`X-Amz-Algorithm only supports "${ALGORITHM}"`);
  if (
    credential === undefined ||
    amzDate === undefined ||
    expiresStr === undefined ||
    signedHeadersStr === undefined ||
    signature === undefined
  ) {
    throw qerr(
      'Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters.',
    );
  }
  const cred = parseCredential(credential, (msg) => qerr(`Error parsing the X-Amz-Credential parameter; ${msg}`));
  const requestTime = parseAmzDate(amzDate);
  if (requestTime === undefined) throw qerr(`X-Amz-Date must be in the ISO8601 Long Format "yyyyMMdd'T'HHmmss'Z'"`);
  if (!/^\d+$/.test(expiresStr)) throw qerr('X-Amz-Expires should be a number');
  const expires = Number(expiresStr);
  if (expires < 1) throw qerr('X-Amz-Expires must be non-negative');
  if (expires > MAX_PRESIGN_EXPIRES) throw qerr(`X-Amz-Expires must be less than a week (in seconds) that is ${MAX_PRESIGN_EXPIRES}`);
  const signedHeaders = parseSignedHeaders(signedHeadersStr, (msg) => qerr(`Error parsing the X-Amz-SignedHeaders parameter; ${msg}`));

  const secret = lookupSecret(cred.accessKey);
  if (secret === undefined) throw new S3Error('InvalidAccessKeyId', undefined, { AWSAccessKeyId: cred.accessKey });

  if (cred.date !== amzDate.slice(0, 8)) {
    throw qerr(`Invalid credential date "${cred.date}". This date is not the same as X-Amz-Date: "${amzDate.slice(0, 8)}".`);
  }
  if (requestTime.getTime() - now.getTime() > MAX_SKEW_MS) {
    throw new S3Error('RequestTimeTooSkewed', undefined, {
      RequestTime: amzDate,
      ServerTime: now.toISOString(),
      MaxAllowedSkewMilliseconds: String(MAX_SKEW_MS),
    });
  }
  const expiresAt = requestTime.getTime() + expires * 1000;
  if (now.getTime() > expiresAt) {
    throw new S3Error('AccessDenied', 'Request has expired', {
      'X-Amz-Expires': expiresStr,
      Expires: new Date(expiresAt).toISOString(),
      ServerTime: now.toISOString(),
    });
  }

  // payload: header, else a (signed) query parameter, else UNSIGNED-PAYLOAD
  let payloadHash = headerValue(req.headers, 'x-amz-content-sha256')?.trim();
  if (payloadHash === undefined) {
    for (const p of params) {
      if (p.name.toLowerCase() === 'x-amz-content-sha256') {
        payloadHash = p.value;
        break;
      }
    }
  }
  payloadHash ??= UNSIGNED_PAYLOAD;
  const payload = payloadModeFor(payloadHash);

  checkAmzHeadersSigned(req.headers, signedHeaders);

  const scope = `${cred.date}/${cred.region}/${cred.service}/${TERMINATOR}`;
  const signingKey = deriveSigningKey(secret, cred.date, cred.region, cred.service);
  const query = canonicalQuery(req.rawQuery, 'X-Amz-Signature');
  checkSignature(req, query, signedHeaders, payloadHash, amzDate, scope, signingKey, signature, cred.accessKey);

  return {
    accessKey: cred.accessKey,
    payload,
    algorithm: ALGORITHM,
    presigned: true,
    context: {
      accessKey: cred.accessKey,
      secretKey: secret,
      signingKey,
      amzDate,
      scope,
      seedSignature: signature,
      region: cred.region,
    },
  };
}
