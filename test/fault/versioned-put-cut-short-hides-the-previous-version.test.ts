/**
 * Issue 12: "a versioned PUT cut short hides the previous version". In a versioned bucket a new
 * version goes above the current one rather than replacing it. With REDUCED_REDUNDANCY on four drives
 * (3 data + 1 parity: read quorum 3, write quorum 3) the server is killed after the new version
 * reached two drives and before the commit could be undone: two drives show it above the old one,
 * two show only the old one. The new version was never acknowledged; the old one is on every drive
 * and must still be served, listed as the current version, and kept by heal (which removes the new
 * one as dangling), rather than the key reading as absent because only two drives show the old
 * version as their current one.
 */
import { CreateBucketCommand, GetObjectCommand, ListObjectVersionsCommand, PutBucketVersioningCommand } from '@aws-sdk/client-s3';
import { afterAll, describe, expect, it } from 'vitest';
import { expectOldVersionKept, OVERWRITTEN_OBJECTS, putThatCrashes, writeThenStop } from '../helpers/overwrites.js';
import { readRecords } from '../helpers/heal-disk.js';
import { TestServer } from '../helpers/server.js';

const BUCKET = 'versioned-crash';
const CRASH_MID_COMMIT = 'local-drive.commit.placed=error:2;erasure-set.commit.missed-quorum=crash:1';

describe('a versioned PUT that crashes mid-commit', () => {
  let server: TestServer | undefined;
  afterAll(async () => server?.destroy());

  it.each(OVERWRITTEN_OBJECTS)('a versioned PUT cut short hides the previous version: it is still the current one (%s object)', async (key, size) => {
    if (!server) {
      server = await TestServer.start({ drives: 4 });
      const admin = server.client();
      await admin.send(new CreateBucketCommand({ Bucket: BUCKET }));
      await admin.send(new PutBucketVersioningCommand({ Bucket: BUCKET, VersioningConfiguration: { Status: 'Enabled' } }));
      admin.destroy();
    }
    const old = await writeThenStop(server, BUCKET, key, size);

    await putThatCrashes(server, CRASH_MID_COMMIT, BUCKET, key, size);

    // Two drives hold the new version above the old one, two the old one alone.
    const records = await Promise.all(server.drives.map(async (drive) => (await readRecords(drive, [{ bucket: BUCKET, key }]))[0]));
    expect(records.map((r) => r?.versions.length).sort()).toEqual([1, 1, 2, 2]);

    server.env = {};
    await server.launch();
    const reader = server.client();
    const listed = await reader.send(new ListObjectVersionsCommand({ Bucket: BUCKET, Prefix: key }));
    expect(listed.Versions?.map((v) => [v.IsLatest, v.Size])).toEqual([[true, size]]);
    const got = await reader.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
    expect(got.VersionId).toBe(listed.Versions![0].VersionId);
    expect(Buffer.from(await got.Body!.transformToByteArray()).equals(old)).toBe(true);
    reader.destroy();
    await server.stop();
    // Heal keeps the old version whole on every drive.
    await expectOldVersionKept(server, BUCKET, key, old, {});
  });
});
