/**
 * The names a drive accepts. Every LocalDrive method checks its arguments here before it touches the
 * filesystem or the metadata store, because node RPC, heal and every future caller reach a drive with
 * values that may have come from a hostile peer: a name that is not of its exact form is refused, so
 * no `..`, separator, NUL or absolute path can ever become part of a path.
 */
import { DriveError } from './drive.js';

/** AWS S3's general-purpose bucket naming rules (which also keep every bucket clear of `.tessera.sys`). */
export function isValidBucketName(name: string): boolean {
  return (
    name.length >= 3 &&
    name.length <= 63 &&
    /^[a-z0-9][a-z0-9.-]*[a-z0-9]$/.test(name) &&
    !name.includes('..') &&
    !/^\d+\.\d+\.\d+\.\d+$/.test(name) &&
    !name.startsWith('xn--') &&
    !name.startsWith('sthree-') &&
    !name.endsWith('-s3alias') &&
    !name.endsWith('--ol-s3')
  );
}

/**
 * The deployment's own bucket (IAM data and other server configuration), stored through the erasure
 * layer like any bucket so it is protected and healed the same way. Its name is one no S3 request can
 * give (a leading dot), and the object layer leaves it out of bucket listings.
 */
export const CONFIG_BUCKET = '.tessera.config';

export const MAX_OBJECT_KEY_BYTES = 1024;
export const MAX_PART_NUMBER = 10_000;

const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';

const FORMS = {
  bucket: { test: (name: string) => isValidBucketName(name) || name === CONFIG_BUCKET },
  /** A staging directory under `.tessera.sys/tmp/`: a UUID, `heal-` prefixed for heal rebuilds. */
  'staging id': new RegExp(`^(heal-)?${UUID}$`),
  /** A version's data directory under `<bucket>/<2 hex>/`. */
  'data dir': new RegExp(`^${UUID}$`),
  /** A multipart upload (two UUIDs' hex digits), also its directory under `.tessera.sys/multipart/`. */
  'upload id': /^[0-9a-f]{64}$/,
  /** A shard file inside a data or staging directory. */
  'shard file': /^part\.[1-9]\d{0,4}$/,
  /** An uploaded part's file in its upload's directory: its number and the staging id it came from. */
  'upload part file': new RegExp(`^part\\.[1-9]\\d{0,4}\\.(heal-)?${UUID}$`),
  /** A two-hex-digit fan-out directory under a bucket. */
  'data prefix': /^[0-9a-f]{2}$/,
  /** A small state file in the system area (never format.json, which has its own methods). */
  'system file': /^(?!format\.json$)[a-z0-9][a-z0-9_-]*\.json$/,
} satisfies Record<string, { test(value: string): boolean }>;

export type NameKind = keyof typeof FORMS;

export function isNameOf(kind: NameKind, value: unknown): value is string {
  return typeof value === 'string' && FORMS[kind].test(value);
}

/** Throws DriveError('invalid') unless `value` is a string of the given form. */
export function checkName(kind: NameKind, value: unknown): asserts value is string {
  if (!isNameOf(kind, value)) {
    throw new DriveError('invalid', `invalid ${kind} ${typeof value === 'string' ? JSON.stringify(value).slice(0, 80) : `(a ${typeof value})`}`);
  }
}

/** Object keys only ever become metadata-store keys, but their size and type are still bounded. */
export function checkObjectKey(value: unknown, allowEmpty = false): asserts value is string {
  if (typeof value !== 'string' || (!allowEmpty && value.length === 0) || value.includes('\u0000') || Buffer.byteLength(value) > MAX_OBJECT_KEY_BYTES) {
    throw new DriveError('invalid', 'invalid object key');
  }
}

// Listing positions (ListRecordsOptions.from): at most one byte longer than a key.

/** The smallest byte string greater than every key that starts with `prefix`. */
export function pastPrefix(prefix: string): Buffer {
  return Buffer.concat([Buffer.from(prefix), Buffer.of(0xff)]);
}

/**
 * The first position after `key`. A marker longer than any key (a client's start-after) is cut to
 * the key length first: no key of at most that length sorts between the cut and the whole marker.
 */
export function justAfter(key: string): Buffer {
  return Buffer.concat([Buffer.from(key).subarray(0, MAX_OBJECT_KEY_BYTES), Buffer.of(0)]);
}

/** Throws unless `value` is an integer in [min, max]. */
export function checkInteger(what: string, value: unknown, min: number, max: number): asserts value is number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new DriveError('invalid', `invalid ${what} ${typeof value === 'number' ? value : `(a ${typeof value})`}`);
  }
}

/**
 * Orders keys as their UTF-8 bytes do (the drives' order), without encoding them: UTF-8 byte order is
 * code point order, and UTF-16 units differ from it only where a surrogate (half of a code point above
 * U+FFFF) meets a unit of U+E000 or above.
 */
export function compareKeys(a: string, b: string): number {
  if (a === b) return 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    const xSurrogate = x >= 0xd800 && x <= 0xdfff;
    const ySurrogate = y >= 0xd800 && y <= 0xdfff;
    if (xSurrogate !== ySurrogate) return xSurrogate ? 1 : -1;
    return x < y ? -1 : 1;
  }
  return a.length - b.length;
}
