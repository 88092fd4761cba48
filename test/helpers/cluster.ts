/**
 * Starts a Tessera cluster of real `tessera server` processes on loopback ports for test/cluster:
 * N nodes × M drives over a temp directory, every node given the same endpoint list and its own
 * --address (exactly as an operator would start them), a per-node S3 client, and the signals a test
 * needs to hurt a node: SIGKILL, SIGTERM, SIGSTOP / SIGCONT, restart with the same arguments.
 *
 * Every process this module spawns is tracked; `destroy()` (call it in afterAll) and a process 'exit'
 * hook kill all of them, SIGCONT first so that a SIGSTOPped node really dies.
 */
import { createHash } from 'node:crypto';
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { promisify } from 'node:util';
import type { ClientRequest, IncomingHttpHeaders } from 'node:http';
import { Agent } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, it } from 'vitest';
import { AdminClient } from '../../src/admin/client.js';
import { buildHeaders, errorCode, openRaw } from './raw.js';
import { ACCESS_KEY, ROOT, SECRET_KEY, cleanEnv, freePort } from './server.js';
import { makeCertsDir, sdkRequestHandler, type TestCerts } from './tls.js';

export { ACCESS_KEY, SECRET_KEY };

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

const run = promisify(execFile);

/** Drive filesystems mounted and not yet unmounted: unmounted on exit too, or the temp directory could not go. */
const mounted = new Set<string>();
process.once('exit', () => [...mounted].forEach(unmount));

function unmount(at: string): void {
  try {
    execFileSync('umount', ['-l', at]);
  } catch {
    // best effort
  }
  mounted.delete(at);
}

/** The process id of the metadata writer (src/storage/metadata-writer.ts) of the server process `pid`, if it runs one now. */
export function metadataWriterOf(pid: number): number | undefined {
  let children: string;
  try {
    children = execFileSync('ps', ['--ppid', String(pid), '-o', 'pid=,args=']).toString();
  } catch {
    return undefined; // ps exits 1 when it lists nothing
  }
  const line = children.split('\n').find((l) => l.includes('tessera-metadata-writer'));
  return line ? Number(line.trim().split(/\s+/)[0]) : undefined;
}

// ---------------------------------------------------------------------------------------------
// Process bookkeeping: nothing we spawn may outlive the test file.

const spawned = new Set<ChildProcess>();

function killSync(proc: ChildProcess): void {
  if (proc.exitCode !== null || proc.signalCode !== null || proc.pid === undefined) return;
  try {
    process.kill(proc.pid, 'SIGCONT');
  } catch {
    // already gone
  }
  try {
    process.kill(proc.pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

/** SIGCONT + SIGKILL to every process this module started that is still running. */
export function killAllSpawned(): void {
  for (const proc of spawned) killSync(proc);
}

process.once('exit', killAllSpawned);

function exited(proc: ChildProcess): boolean {
  return proc.exitCode !== null || proc.signalCode !== null;
}

function waitExit(proc: ChildProcess, timeoutMs: number): Promise<{ code: number | null; signal: NodeJS.Signals | null } | undefined> {
  if (exited(proc)) return Promise.resolve({ code: proc.exitCode, signal: proc.signalCode as NodeJS.Signals | null });
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      proc.off('exit', onExit);
      resolve(undefined);
    }, timeoutMs);
    const onExit = (code: number | null, signal: NodeJS.Signals | null): void => {
      clearTimeout(timer);
      resolve({ code, signal });
    };
    proc.once('exit', onExit);
  });
}

// ---------------------------------------------------------------------------------------------
// Raw signed requests with a time limit (never rejects, never hangs).

export interface TimedResponse {
  /** 0 when no answer arrived (connection error or timeout). */
  status: number;
  /** S3 error code from the XML body, if any. */
  code?: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
  text: string;
  ms: number;
  error?: string;
}

export interface TimedRequestOptions {
  method: string;
  /** Already URI-encoded path, e.g. `/bucket/key`. */
  path: string;
  query?: string;
  body?: Buffer | string;
  headers?: Record<string, string>;
  /** false: no SigV4 (e.g. health endpoints). */
  sign?: boolean;
  timeoutMs?: number;
  /** The CA to trust for an https endpoint. */
  ca?: string;
}

export async function timedRequest(endpoint: string, opts: TimedRequestOptions): Promise<TimedResponse> {
  const t0 = performance.now();
  const timeoutMs = opts.timeoutMs ?? 15_000;
  const headers = buildHeaders(endpoint, { method: opts.method, path: opts.path, query: opts.query, body: opts.body, headers: opts.headers, sign: opts.sign });
  const target = opts.path + (opts.query ? `?${opts.query}` : '');
  let req: ReturnType<typeof openRaw>['req'] | undefined;
  try {
    const open = openRaw(endpoint, opts.method, target, headers, opts.ca);
    req = open.req;
    const timer = new Promise<never>((_, reject) => {
      const t = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
      open.response.finally(() => clearTimeout(t)).catch(() => undefined);
    });
    if (opts.body !== undefined) req.end(Buffer.from(opts.body));
    else req.end();
    const res = await Promise.race([open.response, timer]);
    return { status: res.status, code: errorCode(res.text), headers: res.headers, body: res.body, text: res.text, ms: performance.now() - t0 };
  } catch (err) {
    req?.destroy();
    return { status: 0, headers: {}, body: Buffer.alloc(0), text: '', ms: performance.now() - t0, error: (err as Error).message };
  }
}

/** `/bucket/key` with every key segment RFC 3986 encoded. */
export function objectPath(bucket: string, key?: string): string {
  if (key === undefined) return `/${bucket}`;
  return `/${bucket}/${key
    .split('/')
    .map((s) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`))
    .join('/')}`;
}

// ---------------------------------------------------------------------------------------------

export interface ClusterOptions {
  nodes?: number;
  drivesPerNode?: number;
  /** Nodes (0-based) to start at once and wait for; default all. [] starts none. */
  start?: number[];
  /** Extra server arguments for every node, e.g. ['--parity', '4']. */
  extraArgs?: string[];
  /** Extra environment for every node (e.g. healing knobs). */
  env?: Record<string, string>;
  readyTimeoutMs?: number;
  /** Serve https with this certs directory on every node (endpoints become https://). */
  tls?: TestCerts;
  /**
   * Give every drive a filesystem of its own: a tmpfs of this many MiB (root only), mounted at
   * `<node>/d<N>-fs` with the drive directory `drive` inside it, so a drive can be filled to ENOSPC.
   */
  driveFilesystemMiB?: number;
}

export interface SpawnOptions {
  /** Environment overrides (e.g. other root credentials). */
  env?: Record<string, string>;
  /** Replace the endpoint list given to this node (e.g. to test a mismatch). */
  endpointArgs?: string[];
  /** Another --certs-dir for this node (e.g. a certificate of a CA the others do not trust). */
  certsDir?: string;
}

export class NodeProcess {
  proc?: ChildProcess;
  /** Everything the current (or last) process printed, stdout and stderr interleaved. */
  output = '';
  /** Output of earlier processes of this node, for post-mortems. */
  history = '';
  paused = false;

  constructor(
    readonly cluster: TestCluster,
    readonly index: number,
    readonly port: number,
    /** Parent of this node's drive directories. */
    readonly dir: string,
  ) {}

  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  get endpoint(): string {
    return `${this.cluster.scheme}://${this.address}`;
  }

  /** This node's drives in the shared endpoint list, one explicit endpoint each (several {...} groups would be pools). */
  get endpointArgs(): string[] {
    return Array.from({ length: this.cluster.drivesPerNode }, (_, d) => `${this.endpoint}${this.drivePath(d)}`);
  }

  drivePath(drive: number): string {
    return this.cluster.driveFilesystemMiB === undefined ? join(this.dir, `d${drive + 1}`) : join(this.driveFilesystem(drive), 'drive');
  }

  /** The mount point of the drive's own filesystem (with ClusterOptions.driveFilesystemMiB). */
  driveFilesystem(drive: number): string {
    return join(this.dir, `d${drive + 1}-fs`);
  }

  /**
   * Data directories of `bucket` on this node's drives (one per drive per non-inline object version):
   * a count that grows when this node's drives receive shards.
   */
  async dataDirCount(bucket: string): Promise<number> {
    let count = 0;
    for (let d = 0; d < this.cluster.drivesPerNode; d++) {
      const bucketDir = join(this.drivePath(d), bucket);
      for (const prefix of await readdir(bucketDir).catch(() => [] as string[])) {
        count += (await readdir(join(bucketDir, prefix)).catch(() => [] as string[])).length;
      }
    }
    return count;
  }

  get running(): boolean {
    return this.proc !== undefined && !exited(this.proc);
  }

  /** Starts the process without waiting for it to become ready. */
  spawn(options: SpawnOptions = {}): ChildProcess {
    if (this.running) throw new Error(`node ${this.index + 1} is already running`);
    if (this.output) this.history += `${this.output}\n--- (restart) ---\n`;
    this.output = '';
    this.paused = false;
    const certsDir = options.certsDir ?? this.cluster.tls?.dir;
    const args = [
      'bin/tessera.js', 'server', '--address', this.address, ...(certsDir ? ['--certs-dir', certsDir] : []),
      ...this.cluster.extraArgs, ...(options.endpointArgs ?? this.cluster.endpointArgs),
    ];
    const proc = spawn(process.execPath, args, {
      cwd: ROOT,
      env: cleanEnv({ TESSERA_ROOT_USER: ACCESS_KEY, TESSERA_ROOT_PASSWORD: SECRET_KEY, ...this.cluster.env, ...options.env }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    spawned.add(proc);
    proc.once('exit', () => spawned.delete(proc));
    proc.stdout!.on('data', (d: Buffer) => (this.output += d.toString()));
    proc.stderr!.on('data', (d: Buffer) => (this.output += d.toString()));
    this.proc = proc;
    return proc;
  }

  /** Starts the process and waits until `/tessera/health/ready` answers 200. */
  async start(options: SpawnOptions = {}): Promise<void> {
    this.spawn(options);
    await this.waitReady();
  }

  async waitReady(timeoutMs = this.cluster.readyTimeoutMs): Promise<void> {
    const proc = this.proc;
    if (!proc) throw new Error(`node ${this.index + 1} was never started`);
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (exited(proc)) throw new Error(`node ${this.index + 1} exited (${proc.exitCode ?? proc.signalCode}) before it was ready:\n${this.output}`);
      if ((await this.health('ready', 2_000)) === 200) return;
      await sleep(100);
    }
    throw new Error(`node ${this.index + 1} was not ready within ${timeoutMs} ms:\n${this.output}`);
  }

  /** Status of `/tessera/health/<kind>`, 0 when there is no answer within `timeoutMs`. */
  async health(kind: 'live' | 'ready' | 'cluster', timeoutMs = 3_000): Promise<number> {
    const res = await this.request({ method: 'GET', path: `/tessera/health/${kind}`, sign: false, timeoutMs });
    return res.status;
  }

  /** Polls a health endpoint until it answers `status`; returns the ms it took (throws on timeout). */
  async waitHealth(kind: 'live' | 'ready' | 'cluster', status: number, timeoutMs = 15_000): Promise<number> {
    const t0 = Date.now();
    let last = -1;
    while (Date.now() - t0 < timeoutMs) {
      last = await this.health(kind, 2_000);
      if (last === status) return Date.now() - t0;
      await sleep(100);
    }
    throw new Error(`node ${this.index + 1}: /tessera/health/${kind} still ${last} after ${timeoutMs} ms (wanted ${status})`);
  }

  /** Sends `signal` and waits for the process to exit (SIGKILL after `graceMs` if it does not). */
  async signalAndWait(signal: NodeJS.Signals, graceMs = 20_000): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    const proc = this.proc;
    if (!proc || exited(proc)) return { code: proc?.exitCode ?? null, signal: (proc?.signalCode as NodeJS.Signals | null) ?? null };
    if (this.paused) {
      proc.kill('SIGCONT');
      this.paused = false;
    }
    proc.kill(signal);
    const result = await waitExit(proc, graceMs);
    if (result) return result;
    killSync(proc);
    return (await waitExit(proc, 5_000)) ?? { code: null, signal: 'SIGKILL' };
  }

  /** SIGKILL: the node dies at once, holding whatever it held. */
  kill(): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    return this.signalAndWait('SIGKILL');
  }

  /** SIGTERM: a clean shutdown. */
  stop(graceMs = 20_000): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    return this.signalAndWait('SIGTERM', graceMs);
  }

  /** SIGSTOP: the process stays, its sockets stay open, it answers nothing. */
  pause(): void {
    if (!this.running) throw new Error(`node ${this.index + 1} is not running`);
    this.proc!.kill('SIGSTOP');
    this.paused = true;
  }

  resume(): void {
    if (!this.proc || exited(this.proc)) return;
    this.proc.kill('SIGCONT');
    this.paused = false;
  }

  /** Kills the node if it runs and starts it again with the same arguments and drives. */
  async restart(options: SpawnOptions = {}): Promise<void> {
    await this.kill();
    await this.start(options);
  }

  /** Waits for the current process to exit by itself. */
  waitExit(timeoutMs: number): Promise<{ code: number | null; signal: NodeJS.Signals | null } | undefined> {
    if (!this.proc) throw new Error(`node ${this.index + 1} was never started`);
    return waitExit(this.proc, timeoutMs);
  }

  /**
   * An SDK client for this node. `maxAttempts: 1` (the default here) so a test sees every failure
   * as the server answered it instead of an SDK retry.
   */
  client(options: { maxAttempts?: number; requestTimeoutMs?: number } = {}): S3Client {
    const client = new S3Client({
      endpoint: this.endpoint,
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: { accessKeyId: ACCESS_KEY, secretAccessKey: SECRET_KEY },
      maxAttempts: options.maxAttempts ?? 1,
      requestHandler: sdkRequestHandler({ ca: this.cluster.tls?.ca, connectionTimeout: 5_000, requestTimeout: options.requestTimeoutMs ?? 60_000 }),
    });
    this.cluster.clients.push(client);
    return client;
  }

  /** An admin API client of this node (the root user's unless other keys are given), trusting the cluster's CA under https. */
  admin(accessKey = ACCESS_KEY, secretKey = SECRET_KEY): AdminClient {
    const tls = this.cluster.tls;
    return new AdminClient({ url: this.endpoint, accessKey, secretKey, ...(tls ? { httpsAgent: new Agent({ ca: tls.ca }) } : {}) });
  }

  /** A raw SigV4-signed request to this node with a time limit. */
  request(opts: TimedRequestOptions): Promise<TimedResponse> {
    return timedRequest(this.endpoint, { ca: this.cluster.tls?.ca, ...opts });
  }

  /** A SigV4-signed request to this node on a connection of its own, whose answer the caller reads as it streams. */
  openRequest(method: string, path: string): ClientRequest {
    return openRaw(this.endpoint, method, path, buildHeaders(this.endpoint, { method, path }), this.cluster.tls?.ca).req;
  }
}

export class TestCluster {
  readonly nodes: NodeProcess[] = [];
  readonly clients: S3Client[] = [];
  readonly extraArgs: string[];
  readonly env: Record<string, string>;
  readonly readyTimeoutMs: number;
  readonly tls?: TestCerts;
  readonly driveFilesystemMiB?: number;

  private constructor(
    readonly dir: string,
    readonly drivesPerNode: number,
    ports: number[],
    options: ClusterOptions,
  ) {
    this.extraArgs = options.extraArgs ?? [];
    this.env = options.env ?? {};
    this.readyTimeoutMs = options.readyTimeoutMs ?? 60_000;
    this.tls = options.tls;
    this.driveFilesystemMiB = options.driveFilesystemMiB;
    ports.forEach((port, i) => this.nodes.push(new NodeProcess(this, i, port, join(dir, `n${i + 1}`))));
  }

  /** Creates the temp directory, picks free ports, starts the chosen nodes together and waits until all are ready. */
  static async create(options: ClusterOptions = {}): Promise<TestCluster> {
    const count = options.nodes ?? 4;
    const dir = await mkdtemp(join(tmpdir(), 'tessera-cluster-'));
    const ports = new Set<number>();
    while (ports.size < count) ports.add(await freePort());
    // TESSERA_TEST_TLS=1 runs every cluster suite over https, with one self-signed certificate shared by the nodes.
    const tls = options.tls ?? (process.env.TESSERA_TEST_TLS === '1' ? await makeCertsDir(join(dir, 'certs')) : undefined);
    const cluster = new TestCluster(dir, options.drivesPerNode ?? 4, [...ports], { ...options, tls });
    const start = options.start ?? cluster.nodes.map((n) => n.index);
    try {
      if (options.driveFilesystemMiB !== undefined) await cluster.mountDriveFilesystems(options.driveFilesystemMiB);
      for (const i of start) cluster.nodes[i].spawn();
      await Promise.all(start.map((i) => cluster.nodes[i].waitReady()));
    } catch (err) {
      await cluster.destroy();
      throw err;
    }
    return cluster;
  }

  get scheme(): 'http' | 'https' {
    return this.tls ? 'https' : 'http';
  }

  /** The endpoint list every node is given: every drive of every node, explicitly, as on one test machine. */
  get endpointArgs(): string[] {
    return this.nodes.flatMap((n) => n.endpointArgs);
  }

  node(i: number): NodeProcess {
    return this.nodes[i];
  }

  get running(): NodeProcess[] {
    return this.nodes.filter((n) => n.running && !n.paused);
  }

  /** Where each node's output ends now: pass to waitPeerState to look only at what is printed afterwards. */
  outputMarks(): number[] {
    return this.nodes.map((n) => n.output.length);
  }

  /**
   * Waits until each of `observers` has logged that node `target` went offline / came back online
   * (src/cluster/peer.ts prints "node <address> is offline (...)" and "node <address> is back online"),
   * looking only at output after `marks`. Returns false (after `timeoutMs`) if some observer never said so,
   * e.g. because the log wording changed; callers then fall back to waiting out a few ping intervals.
   */
  async waitPeerState(target: number, state: 'offline' | 'online', observers: number[], marks: number[], timeoutMs = 10_000): Promise<boolean> {
    const address = this.nodes[target].address;
    const line = state === 'offline' ? `node ${address} is offline` : `node ${address} is back online`;
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (observers.every((o) => this.nodes[o].output.slice(marks[o] ?? 0).includes(line))) return true;
      if (Date.now() > deadline) return false;
      await sleep(50);
    }
  }

  /** All nodes' output, for failure messages. */
  logs(): string {
    return this.nodes.map((n) => `===== node ${n.index + 1} (${n.address}) =====\n${n.history}${n.output}`).join('\n');
  }

  private async mountDriveFilesystems(sizeMiB: number): Promise<void> {
    for (const node of this.nodes) {
      for (let d = 0; d < this.drivesPerNode; d++) {
        const at = node.driveFilesystem(d);
        await mkdir(at, { recursive: true });
        try {
          await run('mount', ['-t', 'tmpfs', '-o', `size=${sizeMiB}m`, 'tmpfs', at]);
        } catch (err) {
          throw new Error(`cannot mount a tmpfs for a drive at ${at} (root is needed): ${(err as Error).message.split('\n')[0]}`);
        }
        mounted.add(at);
      }
    }
  }

  /** Kills every node (SIGCONT + SIGKILL), closes the clients, unmounts the drives' filesystems and removes the temp directory. */
  async destroy(): Promise<void> {
    for (const c of this.clients.splice(0)) c.destroy();
    await Promise.all(this.nodes.map((n) => (n.proc ? (killSync(n.proc), waitExit(n.proc, 10_000)) : undefined)));
    for (const at of [...mounted].filter((m) => m.startsWith(this.dir))) unmount(at);
    await rm(this.dir, { recursive: true, force: true }).catch(() => undefined);
  }
}

// ---------------------------------------------------------------------------------------------
// Small S3 helpers the cluster suites share.

export function sha256(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** The whole object as bytes (SDK GetObject). */
export async function getBytes(client: S3Client, bucket: string, key: string): Promise<Buffer> {
  const res = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return Buffer.from(await res.Body!.transformToByteArray());
}

/** Every key under `prefix`, following continuation tokens (ListObjectsV2). */
export async function listKeys(client: S3Client, bucket: string, prefix = '', pageSize = 1000): Promise<string[]> {
  const keys: string[] = [];
  let token: string | undefined;
  for (;;) {
    const res = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token, MaxKeys: pageSize }));
    for (const o of res.Contents ?? []) keys.push(o.Key!);
    if (!res.IsTruncated) break;
    if (!res.NextContinuationToken) throw new Error('IsTruncated without a NextContinuationToken');
    token = res.NextContinuationToken;
  }
  return keys;
}

/** Keys in S3 listing order (UTF-8 bytes). */
export function sortKeys(keys: Iterable<string>): string[] {
  return [...keys].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
}

/**
 * One cluster for a describe block whose tests are steps of one story: started before them, its
 * node logs printed when a step fails, destroyed after. `setup` runs once the nodes are up.
 */
export function clusterSuite(options: ClusterOptions, setup?: (cluster: TestCluster) => Promise<void>) {
  let cluster: TestCluster | undefined;
  let failed = false;
  beforeAll(async () => {
    cluster = await TestCluster.create(options);
    await setup?.(cluster);
  });
  afterAll(async () => {
    if (failed && cluster) console.error(cluster.logs());
    await cluster?.destroy();
  });
  const step = (name: string, fn: () => Promise<void>, timeout?: number): void => {
    it(
      name,
      async () => {
        try {
          await fn();
        } catch (err) {
          failed = true;
          throw err;
        }
      },
      timeout,
    );
  };
  return { step };
}
