/**
 * A client of the admin API (`tessera admin ...`, tests, benchmarks): requests signed with SigV4
 * (@smithy/signature-v4, service `s3`) by the given keys; heal results read as an NDJSON stream.
 */
import { createHash, createHmac, type Hash, type Hmac } from 'node:crypto';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest, type Agent } from 'node:https';
import { SignatureV4 } from '@smithy/signature-v4';
import type { HealRequest, SequenceLine } from '../heal/sequence.js';

export interface AdminEndpoint {
  url: string;
  accessKey: string;
  secretKey: string;
  region?: string;
  /** For an https URL: whom to trust (default: the system's CAs). */
  httpsAgent?: Agent;
}

type Data = string | ArrayBuffer | ArrayBufferView;

function bytes(data: Data): Buffer {
  if (typeof data === 'string') return Buffer.from(data);
  if (ArrayBuffer.isView(data)) return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  return Buffer.from(data);
}

/** SHA-256 and HMAC-SHA-256 from node:crypto in the shape the signer expects. */
class Sha256 {
  private hash: Hash | Hmac;

  constructor(private readonly secret?: Data) {
    this.hash = this.fresh();
  }

  private fresh(): Hash | Hmac {
    return this.secret === undefined ? createHash('sha256') : createHmac('sha256', bytes(this.secret));
  }

  update(data: Data): void {
    this.hash.update(bytes(data));
  }

  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.hash.digest());
  }

  reset(): void {
    this.hash = this.fresh();
  }
}

/** An error answer of the admin API. */
export class AdminApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'AdminApiError';
  }
}

export class AdminClient {
  private readonly signer: SignatureV4;
  private readonly base: URL;
  private readonly httpsAgent?: Agent;

  constructor(endpoint: AdminEndpoint) {
    this.httpsAgent = endpoint.httpsAgent;
    this.base = new URL(endpoint.url);
    this.signer = new SignatureV4({
      service: 's3',
      region: endpoint.region ?? 'us-east-1',
      credentials: { accessKeyId: endpoint.accessKey, secretAccessKey: endpoint.secretKey },
      sha256: Sha256,
      uriEscapePath: false,
    });
  }

  /** Sends a signed request to `/tessera/admin/v1/<route>`; resolves with the response once it is 2xx. */
  async request(method: string, route: string, query: Record<string, string> = {}, signal?: AbortSignal): Promise<IncomingMessage> {
    const path = `${this.base.pathname.replace(/\/+$/, '')}/tessera/admin/v1/${route}`;
    const signed = await this.signer.sign({
      method,
      protocol: this.base.protocol,
      hostname: this.base.hostname,
      ...(this.base.port ? { port: Number(this.base.port) } : {}),
      path,
      query,
      headers: { host: this.base.host },
    });
    const search = Object.entries(query)
      .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`)
      .join('&');
    const https = this.base.protocol === 'https:';
    const send = https ? httpsRequest : httpRequest;
    const res = await new Promise<IncomingMessage>((resolve, reject) => {
      const req = send(
        {
          method,
          hostname: this.base.hostname.replace(/^\[|\]$/g, ''),
          port: this.base.port || undefined,
          path: `${path}${search ? `?${search}` : ''}`,
          headers: signed.headers,
          agent: https ? this.httpsAgent : undefined,
          signal,
        },
        resolve,
      );
      req.once('error', reject);
      req.end();
    });
    const status = res.statusCode ?? 0;
    if (status < 200 || status >= 300) {
      const chunks: Buffer[] = [];
      for await (const chunk of res) chunks.push(chunk as Buffer);
      const text = Buffer.concat(chunks).toString();
      let code = `HTTP${status}`;
      let message = text.slice(0, 300) || (res.statusMessage ?? '');
      try {
        const parsed = JSON.parse(text) as { code?: string; message?: string };
        code = parsed.code ?? code;
        message = parsed.message ?? message;
      } catch {
        // not JSON: an S3 error page or a proxy's
      }
      throw new AdminApiError(status, code, message);
    }
    return res;
  }

  async info(): Promise<AdminInfo> {
    const res = await this.request('GET', 'info');
    const chunks: Buffer[] = [];
    for await (const chunk of res) chunks.push(chunk as Buffer);
    return JSON.parse(Buffer.concat(chunks).toString()) as AdminInfo;
  }

  /** Starts a CPU profile of the node's process (AdminApiError 409 when one runs already). */
  async startProfile(): Promise<void> {
    (await this.request('POST', 'profile/start')).resume();
  }

  /** Stops the node's CPU profile and returns it: a `.cpuprofile` (JSON) as DevTools and speedscope read it. */
  async stopProfile(): Promise<Buffer> {
    const res = await this.request('POST', 'profile/stop');
    const chunks: Buffer[] = [];
    for await (const chunk of res) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks);
  }

  /** Starts a heal sequence and yields its lines as they arrive (the last one is the summary). */
  async *heal(request: Partial<HealRequest>, signal?: AbortSignal): AsyncGenerator<SequenceLine> {
    const query: Record<string, string> = {};
    if (request.bucket) query.bucket = request.bucket;
    if (request.prefix) query.prefix = request.prefix;
    if (request.recursive) query.recursive = 'true';
    if (request.deep) query.deep = 'true';
    if (request.dryRun) query.dryRun = 'true';
    const res = await this.request('POST', 'heal', query, signal);
    const decoder = new TextDecoder();
    let pending = '';
    for await (const chunk of res as AsyncIterable<Uint8Array>) {
      pending += decoder.decode(chunk, { stream: true });
      let newline: number;
      while ((newline = pending.indexOf('\n')) >= 0) {
        const line = pending.slice(0, newline).trim();
        pending = pending.slice(newline + 1);
        if (line) yield JSON.parse(line) as SequenceLine;
      }
    }
    pending += decoder.decode();
    if (pending.trim()) yield JSON.parse(pending) as SequenceLine;
  }
}

/** The parts of `GET /tessera/admin/v1/info` clients read (see HealManager.info). */
export interface AdminInfo {
  node: string;
  nodes: { name: string; state: string; drives: import('../heal/manager.js').DriveInfo[] }[];
  sets: import('../heal/manager.js').SetInfo[];
  drives: { total: number; online: number; healing: number; offline: number };
  healQueue: { length: number; current?: { bucket: string; key: string }; dropped: number };
  scanner: import('../heal/scanner.js').ScannerState;
  healSequences: import('../heal/sequence.js').SequenceSummary[];
  totals: Record<string, unknown>;
  drivesHealedSinceStart: import('../heal/manager.js').HealingInfo[];
}
