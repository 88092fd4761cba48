/**
 * Multipart uploads on one erasure set. Every drive keeps the upload's record and one record per
 * part; part shard files are staged, then moved into the drive's multipart area. Completion moves
 * the chosen part files into the bucket as the new version's data directory and commits the version
 * like any PUT. Parts are coded with the upload's own geometry, fixed at creation.
 */
import { createHash, randomUUID } from 'node:crypto';
import { ObjectLayerError, isObjectLayerError } from '../object/errors.js';
import { failpoint } from '../failpoints.js';
import { withAttributes, type UploadPartRecord, type UploadRecord, type VersionRecord } from '../meta/record.js';
import type { CompleteOptions, NewUploadOptions, ObjectInfo, PartInfo, PutBody, UploadInfo, Versioning } from '../object/types.js';
import type { UploadEntry } from '../storage/drive.js';
import { readBlocks } from './blocks.js';
import { readQuorum, writeQuorum } from './quorum.js';
import { toObjectInfo, type ErasureSet } from './set.js';
import { NULL_VERSION_ID } from '../meta/version-id.js';
import { shardDistribution } from './placement.js';
import { discardStaging, writeShardFiles } from './write.js';
import { askDrives, bestEffortOnDrives } from './fan-out.js';

export { MAX_PART_NUMBER } from '../storage/names.js';
export const MIN_PART_SIZE = 5 * 1024 * 1024;
export const MAX_PART_SIZE = 5 * 1024 ** 3;

export interface CompletePart {
  number: number;
  etag: string;
}

export function toUploadInfo(bucket: string, u: UploadRecord): UploadInfo {
  return {
    bucket,
    key: u.key,
    uploadId: u.uploadId,
    initiated: new Date(u.initiated),
    headers: u.headers,
    ...(u.checksumAlgorithm ? { checksumAlgorithm: u.checksumAlgorithm } : {}),
    ...(u.checksumType ? { checksumType: u.checksumType } : {}),
  };
}

export function toPartInfo(p: UploadPartRecord): PartInfo {
  return { number: p.number, size: p.size, etag: p.etag, modTime: new Date(p.modTime), ...(p.checksums ? { checksums: p.checksums } : {}) };
}

function stripQuotes(etag: string): string {
  return etag.replace(/^"+|"+$/g, '');
}

/** The S3 multipart ETag: MD5 of the concatenated binary part MD5s, then `-N`. */
export function multipartEtag(partEtags: string[]): string {
  const md5 = createHash('md5');
  for (const etag of partEtags) md5.update(Buffer.from(etag, 'hex'));
  return `${md5.digest('hex')}-${partEtags.length}`;
}

export class MultipartUploads {
  constructor(private readonly set: ErasureSet) {}

  private get drives() {
    return this.set.drives;
  }

  async create(bucket: string, key: string, options: NewUploadOptions): Promise<UploadRecord> {
    const parity = options.parity ?? this.set.ctx.defaultParity;
    const dataShards = this.drives.length - parity;
    const quorum = writeQuorum(dataShards, parity);
    const record: UploadRecord = {
      uploadId: `${randomUUID()}${randomUUID()}`.replace(/-/g, ''),
      key,
      initiated: Date.now(),
      headers: options.headers,
      erasure: {
        dataShards,
        parityShards: parity,
        blockSize: this.set.ctx.blockSize,
        index: 0,
        distribution: shardDistribution(key, this.drives.length),
      },
      dataDir: randomUUID(),
      ...(options.checksumAlgorithm ? { checksumAlgorithm: options.checksumAlgorithm } : {}),
      ...(options.checksumType ? { checksumType: options.checksumType } : {}),
    };
    Object.assign(record, withAttributes({}, options.attributes ?? {}));
    const written = await askDrives(this.drives, (d) => d.writeUpload(bucket, record));
    if (!written.reached(quorum)) {
      await bestEffortOnDrives(this.drives, (d) => d.deleteUpload(bucket, key, record.uploadId));
      throw new ObjectLayerError('write-quorum');
    }
    return record;
  }

  /** The upload as a read quorum of drives records it, and which drives hold it. */
  async resolve(bucket: string, key: string, uploadId: string): Promise<{ upload: UploadRecord; holders: boolean[] }> {
    const read = await askDrives(this.drives, (d) => d.readUpload(bucket, key, uploadId));
    const holders = read.answers.map((a) => !!a && !(a instanceof Error));
    const found = read.values().find((a) => a !== undefined);
    const failed = read.failed;
    const needed = found ? readQuorum(found.erasure.dataShards) : readQuorum(this.set.defaultDataShards);
    const count = holders.filter(Boolean).length;
    if (found && count >= needed) return { upload: found, holders };
    if (count + failed >= needed && failed > 0) throw new ObjectLayerError('read-quorum');
    throw new ObjectLayerError('no-such-upload');
  }

  /** `source`: the part's body, or how to make it from the upload (whose checksum algorithm it may need). */
  async uploadPart(bucket: string, key: string, uploadId: string, partNumber: number, source: PutBody | ((upload: UploadRecord) => PutBody)): Promise<UploadPartRecord> {
    const lease = await this.set.ctx.locks.lock(`upload/${uploadId}`, false);
    try {
      const { upload, holders } = await this.resolve(bucket, key, uploadId);
      const body = typeof source === 'function' ? source(upload) : source;
      const { dataShards, parityShards, distribution } = upload.erasure;
      const quorum = writeQuorum(dataShards, parityShards);
      const stagingId = randomUUID();
      const file = `part.${partNumber}`;
      const { alive, size } = await writeShardFiles(this.drives, stagingId, file, readBlocks(body.stream, upload.erasure.blockSize), {
        distribution,
        dataShards,
        parityShards,
        quorum,
        eligible: holders,
      });
      try {
        if (size > MAX_PART_SIZE) throw new ObjectLayerError('entity-too-large');
        const sealed = body.seal();
        const part: UploadPartRecord = {
          number: partNumber,
          size,
          etag: sealed.etag,
          modTime: Date.now(),
          ...(Object.keys(sealed.checksums).length > 0 ? { checksums: sealed.checksums } : {}),
        };
        const committed = await askDrives(this.drives, (d) => d.commitPart(stagingId, uploadId, part), { only: alive });
        committed.requireQuorum(quorum, () => new ObjectLayerError('write-quorum'));
        return part;
      } finally {
        await discardStaging(this.drives, stagingId);
      }
    } finally {
      lease.release();
    }
  }

  /** Parts that a read quorum of the upload's drives agree on, by part number. */
  async listParts(bucket: string, key: string, uploadId: string): Promise<{ upload: UploadRecord; parts: UploadPartRecord[] }> {
    const { upload, holders } = await this.resolve(bucket, key, uploadId);
    return { upload, parts: await this.quorumParts(upload, holders) };
  }

  /** Every drive's own part list (NotAsked for drives without the upload). */
  private async partLists(upload: UploadRecord, holders: boolean[]): Promise<(UploadPartRecord[] | Error)[]> {
    return (await askDrives(this.drives, (d) => d.listParts(upload.uploadId), { only: holders })).answers;
  }

  private async quorumParts(upload: UploadRecord, holders: boolean[], known?: (UploadPartRecord[] | Error)[]): Promise<UploadPartRecord[]> {
    const lists = known ?? (await this.partLists(upload, holders));
    const votes = new Map<string, { part: UploadPartRecord; count: number }>();
    for (const list of lists) {
      if (list instanceof Error) continue;
      for (const part of list) {
        const id = `${part.number}|${part.etag}|${part.size}`;
        const vote = votes.get(id) ?? { part, count: 0 };
        vote.count++;
        votes.set(id, vote);
      }
    }
    const byNumber = new Map<number, UploadPartRecord>();
    for (const { part, count } of votes.values()) {
      if (count < readQuorum(upload.erasure.dataShards)) continue;
      const seen = byNumber.get(part.number);
      if (!seen || part.modTime > seen.modTime) byNumber.set(part.number, part);
    }
    return [...byNumber.values()].sort((a, b) => a.number - b.number);
  }

  /** Makes the upload's chosen parts a new version (a new id when `versioning` is Enabled, else the `null` one). */
  async complete(bucket: string, key: string, uploadId: string, chosen: CompletePart[], options: CompleteOptions, versioning?: Versioning): Promise<ObjectInfo> {
    const lease = await this.set.ctx.locks.lock(`upload/${uploadId}`, true);
    try {
      const resolved = await this.resolve(bucket, key, uploadId).catch((err: unknown) => {
        if (isObjectLayerError(err, 'no-such-upload')) return undefined;
        throw err;
      });
      if (!resolved) return await this.completedBefore(bucket, key, uploadId, chosen);
      const { upload, holders } = resolved;
      // A retry of a completion that committed (its answer lost before the upload was removed) is
      // answered with that version: completing again would put a second version on the same data.
      const done = await this.set.committedVersionWithData(bucket, key, upload.dataDir);
      if (done) {
        await bestEffortOnDrives(this.drives, (d) => d.deleteUpload(bucket, key, uploadId));
        return done;
      }
      const lists = await this.partLists(upload, holders);
      const available = new Map((await this.quorumParts(upload, holders, lists)).map((p) => [p.number, p]));
      if (chosen.length === 0) throw new ObjectLayerError('no-parts');
      const parts: UploadPartRecord[] = [];
      chosen.forEach((c, i) => {
        if (i > 0 && c.number <= chosen[i - 1].number) throw new ObjectLayerError('invalid-part-order');
        const part = available.get(c.number);
        if (!part || part.etag !== stripQuotes(c.etag)) throw new ObjectLayerError('invalid-part', { partNumber: c.number });
        parts.push(part);
      });
      parts.forEach((p, i) => {
        if (i < parts.length - 1 && p.size < MIN_PART_SIZE) {
          throw new ObjectLayerError('entity-too-small', { size: p.size, minSize: MIN_PART_SIZE, partNumber: p.number });
        }
      });
      const checksums = options.checksums(toUploadInfo(bucket, upload), parts.map(toPartInfo));
      const etag = multipartEtag(parts.map((p) => p.etag));
      const { dataShards, parityShards } = upload.erasure;
      const { tags, retention, legalHold, acl } = upload;
      const version: VersionRecord = {
        versionId: NULL_VERSION_ID,
        modTime: Date.now(),
        deleteMarker: false,
        size: parts.reduce((n, p) => n + p.size, 0),
        etag,
        dataDir: upload.dataDir,
        headers: upload.headers,
        checksums,
        ...(upload.checksumType && Object.keys(checksums).length > 0 ? { checksumType: upload.checksumType } : {}),
        multipart: true,
        uploadId,
        ...withAttributes({}, { tags, retention, legalHold, acl }),
        parts: parts.map((p) => ({ number: p.number, size: p.size, etag: p.etag, ...(p.checksums ? { checksums: p.checksums } : {}) })),
        erasure: upload.erasure,
      };
      const keep = parts.map((p) => p.number);
      // Only drives holding every chosen part as chosen (a drive that missed a re-upload of a part
      // has an older one, whose shards verify but belong to other bytes) may commit the version.
      const complete = holders.map((held, slot) => {
        const list = lists[slot];
        return held && !(list instanceof Error) && parts.every((p) => list.some((q) => q.number === p.number && q.etag === p.etag && q.size === p.size));
      });
      try {
        await this.set.commitVersion(bucket, key, version, {
          alive: complete,
          quorum: writeQuorum(dataShards, parityShards),
          precondition: options.precondition,
          newVersionId: versioning === 'Enabled',
          // The parts were acknowledged: a completion that fails gives them back to the upload, for a retry.
          data: { dataDir: upload.dataDir, uploadId, keep },
        });
      } catch (err) {
        // The first try's version, completed by heal since and put under Object Lock: it is the answer.
        const committed = isObjectLayerError(err, 'object-locked') ? await this.set.committedVersionWithData(bucket, key, upload.dataDir) : undefined;
        if (!committed) throw err;
        await bestEffortOnDrives(this.drives, (d) => d.deleteUpload(bucket, key, uploadId));
        return committed;
      }
      await failpoint('multipart.complete.committed');
      await bestEffortOnDrives(this.drives, (d) => d.deleteUpload(bucket, key, uploadId));
      return toObjectInfo(bucket, key, version);
    } finally {
      lease.release();
    }
  }

  /**
   * The answer to a completion of an upload that is gone: the version an earlier completion of it
   * made, while that version is there and the request names the parts it was made of.
   */
  private async completedBefore(bucket: string, key: string, uploadId: string, chosen: CompletePart[]): Promise<ObjectInfo> {
    const done = await this.set.committedVersionWhere(bucket, key, (v) => v.uploadId === uploadId, 'read');
    const sameParts = done && done.parts.length === chosen.length && done.parts.every((p, i) => p.number === chosen[i].number && p.etag === stripQuotes(chosen[i].etag));
    if (!sameParts) throw new ObjectLayerError('no-such-upload');
    return done;
  }

  async abort(bucket: string, key: string, uploadId: string): Promise<void> {
    const lease = await this.set.ctx.locks.lock(`upload/${uploadId}`, true);
    try {
      await this.resolve(bucket, key, uploadId);
      const deleted = await askDrives(this.drives, (d) => d.deleteUpload(bucket, key, uploadId));
      deleted.requireQuorum(writeQuorum(this.set.defaultDataShards, this.set.ctx.defaultParity), () => new ObjectLayerError('write-quorum'));
    } finally {
      lease.release();
    }
  }

  /** Uploads recorded by a read quorum of drives, for `bucket` (all buckets when undefined). */
  async list(bucket: string | undefined, prefix: string): Promise<UploadEntry[]> {
    const listed = await askDrives(this.drives, (d) => d.listUploads(bucket, prefix));
    listed.requireQuorum(readQuorum(this.set.defaultDataShards), () => new ObjectLayerError('read-quorum'));
    const votes = new Map<string, { entry: UploadEntry; count: number }>();
    for (const list of listed.values()) {
      for (const entry of list) {
        const id = `${entry.bucket}\u0000${entry.record.key}\u0000${entry.record.uploadId}`;
        const vote = votes.get(id) ?? { entry, count: 0 };
        vote.count++;
        votes.set(id, vote);
      }
    }
    return [...votes.values()].filter((v) => v.count >= readQuorum(v.entry.record.erasure.dataShards)).map((v) => v.entry);
  }
}
