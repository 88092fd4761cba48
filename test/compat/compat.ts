/**
 * Shared pieces of the real-client compatibility suites (test/compat/*.test.ts): finding a client,
 * failing under CI=true when it is missing (CI installs them) or skipping with a clear message
 * otherwise, running it with a clean environment, building and hashing file trees, and each
 * client's own setup (environment, config file, client object, script prelude), shared by its
 * suite and by https-clients.test.ts.
 */
import { execFileSync, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { accessSync, constants, createReadStream, existsSync } from 'node:fs';
import { lstat, mkdir, mkdtemp, readdir, readlink, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import https from 'node:https';
import { delimiter, dirname, join, relative } from 'node:path';
import { ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACCESS_KEY, SECRET_KEY, TestServer, cleanEnv } from '../helpers/server.js';

export const KiB = 1024;
export const MiB = 1024 * 1024;
export const inCI = /^(true|1)$/i.test(process.env.CI ?? '');

/** The absolute path of `name` on PATH (or `name` itself when it is an existing absolute path). */
export function findExecutable(name: string): string | undefined {
  const candidates = name.includes('/') ? [name] : (process.env.PATH ?? '').split(delimiter).filter(Boolean).map((d) => join(d, name));
  for (const candidate of candidates) {
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** A client command on PATH, or why it is missing (the reason clientSuite reports). */
export function debianClient(command: string, debianPackage = command): { path: string | undefined; missing: string | undefined } {
  const path = findExecutable(command);
  return { path, missing: path ? undefined : `${command} not found on PATH (install the Debian package "${debianPackage}")` };
}

/**
 * Declares the suite `name` when `missing` is undefined. When the client is missing, under CI=true
 * it declares one failing test (the CI installs every client, so a missing one is a broken
 * machine, not a reason to pass); otherwise the suite is skipped with `missing` as the reason.
 */
export function clientSuite(name: string, missing: string | undefined, body: () => void): void {
  if (missing === undefined) {
    describe(name, body);
    return;
  }
  if (inCI) {
    describe(name, () => {
      it('has its client installed (required under CI=true)', () => {
        expect.fail(`${name}: ${missing}. CI=true: this compatibility suite must not be skipped.`);
      });
    });
    return;
  }
  console.warn(`[compat] ${name}: SKIPPED: ${missing}`);
  describe.skip(`${name} (SKIPPED: ${missing})`, body);
}

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** The command line, for failure messages. */
  command: string;
}

export interface RunOptions {
  env: NodeJS.ProcessEnv;
  cwd?: string;
  input?: string;
  timeoutMs?: number;
}

/** Runs a command to completion and collects its output; never throws on a non-zero exit. */
export function run(cmd: string, args: string[], options: RunOptions): Promise<RunResult> {
  const command = [cmd, ...args].map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env: options.env, cwd: options.cwd, stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => err.push(d));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 85_000);
    child.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString(), command });
    });
    child.stdin.end(options.input ?? '');
  });
}

/** Cuts long output for an assertion message, keeping both ends. */
export function excerpt(text: string, max = 4000): string {
  return text.length <= max ? text : `${text.slice(0, max / 2)}\n[... ${text.length - max} characters cut ...]\n${text.slice(-max / 2)}`;
}

/** Fails with the command, exit status and output unless it exited 0. */
export function expectSuccess(result: RunResult): RunResult {
  if (result.code !== 0) {
    expect.fail(
      `\`${result.command}\` exited with ${result.code ?? result.signal}\n--- stdout ---\n${excerpt(result.stdout)}\n--- stderr ---\n${excerpt(result.stderr)}`,
    );
  }
  return result;
}

export function sha256(data: Uint8Array | string): string {
  return createHash('sha256').update(data).digest('hex');
}

export function sha256File(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    createReadStream(path)
      .on('data', (d) => hash.update(d))
      .once('error', reject)
      .once('end', () => resolve(hash.digest('hex')));
  });
}

export async function sha256Stream(stream: AsyncIterable<Uint8Array>): Promise<{ sha256: string; size: number }> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of stream) {
    hash.update(chunk);
    size += chunk.length;
  }
  return { sha256: hash.digest('hex'), size };
}

/** Writes `size` random bytes to `path` (creating directories) and returns their sha256. */
export async function writeRandomFile(path: string, size: number): Promise<string> {
  await mkdir(dirname(path), { recursive: true });
  const data = randomBytes(size);
  await writeFile(path, data);
  return sha256(data);
}

/** A small deterministic PRNG, so that trees differ between runs only through randomBytes content. */
export function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Creates `count` files of random sizes in [0, maxSize] under `root`, some in nested
 * subdirectories, and returns their relative paths.
 */
export async function makeSmallTree(root: string, count: number, maxSize: number, seed = 1): Promise<string[]> {
  const rand = prng(seed);
  const dirs = ['', 'a', 'a/b', 'a/b/c', 'docs', 'docs/2024', 'img', 'deep/er/and/deeper'];
  const paths: string[] = [];
  for (let i = 0; i < count; i++) {
    const dir = dirs[Math.floor(rand() * dirs.length)];
    const rel = join(dir, `file-${String(i).padStart(4, '0')}.${['txt', 'bin', 'dat', 'json'][i % 4]}`);
    const size = i % 50 === 0 ? 0 : Math.floor(rand() * (maxSize + 1));
    await writeRandomFile(join(root, rel), size);
    paths.push(rel);
  }
  return paths;
}

export type TreeEntry = { type: 'file'; size: number; sha256: string } | { type: 'symlink'; target: string } | { type: 'dir' };

/**
 * Every entry under `root` by relative path ('/'-separated): files with size and sha256, symlinks
 * with their target (not followed) and, when `withDirs`, directories.
 */
export async function hashTree(root: string, withDirs = false): Promise<Map<string, TreeEntry>> {
  const out = new Map<string, TreeEntry>();
  async function walk(dir: string): Promise<void> {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const full = join(dir, entry.name);
      const rel = relative(root, full).split('\\').join('/');
      const st = await lstat(full);
      if (st.isSymbolicLink()) out.set(rel, { type: 'symlink', target: await readlink(full) });
      else if (st.isDirectory()) {
        if (withDirs) out.set(rel, { type: 'dir' });
        await walk(full);
      } else out.set(rel, { type: 'file', size: st.size, sha256: await sha256File(full) });
    }
  }
  if (existsSync(root)) await walk(root);
  return out;
}

/** The entries of a tree as a sorted plain object, for readable toEqual diffs. */
export function treeObject(tree: Map<string, TreeEntry>): Record<string, TreeEntry> {
  return Object.fromEntries([...tree.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** A bucket name unique enough for one server. */
export function bucketName(prefix: string): string {
  return `${prefix}-${randomBytes(4).toString('hex')}`;
}

/** Every key under `prefix`, through the SDK, independently of the client under test. */
export async function listKeys(s3: S3Client, bucket: string, prefix = ''): Promise<string[]> {
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
    for (const o of page.Contents ?? []) keys.push(o.Key!);
    token = page.NextContinuationToken;
  } while (token);
  return keys.sort();
}

// --- rclone ---------------------------------------------------------------------------------

/** rclone flags that make every file over 5 MiB a multipart upload of 5 MiB parts. */
export const RCLONE_MULTIPART = ['--s3-upload-cutoff', '5M', '--s3-chunk-size', '5M'];

/**
 * rclone's environment with remote "t:" (type s3, provider Other, path style) for `endpoint`,
 * configured only through RCLONE_CONFIG_T_* variables, with its (empty) config file and cache
 * under `work`.
 */
export async function rcloneEnv(work: string, endpoint: string): Promise<NodeJS.ProcessEnv> {
  await writeFile(join(work, 'rclone.conf'), '');
  return cleanEnv({
    RCLONE_CONFIG: join(work, 'rclone.conf'),
    RCLONE_CONFIG_T_TYPE: 's3',
    RCLONE_CONFIG_T_PROVIDER: 'Other',
    RCLONE_CONFIG_T_ENDPOINT: endpoint,
    RCLONE_CONFIG_T_ACCESS_KEY_ID: ACCESS_KEY,
    RCLONE_CONFIG_T_SECRET_ACCESS_KEY: SECRET_KEY,
    RCLONE_CONFIG_T_FORCE_PATH_STYLE: 'true',
    RCLONE_CONFIG_T_REGION: 'us-east-1',
    RCLONE_CONFIG_T_ENV_AUTH: 'false',
    RCLONE_CACHE_DIR: join(work, 'cache'),
    HOME: work,
  });
}

/** The count in rclone check's "N differences found" line. */
export function rcloneDifferences(text: string): string | undefined {
  return /(\d+) differences found/.exec(text)?.[1];
}

// --- restic ---------------------------------------------------------------------------------

/** restic's environment: the server's credentials, a fixed password, home and cache under `work`, none of the host's RESTIC_* settings. */
export function resticEnv(work: string): NodeJS.ProcessEnv {
  const env = cleanEnv({
    AWS_ACCESS_KEY_ID: ACCESS_KEY,
    AWS_SECRET_ACCESS_KEY: SECRET_KEY,
    AWS_DEFAULT_REGION: 'us-east-1',
    RESTIC_PASSWORD: 'compat-test-password',
    RESTIC_PROGRESS_FPS: '0.016',
    HOME: work,
    XDG_CACHE_HOME: join(work, 'cache'),
  });
  delete env.RESTIC_REPOSITORY;
  delete env.RESTIC_PASSWORD_FILE;
  delete env.RESTIC_PASSWORD_COMMAND;
  return env;
}

/** restic's options for the repository `s3:<endpoint>/<bucket>/<path>`: path-style bucket lookup, no local cache. */
export function resticRepoArgs(endpoint: string, bucketAndPath: string): string[] {
  return ['-r', `s3:${endpoint}/${bucketAndPath}`, '-o', 's3.bucket-lookup=path', '--no-cache'];
}

// --- s3cmd ----------------------------------------------------------------------------------

/**
 * Writes an s3cmd config for the server on 127.0.0.1:`port` (path style through host_base =
 * host_bucket), signing with SigV4 or, with `signatureV2`, Signature Version 2: plain http, or
 * https with certificate and host name checks (the CA then comes from --ca-certs).
 */
export async function writeS3cmdConfig(path: string, port: number, useHttps: boolean, options: { signatureV2?: boolean } = {}): Promise<void> {
  const host = `127.0.0.1:${port}`;
  const python = (b: boolean) => (b ? 'True' : 'False');
  await writeFile(
    path,
    [
      '[default]',
      `access_key = ${ACCESS_KEY}`,
      `secret_key = ${SECRET_KEY}`,
      `host_base = ${host}`,
      `host_bucket = ${host}`,
      `use_https = ${python(useHttps)}`,
      `signature_v2 = ${python(options.signatureV2 ?? false)}`,
      'bucket_location = us-east-1',
      `check_ssl_certificate = ${python(useHttps)}`,
      `check_ssl_hostname = ${python(useHttps)}`,
      'guess_mime_type = True',
      '',
    ].join('\n'),
  );
}

// --- minio-js -------------------------------------------------------------------------------

export type MinioModule = typeof import('minio');
export type MinioClient = InstanceType<MinioModule['Client']>;

/** The `minio` npm package, or why it cannot be loaded (the reason clientSuite reports). */
export async function importMinio(): Promise<{ minio: MinioModule | undefined; missing: string | undefined }> {
  try {
    return { minio: await import('minio'), missing: undefined };
  } catch (err) {
    return { minio: undefined, missing: `the npm package "minio" cannot be loaded (npm install --save-dev minio): ${String(err)}` };
  }
}

/**
 * A minio-js client for the server on 127.0.0.1:`port`, path style, 5 MiB parts; over https when
 * `tls` is given, trusting `tls.ca` (through an https agent) when that is set.
 */
export function minioClient(minio: MinioModule, port: number, tls?: { ca?: string }): MinioClient {
  return new minio.Client({
    endPoint: '127.0.0.1',
    port,
    useSSL: tls !== undefined,
    ...(tls?.ca ? { transportAgent: new https.Agent({ keepAlive: true, ca: tls.ca }) } : {}),
    accessKey: ACCESS_KEY,
    secretKey: SECRET_KEY,
    region: 'us-east-1',
    pathStyle: true,
    partSize: 5 * MiB,
  });
}

// --- boto3 ----------------------------------------------------------------------------------

export interface Boto3Interpreter {
  python: string;
  boto3: string;
  botocore: string;
}

/** Each python3 (on PATH, and Debian's /usr/bin/python3) with an importable boto3, one per distinct boto3 installation. */
export function boto3Interpreters(): Boto3Interpreter[] {
  const found: Boto3Interpreter[] = [];
  const seen = new Set<string>();
  for (const candidate of ['python3', '/usr/bin/python3']) {
    const python = findExecutable(candidate);
    if (!python) continue;
    try {
      const out = execFileSync(python, ['-c', 'import boto3, botocore, json; print(json.dumps([boto3.__version__, botocore.__version__, boto3.__file__]))'], {
        env: cleanEnv(),
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
        timeout: 20_000,
      });
      const [boto3, botocore, file] = JSON.parse(out) as string[];
      if (seen.has(file)) continue;
      seen.add(file);
      found.push({ python, boto3, botocore });
    } catch {
      // no boto3 for this interpreter
    }
  }
  return found;
}

export const BOTO3_MISSING = 'no python3 with boto3 found (install the Debian package "python3-boto3")';

/**
 * What every boto3 script starts with: `client(verify, attempts)` makes a path-style SigV4 client
 * for $S3_ENDPOINT (verify: None for the default trust, or a CA bundle path); `s3` is one that
 * trusts $S3_CA_BUNDLE when set; `transfer_big(key, concurrency)` sends WORK/big.bin up and down
 * through the transfer manager in 5 MiB parts; `@step('name')` runs a function and records its
 * dict (or its error) in `results`, printed as one JSON line at the end for runBoto3Script.
 */
const BOTO3_PRELUDE = String.raw`
import concurrent.futures, hashlib, json, os, ssl, sys, traceback, urllib.request, urllib.error
import boto3, botocore
from botocore.config import Config
from boto3.s3.transfer import TransferConfig

E = os.environ
MiB = 1024 * 1024

def client(verify=None, attempts=2):
    return boto3.client(
        's3',
        endpoint_url=E['S3_ENDPOINT'],
        aws_access_key_id=E['S3_ACCESS_KEY'],
        aws_secret_access_key=E['S3_SECRET_KEY'],
        region_name='us-east-1',
        verify=verify,
        config=Config(s3={'addressing_style': 'path'}, signature_version='s3v4', max_pool_connections=32,
                      retries={'max_attempts': attempts, 'mode': 'standard'}),
    )

s3 = client(E.get('S3_CA_BUNDLE'))
bucket = E['S3_BUCKET']
work = E['WORK']
results = {'versions': {'boto3': boto3.__version__, 'botocore': botocore.__version__, 'python': sys.version.split()[0]}}

def sha256(data):
    return hashlib.sha256(data).hexdigest()

def sha256_file(path):
    h = hashlib.sha256()
    with open(path, 'rb') as f:
        for chunk in iter(lambda: f.read(MiB), b''):
            h.update(chunk)
    return h.hexdigest()

def error_of(e):
    out = {'error': '%s: %s' % (type(e).__name__, e), 'traceback': traceback.format_exc()[-3000:]}
    if isinstance(e, botocore.exceptions.ClientError):
        out['response'] = {k: v for k, v in e.response.items() if k in ('Error', 'ResponseMetadata')}
    return out

def transfer_big(key, concurrency):
    # upload_file of WORK/big.bin to key and download_file back, both in 5 MiB parts
    cfg = TransferConfig(multipart_threshold=5 * MiB, multipart_chunksize=5 * MiB, max_concurrency=concurrency)
    dst = os.path.join(work, 'big.down')
    s3.upload_file(os.path.join(work, 'big.bin'), bucket, key, Config=cfg)
    head = s3.head_object(Bucket=bucket, Key=key)
    s3.download_file(bucket, key, dst, Config=cfg)
    return {'etag': head['ETag'], 'length': head['ContentLength'], 'down_sha256': sha256_file(dst), 'down_size': os.path.getsize(dst)}

def step(name):
    def wrap(fn):
        try:
            results[name] = {'ok': True, **(fn() or {})}
        except Exception as e:
            results[name] = {'ok': False, **error_of(e)}
        return fn
    return wrap
`;

/** A boto3 script: BOTO3_PRELUDE, then `steps` (Python using its names), then the results printed as JSON. */
export function boto3Script(steps: string): string {
  return `${BOTO3_PRELUDE}\n${steps}\nprint(json.dumps(results))\n`;
}

/** The environment of a boto3 script: its S3_* settings, and no AWS config, credentials or metadata service of the host. */
function boto3Env(work: string, vars: { S3_ENDPOINT: string; S3_BUCKET: string; WORK: string; S3_CA_BUNDLE?: string }): NodeJS.ProcessEnv {
  return cleanEnv({
    S3_ACCESS_KEY: ACCESS_KEY,
    S3_SECRET_KEY: SECRET_KEY,
    ...vars,
    AWS_CONFIG_FILE: join(work, 'no-config'),
    AWS_SHARED_CREDENTIALS_FILE: join(work, 'no-credentials'),
    AWS_EC2_METADATA_DISABLED: 'true',
    PYTHONDONTWRITEBYTECODE: '1',
  });
}

export type Boto3Step = { ok: boolean; error?: string; traceback?: string; response?: unknown; [k: string]: any };

/** A boto3 script's run and the `results` it printed (empty when its last line was not JSON). */
interface Boto3Run {
  raw: RunResult;
  results: Record<string, Boto3Step>;
}

/** Runs the script file `script` (written from boto3Script) under `python`. */
async function runBoto3Script(python: string, script: string, env: NodeJS.ProcessEnv, timeoutMs: number): Promise<Boto3Run> {
  const raw = await run(python, [script], { env, timeoutMs });
  const last = raw.stdout.trim().split('\n').pop() ?? '';
  try {
    return { raw, results: JSON.parse(last) };
  } catch {
    return { raw, results: {} };
  }
}

/** The results of step `name`, failing with the script's error and traceback if the step failed or did not run. */
function boto3Step(boto3: Boto3Run, name: string): Boto3Step {
  const s = boto3.results[name];
  if (!s) expect.fail(`step ${name} did not run; script exited ${boto3.raw.code}\n${excerpt(boto3.raw.stderr)}\n${excerpt(boto3.raw.stdout)}`);
  if (!s.ok) expect.fail(`step ${name} failed: ${s.error}\n${JSON.stringify(s.response ?? {}, null, 1)}\n${s.traceback}`);
  return s;
}

/** One run of a boto3 script, as the tests of its steps see it. */
export interface Boto3Session {
  /** The results of step `name`, failing with the script's error and traceback if it failed or did not run. */
  step(name: string): Boto3Step;
  /** The sha256 of the random file WORK/big.bin the script was given. */
  readonly bigHash: string;
}

export interface Boto3RunOptions {
  /** The size of the random WORK/big.bin written before the script runs. */
  bigSize: number;
  timeoutMs: number;
  /** Called before run `n`: the script file, the directory for its runs, and its S3_* settings. */
  setup: (n: number) => { script: string; work: string; vars: { S3_ENDPOINT: string; S3_BUCKET: string; S3_CA_BUNDLE?: string } };
}

/** The script's file name in its directory (a script named boto3.py would be what `import boto3` finds). */
const SCRIPT_FILE = 'script.py';

/**
 * What a boto3 suite's runs share: a server and a work directory holding `script`, made before the
 * suite's tests and removed after them. `setup(bucket)` is describeBoto3Runs' setup, each run with
 * its own bucket `<bucket>-<n>`.
 */
export function boto3Fixture(name: string, script: string): { setup: (bucket: string) => Boto3RunOptions['setup'] } {
  let server: TestServer | undefined;
  let work = '';
  beforeAll(async () => {
    server = await TestServer.start({ drives: 4 });
    work = await mkdtemp(join(tmpdir(), `tessera-compat-${name}-`));
    await writeFile(join(work, SCRIPT_FILE), script);
  });
  afterAll(async () => {
    await server?.destroy();
    if (work) await rm(work, { recursive: true, force: true });
  });
  return { setup: (bucket) => (n) => ({ script: join(work, SCRIPT_FILE), work, vars: { S3_ENDPOINT: server!.endpoint, S3_BUCKET: `${bucket}-${n}` } }) };
}

/**
 * Declares, for each interpreter, a describe that runs the script once (with a fresh
 * <work>/run<n>/big.bin as WORK/big.bin), tests that it ran to the end, and declares the step
 * tests of `tests` on that run. With no interpreter it declares one empty test, so that a skipped
 * clientSuite is not empty.
 */
export function describeBoto3Runs(interpreters: Boto3Interpreter[], options: Boto3RunOptions, tests: (session: Boto3Session) => void): void {
  if (interpreters.length === 0) it('runs the boto3 script under python3', () => undefined);
  for (const [n, interp] of interpreters.entries()) {
    describe(`boto3 ${interp.boto3} (botocore ${interp.botocore}, ${interp.python})`, () => {
      let result: Boto3Run;
      let bigHash = '';
      beforeAll(async () => {
        const { script, work, vars } = options.setup(n);
        const dir = join(work, `run${n}`);
        bigHash = await writeRandomFile(join(dir, 'big.bin'), options.bigSize);
        result = await runBoto3Script(interp.python, script, boto3Env(work, { ...vars, WORK: dir }), options.timeoutMs);
      }, options.timeoutMs + 10_000);

      it('the script ran to the end', () => {
        expect(result.raw.code, `${result.raw.command}\n${excerpt(result.raw.stderr)}`).toBe(0);
        expect(result.results.versions).toBeDefined();
      });

      tests({
        step: (name) => boto3Step(result, name),
        get bigHash() {
          return bigHash;
        },
      });
    });
  }
}
