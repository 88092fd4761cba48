/**
 * SigV4 in the browser: @smithy/signature-v4 (the AWS SDK's own signer) over @noble/hashes' SHA-256
 * and HMAC. Not WebCrypto: browsers offer it only to secure contexts, and the console must work over
 * plain http on a private network too. Payloads are not hashed unless small and given as text (the
 * server takes UNSIGNED-PAYLOAD for the rest, as it does from every SDK over TLS).
 */
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { SignatureV4 } from '@smithy/signature-v4';
import type { Checksum, SourceData } from '@smithy/types';
import type { Session } from './session.js';

const encoder = new TextEncoder();

function bytes(data: SourceData): Uint8Array {
  if (typeof data === 'string') return encoder.encode(data);
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  return new Uint8Array(data);
}

/** SHA-256, or HMAC-SHA-256 when given a secret, as the signer constructs its hashes. */
class Sha256 implements Checksum {
  private hash;

  constructor(private readonly secret?: SourceData) {
    this.hash = this.start();
  }

  private start() {
    return this.secret === undefined ? sha256.create() : hmac.create(sha256, bytes(this.secret));
  }

  update(data: Uint8Array): void {
    this.hash.update(bytes(data));
  }

  async digest(): Promise<Uint8Array> {
    return this.hash.digest();
  }

  reset(): void {
    this.hash = this.start();
  }
}

/** The base64 SHA-256 of a text: the checksum S3 wants with DeleteObjects, tagging and configuration documents. */
export function sha256Base64(text: string): string {
  return btoa(String.fromCharCode(...sha256(encoder.encode(text))));
}

export interface SignableRequest {
  method: string;
  /** Already encoded as S3 wants it (each key segment percent-encoded). */
  path: string;
  query?: Record<string, string>;
  headers?: Record<string, string>;
  /** Text bodies are hashed into the signature; others are sent as UNSIGNED-PAYLOAD. */
  body?: string | Blob | Uint8Array;
}

function signerFor(session: Session): SignatureV4 {
  return new SignatureV4({
    service: 's3',
    region: session.region,
    credentials: { accessKeyId: session.accessKey, secretAccessKey: session.secretKey },
    sha256: Sha256,
    uriEscapePath: false,
  });
}

function httpRequest(request: SignableRequest, headers: Record<string, string>) {
  return {
    method: request.method,
    protocol: location.protocol,
    hostname: location.hostname,
    port: location.port ? Number(location.port) : undefined,
    path: request.path,
    query: request.query ?? {},
    headers: { host: location.host, ...headers },
    body: typeof request.body === 'string' ? request.body : undefined,
  };
}

/** The headers to send with `request` (Authorization and the x-amz-* it signs). */
export async function signHeaders(session: Session, request: SignableRequest): Promise<Record<string, string>> {
  const payload: Record<string, string> = typeof request.body === 'string' ? {} : { 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' };
  const signed = await signerFor(session).sign(httpRequest(request, { ...request.headers, ...payload }));
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(signed.headers)) if (name !== 'host') headers[name] = String(value);
  return headers;
}

/** A URL that does `request` (a GET) for `expiresIn` seconds for whoever holds it. */
export async function presignUrl(session: Session, request: SignableRequest, expiresIn: number): Promise<string> {
  // Presigned URLs sign no payload (UNSIGNED-PAYLOAD, as S3 wants), and the header saying so stays out of the URL.
  const unsigned = new Set(['x-amz-content-sha256']);
  const signed = await signerFor(session).presign(httpRequest(request, { 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' }), { expiresIn, unhoistableHeaders: unsigned, unsignableHeaders: unsigned });
  return `${location.origin}${request.path}?${queryString(signed.query as Record<string, string>)}`;
}

/** RFC 3986 encoding, as SigV4 canonicalises: only unreserved characters stay as they are. */
export function encodeRfc3986(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

export function queryString(query: Record<string, string>): string {
  return Object.keys(query)
    .sort()
    .map((k) => `${encodeRfc3986(k)}=${encodeRfc3986(query[k])}`)
    .join('&');
}
