/**
 * Shared pieces of the real-client compatibility suites (test/compat/*.test.ts): finding a client,
 * failing under CI=true when it is missing (CI installs them) or skipping with a clear message
 * otherwise, running it with a clean environment, and building and hashing file trees.
 */
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { accessSync, constants, createReadStream, existsSync } from 'node:fs';
import { lstat, mkdir, readdir, readlink, writeFile } from 'node:fs/promises';
import { delimiter, dirname, join, relative } from 'node:path';
import { ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';

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
