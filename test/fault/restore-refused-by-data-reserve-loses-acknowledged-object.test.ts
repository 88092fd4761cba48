/**
 * Found by review (fixed since): the free-space guard can refuse the UNDO of a failed overwrite, and the undo then
 * deletes the new version's data anyway: the acknowledged object is lost.
 *
 * EC 2+2 on four drives. O is small (inline, its shards live in the records). The drives are nearly
 * full; a large PUT N streams its shards (the data reserve was met when the shard files were opened)
 * and the stream itself takes every drive below the data reserve, drives 3 and 4 even below the
 * metadata reserve. Commit: drives 1 and 2 record N (a record without inline data needs only the
 * metadata reserve), drives 3 and 4 refuse (DriveError 'full'): 2 < write quorum 3, so the commit is
 * undone (client: 507). The undo (ErasureSet.restore) writes O's record back on drives 1 and 2, but
 * that record carries inline data, so LocalDrive.writeRecord asks for the DATA reserve and is refused;
 * the failure is swallowed and restore then deletes N's data directory on those same drives.
 *
 * Left: drives 1-2 name N (read quorum 2) with no data, drives 3-4 name O. GET answers 503 for O, and
 * once space is back, heal finds N on read quorum with no part files, judges it dangling and removes
 * the `null` version from every drive: O, acknowledged and never successfully replaced, is gone.
 *
 * src/storage/local-drive.ts writeRecord (ensureOnline(carriesData(record) ? 'data' : 'metadata')),
 * src/erasure/set.ts restore (record restore `.catch(() => undefined)`, then deleteDataDir).
 */
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { healObject } from '../../src/erasure/heal.js';
import { ErasureSet } from '../../src/erasure/set.js';
import { NamespaceLock } from '../../src/lock/namespace-lock.js';
import type { SpaceReserve } from '../../src/storage/free-space.js';
import { SPACE_CHECK_REUSE_MS } from '../../src/storage/local-drive.js';
import { formattedDrives, putBody, readObject, type DriveRig } from '../helpers/drive-rig.js';

const BUCKET = 'review-bucket';
const KEY = 'placeholder';
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** What the drives' filesystems look like: before the large stream, or after it filled them. */
const space = { filled: false };

/** Drives 1-2 end up between the metadata and the data reserve, drives 3-4 below both. */
function reserve(slot: number): SpaceReserve {
  return {
    dataBytes: () => (space.filled ? Number.MAX_SAFE_INTEGER : 0),
    get metadataBytes() {
      return space.filled && slot >= 2 ? Number.MAX_SAFE_INTEGER : 0;
    },
  };
}

let rig: DriveRig | undefined;
afterAll(() => rig?.destroy());

describe('an overwrite refused by full drives', () => {
  it('leaves the object it failed to replace readable, before and after heal', async () => {
    rig = await formattedDrives(4, [BUCKET], 'tessera-review-', reserve);
    const set = new ErasureSet(rig.drives, { blockSize: 64 * 1024, inlineLimit: 16 * 1024, defaultParity: 2, locks: new NamespaceLock() });
    const read = (): Promise<Buffer> => readObject(set, BUCKET, KEY);

    const old = randomBytes(1000);
    await set.putObject(BUCKET, KEY, putBody(old), { headers: {} });
    expect(await read()).toEqual(old);

    // The large overwrite: its shard files open while there is room; streaming them fills the drives.
    const large = randomBytes(300 * 1024);
    async function* filling(): AsyncGenerator<Buffer> {
      yield large.subarray(0, 200 * 1024);
      await sleep(SPACE_CHECK_REUSE_MS.farFromReserve + 10); // longer than a drive reuses a space check
      space.filled = true;
      yield large.subarray(200 * 1024);
    }
    const err = await set
      .putObject(BUCKET, KEY, { ...putBody(large), stream: Readable.from(filling()) }, { headers: {} })
      .then(() => undefined, (e: unknown) => e as { kind?: string });
    expect(err?.kind).toBe('storage-full'); // the client is told the overwrite failed (507)

    await sleep(SPACE_CHECK_REUSE_MS.farFromReserve + 10);
    // The object the failed PUT did not replace is still what a GET serves...
    const before = await read().then((b) => (b.equals(old) ? 'old' : 'other'), (e: unknown) => `error: ${(e as { kind?: string }).kind ?? String(e)}`);
    // ...and still there once the drives have room again and heal has looked at it.
    space.filled = false;
    await sleep(SPACE_CHECK_REUSE_MS.farFromReserve + 10);
    const heal = await healObject(set, BUCKET, KEY);
    const after = await read().then((b) => (b.equals(old) ? 'old' : 'other'), (e: unknown) => `error: ${(e as { kind?: string }).kind ?? String(e)}`);
    expect({ before, after, heal: heal.outcome }).toEqual({ before: 'old', after: 'old', heal: expect.any(String) });
  });
});
