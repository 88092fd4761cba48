/**
 * One erasure set: N drives that together hold every shard of the objects placed on the set.
 * PUT streams blocks through the encoder to one staged shard file per drive, then commits under the
 * object's write lock; GET resolves the quorum version and streams verified, decoded blocks.
 */
import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { frameShardBlock } from '../codec/bitrot.js';
import { ObjectLayerError } from '../object/errors.js';
import { failpoint } from '../failpoints.js';
import type { Locker } from '../lock/locker.js';
import { encodeObjectRecord, packSummary, summarize, unpackSummary, type ListingSummary } from '../meta/listing-summary.js';
import { versionSignature, withAttributes, type ObjectRecord, type VersionRecord } from '../meta/record.js';
import type { DeleteOptions, DeleteOutcome, ObjectInfo, ObjectReader, PutBody, PutOptions, ReadOptions, VersionAttributes, Versioning } from '../object/types.js';
import { NULL_VERSION_ID, newVersionId } from '../meta/version-id.js';
import { DriveError, isDamaged, isDriveFull, type Drive, type RecordEntry, type VersionData } from '../storage/drive.js';
import { compareKeys, justAfter } from '../storage/names.js';
import { prepend, readBlocks } from './blocks.js';
import { encodeBlock } from './coder.js';
import { streamVersion } from './decode.js';
import { shardDistribution } from './placement.js';
import { copyOf, minimumWriteQuorum, missedWriteQuorum, readQuorum, resolveVersion, versionIndex, writeQuorum, type FindVersion, type QuorumVersion, type RecordAnswer } from './quorum.js';
import { discardStaging, writeShardFiles } from './write.js';
import { assertDeletable } from './object-lock.js';
import { MultipartUploads } from './multipart.js';
import { DriveAnswers, NotAsked, askDrives, bestEffortOnDrives } from './fan-out.js';

export interface SetContext {
  blockSize: number;
  /** Objects up to this size keep their shards inside the metadata records. */
  inlineLimit: number;
  defaultParity: number;
  locks: Locker;
}

/** How a new version is committed on the set's drives. */
export interface CommitPlan {
  /** alive[slot]: the drive received the version's data. */
  alive: boolean[];
  quorum: number;
  /** Per-slot framed shards of a small object kept in the records. */
  inline?: Buffer[];
  /** Where the version's data waits on each drive (none for inline data). */
  data?: VersionData;
  /** Checked against the current version under the object's lock; throws to refuse the write. */
  precondition?: (current: ObjectInfo | undefined) => void;
  /** Versioning is on: the version gets a new id (see placeVersion) rather than replacing the `null` one. */
  newVersionId?: boolean;
}

/** Healing support: how a set tells the heal workers (src/heal) about objects that need healing. */
export interface SetHealHooks {
  /** A write or delete reached quorum but missed some drives: the MRF queue. */
  partialWrite?(bucket: string, key: string): void;
  /** A read met a drive without the current version, or a shard missing or failing its hash: heal on read. */
  degradedRead?(bucket: string, key: string, corrupt: boolean): void;
}

export interface ListedVersion {
  key: string;
  summary: ListingSummary;
}

/** A key's versions as ListObjectVersions shows them, newest first; `latest` is the current one's id. */
export interface ListedKeyVersions {
  key: string;
  versions: ListingSummary[];
  latest?: string;
}

/**
 * The listing summary of a key's version when the drives' listing pages show it settled without
 * decoding a record: every drive that lists the key shows the same summary (so the same version),
 * and they are at least its write quorum and `copies`. Otherwise undefined: the key needs its
 * records read. Summaries not checked against their records' checksums need two copies: bitrot does
 * not make two drives' bytes agree.
 */
function settledSummary(answers: (RecordEntry | Error | undefined)[], copies: number): ListingSummary | undefined {
  let shown: Uint8Array | undefined;
  let holders = 0;
  for (const answer of answers) {
    if (answer === undefined || answer instanceof Error) continue;
    // A record stored before summaries existed gives the same bytes for the same version.
    const current = answer.record?.versions[0];
    const bytes = answer.summary ?? (current && packSummary(summarize(current)));
    if (!bytes || (shown && Buffer.compare(bytes, shown) !== 0)) return undefined;
    shown ??= bytes;
    holders++;
  }
  if (!shown || holders < copies) return undefined;
  let summary: ListingSummary;
  try {
    summary = unpackSummary(shown);
  } catch {
    return undefined;
  }
  return holders >= writeQuorum(summary.dataShards, summary.parityShards) ? summary : undefined;
}

/**
 * The drives' listing pages as one: each key up to the smallest last key of a full page (beyond it
 * some drive's page may have stopped short of it), in order, with every drive's entry for it. A page
 * is full when it holds `limit` entries, or as `isFull` says.
 */
function collatePages(
  pages: (RecordEntry[] | Error)[],
  limit: number,
  isFull: (page: RecordEntry[]) => boolean = (page) => page.length >= limit,
): { keys: string[]; answers: Map<string, (RecordEntry | Error | undefined)[]>; next?: Buffer } {
  let bound: string | undefined;
  for (const page of pages) {
    if (page instanceof Error || !isFull(page)) continue;
    const last = page[page.length - 1].key;
    if (bound === undefined || compareKeys(last, bound) < 0) bound = last;
  }
  const answers = new Map<string, (RecordEntry | Error | undefined)[]>();
  pages.forEach((page, slot) => {
    if (page instanceof Error) return;
    for (const entry of page) {
      if (bound !== undefined && compareKeys(entry.key, bound) > 0) break;
      let byDrive = answers.get(entry.key);
      if (!byDrive) {
        byDrive = pages.map((p) => (p instanceof Error ? p : undefined));
        answers.set(entry.key, byDrive);
      }
      byDrive[slot] = entry;
    }
  });
  return { keys: [...answers.keys()].sort(compareKeys), answers, ...(bound !== undefined ? { next: justAfter(bound) } : {}) };
}

const PART_FILE = 'part.1';

export function toObjectInfo(bucket: string, key: string, v: VersionRecord): ObjectInfo {
  return {
    bucket,
    key,
    versionId: v.versionId,
    size: v.size,
    etag: v.etag,
    modTime: new Date(v.modTime),
    deleteMarker: v.deleteMarker,
    headers: v.headers,
    checksums: v.checksums,
    ...(v.checksumType ? { checksumType: v.checksumType } : {}),
    parts: v.parts,
    multipart: v.multipart === true,
    ...(v.tags && v.tags.length > 0 ? { tags: v.tags } : {}),
    ...(v.retention ? { retention: v.retention } : {}),
    ...(v.legalHold !== undefined ? { legalHold: v.legalHold } : {}),
    ...(v.acl ? { acl: v.acl } : {}),
  };
}

/**
 * True when a drive that answered does not hold the quorum version as it should (as its current one,
 * or under its id): it has no copy, another version, the version only as the one a failed commit
 * replaced, or a damaged record. `find` looks a version up by id (versionIndex when many are).
 */
function needsHeal(quorum: QuorumVersion, answers: RecordAnswer[], versionId: string | undefined, find: FindVersion = (r, id) => copyOf(r, id)): boolean {
  return answers.some((answer, slot) => {
    if (answer instanceof Error) return isDamaged(answer);
    const own = answer && (versionId === undefined ? answer.versions[0] : find(answer, versionId));
    return !quorum.holders[slot] || quorum.copies[slot] !== own;
  });
}

/** A delete marker where a version was asked for: 404 for the current version, 405 for one named by id. */
function deleteMarkerError(marker: VersionRecord, named: boolean): ObjectLayerError {
  return new ObjectLayerError(named ? 'version-is-delete-marker' : 'no-such-key', { deleteMarker: { versionId: marker.versionId, modTime: new Date(marker.modTime) } });
}

/**
 * Gives a new version its place among the key's versions, from the records read under the object's
 * lock: a modification time after every version the drives show (nodes' clocks differ; versions of
 * a key then stay in the order they were made, which heal and listings keep, and which their ids'
 * times follow), and with versioning on, a new id.
 */
function placeVersion(version: VersionRecord, previous: RecordAnswer[], newId: boolean): void {
  let newest = 0;
  for (const answer of previous) {
    if (!answer || answer instanceof Error) continue;
    for (const v of answer.versions) newest = Math.max(newest, v.modTime);
  }
  version.modTime = Math.max(version.modTime, newest + 1);
  if (newId) version.versionId = newVersionId(version.modTime);
}

/** The most an object record may take (a drive's record travels whole in one node call of at most 4 MiB). */
const MAX_RECORD_BYTES = 3 * 1024 * 1024;
/** A delete marker may go over MAX_RECORD_BYTES by this much: a key at the limit can still be deleted. */
const MARKER_ALLOWANCE = 512 * 1024;

/** The same version with the same data, whatever its attributes and their revision. */
function sameData(a: VersionRecord, b: VersionRecord): boolean {
  return a.versionId === b.versionId && a.modTime === b.modTime && a.dataDir === b.dataDir && a.etag === b.etag && a.size === b.size && a.deleteMarker === b.deleteMarker;
}

/**
 * `version` with the strongest Object Lock any of `copies` carries: a retention still running over
 * one that passed, COMPLIANCE over GOVERNANCE, then the later; a legal hold if any has one.
 */
function strongestLock(version: VersionRecord, copies: VersionRecord[], now = Date.now()): VersionRecord {
  const strength = (r: VersionRecord['retention']): [number, number, number] => (r ? [r.until > now ? 1 : 0, r.mode === 'COMPLIANCE' ? 1 : 0, r.until] : [-1, 0, 0]);
  const stronger = (a: VersionRecord['retention'], b: VersionRecord['retention']): boolean => {
    const [x, y] = [strength(a), strength(b)];
    return x[0] !== y[0] ? x[0] > y[0] : x[1] !== y[1] ? x[1] > y[1] : x[2] > y[2];
  };
  let { retention, legalHold } = version;
  for (const copy of copies) {
    if (copy.legalHold) legalHold = true;
    if (stronger(copy.retention, retention)) retention = copy.retention;
  }
  return { ...version, ...(retention ? { retention } : {}), ...(legalHold !== undefined ? { legalHold } : {}) };
}

/** What a drive's commit came to: 'unknown' when the drive never answered (its commit may have happened). */
type DriveCommit = 'committed' | 'failed' | 'unknown';

/** A failure that is not the drive's answer (its answer was lost on the way), or one we cannot interpret. */
function isUnanswered(err: unknown): boolean {
  return !(err instanceof DriveError) || err.unanswered;
}

export class ErasureSet {
  readonly uploads: MultipartUploads;
  /** Healing support: set by the heal workers once they run. */
  healHooks: SetHealHooks = {};

  constructor(
    readonly drives: Drive[],
    readonly ctx: SetContext,
  ) {
    this.uploads = new MultipartUploads(this);
  }

  get defaultDataShards(): number {
    return this.drives.length - this.ctx.defaultParity;
  }

  onlineCount(): number {
    return this.drives.filter((d) => d.isOnline()).length;
  }

  /** True while enough drives are online to write with the default parity. */
  isWritable(): boolean {
    return this.onlineCount() >= writeQuorum(this.defaultDataShards, this.ctx.defaultParity);
  }

  readRecords(bucket: string, key: string): Promise<DriveAnswers<ObjectRecord | undefined>> {
    return askDrives(this.drives, (d) => d.readRecord(bucket, key));
  }

  /**
   * The quorum version of an object (the current one, or the one with `versionId`), with every
   * drive's answer; 'no-such-key', 'no-such-version', a delete marker's error or 'read-quorum'
   * otherwise. With `settledOnly`, undefined unless the drives show it settled (see QuorumOutcome):
   * what a reader without the object's lock may serve.
   */
  private async resolve(bucket: string, key: string, settledOnly: boolean, versionId: string | undefined): Promise<QuorumVersion | undefined> {
    const { answers } = await this.readRecords(bucket, key);
    const outcome = resolveVersion(answers, versionId, minimumWriteQuorum(this.drives.length));
    if (settledOnly && (outcome.kind === 'unreadable' || (outcome.kind === 'found' && !outcome.settled))) return undefined;
    if (outcome.kind === 'unreadable') throw new ObjectLayerError('read-quorum');
    if (outcome.kind === 'absent') throw new ObjectLayerError(versionId === undefined ? 'no-such-key' : 'no-such-version');
    if (needsHeal(outcome.quorum, answers, versionId)) this.healHooks.degradedRead?.(bucket, key, false);
    if (outcome.quorum.version.deleteMarker) throw deleteMarkerError(outcome.quorum.version, versionId !== undefined);
    return outcome.quorum;
  }

  /**
   * Runs `read` on the object's quorum version. Readers take no lock while the drives show the
   * version settled (the common case). When they show a commit that may be in flight (or a crashed
   * one), the reader takes the read lock and waits for it rather than guess; it does the same when
   * `read` fails for want of shards, which happens when a commit replaced the version and removed its
   * data between the records being read and the shard files being opened.
   */
  private async withVersion<T>(bucket: string, key: string, versionId: string | undefined, read: (quorum: QuorumVersion) => Promise<T>): Promise<T> {
    const settled = await this.resolve(bucket, key, true, versionId);
    if (settled) {
      try {
        return await read(settled);
      } catch (err) {
        if (!(err instanceof ObjectLayerError && err.kind === 'read-quorum')) throw err;
      }
    }
    const lease = await this.ctx.locks.lock(`${bucket}/${key}`, false);
    try {
      return await read((await this.resolve(bucket, key, false, versionId))!);
    } finally {
      lease.release();
    }
  }

  getObjectInfo(bucket: string, key: string, versionId?: string): Promise<ObjectInfo> {
    return this.withVersion(bucket, key, versionId, async (quorum) => toObjectInfo(bucket, key, quorum.version));
  }

  /**
   * The object's quorum version as a stream. The first block is read before answering, so an
   * unreadable object is a clean 503, not a cut connection. While the body streams the reader holds
   * no lock: the shard files it opened keep their data directory from being removed (DataDirPins)
   * if a commit replaces the version meanwhile.
   */
  getObject(bucket: string, key: string, options: ReadOptions = {}): Promise<ObjectReader> {
    return this.withVersion(bucket, key, options.versionId, async (quorum) => {
      const info = toObjectInfo(bucket, key, quorum.version);
      const range = options.range?.(info);
      const blocks = streamVersion(bucket, this.drives, quorum, range, (corrupt) => this.healHooks.degradedRead?.(bucket, key, corrupt));
      let first;
      try {
        first = await blocks.next();
      } catch (err) {
        await blocks.return(undefined);
        throw err;
      }
      const stream = Readable.from(first.done ? blocks : prepend(first.value, blocks), { objectMode: false });
      // A stream destroyed before it was read never ran `blocks`' cleanup (open shard files): run it now.
      stream.once('close', () => void blocks.return(undefined));
      return { info, range, stream };
    });
  }

  /** Writes a new version: the `null` one unless `versioning` is Enabled. */
  async putObject(bucket: string, key: string, body: PutBody, options: PutOptions, versioning?: Versioning): Promise<ObjectInfo> {
    const parity = options.parity ?? this.ctx.defaultParity;
    const dataShards = this.drives.length - parity;
    const quorum = writeQuorum(dataShards, parity);
    if (this.onlineCount() < quorum) throw new ObjectLayerError('write-quorum');

    const distribution = shardDistribution(key, this.drives.length);
    const stagingId = randomUUID();
    const blocks = readBlocks(body.stream, this.ctx.blockSize);
    const first = await blocks.next();
    const firstBlock = first.done ? Buffer.alloc(0) : first.value;
    // A versioned key keeps every version's inline shards in its one record, which every read of
    // the key reads: there only objects an eighth of the size are kept inline.
    const isInline = firstBlock.length <= (versioning === undefined ? this.ctx.inlineLimit : Math.floor(this.ctx.inlineLimit / 8));

    let inline: Buffer[] | undefined;
    let alive: boolean[];
    let size: number;
    if (isInline) {
      // A block shorter than blockSize is always the last one, so the whole body is in hand.
      const shards = firstBlock.length > 0 ? encodeBlock(firstBlock, dataShards, parity) : undefined;
      inline = distribution.map((index) => (shards ? Buffer.concat(frameShardBlock(shards[index - 1])) : Buffer.alloc(0)));
      alive = this.drives.map((d) => d.isOnline());
      size = firstBlock.length;
    } else {
      ({ alive, size } = await writeShardFiles(this.drives, stagingId, PART_FILE, prepend(firstBlock, blocks), {
        distribution,
        dataShards,
        parityShards: parity,
        quorum,
      }));
    }

    let sealed;
    try {
      sealed = body.seal();
    } catch (err) {
      await discardStaging(this.drives, stagingId);
      throw err;
    }

    const version = withAttributes<VersionRecord>({
      versionId: NULL_VERSION_ID,
      modTime: Date.now(),
      deleteMarker: false,
      size,
      etag: sealed.etag,
      dataDir: inline ? '' : randomUUID(),
      headers: options.headers,
      checksums: sealed.checksums,
      parts: [{ number: 1, size, etag: sealed.etag }],
      erasure: { dataShards, parityShards: parity, blockSize: this.ctx.blockSize, index: 0, distribution },
    }, options.attributes ?? {});
    try {
      await this.commitVersion(bucket, key, version, {
        alive,
        quorum,
        inline,
        precondition: options.precondition,
        newVersionId: versioning === 'Enabled',
        ...(inline ? {} : { data: { dataDir: version.dataDir, stagingId } }),
      });
    } finally {
      if (!inline) await discardStaging(this.drives, stagingId);
    }
    return toObjectInfo(bucket, key, version);
  }

  /**
   * Makes `version` the object's current version on every drive that received its data: place the
   * data (rename into the bucket), then replace the record (a version with the same id goes; the
   * others stay below it). Without a write quorum of commits, every drive that did commit is put back
   * as it was. The version's time and id are settled here, under the lock (see placeVersion).
   */
  async commitVersion(bucket: string, key: string, version: VersionRecord, plan: CommitPlan): Promise<void> {
    const lease = await this.ctx.locks.lock(`${bucket}/${key}`, true);
    try {
      const { answers: previous } = await this.readRecords(bucket, key);
      if (plan.precondition) {
        const current = resolveVersion(previous, undefined, minimumWriteQuorum(this.drives.length));
        if (current.kind === 'unreadable') throw new ObjectLayerError('write-quorum');
        const live = current.kind === 'found' && !current.quorum.version.deleteMarker ? current.quorum.version : undefined;
        plan.precondition(live && toObjectInfo(bucket, key, live));
      }
      placeVersion(version, previous, plan.newVersionId === true);
      // A version this commit replaces (the `null` one in place, or one a retried multipart completion
      // made on the same data) must be one anyone could delete.
      for (const answer of previous) {
        if (!answer || answer instanceof Error) continue;
        for (const v of answer.versions) if (v.versionId === version.versionId || (version.dataDir && v.dataDir === version.dataDir)) assertDeletable(v, false);
      }
      // A drive takes part when it received the data and its record was read (the one to restore).
      const attempted = previous.map((old, slot) => plan.alive[slot] && !(old instanceof Error));
      const notSentTo = attempted.flatMap((sent, slot) => (sent ? [] : [slot]));
      /**
       * A drive's record with the version on top: one with the same id goes (kept as `replaced`), and
       * so does one on the same data (a retried multipart completion whose first try got this far).
       */
      const recordFor = (slot: number): ObjectRecord => {
        const old = previous[slot] as ObjectRecord | undefined;
        const copy: VersionRecord = {
          ...version,
          erasure: { ...version.erasure, index: version.erasure.distribution[slot], ...(notSentTo.length > 0 ? { notSentTo } : {}) },
          ...(plan.inline ? { inline: plan.inline[slot] } : {}),
        };
        const others = old?.versions.filter((v) => v.versionId !== version.versionId && !(version.dataDir && v.dataDir === version.dataDir)) ?? [];
        const replaced = old?.versions.find((v) => v.versionId === version.versionId);
        const noncurrent = replaced !== undefined && old?.versions[0] !== replaced;
        return { versions: [copy, ...others], ...(replaced ? { replaced } : {}), ...(noncurrent ? { replacedWasNoncurrent: true } : {}) };
      };
      const largest = attempted.reduce<number | undefined>((best, sent, slot) => {
        if (!sent) return best;
        const count = (previous[slot] as ObjectRecord | undefined)?.versions.length ?? 0;
        return best === undefined || count > ((previous[best] as ObjectRecord | undefined)?.versions.length ?? 0) ? slot : best;
      }, undefined);
      if (largest !== undefined && encodeObjectRecord(recordFor(largest)).length > MAX_RECORD_BYTES + (version.deleteMarker ? MARKER_ALLOWANCE : 0)) {
        throw new ObjectLayerError('too-many-versions');
      }
      let full = 0;
      const commits = await askDrives(
        this.drives,
        async (drive, slot): Promise<DriveCommit> => {
          let sent = false;
          // Whatever made a drive's commit fail, a bug of ours too, it is undone below with the others.
          try {
            lease.check();
            sent = true;
            await drive.commitVersion(bucket, key, recordFor(slot), lease.fence, plan.data);
            await failpoint('erasure-set.commit.recorded');
            return 'committed';
          } catch (err) {
            if (isDriveFull(err)) full++;
            return sent && isUnanswered(err) ? 'unknown' : 'failed';
          }
        },
        { only: attempted },
      );
      const outcomes = await this.settleUnanswered(bucket, key, version, commits.answers, plan.quorum, lease.fence);
      const committed = outcomes.map((outcome) => outcome === 'committed');
      if (committed.filter(Boolean).length < plan.quorum) {
        await failpoint('erasure-set.commit.missed-quorum');
        // A drive still unheard from may have committed: if with it the version may have reached its
        // write quorum, a reader without the lock may already have served it, so it must stand. The
        // client is told 503 (the outcome is unknown to it) and heal completes the version.
        if (outcomes.filter((outcome) => outcome === 'committed' || outcome === 'unknown').length >= plan.quorum) {
          this.healHooks.partialWrite?.(bucket, key);
          throw new ObjectLayerError('write-quorum');
        }
        await this.restore(bucket, key, lease.fence, previous, committed, attempted, plan.data);
        throw missedWriteQuorum(committed.filter(Boolean).length, full, plan.quorum);
      }
      await this.removeReplacedData(bucket, previous, version.versionId, version.dataDir);
      if (committed.some((ok) => !ok)) this.healHooks.partialWrite?.(bucket, key);
    } finally {
      lease.release();
    }
  }

  /**
   * The drives whose commit answer was lost are asked to settle it (Drive.settleCommit): each says
   * whether the commit happened there, and if not, bars it from landing later. Drives that do not
   * answer now either stay unknown.
   */
  private async settleUnanswered(bucket: string, key: string, version: VersionRecord, answers: (DriveCommit | Error)[], quorum: number, fence: number): Promise<(DriveCommit | 'not-asked')[]> {
    const outcomes = answers.map((a) => (a instanceof Error ? ('not-asked' as const) : a));
    const unknown = outcomes.map((o) => o === 'unknown');
    if (!unknown.some(Boolean) || outcomes.filter((o) => o === 'committed').length >= quorum) return outcomes;
    const signature = versionSignature(version);
    const settled = await askDrives(this.drives, (d) => d.settleCommit(bucket, key, signature, fence), { only: unknown });
    return outcomes.map((outcome, slot) => {
      const happened = settled.answers[slot];
      if (outcome !== 'unknown' || happened instanceof Error) return outcome;
      return happened ? 'committed' : 'failed';
    });
  }

  /**
   * Undoes a commit that missed quorum: the previous record where the new one was written, the data
   * wherever it may have been moved (a multipart upload gets its acknowledged parts back; moving
   * back what never moved changes nothing). With the commit's fence: a newer lock holder's record
   * is never undone.
   */
  private async restore(bucket: string, key: string, fence: number, previous: RecordAnswer[], recorded: boolean[], attempted: boolean[], data?: VersionData): Promise<void> {
    await bestEffortOnDrives(
      this.drives,
      async (drive, slot) => {
        const old = previous[slot];
        let restored = true;
        if (recorded[slot] && !(old instanceof Error)) restored = await drive.writeRecord(bucket, key, old, fence).then(() => true, () => false);
        if (!data) return;
        // A multipart upload's parts are moved back even where the record could not be restored: they
        // were acknowledged. A PUT's data stays where its record still names it (heal decides).
        if (!restored && !('uploadId' in data)) return;
        // A retried completion whose first try committed here: the parts belong to that version now.
        if (!(old instanceof Error) && old?.versions.some((v) => v.dataDir === data.dataDir)) return;
        await ('uploadId' in data ? drive.restoreUploadData(data.uploadId, data.keep, bucket, data.dataDir) : drive.deleteDataDir(bucket, data.dataDir));
      },
      { only: attempted },
    );
  }

  /**
   * Deletes the data directories of the versions a commit replaced (each drive keeps one until its
   * last reader closes it); failures only leave garbage (the scanner removes orphans). `kept` is the
   * new version's own directory: a retried multipart completion commits the one it replaces.
   */
  private async removeReplacedData(bucket: string, previous: RecordAnswer[], versionId: string, kept = ''): Promise<void> {
    const byDataDir = new Map<string, Drive[]>();
    this.drives.forEach((drive, slot) => {
      const old = previous[slot];
      if (!old || old instanceof Error) return;
      const replaced = old.versions.find((v) => v.versionId === versionId);
      if (replaced?.dataDir && replaced.dataDir !== kept) byDataDir.set(replaced.dataDir, [...(byDataDir.get(replaced.dataDir) ?? []), drive]);
    });
    await Promise.all([...byDataDir].map(([dataDir, drives]) => bestEffortOnDrives(drives, (drive) => drive.deleteDataDir(bucket, dataDir))));
  }

  /**
   * DELETE without a version id: with versioning on (Enabled or Suspended) a delete marker becomes
   * the current version (a suspended bucket's is the `null` version, replacing any other); with it
   * off, the `null` version goes.
   */
  async deleteObject(bucket: string, key: string, versioning?: Versioning, { expectedModTime, stillDueVersion }: DeleteOptions = {}): Promise<DeleteOutcome> {
    if (versioning === undefined) return this.deleteVersion(bucket, key, NULL_VERSION_ID, { expectedModTime, stillDueVersion }).then(() => ({ deleteMarker: false }));
    const dataShards = this.defaultDataShards;
    const parityShards = this.ctx.defaultParity;
    const marker: VersionRecord = {
      versionId: NULL_VERSION_ID,
      modTime: Date.now(),
      deleteMarker: true,
      size: 0,
      etag: '',
      dataDir: '',
      headers: {},
      checksums: {},
      parts: [],
      erasure: { dataShards, parityShards, blockSize: this.ctx.blockSize, index: 0, distribution: shardDistribution(key, this.drives.length) },
    };
    await this.commitVersion(bucket, key, marker, {
      alive: this.drives.map((d) => d.isOnline()),
      quorum: writeQuorum(dataShards, parityShards),
      newVersionId: versioning === 'Enabled',
      ...(expectedModTime !== undefined || stillDueVersion
        ? {
            precondition: (current) => {
              const changed = !current || (expectedModTime !== undefined && current.modTime.getTime() !== expectedModTime);
              if (changed || (stillDueVersion && !stillDueVersion(current))) throw new ObjectLayerError('precondition-failed');
            },
          }
        : {}),
    });
    return { versionId: marker.versionId, deleteMarker: true };
  }

  /**
   * Removes the version `versionId` (a delete marker too) for good, on every drive that holds it;
   * the next one becomes current where it was. What was removed is answered (nothing when no drive
   * held it: a delete is idempotent).
   */
  async deleteVersion(bucket: string, key: string, versionId: string, { bypassGovernance = false, expectedModTime, stillDue, stillDueVersion }: DeleteOptions = {}): Promise<DeleteOutcome> {
    const lease = await this.ctx.locks.lock(`${bucket}/${key}`, true);
    try {
      const records = await this.readRecords(bucket, key);
      const previous = records.answers;
      const quorum = writeQuorum(this.defaultDataShards, this.ctx.defaultParity);
      if (!records.reached(quorum)) throw new ObjectLayerError('write-quorum');
      // Object Lock: every copy any drive holds is checked, committed or not; a drive that did not
      // answer may hold one the others lack, but its copy is not deleted either.
      for (const answer of previous) {
        const copy = copyOf(answer, versionId);
        if (copy) assertDeletable(copy, bypassGovernance);
      }
      const outcome = resolveVersion(previous, versionId, minimumWriteQuorum(this.drives.length));
      if (expectedModTime !== undefined && (outcome.kind !== 'found' || outcome.quorum.version.modTime !== expectedModTime)) throw new ObjectLayerError('precondition-failed');
      if (stillDueVersion && (outcome.kind !== 'found' || !stillDueVersion(toObjectInfo(bucket, key, outcome.quorum.version)))) throw new ObjectLayerError('precondition-failed');
      if (stillDue) {
        const { versions } = this.keyVersions(bucket, key, previous);
        const index = versions.findIndex((v) => v.versionId === versionId);
        if (index < 0 || !stillDue(versions, index)) throw new ObjectLayerError('precondition-failed');
      }
      const removed: DeleteOutcome = { versionId, deleteMarker: outcome.kind === 'found' && outcome.quorum.version.deleteMarker };
      const holding = previous.map((old) => copyOf(old, versionId) !== undefined);
      if (!holding.some(Boolean)) return removed;
      lease.check();
      const written = await askDrives(
        this.drives,
        async (drive, slot) => {
          const old = previous[slot] as ObjectRecord;
          await drive.writeRecord(bucket, key, { versions: old.versions.filter((v) => v.versionId !== versionId) }, lease.fence);
        },
        { only: holding },
      );
      // Drives that hold nothing of it count as done.
      if (written.count(() => true) + records.answered - holding.filter(Boolean).length < quorum) throw new ObjectLayerError('write-quorum');
      await this.removeReplacedData(bucket, previous, versionId);
      if (records.answered < this.drives.length || written.failed > 0) this.healHooks.partialWrite?.(bucket, key);
      return removed;
    } finally {
      lease.release();
    }
  }

  /** The version of `key` whose data is `dataDir`, when a write quorum of drives holds it committed. */
  committedVersionWithData(bucket: string, key: string, dataDir: string): Promise<ObjectInfo | undefined> {
    return this.committedVersionWhere(bucket, key, (v) => v.dataDir === dataDir);
  }

  /**
   * A version of `key` that passes `test`, when enough drives hold it: a write quorum (`proof`
   * 'write': while what made it could still commit it again), or a read quorum (`proof` 'read': what
   * made it is gone, so a readable version is a committed one). With 'read', a version seen on
   * drives too few to read it is a read-quorum error, never one said not to be there.
   */
  async committedVersionWhere(bucket: string, key: string, test: (version: VersionRecord) => boolean, proof: 'write' | 'read' = 'write'): Promise<ObjectInfo | undefined> {
    const { answers } = await this.readRecords(bucket, key);
    const ids = new Set(answers.flatMap((a) => (a && !(a instanceof Error) ? a.versions.filter(test).map((v) => v.versionId) : [])));
    let unknown = false;
    for (const id of ids) {
      const outcome = resolveVersion(answers, id, minimumWriteQuorum(this.drives.length));
      if (outcome.kind === 'unreadable') unknown = true;
      if (outcome.kind !== 'found' || !test(outcome.quorum.version)) continue;
      const { version, holders } = outcome.quorum;
      if (proof === 'read' || holders.filter(Boolean).length >= writeQuorum(version.erasure.dataShards, version.erasure.parityShards)) return toObjectInfo(bucket, key, version);
    }
    if (proof === 'read' && unknown) throw new ObjectLayerError('read-quorum');
    return undefined;
  }

  /**
   * Changes a version's attributes in place (tags, retention, legal hold), under the object's lock: each drive holding
   * the version gets its own copy with the change and the next revision, in the version's place
   * among the others, the old copy kept as `replaced` (a reader falls back to it should the change
   * miss its write quorum, which is then undone where it was made).
   */
  async updateVersion(bucket: string, key: string, versionId: string | undefined, change: (current: ObjectInfo) => VersionAttributes): Promise<ObjectInfo> {
    const lease = await this.ctx.locks.lock(`${bucket}/${key}`, true);
    try {
      const { answers: previous } = await this.readRecords(bucket, key);
      const outcome = resolveVersion(previous, versionId, minimumWriteQuorum(this.drives.length));
      if (outcome.kind === 'unreadable') throw new ObjectLayerError('read-quorum');
      if (outcome.kind === 'absent') throw new ObjectLayerError(versionId === undefined ? 'no-such-key' : 'no-such-version');
      const target = outcome.quorum.version;
      if (target.deleteMarker) throw deleteMarkerError(target, versionId !== undefined);
      // Every copy any drive holds of the version, the quorum's or not (a change cut short): the new
      // revision is numbered above all of them, and the change is judged against the strongest lock
      // any of them carries.
      const held = previous.map((answer) => copyOf(answer, target.versionId)).filter((copy) => copy !== undefined);
      const attributes = change(toObjectInfo(bucket, key, strongestLock(target, held)));
      const revision = Math.max(...held.map((v) => v.revision ?? 0), target.revision ?? 0) + 1;
      const updated = { ...withAttributes(target, attributes), revision };
      // Every drive whose record holds the version's data (its copy with the quorum's attributes, or a
      // copy a change cut short left with others): each gets the change, in the version's place.
      const final: VersionAttributes = { tags: updated.tags, retention: updated.retention, legalHold: updated.legalHold, acl: updated.acl };
      const owned = previous.map((old) => (old && !(old instanceof Error) ? old.versions.find((v) => sameData(v, target)) : undefined));
      const holding = owned.map((own) => own !== undefined);
      const quorum = writeQuorum(target.erasure.dataShards, target.erasure.parityShards);
      if (holding.filter(Boolean).length < quorum) throw new ObjectLayerError('write-quorum');
      lease.check();
      const written = await askDrives(
        this.drives,
        async (drive, slot) => {
          const old = previous[slot] as ObjectRecord;
          const own = owned[slot]!;
          const copy: VersionRecord = { ...withAttributes(own, final), revision };
          const versions = old.versions.map((v) => (v === own ? copy : v));
          await drive.writeRecord(bucket, key, { versions, replaced: own, ...(old.versions[0] !== own ? { replacedWasNoncurrent: true } : {}) }, lease.fence);
        },
        { only: holding },
      );
      const recorded = written.answers.map((answer, slot) => holding[slot] && !(answer instanceof Error));
      if (recorded.filter(Boolean).length < quorum) {
        await this.restore(bucket, key, lease.fence, previous, holding, holding);
        throw new ObjectLayerError('write-quorum');
      }
      if (recorded.filter(Boolean).length < this.drives.length) this.healHooks.partialWrite?.(bucket, key);
      return toObjectInfo(bucket, key, updated);
    } finally {
      lease.release();
    }
  }

  /**
   * A listed key whose drives do not agree on a settled version, resolved from every drive's whole
   * record as a read would. The documented choice for a key that cannot be decided now (too few
   * drives answer to tell whether its newest version was committed): the listing answers 503, as
   * GET does, rather than leave out what may exist or show what may be stale. What the answering
   * drives prove was never committed is left out. Either way heal looks at the key.
   */
  private async listingVersion(bucket: string, key: string): Promise<ListingSummary | undefined> {
    const { answers } = await this.readRecords(bucket, key);
    const outcome = resolveVersion(answers, undefined, minimumWriteQuorum(this.drives.length));
    if (outcome.kind === 'unreadable') {
      this.healHooks.degradedRead?.(bucket, key, false);
      throw new ObjectLayerError('read-quorum');
    }
    if (outcome.kind !== 'found' || needsHeal(outcome.quorum, answers, undefined)) this.healHooks.degradedRead?.(bucket, key, false);
    return outcome.kind === 'found' ? summarize(outcome.quorum.version) : undefined;
  }

  /**
   * The drives a listing asks first: as few as can show every committed version settled, preferring
   * drives that are online and on this node (no RPC). A version that reached write quorum is on at
   * least minimumWriteQuorum drives, so any `drives - minimumWriteQuorum + 1` of them include one that
   * shows it (and show any newer version of a key beside an older one, a disagreement); and a
   * version is taken as settled only when its own write quorum shows it, so no fewer than the
   * default write quorum are asked.
   */
  private listingDrives(): boolean[] {
    const wanted = Math.max(writeQuorum(this.defaultDataShards, this.ctx.defaultParity), this.drives.length - minimumWriteQuorum(this.drives.length) + 1);
    const rank = (d: Drive): number => (d.isOnline() ? 0 : 2) + (d.isLocal ? 0 : 1);
    const order = this.drives.map((_, slot) => slot).sort((a, b) => rank(this.drives[a]) - rank(this.drives[b]));
    const chosen = this.drives.map(() => false);
    for (const slot of order.slice(0, wanted)) chosen[slot] = true;
    return chosen;
  }

  /**
   * Up to about `limit` live objects with keys >= `from` under `prefix`, each resolved to its quorum
   * version, in key order; `next` is where to continue, undefined once the set is exhausted. Pages
   * come from listingDrives first; only when one of them fails or a key on the page is not shown
   * settled by them are the other drives asked for the same page too.
   */
  async listPage(bucket: string, prefix: string, from: Buffer | undefined, limit: number): Promise<{ entries: ListedVersion[]; next?: Buffer }> {
    // A set of one drive has no second copy of a summary to compare, so its drive checks each one.
    const verify = this.drives.length === 1;
    const copies = verify ? 1 : 2;
    const listFrom = (only: boolean[]): Promise<DriveAnswers<RecordEntry[]>> => askDrives(this.drives, (d) => d.listRecords(bucket, { prefix, from, limit, verify }), { only });
    const first = this.listingDrives();
    let pages = (await listFrom(first)).answers;
    let page = collatePages(pages, limit);
    const settled = page.keys.map((key) => settledSummary(page.answers.get(key)!, copies));
    if (pages.some((p) => p instanceof Error && !(p instanceof NotAsked)) || settled.some((s) => s === undefined)) {
      const rest = await listFrom(first.map((asked) => !asked));
      pages = pages.map((p, slot) => (first[slot] ? p : rest.answers[slot]));
      page = collatePages(pages, limit);
    } else {
      return { entries: page.keys.flatMap((key, i) => (settled[i]!.deleteMarker ? [] : [{ key, summary: settled[i]! }])), next: page.next };
    }
    new DriveAnswers(pages).requireQuorum(readQuorum(this.defaultDataShards), () => new ObjectLayerError('read-quorum'));
    const entries: ListedVersion[] = [];
    for (const key of page.keys) {
      const summary = settledSummary(page.answers.get(key)!, copies) ?? (await this.listingVersion(bucket, key));
      if (summary && !summary.deleteMarker) entries.push({ key, summary });
    }
    return { entries, next: page.next };
  }

  /**
   * Keys >= `from` under `prefix`, up to `limit` of them or until they hold about `versionBudget`
   * versions, each with every version the drives show committed (resolved as a read by id would),
   * newest first. Every drive is asked for its whole records (less inline data): a version can only
   * be judged from all the copies there are.
   */
  async listVersionsPage(bucket: string, prefix: string, from: Buffer | undefined, limit: number, versionBudget: number): Promise<{ entries: ListedKeyVersions[]; next?: Buffer }> {
    const listed = await askDrives(this.drives, (d) => d.listRecords(bucket, { prefix, from, limit, versions: true, versionBudget }));
    listed.requireQuorum(readQuorum(this.defaultDataShards), () => new ObjectLayerError('read-quorum'));
    const versionsOn = (page: RecordEntry[]): number => page.reduce((n, entry) => n + (entry.record?.versions.length ?? 1), 0);
    const page = collatePages(listed.answers, limit, (entries) => entries.length >= limit || versionsOn(entries) >= versionBudget);
    const entries: ListedKeyVersions[] = [];
    for (const key of page.keys) {
      const answers: RecordAnswer[] = page.answers.get(key)!.map((entry) =>
        entry instanceof Error ? entry : entry && !entry.record ? new DriveError('damaged', `the record of ${bucket}/${key} fails its checksum`) : entry?.record,
      );
      const versions = this.keyVersions(bucket, key, answers);
      if (versions.versions.length > 0) entries.push(versions);
    }
    return { entries, next: page.next };
  }

  /** Every version of a key the drives' records show committed, newest first; 503 when one cannot be decided. */
  private keyVersions(bucket: string, key: string, answers: RecordAnswer[]): ListedKeyVersions {
    const minimum = minimumWriteQuorum(this.drives.length);
    const find = versionIndex();
    const ids = new Set<string>();
    for (const answer of answers) if (answer && !(answer instanceof Error)) for (const v of answer.versions) ids.add(v.versionId);
    const versions: ListingSummary[] = [];
    // A damaged record may be the only trace of the key: heal looks at it even with no version to list.
    let degraded = answers.some((answer) => answer instanceof Error && isDamaged(answer));
    for (const id of ids) {
      const outcome = resolveVersion(answers, id, minimum, find);
      if (outcome.kind === 'unreadable') {
        this.healHooks.degradedRead?.(bucket, key, false);
        throw new ObjectLayerError('read-quorum');
      }
      if (outcome.kind === 'found') versions.push(summarize(outcome.quorum.version));
      degraded ||= outcome.kind !== 'found' || needsHeal(outcome.quorum, answers, id, find);
    }
    if (degraded) this.healHooks.degradedRead?.(bucket, key, false);
    versions.sort((a, b) => b.modTime - a.modTime);
    const current = resolveVersion(answers, undefined, minimum);
    return { key, versions, ...(current.kind === 'found' ? { latest: current.quorum.version.versionId } : {}) };
  }
}
