/**
 * A pool of erasure sets: the ObjectLayer implementation. Objects are routed to a set by a keyed
 * hash of their name; buckets exist on every drive; listings merge the sets' sorted pages.
 */
import { ObjectLayerError, isObjectLayerError } from '../object/errors.js';
import { failpoint } from '../failpoints.js';
import type {
  BucketInfo,
  CompleteOptions,
  DeleteOptions,
  DeleteOutcome,
  ListedObjectVersion,
  ListVersionsOptions,
  ListVersionsResult,
  ReadOptions,
  StorageCapacity,
  VersionAttributes,
  NewUploadOptions,
  PartInfo,
  UploadInfo,
  ListOptions,
  ListResult,
  ObjectInfo,
  ObjectLayer,
  ObjectReader,
  PutBody,
  PutOptions,
} from '../object/types.js';
import type { BucketConfig } from '../meta/bucket-config.js';
import type { ListingSummary } from '../meta/listing-summary.js';
import type { Locker } from '../lock/locker.js';
import type { BucketEntry, Drive, DriveSpace } from '../storage/drive.js';
import { CONFIG_BUCKET, MAX_OBJECT_KEY_BYTES, compareKeys, justAfter, pastPrefix } from '../storage/names.js';
import { setIndexFor } from './placement.js';
import { ErasureSet, type ListedKeyVersions, type ListedVersion } from './set.js';
import { toPartInfo, toUploadInfo } from './multipart.js';
import { askDrives, bestEffortOnDrives } from './fan-out.js';
import { KnownBuckets } from './known-buckets.js';
import { agreedBucket, entriesByBucket, newestConfig } from './bucket-agreement.js';
import { NULL_VERSION_ID, versionIdTime } from '../meta/version-id.js';
import { newVersionAttributes } from './object-lock.js';
import { currentExpiry } from '../meta/lifecycle.js';

const DAY_MS = 24 * 60 * 60 * 1000;

/** Marks positions this server issued, so a made-up continuation token is refused rather than obeyed. */
const POSITION_TAG = Buffer.from('tp1:');

function encodePosition(from: Buffer): string {
  return Buffer.concat([POSITION_TAG, from]).toString('base64url');
}

function decodePosition(token: string, prefix: string): Buffer {
  const raw = Buffer.from(token, 'base64url');
  const from = raw.subarray(POSITION_TAG.length);
  const issued =
    raw.subarray(0, POSITION_TAG.length).equals(POSITION_TAG) && from.length <= MAX_OBJECT_KEY_BYTES + 1 && Buffer.compare(from, Buffer.from(prefix)) >= 0;
  if (!issued) throw new ObjectLayerError('invalid-position');
  return from;
}

/** Reads one set's listing page by page, exposing the smallest unread entry. */
class SetCursor<E extends { key: string }> {
  private entries: E[] = [];
  private next: Buffer | undefined;
  private exhausted = false;

  constructor(private readonly readPage: (from: Buffer | undefined) => Promise<{ entries: E[]; next?: Buffer }>) {}

  seek(from: Buffer | undefined): void {
    this.entries = [];
    this.next = from;
    this.exhausted = false;
  }

  async peek(): Promise<E | undefined> {
    while (this.entries.length === 0 && !this.exhausted) {
      const page = await this.readPage(this.next);
      this.entries = page.entries;
      this.next = page.next;
      this.exhausted = page.next === undefined;
    }
    return this.entries[0];
  }

  advance(): void {
    this.entries.shift();
  }
}

/** The cursors' smallest entry by key, with the cursor it came from. */
async function smallestOf<E extends { key: string }>(cursors: SetCursor<E>[]): Promise<{ cursor: SetCursor<E>; entry: E } | undefined> {
  let smallest: { cursor: SetCursor<E>; entry: E } | undefined;
  for (const cursor of cursors) {
    const entry = await cursor.peek();
    if (entry && (!smallest || compareKeys(entry.key, smallest.entry.key) < 0)) smallest = { cursor, entry };
  }
  return smallest;
}

/** The common prefix a listing rolls `key` up into: up to the first delimiter after the prefix. */
function commonPrefixOf(key: string, prefix: string, delimiter: string): string | undefined {
  const at = delimiter ? key.indexOf(delimiter, prefix.length) : -1;
  return at >= 0 ? key.slice(0, at + delimiter.length) : undefined;
}

/**
 * A key's versions after `marker` (ListObjectVersions' version-id-marker). A marker no longer there
 * (deleted since) is placed by the time its id carries: versions are ordered by time.
 */
function versionsAfter(versions: ListingSummary[], marker: string): ListingSummary[] {
  const at = versions.findIndex((v) => v.versionId === marker);
  if (at >= 0) return versions.slice(at + 1);
  if (marker === NULL_VERSION_ID) return versions;
  const time = versionIdTime(marker);
  return versions.filter((v) => v.modTime < time);
}

export class ErasurePool implements ObjectLayer {
  /** How long a lifecycle rule's day lasts (shortened for tests: TESSERA_LIFECYCLE_DAY_SECONDS). */
  lifecycleDayMs = DAY_MS;
  private readonly drives: Drive[];
  private readonly knownBuckets = new KnownBuckets();
  /**
   * Each bucket's configuration as last read or written here (see getBucketConfig), with the bucket's
   * creation time: a bucket deleted and made again under its name is another bucket.
   */
  private readonly configs = new Map<string, { created: number; config: BucketConfig }>();

  constructor(
    readonly sets: ErasureSet[],
    private readonly deploymentId: string,
  ) {
    this.drives = sets.flatMap((s) => s.drives);
  }

  private setFor(key: string): ErasureSet {
    return this.sets[setIndexFor(key, this.deploymentId, this.sets.length)];
  }

  isWritable(): boolean {
    return this.sets.every((s) => s.isWritable());
  }

  /** Every set shares the deployment's locker. */
  private get locks(): Locker {
    return this.sets[0].ctx.locks;
  }

  private get bucketQuorum(): number {
    return Math.floor(this.drives.length / 2) + 1;
  }

  /** A bucket exists when at least half the drives have it; too few answers to tell is 'read-quorum'. */
  async getBucketInfo(bucket: string): Promise<BucketInfo> {
    const stats = await askDrives(this.drives, (d) => d.statBucket(bucket));
    const found = stats.values().filter((a): a is BucketEntry => a !== undefined);
    const failed = stats.failed;
    const half = Math.ceil(this.drives.length / 2);
    if (found.length >= half) {
      const { created, configStamp } = agreedBucket(found);
      const info = { name: bucket, created: new Date(created), configStamp };
      this.knownBuckets.remember(info);
      return info;
    }
    if (found.length + failed >= half) throw new ObjectLayerError('read-quorum');
    this.knownBuckets.forget(bucket);
    throw new ObjectLayerError('no-such-bucket');
  }

  async makeBucket(bucket: string, config?: Omit<BucketConfig, 'stamp'>): Promise<void> {
    const exists = await this.getBucketInfo(bucket).then(
      () => true,
      (err: unknown) => {
        if (isObjectLayerError(err, 'no-such-bucket')) return false;
        throw err;
      },
    );
    if (exists) throw new ObjectLayerError('bucket-exists');
    if (this.drives.filter((d) => d.isOnline()).length < this.bucketQuorum) throw new ObjectLayerError('write-quorum');
    const created = Date.now();
    const made = await askDrives(this.drives, (d) => d.makeBucket(bucket, created));
    if (!made.reached(this.bucketQuorum)) {
      await bestEffortOnDrives(this.drives, (d) => d.deleteBucket(bucket));
      throw new ObjectLayerError('write-quorum');
    }
    if (!config) return;
    // A bucket made with a configuration (Object Lock) is not left without it: it goes again.
    await this.updateBucketConfig(bucket, () => config).catch(async (err: unknown) => {
      await bestEffortOnDrives(this.drives, (d) => d.deleteBucket(bucket));
      this.knownBuckets.forget(bucket);
      throw err;
    });
  }

  /**
   * The configuration with the newest stamp the drives show. The stamps come from asking every drive
   * about the bucket, as writes do: a change acknowledged through any node reached a majority of the
   * drives, so it is seen here. The configuration itself is read only when its stamp is new to this
   * node; where no drive gives that one (its copies damaged), the newest one they do give is used.
   */
  async getBucketConfig(bucket: string): Promise<BucketConfig> {
    return this.configOf(bucket, await this.getBucketInfo(bucket));
  }

  private async configOf(bucket: string, { configStamp, created }: BucketInfo): Promise<BucketConfig> {
    if (configStamp === 0) return { stamp: 0 };
    const cached = this.configs.get(bucket);
    if (cached?.created === created.getTime() && cached.config.stamp >= configStamp) return cached.config;
    const read = await askDrives(this.drives, (d) => d.readBucketConfig(bucket, created.getTime()));
    const newest = newestConfig(read.values());
    // No drive gave a configuration it has (they went offline since, or every copy is damaged).
    if (!newest) throw new ObjectLayerError('read-quorum');
    this.configs.set(bucket, { created: created.getTime(), config: newest });
    return newest;
  }

  /**
   * Under the bucket's configuration lock: the newest configuration, changed, written to every drive
   * with the lock's fence as its stamp, acknowledged once a majority of them hold it. A later holder
   * of the lock has a greater fence (DESIGN §5: the nodes' clocks differ by less than a lease), so a
   * change that missed its majority (503, outcome unknown, as for any write) and still sits on some
   * drive never wins over a change acknowledged after it: heal carries the newest stamp on.
   */
  async updateBucketConfig(bucket: string, change: (current: BucketConfig) => Omit<BucketConfig, 'stamp'>): Promise<BucketConfig> {
    const lease = await this.locks.lock(`config:${bucket}`, true);
    try {
      const info = await this.getBucketInfo(bucket);
      const current = await this.configOf(bucket, info);
      const next: BucketConfig = { ...change(current), stamp: Math.max(lease.fence, current.stamp + 1) };
      if (this.drives.filter((d) => d.isOnline()).length < this.bucketQuorum) throw new ObjectLayerError('write-quorum');
      lease.check();
      const written = await askDrives(this.drives, (d) => d.writeBucketConfig(bucket, info.created.getTime(), next));
      if (written.count((held) => held) < this.bucketQuorum) {
        await this.getBucketInfo(bucket); // deleted meanwhile: NoSuchBucket
        throw new ObjectLayerError('write-quorum');
      }
      this.configs.set(bucket, { created: info.created.getTime(), config: next });
      // Reads on this node that take the bucket on trust see the change at once.
      this.knownBuckets.remember({ ...info, configStamp: next.stamp });
      return next;
    } finally {
      lease.release();
    }
  }

  async listBuckets(): Promise<BucketInfo[]> {
    const listed = await askDrives(this.drives, (d) => d.listBuckets());
    listed.requireQuorum(Math.ceil(this.drives.length / 2), () => new ObjectLayerError('read-quorum'));
    return [...entriesByBucket(listed.values())]
      .filter(([name, entries]) => name !== CONFIG_BUCKET && entries.length >= Math.ceil(this.drives.length / 2))
      .map(([name, entries]) => {
        const { created, configStamp } = agreedBucket(entries);
        return { name, created: new Date(created), configStamp };
      })
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /**
   * Runs a read in `bucket`, taking the bucket's existence from KnownBuckets when it was seen a moment
   * ago. A deleted bucket looks to a read like a missing key or an empty listing (it was empty when
   * deleted), so when the read fails or `foundNothing` says it found nothing, the drives are asked
   * again and their verdict wins.
   */
  private async inKnownBucket<T>(bucket: string, request: () => Promise<T>, foundNothing: (result: T) => boolean = () => false): Promise<T> {
    const trusted = this.knownBuckets.get(bucket) !== undefined;
    if (!trusted) await this.getBucketInfo(bucket);
    let result: T;
    try {
      result = await request();
    } catch (err) {
      if (trusted && err instanceof ObjectLayerError) await this.recheckBucket(bucket);
      throw err;
    }
    if (trusted && foundNothing(result)) await this.recheckBucket(bucket);
    return result;
  }

  /** Asks the drives again whether the bucket exists: their verdict (no-such-bucket, or read-quorum when too few answer) wins over the request's own. */
  private async recheckBucket(bucket: string): Promise<void> {
    this.knownBuckets.forget(bucket);
    await this.getBucketInfo(bucket);
  }

  /**
   * Deletes an empty bucket. Empty means that every drive of every set answered that it holds no
   * record of the bucket: a record below read quorum (a write cut short, a version heal has not yet
   * settled) is still data, though no listing shows it, and a drive that does not answer may hold one.
   */
  async deleteBucket(bucket: string): Promise<void> {
    const info = await this.getBucketInfo(bucket);
    const { created } = info;
    // Read first: a deletion undone below gives it back to the drives that deleted it (an unreadable
    // one does not stop the deletion).
    const config = await this.configOf(bucket, info).catch((): BucketConfig => ({ stamp: 0 }));
    this.knownBuckets.forget(bucket);
    const holds = await askDrives(this.drives, (d) => d.bucketHasObjects(bucket));
    if (holds.count((has) => has) > 0) throw new ObjectLayerError('bucket-not-empty');
    if (holds.failed > 0) throw new ObjectLayerError('write-quorum');
    await failpoint('pool.delete-bucket.checked');
    const deletions = await askDrives(this.drives, (d) => d.deleteBucket(bucket));
    const deleted = deletions.answers.map((answer) => answer === true);
    if (deletions.count((done) => !done) > 0) {
      // A write landed between the check and a drive's deletion: the bucket stays, made again where it
      // went, with its configuration.
      await bestEffortOnDrives(
        this.drives,
        async (d) => {
          await d.makeBucket(bucket, created.getTime());
          if (config.stamp > 0) await d.writeBucketConfig(bucket, created.getTime(), config);
        },
        { only: deleted },
      );
      throw new ObjectLayerError('bucket-not-empty');
    }
    deletions.requireQuorum(this.bucketQuorum, () => new ObjectLayerError('write-quorum'), (done) => done);
  }

  /**
   * Writes ask the drives whether the bucket exists every time (no KnownBuckets): a deletion that
   * failed on some drives leaves no tombstone there, and in a pool of several sets those may be
   * enough of one set for a write quorum, which only the pool-wide count of the drives refuses.
   */
  async putObject(bucket: string, key: string, body: PutBody, options: PutOptions): Promise<ObjectInfo> {
    const config = await this.configForWrite(bucket);
    const attributes = newVersionAttributes(config, options.attributes);
    // Only a write that names its own Object Lock settings: AWS also refuses writes without a digest
    // into a bucket with a default retention, which would refuse clients that send none unless asked
    // (SDKs set to checksums "when required", tessera's own cp): a documented leniency.
    const given = options.attributes ?? {};
    if (options.bodyDigest === false && (given.retention !== undefined || given.legalHold !== undefined)) {
      throw new ObjectLayerError('body-digest-required', { message: 'Content-MD5 OR x-amz-checksum- HTTP header is required for Put Object requests with Object Lock parameters' });
    }
    const info = await this.setFor(key).putObject(bucket, key, body, { ...options, attributes }, config.versioning);
    return withBucketFacts(info, config, this.lifecycleDayMs);
  }

  /** Whether the bucket exists (asked of the drives, as writes do), and its configuration. */
  private async configForWrite(bucket: string): Promise<BucketConfig> {
    const info = await this.getBucketInfo(bucket);
    return this.configOf(bucket, info);
  }

  /**
   * What a read reports of the bucket's configuration (versioning: whether its answer names a `null`
   * version id; lifecycle: when the current version expires): from the configuration this node holds
   * for the bucket's newest stamp it knows of, read only when that is new. Not worth failing a read
   * for: unknown reads as never versioned, without lifecycle.
   */
  private async readFacts(bucket: string, info: ObjectInfo, versionId: string | undefined): Promise<ObjectInfo> {
    const known = this.knownBuckets.get(bucket);
    const config = known && (await this.configOf(bucket, known).catch(() => undefined));
    if (!config) return info;
    return withBucketFacts(info, versionId === undefined ? config : { ...config, lifecycle: undefined }, this.lifecycleDayMs);
  }

  getObjectInfo(bucket: string, key: string, versionId?: string): Promise<ObjectInfo> {
    return this.inKnownBucket(bucket, async () => this.readFacts(bucket, await this.setFor(key).getObjectInfo(bucket, key, versionId), versionId));
  }

  getObject(bucket: string, key: string, options: ReadOptions = {}): Promise<ObjectReader> {
    return this.inKnownBucket(bucket, async () => {
      const reader = await this.setFor(key).getObject(bucket, key, options);
      return { ...reader, info: await this.readFacts(bucket, reader.info, options.versionId) };
    });
  }

  async deleteObject(bucket: string, key: string, versionId?: string, options: DeleteOptions = {}): Promise<DeleteOutcome> {
    const { versioning } = await this.configForWrite(bucket);
    const set = this.setFor(key);
    if (versionId !== undefined) return set.deleteVersion(bucket, key, versionId, options);
    return set.deleteObject(bucket, key, versioning, options);
  }

  async updateObjectAttributes(bucket: string, key: string, versionId: string | undefined, change: (current: ObjectInfo) => VersionAttributes): Promise<ObjectInfo> {
    const config = await this.configForWrite(bucket);
    const info = await this.setFor(key).updateVersion(bucket, key, versionId, change);
    return withBucketFacts(info, config, this.lifecycleDayMs);
  }

  async newMultipartUpload(bucket: string, key: string, options: NewUploadOptions): Promise<UploadInfo> {
    const config = await this.configForWrite(bucket);
    const attributes = newVersionAttributes(config, options.attributes);
    return toUploadInfo(bucket, await this.setFor(key).uploads.create(bucket, key, { ...options, attributes }));
  }

  async putObjectPart(bucket: string, key: string, uploadId: string, partNumber: number, body: (upload: UploadInfo) => PutBody): Promise<PartInfo> {
    await this.getBucketInfo(bucket);
    return toPartInfo(await this.setFor(key).uploads.uploadPart(bucket, key, uploadId, partNumber, (upload) => body(toUploadInfo(bucket, upload))));
  }

  async listObjectParts(bucket: string, key: string, uploadId: string): Promise<{ upload: UploadInfo; parts: PartInfo[] }> {
    await this.getBucketInfo(bucket);
    const { upload, parts } = await this.setFor(key).uploads.listParts(bucket, key, uploadId);
    return { upload: toUploadInfo(bucket, upload), parts: parts.map(toPartInfo) };
  }

  async completeMultipartUpload(
    bucket: string,
    key: string,
    uploadId: string,
    parts: { number: number; etag: string }[],
    options: CompleteOptions,
  ): Promise<ObjectInfo> {
    const config = await this.configForWrite(bucket);
    const info = await this.setFor(key).uploads.complete(bucket, key, uploadId, parts, options, config.versioning);
    return withBucketFacts(info, config, this.lifecycleDayMs);
  }

  async abortMultipartUpload(bucket: string, key: string, uploadId: string): Promise<void> {
    await this.getBucketInfo(bucket);
    await this.setFor(key).uploads.abort(bucket, key, uploadId);
  }

  async listMultipartUploads(bucket: string, prefix: string): Promise<UploadInfo[]> {
    await this.getBucketInfo(bucket);
    const perSet = await Promise.all(this.sets.map((s) => s.uploads.list(bucket, prefix)));
    return perSet
      .flat()
      .map((e) => toUploadInfo(e.bucket, e.record))
      .sort((a, b) => compareKeys(a.key, b.key) || a.initiated.getTime() - b.initiated.getTime());
  }

  /** Aborts uploads initiated more than `maxAgeMs` ago, in every bucket; returns how many. */
  async expireUploads(maxAgeMs: number): Promise<number> {
    let expired = 0;
    const cutoff = Date.now() - maxAgeMs;
    for (const set of this.sets) {
      for (const entry of await set.uploads.list(undefined, '').catch(() => [])) {
        if (entry.record.initiated >= cutoff) continue;
        await set.uploads.abort(entry.bucket, entry.record.key, entry.record.uploadId).then(
          () => expired++,
          () => undefined,
        );
      }
    }
    return expired;
  }

  listObjects(bucket: string, options: ListOptions): Promise<ListResult> {
    return this.inKnownBucket(bucket, () => this.listInBucket(bucket, options), (r) => r.objects.length === 0 && r.prefixes.length === 0);
  }

  private async listInBucket(bucket: string, options: ListOptions): Promise<ListResult> {
    const { prefix, delimiter, maxKeys } = options;
    if (maxKeys === 0) return { objects: [], prefixes: [], isTruncated: false };
    const pageSize = Math.min(Math.max(maxKeys, 100), 1000) + 1;
    const cursors = this.sets.map((s) => new SetCursor<ListedVersion>((from) => s.listPage(bucket, prefix, from, pageSize)));
    const seekAll = (from: Buffer | undefined): void => cursors.forEach((c) => c.seek(from));
    const after = options.after;
    seekAll(options.position !== undefined ? decodePosition(options.position, prefix) : after !== undefined ? justAfter(after) : undefined);

    const result: ListResult = { objects: [], prefixes: [], isTruncated: false };
    const isAfterMarker = (name: string): boolean => after === undefined || compareKeys(name, after) > 0;
    // Where a truncated listing resumes: past the last common prefix, or just after the last key (made once, at the end).
    let resumeFrom: Buffer | undefined;
    let lastKey: string | undefined;
    for (;;) {
      const smallest = await smallestOf(cursors);
      if (!smallest) break;
      const { key } = smallest.entry;
      const commonPrefix = commonPrefixOf(key, prefix, delimiter);
      if (result.objects.length + result.prefixes.length >= maxKeys) {
        result.isTruncated = true;
        break;
      }
      if (commonPrefix !== undefined) {
        resumeFrom = pastPrefix(commonPrefix);
        lastKey = undefined;
        seekAll(resumeFrom);
        if (!isAfterMarker(commonPrefix)) continue;
        result.prefixes.push(commonPrefix);
        result.nextMarker = commonPrefix;
      } else {
        smallest.cursor.advance();
        resumeFrom = undefined;
        lastKey = key;
        const { size, etag, modTime, storageClass, checksumAlgorithms } = smallest.entry.summary;
        result.objects.push({ key, size, etag, modTime: new Date(modTime), checksumAlgorithms, ...(storageClass ? { storageClass } : {}) });
        result.nextMarker = key;
      }
    }
    if (lastKey !== undefined) resumeFrom = justAfter(lastKey);
    if (result.isTruncated && resumeFrom) result.nextPosition = encodePosition(resumeFrom);
    return result;
  }

  listObjectVersions(bucket: string, options: ListVersionsOptions): Promise<ListVersionsResult> {
    return this.inKnownBucket(bucket, () => this.listVersionsInBucket(bucket, options), (r) => r.versions.length === 0 && r.prefixes.length === 0);
  }

  /**
   * ListObjectVersions: keys in order, each key's versions newest first, keys under a common prefix
   * rolled up; resumes after `keyMarker`, or within it after `versionIdMarker`.
   */
  private async listVersionsInBucket(bucket: string, options: ListVersionsOptions): Promise<ListVersionsResult> {
    const { prefix, delimiter, keyMarker, maxKeys } = options;
    const result: ListVersionsResult = { versions: [], prefixes: [], isTruncated: false };
    if (maxKeys === 0) return result;
    const versionIdMarker = keyMarker !== undefined && options.versionIdMarker ? options.versionIdMarker : undefined;
    // A page of versions needs at most maxKeys keys (each has a version or more), and often far fewer:
    // a set's page ends once its keys hold a page's worth of versions.
    const pageSize = Math.min(maxKeys, 1000) + 1;
    const cursors = this.sets.map((s) => new SetCursor<ListedKeyVersions>((from) => s.listVersionsPage(bucket, prefix, from, pageSize, pageSize)));
    const seekAll = (from: Buffer | undefined): void => cursors.forEach((c) => c.seek(from));
    // A key longer than any key can have no versions to resume in: the listing goes on after it.
    const resumeInKey = versionIdMarker !== undefined && Buffer.byteLength(keyMarker!) <= MAX_OBJECT_KEY_BYTES;
    seekAll(keyMarker === undefined ? undefined : resumeInKey ? Buffer.from(keyMarker) : justAfter(keyMarker));
    const count = (): number => result.versions.length + result.prefixes.length;
    /** What the page holds, in order: a version (the index of it) or a common prefix. */
    const emitted: ({ version: number } | { prefix: string })[] = [];
    listing: for (;;) {
      const smallest = await smallestOf(cursors);
      if (!smallest) break;
      const { key, latest } = smallest.entry;
      const commonPrefix = commonPrefixOf(key, prefix, delimiter);
      if (commonPrefix !== undefined) {
        seekAll(pastPrefix(commonPrefix));
        if (keyMarker !== undefined && compareKeys(commonPrefix, keyMarker) <= 0) continue;
        if (count() >= maxKeys) {
          result.isTruncated = true;
          break;
        }
        result.prefixes.push(commonPrefix);
        emitted.push({ prefix: commonPrefix });
        result.nextKeyMarker = commonPrefix;
        delete result.nextVersionIdMarker;
        continue;
      }
      smallest.cursor.advance();
      const versions = key === keyMarker && versionIdMarker !== undefined ? versionsAfter(smallest.entry.versions, versionIdMarker) : smallest.entry.versions;
      for (const v of versions) {
        if (count() >= maxKeys) {
          result.isTruncated = true;
          break listing;
        }
        emitted.push({ version: result.versions.length });
        result.versions.push(listedVersion(key, v, v.versionId === latest));
        result.nextKeyMarker = key;
        result.nextVersionIdMarker = v.versionId;
      }
    }
    // A page that would end on a `null` version ends before it: that id places nothing once the
    // version is deleted or overwritten (its time is not in it), and the next page would start the
    // key over; the id before it does (see versionsAfter).
    while (result.isTruncated && result.nextVersionIdMarker === NULL_VERSION_ID && emitted.length > 1) {
      emitted.pop();
      result.versions.pop();
      const last = emitted[emitted.length - 1];
      if ('prefix' in last) {
        result.nextKeyMarker = last.prefix;
        delete result.nextVersionIdMarker;
      } else {
        const previous = result.versions[last.version];
        result.nextKeyMarker = previous.key;
        result.nextVersionIdMarker = previous.versionId;
      }
    }
    return result;
  }

  /**
   * The drives' filesystems counted once each (drives of a node may share one), scaled by the share
   * of a set that carries data (D of D+P drives at the default parity). Drives that do not answer
   * count for nothing.
   */
  async capacity(): Promise<StorageCapacity> {
    const spaces = await askDrives(this.drives, (d) => d.spaceInfo());
    const seen = new Map<string, DriveSpace>();
    spaces.answers.forEach((space, slot) => {
      if (space instanceof Error) return;
      seen.set(`${nodeOf(this.drives[slot])}#${space.device}`, space);
    });
    const set = this.sets[0];
    const share = set.defaultDataShards / set.drives.length;
    const capacity = Math.floor([...seen.values()].reduce((n, s) => n + s.total, 0) * share);
    const available = Math.floor([...seen.values()].reduce((n, s) => n + s.free, 0) * share);
    return { capacity, available, used: Math.max(0, capacity - available) };
  }

  async close(): Promise<void> {
    await bestEffortOnDrives(this.drives, (d) => d.close());
  }
}

/** The node a drive is on, as far as filesystems go: its endpoint's host, or this node for a local path. */
function nodeOf(drive: Drive): string {
  if (drive.isLocal) return 'local';
  try {
    return new URL(drive.endpoint).host;
  } catch {
    return drive.endpoint;
  }
}

/** A version's info with what its bucket's configuration says of it: versioning, lifecycle expiry. */
function withBucketFacts(info: ObjectInfo, config: BucketConfig, dayMs: number): ObjectInfo {
  const expiration = config.lifecycle && !info.deleteMarker ? currentExpiry(config.lifecycle, { key: info.key, size: info.size, tags: info.tags, modTime: info.modTime.getTime() }, dayMs) : undefined;
  return { ...info, ...(config.versioning ? { versioning: config.versioning } : {}), ...(expiration ? { expiration } : {}) };
}

function listedVersion(key: string, v: ListingSummary, isLatest: boolean): ListedObjectVersion {
  const { versionId, deleteMarker, size, etag, modTime, storageClass, checksumAlgorithms } = v;
  return { key, versionId, isLatest, deleteMarker, size, etag, modTime: new Date(modTime), checksumAlgorithms, ...(storageClass ? { storageClass } : {}) };
}
