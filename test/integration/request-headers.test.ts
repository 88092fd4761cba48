/**
 * Request framing as AWS S3 handles it: Expect (100-continue answered only once the request is
 * accepted; other values ignored), bodies sent chunked without a Content-Length, Content-Encoding
 * with aws-chunked among other encodings, and an empty Authorization header.
 */
import { GetObjectCommand, HeadObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  STREAMING_UNSIGNED_TRAILER,
  UNSIGNED_PAYLOAD,
  buildHeaders,
  errorCode,
  openRaw,
  rawRequest,
  sha256Hex,
  unsignedChunk,
  unsignedTrailerEnd,
  type RawResponse,
} from '../helpers/raw.js';
import { TestServer, endServer, serverWithBuckets } from '../helpers/server.js';

const BUCKET = 'framing';
let server: TestServer;
let s3: S3Client;

beforeAll(async () => ({ server, s3 } = await serverWithBuckets([BUCKET], { drives: 4 })));

afterAll(() => endServer(server, s3));

async function bodyOf(key: string): Promise<string> {
  return (await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }))).Body!.transformToString();
}

interface ContinueOutcome {
  /** The server sent `100 Continue` before its answer. */
  continued: boolean;
  /** Body bytes written (only after a 100 Continue). */
  sent: boolean;
  response: RawResponse;
}

/** A request with `Expect: 100-continue` whose body is written only if the server asks for it. */
async function expectContinue(path: string, headers: Record<string, string>, body: Buffer): Promise<ContinueOutcome> {
  const { req, response } = openRaw(server.endpoint, 'PUT', path, { ...headers, expect: '100-continue' });
  const outcome = { continued: false, sent: false };
  req.on('continue', () => {
    outcome.continued = true;
    outcome.sent = true;
    req.end(body);
  });
  req.flushHeaders();
  const answer = await response;
  if (!outcome.sent) req.destroy();
  return { ...outcome, response: answer };
}

function signedPut(key: string, body: Buffer, extra: Record<string, string> = {}): Record<string, string> {
  return buildHeaders(server.endpoint, { method: 'PUT', path: `/${BUCKET}/${key}`, headers: { 'content-length': String(body.length), ...extra }, payloadHash: sha256Hex(body) });
}

describe('Expect', () => {
  it('100-continue with a valid signature: 100 Continue, then the body is stored', async () => {
    const body = Buffer.from('continued body');
    const outcome = await expectContinue(`/${BUCKET}/continue-ok`, signedPut('continue-ok', body), body);
    expect(outcome.response.status).toBe(200);
    expect(outcome.continued).toBe(true);
    expect(await bodyOf('continue-ok')).toBe('continued body');
  });

  it('100-continue with a bad signature: 403 before the body is asked for', async () => {
    const body = Buffer.from('never sent');
    const headers = signedPut('continue-bad', body);
    headers.authorization = headers.authorization!.replace(/Signature=[0-9a-f]{4}/, 'Signature=0000');
    const outcome = await expectContinue(`/${BUCKET}/continue-bad`, headers, body);
    expect(outcome.continued).toBe(false);
    expect(outcome.response.status).toBe(403);
    expect(errorCode(outcome.response.text)).toBe('SignatureDoesNotMatch');
  });

  it('100-continue to a bucket that is not there: 404 NoSuchBucket before the body is asked for', async () => {
    const body = Buffer.from('never sent');
    const headers = buildHeaders(server.endpoint, { method: 'PUT', path: '/no-such-framing-bucket/k', headers: { 'content-length': String(body.length) }, payloadHash: sha256Hex(body) });
    const outcome = await expectContinue('/no-such-framing-bucket/k', headers, body);
    expect(outcome.continued).toBe(false);
    expect(outcome.response.status).toBe(404);
    expect(errorCode(outcome.response.text)).toBe('NoSuchBucket');
  });

  it('an Expect value other than 100-continue is ignored (not 417)', async () => {
    const body = Buffer.from('expect ignored');
    const res = await rawRequest(server.endpoint, { method: 'PUT', path: `/${BUCKET}/expect-other`, headers: { expect: 'something-else' }, body });
    expect(res.status).toBe(200);
    expect(await bodyOf('expect-other')).toBe('expect ignored');
  });
});

describe('Transfer-Encoding: chunked without Content-Length', () => {
  /** Sends `body` with Transfer-Encoding: chunked (Node frames it), signed as `payloadHash`. */
  async function chunkedPut(key: string, body: Buffer, payloadHash: string, extra: Record<string, string> = {}): Promise<RawResponse> {
    const path = `/${BUCKET}/${key}`;
    const headers = buildHeaders(server.endpoint, { method: 'PUT', path, headers: { 'transfer-encoding': 'chunked', ...extra }, payloadHash });
    const { req, response } = openRaw(server.endpoint, 'PUT', path, headers);
    req.write(body.subarray(0, 5));
    req.end(body.subarray(5));
    return response;
  }

  it('no length anywhere: 411 MissingContentLength, nothing stored', async () => {
    const res = await chunkedPut('chunked-bare', Buffer.from('no length given'), UNSIGNED_PAYLOAD);
    expect(res.status).toBe(411);
    expect(errorCode(res.text)).toBe('MissingContentLength');
    await expect(s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'chunked-bare' }))).rejects.toMatchObject({ name: 'NotFound' });
  });

  it('with x-amz-decoded-content-length: stored, and the length is held to', async () => {
    const body = Buffer.from('sized by the decoded length');
    const res = await chunkedPut('chunked-sized', body, UNSIGNED_PAYLOAD, { 'x-amz-decoded-content-length': String(body.length) });
    expect(res.status).toBe(200);
    expect(await bodyOf('chunked-sized')).toBe(body.toString());
    const short = await chunkedPut('chunked-short', body, UNSIGNED_PAYLOAD, { 'x-amz-decoded-content-length': String(body.length + 1) });
    expect(errorCode(short.text)).toBe('IncompleteBody');
  });

  it('a coding other than chunked (gzip, chunked) is NotImplemented naming Transfer-Encoding, nothing stored', async () => {
    const body = Buffer.from('would be stored still gzipped');
    const res = await chunkedPut('chunked-gzip', body, UNSIGNED_PAYLOAD, { 'transfer-encoding': 'gzip, chunked', 'x-amz-decoded-content-length': String(body.length) });
    expect([res.status, errorCode(res.text)]).toEqual([501, 'NotImplemented']);
    expect(res.text).toContain('<Header>Transfer-Encoding</Header>');
    await expect(s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'chunked-gzip' }))).rejects.toMatchObject({ name: 'NotFound' });
  });

  it('a streaming (aws-chunked) payload with its decoded length: stored', async () => {
    const data = Buffer.from('aws-chunked inside http chunked');
    const framed = Buffer.concat([unsignedChunk(data), unsignedTrailerEnd({})]);
    const res = await chunkedPut('chunked-streaming', framed, STREAMING_UNSIGNED_TRAILER, {
      'content-encoding': 'aws-chunked',
      'x-amz-decoded-content-length': String(data.length),
    });
    expect(res.status).toBe(200);
    expect(await bodyOf('chunked-streaming')).toBe(data.toString());
  });
});

describe('Content-Encoding', () => {
  const streamed = async (key: string, encoding: string): Promise<string | undefined> => {
    const data = Buffer.from('encoded');
    const body = Buffer.concat([unsignedChunk(data), unsignedTrailerEnd({})]);
    const res = await rawRequest(server.endpoint, {
      method: 'PUT',
      path: `/${BUCKET}/${key}`,
      headers: { 'content-encoding': encoding, 'x-amz-decoded-content-length': String(data.length) },
      body,
      payloadHash: STREAMING_UNSIGNED_TRAILER,
    });
    expect(res.status).toBe(200);
    return (await s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key }))).ContentEncoding;
  };

  it('aws-chunked is framing, not stored; the other encodings are kept as written', async () => {
    expect(await streamed('enc-1', 'aws-chunked, gzip')).toBe('gzip');
    expect(await streamed('enc-2', 'aws-chunked')).toBeUndefined();
    expect(await streamed('enc-3', 'gzip, aws-chunked, br')).toBe('gzip, br');
    expect(await streamed('enc-4', 'gzip,br,aws-chunked')).toBe('gzip,br');
  });
});

describe('Authorization', () => {
  it('an empty Authorization header is an anonymous request: AccessDenied on a private bucket, not a parse error', async () => {
    const res = await rawRequest(server.endpoint, { method: 'GET', path: `/${BUCKET}`, headers: { authorization: '' }, sign: false });
    expect(res.status).toBe(403);
    expect(errorCode(res.text)).toBe('AccessDenied');
  });
});
