/**
 * Certificates, laid out as MinIO users know them: `<dir>/public.crt` and `<dir>/private.key` are
 * this server's certificate (chain) and key; `<dir>/CAs/` holds the certificates of CAs to trust.
 * Every file is checked when it is read, so a mistake is reported at start-up naming the file.
 */
import { X509Certificate, createPrivateKey, type KeyObject } from 'node:crypto';
import { readFile, readdir } from 'node:fs/promises';
import { createSecureContext, rootCertificates, type SecureContext } from 'node:tls';
import { join } from 'node:path';
import { ConfigurationError } from '../errors.js';

export class CertificateError extends ConfigurationError {}

const CERT_FILE = 'public.crt';
const KEY_FILE = 'private.key';
const CAS_DIR = 'CAs';
const CA_FILE = /\.(crt|pem)$/i;

export interface ServerCerts {
  dir: string;
  /** PEM: this server's certificate, optionally followed by its intermediates. */
  cert: Buffer;
  key: Buffer;
  /** PEM files of the CAs in `<dir>/CAs/`. */
  cas: Buffer[];
}

async function readPem(path: string, what: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const reason = code === 'ENOENT' ? 'not found' : code === 'EACCES' ? 'permission denied' : (err as Error).message;
    throw new CertificateError(`cannot read ${what} ${path}: ${reason}`);
  }
}

function parseCertificate(pem: Buffer, path: string): X509Certificate {
  try {
    return new X509Certificate(pem);
  } catch (err) {
    throw new CertificateError(`${path} is not a PEM certificate (${(err as Error).message})`);
  }
}

function parseKey(pem: Buffer, path: string): KeyObject {
  try {
    return createPrivateKey(pem);
  } catch (err) {
    throw new CertificateError(`${path} is not an unencrypted PEM private key (${(err as Error).message})`);
  }
}

/**
 * The certificates of the CAs in `dir` (files ending .crt or .pem); none when `dir` does not exist.
 * Each file is checked to hold a certificate.
 */
export async function readTrustedCas(dir: string): Promise<Buffer[]> {
  let names: string[];
  try {
    names = (await readdir(dir, { withFileTypes: true })).filter((e) => !e.isDirectory() && CA_FILE.test(e.name)).map((e) => e.name);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new CertificateError(`cannot read the CA directory ${dir}: ${(err as Error).message}`);
  }
  const cas: Buffer[] = [];
  for (const name of names.sort()) {
    const path = join(dir, name);
    const pem = await readPem(path, 'CA certificate');
    parseCertificate(pem, path);
    cas.push(pem);
  }
  return cas;
}

/** Reads and checks a certs directory: certificate and key present, parseable, and of one pair. */
export async function readCertsDir(dir: string): Promise<ServerCerts> {
  const certPath = join(dir, CERT_FILE);
  const keyPath = join(dir, KEY_FILE);
  const cert = await readPem(certPath, 'the TLS certificate');
  const key = await readPem(keyPath, 'the TLS private key');
  const certificate = parseCertificate(cert, certPath);
  if (!certificate.checkPrivateKey(parseKey(key, keyPath))) {
    throw new CertificateError(`${keyPath} is not the private key of the certificate ${certPath}`);
  }
  return { dir, cert, key, cas: await readTrustedCas(join(dir, CAS_DIR)) };
}

/**
 * The TLS context that trusts `extra` as well as the system's roots, for an agent's `secureContext`;
 * undefined keeps Node's default (which also honours NODE_EXTRA_CA_CERTS).
 */
export function trustedWith(extra: Buffer[]): SecureContext | undefined {
  // Built once: an agent given `ca` instead would parse every root certificate again for each connection (~20 ms of CPU).
  return extra.length > 0 ? createSecureContext({ ca: [...rootCertificates, ...extra] }) : undefined;
}
