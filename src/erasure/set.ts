/**
 * One erasure set: N drives that together hold every shard of the objects placed on the set.
 * PUT streams blocks through the encoder to one staged shard file per drive, then commits under the
 * object's write lock; GET resolves the quorum version and streams verified, decoded blocks.
 */
import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { frameShardBlock } from '../codec/bitrot.js';
import { S3Error } from '../errors.js';
import type { NamespaceLock } from '../lock/namespace-lock.js';
import type { ObjectRecord, VersionRecord } from '../meta/record.js';
import type { ByteRange, ObjectInfo, ObjectReader, PutBody, PutOptions } from '../object/types.js';
import type { Drive, ShardWriter } from '../storage/drive.js';
import { readBlocks } from './blocks.js';
import { encodeBlock } from './coder.js';
import { streamVersion } from './decode.js';
import { shardDistribution } from './placement.js';
import { readQuorum, resolveVersion, writeQuorum, type QuorumVersion, type RecordAnswer } from './quorum.js';

export interface SetContext {
  blockSize: number;
  /** Objects up to this size keep their shards inside the metadata records. */
  inlineLimit: number;
  defaultParity: number;
  locks: NamespaceLock;
}

export interface ListedVersion {
  key: string;
  version: VersionRecord;
}

export const NULL_VERSION = 'null';
const PART_FILE = 'part.1';

function settle<T>(promise: Promise<T>): Promise<T | Error> {
  return promise.catch((err: unknown) => (err instanceof Error ? err : new Error(String(err))));
}

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
    partCount: v.parts.length,
  };
}

function compareKeys(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

export class ErasureSet {
  constructor(
    readonly drives: Drive[],
    private readonly ctx: SetContext,
  ) {}

  private get defaultDataShards(): number {
    return this.drives.length - this.ctx.defaultParity;
  }

  onlineCount(): number {
    return this.drives.filter((d) => d.isOnline()).length;
  }

  /** True while enough drives are online to write with the default parity. */
  isWritable(): boolean {
    return this.onlineCount() >= writeQuorum(this.defaultDataShards, this.ctx.defaultParity);
  }

  private readRecords(bucket: string, key: string): Promise<RecordAnswer[]> {
    return Promise.all(this.drives.map((d) => settle(d.readRecord(bucket, key))));
  }

  /** The quorum version of an object, with every drive's answer; NoSuchKey or SlowDownRead otherwise. */
  private async resolve(bucket: string, key: string): Promise<{ quorum: QuorumVersion; answers: RecordAnswer[] }> {
    const answers = await this.readRecords(bucket, key);
    const outcome = resolveVersion(answers, undefined, readQuorum(this.defaultDataShards));
    if (outcome.kind === 'unreadable') throw new S3Error('SlowDownRead');
    if (outcome.kind === 'absent' || outcome.quorum.version.deleteMarker) throw new S3Error('NoSuchKey');
    return { quorum: outcome.quorum, answers };
  }

  async getObjectInfo(bucket: string, key: string): Promise<ObjectInfo> {
    const release = await this.ctx.locks.lock(`${bucket}/${key}`, false);
    try {
      const { quorum } = await this.resolve(bucket, key);
      return toObjectInfo(bucket, key, quorum.version);
    } finally {
      release();
    }
  }

  async getObject(
    bucket: string,
    key: string,
    resolveRange?: (info: ObjectInfo) => ByteRange | undefined,
  ): Promise<ObjectReader> {
    const release = await this.ctx.locks.lock(`${bucket}/${key}`, false);
    try {
      const { quorum, answers } = await this.resolve(bucket, key);
      const info = toObjectInfo(bucket, key, quorum.version);
      const range = resolveRange?.(info);
      const stream = Readable.from(streamVersion(bucket, this.drives, quorum, answers, range), { objectMode: false });
      stream.once('close', release);
      return { info, range, stream };
    } catch (err) {
      release();
      throw err;
    }
  }

  async putObject(bucket: string, key: string, body: PutBody, options: PutOptions): Promise<ObjectInfo> {
    const parity = options.parity ?? this.ctx.defaultParity;
    const dataShards = this.drives.length - parity;
    const quorum = writeQuorum(dataShards, parity);
    if (this.onlineCount() < quorum) throw new S3Error('SlowDownWrite');

    const distribution = shardDistribution(key, this.drives.length);
    const stagingId = randomUUID();
    const blocks = readBlocks(body.stream, this.ctx.blockSize);
    const first = await blocks.next();
    const firstBlock = first.done ? Buffer.alloc(0) : first.value;
    const isInline = firstBlock.length <= this.ctx.inlineLimit;

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
      ({ alive, size } = await this.writeShards(stagingId, [firstBlock], blocks, distribution, dataShards, parity, quorum));
    }

    let sealed;
    try {
      sealed = body.seal();
    } catch (err) {
      await this.discardStaging(stagingId);
      throw err;
    }

    const version: VersionRecord = {
      versionId: NULL_VERSION,
      modTime: Date.now(),
      deleteMarker: false,
      size,
      etag: sealed.etag,
      dataDir: inline ? '' : randomUUID(),
      headers: options.headers,
      checksums: sealed.checksums,
      parts: [{ number: 1, size, etag: sealed.etag }],
      erasure: { dataShards, parityShards: parity, blockSize: this.ctx.blockSize, index: 0, distribution },
    };
    await this.commitVersion(bucket, key, version, stagingId, alive, inline, quorum);
    return toObjectInfo(bucket, key, version);
  }

  /** Streams all blocks to one staged shard file per drive; returns which drives kept up. */
  private async writeShards(
    stagingId: string,
    head: Buffer[],
    rest: AsyncIterable<Buffer>,
    distribution: number[],
    dataShards: number,
    parity: number,
    quorum: number,
  ): Promise<{ alive: boolean[]; size: number }> {
    const writers: (ShardWriter | undefined)[] = await Promise.all(
      this.drives.map(async (d) => (d.isOnline() ? d.createShardWriter(stagingId, PART_FILE).catch(() => undefined) : undefined)),
    );
    const drop = (slot: number): void => {
      void writers[slot]?.abort().catch(() => undefined);
      writers[slot] = undefined;
    };
    const requireQuorum = (): void => {
      if (writers.filter(Boolean).length < quorum) throw new S3Error('SlowDownWrite');
    };
    let size = 0;
    let pending: Promise<void> = Promise.resolve();
    const writeShardsOf = async (shards: Buffer[]): Promise<void> => {
      requireQuorum();
      await Promise.all(
        writers.map((w, slot) => w?.write(frameShardBlock(shards[distribution[slot] - 1])).catch(() => drop(slot))),
      );
    };
    const queueBlock = async (block: Buffer): Promise<void> => {
      // Encode this block while the previous one is still being written, then wait for that write.
      const shards = encodeBlock(block, dataShards, parity);
      size += block.length;
      await pending;
      pending = writeShardsOf(shards);
    };
    try {
      requireQuorum();
      for (const block of head) await queueBlock(block);
      for await (const block of rest) await queueBlock(block);
      await pending;
      await Promise.all(writers.map((w, slot) => w?.finish().catch(() => drop(slot))));
      requireQuorum();
    } catch (err) {
      await pending.catch(() => undefined);
      writers.forEach((_, slot) => drop(slot));
      await this.discardStaging(stagingId);
      throw err;
    }
    return { alive: writers.map(Boolean), size };
  }

  private async discardStaging(stagingId: string): Promise<void> {
    await Promise.all(this.drives.map((d) => d.discardStaged(stagingId).catch(() => undefined)));
  }

  /**
   * Makes `version` the object's current version on every drive that received its shards: move the
   * staged data into place, then replace the record. Without a write quorum of commits, every drive
   * that did commit is put back as it was.
   */
  private async commitVersion(
    bucket: string,
    key: string,
    version: VersionRecord,
    stagingId: string,
    alive: boolean[],
    inline: Buffer[] | undefined,
    quorum: number,
  ): Promise<void> {
    const release = await this.ctx.locks.lock(`${bucket}/${key}`, true);
    try {
      const previous = await this.readRecords(bucket, key);
      const committed = await Promise.all(
        this.drives.map(async (drive, slot) => {
          const old = previous[slot];
          if (!alive[slot] || old instanceof Error) return false;
          const copy: VersionRecord = {
            ...version,
            erasure: { ...version.erasure, index: version.erasure.distribution[slot] },
            ...(inline ? { inline: inline[slot] } : {}),
          };
          const others = old?.versions.filter((v) => v.versionId !== version.versionId) ?? [];
          try {
            if (!inline) await drive.commitStaged(stagingId, bucket, version.dataDir);
            await drive.writeRecord(bucket, key, { versions: [copy, ...others] });
            return true;
          } catch {
            return false;
          }
        }),
      );
      if (committed.filter(Boolean).length < quorum) {
        await this.restore(bucket, key, previous, committed, version.dataDir);
        throw new S3Error('SlowDownWrite');
      }
      await this.removeReplacedData(bucket, previous, version.versionId);
    } finally {
      release();
      await this.discardStaging(stagingId);
    }
  }

  /** Puts back the previous records (and removes new data) on the drives marked in `which`. */
  private async restore(bucket: string, key: string, previous: RecordAnswer[], which: boolean[], newDataDir: string): Promise<void> {
    await Promise.all(
      this.drives.map(async (drive, slot) => {
        const old = previous[slot];
        if (!which[slot] || old instanceof Error) return;
        await drive.writeRecord(bucket, key, old).catch(() => undefined);
        if (newDataDir) await drive.deleteDataDir(bucket, newDataDir).catch(() => undefined);
      }),
    );
  }

  /** Deletes the data directories of the versions a commit replaced; failures only leave garbage. */
  private async removeReplacedData(bucket: string, previous: RecordAnswer[], versionId: string): Promise<void> {
    await Promise.all(
      this.drives.map(async (drive, slot) => {
        const old = previous[slot];
        if (!old || old instanceof Error) return;
        const replaced = old.versions.find((v) => v.versionId === versionId);
        if (replaced?.dataDir) await drive.deleteDataDir(bucket, replaced.dataDir).catch(() => undefined);
      }),
    );
  }

  async deleteObject(bucket: string, key: string): Promise<void> {
    const release = await this.ctx.locks.lock(`${bucket}/${key}`, true);
    try {
      const previous = await this.readRecords(bucket, key);
      const quorum = writeQuorum(this.defaultDataShards, this.ctx.defaultParity);
      if (previous.filter((a) => !(a instanceof Error)).length < quorum) throw new S3Error('SlowDownWrite');
      const removed = await Promise.all(
        this.drives.map(async (drive, slot) => {
          const old = previous[slot];
          if (old instanceof Error) return false;
          if (!old) return true;
          const record: ObjectRecord = { versions: old.versions.filter((v) => v.versionId !== NULL_VERSION) };
          return drive.writeRecord(bucket, key, record).then(
            () => true,
            () => false,
          );
        }),
      );
      if (removed.filter(Boolean).length < quorum) throw new S3Error('SlowDownWrite');
      await this.removeReplacedData(bucket, previous, NULL_VERSION);
    } finally {
      release();
    }
  }

  /**
   * Up to about `limit` live objects with keys >= `from` under `prefix`, each resolved to its quorum
   * version, in key order; `next` is where to continue, undefined once the set is exhausted.
   */
  async listPage(bucket: string, prefix: string, from: Buffer | undefined, limit: number): Promise<{ entries: ListedVersion[]; next?: Buffer }> {
    const pages = await Promise.all(this.drives.map((d) => settle(d.listRecords(bucket, { prefix, from, limit }))));
    const failed = pages.filter((p) => p instanceof Error).length;
    if (this.drives.length - failed < readQuorum(this.defaultDataShards)) throw new S3Error('SlowDownRead');

    // Only keys up to the smallest last key of a full page are known to every drive's answer.
    let bound: string | undefined;
    for (const page of pages) {
      if (page instanceof Error || page.length < limit) continue;
      const last = page[page.length - 1].key;
      if (bound === undefined || compareKeys(last, bound) < 0) bound = last;
    }
    const byKey = new Map<string, RecordAnswer[]>();
    pages.forEach((page, slot) => {
      if (page instanceof Error) return;
      for (const { key, record } of page) {
        if (bound !== undefined && compareKeys(key, bound) > 0) break;
        let answers = byKey.get(key);
        if (!answers) {
          answers = pages.map((p) => (p instanceof Error ? p : undefined));
          byKey.set(key, answers);
        }
        answers[slot] = record;
      }
    });
    const entries: ListedVersion[] = [];
    for (const key of [...byKey.keys()].sort(compareKeys)) {
      const outcome = resolveVersion(byKey.get(key)!, undefined, readQuorum(this.defaultDataShards));
      if (outcome.kind === 'found' && !outcome.quorum.version.deleteMarker) {
        entries.push({ key, version: outcome.quorum.version });
      }
    }
    const next = bound === undefined ? undefined : Buffer.concat([Buffer.from(bound), Buffer.of(0)]);
    return { entries, next };
  }
}
