/**
 * Issue 12: "heal removed an acknowledged delete marker". A versioned DELETE made its marker on three
 * of four drives (the fourth offline): write quorum, acknowledged. Two of those three then lost their
 * records (replaced drives). Reads cannot decide (the blank drives may have held the marker) and
 * answer 503. Heal judged the marker by itself, found it on one drive of four with every drive
 * answering, removed it as dangling, and the deleted object came back. A marker has no data: heal
 * gives it back to every drive, and the key reads as deleted.
 */
import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { healObject } from '../../src/erasure/heal.js';
import { ErasureSet } from '../../src/erasure/set.js';
import { NamespaceLock } from '../../src/lock/namespace-lock.js';
import { faulty, formattedDrives, putBody, type DriveRig, type Faults } from '../helpers/drive-rig.js';

const BUCKET = 'markers';
const CTX = { blockSize: 1024 * 1024, inlineLimit: 128 * 1024, defaultParity: 2 };

describe('a delete marker on write quorum whose holders lost their records', () => {
  let rig: DriveRig | undefined;
  afterEach(async () => rig?.destroy());

  it('heal removed an acknowledged delete marker: it gives the marker back to every drive, and the object stays deleted', async () => {
    rig = await formattedDrives(4, [BUCKET], 'tessera-marker-heal-');
    const faults: Faults[] = rig.drives.map(() => ({ offline: false, failWrites: false }));
    const set = new ErasureSet(rig.drives.map((d, i) => faulty(d, faults[i])), { ...CTX, locks: new NamespaceLock() });
    await set.putObject(BUCKET, 'k', putBody(randomBytes(1000)), { headers: {} }, 'Enabled');
    faults[3].offline = true;
    const marker = (await set.deleteObject(BUCKET, 'k', 'Enabled')).versionId!;
    faults[3].offline = false;
    await rig.drives[1].writeRecord(BUCKET, 'k', undefined);
    await rig.drives[2].writeRecord(BUCKET, 'k', undefined);
    await expect(set.getObjectInfo(BUCKET, 'k')).rejects.toMatchObject({ kind: 'read-quorum' });

    const result = await healObject(set, BUCKET, 'k');
    expect(result.outcome, result.reasons.join('; ')).toBe('healed');
    for (const drive of rig.drives) expect((await drive.readRecord(BUCKET, 'k'))?.versions[0]).toMatchObject({ versionId: marker, deleteMarker: true });
    await expect(set.getObjectInfo(BUCKET, 'k')).rejects.toMatchObject({ kind: 'no-such-key', facts: { deleteMarker: { versionId: marker } } });
  });

  it('a marker the drives prove never reached its write quorum is still removed as dangling', async () => {
    rig = await formattedDrives(4, [BUCKET], 'tessera-marker-heal-');
    const set = new ErasureSet(rig.drives, { ...CTX, locks: new NamespaceLock() });
    const kept = await set.putObject(BUCKET, 'k', putBody(randomBytes(1000)), { headers: {} }, 'Enabled');
    await set.deleteObject(BUCKET, 'k', 'Enabled');
    // Undone on three drives (a commit that missed quorum), left on one by a crash: the others prove it.
    for (const slot of [1, 2, 3]) await rig.drives[slot].writeRecord(BUCKET, 'k', { versions: [(await rig.drives[slot].readRecord(BUCKET, 'k'))!.versions[1]] });
    const result = await healObject(set, BUCKET, 'k');
    expect(result.versionsRemoved).toBe(1);
    for (const drive of rig.drives) expect((await drive.readRecord(BUCKET, 'k'))?.versions.map((v) => v.versionId)).toEqual([kept.versionId]);
    expect((await set.getObjectInfo(BUCKET, 'k')).versionId).toBe(kept.versionId);
  });
});
