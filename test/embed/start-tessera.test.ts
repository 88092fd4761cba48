/**
 * startTessera() as a user's test would use it: a real server in this process, driven with the AWS
 * SDK through the handle's S3Client config, and every fault the handle injects: a drive offline
 * (reads and writes go on at EC 2+2, the drive catches up when back), a wiped drive refilled, a
 * flipped byte in a shard found by a GET and healed, and a slow drive. What is on the drives is
 * checked without the server (test/helpers/heal-disk.ts), not taken from what it says.
 */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { CreateBucketCommand, GetObjectCommand, HeadObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTessera, type Tessera } from '../../src/index.js';
import { verifyDrives, type Expected } from '../helpers/heal-disk.js';

const MiB = 1024 * 1024;
const BUCKET = 'embedded';
const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

describe('startTessera', () => {
  let tessera: Tessera;
  let s3: S3Client;
  const stored: Expected[] = [];

  async function put(key: string, size: number): Promise<Expected> {
    const body = randomBytes(size);
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: body }));
    const object = { bucket: BUCKET, key, body };
    stored.push(object);
    return object;
  }

  async function get(key: string): Promise<Buffer> {
    const res = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
    return Buffer.from(await res.Body!.transformToByteArray());
  }

  /** Problems found on the drives for every object written so far (none: all shards there and right). */
  async function problemsOnDrives(): Promise<string[]> {
    return (await verifyDrives(tessera.drives, stored)).problems;
  }

  beforeAll(async () => {
    tessera = await startTessera();
    s3 = new S3Client(tessera.s3);
    await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
  });

  afterAll(async () => {
    s3?.destroy();
    await tessera?.stop();
  });

  it('serves S3 on a free port with generated credentials, and the handle describes it', async () => {
    expect(tessera.endpoint).toBe(`http://127.0.0.1:${tessera.port}`);
    expect(tessera.port).toBeGreaterThan(0);
    expect(tessera.credentials.secretAccessKey.length).toBeGreaterThanOrEqual(32);
    expect(tessera.s3).toEqual({ endpoint: tessera.endpoint, region: 'us-east-1', forcePathStyle: true, credentials: tessera.credentials });
    // The SDK writes into the config it is given: the handle's stays as it was.
    expect(tessera.s3).not.toBe(tessera.s3);
    const object = await put('hello.txt', 1000);
    expect(sha(await get('hello.txt'))).toBe(sha(object.body));
    // Another start gets other credentials, which this server refuses.
    const other = await startTessera();
    const stranger = new S3Client({ ...tessera.s3, credentials: other.credentials });
    try {
      expect(other.credentials).not.toEqual(tessera.credentials);
      await expect(stranger.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'hello.txt' }))).rejects.toMatchObject({ name: 'InvalidAccessKeyId' });
    } finally {
      stranger.destroy();
      await other.stop();
    }
  });

  it('goes on reading and writing with a drive offline, and the drive catches up once it is back', async () => {
    const before = await put('before-offline', 3 * MiB);
    tessera.takeDriveOffline(0);
    expect(sha(await get('before-offline'))).toBe(sha(before.body));
    const during = await put('during-offline', 3 * MiB);
    const small = await put('small-during-offline', 10_000);
    expect(sha(await get('during-offline'))).toBe(sha(during.body));
    expect(sha(await get('small-during-offline'))).toBe(sha(small.body));
    const missing = await problemsOnDrives();
    expect(missing).toContain(`${BUCKET}/during-offline: drive 1 has no record`);
    tessera.bringDriveOnline(0);
    await tessera.awaitHealing();
    expect(await problemsOnDrives()).toEqual([]);
  });

  it('refills a wiped drive', async () => {
    await put('before-wipe', 2 * MiB);
    await tessera.wipeDrive(1);
    expect(await readdir(tessera.drives[1])).toEqual([]);
    await tessera.awaitHealing();
    expect(existsSync(join(tessera.drives[1], '.tessera.sys', 'format.json'))).toBe(true);
    expect(await problemsOnDrives()).toEqual([]);
  });

  it('finds a flipped byte in a shard on GET, serves the right bytes and heals the shard', async () => {
    const object = await put('rotting', 2 * MiB + 12345);
    const drive = await tessera.corruptShard(BUCKET, 'rotting');
    const damaged = await problemsOnDrives();
    expect(damaged.some((p) => p.startsWith(`${BUCKET}/rotting: drive ${drive + 1}`))).toBe(true);
    expect(sha(await get('rotting'))).toBe(sha(object.body));
    await tessera.awaitHealing();
    expect(await problemsOnDrives()).toEqual([]);
  });

  it('heals a flipped byte nobody read, on awaitHealing', async () => {
    await put('rotting-unread', 1 * MiB);
    await tessera.corruptShard(BUCKET, 'rotting-unread', 3);
    expect((await problemsOnDrives()).length).toBeGreaterThan(0);
    await tessera.awaitHealing();
    expect(await problemsOnDrives()).toEqual([]);
  });

  it('refuses to corrupt an object stored inline, by name', async () => {
    await put('tiny', 100);
    await expect(tessera.corruptShard(BUCKET, 'tiny')).rejects.toThrow(/stored inline/);
  });

  it('makes a drive slow', async () => {
    await put('timed', 10_000);
    const timeHead = async (): Promise<number> => {
      const t0 = performance.now();
      await s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'timed' }));
      return performance.now() - t0;
    };
    await timeHead();
    tessera.slowDrive(2, 400);
    expect(await timeHead()).toBeGreaterThanOrEqual(390);
    tessera.slowDrive(2, 0);
    expect(await timeHead()).toBeLessThan(390);
  });
});

describe('startTessera in a directory it is given', () => {
  it('puts its drives there and removes only them when stopped', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tessera-embed-given-'));
    try {
      await writeFile(join(dir, 'keep-me'), 'mine');
      const tessera = await startTessera({ dir, drives: 6, parity: 2 });
      expect(tessera.drives).toEqual([1, 2, 3, 4, 5, 6].map((n) => join(dir, `drive${n}`)));
      const s3 = new S3Client(tessera.s3);
      await s3.send(new CreateBucketCommand({ Bucket: 'given' }));
      await s3.send(new PutObjectCommand({ Bucket: 'given', Key: 'k', Body: 'v' }));
      s3.destroy();
      await tessera.stop();
      expect((await readdir(dir)).sort()).toEqual(['keep-me']);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('removes the temporary directory it made', async () => {
    const tessera = await startTessera();
    const base = join(tessera.drives[0], '..');
    expect(existsSync(base)).toBe(true);
    await tessera.stop();
    expect(existsSync(base)).toBe(false);
  });
});
