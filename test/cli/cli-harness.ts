/**
 * Runs the built `tessera` client (node bin/tessera.js) as a subprocess with its configuration in
 * a temp directory (TESSERA_CONFIG_DIR) and the harness's clean environment.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createServer, request as httpRequest, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ACCESS_KEY, ROOT, SECRET_KEY, cleanEnv, type TestServer } from '../helpers/server.js';

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  input?: string | Buffer;
  env?: Record<string, string>;
  cwd?: string;
}

/** script(1) from util-linux, which runs a command in a pseudo-terminal; without it terminal tests skip their assertions. */
export const hasTerminal = spawnSync('sh', ['-c', 'command -v script'], { encoding: 'utf8' }).status === 0;

export interface TerminalOptions {
  /** Typed once `prompt` has appeared on the screen (so the terminal's own echo, if still on, would show it). */
  answer?: { prompt: string; keys: string };
  timeoutMs?: number;
}

const quote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

export class Cli {
  private constructor(
    readonly dir: string,
    readonly configDir: string,
  ) {}

  /** A client with its own config dir and, given a server, the alias "local" (and "bad", "down"). */
  static async create(server?: TestServer): Promise<Cli> {
    const dir = await mkdtemp(join(tmpdir(), 'tessera-cli-'));
    const cli = new Cli(dir, join(dir, 'config'));
    if (server) {
      await cli.setAlias('local', server.endpoint, ACCESS_KEY, SECRET_KEY);
      await cli.setAlias('bad', server.endpoint, ACCESS_KEY, 'not-the-secret');
      // Port 9 (discard) has nothing listening on this machine.
      await cli.setAlias('down', 'http://127.0.0.1:9', ACCESS_KEY, SECRET_KEY);
    }
    return cli;
  }

  get env(): NodeJS.ProcessEnv {
    return cleanEnv({ TESSERA_CONFIG_DIR: this.configDir });
  }

  run(args: string[], options: RunOptions = {}): Promise<CliResult> {
    return new Promise((resolve, reject) => {
      const proc = spawn(process.execPath, [join(ROOT, 'bin/tessera.js'), ...args], {
        cwd: options.cwd ?? ROOT,
        env: { ...this.env, ...options.env },
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      proc.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      proc.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      proc.once('error', reject);
      proc.once('close', (code) => resolve({ code, stdout, stderr }));
      proc.stdin.on('error', () => {});
      proc.stdin.end(options.input ?? '');
    });
  }

  /** Adds an alias the recommended way: the secret key on stdin, not in argv. */
  setAlias(name: string, url: string, accessKey: string, secretKey: string): Promise<CliResult> {
    return this.ok(['alias', 'set', name, url, accessKey], { input: `${secretKey}\n` });
  }

  /**
   * Runs in a pseudo-terminal (needs `hasTerminal`); stdout is the whole screen, stdout and stderr
   * together, as the terminal showed it.
   */
  terminal(args: string[], options: TerminalOptions = {}): Promise<CliResult> {
    const command = [process.execPath, join(ROOT, 'bin/tessera.js'), ...args].map(quote).join(' ');
    return new Promise((resolve, reject) => {
      const proc = spawn('script', ['-qfec', command, '/dev/null'], { env: this.env, stdio: ['pipe', 'pipe', 'pipe'] });
      const timer = setTimeout(() => proc.kill('SIGKILL'), options.timeoutMs ?? 60_000);
      let screen = '';
      let answered = false;
      proc.stdout.on('data', (d: Buffer) => {
        screen += d.toString();
        if (options.answer && !answered && screen.includes(options.answer.prompt)) {
          answered = true;
          proc.stdin.write(options.answer.keys);
        }
      });
      proc.stderr.on('data', (d: Buffer) => (screen += d.toString()));
      proc.stdin.on('error', () => {});
      proc.once('error', reject);
      proc.once('close', (code) => {
        clearTimeout(timer);
        resolve({ code, stdout: screen, stderr: '' });
      });
    });
  }

  /** Runs and expects exit 0 with nothing on stderr. */
  async ok(args: string[], options: RunOptions = {}): Promise<CliResult> {
    const result = await this.run(args, options);
    if (result.code !== 0 || result.stderr !== '') {
      throw new Error(`tessera ${args.join(' ')} -> exit ${result.code}\nstdout: ${result.stdout}\nstderr: ${result.stderr}`);
    }
    return result;
  }

  /** Runs with --json, expects exit 0, and parses stdout's lines. */
  async json<T = Record<string, unknown>>(args: string[], options: RunOptions = {}): Promise<T[]> {
    const { stdout } = await this.ok([...args, '--json'], options);
    return stdout
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => JSON.parse(l) as T);
  }

  /** Runs, expects a non-zero exit and exactly one line on stderr; returns that line. */
  async fails(args: string[], options: RunOptions = {}): Promise<{ code: number | null; line: string; stdout: string }> {
    const result = await this.run(args, options);
    if (result.code === 0) throw new Error(`tessera ${args.join(' ')} succeeded, expected a failure\nstdout: ${result.stdout}`);
    const lines = result.stderr.split('\n').filter((l) => l !== '');
    if (lines.length !== 1) throw new Error(`tessera ${args.join(' ')}: expected one line on stderr, got:\n${result.stderr}`);
    return { code: result.code, line: lines[0], stdout: result.stdout };
  }

  async destroy(): Promise<void> {
    await rm(this.dir, { recursive: true, force: true });
  }
}

/**
 * An HTTP proxy in front of a server that answers 501 NotImplemented to the requests `refuse`
 * picks and forwards the rest unchanged (signatures stay valid: the client signed for the
 * proxy's host, which is forwarded as is). Stands in for S3 servers lacking an API.
 */
export interface RefusingProxy {
  url: string;
  /** How many requests were refused so far. */
  refused: number;
  close(): Promise<void>;
}

export async function refusingProxy(backend: string, refuse: (req: IncomingMessage) => boolean): Promise<RefusingProxy> {
  const proxy: RefusingProxy = { url: '', refused: 0, close: async () => {} };
  const server = createServer((req, res) => {
    if (refuse(req)) {
      proxy.refused++;
      req.resume();
      req.once('end', () => {
        res.writeHead(501, { 'content-type': 'application/xml' });
        res.end(
          req.method === 'HEAD'
            ? undefined
            : '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>NotImplemented</Code><Message>Not implemented by this proxy.</Message></Error>',
        );
      });
      return;
    }
    const upstream = httpRequest(`${backend}${req.url}`, { method: req.method, headers: req.headers }, (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
    });
    upstream.once('error', () => res.destroy());
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  proxy.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  proxy.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return proxy;
}
