/**
 * Node RPC as an attacker on the node network sees it (2 nodes x 2 drives, plain or TLS):
 *  - handshake: a correctly signed `CONNECT /tessera/rpc/v5/session` opens a session (200, the
 *    receiver's half, a hello that verifies under the derived session key, a ping answered); one
 *    without headers, signature or nonce, with a wrong key, signed for another path, with a field
 *    changed after signing, 61 s old or ahead, for another endpoint list or another node, or sent again is refused
 *    with 403 and the connection closed, and only a key holder learns why; a CONNECT to any other
 *    path is refused; a plain POST to an RPC path reaches only the S3 layer;
 *  - frames: a flipped payload bit, a wrong tag, a frame sent twice, skipped ahead, sealed for the
 *    other direction (the hello reflected back), sealed under another session's key or captured from
 *    another session, announcing more than 16 MiB, or not parsing as calls ends the session with no
 *    answer; a captured handshake cannot be replayed;
 *  - calls: several in one frame are all answered by id; argument limits apply before decoding (a
 *    2 MiB msgpack bomb); undecodable or mistyped arguments, aliases of a drive index and unknown
 *    routes get error answers, and the session and the nodes carry on;
 *  - restart: a handshake captured before a node restarted yields no usable session after it, and
 *    the new process's hello carries a new boot id;
 *  - a shard reader (shardOpen's handle) serves only the session that opened it, until it is closed;
 *  - even over a valid session, every drive method called with traversal arguments (`..`, `../../x`,
 *    absolute paths, `%2e%2e`, NUL, wrong types) in any name position is refused by the drive before
 *    it touches the filesystem (and such a value as a shard reader's handle reads nothing): a canary
 *    file and directory outside the drives survive untouched and nothing new appears outside the drives;
 *  - a single node serves no RPC at all.
 * The client side (test/helpers/rpc-wire.ts) is written from README.md's "Node RPC" section,
 * independently of src/cluster/rpc-*.ts, so a change of wire format on one side alone fails this test.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdir, readdir, stat, writeFile } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import { join, relative } from 'node:path';
import { CreateBucketCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { pack } from 'msgpackr';
import { describe, expect, it } from 'vitest';
import { ACCESS_KEY, SECRET_KEY, clusterSuite, type TestCluster } from '../helpers/cluster.js';
import {
  CallerSession, MAX_PAYLOAD, SESSION_PATH, Signer, TO_CALLER, TO_RECEIVER, connectRequest, encodeCalls, errorOf, frameTag,
  handshake, rpcKey, sealFrame, sessionKey, type Answer, type Call, type CallSpec, type HandshakeAnswer, type Target,
} from '../helpers/rpc-wire.js';
import { TestServer } from '../helpers/server.js';

const HEX64 = /^[0-9a-f]{64}$/;
const BOOT = /^[0-9a-f]{32}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

interface PingAnswer {
  node: string;
  boot: string;
  drives: Record<string, boolean>;
}

/** A raw POST with exactly these headers and body, on a connection of its own. */
function rpcPost(target: Target, path: string, headers: Record<string, string>, body: Buffer = Buffer.alloc(0)): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const options = { host: '127.0.0.1', port: target.port, method: 'POST', path, agent: false as const, headers: { 'content-type': 'application/msgpack', 'content-length': String(body.length), ...headers } };
    const respond = (res: http.IncomingMessage): void => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
      res.on('error', reject);
    };
    const req = target.ca ? https.request({ ...options, ca: target.ca }, respond) : http.request(options, respond);
    req.setTimeout(20_000, () => req.destroy(new Error('no answer within 20 s')));
    req.on('error', reject);
    req.end(body);
  });
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

/** `bytes` with one bit flipped at `index` (negative: from the end). */
function flipBit(bytes: Buffer, index: number): Buffer {
  const out = Buffer.from(bytes);
  out[index < 0 ? out.length + index : index] ^= 0x01;
  return out;
}

/** The bytes of a frame before its payload (the length). */
const FRAME_HEAD = 4;

describe('node RPC security: 2 nodes x 2 drives', () => {
  let cluster: TestCluster;
  let signer: Signer;
  let fingerprint: string;
  const target = (node: number): Target => ({ port: cluster.node(node).port, ca: cluster.tls?.ca });
  const { step } = clusterSuite({ nodes: 2, drivesPerNode: 2 }, async (started) => {
    cluster = started;
    fingerprint = await fingerprintOf(cluster);
    signer = new Signer(rpcKey(ACCESS_KEY, SECRET_KEY), fingerprint, cluster.node(1).address);
  });

  /** A CONNECT to node 2 with exactly these headers. */
  const connect = (headers: Record<string, string>, path = SESSION_PATH): Promise<HandshakeAnswer> => {
    const t = target(1);
    return handshake(t, connectRequest(t, path, headers));
  };
  /** A CONNECT to node 2 signed once the connection is up: its time is off by `skewMs` and nothing else. */
  const connectAt = (skewMs: number): Promise<HandshakeAnswer> => {
    const t = target(1);
    return handshake(t, () => connectRequest(t, SESSION_PATH, signer.headers(signer.fields({ time: Date.now() + skewMs }))));
  };

  /** A session with node 2 whose hello has been read and checked. */
  const opened = async (): Promise<CallerSession> => {
    const session = await CallerSession.open(target(1), signer);
    const hello = await session.hello();
    expect(hello.node).toBe(cluster.node(1).address);
    return session;
  };

  /** The refusals sent to callers that proved nothing: there must be exactly one kind. */
  const generic = new Set<string>();
  /** 403, the connection closed, and `x-tessera-refusal` only for a caller that holds the key. */
  const refused = (what: string, answer: HandshakeAnswer, refusal?: string): void => {
    expect(answer.status, `${what}: ${answer.status} ${answer.body}`).toBe(403);
    expect(answer.closed, `${what}: the connection must be closed`).toBe(true);
    expect(answer.headers['x-tessera-session'], `${what}: no session half`).toBeUndefined();
    expect(answer.headers['x-tessera-refusal'], `${what}: the refusal named`).toBe(refusal);
    if (refusal === undefined) generic.add(`${answer.status} ${answer.body}`);
  };

  /** Sends a frame that must end `session`: no answer may arrive, and the server closes the connection. */
  const fatal = async (what: string, session: CallerSession, frame: Buffer): Promise<void> => {
    session.wire.write(frame);
    const { answers, closed } = await session.drain();
    session.close();
    expect(answers, `${what}: no answer may arrive`).toEqual([]);
    expect(closed, `${what}: the server must end the session`).toBe(true);
  };

  step('a correctly signed handshake opens a session; every forged, stale, foreign or replayed one is refused with 403', async () => {
    // the good handshake: the receiver's half, a hello under the session key, a ping
    const session = await CallerSession.open(target(1), signer);
    expect(session.receiverHalf).toMatch(HEX64);
    expect(session.receiverHalf).not.toBe(session.fields.session);
    const hello = await session.hello();
    expect(hello.node).toBe(cluster.node(1).address);
    expect(hello.boot).toMatch(BOOT);
    const [pong] = await session.call([{ route: 'ping', args: null }]);
    expect(pong.outcome, JSON.stringify(pong.value)).toBe(0);
    const pinged = pong.value as PingAnswer;
    expect(pinged.node).toBe(cluster.node(1).address);
    expect(pinged.boot).toBe(hello.boot);
    expect(pinged.drives).toEqual({ 2: true, 3: true });
    session.close();

    // without proof of the key: one generic answer
    refused('no headers at all', await connect({}));
    const { authorization: _a, ...unsigned } = signer.headers(signer.fields());
    refused('no authorization', await connect(unsigned));
    const { 'x-tessera-nonce': _n, ...noNonce } = signer.headers(signer.fields());
    refused('no nonce', await connect(noNonce));
    const other = signer.headers(signer.fields());
    refused('another authorization scheme', await connect({ ...other, authorization: other.authorization.replace('Tessera-HMAC-SHA256', 'Bearer') }));
    const wrongKey = new Signer(rpcKey(ACCESS_KEY, `${SECRET_KEY}x`), fingerprint);
    refused('wrong key', await connect(wrongKey.headers(wrongKey.fields())));
    const rootKey = new Signer(Buffer.from(SECRET_KEY), fingerprint);
    refused('signed with the root secret itself', await connect(rootKey.headers(rootKey.fields())));
    refused('signed for another path', await connect(signer.headers(signer.fields(), '/tessera/rpc/v5/other')));
    refused('signed for the old path', await connect(signer.headers(signer.fields(), '/tessera/rpc/v1/ping')));
    for (const field of ['x-tessera-time', 'x-tessera-nonce', 'x-tessera-topology', 'x-tessera-receiver', 'x-tessera-session']) {
      const headers = signer.headers(signer.fields());
      headers[field] = field === 'x-tessera-time' ? String(Number(headers[field]) + 1) : headers[field].replace(/.$/, (c) => (c === '1' ? '2' : '1'));
      refused(`${field} changed after signing`, await connect(headers));
    }
    expect(generic.size, `the generic refusals differ: ${[...generic].join(' | ')}`).toBe(1);

    // signed, but malformed: refused (what it is told does not matter)
    for (const [what, fields] of [
      ['a nonce without a counter', { ...signer.fields(), nonce: signer.sender }],
      ['a nonce with a short sender id', { ...signer.fields(), nonce: 'abc.1' }],
      ['a nonce with a counter that is no number', { ...signer.fields(), nonce: `${signer.sender}.x` }],
      ['a session half that is not 64 hex digits', { ...signer.fields(), session: 'zz'.repeat(32) }],
      ['an empty session half', { ...signer.fields(), session: '' }],
      ['a time that is no number', { ...signer.fields(), time: 'now' }],
    ] as const) {
      const answer = await connect(signer.headers(fields));
      expect(answer.status, `${what}: ${answer.status} ${answer.body}`).toBe(403);
      expect(answer.closed, `${what}: the connection must be closed`).toBe(true);
    }

    // signed with the key: the caller is told why
    refused('61 s old', await connectAt(-61_000), 'stale');
    refused('61 s ahead', await connectAt(61_000), 'stale');
    refused('another endpoint list', await connect(signer.headers(signer.fields({ topology: 'ffffffffffffffff' }))), 'other-topology');
    refused('meant for node 1, relayed to node 2', await connect(signer.headers(signer.fields({ receiver: cluster.node(0).address }))), 'other-receiver');
    refused('the same handshake again', await handshake(target(1), session.request), 'replayed');
    const spent = { ...signer.fields(), nonce: session.fields.nonce };
    refused('a spent nonce in a new handshake', await connect(signer.headers(spent)), 'replayed');

    // CONNECT serves one path only
    for (const path of ['/tessera/rpc/v1/ping', '/tessera/rpc/v2/session', '/tessera/rpc/v3/session', '/tessera/rpc/v4/session', '/tessera/rpc/v5/session/', '/tessera/rpc/v5/session?x=1', '/tessera/rpc/v5/x/../session', '/tessera/rpc/v5/drive/2/readFormat', '/', `127.0.0.1:${target(1).port}`]) {
      const answer = await connect(signer.headers(signer.fields(), path), path);
      expect(answer.status, `CONNECT ${path}: ${answer.body}`).not.toBe(200);
      expect(answer.closed, `CONNECT ${path}: the connection must be closed`).toBe(true);
      expect(answer.headers['x-tessera-session'], `CONNECT ${path}`).toBeUndefined();
    }

    // any other method reaches the S3 layer, which refuses it; no drive answers
    for (const path of [SESSION_PATH, '/tessera/rpc/v1/ping', '/tessera/rpc/v1/drive/2/readFormat']) {
      const res = await rpcPost(target(1), path, signer.headers(signer.fields(), path), pack([]));
      // A request carrying an Authorization header of another scheme is no anonymous one: S3 refuses the header.
      expect(res.status, `POST ${path}: ${res.body}`).toBe(400);
      expect(res.body, `POST ${path}`).toContain('<Code>AuthorizationHeaderMalformed</Code>');
    }
    for (const n of cluster.nodes) expect(await n.health('cluster')).toBe(200);
  });

  step('a frame that is altered, replayed, reflected, out of order, foreign, oversized or unparsable ends the session', async () => {
    const ping = (session: CallerSession): Call[] => session.calls([{ route: 'ping', args: null }]);
    const readFormat = (session: CallerSession): Call[] => session.calls([{ route: 'drive/2/readFormat', args: [] }]);

    let s = await opened();
    await s.call([{ route: 'ping', args: null }]);
    const good = s.seal(encodeCalls(readFormat(s)), false);
    await fatal('one payload bit flipped', s, flipBit(good, -16 - 1)); // the payload's last byte, just before the tag

    s = await opened();
    await fatal('a wrong tag', s, flipBit(s.seal(encodeCalls(readFormat(s)), false), -1));

    s = await opened();
    await fatal('a tag of zeros', s, Buffer.concat([s.seal(encodeCalls(readFormat(s)), false).subarray(0, -16), Buffer.alloc(16)]));

    s = await opened();
    const calls = ping(s);
    const sent = s.send(calls);
    expect((await s.answers(calls.map((c) => c.id))).size).toBe(1);
    await fatal('the same frame again (its sequence number is spent)', s, sent);

    s = await opened();
    s.sent++; // as if frame 1 had been dropped on the way
    await fatal('a frame skipping a sequence number (one dropped)', s, s.seal(encodeCalls(ping(s))));

    s = await opened();
    await fatal('the hello reflected back', s, s.lastFrame!.bytes);

    s = await opened();
    await fatal('calls sealed for the other direction', s, sealFrame(s.key, TO_CALLER, 1, encodeCalls(ping(s))));

    s = await opened();
    const oversized = Buffer.alloc(FRAME_HEAD + 64 * 1024);
    oversized.writeUInt32BE(MAX_PAYLOAD + 1);
    await fatal('a frame announcing 16 MiB + 1 bytes', s, oversized);

    s = await opened();
    await fatal('a call list cut short', s, s.seal(encodeCalls(readFormat(s)).subarray(0, -3)));

    s = await opened();
    await fatal('a call list with trailing bytes', s, s.seal(Buffer.concat([encodeCalls(readFormat(s)), Buffer.from([0, 0])])));

    s = await opened();
    const routeTooLong = encodeCalls(ping(s));
    routeTooLong[4] = 200; // the route length points past the payload's end
    await fatal('a route length past the payload', s, s.seal(routeTooLong));

    // another session's key, another session's frame: one session's failure leaves the other alone
    const a = await opened();
    const b = await opened();
    await fatal('a frame sealed under another session key', b, sealFrame(a.key, TO_RECEIVER, 1, encodeCalls(ping(b))));
    const aCalls = ping(a);
    const fromA = a.send(aCalls);
    await a.answers(aCalls.map((call) => call.id));
    const c = await opened();
    await fatal('a frame captured from another session (same sequence number)', c, fromA);
    const [pong] = await a.call([{ route: 'ping', args: null }]);
    expect(pong.outcome).toBe(0);
    a.close();

    // the handshake itself cannot be captured and replayed to get a session
    refused('a captured handshake sent again', await handshake(target(1), a.request), 'replayed');
    for (const n of cluster.nodes) expect(await n.health('cluster')).toBe(200);
  });

  step('calls: several per frame, limits before decoding, bad arguments and routes answered with errors', async () => {
    const s = await opened();
    const stillServes = async (what: string): Promise<void> => {
      const [pong] = await s.call([{ route: 'ping', args: null }]);
      expect(pong.outcome, `after ${what}: ${JSON.stringify(pong.value)}`).toBe(0);
    };

    // several calls in one frame, with ids of the caller's choice, each answered once
    const batch: Call[] = [
      { id: 0xffffffff, route: 'ping', args: pack(null) },
      { id: 0, route: 'drive/2/readFormat', args: pack([]) },
      { id: 0x80000000, route: 'drive/3/readFormat', args: pack([]) },
      { id: 77, route: 'drive/2/listBuckets', args: pack([]) },
      { id: 78, route: 'drive/0/readFormat', args: pack([]) },
      { id: 79, route: 'lock/acquire', args: pack({ name: 42, uid: 'x' }) },
    ];
    s.send(batch);
    const got = await s.answers(batch.map((c) => c.id));
    expect((got.get(0xffffffff)!.value as PingAnswer).node).toBe(cluster.node(1).address);
    const format2 = got.get(0)!.value as { deploymentId: string };
    const format3 = got.get(0x80000000)!.value as { deploymentId: string };
    expect(format2.deploymentId).toMatch(UUID);
    expect(format3.deploymentId).toBe(format2.deploymentId);
    expect(got.get(77)!.outcome, JSON.stringify(got.get(77)!.value)).toBe(0);
    expect(Array.isArray(got.get(77)!.value)).toBe(true);
    expect(errorOf(got.get(78)), 'drive 0 belongs to node 1').toBeDefined();
    expect(errorOf(got.get(79))?.kind).toBe('invalid');

    // the lock service is behind the same door
    const uid = randomUUID();
    const lock = { name: 'rpcsec/lock', uid, write: true, ttl: 5_000, owner: 'rpc-security test' };
    const [acquired] = await s.call([{ route: 'lock/acquire', args: lock }]);
    expect(acquired.outcome, JSON.stringify(acquired.value)).toBe(0);
    const [released] = await s.call([{ route: 'lock/release', args: { name: lock.name, uid } }]);
    expect(released.outcome, JSON.stringify(released.value)).toBe(0);

    // the argument limits apply before a byte is decoded: 2 MiB of one-byte empty maps (a memory bomb)
    const bomb = Buffer.concat([Buffer.from([0xdd, 0, 0x20, 0, 0]), Buffer.alloc(2 * 1024 * 1024, 0x80)]);
    const [bombed] = await s.call([{ route: 'drive/2/readFormat', raw: bomb }]);
    expect(errorOf(bombed)?.kind, `a 2 MiB argument list for readFormat: ${JSON.stringify(bombed.value)}`).toBe('invalid');
    await stillServes('the bomb');
    // just over 1 MiB for a call that would otherwise succeed (readSysFile ignores an extra argument)
    const [overMetadata] = await s.call([{ route: 'drive/2/readSysFile', args: ['mrf.json', Buffer.alloc(1024 * 1024)] }]);
    expect(errorOf(overMetadata)?.kind, `readSysFile with 1 MiB of arguments: ${JSON.stringify(overMetadata.value)}`).toBe('invalid');
    // just over 4 MiB for shard data (within the limit, the call would fail for want of a writer, not as invalid)
    const [overShard] = await s.call([{ route: 'drive/2/shardWrite', args: [randomUUID(), 'part.1', Buffer.alloc(4 * 1024 * 1024)] }]);
    expect(errorOf(overShard)?.kind, `shardWrite with 4 MiB of arguments: ${JSON.stringify(overShard.value)}`).toBe('invalid');
    await stillServes('the calls over their limits');

    // arguments that do not decode, or decode to the wrong shape, get an error answer
    const shapes: [string, CallSpec][] = [
      ['undecodable msgpack', { route: 'drive/2/readFormat', raw: Buffer.from([0xc1, 0xff, 0x00]) }],
      ['no argument bytes', { route: 'drive/2/readFormat', raw: Buffer.alloc(0) }],
      ['msgpack cut short', { route: 'drive/2/readSysFile', raw: pack(['mrf.json']).subarray(0, -2) }],
      ['a map instead of a list', { route: 'drive/2/readFormat', args: { 0: 'x' } }],
      ['a string instead of a list', { route: 'drive/2/readSysFile', args: 'mrf.json' }],
      ['lock arguments of the wrong types', { route: 'lock/acquire', args: { name: 'x', uid: 'y', ttl: -1 } }],
      ['lock arguments that are a list', { route: 'lock/release', args: ['x', 'y'] }],
      ['shard data that is not bytes', { route: 'drive/2/shardWrite', args: [randomUUID(), 'part.1', 'x'] }],
      ['shard data in pieces, one not bytes', { route: 'drive/2/shardWrite', args: [randomUUID(), 'part.1', [Buffer.alloc(8), { x: 1 }]] }],
      ['shard data in too many pieces', { route: 'drive/2/shardWrite', args: [randomUUID(), 'part.1', Array.from({ length: 17 }, () => Buffer.alloc(1))] }],
    ];
    const shaped = await s.call(shapes.map(([, spec]) => spec));
    shapes.forEach(([what], i) => expect(errorOf(shaped[i]), `${what}: ${JSON.stringify(shaped[i].value)}`).toBeDefined());
    await stillServes('undecodable arguments');

    // a drive index written another way is not another name for the same drive
    const aliases = ['2.0', '0x2', '02', '', '%32', '2e0', ' 2', '+2', '-0', '2 '];
    const aliased = await s.call(aliases.map((alias) => ({ route: `drive/${alias}/readFormat`, args: [] })));
    aliases.forEach((alias, i) => expect(errorOf(aliased[i])?.kind, `drive index ${JSON.stringify(alias)}: ${JSON.stringify(aliased[i].value)}`).toBe('invalid'));

    // routes that name nothing (or something no peer may call) get an error answer
    const unknown = [
      'pong', 'PING', 'ping/', '/ping', '', 'drive', 'drive/2', 'drive/2/', 'drive/2//readFormat', 'drive/2/readFormat/x', 'drive/2/nothing', 'drive/2/constructor',
      'drive/2/__proto__', 'drive/2/hasOwnProperty', 'drive/2/createShardWriter', 'drive/2/openShard', 'drive/2/close', 'lock/steal', 'lock/__proto__',
      'lock', 'x'.repeat(255),
    ];
    const routed = await s.call(unknown.map((route) => ({ route, args: [] })));
    unknown.forEach((route, i) => expect(routed[i].outcome, `route ${JSON.stringify(route.slice(0, 40))}: ${JSON.stringify(routed[i].value)}`).toBe(1));
    await stillServes('unknown routes');
    s.close();
    for (const n of cluster.nodes) expect(await n.health('cluster')).toBe(200);
  });

  step('a handshake captured before the node restarted yields no usable session after it', async () => {
    const node = cluster.node(1);
    const before = await CallerSession.open(target(1), signer);
    const oldBoot = (await before.hello()).boot;
    const calls = before.calls([{ route: 'drive/2/readSysFile', args: ['mrf.json'] }]);
    const capturedFrame = before.send(calls);
    await before.answers(calls.map((c) => c.id));
    before.close();

    // a clean stop (SIGTERM) must not wait on the sessions peers keep open to this node
    const stopped = await node.stop();
    expect.soft(stopped, 'SIGTERM ends the node cleanly (the helper SIGKILLs it after 20 s)').toEqual({ code: 0, signal: null });
    await node.start();
    const replay = await handshake(target(1), before.request);
    if (replay.status === 200) {
      // accepted as new (the new process has not seen its nonce): the receiver chose a new half, so the
      // session key is one the replayer, who does not hold the RPC key, cannot compute
      const half = replay.headers['x-tessera-session'] ?? '';
      console.log('restart: the captured handshake was accepted by the new process; its session is unusable without the key');
      expect(half).toMatch(HEX64);
      expect(half).not.toBe(before.receiverHalf);
      const newKey = sessionKey(signer.key, before.fields.topology, before.fields.session, half);
      expect(newKey.equals(before.key)).toBe(false);
      const session = new CallerSession(replay.wire, newKey, before.request, before.fields, half);
      const hello = await session.hello();
      expect(hello.boot).not.toBe(oldBoot);
      // what the replayer holds: the old session's frames; its hello does not verify under the old key
      const helloFrame = session.lastFrame!;
      expect(frameTag(before.key, TO_CALLER, 1, helloFrame.payload).equals(helloFrame.tag)).toBe(false);
      await fatal('a captured call frame on the replayed handshake', session, capturedFrame);
      // and the new process now knows the nonce too
      const again = await handshake(target(1), before.request);
      expect(again.status, again.body).toBe(403);
      expect(['replayed', 'stale']).toContain(again.headers['x-tessera-refusal']);
    } else {
      console.log(`restart: the captured handshake was refused (${replay.status}, ${replay.headers['x-tessera-refusal'] ?? 'no reason given'})`);
      expect(replay.status, replay.body).toBe(403);
      expect(replay.closed).toBe(true);
    }

    for (const n of cluster.nodes) await n.waitHealth('cluster', 200, 30_000);
    const fresh = await CallerSession.open(target(1), signer);
    const hello = await fresh.hello();
    expect(hello.boot).toMatch(BOOT);
    expect(hello.boot, 'the restarted process has a new boot id').not.toBe(oldBoot);
    const [pong] = await fresh.call([{ route: 'ping', args: null }]);
    expect(pong.outcome).toBe(0);
    expect((pong.value as PingAnswer).boot).toBe(hello.boot);
    fresh.close();
  }, 180_000);

  step('a shard reader belongs to the session that opened it', async () => {
    // an object large enough to be stored in shards, one of which lands on drive 2 (node 2's first)
    const bucket = 'rpcsec-read';
    const client = cluster.node(0).client();
    await client.send(new CreateBucketCommand({ Bucket: bucket }));
    await client.send(new PutObjectCommand({ Bucket: bucket, Key: 'object', Body: randomBytes(1024 * 1024) }));
    const bucketDir = join(cluster.node(1).drivePath(0), bucket);
    const prefix = (await readdir(bucketDir)).find((name) => /^[0-9a-f]{2}$/.test(name))!;
    const [dataDir] = await readdir(join(bucketDir, prefix));
    const file = (await readdir(join(bucketDir, prefix, dataDir))).find((name) => /^part\.\d+$/.test(name))!;
    expect(file, 'a shard file on drive 2').toBeDefined();

    const owner = await opened();
    const other = await opened();
    const [open] = await owner.call([{ route: 'drive/2/shardOpen', args: [bucket, dataDir, file] }]);
    expect(open.outcome, JSON.stringify(open.value)).toBe(0);
    const handle = open.value;
    const read = (session: CallerSession): Promise<Answer[]> => session.call([{ route: 'drive/2/shardRead', args: [handle, 0, 16] }]);
    const [mine] = await read(owner);
    expect(mine.outcome, JSON.stringify(mine.value)).toBe(0);
    expect(mine.value).toBeInstanceOf(Uint8Array);
    // another session (another caller) can neither read nor close it
    const [foreign] = await read(other);
    expect(foreign.outcome, `another session reading the handle: ${JSON.stringify(foreign.value)}`).toBe(1);
    await other.call([{ route: 'drive/2/shardClose', args: [handle] }]);
    const [still] = await read(owner);
    expect(still.outcome, `after another session tried to close it: ${JSON.stringify(still.value)}`).toBe(0);
    // once closed it reads nothing
    const [closed] = await owner.call([{ route: 'drive/2/shardClose', args: [handle] }]);
    expect(closed.outcome, JSON.stringify(closed.value)).toBe(0);
    const [after] = await read(owner);
    expect(after.outcome, `reading a closed handle: ${JSON.stringify(after.value)}`).toBe(1);
    owner.close();
    other.close();
  });

  step('drive calls with traversal arguments over a valid session are refused, and nothing outside the drives changes', async () => {
    const outside = join(cluster.dir, 'outside');
    await mkdir(join(outside, 'canary-dir'), { recursive: true });
    await writeFile(join(outside, 'canary.txt'), 'canary');
    await writeFile(join(outside, 'canary-dir', 'inner.txt'), 'inner');
    const isDrive = (path: string): boolean => /\/n\d+\/d\d+$/.test(path);
    const before = await snapshot(cluster.dir, isDrive);
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
      settleCommit: (v) => [v.B, 'key', 'signature', 1],
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
      shardOpen: (v) => [v.B, v.D, v.F],
    };
    const uses = (method: string, name: keyof Names): boolean => {
      const marker = { ...valid, [name]: '\u0001marker' };
      return JSON.stringify(calls[method](marker)).includes('\\u0001marker');
    };

    // one frame per method and name position, carrying every traversal argument for it
    const session = await opened();
    let sent = 0;
    const accepted: string[] = [];
    for (const [method, build] of Object.entries(calls)) {
      for (const name of Object.keys(valid) as (keyof Names)[]) {
        if (!uses(method, name)) continue;
        const answers: Answer[] = await session.call(traversals.map((bad) => ({ route: `drive/${drive}/${method}`, args: build({ ...valid, [name]: bad as string }) })));
        sent += answers.length;
        answers.forEach((answer, i) => {
          if (errorOf(answer)?.kind !== 'invalid') accepted.push(`${method} ${name}=${JSON.stringify(traversals[i])} -> ${JSON.stringify(answer.value)}`);
        });
      }
    }
    // shardRead and shardClose take a handle from shardOpen, not a name: anything else reads nothing
    const reads = await session.call(traversals.map((bad) => ({ route: `drive/${drive}/shardRead`, args: [bad, 0, 100] })));
    reads.forEach((answer, i) => {
      if (answer.outcome !== 1) accepted.push(`shardRead handle=${JSON.stringify(traversals[i])} -> ${JSON.stringify(answer.value)}`);
    });
    await session.call(traversals.map((bad) => ({ route: `drive/${drive}/shardClose`, args: [bad] })));
    session.close();
    console.log(`traversal sweep: ${sent} drive calls over a valid session, every one refused as invalid`);
    expect(accepted, 'drive calls that were not refused as invalid').toEqual([]);
    // the canaries are untouched and nothing appeared (or went) outside the drives
    expect(await snapshot(cluster.dir, isDrive)).toEqual(before);
    for (const n of cluster.nodes) expect(await n.health('cluster')).toBe(200);
  }, 180_000);
});

describe('node RPC on a single node', () => {
  it('is not served: a correctly signed handshake opens no session, and RPC paths get the S3 layer, which refuses them', async () => {
    const server = await TestServer.start({ drives: 4 });
    try {
      const t: Target = { port: server.port };
      const signer = new Signer(rpcKey(ACCESS_KEY, SECRET_KEY), 'any');
      const answer = await handshake(t, connectRequest(t, SESSION_PATH, signer.headers(signer.fields())));
      expect(answer.status, `CONNECT ${SESSION_PATH}: ${answer.body}`).not.toBe(200);
      expect(answer.closed, 'the connection must be closed').toBe(true);
      for (const path of [SESSION_PATH, '/tessera/rpc/v1/ping', '/tessera/rpc/v1/drive/0/readFormat', '/tessera/rpc/v4/session', '/tessera/rpc/v5/drive/0/deleteBucket']) {
        const res = await rpcPost(t, path, signer.headers(signer.fields(), path), pack([]));
        expect(res.status, `POST ${path}: ${res.body}`).toBe(400);
        expect(res.body).toContain('<Code>AuthorizationHeaderMalformed</Code>');
      }
    } finally {
      await server.destroy();
    }
  });
});
