/**
 * IAM data at rest is sealed with AES-256-GCM under a key derived from the root credentials (scrypt,
 * with a random salt kept beside the ciphertext), so drives taken out of the deployment give away no
 * user's secret. The derived key is cached per salt: deriving costs tens of milliseconds on purpose.
 */
import { createCipheriv, createDecipheriv, randomBytes, scrypt } from 'node:crypto';
import type { Credentials } from './credentials.js';

const FORMAT = 'tessera-iam-sealed-1';
const SCRYPT = { N: 1 << 15, r: 8, p: 1, maxmem: 64 * 1024 * 1024 };

interface Envelope {
  format: typeof FORMAT;
  salt: string;
  nonce: string;
  tag: string;
  data: string;
}

/** The sealed bytes are not ours to open: another format, damaged, or sealed under other root credentials. */
export class UnsealError extends Error {}

export class Sealer {
  private derived?: { salt: string; key: Promise<Buffer> };

  constructor(private readonly root: Credentials) {}

  private keyFor(salt: string): Promise<Buffer> {
    if (this.derived?.salt !== salt) {
      const password = Buffer.from(`${this.root.accessKey}\u0000${this.root.secretKey}`);
      const key = new Promise<Buffer>((resolve, reject) =>
        scrypt(password, Buffer.from(salt, 'base64'), 32, SCRYPT, (err, out) => (err ? reject(err) : resolve(out))),
      );
      this.derived = { salt, key };
    }
    return this.derived.key;
  }

  async seal(plain: Buffer): Promise<Buffer> {
    const salt = this.derived?.salt ?? randomBytes(16).toString('base64');
    const nonce = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', await this.keyFor(salt), nonce);
    cipher.setAAD(Buffer.from(FORMAT));
    const data = Buffer.concat([cipher.update(plain), cipher.final()]);
    const envelope: Envelope = { format: FORMAT, salt, nonce: nonce.toString('base64'), tag: cipher.getAuthTag().toString('base64'), data: data.toString('base64') };
    return Buffer.from(JSON.stringify(envelope));
  }

  async unseal(sealed: Buffer): Promise<Buffer> {
    let envelope: Envelope;
    try {
      envelope = JSON.parse(sealed.toString('utf8')) as Envelope;
    } catch {
      throw new UnsealError('the IAM data is not a sealed document');
    }
    if (envelope?.format !== FORMAT || ![envelope.salt, envelope.nonce, envelope.tag, envelope.data].every((v) => typeof v === 'string')) {
      throw new UnsealError('the IAM data is not in a format this server knows');
    }
    try {
      const decipher = createDecipheriv('aes-256-gcm', await this.keyFor(envelope.salt), Buffer.from(envelope.nonce, 'base64'));
      decipher.setAAD(Buffer.from(FORMAT));
      decipher.setAuthTag(Buffer.from(envelope.tag, 'base64'));
      return Buffer.concat([decipher.update(Buffer.from(envelope.data, 'base64')), decipher.final()]);
    } catch {
      throw new UnsealError('the IAM data cannot be opened with these root credentials (were they changed?)');
    }
  }
}
