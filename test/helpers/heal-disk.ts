/**
 * Checks what is really on the drives, without asking the server: every drive's LMDB record (opened
 * read-only, so a running server is fine), every shard file's size and every block's xxHash64, that
 * the parity shards are the encoding of the data shards, and that the data shards decode to exactly
 * the bytes that were uploaded.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { open, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Database } from 'lmdb';
import { BITROT_HASH_SIZE, ShardLayout, verifyShardBlock } from '../../src/codec/bitrot.js';
import { initCodec, ReedSolomon } from '../../src/codec/reed-solomon.js';
import { decodeObjectRecord, storedSummary } from '../../src/meta/listing-summary.js';
import type { ObjectRecord, UploadRecord, VersionRecord } from '../../src/meta/record.js';
import { versionSignature } from '../../src/meta/record.js';
import { bucketRangeEnd, recordKey } from '../../src/storage/metadata-keys.js';
import { decodeRecord } from '../../src/meta/encoding.js';
import { openMetadataEnvironment, type StoreName } from '../../src/storage/metadata-store.js';
import { metadataWriter } from '../../src/storage/metadata-writer.js';

export const SYS = '.tessera.sys';

export interface Expected {
  bucket: string;
  key: string;
  body: Buffer;
}

/**
 * Runs `read` over a drive's metadata stores, opened read-only as the node opens them
 * (openMetadataEnvironment); `missing` when the drive has no store.
 */
async function readStores<T>(drive: string, missing: T, read: (stores: Record<StoreName, Database<Buffer, Buffer>>) => T): Promise<T> {
  const path = join(drive, SYS, 'meta');
  if (!existsSync(join(path, 'data.mdb'))) return missing;
  const { env, stores } = openMetadataEnvironment(path, true);
  try {
    return read(stores);
  } finally {
    await env.close();
  }
}

/** Reads records from a drive's metadata store, read-only. */
export function readRecords(drive: string, wanted: { bucket: string; key: string }[]): Promise<(ObjectRecord | undefined)[]> {
  return readStores(
    drive,
    wanted.map(() => undefined),
    ({ objects }) =>
      wanted.map(({ bucket, key }) => {
        const value = objects.get(recordKey(bucket, key));
        return value ? decodeObjectRecord(value) : undefined;
      }),
  );
}

/** Damages a drive's record of `key` in place (one byte of its body flipped), as bit rot would; through the metadata writer, which alone writes the store. */
export function damageRecord(drive: string, bucket: string, key: string): Promise<void> {
  return rewriteStoredRecord(drive, bucket, key, (value) => {
    value[value.length - 1] ^= 0xff;
  });
}

/** Changes the stored bytes of a drive's record of `key` through the metadata writer (which alone writes the store), checksum left as it was. */
async function rewriteStoredRecord(drive: string, bucket: string, key: string, change: (value: Buffer) => void): Promise<void> {
  const value = (await readStores(drive, undefined, ({ objects }) => Buffer.from(objects.get(recordKey(bucket, key))!)))!;
  change(value);
  const writer = metadataWriter();
  const store = await writer.open(join(drive, SYS, 'meta'));
  try {
    await writer.write(store, { kind: 'write-record', bucket, key, value });
  } finally {
    await writer.close(store);
  }
}

/**
 * Rots a drive's record of `key` inside its listing summary: one character of the version's ETag
 * turns into another, so the summary still reads as one (with an ETag nobody wrote) while the
 * record fails its checksum.
 */
export async function rotSummary(drive: string, bucket: string, key: string): Promise<void> {
  await rewriteStoredRecord(drive, bucket, key, (value) => {
    const summary = storedSummary(value, 'verified')!;
    const start = summary.byteOffset - value.byteOffset;
    const at = value.indexOf(Buffer.from(decodeObjectRecord(value)!.versions[0].etag), start);
    if (at < 0 || at >= start + summary.length) throw new Error(`no ETag in the summary of ${key}`);
    value[at] = value[at] === 0x61 ? 0x62 : 0x61;
  });
}

/** Every key a drive has a record for in `bucket`. */
export function listKeysOnDrive(drive: string, bucket: string): Promise<string[]> {
  const base = recordKey(bucket, '');
  return readStores(drive, [], ({ objects }) => [...objects.getKeys({ start: base, end: bucketRangeEnd(bucket) })].map((key) => (key as Buffer).subarray(base.length).toString()));
}

/** The data directories of the uploads a drive records in `bucket` (a completion cut short leaves its parts there). */
export function uploadDataDirsOnDrive(drive: string, bucket: string): Promise<string[]> {
  return readStores(drive, [], ({ uploads }) =>
    [...uploads.getRange({ start: recordKey(bucket, ''), end: bucketRangeEnd(bucket) })].map(({ value }) => decodeRecord<UploadRecord>(value)?.dataDir).filter((d): d is string => !!d),
  );
}

/** Inverts the byte at `offset` of `file`, as bit rot would. */
export async function flipByte(file: string, offset: number): Promise<void> {
  const h = await open(file, 'r+');
  try {
    const b = Buffer.alloc(1);
    await h.read(b, 0, 1, offset);
    await h.write(Buffer.of(b[0] ^ 0xff), 0, 1, offset);
  } finally {
    await h.close();
  }
}

export function shardPath(drive: string, bucket: string, dataDir: string, part: number): string {
  return join(drive, bucket, dataDir.slice(0, 2), dataDir, `part.${part}`);
}

/** Data directories on a drive under `bucket`. */
export function dataDirsOnDrive(drive: string, bucket: string): string[] {
  const base = join(drive, bucket);
  if (!existsSync(base)) return [];
  const out: string[] = [];
  for (const prefix of readdirSync(base)) {
    if (!/^[0-9a-f]{2}$/.test(prefix)) continue;
    for (const d of readdirSync(join(base, prefix))) out.push(d);
  }
  return out.sort();
}

export interface DiskReport {
  /** Problems found; empty when every object is whole on every drive. */
  problems: string[];
  /** Shards found intact, per object key (should be N each). */
  shards: Map<string, number>;
  /** Shard blocks whose hash was checked. */
  blocksVerified: number;
}

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

/**
 * For every expected object: every drive has a record whose current version is the same, with its
 * own shard index; its shard (inline, or part files) has the right size and every block verifies;
 * the parity shards re-encode from the data shards; the data shards give back the uploaded bytes.
 */
export async function verifyDrives(drives: string[], expected: Expected[]): Promise<DiskReport> {
  await initCodec();
  const report: DiskReport = { problems: [], shards: new Map(), blocksVerified: 0 };
  const records = await Promise.all(drives.map((d) => readRecords(d, expected)));
  for (let i = 0; i < expected.length; i++) {
    const { bucket, key, body } = expected[i];
    const label = `${bucket}/${key}`;
    const copies = drives.map((_, d) => records[d][i]?.versions[0]);
    const reference = copies.find(Boolean);
    if (!reference) {
      report.problems.push(`${label}: no drive has a record`);
      continue;
    }
    const { dataShards: D, parityShards: P, distribution, blockSize } = reference.erasure;
    let intact = 0;
    const shardFiles: (Buffer | undefined)[][] = []; // [slot][partIndex] raw file (or inline frame)
    for (let slot = 0; slot < drives.length; slot++) {
      const copy = copies[slot];
      shardFiles[slot] = [];
      if (!copy) {
        report.problems.push(`${label}: drive ${slot + 1} has no record`);
        continue;
      }
      if (versionSignature(copy) !== versionSignature(reference)) {
        report.problems.push(`${label}: drive ${slot + 1} holds another version`);
        continue;
      }
      if (copy.erasure.index !== distribution[slot]) {
        report.problems.push(`${label}: drive ${slot + 1} has shard index ${copy.erasure.index}, expected ${distribution[slot]}`);
        continue;
      }
      if (copy.size !== body.length) report.problems.push(`${label}: drive ${slot + 1} records size ${copy.size}, expected ${body.length}`);
      let ok = true;
      if (copy.dataDir === '') {
        const inline = Buffer.from(copy.inline ?? new Uint8Array());
        if (copy.size > 0) {
          try {
            verifyShardBlock(inline, Math.ceil(copy.size / D));
            report.blocksVerified++;
          } catch (err) {
            ok = false;
            report.problems.push(`${label}: drive ${slot + 1} inline shard: ${(err as Error).message}`);
          }
        }
        shardFiles[slot][0] = inline;
      } else {
        for (let p = 0; p < copy.parts.length; p++) {
          const part = copy.parts[p];
          const file = shardPath(drives[slot], bucket, copy.dataDir, part.number);
          const layout = new ShardLayout(part.size, blockSize, D);
          let bytes: Buffer;
          try {
            bytes = await readFile(file);
          } catch {
            ok = false;
            report.problems.push(`${label}: drive ${slot + 1} part.${part.number} missing`);
            continue;
          }
          if (bytes.length !== layout.shardFileSize) {
            ok = false;
            report.problems.push(`${label}: drive ${slot + 1} part.${part.number} is ${bytes.length} bytes, expected ${layout.shardFileSize}`);
            continue;
          }
          for (let b = 0; b < layout.blockCount; b++) {
            const at = layout.frameOffset(b);
            try {
              verifyShardBlock(bytes.subarray(at, at + BITROT_HASH_SIZE + layout.shardLength(b)), layout.shardLength(b));
              report.blocksVerified++;
            } catch {
              ok = false;
              report.problems.push(`${label}: drive ${slot + 1} part.${part.number} block ${b} fails its hash`);
            }
          }
          shardFiles[slot][p] = bytes;
        }
      }
      if (ok) intact++;
    }
    report.shards.set(label, intact);
    if (intact !== drives.length) continue;
    // Decode from the data shards, and check that the parity shards are the encoding of them.
    const slotOf: number[] = [];
    distribution.forEach((index, slot) => (slotOf[index - 1] = slot));
    const codec = new ReedSolomon(D, P);
    const out: Buffer[] = [];
    const parts = reference.dataDir === '' ? [{ number: 1, size: reference.size }] : reference.parts;
    for (let p = 0; p < parts.length; p++) {
      const layout = new ShardLayout(parts[p].size, blockSize, D);
      for (let b = 0; b < layout.blockCount; b++) {
        const len = layout.shardLength(b);
        const at = layout.frameOffset(b) + BITROT_HASH_SIZE;
        const shards = slotOf.map((slot) => Buffer.from(shardFiles[slot][p]!.subarray(at, at + len)));
        const parity = shards.slice(D).map((s) => Buffer.from(s));
        codec.encode(shards);
        for (let j = 0; j < P; j++) {
          if (!parity[j].equals(shards[D + j])) report.problems.push(`${label}: part ${p + 1} block ${b}: parity shard ${j + 1} is not the encoding of the data`);
        }
        out.push(Buffer.concat(shards.slice(0, D)).subarray(0, layout.blockDataLength(b)));
      }
    }
    const decoded = Buffer.concat(out);
    if (decoded.length !== body.length || sha(decoded) !== sha(body)) report.problems.push(`${label}: the data shards do not decode to the uploaded bytes`);
  }
  return report;
}

/** A version's first part file on each drive (undefined where there is none). */
export function partFilesOf(drives: string[], bucket: string, version: VersionRecord): string[] {
  return drives.map((d) => shardPath(d, bucket, version.dataDir, version.parts[0].number));
}
