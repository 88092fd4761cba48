/**
 * A minimal AWS Signature Version 4 signer for the benchmark's raw-HTTP client.
 *
 * Header auth only (`Authorization: AWS4-HMAC-SHA256 ...`), payload always
 * `x-amz-content-sha256: UNSIGNED-PAYLOAD` so bodies are never hashed on the
 * client side. Paths are path-style `/bucket/key`, already encoded by the caller
 * with `awsEncode(key, true)`.
 */
import { createHash, createHmac } from 'node:crypto';

export const UNSIGNED_PAYLOAD = 'UNSIGNED-PAYLOAD';
const ALGORITHM = 'AWS4-HMAC-SHA256';
const SERVICE = 's3';

/**
 * RFC 3986 encoding as SigV4 wants it: everything except A-Z a-z 0-9 - _ . ~
 * percent-encoded with upper-case hex; '/' left bare when `keepSlash`.
 */
export function awsEncode(s: string, keepSlash = false): string {
  let out = encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  if (keepSlash) out = out.replace(/%2F/g, '/');
  return out;
}

/** The canonical (and wire) query string: names and values encoded, sorted by name then value. */
export function canonicalQuery(query: Record<string, string>): string {
  return Object.entries(query)
    .map(([k, v]) => [awsEncode(k), awsEncode(v)] as const)
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
}

function hmac(key: string | Buffer, data: string): Buffer {
  return createHmac('sha256', key).update(data).digest();
}

export interface SignedRequest {
  /** path plus `?query` if any, exactly as it must go on the wire */
  path: string;
  headers: Record<string, string>;
}

export class SigV4Signer {
  private keyDay = '';
  private key: Buffer = Buffer.alloc(0);

  constructor(
    readonly accessKey: string,
    private readonly secretKey: string,
    readonly region = 'us-east-1',
  ) {}

  private signingKey(day: string): Buffer {
    if (day !== this.keyDay) {
      const kDate = hmac(`AWS4${this.secretKey}`, day);
      const kRegion = hmac(kDate, this.region);
      const kService = hmac(kRegion, SERVICE);
      this.key = hmac(kService, 'aws4_request');
      this.keyDay = day;
    }
    return this.key;
  }

  /**
   * Signs a request. `path` must already be URI-encoded (it is used verbatim as the canonical URI);
   * `extraHeaders` (e.g. content-md5) are sent and signed as well.
   */
  sign(method: string, host: string, path: string, query: Record<string, string> = {}, extraHeaders: Record<string, string> = {}): SignedRequest {
    const amzDate = new Date().toISOString().replace(/[-:]|\.\d{3}/g, ''); // YYYYMMDDTHHMMSSZ
    const day = amzDate.slice(0, 8);
    const scope = `${day}/${this.region}/${SERVICE}/aws4_request`;
    const headers: Record<string, string> = {
      host,
      'x-amz-content-sha256': UNSIGNED_PAYLOAD,
      'x-amz-date': amzDate,
    };
    for (const [k, v] of Object.entries(extraHeaders)) headers[k.toLowerCase()] = v.trim();
    const names = Object.keys(headers).sort();
    const signedHeaders = names.join(';');
    const qs = canonicalQuery(query);
    const canonical = [
      method,
      path,
      qs,
      names.map((n) => `${n}:${headers[n]}\n`).join(''),
      signedHeaders,
      UNSIGNED_PAYLOAD,
    ].join('\n');
    const stringToSign = `${ALGORITHM}\n${amzDate}\n${scope}\n${createHash('sha256').update(canonical).digest('hex')}`;
    const signature = createHmac('sha256', this.signingKey(day)).update(stringToSign).digest('hex');
    headers.authorization = `${ALGORITHM} Credential=${this.accessKey}/${scope}, SignedHeaders=${signedHeaders}, Signature=${signature}`;
    return { path: qs ? `${path}?${qs}` : path, headers };
  }
}
