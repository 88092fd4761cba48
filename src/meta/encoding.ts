/**
 * Compact, self-checking encoding of records: [xxHash64 of body][msgpack body]. A record whose hash
 * does not match decodes as `undefined`; the drive reports it as damaged (not as missing), and heal rewrites it.
 */
import { Packr } from 'msgpackr';
import { xxh64, xxh64Matches } from '../codec/xxhash.js';

const packr = new Packr({ useRecords: false, moreTypes: false, bundleStrings: false });
/** Bytes of the checksum in front of a record's body. */
export const RECORD_HASH_SIZE = 8;

export function encodeRecord(value: unknown): Buffer {
  const body = packr.pack(value);
  return Buffer.concat([xxh64(body), body]);
}

/** The msgpack body of an encoded record, once its checksum is verified; undefined if it fails. */
export function recordBody(bytes: Uint8Array): Buffer | undefined {
  if (bytes.length < RECORD_HASH_SIZE) return undefined;
  const buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const body = buf.subarray(RECORD_HASH_SIZE);
  return xxh64Matches(body, buf) ? body : undefined;
}

export function decodeRecord<T>(bytes: Uint8Array): T | undefined {
  const body = recordBody(bytes);
  return body && (packr.unpack(body) as T);
}
