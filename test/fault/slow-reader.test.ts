/**
 * Issue 10, failure 7: "One slow GET blocks every write, then every read, of its key". A GET holds
 * no lock while its body streams, so a client that reads nothing delays no PUT of the key; the data
 * it reads is kept until it finishes, so it still gets every byte of the version it started.
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, describe, expect, it } from 'vitest';
import { buildHeaders, openRaw, sha256Hex } from '../helpers/raw.js';
import { TestServer } from '../helpers/server.js';

const BUCKET = 'slow-readers';
const KEY = 'popular';
const MiB = 1024 * 1024;

describe('a GET whose client reads slowly', () => {
  let server: TestServer | undefined;
  afterAll(async () => server?.destroy());

  it('one slow GET blocks every write, then every read, of its key: it blocks none, and reads its own version whole', async () => {
    server = await TestServer.start({ drives: 4 });
    const s3 = server.client({ maxAttempts: 1 });
    await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
    const first = randomBytes(24 * MiB);
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: KEY, Body: first }));

    // A GET whose client takes its headers and then reads nothing.
    const path = `/${BUCKET}/${KEY}`;
    const { req } = openRaw(server.endpoint, 'GET', path, buildHeaders(server.endpoint, { method: 'GET', path }));
    const stalled = await new Promise<IncomingMessage>((resolve, reject) => {
      req.on('response', (res) => {
        res.pause();
        resolve(res);
      });
      req.on('error', reject);
      req.end();
    });
    expect(stalled.statusCode).toBe(200);

    // Overwrites and reads of the key go on meanwhile.
    const second = randomBytes(2 * MiB);
    const started = Date.now();
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: KEY, Body: second }), { abortSignal: AbortSignal.timeout(10_000) });
    const got = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: KEY }), { abortSignal: AbortSignal.timeout(10_000) });
    expect(sha256Hex(await got.Body!.transformToByteArray())).toBe(sha256Hex(second));
    console.log(`overwrite and read beside a stalled GET: ${Date.now() - started} ms`);

    // The stalled client, reading at last, gets the whole first version.
    const chunks: Buffer[] = [];
    stalled.on('data', (c: Buffer) => chunks.push(c));
    await new Promise<void>((resolve, reject) => {
      stalled.on('end', resolve);
      stalled.on('error', reject);
      stalled.resume();
    });
    expect(sha256Hex(Buffer.concat(chunks))).toBe(sha256Hex(first));
    s3.destroy();
  });
});
