/**
 * The writing side of one drive's metadata store (an LMDB environment), as the metadata writer process
 * runs it (see metadata-writer.ts): every change to bucket entries, object records, uploads and parts
 * is one of the MetadataWrite messages below, applied in one transaction and durable before it answers.
 * Checks that must see the same state as the write they guard (a record's fence, a bucket's tombstone,
 * a bucket's emptiness) run inside that transaction.
 */
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { open as openLmdb, type Database, type DatabaseOptions, type RootDatabase } from 'lmdb';
import { decodeRecord, encodeRecord } from '../meta/encoding.js';
import { decodeObjectRecord, encodeObjectRecord, listedRecord } from '../meta/listing-summary.js';
import { versionSignature } from '../meta/record.js';
import { DeletedRecordFences } from './fences.js';
import { DELETED_BUCKET, bucketRangeEnd, bucketState, partKey, partKeyRange, recordKey, uploadKey } from './metadata-keys.js';

/** The stores the node reads; the writer also keeps the fences of deleted records (fences.ts). */
export const STORE_NAMES = ['objects', 'buckets', 'uploads', 'parts', 'configs'] as const;
export type StoreName = (typeof STORE_NAMES)[number];
const FENCES = 'fences';

function openStore(env: RootDatabase, name: string): Database<Buffer, Buffer> {
  return env.openDB<Buffer, Buffer>({ name, keyEncoding: 'binary', encoding: 'binary' });
}

/** A listing's view of a stored object record (listedRecord). */
export type ListedRecord = ReturnType<typeof listedRecord>;
/** Whether a listing's summaries are checked against their records' checksums (listedRecord). */
export type ListingCheck = 'verified' | 'unverified';

/**
 * The objects store as a listing reads it. lmdb hands a decoder that says it copies what it keeps
 * its shared read buffer, where it would otherwise copy every value out whole: a listing takes
 * only each record's summary.
 */
function openListingView(env: RootDatabase, check: ListingCheck): Database<ListedRecord, Buffer> {
  const decoder = {
    needsStableBuffer: false,
    decode: (bytes: Uint8Array, size?: number): ListedRecord => listedRecord(bytes.subarray(0, size ?? bytes.length), check),
    encode: (): never => {
      throw new Error('the listing view of the objects store is read-only');
    },
  };
  // lmdb-js takes `encoder` for a named store too; its typings list it for the root store only.
  const options = { name: 'objects', keyEncoding: 'binary', encoder: decoder } as DatabaseOptions & { name: string };
  return env.openDB<ListedRecord, Buffer>(options);
}

/** How the environment is opened, by the writer (which creates the stores) and by readers (read-only). */
export function openMetadataEnvironment(
  path: string,
  readOnly: boolean,
): { env: RootDatabase; stores: Record<StoreName, Database<Buffer, Buffer>>; listings: Record<ListingCheck, Database<ListedRecord, Buffer>> } {
  const env = openLmdb({ path, maxDbs: STORE_NAMES.length + 1, compression: false, readOnly });
  const stores = {} as Record<StoreName, Database<Buffer, Buffer>>;
  for (const name of STORE_NAMES) stores[name] = openStore(env, name);
  return { env, stores, listings: { verified: openListingView(env, 'verified'), unverified: openListingView(env, 'unverified') } };
}

/** Which file a store is (its data file's device and inode): a store wiped and made again is another. */
export interface StoreIdentity {
  dev: number;
  ino: number;
}

/** The identity of the store in `path`, or undefined when it has no data file (it was wiped, or never made). */
export function storeIdentity(path: string): StoreIdentity | undefined {
  try {
    const { dev, ino } = statSync(join(path, 'data.mdb'));
    return { dev, ino };
  } catch {
    return undefined;
  }
}

export function sameStore(a: StoreIdentity | undefined, b: StoreIdentity | undefined): boolean {
  return a !== undefined && b !== undefined && a.dev === b.dev && a.ino === b.ino;
}

export type MetadataWrite =
  | { kind: 'put-bucket'; bucket: string; created: number }
  | { kind: 'delete-bucket'; bucket: string }
  | { kind: 'put-bucket-config'; bucket: string; created: number; stamp: number; value: Uint8Array }
  | { kind: 'write-record'; bucket: string; key: string; value?: Uint8Array; fence?: number }
  | { kind: 'settle-commit'; bucket: string; key: string; signature: string; fence: number }
  | { kind: 'put-upload'; bucket: string; key: string; uploadId: string; value: Uint8Array }
  | { kind: 'delete-upload'; bucket: string; key: string; uploadId: string }
  | { kind: 'put-part'; uploadId: string; partNumber: number; value: Uint8Array };

/** delete-bucket: whether the bucket was empty (and is now deleted). */
export type DeleteBucketOutcome = boolean;
/**
 * put-bucket-config: stored; already held (this stamp, intact); not stored because the drive holds a
 * newer one; or no such bucket (none, deleted, or another bucket made under the name).
 */
export type BucketConfigOutcome = 'written' | 'held' | 'newer' | 'no-bucket';
/** write-record: written, refused for a stale fence, or refused because the bucket was deleted. */
export type WriteRecordOutcome = 'written' | 'fenced' | 'bucket-deleted';
/** settle-commit: the commit is the newest version, or later commits of its fence are now barred, or the record is damaged. */
export type SettleOutcome = 'committed' | 'barred' | 'damaged';
export type MetadataWriteOutcome = DeleteBucketOutcome | BucketConfigOutcome | WriteRecordOutcome | SettleOutcome | undefined;

/** A failure after the write was committed (its flush to disk): the write may be on the drive. */
export class UnflushedWriteError extends Error {}

/** A value that crossed the process boundary (a Uint8Array there) as a Buffer over the same bytes. */
function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

export class MetadataStore {
  private readonly env: RootDatabase;
  private readonly stores: Record<StoreName, Database<Buffer, Buffer>>;
  private readonly deletedFences: DeletedRecordFences;
  readonly identity: StoreIdentity;

  /** Opens the store in `path`, creating it if there is none. */
  constructor(readonly path: string) {
    ({ env: this.env, stores: this.stores } = openMetadataEnvironment(path, false));
    this.deletedFences = new DeletedRecordFences(openStore(this.env, FENCES));
    const identity = storeIdentity(path);
    if (!identity) throw new Error(`${path}: the metadata store has no data file`);
    this.identity = identity;
  }

  /** Applies one write; it is durable when the promise resolves. */
  async apply(write: MetadataWrite): Promise<MetadataWriteOutcome> {
    const outcome = await this.transact(write);
    try {
      await this.env.flushed;
    } catch (err) {
      throw new UnflushedWriteError(`committed, but not flushed: ${(err as Error).message}`);
    }
    return outcome;
  }

  /** Forgets expired fences of deleted records, `count` looked at. */
  pruneFences(count: number): Promise<number> {
    return this.stores.objects.transaction(() => this.deletedFences.prune(count));
  }

  close(): Promise<void> {
    return this.env.close();
  }

  // Synchronous writes inside transactions: a failed commit then rejects only the transaction's promise.
  private transact(write: MetadataWrite): Promise<MetadataWriteOutcome> {
    const { objects, buckets, uploads, parts, configs } = this.stores;
    switch (write.kind) {
      case 'put-bucket':
        return buckets.transaction(() => {
          const name = Buffer.from(write.bucket);
          const state = bucketState(buckets, write.bucket);
          // The same bucket made again here (heal) keeps its configuration; any other bucket made
          // under the name, over a tombstone or over an entry whose deletion missed this drive,
          // starts without one.
          const same = state && !state.deleted && state.created === write.created;
          if (!same) configs.removeSync(name);
          buckets.putSync(name, encodeRecord({ created: write.created, ...(same && state.configStamp ? { configStamp: state.configStamp } : {}) }));
          return undefined;
        });
      case 'delete-bucket':
        // The emptiness check and the tombstone in one transaction: no record can land between them.
        return objects.transaction(() => {
          for (const _ of objects.getKeys({ start: recordKey(write.bucket, ''), end: bucketRangeEnd(write.bucket), limit: 1 })) return false;
          buckets.putSync(Buffer.from(write.bucket), encodeRecord(DELETED_BUCKET));
          configs.removeSync(Buffer.from(write.bucket));
          return true;
        });
      case 'put-bucket-config':
        // Only a newer configuration replaces the one held: changes and heals may arrive in any order.
        return buckets.transaction((): BucketConfigOutcome => {
          const name = Buffer.from(write.bucket);
          const state = bucketState(buckets, write.bucket);
          if (!state || state.deleted || state.created !== write.created) return 'no-bucket';
          const held = state.configStamp ?? 0;
          // A copy that fails its checksum is as good as none: anything replaces it (heal repairs it so).
          const intact = held > 0 && decodeRecord(configs.get(name) ?? Buffer.alloc(0)) !== undefined;
          if (intact && held > write.stamp) return 'newer';
          if (intact && held === write.stamp) return 'held';
          configs.putSync(name, asBuffer(write.value));
          buckets.putSync(name, encodeRecord({ created: state.created, configStamp: write.stamp }));
          return 'written';
        });
      case 'write-record':
        return this.writeRecord(write);
      case 'settle-commit':
        return this.settleCommit(write);
      case 'put-upload':
        return uploads.transaction(() => void uploads.putSync(uploadKey(write.bucket, write.key, write.uploadId), asBuffer(write.value)));
      case 'delete-upload':
        return uploads.transaction(() => {
          uploads.removeSync(uploadKey(write.bucket, write.key, write.uploadId));
          for (const k of [...parts.getKeys(partKeyRange(write.uploadId))]) parts.removeSync(k as Buffer);
          return undefined;
        });
      case 'put-part':
        return parts.transaction(() => void parts.putSync(partKey(write.uploadId, write.partNumber), asBuffer(write.value)));
      default:
        return Promise.reject(new Error(`unknown metadata write ${(write as { kind: unknown }).kind}`));
    }
  }

  /** The record's fence check and its write (or removal, for no value, keeping its fence) in one transaction. */
  private writeRecord(write: Extract<MetadataWrite, { kind: 'write-record' }>): Promise<WriteRecordOutcome> {
    const { objects, buckets } = this.stores;
    const name = recordKey(write.bucket, write.key);
    return objects.transaction((): WriteRecordOutcome => {
      if (write.fence !== undefined && write.fence < this.storedFence(name)) return 'fenced';
      if (write.value) {
        if (bucketState(buckets, write.bucket)?.deleted) return 'bucket-deleted';
        objects.putSync(name, asBuffer(write.value));
        this.deletedFences.forget(name);
      } else {
        objects.removeSync(name);
        if (write.fence !== undefined) this.deletedFences.remember(name, write.fence);
        else this.deletedFences.forget(name);
      }
      return 'written';
    });
  }

  /** Whether the commit with `signature` is the record's newest version; if not, bars any later write of its fence. */
  private settleCommit(write: Extract<MetadataWrite, { kind: 'settle-commit' }>): Promise<SettleOutcome> {
    const { objects } = this.stores;
    const name = recordKey(write.bucket, write.key);
    return objects.transaction((): SettleOutcome => {
      const value = objects.get(name);
      const record = value ? decodeObjectRecord(value) : undefined;
      if (value && !record) return 'damaged';
      const newest = record?.versions[0];
      if (newest && versionSignature(newest) === write.signature) return 'committed';
      // One above the lost commit's fence: it is refused, a later lock holder (a greater fence) is not.
      const barred = write.fence + 1;
      if (record) objects.putSync(name, encodeObjectRecord({ ...record, fence: Math.max(record.fence ?? 0, barred) }));
      else this.deletedFences.remember(name, Math.max(this.deletedFences.get(name), barred));
      return 'barred';
    });
  }

  /** The greatest fence a writer of the record has shown (0 for none, or for a damaged record: heal must be able to rewrite it). */
  private storedFence(name: Buffer): number {
    const value = this.stores.objects.get(name);
    if (!value) return this.deletedFences.get(name);
    return decodeObjectRecord(value)?.fence ?? 0;
  }
}
