/**
 * Compatibility with the real aws-cli v2 (Debian's awscli at /usr/bin/aws), path-style addressing:
 * s3 cp of a 100 MiB file (multipart at the default 8 MiB threshold) up and down, s3 sync of 500
 * small files both ways, incremental sync, sync --delete, s3api put/get-object --range,
 * copy-object, delete-objects, s3 presign, a readonly user's keys and --no-sign-request on a public
 * prefix, s3 rm --recursive and s3 rb.
 */
import { createHash } from 'node:crypto';
import { appendFile, mkdir, mkdtemp, readFile, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeleteBucketPolicyCommand, DeleteObjectCommand, HeadBucketCommand, HeadObjectCommand, PutBucketPolicyCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { rootAdmin } from '../helpers/iam-fixtures.js';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ACCESS_KEY, SECRET_KEY, TestServer, cleanEnv } from '../helpers/server.js';
import {
  KiB,
  MiB,
  clientSuite,
  excerpt,
  expectSuccess,
  findExecutable,
  hashTree,
  makeSmallTree,
  run,
  sha256,
  sha256File,
  treeObject,
  writeRandomFile,
  listKeys,
} from './compat.js';

const AWS = '/usr/bin/aws';
const missing = findExecutable(AWS) ? undefined : `${AWS} not found (install the Debian package "awscli", aws-cli v2)`;

clientSuite('aws-cli v2', missing, () => {
  let server: TestServer;
  let s3: S3Client;
  let work: string;
  let env: NodeJS.ProcessEnv;
  const bucket = 'aws-cli-compat';

  const aws = (...args: string[]) => run(AWS, [...args, '--endpoint-url', server.endpoint], { env, cwd: work, timeoutMs: 80_000 });
  const awsJson = async (...args: string[]): Promise<Record<string, any>> => {
    const res = expectSuccess(await aws(...args, '--output', 'json'));
    return res.stdout.trim() ? JSON.parse(res.stdout) : {};
  };
  /** The "upload: …", "download: …", "delete: …" result lines of an s3 command. */
  const resultLines = (stdout: string, verb: string) => stdout.split(/[\r\n]+/).filter((l) => l.startsWith(`${verb}: `));

  beforeAll(async () => {
    server = await TestServer.start({ drives: 4 });
    s3 = server.client();
    work = await mkdtemp(join(tmpdir(), 'tessera-compat-aws-'));
    const config = join(work, 'aws-config');
    await writeFile(config, '[default]\nregion = us-east-1\ns3 =\n    addressing_style = path\n');
    env = cleanEnv({
      AWS_ACCESS_KEY_ID: ACCESS_KEY,
      AWS_SECRET_ACCESS_KEY: SECRET_KEY,
      AWS_DEFAULT_REGION: 'us-east-1',
      AWS_CONFIG_FILE: config,
      AWS_SHARED_CREDENTIALS_FILE: join(work, 'no-credentials'),
      AWS_PAGER: '',
      AWS_EC2_METADATA_DISABLED: 'true',
      HOME: work,
    });
    expectSuccess(await aws('s3', 'mb', `s3://${bucket}`));
  });

  afterAll(async () => {
    s3?.destroy();
    await server?.destroy();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('s3 cp: a 100 MiB file up (multipart, 8 MiB parts) and down, same sha256', async () => {
    const src = join(work, 'big.bin');
    const hash = await writeRandomFile(src, 100 * MiB);
    const up = expectSuccess(await aws('s3', 'cp', '--no-progress', src, `s3://${bucket}/big/100MiB.bin`));
    expect(resultLines(up.stdout, 'upload')).toHaveLength(1);
    const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'big/100MiB.bin' }));
    expect(head.ContentLength).toBe(100 * MiB);
    // 100 MiB in 8 MiB parts: 13 parts, and a multipart ETag says so.
    expect(head.ETag).toMatch(/^"[0-9a-f]{32}-13"$/);
    await unlink(src);
    const dst = join(work, 'big.down');
    const down = expectSuccess(await aws('s3', 'cp', '--no-progress', `s3://${bucket}/big/100MiB.bin`, dst));
    expect(resultLines(down.stdout, 'download')).toHaveLength(1);
    expect(await sha256File(dst)).toBe(hash);
    await unlink(dst);
  });

  it('s3 sync: 500 small files up, back down into an empty dir, incremental, --delete', async () => {
    const src = join(work, 'tree');
    const paths = await makeSmallTree(src, 500, 20 * KiB, 42);
    const before = await hashTree(src);
    expect(before.size).toBe(500);

    const up = expectSuccess(await aws('s3', 'sync', '--no-progress', src, `s3://${bucket}/tree`));
    expect(resultLines(up.stdout, 'upload')).toHaveLength(500);
    expect(await listKeys(s3, bucket, 'tree/')).toEqual(paths.map((p) => `tree/${p}`).sort());

    const dst = join(work, 'tree-down');
    await mkdir(dst);
    const down = expectSuccess(await aws('s3', 'sync', '--no-progress', `s3://${bucket}/tree`, dst));
    expect(resultLines(down.stdout, 'download')).toHaveLength(500);
    expect(treeObject(await hashTree(dst))).toEqual(treeObject(before));

    // Nothing changed: a second sync transfers nothing.
    const idle = expectSuccess(await aws('s3', 'sync', '--no-progress', src, `s3://${bucket}/tree`));
    expect(resultLines(idle.stdout, 'upload'), idle.stdout).toHaveLength(0);

    // Change three files (their size changes, so sync must notice): exactly those three go up.
    const changed = [paths[7], paths[123], paths[499]];
    for (const p of changed) await appendFile(join(src, p), `changed ${p}\n`);
    const inc = expectSuccess(await aws('s3', 'sync', '--no-progress', src, `s3://${bucket}/tree`));
    const uploaded = resultLines(inc.stdout, 'upload');
    expect(uploaded, inc.stdout).toHaveLength(3);
    for (const p of changed) expect(uploaded.some((l) => l.endsWith(`s3://${bucket}/tree/${p}`)), `${p} in\n${inc.stdout}`).toBe(true);
    const incDown = expectSuccess(await aws('s3', 'sync', '--no-progress', `s3://${bucket}/tree`, dst));
    expect(resultLines(incDown.stdout, 'download')).toHaveLength(3);
    expect(treeObject(await hashTree(dst))).toEqual(treeObject(await hashTree(src)));

    // --delete removes what is gone locally, and only that.
    const removed = [paths[1], paths[250], paths[251], paths[400]];
    for (const p of removed) await unlink(join(src, p));
    const del = expectSuccess(await aws('s3', 'sync', '--no-progress', '--delete', src, `s3://${bucket}/tree`));
    expect(resultLines(del.stdout, 'delete'), del.stdout).toHaveLength(removed.length);
    expect(resultLines(del.stdout, 'upload'), del.stdout).toHaveLength(0);
    const remaining = await listKeys(s3, bucket, 'tree/');
    expect(remaining).toEqual(paths.filter((p) => !removed.includes(p)).map((p) => `tree/${p}`).sort());

    // A fresh download of what is left matches the local tree byte for byte.
    const again = join(work, 'tree-again');
    await mkdir(again);
    expectSuccess(await aws('s3', 'sync', '--no-progress', `s3://${bucket}/tree`, again));
    expect(treeObject(await hashTree(again))).toEqual(treeObject(await hashTree(src)));
  });

  it('s3api put-object and get-object with --range', async () => {
    const file = join(work, 'range.bin');
    const hash = await writeRandomFile(file, 300 * KiB + 17);
    const data = await readFile(file);
    const put = await awsJson('s3api', 'put-object', '--bucket', bucket, '--key', 'api/range.bin', '--body', file, '--metadata', 'color=blue');
    expect(put.ETag).toBe(`"${createHash('md5').update(data).digest('hex')}"`);

    const whole = join(work, 'range.whole');
    const full = await awsJson('s3api', 'get-object', '--bucket', bucket, '--key', 'api/range.bin', whole);
    expect(full.ContentLength).toBe(data.length);
    expect(full.Metadata).toEqual({ color: 'blue' });
    expect(await sha256File(whole)).toBe(hash);

    const part = join(work, 'range.part');
    const ranged = await awsJson('s3api', 'get-object', '--bucket', bucket, '--key', 'api/range.bin', '--range', 'bytes=1000-201999', part);
    expect(ranged.ContentLength).toBe(201_000);
    expect(ranged.ContentRange).toBe(`bytes 1000-201999/${data.length}`);
    expect(await sha256File(part)).toBe(sha256(data.subarray(1000, 202_000)));

    const tail = join(work, 'range.tail');
    const suffix = await awsJson('s3api', 'get-object', '--bucket', bucket, '--key', 'api/range.bin', '--range', 'bytes=-4096', tail);
    expect(suffix.ContentRange).toBe(`bytes ${data.length - 4096}-${data.length - 1}/${data.length}`);
    expect(await sha256File(tail)).toBe(sha256(data.subarray(data.length - 4096)));
  });

  it('s3api copy-object (metadata copied, then replaced)', async () => {
    const file = join(work, 'copy.bin');
    const hash = await writeRandomFile(file, 64 * KiB);
    await awsJson('s3api', 'put-object', '--bucket', bucket, '--key', 'api/copy-src.bin', '--body', file, '--metadata', 'origin=src', '--content-type', 'application/x-test');

    const copied = await awsJson('s3api', 'copy-object', '--bucket', bucket, '--key', 'api/copy-dst.bin', '--copy-source', `${bucket}/api/copy-src.bin`);
    expect(copied.CopyObjectResult?.ETag).toMatch(/^"[0-9a-f]{32}"$/);
    const out = join(work, 'copy.out');
    const got = await awsJson('s3api', 'get-object', '--bucket', bucket, '--key', 'api/copy-dst.bin', out);
    expect(got.Metadata).toEqual({ origin: 'src' });
    expect(got.ContentType).toBe('application/x-test');
    expect(await sha256File(out)).toBe(hash);

    await awsJson(
      's3api', 'copy-object', '--bucket', bucket, '--key', 'api/copy-dst.bin', '--copy-source', `${bucket}/api/copy-src.bin`,
      '--metadata-directive', 'REPLACE', '--metadata', 'origin=replaced', '--content-type', 'text/plain',
    );
    const head = await awsJson('s3api', 'head-object', '--bucket', bucket, '--key', 'api/copy-dst.bin');
    expect(head.Metadata).toEqual({ origin: 'replaced' });
    expect(head.ContentType).toBe('text/plain');
    await awsJson('s3api', 'get-object', '--bucket', bucket, '--key', 'api/copy-dst.bin', out);
    expect(await sha256File(out)).toBe(hash);
  });

  it('s3api delete-objects with several keys', async () => {
    const file = join(work, 'small.txt');
    await writeFile(file, 'delete me\n');
    const keys = ['del/a.txt', 'del/b.txt', 'del/sub/c.txt', 'del/with space.txt', 'del/ünïcödé.txt'];
    for (const key of keys) await awsJson('s3api', 'put-object', '--bucket', bucket, '--key', key, '--body', file);
    await awsJson('s3api', 'put-object', '--bucket', bucket, '--key', 'del/keep.txt', '--body', file);
    const spec = join(work, 'delete.json');
    // One key that does not exist: S3 reports it as deleted too.
    await writeFile(spec, JSON.stringify({ Objects: [...keys, 'del/never-existed'].map((Key) => ({ Key })), Quiet: false }));
    const res = await awsJson('s3api', 'delete-objects', '--bucket', bucket, '--delete', `file://${spec}`);
    expect(res.Errors ?? []).toEqual([]);
    expect((res.Deleted as { Key: string }[]).map((d) => d.Key).sort()).toEqual([...keys, 'del/never-existed'].sort());
    expect(await listKeys(s3, bucket, 'del/')).toEqual(['del/keep.txt']);
  });

  it('s3api versioning and object tags: put-bucket-versioning, versions by id, a delete marker and its removal, object tagging', async () => {
    const versioned = 'aws-cli-versions';
    expectSuccess(await aws('s3', 'mb', `s3://${versioned}`));
    expectSuccess(await aws('s3api', 'put-bucket-versioning', '--bucket', versioned, '--versioning-configuration', 'Status=Enabled'));
    expect((await awsJson('s3api', 'get-bucket-versioning', '--bucket', versioned)).Status).toBe('Enabled');
    const file = join(work, 'version.txt');
    await writeFile(file, 'one');
    const first = (await awsJson('s3api', 'put-object', '--bucket', versioned, '--key', 'k', '--body', file, '--tagging', 'round=1')).VersionId as string;
    await writeFile(file, 'two!');
    const second = (await awsJson('s3api', 'put-object', '--bucket', versioned, '--key', 'k', '--body', file)).VersionId as string;
    const out = join(work, 'version-out.txt');
    expect((await awsJson('s3api', 'get-object', '--bucket', versioned, '--key', 'k', '--version-id', first, out)).VersionId).toBe(first);
    expect(await readFile(out, 'utf8')).toBe('one');
    expect((await awsJson('s3api', 'get-object-tagging', '--bucket', versioned, '--key', 'k', '--version-id', first)).TagSet).toEqual([{ Key: 'round', Value: '1' }]);
    await awsJson('s3api', 'put-object-tagging', '--bucket', versioned, '--key', 'k', '--tagging', 'TagSet=[{Key=round,Value=2}]');
    expect((await awsJson('s3api', 'get-object-tagging', '--bucket', versioned, '--key', 'k')).TagSet).toEqual([{ Key: 'round', Value: '2' }]);
    const marker = await awsJson('s3api', 'delete-object', '--bucket', versioned, '--key', 'k');
    expect(marker.DeleteMarker).toBe(true);
    const listed = await awsJson('s3api', 'list-object-versions', '--bucket', versioned);
    expect((listed.Versions as { VersionId: string }[]).map((v) => v.VersionId)).toEqual([second, first]);
    expect((listed.DeleteMarkers as { VersionId: string; IsLatest: boolean }[]).map((m) => [m.VersionId, m.IsLatest])).toEqual([[marker.VersionId, true]]);
    expect((await aws('s3api', 'head-object', '--bucket', versioned, '--key', 'k')).code).not.toBe(0);
    await awsJson('s3api', 'delete-object', '--bucket', versioned, '--key', 'k', '--version-id', marker.VersionId);
    expect((await awsJson('s3api', 'head-object', '--bucket', versioned, '--key', 'k')).VersionId).toBe(second);
  });

  it('s3 presign: the URL works with a plain GET', async () => {
    const file = join(work, 'presign.bin');
    const hash = await writeRandomFile(file, 200 * KiB);
    expectSuccess(await aws('s3', 'cp', '--no-progress', file, `s3://${bucket}/pre/signed file.bin`));
    const res = expectSuccess(await aws('s3', 'presign', `s3://${bucket}/pre/signed file.bin`, '--expires-in', '300'));
    const url = res.stdout.trim();
    expect(url).toMatch(new RegExp(`^${server.endpoint}/${bucket}/pre/signed%20file\\.bin\\?`));
    expect(url).toContain('X-Amz-Signature=');
    const got = await fetch(url);
    expect(got.status, await got.clone().text().catch(() => '')).toBe(200);
    expect(sha256(Buffer.from(await got.arrayBuffer()))).toBe(hash);
    // A tampered signature is refused.
    const bad = await fetch(url.replace(/X-Amz-Signature=([0-9a-f])/, (_m, c: string) => `X-Amz-Signature=${c === '0' ? '1' : '0'}`));
    expect(bad.status).toBe(403);
  });

  it('restricted keys: a readonly user lists and downloads but may not upload or delete; --no-sign-request reads a public prefix only', async () => {
    const admin = rootAdmin(server);
    await admin.addUser('cli-reader', 'cli-reader-secret');
    await admin.putPolicy('cli-read', JSON.stringify({
      Version: '2012-10-17',
      Statement: [
        { Effect: 'Allow', Action: ['s3:ListBucket', 's3:GetBucketLocation'], Resource: `arn:aws:s3:::${bucket}` },
        { Effect: 'Allow', Action: 's3:GetObject', Resource: `arn:aws:s3:::${bucket}/*` },
      ],
    }));
    await admin.attachPolicies(['cli-read'], { user: 'cli-reader' });
    const asReader = (...args: string[]) =>
      run(AWS, [...args, '--endpoint-url', server.endpoint], { env: { ...env, AWS_ACCESS_KEY_ID: 'cli-reader', AWS_SECRET_ACCESS_KEY: 'cli-reader-secret' }, cwd: work, timeoutMs: 80_000 });
    const listed = expectSuccess(await asReader('s3', 'ls', `s3://${bucket}/`));
    expect(listed.stdout.length).toBeGreaterThan(0);
    await writeFile(join(work, 'reader.txt'), 'not allowed');
    const put = await asReader('s3', 'cp', join(work, 'reader.txt'), `s3://${bucket}/reader.txt`);
    expect(put.code, excerpt(put.stdout + put.stderr)).not.toBe(0);
    expect(put.stderr).toContain('AccessDenied');
    const key = (await listKeys(s3, bucket))[0];
    const got = expectSuccess(await asReader('s3', 'cp', `s3://${bucket}/${key}`, join(work, 'reader-copy')));
    expect(got.code).toBe(0);
    const removed = await asReader('s3', 'rm', `s3://${bucket}/${key}`);
    expect(removed.stderr).toContain('AccessDenied');
    await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));

    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'public/readme.txt', Body: 'for everyone' }));
    await s3.send(new PutBucketPolicyCommand({
      Bucket: bucket,
      Policy: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: `arn:aws:s3:::${bucket}/public/*` }] }),
    }));
    const anonymous = (...args: string[]) => aws(...args, '--no-sign-request');
    expectSuccess(await anonymous('s3', 'cp', `s3://${bucket}/public/readme.txt`, join(work, 'public-copy')));
    expect(await readFile(join(work, 'public-copy'), 'utf8')).toBe('for everyone');
    const secret = await anonymous('s3', 'cp', `s3://${bucket}/${key}`, join(work, 'secret-copy'));
    expect(secret.code).not.toBe(0);
    await s3.send(new DeleteBucketPolicyCommand({ Bucket: bucket }));
    await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: 'public/readme.txt' }));
  });

  it('s3 rm --recursive, then s3 rb', async () => {
    const keysBefore = await listKeys(s3, bucket);
    expect(keysBefore.length).toBeGreaterThan(400);
    const res = expectSuccess(await aws('s3', 'rm', '--recursive', `s3://${bucket}`));
    expect(resultLines(res.stdout, 'delete'), excerpt(res.stdout)).toHaveLength(keysBefore.length);
    expect(await listKeys(s3, bucket)).toEqual([]);
    const ls = expectSuccess(await aws('s3', 'ls', `s3://${bucket}`, '--recursive'));
    expect(ls.stdout.trim()).toBe('');
    expectSuccess(await aws('s3', 'rb', `s3://${bucket}`));
    await expect(s3.send(new HeadBucketCommand({ Bucket: bucket }))).rejects.toMatchObject({ $metadata: { httpStatusCode: 404 } });
    const lsAll = expectSuccess(await aws('s3', 'ls'));
    expect(lsAll.stdout).not.toContain(bucket);
  });
});
