/**
 * Starts a `tessera server` process over drive directories for the benchmark
 * (the same way the integration tests do, but without depending on test/).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { createServer } from 'node:net';
import { resolve } from 'node:path';

/** The repository root (this file runs as dist/bench/server.js). */
export const ROOT = resolve(import.meta.dirname, '../..');

export async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolvePort(port));
    });
  });
}

/** The environment without AWS_* variables from the host. */
function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('AWS_')) env[k] = v;
  return { ...env, ...extra };
}

const NOTEWORTHY = /error|exception|warn|fail|fatal|unhandled|stack/i;

export class BenchServer {
  /** The bearer token every bench server takes for /tessera/metrics. */
  static readonly metricsToken = randomBytes(16).toString('hex');
  /** the last lines the server printed */
  private tail: string[] = [];
  /** lines that look like trouble (capped) */
  readonly noteworthy: string[] = [];
  private partial = '';

  private constructor(
    readonly proc: ChildProcess,
    readonly port: number,
  ) {
    const onData = (d: Buffer): void => {
      const text = this.partial + d.toString();
      const lines = text.split('\n');
      this.partial = lines.pop() ?? '';
      for (const line of lines) this.addLine(line);
    };
    proc.stdout!.on('data', onData);
    proc.stderr!.on('data', onData);
  }

  private addLine(line: string): void {
    this.tail.push(line);
    if (this.tail.length > 200) this.tail.shift();
    if (NOTEWORTHY.test(line) && this.noteworthy.length < 50) this.noteworthy.push(line);
  }

  get endpoint(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get output(): string {
    return [...this.tail, this.partial].join('\n');
  }

  /** "EC d+p" as the server reported its layout, if it did. */
  get layout(): string | undefined {
    return /Layout: (.*)|"layout":"([^"]*)"/.exec(this.output)?.slice(1).find((v) => v !== undefined);
  }

  get running(): boolean {
    return this.proc.exitCode === null && this.proc.signalCode === null;
  }

  /** Starts the server over `drives` (created if missing) and waits until it reports ready. */
  static async start(drives: string[], parity: number, accessKey: string, secretKey: string, env: Record<string, string> = {}): Promise<BenchServer> {
    for (const d of drives) await mkdir(d, { recursive: true });
    const port = await freePort();
    const server = BenchServer.spawn(port, ['--parity', String(parity), ...drives], accessKey, secretKey, env);
    await server.waitReady();
    return server;
  }

  /**
   * Starts `tessera server --address 127.0.0.1:<port> <args...>` without waiting for it (a cluster's
   * nodes only become ready once they all run).
   */
  static spawn(port: number, args: string[], accessKey: string, secretKey: string, env: Record<string, string> = {}): BenchServer {
    const proc = spawn(process.execPath, ['bin/tessera.js', 'server', '--address', `127.0.0.1:${port}`, ...args], {
      cwd: ROOT,
      env: cleanEnv({ TESSERA_ROOT_USER: accessKey, TESSERA_ROOT_PASSWORD: secretKey, TESSERA_METRICS_TOKEN: BenchServer.metricsToken, ...env }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const server = new BenchServer(proc, port);
    proc.once('exit', () => {
      if (server.partial) server.addLine(server.partial);
      server.partial = '';
    });
    return server;
  }

  /** Waits until `/tessera/health/ready` answers 200; kills the process and throws if it does not in time. */
  async waitReady(timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (!this.running) throw new Error(`server exited with ${this.proc.exitCode ?? this.proc.signalCode} before it was ready:\n${this.output}`);
      try {
        const res = await fetch(`${this.endpoint}/tessera/health/ready`);
        await res.arrayBuffer();
        if (res.status === 200) return;
      } catch {
        // not listening yet
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    this.killNow();
    throw new Error(`server did not become ready within ${timeoutMs / 1000} s:\n${this.output}`);
  }

  /** SIGTERM, then SIGKILL if it has not exited after `graceMs`. */
  async stop(graceMs = 10_000): Promise<void> {
    if (!this.running) return;
    const exited = new Promise<void>((r) => this.proc.once('exit', () => r()));
    this.proc.kill('SIGTERM');
    const timer = setTimeout(() => this.proc.kill('SIGKILL'), graceMs);
    await exited;
    clearTimeout(timer);
  }

  /** For signal handlers and exit hooks: kill at once, synchronously. */
  killNow(): void {
    if (this.running) this.proc.kill('SIGKILL');
  }
}
