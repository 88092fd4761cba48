/**
 * Compatibility with s3cmd (SigV4, path style through host_base = host_bucket = 127.0.0.1:PORT,
 * plain HTTP), configured by a temp file: mb, put of a 20 MiB file in 5 MiB multipart chunks, get,
 * ls, info (object and bucket: GET ?acl and friends), cp, mv, sync of a small directory, del, rb.
 */
import { mkdtemp, rm, appendFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HeadBucketCommand, HeadObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { TestServer, cleanEnv } from '../helpers/server.js';
import {
  KiB,
  MiB,
  clientSuite,
  debianClient,
  expectSuccess,
  hashTree,
  listKeys,
  makeSmallTree,
  run,
  sha256File,
  treeObject,
  writeRandomFile,
  writeS3cmdConfig,
} from './compat.js';

const { path: S3CMD, missing } = debianClient('s3cmd');

clientSuite('s3cmd', missing, () => {
  let server: TestServer;
  let s3: S3Client;
  let work: string;
  let env: NodeJS.ProcessEnv;
  let config: string;
  let bigHash: string;
  const bucket = 's3cmd-compat';

  const s3cmd = (...args: string[]) => run(S3CMD!, ['-c', config, '--no-progress', ...args], { env, cwd: work, timeoutMs: 80_000 });

  beforeAll(async () => {
    server = await TestServer.start({ drives: 4 });
    s3 = server.client();
    work = await mkdtemp(join(tmpdir(), 'tessera-compat-s3cmd-'));
    config = join(work, 's3cfg');
    await writeS3cmdConfig(config, server.port, false);
    env = cleanEnv({ HOME: work });
  });

  afterAll(async () => {
    s3?.destroy();
    await server?.destroy();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('mb creates the bucket, ls s3:// lists it', async () => {
    expectSuccess(await s3cmd('mb', `s3://${bucket}`));
    await s3.send(new HeadBucketCommand({ Bucket: bucket }));
    const ls = expectSuccess(await s3cmd('ls'));
    expect(ls.stdout).toMatch(new RegExp(`s3://${bucket}\\s*$`, 'm'));
  });

  it('put of a 20 MiB file in 5 MiB chunks (multipart), get returns the same sha256', async () => {
    const src = join(work, 'big.bin');
    bigHash = await writeRandomFile(src, 20 * MiB);
    expectSuccess(await s3cmd('put', '--multipart-chunk-size-mb=5', src, `s3://${bucket}/big.bin`));
    const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'big.bin' }));
    expect(head.ContentLength).toBe(20 * MiB);
    expect(head.ETag).toMatch(/^"[0-9a-f]{32}-4"$/);
    const dst = join(work, 'big.down');
    expectSuccess(await s3cmd('get', `s3://${bucket}/big.bin`, dst));
    expect(await sha256File(dst)).toBe(bigHash);
  });

  it('ls lists the object with its size', async () => {
    const ls = expectSuccess(await s3cmd('ls', `s3://${bucket}`));
    expect(ls.stdout).toMatch(new RegExp(`\\s${20 * MiB}\\s+s3://${bucket}/big\\.bin\\s*$`, 'm'));
  });

  it('info on an object (HEAD + GET ?acl)', async () => {
    const info = expectSuccess(await s3cmd('info', `s3://${bucket}/big.bin`));
    expect(info.stdout).toMatch(/File size: 20971520/);
    expect(info.stdout).toMatch(/ACL:\s+.+: FULL_CONTROL/);
    // s3cmd keeps the whole file's MD5 in its attrs metadata for multipart uploads.
    expect(info.stdout).toMatch(/MD5 sum:\s+[0-9a-f]{32}\s*$/m);
  });

  it('info on a bucket', async () => {
    const info = expectSuccess(await s3cmd('info', `s3://${bucket}`));
    expect(info.stdout).toMatch(/\(bucket\):/);
    expect(info.stdout).toMatch(/ACL:\s+.+: FULL_CONTROL/);
  });

  it('cp and mv between keys keep the content', async () => {
    expectSuccess(await s3cmd('cp', `s3://${bucket}/big.bin`, `s3://${bucket}/copies/big-copy.bin`));
    expectSuccess(await s3cmd('mv', `s3://${bucket}/copies/big-copy.bin`, `s3://${bucket}/moved/big-moved.bin`));
    expect(await listKeys(s3, bucket)).toEqual(['big.bin', 'moved/big-moved.bin']);
    const dst = join(work, 'moved.down');
    expectSuccess(await s3cmd('get', `s3://${bucket}/moved/big-moved.bin`, dst));
    expect(await sha256File(dst)).toBe(bigHash);
  });

  it('sync of a small directory up, changed, and back down', async () => {
    const src = join(work, 'tree');
    const paths = await makeSmallTree(src, 40, 24 * KiB, 11);
    expectSuccess(await s3cmd('sync', `${src}/`, `s3://${bucket}/tree/`));
    expect(await listKeys(s3, bucket, 'tree/')).toEqual(paths.map((p) => `tree/${p}`).sort());

    await appendFile(join(src, paths[2]), 'changed\n');
    await writeRandomFile(join(src, 'new', 'added.bin'), 3000);
    const again = expectSuccess(await s3cmd('sync', `${src}/`, `s3://${bucket}/tree/`));
    expect(again.stdout.split('\n').filter((l) => /^upload: /.test(l)), again.stdout).toHaveLength(2);

    const dst = join(work, 'tree-down');
    expectSuccess(await s3cmd('sync', `s3://${bucket}/tree/`, `${dst}/`));
    expect(treeObject(await hashTree(dst))).toEqual(treeObject(await hashTree(src)));
  });

  it('del removes objects; rb refuses a non-empty bucket, then removes the empty one', async () => {
    expectSuccess(await s3cmd('del', `s3://${bucket}/big.bin`));
    await expect(s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'big.bin' }))).rejects.toMatchObject({ $metadata: { httpStatusCode: 404 } });

    const refused = await s3cmd('rb', `s3://${bucket}`);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/BucketNotEmpty/);

    expectSuccess(await s3cmd('del', '--recursive', '--force', `s3://${bucket}`));
    expect(await listKeys(s3, bucket)).toEqual([]);
    expectSuccess(await s3cmd('rb', `s3://${bucket}`));
    await expect(s3.send(new HeadBucketCommand({ Bucket: bucket }))).rejects.toMatchObject({ $metadata: { httpStatusCode: 404 } });
  });
});
