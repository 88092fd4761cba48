/**
 * No secret is ever written out by the server: a typical session (uploads, presigned URLs good and
 * bad, wrong keys) leaves neither the secret key nor any signature in its output, and the start-up
 * banner names the root user and where the credentials came from, never the secret.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand, GetObjectCommand, ListBucketsCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { afterAll, describe, expect, it } from 'vitest';
import { ACCESS_KEY, SECRET_KEY, TestServer } from '../helpers/server.js';
import { startupLine } from '../helpers/log-lines.js';

const servers: TestServer[] = [];
async function start(credentials?: Record<string, string>): Promise<TestServer> {
  const server = await TestServer.start({ credentials });
  servers.push(server);
  return server;
}
afterAll(async () => {
  await Promise.all(servers.map((s) => s.destroy()));
});

describe('a session with credentials from the environment', () => {
  it('logs no secret key, no signature and no RootPass', async () => {
    const server = await start();
    const client = server.client();
    const signatures: string[] = [];
    try {
      await client.send(new CreateBucketCommand({ Bucket: 'secrets' }));
      await client.send(new PutObjectCommand({ Bucket: 'secrets', Key: 'a.txt', Body: 'hello' }));
      const url = await getSignedUrl(client, new GetObjectCommand({ Bucket: 'secrets', Key: 'a.txt' }), { expiresIn: 300 });
      signatures.push(new URL(url).searchParams.get('X-Amz-Signature')!);
      expect(await (await fetch(url)).text()).toBe('hello');

      const tampered = new URL(url);
      const forged = 'f'.repeat(64);
      tampered.searchParams.set('X-Amz-Signature', forged);
      signatures.push(forged);
      expect((await fetch(tampered)).status).toBe(403);

      const missingUrl = await getSignedUrl(client, new GetObjectCommand({ Bucket: 'secrets', Key: 'missing.txt' }), { expiresIn: 300 });
      signatures.push(new URL(missingUrl).searchParams.get('X-Amz-Signature')!);
      expect((await fetch(missingUrl)).status).toBe(404);

      const v2Signature = 'c2lnbmF0dXJlLXYyLWZvcmdlZA%3D%3D';
      signatures.push(v2Signature);
      await (await fetch(`${server.endpoint}/secrets/a.txt?AWSAccessKeyId=${ACCESS_KEY}&Expires=4102444800&Signature=${v2Signature}`)).text();

      const wrongKey = new S3Client({
        endpoint: server.endpoint,
        region: 'us-east-1',
        forcePathStyle: true,
        credentials: { accessKeyId: ACCESS_KEY, secretAccessKey: 'not-the-secret-key' },
        maxAttempts: 1,
      });
      await expect(wrongKey.send(new ListBucketsCommand({}))).rejects.toThrow();
      wrongKey.destroy();
    } finally {
      client.destroy();
    }
    await server.stop('SIGTERM');

    expect(startupLine(server.output)).toMatchObject({ rootUser: ACCESS_KEY, credentials: 'from TESSERA_ROOT_USER and TESSERA_ROOT_PASSWORD' });
    expect(server.output).not.toContain('RootPass');
    expect(server.output).not.toContain('WARNING');
    expect(server.output).not.toContain(SECRET_KEY);
    for (const signature of signatures) expect(server.output).not.toContain(signature);
  });
});

describe('start-up banner', () => {
  it('with the published defaults on loopback: starts, and warns loudly on stderr', async () => {
    const server = await start({});
    await server.stop('SIGTERM');
    expect(startupLine(server.output)).toMatchObject({ rootUser: 'tesseraadmin', credentials: 'the built-in defaults (published: anyone can use them)' });
    expect(server.output).toContain(`WARNING: anyone who can connect to 127.0.0.1:${server.port} can take over this server`);
    expect(server.output).not.toContain('RootPass');
  });

  it('with credentials from *_FILE files (Docker secrets): serves with them, shows neither file content nor secret', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tessera-secret-files-'));
    try {
      await writeFile(join(dir, 'user'), `${ACCESS_KEY}\n`, { mode: 0o600 });
      await writeFile(join(dir, 'password'), `${SECRET_KEY}\n`, { mode: 0o600 });
      const server = await start({ TESSERA_ROOT_USER_FILE: join(dir, 'user'), TESSERA_ROOT_PASSWORD_FILE: join(dir, 'password') });
      const client = server.client();
      await client.send(new ListBucketsCommand({}));
      client.destroy();
      expect(startupLine(server.output).credentials).toBe('from TESSERA_ROOT_USER_FILE and TESSERA_ROOT_PASSWORD_FILE');
      expect(server.output).not.toContain(SECRET_KEY);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
