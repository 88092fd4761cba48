/**
 * `node dist/bench/transport.js`: node RPC's transport against the alternatives issue 11 names, in
 * one process and one run, each carrying the same calls to the same handler (a real RpcServer's
 * dispatch: lock grants, and shard writes to a drive in a temp directory):
 *
 *  - session:   Tessera's own (a signed CONNECT, then length-prefixed msgpack frames batched per
 *               turn of the event loop, each with a Poly1305 tag; replay-proof by sequence numbers);
 *  - http1:     one HTTP/1.1 request per call over keep-alive sockets (what node RPC was), each signed
 *               (HMAC-SHA256 over method, path, body hash, time and a nonce the server remembers);
 *  - http2:     one HTTP/2 stream per call on one connection, signed the same way;
 *  - websocket: one message per call on one connection (`ws`), authenticated at the upgrade and each
 *               message by an HMAC over its sequence number and bytes.
 *
 * Client and server share the process, so "CPU-µs per call" is both ends' work together; throughput
 * is for one core, which is what a node has to spare for its peers. Figures print as ratios of the
 * session's, measured in the same run.
 */
import { createHash, createHmac, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, request as httpRequest, Agent, type IncomingMessage, type ServerResponse } from 'node:http';
import { connect as http2Connect, createServer as createHttp2Server, type ClientHttp2Session } from 'node:http2';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import { join } from 'node:path';
import { WebSocket, WebSocketServer } from 'ws';
import { Peer } from '../src/cluster/peer.js';
import { rpcKey } from '../src/cluster/rpc-auth.js';
import { rpcPackr } from '../src/cluster/rpc-messages.js';
import { RpcServer } from '../src/cluster/rpc-server.js';
import { LockTable } from '../src/lock/lock-table.js';
import { LocalDrive } from '../src/storage/local-drive.js';

const KiB = 1024;
const MiB = 1024 * KiB;
const SMALL_CALLS = 40_000;
const SMALL_CONCURRENCY = 64;
const BULK_BYTES = 256 * MiB;
const BULK_CALL = 1 * MiB;
const BULK_CONCURRENCY = 4;
const KEY = rpcKey({ accessKey: 'transport-bench', secretKey: 'transport-bench-secret' });

type Call = (route: string, args: unknown) => Promise<unknown>;

interface Transport {
  name: string;
  call: Call;
  close(): Promise<void>;
}

/** The handler every transport calls: the RpcServer's own dispatch, as a session runs it. */
type Dispatch = (route: string, args: unknown) => Promise<unknown>;

// --- per-call signing, as an HTTP transport must do it -----------------------------------------------

const SKEW_MS = 15 * 60_000;

function callSignature(method: string, path: string, body: Buffer, time: string, nonce: string): string {
  const bodyHash = createHash('sha256').update(body).digest('hex');
  return createHmac('sha256', KEY).update(`${method}\n${path}\n${bodyHash}\n${time}\n${nonce}`).digest('hex');
}

function signedHeaders(method: string, path: string, body: Buffer): Record<string, string> {
  const time = String(Date.now());
  const nonce = randomUUID();
  return { 'x-time': time, 'x-nonce': nonce, 'x-signature': callSignature(method, path, body, time, nonce), 'content-type': 'application/msgpack' };
}

/** Checks a call's signature, its time, and that its nonce was not seen (replay). */
class CallVerifier {
  private readonly seen = new Map<string, number>();

  verify(method: string, path: string, body: Buffer, headers: Record<string, string | string[] | undefined>): boolean {
    const [time, nonce, signature] = [headers['x-time'], headers['x-nonce'], headers['x-signature']];
    if (typeof time !== 'string' || typeof nonce !== 'string' || typeof signature !== 'string') return false;
    const now = Date.now();
    if (Math.abs(now - Number(time)) > SKEW_MS || this.seen.has(nonce)) return false;
    const expected = Buffer.from(callSignature(method, path, body, time, nonce));
    if (expected.length !== signature.length || !timingSafeEqual(expected, Buffer.from(signature))) return false;
    this.seen.set(nonce, now);
    if (this.seen.size > 1_000_000) for (const [n, at] of this.seen) if (now - at > SKEW_MS) this.seen.delete(n);
    return true;
  }
}

async function readBody(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function listen(server: { listen(port: number, host: string, cb: () => void): unknown; address(): AddressInfo | string | null }): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
}

/** Stops a server from listening; resolves once its connections are gone. */
function closed(server: { close(callback: () => void): unknown }): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}

// --- the transports -------------------------------------------------------------------------------

async function sessionTransport(drive: LocalDrive): Promise<{ transport: Transport; dispatch: Dispatch }> {
  const http = createServer((_req, res) => res.writeHead(404).end());
  const port = await listen(http);
  const address = `127.0.0.1:${port}`;
  const rpc = new RpcServer({ key: KEY, fingerprint: 'bench', node: address, drives: new Map([[0, drive]]), locks: new LockTable() });
  rpc.attach(http);
  const peer = new Peer(address, KEY, 'bench');
  // The same dispatch the sessions run, for the other transports (readers are only for shard reads).
  const dispatch: Dispatch = (route, args) => (rpc as unknown as { dispatch: (r: string, a: unknown, readers: unknown) => Promise<unknown> }).dispatch(route, args, undefined);
  return {
    dispatch,
    transport: {
      name: 'session (Tessera)',
      call: (route, args) => peer.call(route, args, { bulk: route.includes('shard') }),
      close: async () => {
        peer.close();
        rpc.close();
        await closed(http);
      },
    },
  };
}

async function http1Transport(dispatch: Dispatch): Promise<Transport> {
  const verifier = new CallVerifier();
  const server = createServer(async (req: IncomingMessage, res: ServerResponse) => {
    const body = await readBody(req);
    if (!verifier.verify(req.method!, req.url!, body, req.headers)) return void res.writeHead(403).end();
    const answer = rpcPackr.pack(await dispatch(req.url!.slice(1), rpcPackr.unpack(body)));
    res.writeHead(200, { 'content-length': answer.length }).end(answer);
  });
  server.keepAliveTimeout = 60_000;
  const port = await listen(server);
  const agent = new Agent({ keepAlive: true, maxSockets: SMALL_CONCURRENCY });
  return {
    name: 'HTTP/1.1, a request per call',
    call: (route, args) =>
      new Promise((resolve, reject) => {
        const body = rpcPackr.pack(args);
        const path = `/${route}`;
        const req = httpRequest({ host: '127.0.0.1', port, method: 'POST', path, agent, headers: { ...signedHeaders('POST', path, body), 'content-length': body.length } }, (res) => {
          readBody(res).then((answer) => (res.statusCode === 200 ? resolve(rpcPackr.unpack(answer)) : reject(new Error(`HTTP ${res.statusCode}`))), reject);
        });
        req.on('error', reject);
        req.end(body);
      }),
    close: async () => {
      agent.destroy();
      await closed(server);
    },
  };
}

async function http2Transport(dispatch: Dispatch): Promise<Transport> {
  const verifier = new CallVerifier();
  const server = createHttp2Server();
  server.on('stream', (stream, headers) => {
    void (async () => {
      const body = await readBody(stream);
      const path = headers[':path']!;
      if (!verifier.verify('POST', path, body, headers)) return void stream.respond({ ':status': 403 }, { endStream: true });
      const answer = rpcPackr.pack(await dispatch(path.slice(1), rpcPackr.unpack(body)));
      stream.respond({ ':status': 200, 'content-length': answer.length });
      stream.end(answer);
    })().catch(() => stream.close());
  });
  const port = await listen(server);
  const session: ClientHttp2Session = http2Connect(`http://127.0.0.1:${port}`);
  return {
    name: 'HTTP/2, a stream per call',
    call: (route, args) =>
      new Promise((resolve, reject) => {
        const body = rpcPackr.pack(args);
        const path = `/${route}`;
        const stream = session.request({ ':method': 'POST', ':path': path, ...signedHeaders('POST', path, body) });
        let status = 0;
        stream.on('response', (h) => (status = Number(h[':status'])));
        readBody(stream).then((answer) => (status === 200 ? resolve(rpcPackr.unpack(answer)) : reject(new Error(`HTTP/2 ${status}`))), reject);
        stream.end(body);
      }),
    close: async () => {
      session.close();
      await closed(server);
    },
  };
}

/** `u32 id | payload`, then a 32-byte HMAC over the direction, the sequence number and both. */
function macOf(direction: number, sequence: number, message: Buffer): Buffer {
  const head = Buffer.alloc(9);
  head.writeUInt8(direction, 0);
  head.writeBigUInt64BE(BigInt(sequence), 1);
  return createHmac('sha256', KEY).update(head).update(message).digest();
}

class WsEnd {
  private sent = 0;
  private received = 0;

  constructor(
    private readonly socket: WebSocket,
    private readonly direction: number,
  ) {}

  send(id: number, payload: Buffer): void {
    const message = Buffer.alloc(4 + payload.length);
    message.writeUInt32BE(id, 0);
    payload.copy(message, 4);
    this.socket.send(Buffer.concat([message, macOf(this.direction, ++this.sent, message)]));
  }

  /** The id and payload of a message from the other end; throws on a bad MAC. */
  open(data: Buffer): { id: number; payload: Buffer } {
    const message = data.subarray(0, data.length - 32);
    if (!timingSafeEqual(macOf(3 - this.direction, ++this.received, message), data.subarray(data.length - 32))) throw new Error('bad MAC');
    return { id: message.readUInt32BE(0), payload: message.subarray(4) };
  }
}

async function websocketTransport(dispatch: Dispatch): Promise<Transport> {
  const verifier = new CallVerifier();
  const http = createServer((_req, res) => res.writeHead(404).end());
  const wss = new WebSocketServer({ noServer: true, maxPayload: 64 * MiB });
  http.on('upgrade', (req, socket, head) => {
    if (!verifier.verify('GET', req.url!, Buffer.alloc(0), req.headers)) return void socket.destroy();
    wss.handleUpgrade(req, socket, head, (ws) => {
      const end = new WsEnd(ws, 2);
      ws.on('message', (data: Buffer) => {
        const { id, payload } = end.open(data);
        const { route, args } = rpcPackr.unpack(payload) as { route: string; args: unknown };
        void dispatch(route, args).then((answer) => end.send(id, rpcPackr.pack(answer)));
      });
    });
  });
  const port = await listen(http);
  const ws = new WebSocket(`ws://127.0.0.1:${port}/rpc`, { headers: signedHeaders('GET', '/rpc', Buffer.alloc(0)), maxPayload: 64 * MiB });
  await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
  const end = new WsEnd(ws, 1);
  const pending = new Map<number, (answer: unknown) => void>();
  let lastId = 0;
  ws.on('message', (data: Buffer) => {
    const { id, payload } = end.open(data);
    pending.get(id)?.(rpcPackr.unpack(payload));
    pending.delete(id);
  });
  return {
    name: 'WebSocket (ws), a message per call',
    call: (route, args) =>
      new Promise((resolve) => {
        const id = ++lastId;
        pending.set(id, resolve);
        end.send(id, rpcPackr.pack({ route, args }));
      }),
    close: async () => {
      ws.close();
      wss.close();
      await closed(http);
    },
  };
}

// --- the workloads --------------------------------------------------------------------------------

interface Figures {
  callsPerSec: number;
  cpuUsPerCall: number;
}

async function measure(calls: number, concurrency: number, one: (i: number) => Promise<void>): Promise<Figures> {
  let next = 0;
  const cpu = process.cpuUsage();
  const start = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < calls) await one(next++);
    }),
  );
  const seconds = (performance.now() - start) / 1000;
  const used = process.cpuUsage(cpu);
  return { callsPerSec: calls / seconds, cpuUsPerCall: (used.user + used.system) / calls };
}

/** A lock granted and released: two small calls, as every write takes them. */
function smallCalls(t: Transport): Promise<Figures> {
  return measure(SMALL_CALLS / 2, SMALL_CONCURRENCY, async (i) => {
    const name = `bench/${i % 1000}/${i}`;
    const uid = randomUUID();
    const fence = (await t.call('lock/acquire', { name, uid, write: true, ttl: 15_000, owner: 'bench' })) as number;
    if (!(fence > 0)) throw new Error(`${t.name}: lock not granted`);
    await t.call('lock/release', { name, uid });
  }).then((f) => ({ callsPerSec: f.callsPerSec * 2, cpuUsPerCall: f.cpuUsPerCall / 2 }));
}

/** Shard data to a drive: 1 MiB per call, appended to one shard file per writer. */
async function bulkCalls(t: Transport, chunk: Buffer): Promise<Figures> {
  const staging = Array.from({ length: BULK_CONCURRENCY }, () => randomUUID());
  await Promise.all(staging.map((id) => t.call('drive/0/shardCreate', [id, 'part.1'])));
  const figures = await measure(BULK_BYTES / BULK_CALL, BULK_CONCURRENCY, async (i) => {
    await t.call('drive/0/shardWrite', [staging[i % BULK_CONCURRENCY], 'part.1', chunk]);
  });
  await Promise.all(staging.map((id) => t.call('drive/0/shardAbort', [id, 'part.1'])));
  return figures;
}

function fmt(n: number, digits = 0): string {
  return n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

async function main(): Promise<void> {
  // tmpfs where there is one: the bulk figures are about moving bytes, not about the disk.
  const base = (await import('node:fs')).existsSync('/dev/shm') ? '/dev/shm' : os.tmpdir();
  const dir = await mkdtemp(join(base, 'tessera-transport-'));
  const drive = new LocalDrive(join(dir, 'd0'));
  const transports: Transport[] = [];
  try {
    await drive.prepare();
    await drive.writeFormat({ version: 1, deploymentId: 'bench', sets: [['d0']], thisDrive: 'd0' });
    await drive.open();
    const { transport: session, dispatch } = await sessionTransport(drive);
    transports.push(session, await http1Transport(dispatch), await http2Transport(dispatch), await websocketTransport(dispatch));
    const chunk = randomBytes(BULK_CALL);
    const rows: { name: string; small: Figures; bulk: Figures }[] = [];
    for (const t of transports) {
      await smallCalls(t); // warm-up: JIT, sockets, the lock table
      const small = await smallCalls(t);
      const bulk = await bulkCalls(t, chunk);
      rows.push({ name: t.name, small, bulk });
      process.stderr.write(`[transport] ${t.name}: ${fmt(small.callsPerSec)} small calls/s, ${fmt(small.cpuUsPerCall, 1)} CPU-µs each; ${fmt((bulk.callsPerSec * BULK_CALL) / 1e6)} MB/s in 1 MiB calls\n`);
    }
    const ref = rows[0];
    const out = [
      `### Node RPC transports (one process, both ends; ${os.cpus()[0]?.model ?? 'cpu'}, Node ${process.version})`,
      '',
      `Small calls: lock grants and releases, ${SMALL_CONCURRENCY} in flight. Bulk: ${BULK_BYTES / MiB} MiB of shard writes in 1 MiB calls, ${BULK_CONCURRENCY} in flight, to a drive in ${base}.`,
      '',
      '| Transport | Small calls/s | × session | CPU-µs per small call | × session | Bulk MB/s | × session | CPU-ms per bulk MB | × session |',
      '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
      ...rows.map((r) => {
        const bulkMBps = (r.bulk.callsPerSec * BULK_CALL) / 1e6;
        const refMBps = (ref.bulk.callsPerSec * BULK_CALL) / 1e6;
        const cpuPerMB = r.bulk.cpuUsPerCall / 1000 / (BULK_CALL / 1e6);
        const refCpuPerMB = ref.bulk.cpuUsPerCall / 1000 / (BULK_CALL / 1e6);
        return `| ${r.name} | ${fmt(r.small.callsPerSec)} | ${fmt(r.small.callsPerSec / ref.small.callsPerSec, 2)}× | ${fmt(r.small.cpuUsPerCall, 1)} | ${fmt(r.small.cpuUsPerCall / ref.small.cpuUsPerCall, 2)}× | ${fmt(bulkMBps)} | ${fmt(bulkMBps / refMBps, 2)}× | ${fmt(cpuPerMB, 2)} | ${fmt(cpuPerMB / refCpuPerMB, 2)}× |`;
      }),
      '',
    ];
    process.stdout.write(out.join('\n'));
  } finally {
    for (const t of transports) await t.close().catch(() => undefined);
    await drive.close().catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
