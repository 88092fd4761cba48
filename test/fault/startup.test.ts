/**
 * Bad command lines: `tessera server` must end with one clear line on stderr starting with
 * `tessera:`, a non-zero exit code, and no stack trace.
 */
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, ROOT, serverEnv, TestServer } from '../helpers/server.js';

interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/** Runs `node bin/tessera.js server ...args` with `credentials`; kills it if it is still running after `timeoutMs`. */
function runServer(args: string[], credentials?: Record<string, string>, timeoutMs = 20_000): Promise<RunResult> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, ['bin/tessera.js', 'server', ...args], {
      cwd: ROOT,
      env: serverEnv(credentials),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    proc.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    proc.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => proc.kill('SIGKILL'), timeoutMs);
    proc.once('error', reject);
    proc.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, ms: Date.now() - started });
    });
  });
}

/** The checks every bad command line must pass; `about` must match the one stderr line. */
function expectOneLineFailure(r: RunResult, about: RegExp): void {
  const context = `exit ${r.code ?? r.signal} after ${r.ms} ms\n--- stderr ---\n${r.stderr}\n--- stdout ---\n${r.stdout}`;
  expect(r.signal, `killed: the server did not exit by itself\n${context}`).toBeNull();
  expect(r.code, context).not.toBe(0);
  expect(r.code, context).not.toBeNull();
  const lines = r.stderr.split('\n').filter((l) => l.trim() !== '');
  expect(r.stderr, `stack trace on stderr\n${context}`).not.toMatch(/^\s+at\s/m);
  expect(lines, `expected exactly one line on stderr\n${context}`).toHaveLength(1);
  expect(lines[0], context).toMatch(/^tessera: /);
  expect(lines[0], context).toMatch(about);
}

let dir: string;
let port: number;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tessera-startup-'));
  port = await freePort();
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const drives = (name: string, n = 4): string[] => Array.from({ length: n }, (_, i) => join(dir, name, `d${i + 1}`));

describe('tessera server refuses bad command lines', () => {
  it('fewer than 2 drives: one drive', async () => {
    const r = await runServer(['--address', `127.0.0.1:${port}`, ...drives('one', 1)]);
    expectOneLineFailure(r, /2 drives|drive/i);
  });

  it('fewer than 2 drives: no drive at all', async () => {
    const r = await runServer(['--address', `127.0.0.1:${port}`]);
    expectOneLineFailure(r, /drive/i);
  });

  it('--parity 3 on 4 drives', async () => {
    const r = await runServer(['--address', `127.0.0.1:${port}`, '--parity', '3', ...drives('parity')]);
    expectOneLineFailure(r, /parity/i);
  });

  it('a drive path that is a regular file', async () => {
    const paths = drives('file');
    await mkdir(join(dir, 'file'), { recursive: true });
    await writeFile(paths[2], 'not a drive');
    const r = await runServer(['--address', `127.0.0.1:${port}`, ...paths]);
    expectOneLineFailure(r, new RegExp(`${paths[2].replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}.*(not a directory|not usable)|not a directory`));
  });

  it('an address already in use', async () => {
    const busy = await freePort();
    const blocker: Server = createServer();
    await new Promise<void>((resolve) => blocker.listen(busy, '127.0.0.1', resolve));
    try {
      const r = await runServer(['--address', `127.0.0.1:${busy}`, ...drives('busy')]);
      expectOneLineFailure(r, /in use/i);
    } finally {
      await new Promise<void>((resolve) => blocker.close(() => resolve()));
    }
  });

  it('an invalid address: foo', async () => {
    const r = await runServer(['--address', 'foo', ...drives('badaddr')]);
    expectOneLineFailure(r, /address.*foo|foo.*address/i);
  });

  it('a drive of another deployment mixed in', async () => {
    // Format two separate 4-drive deployments.
    const first = drives('deployment1');
    const second = drives('deployment2');
    for (const set of [first, second]) {
      const server = await TestServer.start({ driveDirs: set });
      await server.stop('SIGTERM');
      await server.destroy(); // removes only the harness's own temp dir, not these drives
    }
    const mixed = [...first.slice(0, 3), second[0]];
    const r = await runServer(['--address', `127.0.0.1:${port}`, ...mixed]);
    expectOneLineFailure(r, /deployment/i);
  });
});

describe('tessera server refuses credentials it cannot trust', () => {
  it('the published defaults where credentials are required (the container image): exit 1, one line', async () => {
    const r = await runServer(['--address', `127.0.0.1:${port}`, ...drives('required')], { TESSERA_REQUIRE_CREDENTIALS: '1' });
    expectOneLineFailure(r, /^tessera: refusing to start with the published default root credentials \(TESSERA_REQUIRE_CREDENTIALS is set\): set TESSERA_ROOT_USER and TESSERA_ROOT_PASSWORD/);
    expect(r.code).toBe(1);
    // No flag overrides the requirement.
    const flagged = await runServer(['--address', `127.0.0.1:${port}`, '--allow-default-credentials', ...drives('required')], { TESSERA_REQUIRE_CREDENTIALS: '1' });
    expectOneLineFailure(flagged, /TESSERA_REQUIRE_CREDENTIALS is set/);
  });

  it('the published defaults on an address other machines can reach', async () => {
    const r = await runServer(['--address', `0.0.0.0:${port}`, ...drives('exposed')], {});
    expectOneLineFailure(r, new RegExp(`on 0\\.0\\.0\\.0:${port}, which other machines can reach: .* or pass --allow-default-credentials$`));
    expect(r.code).toBe(1);
  });

  it('half a configuration, and an unreadable secret file', async () => {
    const half = await runServer(['--address', `127.0.0.1:${port}`, ...drives('half')], { TESSERA_ROOT_USER: 'admin' });
    expectOneLineFailure(half, /TESSERA_ROOT_USER is set but TESSERA_ROOT_PASSWORD is not/);
    const missing = join(dir, 'no-such-secret');
    const unreadable = await runServer(['--address', `127.0.0.1:${port}`, ...drives('unreadable')], { TESSERA_ROOT_USER: 'admin', TESSERA_ROOT_PASSWORD_FILE: missing });
    expectOneLineFailure(unreadable, new RegExp(`cannot read TESSERA_ROOT_PASSWORD_FILE \\(${missing.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\)`));
  });
});
