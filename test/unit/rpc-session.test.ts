/**
 * State a peer leaves on a node through an RPC session lives and dies with that session: shard readers
 * close when it ends (and the data directory removals waiting for them go ahead), and a reader's
 * number from an ended session never reaches a file opened in a later one. Calls run concurrently.
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Peer } from '../../src/cluster/peer.js';
import { rpcKey } from '../../src/cluster/rpc-auth.js';
import type { RpcServer } from '../../src/cluster/rpc-server.js';
import { ErasureSet } from '../../src/erasure/set.js';
import { NamespaceLock } from '../../src/lock/namespace-lock.js';
import { RemoteDrive } from '../../src/storage/remote-drive.js';
import { formattedDrives, putBody, type DriveRig } from '../helpers/drive-rig.js';
import { rpcNode } from '../helpers/rpc-node.js';

const BUCKET = 'sessions';
const KEY = rpcKey({ accessKey: 'session-user', secretKey: 'session-secret' });
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

interface Rig {
  drives: DriveRig;
  rpc: RpcServer;
  peer: Peer;
  /** Drive 3, reached over RPC. */
  remote: RemoteDrive;
  /** The data directory of a multi-block object on drive 3, by key. */
  dataDir(key: string): Promise<string>;
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

async function rig(): Promise<Rig> {
  const drives = await formattedDrives(4, [BUCKET], 'tessera-rpc-session-');
  const served = await rpcNode({ key: KEY, fingerprint: 'fp', drives: new Map([[3, drives.drives[3]]]) });
  const peer = new Peer(served.address, KEY, 'fp');
  cleanups.push(async () => {
    peer.close();
    await served.close();
    await drives.destroy();
  });
  const set = new ErasureSet(drives.drives, { blockSize: 64 * 1024, inlineLimit: 16 * 1024, defaultParity: 2, locks: new NamespaceLock() });
  for (const key of ['x', 'y']) await set.putObject(BUCKET, key, putBody(randomBytes(200_000)), { headers: {} });
  return {
    drives,
    rpc: served.rpc,
    peer,
    remote: new RemoteDrive(peer, 3, 'remote-3'),
    dataDir: async (key) => (await drives.drives[3].readRecord(BUCKET, key))!.versions[0].dataDir,
  };
}

describe('RPC sessions', () => {
  it("a peer's open shard readers close with its session, and a removal waiting for them goes ahead", async () => {
    const r = await rig();
    const dir = await r.dataDir('x');
    const path = join(r.drives.roots[3], BUCKET, dir.slice(0, 2), dir);
    const reader = await r.remote.openShard(BUCKET, dir, 'part.1');
    await r.remote.deleteDataDir(BUCKET, dir);
    expect((await reader.read(0, 100)).length).toBe(100);
    expect(existsSync(path)).toBe(true);
    r.peer.close(); // the peer goes away without closing its reader
    for (let i = 0; i < 100 && existsSync(path); i++) await sleep(20);
    expect(existsSync(path)).toBe(false);
  });

  it('a reader of an ended session fails, rather than read the file its number names in the next one', async () => {
    const r = await rig();
    const [dirX, dirY] = [await r.dataDir('x'), await r.dataDir('y')];
    const readerX = await r.remote.openShard(BUCKET, dirX, 'part.1');
    const bytesX = await readerX.read(0, 4096);
    r.rpc.drain(); // the node ends its sessions (as when it shuts down)
    for (let i = 0; i < 100; i++) {
      try {
        await r.peer.call('ping', null);
        break;
      } catch {
        await sleep(20); // the peer sees the session end, then opens a new one
      }
    }
    const readerY = await r.remote.openShard(BUCKET, dirY, 'part.1'); // the first reader of the new session
    const bytesY = await readerY.read(0, 4096);
    expect(bytesY.equals(bytesX)).toBe(false);
    await expect(readerX.read(0, 4096)).rejects.toThrow(/session .* has ended/);
    expect(r.peer.isOnline(), 'a call of an ended session says nothing of the peer').toBe(true);
    await readerY.close();
  });

  it('a listing page carries the summary of each record, not its inline data', async () => {
    const r = await rig();
    const set = new ErasureSet(r.drives.drives, { blockSize: 1024 * 1024, inlineLimit: 128 * 1024, defaultParity: 2, locks: new NamespaceLock() });
    const body = randomBytes(100_000);
    for (let i = 0; i < 360; i += 40) await Promise.all(Array.from({ length: 40 }, (_, j) => set.putObject(BUCKET, `inline/${String(i + j).padStart(4, '0')}`, putBody(body), { headers: {} })));
    const page = await r.remote.listRecords(BUCKET, { prefix: 'inline/', limit: 1000 });
    expect(page).toHaveLength(360);
    expect(page.every((e) => e.summary !== undefined && e.record === undefined)).toBe(true);
    expect(page.reduce((n, e) => n + e.summary!.length, 0)).toBeLessThan(360 * 200);
  });

  it('calls in flight together are answered each on its own', async () => {
    const r = await rig();
    const dir = await r.dataDir('x');
    const reader = await r.remote.openShard(BUCKET, dir, 'part.1');
    const local = await r.drives.drives[3].openShard(BUCKET, dir, 'part.1');
    const offsets = Array.from({ length: 64 }, (_, i) => i * 1000);
    const [remote, direct] = await Promise.all([Promise.all(offsets.map((o) => reader.read(o, 777))), Promise.all(offsets.map((o) => local.read(o, 777)))]);
    remote.forEach((bytes, i) => expect(bytes.equals(direct[i]), `read at ${offsets[i]}`).toBe(true));
    await Promise.all([reader.close(), local.close()]);
  });
});
