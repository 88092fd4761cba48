/**
 * Raw HTTP access to a Tessera server for tests that need exact control over the wire:
 * an independent SigV4 signer (node:crypto), a node:http request helper that can send partial,
 * truncated or aborted bodies, aws-chunked framing, S3 error parsing, CRCs and presigned URLs.
 */
import { createHash, createHmac } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import { crc32 } from 'node:zlib';
import { SignatureV4 } from '@smithy/signature-v4';
import { ACCESS_KEY, SECRET_KEY } from './server.js';

export const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
export const UNSIGNED_PAYLOAD = 'UNSIGNED-PAYLOAD';
export const STREAMING_UNSIGNED_TRAILER = 'STREAMING-UNSIGNED-PAYLOAD-TRAILER';
export const STREAMING_SIGNED = 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD';

export function sha256Hex(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

export function md5Hex(data: Uint8Array): string {
  return createHash('md5').update(data).digest('hex');
}

function hmac(key: string | Uint8Array, data: string): Buffer {
  return createHmac('sha256', key).update(data).digest();
}

/** RFC 3986 encoding of a UTF-8 string: only A-Z a-z 0-9 - . _ ~ stay bare. */
export function rfc3986(s: string): string {
  let out = '';
  for (const byte of Buffer.from(s, 'utf8')) {
    const c = String.fromCharCode(byte);
    out += /[A-Za-z0-9\-._~]/.test(c) ? c : '%' + byte.toString(16).toUpperCase().padStart(2, '0');
  }
  return out;
}

/** A key as S3 clients put it in a path: every segment RFC 3986 encoded, '/' kept. */
export function encodeKeyPath(key: string): string {
  return key.split('/').map(rfc3986).join('/');
}

/** 'yyyymmddThhmmssZ' */
export function amzDate(d: Date): string {
  return d.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
}

function decodeSegment(seg: string): string {
  // decode %XX byte-wise, then re-encode canonically
  const bytes: number[] = [];
  for (let i = 0; i < seg.length; i++) {
    if (seg[i] === '%' && /^[0-9A-Fa-f]{2}$/.test(seg.slice(i + 1, i + 3))) {
      bytes.push(parseInt(seg.slice(i + 1, i + 3), 16));
      i += 2;
    } else {
      for (const b of Buffer.from(seg[i]!, 'utf8')) bytes.push(b);
    }
  }
  let out = '';
  for (const byte of bytes) {
    const c = String.fromCharCode(byte);
    out += /[A-Za-z0-9\-._~]/.test(c) ? c : '%' + byte.toString(16).toUpperCase().padStart(2, '0');
  }
  return out;
}

/** The canonical URI of SigV4 for S3: each segment normalised to single RFC 3986 encoding, no dot-segment removal. */
export function canonicalUri(rawPath: string): string {
  return rawPath.split('/').map(decodeSegment).join('/');
}

/** The canonical query: parameters decoded and RFC 3986 re-encoded, sorted. */
export function canonicalQuery(rawQuery: string): string {
  if (!rawQuery) return '';
  const pairs = rawQuery
    .split('&')
    .filter((p) => p !== '')
    .map((p) => {
      const eq = p.indexOf('=');
      const n = eq < 0 ? p : p.slice(0, eq);
      const v = eq < 0 ? '' : p.slice(eq + 1);
      const dec = (s: string) => decodeURIComponent(s.replace(/\+/g, '%20'));
      return [rfc3986(dec(n)), rfc3986(dec(v))] as [string, string];
    });
  pairs.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0));
  return pairs.map(([n, v]) => `${n}=${v}`).join('&');
}

export interface SignOptions {
  method: string;
  /** raw path as it will be sent (already encoded) */
  path: string;
  /** raw query string without '?' */
  query?: string;
  /** headers to send; host is required and must be included */
  headers: Record<string, string>;
  payloadHash: string;
  date?: Date;
  accessKey?: string;
  secretKey?: string;
  region?: string;
}

export interface Signed {
  headers: Record<string, string>;
  signature: string;
  signingKey: Buffer;
  scope: string;
  amzDate: string;
}

/** Signs with an Authorization header; every given header (names lower-cased) is signed. */
export function signV4(opts: SignOptions): Signed {
  const date = opts.date ?? new Date();
  const longDate = amzDate(date);
  const shortDate = longDate.slice(0, 8);
  const region = opts.region ?? 'us-east-1';
  const accessKey = opts.accessKey ?? ACCESS_KEY;
  const secretKey = opts.secretKey ?? SECRET_KEY;
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(opts.headers)) headers[k.toLowerCase()] = v;
  headers['x-amz-date'] = longDate;
  headers['x-amz-content-sha256'] = opts.payloadHash;
  const names = Object.keys(headers).sort();
  const canonicalHeaders = names.map((n) => `${n}:${headers[n]!.replace(/\s+/g, ' ').trim()}\n`).join('');
  const signedHeaders = names.join(';');
  const canonicalRequest = [
    opts.method,
    canonicalUri(opts.path),
    canonicalQuery(opts.query ?? ''),
    canonicalHeaders,
    signedHeaders,
    opts.payloadHash,
  ].join('\n');
  const scope = `${shortDate}/${region}/s3/aws4_request`;
  const sts = `AWS4-HMAC-SHA256\n${longDate}\n${scope}\n${sha256Hex(canonicalRequest)}`;
  const kDate = hmac('AWS4' + secretKey, shortDate);
  const signingKey = hmac(hmac(hmac(kDate, region), 's3'), 'aws4_request');
  const signature = createHmac('sha256', signingKey).update(sts).digest('hex');
  headers['authorization'] = `AWS4-HMAC-SHA256 Credential=${accessKey}/${scope}, SignedHeaders=${signedHeaders}, Signature=${signature}`;
  return { headers, signature, signingKey, scope, amzDate: longDate };
}

export interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
  text: string;
}

export interface RawRequestOptions {
  method: string;
  path: string;
  query?: string;
  headers?: Record<string, string>;
  body?: Buffer | string;
  /** 'sign' (default): SigV4 over the body's SHA-256 (or payloadHash); false: send unsigned */
  sign?: boolean;
  payloadHash?: string;
  date?: Date;
  accessKey?: string;
  secretKey?: string;
}

/** The host header value for an endpoint URL. */
export function hostOf(endpoint: string): string {
  return new URL(endpoint).host;
}

/** Builds the final header set (with host, content-length and signature) for a request. */
export function buildHeaders(endpoint: string, opts: RawRequestOptions): Record<string, string> {
  const body = opts.body === undefined ? undefined : Buffer.from(opts.body);
  const headers: Record<string, string> = { host: hostOf(endpoint), ...(opts.headers ?? {}) };
  if (body !== undefined && !Object.keys(headers).some((h) => h.toLowerCase() === 'content-length')) {
    headers['content-length'] = String(body.length);
  }
  if (opts.sign === false) return headers;
  return signV4({
    method: opts.method,
    path: opts.path,
    query: opts.query,
    headers,
    payloadHash: opts.payloadHash ?? sha256Hex(body ?? Buffer.alloc(0)),
    date: opts.date,
    accessKey: opts.accessKey,
    secretKey: opts.secretKey,
  }).headers;
}

export interface OpenRequest {
  req: http.ClientRequest;
  /** settles with the response (fully read), or rejects if the connection failed before one came */
  response: Promise<RawResponse>;
}

/** Opens a request with exactly these headers; the caller writes the body and ends or destroys it. */
/** `ca`: the certificate(s) to trust for an https endpoint. */
export function openRaw(endpoint: string, method: string, pathAndQuery: string, headers: Record<string, string>, ca?: string): OpenRequest {
  const url = new URL(endpoint);
  const secure = url.protocol === 'https:';
  const req = (secure ? https.request : http.request)({
    ...(secure && ca ? { ca } : {}),
    host: url.hostname,
    port: Number(url.port),
    method,
    path: pathAndQuery,
    headers,
    agent: false,
    setHost: false,
  });
  const response = new Promise<RawResponse>((resolve, reject) => {
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const body = Buffer.concat(chunks);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body, text: body.toString('utf8') });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
  });
  // a write error after the server answered early must not become an unhandled rejection
  response.catch(() => undefined);
  return { req, response };
}

/** Sends a complete request and reads the complete response. */
export async function rawRequest(endpoint: string, opts: RawRequestOptions): Promise<RawResponse> {
  const headers = buildHeaders(endpoint, opts);
  const target = opts.path + (opts.query ? `?${opts.query}` : '');
  const { req, response } = openRaw(endpoint, opts.method, target, headers);
  if (opts.body !== undefined) req.end(Buffer.from(opts.body));
  else req.end();
  return response;
}

/** The name of the error a request failed with (an SDK's S3 error code), or 'no error'. */
export async function failure(p: Promise<unknown>): Promise<string> {
  return p.then(
    () => 'no error',
    (err: Error) => err.name,
  );
}

/** The <Code> of an S3 XML error body, or undefined. */
export function errorCode(text: string): string | undefined {
  return /<Error>[\s\S]*?<Code>([^<]*)<\/Code>/.exec(text)?.[1];
}

/** One aws-chunked chunk without a signature (unsigned trailer mode). */
export function unsignedChunk(data: Buffer): Buffer {
  return Buffer.concat([Buffer.from(`${data.length.toString(16)}\r\n`), data, Buffer.from('\r\n')]);
}

/** The end of an unsigned aws-chunked body: final chunk, trailers, blank line. */
export function unsignedTrailerEnd(trailers: Record<string, string>): Buffer {
  const lines = Object.entries(trailers)
    .map(([k, v]) => `${k}:${v}\r\n`)
    .join('');
  return Buffer.from(`0\r\n${lines}\r\n`);
}

/** Signed aws-chunked framing (STREAMING-AWS4-HMAC-SHA256-PAYLOAD) for `parts`, chained from the seed signature. */
export function signedChunks(signed: Pick<Signed, 'signature' | 'signingKey' | 'scope' | 'amzDate'>, parts: Buffer[]): Buffer {
  let previous = signed.signature;
  const out: Buffer[] = [];
  for (const data of [...parts, Buffer.alloc(0)]) {
    const sts = `AWS4-HMAC-SHA256-PAYLOAD\n${signed.amzDate}\n${signed.scope}\n${previous}\n${EMPTY_SHA256}\n${sha256Hex(data)}`;
    const sig = createHmac('sha256', signed.signingKey).update(sts).digest('hex');
    previous = sig;
    out.push(Buffer.from(`${data.length.toString(16)};chunk-signature=${sig}\r\n`), data, Buffer.from('\r\n'));
  }
  return Buffer.concat(out);
}

// ---------------------------------------------------------------------------------------------
// checksums (independent implementations; base64 of the big-endian value, as S3 writes them)

export function crc32Base64(data: Uint8Array): string {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(crc32(data) >>> 0);
  return b.toString('base64');
}

let crc32cTable: Uint32Array | undefined;
export function crc32cBase64(data: Uint8Array): string {
  if (!crc32cTable) {
    crc32cTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
      crc32cTable[n] = c >>> 0;
    }
  }
  let crc = 0xffffffff;
  for (const byte of data) crc = (crc32cTable[(crc ^ byte) & 0xff]! ^ (crc >>> 8)) >>> 0;
  const b = Buffer.alloc(4);
  b.writeUInt32BE((crc ^ 0xffffffff) >>> 0);
  return b.toString('base64');
}

let crc64Table: BigUint64Array | undefined;
export function crc64nvmeBase64(data: Uint8Array): string {
  const poly = 0x9a6c9329ac4bc9b5n;
  const mask = 0xffffffffffffffffn;
  if (!crc64Table) {
    crc64Table = new BigUint64Array(256);
    for (let n = 0; n < 256; n++) {
      let c = BigInt(n);
      for (let k = 0; k < 8; k++) c = c & 1n ? (c >> 1n) ^ poly : c >> 1n;
      crc64Table[n] = c;
    }
  }
  let crc = mask;
  for (const byte of data) crc = crc64Table[Number((crc ^ BigInt(byte)) & 0xffn)]! ^ (crc >> 8n);
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE((crc ^ mask) & mask);
  return b.toString('base64');
}

export function sha1Base64(data: Uint8Array): string {
  return createHash('sha1').update(data).digest('base64');
}

export function sha256Base64(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('base64');
}

// ---------------------------------------------------------------------------------------------
// presigned URLs with @smithy/signature-v4 (the signer the SDK's own presigner wraps)

type SourceData = string | ArrayBuffer | ArrayBufferView;

function toBytes(data: SourceData): string | Uint8Array {
  if (typeof data === 'string') return data;
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

class NodeSha256 {
  private readonly hash;
  constructor(secret?: SourceData) {
    this.hash = secret === undefined ? createHash('sha256') : createHmac('sha256', toBytes(secret));
  }
  update(data: SourceData): void {
    this.hash.update(toBytes(data));
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.hash.digest());
  }
  reset(): void {
    throw new Error('not supported');
  }
}

export interface PresignOptions {
  method: 'GET' | 'PUT' | 'HEAD' | 'DELETE';
  bucket: string;
  key: string;
  expiresIn?: number;
  signingDate?: Date;
  accessKey?: string;
  secretKey?: string;
}

/** A presigned URL as @aws-sdk/s3-request-presigner builds it (UNSIGNED-PAYLOAD, x-amz-* hoisted to the query). */
export async function presignUrl(endpoint: string, opts: PresignOptions): Promise<string> {
  const url = new URL(endpoint);
  const signer = new SignatureV4({
    credentials: { accessKeyId: opts.accessKey ?? ACCESS_KEY, secretAccessKey: opts.secretKey ?? SECRET_KEY },
    region: 'us-east-1',
    service: 's3',
    sha256: NodeSha256,
    uriEscapePath: false,
  });
  const path = `/${opts.bucket}/${encodeKeyPath(opts.key)}`;
  const signed = await signer.presign(
    {
      method: opts.method,
      protocol: url.protocol,
      hostname: url.hostname,
      port: Number(url.port),
      path,
      query: {},
      headers: { host: url.host, 'x-amz-content-sha256': UNSIGNED_PAYLOAD },
    },
    { expiresIn: opts.expiresIn ?? 300, signingDate: opts.signingDate },
  );
  const query = Object.entries(signed.query ?? {})
    .map(([k, v]) => `${rfc3986(k)}=${rfc3986(String(v))}`)
    .join('&');
  return `${url.protocol}//${url.host}${path}?${query}`;
}

/** Parses an HTTP/1.1 response with a Content-Length (or none: the rest is the body). */
function parseHttpResponse(raw: Buffer): (RawResponse & { complete: boolean }) | undefined {
  const split = raw.indexOf('\r\n\r\n');
  if (split < 0) return undefined;
  const headText = raw.subarray(0, split).toString('latin1');
  const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(headText)?.[1] ?? 0);
  const headers: Record<string, string> = {};
  for (const line of headText.split('\r\n').slice(1)) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  let body = raw.subarray(split + 4);
  let complete = false;
  if (headers['content-length'] !== undefined) {
    const length = Number(headers['content-length']);
    complete = body.length >= length;
    body = body.subarray(0, length);
  }
  return { status, headers, body, text: body.toString('utf8'), complete };
}

/**
 * Sends a request on a raw keep-alive TCP connection, writing the body with back-pressure and
 * ignoring write errors, and returns the response (even one the server sent before it read the
 * body), or status 0 if none came before the connection closed. `closedEarly`: the server hung up
 * before the whole body was written.
 */
export async function socketRequest(
  endpoint: string,
  method: string,
  pathAndQuery: string,
  headers: Record<string, string>,
  body: Buffer = Buffer.alloc(0),
  timeoutMs = 20_000,
): Promise<RawResponse & { closedEarly: boolean }> {
  const { connect } = await import('node:net');
  const url = new URL(endpoint);
  const socket = connect(Number(url.port), url.hostname);
  const received: Buffer[] = [];
  let closed = false;
  let onProgress: () => void = () => undefined;
  socket.on('data', (d: Buffer) => {
    received.push(d);
    onProgress();
  });
  socket.on('close', () => {
    closed = true;
    onProgress();
  });
  socket.on('error', () => undefined);
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  const head = `${method} ${pathAndQuery} HTTP/1.1\r\n${Object.entries(headers)
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join('')}\r\n`;
  const write = (data: Buffer | string): Promise<boolean> =>
    new Promise((resolve) => {
      if (closed || socket.destroyed) return resolve(false);
      // the callback runs once the data is handed to the kernel: that is the back-pressure
      socket.write(data, (err) => resolve(!err));
    });
  let closedEarly = !(await write(head));
  for (let off = 0; !closedEarly && off < body.length; off += 64 * 1024) {
    if (!(await write(body.subarray(off, off + 64 * 1024)))) closedEarly = true;
  }
  const complete = (): boolean => closed || parseHttpResponse(Buffer.concat(received))?.complete === true;
  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, timeoutMs);
    onProgress = () => {
      if (complete()) {
        clearTimeout(timer);
        resolve();
      }
    };
    onProgress();
  });
  socket.destroy();
  const parsed = parseHttpResponse(Buffer.concat(received));
  if (!parsed) return { status: 0, headers: {}, body: Buffer.alloc(0), text: '', closedEarly };
  return { status: parsed.status, headers: parsed.headers, body: parsed.body, text: parsed.text, closedEarly };
}
