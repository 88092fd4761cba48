/**
 * What an operator reaches for when something is slow, on a real 2-node cluster:
 *  - `tessera admin info --json` names every node (version, uptime) and every drive (state, capacity);
 *  - `tessera admin trace` (the CLI, as a child process) prints the requests every node answers, with
 *    the request id the client saw; its filters (errors, bucket/prefix, method, API, node, minimum
 *    duration) let through exactly what they should;
 *  - `tessera admin top locks` shows a lock held by a slow multipart completion on one node and the
 *    same lock awaited by a second completion on the other;
 *  - a user whose policy does not allow admin:ServerTrace / admin:TopLocksInfo is refused.
 * Completions are slowed by the failpoint multipart.complete.committed (the upload's lock is held).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  CompleteMultipartUploadCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
  UploadPartCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect } from 'vitest';
import { AdminApiError, type AdminClient, type AdminInfo, type TraceOptions } from '../../src/admin/client.js';
import type { TopLocks } from '../../src/admin/top-locks.js';
import type { TraceLine } from '../../src/admin/trace-feed.js';
import { Cli } from '../cli/cli-harness.js';
import { ACCESS_KEY, SECRET_KEY, TestCluster, clusterSuite, sleep } from '../helpers/cluster.js';
import { ROOT } from '../helpers/server.js';

const BUCKET = 'trace';
const SLOW_COMPLETE_MS = 6_000;

type RequestLine = Extract<TraceLine, { type: 'request' }>;

async function until<T>(what: string, probe: () => T | undefined, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = probe();
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

/** A trace followed through the admin client, its request lines collected. */
class Follower {
  readonly requests: RequestLine[] = [];
  readonly lines: TraceLine[] = [];
  private readonly stop = new AbortController();
  private readonly done: Promise<void>;

  constructor(admin: AdminClient, filter: TraceOptions) {
    this.done = (async () => {
      for await (const line of admin.trace(filter, this.stop.signal)) {
        this.lines.push(line);
        if (line.type === 'request') this.requests.push(line);
      }
    })();
    this.done.catch(() => undefined);
  }

  subscribed(): Promise<unknown> {
    return until('the trace to subscribe', () => this.lines.find((l) => l.type === 'subscribed'));
  }

  paths(): string[] {
    return this.requests.map((r) => `${r.method} ${r.path}`).sort();
  }

  async close(): Promise<void> {
    this.stop.abort();
    await this.done.catch(() => undefined);
  }
}

describe('admin info, trace and top locks: 2 nodes x 2 drives', () => {
  let cluster: TestCluster;
  let clients: S3Client[];
  let admin: AdminClient;
  let cli: Cli;
  const nodeNames: string[] = [];

  const { step } = clusterSuite({ nodes: 2, drivesPerNode: 2, env: { TESSERA_FAILPOINTS: `multipart.complete.committed=sleep:${SLOW_COMPLETE_MS}` } }, async (started) => {
    cluster = started;
    clients = cluster.nodes.map((n) => n.client());
    nodeNames.push(...cluster.nodes.map((n) => n.address));
    admin = cluster.node(0).admin();
    await clients[0].send(new CreateBucketCommand({ Bucket: BUCKET }));
  });

  beforeAll(async () => {
    cli = await Cli.create();
    // Over https (TESSERA_TEST_TLS), the CLI trusts the cluster's CA as a user would: in its config directory.
    if (cluster.tls) {
      await mkdir(join(cli.configDir, 'certs', 'CAs'), { recursive: true });
      await writeFile(join(cli.configDir, 'certs', 'CAs', 'test-ca.crt'), cluster.tls.ca);
    }
  });
  afterAll(async () => {
    await cli.destroy();
  });

  step('admin info --json: every node with its version and uptime, every drive with its state and capacity, sets with their quorums', async () => {
    await cli.setAlias('local', cluster.node(0).endpoint, ACCESS_KEY, SECRET_KEY);
    const [info] = await cli.json<AdminInfo>(['admin', 'info', 'local']);
    const version = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
    expect(info.version).toBe(version);
    expect(info.uptimeSeconds).toBeGreaterThanOrEqual(0);
    expect(info.nodes.map((n) => n.name).sort()).toEqual([...nodeNames].sort());
    for (const node of info.nodes) {
      expect(node).toMatchObject({ state: 'online', version });
      expect(node.uptimeSeconds).toBeGreaterThanOrEqual(0);
      expect(node.drives).toHaveLength(2);
      for (const drive of node.drives) {
        expect(drive.state).toBe('online');
        expect(drive.capacity!.total).toBeGreaterThan(0);
        expect(drive.capacity!.used + drive.capacity!.free).toBe(drive.capacity!.total);
      }
    }
    expect(info.sets).toHaveLength(1);
    expect(info.sets[0]).toMatchObject({ drives: 4, online: 4, dataShards: 2, parityShards: 2, readQuorum: 2, writeQuorum: 3, readable: true, writable: true });
    expect(info.healQueue).toMatchObject({ length: 0, dropped: 0 });
    expect(info.drives).toMatchObject({ total: 4, online: 4, offline: 0 });

    const text = await cli.ok(['admin', 'info', 'local']);
    expect(text.stdout).toMatch(new RegExp(`Node ${nodeNames[1]}: online, version ${version.replace(/\./g, '\\.')}, up `));
    expect(text.stdout).toMatch(/ used of /);
  });

  step('admin trace (the CLI): requests answered by either node arrive with node, request id, method, API, path, status, duration and bytes', async () => {
    const follow = (json: boolean) => {
      const proc: ChildProcess = spawn(process.execPath, [join(ROOT, 'bin/tessera.js'), 'admin', 'trace', ...(json ? ['--json'] : []), 'local'], { env: cli.env, stdio: ['ignore', 'pipe', 'pipe'] });
      const output = { stdout: '', stderr: '', proc, exited: new Promise<number | null>((resolve) => proc.once('close', resolve)) };
      proc.stdout!.on('data', (d: Buffer) => (output.stdout += d.toString()));
      proc.stderr!.on('data', (d: Buffer) => (output.stderr += d.toString()));
      return output;
    };
    const json = follow(true);
    const text = follow(false);
    try {
      await until('the text trace to start', () => (text.stderr.includes('tracing') ? true : undefined));
      expect(text.stderr).toContain(`tracing ${nodeNames.join(' ')} (Ctrl-C to stop)`);
      const lines = (): TraceLine[] => json.stdout.split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as TraceLine);
      const subscribed = await until('the trace to start', () => lines().find((l) => l.type === 'subscribed'));
      expect(subscribed).toEqual({ type: 'subscribed', nodes: nodeNames });
      const body = Buffer.alloc(1000, 7);
      const put = await clients[0].send(new PutObjectCommand({ Bucket: BUCKET, Key: 'a/one', Body: body }));
      const get = await clients[1].send(new GetObjectCommand({ Bucket: BUCKET, Key: 'a/one' }));
      await get.Body!.transformToByteArray();
      const missing = await clients[1].send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'a/none' })).catch((err: { $metadata: { requestId?: string } }) => err);

      const seen = await until('three traced requests', () => {
        const requests = lines().filter((l): l is RequestLine => l.type === 'request' && l.path.startsWith(`/${BUCKET}/a/`));
        return requests.length >= 3 ? requests : undefined;
      });
      const byId = new Map(seen.map((l) => [l.requestId, l]));
      expect(byId.get(put.$metadata.requestId!)).toMatchObject({ type: 'request', node: nodeNames[0], method: 'PUT', api: 'PutObject', path: `/${BUCKET}/a/one`, bucket: BUCKET, key: 'a/one', status: 200, bytesIn: 1000 });
      expect(byId.get(get.$metadata.requestId!)).toMatchObject({ node: nodeNames[1], method: 'GET', api: 'GetObject', status: 200 });
      expect(byId.get(get.$metadata.requestId!)!.bytesOut).toBeGreaterThan(1000);
      expect(byId.get(missing.$metadata.requestId!)).toMatchObject({ node: nodeNames[1], method: 'HEAD', api: 'HeadObject', status: 404 });
      for (const line of seen) {
        expect(line.durationMs).toBeGreaterThanOrEqual(0);
        expect(Date.parse(line.time)).toBeGreaterThan(Date.now() - 60_000);
        expect(line.client).toBe('127.0.0.1');
      }
      const putLine = `${nodeNames[0]}  ${put.$metadata.requestId}  PUT /${BUCKET}/a/one  PutObject  200  `;
      await until('the PUT in the text trace', () => (text.stdout.includes(putLine) ? true : undefined));
      expect(text.stdout).toMatch(new RegExp(`${putLine}\\d+ms  in 1000 B out \\d+ B\n`));
      expect(text.stdout).toContain(`${nodeNames[1]}  ${missing.$metadata.requestId}  HEAD /${BUCKET}/a/none  HeadObject  404  `);
    } finally {
      json.proc.kill('SIGINT');
      text.proc.kill('SIGINT');
    }
    expect(await json.exited).toBe(130);
    expect(await text.exited).toBe(130);
  });

  step('filters: errors under a bucket and prefix; a method on one node; an API slower than a minimum', async () => {
    const errors = new Follower(admin, { bucket: BUCKET, prefix: 'b/', errorsOnly: true });
    const puts = new Follower(admin, { methods: ['PUT'], nodes: [nodeNames[1]] });
    await Promise.all([errors.subscribed(), puts.subscribed()]);
    try {
      await clients[1].send(new GetObjectCommand({ Bucket: BUCKET, Key: 'b/missing' })).catch(() => undefined); // error under b/: in
      await clients[0].send(new GetObjectCommand({ Bucket: BUCKET, Key: 'a/missing' })).catch(() => undefined); // error, other prefix: out
      await clients[0].send(new PutObjectCommand({ Bucket: BUCKET, Key: 'b/ok', Body: 'x' })); // ok: out; PUT on node 1: out
      await clients[1].send(new GetObjectCommand({ Bucket: BUCKET, Key: 'b/ok' })); // ok: out; GET: out
      await clients[1].send(new PutObjectCommand({ Bucket: BUCKET, Key: 'c/two', Body: 'y' })); // PUT on node 2: in
      await clients[0].send(new GetObjectCommand({ Bucket: BUCKET, Key: 'b/gone' })).catch(() => undefined); // error under b/ on node 1: in
      await until('the matching requests', () => (errors.requests.length >= 2 && puts.requests.length >= 1 ? true : undefined));
      await sleep(1_000); // several polling rounds: anything else would have arrived by now
      expect(errors.paths()).toEqual([`GET /${BUCKET}/b/gone`, `GET /${BUCKET}/b/missing`]);
      expect(errors.requests.map((r) => r.status)).toEqual([404, 404]);
      expect(puts.paths()).toEqual([`PUT /${BUCKET}/c/two`]);
      expect(puts.requests[0].node).toBe(nodeNames[1]);
    } finally {
      await Promise.all([errors.close(), puts.close()]);
    }

    const slow = new Follower(admin, { apis: ['CompleteMultipartUpload', 'PutObject'], minDurationMs: SLOW_COMPLETE_MS - 500 });
    await slow.subscribed();
    try {
      await clients[0].send(new PutObjectCommand({ Bucket: BUCKET, Key: 'fast', Body: 'z' }));
      const { UploadId } = await clients[1].send(new CreateMultipartUploadCommand({ Bucket: BUCKET, Key: 'slow' }));
      const { ETag } = await clients[1].send(new UploadPartCommand({ Bucket: BUCKET, Key: 'slow', UploadId, PartNumber: 1, Body: 'part' }));
      await clients[1].send(new CompleteMultipartUploadCommand({ Bucket: BUCKET, Key: 'slow', UploadId, MultipartUpload: { Parts: [{ PartNumber: 1, ETag }] } }));
      await until('the slow completion', () => (slow.requests.length >= 1 ? true : undefined));
      await sleep(600);
      expect(slow.requests.map((r) => [r.api, r.node, r.status])).toEqual([['CompleteMultipartUpload', nodeNames[1], 200]]);
      expect(slow.requests[0].durationMs).toBeGreaterThanOrEqual(SLOW_COMPLETE_MS - 500);
    } finally {
      await slow.close();
    }
  }, 30_000);

  step('admin top locks: a completion holding its upload lock on one node, a second one waiting for it on the other', async () => {
    const { UploadId } = await clients[0].send(new CreateMultipartUploadCommand({ Bucket: BUCKET, Key: 'locked' }));
    const { ETag } = await clients[0].send(new UploadPartCommand({ Bucket: BUCKET, Key: 'locked', UploadId, PartNumber: 1, Body: 'part' }));
    const complete = (client: S3Client) =>
      client.send(new CompleteMultipartUploadCommand({ Bucket: BUCKET, Key: 'locked', UploadId, MultipartUpload: { Parts: [{ PartNumber: 1, ETag }] } }));
    const first = complete(clients[0]);
    await sleep(1_000);
    const second = complete(clients[1]);
    await sleep(500);
    // Both asked at once, while the first completion still holds the lock.
    const [[top], text] = await Promise.all([cli.json<TopLocks>(['admin', 'top', 'locks', 'local']), cli.ok(['admin', 'top', 'locks', 'local'])]);
    const resource = `upload/${UploadId}`;
    expect(top.unreachable).toEqual([]);
    const held = top.locks.find((l) => l.resource === resource && l.state === 'held');
    const waiting = top.locks.find((l) => l.resource === resource && l.state === 'waiting');
    expect(held).toMatchObject({ mode: 'write', node: nodeNames[0] });
    expect(held!.ageMs).toBeGreaterThanOrEqual(500);
    expect(waiting).toMatchObject({ mode: 'write', node: nodeNames[1] });
    expect(top.locks[0]).toEqual(held); // the oldest first

    expect(text.stdout).toMatch(new RegExp(`held\\s+write\\s+${nodeNames[0]}\\s+${resource}`));
    expect(text.stdout).toMatch(new RegExp(`waiting\\s+write\\s+${nodeNames[1]}\\s+${resource}`));

    await Promise.all([first, second]);
    const after = await admin.topLocks();
    expect(after.locks.filter((l) => l.resource === resource)).toEqual([]);
  }, 30_000);

  step('a user whose policy allows S3 but not admin:ServerTrace or admin:TopLocksInfo is refused both', async () => {
    await admin.putPolicy('s3-only', JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ['s3:*', 'admin:ServerInfo'], Resource: ['arn:aws:s3:::*'] }] }));
    await admin.addUser('tracer', 'tracer-secret-key');
    await admin.attachPolicies(['s3-only'], { user: 'tracer' });
    const user = cluster.node(1).admin('tracer', 'tracer-secret-key');
    await expect(user.info()).resolves.toMatchObject({ version: expect.any(String) });
    const refused = async (call: () => Promise<unknown>, action: string): Promise<void> => {
      const err = await call().then(() => undefined, (e: unknown) => e);
      expect(err).toBeInstanceOf(AdminApiError);
      expect(err).toMatchObject({ status: 403, code: 'AccessDenied' });
      expect((err as Error).message).toContain(action);
    };
    await refused(async () => {
      for await (const line of user.trace()) return line;
    }, 'admin:ServerTrace');
    await refused(() => user.topLocks(), 'admin:TopLocksInfo');
  });
});
