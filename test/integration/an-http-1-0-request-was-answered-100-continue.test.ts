/**
 * Regression: `Expect: 100-continue` is answered by askForBody when a handler reads the body. Node
 * only treats the expectation (checkContinue) for HTTP/1.1 requests; an HTTP/1.0 request carrying it
 * reaches the handler as a plain request, and askForBody still wrote `HTTP/1.1 100 Continue` to a
 * client that cannot take interim answers (RFC 9110 10.1.1: a server MUST ignore the expectation in an
 * HTTP/1.0 request). The answer must be the final one only.
 */
import { type S3Client } from '@aws-sdk/client-s3';
import { connect } from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { signV4, sha256Hex } from '../helpers/raw.js';
import { TestServer, endServer, serverWithBuckets } from '../helpers/server.js';

const BUCKET = 'http10-expect';
let server: TestServer;
let s3: S3Client;

beforeAll(async () => ({ server, s3 } = await serverWithBuckets([BUCKET])));

afterAll(() => endServer(server, s3));

/** Sends `head` and `body` on one connection and reads everything until the server closes it. */
function exchange(head: string, body: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(server.port, '127.0.0.1', () => socket.write(head + body));
    let text = '';
    socket.on('data', (chunk: Buffer) => (text += chunk.toString('latin1')));
    socket.on('end', () => resolve(text));
    socket.on('error', reject);
    socket.setTimeout(5_000, () => socket.destroy(new Error(`no end; got ${text}`)));
  });
}

it('a PUT over HTTP/1.0 with Expect: 100-continue gets only its final answer', async () => {
  const body = 'abc';
  const host = `127.0.0.1:${server.port}`;
  const { headers } = signV4({ method: 'PUT', path: `/${BUCKET}/k`, headers: { host, 'content-length': String(body.length), expect: '100-continue' }, payloadHash: sha256Hex(body) });
  const head = `PUT /${BUCKET}/k HTTP/1.0\r\n${Object.entries(headers).map(([name, value]) => `${name}: ${value}\r\n`).join('')}\r\n`;
  const answer = await exchange(head, body);
  expect(answer).toMatch(/^HTTP\/1\.1 200 /);
  expect(answer).not.toContain('100 Continue');
});
