/**
 * Found by the torture suite (30-minute run, parity 1, seed 1582108621, at 401 s): a drive was wiped
 * and went offline; an overwrite made while it was offline reached two of the three drives left and
 * the node died mid-commit. At restart the wiped drive is formatted again, empty. The drives then show
 * the unacknowledged new version on two drives, the acknowledged old one on the third (and as the
 * version the new one replaced on the two), and nothing on the fourth. A drive without any record may
 * have lost the new version with its disk, so the old one was not served (503), and heal then removed
 * every copy of the key as dangling: GET answered 404 for an acknowledged write.
 *
 * The fourth drive cannot hold a version whose commit was never sent to it: each version's record now
 * names the slots it was not sent to, and only the others count as drives that may hide a copy.
 */
import { randomBytes } from 'node:crypto';
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, describe, expect, it } from 'vitest';
import { etagsOnDrives, expectOldVersionKept, OVERWRITTEN_OBJECTS, putReduced, writeThenStop } from '../helpers/overwrites.js';
import { TestServer } from '../helpers/server.js';

const BUCKET = 'wiped';
// One of the three live drives fails its commit, two record the new version, and the process dies
// where it would undo them.
const CRASH_MID_COMMIT = 'local-drive.commit.placed=error:1;erasure-set.commit.missed-quorum=crash:1';

async function wipe(drive: string): Promise<void> {
  for (const entry of await readdir(drive)) await rm(join(drive, entry), { recursive: true, force: true });
}

describe('an overwrite made while a drive was wiped, cut short by a crash', () => {
  let server: TestServer | undefined;
  afterAll(async () => server?.destroy());

  it.each(OVERWRITTEN_OBJECTS)('a wiped drive without any record does not hide the version an interrupted overwrite replaced (%s object)', async (key, size) => {
    // No background healing: the wiped drive stays offline until the restart formats it again, and
    // the first GET after it is answered from what the crash left, before any heal.
    server ??= await TestServer.start({ drives: 4, env: { TESSERA_HEAL: 'off' } });
    const old = await writeThenStop(server, BUCKET, key, size);

    server.env = { ...server.env, TESSERA_FAILPOINTS: CRASH_MID_COMMIT };
    await server.launch();
    const s3 = server.client({ maxAttempts: 1 });
    await wipe(server.drives[3]);
    // A read notices the wipe (the drive's identity is checked at most every 100 ms) and the drive goes offline.
    await new Promise((r) => setTimeout(r, 150));
    await s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key }));
    await expect(putReduced(s3, BUCKET, key, randomBytes(size))).rejects.toThrow();
    s3.destroy();
    await server.stop();
    expect(server.proc?.signalCode).toBe('SIGKILL');

    // Two drives hold the new version, one the old, the wiped one nothing.
    const etags = await etagsOnDrives(server, BUCKET, key);
    expect(etags[3]).toBeUndefined();
    expect(new Set(etags.slice(0, 3)).size).toBe(2);

    // The first GET after the restart (no heal has run) serves the old version; heal puts it on every
    // drive, the formatted-again one too.
    await expectOldVersionKept(server, BUCKET, key, old, { ...server.env, TESSERA_FAILPOINTS: '' });
  });
});
