/**
 * Heal never removes a version under Object Lock (issue 12 item 2): a locked version left on one
 * drive of four (dangling: below read quorum, every drive answering) stays, and heal says why; the
 * same version without a lock is removed.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { healObject } from '../../src/erasure/heal.js';
import { ErasureSet } from '../../src/erasure/set.js';
import { NamespaceLock } from '../../src/lock/namespace-lock.js';
import type { VersionAttributes } from '../../src/meta/record.js';
import { formattedDrives, putBody, type DriveRig } from '../helpers/drive-rig.js';

const BUCKET = 'worm';
const CTX = { blockSize: 64 * 1024, inlineLimit: 16 * 1024, defaultParity: 2 };

describe('heal and Object Lock', () => {
  let rig: DriveRig | undefined;
  afterEach(async () => rig?.destroy());

  it.each([
    ['under COMPLIANCE retention', { retention: { mode: 'COMPLIANCE' as const, until: Date.now() + 3_600_000 } }, true],
    ['under a legal hold', { legalHold: true }, true],
    ['whose retention has passed', { retention: { mode: 'COMPLIANCE' as const, until: Date.now() - 1 } }, false],
  ])('a dangling version %s is kept: %s', async (_, attributes: VersionAttributes, kept) => {
    rig = await formattedDrives(4, [BUCKET], 'tessera-lock-heal-');
    const set = new ErasureSet(rig.drives, { ...CTX, locks: new NamespaceLock() });
    await set.putObject(BUCKET, 'k', putBody(Buffer.alloc(100 * 1024, 3)), { headers: {}, attributes }, 'Enabled');
    for (const slot of [1, 2, 3]) await rig.drives[slot].writeRecord(BUCKET, 'k', undefined);
    const result = await healObject(set, BUCKET, 'k');
    const left = await rig.drives[0].readRecord(BUCKET, 'k');
    if (kept) {
      expect(left?.versions).toHaveLength(1);
      expect(result.reasons.join('; ')).toMatch(/Object Lock/);
    } else {
      expect(left).toBeUndefined();
      expect(result.versionsRemoved).toBe(1);
    }
  });
});
