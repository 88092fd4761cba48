/**
 * The shipped load balancer configurations (deploy/haproxy/haproxy.cfg, deploy/nginx/tessera.conf)
 * in front of four real nodes on loopback, run by Debian's haproxy and nginx: the SDK and aws-cli
 * put, get and list through the balancer while one node is SIGKILLed, and the balancer must hide the
 * death. Only requests in the retry window may fail, once: those in flight when the node died, and
 * (HAProxy) those started before its health checks could mark the node down (fall × inter, read from
 * the file); the client's single retry of each must succeed. Then the node is restarted and the
 * balancer must send it requests again.
 *
 * The configurations are used as shipped, with only their documented site-specific parts replaced:
 * the node addresses tessera1:9000 ... tessera4:9000, the listen port and HAProxy's stats socket.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ACCESS_KEY, SECRET_KEY, TestCluster, sha256, sleep } from '../helpers/cluster.js';
import { ROOT, cleanEnv, freePort } from '../helpers/server.js';
import { getStatus, sdkRequestHandler } from '../helpers/tls.js';
import { clientSuite, debianClient, findExecutable, inCI, run } from '../compat/compat.js';

const AWS = '/usr/bin/aws';
const awsMissing = findExecutable(AWS) ? undefined : `${AWS} not found (install the Debian package "awscli")`;
const haproxy = debianClient('haproxy');
const nginx = debianClient('nginx');

// ---------------------------------------------------------------------------------------------
// Rendering the shipped files for loopback.

const shipped = (path: string): Promise<string> => readFile(join(ROOT, 'deploy', path), 'utf8');

/** The file without its comment lines (they name the same addresses, as documentation). */
const withoutComments = (text: string): string => text.split('\n').filter((line) => !/^\s*#/.test(line)).join('\n');

/** Replaces `pattern` (global) and insists it occurred `count` times, so a reworded file fails loudly here. */
function substitute(text: string, pattern: RegExp, replacement: (...groups: string[]) => string, count: number): string {
  const found = text.match(pattern)?.length ?? 0;
  if (found !== count) throw new Error(`expected ${count} occurrence(s) of ${pattern} in the shipped configuration, found ${found}`);
  return text.replace(pattern, (_, ...groups: string[]) => replacement(...groups));
}

const NODE_ADDRESS = /\btessera([1-4]):9000\b/g;

function renderNodes(text: string, nodePorts: number[]): string {
  return substitute(withoutComments(text), NODE_ADDRESS, (n) => `127.0.0.1:${nodePorts[Number(n) - 1]}`, 4);
}

function renderHaproxy(text: string, nodePorts: number[], port: number, socket: string): string {
  let out = renderNodes(text, nodePorts);
  out = substitute(out, /^(\s*bind )\S+$/gm, (indent) => `${indent}127.0.0.1:${port}`, 1);
  return substitute(out, /(stats socket )\/run\/haproxy\/admin\.sock/g, (keyword) => `${keyword}${socket}`, 1);
}

function renderNginx(text: string, nodePorts: number[], port: number, accessLog: string): string {
  const listening = substitute(renderNodes(text, nodePorts), /^(\s*listen )9000;$/gm, (indent) => `${indent}127.0.0.1:${port};`, 1);
  return substitute(listening, /^(\s*access_log )\/var\/log\/nginx\/access\.log tessera;$/gm, (indent) => `${indent}${accessLog} upstreams;`, 1);
}

/** Milliseconds of an HAProxy/nginx time like `1s`, `500ms`, `2m`. */
function duration(text: string): number {
  const m = /^(\d+)(ms|s|m)?$/.exec(text);
  if (!m) throw new Error(`not a duration: ${text}`);
  return Number(m[1]) * { ms: 1, s: 1000, m: 60_000 }[m[2] ?? 'ms']!;
}

/** How long HAProxy's active checks take to mark a dead node down: fall × inter of `default-server`. */
function haproxyFallTime(cfg: string): number {
  const line = /^\s*default-server\b.*$/m.exec(withoutComments(cfg))?.[0] ?? '';
  const inter = /\binter (\S+)/.exec(line)?.[1];
  const fall = /\bfall (\d+)/.exec(line)?.[1];
  if (!inter || !fall) throw new Error(`default-server in haproxy.cfg names no inter/fall: ${line}`);
  return duration(inter) * Number(fall);
}

/** nginx's fail_timeout: how long a node that failed is left alone before it is tried again. */
function nginxFailTimeout(conf: string): number {
  const value = /\bfail_timeout=(\S+?)[;\s]/.exec(withoutComments(conf))?.[1];
  if (!value) throw new Error('no fail_timeout in tessera.conf');
  return duration(value);
}

// ---------------------------------------------------------------------------------------------
// Balancer processes.

interface Balancer {
  name: string;
  endpoint: string;
  proc: ChildProcess;
  output: () => string;
  dir: string;
}

/** Balancers still running: killed when this process exits, whatever happened to the test. */
const running = new Set<ChildProcess>();
process.once('exit', () => running.forEach((proc) => proc.kill('SIGKILL')));

function startProcess(name: string, command: string, args: string[], dir: string, port: number): Balancer {
  let output = '';
  const proc = spawn(command, args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(proc);
  proc.once('exit', () => running.delete(proc));
  proc.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  return { name, endpoint: `http://127.0.0.1:${port}`, proc, output: () => output, dir };
}

async function waitServing(balancer: Balancer): Promise<void> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (balancer.proc.exitCode !== null) throw new Error(`${balancer.name} exited (${balancer.proc.exitCode}):\n${balancer.output()}`);
    const status = await getStatus(`${balancer.endpoint}/tessera/health/ready`, undefined, 2_000).catch(() => 0);
    if (status === 200) return;
    if (Date.now() > deadline) throw new Error(`${balancer.name} did not serve within 15 s (last status ${status}):\n${balancer.output()}`);
    await sleep(100);
  }
}

async function stopBalancer(balancer: Balancer | undefined): Promise<void> {
  if (!balancer) return;
  if (balancer.proc.exitCode === null && balancer.proc.signalCode === null) {
    const exited = new Promise((r) => balancer.proc.once('exit', r));
    balancer.proc.kill('SIGTERM');
    await Promise.race([exited, sleep(5_000)]);
    balancer.proc.kill('SIGKILL');
  }
  await rm(balancer.dir, { recursive: true, force: true });
}

/** Status and sessions so far of each server of backend `tessera`, from HAProxy's `show stat`. */
async function haproxyServers(socket: string): Promise<Map<string, { status: string; sessions: number }>> {
  const csv = await new Promise<string>((resolve, reject) => {
    let text = '';
    const conn = connect(socket, () => conn.end('show stat\n'));
    conn.on('data', (d: Buffer) => (text += d.toString()));
    conn.once('end', () => resolve(text));
    conn.once('error', reject);
  });
  const [header, ...rows] = csv.trim().split('\n');
  const columns = header.replace(/^# /, '').split(',');
  const servers = new Map<string, { status: string; sessions: number }>();
  for (const row of rows.map((r) => r.split(',')).filter((r) => r[0] === 'tessera' && r[1] !== 'BACKEND')) {
    servers.set(row[1], { status: row[columns.indexOf('status')], sessions: Number(row[columns.indexOf('stot')]) });
  }
  return servers;
}

// ---------------------------------------------------------------------------------------------
// Traffic, and what counts as a failure.

interface Attempt {
  client: 'sdk' | 'aws-cli';
  what: string;
  start: number;
  end: number;
  /** A retry of an attempt that failed. */
  retry: boolean;
  error?: string;
}

class Traffic {
  readonly attempts: Attempt[] = [];
  private running = true;
  private readonly loops: Promise<void>[] = [];
  private readonly sdk: S3Client;

  constructor(
    private readonly endpoint: string,
    private readonly bucket: string,
    private readonly work: string,
    withAwsCli: boolean,
  ) {
    this.sdk = new S3Client({
      endpoint,
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: { accessKeyId: ACCESS_KEY, secretAccessKey: SECRET_KEY },
      // Every failure is seen here; the retry rule is this test's (attempt()).
      maxAttempts: 1,
      requestHandler: sdkRequestHandler({ connectionTimeout: 5_000, requestTimeout: 30_000 }),
    });
    for (let w = 0; w < 3; w++) this.loops.push(this.sdkLoop(w));
    if (withAwsCli) this.loops.push(this.awsCliLoop());
  }

  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.loops);
    this.sdk.destroy();
  }

  /** Runs `fn`; when it fails, records the failure and retries once, as a client would. */
  private async attempt(client: Attempt['client'], what: string, fn: () => Promise<void>): Promise<void> {
    for (const retry of [false, true]) {
      const start = Date.now();
      try {
        await fn();
        this.attempts.push({ client, what, start, end: Date.now(), retry });
        return;
      } catch (err) {
        this.attempts.push({ client, what, start, end: Date.now(), retry, error: (err as Error).message.split('\n').slice(0, 3).join(' ') });
      }
    }
  }

  private async sdkLoop(worker: number): Promise<void> {
    const sdk = this.sdk;
    for (let i = 0; this.running; i++) {
      const key = `sdk/${worker}/${i}`;
      const body = randomBytes(64 * 1024 + ((i * 37_851) % (256 * 1024)));
      await this.attempt('sdk', `PUT ${key}`, async () => {
        await sdk.send(new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: body }));
      });
      await this.attempt('sdk', `GET ${key}`, async () => {
        const res = await sdk.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
        const got = Buffer.from(await res.Body!.transformToByteArray());
        if (sha256(got) !== sha256(body)) throw new Error(`GET ${key}: ${got.length} bytes that differ from the ${body.length} put`);
      });
      if (i % 4 === 0) {
        await this.attempt('sdk', 'LIST sdk/', async () => {
          const res = await sdk.send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix: `sdk/${worker}/`, MaxKeys: 1000 }));
          if ((res.KeyCount ?? 0) < i) throw new Error(`LIST sdk/${worker}/: ${res.KeyCount} keys, expected at least ${i}`);
        });
      }
    }
  }

  private async awsCliLoop(): Promise<void> {
    const config = join(this.work, 'aws-config');
    await writeFile(config, '[default]\nregion = us-east-1\ns3 =\n    addressing_style = path\n');
    const env = cleanEnv({
      AWS_ACCESS_KEY_ID: ACCESS_KEY,
      AWS_SECRET_ACCESS_KEY: SECRET_KEY,
      AWS_CONFIG_FILE: config,
      AWS_SHARED_CREDENTIALS_FILE: join(this.work, 'no-credentials'),
      AWS_PAGER: '',
      AWS_EC2_METADATA_DISABLED: 'true',
      // No retries of its own: this test sees every failure.
      AWS_RETRY_MODE: 'standard',
      AWS_MAX_ATTEMPTS: '1',
      HOME: this.work,
    });
    const aws = async (...args: string[]): Promise<string> => {
      const res = await run(AWS, [...args, '--endpoint-url', this.endpoint], { env, cwd: this.work, timeoutMs: 60_000 });
      if (res.code !== 0) throw new Error(`aws ${args.join(' ')}: exit ${res.code ?? res.signal}: ${res.stderr.trim()}`);
      return res.stdout;
    };
    for (let i = 0; this.running; i++) {
      const key = `cli/${i}`;
      const src = join(this.work, `up-${i}`);
      const dst = join(this.work, `down-${i}`);
      const body = randomBytes(200 * 1024);
      await writeFile(src, body);
      await this.attempt('aws-cli', `cp up ${key}`, async () => void (await aws('s3', 'cp', '--no-progress', src, `s3://${this.bucket}/${key}`)));
      await this.attempt('aws-cli', `cp down ${key}`, async () => {
        await aws('s3', 'cp', '--no-progress', `s3://${this.bucket}/${key}`, dst);
        if (sha256(await readFile(dst)) !== sha256(body)) throw new Error(`${key} came back different`);
      });
      await this.attempt('aws-cli', 'ls cli/', async () => {
        if (!(await aws('s3', 'ls', `s3://${this.bucket}/cli/`)).includes(` ${i}\n`)) throw new Error(`ls cli/ does not show ${i}`);
      });
    }
  }

  /**
   * Failed attempts the balancer should have hidden: a retry that failed, or a first attempt that was
   * not in flight during [killedAt, killedAt + windowMs].
   */
  unexcused(killedAt: number, windowMs: number): Attempt[] {
    return this.attempts.filter((a) => a.error !== undefined && (a.retry || a.end < killedAt || a.start > killedAt + windowMs));
  }

  count(client: Attempt['client']): number {
    return this.attempts.filter((a) => a.client === client && a.error === undefined).length;
  }
}

// ---------------------------------------------------------------------------------------------

let cluster: TestCluster;
let work: string;
const BUCKET = 'behind-a-balancer';

beforeAll(async () => {
  if (awsMissing) {
    if (inCI) throw new Error(`${awsMissing}; CI=true: aws-cli must be driven through the balancers`);
    console.warn(`[deploy] aws-cli not driven: ${awsMissing}`);
  }
  cluster = await TestCluster.create({ nodes: 4, drivesPerNode: 4 });
  work = await mkdtemp(join(tmpdir(), 'tessera-lb-'));
  const s3 = cluster.node(0).client();
  await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
});

afterAll(async () => {
  await cluster?.destroy();
  if (work) await rm(work, { recursive: true, force: true });
});

/**
 * Runs traffic through `balancer`, checks that it reaches every node (`nodesServing`), SIGKILLs node `victim` after a few seconds of it, lets traffic run
 * past the window, restarts the node, waits until `takenBack` says the balancer uses it again, and
 * checks the failures.
 */
async function killUnderTraffic(
  balancer: Balancer,
  victim: number,
  windowMs: number,
  nodesServing: () => Promise<number>,
  takenBack: (since: number) => Promise<boolean>,
  takeBackMs: number,
): Promise<void> {
  const traffic = new Traffic(balancer.endpoint, BUCKET, await mkdtemp(join(work, `${balancer.name}-`)), !awsMissing);
  let killedAt = 0;
  try {
    await sleep(3_000);
    expect(await nodesServing(), `nodes ${balancer.name} sent requests to before the kill`).toBe(cluster.nodes.length);
    killedAt = Date.now();
    await cluster.node(victim).kill();
    await sleep(Math.max(windowMs, 1_000) + 3_000);
    const restartedAt = Date.now();
    await cluster.node(victim).start();
    const deadline = Date.now() + takeBackMs;
    while (!(await takenBack(restartedAt))) {
      if (Date.now() > deadline) throw new Error(`${balancer.name} did not send node ${victim + 1} requests within ${takeBackMs} ms of its return:\n${balancer.output()}`);
      await sleep(250);
    }
  } finally {
    await traffic.stop();
  }
  const failures = traffic.attempts.filter((a) => a.error !== undefined);
  console.log(
    `[deploy] ${balancer.name}: ${traffic.count('sdk')} SDK and ${traffic.count('aws-cli')} aws-cli requests succeeded; ` +
      `${failures.length} failed (window ${windowMs} ms after the kill): ${JSON.stringify(failures.map((f) => ({ ...f, start: f.start - killedAt, end: f.end - killedAt })))}`,
  );
  expect(traffic.unexcused(killedAt, windowMs), `failed outside the retry window (times relative to the kill)`).toEqual([]);
  expect(traffic.count('sdk')).toBeGreaterThan(20);
  if (!awsMissing) expect(traffic.count('aws-cli')).toBeGreaterThan(3);
}

clientSuite('HAProxy (deploy/haproxy/haproxy.cfg)', haproxy.missing, () => {
  let balancer: Balancer | undefined;
  afterAll(() => stopBalancer(balancer));

  it('hides a node killed under SDK and aws-cli traffic, and takes it back when it returns', async () => {
    const shippedCfg = await shipped('haproxy/haproxy.cfg');
    const dir = await mkdtemp(join(tmpdir(), 'tessera-haproxy-'));
    const port = await freePort();
    const socket = join(dir, 'admin.sock');
    const cfg = join(dir, 'haproxy.cfg');
    await writeFile(cfg, renderHaproxy(shippedCfg, cluster.nodes.map((n) => n.port), port, socket));
    balancer = startProcess('haproxy', haproxy.path!, ['-db', '-f', cfg], dir, port);
    await waitServing(balancer);

    const victim = 1;
    const server = `tessera${victim + 1}`;
    let sessionsAtUp: number | undefined;
    await killUnderTraffic(
      balancer,
      victim,
      haproxyFallTime(shippedCfg),
      async () => [...(await haproxyServers(socket)).values()].filter((s) => s.sessions > 0).length,
      async () => {
        const { status, sessions } = (await haproxyServers(socket)).get(server)!;
        if (!status.startsWith('UP')) return false;
        sessionsAtUp ??= sessions;
        return sessions > sessionsAtUp;
      },
      20_000,
    );
  });
});

clientSuite('nginx (deploy/nginx/tessera.conf)', nginx.missing, () => {
  let balancer: Balancer | undefined;
  afterAll(() => stopBalancer(balancer));

  it('hides a node killed under SDK and aws-cli traffic, and takes it back when it returns', async () => {
    const shippedConf = await shipped('nginx/tessera.conf');
    const dir = await mkdtemp(join(tmpdir(), 'tessera-nginx-'));
    // nginx's workers run as nobody when it is started as root.
    await chmod(dir, 0o755);
    for (const temp of ['body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) await mkdir(join(dir, temp));
    const port = await freePort();
    const accessLog = join(dir, 'access.log');
    await writeFile(join(dir, 'tessera.conf'), renderNginx(shippedConf, cluster.nodes.map((n) => n.port), port, accessLog));
    // The harness around the shipped http-level snippet: what /etc/nginx/nginx.conf would be, in the temp directory.
    await writeFile(
      join(dir, 'nginx.conf'),
      [
        'daemon off;',
        'worker_processes 1;',
        `pid ${join(dir, 'nginx.pid')};`,
        `error_log ${join(dir, 'error.log')} notice;`,
        'events { worker_connections 1024; }',
        'http {',
        `  client_body_temp_path ${join(dir, 'body')};`,
        `  proxy_temp_path ${join(dir, 'proxy')};`,
        `  fastcgi_temp_path ${join(dir, 'fastcgi')};`,
        `  uwsgi_temp_path ${join(dir, 'uwsgi')};`,
        `  scgi_temp_path ${join(dir, 'scgi')};`,
        "  log_format upstreams '$msec|$request_method|$status|$upstream_addr';",
        `  include ${join(dir, 'tessera.conf')};`,
        '}',
        '',
      ].join('\n'),
    );
    balancer = startProcess('nginx', nginx.path!, ['-p', `${dir}/`, '-e', join(dir, 'error.log'), '-c', join(dir, 'nginx.conf')], dir, port);
    await waitServing(balancer);

    const victim = 2;
    const victimAddress = cluster.node(victim).address;
    // Passive checks: a node that failed is tried again after fail_timeout; the first request to meet
    // the dead node is passed to the next one, so only requests in flight at the kill may fail.
    /** Access log lines as [ms, status, the node that answered]. */
    const answers = async (): Promise<Array<{ at: number; status: string; node: string | undefined }>> =>
      (await readFile(accessLog, 'utf8'))
        .split('\n')
        .filter(Boolean)
        .map((line) => {
          const [msec, , status, upstreams] = line.split('|');
          return { at: Number(msec) * 1000, status, node: upstreams.split(', ').at(-1) };
        });
    await killUnderTraffic(
      balancer,
      victim,
      0,
      async () => new Set((await answers()).filter((a) => a.status.startsWith('2')).map((a) => a.node)).size,
      async (since) => (await answers()).some((a) => a.at >= since && a.status.startsWith('2') && a.node === victimAddress),
      nginxFailTimeout(shippedConf) + 15_000,
    );
  });
});
