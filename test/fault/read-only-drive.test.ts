/**
 * Found by the torture suite: "one read-only drive kills the whole node". A drive whose files can no
 * longer be written (here made immutable with `chattr -R +i`, which stops root too, as a filesystem
 * remounted read-only would) crashed the server on the next write: lmdb's shared map of its lock
 * file raised SIGBUS, or a failed commit left a rejection nobody could catch. The drive must go
 * offline instead, the node keep serving from the others, and the drive come back (and be healed)
 * once it is writable again.
 */
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CreateBucketCommand, DeleteObjectCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, describe, expect, it } from 'vitest';
import { sha256Hex } from '../helpers/raw.js';
import { TestServer } from '../helpers/server.js';
import { setImmutable } from '../torture/drive-faults.js';

const BUCKET = 'read-only';
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('a drive that turns read-only', () => {
  let server: TestServer | undefined;
  afterAll(async () => {
    if (server) await setImmutable(server.drives[0], false);
    await server?.destroy();
  });

  it('one read-only drive kills the whole node: it does not; the drive goes offline and comes back healed', async () => {
    server = await TestServer.start({ drives: 4, env: { TESSERA_DRIVE_MONITOR_SECONDS: '0.2' } });
    const s3 = server.client();
    await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
    await setImmutable(server.drives[0], true);
    // The fault must be real: nothing may be created on the drive now.
    await expect(writeFile(join(server.drives[0], 'probe'), 'x')).rejects.toMatchObject({ code: 'EPERM' });

    const bodies = new Map<string, Buffer>();
    for (const [key, size] of [['small', 100], ['large', 600_000], ['another', 10]] as const) {
      bodies.set(key, randomBytes(size));
      await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: bodies.get(key) }));
    }
    await s3.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: 'another' }));
    bodies.delete('another');
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: BUCKET }));
    expect(listed.Contents?.map((o) => o.Key)).toEqual(['large', 'small']);
    expect(server.proc?.exitCode).toBeNull();
    expect(server.output).toMatch(/turned read-only/);

    await setImmutable(server.drives[0], false);
    const deadline = Date.now() + 30_000;
    while (!/healed .*drive1/.test(server.output) && Date.now() < deadline) await sleep(200);
    expect(server.output).toMatch(/healed .*drive1/);
    for (const [key, body] of bodies) {
      const got = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
      expect(sha256Hex(Buffer.from(await got.Body!.transformToByteArray()))).toBe(sha256Hex(body));
    }
    s3.destroy();
  });

  it('drives turning read-only under load never bring the node down (lmdb writes its lock file through a shared map)', async () => {
    await server?.destroy();
    server = await TestServer.start({ drives: 4, env: { TESSERA_DRIVE_MONITOR_SECONDS: '0.2' } });
    const s3 = server.client({ maxAttempts: 1 });
    await s3.send(new CreateBucketCommand({ Bucket: 'under-load' }));
    for (const drive of [0, 1, 2]) {
      const healed = (): number => server!.output.split(`healed ${server!.drives[drive]}:`).length;
      const healedBefore = healed();
      let stop = false;
      const load = Promise.all(
        Array.from({ length: 6 }, async (_, worker) => {
          for (let i = 0; !stop; i++) {
            const key = `w${worker}-${i % 5}`;
            await s3.send(new PutObjectCommand({ Bucket: 'under-load', Key: key, Body: randomBytes(i % 3 === 0 ? 200_000 : 100) }));
            await (await s3.send(new GetObjectCommand({ Bucket: 'under-load', Key: key }))).Body!.transformToByteArray();
          }
        }),
      );
      await sleep(500);
      await setImmutable(server.drives[drive], true);
      await sleep(2000);
      await setImmutable(server.drives[drive], false);
      stop = true;
      // One drive down of four: every request still succeeds.
      await load.catch((err: Error) => {
        throw new Error(`${err.name}: ${err.message} (drive ${drive} read-only)\n${server!.output}`);
      });
      expect(server.proc?.exitCode, server.output).toBeNull();
      expect(server.proc?.signalCode, server.output).toBeNull();
      // Back and healed before the next drive goes (two down would refuse writes, rightly).
      const deadline = Date.now() + 20_000;
      while (healed() === healedBefore && Date.now() < deadline) await sleep(100);
      expect(healed(), server.output).toBeGreaterThan(healedBefore);
    }
    s3.destroy();
  });

  it('three drives going offline at once never came back (no majority left to supply the format): they come back', async () => {
    await server?.destroy();
    server = await TestServer.start({ drives: 4, env: { TESSERA_DRIVE_MONITOR_SECONDS: '0.2' } });
    const s3 = server.client({ maxAttempts: 1 });
    await s3.send(new CreateBucketCommand({ Bucket: 'three' }));
    await sleep(500); // a monitor round with every drive online
    for (const drive of server.drives.slice(0, 3)) await setImmutable(drive, true);
    await s3.send(new PutObjectCommand({ Bucket: 'three', Key: 'k', Body: 'x' })).catch(() => undefined);
    for (const drive of server.drives.slice(0, 3)) await setImmutable(drive, false);
    const deadline = Date.now() + 20_000;
    let body: string | undefined;
    while (body === undefined && Date.now() < deadline) {
      await sleep(200);
      body = await s3
        .send(new PutObjectCommand({ Bucket: 'three', Key: 'k', Body: 'back' }))
        .then(async () => (await s3.send(new GetObjectCommand({ Bucket: 'three', Key: 'k' }))).Body!.transformToString())
        .catch(() => undefined);
    }
    expect(body, server.output).toBe('back');
    expect(server.output).toMatch(/turned read-only/);
    s3.destroy();
  });
});
