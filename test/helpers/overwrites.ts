/**
 * Steps the overwrite-crash tests share: writes with REDUCED_REDUNDANCY (3 data + 1 parity on four
 * drives), digests of whole bodies, what each drive's record names, and the check that a restarted
 * server serves and heals the version an interrupted overwrite left behind.
 */
import { randomBytes } from 'node:crypto';
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { expect } from 'vitest';
import { AdminClient } from '../../src/admin/client.js';
import { readRecords, verifyDrives } from './heal-disk.js';
import { sha256Hex } from './raw.js';
import { ACCESS_KEY, SECRET_KEY, type TestServer } from './server.js';

/** An inline object (its shards in the records) and one with part files: [key, size]. */
export const OVERWRITTEN_OBJECTS: [string, number][] = [
  ['small', 1000],
  ['large', 3 * 1024 * 1024 + 17],
];

/** Writes a random `size`-byte object to `key` (with REDUCED_REDUNDANCY), then stops the server; returns its bytes. */
export async function writeThenStop(server: TestServer, bucket: string, key: string, size: number): Promise<Buffer> {
  const s3 = server.client();
  await s3.send(new CreateBucketCommand({ Bucket: bucket })).catch(() => undefined);
  const body = randomBytes(size);
  await putReduced(s3, bucket, key, body);
  s3.destroy();
  await server.stop();
  return body;
}

/**
 * Relaunches `server` with `failpoints` armed, makes a REDUCED_REDUNDANCY PUT of `size` random bytes
 * to `key`, which must fail, and checks that the server died by SIGKILL (the failpoints crash it).
 */
export async function putThatCrashes(server: TestServer, failpoints: string, bucket: string, key: string, size: number): Promise<void> {
  server.env = { TESSERA_FAILPOINTS: failpoints };
  await server.launch();
  const s3 = server.client({ maxAttempts: 1 });
  await expect(putReduced(s3, bucket, key, randomBytes(size))).rejects.toThrow();
  s3.destroy();
  await server.stop();
  expect(server.proc?.signalCode).toBe('SIGKILL');
}

export async function putReduced(s3: S3Client, bucket: string, key: string, body: Buffer): Promise<void> {
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, StorageClass: 'REDUCED_REDUNDANCY' }));
}

export async function bodyDigest(s3: S3Client, bucket: string, key: string): Promise<string> {
  const res = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return sha256Hex(Buffer.from(await res.Body!.transformToByteArray()));
}

/** The ETag of the current version each drive's record names (undefined: no record). */
export async function etagsOnDrives(server: TestServer, bucket: string, key: string): Promise<(string | undefined)[]> {
  const records = await Promise.all(server.drives.map((drive) => readRecords(drive, [{ bucket, key }])));
  return records.map(([record]) => record?.versions[0]?.etag);
}

/**
 * Starts the stopped `server` with `env`: GET serves `old`, before and after an admin heal; then,
 * stopped, every drive holds `old` whole. The server is left running.
 */
export async function expectOldVersionKept(server: TestServer, bucket: string, key: string, old: Buffer, env: Record<string, string>): Promise<void> {
  server.env = env;
  await server.launch();
  const s3 = server.client();
  expect(await bodyDigest(s3, bucket, key)).toBe(sha256Hex(old));
  const admin = new AdminClient({ url: server.endpoint, accessKey: ACCESS_KEY, secretKey: SECRET_KEY });
  for await (const line of admin.heal({ bucket, prefix: key, recursive: true })) void line;
  expect(await bodyDigest(s3, bucket, key)).toBe(sha256Hex(old));
  s3.destroy();
  await server.stop();

  const report = await verifyDrives(server.drives, [{ bucket, key, body: old }]);
  expect(report.problems).toEqual([]);
  expect(report.shards.get(`${bucket}/${key}`)).toBe(server.drives.length);
  await server.launch();
}
