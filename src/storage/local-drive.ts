/**
 * A drive that is a local directory:
 *   .tessera.sys/format.json          which deployment and slot this drive is
 *   .tessera.sys/meta/                LMDB environment: bucket entries and object records (written
 *                                     by the metadata writer process, see metadata-writer.ts)
 *   .tessera.sys/tmp/<staging id>/    shard files being written
 *   <bucket>/<2 hex>/<data dir>/      committed shard files (part.N), never named by object key
 * Object keys only ever become LMDB keys, so no key can reach a path outside the drive.
 */
import { MAX_BUCKET_CONFIG_BYTES, isBucketConfig, type BucketConfig } from '../meta/bucket-config.js';
import { randomUUID } from 'node:crypto';
import { constants as fsConstants, type Stats } from 'node:fs';
import { access, mkdir, open, readdir, readFile, rename, rm, rmdir, stat, statfs, writeFile, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { Database, RootDatabase } from 'lmdb';
import { failpoint } from '../failpoints.js';
import { decodeRecord, encodeRecord } from '../meta/encoding.js';
import { decodeObjectRecord, encodeObjectRecord } from '../meta/listing-summary.js';
import { DataDirPins } from './data-dir-pins.js';
import { bucketRangeEnd, bucketState, partKey, partKeyRange, recordKey, uploadKey, uploadKeyBucket, type BucketState } from './metadata-keys.js';
import { openMetadataEnvironment, type ListedRecord, type ListingCheck, type MetadataWrite, type MetadataWriteOutcome, type StoreName } from './metadata-store.js';
import { metadataWriter, type MetadataWriter, type WriterStore } from './metadata-writer.js';
import { alignedSlabs } from './aligned-slabs.js';
import { createShardFile, type DirectSupport, type ShardFile } from './shard-file-writer.js';
import { DEFAULT_SPACE_RESERVE, freeSpaceHeadroom, type SpaceNeed, type SpaceReserve } from './free-space.js';
import { placeLockFile, removeLockFile } from './lmdb-lock-file.js';
import type { ObjectRecord, PartRecord, UploadPartRecord, UploadRecord, VersionRecord } from '../meta/record.js';
import {
  DriveError,
  isDriveFull,
  recordFromStored,
  type BucketEntry,
  type Drive,
  type DriveSpace,
  type ListRecordsOptions,
  type RecordEntry,
  type UploadEntry,
  type ShardReader,
  type ShardWriter,
  type VersionData,
} from './drive.js';
import { isDriveFormat, sameLayout, type DriveFormat } from './format.js';
import { MAX_OBJECT_KEY_BYTES, MAX_PART_NUMBER, checkInteger, checkName, checkObjectKey, isNameOf } from './names.js';
import { BITROT_HASH_SIZE, ShardLayout, verifyShardBlock } from '../codec/bitrot.js';
import type { DataDirEntry, ShardCheckRequest, ShardState } from './healing.js';
import type { DriveFaults } from './fault-injection.js';
import { directories, makeDirectoryDurably, renameDurably, replaceFileDurably, syncParents, type Directories } from './directories.js';
import { log } from '../log.js';

export const SYSTEM_DIR = '.tessera.sys';
const FORMAT_FILE = 'format.json';
/** How long a successful identity check of the drive is trusted before the next one. */
const IDENTITY_CHECK_INTERVAL_MS = 100;
/**
 * How long one free-space check serves the writes that follow it: a busy drive asks once per burst,
 * not per write. Far from its reserve a drive cannot fill it within the longer window; close to it,
 * every few milliseconds are asked again.
 */
export const SPACE_CHECK_REUSE_MS = { nearReserve: 5, farFromReserve: 100 };
/** Free space above the reserve beyond which a drive counts as far from it. */
const FAR_FROM_RESERVE_BYTES = 256 * 1024 * 1024;

/** A commit whose new version holds its data in the record (inline shards): it adds data to the drive. */
function addsInlineData(record: ObjectRecord): boolean {
  return (record.versions[0]?.inline?.length ?? 0) > 0;
}

type Stores = Record<StoreName, Database<Buffer, Buffer>>;

/** The metadata store, open: read here, written through the metadata writer. */
interface OpenStore {
  env: RootDatabase;
  stores: Stores;
  listings: Record<ListingCheck, Database<ListedRecord, Buffer>>;
  writer: WriterStore;
}

export class LocalDrive implements Drive {
  readonly isLocal = true;
  private store?: OpenStore;
  private online = true;
  /** Inode of format.json when the drive was opened: a wiped or swapped drive no longer matches. */
  private formatInode?: number;
  private lastIdentityCheck = 0;
  /** Healing support: a disk of its own is expected here (it was mounted here when opened, or see adoptAtStart). */
  private expectsMountPoint = false;
  /** prepare() had to create the drive's directory: there was none. */
  private createdRoot = false;
  /** Operations that must not interleave on this drive, by what they touch (see inTurn). */
  private readonly turns = new Map<string, Promise<void>>();
  /** Data directories open for reading, whose removal waits for their readers. */
  private readonly pins = new DataDirPins();
  /** Where lmdb's lock file is kept, when not on the drive. */
  private lockFile?: string;
  /** Data prefix directories (`<bucket>/<2 hex>`) seen synced into their bucket: commits skip that sync. */
  private readonly durablePrefixes = new Set<string>();
  /** Whether this drive's filesystem takes O_DIRECT shard writes (learnt by the first one). */
  private readonly directSupport: DirectSupport = {};
  /** The latest free-space check per need, shared by the writes that come within SPACE_CHECK_REUSE_MS. */
  private readonly spaceChecks = new Map<SpaceNeed, { at: number; done: Promise<number> }>();
  /** Faults an embedding test injects (src/storage/fault-injection.ts); none in a server. */
  faults?: DriveFaults;

  /** Told of each filesystem operation (its kind, seconds, whether it failed; a missing file is no failure), for the metrics. */
  observeIo?: (what: string, seconds: number, failed: boolean) => void;

  constructor(
    readonly root: string,
    /** How the drive was named on the command line (a path, or a URL in a cluster). */
    readonly endpoint: string = root,
    private readonly dirs: Directories = directories,
    private readonly reserve: SpaceReserve = DEFAULT_SPACE_RESERVE,
    private readonly writer: MetadataWriter = metadataWriter(),
  ) {}

  private makeDirectory(dir: string, durable?: Set<string>): Promise<void> {
    return makeDirectoryDurably(dir, this.dirs.sync, durable);
  }

  isOnline(): boolean {
    return this.online && !this.faults?.offline;
  }

  private sys(...parts: string[]): string {
    return join(this.root, SYSTEM_DIR, ...parts);
  }

  /** Prepares an existing, writable directory: creates the system folders and clears stale staging data. */
  async prepare(): Promise<void> {
    let info: Stats;
    try {
      info = await stat(this.root);
    } catch {
      await this.makeDirectory(this.root);
      this.createdRoot = true;
      info = await stat(this.root);
    }
    if (!info.isDirectory()) throw new DriveError('faulty', `${this.root} is not a directory`);
    await rm(this.sys('tmp'), { recursive: true, force: true });
    for (const dir of ['tmp', 'multipart', 'meta']) await this.makeDirectory(this.sys(dir));
    const probe = this.sys('tmp', '.write-probe');
    await writeFile(probe, 'ok');
    await rm(probe);
  }

  async readFormat(): Promise<DriveFormat | undefined> {
    let text: string;
    try {
      text = await readFile(this.sys(FORMAT_FILE), 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw new DriveError('faulty', `${this.root}: cannot read format: ${(err as Error).message}`);
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new DriveError('faulty', `${this.root}: format.json is corrupt`);
    }
    if (!isDriveFormat(parsed)) throw new DriveError('faulty', `${this.root}: format.json is not a Tessera format`);
    return parsed;
  }

  async writeFormat(format: DriveFormat): Promise<void> {
    if (!isDriveFormat(format)) throw new DriveError('invalid', 'invalid drive format');
    await failpoint('drive.write-format');
    await replaceFileDurably(this.sys('tmp', `${FORMAT_FILE}.${randomUUID()}`), this.sys(FORMAT_FILE), JSON.stringify(format, null, 2), this.dirs.sync);
  }

  /** Opens the metadata store; call once the drive is formatted. */
  async open(): Promise<void> {
    await this.checkWritable();
    this.formatInode = (await stat(this.sys(FORMAT_FILE))).ino;
    this.expectsMountPoint = await this.isMountPoint();
    const format = await this.readFormat();
    this.lockFile = await placeLockFile(this.sys('meta'), `${format?.deploymentId}-${format?.thisDrive}`);
    // The writer opens it first: it creates the environment and its stores, which a reader cannot.
    const writer = await this.writer.open(this.sys('meta'));
    writer.onStuck = () => {
      if (this.store?.writer === writer) void this.goOffline(`${this.root}: its metadata writes stopped answering`).catch(() => undefined);
    };
    try {
      this.store = { ...openMetadataEnvironment(this.sys('meta'), true), writer };
    } catch (err) {
      await this.writer.close(writer);
      throw err;
    }
    // LMDB fsyncs its files, not the directory naming them (which it may just have created).
    await this.dirs.sync(this.sys('meta'));
    this.lastIdentityCheck = Date.now();
  }

  /**
   * The stores, once the drive is known to be online. Before a write, the drive is asked whether it
   * has room (checkWrite).
   * Whether the drive is still the one formatted here is checked at most every 100 ms: LMDB keeps
   * serving a deleted environment through its open map, so a wiped drive would answer with ghost data.
   */
  private async ensureOnline(intent: 'read' | SpaceNeed = 'metadata'): Promise<Stores> {
    const injected = this.faults?.beforeCall(this.root);
    if (injected) await injected;
    const offline = (): boolean => !this.online || !this.store;
    // Not open yet (or no longer): nothing to check.
    if (offline()) throw new DriveError('offline', `${this.root} is offline`);
    if (intent !== 'read') await this.checkWrite(intent);
    const now = Date.now();
    if (now - this.lastIdentityCheck > IDENTITY_CHECK_INTERVAL_MS) {
      this.lastIdentityCheck = now;
      let inode: number | undefined;
      try {
        inode = (await stat(this.sys(FORMAT_FILE))).ino;
      } catch {
        inode = undefined;
      }
      if (inode !== this.formatInode) {
        await this.goOffline(`${this.root} was wiped or replaced`);
      }
    }
    if (offline()) throw new DriveError('offline', `${this.root} is offline`);
    return this.store!.stores;
  }

  /**
   * Applies a write through the metadata writer (durable when this resolves), provided the store
   * that `stores` came from is still the open one, and makes it visible to this process's next read.
   */
  private async write(stores: Stores, write: MetadataWrite): Promise<MetadataWriteOutcome> {
    const store = this.store;
    if (store?.stores !== stores) throw new DriveError('offline', `${this.root} went offline`);
    try {
      return await this.writer.write(store.writer, write);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      // The writer was restarted and found another store here, or none: the drive was wiped or replaced.
      if (code === 'ESTALE') await this.goOffline(`${this.root} was wiped or replaced`);
      // The writer found the drive read-only before lmdb touched it.
      if (code === 'EROFS') await this.wentReadOnly((err as Error).message);
      throw err;
    } finally {
      // Read snapshots last a turn of the event loop; the write may have landed within this one.
      if (this.store === store) store.env.resetReadTxn();
    }
  }

  /**
   * Whether the drive has room for a write that adds `need` (or DriveError 'full'). Writability is
   * not asked here: the metadata writer asks it right before lmdb touches the store (see
   * metadata-writer-process.ts), and its EROFS takes the drive offline (write). Asking here too, before
   * every write, was a threadpool round trip on the event loop per write: a quarter of a busy
   * cluster node's small-PUT time went waiting to hand it to the pool.
   */
  private async checkWrite(need: SpaceNeed): Promise<void> {
    const now = Date.now();
    const recent = this.spaceChecks.get(need);
    if (recent) {
      const headroom = await recent.done.catch(() => 0);
      const reuseMs = headroom > FAR_FROM_RESERVE_BYTES ? SPACE_CHECK_REUSE_MS.farFromReserve : SPACE_CHECK_REUSE_MS.nearReserve;
      if (now - recent.at < reuseMs) return void (await recent.done);
    }
    const done = freeSpaceHeadroom(this.root, need, this.reserve);
    this.spaceChecks.set(need, { at: now, done });
    await done;
  }

  /**
   * Whether a drive being opened is writable: a read-only one is not opened. One that turns read-only
   * later is found by the metadata writer (see write), a data write failing with EROFS (see io) or
   * the drive monitor (probe), and goes offline. Its lmdb lock file, which lmdb writes through a
   * shared map, lives off the drive (see lmdb-lock-file.ts), so the change cannot bring a process
   * down meanwhile.
   */
  private async checkWritable(): Promise<void> {
    await access(this.sys('meta', 'data.mdb'), fsConstants.W_OK).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') throw err;
    });
  }

  /** Takes a drive found read-only offline, leaving its read environment as it is (see goOffline). */
  private wentReadOnly(detail: string): Promise<never> {
    return this.goOffline(`${this.root} turned read-only (${detail})`, 'abandon');
  }

  /**
   * `abandon`: leave this process's read environment open and unused: closing writes its lock file,
   * which may be on the drive (see lmdb-lock-file.ts). The writer's is closed: a crash there is survived.
   */
  private async goOffline(reason: string, environment: 'close' | 'abandon' = 'close'): Promise<never> {
    if (this.online) {
      this.online = false;
      log.warn(`drive offline: ${reason}`, { drive: this.endpoint });
      const store = this.store;
      this.store = undefined;
      if (store) {
        await this.writer.close(store.writer);
        if (environment === 'close') await store.env.close().catch(() => undefined);
        else abandonedEnvironments.push(store.env);
      }
    }
    throw new DriveError('offline', reason);
  }

  /** Runs a filesystem operation, turning I/O failures into DriveErrors. */
  private async io<T>(what: string, op: () => Promise<T>): Promise<T> {
    const started = process.hrtime.bigint();
    let failed = false;
    try {
      return await op();
    } catch (err) {
      if (err instanceof DriveError) throw err;
      const code = (err as NodeJS.ErrnoException).code;
      failed = code !== 'ENOENT';
      if (code === 'ENOENT') throw new DriveError('not-found', `${this.root}: ${what}: not found`);
      if (code === 'EROFS') await this.wentReadOnly(`${what}: ${(err as Error).message}`);
      if (isDriveFull(err)) throw new DriveError('full', `${this.root}: ${what}: no space left`);
      throw new DriveError('faulty', `${this.root}: ${what}: ${(err as Error).message}`);
    } finally {
      this.observeIo?.(what, Number(process.hrtime.bigint() - started) / 1e9, failed);
    }
  }

  async makeBucket(name: string, created: number): Promise<void> {
    checkName('bucket', name);
    checkInteger('creation time', created, 0, Number.MAX_SAFE_INTEGER);
    const stores = await this.ensureOnline();
    await this.io('make bucket', async () => {
      await this.makeDirectory(join(this.root, name));
      await this.write(stores, { kind: 'put-bucket', bucket: name, created });
    });
  }

  async deleteBucket(name: string): Promise<boolean> {
    checkName('bucket', name);
    const stores = await this.ensureOnline();
    return this.io('delete bucket', async () => {
      // The emptiness check and the tombstone are one transaction (a record write checks the tombstone in its own).
      const deleted = (await this.write(stores, { kind: 'delete-bucket', bucket: name })) as boolean;
      if (deleted) {
        for (const prefix of this.durablePrefixes) if (prefix.startsWith(join(this.root, name, '/'))) this.durablePrefixes.delete(prefix);
        await rm(join(this.root, name), { recursive: true, force: true });
      }
      return deleted;
    });
  }

  async listBuckets(): Promise<BucketEntry[]> {
    const { buckets } = await this.ensureOnline('read');
    const out: BucketEntry[] = [];
    for (const { key, value } of buckets.getRange({})) {
      const entry = decodeRecord<BucketState>(value as unknown as Buffer);
      if (entry && !entry.deleted) out.push(bucketEntry(Buffer.from(key).toString(), entry));
    }
    return out;
  }

  async statBucket(name: string): Promise<BucketEntry | undefined> {
    checkName('bucket', name);
    const { buckets } = await this.ensureOnline('read');
    const entry = bucketState(buckets, name);
    return entry && !entry.deleted ? bucketEntry(name, entry) : undefined;
  }

  async readBucketConfig(name: string, created: number): Promise<BucketConfig | undefined> {
    checkName('bucket', name);
    checkInteger('creation time', created, 0, Number.MAX_SAFE_INTEGER);
    const { buckets, configs } = await this.ensureOnline('read');
    const entry = bucketState(buckets, name);
    if (!entry || entry.deleted || entry.created !== created) throw new DriveError('not-found', `${this.root}: no bucket ${name} made at ${created}`);
    if (!entry.configStamp) return undefined;
    const value = configs.get(Buffer.from(name));
    const config = value ? decodeRecord<BucketConfig>(value) : undefined;
    if (!isBucketConfig(config) || config.stamp !== entry.configStamp) throw new DriveError('damaged', `${this.root}: the configuration of bucket ${name} fails its checksum`);
    return config;
  }

  async writeBucketConfig(name: string, created: number, config: BucketConfig): Promise<boolean> {
    checkName('bucket', name);
    checkInteger('creation time', created, 0, Number.MAX_SAFE_INTEGER);
    if (!isBucketConfig(config)) throw new DriveError('invalid', 'invalid bucket configuration');
    const value = encodeRecord(config);
    if (value.length > MAX_BUCKET_CONFIG_BYTES) throw new DriveError('invalid', `a bucket configuration of ${value.length} bytes is over the limit`);
    const stores = await this.ensureOnline();
    return this.io('write bucket configuration', async () => {
      const outcome = await this.write(stores, { kind: 'put-bucket-config', bucket: name, created, stamp: config.stamp, value });
      if (outcome === 'no-bucket') throw new DriveError('not-found', `${this.root}: no bucket ${name} made at ${created}`);
      return outcome !== 'newer';
    });
  }

  async bucketHasObjects(name: string): Promise<boolean> {
    checkName('bucket', name);
    const { objects } = await this.ensureOnline('read');
    for (const _ of objects.getKeys({ start: recordKey(name, ''), end: bucketRangeEnd(name), limit: 1 })) return true;
    return false;
  }

  async readRecord(bucket: string, key: string): Promise<ObjectRecord | undefined> {
    return recordFromStored(await this.readStoredRecord(bucket, key), this.root, bucket, key);
  }

  /**
   * The record of `key` as stored (checksum first, undecoded): what a peer asks for, so the record is
   * decoded once, by the node that uses it, not decoded here and encoded again for the answer.
   */
  async readStoredRecord(bucket: string, key: string): Promise<Buffer | undefined> {
    checkName('bucket', bucket);
    checkObjectKey(key);
    const { objects } = await this.ensureOnline('read');
    return objects.get(recordKey(bucket, key));
  }

  async commitVersion(bucket: string, key: string, record: ObjectRecord, fence: number, data?: VersionData): Promise<void> {
    checkRecordWrite(bucket, key, record, fence);
    if (!record || fence === undefined) throw new DriveError('invalid', 'a commit needs a record and a fence');
    // New data needs the data reserve; the record writes that restore, heal or delete need only the metadata one.
    if (addsInlineData(record)) await this.ensureOnline('data');
    if (data !== undefined && data !== null) {
      const source = data as Partial<{ dataDir: string; stagingId: string; uploadId: string; keep: number[] }>;
      if (typeof source.stagingId === 'string') await this.commitStaged(source.stagingId, bucket, source.dataDir as string);
      else if (typeof source.uploadId === 'string') {
        await this.moveUploadParts('commit upload', source.uploadId, source.keep as number[], bucket, source.dataDir as string, 'into-data-dir', record.versions[0]?.parts);
      }
      else throw new DriveError('invalid', 'invalid version data');
    }
    await failpoint('local-drive.commit.placed');
    await this.writeRecord(bucket, key, record, fence);
  }

  async writeRecord(bucket: string, key: string, record: ObjectRecord | undefined, fence?: number): Promise<void> {
    checkRecordWrite(bucket, key, record, fence);
    const stores = await this.ensureOnline();
    const stored = record && record.versions.length > 0 ? (fence === undefined ? record : { ...record, fence: Math.max(fence, record.fence ?? 0) }) : undefined;
    await this.io('write record', async () => {
      // The fence check and the write are one transaction: no other write of the record can come between them.
      const outcome = await this.write(stores, { kind: 'write-record', bucket, key, value: stored && encodeObjectRecord(stored), fence });
      if (outcome === 'bucket-deleted') throw new DriveError('not-found', `${this.root}: bucket ${bucket} was deleted`);
      if (outcome === 'fenced') throw new DriveError('fenced', `${this.root}: ${bucket}/${key} was written by a newer holder of its lock`);
    });
  }

  async settleCommit(bucket: string, key: string, signature: string, fence: number): Promise<boolean> {
    checkName('bucket', bucket);
    checkObjectKey(key);
    if (typeof signature !== 'string' || signature.length > 4096) throw new DriveError('invalid', 'invalid version signature');
    checkInteger('fence', fence, 0, Number.MAX_SAFE_INTEGER - 1);
    const stores = await this.ensureOnline();
    return this.io('settle commit', async () => {
      const outcome = await this.write(stores, { kind: 'settle-commit', bucket, key, signature, fence });
      if (outcome === 'damaged') throw new DriveError('damaged', `${this.root}: the record of ${bucket}/${key} fails its checksum`);
      return outcome === 'committed';
    });
  }

  async listRecords(bucket: string, options: ListRecordsOptions): Promise<RecordEntry[]> {
    checkName('bucket', bucket);
    checkListOptions(options);
    const stores = await this.ensureOnline('read');
    const listing = options.versions ? stores.objects : this.store?.listings[options.verify ? 'verified' : 'unverified'];
    if (!listing) throw new DriveError('offline', `${this.root} is offline`);
    const base = recordKey(bucket, '');
    const prefixKey = recordKey(bucket, options.prefix);
    const from = options.from ? Buffer.concat([base, options.from]) : prefixKey;
    const start = Buffer.compare(from, prefixKey) > 0 ? from : prefixKey;
    const out: RecordEntry[] = [];
    let versions = 0;
    for (const { key, value } of listing.getRange({ start, end: bucketRangeEnd(bucket) })) {
      const raw = key as Buffer;
      if (raw.length < prefixKey.length || raw.compare(prefixKey, 0, prefixKey.length, 0, prefixKey.length) !== 0) break;
      const name = raw.toString('utf8', base.length);
      const entry: RecordEntry = options.versions ? { key: name, ...withoutInlineData(value as Buffer) } : { key: name, ...(value as ListedRecord) };
      out.push(entry);
      versions += entry.record?.versions.length ?? 1;
      if (out.length >= options.limit || (options.versions && options.versionBudget && versions >= options.versionBudget)) break;
    }
    return out;
  }

  async createShardWriter(stagingId: string, file: string): Promise<ShardWriter> {
    checkName('staging id', stagingId);
    checkName('shard file', file);
    await this.ensureOnline('data');
    const dir = this.sys('tmp', stagingId);
    const handle = await this.io('create shard', async () => {
      // Not recursive: a drive wiped under us has no staging area, and must not grow a new one here.
      await mkdir(dir).catch((err: NodeJS.ErrnoException) => {
        if (err.code !== 'EEXIST') throw err;
      });
      return createShardFile(join(dir, file), this.directSupport, alignedSlabs);
    });
    // The file's name lives in the staging directory, which a commit later renames into place whole.
    return new LocalShardWriter(handle, () => this.dirs.sync(dir), () => this.discardStaged(stagingId));
  }

  /** Moves a staged directory into place as `bucket`'s data directory `dataDir` (replacing none). */
  async commitStaged(stagingId: string, bucket: string, dataDir: string): Promise<void> {
    checkName('staging id', stagingId);
    checkName('bucket', bucket);
    checkName('data dir', dataDir);
    await this.ensureOnline();
    await this.io('commit staged data', async () => {
      const parent = join(this.root, bucket, dataDir.slice(0, 2));
      // Nothing to move (the drive was wiped meanwhile): create no directories for it either.
      await stat(this.sys('tmp', stagingId));
      await this.makeDirectory(parent, this.durablePrefixes);
      await renameDurably(this.sys('tmp', stagingId), join(parent, dataDir), this.dirs.sync);
    });
  }

  async discardStaged(stagingId: string): Promise<void> {
    checkName('staging id', stagingId);
    await rm(this.sys('tmp', stagingId), { recursive: true, force: true }).catch(() => undefined);
  }

  async openShard(bucket: string, dataDir: string, file: string): Promise<ShardReader> {
    checkName('bucket', bucket);
    checkName('data dir', dataDir);
    checkName('shard file', file);
    await this.ensureOnline('read');
    // Pinned before the file is opened: a removal asked for meanwhile waits for this reader.
    const unpin = this.pins.pin(this.dataPath(bucket, dataDir));
    try {
      const handle = await this.io('open shard', () => open(this.dataPath(bucket, dataDir, file), 'r'));
      return new LocalShardReader(handle, (what, op) => this.io(what, op), unpin);
    } catch (err) {
      unpin();
      throw err;
    }
  }

  /** Removes a data directory, or (while readers have it open) arranges for the last one to. */
  async deleteDataDir(bucket: string, dataDir: string): Promise<void> {
    checkName('bucket', bucket);
    checkName('data dir', dataDir);
    await this.ensureOnline('none');
    const path = this.dataPath(bucket, dataDir);
    await this.pins.removeWhenUnread(path, () => this.io('delete data', () => rm(path, { recursive: true, force: true })));
  }

  async readUpload(bucket: string, key: string, uploadId: string): Promise<UploadRecord | undefined> {
    checkName('bucket', bucket);
    checkObjectKey(key);
    checkName('upload id', uploadId);
    const { uploads } = await this.ensureOnline('read');
    const value = uploads.get(uploadKey(bucket, key, uploadId));
    return value ? decodeRecord<UploadRecord>(value) : undefined;
  }

  async writeUpload(bucket: string, record: UploadRecord): Promise<void> {
    checkName('bucket', bucket);
    checkObjectKey(record?.key);
    checkName('upload id', record.uploadId);
    const stores = await this.ensureOnline();
    await this.io('write upload', async () => {
      await this.makeDirectory(this.sys('multipart', record.uploadId));
      await this.write(stores, { kind: 'put-upload', bucket, key: record.key, uploadId: record.uploadId, value: encodeRecord(record) });
    });
  }

  async deleteUpload(bucket: string, key: string, uploadId: string): Promise<void> {
    checkName('bucket', bucket);
    checkObjectKey(key);
    checkName('upload id', uploadId);
    const stores = await this.ensureOnline();
    await this.io('delete upload', async () => {
      await this.write(stores, { kind: 'delete-upload', bucket, key, uploadId });
      await rm(this.sys('multipart', uploadId), { recursive: true, force: true });
    });
  }

  async listUploads(bucket: string | undefined, prefix: string): Promise<UploadEntry[]> {
    if (bucket !== undefined) checkName('bucket', bucket);
    checkObjectKey(prefix, true);
    const { uploads } = await this.ensureOnline('read');
    const start = bucket === undefined ? undefined : recordKey(bucket, prefix);
    const end = bucket === undefined ? undefined : bucketRangeEnd(bucket);
    const out: UploadEntry[] = [];
    for (const { key, value } of uploads.getRange({ start, end })) {
      const raw = key as Buffer;
      if (start && !raw.subarray(0, start.length).equals(start)) break;
      const record = decodeRecord<UploadRecord>(value);
      if (record) out.push({ bucket: uploadKeyBucket(raw), record });
    }
    return out;
  }

  async commitPart(stagingId: string, uploadId: string, part: UploadPartRecord): Promise<void> {
    checkName('staging id', stagingId);
    checkName('upload id', uploadId);
    checkInteger('part number', part?.number, 1, MAX_PART_NUMBER);
    const stores = await this.ensureOnline();
    // Each upload of a part keeps its file under a name of its own, which its record names: a record
    // never stands over another upload's file, whatever fails between the move and the record (a
    // crash, a lost writer). Two uploads of one part number (an SDK retrying a slow part) take turns.
    const file = `part.${part.number}.${stagingId}`;
    await this.inTurn(`${uploadId}/${part.number}`, () => this.io('commit part', async () => {
      const replaced = partFile(stores.parts.get(partKey(uploadId, part.number)));
      await renameDurably(this.sys('tmp', stagingId, `part.${part.number}`), this.sys('multipart', uploadId, file), this.dirs.sync);
      try {
        await failpoint('local-drive.commit-part.moved');
        await this.write(stores, { kind: 'put-part', uploadId, partNumber: part.number, value: encodeRecord({ ...part, file }) });
      } catch (err) {
        // Certainly not recorded: the file is nobody's. (Maybe recorded: it stays, for its record.)
        if (!(err instanceof DriveError && err.unanswered)) await rm(this.sys('multipart', uploadId, file), { force: true }).catch(() => undefined);
        throw err;
      }
      if (replaced && replaced !== file) await rm(this.sys('multipart', uploadId, replaced), { force: true }).catch(() => undefined);
    }));
  }

  /** Runs `op` once every earlier op queued under `key` on this drive has finished. */
  private inTurn(key: string, op: () => Promise<void>): Promise<void> {
    const run = (this.turns.get(key) ?? Promise.resolve()).then(op);
    const done = run.catch(() => undefined);
    this.turns.set(key, done);
    void done.then(() => {
      if (this.turns.get(key) === done) this.turns.delete(key);
    });
    return run;
  }

  async listParts(uploadId: string): Promise<UploadPartRecord[]> {
    checkName('upload id', uploadId);
    const { parts } = await this.ensureOnline('read');
    const out: UploadPartRecord[] = [];
    for (const { value } of parts.getRange(partKeyRange(uploadId))) {
      const part = decodeRecord<UploadPartRecord>(value);
      if (!part) continue;
      // Where the drive keeps it is the drive's own business.
      const { file, ...listed } = part;
      void file;
      out.push(listed);
    }
    return out;
  }

  async restoreUploadData(uploadId: string, keep: number[], bucket: string, dataDir: string): Promise<void> {
    await this.moveUploadParts('restore upload', uploadId, keep, bucket, dataDir, 'back-to-upload');
  }

  /**
   * Moves part files between the upload's directory and a data directory, one rename each, skipping
   * those already moved (so a move cut short by a crash can be finished or undone), then syncs both.
   */
  private async moveUploadParts(
    what: string,
    uploadId: string,
    keep: number[],
    bucket: string,
    dataDir: string,
    direction: 'into-data-dir' | 'back-to-upload',
    /** Into the data directory: the parts as the version being committed has them. */
    chosen: PartRecord[] = [],
  ): Promise<void> {
    checkName('upload id', uploadId);
    if (!Array.isArray(keep)) throw new DriveError('invalid', 'invalid part list');
    for (const n of keep) checkInteger('part number', n, 1, MAX_PART_NUMBER);
    checkName('bucket', bucket);
    checkName('data dir', dataDir);
    await this.ensureOnline();
    await this.io(what, async () => {
      const uploadDir = this.sys('multipart', uploadId);
      const target = this.dataPath(bucket, dataDir);
      const [from, to] = direction === 'into-data-dir' ? [uploadDir, target] : [target, uploadDir];
      // A retried completion commits the directory a removal may be waiting on (its readers still open).
      if (direction === 'into-data-dir') await this.pins.claim(target);
      await this.makeDirectory(to);
      const { parts } = await this.ensureOnline('read');
      for (const n of keep) {
        // In its turn: an upload of the same part (one whose answer was lost, landing late) must not
        // replace the record between the look and the move.
        await this.inTurn(`${uploadId}/${n}`, async () => {
          const value = parts.get(partKey(uploadId, n));
          // In the upload, under the name its record gives it; in the object, as part.N.
          const uploaded = partFile(value) ?? `part.${n}`;
          if (direction === 'into-data-dir') {
            const held = value ? decodeRecord<UploadPartRecord>(value) : undefined;
            const wanted = chosen.find((p) => p.number === n);
            if (held && wanted && (held.etag !== wanted.etag || held.size !== wanted.size)) {
              throw new DriveError('invalid', `${this.root}: part ${n} of upload ${uploadId} is no longer the one being completed`);
            }
            return moveOnce(join(from, uploaded), join(to, `part.${n}`));
          }
          // Back into the upload only under a name nothing holds: a part uploaded again meanwhile has
          // a record, and a file, of its own, and these bytes are no longer the upload's.
          if (await stat(join(to, uploaded)).catch(() => undefined)) return;
          return moveOnce(join(from, `part.${n}`), join(to, uploaded));
        });
      }
      await this.dirs.sync(to);
      await this.dirs.sync(from);
      // Also when the data directory was made by an earlier try: that try may not have lived to sync it.
      if (direction === 'into-data-dir') await this.dirs.sync(dirname(target));
      else await rm(target, { recursive: true, force: true });
    });
  }

  // ---------------------------------------------------------------------------------------------
  // Healing support (Drive methods; see drive.ts), and reviving a drive that went offline.

  async checkShards(bucket: string, dataDir: string, request: ShardCheckRequest): Promise<ShardState[]> {
    checkName('bucket', bucket);
    checkName('data dir', dataDir);
    checkShardCheckRequest(request);
    await this.ensureOnline('read');
    const states: ShardState[] = [];
    for (const spec of request.files) {
      const layout = new ShardLayout(spec.partSize, request.blockSize, request.dataShards);
      const path = this.dataPath(bucket, dataDir, spec.file);
      let size: number;
      try {
        size = (await stat(path)).size;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'ENOTDIR') {
          states.push('missing');
          continue;
        }
        throw new DriveError('faulty', `${this.root}: check shard: ${(err as Error).message}`);
      }
      if (size !== layout.shardFileSize) states.push('wrong-size');
      else if (request.deep) states.push(await this.io('verify shard', () => verifyShardFile(path, layout)));
      else states.push('ok');
    }
    return states;
  }

  async commitHealedShards(stagingId: string, bucket: string, dataDir: string, files: string[]): Promise<void> {
    checkName('staging id', stagingId);
    checkName('bucket', bucket);
    checkName('data dir', dataDir);
    if (!Array.isArray(files)) throw new DriveError('invalid', 'invalid file list');
    for (const file of files) checkName('shard file', file);
    await this.ensureOnline();
    await this.io('commit healed shards', async () => {
      const dir = this.dataPath(bucket, dataDir);
      await this.pins.claim(dir);
      await this.makeDirectory(dir);
      const moves = files.map((file) => ({ from: this.sys('tmp', stagingId, file), to: join(dir, file) }));
      for (const { from, to } of moves) await rename(from, to);
      await syncParents(moves.flatMap(({ from, to }) => [from, to]), this.dirs.sync);
    });
  }

  async listRecordKeys(bucket: string, options: ListRecordsOptions): Promise<string[]> {
    checkName('bucket', bucket);
    checkListOptions(options);
    const { objects } = await this.ensureOnline('read');
    const base = recordKey(bucket, '');
    const prefixKey = recordKey(bucket, options.prefix);
    const from = options.from ? Buffer.concat([base, options.from]) : prefixKey;
    const start = Buffer.compare(from, prefixKey) > 0 ? from : prefixKey;
    const out: string[] = [];
    for (const key of objects.getKeys({ start, end: bucketRangeEnd(bucket) })) {
      const raw = key as Buffer;
      if (!raw.subarray(0, prefixKey.length).equals(prefixKey)) break;
      out.push(raw.subarray(base.length).toString());
      if (out.length >= options.limit) break;
    }
    return out;
  }

  async listDataDirs(bucket: string, prefix: string): Promise<DataDirEntry[]> {
    checkName('bucket', bucket);
    checkName('data prefix', prefix);
    await this.ensureOnline('read');
    const dir = join(this.root, bucket, prefix);
    return this.io('list data dirs', async () => {
      let names: string[];
      try {
        names = await readdir(dir);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
        throw err;
      }
      const out: DataDirEntry[] = [];
      for (const name of names) {
        const info = await stat(join(dir, name)).catch(() => undefined);
        if (info?.isDirectory()) out.push({ dataDir: name, changed: Math.max(info.mtimeMs, info.ctimeMs) });
      }
      return out;
    });
  }

  async spaceInfo(): Promise<DriveSpace> {
    await this.ensureOnline('read');
    return this.io('space info', async () => {
      const [fs, root] = await Promise.all([statfs(this.root), stat(this.root)]);
      return { total: fs.blocks * fs.bsize, free: fs.bavail * fs.bsize, device: root.dev };
    });
  }

  async readSysFile(name: string): Promise<Buffer | undefined> {
    checkName('system file', name);
    await this.ensureOnline('read');
    try {
      return await readFile(this.sys(name));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw new DriveError('faulty', `${this.root}: read ${name}: ${(err as Error).message}`);
    }
  }

  async writeSysFile(name: string, data: Buffer | undefined): Promise<void> {
    checkName('system file', name);
    if (data !== undefined && data !== null && !Buffer.isBuffer(data)) throw new DriveError('invalid', 'invalid system file contents');
    await this.ensureOnline();
    await this.io(`write ${name}`, async () => {
      if (data === undefined) {
        await rm(this.sys(name), { force: true });
        return;
      }
      await replaceFileDurably(this.sys('tmp', `${name}.${randomUUID()}`), this.sys(name), data, this.dirs.sync);
    });
  }

  /**
   * True while the drive is online, writable and still the one that was opened (this runs the
   * identity check). A drive found read-only goes offline here even if no write has met it: writes
   * that only touch shard files, say, meet EPERM or EACCES as well as EROFS.
   */
  async probe(): Promise<boolean> {
    try {
      await this.ensureOnline();
      await this.checkWritable().catch((err: Error) => this.wentReadOnly(err.message));
      return true;
    } catch {
      return false;
    }
  }

  /**
   * Brings back a drive that went offline (e.g. it was wiped): if its directory now holds nothing (a
   * replacement disk), it is formatted into slot `driveId` of `reference` and reopened empty, to be
   * healed; if it holds this very slot's format (the old disk is back), it is reopened. A missing
   * directory is left alone (an unmounted disk must not fill the root filesystem), as is a directory
   * with other contents or another deployment's format.
   */
  async revive(reference: DriveFormat, driveId: string): Promise<ReviveOutcome> {
    if (this.online && this.store) return 'online';
    let entries: string[];
    try {
      entries = await readdir(this.root);
    } catch {
      return 'absent';
    }
    // A disk that should be mounted here and is not leaves an empty directory of the parent
    // filesystem: that is not a new disk, and formatting it would fill the wrong filesystem.
    if (this.expectsMountPoint && !(await this.isMountPoint())) return 'unmounted';
    let format: DriveFormat | undefined;
    try {
      format = await this.readFormat();
    } catch {
      return 'foreign';
    }
    if (format) {
      if (!sameLayout(format, reference) || format.thisDrive !== driveId) return 'foreign';
      await this.prepare();
      await this.open();
      this.online = true;
      return 'reopened';
    }
    // Writes racing a wipe may have recreated a bucket's folders, and put a few shard files in them
    // (a commit that moved its data just as the drive was emptied): those are not data to protect.
    const found = { racingShards: 0, other: false };
    for (const entry of entries) if (entry !== SYSTEM_DIR && entry !== 'lost+found' && !found.other) await countFiles(join(this.root, entry), found);
    if (found.other || found.racingShards > MAX_RACING_SHARD_FILES) return 'not-empty';
    // What is left of an old system area (an old metadata store) must not come back as this drive's records.
    await rm(join(this.root, SYSTEM_DIR), { recursive: true, force: true });
    await this.prepare();
    await this.writeFormat({ ...reference, thisDrive: driveId });
    await this.open();
    this.online = true;
    return 'reformatted';
  }

  /**
   * Start-up's counterpart of revive, for a drive found without a format in a formatted pool: the same
   * guards decide whether it is a new disk to format into slot `driveId`, or is left offline (for the
   * drive monitor to revive later). A directory that prepare() had to create is put back to missing.
   * `othersMounted`: this node's formatted drives are disks mounted at their paths, so this one should be.
   */
  async adoptAtStart(reference: DriveFormat, driveId: string, othersMounted: boolean): Promise<ReviveOutcome> {
    this.online = false;
    this.expectsMountPoint ||= othersMounted;
    if (this.createdRoot) {
      await rm(join(this.root, SYSTEM_DIR), { recursive: true, force: true });
      await rmdir(this.root).catch(() => undefined);
      this.createdRoot = false;
    }
    return this.revive(reference, driveId);
  }

  /** The drive's directory is a mount point (another filesystem than its parent's). */
  isMountPoint(): Promise<boolean> {
    return this.dirs.isMountPoint(this.root);
  }

  private dataPath(bucket: string, dataDir: string, file?: string): string {
    const dir = join(this.root, bucket, dataDir.slice(0, 2), dataDir);
    return file ? join(dir, file) : dir;
  }

  async close(): Promise<void> {
    const store = this.store;
    this.store = undefined;
    if (!store) return;
    await this.writer.close(store.writer);
    await store.env.close();
    await removeLockFile(this.lockFile);
  }
}

export type ReviveOutcome = 'online' | 'reformatted' | 'reopened' | 'absent' | 'unmounted' | 'not-empty' | 'foreign';

/** Why revive (or adoptAtStart) left a drive offline, for the log. */
export const REVIVE_REFUSALS: Partial<Record<ReviveOutcome, string>> = {
  absent: 'its directory is missing',
  unmounted: 'its disk is no longer mounted there (the directory is on the parent filesystem)',
  'not-empty': 'its directory is not empty and has no format',
  foreign: "it holds another drive's format",
};

/** Renames `from` to `to`; a move done already (a retry of one cut short) is fine, a file found in neither place is not. */
async function moveOnce(from: string, to: string): Promise<void> {
  try {
    await rename(from, to);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT' || !(await stat(to).catch(() => undefined))) throw err;
  }
}

/**
 * The file a part record names in its upload's directory (`part.N.<staging id>`); undefined for none,
 * or for records written before parts had names of their own (their file is `part.N`).
 */
function partFile(value: Buffer | undefined): string | undefined {
  const file = value ? decodeRecord<UploadPartRecord>(value)?.file : undefined;
  return isNameOf('upload part file', file) ? file : undefined;
}

/**
 * How many shard files an emptied drive may hold and still be taken for a new disk: a few commits
 * racing the wipe leave that many; a disk that held data holds far more.
 */
const MAX_RACING_SHARD_FILES = 16;

/**
 * Counts what lies under `bucketDir`, a top-level directory of a drive without a format: shard files
 * where commits put them (`<2 hex>/<data dir>/part.N`), and whether there is anything else (a file
 * elsewhere, or deeper than a drive's layout goes).
 */
async function countFiles(bucketDir: string, found: { racingShards: number; other: boolean }, depth = 0): Promise<void> {
  const info = await stat(bucketDir).catch(() => undefined);
  if (!info) return;
  if (!info.isDirectory()) {
    if (depth === 3 && /^part\.\d+$/.test(basename(bucketDir)) && /^[0-9a-f]{2}$/.test(basename(dirname(dirname(bucketDir))))) found.racingShards++;
    else found.other = true;
    return;
  }
  if (depth === 3) {
    found.other = true;
    return;
  }
  for (const entry of await readdir(bucketDir)) {
    if (found.other || found.racingShards > MAX_RACING_SHARD_FILES) return;
    await countFiles(join(bucketDir, entry), found, depth + 1);
  }
}

/** Environments of drives that turned read-only: kept referenced, never closed (see goOffline). */
const abandonedEnvironments: RootDatabase[] = [];

/** The most one shard read may return: a few 1 MiB blocks' frames, never a whole file at once. */
const MAX_SHARD_READ = 64 * 1024 * 1024;

function checkRecordWrite(bucket: string, key: string, record: unknown, fence: unknown): void {
  checkName('bucket', bucket);
  checkObjectKey(key);
  checkRecord(record);
  if (fence !== undefined) checkInteger('fence', fence, 0, Number.MAX_SAFE_INTEGER);
}

function checkRecord(record: unknown): void {
  if (record === undefined || record === null) return;
  if (typeof record !== 'object' || !Array.isArray((record as ObjectRecord).versions)) throw new DriveError('invalid', 'invalid object record');
}

/** A bucket's entry as a drive reports it. */
function bucketEntry(name: string, state: BucketState): BucketEntry {
  return { name, created: state.created, ...(state.configStamp ? { configStamp: state.configStamp } : {}) };
}

/** A stored record for a listing of versions: whole, less its inline shards (a listing shows no data); nothing when damaged. */
function withoutInlineData(value: Buffer): { record?: ObjectRecord } {
  const record = decodeObjectRecord(value);
  if (!record) return {};
  const strip = ({ inline: _inline, ...rest }: VersionRecord): VersionRecord => rest;
  return { record: { versions: record.versions.map(strip), ...(record.replaced ? { replaced: strip(record.replaced) } : {}), ...(record.replacedWasNoncurrent ? { replacedWasNoncurrent: true } : {}) } };
}

function checkListOptions(options: ListRecordsOptions): void {
  if (typeof options !== 'object' || options === null) throw new DriveError('invalid', 'invalid listing options');
  checkObjectKey(options.prefix, true);
  // A listing resumes just after a key (key + 0x00) or past a prefix (prefix + 0xff): one byte more than a key.
  if (options.from !== undefined && options.from !== null && (!Buffer.isBuffer(options.from) || options.from.length > MAX_OBJECT_KEY_BYTES + 1)) {
    throw new DriveError('invalid', 'invalid listing start');
  }
  checkInteger('listing limit', options.limit, 1, 1_000_000);
  if (options.verify !== undefined && options.verify !== null && typeof options.verify !== 'boolean') throw new DriveError('invalid', 'invalid listing check');
  if (options.versions !== undefined && options.versions !== null && typeof options.versions !== 'boolean') throw new DriveError('invalid', 'invalid listing kind');
  if (options.versionBudget !== undefined && options.versionBudget !== null) checkInteger('listing version budget', options.versionBudget, 1, 1_000_000);
}

function checkShardCheckRequest(request: ShardCheckRequest): void {
  if (typeof request !== 'object' || request === null || !Array.isArray(request.files)) throw new DriveError('invalid', 'invalid shard check request');
  checkInteger('block size', request.blockSize, 1, 1 << 30);
  checkInteger('data shards', request.dataShards, 1, 256);
  for (const spec of request.files) {
    checkName('shard file', spec?.file);
    checkInteger('part size', spec.partSize, 0, Number.MAX_SAFE_INTEGER);
  }
}

/** Re-hashes every block of a shard file of the expected size: `ok` or `corrupt`. */
async function verifyShardFile(path: string, layout: ShardLayout): Promise<ShardState> {
  const frame = BITROT_HASH_SIZE + layout.shardSize;
  const framesPerRead = Math.max(1, Math.floor((4 * 1024 * 1024) / frame));
  const buf = Buffer.allocUnsafe(framesPerRead * frame);
  const handle = await open(path, 'r');
  try {
    for (let block = 0; block < layout.blockCount; block += framesPerRead) {
      const last = Math.min(layout.blockCount, block + framesPerRead);
      const start = layout.frameOffset(block);
      const length = layout.frameOffset(last - 1) + BITROT_HASH_SIZE + layout.shardLength(last - 1) - start;
      let filled = 0;
      while (filled < length) {
        const { bytesRead } = await handle.read(buf, filled, length - filled, start + filled);
        if (bytesRead === 0) return 'corrupt';
        filled += bytesRead;
      }
      for (let i = block; i < last; i++) {
        const at = layout.frameOffset(i) - start;
        try {
          verifyShardBlock(buf.subarray(at, at + BITROT_HASH_SIZE + layout.shardLength(i)), layout.shardLength(i));
        } catch {
          return 'corrupt';
        }
      }
    }
    return 'ok';
  } finally {
    await handle.close();
  }
}

class LocalShardReader implements ShardReader {
  constructor(
    private readonly handle: FileHandle,
    private readonly io: <T>(what: string, op: () => Promise<T>) => Promise<T>,
    private readonly unpin: () => void,
  ) {}

  read(offset: number, length: number): Promise<Buffer> {
    return this.io('read shard', async () => {
      checkInteger('shard offset', offset, 0, Number.MAX_SAFE_INTEGER);
      checkInteger('shard read length', length, 0, MAX_SHARD_READ);
      const buf = Buffer.allocUnsafe(length);
      let filled = 0;
      while (filled < length) {
        const { bytesRead } = await this.handle.read(buf, filled, length - filled, offset + filled);
        if (bytesRead === 0) break;
        filled += bytesRead;
      }
      return buf.subarray(0, filled);
    });
  }

  async close(): Promise<void> {
    await this.handle.close().catch(() => undefined);
    this.unpin();
  }
}

/** A write that met a full filesystem is the drive's DriveError 'full' (also across RPC); any other failure stays as it is. */
function asFull(err: unknown): never {
  if (isDriveFull(err) && !(err instanceof DriveError)) throw new DriveError('full', `no space left: ${(err as Error).message}`);
  throw err;
}

class LocalShardWriter implements ShardWriter {
  private closed = false;

  constructor(
    private readonly file: ShardFile,
    private readonly syncDirectory: () => Promise<void>,
    private readonly discard: () => Promise<void>,
  ) {}

  write(chunks: Buffer[]): Promise<void> {
    return this.file.write(chunks).catch(asFull);
  }

  async finish(): Promise<void> {
    try {
      await this.file.finish();
    } catch (err) {
      // Not finished is as good as aborted: the file and its slab go back now, whoever calls abort.
      await this.close().catch(() => undefined);
      asFull(err);
    }
    await this.close();
    await this.syncDirectory();
  }

  async abort(): Promise<void> {
    await this.close();
    await this.discard();
  }

  private async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.file.close();
  }
}
