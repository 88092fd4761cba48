/**
 * Compatibility with rclone (remote "t" of type s3, provider Other, configured only through
 * RCLONE_CONFIG_T_* environment variables, path style): mkdir, copy of a tree with a 40 MiB file
 * (multipart: 5 MiB cutoff and chunks), check, sync after changes, check --download, lsjson,
 * delete and purge. Content is compared by sha256 after copying everything back down.
 */
import { appendFile, mkdir, mkdtemp, rm, unlink, writeFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand, HeadBucketCommand, HeadObjectCommand, PutBucketVersioningCommand, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { TestServer } from '../helpers/server.js';
import { rootAdmin } from '../helpers/iam-fixtures.js';
import {
  KiB,
  MiB,
  RCLONE_MULTIPART as multipart,
  clientSuite,
  debianClient,
  expectSuccess,
  hashTree,
  makeSmallTree,
  rcloneDifferences as differences,
  rcloneEnv,
  run,
  treeObject,
  writeRandomFile,
  listKeys,
  excerpt,
} from './compat.js';

const { path: RCLONE, missing } = debianClient('rclone');

interface LsEntry {
  Path: string;
  Name: string;
  Size: number;
  IsDir: boolean;
  Hashes?: Record<string, string>;
}

clientSuite('rclone', missing, () => {
  let server: TestServer;
  let s3: S3Client;
  let work: string;
  let env: NodeJS.ProcessEnv;
  const bucket = 'rclone-compat';

  const rclone = (...args: string[]) => run(RCLONE!, [...args], { env, cwd: work, timeoutMs: 80_000 });

  beforeAll(async () => {
    server = await TestServer.start({ drives: 4 });
    s3 = server.client();
    work = await mkdtemp(join(tmpdir(), 'tessera-compat-rclone-'));
    env = await rcloneEnv(work, server.endpoint);
  });

  afterAll(async () => {
    s3?.destroy();
    await server?.destroy();
    if (work) await rm(work, { recursive: true, force: true });
  });

  const src = () => join(work, 'src');
  let small: string[] = [];

  it('mkdir creates the bucket', async () => {
    expectSuccess(await rclone('mkdir', `t:${bucket}`));
    await s3.send(new HeadBucketCommand({ Bucket: bucket }));
    const lsd = expectSuccess(await rclone('lsd', 't:'));
    expect(lsd.stdout).toContain(bucket);
  });

  it('copy of a tree with a 40 MiB file (multipart), then check finds 0 differences', async () => {
    small = await makeSmallTree(src(), 60, 64 * KiB, 7);
    await writeRandomFile(join(src(), 'large', '40MiB.bin'), 40 * MiB);
    await writeRandomFile(join(src(), 'large', '6MiB.bin'), 6 * MiB + 5);
    const copy = expectSuccess(await rclone('copy', ...multipart, '--transfers', '4', src(), `t:${bucket}/tree`));
    expect(copy.stderr).not.toMatch(/ERROR/);
    // 40 MiB in 5 MiB chunks: 8 parts.
    const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'tree/large/40MiB.bin' }));
    expect(head.ContentLength).toBe(40 * MiB);
    expect(head.ETag).toMatch(/^"[0-9a-f]{32}-8"$/);
    const check = await rclone('check', src(), `t:${bucket}/tree`);
    expectSuccess(check);
    expect(differences(check.stderr), check.stderr).toBe('0');
    expect(check.stderr).toMatch(/62 matching files/);

    const down = join(work, 'down1');
    expectSuccess(await rclone('copy', `t:${bucket}/tree`, down));
    expect(treeObject(await hashTree(down))).toEqual(treeObject(await hashTree(src())));
  });

  it('sync after changes, then check --download finds 0 differences', async () => {
    // Change two files (one of them the large one), add two, delete two.
    await appendFile(join(src(), small[3]), 'changed\n');
    await writeRandomFile(join(src(), 'large', '40MiB.bin'), 40 * MiB);
    await writeRandomFile(join(src(), 'new', 'added-1.bin'), 10 * KiB);
    await writeRandomFile(join(src(), 'new', 'added 2.bin'), 0);
    await unlink(join(src(), small[10]));
    await unlink(join(src(), small[11]));
    const sync = expectSuccess(await rclone('sync', ...multipart, '-v', src(), `t:${bucket}/tree`));
    // -v logs one "Copied" line per transferred file and one "Deleted" per removed one.
    expect(sync.stderr.match(/: Copied \(/g) ?? [], sync.stderr).toHaveLength(4);
    expect(sync.stderr.match(/: Deleted/g) ?? [], sync.stderr).toHaveLength(2);

    const check = await rclone('check', '--download', src(), `t:${bucket}/tree`);
    expectSuccess(check);
    expect(differences(check.stderr), check.stderr).toBe('0');
    expect(check.stderr).toMatch(/62 matching files/);

    const down = join(work, 'down2');
    expectSuccess(await rclone('copy', `t:${bucket}/tree`, down));
    expect(treeObject(await hashTree(down))).toEqual(treeObject(await hashTree(src())));
  });

  it('lsjson -R --hash lists every file with its size and MD5', async () => {
    const ls = expectSuccess(await rclone('lsjson', '-R', '--hash', '--files-only', `t:${bucket}/tree`));
    const entries = JSON.parse(ls.stdout) as LsEntry[];
    const local = await hashTree(src());
    expect(entries.map((e) => e.Path).sort()).toEqual([...local.keys()].sort());
    for (const e of entries) {
      const l = local.get(e.Path)!;
      expect(l.type === 'file' && l.size, e.Path).toBe(e.Size);
    }
    // Single-part objects have their MD5 as ETag; rclone keeps it in metadata for multipart ones.
    const md5sum = expectSuccess(await rclone('md5sum', `t:${bucket}/tree`));
    const local5 = expectSuccess(await rclone('md5sum', src()));
    const norm = (t: string) => t.trim().split('\n').sort();
    expect(norm(md5sum.stdout)).toEqual(norm(local5.stdout));
  });

  it('delete removes the matching files and keeps the rest', async () => {
    const before = (JSON.parse(expectSuccess(await rclone('lsjson', '-R', '--files-only', `t:${bucket}/tree`)).stdout) as LsEntry[]).map((e) => e.Path);
    expectSuccess(await rclone('delete', '--include', '*.txt', `t:${bucket}/tree`));
    const after = (JSON.parse(expectSuccess(await rclone('lsjson', '-R', '--files-only', `t:${bucket}/tree`)).stdout) as LsEntry[]).map((e) => e.Path);
    expect(after.sort()).toEqual(before.filter((p) => !p.endsWith('.txt')).sort());
    expect(after.length).toBeGreaterThan(0);
  });

  it('versions: in a versioned bucket an overwrite and a delete keep the old contents, which --s3-versions lists and --s3-version-at reads', async () => {
    const versioned = 'rclone-versions';
    await s3.send(new CreateBucketCommand({ Bucket: versioned }));
    await s3.send(new PutBucketVersioningCommand({ Bucket: versioned, VersioningConfiguration: { Status: 'Enabled' } }));
    const dir = join(work, 'versions');
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'a.txt'), 'first');
    expectSuccess(await rclone('copy', dir, `t:${versioned}`));
    await new Promise((r) => setTimeout(r, 1100));
    const between = new Date().toISOString();
    await new Promise((r) => setTimeout(r, 1100));
    await writeFile(join(dir, 'a.txt'), 'second, longer');
    expectSuccess(await rclone('copy', dir, `t:${versioned}`));
    const names = async (...flags: string[]) => expectSuccess(await rclone('lsf', ...flags, `t:${versioned}`)).stdout.trim().split('\n').filter(Boolean).sort();
    expect(await names()).toEqual(['a.txt']);
    const all = await names('--s3-versions');
    expect(all).toHaveLength(2);
    expect(all).toContain('a.txt');
    expect(expectSuccess(await rclone('cat', '--s3-version-at', between, `t:${versioned}/a.txt`)).stdout).toBe('first');
    expectSuccess(await rclone('delete', `t:${versioned}`));
    expect(await names()).toEqual([]);
    expect(await names('--s3-versions')).toHaveLength(2);
    expect(expectSuccess(await rclone('cat', '--s3-version-at', between, `t:${versioned}/a.txt`)).stdout).toBe('first');
  });

  it('a backup key that may write and read but not delete: copy works, delete and purge are refused and remove nothing', async () => {
    const admin = rootAdmin(server);
    await admin.addUser('rclone-backup', 'rclone-backup-secret');
    await admin.putPolicy('backup-no-delete', JSON.stringify({
      Version: '2012-10-17',
      Statement: [
        { Effect: 'Allow', Action: ['s3:ListBucket', 's3:GetBucketLocation', 's3:ListBucketMultipartUploads'], Resource: `arn:aws:s3:::${bucket}` },
        { Effect: 'Allow', Action: ['s3:PutObject', 's3:GetObject', 's3:AbortMultipartUpload', 's3:ListMultipartUploadParts'], Resource: `arn:aws:s3:::${bucket}/*` },
      ],
    }));
    await admin.attachPolicies(['backup-no-delete'], { user: 'rclone-backup' });
    // no_check_bucket: rclone otherwise makes sure of the bucket by creating it, which this key may not (as rclone documents for AWS).
    const backupEnv = { ...env, RCLONE_CONFIG_T_ACCESS_KEY_ID: 'rclone-backup', RCLONE_CONFIG_T_SECRET_ACCESS_KEY: 'rclone-backup-secret', RCLONE_CONFIG_T_NO_CHECK_BUCKET: 'true' };
    const asBackup = (...args: string[]) => run(RCLONE!, args, { env: backupEnv, cwd: work, timeoutMs: 80_000 });
    await mkdir(join(work, 'backup'), { recursive: true });
    await writeFile(join(work, 'backup', 'db.dump'), randomBytes(64 * 1024));
    expectSuccess(await asBackup('copy', join(work, 'backup'), `t:${bucket}/backup`));
    const before = await listKeys(s3, bucket);
    expect(before).toContain('backup/db.dump');
    const deleted = await asBackup('delete', `t:${bucket}/backup`);
    expect(deleted.code, excerpt(deleted.stdout + deleted.stderr)).not.toBe(0);
    expect(deleted.stderr).toContain('AccessDenied');
    expect(await listKeys(s3, bucket)).toEqual(before);
  });

  it('purge removes the bucket with everything in it', async () => {
    expectSuccess(await rclone('purge', `t:${bucket}`));
    await expect(s3.send(new HeadBucketCommand({ Bucket: bucket }))).rejects.toMatchObject({ $metadata: { httpStatusCode: 404 } });
    const lsd = expectSuccess(await rclone('lsd', 't:'));
    expect(lsd.stdout).not.toContain(bucket);
  });
});
