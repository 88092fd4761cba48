/**
 * How a drive's metadata store names what it holds, shared by the drive's process (which reads) and
 * its metadata writer (which writes): the key of an object's record, of an upload and of a part, and
 * a bucket's entry.
 */
import type { Database } from 'lmdb';
import { decodeRecord } from '../meta/encoding.js';

const KEY_SEPARATOR = 0;

export function recordKey(bucket: string, key: string): Buffer {
  return Buffer.concat([Buffer.from(bucket), Buffer.of(KEY_SEPARATOR), Buffer.from(key)]);
}

/** Just past the last record key of `bucket`. */
export function bucketRangeEnd(bucket: string): Buffer {
  return Buffer.concat([Buffer.from(bucket), Buffer.of(KEY_SEPARATOR + 1)]);
}

export function uploadKey(bucket: string, key: string, uploadId: string): Buffer {
  return Buffer.concat([recordKey(bucket, key), Buffer.of(KEY_SEPARATOR), Buffer.from(uploadId)]);
}

/** The bucket an upload key names. */
export function uploadKeyBucket(raw: Buffer): string {
  return raw.subarray(0, raw.indexOf(KEY_SEPARATOR)).toString();
}

export function partKey(uploadId: string, partNumber: number): Buffer {
  const key = Buffer.alloc(Buffer.byteLength(uploadId) + 5);
  key.write(uploadId);
  key.writeUInt32BE(partNumber, key.length - 4);
  return key;
}

/** Every part key of an upload lies in [first, last]. */
export function partKeyRange(uploadId: string): { start: Buffer; end: Buffer } {
  return { start: partKey(uploadId, 0), end: partKey(uploadId, 0xffffffff) };
}

/**
 * A bucket's entry in the drive's store. A deleted bucket leaves a tombstone, so that a record
 * written by a PUT that raced the deletion is refused rather than left behind for a bucket made again
 * under that name. (A drive with no entry at all, one that missed the bucket's creation, still takes records.)
 */
export interface BucketState {
  created: number;
  deleted?: true;
  /** The stamp of the bucket's configuration (in the configs store), when it has one. */
  configStamp?: number;
}

export const DELETED_BUCKET: BucketState = { created: 0, deleted: true };

export function bucketState(buckets: Database<Buffer, Buffer>, name: string): BucketState | undefined {
  const value = buckets.get(Buffer.from(name)) as unknown as Buffer | undefined;
  return value && decodeRecord<BucketState>(value);
}
