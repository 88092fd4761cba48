/**
 * Types of the Drive methods that exist for healing (see the "Healing support" block in drive.ts).
 * Every value here is plain data (strings, numbers, arrays, Buffers), so a RemoteDrive can forward
 * the methods over RPC as they are.
 */

/** One part file of a version, as the record describes it. */
export interface ShardFileSpec {
  /** File name inside the data directory, e.g. `part.1`. */
  file: string;
  /** Bytes of object data in the part (not of the shard file). */
  partSize: number;
}

export interface ShardCheckRequest {
  files: ShardFileSpec[];
  blockSize: number;
  dataShards: number;
  /** Re-hash every block (bitrot scan) instead of only checking that the file has the right size. */
  deep: boolean;
}

/**
 * What a drive found for one shard file: `ok`, `missing` (no such file), `wrong-size` (truncated or
 * too long: a write or a copy went wrong), `corrupt` (a block's xxHash64 does not match, deep only).
 */
export type ShardState = 'ok' | 'missing' | 'wrong-size' | 'corrupt';

/** A data directory found under a bucket, for finding orphans (directories no record names). */
export interface DataDirEntry {
  dataDir: string;
  /** Last change of the directory entry in ms since the epoch: max(mtime, ctime), so a rename counts. */
  changed: number;
}
