/**
 * Heal must never bring back a version an acknowledged overwrite replaced. (A review found it doing
 * so with a heal that passed over any version short of read quorum once every drive answered; that
 * rule was dropped before it shipped.)
 *
 * EC 2+2 on four drives (read quorum 2, write quorum 3). O is written everywhere (small: inline).
 * While drive 4 is offline, PUT N succeeds on drives 1-3 (write quorum; its records name drive 4 in
 * notSentTo and keep O as `replaced`). Drive 4 returns, still holding O. Then a DELETE is cut short:
 * it removes the record on drives 1 and 2 and fails on 3 and 4 (a crash mid-delete does the same),
 * so the client gets 503. The only acceptable states now are "N" or "no such key".
 *
 * Reads answer 503 (the blank drives may have lost N). Heal, with every drive answering, finds no
 * version it may serve and removes the key, as the interrupted delete would have; it must not take O,
 * held by drive 3 as `replaced` and by drive 4 as current (2 = read quorum).
 */
import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { healObject } from '../../src/erasure/heal.js';
import { ErasureSet } from '../../src/erasure/set.js';
import { NamespaceLock } from '../../src/lock/namespace-lock.js';
import { faulty, formattedDrives, putBody, readObject, type DriveRig } from '../helpers/drive-rig.js';

const BUCKET = 'heal-bucket';
const KEY = 'k';

let rig: DriveRig | undefined;
afterAll(() => rig?.destroy());

describe('heal after an interrupted delete', () => {
  it('never serves the version an acknowledged overwrite replaced', async () => {
    rig = await formattedDrives(4, [BUCKET], 'tessera-review-');
    const faults = rig.drives.map(() => ({ offline: false, failWrites: false }));
    const set = new ErasureSet(rig.drives.map((d, i) => faulty(d, faults[i])), { blockSize: 64 * 1024, inlineLimit: 16 * 1024, defaultParity: 2, locks: new NamespaceLock() });
    const read = (): Promise<Buffer> => readObject(set, BUCKET, KEY);

    const old = randomBytes(1000);
    await set.putObject(BUCKET, KEY, putBody(old), { headers: {} });

    // Drive 4 offline: the overwrite reaches drives 1-3, write quorum, and is acknowledged.
    faults[3].offline = true;
    const neu = randomBytes(1000);
    await set.putObject(BUCKET, KEY, putBody(neu), { headers: {} });
    faults[3].offline = false;
    expect(await read()).toEqual(neu);

    // A DELETE cut short: drives 1 and 2 drop the record, drives 3 and 4 do not. The client gets 503.
    // (Only writeRecord is asked of a drive here, so faulty's wider set of refused writes changes nothing.)
    faults[2].failWrites = true;
    faults[3].failWrites = true;
    await expect(set.deleteObject(BUCKET, KEY)).rejects.toThrow();
    faults[2].failWrites = false;
    faults[3].failWrites = false;

    await healObject(set, BUCKET, KEY);

    // Acceptable: N, or no such key. Never O.
    const after = await read().then(
      (bytes) => (bytes.equals(old) ? 'old (overwritten) version' : bytes.equals(neu) ? 'new version' : 'other bytes'),
      (err: unknown) => (err as { kind?: string }).kind ?? String(err),
    );
    expect(after).not.toBe('old (overwritten) version');
  });
});
