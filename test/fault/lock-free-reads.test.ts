/**
 * Reads take no lock (issue 11): a GET or HEAD of an object whose drives show a settled version asks
 * the lock service nothing; one whose drives show a commit in flight takes the read lock and waits
 * for it. And the write-path bug that lock-free reads would have exposed, with its regression test:
 * "a read during a commit whose drive answers were lost served a version the writer then undid".
 */
import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { ObjectLayerError } from '../../src/object/errors.js';
import { ErasureSet } from '../../src/erasure/set.js';
import type { Lease, Locker } from '../../src/lock/locker.js';
import { NamespaceLock } from '../../src/lock/namespace-lock.js';
import type { ObjectRecord } from '../../src/meta/record.js';
import { DriveError, type Drive, type VersionData } from '../../src/storage/drive.js';
import { formattedDrives, putBody, readObject, withCommit, type DriveRig } from '../helpers/drive-rig.js';

const BUCKET = 'lockfree';
const CTX = { blockSize: 64 * 1024, inlineLimit: 16 * 1024, defaultParity: 2 };
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A lock service that counts what it is asked. */
class CountingLocker implements Locker {
  readonly asked: { name: string; write: boolean }[] = [];
  private readonly inner = new NamespaceLock();

  lock(name: string, write: boolean): Promise<Lease> {
    this.asked.push({ name, write });
    return this.inner.lock(name, write);
  }
}

const rigs: DriveRig[] = [];
afterEach(async () => {
  for (const rig of rigs.splice(0)) await rig.destroy();
});

async function rig(): Promise<DriveRig> {
  const made = await formattedDrives(4, [BUCKET], 'tessera-lockfree-');
  rigs.push(made);
  return made;
}

/** An object written once (`older`), and the set to overwrite it with `newer` through drives wrapped by `wrap`. */
async function overwrite(size: number, wrap: (drive: Drive, slot: number) => Drive) {
  const { drives } = await rig();
  const locks = new NamespaceLock();
  const [older, newer] = [randomBytes(size), randomBytes(size)];
  const plain = new ErasureSet(drives, { ...CTX, locks });
  await plain.putObject(BUCKET, 'key', putBody(older), { headers: {} });
  const writer = new ErasureSet(drives.map(wrap), { ...CTX, locks });
  return { drives, plain, older, newer, put: () => writer.putObject(BUCKET, 'key', putBody(newer), { headers: {} }) };
}

/** The overwrite answered 503 and was undone: every drive holds the one old version, which reads back. */
async function expectUndone(scene: Awaited<ReturnType<typeof overwrite>>): Promise<void> {
  await expect(scene.put()).rejects.toSatisfy((err) => err instanceof ObjectLayerError && err.kind === 'write-quorum');
  const records = await Promise.all(scene.drives.map((d) => d.readRecord(BUCKET, 'key')));
  expect(new Set(records.map((r) => r?.versions[0].etag)).size).toBe(1);
  expect((await readObject(scene.plain, BUCKET, 'key')).equals(scene.older)).toBe(true);
}

describe('reads without locks', () => {
  it('a settled object is read, whole or in part, and its absence told, without asking the lock service', async () => {
    const { drives } = await rig();
    const locks = new CountingLocker();
    const set = new ErasureSet(drives, { ...CTX, locks });
    const [inline, big] = [randomBytes(3000), randomBytes(300_000)];
    await set.putObject(BUCKET, 'inline', putBody(inline), { headers: {} });
    await set.putObject(BUCKET, 'big', putBody(big), { headers: {} });
    locks.asked.length = 0;
    expect((await readObject(set, BUCKET, 'inline')).equals(inline)).toBe(true);
    expect((await readObject(set, BUCKET, 'big')).equals(big)).toBe(true);
    const { stream } = await set.getObject(BUCKET, 'big', { range: () => ({ start: 70_000, end: 200_000 }) });
    const part: Buffer[] = [];
    for await (const chunk of stream) part.push(chunk as Buffer);
    expect(Buffer.concat(part).equals(big.subarray(70_000, 200_001))).toBe(true);
    expect((await set.getObjectInfo(BUCKET, 'big')).size).toBe(big.length);
    await expect(set.getObjectInfo(BUCKET, 'nothing')).rejects.toMatchObject({ kind: 'no-such-key' });
    expect(locks.asked).toEqual([]);
  });

  it('a commit in flight (drives split old and new) makes a reader take the read lock and wait for the writer', async () => {
    const { drives } = await rig();
    const locks = new CountingLocker();
    const set = new ErasureSet(drives, { ...CTX, locks });
    const [older, newer] = [randomBytes(2000), randomBytes(2000)];
    await set.putObject(BUCKET, 'key', putBody(older), { headers: {} });
    // The writer holds the lock while two drives show the new version and two the old.
    const lease = await locks.lock(`${BUCKET}/key`, true);
    const writer = new ErasureSet(drives, { ...CTX, locks: new NamespaceLock() });
    await writer.putObject(BUCKET, 'other', putBody(newer), { headers: {} });
    const fresh = (await drives[0].readRecord(BUCKET, 'other'))!;
    for (const slot of [0, 1]) {
      const copy = (await drives[slot].readRecord(BUCKET, 'other'))!.versions[0];
      const old = (await drives[slot].readRecord(BUCKET, 'key'))!.versions[0];
      await drives[slot].writeRecord(BUCKET, 'key', { versions: [copy], replaced: old });
    }
    expect(fresh.versions[0].inline).toBeDefined();
    locks.asked.length = 0;
    let answered = false;
    const reading = readObject(set, BUCKET, 'key').then((bytes) => {
      answered = true;
      return bytes;
    });
    await sleep(200);
    expect(locks.asked).toEqual([{ name: `${BUCKET}/key`, write: false }]);
    expect(answered).toBe(false); // waiting for the writer
    // the writer finishes its commit on the other two drives and lets go
    for (const slot of [2, 3]) {
      const copy = (await drives[slot].readRecord(BUCKET, 'other'))!.versions[0];
      const old = (await drives[slot].readRecord(BUCKET, 'key'))!.versions[0];
      await drives[slot].writeRecord(BUCKET, 'key', { versions: [copy], replaced: old });
    }
    lease.release();
    expect((await reading).equals(newer)).toBe(true);
  });

  it('a read during a commit whose drive answers were lost served a version the writer then undid: the version now stands', async () => {
    const { drives } = await rig();
    const locks = new NamespaceLock();
    const [older, newer] = [randomBytes(100_000), randomBytes(100_000)];
    const plain = new ErasureSet(drives, { ...CTX, locks });
    await plain.putObject(BUCKET, 'key', putBody(older), { headers: {} });

    // Drive 2 commits, but its answer is lost (a timeout after the node acted); drive 3 refuses.
    // While drive 2's answer is outstanding, another node reads the object. `asked` says whether the
    // writer may ask drive 2 afterwards what it holds.
    const run = async (asked: boolean): Promise<{ outcome: string; seenMidCommit?: Buffer }> => {
      let seenMidCommit: Buffer | undefined;
      let committed = false;
      const wrapped = drives.map((drive, slot): Drive => {
        if (slot === 3) return withCommit(drive, async () => Promise.reject(new DriveError('faulty', 'refused (test)')));
        if (slot !== 2) return drive;
        const lost = withCommit(drive, async (bucket, key, record, fence, data) => {
          await drive.commitVersion(bucket, key, record, fence, data);
          const etag = record.versions[0].etag;
          for (let i = 0; i < 200; i++) {
            const shown = await Promise.all([0, 1].map((s) => drives[s].readRecord(bucket, key)));
            if (shown.every((r) => r?.versions[0].etag === etag)) break;
            await sleep(10);
          }
          seenMidCommit = await readObject(new ErasureSet(drives, { ...CTX, locks: new NamespaceLock() }), BUCKET, key);
          committed = true;
          throw new DriveError('offline', 'no answer within 5000 ms (test)', true);
        });
        return new Proxy(lost, {
          get(target, prop) {
            if (prop === 'settleCommit' && committed && !asked) return async () => Promise.reject(new DriveError('offline', 'unreachable (test)', true));
            return Reflect.get(target, prop, target) as unknown;
          },
        });
      });
      const set = new ErasureSet(wrapped, { ...CTX, locks });
      const outcome = await set.putObject(BUCKET, 'key', putBody(newer), { headers: {} }).then(
        () => 'acknowledged',
        (err: unknown) => (err instanceof ObjectLayerError ? err.kind : String(err)),
      );
      return { outcome, seenMidCommit };
    };

    // The writer asks drive 2 what it holds, finds the version there: three drives, acknowledged.
    const answered = await run(true);
    expect(answered.outcome).toBe('acknowledged');
    expect(answered.seenMidCommit?.equals(newer), 'the read during the commit saw three drives holding the new version').toBe(true);
    expect((await readObject(plain, BUCKET, 'key')).equals(newer)).toBe(true);

    // Drive 2 cannot be asked: the version may have reached its write quorum, so it stands (503, an unknown outcome).
    await plain.putObject(BUCKET, 'key', putBody(older), { headers: {} });
    const unasked = await run(false);
    expect(unasked.outcome).toBe('write-quorum');
    expect(unasked.seenMidCommit?.equals(newer)).toBe(true);
    expect((await readObject(plain, BUCKET, 'key')).equals(newer), 'reads never go back to the version before').toBe(true);
  });

  it('a commit whose lost answers hid no commit is undone, as one refused', async () => {
    // Drives 2 and 3 never act, but their answers are lost: with them the version might have had its
    // write quorum, so the writer asks them, learns they hold the old version, and undoes the commit.
    await expectUndone(
      await overwrite(100_000, (drive, slot) => (slot >= 2 ? withCommit(drive, async () => Promise.reject(new DriveError('offline', 'no answer (test)', true))) : drive)),
    );
  });

  it('a lost commit that landed after the writer had settled it made a version it undid readable: the drive bars it', async () => {
    // Drive 2's commit times out at the caller but is still on its way, and lands 150 ms later (after
    // the writer asked the drive and undid the commit elsewhere); drive 3 refuses. Inline objects: the
    // late commit carries its data in the record (no staged files for the writer to discard).
    const late: Promise<unknown>[] = [];
    const scene = await overwrite(4000, (drive, slot) => {
      if (slot === 3) return withCommit(drive, async () => Promise.reject(new DriveError('faulty', 'refused (test)')));
      if (slot !== 2) return drive;
      return withCommit(drive, async (bucket, key, record, fence, data) => {
        late.push(sleep(150).then(() => drive.commitVersion(bucket, key, record, fence, data)).then(() => 'landed', (err: unknown) => (err as DriveError).kind));
        throw new DriveError('offline', 'no answer within 5000 ms (test)', true);
      });
    });
    await expectUndone(scene);
    expect(await Promise.all(late)).toEqual(['fenced']);
    await expectUndone(scene); // and nothing changed when it arrived
  });

  it('a commit refused by enough drives is still undone: only lost answers keep a version', async () => {
    await expectUndone(
      await overwrite(100_000, (drive, slot) =>
        slot < 2 ? withCommit(drive, async () => Promise.reject(new DriveError(slot === 0 ? 'offline' : 'faulty', 'refused before acting (test)'))) : drive,
      ),
    );
  });
});
