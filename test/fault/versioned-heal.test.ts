/**
 * Issue 12 item 7: a drive wiped under a versioned bucket is healed back with every version and
 * delete marker of every key, not only the current ones: each healed record is checked on disk
 * against a drive that was never touched (the same versions in the same order, each non-inline
 * version's shard file in place at its size), and every version is read back by id.
 */
import { createHash, randomBytes } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { mkdir, rm } from 'node:fs/promises';
import {
  CompleteMultipartUploadCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  PutBucketVersioningCommand,
  PutObjectCommand,
  UploadPartCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AdminClient } from '../../src/admin/client.js';
import { versionSignature } from '../../src/meta/record.js';
import { readRecords, shardPath } from '../helpers/heal-disk.js';
import { ACCESS_KEY, SECRET_KEY, TestServer } from '../helpers/server.js';

const BUCKET = 'backups';
const MiB = 1024 * 1024;
const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('a wiped drive under a versioned bucket', () => {
  let server: TestServer;
  let s3: S3Client;
  /** Every version written: its key, id and bytes (undefined for a delete marker). */
  const written: { key: string; id: string; body?: Buffer }[] = [];

  const put = async (key: string, body: Buffer): Promise<void> => {
    const { VersionId } = await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: body }));
    written.push({ key, id: VersionId!, body });
  };

  beforeAll(async () => {
    server = await TestServer.start({ drives: 4 });
    s3 = server.client();
    await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
    await s3.send(new PutBucketVersioningCommand({ Bucket: BUCKET, VersioningConfiguration: { Status: 'Enabled' } }));
    for (let i = 0; i < 3; i++) await put('small', randomBytes(1000 + i));
    for (let i = 0; i < 2; i++) await put('large', randomBytes(2 * MiB + 17 * i));
    await put('deleted', randomBytes(300));
    const marker = await s3.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: 'deleted' }));
    written.push({ key: 'deleted', id: marker.VersionId! });
    const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: BUCKET, Key: 'large' }));
    const parts = [randomBytes(5 * MiB), randomBytes(1234)];
    const etags: string[] = [];
    for (const [i, Body] of parts.entries()) etags.push((await s3.send(new UploadPartCommand({ Bucket: BUCKET, Key: 'large', UploadId, PartNumber: i + 1, Body }))).ETag!);
    const done = await s3.send(
      new CompleteMultipartUploadCommand({ Bucket: BUCKET, Key: 'large', UploadId, MultipartUpload: { Parts: etags.map((ETag, i) => ({ ETag, PartNumber: i + 1 })) } }),
    );
    written.push({ key: 'large', id: done.VersionId!, body: Buffer.concat(parts) });
    // Suspended: a null version beside the others.
    await s3.send(new PutBucketVersioningCommand({ Bucket: BUCKET, VersioningConfiguration: { Status: 'Suspended' } }));
    await put('small', randomBytes(99));
  });

  afterAll(async () => {
    await server?.destroy();
  });

  it('is healed with every version and delete marker, in order, data and all', async () => {
    const keys = [...new Set(written.map((w) => w.key))].map((key) => ({ bucket: BUCKET, key }));
    const before = await readRecords(server.drives[0], keys);
    expect(before.map((r) => r?.versions.length)).toEqual([4, 3, 2]);

    const slot = 1;
    await rm(server.drives[slot], { recursive: true, force: true });
    await mkdir(server.drives[slot]);
    const admin = new AdminClient({ url: server.endpoint, accessKey: ACCESS_KEY, secretKey: SECRET_KEY });
    const deadline = Date.now() + 60_000;
    while ((await admin.info().catch(() => undefined))?.drivesHealedSinceStart.length !== 1) {
      if (Date.now() > deadline) throw new Error(`the wiped drive was not healed\n${server.output}`);
      await sleep(200);
    }

    const reference = await readRecords(server.drives[0], keys);
    const healed = await readRecords(server.drives[slot], keys);
    for (const [i, { key }] of keys.entries()) {
      expect(healed[i]?.versions.map(versionSignature), key).toEqual(reference[i]!.versions.map(versionSignature));
      for (const [j, version] of healed[i]!.versions.entries()) {
        const theirs = reference[i]!.versions[j];
        if (version.deleteMarker || !version.dataDir) {
          expect(Boolean(version.inline?.length), `${key} ${version.versionId} inline`).toBe(Boolean(theirs.inline?.length));
          continue;
        }
        for (const part of version.parts) {
          const size = async (drive: string): Promise<number> => (await stat(shardPath(drive, BUCKET, version.dataDir, part.number))).size;
          expect(await size(server.drives[slot]), `${key} ${version.versionId} part ${part.number}`).toBe(await size(server.drives[0]));
        }
      }
    }
    for (const w of written) {
      const read = s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: w.key, VersionId: w.id }));
      if (!w.body) {
        await expect(read).rejects.toMatchObject({ name: 'MethodNotAllowed' });
        continue;
      }
      expect(sha(await (await read).Body!.transformToByteArray()), `${w.key} ${w.id}`).toBe(sha(w.body));
    }
  });
});
