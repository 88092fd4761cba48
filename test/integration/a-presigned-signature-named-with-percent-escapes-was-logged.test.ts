/**
 * A presigned URL may percent-encode any character of its parameters' names: the server decodes them
 * (`X-Amz-%53ignature` is X-Amz-Signature, `%53ignature` SigV2's Signature), so the log's redaction must
 * too. A request that fails with an internal error (armed failpoint) logs its URL: no signature, secret
 * key or credential may be in the server's output.
 */
import { CreateBucketCommand, DeleteBucketCommand, type S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { logLines } from '../helpers/log-lines.js';
import { ROOT_KEYS } from '../helpers/iam-fixtures.js';
import { SECRET_KEY, TestServer } from '../helpers/server.js';
import { v2PresignQuery } from '../helpers/sigv2.js';

describe('a presigned URL whose signature parameter is named with percent escapes', () => {
  let server: TestServer;
  let s3: S3Client;

  beforeAll(async () => {
    // Every bucket deletion fails with an internal error after its checks (after authentication).
    server = await TestServer.start({ env: { TESSERA_FAILPOINTS: 'pool.delete-bucket.checked=error:100' } });
    s3 = server.client();
    await s3.send(new CreateBucketCommand({ Bucket: 'escaped' }));
  });
  afterAll(async () => {
    s3?.destroy();
    await server?.destroy();
  });

  /** Sends the presigned DELETE, expects the internal error, and answers what the server wrote meanwhile. */
  async function failWith(url: string): Promise<string> {
    const before = server.output.length;
    const res = await fetch(url, { method: 'DELETE' });
    await res.arrayBuffer();
    expect(res.status).toBe(500);
    await new Promise((r) => setTimeout(r, 200));
    const added = server.output.slice(before);
    expect(logLines(added).some((line) => line.level === 'error' && line.msg.endsWith('internal error'))).toBe(true);
    return added;
  }

  it('SigV4: X-Amz-%53ignature is redacted', async () => {
    const url = await getSignedUrl(s3, new DeleteBucketCommand({ Bucket: 'escaped' }), { expiresIn: 300 });
    const signature = new URL(url).searchParams.get('X-Amz-Signature')!;
    const output = await failWith(url.replace('X-Amz-Signature=', 'X-Amz-%53ignature='));
    expect(output).not.toContain(signature);
    expect(output).not.toContain(SECRET_KEY);
  });

  it('SigV2: %53ignature and AWSAcc%65ssKeyId are redacted', async () => {
    const query = v2PresignQuery({ method: 'DELETE', path: '/escaped' }, ROOT_KEYS, Math.floor(Date.now() / 1000) + 300);
    const signature = new URLSearchParams(query).get('Signature')!;
    const escaped = query.replace('Signature=', '%53ignature=').replace('AWSAccessKeyId=', 'AWSAcc%65ssKeyId=');
    const output = await failWith(`${server.endpoint}/escaped?${escaped}`);
    expect(output).not.toContain(encodeURIComponent(signature));
    expect(output).not.toContain(signature);
    expect(output).toContain('%53ignature=REDACTED');
  });
});
