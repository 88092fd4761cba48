/**
 * Compatibility with restic (its S3 backend is minio-go), repository
 * s3:http://127.0.0.1:PORT/bucket/repo with -o s3.bucket-lookup=path: init, backup of a mixed tree
 * (hundreds of small files, a few 1–10 MiB random files, empty files, a symlink), check
 * --read-data, snapshots --json, restore compared file by file by sha256, a second backup after
 * changes, diff between the snapshots, forget --keep-last 1 --prune and check --read-data again.
 */
import { appendFile, mkdtemp, rm, symlink, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command, ListObjectVersionsCommand, PutBucketVersioningCommand, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { TestServer } from '../helpers/server.js';
import { KiB, MiB, clientSuite, debianClient, expectSuccess, hashTree, makeSmallTree, resticEnv, resticRepoArgs, run, treeObject, writeRandomFile } from './compat.js';

const { path: RESTIC, missing } = debianClient('restic');

interface Snapshot {
  id: string;
  short_id: string;
  paths: string[];
  time: string;
}

clientSuite('restic', missing, () => {
  let server: TestServer;
  let s3: S3Client;
  let work: string;
  let env: NodeJS.ProcessEnv;
  let repoArgs: string[];
  const bucket = 'restic-compat';

  const restic = (...args: string[]) => run(RESTIC!, [...repoArgs, ...args], { env, cwd: work, timeoutMs: 85_000 });
  const data = () => join(work, 'data');
  let small: string[] = [];
  let first: Snapshot;
  let second: Snapshot;

  beforeAll(async () => {
    server = await TestServer.start({ drives: 4 });
    s3 = server.client();
    work = await mkdtemp(join(tmpdir(), 'tessera-compat-restic-'));
    repoArgs = resticRepoArgs(server.endpoint, `${bucket}/repo`);
    env = resticEnv(work);
  });

  afterAll(async () => {
    s3?.destroy();
    await server?.destroy();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('init creates the repository (and the bucket)', async () => {
    const res = expectSuccess(await restic('init'));
    expect(res.stdout).toMatch(/created restic repository/);
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: 'repo/' }));
    const keys = (listed.Contents ?? []).map((o) => o.Key);
    expect(keys).toContain('repo/config');
    expect(keys.some((k) => k!.startsWith('repo/keys/'))).toBe(true);
  });

  it('backup of a mixed tree, check --read-data, snapshots --json', async () => {
    small = await makeSmallTree(data(), 300, 16 * KiB, 3);
    await writeRandomFile(join(data(), 'big', 'one.bin'), 1 * MiB);
    await writeRandomFile(join(data(), 'big', 'four.bin'), 4 * MiB + 123);
    await writeRandomFile(join(data(), 'big', 'ten.bin'), 10 * MiB);
    await writeFile(join(data(), 'empty-1'), '');
    await writeRandomFile(join(data(), 'a', 'empty-2'), 0);
    await symlink('big/four.bin', join(data(), 'link-to-four'));
    await symlink('does/not/exist', join(data(), 'dangling-link'));

    const backup = expectSuccess(await restic('backup', '--json', data()));
    const summary = backup.stdout.trim().split('\n').map((l) => JSON.parse(l)).find((m) => m.message_type === 'summary');
    expect(summary, backup.stdout.slice(-2000)).toBeDefined();
    // Regular files only: restic counts symlinks as neither new files nor directories.
    expect(summary.files_new).toBe(300 + 3 + 2);
    // restic 0.14 reports the short id here, later versions the full one.
    expect(summary.snapshot_id).toMatch(/^[0-9a-f]{8,64}$/);

    expectSuccess(await restic('check', '--read-data'));

    const snaps = JSON.parse(expectSuccess(await restic('snapshots', '--json')).stdout) as Snapshot[];
    expect(snaps).toHaveLength(1);
    expect(snaps[0].paths).toEqual([data()]);
    expect(snaps[0].id.startsWith(summary.snapshot_id)).toBe(true);
    first = snaps[0];
  });

  it('restore latest reproduces every file (sha256), empty file and symlink', async () => {
    const target = join(work, 'restore1');
    expectSuccess(await restic('restore', 'latest', '--target', target));
    // restic restores the absolute path under the target.
    const restored = await hashTree(join(target, data()), true);
    const original = await hashTree(data(), true);
    expect(treeObject(restored)).toEqual(treeObject(original));
    expect(restored.get('link-to-four')).toEqual({ type: 'symlink', target: 'big/four.bin' });
    expect(restored.get('empty-1')).toMatchObject({ type: 'file', size: 0 });
  });

  it('a second backup after changes, and diff shows exactly those changes', async () => {
    await appendFile(join(data(), small[5]), 'modified\n');
    await writeRandomFile(join(data(), 'big', 'four.bin'), 4 * MiB + 123);
    await unlink(join(data(), small[6]));
    await writeRandomFile(join(data(), 'added', 'new.bin'), 2 * MiB);
    const backup = expectSuccess(await restic('backup', '--json', data()));
    const summary = backup.stdout.trim().split('\n').map((l) => JSON.parse(l)).find((m) => m.message_type === 'summary');
    expect(summary.files_new).toBe(1);
    expect(summary.files_changed).toBe(2);

    const snaps = JSON.parse(expectSuccess(await restic('snapshots', '--json')).stdout) as Snapshot[];
    expect(snaps).toHaveLength(2);
    second = snaps.find((s) => s.id !== first.id)!;
    expect(second.id.startsWith(summary.snapshot_id)).toBe(true);

    const diff = expectSuccess(await restic('diff', first.id, second.id));
    const lines = diff.stdout.split('\n').map((l) => l.trimEnd());
    const changes = lines.filter((l) => /^[+\-MUT?] {4}\//.test(l)).sort();
    expect(changes, diff.stdout).toEqual(
      [
        `M    ${join(data(), small[5])}`,
        `M    ${join(data(), 'big', 'four.bin')}`,
        `-    ${join(data(), small[6])}`,
        `+    ${join(data(), 'added')}/`,
        `+    ${join(data(), 'added', 'new.bin')}`,
      ].sort(),
    );
  });

  it('forget --keep-last 1 --prune, then check --read-data and restore of the remaining snapshot', async () => {
    const forget = expectSuccess(await restic('forget', '--keep-last', '1', '--prune'));
    expect(forget.stdout).toMatch(/remove 1 snapshots|removed snapshot/i);
    const snaps = JSON.parse(expectSuccess(await restic('snapshots', '--json')).stdout) as Snapshot[];
    expect(snaps.map((s) => s.id)).toEqual([second.id]);
    expectSuccess(await restic('check', '--read-data'));

    const target = join(work, 'restore2');
    expectSuccess(await restic('restore', 'latest', '--target', target));
    expect(treeObject(await hashTree(join(target, data()), true))).toEqual(treeObject(await hashTree(data(), true)));
  });

  it('a repository in a versioned bucket: forget --prune leaves delete markers, and what it deleted is still there by version id', async () => {
    await s3.send(new CreateBucketCommand({ Bucket: 'restic-versioned' }));
    await s3.send(new PutBucketVersioningCommand({ Bucket: 'restic-versioned', VersioningConfiguration: { Status: 'Enabled' } }));
    const args = resticRepoArgs(server.endpoint, 'restic-versioned/repo');
    const versioned = (...more: string[]) => run(RESTIC!, [...args, ...more], { env, cwd: work, timeoutMs: 85_000 });
    expectSuccess(await versioned('init'));
    expectSuccess(await versioned('backup', data()));
    await appendFile(join(data(), 'changed-for-versions.txt'), 'a change\n');
    expectSuccess(await versioned('backup', data()));
    expectSuccess(await versioned('forget', '--keep-last', '1', '--prune'));
    expectSuccess(await versioned('check', '--read-data'));
    const listed = await s3.send(new ListObjectVersionsCommand({ Bucket: 'restic-versioned', Prefix: 'repo/snapshots/' }));
    const markers = (listed.DeleteMarkers ?? []).filter((m) => m.IsLatest);
    expect(markers).toHaveLength(1);
    const forgotten = (listed.Versions ?? []).find((v) => v.Key === markers[0].Key)!;
    const body = await s3.send(new GetObjectCommand({ Bucket: 'restic-versioned', Key: forgotten.Key, VersionId: forgotten.VersionId }));
    expect((await body.Body!.transformToByteArray()).length).toBe(forgotten.Size);
  });
});
