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
import { randomBytes } from 'node:crypto';
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import { afterAll, describe, expect, it } from 'vitest';
import { etagsOnDrives, expectOldVersionKept, putReduced } from '../helpers/overwrites.js';
import { TestServer } from '../helpers/server.js';

const BUCKET = 'overwrites';
const CRASH_MID_COMMIT = 'local-drive.commit.placed=error:2;erasure-set.commit.missed-quorum=crash:1';

describe('an overwrite that crashes mid-commit', () => {
  let server: TestServer | undefined;
  afterAll(async () => server?.destroy());

  // An inline object (its shards in the records) and one with part files.
  it.each([
    ['small', 1000],
    ['large', 3 * 1024 * 1024 + 17],
  ])('overwrite crash with parity below N/2 loses both versions: it keeps the old one (%s object)', async (key, size) => {
    server ??= await TestServer.start({ drives: 4 });
    let s3 = server.client();
    await s3.send(new CreateBucketCommand({ Bucket: BUCKET })).catch(() => undefined);
    const old = randomBytes(size);
    await putReduced(s3, BUCKET, key, old);
    s3.destroy();
    await server.stop();

    server.env = { TESSERA_FAILPOINTS: CRASH_MID_COMMIT };
    await server.launch();
    s3 = server.client({ maxAttempts: 1 });
    await expect(putReduced(s3, BUCKET, key, randomBytes(size))).rejects.toThrow();
    s3.destroy();
    await server.stop();
    expect(server.proc?.signalCode).toBe('SIGKILL');

    // The crash left the drives split two and two.
    expect(new Set(await etagsOnDrives(server, BUCKET, key)).size).toBe(2);

    // Every drive holds the old version whole after heal.
    await expectOldVersionKept(server, BUCKET, key, old, {});
  });
});
