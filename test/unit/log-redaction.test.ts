/**
 * Logged failures never carry credentials: presigned-URL signatures and credentials are REDACTED,
 * in the message and in the error logged with it (whose properties may hold the URL again).
 */
import { createServer, type Server } from 'node:http';
import { Writable } from 'node:stream';
import type { AddressInfo } from 'node:net';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Iam } from '../../src/iam/iam.js';
import { NamespaceLock } from '../../src/lock/namespace-lock.js';
import { configureLog, log, redactSecrets } from '../../src/log.js';
import type { ObjectLayer } from '../../src/object/types.js';
import { createS3App } from '../../src/s3/app.js';

const SIGNATURE = 'a'.repeat(24) + '0123456789abcdef0123456789abcdef0123456789';

/** The JSON lines logged during each test. */
let logged: string[] = [];
beforeEach(() => {
  logged = [];
  configureLog({ format: 'json', level: 'info', destination: { write: (line) => logged.push(line) } });
});
afterEach(() => {
  configureLog({ format: 'json', level: 'info' });
});

describe('redactSecrets', () => {
  it('redacts SigV4 presigned query parameters and keeps the rest', () => {
    const url =
      '/photos/cat.jpg?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F20260101%2Fus-east-1%2Fs3%2Faws4_request' +
      `&X-Amz-Date=20260101T000000Z&X-Amz-Expires=900&X-Amz-Security-Token=FQoGZXIvYXdzEXAMPLE%2B%3D&X-Amz-SignedHeaders=host&X-Amz-Signature=${SIGNATURE}`;
    expect(redactSecrets(url)).toBe(
      '/photos/cat.jpg?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=REDACTED' +
        '&X-Amz-Date=20260101T000000Z&X-Amz-Expires=900&X-Amz-Security-Token=REDACTED&X-Amz-SignedHeaders=host&X-Amz-Signature=REDACTED',
    );
  });

  it('redacts SigV2 presigned parameters, any case, percent-encoded dashes and fragments', () => {
    expect(redactSecrets('/b/k?AWSAccessKeyId=AKIDEXAMPLE&Expires=1700000000&Signature=vjbyPxybdZaNmGa%2ByT272YEAiv4%3D')).toBe(
      '/b/k?AWSAccessKeyId=REDACTED&Expires=1700000000&Signature=REDACTED',
    );
    expect(redactSecrets(`/b/k?x-amz-signature=${SIGNATURE}#top`)).toBe('/b/k?x-amz-signature=REDACTED#top');
    expect(redactSecrets(`/b/k?X%2DAmz%2DSignature=${SIGNATURE}`)).toBe('/b/k?X%2DAmz%2DSignature=REDACTED');
  });

  it('redacts the credential and signature inside an Authorization header', () => {
    const header = `AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260101/us-east-1/s3/aws4_request, SignedHeaders=host;x-amz-date, Signature=${SIGNATURE}`;
    expect(redactSecrets(`authorization: '${header}'`)).toBe(
      "authorization: 'AWS4-HMAC-SHA256 Credential=REDACTED, SignedHeaders=host;x-amz-date, Signature=REDACTED'",
    );
  });

  it('leaves names that merely contain a field name alone', () => {
    for (const text of ['/b/MySignature=1', '/b/k?prefix=a&XSignature=2', 'GET /b/k?uploads&max-keys=10']) expect(redactSecrets(text)).toBe(text);
  });

  it('log.error redacts the message and the error it logs, properties included', () => {
    const err = Object.assign(new TypeError('Invalid URL'), { input: `http://x/b/k?X-Amz-Signature=${SIGNATURE}` });
    log.error(`GET /b/k?Signature=${SIGNATURE}: internal error`, err);
    expect(logged).toHaveLength(1);
    const line = JSON.parse(logged[0]) as { level: string; msg: string; err: string };
    expect(line.level).toBe('error');
    expect(line.msg).toBe('GET /b/k?Signature=REDACTED: internal error');
    expect(line.err).toContain('TypeError: Invalid URL');
    expect(line.err).toContain("input: 'http://x/b/k?X-Amz-Signature=REDACTED'");
    expect(logged[0]).not.toContain(SIGNATURE);
  });
});

describe('human-readable lines', () => {
  it('show control characters in a message escaped, so a key cannot drive the terminal that reads them', () => {
    const pretty: string[] = [];
    const destination = new Writable({
      write(chunk: Buffer, _encoding, done) {
        pretty.push(chunk.toString());
        done();
      },
    });
    configureLog({ format: 'pretty', level: 'info', destination });
    log.warn('object b/\u001b[2Jk\u0007 has a stored header that cannot be sent');
    expect(pretty.join('')).toContain('b/\\x1b[2Jk\\x07 has a stored header');
    expect(pretty.join('')).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f]/);
  });
});

describe('an internal error on a presigned request', () => {
  const credentials = { accessKeyId: 'logtestadmin', secretAccessKey: 'logtest-secret-key' };
  let server: Server;
  let endpoint: string;

  beforeAll(async () => {
    // Every object-layer call fails with a plain error that carries the request URL, as some Node errors do.
    const failing = new Proxy({} as ObjectLayer, {
      get: () => () => Promise.reject(Object.assign(new Error('disk on fire'), { url: lastUrl })),
    });
    let lastUrl = '';
    const app = createS3App({
      objects: failing,
      iam: new Iam({
        objects: failing,
        locks: new NamespaceLock(),
        root: { accessKey: credentials.accessKeyId, secretKey: credentials.secretAccessKey },
        tellPeers: async () => [],
        log: () => undefined,
      }),
      region: 'us-east-1',
      reducedParity: 1,
      domains: [],
      corsOrigins: [],
    });
    const handle = app.callback();
    server = createServer((req, res) => {
      lastUrl = req.url ?? '';
      void handle(req, res);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('is logged with the signature and credential redacted', async () => {
    const client = new S3Client({ endpoint, region: 'us-east-1', forcePathStyle: true, credentials });
    const url = await getSignedUrl(client, new GetObjectCommand({ Bucket: 'photos', Key: 'cat.jpg' }), { expiresIn: 600 });
    const signature = new URL(url).searchParams.get('X-Amz-Signature')!;
    try {
      const res = await fetch(url);
      expect(res.status).toBe(500);
      const lines = logged.map((l) => JSON.parse(l) as { msg: string; err: string; reqId: string });
      expect(lines).toHaveLength(1);
      expect(lines[0].msg).toMatch(/^GET \/photos\/cat\.jpg\?.*X-Amz-Signature=REDACTED.*: internal error$/);
      expect(lines[0].err).toMatch(/^Error: disk on fire/);
      expect(lines[0].reqId).toBe(res.headers.get('x-amz-request-id'));
      const text = logged.join('');
      expect(text).toContain('X-Amz-Credential=REDACTED');
      expect(text).not.toContain(signature);
      expect(text).not.toContain(credentials.accessKeyId);
      expect(text).not.toContain(credentials.secretAccessKey);
    } finally {
      client.destroy();
    }
  });
});
