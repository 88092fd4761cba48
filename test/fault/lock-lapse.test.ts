/**
 * Issue 10, failure 6: "A writer that lost its lock keeps writing". Two nodes' erasure layers share
 * one set of drives and three lock tables (in-process). Node A's writer stalls inside each drive's
 * commit, after checking its lease and moving its data (a GC pause, a SIGSTOP), while its lock
 * refreshes cannot reach the lock tables; its lease runs out, node B takes the lock and commits.
 * When A wakes, the drives refuse its records (B's fence is newer): A answers 503, B's object stands.
 * (The holder's own lease check, which stops it before it gets that far, is tested in lock-table.test.ts.)
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErasureSet } from '../../src/erasure/set.js';
import { armFailpoint } from '../../src/failpoints.js';
import { DistributedLocker, localLockNode, type LockNode } from '../../src/lock/distributed-lock.js';
import { LockTable } from '../../src/lock/lock-table.js';
import { formattedDrives, putBody, readObject, type DriveRig } from '../helpers/drive-rig.js';

const BUCKET = 'fenced';
const TTL_MS = 600;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A lock node whose refreshes fail while `cutOff` is set: the holder's node cannot reach it. */
function reachable(node: LockNode, state: { cutOff: boolean }): LockNode {
  return { ...node, refresh: (name, uid, ttl) => (state.cutOff ? Promise.reject(new Error('unreachable (test)')) : node.refresh(name, uid, ttl)) };
}


describe('a writer whose lock lapsed', () => {
  let rig: DriveRig;
  beforeAll(async () => {
    rig = await formattedDrives(4, [BUCKET], 'tessera-fence-');
  });
  afterAll(() => rig.destroy());

  it('a writer that lost its lock keeps writing: it does not, the newer holder wins on every drive', async () => {
    const tables = [new LockTable(), new LockTable(), new LockTable()];
    const aNetwork = { cutOff: false };
    const ctx = { blockSize: 64 * 1024, inlineLimit: 16 * 1024, defaultParity: 2 };
    const nodeA = new ErasureSet(rig.drives, { ...ctx, locks: new DistributedLocker(tables.map((t) => reachable(localLockNode(t), aNetwork)), 'a:1', TTL_MS) });
    const nodeB = new ErasureSet(rig.drives, { ...ctx, locks: new DistributedLocker(tables.map(localLockNode), 'b:1', TTL_MS) });
    const bodyA = randomBytes(200_000);
    const bodyB = randomBytes(150_000);

    // A's four drive commits (the first four to get there) stall after moving the data, until told to
    // go on; B's pass straight through.
    let stallA = true;
    let passes = 0;
    const disarm = armFailpoint('local-drive.commit.placed', async () => {
      if (++passes > 4) return;
      while (stallA) await sleep(20);
    });
    try {
      aNetwork.cutOff = true;
      const writeA = nodeA.putObject(BUCKET, 'key', putBody(bodyA), { headers: {} }).then(
        () => 'acknowledged',
        (err: unknown) => (err as { kind?: string }).kind ?? String(err),
      );
      while (passes < 4) await sleep(20);
      await sleep(TTL_MS * 2);
      // A's grants expired on every lock table: B locks and commits while A sleeps.
      await nodeB.putObject(BUCKET, 'key', putBody(bodyB), { headers: {} });
      stallA = false;
      expect(await writeA).toBe('write-quorum');
    } finally {
      disarm();
    }
    expect((await readObject(nodeA, BUCKET, 'key')).equals(bodyB)).toBe(true);
    const records = await Promise.all(rig.drives.map((d) => d.readRecord(BUCKET, 'key')));
    expect(new Set(records.map((r) => r?.versions[0].etag)).size).toBe(1);
  });

  it('a drive refuses a record write older than the fence it holds, also after a delete', async () => {
    const [drive] = rig.drives;
    const version = (await rig.drives[0].readRecord(BUCKET, 'key'))!.versions[0];
    await drive.writeRecord(BUCKET, 'fenced-key', { versions: [version] }, 200);
    await expect(drive.writeRecord(BUCKET, 'fenced-key', { versions: [version] }, 100)).rejects.toMatchObject({ kind: 'fenced' });
    await drive.writeRecord(BUCKET, 'fenced-key', undefined, 300);
    await expect(drive.writeRecord(BUCKET, 'fenced-key', { versions: [version] }, 250)).rejects.toMatchObject({ kind: 'fenced' });
    expect(await drive.readRecord(BUCKET, 'fenced-key')).toBeUndefined();
    await drive.writeRecord(BUCKET, 'fenced-key', { versions: [version] }, 300);
    expect((await drive.readRecord(BUCKET, 'fenced-key'))?.fence).toBe(300);
  });
});
