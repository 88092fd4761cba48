/**
 * Node RPC as an attacker on the node network sees it (2 nodes x 2 drives):
 *  - a request is refused (403, connection closed) without a signature, with a wrong key, signed for
 *    another path, with a field changed after signing, outside the time window, for another endpoint
 *    list, sent a second time, or sent again with another body; a correctly signed one is answered;
 *  - even correctly signed, every drive method called with traversal arguments (`..`, `../../x`,
 *    absolute paths, `%2e%2e`, NUL, wrong types) in any name position is refused by the drive before
 *    it touches the filesystem: a canary file and directory outside the drives survive untouched and
 *    nothing new appears outside the drives;
 *  - a single node serves no RPC at all.
 * The signing code here is written independently of src/cluster/rpc-auth.ts, so a change of wire
 * format on one side alone fails this test.
 */
import { createHash, createHmac, randomBytes, randomUUID } from 'node:crypto';
import { mkdir, readdir, stat, writeFile } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import { join, relative } from 'node:path';
import { pack, unpack } from 'msgpackr';
import { describe, expect, it } from 'vitest';
import { ACCESS_KEY, SECRET_KEY, clusterSuite, type TestCluster } from '../helpers/cluster.js';
import { TestServer } from '../helpers/server.js';

const PREFIX = '/tessera/rpc/v1/';
const PING = `${PREFIX}ping`;

interface RpcAnswer {
  status: number;
  body: Buffer;
  headers: http.IncomingHttpHeaders;
  /** The server closed the connection after answering. */
  closed: boolean;
}

/** Where to send: a node's port, and the CA to trust when it serves https. */
interface Target {
  port: number;
  ca?: string;
}

/** A raw POST with exactly these headers and body, on a connection of its own. */
function rpcPost(target: Target, path: string, headers: Record<string, string>, body = Buffer.alloc(0)): Promise<RpcAnswer> {
  return new Promise((resolve, reject) => {
    const options = { host: '127.0.0.1', port: target.port, method: 'POST', path, agent: false as const, headers: { 'content-type': 'application/msgpack', 'content-length': String(body.length), ...headers } };
    const respond = (res: http.IncomingMessage): void => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks), headers: res.headers, closed: res.headers.connection === 'close' }));
      res.on('error', reject);
    };
    const req = target.ca ? https.request({ ...options, ca: target.ca }, respond) : http.request(options, respond);
    req.setTimeout(10_000, () => req.destroy(new Error('no answer within 10 s')));
    req.on('error', reject);
    req.end(body);
  });
}

const keyFor = (secret: string): Buffer => createHmac('sha256', secret).update(`tessera-rpc-key-v2\n${ACCESS_KEY}`).digest();

/** Signs like a node: HMAC-SHA256 over method, path, time, nonce, endpoint fingerprint and body hash. */
class Signer {
  private readonly sender = randomBytes(16).toString('hex');
  private counter = 0;
  constructor(
    private readonly key: Buffer,
    private readonly fingerprint: string,
  ) {}

  /** The receiving process's boot id, as learned from a ping answer. */
  boot = '';

  headers(path: string, body: Buffer, options: { time?: number; fingerprint?: string; boot?: string } = {}): Record<string, string> {
    const time = String(options.time ?? Date.now());
    const nonce = `${this.sender}.${++this.counter}`;
    const fingerprint = options.fingerprint ?? this.fingerprint;
    const boot = options.boot ?? this.boot;
    const bodyHash = createHash('sha256').update(body).digest('hex');
    const mac = createHmac('sha256', this.key).update(`TESSERA-RPC-2\nPOST\n${path}\n${time}\n${nonce}\n${boot}\n${fingerprint}\n${bodyHash}`).digest('hex');
    return {
      'x-tessera-time': time,
      'x-tessera-nonce': nonce,
      'x-tessera-boot': boot,
      'x-tessera-topology': fingerprint,
      'x-tessera-content-sha256': bodyHash,
      authorization: `Tessera-HMAC-SHA256 ${mac}`,
    };
  }
}

async function fingerprintOf(cluster: TestCluster): Promise<string> {
  const { parseTopology } = await import('../../src/cluster/endpoints.js');
  return parseTopology(cluster.endpointArgs, { host: '127.0.0.1', port: cluster.node(0).port }, { tls: cluster.tls !== undefined }).fingerprint;
}

/** Every file and directory under `dir` (drives excluded) with its size and change time. */
async function snapshot(dir: string, isDrive: (path: string) => boolean): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const walk = async (at: string): Promise<void> => {
    for (const name of await readdir(at)) {
      const path = join(at, name);
      if (isDrive(path)) continue;
      const info = await stat(path);
      out.set(relative(dir, path), `${info.isDirectory() ? 'd' : info.size}:${info.mtimeMs}:${info.ctimeMs}`);
      if (info.isDirectory()) await walk(path);
    }
  };
  await walk(dir);
  return out;
}

describe('node RPC security: 2 nodes x 2 drives', () => {
  let cluster: TestCluster;
  let signer: Signer;
  let fingerprint: string;
  const target = (node: number): Target => ({ port: cluster.node(node).port, ca: cluster.tls?.ca });
  const { step } = clusterSuite({ nodes: 2, drivesPerNode: 2 }, async (started) => {
    cluster = started;
    fingerprint = await fingerprintOf(cluster);
    signer = new Signer(keyFor(SECRET_KEY), fingerprint);
  });

  const refused = async (what: string, res: RpcAnswer, reason?: RegExp): Promise<void> => {
    expect(res.status, `${what}: ${res.status} ${res.body.toString()}`).toBe(403);
    expect(res.closed, `${what}: the connection must be closed`).toBe(true);
    expect(res.body.toString(), what).toMatch(reason ?? /node RPC refused/);
  };

  step('a correctly signed call is answered; every forged, stale, foreign or replayed one is refused with 403', async () => {
    const port = target(1);
    const empty = pack(null);
    // a ping may name any run of the node: it is how a caller learns the node's boot id
    const ok = await rpcPost(port, PING, signer.headers(PING, empty), empty);
    expect(ok.status, ok.body.toString()).toBe(200);
    const pinged = (unpack(ok.body) as { r: { node: string; boot: string } }).r;
    expect(pinged.node).toBe(cluster.node(1).address);
    expect(pinged.boot).toMatch(/^[0-9a-f]{32}$/);
    // any other call must name it; a refusal tells a caller holding the key which one to name
    const formatPath = `${PREFIX}drive/2/readFormat`;
    const noBoot = await rpcPost(port, formatPath, signer.headers(formatPath, pack([])), pack([]));
    await refused('a drive call naming no boot id', noBoot, /earlier run/);
    expect(noBoot.headers['x-tessera-refusal']).toBe('other-boot');
    expect(noBoot.headers['x-tessera-boot']).toBe(pinged.boot);
    signer.boot = pinged.boot;

    await refused('no headers at all', await rpcPost(port, PING, {}, empty));
    const { authorization: _a, ...unsigned } = signer.headers(PING, empty);
    await refused('no authorization', await rpcPost(port, PING, unsigned, empty));
    const { 'x-tessera-nonce': _n, ...noNonce } = signer.headers(PING, empty);
    await refused('no nonce', await rpcPost(port, PING, noNonce, empty));
    const wrongKey = new Signer(keyFor(`${SECRET_KEY}x`), fingerprint);
    await refused('wrong key', await rpcPost(port, PING, wrongKey.headers(PING, empty), empty), /credentials/);
    await refused('signed for another path', await rpcPost(port, PING, signer.headers(`${PREFIX}lock/release`, empty), empty));
    for (const field of ['x-tessera-time', 'x-tessera-nonce', 'x-tessera-content-sha256', 'x-tessera-topology']) {
      const headers = signer.headers(PING, empty);
      headers[field] = field === 'x-tessera-time' ? String(Number(headers[field]) + 1) : headers[field].replace(/.$/, (c) => (c === '1' ? '2' : '1'));
      await refused(`${field} changed after signing`, await rpcPost(port, PING, headers, empty));
    }
    await refused('61 s old', await rpcPost(port, PING, signer.headers(PING, empty, { time: Date.now() - 61_000 }), empty), /time/);
    await refused('61 s ahead', await rpcPost(port, PING, signer.headers(PING, empty, { time: Date.now() + 61_000 }), empty), /time/);
    await refused('another endpoint list', await rpcPost(port, PING, signer.headers(PING, empty, { fingerprint: 'ffffffffffffffff' }), empty), /endpoint list/);

    // replay: the same request again, and the same headers with another body
    const readFormat = `${PREFIX}drive/2/readFormat`;
    const args = pack([]);
    const captured = signer.headers(readFormat, args);
    const first = await rpcPost(port, readFormat, captured, args);
    expect(first.status).toBe(200);
    expect((unpack(first.body) as { r: { deploymentId: string } }).r.deploymentId).toMatch(/^[0-9a-f-]{36}$/);
    await refused('the same request again', await rpcPost(port, readFormat, captured, args), /seen before/);
    const bucketPath = `${PREFIX}drive/2/deleteBucket`;
    const capturedDelete = signer.headers(bucketPath, pack(['nothing-here']));
    await refused('headers of one body with another body', await rpcPost(port, bucketPath, capturedDelete, pack(['victim'])), /body/);
    await refused('the headers again once their nonce is spent', await rpcPost(port, bucketPath, capturedDelete, pack(['nothing-here'])), /seen before/);
    // the body limits apply before a byte is decoded: 2 MiB of one-byte empty maps (a memory bomb) to a metadata call
    const bomb = Buffer.concat([Buffer.from([0xdd, 0, 0x20, 0, 0]), Buffer.alloc(2 * 1024 * 1024, 0x80)]);
    await refused('a 2 MiB argument list for readFormat', await rpcPost(port, formatPath, signer.headers(formatPath, bomb), bomb), /too large/);
    const garbage = Buffer.from([0xc1, 0xff, 0x00]);
    const undecodable = await rpcPost(port, formatPath, signer.headers(formatPath, garbage), garbage);
    expect(undecodable.status).toBe(200);
    expect((unpack(undecodable.body) as { e?: { kind: string } }).e?.kind).toBeDefined();
    // a drive index written another way is not another name for the same drive
    for (const alias of ['2.0', '0x2', '02', '', '%32', '2e0']) {
      const path = `${PREFIX}drive/${alias}/readFormat`;
      const res = await rpcPost(port, path, signer.headers(path, pack([])), pack([]));
      expect((unpack(res.body) as { e?: { kind: string } }).e?.kind, `drive index ${JSON.stringify(alias)}`).toBe('invalid');
    }
    // the lock service is behind the same door
    await refused('unsigned lock call', await rpcPost(port, `${PREFIX}lock/acquire`, {}, pack({ name: 'x', uid: 'y', write: true, ttl: 1000 })));
    for (const n of cluster.nodes) expect(await n.health('cluster')).toBe(200);
  });

  step('a request captured before the node restarted is refused after it', async () => {
    const node = cluster.node(1);
    const path = `${PREFIX}drive/2/readSysFile`;
    const args = pack(['mrf.json']);
    const captured = signer.headers(path, args);
    expect((await rpcPost(target(1), path, captured, args)).status).toBe(200);
    await node.stop();
    await node.start();
    await refused('the captured request, replayed to the new run', await rpcPost(target(1), path, captured, args), /earlier run/);
    for (const n of cluster.nodes) await n.waitHealth('cluster', 200, 15_000);
    const ping = await rpcPost(target(1), PING, signer.headers(PING, pack(null)), pack(null));
    signer.boot = (unpack(ping.body) as { r: { boot: string } }).r.boot;
  });

  step('correctly signed drive calls with traversal arguments are refused, and nothing outside the drives changes', async () => {
    const outside = join(cluster.dir, 'outside');
    await mkdir(join(outside, 'canary-dir'), { recursive: true });
    await writeFile(join(outside, 'canary.txt'), 'canary');
    await writeFile(join(outside, 'canary-dir', 'inner.txt'), 'inner');
    const isDrive = (path: string): boolean => /\/n\d+\/d\d+$/.test(path);
    const before = await snapshot(cluster.dir, isDrive);
    const port = target(1);
    const drive = 2; // the first drive of node 2 in the endpoint list

    const traversals: unknown[] = [
      '..', '.', '../', '../../x', '../outside', '../../outside', '../../../outside', '../../../../outside', `${'../'.repeat(8)}outside`,
      outside, join(outside, 'canary-dir'), join(outside, 'canary.txt'), '/etc/passwd', '%2e%2e', '%2e%2e%2f%2e%2e%2foutside', '..%2f..%2foutside',
      'a/../../outside', 'part.1/../../../outside', 'a\u0000b', '\u0000', '.tessera.sys', '.tessera.sys/format.json', '', 'ABC', '..\\..\\outside',
      42, null, ['..'], { toString: '..' },
    ];
    const valid = { B: 'rpcsec', S: randomUUID(), D: randomUUID(), U: 'e'.repeat(64), F: 'part.1', P: '0a', N: 'mrf.json' };
    type Names = typeof valid;
    // Every drive method, with each name position marked by the placeholder it takes.
    const calls: Record<string, (v: Names) => unknown[]> = {
      makeBucket: (v) => [v.B, 1],
      deleteBucket: (v) => [v.B],
      statBucket: (v) => [v.B],
      bucketHasObjects: (v) => [v.B],
      readRecord: (v) => [v.B, 'key'],
      writeRecord: (v) => [v.B, 'key', { versions: [] }],
      listRecords: (v) => [v.B, { prefix: '', limit: 10 }],
      listRecordKeys: (v) => [v.B, { prefix: '', limit: 10 }],
      commitVersion: (v) => [v.B, 'key', { versions: [] }, 1, { dataDir: v.D, stagingId: v.S }],
      discardStaged: (v) => [v.S],
      deleteDataDir: (v) => [v.B, v.D],
      readUpload: (v) => [v.B, 'key', v.U],
      writeUpload: (v) => [v.B, { uploadId: v.U, key: 'key', initiated: 1, headers: {}, dataDir: randomUUID() }],
      deleteUpload: (v) => [v.B, 'key', v.U],
      listUploads: (v) => [v.B, ''],
      commitPart: (v) => [v.S, v.U, { number: 1, size: 1, etag: 'x', modTime: 1 }],
      listParts: (v) => [v.U],
      restoreUploadData: (v) => [v.U, [1], v.B, v.D],
      checkShards: (v) => [v.B, v.D, { files: [{ file: v.F, partSize: 1 }], blockSize: 1 << 20, dataShards: 1, deep: true }],
      commitHealedShards: (v) => [v.S, v.B, v.D, [v.F]],
      listDataDirs: (v) => [v.B, v.P],
      readSysFile: (v) => [v.N],
      writeSysFile: (v) => [v.N, Buffer.from('{"owned":true}')],
      shardCreate: (v) => [v.S, v.F],
      shardWrite: (v) => [v.S, v.F, Buffer.from('x')],
      shardFinish: (v) => [v.S, v.F],
      shardAbort: (v) => [v.S, v.F],
      shardRead: (v) => [v.B, v.D, v.F, 0, 100],
      shardStat: (v) => [v.B, v.D, v.F, 0, 0],
    };
    const uses = (method: string, name: keyof Names): boolean => {
      const marker = { ...valid, [name]: '\u0001marker' };
      return JSON.stringify(calls[method](marker)).includes('\\u0001marker');
    };

    let sent = 0;
    const accepted: string[] = [];
    for (const [method, build] of Object.entries(calls)) {
      for (const name of Object.keys(valid) as (keyof Names)[]) {
        if (!uses(method, name)) continue;
        for (const bad of traversals) {
          const path = `${PREFIX}drive/${drive}/${method}`;
          const body = pack(build({ ...valid, [name]: bad as string }));
          const res = await rpcPost(port, path, signer.headers(path, body), body);
          sent++;
          expect(res.status, `${method} ${name}=${JSON.stringify(bad)}: ${res.body.toString()}`).toBe(200);
          const answer = unpack(res.body) as { r?: unknown; e?: { kind: string; message: string } };
          if (answer.e?.kind !== 'invalid') accepted.push(`${method} ${name}=${JSON.stringify(bad)} -> ${JSON.stringify(answer)}`);
        }
      }
    }
    console.log(`traversal sweep: ${sent} signed drive calls, every one refused as invalid`);
    expect(accepted, 'drive calls that were not refused as invalid').toEqual([]);
    // the canaries are untouched and nothing appeared (or went) outside the drives
    expect(await snapshot(cluster.dir, isDrive)).toEqual(before);
    for (const n of cluster.nodes) expect(await n.health('cluster')).toBe(200);
  }, 120_000);
});

describe('node RPC on a single node', () => {
  it('is not served: a correctly signed call gets the S3 layer, which refuses it, and no drive answers', async () => {
    const server = await TestServer.start({ drives: 4 });
    try {
      const signer = new Signer(keyFor(SECRET_KEY), 'any');
      for (const path of [PING, `${PREFIX}drive/0/readFormat`, `${PREFIX}drive/0/deleteBucket`]) {
        const body = pack([]);
        const res = await rpcPost({ port: server.port }, path, signer.headers(path, body), body);
        expect(res.status, res.body.toString()).toBe(403);
        expect(res.body.toString()).toContain('<Code>AccessDenied</Code>');
      }
    } finally {
      await server.destroy();
    }
  });
});
