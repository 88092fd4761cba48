/**
 * IAM data at rest is sealed with AES-256-GCM under a key derived from the root credentials (scrypt,
 * with a random salt kept beside the ciphertext), so drives taken out of the deployment give away no
 * user's secret. Derived keys are cached: deriving costs tens of milliseconds on purpose. After the
 * root credentials change, the previous ones open the data once and it is sealed again under the new.
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

/** What unsealing found: the bytes, and whether they were sealed under the previous root credentials (to be sealed again). */
export interface Unsealed {
  plain: Buffer;
  underPrevious: boolean;
}

export class Sealer {
  /** Derived keys by credentials and salt. */
  private readonly keys = new Map<string, Promise<Buffer>>();
  /** The salt this process seals with (one derivation per process). */
  private sealSalt?: string;

  /** `previous`: the root credentials before a change (TESSERA_ROOT_*_PREVIOUS), still accepted to open what they sealed. */
  constructor(
    private readonly root: Credentials,
    private readonly previous?: Credentials,
  ) {}

  private keyFor(credentials: Credentials, salt: string): Promise<Buffer> {
    const id = `${credentials.accessKey}\u0000${credentials.secretKey}\u0000${salt}`;
    let key = this.keys.get(id);
    if (!key) {
      const password = Buffer.from(`${credentials.accessKey}\u0000${credentials.secretKey}`);
      key = new Promise<Buffer>((resolve, reject) => scrypt(password, Buffer.from(salt, 'base64'), 32, SCRYPT, (err, out) => (err ? reject(err) : resolve(out))));
      this.keys.set(id, key);
    }
    return key;
  }

  async seal(plain: Buffer): Promise<Buffer> {
    const salt = (this.sealSalt ??= randomBytes(16).toString('base64'));
    const nonce = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', await this.keyFor(this.root, salt), nonce);
    cipher.setAAD(Buffer.from(FORMAT));
    const data = Buffer.concat([cipher.update(plain), cipher.final()]);
    const envelope: Envelope = { format: FORMAT, salt, nonce: nonce.toString('base64'), tag: cipher.getAuthTag().toString('base64'), data: data.toString('base64') };
    return Buffer.from(JSON.stringify(envelope));
  }

  async unseal(sealed: Buffer): Promise<Unsealed> {
    let envelope: Envelope;
    try {
      envelope = JSON.parse(sealed.toString('utf8')) as Envelope;
    } catch {
      throw new UnsealError('the IAM data is not a sealed document');
    }
    if (envelope?.format !== FORMAT || ![envelope.salt, envelope.nonce, envelope.tag, envelope.data].every((v) => typeof v === 'string')) {
      throw new UnsealError('the IAM data is not in a format this server knows');
    }
    const current = await this.open(envelope, this.root);
    if (current) return { plain: current, underPrevious: false };
    const previous = this.previous && (await this.open(envelope, this.previous));
    if (previous) return { plain: previous, underPrevious: true };
    throw new UnsealError('the IAM data cannot be opened with these root credentials: if they were changed, start with the old ones in TESSERA_ROOT_USER_PREVIOUS and TESSERA_ROOT_PASSWORD_PREVIOUS once');
  }

  private async open(envelope: Envelope, credentials: Credentials): Promise<Buffer | undefined> {
    try {
      const decipher = createDecipheriv('aes-256-gcm', await this.keyFor(credentials, envelope.salt), Buffer.from(envelope.nonce, 'base64'));
      decipher.setAAD(Buffer.from(FORMAT));
      decipher.setAuthTag(Buffer.from(envelope.tag, 'base64'));
      return Buffer.concat([decipher.update(Buffer.from(envelope.data, 'base64')), decipher.final()]);
    } catch {
      return undefined;
    }
  }
}
