/**
 * Regression: a V2 URL may carry x-amz-* headers in its query, signed as the headers they stand for,
 * and the server reads them as that request's headers. The payload a V2 request proves was worked out
 * from the real headers alone, so x-amz-content-sha256 signed in a URL's query was never checked: the
 * URL stored any body, while the same header sent as a header is checked (XAmzContentSHA256Mismatch).
 */
import { HeadObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { errorCode, rawRequest } from '../helpers/raw.js';
import { ACCESS_KEY, SECRET_KEY, TestServer, endServer, serverWithBuckets } from '../helpers/server.js';
import { v2PresignQuery } from '../helpers/sigv2.js';

const BUCKET = 'v2-url-sha256';
const KEYS = { accessKey: ACCESS_KEY, secretKey: SECRET_KEY };
let server: TestServer;
let s3: S3Client;

beforeAll(async () => ({ server, s3 } = await serverWithBuckets([BUCKET])));

afterAll(() => endServer(server, s3));

it('a body other than the one whose SHA-256 the URL signed is refused', async () => {
  const sha256 = createHash('sha256').update('the body the URL was made for').digest('hex');
  const auth = v2PresignQuery({ method: 'PUT', path: `/${BUCKET}/k`, headers: { 'x-amz-content-sha256': sha256 } }, KEYS, Math.floor(Date.now() / 1000) + 600);
  const res = await rawRequest(server.endpoint, { method: 'PUT', path: `/${BUCKET}/k`, query: `x-amz-content-sha256=${sha256}&${auth}`, body: 'another body', sign: false });
  expect(errorCode(res.text), res.text).toBe('XAmzContentSHA256Mismatch');
  const stored = await s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'k' })).then(
    () => 'stored',
    (err: Error) => err.name,
  );
  expect(stored).toBe('NotFound');
});
