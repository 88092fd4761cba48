/**
 * Hostile clients against a real server: header blocks that never end, bodies trickled below the floor
 * rate, browser forms with endless fields, bodies trickled after a 403, uploads declaring more than S3
 * allows. 200 connections of each kind at once, while the server's RSS and its health answers are
 * watched; then the connection cap. Timeouts are shortened through the environment so the file runs in
 * well under a minute.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { setPriority } from 'node:os';
import { connect, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { CreateBucketCommand, CreateMultipartUploadCommand, HeadObjectCommand, ListPartsCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildHeaders, errorCode, openRaw, rawRequest, STREAMING_UNSIGNED_TRAILER, UNSIGNED_PAYLOAD } from '../helpers/raw.js';
import { TestServer } from '../helpers/server.js';

const HEADERS_TIMEOUT_S = 2;
const BODY_STALL_S = 2;
/** After an answer, how long a large body still arriving may keep its connection (LINGER_MS in src/s3/connection-limits.ts). */
const LINGER_S = 1;
const PER_KIND = 200;
const RSS_LIMIT_MB = 300;
/**
 * Health must answer promptly while the flood runs. The test runs beside other suites on a shared
 * two-core machine, where any process may wait several scheduler slices (p99 reached 126 ms with a
 * torture run beside it), so it holds the 99th percentile to 250 ms and every answer to 1 s (a
 * server whose event loop the flood blocked misses both by far); the figures it prints are the
 * measurement.
 */
const HEALTH_P99_MS = 250;
const HEALTH_MAX_MS = 1_000;
const BUCKET = 'hostile';
const GiB = 1024 ** 3;

const LIMITS_ENV = {
  TESSERA_HEADERS_TIMEOUT_SECONDS: String(HEADERS_TIMEOUT_S),
  TESSERA_BODY_STALL_SECONDS: String(BODY_STALL_S),
};

interface Outcome {
  status: number;
  code?: string;
  /** ms from connecting to the first response byte, and to the server closing the connection */
  answeredAt?: number;
  closedAt?: number;
  text: string;
}

function requestHead(method: string, path: string, headers: Record<string, string>): string {
  return `${method} ${path} HTTP/1.1\r\n${Object.entries(headers)
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join('')}\r\n`;
}

/**
 * One raw connection: sends `head`, then `chunk` every `everyMs` for as long as the server keeps the
 * connection open (or `giveUpMs` passes); reports what came back and when the server hung up.
 */
function hostile(port: number, head: string, chunk: Buffer | string | undefined, everyMs: number, giveUpMs = 30_000): Promise<Outcome> {
  return new Promise((resolve) => {
    const started = Date.now();
    const socket = connect(port, '127.0.0.1');
    let received = '';
    let answeredAt: number | undefined;
    let timer: NodeJS.Timeout | undefined;
    socket.setNoDelay(true);
    socket.on('data', (d: Buffer) => {
      answeredAt ??= Date.now() - started;
      received += d.toString('latin1');
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearInterval(timer);
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(received)?.[1] ?? 0);
      resolve({ status, code: errorCode(received), answeredAt, closedAt: Date.now() - started, text: received });
    });
    socket.write(head);
    if (chunk !== undefined) {
      timer = setInterval(() => {
        if (Date.now() - started > giveUpMs) socket.destroy();
        else if (!socket.destroyed && socket.writableLength < 1024 * 1024) socket.write(chunk);
      }, everyMs);
    }
  });
}

/** The server's resident memory in MB, from /proc. */
function rssMb(pid: number): number {
  const kb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
  return kb / 1024;
}

/**
 * GET /tessera/health/live every `everyMs` on a fresh connection, from a separate process so that the
 * hostile clients' work in this one does not count against the server; resolves with every latency (ms).
 */
function probeHealth(endpoint: string, everyMs: number, forMs: number): Promise<number[]> {
  const script = `
    const http = require('node:http');
    const [url, every, span] = process.argv.slice(1);
    const latencies = [];
    const end = Date.now() + Number(span);
    const probe = () => new Promise((done) => {
      const started = process.hrtime.bigint();
      const req = http.get(url, { agent: false }, (res) => {
        res.resume();
        res.on('end', () => done(res.statusCode === 200 ? Number(process.hrtime.bigint() - started) / 1e6 : Infinity));
      });
      req.on('error', () => done(Infinity));
    });
    (async () => {
      while (Date.now() < end) {
        const next = Date.now() + Number(every);
        latencies.push(await probe());
        await new Promise((r) => setTimeout(r, Math.max(0, next - Date.now())));
      }
      process.stdout.write(JSON.stringify(latencies.map((l) => (l === Infinity ? null : l))));
    })();`;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-e', script, `${endpoint}/tessera/health/live`, String(everyMs), String(forMs)]);
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', reject);
    child.on('exit', () => resolve((JSON.parse(out || '[]') as (number | null)[]).map((l) => l ?? Infinity)));
  });
}

/** Connections this machine dropped because a listen queue was full (a dropped connection retries after 1 s or more). */
function listenOverflows(): number {
  const [names, values] = readFileSync('/proc/net/netstat', 'utf8').split('\n');
  return Number(values.split(' ')[names.split(' ').indexOf('ListenOverflows')]);
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

/** Opens `count` connections, 100 a second (all of them are open at once), and waits until the server has closed each. */
async function flood(count: number, open: (i: number) => Promise<Outcome>): Promise<Outcome[]> {
  const all: Promise<Outcome>[] = [];
  for (let i = 0; i < count; i++) {
    all.push(open(i));
    if (i % 10 === 9) await sleep(100);
  }
  return Promise.all(all);
}

function summary(outcomes: Outcome[]): Record<string, number> {
  const seen: Record<string, number> = {};
  for (const o of outcomes) {
    const key = `${o.status} ${o.code ?? ''}`.trim();
    seen[key] = (seen[key] ?? 0) + 1;
  }
  return seen;
}

describe('hostile connections', () => {
  let server: TestServer;
  let uploadId: string;

  beforeAll(async () => {
    server = await TestServer.start({ env: LIMITS_ENV });
    const s3 = server.client();
    await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
    uploadId = (await s3.send(new CreateMultipartUploadCommand({ Bucket: BUCKET, Key: 'parts' }))).UploadId!;
  });

  afterAll(async () => {
    await server?.destroy();
  });

  const signed = (method: string, path: string, query: string, headers: Record<string, string>, secretKey?: string): string =>
    requestHead(
      method,
      query ? `${path}?${query}` : path,
      buildHeaders(server.endpoint, { method, path, query, headers, payloadHash: UNSIGNED_PAYLOAD, secretKey }),
    );

  const kinds = {
    /** a header block that never ends */
    slowloris: () => hostile(server.port, `GET /${BUCKET}/k HTTP/1.1\r\nHost: 127.0.0.1\r\n`, 'X-Slow: 1\r\n', 500),
    /** a valid signed PUT whose body comes at 200 B/s */
    trickledBody: (i: number) =>
      hostile(server.port, signed('PUT', `/${BUCKET}/slow-${i}`, '', { 'content-length': String(1024 * 1024) }), Buffer.alloc(100, 1), 500),
    /** a browser form whose first field never ends */
    hugeFormField: () => {
      const boundary = 'hostileboundary';
      const head = requestHead('POST', `/${BUCKET}`, {
        host: `127.0.0.1:${server.port}`,
        'content-type': `multipart/form-data; boundary=${boundary}`,
        'content-length': String(64 * 1024 * 1024),
      });
      return hostile(server.port, `${head}--${boundary}\r\nContent-Disposition: form-data; name="policy"\r\n\r\n`, Buffer.alloc(64 * 1024, 0x41), 100);
    },
    /** a body trickled on after the signature was refused */
    trickleAfter403: (i: number) =>
      hostile(server.port, signed('PUT', `/${BUCKET}/denied-${i}`, '', { 'content-length': String(1024 * 1024) }, 'not-the-secret'), Buffer.alloc(1000, 1), 500),
    /** PUTs declaring 6 TiB and parts declaring 6 GiB, sending on regardless */
    declaredHuge: (i: number) =>
      i % 2 === 0
        ? hostile(server.port, signed('PUT', `/${BUCKET}/huge-${i}`, '', { 'content-length': String(6 * 1024 * GiB) }), Buffer.alloc(64 * 1024, 2), 50)
        : hostile(
            server.port,
            signed('PUT', `/${BUCKET}/parts`, `partNumber=${(i % 100) + 1}&uploadId=${encodeURIComponent(uploadId)}`, { 'content-length': String(6 * GiB) }),
            Buffer.alloc(64 * 1024, 2),
            50,
          ),
  };

  it(`holds ${PER_KIND} connections of each hostile kind under ${RSS_LIMIT_MB} MB, answering health within ${HEALTH_P99_MS} ms (p99)`, async () => {
    const pid = server.proc!.pid!;
    const rssBefore = rssMb(pid);
    let rssPeak = rssBefore;
    const sampler = setInterval(() => (rssPeak = Math.max(rssPeak, rssMb(pid))), 100);
    const health = probeHealth(server.endpoint, 50, 8_000);
    // The attackers' CPU would be their own: the flood must not starve the server of this machine's two
    // cores (the server and the probe keep the normal priority they were started with).
    setPriority(10);
    await sleep(300);

    const overflowsBefore = listenOverflows();
    const started = Date.now();
    const [slowloris, trickledBody, hugeFormField, trickleAfter403, declaredHuge] = await Promise.all([
      flood(PER_KIND, kinds.slowloris),
      flood(PER_KIND, kinds.trickledBody),
      flood(PER_KIND, kinds.hugeFormField),
      flood(PER_KIND, kinds.trickleAfter403),
      flood(PER_KIND, kinds.declaredHuge),
    ]);
    const floodSeconds = (Date.now() - started) / 1000;
    const latencies = await health;
    clearInterval(sampler);
    rssPeak = Math.max(rssPeak, rssMb(pid));

    const report = {
      rssBeforeMb: Math.round(rssBefore),
      rssPeakMb: Math.round(rssPeak),
      floodSeconds,
      listenOverflows: listenOverflows() - overflowsBefore,
      healthProbes: latencies.length,
      healthMs: { p50: percentile(latencies, 50), p99: percentile(latencies, 99), max: Math.max(...latencies) },
      answers: {
        slowloris: summary(slowloris),
        trickledBody: summary(trickledBody),
        hugeFormField: summary(hugeFormField),
        trickleAfter403: summary(trickleAfter403),
        declaredHuge: summary(declaredHuge),
      },
    };
    console.log(`hostile connections: ${JSON.stringify(report)}`);

    const closedWithin = (outcomes: Outcome[], seconds: number): void => {
      expect(Math.max(...outcomes.map((o) => o.closedAt ?? Infinity))).toBeLessThan(seconds * 1000);
    };
    // Node answers a header block that times out with 408 and closes
    expect(report.answers.slowloris).toEqual({ '408': PER_KIND });
    closedWithin(slowloris, HEADERS_TIMEOUT_S + 3);
    expect(report.answers.trickledBody).toEqual({ '400 RequestTimeout': PER_KIND });
    closedWithin(trickledBody, BODY_STALL_S + LINGER_S + 3);
    expect(report.answers.hugeFormField).toEqual({ '400 MaxPostPreDataLengthExceededError': PER_KIND });
    closedWithin(hugeFormField, LINGER_S + 3);
    expect(report.answers.trickleAfter403).toEqual({ '403 SignatureDoesNotMatch': PER_KIND });
    closedWithin(trickleAfter403, LINGER_S + 3);
    expect(report.answers.declaredHuge).toEqual({ '400 EntityTooLarge': PER_KIND });
    closedWithin(declaredHuge, LINGER_S + 3);

    expect(rssPeak).toBeLessThan(RSS_LIMIT_MB);
    expect(latencies.length).toBeGreaterThan(100);
    expect(report.healthMs.p99).toBeLessThan(HEALTH_P99_MS);
    expect(report.healthMs.max).toBeLessThan(HEALTH_MAX_MS);

    // nothing of it was stored
    const parts = await server.client().send(new ListPartsCommand({ Bucket: BUCKET, Key: 'parts', UploadId: uploadId }));
    expect(parts.Parts ?? []).toEqual([]);
    await expect(server.client().send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'slow-0' }))).rejects.toMatchObject({ name: 'NotFound' });
  });

  it('refuses declared sizes over the S3 limits before reading the body', async () => {
    const tooLarge = await rawRequest(server.endpoint, {
      method: 'PUT',
      path: `/${BUCKET}/declared`,
      headers: { 'content-length': String(5 * 1024 * GiB + 1) },
      payloadHash: UNSIGNED_PAYLOAD,
    });
    expect([tooLarge.status, errorCode(tooLarge.text)]).toEqual([400, 'EntityTooLarge']);
    expect(tooLarge.text).toContain(`<ProposedSize>${5 * 1024 * GiB + 1}</ProposedSize>`);

    const part = `partNumber=1&uploadId=${encodeURIComponent(uploadId)}`;
    const bigPart = await rawRequest(server.endpoint, {
      method: 'PUT',
      path: `/${BUCKET}/parts`,
      query: part,
      headers: { 'content-length': String(5 * GiB + 1) },
      payloadHash: UNSIGNED_PAYLOAD,
    });
    expect([bigPart.status, errorCode(bigPart.text)]).toEqual([400, 'EntityTooLarge']);

    // aws-chunked: the decoded length is the part's size
    const chunkedPart = await rawRequest(server.endpoint, {
      method: 'PUT',
      path: `/${BUCKET}/parts`,
      query: part,
      headers: {
        'content-encoding': 'aws-chunked',
        'x-amz-decoded-content-length': String(5 * GiB + 1),
        'x-amz-trailer': 'x-amz-checksum-crc32',
        'content-length': '100',
      },
      payloadHash: STREAMING_UNSIGNED_TRAILER,
    });
    expect([chunkedPart.status, errorCode(chunkedPart.text)]).toEqual([400, 'EntityTooLarge']);
  });

  it('refuses POST form fields over the bound before the file, by size and by count', async () => {
    const post = (fields: [string, string][]): Promise<Response> => {
      const form = new FormData();
      for (const [name, value] of fields) form.append(name, value);
      form.append('file', new Blob(['content']), 'f.txt');
      return fetch(`${server.endpoint}/${BUCKET}`, { method: 'POST', body: form });
    };
    const big = await post([['key', 'k'], ['x-ignore-padding', 'p'.repeat(70 * 1024)]]);
    expect([big.status, errorCode(await big.text())]).toEqual([400, 'MaxPostPreDataLengthExceededError']);
    const many = await post(Array.from({ length: 300 }, (_, i): [string, string] => [`x-ignore-${i}`, 'v']));
    expect([many.status, errorCode(await many.text())]).toEqual([400, 'MaxPostPreDataLengthExceededError']);
  });

  it('reads a small refused body to its end and keeps the connection', async () => {
    const socket = connect(server.port, '127.0.0.1').on('error', () => undefined);
    let received = '';
    socket.on('data', (d: Buffer) => (received += d.toString('latin1')));
    const until = async (done: () => boolean): Promise<void> => {
      for (let waited = 0; !done() && waited < 10_000; waited += 20) await sleep(20);
    };
    const size = 100 * 1024;
    socket.write(signed('PUT', `/${BUCKET}/refused`, '', { 'content-length': String(size) }, 'not-the-secret'));
    socket.write(Buffer.alloc(size / 2));
    await until(() => received.includes('</Error>'));
    expect(errorCode(received)).toBe('SignatureDoesNotMatch');
    await sleep(500);
    socket.write(Buffer.alloc(size / 2));
    received = '';
    socket.write(requestHead('GET', '/tessera/health/live', { host: `127.0.0.1:${server.port}` }));
    await until(() => received.startsWith('HTTP/1.1 200'));
    expect(received).toMatch(/^HTTP\/1\.1 200/);
    // and nothing closes it once the drain time has passed
    await sleep(5_500);
    expect(socket.destroyed || socket.readableEnded).toBe(false);
    socket.destroy();
  });

  it('lets a slow body through that keeps above the floor rate', async () => {
    // 16 KiB (the default floor) every second against a 2 s window
    const piece = Buffer.alloc(16 * 1024, 7);
    const pieces = 4;
    const path = `/${BUCKET}/slow-but-fine`;
    const headers = buildHeaders(server.endpoint, { method: 'PUT', path, headers: { 'content-length': String(pieces * piece.length) }, payloadHash: UNSIGNED_PAYLOAD });
    const { req, response } = openRaw(server.endpoint, 'PUT', path, headers);
    for (let i = 0; i < pieces; i++) {
      req.write(piece);
      await sleep(1000);
    }
    req.end();
    expect((await response).status).toBe(200);
    const info = await server.client().send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'slow-but-fine' }));
    expect(info.ContentLength).toBe(pieces * piece.length);
  });
});

describe('connection cap', () => {
  const CAP = 20;
  /** Connections accepted past the cap (OVERFLOW_CONNECTIONS in src/s3/connection-limits.ts). */
  const OVERFLOW = 64;
  let server: TestServer;

  beforeAll(async () => {
    server = await TestServer.start({ env: LIMITS_ENV, extraArgs: ['--max-connections', String(CAP)] });
  });

  afterAll(async () => {
    await server?.destroy();
  });

  /** Sends one request on a new connection and reads its whole answer; the connection stays open unless the server closes it. */
  async function exchange(path: string, sign = true): Promise<{ socket: Socket; answer: string; closed: Promise<void> }> {
    const socket = connect(server.port, '127.0.0.1');
    socket.on('error', () => undefined);
    const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
    const headers = sign ? buildHeaders(server.endpoint, { method: 'GET', path }) : { host: `127.0.0.1:${server.port}` };
    const answer = await new Promise<string>((resolve) => {
      let text = '';
      socket.on('data', (d: Buffer) => {
        text += d.toString('latin1');
        const split = text.indexOf('\r\n\r\n');
        const length = Number(/content-length: (\d+)/i.exec(text)?.[1] ?? 0);
        if (split >= 0 && text.length >= split + 4 + length) resolve(text);
      });
      void closed.then(() => resolve(text));
      socket.write(requestHead('GET', path, headers));
    });
    return { socket, answer, closed };
  }

  it(`serves ${CAP} connections, answers only health on the next ones, and closes connections past the overflow`, async () => {
    // Filled one at a time: a connection left open by the test server's start-up check may hold a place.
    const kept: Awaited<ReturnType<typeof exchange>>[] = [];
    let refused: Awaited<ReturnType<typeof exchange>> | undefined;
    while (!refused && kept.length <= CAP) {
      const next = await exchange('/');
      if (next.answer.startsWith('HTTP/1.1 200')) kept.push(next);
      else refused = next;
    }
    expect(kept.length).toBeGreaterThanOrEqual(CAP - 1);
    expect(kept.length).toBeLessThanOrEqual(CAP);
    expect(refused!.answer).toMatch(/^HTTP\/1\.1 503/);
    expect(errorCode(refused!.answer)).toBe('SlowDown');
    expect(refused!.answer.toLowerCase()).toContain('connection: close');
    await refused!.closed;

    const started = Date.now();
    const health = await exchange('/tessera/health/live', false);
    expect(health.answer).toMatch(/^HTTP\/1\.1 200/);
    expect(health.answer.toLowerCase()).toContain('connection: close');
    await health.closed;
    expect(Date.now() - started).toBeLessThan(1000);

    // a served connection that closes frees its place
    kept.shift()!.socket.destroy();
    await sleep(100);
    const next = await exchange('/');
    expect(next.answer).toMatch(/^HTTP\/1\.1 200/);
    kept.push(next);

    // Past the overflow, new connections are closed unanswered, until the header timeout has cut the
    // connections that send nothing.
    let silentClosed = 0;
    const silent = Array.from({ length: OVERFLOW }, () =>
      connect(server.port, '127.0.0.1')
        .on('error', () => undefined)
        .on('close', () => silentClosed++)
        .resume(),
    );
    await sleep(300);
    expect((await exchange('/tessera/health/live', false)).answer).toBe('');
    await sleep((HEADERS_TIMEOUT_S + 2) * 1000);
    expect(silentClosed).toBe(OVERFLOW);
    expect((await exchange('/tessera/health/live', false)).answer).toMatch(/^HTTP\/1\.1 200/);
    // the served connections outlived the header timeout
    expect(kept.every((k) => !k.socket.destroyed)).toBe(true);
    for (const k of kept) k.socket.destroy();
  });
});
