/**
 * A drive served by another node, used exactly like a LocalDrive: every method is one RPC to the
 * node that owns it, over the sessions its Peer keeps. Shard files stream as one call per framed
 * block, on the data session.
 */
import type { CallOptions, Peer } from '../cluster/peer.js';
import type { BucketConfig } from '../meta/bucket-config.js';
import type { ObjectRecord, UploadPartRecord, UploadRecord } from '../meta/record.js';
import type { DriveFormat } from './format.js';
import type { DataDirEntry, ShardCheckRequest, ShardState } from './healing.js';
import { ReadAhead } from './read-ahead.js';
import { recordFromStored, type BucketEntry, type Drive, type DriveSpace, type ListRecordsOptions, type RecordEntry, type ShardReader, type ShardWriter, type UploadEntry, type VersionData } from './drive.js';

/** Shard files are handled on the peer's data session, so their bytes never delay metadata and locks. */
const SHARD_FILE: CallOptions = { bulk: true };
/** The most one shard read asks a peer for: several blocks of a sequential read (see ReadAhead). */
const READ_AHEAD_BYTES = 1024 * 1024;
/** Shard data moves in bigger, slower calls than metadata. */
const SHARD_DATA: CallOptions = { timeoutMs: 30_000, bulk: true };

export class RemoteDrive implements Drive {
  readonly isLocal = false;
  constructor(
    private readonly peer: Peer,
    /** The drive's position in the deployment's endpoint list, which is how its node knows it. */
    readonly index: number,
    readonly endpoint: string,
  ) {}

  isOnline(): boolean {
    return this.peer.driveOnline(this.index);
  }

  /** The RPC route of one of this drive's methods. */
  private route(method: string): string {
    return `drive/${this.index}/${method}`;
  }

  private call<T>(method: string, args: unknown[], options?: CallOptions): Promise<T> {
    return this.peer.call<T>(this.route(method), args, options);
  }

  readFormat(): Promise<DriveFormat | undefined> {
    return this.call('readFormat', []);
  }
  writeFormat(format: DriveFormat): Promise<void> {
    return this.call('writeFormat', [format]);
  }
  makeBucket(name: string, created: number): Promise<void> {
    return this.call('makeBucket', [name, created]);
  }
  deleteBucket(name: string): Promise<boolean> {
    return this.call('deleteBucket', [name]);
  }
  listBuckets(): Promise<BucketEntry[]> {
    return this.call('listBuckets', []);
  }
  statBucket(name: string): Promise<BucketEntry | undefined> {
    return this.call('statBucket', [name]);
  }
  readBucketConfig(name: string, created: number): Promise<BucketConfig | undefined> {
    return this.call('readBucketConfig', [name, created]);
  }
  writeBucketConfig(name: string, created: number, config: BucketConfig): Promise<boolean> {
    return this.call('writeBucketConfig', [name, created, config]);
  }
  bucketHasObjects(name: string): Promise<boolean> {
    return this.call('bucketHasObjects', [name]);
  }
  async readRecord(bucket: string, key: string): Promise<ObjectRecord | undefined> {
    const stored = await this.call<Uint8Array | undefined>('readStoredRecord', [bucket, key]);
    return recordFromStored(stored ?? undefined, this.endpoint, bucket, key);
  }
  writeRecord(bucket: string, key: string, record: ObjectRecord | undefined, fence?: number): Promise<void> {
    return this.call('writeRecord', [bucket, key, record, fence]);
  }
  commitVersion(bucket: string, key: string, record: ObjectRecord, fence: number, data?: VersionData): Promise<void> {
    return this.call('commitVersion', [bucket, key, record, fence, data]);
  }

  settleCommit(bucket: string, key: string, signature: string, fence: number): Promise<boolean> {
    return this.call('settleCommit', [bucket, key, signature, fence]);
  }

  listRecords(bucket: string, options: ListRecordsOptions): Promise<RecordEntry[]> {
    return this.call('listRecords', [bucket, options]);
  }

  async createShardWriter(stagingId: string, file: string): Promise<ShardWriter> {
    await this.call('shardCreate', [stagingId, file], SHARD_FILE);
    return {
      write: (chunks) => this.call('shardWrite', [stagingId, file, chunks], SHARD_DATA),
      finish: () => this.call('shardFinish', [stagingId, file], SHARD_DATA),
      abort: () => this.call('shardAbort', [stagingId, file], SHARD_FILE),
    };
  }

  discardStaged(stagingId: string): Promise<void> {
    return this.call('discardStaged', [stagingId]);
  }

  /** The reader lives in the peer's data session: if that session ends, its reads fail rather than reach another file. */
  async openShard(bucket: string, dataDir: string, file: string): Promise<ShardReader> {
    const session = await this.peer.dataSession();
    const handle = await session.call<number>(this.route('shardOpen'), [bucket, dataDir, file], SHARD_FILE);
    let closed = false;
    const reader: ShardReader = {
      read: (offset, length) => session.call(this.route('shardRead'), [handle, offset, length], SHARD_DATA),
      close: async () => {
        if (closed) return;
        closed = true;
        await session.call(this.route('shardClose'), [handle], SHARD_FILE).catch(() => undefined);
      },
    };
    return new ReadAhead(reader, READ_AHEAD_BYTES);
  }

  deleteDataDir(bucket: string, dataDir: string): Promise<void> {
    return this.call('deleteDataDir', [bucket, dataDir]);
  }
  readUpload(bucket: string, key: string, uploadId: string): Promise<UploadRecord | undefined> {
    return this.call('readUpload', [bucket, key, uploadId]);
  }
  writeUpload(bucket: string, record: UploadRecord): Promise<void> {
    return this.call('writeUpload', [bucket, record]);
  }
  deleteUpload(bucket: string, key: string, uploadId: string): Promise<void> {
    return this.call('deleteUpload', [bucket, key, uploadId]);
  }
  listUploads(bucket: string | undefined, prefix: string): Promise<UploadEntry[]> {
    return this.call('listUploads', [bucket, prefix]);
  }
  commitPart(stagingId: string, uploadId: string, part: UploadPartRecord): Promise<void> {
    return this.call('commitPart', [stagingId, uploadId, part]);
  }
  listParts(uploadId: string): Promise<UploadPartRecord[]> {
    return this.call('listParts', [uploadId]);
  }
  restoreUploadData(uploadId: string, keep: number[], bucket: string, dataDir: string): Promise<void> {
    return this.call('restoreUploadData', [uploadId, keep, bucket, dataDir]);
  }

  // Healing support (see drive.ts): forwarded as they are.
  checkShards(bucket: string, dataDir: string, request: ShardCheckRequest): Promise<ShardState[]> {
    return this.call('checkShards', [bucket, dataDir, request], SHARD_DATA);
  }
  commitHealedShards(stagingId: string, bucket: string, dataDir: string, files: string[]): Promise<void> {
    return this.call('commitHealedShards', [stagingId, bucket, dataDir, files]);
  }
  listRecordKeys(bucket: string, options: ListRecordsOptions): Promise<string[]> {
    return this.call('listRecordKeys', [bucket, options]);
  }
  listDataDirs(bucket: string, prefix: string): Promise<DataDirEntry[]> {
    return this.call('listDataDirs', [bucket, prefix]);
  }
  spaceInfo(): Promise<DriveSpace> {
    return this.call('spaceInfo', []);
  }

  readSysFile(name: string): Promise<Buffer | undefined> {
    return this.call('readSysFile', [name]);
  }
  writeSysFile(name: string, data: Buffer | undefined): Promise<void> {
    return this.call('writeSysFile', [name, data]);
  }

  async close(): Promise<void> {}
}
