/**
 * The Drive interface: everything the erasure layer may do to one drive. LocalDrive implements it on
 * a directory; a RemoteDrive will implement it over node RPC, so nothing above storage/ can tell.
 * Methods throw DriveError for drive-level failures (offline, faulty); a missing item is not an error
 * but an `undefined`/empty result.
 */
import type { BucketConfig } from '../meta/bucket-config.js';
import type { ObjectRecord, UploadPartRecord, UploadRecord } from '../meta/record.js';
import { decodeObjectRecord } from '../meta/listing-summary.js';
import type { DriveFormat } from './format.js';

/**
 * 'refused': the drive's node will not talk to us (other credentials or another endpoint list).
 * 'invalid': an argument (a name, an id, a number) is not of the form the drive accepts; nothing was touched.
 * 'damaged': the drive holds a record for the name, but it fails its checksum. It is not proof that
 * the drive lacks the object (a version must not be judged dangling on it), and heal rewrites it.
 * 'fenced': a record write came from a lock holder older than the record's last writer; nothing changed.
 * 'full': the drive's free space is below what it keeps back (see free-space.ts); nothing was written.
 */
export type DriveErrorKind = 'offline' | 'unformatted' | 'faulty' | 'not-found' | 'refused' | 'invalid' | 'damaged' | 'fenced' | 'full';

export class DriveError extends Error {
  constructor(
    readonly kind: DriveErrorKind,
    message: string,
    /**
     * The operation reached the drive's node but its answer never came back (a timeout, a connection
     * lost): it may have happened. Otherwise a DriveError means it did not.
     */
    readonly unanswered = false,
  ) {
    super(message);
    this.name = 'DriveError';
  }
}

/**
 * An object record from its stored bytes (as a drive keeps them, checksum first), undefined for none;
 * a record that fails its checksum is DriveError 'damaged' (not missing: heal rewrites it).
 */
export function recordFromStored(stored: Uint8Array | undefined, drive: string, bucket: string, key: string): ObjectRecord | undefined {
  if (!stored) return undefined;
  const record = decodeObjectRecord(stored);
  if (!record) throw new DriveError('damaged', `${drive}: the record of ${bucket}/${key} fails its checksum`);
  return record;
}

/** A drive out of space: its DriveError 'full', or the filesystem's ENOSPC (EDQUOT) on the way up. */
export function isDriveFull(err: unknown): boolean {
  if (err instanceof DriveError) return err.kind === 'full';
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ENOSPC' || code === 'EDQUOT';
}

export function isDamaged(err: unknown): boolean {
  return err instanceof DriveError && err.kind === 'damaged';
}

export interface BucketEntry {
  name: string;
  created: number;
  /** The stamp of the bucket's configuration here (see src/meta/bucket-config.ts); absent when it has none. */
  configStamp?: number;
}

/**
 * One key of a listing page: the listing summary of its current version (src/meta/listing-summary.ts),
 * or the whole record where it was stored without one; neither when the record is damaged (fails its
 * checksum). A summary is checked against that checksum only when the listing asks (`verify`).
 */
export interface RecordEntry {
  key: string;
  summary?: Uint8Array;
  record?: ObjectRecord;
}

export interface UploadEntry {
  bucket: string;
  record: UploadRecord;
}

/** Where a version's data waits on a drive before its commit, and the data directory it goes to. */
export type VersionData =
  | { dataDir: string; stagingId: string }
  /** The upload's part files `keep` (the others stay with the upload until it is deleted). */
  | { dataDir: string; uploadId: string; keep: number[] };

export interface DriveSpace {
  total: number;
  free: number;
  device: number;
}

export interface ListRecordsOptions {
  prefix: string;
  /** Inclusive lower bound on the key's UTF-8 bytes (may lie between keys). */
  from?: Buffer;
  limit: number;
  /** Check each summary against its record's checksum (see listedRecord): a set of one drive has no second copy to compare. */
  verify?: boolean;
  /** Every entry's whole record (all its versions) without inline shards, in place of its summary; a damaged one has neither. */
  versions?: boolean;
  /** With `versions`: the page also ends after the entry that brings its versions to this many (a damaged record counts one). */
  versionBudget?: number;
}

/** A shard file being written under the drive's staging area. */
export interface ShardWriter {
  write(chunks: Buffer[]): Promise<void>;
  /** Flushes to stable storage and closes. */
  finish(): Promise<void>;
  abort(): Promise<void>;
}

/** A committed shard file open for reading. */
export interface ShardReader {
  /** Reads `length` bytes at `offset`; a shorter result means the file ends early. */
  read(offset: number, length: number): Promise<Buffer>;
  close(): Promise<void>;
}

export interface Drive {
  /** Where the drive is, for logs and admin output: a path or a URL. */
  readonly endpoint: string;
  /** On this node: asking it costs no RPC. */
  readonly isLocal: boolean;
  isOnline(): boolean;

  readFormat(): Promise<DriveFormat | undefined>;
  writeFormat(format: DriveFormat): Promise<void>;

  makeBucket(name: string, created: number): Promise<void>;
  /**
   * Deletes the bucket unless it holds a record, in one step against writeRecord: false when it holds
   * one (nothing changed). Afterwards records are refused for it until it is made again.
   */
  deleteBucket(name: string): Promise<boolean>;
  listBuckets(): Promise<BucketEntry[]>;
  statBucket(name: string): Promise<BucketEntry | undefined>;
  /** True when the bucket holds at least one object record. */
  bucketHasObjects(name: string): Promise<boolean>;
  /**
   * The configuration here of the bucket made at `created`, undefined when it has none; DriveError
   * 'not-found' without that bucket (none, deleted, or another made under the name), 'damaged' when
   * the copy fails its checksum.
   */
  readBucketConfig(name: string, created: number): Promise<BucketConfig | undefined>;
  /**
   * Stores the configuration of the bucket made at `created` unless this drive holds a newer one (a
   * greater stamp): true when the drive holds this one now (stored, or already there). DriveError
   * 'not-found' without that bucket.
   */
  writeBucketConfig(name: string, created: number, config: BucketConfig): Promise<boolean>;

  /** The key's record; DriveError('damaged') when the drive's copy fails its checksum. */
  readRecord(bucket: string, key: string): Promise<ObjectRecord | undefined>;
  /**
   * Replaces the record (undefined deletes it), durably. With `fence` (the writer's lock fence), the
   * write is refused (DriveError 'fenced') when the record's last fenced writer showed a greater one.
   */
  writeRecord(bucket: string, key: string, record: ObjectRecord | undefined, fence?: number): Promise<void>;
  listRecords(bucket: string, options: ListRecordsOptions): Promise<RecordEntry[]>;
  /**
   * Commits a version here in one call: moves its data into `bucket`'s data directory (a staged
   * directory, or an upload's chosen parts; a retry finishes a move cut short), then replaces the
   * record as writeRecord does. The record is the commit point: data moved by a call that fails
   * before it is named by no record, and is undone by the caller or removed as an orphan.
   */
  commitVersion(bucket: string, key: string, record: ObjectRecord, fence: number, data?: VersionData): Promise<void>;
  /**
   * For a writer whose commit answer from this drive was lost, in one step against every record
   * write: true when the key's newest version has `signature` (the commit happened); otherwise false,
   * and from then on the drive refuses record writes for the key fenced at `fence` or below, so the
   * lost commit, still on its way, cannot land after the writer decided it did not.
   */
  settleCommit(bucket: string, key: string, signature: string, fence: number): Promise<boolean>;

  /** Creates `<staging>/<stagingId>/<file>` for writing. */
  createShardWriter(stagingId: string, file: string): Promise<ShardWriter>;
  discardStaged(stagingId: string): Promise<void>;
  /** Opens a committed shard file for positioned reads. */
  openShard(bucket: string, dataDir: string, file: string): Promise<ShardReader>;
  deleteDataDir(bucket: string, dataDir: string): Promise<void>;

  /** Multipart uploads: their records, parts staged under the drive's multipart area, completion. */
  readUpload(bucket: string, key: string, uploadId: string): Promise<UploadRecord | undefined>;
  writeUpload(bucket: string, record: UploadRecord): Promise<void>;
  /** Removes the upload's record, part records and part files. */
  deleteUpload(bucket: string, key: string, uploadId: string): Promise<void>;
  /** Uploads of `bucket` (every bucket when undefined) whose key starts with `prefix`, in key order. */
  listUploads(bucket: string | undefined, prefix: string): Promise<UploadEntry[]>;
  /** Moves a staged part file into the upload and records the part (replacing an earlier upload of it). */
  commitPart(stagingId: string, uploadId: string, part: UploadPartRecord): Promise<void>;
  listParts(uploadId: string): Promise<UploadPartRecord[]>;
  /** Moves part files `keep` back from `dataDir` into the upload: a completion's commit undone, for one that missed quorum. */
  restoreUploadData(uploadId: string, keep: number[], bucket: string, dataDir: string): Promise<void>;


  /**
   * Healing support (src/erasure/heal.ts, src/heal/*). Plain values in and out (types in ./healing.ts),
   * so a RemoteDrive forwards each of these as one RPC, like every other method.
   */
  /** Checks a version's shard files on this drive: presence and size, and with `deep` every block's hash. */
  checkShards(bucket: string, dataDir: string, request: import('./healing.js').ShardCheckRequest): Promise<import('./healing.js').ShardState[]>;
  /** Moves staged files (`<staging>/<stagingId>/<file>`) into `bucket`'s data directory `dataDir`, creating it, replacing same-named files. */
  commitHealedShards(stagingId: string, bucket: string, dataDir: string, files: string[]): Promise<void>;
  /** Keys (no records) of `bucket` in key order, as listRecords would list them. */
  listRecordKeys(bucket: string, options: ListRecordsOptions): Promise<string[]>;
  /** Data directories under `<bucket>/<prefix>/` (prefix: two hex digits), with their last change time. */
  listDataDirs(bucket: string, prefix: string): Promise<import('./healing.js').DataDirEntry[]>;
  /** A small state file under the drive's system area (healing progress, MRF queue); undefined when absent. */
  readSysFile(name: string): Promise<Buffer | undefined>;
  /** The size of the drive's filesystem and its free space, in bytes, and which device it is (drives may share one). */
  spaceInfo(): Promise<DriveSpace>;
  /** Replaces (undefined: removes) a small state file under the drive's system area, durably. */
  writeSysFile(name: string, data: Buffer | undefined): Promise<void>;

  close(): Promise<void>;
}
