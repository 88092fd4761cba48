/**
 * One node serving https (`--certs-dir` with a CA and certificate made here by openssl), driven by
 * clients that trust the CA: the AWS SDK (an https agent with the CA), aws-cli (`--ca-bundle`) and
 * the tessera CLI (the CA in its certs/CAs/). Plain http to the port, and clients that do not trust
 * the CA, fail; the CLI's --insecure works and says so. Bad certs dirs and endpoints stop start-up
 * with one line naming the problem.
 */
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand, GetObjectCommand, ListBucketsCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cli } from '../cli/cli-harness.js';
import { expectSuccess, findExecutable, inCI, run } from '../compat/compat.js';
import { ACCESS_KEY, ROOT, SECRET_KEY, TestServer, cleanEnv } from '../helpers/server.js';
import { getStatus, makeCa, makeCertsDir, type TestCerts } from '../helpers/tls.js';
import { startupLine } from '../helpers/log-lines.js';

const AWS = '/usr/bin/aws';
const awsMissing = findExecutable(AWS) ? undefined : `${AWS} not found (install the Debian package "awscli")`;
if (awsMissing && !inCI) console.warn(`tls.test.ts: the aws-cli test is SKIPPED: ${awsMissing}`);

describe('one node over https', () => {
  let work: string;
  let certs: TestCerts;
  let server: TestServer;
  let s3: S3Client;

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'tessera-tls-'));
    certs = await makeCertsDir(join(work, 'certs'), await makeCa(join(work, 'ca'), 'test-ca'));
    server = await TestServer.start({ drives: 4, tls: certs });
    s3 = server.client();
  });

  afterAll(async () => {
    s3?.destroy();
    await server?.destroy();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('announces an https endpoint; health answers over https, plain http to the port gets no answer', async () => {
    expect(server.endpoint).toMatch(/^https:/);
    expect(startupLine(server.output).endpoint).toBe(server.endpoint);
    expect(await getStatus(`${server.endpoint}/tessera/health/ready`, certs.ca)).toBe(200);
    await expect(getStatus(`http://127.0.0.1:${server.port}/tessera/health/ready`)).rejects.toThrow();
  });

  it('the SDK trusting the CA creates, writes and reads; one that does not trust it fails verification', async () => {
    await s3.send(new CreateBucketCommand({ Bucket: 'sdk-tls' }));
    await s3.send(new PutObjectCommand({ Bucket: 'sdk-tls', Key: 'k', Body: 'over tls' }));
    const got = await s3.send(new GetObjectCommand({ Bucket: 'sdk-tls', Key: 'k' }));
    expect(await got.Body!.transformToString()).toBe('over tls');

    const untrusting = new S3Client({
      endpoint: server.endpoint,
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: { accessKeyId: ACCESS_KEY, secretAccessKey: SECRET_KEY },
      maxAttempts: 1,
    });
    try {
      await expect(untrusting.send(new ListBucketsCommand({}))).rejects.toThrow(/certificate/);
    } finally {
      untrusting.destroy();
    }
  });

  it.skipIf(awsMissing !== undefined && !inCI)('aws-cli with --ca-bundle copies up and down; without it, SSL validation fails', async () => {
    expect(awsMissing, awsMissing).toBeUndefined();
    const config = join(work, 'aws-config');
    await writeFile(config, '[default]\nregion = us-east-1\ns3 =\n    addressing_style = path\n');
    const env = cleanEnv({
      AWS_ACCESS_KEY_ID: ACCESS_KEY,
      AWS_SECRET_ACCESS_KEY: SECRET_KEY,
      AWS_CONFIG_FILE: config,
      AWS_SHARED_CREDENTIALS_FILE: join(work, 'no-credentials'),
      AWS_EC2_METADATA_DISABLED: 'true',
      AWS_PAGER: '',
      HOME: work,
    });
    const caFile = join(work, 'ca-bundle.pem');
    await writeFile(caFile, certs.ca);
    const aws = (args: string[], trust = true) => run(AWS, [...args, '--endpoint-url', server.endpoint, ...(trust ? ['--ca-bundle', caFile] : [])], { env, cwd: work });

    const src = join(work, 'up.txt');
    await writeFile(src, 'aws-cli over tls\n');
    expectSuccess(await aws(['s3', 'mb', 's3://aws-tls']));
    expectSuccess(await aws(['s3', 'cp', '--no-progress', src, 's3://aws-tls/up.txt']));
    expect(expectSuccess(await aws(['s3', 'ls', 's3://aws-tls/'])).stdout).toMatch(/ up\.txt$/m);
    expectSuccess(await aws(['s3', 'cp', '--no-progress', 's3://aws-tls/up.txt', join(work, 'down.txt')]));
    expect(await readFile(join(work, 'down.txt'), 'utf8')).toBe('aws-cli over tls\n');

    const refused = await aws(['s3', 'ls'], false);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/SSL validation failed|CERTIFICATE_VERIFY_FAILED/);
  });

  it('the tessera CLI trusts the CAs in its certs/CAs/; without them it fails in one line, with --insecure it warns', async () => {
    const cli = await Cli.create();
    try {
      await cli.setAlias('secure', server.endpoint, ACCESS_KEY, SECRET_KEY);
      const untrusted = await cli.fails(['ls', 'secure']);
      expect(untrusted.line).toMatch(/^tessera: cannot reach secure \(https:.*\): the server's TLS certificate .*certs\/CAs\/.*--insecure/);

      const insecure = await cli.run(['--insecure', 'ls', 'secure']);
      expect(insecure.code, insecure.stderr).toBe(0);
      expect(insecure.stderr).toMatch(/WARNING: --insecure: TLS certificates are not verified/);
      expect(insecure.stdout).toContain('sdk-tls/');

      await mkdir(join(cli.configDir, 'certs', 'CAs'), { recursive: true });
      await writeFile(join(cli.configDir, 'certs', 'CAs', 'test-ca.crt'), certs.ca);
      await cli.ok(['mb', 'secure/cli-tls']);
      await cli.ok(['pipe', 'secure/cli-tls/note.txt'], { input: 'cli over tls' });
      expect((await cli.ok(['cat', 'secure/cli-tls/note.txt'])).stdout).toBe('cli over tls');
      expect((await cli.ok(['ls', 'secure/cli-tls'])).stdout).toContain('note.txt');
      expect((await cli.ok(['ready', 'secure'])).stdout).toContain('is ready');
      expect((await cli.ok(['admin', 'info', 'secure'])).stdout).toMatch(/^Node 127\.0\.0\.1:\d+: online/m);
    } finally {
      await cli.destroy();
    }
  });

  it('start-up stops with one line naming a missing key, a key of another pair, or https endpoints without --certs-dir', async () => {
    const start = (args: string[]) =>
      run(process.execPath, ['bin/tessera.js', 'server', '--address', '127.0.0.1:0', ...args], {
        env: cleanEnv({ TESSERA_ROOT_USER: ACCESS_KEY, TESSERA_ROOT_PASSWORD: SECRET_KEY }),
        cwd: ROOT,
        timeoutMs: 20_000,
      });
    const oneLine = (result: { code: number | null; stderr: string }): string => {
      expect(result.code).toBe(1);
      const lines = result.stderr.trim().split('\n');
      expect(lines, result.stderr).toHaveLength(1);
      return lines[0];
    };
    const broken = join(work, 'broken');
    await mkdir(broken, { recursive: true });
    await copyFile(join(certs.dir, 'public.crt'), join(broken, 'public.crt'));
    const drives = [join(work, 'x1'), join(work, 'x2')];
    expect(oneLine(await start(['--certs-dir', broken, ...drives]))).toBe(`tessera: cannot read the TLS private key ${join(broken, 'private.key')}: not found`);

    const other = await makeCertsDir(join(work, 'other'), await makeCa(join(work, 'ca'), 'other-ca'));
    await copyFile(join(other.dir, 'private.key'), join(broken, 'private.key'));
    expect(oneLine(await start(['--certs-dir', broken, ...drives]))).toBe(
      `tessera: ${join(broken, 'private.key')} is not the private key of the certificate ${join(broken, 'public.crt')}`,
    );

    expect(oneLine(await start(['https://127.0.0.1:0/a', 'https://127.0.0.1:0/b']))).toMatch(/^tessera: https:\/\/ endpoints need --certs-dir/);
  });
});
