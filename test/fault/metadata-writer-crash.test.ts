/**
 * Found by the torture suite: "an lmdb abort under a failing drive kills the whole node". A drive
 * turned read-only while lmdb committed to it; lmdb's native error path then corrupted the heap and
 * aborted the process (`mdb_page_spill` flushing error, `malloc(): invalid next size`, as in
 * kriszyp/lmdb-js#294), taking every drive and connection of the node with it. It could not be
 * reproduced on demand, so these tests abort the process that runs lmdb's writes, the metadata
 * writer, in the middle of a write load, as that crash would: the node must keep serving, only
 * writes in flight may fail, and every acknowledged write must read back whole.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { ErasureSet } from '../../src/erasure/set.js';
import { NamespaceLock } from '../../src/lock/namespace-lock.js';
import type { ObjectRecord, VersionRecord } from '../../src/meta/record.js';
import { Peer } from '../../src/cluster/peer.js';
import { rpcKey } from '../../src/cluster/rpc-auth.js';
import { DriveError } from '../../src/storage/drive.js';
import { LocalDrive } from '../../src/storage/local-drive.js';
import { MetadataWriter, metadataWriter } from '../../src/storage/metadata-writer.js';
import { RemoteDrive } from '../../src/storage/remote-drive.js';
import { metadataWriterOf } from '../helpers/cluster.js';
import { formattedDrives, putBody, readObject, type DriveRig } from '../helpers/drive-rig.js';
import { rpcNode } from '../helpers/rpc-node.js';
import { TestServer } from '../helpers/server.js';

const sha256 = (bytes: Buffer | Uint8Array): string => createHash('sha256').update(bytes).digest('hex');
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Runs `workers` loops of writes until `stop()`; what each acknowledged, by key. */
function writeLoad(workers: number, put: (key: string, body: Buffer) => Promise<void>): { stop: () => Promise<{ acknowledged: Map<string, Buffer> }> } {
  const acknowledged = new Map<string, Buffer>();
  let stopped = false;
  const running = Promise.all(
    Array.from({ length: workers }, async (_, worker) => {
      for (let i = 0; !stopped; i++) {
        const key = `w${worker}-${i % 7}`;
        const body = randomBytes(i % 4 === 0 ? 300_000 : 2_000);
        try {
          await put(key, body);
          acknowledged.set(key, body);
        } catch {
          // In flight when the writer died: its outcome is unknown, and the key's last acknowledged
          // body may or may not have been replaced. Nothing about it is checked.
          acknowledged.delete(key);
        }
      }
    }),
  );
  return {
    stop: async () => {
      stopped = true;
      await running;
      return { acknowledged };
    },
  };
}

describe('the metadata writer dies under a write load', () => {
  const rigs: DriveRig[] = [];
  afterEach(async () => {
    for (const rig of rigs.splice(0)) await rig.destroy();
  });

  it('in this process: writes in flight fail, the drives stay online, every acknowledged write reads back', async () => {
    const rig = await formattedDrives(4, ['crash'], 'tessera-writer-crash-');
    rigs.push(rig);
    const set = new ErasureSet(rig.drives, { blockSize: 1024 * 1024, inlineLimit: 128 * 1024, defaultParity: 2, locks: new NamespaceLock() });
    const load = writeLoad(4, async (key, body) => void (await set.putObject('crash', key, putBody(body), { headers: {} })));
    const writer = metadataWriter();
    for (const signal of ['SIGKILL', 'SIGABRT'] as const) {
      await sleep(300);
      for (let i = 0; i < 2000 && writer.owed === 0; i++) await sleep(1);
      const pid = writer.pid;
      expect(pid).toBeGreaterThan(0);
      expect(writer.owed).toBeGreaterThan(0);
      process.kill(pid!, signal);
      await sleep(300);
      // Started again by the writes that followed.
      expect(writer.pid).not.toBe(pid);
    }
    const { acknowledged } = await load.stop();
    expect(rig.drives.every((d) => d.isOnline())).toBe(true);
    expect(acknowledged.size).toBeGreaterThan(10);
    for (const [key, body] of acknowledged) expect(sha256(await readObject(set, 'crash', key))).toBe(sha256(body));
  });


  it("a write lost with a remote drive's metadata writer came back as a definite failure: it comes back unanswered (it may have landed)", async () => {
    const rig = await formattedDrives(1, ['crash'], 'tessera-writer-remote-');
    rigs.push(rig);
    // The served drive gets a writer of its own, so that this test can stop and kill it.
    await rig.drives[0].close();
    const writer = new MetadataWriter();
    const served = new LocalDrive(rig.roots[0], undefined, undefined, undefined, writer);
    await served.open();
    const key = rpcKey({ accessKey: 'writer-user', secretKey: 'writer-secret' });
    const node = await rpcNode({ key, fingerprint: 'fp', drives: new Map([[0, served]]) });
    const peer = new Peer(node.address, key, 'fp');
    try {
      const remote = new RemoteDrive(peer, 0, 'remote-0');
      await remote.writeRecord('crash', 'before', { versions: [] });
      const pid = writer.pid!;
      process.kill(pid, 'SIGSTOP');
      const lost = remote.makeBucket('another', Date.now()).then(() => undefined, (err: unknown) => err);
      await sleep(200);
      process.kill(pid, 'SIGKILL');
      const err = await lost;
      expect(err).toBeInstanceOf(DriveError);
      expect(err).toMatchObject({ kind: 'faulty', unanswered: true });
      // The next write starts a new writer.
      await remote.makeBucket('another', Date.now());
      expect(writer.pid).not.toBe(pid);
      expect((await served.listBuckets()).map((b) => b.name)).toContain('another');
    } finally {
      peer.close();
      await node.close();
      await served.close();
    }
  });
});

describe('a wedged metadata writer', () => {
  const rigs: DriveRig[] = [];
  afterEach(async () => {
    for (const rig of rigs.splice(0)) await rig.destroy();
  });

  /** One drive, reopened with a writer of its own whose timeouts are short. */
  async function driveWithWriter(timeouts: { answerTimeoutMs: number; offlineGraceMs: number }): Promise<{ drive: LocalDrive; writer: MetadataWriter }> {
    const rig = await formattedDrives(1, ['wedged'], 'tessera-writer-wedged-');
    rigs.push(rig);
    await rig.drives[0].close();
    const writer = new MetadataWriter(timeouts);
    const drive = new LocalDrive(rig.roots[0], undefined, undefined, undefined, writer);
    await drive.open();
    rig.drives[0] = drive;
    return { drive, writer };
  }

  it('a commit whose page write failed never finished, and every later write of the drive hung behind it: the writer is killed after its answer timeout, the drive goes offline', async () => {
    const { drive, writer } = await driveWithWriter({ answerTimeoutMs: 500, offlineGraceMs: 60_000 });
    const pid = writer.pid!;
    process.kill(pid, 'SIGSTOP'); // alive, answering nothing: as lmdb stuck in a commit
    const started = Date.now();
    await expect(drive.makeBucket('stuck', Date.now())).rejects.toMatchObject({ kind: 'faulty', unanswered: true });
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(writer.pid).toBeUndefined();
    // The drive its writes were stuck on is taken offline (the drive monitor brings it back), so the
    // next writer is not stuck on it again.
    for (let i = 0; i < 50 && drive.isOnline(); i++) await sleep(20);
    expect(drive.isOnline()).toBe(false);
  });

  it('one stuck drive took every busy drive offline: only the drive whose write timed out first goes offline', async () => {
    const rig = await formattedDrives(4, ['wedged'], 'tessera-writer-busy-');
    rigs.push(rig);
    const writer = new MetadataWriter({ answerTimeoutMs: 500, offlineGraceMs: 60_000 });
    for (let i = 0; i < 4; i++) {
      await rig.drives[i].close();
      rig.drives[i] = new LocalDrive(rig.roots[i], undefined, undefined, undefined, writer);
      await rig.drives[i].open();
    }
    process.kill(writer.pid!, 'SIGSTOP');
    // The first drive's write is the oldest; the others queue behind it a moment later.
    const writes = [rig.drives[0].makeBucket('first', Date.now()).catch(() => undefined)];
    await sleep(100);
    for (const drive of rig.drives.slice(1)) writes.push(drive.makeBucket('queued', Date.now()).catch(() => undefined));
    await Promise.all(writes);
    await sleep(100);
    expect(rig.drives.map((d) => d.isOnline())).toEqual([false, true, true, true]);
  });

  it('a write to a drive that went offline is given up after the offline grace, not the answer timeout', async () => {
    const { drive, writer } = await driveWithWriter({ answerTimeoutMs: 60_000, offlineGraceMs: 300 });
    const pid = writer.pid!;
    process.kill(pid, 'SIGSTOP');
    const stuck = drive.makeBucket('stuck', Date.now()).then(() => undefined, (err: unknown) => err);
    await sleep(100);
    const started = Date.now();
    await drive.close(); // as the drive going offline does
    expect(await stuck).toMatchObject({ kind: 'faulty', unanswered: true });
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(writer.pid).toBeUndefined();
  });
});

describe('what a restarted writer must not forget or make up', () => {
  const rigs: DriveRig[] = [];
  afterEach(async () => {
    for (const rig of rigs.splice(0)) await rig.destroy();
  });

  const record = (fence: number): ObjectRecord => ({
    versions: [
      {
        versionId: 'null',
        modTime: Date.now(),
        deleteMarker: false,
        size: 1,
        etag: `etag-${fence}`,
        dataDir: randomUUID(),
        headers: {},
        checksums: {},
        parts: [{ number: 1, size: 1, etag: `etag-${fence}` }],
        erasure: { data: 2, parity: 2, blockSize: 1024, index: 1, distribution: [1, 2, 3, 4] },
      } as unknown as VersionRecord,
    ],
    fence,
  });

  async function oneDrive(): Promise<LocalDrive> {
    const rig = await formattedDrives(1, ['fenced'], 'tessera-writer-fences-');
    rigs.push(rig);
    return rig.drives[0];
  }

  it("a lapsed holder's write brought back a deleted object once the writer had restarted: the delete's fence outlives the writer", async () => {
    const drive = await oneDrive();
    await drive.writeRecord('fenced', 'k', record(100), 100);
    await drive.writeRecord('fenced', 'k', undefined, 200); // deleted by the newer holder
    process.kill(metadataWriter().pid!, 'SIGKILL');
    for (let i = 0; i < 50 && metadataWriter().pid !== undefined; i++) await sleep(10);
    await expect(drive.writeRecord('fenced', 'k', record(150), 150)).rejects.toMatchObject({ kind: 'fenced' });
    expect(await drive.readRecord('fenced', 'k')).toBeUndefined();
    // A commit barred by settleCommit on a key with no record stays barred too.
    expect(await drive.settleCommit('fenced', 'new', 'signature of a lost commit', 300)).toBe(false);
    process.kill(metadataWriter().pid!, 'SIGKILL');
    for (let i = 0; i < 50 && metadataWriter().pid !== undefined; i++) await sleep(10);
    await expect(drive.writeRecord('fenced', 'new', record(300), 300)).rejects.toMatchObject({ kind: 'fenced' });
    await drive.writeRecord('fenced', 'new', record(400), 400); // a later holder is not barred
  });

  it('a stale write queued right behind a delete passed the fence check: it is fenced', async () => {
    const drive = await oneDrive();
    await drive.writeRecord('fenced', 'k', record(5), 5);
    const outcomes = await Promise.all([
      drive.writeRecord('fenced', 'k', undefined, 9).then(() => 'deleted', (e: DriveError) => e.kind),
      ...Array.from({ length: 20 }, () => drive.writeRecord('fenced', 'k', record(6), 6).then(() => 'written', (e: DriveError) => e.kind)),
    ]);
    expect(outcomes[0]).toBe('deleted');
    // Writes of fence 6 may land before the delete (which then removes them), never after it.
    expect(await drive.readRecord('fenced', 'k')).toBeUndefined();
  });

  it('a writer restarted after its drive was wiped made it a new, empty store and took writes into it: it refuses, the drive goes offline', async () => {
    const drive = await oneDrive();
    const meta = join(drive.root, '.tessera.sys', 'meta');
    process.kill(metadataWriter().pid!, 'SIGKILL');
    for (let i = 0; i < 50 && metadataWriter().pid !== undefined; i++) await sleep(10);
    await rm(join(meta, 'data.mdb'));
    await expect(drive.writeRecord('fenced', 'k', record(1), 1)).rejects.toBeInstanceOf(DriveError);
    expect(drive.isOnline()).toBe(false);
    expect(existsSync(join(meta, 'data.mdb'))).toBe(false);
  });
});

describe('the metadata writer of a server dies', () => {
  let server: TestServer | undefined;
  afterAll(async () => server?.destroy());

  it('an lmdb abort under a failing drive kills the whole node: it does not; only writes in flight fail', async () => {
    server = await TestServer.start({ drives: 4 });
    const s3 = server.client({ maxAttempts: 1 });
    await s3.send(new CreateBucketCommand({ Bucket: 'crash' }));
    const writerPid = (): number => metadataWriterOf(server!.proc!.pid!) ?? 0;
    const load = writeLoad(4, async (key, body) => void (await s3.send(new PutObjectCommand({ Bucket: 'crash', Key: key, Body: body }))));
    const killed: number[] = [];
    for (let round = 0; round < 3; round++) {
      await sleep(400);
      // The writes that follow start the next writer.
      let pid = writerPid();
      for (let i = 0; i < 100 && (pid === 0 || killed.includes(pid)); i++, pid = writerPid()) await sleep(50);
      expect(killed).not.toContain(pid);
      expect(pid).toBeGreaterThan(0);
      process.kill(pid, 'SIGABRT');
      killed.push(pid);
    }
    await sleep(400);
    const { acknowledged } = await load.stop();
    expect(server.proc?.exitCode).toBeNull();
    expect(server.proc?.signalCode).toBeNull();
    expect(server.output).toMatch(/metadata writer exited \(SIGABRT\)/);
    expect(killed).not.toContain(writerPid());
    expect(acknowledged.size).toBeGreaterThan(10);
    for (const [key, body] of acknowledged) {
      const got = await s3.send(new GetObjectCommand({ Bucket: 'crash', Key: key }));
      expect(sha256(await got.Body!.transformToByteArray())).toBe(sha256(body));
    }
    s3.destroy();
  });

  it('the writer ends with its node when the node is SIGKILLed under a write load', async () => {
    const s3 = server!.client({ maxAttempts: 1 });
    const writer = metadataWriterOf(server!.proc!.pid!) ?? 0;
    expect(writer).toBeGreaterThan(0);
    const load = writeLoad(4, async (key, body) => void (await s3.send(new PutObjectCommand({ Bucket: 'crash', Key: key, Body: body }))));
    await sleep(300);
    await server!.stop('SIGKILL');
    await load.stop();
    s3.destroy();
    // Dead, or a zombie nobody has reaped yet: either way it writes nothing more.
    const running = (): boolean => {
      try {
        return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${writer}/stat`, 'latin1'));
      } catch {
        return false;
      }
    };
    for (let i = 0; i < 100 && running(); i++) await sleep(10);
    expect(running()).toBe(false);
  });
});
