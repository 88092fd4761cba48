/**
 * The real clients over https: one server with `--certs-dir` (a CA and a certificate for
 * 127.0.0.1 made here by openssl), shared by a short session of each client trusting the CA the
 * way its users do: rclone `--ca-cert`, restic `--cacert`, boto3 `verify=` (and an ssl context
 * for a presigned URL), s3cmd `--ca-certs=`, minio-js an https agent with the CA. Each client
 * also runs once without the CA against the same server and must fail on the certificate, so
 * the TLS is real and verified. (aws-cli `--ca-bundle` is in test/integration/tls.test.ts.)
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { HeadObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestServer, cleanEnv } from '../helpers/server.js';
import { makeCa, makeCertsDir, type TestCa, type TestCerts } from '../helpers/tls.js';
import {
  BOTO3_MISSING,
  KiB,
  MiB,
  RCLONE_MULTIPART,
  boto3Interpreters,
  boto3Script,
  clientSuite,
  debianClient,
  describeBoto3Runs,
  expectSuccess,
  hashTree,
  importMinio,
  listKeys,
  makeSmallTree,
  minioClient,
  rcloneDifferences,
  rcloneEnv,
  resticEnv,
  resticRepoArgs,
  run,
  sha256,
  sha256File,
  sha256Stream,
  treeObject,
  writeRandomFile,
  writeS3cmdConfig,
  type RunResult,
} from './compat.js';

const rclone = debianClient('rclone');
const restic = debianClient('restic');
const s3cmd = debianClient('s3cmd');
const pythons = boto3Interpreters();
const { minio, missing: minioMissing } = await importMinio();

/** Go clients (rclone, restic) name the failed verification this way. */
const GO_UNKNOWN_CA = /x509: certificate signed by unknown authority/;
/** Python's ssl module (s3cmd, botocore, urllib). */
const PYTHON_VERIFY_FAILED = /CERTIFICATE_VERIFY_FAILED\] certificate verify failed/;

/** A non-zero exit whose output says why, matching `reason`. */
function expectRefused(result: RunResult, reason: RegExp): void {
  expect(result.code, `\`${result.command}\` succeeded without trusting the CA`).not.toBe(0);
  expect(`${result.stdout}\n${result.stderr}`).toMatch(reason);
}

const BOTO3_SCRIPT = boto3Script(String.raw`
@step('put_get_list')
def _():
    s3.create_bucket(Bucket=bucket)
    data = os.urandom(64 * 1024 + 1)
    s3.put_object(Bucket=bucket, Key='small.bin', Body=data)
    got = s3.get_object(Bucket=bucket, Key='small.bin')['Body'].read()
    return {'sha256': sha256(data), 'got_sha256': sha256(got),
            'keys': [o['Key'] for o in s3.list_objects_v2(Bucket=bucket).get('Contents', [])]}

@step('upload_file')
def _():
    return transfer_big('big.bin', 2)

@step('presigned_url')
def _():
    url = s3.generate_presigned_url('get_object', Params={'Bucket': bucket, 'Key': 'small.bin'}, ExpiresIn=300)
    with urllib.request.urlopen(url, timeout=30, context=ssl.create_default_context(cafile=E['S3_CA_BUNDLE'])) as r:
        return {'url': url, 'status': r.status, 'got_sha256': sha256(r.read())}

@step('untrusted')
def _():
    out = {}
    try:
        client(None, attempts=1).list_buckets()
        out['client'] = 'no error'
    except Exception as e:
        out['client'] = '%s: %s' % (type(e).__name__, e)
    url = s3.generate_presigned_url('get_object', Params={'Bucket': bucket, 'Key': 'small.bin'}, ExpiresIn=300)
    try:
        urllib.request.urlopen(url, timeout=30).read()
        out['urllib'] = 'no error'
    except Exception as e:
        out['urllib'] = '%s: %s' % (type(e).__name__, e)
    return out
`);

describe('real clients over https, trusting the test CA', () => {
  let work: string;
  let ca: TestCa;
  let certs: TestCerts;
  let server: TestServer;
  let s3: S3Client;

  /** A fresh directory of `work` for one client. */
  const clientDir = async (name: string): Promise<string> => {
    const dir = join(work, name);
    await mkdir(dir, { recursive: true });
    return dir;
  };

  /** The ETag of an object, read with the SDK (which trusts the CA). */
  const etagOf = async (bucket: string, key: string): Promise<string | undefined> =>
    (await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }))).ETag;

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'tessera-compat-https-'));
    ca = await makeCa(join(work, 'ca'), 'test-ca');
    certs = await makeCertsDir(join(work, 'certs'), ca);
    server = await TestServer.start({ drives: 4, tls: certs });
    expect(server.endpoint).toBe(`https://127.0.0.1:${server.port}`);
    s3 = server.client();
  });

  afterAll(async () => {
    s3?.destroy();
    await server?.destroy();
    if (work) await rm(work, { recursive: true, force: true });
  });

  clientSuite('rclone --ca-cert', rclone.missing, () => {
    let dir: string;
    let env: NodeJS.ProcessEnv;
    const bucket = 'rclone-tls';
    const rcloneRun = (...args: string[]) => run(rclone.path!, args, { env, cwd: dir, timeoutMs: 40_000 });

    beforeAll(async () => {
      dir = await clientDir('rclone');
      env = await rcloneEnv(dir, server.endpoint);
    });

    it('copies a tree with a 20 MiB file (multipart) up, check finds 0 differences, copy down has the same sha256s', async () => {
      const trust = ['--ca-cert', ca.certPath];
      const src = join(dir, 'src');
      await makeSmallTree(src, 8, 32 * KiB, 5);
      await writeRandomFile(join(src, 'large', '20MiB.bin'), 20 * MiB);
      expectSuccess(await rcloneRun(...trust, 'mkdir', `t:${bucket}`));
      expectSuccess(await rcloneRun(...trust, 'copy', ...RCLONE_MULTIPART, src, `t:${bucket}/tree`));
      // 20 MiB in 5 MiB chunks: 4 parts.
      expect(await etagOf(bucket, 'tree/large/20MiB.bin')).toMatch(/^"[0-9a-f]{32}-4"$/);

      const check = expectSuccess(await rcloneRun(...trust, 'check', src, `t:${bucket}/tree`));
      expect(rcloneDifferences(check.stderr), check.stderr).toBe('0');
      expect(check.stderr).toMatch(/9 matching files/);

      const down = join(dir, 'down');
      expectSuccess(await rcloneRun(...trust, 'copy', `t:${bucket}/tree`, down));
      expect(treeObject(await hashTree(down))).toEqual(treeObject(await hashTree(src)));
    });

    it('without --ca-cert fails on the certificate', async () => {
      expectRefused(await rcloneRun('--retries', '1', '--low-level-retries', '1', 'lsd', 't:'), GO_UNKNOWN_CA);
    });
  });

  clientSuite('restic --cacert', restic.missing, () => {
    let dir: string;
    let env: NodeJS.ProcessEnv;
    let repoArgs: string[];
    const resticRun = (trust: boolean, ...args: string[]) =>
      run(restic.path!, [...(trust ? ['--cacert', ca.certPath] : []), ...repoArgs, ...args], { env, cwd: dir, timeoutMs: 40_000 });

    beforeAll(async () => {
      dir = await clientDir('restic');
      env = resticEnv(dir);
      repoArgs = resticRepoArgs(server.endpoint, 'restic-tls/repo');
    });

    it('init, backup of a small tree, check --read-data, restore: the same files', async () => {
      const data = join(dir, 'data');
      await makeSmallTree(data, 20, 16 * KiB, 9);
      await writeRandomFile(join(data, 'big', 'two.bin'), 2 * MiB);
      expect(expectSuccess(await resticRun(true, 'init')).stdout).toMatch(/created restic repository/);
      expectSuccess(await resticRun(true, 'backup', data));
      expect(expectSuccess(await resticRun(true, 'check', '--read-data')).stdout).toMatch(/no errors were found/);

      const target = join(dir, 'restore');
      expectSuccess(await resticRun(true, 'restore', 'latest', '--target', target));
      // restic restores the absolute path under the target.
      expect(treeObject(await hashTree(join(target, data), true))).toEqual(treeObject(await hashTree(data, true)));
    });

    it('without --cacert fails on the certificate', async () => {
      expectRefused(await resticRun(false, 'snapshots'), GO_UNKNOWN_CA);
    });
  });

  clientSuite('boto3 verify=<CA bundle>', pythons.length > 0 ? undefined : BOTO3_MISSING, () => {
    let dir: string;

    beforeAll(async () => {
      dir = await clientDir('boto3');
      await writeFile(join(dir, 'https.py'), BOTO3_SCRIPT);
    });

    describeBoto3Runs(
      pythons,
      {
        bigSize: 12 * MiB,
        timeoutMs: 50_000,
        setup: (n) => ({
          script: join(dir, 'https.py'),
          work: dir,
          vars: { S3_ENDPOINT: server.endpoint, S3_BUCKET: `boto3-tls-${n}`, S3_CA_BUNDLE: ca.certPath },
        }),
      },
      (boto3) => {
        const stepOf = boto3.step;

        it('put_object, get_object, list_objects_v2', () => {
          const s = stepOf('put_get_list');
          expect(s.got_sha256).toBe(s.sha256);
          expect(s.keys).toEqual(['small.bin']);
        });

        it('upload_file (multipart, 5 MiB parts) and download_file of 12 MiB, same sha256', () => {
          const s = stepOf('upload_file');
          expect(s.length).toBe(12 * MiB);
          expect(s.down_size).toBe(12 * MiB);
          expect(s.etag).toMatch(/^"[0-9a-f]{32}-3"$/);
          expect(s.down_sha256).toBe(boto3.bigHash);
        });

        it('a presigned https URL fetched with urllib and an ssl context trusting the CA', () => {
          const s = stepOf('presigned_url');
          expect(s.url).toMatch(new RegExp(`^https://127\\.0\\.0\\.1:${server.port}/`));
          expect(s.status).toBe(200);
          expect(s.got_sha256).toBe(stepOf('put_get_list').sha256);
        });

        it('without the CA, the client and urllib fail on the certificate', () => {
          const s = stepOf('untrusted');
          expect(s.client).toMatch(/^SSLError: SSL validation failed/);
          expect(s.client).toMatch(PYTHON_VERIFY_FAILED);
          expect(s.urllib).toMatch(PYTHON_VERIFY_FAILED);
        });
      },
    );
  });

  clientSuite('s3cmd --ca-certs', s3cmd.missing, () => {
    let dir: string;
    let config: string;
    const bucket = 's3cmd-tls';
    const s3cmdRun = (trust: boolean, ...args: string[]) =>
      run(s3cmd.path!, ['-c', config, '--no-progress', ...(trust ? [`--ca-certs=${ca.certPath}`] : []), ...args], {
        env: cleanEnv({ HOME: dir }),
        cwd: dir,
        timeoutMs: 30_000,
      });

    beforeAll(async () => {
      dir = await clientDir('s3cmd');
      config = join(dir, 's3cfg');
      await writeS3cmdConfig(config, server.port, true);
    });

    it('mb, put, ls, get: the same sha256', async () => {
      const src = join(dir, 'up.bin');
      const hash = await writeRandomFile(src, 300 * KiB + 7);
      expectSuccess(await s3cmdRun(true, 'mb', `s3://${bucket}`));
      expectSuccess(await s3cmdRun(true, 'put', src, `s3://${bucket}/dir/up.bin`));
      expect(await listKeys(s3, bucket)).toEqual(['dir/up.bin']);
      const ls = expectSuccess(await s3cmdRun(true, 'ls', '--recursive', `s3://${bucket}`));
      expect(ls.stdout).toMatch(new RegExp(`\\s${300 * KiB + 7}\\s+s3://${bucket}/dir/up\\.bin\\s*$`, 'm'));
      const dst = join(dir, 'down.bin');
      expectSuccess(await s3cmdRun(true, 'get', `s3://${bucket}/dir/up.bin`, dst));
      expect(await sha256File(dst)).toBe(hash);
    });

    it('without --ca-certs fails on the certificate', async () => {
      const refused = await s3cmdRun(false, 'ls');
      expectRefused(refused, /SSL certificate verification failure/);
      expect(refused.stderr).toMatch(PYTHON_VERIFY_FAILED);
    });
  });

  clientSuite('minio-js transportAgent with the CA', minioMissing, () => {
    const bucket = 'minio-js-tls';

    it('makeBucket, putObject, getObject, listObjectsV2: the same sha256s', async () => {
      const client = minioClient(minio!, server.port, { ca: certs.ca });
      const small = randomBytes(10 * KiB + 3);
      const big = randomBytes(2 * MiB + 1);
      await client.makeBucket(bucket, 'us-east-1');
      await client.putObject(bucket, 'small.bin', small);
      await client.putObject(bucket, 'big.bin', big);
      expect((await sha256Stream(await client.getObject(bucket, 'small.bin'))).sha256).toBe(sha256(small));
      expect((await sha256Stream(await client.getObject(bucket, 'big.bin'))).sha256).toBe(sha256(big));
      const listed = await new Promise<string[]>((resolve, reject) => {
        const names: string[] = [];
        client
          .listObjectsV2(bucket, '', true)
          .on('data', (o: { name?: string }) => names.push(o.name!))
          .once('error', reject)
          .once('end', () => resolve(names.sort()));
      });
      expect(listed).toEqual(['big.bin', 'small.bin']);
    });

    it('without the CA in its agent fails on the certificate', async () => {
      const untrusting = minioClient(minio!, server.port, {});
      await expect(untrusting.listBuckets()).rejects.toThrow(/unable to get local issuer certificate|self[- ]signed certificate|unable to verify the first certificate/);
    });
  });
});
