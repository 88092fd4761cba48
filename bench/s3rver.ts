/**
 * s3rver, the Node S3 fake many test suites use (no erasure coding, no fsync, no checksums), as the
 * reference `npm run bench -- --s3rver` measures Tessera's single node against in the same run. It is
 * installed into the run's temp directory from the npm registry, never a dependency of Tessera, and
 * runs with --openssl-legacy-provider (its listing continuation tokens use a cipher OpenSSL 3 retired).
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './server.js';

export const S3RVER_VERSION = '3.7.1';
/** The only credentials s3rver accepts. */
export const S3RVER_ACCESS_KEY = 'S3RVER';
export const S3RVER_SECRET_KEY = 'S3RVER';

export class S3rverPeer {
  private output = '';

  private constructor(
    readonly proc: ChildProcess,
    readonly port: number,
  ) {
    const keep = (d: Buffer): void => {
      this.output = (this.output + d.toString()).slice(-8000);
    };
    proc.stdout!.on('data', keep);
    proc.stderr!.on('data', keep);
  }

  /** Installs s3rver under `dir` and starts it over `dir/data` on a free loopback port. */
  static async start(dir: string, timeoutMs = 30_000): Promise<S3rverPeer> {
    await mkdir(join(dir, 'data'), { recursive: true });
    await promisify(execFile)('npm', ['install', '--no-save', '--no-package-lock', '--no-audit', '--no-fund', '--prefix', dir, `s3rver@${S3RVER_VERSION}`], { timeout: 300_000 });
    const port = await freePort();
    const proc = spawn(
      process.execPath,
      ['--openssl-legacy-provider', join(dir, 'node_modules/s3rver/bin/s3rver.js'), '-d', join(dir, 'data'), '-a', '127.0.0.1', '-p', String(port), '--silent'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const peer = new S3rverPeer(proc, port);
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (!peer.running) throw new Error(`s3rver exited with ${proc.exitCode ?? proc.signalCode}:\n${peer.output}`);
      try {
        // Any answer (an anonymous ListBuckets is refused) means it listens.
        await (await fetch(peer.endpoint)).arrayBuffer();
        return peer;
      } catch {
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    peer.killNow();
    throw new Error(`s3rver did not answer within ${timeoutMs / 1000} s:\n${peer.output}`);
  }

  get endpoint(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get running(): boolean {
    return this.proc.exitCode === null && this.proc.signalCode === null;
  }

  /** What it printed last, for an error message. */
  get lastOutput(): string {
    return this.output;
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    const exited = new Promise<void>((r) => this.proc.once('exit', () => r()));
    this.proc.kill('SIGTERM');
    const timer = setTimeout(() => this.proc.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
  }

  killNow(): void {
    if (this.running) this.proc.kill('SIGKILL');
  }
}
