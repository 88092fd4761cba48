/**
 * Regression: verifySigV2 also tried the string to sign encoded as Latin-1 whenever it held a
 * non-ASCII character (meant for header bytes, which Node reads as Latin-1). Values decoded from the
 * query (a URL's x-amz-* headers, sub-resource values) are UTF-8 and may hold characters above U+00FF,
 * which Latin-1 encoding cuts to their low byte: `š` (U+0161) is signed as `a` (0x61). A V2 URL
 * presigned to copy `bucket/a` therefore copied `bucket/š` (any key whose characters agree with the
 * signed one's modulo 256), and any signed query value could be swapped the same way.
 */
import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { errorCode, rawRequest } from '../helpers/raw.js';
import { ACCESS_KEY, SECRET_KEY, TestServer, endServer, serverWithBuckets } from '../helpers/server.js';
import { v2PresignQuery } from '../helpers/sigv2.js';

const BUCKET = 'v2-copy-source';
const KEYS = { accessKey: ACCESS_KEY, secretKey: SECRET_KEY };
let server: TestServer;
let s3: S3Client;

beforeAll(async () => {
  ({ server, s3 } = await serverWithBuckets([BUCKET]));
  await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'a', Body: 'the object the URL was made for' }));
  await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: '\u0161', Body: 'another object' }));
});

afterAll(() => endServer(server, s3));

function copyUrl(destination: string, signedSource: string, sentSource: string): string {
  const expires = Math.floor(Date.now() / 1000) + 600;
  const auth = v2PresignQuery({ method: 'PUT', path: `/${BUCKET}/${destination}`, headers: { 'x-amz-copy-source': signedSource } }, KEYS, expires);
  return `x-amz-copy-source=${encodeURIComponent(sentSource)}&${auth}`;
}

it('the URL copies the source it was signed for', async () => {
  const res = await rawRequest(server.endpoint, { method: 'PUT', path: `/${BUCKET}/made-for`, query: copyUrl('made-for', `${BUCKET}/a`, `${BUCKET}/a`), sign: false });
  expect(res.status, res.text).toBe(200);
});

it('the URL does not copy a source whose characters only agree with the signed one in their low byte', async () => {
  const res = await rawRequest(server.endpoint, { method: 'PUT', path: `/${BUCKET}/swapped`, query: copyUrl('swapped', `${BUCKET}/a`, `${BUCKET}/\u0161`), sign: false });
  expect(errorCode(res.text), res.text).toBe('SignatureDoesNotMatch');
  const copied = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'swapped' })).then(
    (out) => out.Body!.transformToString(),
    (err: Error) => err.name,
  );
  expect(copied).toBe('NoSuchKey');
});
