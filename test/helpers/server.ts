/**
 * Starts real `tessera server` processes over temp directories for integration and fault tests.
 * The server runs from dist/ (built by `npm test`'s pretest step).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { getStatus, sdkRequestHandler, type TestCerts } from './tls.js';

export const ROOT = resolve(import.meta.dirname, '../..');
export const ACCESS_KEY = 'testadmin';
export const SECRET_KEY = 'testadmin-secret';

export async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolvePort(port));
    });
  });
}

/** The environment for child processes: no AWS_* variables from the host (they break clients). */
export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('AWS_')) env[k] = v;
  return { ...env, ...extra };
}

/** The bearer token test servers take for /tessera/metrics. */
export const METRICS_TOKEN = 'test-metrics-token-0123456789';

/** The root credentials test servers get unless a test gives others. */
export const ROOT_ENV: Record<string, string> = { TESSERA_ROOT_USER: ACCESS_KEY, TESSERA_ROOT_PASSWORD: SECRET_KEY };

/** A server's environment: cleanEnv, with `credentials` as the only credential settings (none of the host's). */
export function serverEnv(credentials: Record<string, string> = ROOT_ENV): NodeJS.ProcessEnv {
  const env = cleanEnv();
  for (const name of Object.keys(env)) if (name.startsWith('TESSERA_ROOT_') || name === 'TESSERA_REQUIRE_CREDENTIALS') delete env[name];
  return { ...env, TESSERA_METRICS_TOKEN: METRICS_TOKEN, ...credentials };
}

export interface ServerOptions {
  drives?: number;
  parity?: number;
  /** Reuse these drive directories (e.g. after a kill). */
  driveDirs?: string[];
  port?: number;
  /** More server options, e.g. ['--domain', 'localhost']. */
  extraArgs?: string[];
  /** Credential variables instead of ROOT_ENV (`{}`: the published defaults). */
  credentials?: Record<string, string>;
  /** Serve https with this certs directory (clients made here trust its CA). */
  tls?: TestCerts;
  /** More environment for the server process, e.g. { TESSERA_BODY_STALL_SECONDS: '2' }. */
  env?: Record<string, string>;
}

export class TestServer {
  proc?: ChildProcess;
  output = '';

  private constructor(
    readonly dir: string,
    readonly drives: string[],
    readonly port: number,
    private readonly parity?: number,
    private readonly extraArgs: string[] = [],
    private readonly credentials: Record<string, string> = ROOT_ENV,
    readonly tls?: TestCerts,
    /** More environment for the server process; changed between launches, it applies from the next one. */
    public env: Record<string, string> = {},
  ) {}

  static async start(options: ServerOptions = {}): Promise<TestServer> {
    const dir = await mkdtemp(join(tmpdir(), 'tessera-test-'));
    const drives = options.driveDirs ?? Array.from({ length: options.drives ?? 4 }, (_, i) => join(dir, `drive${i + 1}`));
    const server = new TestServer(dir, drives, options.port ?? (await freePort()), options.parity, options.extraArgs, options.credentials, options.tls, options.env);
    await server.launch();
    return server;
  }

  get endpoint(): string {
    return `${this.tls ? 'https' : 'http'}://127.0.0.1:${this.port}`;
  }

  /** Starts (or restarts) the process and waits until it answers health checks. */
  async launch(): Promise<void> {
    const args = ['bin/tessera.js', 'server', '--address', `127.0.0.1:${this.port}`];
    if (this.parity !== undefined) args.push('--parity', String(this.parity));
    if (this.tls) args.push('--certs-dir', this.tls.dir);
    args.push(...this.extraArgs);
    args.push(...this.drives);
    this.output = '';
    const proc = spawn(process.execPath, args, {
      cwd: ROOT,
      env: { ...serverEnv(this.credentials), ...this.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.proc = proc;
    proc.stdout!.on('data', (d: Buffer) => (this.output += d.toString()));
    proc.stderr!.on('data', (d: Buffer) => (this.output += d.toString()));
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      if (proc.exitCode !== null) throw new Error(`server exited with ${proc.exitCode}: ${this.output}`);
      try {
        if ((await getStatus(`${this.endpoint}/tessera/health/ready`, this.tls?.ca)) === 200) return;
      } catch {
        // not listening yet
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`server did not become ready: ${this.output}`);
  }

  /** The text of /tessera/metrics, read with the test servers' token. */
  async metrics(): Promise<string> {
    const res = await fetch(`${this.endpoint}/tessera/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
    const text = await res.text();
    if (res.status !== 200) throw new Error(`GET /tessera/metrics: ${res.status} ${text}`);
    return text;
  }

  /** `maxAttempts: 1` keeps the SDK from retrying a 503 a test means to see. */
  client(options: { forcePathStyle?: boolean; maxAttempts?: number } = {}): S3Client {
    return new S3Client({
      endpoint: this.endpoint,
      region: 'us-east-1',
      forcePathStyle: options.forcePathStyle ?? true,
      ...(options.maxAttempts !== undefined ? { maxAttempts: options.maxAttempts } : {}),
      credentials: { accessKeyId: ACCESS_KEY, secretAccessKey: SECRET_KEY },
      ...(this.tls ? { requestHandler: sdkRequestHandler({ ca: this.tls.ca }) } : {}),
    });
  }

  /** Stops the process with `signal` and waits for it to exit. */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
    const proc = this.proc;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return proc?.exitCode ?? null;
    const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
    proc.kill(signal);
    return exited;
  }

  /** Stops the server and removes its directories. */
  async destroy(): Promise<void> {
    await this.stop('SIGKILL');
    await rm(this.dir, { recursive: true, force: true });
  }
}

/** A started server with `buckets` made, and a root client of it: what most test files share. */
export async function serverWithBuckets(buckets: string[], options: ServerOptions = {}): Promise<{ server: TestServer; s3: S3Client }> {
  const server = await TestServer.start(options);
  const s3 = server.client();
  for (const bucket of buckets) await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  return { server, s3 };
}

/** Ends what serverWithBuckets began; either may be missing when starting failed. */
export async function endServer(server: TestServer | undefined, s3: S3Client | undefined): Promise<void> {
  s3?.destroy();
  await server?.destroy();
}
