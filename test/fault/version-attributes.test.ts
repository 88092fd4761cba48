/**
 * Changing a version's attributes in place (object tags; issue 12) on an EC 2+2 set of LocalDrives,
 * some made to fail their record writes: a change that misses its write quorum is undone where it
 * was made and the old tags stay readable; one that reaches it is read everywhere, and heal gives it
 * to the drive that missed it.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { healObject } from '../../src/erasure/heal.js';
import { ErasureSet } from '../../src/erasure/set.js';
import { NamespaceLock } from '../../src/lock/namespace-lock.js';
import { DriveError, type Drive } from '../../src/storage/drive.js';
import { formattedDrives, putBody, readObject, withMethod, type DriveRig } from '../helpers/drive-rig.js';

const BUCKET = 'attributes';
const CTX = { blockSize: 64 * 1024, inlineLimit: 16 * 1024, defaultParity: 2 };

describe('a version changed in place', () => {
  let rig: DriveRig | undefined;
  afterEach(async () => {
    await rig?.destroy();
    rig = undefined;
  });

  /** A set over the rig's drives, where the drives at `failing` refuse record writes. */
  const setWith = (failing: number[]): ErasureSet =>
    new ErasureSet(
      rig!.drives.map((d, slot): Drive => (failing.includes(slot) ? withMethod(d, 'writeRecord', async () => Promise.reject(new DriveError('faulty', 'refused'))) : d)),
      { ...CTX, locks: new NamespaceLock() },
    );

  it.each([
    ['inline', 1000],
    ['in part files', 200 * 1024],
  ])('a tag change that misses its write quorum leaves the old tags; one that reaches it is healed onto the drive it missed (%s)', async (_, size) => {
    rig = await formattedDrives(4, [BUCKET]);
    const healthy = setWith([]);
    const data = Buffer.alloc(size, 5);
    await healthy.putObject(BUCKET, 'k', putBody(data), { headers: {}, tags: [['before', '1']] });

    // Two of four drives refuse: 2 < write quorum 3. The two that took it are put back.
    await expect(setWith([0, 1]).updateVersion(BUCKET, 'k', undefined, () => ({ tags: [['after', '2']] }))).rejects.toMatchObject({ kind: 'write-quorum' });
    expect((await healthy.getObjectInfo(BUCKET, 'k')).tags).toEqual([['before', '1']]);
    for (const drive of rig.drives) expect((await drive.readRecord(BUCKET, 'k'))?.versions[0].tags).toEqual([['before', '1']]);

    // One refuses: the change stands, readable by every reader; heal brings the fourth drive up to it.
    const changed = await setWith([3]).updateVersion(BUCKET, 'k', undefined, () => ({ tags: [['after', '2']] }));
    expect(changed.tags).toEqual([['after', '2']]);
    expect((await healthy.getObjectInfo(BUCKET, 'k')).tags).toEqual([['after', '2']]);
    expect((await rig.drives[3].readRecord(BUCKET, 'k'))?.versions[0].tags).toEqual([['before', '1']]);
    const healed = await healObject(healthy, BUCKET, 'k');
    expect(healed.outcome).toBe('healed');
    for (const drive of rig.drives) expect((await drive.readRecord(BUCKET, 'k'))?.versions[0].tags).toEqual([['after', '2']]);
    // The data was never touched.
    expect((await readObject(healthy, BUCKET, 'k')).equals(data)).toBe(true);
  });
});
