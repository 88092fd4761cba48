/**
 * A bucket's configuration across drives that miss things (issue 12, item 5), found by review: each
 * test is named after what went wrong, on a pool of four local drives (one of them switched off at
 * will), with the writes that go wrong made directly on a drive.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ErasurePool } from '../../src/erasure/pool.js';
import { ErasureSet } from '../../src/erasure/set.js';
import { armFailpoint } from '../../src/failpoints.js';
import { NamespaceLock } from '../../src/lock/namespace-lock.js';
import type { BucketConfig } from '../../src/meta/bucket-config.js';
import { metadataWriter } from '../../src/storage/metadata-writer.js';
import { faulty, formattedDrives, type DriveRig, type Faults } from '../helpers/drive-rig.js';
import { SYS } from '../helpers/heal-disk.js';
import { healBuckets } from '../../src/heal/listing.js';

const rigs: DriveRig[] = [];
afterEach(async () => {
  for (const rig of rigs.splice(0)) await rig.destroy();
});

async function pool(): Promise<{ rig: DriveRig; pool: ErasurePool; faults: Faults[] }> {
  const rig = await formattedDrives(4, [], 'tessera-bucket-config-');
  rigs.push(rig);
  const faults = rig.drives.map(() => ({ offline: false, failWrites: false }));
  const drives = rig.drives.map((d, i) => faulty(d, faults[i]));
  const set = new ErasureSet(drives, { blockSize: 1024 * 1024, inlineLimit: 128 * 1024, defaultParity: 2, locks: new NamespaceLock() });
  return { rig, pool: new ErasurePool([set], 'bucket-config-test'), faults };
}

const tagsOf = async (p: ErasurePool, bucket: string): Promise<[string, string][] | undefined> => (await p.getBucketConfig(bucket)).tags;

describe('bucket configuration across drives that miss things', () => {
  it('old tags came back on a bucket made again while one drive missed its deletion: they do not', async () => {
    const { rig, pool: p, faults } = await pool();
    await p.makeBucket('bkt');
    await p.updateBucketConfig('bkt', () => ({ tags: [['old', 'bucket']] }));
    const { created: old } = await p.getBucketInfo('bkt');
    await p.deleteBucket('bkt');
    // Drive 4 missed the deletion: it still has the old bucket's entry and configuration.
    await rig.drives[3].makeBucket('bkt', old.getTime());
    const stale: BucketConfig = { stamp: 1, tags: [['old', 'bucket']] };
    await rig.drives[3].writeBucketConfig('bkt', old.getTime(), stale);
    // Made again while drive 4 is away, and again with it there.
    faults[3].offline = true;
    await p.makeBucket('bkt');
    faults[3].offline = false;
    expect(await tagsOf(p, 'bkt')).toBeUndefined();
    await p.deleteBucket('bkt');
    await rig.drives[3].makeBucket('bkt', old.getTime());
    await rig.drives[3].writeBucketConfig('bkt', old.getTime(), stale);
    await p.makeBucket('bkt');
    expect(await tagsOf(p, 'bkt')).toBeUndefined();
    // Nor does heal spread them: drive 4's entry is made again as the bucket the others have.
    await rig.drives[3].makeBucket('bkt', old.getTime());
    await rig.drives[3].writeBucketConfig('bkt', old.getTime(), stale);
    await healBuckets(rig.drives, { settleMs: 0 });
    expect(await tagsOf(p, 'bkt')).toBeUndefined();
    expect((await rig.drives[3].statBucket('bkt'))?.created).toBe((await p.getBucketInfo('bkt')).created.getTime());
  });

  it('a DeleteBucket answered BucketNotEmpty removed the tags from the drives that had deleted the bucket: they get them back', async () => {
    const { rig, pool: p, faults } = await pool();
    await p.makeBucket('bkt');
    await p.updateBucketConfig('bkt', () => ({ tags: [['kept', 'yes']] }));
    // An object lands on drive 1 between the emptiness check and the deletions.
    const disarm = armFailpoint('pool.delete-bucket.checked', async () => {
      const version = { versionId: 'null', modTime: 1, deleteMarker: false, size: 0, etag: 'e', dataDir: '', headers: {}, checksums: {}, parts: [], erasure: { dataShards: 2, parityShards: 2, blockSize: 1024, index: 1, distribution: [1, 2, 3, 4] } };
      await rig.drives[0].writeRecord('bkt', 'late', { versions: [version] });
    });
    try {
      await expect(p.deleteBucket('bkt')).rejects.toMatchObject({ kind: 'bucket-not-empty' });
    } finally {
      disarm();
    }
    faults[0].offline = true;
    expect(await tagsOf(p, 'bkt')).toEqual([['kept', 'yes']]);
    for (const slot of [1, 2, 3]) expect((await rig.drives[slot].readBucketConfig('bkt', (await p.getBucketInfo('bkt')).created.getTime()))?.tags).toEqual([['kept', 'yes']]);
  });

  it('one damaged copy of the newest configuration (an unacknowledged change) made the bucket answer 503 for good: the newest readable one is served, and heal repairs the copy', async () => {
    const { rig, pool: p } = await pool();
    await p.makeBucket('bkt');
    const acknowledged = await p.updateBucketConfig('bkt', () => ({ tags: [['acknowledged', 'yes']] }));
    const { created } = await p.getBucketInfo('bkt');
    // A newer change reached drive 1 only, and its copy there rotted.
    const writer = metadataWriter();
    const store = await writer.open(join(rig.roots[0], SYS, 'meta'));
    try {
      await writer.write(store, { kind: 'put-bucket-config', bucket: 'bkt', created: created.getTime(), stamp: acknowledged.stamp + 1, value: randomBytes(40) });
    } finally {
      await writer.close(store);
    }
    await expect(rig.drives[0].readBucketConfig('bkt', created.getTime())).rejects.toMatchObject({ kind: 'damaged' });
    expect(await tagsOf(p, 'bkt')).toEqual([['acknowledged', 'yes']]);
    // A change goes on from there, and heal gives drive 1 an intact copy.
    await p.updateBucketConfig('bkt', () => ({ tags: [['next', 'change']] }));
    expect(await tagsOf(p, 'bkt')).toEqual([['next', 'change']]);
    await healBuckets(rig.drives, { settleMs: 0 });
    expect((await rig.drives[0].readBucketConfig('bkt', created.getTime()))?.tags).toEqual([['next', 'change']]);
  });

  it('a change with a stamp from a fast clock that reached two drives only made every later change miss its quorum: later changes go past it', async () => {
    const { rig, pool: p } = await pool();
    await p.makeBucket('bkt');
    const { created } = await p.getBucketInfo('bkt');
    await p.updateBucketConfig('bkt', () => ({ tags: [['v', '1']] }));
    const ahead: BucketConfig = { stamp: Date.now() * 1000 + 3_600_000_000, tags: [['v', 'unacknowledged']] };
    for (const slot of [0, 1]) expect(await rig.drives[slot].writeBucketConfig('bkt', created.getTime(), ahead)).toBe(true);
    await p.updateBucketConfig('bkt', () => ({ tags: [['v', '2']] }));
    expect(await tagsOf(p, 'bkt')).toEqual([['v', '2']]);
    await healBuckets(rig.drives, { settleMs: 0 });
    for (const drive of rig.drives) expect((await drive.readBucketConfig('bkt', created.getTime()))?.tags).toEqual([['v', '2']]);
  });
});
