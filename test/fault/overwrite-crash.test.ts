/**
 * Issue 10, failure 1: "Overwrite crash with parity below N/2 loses both versions". With
 * REDUCED_REDUNDANCY on four drives (3 data + 1 parity: read quorum 3, write quorum 3) the server is
 * killed after the new record reached two drives and before the commit could be undone: two drives
 * hold the new version, two the old, and neither has read quorum by its drives' current versions.
 * The overwrite was never acknowledged, so the old version must still be served, heal must restore
 * it on every drive (not remove every copy as dangling), and the new one's data must go.
 * The crash is made with failpoints armed through TESSERA_FAILPOINTS: two drives fail after their
 * data was placed, the other two record the new version, and the process dies where it would undo.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { etagsOnDrives, expectOldVersionKept, OVERWRITTEN_OBJECTS, putThatCrashes, writeThenStop } from '../helpers/overwrites.js';
import { TestServer } from '../helpers/server.js';

const BUCKET = 'overwrites';
const CRASH_MID_COMMIT = 'local-drive.commit.placed=error:2;erasure-set.commit.missed-quorum=crash:1';

describe('an overwrite that crashes mid-commit', () => {
  let server: TestServer | undefined;
  afterAll(async () => server?.destroy());

  it.each(OVERWRITTEN_OBJECTS)('overwrite crash with parity below N/2 loses both versions: it keeps the old one (%s object)', async (key, size) => {
    server ??= await TestServer.start({ drives: 4 });
    const old = await writeThenStop(server, BUCKET, key, size);

    await putThatCrashes(server, CRASH_MID_COMMIT, BUCKET, key, size);

    // The crash left the drives split two and two.
    expect(new Set(await etagsOnDrives(server, BUCKET, key)).size).toBe(2);

    // Every drive holds the old version whole after heal.
    await expectOldVersionKept(server, BUCKET, key, old, {});
  });
});
