/**
 * Certificates made in the test with `openssl` (Debian package "openssl"): a private CA, server
 * certificates it signs for 127.0.0.1 and localhost, laid out as a `--certs-dir`, and the clients
 * (SDK handler, health probe) that trust that CA.
 */
import { execFile } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { NodeHttpHandler } from '@smithy/node-http-handler';

const run = promisify(execFile);

/** A CA made for one test: its certificate (PEM text) and where its files are. */
export interface TestCa {
  name: string;
  cert: string;
  certPath: string;
  keyPath: string;
}

/** A `--certs-dir` for a server, and the PEM a client must trust to talk to it. */
export interface TestCerts {
  dir: string;
  ca: string;
}

const EC_KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

/** An openssl config whose section `ext` holds the certificate's extensions. */
function config(commonName: string, extensions: string[]): string {
  return ['[req]', 'distinguished_name = dn', 'prompt = no', '[dn]', `CN = ${commonName}`, '[ext]', ...extensions, ''].join('\n');
}

async function openssl(args: string[]): Promise<void> {
  await run('openssl', args);
}

/** A self-signed CA in `dir`/`name`.{crt,key}. */
export async function makeCa(dir: string, name: string): Promise<TestCa> {
  await mkdir(dir, { recursive: true });
  const cnf = join(dir, `${name}.cnf`);
  const certPath = join(dir, `${name}.crt`);
  const keyPath = join(dir, `${name}.key`);
  await writeFile(cnf, config(`Tessera test CA ${name}`, ['basicConstraints = critical,CA:TRUE', 'keyUsage = critical,keyCertSign,cRLSign']));
  await openssl(['req', '-x509', ...EC_KEY, '-days', '2', '-config', cnf, '-extensions', 'ext', '-keyout', keyPath, '-out', certPath]);
  return { name, cert: await readFile(certPath, 'utf8'), certPath, keyPath };
}

const SERVER_EXTENSIONS = [
  'basicConstraints = critical,CA:FALSE',
  'keyUsage = critical,digitalSignature',
  'extendedKeyUsage = serverAuth',
  'subjectAltName = IP:127.0.0.1,DNS:localhost',
];

/**
 * A certs directory `dir` for 127.0.0.1 and localhost: public.crt signed by `ca` and CAs/<ca>.crt,
 * or, without `ca`, a self-signed public.crt and no CAs/ (the certificate is its own trust anchor).
 */
export async function makeCertsDir(dir: string, ca?: TestCa): Promise<TestCerts> {
  await mkdir(dir, { recursive: true });
  const cnf = join(dir, 'server.cnf');
  const certPath = join(dir, 'public.crt');
  const keyPath = join(dir, 'private.key');
  await writeFile(cnf, config('127.0.0.1', SERVER_EXTENSIONS));
  if (!ca) {
    await openssl(['req', '-x509', ...EC_KEY, '-days', '2', '-config', cnf, '-extensions', 'ext', '-keyout', keyPath, '-out', certPath]);
    return { dir, ca: await readFile(certPath, 'utf8') };
  }
  const csr = join(dir, 'server.csr');
  await openssl(['req', '-new', ...EC_KEY, '-config', cnf, '-keyout', keyPath, '-out', csr]);
  await openssl(['x509', '-req', '-in', csr, '-CA', ca.certPath, '-CAkey', ca.keyPath, '-set_serial', String(Date.now()), '-days', '2', '-extfile', cnf, '-extensions', 'ext', '-out', certPath]);
  await mkdir(join(dir, 'CAs'), { recursive: true });
  await writeFile(join(dir, 'CAs', `${ca.name}.crt`), ca.cert);
  return { dir, ca: ca.cert };
}

/** An SDK request handler that trusts `ca` (when given) for https endpoints. */
export function sdkRequestHandler(options: { ca?: string; connectionTimeout?: number; requestTimeout?: number } = {}): NodeHttpHandler {
  const { ca, ...timeouts } = options;
  return new NodeHttpHandler({ ...timeouts, ...(ca ? { httpsAgent: new https.Agent({ keepAlive: true, ca }) } : {}) });
}

/** The status of one unauthenticated GET (http or https, trusting `ca`); rejects when there is no answer. */
export function getStatus(url: string, ca?: string, timeoutMs = 5_000): Promise<number> {
  const secure = url.startsWith('https:');
  return new Promise((resolve, reject) => {
    const req = (secure ? https.request : http.request)(url, { agent: false, timeout: timeoutMs, ...(secure && ca ? { ca } : {}) }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.once('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.once('error', reject);
    req.end();
  });
}
