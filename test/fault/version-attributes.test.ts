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
    await healthy.putObject(BUCKET, 'k', putBody(data), { headers: {}, attributes: { tags: [['before', '1']] } });

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

  it('a change cut short on one drive gave its revision number to another change: the copies stay told apart, and the lock is judged by the strongest copy', async () => {
    rig = await formattedDrives(4, [BUCKET]);
    const healthy = setWith([]);
    await healthy.putObject(BUCKET, 'k', putBody(Buffer.alloc(1000, 5)), { headers: {}, attributes: { retention: { mode: 'COMPLIANCE', until: Date.now() + 3_600_000 } } }, 'Enabled');
    const { versionId } = await healthy.getObjectInfo(BUCKET, 'k');
    // A change that reached drive 0 alone and could not be undone there (its node died): revision 1, no retention.
    const own = (await rig.drives[0].readRecord(BUCKET, 'k'))!;
    await rig.drives[0].writeRecord(BUCKET, 'k', { versions: [{ ...own.versions[0], retention: undefined, tags: [['t', '1']], revision: 1 }] });
    // The next change is numbered above every copy: revision 2, not a second revision 1.
    const extended = Date.now() + 7_200_000;
    await healthy.updateVersion(BUCKET, 'k', versionId, () => ({ retention: { mode: 'COMPLIANCE', until: extended } }));
    const revisions = await Promise.all(rig.drives.map(async (d) => (await d.readRecord(BUCKET, 'k'))!.versions[0].revision));
    expect(revisions).toEqual([2, 2, 2, 2]);
    // Before, the stray copy and the acknowledged one shared a signature; now they differ.
    const { versionSignature } = await import('../../src/meta/record.js');
    const base = (await rig.drives[1].readRecord(BUCKET, 'k'))!.versions[0];
    expect(versionSignature({ ...base, retention: undefined })).not.toBe(versionSignature(base));
    // A weakening judged against the strongest copy any drive holds is refused, and the version stays.
    await rig.drives[3].writeRecord(BUCKET, 'k', { versions: [{ ...base, retention: undefined, revision: 2 }] });
    await expect(healthy.updateVersion(BUCKET, 'k', versionId, (current) => {
      if (current.retention?.mode === 'COMPLIANCE' && current.retention.until > Date.now()) throw new Error('refused: COMPLIANCE');
      return { retention: undefined };
    })).rejects.toThrow(/COMPLIANCE/);
    await expect(healthy.deleteVersion(BUCKET, 'k', versionId)).rejects.toMatchObject({ kind: 'object-locked' });
  });
});
