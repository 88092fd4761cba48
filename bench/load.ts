/**
 * The load generator: a thin S3 client over node:http (keep-alive agent, own SigV4 signing) and a
 * closed-loop phase runner (N workers, each issuing one request at a time).
 */
import http from 'node:http';
import type { Readable } from 'node:stream';
import { SigV4Signer, awsEncode } from './sigv4.js';

export interface S3Response {
  status: number;
  headers: http.IncomingHttpHeaders;
  /** body bytes received */
  bytes: number;
  /** the body, only when asked for (or on errors) */
  body?: Buffer;
}

export interface RequestOptions {
  query?: Record<string, string>;
  body?: Uint8Array;
  /** A body streamed from `stream` instead, of `length` bytes (objects too large to hold). */
  streamBody?: { stream: Readable; length: number };
  headers?: Record<string, string>;
  /** keep the response body (otherwise it is counted and dropped) */
  keepBody?: boolean;
}

/** Thrown for transport failures and non-2xx answers. */
export class RequestError extends Error {
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
  }
}

export function objectPath(bucket: string, key?: string): string {
  return key === undefined ? `/${awsEncode(bucket)}` : `/${awsEncode(bucket)}/${awsEncode(key, true)}`;
}

export class S3Http {
  readonly agent: http.Agent;
  private readonly host: string;
  private readonly hostname: string;
  private readonly port: number;

  constructor(
    endpoint: string,
    private readonly signer: SigV4Signer,
    maxSockets: number,
  ) {
    const url = new URL(endpoint);
    if (url.protocol !== 'http:') throw new Error(`only http:// endpoints are supported, got ${endpoint}`);
    this.host = url.host;
    this.hostname = url.hostname.replace(/^\[|\]$/g, '');
    this.port = Number(url.port || 80);
    this.agent = new http.Agent({ keepAlive: true, maxSockets, maxFreeSockets: maxSockets, scheduling: 'lifo' });
  }

  request(method: string, path: string, options: RequestOptions = {}): Promise<S3Response> {
    const signed = this.signer.sign(method, this.host, path, options.query, options.headers);
    const headers: Record<string, string | number> = { ...signed.headers };
    if (options.body !== undefined) headers['content-length'] = options.body.length;
    else if (options.streamBody !== undefined) headers['content-length'] = options.streamBody.length;
    else if (method === 'PUT' || method === 'POST') headers['content-length'] = 0;
    return new Promise<S3Response>((resolve, reject) => {
      const req = http.request(
        { agent: this.agent, hostname: this.hostname, port: this.port, method, path: signed.path, headers },
        (res) => {
          const status = res.statusCode ?? 0;
          const keep = options.keepBody === true || status >= 300;
          const chunks: Buffer[] = [];
          let bytes = 0;
          res.on('data', (chunk: Buffer) => {
            bytes += chunk.length;
            if (keep) chunks.push(chunk);
          });
          res.on('error', (err) => reject(new RequestError(`${method} ${path}: ${err.message}`)));
          res.on('end', () => {
            const body = keep ? Buffer.concat(chunks) : undefined;
            if (status >= 300) {
              const text = body!.toString('utf8');
              const code = /<Code>([^<]*)<\/Code>/.exec(text)?.[1];
              const message = /<Message>([^<]*)<\/Message>/.exec(text)?.[1];
              reject(new RequestError(`${method} ${path}: HTTP ${status}${code ? ` ${code}` : ''}${message ? `: ${message}` : text ? `: ${text.slice(0, 200)}` : ''}`, status));
              return;
            }
            resolve({ status, headers: res.headers, bytes, body });
          });
        },
      );
      req.on('error', (err) => reject(new RequestError(`${method} ${path}: ${err.message}`)));
      if (options.body !== undefined) req.end(options.body);
      else if (options.streamBody !== undefined) options.streamBody.stream.on('error', (err) => req.destroy(err)).pipe(req);
      else req.end();
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

export interface PhaseOptions {
  concurrency: number;
  /** stop starting new operations after this long (in-flight ones finish) */
  seconds?: number;
  /** ... or after this many operations */
  count?: number;
  /** with `seconds`: start at least this many operations even if the time is up */
  minOps?: number;
  /** give up after this many failed operations */
  maxErrors?: number;
  /** one operation; returns the payload bytes it moved */
  op: (index: number) => Promise<number>;
}

export interface PhaseResult {
  ops: number;
  bytes: number;
  seconds: number;
  errors: number;
  errorSamples: string[];
  /** indices of the operations that succeeded */
  succeeded: number[];
  p50Ms: number;
  p99Ms: number;
  opsPerSec: number;
  /** payload throughput in MB/s (10^6 bytes) */
  mbPerSec: number;
}

function percentile(sorted: number[], q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

/** Runs `op` from `concurrency` closed-loop workers; throughput is over the span until the last completion. */
export async function runPhase(o: PhaseOptions): Promise<PhaseResult> {
  const maxErrors = o.maxErrors ?? 20;
  const minOps = o.minOps ?? 1;
  const latencies: number[] = [];
  const succeeded: number[] = [];
  const errorSamples: string[] = [];
  let next = 0;
  let bytes = 0;
  let errors = 0;
  let aborted = false;
  const start = performance.now();
  const deadline = o.seconds === undefined ? Infinity : start + o.seconds * 1000;
  let lastDone = start;

  const worker = async (): Promise<void> => {
    for (;;) {
      if (aborted) return;
      if (o.count !== undefined && next >= o.count) return;
      if (performance.now() >= deadline && next >= minOps) return;
      const i = next++;
      const t0 = performance.now();
      try {
        // not `bytes += await ...`: that reads `bytes` before the await and loses the other workers' additions
        const moved = await o.op(i);
        bytes += moved;
        const t1 = performance.now();
        latencies.push(t1 - t0);
        succeeded.push(i);
        lastDone = t1;
      } catch (err) {
        errors++;
        if (errorSamples.length < 3) errorSamples.push((err as Error).message);
        if (errors >= maxErrors) aborted = true;
      }
    }
  };
  await Promise.all(Array.from({ length: o.concurrency }, worker));
  const seconds = Math.max(1e-9, (lastDone - start) / 1000);
  latencies.sort((a, b) => a - b);
  return {
    ops: succeeded.length,
    bytes,
    seconds,
    errors,
    errorSamples,
    succeeded,
    p50Ms: percentile(latencies, 0.5),
    p99Ms: percentile(latencies, 0.99),
    opsPerSec: succeeded.length / seconds,
    mbPerSec: bytes / 1e6 / seconds,
  };
}
