import { createHash, createHmac } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { SignatureV4 } from '@smithy/signature-v4';
import { Sha256 } from '@smithy/core/checksum';
import {
  S3Client,
  PutObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  DeleteObjectsCommand,
  CopyObjectCommand,
  DeleteObjectCommand,
} from '@aws-sdk/client-s3';
import {
  verifySigV4,
  hasSignature,
  deriveSigningKey,
  canonicalRequestFor,
  computeSignature,
  canonicalUri,
  type IncomingSignedRequest,
  type AuthResult,
} from '../../src/s3/auth/sigv4.js';
import { S3Error, type S3ErrorCode } from '../../src/errors.js';

// ---------------------------------------------------------------------------------------------
// helpers

function expectS3Error(fn: () => unknown, code: S3ErrorCode, message?: string | RegExp): S3Error {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  expect(caught, `expected S3Error ${code}`).toBeInstanceOf(S3Error);
  const e = caught as S3Error;
  expect(e.code).toBe(code);
  if (message !== undefined) expect(e.message).toMatch(message);
  return e;
}

/** RFC 3986 encoding as the AWS SDKs do it for query strings. */
function rfc3986(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase());
}

/** How the S3 SDKs put an object key in the path: every segment RFC 3986-encoded, '/' kept. */
function keyPath(bucket: string, key: string): string {
  return '/' + bucket + '/' + key.split('/').map(rfc3986).join('/');
}

interface SdkRequest {
  method: string;
  path: string; // already encoded, as it goes on the wire
  query?: Record<string, string | string[]>;
  headers?: Record<string, string>;
  body?: string | Uint8Array;
}

const AK = 'AKIAIOSFODNN7EXAMPLE';
const SK = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
const lookup = (ak: string) => (ak === AK ? SK : undefined);

function s3Signer(secret = SK, region = 'us-east-1'): SignatureV4 {
  // uriEscapePath: false is what the S3 client uses: the path is signed exactly as sent
  return new SignatureV4({
    credentials: { accessKeyId: AK, secretAccessKey: secret },
    region,
    service: 's3',
    sha256: Sha256,
    uriEscapePath: false,
  });
}

function toHttpRequest(r: SdkRequest) {
  return {
    method: r.method,
    protocol: 'http:',
    hostname: 'localhost',
    port: 9000,
    path: r.path,
    query: r.query ?? {},
    headers: { host: 'localhost:9000', ...(r.headers ?? {}) } as Record<string, string>,
    body: r.body,
  };
}

/** Serialises a signed SDK request into what the server would see on the wire. */
function wire(signed: { method: string; path: string; query?: Record<string, unknown>; headers: Record<string, string> }): IncomingSignedRequest {
  const parts: string[] = [];
  for (const [k, v] of Object.entries(signed.query ?? {})) {
    if (v === undefined || v === null) continue;
    for (const one of Array.isArray(v) ? v : [v]) parts.push(`${rfc3986(k)}=${rfc3986(String(one))}`);
  }
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(signed.headers)) headers[k.toLowerCase()] = v;
  return { method: signed.method, rawPath: signed.path, rawQuery: parts.join('&'), headers };
}

async function signHeaderAuth(r: SdkRequest, date: Date, secret = SK, region = 'us-east-1'): Promise<IncomingSignedRequest> {
  const req = toHttpRequest(r);
  if (!Object.keys(req.headers).some((h) => h.toLowerCase() === 'x-amz-content-sha256')) {
    req.headers = {
      ...req.headers,
      'x-amz-content-sha256': createHash('sha256').update(r.body ?? '').digest('hex'),
    };
  }
  const signed = await s3Signer(secret, region).sign(req, { signingDate: date });
  return wire(signed as never);
}

/**
 * Presigns like @aws-sdk/s3-request-presigner: it sets `X-Amz-Content-Sha256: UNSIGNED-PAYLOAD`,
 * which the signer hoists into the query (a bare SignatureV4.presign would otherwise sign the
 * empty-body hash, which S3 does not accept for presigned URLs).
 */
async function presign(r: SdkRequest, date: Date, expiresIn = 3600): Promise<IncomingSignedRequest> {
  const req = toHttpRequest(r);
  if (!Object.keys(req.headers).some((h) => h.toLowerCase() === 'x-amz-content-sha256')) {
    req.headers = { 'X-Amz-Content-Sha256': 'UNSIGNED-PAYLOAD', ...req.headers };
  }
  const signed = await s3Signer().presign(req, { signingDate: date, expiresIn });
  return wire(signed as never);
}

// ---------------------------------------------------------------------------------------------

describe('deriveSigningKey', () => {
  it('matches the AWS documentation example (iam, 20120215)', () => {
    const key = deriveSigningKey('wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY', '20120215', 'us-east-1', 'iam');
    expect(key.toString('hex')).toBe('f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d');
  });
});

describe('AWS SigV4 test suite (service "service", us-east-1, 20150830T123600Z)', () => {
  const secret = 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY';
  const amzDate = '20150830T123600Z';
  const scope = '20150830/us-east-1/service/aws4_request';
  const key = deriveSigningKey(secret, '20150830', 'us-east-1', 'service');
  const base = { host: 'example.amazonaws.com', 'x-amz-date': amzDate };
  const empty = createHash('sha256').update('').digest('hex');

  const cases: {
    name: string;
    method: string;
    path: string;
    query?: string;
    headers?: Record<string, string | string[]>;
    signed: string[];
    body?: string;
    sig: string;
  }[] = [
    { name: 'get-vanilla', method: 'GET', path: '/', signed: ['host', 'x-amz-date'], sig: '5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31' },
    { name: 'get-vanilla-query-order-key-case', method: 'GET', path: '/', query: 'Param2=value2&Param1=value1', signed: ['host', 'x-amz-date'], sig: 'b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500' },
    { name: 'get-vanilla-query-order-value', method: 'GET', path: '/', query: 'Param1=value2&Param1=value1', signed: ['host', 'x-amz-date'], sig: '5772eed61e12b33fae39ee5e7012498b51d56abc0abb7c60486157bd471c4694' },
    { name: 'get-vanilla-empty-query-key', method: 'GET', path: '/', query: 'Param1=value1', signed: ['host', 'x-amz-date'], sig: 'a67d582fa61cc504c4bae71f336f98b97f1ea3c7a6bfe1b6e45aec72011b9aeb' },
    { name: 'get-unreserved', method: 'GET', path: '/-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz', signed: ['host', 'x-amz-date'], sig: '07ef7494c76fa4850883e2b006601f940f8a34d404d0cfa977f52a65bbf5f24f' },
    { name: 'get-utf8', method: 'GET', path: '/%E1%88%B4', signed: ['host', 'x-amz-date'], sig: '8318018e0b0f223aa2bbf98705b62bb787dc9c0e678f255a891fd03141be5d85' },
    { name: 'get-vanilla-utf8-query', method: 'GET', path: '/', query: '%E1%88%B4=bar', signed: ['host', 'x-amz-date'], sig: '2cdec8eed098649ff3a119c94853b13c643bcf08f8b0a1d91e12c9027818dd04' },
    { name: 'get-space (normalize-path)', method: 'GET', path: '/example space/', signed: ['host', 'x-amz-date'], sig: '652487583200325589f1fba4c7e578f72c47cb61beeca81406b39ddec1366741' },
    { name: 'post-vanilla', method: 'POST', path: '/', signed: ['host', 'x-amz-date'], sig: '5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b' },
    { name: 'post-vanilla-query', method: 'POST', path: '/', query: 'Param1=value1', signed: ['host', 'x-amz-date'], sig: '28038455d6de14eafc1f9222cf5aa6f1a96197d7deb8263271d420d138af7f11' },
    { name: 'post-header-key-sort', method: 'POST', path: '/', headers: { 'my-header1': 'value1' }, signed: ['host', 'my-header1', 'x-amz-date'], sig: 'c5410059b04c1ee005303aed430f6e6645f61f4dc9e1461ec8f8916fdf18852c' },
    { name: 'post-header-value-case', method: 'POST', path: '/', headers: { 'my-header1': 'VALUE1' }, signed: ['host', 'my-header1', 'x-amz-date'], sig: 'cdbc9802e29d2942e5e10b5bccfdd67c5f22c7c4e8ae67b53629efa58b974b7d' },
    { name: 'get-header-value-trim', method: 'GET', path: '/', headers: { 'my-header1': ' value1', 'my-header2': ' "a   b   c"' }, signed: ['host', 'my-header1', 'my-header2', 'x-amz-date'], sig: 'acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736' },
    { name: 'get-header-key-duplicate', method: 'GET', path: '/', headers: { 'my-header1': ['value2', 'value2', 'value1'] }, signed: ['host', 'my-header1', 'x-amz-date'], sig: 'c9d5ea9f3f72853aea855b47ea873832890dbdd183b4468f858259531a5138ea' },
    { name: 'get-header-value-order', method: 'GET', path: '/', headers: { 'my-header1': ['value4', 'value1', 'value3', 'value2'] }, signed: ['host', 'my-header1', 'x-amz-date'], sig: '08c7e5a9acfcfeb3ab6b2185e75ce8b1deb5e634ec47601a50643f830c755c01' },
    { name: 'post-x-www-form-urlencoded', method: 'POST', path: '/', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'Param1=value1', signed: ['content-type', 'host', 'x-amz-date'], sig: 'ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a' },
    { name: 'post-x-www-form-urlencoded-parameters', method: 'POST', path: '/', headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf8' }, body: 'Param1=value1', signed: ['content-type', 'host', 'x-amz-date'], sig: '1a72ec8f64bd914b0e42e42607c7fbce7fb2c7465f63e3092b3b0d39fa77a6fe' },
  ];

  for (const c of cases) {
    it(c.name, () => {
      const req: IncomingSignedRequest = { method: c.method, rawPath: c.path, rawQuery: c.query ?? '', headers: { ...base, ...(c.headers ?? {}) } };
      const payload = c.body === undefined ? empty : createHash('sha256').update(c.body).digest('hex');
      const canonical = canonicalRequestFor(req, c.signed, payload);
      expect(computeSignature(key, amzDate, scope, canonical)).toBe(c.sig);
    });
  }

  it('get-vanilla canonical request is byte-exact', () => {
    const req: IncomingSignedRequest = { method: 'GET', rawPath: '/', rawQuery: '', headers: base };
    expect(canonicalRequestFor(req, ['host', 'x-amz-date'], empty)).toBe(
      `GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\n${empty}`,
    );
  });
});

describe('S3 documentation examples (examplebucket, 20130524T000000Z)', () => {
  const now = new Date('2013-05-24T00:00:00Z');
  const empty = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
  const cred = `${AK}/20130524/us-east-1/s3/aws4_request`;
  const authz = (signed: string, sig: string) => `AWS4-HMAC-SHA256 Credential=${cred},SignedHeaders=${signed},Signature=${sig}`;

  it('GET object with Range', () => {
    const sig = 'f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41';
    const req: IncomingSignedRequest = {
      method: 'GET',
      rawPath: '/test.txt',
      rawQuery: '',
      headers: {
        host: 'examplebucket.s3.amazonaws.com',
        range: 'bytes=0-9',
        'x-amz-content-sha256': empty,
        'x-amz-date': '20130524T000000Z',
        authorization: authz('host;range;x-amz-content-sha256;x-amz-date', sig),
      },
    };
    const res = verifySigV4(req, lookup, now);
    expect(res.accessKey).toBe(AK);
    expect(res.presigned).toBe(false);
    expect(res.payload).toEqual({ kind: 'sha256', hex: empty });
    expect(res.context.scope).toBe('20130524/us-east-1/s3/aws4_request');
    expect(res.context.seedSignature).toBe(sig);
    expect(res.context.amzDate).toBe('20130524T000000Z');
    expect(res.context.region).toBe('us-east-1');
    expect(res.context.signingKey.equals(deriveSigningKey(SK, '20130524', 'us-east-1', 's3'))).toBe(true);
  });

  it('PUT object (path with "$", Date header signed)', () => {
    const payload = createHash('sha256').update('Welcome to Amazon S3.').digest('hex');
    expect(payload).toBe('44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072');
    const req: IncomingSignedRequest = {
      method: 'PUT',
      rawPath: '/test$file.text',
      rawQuery: '',
      headers: {
        host: 'examplebucket.s3.amazonaws.com',
        date: 'Fri, 24 May 2013 00:00:00 GMT',
        'x-amz-date': '20130524T000000Z',
        'x-amz-storage-class': 'REDUCED_REDUNDANCY',
        'x-amz-content-sha256': payload,
        authorization: authz(
          'date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class',
          '98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd',
        ),
      },
    };
    expect(canonicalUri(req.rawPath)).toBe('/test%24file.text');
    expect(verifySigV4(req, lookup, now).payload).toEqual({ kind: 'sha256', hex: payload });
  });

  it('GET bucket lifecycle (?lifecycle -> "lifecycle=")', () => {
    const req: IncomingSignedRequest = {
      method: 'GET',
      rawPath: '/',
      rawQuery: 'lifecycle',
      headers: {
        host: 'examplebucket.s3.amazonaws.com',
        'x-amz-date': '20130524T000000Z',
        'x-amz-content-sha256': empty,
        authorization: authz('host;x-amz-content-sha256;x-amz-date', 'fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543'),
      },
    };
    expect(canonicalRequestFor(req, ['host'], empty).split('\n')[2]).toBe('lifecycle=');
    expect(() => verifySigV4(req, lookup, now)).not.toThrow();
  });

  it('list objects (?max-keys=2&prefix=J)', () => {
    const req: IncomingSignedRequest = {
      method: 'GET',
      rawPath: '/',
      rawQuery: 'max-keys=2&prefix=J',
      headers: {
        host: 'examplebucket.s3.amazonaws.com',
        'x-amz-date': '20130524T000000Z',
        'x-amz-content-sha256': empty,
        authorization: authz('host;x-amz-content-sha256;x-amz-date', '34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7'),
      },
    };
    expect(() => verifySigV4(req, lookup, now)).not.toThrow();
  });

  it('presigned URL for GET /test.txt (86400 s)', () => {
    const req: IncomingSignedRequest = {
      method: 'GET',
      rawPath: '/test.txt',
      rawQuery:
        'X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request' +
        '&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host' +
        '&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404',
      headers: { host: 'examplebucket.s3.amazonaws.com' },
    };
    expect(hasSignature(req)).toBe(true);
    const res = verifySigV4(req, lookup, new Date('2013-05-24T10:00:00Z'));
    expect(res.presigned).toBe(true);
    expect(res.payload).toEqual({ kind: 'unsigned' });
    // one second after expiry
    expectS3Error(() => verifySigV4(req, lookup, new Date('2013-05-25T00:00:01Z')), 'AccessDenied', 'Request has expired');
    // 16 minutes before the signing time
    expectS3Error(() => verifySigV4(req, lookup, new Date('2013-05-23T23:44:00Z')), 'RequestTimeTooSkewed');
    // tampered
    expectS3Error(
      () => verifySigV4({ ...req, rawPath: '/test.txu' }, lookup, new Date('2013-05-24T10:00:00Z')),
      'SignatureDoesNotMatch',
    );
    expectS3Error(
      () => verifySigV4({ ...req, rawQuery: req.rawQuery.replace('86400', '86401') }, lookup, new Date('2013-05-24T10:00:00Z')),
      'SignatureDoesNotMatch',
    );
  });
});

describe('canonical URI', () => {
  it('re-encodes each segment canonically and keeps the structure', () => {
    expect(canonicalUri('/')).toBe('/');
    expect(canonicalUri('')).toBe('/');
    expect(canonicalUri('/b/a b+c')).toBe('/b/a%20b%2Bc');
    expect(canonicalUri('/b/a%20b%2bc')).toBe('/b/a%20b%2Bc');
    expect(canonicalUri('/b/a%2Fb')).toBe('/b/a%2Fb');
    expect(canonicalUri('/b/a//b/')).toBe('/b/a//b/');
    expect(canonicalUri('/b/../x/./y')).toBe('/b/../x/./y');
    expect(canonicalUri('/b/%C3%BC')).toBe('/b/%C3%BC');
    expect(canonicalUri('/b/ü')).toBe('/b/%C3%BC');
    expect(canonicalUri('/b/%zz%4')).toBe('/b/%25zz%254');
    expect(canonicalUri('/b/%FF')).toBe('/b/%FF');
    expect(canonicalUri("/b/!*'()~")).toBe('/b/%21%2A%27%28%29~');
  });
});

describe('round trips with the AWS SDK v3 signer', () => {
  const now = new Date('2024-03-01T12:00:00Z');
  const keys = [
    'plain.txt',
    'with space.txt',
    'a+b=c&d',
    'ünïcødé/日本語/😀',
    'a%2Fb',
    'a//b',
    '../x',
    './x/../../y',
    'dir/',
    "!*'()$@:;,?#[]~",
    'tab\tnew\nline',
  ];

  for (const key of keys) {
    it(`header auth, PUT ${JSON.stringify(key)}`, async () => {
      const req = await signHeaderAuth(
        { method: 'PUT', path: keyPath('bucket', key), query: { 'x-id': 'PutObject' }, headers: { 'content-type': 'text/plain' }, body: 'hello' },
        now,
      );
      const res = verifySigV4(req, lookup, now);
      expect(res.payload).toEqual({ kind: 'sha256', hex: createHash('sha256').update('hello').digest('hex') });
    });

    it(`presigned GET ${JSON.stringify(key)}`, async () => {
      const req = await presign({ method: 'GET', path: keyPath('bucket', key), query: { 'response-content-type': 'a b/c+d' } }, now);
      const res = verifySigV4(req, lookup, new Date(now.getTime() + 1000));
      expect(res.presigned).toBe(true);
      expect(res.payload).toEqual({ kind: 'unsigned' });
    });
  }

  it('a key with a "/" sent as %2F (encoded by the client) verifies', async () => {
    const req = await signHeaderAuth({ method: 'GET', path: '/bucket/dir%2Ffile' }, now);
    expect(() => verifySigV4(req, lookup, now)).not.toThrow();
  });

  it('query names and values with reserved and unicode characters', async () => {
    const req = await signHeaderAuth(
      { method: 'GET', path: '/bucket', query: { 'list-type': '2', prefix: 'a b+c/ü&=', delimiter: '/', 'start-after': '' } },
      now,
    );
    expect(req.rawQuery).toContain('start-after=');
    expect(() => verifySigV4(req, lookup, now)).not.toThrow();
  });

  it('repeated query parameters are sorted by value', async () => {
    const req = await signHeaderAuth({ method: 'GET', path: '/bucket', query: { p: ['z', 'a', 'm'] } }, now);
    expect(() => verifySigV4(req, lookup, now)).not.toThrow();
  });

  it('a client that signs the raw path bytes (lower-case escapes) still verifies', () => {
    const amzDate = '20240301T120000Z';
    const key = deriveSigningKey(SK, '20240301', 'us-east-1', 's3');
    const headers: Record<string, string> = { host: 'h', 'x-amz-date': amzDate, 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' };
    const canonical = `GET\n/b/a%2fb\n\nhost:h\nx-amz-content-sha256:UNSIGNED-PAYLOAD\nx-amz-date:${amzDate}\n\nhost;x-amz-content-sha256;x-amz-date\nUNSIGNED-PAYLOAD`;
    const sig = computeSignature(key, amzDate, '20240301/us-east-1/s3/aws4_request', canonical);
    headers.authorization = `AWS4-HMAC-SHA256 Credential=${AK}/20240301/us-east-1/s3/aws4_request, SignedHeaders=host;x-amz-content-sha256;x-amz-date, Signature=${sig}`;
    const res = verifySigV4({ method: 'GET', rawPath: '/b/a%2fb', rawQuery: '', headers }, lookup, now);
    expect(res.payload).toEqual({ kind: 'unsigned' });
  });

  it('any region string is accepted and used for the key', async () => {
    const req = await signHeaderAuth({ method: 'GET', path: '/bucket/k' }, now, SK, 'eu-central-7');
    const res = verifySigV4(req, lookup, now);
    expect(res.context.region).toBe('eu-central-7');
    expect(res.context.scope).toBe('20240301/eu-central-7/s3/aws4_request');
  });

  it('payload modes', async () => {
    const modes: [string, AuthResult['payload']][] = [
      ['UNSIGNED-PAYLOAD', { kind: 'unsigned' }],
      ['STREAMING-AWS4-HMAC-SHA256-PAYLOAD', { kind: 'streaming-signed', trailer: false }],
      ['STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER', { kind: 'streaming-signed', trailer: true }],
      ['STREAMING-UNSIGNED-PAYLOAD-TRAILER', { kind: 'streaming-unsigned-trailer' }],
      ['ABCDEF0123456789abcdef0123456789ABCDEF0123456789abcdef0123456789', { kind: 'sha256', hex: 'abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789' }],
    ];
    for (const [value, mode] of modes) {
      const req = await signHeaderAuth({ method: 'PUT', path: '/bucket/k', headers: { 'x-amz-content-sha256': value } }, now);
      expect(verifySigV4(req, lookup, now).payload).toEqual(mode);
    }
    const bad = await signHeaderAuth({ method: 'PUT', path: '/bucket/k', headers: { 'x-amz-content-sha256': 'nonsense' } }, now);
    expectS3Error(() => verifySigV4(bad, lookup, now), 'InvalidArgument');
  });

  it('presign honours a signed x-amz-content-sha256 query parameter or header', async () => {
    const hex = createHash('sha256').update('body').digest('hex');
    const hoisted = await presign({ method: 'PUT', path: '/bucket/k', headers: { 'x-amz-content-sha256': hex } }, now);
    expect(hoisted.rawQuery.toLowerCase()).toContain('x-amz-content-sha256=');
    expect(verifySigV4(hoisted, lookup, now).payload).toEqual({ kind: 'sha256', hex });

    const signed = await s3Signer().presign(toHttpRequest({ method: 'PUT', path: '/bucket/k', headers: { 'x-amz-content-sha256': hex } }), {
      signingDate: now,
      unhoistableHeaders: new Set(['x-amz-content-sha256']),
    });
    const asHeader = wire(signed as never);
    expect(asHeader.headers['x-amz-content-sha256']).toBe(hex);
    expect(verifySigV4(asHeader, lookup, now).payload).toEqual({ kind: 'sha256', hex });
  });
});

describe('rejections', () => {
  const now = new Date('2024-03-01T12:00:00Z');
  const base = (): Promise<IncomingSignedRequest> =>
    signHeaderAuth({ method: 'PUT', path: '/bucket/some%20key', query: { uploadId: 'u1', partNumber: '3' }, headers: { 'x-amz-meta-a': 'b' }, body: 'x' }, now);

  it('verifies untampered', async () => {
    expect(() => verifySigV4(base as never, lookup, now)).toThrow();
    const req = await base();
    expect(verifySigV4(req, lookup, now).accessKey).toBe(AK);
  });

  it('tampered header, path, query, method, secret -> SignatureDoesNotMatch', async () => {
    const req = await base();
    expectS3Error(() => verifySigV4({ ...req, headers: { ...req.headers, 'x-amz-meta-a': 'c' } }, lookup, now), 'SignatureDoesNotMatch');
    expectS3Error(() => verifySigV4({ ...req, headers: { ...req.headers, host: 'evil:9000' } }, lookup, now), 'SignatureDoesNotMatch');
    expectS3Error(() => verifySigV4({ ...req, rawPath: '/bucket/some%20kez' }, lookup, now), 'SignatureDoesNotMatch');
    expectS3Error(() => verifySigV4({ ...req, rawPath: '/bucket/some+key' }, lookup, now), 'SignatureDoesNotMatch');
    expectS3Error(() => verifySigV4({ ...req, rawQuery: req.rawQuery.replace('partNumber=3', 'partNumber=4') }, lookup, now), 'SignatureDoesNotMatch');
    expectS3Error(() => verifySigV4({ ...req, rawQuery: req.rawQuery + '&extra=1' }, lookup, now), 'SignatureDoesNotMatch');
    expectS3Error(() => verifySigV4({ ...req, method: 'POST' }, lookup, now), 'SignatureDoesNotMatch');
    const e = expectS3Error(() => verifySigV4(req, () => 'wrong-secret', now), 'SignatureDoesNotMatch');
    expect(e.status).toBe(403);
    expect(e.extra.CanonicalRequest).toContain('/bucket/some%20key');
  });

  it('a signature of the wrong length or case fails', async () => {
    const req = await base();
    const auth = String(req.headers.authorization);
    const sig = auth.slice(auth.lastIndexOf('=') + 1);
    for (const bad of [sig.slice(0, 63), sig + '0', sig.toUpperCase()]) {
      expectS3Error(() => verifySigV4({ ...req, headers: { ...req.headers, authorization: auth.replace(sig, bad) } }, lookup, now), 'SignatureDoesNotMatch');
    }
  });

  it('clock skew of 20 minutes either way -> RequestTimeTooSkewed; 14 minutes is fine', async () => {
    const req = await base();
    expectS3Error(() => verifySigV4(req, lookup, new Date(now.getTime() + 20 * 60_000)), 'RequestTimeTooSkewed');
    expectS3Error(() => verifySigV4(req, lookup, new Date(now.getTime() - 20 * 60_000)), 'RequestTimeTooSkewed');
    expect(() => verifySigV4(req, lookup, new Date(now.getTime() + 14 * 60_000))).not.toThrow();
  });

  it('unknown access key -> InvalidAccessKeyId', async () => {
    const req = await base();
    expectS3Error(() => verifySigV4(req, () => undefined, now), 'InvalidAccessKeyId');
  });

  it('missing x-amz-content-sha256 -> InvalidRequest', async () => {
    const signed = await s3Signer().sign(toHttpRequest({ method: 'GET', path: '/bucket/k' }), { signingDate: now });
    const req = wire(signed as never);
    delete req.headers['x-amz-content-sha256'];
    expectS3Error(() => verifySigV4(req, lookup, now), 'InvalidRequest', 'Missing required header for this request: x-amz-content-sha256');
  });

  it('missing date -> AccessDenied; Date header alone is accepted', async () => {
    const req = await base();
    const noDate = { ...req, headers: { ...req.headers } };
    delete noDate.headers['x-amz-date'];
    expectS3Error(() => verifySigV4(noDate, lookup, now), 'AccessDenied');

    // sign with Date instead of x-amz-date
    const amzDate = '20240301T120000Z';
    const headers: Record<string, string> = {
      host: 'h',
      date: 'Fri, 01 Mar 2024 12:00:00 GMT',
      'x-amz-content-sha256': 'UNSIGNED-PAYLOAD',
    };
    const signedHeaders = ['date', 'host', 'x-amz-content-sha256'];
    const canonical = canonicalRequestFor({ method: 'GET', rawPath: '/b/k', rawQuery: '', headers }, signedHeaders, 'UNSIGNED-PAYLOAD');
    const sig = computeSignature(deriveSigningKey(SK, '20240301', 'us-east-1', 's3'), amzDate, '20240301/us-east-1/s3/aws4_request', canonical);
    headers.authorization = `AWS4-HMAC-SHA256 Credential=${AK}/20240301/us-east-1/s3/aws4_request, SignedHeaders=${signedHeaders.join(';')}, Signature=${sig}`;
    expect(verifySigV4({ method: 'GET', rawPath: '/b/k', rawQuery: '', headers }, lookup, now).context.amzDate).toBe(amzDate);
  });

  it('credential date different from x-amz-date -> AuthorizationHeaderMalformed', async () => {
    const req = await base();
    const auth = String(req.headers.authorization).replace('/20240301/', '/20240229/');
    expectS3Error(() => verifySigV4({ ...req, headers: { ...req.headers, authorization: auth } }, lookup, now), 'AuthorizationHeaderMalformed');
  });

  it('malformed Authorization headers -> AuthorizationHeaderMalformed', async () => {
    const req = await base();
    const good = String(req.headers.authorization);
    const sig = good.slice(good.lastIndexOf('=') + 1);
    const bad = [
      'AWS4-HMAC-SHA256',
      'AWS4-HMAC-SHA256 ',
      `AWS4-HMAC-SHA256 Credential=${AK}/20240301/us-east-1/s3/aws4_request, Signature=${sig}`,
      `AWS4-HMAC-SHA256 Credential=${AK}/20240301/us-east-1/s3/aws4_request, SignedHeaders=host;x-amz-date`,
      `AWS4-HMAC-SHA256 SignedHeaders=host;x-amz-date, Signature=${sig}`,
      `AWS4-HMAC-SHA256 Credential=${AK}/20240301/us-east-1/s3, SignedHeaders=host, Signature=${sig}`,
      `AWS4-HMAC-SHA256 Credential=${AK}/20240301/us-east-1/ec2/aws4_request, SignedHeaders=host, Signature=${sig}`,
      `AWS4-HMAC-SHA256 Credential=${AK}/2024031/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=${sig}`,
      `AWS4-HMAC-SHA256 Credential=${AK}/20240301/us-east-1/s3/aws5_request, SignedHeaders=host, Signature=${sig}`,
      `AWS4-HMAC-SHA256 Credential=${AK}/20240301/us-east-1/s3/aws4_request, SignedHeaders=x-amz-date, Signature=${sig}`,
      `AWS4-HMAC-SHA256 Credential=${AK}/20240301/us-east-1/s3/aws4_request, SignedHeaders=Host;x-amz-date, Signature=${sig}`,
      `AWS4-HMAC-SHA256 Credential=${AK}/20240301/us-east-1/s3/aws4_request SignedHeaders=host Signature=${sig}`,
      `AWS4-HMAC-SHA256Credential=${AK}/20240301/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=${sig}`,
      `AWS4-HMAC-SHA256 Credential=${AK}/20240301/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=${sig}, Foo=bar`,
      'AWS4-HMAC-SHA512 Credential=x',
    ];
    for (const authorization of bad) {
      expectS3Error(() => verifySigV4({ ...req, headers: { ...req.headers, authorization } }, lookup, now), 'AuthorizationHeaderMalformed');
    }
  });

  it('tolerates spaces around commas and no spaces at all', async () => {
    const req = await base();
    const good = String(req.headers.authorization);
    for (const variant of [good.replace(/, /g, ','), good.replace(/, /g, ' ,   '), good.replace('AWS4-HMAC-SHA256 ', 'AWS4-HMAC-SHA256   ')]) {
      expect(() => verifySigV4({ ...req, headers: { ...req.headers, authorization: variant } }, lookup, now)).not.toThrow();
    }
  });

  it('unsigned x-amz-* headers -> AccessDenied (HeadersNotSigned)', async () => {
    const req = await base();
    const e = expectS3Error(() => verifySigV4({ ...req, headers: { ...req.headers, 'x-amz-meta-added': '1' } }, lookup, now), 'AccessDenied');
    expect(e.extra.HeadersNotSigned).toBe('x-amz-meta-added');
  });

  it('SigV2 and both mechanisms at once are rejected', async () => {
    const req = await base();
    expectS3Error(() => verifySigV4({ ...req, headers: { ...req.headers, authorization: 'AWS AK:abc=' } }, lookup, now), 'InvalidRequest');
    expectS3Error(() => verifySigV4({ ...req, rawQuery: req.rawQuery + '&X-Amz-Algorithm=AWS4-HMAC-SHA256' }, lookup, now), 'InvalidArgument');
  });

  it('hasSignature', () => {
    expect(hasSignature({ method: 'GET', rawPath: '/', rawQuery: '', headers: {} })).toBe(false);
    expect(hasSignature({ method: 'GET', rawPath: '/', rawQuery: 'a=b', headers: { authorization: 'AWS a:b' } })).toBe(false);
    expect(hasSignature({ method: 'GET', rawPath: '/', rawQuery: '', headers: { authorization: 'AWS4-HMAC-SHA256 Credential=x' } })).toBe(true);
    expect(hasSignature({ method: 'GET', rawPath: '/', rawQuery: 'x=1&X-Amz-Algorithm=AWS4-HMAC-SHA256', headers: {} })).toBe(true);
    expectS3Error(() => verifySigV4({ method: 'GET', rawPath: '/', rawQuery: '', headers: {} }, lookup, now), 'AccessDenied');
  });
});

describe('presign rejections', () => {
  const now = new Date('2024-03-01T12:00:00Z');

  it('expired -> AccessDenied "Request has expired"', async () => {
    const req = await presign({ method: 'GET', path: '/bucket/k' }, now, 60);
    expect(() => verifySigV4(req, lookup, new Date(now.getTime() + 60_000))).not.toThrow();
    expectS3Error(() => verifySigV4(req, lookup, new Date(now.getTime() + 61_000)), 'AccessDenied', /^Request has expired$/);
  });

  it('dated more than 15 minutes in the future -> RequestTimeTooSkewed', async () => {
    const req = await presign({ method: 'GET', path: '/bucket/k' }, new Date(now.getTime() + 16 * 60_000));
    expectS3Error(() => verifySigV4(req, lookup, now), 'RequestTimeTooSkewed');
    const ok = await presign({ method: 'GET', path: '/bucket/k' }, new Date(now.getTime() + 14 * 60_000));
    expect(() => verifySigV4(ok, lookup, now)).not.toThrow();
  });

  it('bad X-Amz-Expires / algorithm / missing params -> AuthorizationQueryParametersError', async () => {
    const req = await presign({ method: 'GET', path: '/bucket/k' }, now);
    const variants = [
      req.rawQuery.replace('X-Amz-Expires=3600', 'X-Amz-Expires=0'),
      req.rawQuery.replace('X-Amz-Expires=3600', 'X-Amz-Expires=604801'),
      req.rawQuery.replace('X-Amz-Expires=3600', 'X-Amz-Expires=-5'),
      req.rawQuery.replace('X-Amz-Expires=3600', 'X-Amz-Expires=abc'),
      req.rawQuery.replace('X-Amz-Algorithm=AWS4-HMAC-SHA256', 'X-Amz-Algorithm=AWS4-HMAC-SHA1'),
      req.rawQuery.replace(/&?X-Amz-SignedHeaders=[^&]*/, ''),
      req.rawQuery.replace(/&?X-Amz-Signature=[^&]*/, ''),
      req.rawQuery.replace('X-Amz-Date=20240301T120000Z', 'X-Amz-Date=2024-03-01'),
      req.rawQuery.replace('%2F20240301%2F', '%2F20240302%2F'),
      req.rawQuery.replace('%2Fs3%2F', '%2Fsqs%2F'),
    ];
    for (const rawQuery of variants) {
      expect(rawQuery).not.toBe(req.rawQuery);
      expectS3Error(() => verifySigV4({ ...req, rawQuery }, lookup, now), 'AuthorizationQueryParametersError');
    }
    const week = await presign({ method: 'GET', path: '/bucket/k' }, now, 604800);
    expect(() => verifySigV4(week, lookup, new Date(now.getTime() + 604799_000))).not.toThrow();
  });

  it('tampering with a presigned URL -> SignatureDoesNotMatch; unsigned x-amz header -> AccessDenied', async () => {
    const req = await presign({ method: 'GET', path: '/bucket/k', query: { versionId: 'v1' } }, now);
    expectS3Error(() => verifySigV4({ ...req, rawQuery: req.rawQuery.replace('versionId=v1', 'versionId=v2') }, lookup, now), 'SignatureDoesNotMatch');
    expectS3Error(() => verifySigV4({ ...req, method: 'PUT' }, lookup, now), 'SignatureDoesNotMatch');
    expectS3Error(() => verifySigV4({ ...req, headers: { ...req.headers, 'x-amz-meta-x': '1' } }, lookup, now), 'AccessDenied');
    expectS3Error(() => verifySigV4(req, () => 'other', now), 'SignatureDoesNotMatch');
    expectS3Error(() => verifySigV4(req, () => undefined, now), 'InvalidAccessKeyId');
  });
});

// ---------------------------------------------------------------------------------------------
// The real S3 client against a tiny server that runs verifySigV4 on every request.

describe('@aws-sdk/client-s3 end to end', () => {
  let server: http.Server;
  let client: S3Client;
  const seen: { url: string; result?: AuthResult; error?: S3Error; headers: http.IncomingHttpHeaders; body: Buffer }[] = [];

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const url = req.url ?? '/';
        const q = url.indexOf('?');
        const incoming: IncomingSignedRequest = {
          method: req.method ?? 'GET',
          rawPath: q < 0 ? url : url.slice(0, q),
          rawQuery: q < 0 ? '' : url.slice(q + 1),
          headers: req.headersDistinct,
        };
        const entry: (typeof seen)[number] = { url, headers: req.headers, body: Buffer.concat(chunks) };
        seen.push(entry);
        try {
          entry.result = verifySigV4(incoming, lookup);
        } catch (err) {
          entry.error = err as S3Error;
          res.statusCode = entry.error.status ?? 500;
          res.setHeader('content-type', 'application/xml');
          res.end(`<?xml version="1.0" encoding="UTF-8"?><Error><Code>${entry.error.code}</Code><Message>${entry.error.message}</Message></Error>`);
          return;
        }
        res.setHeader('content-type', 'application/xml');
        if (req.method === 'GET' && /[?&]list-type=2/.test(url)) {
          res.end('<?xml version="1.0" encoding="UTF-8"?><ListBucketResult><Name>b</Name><KeyCount>0</KeyCount><IsTruncated>false</IsTruncated></ListBucketResult>');
        } else if (req.method === 'POST' && /[?&]delete/.test(url)) {
          res.end('<?xml version="1.0" encoding="UTF-8"?><DeleteResult></DeleteResult>');
        } else if (req.method === 'PUT' && req.headers['x-amz-copy-source']) {
          res.end('<?xml version="1.0" encoding="UTF-8"?><CopyObjectResult><ETag>"x"</ETag></CopyObjectResult>');
        } else if (req.method === 'GET') {
          res.setHeader('content-type', 'application/octet-stream');
          res.end('0123456789');
        } else {
          res.statusCode = req.method === 'DELETE' ? 204 : 200;
          res.end();
        }
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    client = new S3Client({
      endpoint: `http://127.0.0.1:${port}`,
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: { accessKeyId: AK, secretAccessKey: SK },
      maxAttempts: 1,
    });
  });

  afterAll(async () => {
    client?.destroy();
    await new Promise<void>((resolve) => server?.close(() => resolve()));
  });

  const keys = ['plain', 'a b+c=d&e', 'ü/日本語/😀', 'a%2Fb', 'a//b', 'dir/', "!*'()$@:;,~", '../x', './a/../b'];

  it('every operation verifies for tricky keys', async () => {
    seen.length = 0;
    for (const key of keys) {
      await client.send(new PutObjectCommand({ Bucket: 'b', Key: key, Body: Buffer.from('hello world'), Metadata: { 'x-y': 'z  z' } }));
      await client.send(new GetObjectCommand({ Bucket: 'b', Key: key, Range: 'bytes=0-9' }));
      await client.send(new HeadObjectCommand({ Bucket: 'b', Key: key }));
      await client.send(new CopyObjectCommand({ Bucket: 'b', Key: key + '.copy', CopySource: `b/${encodeURIComponent(key)}` }));
      await client.send(new ListObjectsV2Command({ Bucket: 'b', Prefix: key, Delimiter: '/', StartAfter: key }));
      await client.send(new DeleteObjectsCommand({ Bucket: 'b', Delete: { Objects: [{ Key: key }] } }));
      await client.send(new DeleteObjectCommand({ Bucket: 'b', Key: key }));
    }
    expect(seen.filter((s) => s.error).map((s) => `${s.url}: ${s.error!.code}`)).toEqual([]);
    expect(seen.length).toBe(keys.length * 7);
  });

  it('PutObject with a Buffer sends a signed sha256 payload plus x-amz-checksum-crc32', async () => {
    seen.length = 0;
    await client.send(new PutObjectCommand({ Bucket: 'b', Key: 'k', Body: Buffer.from('hello world') }));
    const [s] = seen;
    expect(s!.result!.payload).toEqual({ kind: 'sha256', hex: createHash('sha256').update('hello world').digest('hex') });
    expect(s!.headers['x-amz-checksum-crc32']).toBe('DUoRhQ==');
    expect(s!.headers['x-amz-sdk-checksum-algorithm']).toBe('CRC32');
  });

  it('PutObject with a stream sends STREAMING-UNSIGNED-PAYLOAD-TRAILER aws-chunked', async () => {
    seen.length = 0;
    await client.send(
      new PutObjectCommand({ Bucket: 'b', Key: 'k', Body: Readable.from([Buffer.from('hello '), Buffer.from('world')]), ContentLength: 11 }),
    );
    const [s] = seen;
    expect(s!.result!.payload).toEqual({ kind: 'streaming-unsigned-trailer' });
    expect(s!.headers['content-encoding']).toBe('aws-chunked');
    expect(s!.headers['x-amz-trailer']).toBe('x-amz-checksum-crc32');
    expect(s!.headers['x-amz-decoded-content-length']).toBe('11');
    expect(s!.body.toString('latin1')).toBe('6\r\nhello \r\n5\r\nworld\r\n0\r\nx-amz-checksum-crc32:DUoRhQ==\r\n\r\n');
  });

  it('a presigned URL from the SDK signer works over HTTP', async () => {
    const { port } = server.address() as AddressInfo;
    const signer = s3Signer();
    const signed = await signer.presign(
      { method: 'GET', protocol: 'http:', hostname: '127.0.0.1', port, path: keyPath('b', 'a b+c/ü'), query: { 'x-id': 'GetObject' }, headers: { host: `127.0.0.1:${port}`, 'X-Amz-Content-Sha256': 'UNSIGNED-PAYLOAD' } },
      { expiresIn: 300 },
    );
    const w = wire(signed as never);
    seen.length = 0;
    const status = await new Promise<number>((resolve, reject) => {
      http.get({ host: '127.0.0.1', port, path: `${w.rawPath}?${w.rawQuery}` }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      }).on('error', reject);
    });
    expect(seen[0]!.error).toBeUndefined();
    expect(status).toBe(200);
    expect(seen[0]!.result!.presigned).toBe(true);
  });

  it('a wrong secret is refused with SignatureDoesNotMatch', async () => {
    const { port } = server.address() as AddressInfo;
    const bad = new S3Client({
      endpoint: `http://127.0.0.1:${port}`,
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: { accessKeyId: AK, secretAccessKey: 'nope' },
      maxAttempts: 1,
    });
    await expect(bad.send(new HeadObjectCommand({ Bucket: 'b', Key: 'k' }))).rejects.toBeTruthy();
    expect(seen.at(-1)!.error!.code).toBe('SignatureDoesNotMatch');
    bad.destroy();
  });
});

// keep createHmac referenced for readers comparing with the doc's derivation steps
void createHmac;
