/**
 * Fault injection against a real `tessera server` (EC 2+2 on 4 drives, default parity): wiped drives,
 * bitrot in shard files, writes without quorum, SIGKILL in the middle of a large overwrite, SIGTERM.
 *
 * Everything is verified on the client side (sha256 of the bytes received, byte counts against
 * Content-Length) and by looking at the drives' files, never only by what the server says.
 * Requests whose failure is the point of the test go over raw HTTP (signed here with SigV4,
 * UNSIGNED-PAYLOAD) so that no SDK retry or checksum logic hides what the server really answered.
 */
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { open, readdir, rm, stat } from 'node:fs/promises';
import http, { type IncomingHttpHeaders } from 'node:http';
import { join } from 'node:path';
import { CreateBucketCommand, HeadObjectCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ACCESS_KEY, SECRET_KEY, TestServer } from '../helpers/server.js';

// These tests edit shard files in place (and put bytes back) to test the read and write paths alone;
// background healing (tested in heal-*.test.ts) would race with those edits, so the servers run without it.
process.env.TESSERA_HEAL = 'off';

const KiB = 1024;
const MiB = 1024 * KiB;
const BLOCK_SIZE = MiB;
const HASH_SIZE = 8;
/** EC 2+2: every shard of a full block is half a block. */
const DATA_SHARDS = 2;
const SHARD_SIZE = Math.ceil(BLOCK_SIZE / DATA_SHARDS);
const SYS = '.tessera.sys';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

// ---------------------------------------------------------------------------------------------
// SigV4 (header auth, UNSIGNED-PAYLOAD) and raw HTTP

function hmac(key: Buffer | string, data: string): Buffer {
  return createHmac('sha256', key).update(data).digest();
}

function encodePath(path: string): string {
  return path
    .split('/')
    .map((seg) => encodeURIComponent(seg).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`))
    .join('/');
}

/** Headers that sign `method path` for the root user. `path` must already be URI-encoded. */
function signedHeaders(method: string, path: string, host: string, extra: Record<string, string> = {}): Record<string, string> {
  const amzDate = new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
  const day = amzDate.slice(0, 8);
  const scope = `${day}/us-east-1/s3/aws4_request`;
  const headers: Record<string, string> = {
    host,
    'x-amz-content-sha256': 'UNSIGNED-PAYLOAD',
    'x-amz-date': amzDate,
  };
  const names = Object.keys(headers).sort();
  const canonicalHeaders = names.map((n) => `${n}:${headers[n].trim()}\n`).join('');
  const canonical = [method, path, '', canonicalHeaders, names.join(';'), 'UNSIGNED-PAYLOAD'].join('\n');
  const toSign = ['AWS4-HMAC-SHA256', amzDate, scope, createHash('sha256').update(canonical).digest('hex')].join('\n');
  const key = hmac(hmac(hmac(hmac(`AWS4${SECRET_KEY}`, day), 'us-east-1'), 's3'), 'aws4_request');
  const signature = createHmac('sha256', key).update(toSign).digest('hex');
  return {
    ...headers,
    ...extra,
    authorization: `AWS4-HMAC-SHA256 Credential=${ACCESS_KEY}/${scope}, SignedHeaders=${names.join(';')}, Signature=${signature}`,
  };
}

interface RawResponse {
  /** 0 when no response arrived at all. */
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
  /** True when the response body ended normally (the whole Content-Length arrived). */
  complete: boolean;
  error?: string;
  ms: number;
}

/** One request on its own connection; never rejects. */
function raw(
  port: number,
  method: string,
  path: string,
  options: { headers?: Record<string, string>; body?: Buffer; signed?: boolean; timeoutMs?: number } = {},
): Promise<RawResponse> {
  const started = Date.now();
  const host = `127.0.0.1:${port}`;
  const extra: Record<string, string> = { ...(options.headers ?? {}) };
  if (options.body) extra['content-length'] = String(options.body.length);
  else if (method === 'PUT') extra['content-length'] = '0';
  const headers = options.signed === false ? { host, ...extra } : signedHeaders(method, path, host, extra);
  return new Promise((resolve) => {
    let settled = false;
    const done = (r: Omit<RawResponse, 'ms'>): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve({ ...r, ms: Date.now() - started });
    };
    const req = http.request({ host: '127.0.0.1', port, method, path, headers, agent: false });
    const timer = setTimeout(() => {
      req.destroy(new Error('client timeout'));
    }, options.timeoutMs ?? 60_000);
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', () => undefined);
      res.on('close', () =>
        done({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks), complete: res.complete }),
      );
    });
    req.on('error', (err) => done({ status: 0, headers: {}, body: Buffer.alloc(0), complete: false, error: err.message }));
    req.end(options.body);
  });
}

const objectPath = (bucket: string, key: string): string => `/${bucket}/${encodePath(key)}`;

function xmlCode(body: Buffer): string | undefined {
  return /<Code>([^<]*)<\/Code>/.exec(body.toString())?.[1];
}

function describeResponse(r: RawResponse): string {
  return `status ${r.status}, ${r.body.length} bytes${r.complete ? '' : ' (incomplete)'}${r.error ? `, error ${r.error}` : ''}` +
    (r.status >= 300 ? `: ${r.body.toString().slice(0, 300)}` : '');
}

// ---------------------------------------------------------------------------------------------
// drives on disk

async function wipeContents(dir: string): Promise<void> {
  for (const entry of await readdir(dir)) await rm(join(dir, entry), { recursive: true, force: true });
}

/** Every part.1 file under `<drive>/<bucket>`. */
async function partFiles(drive: string, bucket: string): Promise<string[]> {
  const out: string[] = [];
  const base = join(drive, bucket);
  if (!existsSync(base)) return out;
  for (const prefix of await readdir(base)) {
    for (const dataDir of await readdir(join(base, prefix))) {
      const file = join(base, prefix, dataDir, 'part.1');
      if (existsSync(file)) out.push(file);
    }
  }
  return out.sort();
}

/** Data directories (committed objects' shard folders) under `<drive>/<bucket>`. */
async function dataDirs(drive: string, bucket: string): Promise<string[]> {
  const out: string[] = [];
  const base = join(drive, bucket);
  if (!existsSync(base)) return out;
  for (const prefix of await readdir(base)) for (const d of await readdir(join(base, prefix))) out.push(join(prefix, d));
  return out.sort();
}

/** XORs one byte of `file` at `offset` with 0xff; returns a function that puts it back. */
async function flipByte(file: string, offset: number): Promise<() => Promise<void>> {
  const handle = await open(file, 'r+');
  try {
    const b = Buffer.alloc(1);
    const { bytesRead } = await handle.read(b, 0, 1, offset);
    if (bytesRead !== 1) throw new Error(`${file} has no byte at ${offset}`);
    const original = b[0];
    await handle.write(Buffer.of(original ^ 0xff), 0, 1, offset);
    return async () => {
      const h = await open(file, 'r+');
      try {
        await h.write(Buffer.of(original), 0, 1, offset);
      } finally {
        await h.close();
      }
    };
  } finally {
    await handle.close();
  }
}

/** Offset of a byte in the middle of block `block`'s shard payload (after its 8 hash bytes). */
function midShardOffset(block: number): number {
  return block * (HASH_SIZE + SHARD_SIZE) + HASH_SIZE + Math.floor(SHARD_SIZE / 2) + 17;
}

/** Size of one drive's part.1 for an object of `size` bytes under EC 2+2. */
function expectedShardFileSize(size: number): number {
  let total = 0;
  for (let off = 0; off < size; off += BLOCK_SIZE) total += HASH_SIZE + Math.ceil(Math.min(BLOCK_SIZE, size - off) / DATA_SHARDS);
  return total;
}

// ---------------------------------------------------------------------------------------------
// S3 helpers

async function makeBucket(client: S3Client, bucket: string): Promise<void> {
  await client.send(new CreateBucketCommand({ Bucket: bucket }));
}

async function putRaw(server: TestServer, bucket: string, key: string, body: Buffer): Promise<void> {
  const r = await raw(server.port, 'PUT', objectPath(bucket, key), { body });
  if (r.status !== 200) throw new Error(`PUT ${key}: ${describeResponse(r)}`);
}

async function listKeys(client: S3Client, bucket: string): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  let token: string | undefined;
  do {
    const page = await client.send(new ListObjectsV2Command({ Bucket: bucket, ContinuationToken: token }));
    for (const o of page.Contents ?? []) out.set(o.Key!, o.Size!);
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return out;
}

/** GETs `key` and expects exactly `expected` (sha256 and length). */
async function expectContent(server: TestServer, bucket: string, key: string, expected: Buffer, label = key): Promise<void> {
  const r = await raw(server.port, 'GET', objectPath(bucket, key));
  expect(r.status, `${label}: ${describeResponse(r)}`).toBe(200);
  expect(r.complete, `${label}: body incomplete (${r.body.length} of ${expected.length} bytes)`).toBe(true);
  expect(r.body.length, `${label}: length`).toBe(expected.length);
  expect(sha256(r.body), `${label}: sha256`).toBe(sha256(expected));
}

// ---------------------------------------------------------------------------------------------

const servers: TestServer[] = [];
async function startServer(): Promise<TestServer> {
  const server = await TestServer.start({ drives: 4 });
  servers.push(server);
  return server;
}
afterAll(async () => {
  await Promise.all(servers.map((s) => s.destroy()));
});

describe('wiped drives (EC 2+2)', () => {
  const bucket = 'wiped';
  let server: TestServer;
  let client: S3Client;
  const objects = new Map<string, Buffer>();

  beforeAll(async () => {
    server = await startServer();
    client = server.client();
    await makeBucket(client, bucket);
    const sizes: Record<string, number> = {
      'empty-0': 0,
      'small-1k': KiB,
      'inline-100k': 100 * KiB,
      'medium-200k': 200 * KiB,
      'blocks-3m5': 3 * MiB + 5,
      'big-17m': 17 * MiB,
    };
    for (const [key, size] of Object.entries(sizes)) {
      const body = randomBytes(size);
      objects.set(key, body);
      await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
    }
    // sanity: written with every drive up, every object reads back
    for (const [key, body] of objects) await expectContent(server, bucket, key, body);
  });

  it('1. two wiped drives: every object, range, HEAD and listing still right', async () => {
    // Both kinds of wipe: a drive's contents, and a whole drive directory.
    await wipeContents(server.drives[0]);
    await rm(server.drives[2], { recursive: true, force: true });
    expect(await readdir(server.drives[0])).toEqual([]);
    expect(existsSync(server.drives[2])).toBe(false);
    await sleep(300);

    for (const [key, body] of objects) {
      await expectContent(server, bucket, key, body);
      const head = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
      expect(head.ContentLength, `HEAD ${key}`).toBe(body.length);
      expect(head.ETag, `HEAD ${key} ETag`).toBe(`"${createHash('md5').update(body).digest('hex')}"`);
    }

    const ranges: [string, number, number][] = [
      ['medium-200k', 100, 150_000],
      ['blocks-3m5', 0, 0],
      ['blocks-3m5', BLOCK_SIZE - 10, BLOCK_SIZE + 9], // across the first block boundary
      ['blocks-3m5', 2 * BLOCK_SIZE - 1, 2 * BLOCK_SIZE], // exactly the two bytes around a boundary
      ['blocks-3m5', 3 * BLOCK_SIZE - 3, 3 * MiB + 4], // into the 5-byte last block
      ['big-17m', 5 * MiB - 100, 7 * MiB + 100], // spans three boundaries
      ['big-17m', 16 * MiB + 12345, 17 * MiB - 1],
    ];
    for (const [key, start, end] of ranges) {
      const r = await raw(server.port, 'GET', objectPath(bucket, key), { headers: { range: `bytes=${start}-${end}` } });
      const expected = objects.get(key)!.subarray(start, end + 1);
      const label = `${key} bytes=${start}-${end}`;
      expect(r.status, `${label}: ${describeResponse(r)}`).toBe(206);
      expect(r.headers['content-range'], label).toBe(`bytes ${start}-${end}/${objects.get(key)!.length}`);
      expect(r.complete, `${label}: incomplete`).toBe(true);
      expect(r.body.length, label).toBe(expected.length);
      expect(sha256(r.body), `${label}: sha256`).toBe(sha256(expected));
    }
    // a suffix range
    const suffix = await raw(server.port, 'GET', objectPath(bucket, 'big-17m'), { headers: { range: 'bytes=-1000000' } });
    expect(suffix.status, describeResponse(suffix)).toBe(206);
    expect(sha256(suffix.body)).toBe(sha256(objects.get('big-17m')!.subarray(17 * MiB - 1_000_000)));

    const listed = await listKeys(client, bucket);
    expect([...listed.keys()].sort()).toEqual([...objects.keys()].sort());
    for (const [key, body] of objects) expect(listed.get(key), `listed size of ${key}`).toBe(body.length);
  });

  it('2. a third wiped drive: 503 SlowDownRead fast, never 500; liveness stays 200; PUT 503', async () => {
    await wipeContents(server.drives[1]);
    await sleep(300);

    for (const key of objects.keys()) {
      const r = await raw(server.port, 'GET', objectPath(bucket, key), { timeoutMs: 10_000 });
      expect(r.status, `GET ${key}: ${describeResponse(r)}`).toBe(503);
      expect(['SlowDownRead', 'SlowDown'], `GET ${key}: ${r.body.toString()}`).toContain(xmlCode(r.body));
      expect(r.ms, `GET ${key} took ${r.ms} ms`).toBeLessThan(5000);
    }
    const live = await raw(server.port, 'GET', '/tessera/health/live', { signed: false });
    expect(live.status).toBe(200);

    for (const [key, size] of [['new-small', KiB], ['new-300k', 300 * KiB]] as const) {
      const put = await raw(server.port, 'PUT', objectPath(bucket, key), { body: randomBytes(size), timeoutMs: 10_000 });
      expect(put.status, `PUT ${key}: ${describeResponse(put)}`).toBe(503);
      expect(put.ms).toBeLessThan(5000);
    }
    // the one remaining drive holds no trace of the refused PUTs
    expect(await readdir(join(server.drives[3], SYS, 'tmp'))).toEqual([]);
  });
});

describe('bitrot in shard files (EC 2+2)', () => {
  const bucket = 'bitrot';
  const key = 'multi-block';
  const size = 3 * MiB + 777; // 4 blocks, the last one short
  let server: TestServer;
  let body: Buffer;
  /** files[d] = the object's part.1 on drive d */
  const files: string[] = [];
  const restores: (() => Promise<void>)[] = [];

  beforeAll(async () => {
    server = await startServer();
    await makeBucket(server.client(), bucket);
    body = randomBytes(size);
    await putRaw(server, bucket, key, body);
    for (const drive of server.drives) {
      const found = await partFiles(drive, bucket);
      expect(found, `part.1 files on ${drive}`).toHaveLength(1);
      expect((await stat(found[0])).size, `${found[0]} size`).toBe(expectedShardFileSize(size));
      files.push(found[0]);
    }
    await expectContent(server, bucket, key, body, 'before any flip');
  });

  afterEach(async () => {
    while (restores.length > 0) await restores.pop()!();
  });

  it('3a. one flipped byte in block 0 on any single drive: GET still right', async () => {
    for (let d = 0; d < 4; d++) {
      const restore = await flipByte(files[d], midShardOffset(0));
      try {
        await expectContent(server, bucket, key, body, `flip on drive ${d + 1}`);
      } finally {
        await restore();
      }
    }
  });

  it('3b. flipped bytes on two drives in two different blocks: GET still right', async () => {
    for (const [a, b] of [[0, 1], [2, 3], [0, 3]]) {
      restores.push(await flipByte(files[a], midShardOffset(0)));
      restores.push(await flipByte(files[b], midShardOffset(1)));
      await expectContent(server, bucket, key, body, `flips on drive ${a + 1} (block 0) and drive ${b + 1} (block 1)`);
      while (restores.length > 0) await restores.pop()!();
    }
  });

  it('4. flipped bytes on three drives in the same block: GET fails, never 200 with wrong bytes', async () => {
    for (const block of [0, 1]) {
      for (const d of [0, 1, 2]) restores.push(await flipByte(files[d], midShardOffset(block)));
      const r = await raw(server.port, 'GET', objectPath(bucket, key), { timeoutMs: 20_000 });
      const label = `3 bad shards in block ${block}: ${describeResponse(r)}`;
      const fullBody = r.status === 200 && r.complete && r.body.length === size;
      if (fullBody) {
        // The worst outcome: a "successful" response. Say whether its bytes are even right.
        expect(sha256(r.body), `${label}: a full 200 body was delivered`).toBe(sha256(body));
      }
      expect(fullBody, `${label}: expected a failure (non-200, or a connection cut before Content-Length)`).toBe(false);
      if (r.status === 200) {
        // The bytes that did arrive before the cut must be the object's own.
        expect(r.body.equals(body.subarray(0, r.body.length)), `${label}: delivered prefix differs`).toBe(true);
        expect(Number(r.headers['content-length'])).toBe(size);
      } else {
        expect(r.status, label).not.toBe(500);
      }
      while (restores.length > 0) await restores.pop()!();
      await expectContent(server, bucket, key, body, `after restoring block ${block}`);
    }
  });
});

describe('writes without quorum (EC 2+2)', () => {
  const bucket = 'noquorum';
  let server: TestServer;
  let client: S3Client;

  beforeAll(async () => {
    server = await startServer();
    client = server.client();
    await makeBucket(client, bucket);
    await putRaw(server, bucket, 'existing', randomBytes(300 * KiB));
  });

  it('5. PUT with only 2 drives writable: 503 SlowDownWrite, then no trace of the key', async () => {
    await wipeContents(server.drives[1]);
    await wipeContents(server.drives[3]);
    await sleep(300);
    const before = await Promise.all([0, 2].map((d) => dataDirs(server.drives[d], bucket)));

    for (const [key, size] of [['refused-inline', KiB], ['refused-300k', 300 * KiB]] as const) {
      const put = await raw(server.port, 'PUT', objectPath(bucket, key), { body: randomBytes(size), timeoutMs: 20_000 });
      expect(put.status, `PUT ${key}: ${describeResponse(put)}`).toBe(503);
      expect(xmlCode(put.body), `PUT ${key}`).toBe('SlowDownWrite');
    }

    // on disk: no new data directories, nothing left staged on the surviving drives
    const after = await Promise.all([0, 2].map((d) => dataDirs(server.drives[d], bucket)));
    expect(after).toEqual(before);
    for (const d of [0, 2]) expect(await readdir(join(server.drives[d], SYS, 'tmp'))).toEqual([]);

    const listed = await listKeys(client, bucket);
    expect([...listed.keys()]).toEqual(['existing']);
    for (const key of ['refused-inline', 'refused-300k']) {
      const get = await raw(server.port, 'GET', objectPath(bucket, key));
      expect.soft(get.status, `GET ${key}: ${describeResponse(get)}`).toBe(404);
      expect.soft(xmlCode(get.body), `GET ${key}`).toBe('NoSuchKey');
      const head = await raw(server.port, 'HEAD', objectPath(bucket, key));
      expect.soft(head.status, `HEAD ${key}: ${describeResponse(head)}`).toBe(404);
    }
  });
});

describe('process death', () => {
  const bucket = 'crash';

  it('6. SIGKILL during a 64 MiB overwrite: the key is the old or the new content, staging is gone', async () => {
    const server = await startServer();
    await makeBucket(server.client(), bucket);
    const key = 'K';
    const size = 64 * MiB;
    const contents = [randomBytes(size), randomBytes(size)];
    const hashes = contents.map(sha256);
    await putRaw(server, bucket, key, contents[0]);
    let current = 0;

    // When to kill: after this many body bytes went out (size = once the whole body was sent, then
    // after a further delay in ms, to land in the window where the server finishes and commits).
    const killPoints: [string, number, number][] = [
      ['early', 8 * MiB, 0],
      ['middle', 32 * MiB, 0],
      ['right after the body', size, 0],
      ['10 ms after the body', size, 10],
      ['20 ms after the body', size, 20],
      ['40 ms after the body', size, 40],
    ];
    for (const [label, killAt, delay] of killPoints) {
      const next = 1 - current;
      const outcome = await slowPutAndKill(server, bucket, key, contents[next], killAt, delay);
      await server.launch();

      for (const drive of server.drives) {
        expect(await readdir(join(drive, SYS, 'tmp')), `${label}: staging left on ${drive}`).toEqual([]);
      }
      const r = await raw(server.port, 'GET', objectPath(bucket, key));
      const label2 = `${label} (kill after ${outcome.sent} bytes sent, PUT ${outcome.status ? `answered ${outcome.status}` : 'unanswered'})`;
      expect(r.status, `${label2}: ${describeResponse(r)}`).toBe(200);
      expect(r.complete, `${label2}: body incomplete`).toBe(true);
      const got = sha256(r.body);
      expect(hashes, `${label2}: content is neither the old nor the new version`).toContain(got);
      if (outcome.status === 200) expect(got, `${label2}: the PUT was acknowledged`).toBe(hashes[next]);
      current = hashes.indexOf(got);
    }
  });

  it('7. SIGTERM while idle: exit code 0 within seconds; data intact after restart', async () => {
    const server = await startServer();
    const client = server.client();
    await makeBucket(client, 'term');
    const objects = new Map([
      ['a', randomBytes(KiB)],
      ['b', randomBytes(3 * MiB + 1)],
    ]);
    for (const [key, body] of objects) await client.send(new PutObjectCommand({ Bucket: 'term', Key: key, Body: body }));
    await sleep(200);
    const started = Date.now();
    const code = await server.stop('SIGTERM');
    const took = Date.now() - started;
    expect(code, `exit code; output:\n${server.output}`).toBe(0);
    expect(took, `exit took ${took} ms`).toBeLessThan(5000);
    await server.launch();
    for (const [key, body] of objects) await expectContent(server, 'term', key, body);
  });
});

/**
 * PUTs `body` slowly (1 MiB every ~20 ms) over raw HTTP and SIGKILLs the server once `killAt` bytes
 * have gone out (for killAt = body length: `delayAfterBody` ms after the request is fully written).
 */
async function slowPutAndKill(
  server: TestServer,
  bucket: string,
  key: string,
  body: Buffer,
  killAt: number,
  delayAfterBody = 0,
): Promise<{ sent: number; status: number }> {
  const path = objectPath(bucket, key);
  const host = `127.0.0.1:${server.port}`;
  const headers = signedHeaders('PUT', path, host, { 'content-length': String(body.length) });
  let sent = 0;
  let status = 0;
  let failed = false;
  const req = http.request({ host: '127.0.0.1', port: server.port, method: 'PUT', path, headers, agent: false });
  const finished = new Promise<void>((resolve) => {
    req.on('response', (res) => {
      status = res.statusCode ?? 0;
      res.resume();
      res.on('close', resolve);
      res.on('error', () => undefined);
    });
    req.on('error', () => {
      failed = true;
      resolve();
    });
  });
  let killed: Promise<number | null> | undefined;
  for (let off = 0; off < body.length && !failed && !killed; off += MiB) {
    const chunk = body.subarray(off, off + MiB);
    const flushed = new Promise<void>((r) => req.write(chunk, () => r()));
    await Promise.race([flushed, finished]);
    sent = off + chunk.length;
    if (sent >= killAt && sent < body.length) killed = server.stop('SIGKILL');
    else await sleep(20);
  }
  if (!killed && !failed) {
    await new Promise<void>((r) => req.end(() => r()));
    if (delayAfterBody > 0) await sleep(delayAfterBody);
    killed = server.stop('SIGKILL');
  }
  await killed;
  await Promise.race([finished, sleep(2000)]);
  req.destroy();
  return { sent, status };
}
