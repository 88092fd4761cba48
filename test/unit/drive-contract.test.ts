/**
 * The Drive contract, run unchanged against a LocalDrive (a temp directory) and a RemoteDrive (a
 * Peer talking msgpack RPC to an in-process RpcServer on a loopback port that serves a LocalDrive):
 * whatever the erasure layer can observe through the interface must be the same for both.
 *
 * Then a fault-injecting Drive wrapper shows how an ErasureSet (EC 2+2: read quorum 2, write
 * quorum 3) lives with failing drives: it writes with one faulty drive of four, refuses with two
 * (SlowDownWrite, leaving the previous version in place), and reads with two.
 */
import type { BucketConfig } from '../../src/meta/bucket-config.js';
import { unpackSummary } from '../../src/meta/listing-summary.js';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, open as openFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Peer } from '../../src/cluster/peer.js';
import { rpcKey } from '../../src/cluster/rpc-auth.js';
import { frameShardBlock, ShardLayout } from '../../src/codec/bitrot.js';
import { initCodec } from '../../src/codec/reed-solomon.js';
import { shardDistribution } from '../../src/erasure/placement.js';
import { ErasureSet } from '../../src/erasure/set.js';
import { ObjectLayerError, type ObjectLayerErrorKind } from '../../src/object/errors.js';
import { NamespaceLock } from '../../src/lock/namespace-lock.js';
import { versionSignature, type ObjectRecord, type UploadPartRecord, type UploadRecord, type VersionRecord } from '../../src/meta/record.js';
import type { PutBody } from '../../src/object/types.js';
import {
  DriveError,
  type BucketEntry,
  type Drive,
  type ListRecordsOptions,
  type RecordEntry,
  type ShardReader,
  type ShardWriter,
  type UploadEntry,
  type VersionData,
} from '../../src/storage/drive.js';
import type { DriveFormat } from '../../src/storage/format.js';
import type { DataDirEntry, ShardCheckRequest, ShardState } from '../../src/storage/healing.js';
import { LocalDrive } from '../../src/storage/local-drive.js';
import { RemoteDrive } from '../../src/storage/remote-drive.js';
import { readObject } from '../helpers/drive-rig.js';
import { rpcNode, type RpcNode } from '../helpers/rpc-node.js';

const KiB = 1024;
const FINGERPRINT = 'drive-contract-fp';
const TOKEN = rpcKey({ accessKey: 'contract-user', secretKey: 'contract-secret' });

// ---------------------------------------------------------------------------------------------
// Harnesses: a Drive under test plus the LocalDrive that really holds the bytes (for inspection).

interface Harness {
  drive: Drive;
  /** The LocalDrive behind it (the drive itself for the local harness). */
  backing: LocalDrive;
  /** Parent of the drive directory: nothing may appear here but the drive. */
  parent: string;
  close(): Promise<void>;
}

async function localHarness(): Promise<Harness> {
  const parent = await mkdtemp(join(tmpdir(), 'tessera-contract-'));
  const backing = new LocalDrive(join(parent, 'drive'));
  await backing.prepare();
  return {
    drive: backing,
    backing,
    parent,
    close: async () => {
      await backing.close();
      await rm(parent, { recursive: true, force: true });
    },
  };
}

async function remoteHarness(): Promise<Harness> {
  const parent = await mkdtemp(join(tmpdir(), 'tessera-contract-'));
  const backing = new LocalDrive(join(parent, 'drive'));
  await backing.prepare();
  const INDEX = 7; // any position in an endpoint list: the RPC addresses the drive by it
  const served = await rpcNode({ key: TOKEN, fingerprint: FINGERPRINT, drives: new Map([[INDEX, backing]]) });
  const { address } = served;
  const peer = new Peer(address, TOKEN, FINGERPRINT);
  const drive = new RemoteDrive(peer, INDEX, `http://${address}${backing.root}`);
  return {
    drive,
    backing,
    parent,
    close: async () => {
      peer.close();
      await served.close();
      await backing.close();
      await rm(parent, { recursive: true, force: true });
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Test data

function version(etag: string, extra: Partial<VersionRecord> = {}): VersionRecord {
  return {
    versionId: 'null',
    modTime: 1_700_000_000_123,
    deleteMarker: false,
    size: 3,
    etag,
    dataDir: '',
    headers: { 'content-type': 'text/plain', 'x-amz-meta-k': 'v ü' },
    checksums: { CRC32: 'AAAAAA==' },
    parts: [{ number: 1, size: 3, etag }],
    erasure: { dataShards: 2, parityShards: 2, blockSize: 1024 * 1024, index: 3, distribution: [2, 3, 4, 1] },
    ...extra,
  };
}

function record(etag: string, extra: Partial<VersionRecord> = {}): ObjectRecord {
  return { versions: [version(etag, extra)] };
}

/** Commits staged data into `dataDir` as the version of a key of its own: the way data reaches a bucket. */
function commitStaged(drive: Drive, stagingId: string, dataDir: string): Promise<void> {
  return drive.commitVersion('bucket', `version-in-${dataDir}`, record(dataDir, { dataDir }), 1, { dataDir, stagingId });
}

/** Commits an upload's parts `keep` as the version of its key. */
async function commitUpload(drive: Drive, upload: UploadRecord, keep: number[]): Promise<void> {
  // The version names the parts as the drive holds them (a drive refuses to complete other ones).
  const parts = (await drive.listParts(upload.uploadId)).filter((p) => keep.includes(p.number)).map(({ number, size, etag }) => ({ number, size, etag }));
  await drive.commitVersion('bucket', upload.key, record('mp', { dataDir: upload.dataDir, parts }), 1, { dataDir: upload.dataDir, uploadId: upload.uploadId, keep });
}

/** Records compare structurally; binary fields as hex (msgpack may hand back Buffer or Uint8Array). */
function plain(value: unknown): unknown {
  return JSON.parse(
    JSON.stringify(value, (_k, v: unknown) => {
      if (v instanceof Uint8Array) return `hex:${Buffer.from(v).toString('hex')}`;
      if (v && typeof v === 'object' && (v as { type?: string }).type === 'Buffer' && Array.isArray((v as { data?: unknown }).data)) {
        return `hex:${Buffer.from((v as { data: number[] }).data).toString('hex')}`;
      }
      return v;
    }),
  );
}

const FORMAT: DriveFormat = { version: 1, deploymentId: 'dep-contract', sets: [['a', 'b', 'c', 'd']], thisDrive: 'c' };

const byUtf8 = (a: string, b: string): number => Buffer.compare(Buffer.from(a), Buffer.from(b));

async function expectDriveError(promise: Promise<unknown>, kinds: DriveError['kind'][]): Promise<DriveError> {
  let caught: unknown;
  try {
    await promise;
  } catch (err) {
    caught = err;
  }
  expect(caught, 'expected a DriveError').toBeInstanceOf(DriveError);
  expect(kinds).toContain((caught as DriveError).kind);
  return caught as DriveError;
}

/** Writes a staged file through the drive's shard writer. */
async function stage(drive: Drive, stagingId: string, file: string, chunks: Buffer[][]): Promise<void> {
  const writer = await drive.createShardWriter(stagingId, file);
  for (const c of chunks) await writer.write(c);
  await writer.finish();
}

/** A bitrot-framed shard file for a part of `partSize` bytes (random content), as the writer would lay it out. */
function framedShardFile(partSize: number, blockSize: number, dataShards: number): Buffer {
  const layout = new ShardLayout(partSize, blockSize, dataShards);
  const frames: Buffer[] = [];
  for (let i = 0; i < layout.blockCount; i++) frames.push(...frameShardBlock(randomBytes(layout.shardLength(i))));
  const file = Buffer.concat(frames);
  expect(file.length).toBe(layout.shardFileSize);
  return file;
}

// ---------------------------------------------------------------------------------------------
// The contract

const implementations: [string, () => Promise<Harness>][] = [
  ['LocalDrive', localHarness],
  ['RemoteDrive over RPC', remoteHarness],
];

describe.each(implementations)('Drive contract: %s', (_name, makeHarness) => {
  let h: Harness;
  let drive: Drive;
  let freshFormat: DriveFormat | undefined | 'unread';

  beforeEach(async () => {
    h = await makeHarness();
    drive = h.drive;
    freshFormat = await drive.readFormat();
    await drive.writeFormat(FORMAT);
    await h.backing.open();
    await drive.makeBucket('bucket', 1_000);
  });

  afterEach(async () => {
    await h.close();
  });

  it('format: none on a fresh drive; written and read back as it was; a corrupt one is a faulty drive', async () => {
    expect(freshFormat).toBeUndefined();
    expect(await drive.readFormat()).toEqual(FORMAT);
    const other = { ...FORMAT, thisDrive: 'd' };
    await drive.writeFormat(other);
    expect(await drive.readFormat()).toEqual(other);
    await writeFile(join(h.backing.root, '.tessera.sys', 'format.json'), '{ not json');
    await expectDriveError(drive.readFormat(), ['faulty']);
    await writeFile(join(h.backing.root, '.tessera.sys', 'format.json'), JSON.stringify({ version: 2 }));
    await expectDriveError(drive.readFormat(), ['faulty']);
    expect(drive.isOnline()).toBe(true);
  });

  it('buckets: make, stat, list, has-objects, delete', async () => {
    expect(await drive.statBucket('bucket')).toEqual({ name: 'bucket', created: 1_000 });
    expect(await drive.statBucket('nope')).toBeUndefined();
    await drive.makeBucket('bucket-2', 2_000);
    const listed: BucketEntry[] = await drive.listBuckets();
    expect(listed.sort((a, b) => byUtf8(a.name, b.name))).toEqual([
      { name: 'bucket', created: 1_000 },
      { name: 'bucket-2', created: 2_000 },
    ]);
    expect(await drive.bucketHasObjects('bucket')).toBe(false);
    await drive.writeRecord('bucket-2', 'k', record('e'));
    // a prefix of another bucket's name must not count
    expect(await drive.bucketHasObjects('bucket')).toBe(false);
    expect(await drive.bucketHasObjects('bucket-2')).toBe(true);
    await drive.writeRecord('bucket-2', 'k', undefined);
    expect(await drive.bucketHasObjects('bucket-2')).toBe(false);
    await drive.deleteBucket('bucket-2');
    expect(await drive.statBucket('bucket-2')).toBeUndefined();
    expect((await drive.listBuckets()).map((b) => b.name)).toEqual(['bucket']);
  });

  it('bucket configurations: only a greater stamp replaces the one held (the same one is held already); only for the bucket made at the given time; a bucket made again starts bare; bad ones refused', async () => {
    expect(await drive.readBucketConfig('bucket', 1_000)).toBeUndefined();
    const v2 = { stamp: 2, tags: [['a', '1']] as [string, string][] };
    expect(await drive.writeBucketConfig('bucket', 1_000, v2)).toBe(true);
    expect(await drive.readBucketConfig('bucket', 1_000)).toEqual(v2);
    expect(await drive.statBucket('bucket')).toEqual({ name: 'bucket', created: 1_000, configStamp: 2 });
    // An older stamp (a change that arrives late) changes nothing; the same stamp is held already (a heal got there first).
    expect(await drive.writeBucketConfig('bucket', 1_000, { stamp: 1, tags: [['old', '']] })).toBe(false);
    expect(await drive.writeBucketConfig('bucket', 1_000, v2)).toBe(true);
    expect(await drive.readBucketConfig('bucket', 1_000)).toEqual(v2);
    expect(await drive.writeBucketConfig('bucket', 1_000, { stamp: 3 })).toBe(true);
    expect(await drive.readBucketConfig('bucket', 1_000)).toEqual({ stamp: 3 });
    // The same bucket made again (heal) keeps its configuration; another bucket made under the name does not.
    await drive.makeBucket('bucket', 1_000);
    expect((await drive.readBucketConfig('bucket', 1_000))?.stamp).toBe(3);
    await expectDriveError(drive.readBucketConfig('bucket', 999), ['not-found']);
    await expectDriveError(drive.writeBucketConfig('bucket', 999, { stamp: 9 }), ['not-found']);
    await drive.makeBucket('bucket', 1_001);
    expect(await drive.readBucketConfig('bucket', 1_001)).toBeUndefined();
    await drive.makeBucket('bucket', 1_000);
    await expectDriveError(drive.readBucketConfig('nope', 1), ['not-found']);
    await expectDriveError(drive.writeBucketConfig('nope', 1, { stamp: 5 }), ['not-found']);
    await drive.makeBucket('short-lived', 1);
    await drive.writeBucketConfig('short-lived', 1, { stamp: 9, tags: [['k', 'v']] });
    await drive.deleteBucket('short-lived');
    await expectDriveError(drive.writeBucketConfig('short-lived', 1, { stamp: 10 }), ['not-found']);
    await drive.makeBucket('short-lived', 1);
    expect(await drive.readBucketConfig('short-lived', 1)).toBeUndefined();
    expect(await drive.statBucket('short-lived')).toEqual({ name: 'short-lived', created: 1 });
    for (const bad of [{}, { stamp: 0 }, { stamp: 1.5 }, { stamp: 1, other: true }, { stamp: 1, tags: [['k']] }, { stamp: 1, tags: [['', 'v']] }, { stamp: 1, tags: 'k=v' }, null]) {
      await expectDriveError(drive.writeBucketConfig('bucket', 1_000, bad as never), ['invalid']);
    }
    await expectDriveError(drive.writeBucketConfig('bucket', 1_000, { stamp: 4, tags: Array.from({ length: 51 }, (_, i): [string, string] => [`k${i}`, '']) }), ['invalid']);
    await expectDriveError(drive.writeBucketConfig('bucket', -1, { stamp: 4 }), ['invalid']);
    await expectDriveError(drive.readBucketConfig('../etc', 1), ['invalid']);
  });

  it('records: any valid key round-trips as data, never as a path; undefined or no versions delete', async () => {
    const keys = ['a//b', '../x', '../../../../etc/passwd', 'x/', './y', '/leading', '日本語/ファイル', 'emoji 😀', 'k'.repeat(1024), '%2F', ' ', 'a\\b', '.tessera.sys/format.json'];
    const full = record('full', {
      inline: randomBytes(300),
      checksumType: 'FULL_OBJECT',
      multipart: true,
      parts: [
        { number: 1, size: 5, etag: 'p1', checksums: { SHA256: 'x' } },
        { number: 2, size: 7, etag: 'p2' },
      ],
    });
    for (const key of keys) await drive.writeRecord('bucket', key, key === 'a//b' ? full : record(key));
    for (const key of keys) {
      const got = await drive.readRecord('bucket', key);
      expect(plain(got), key).toEqual(plain(key === 'a//b' ? full : record(key)));
    }
    // several versions, newest first, kept in order
    const multi: ObjectRecord = { versions: [version('v3', { versionId: 'c' }), version('v2', { versionId: 'b', deleteMarker: true }), version('v1', { versionId: 'a' })] };
    await drive.writeRecord('bucket', 'versions', multi);
    expect(plain(await drive.readRecord('bucket', 'versions'))).toEqual(plain(multi));
    // the same key in another bucket is another record
    expect(await drive.readRecord('bucket-other', '../x')).toBeUndefined();
    expect(await drive.readRecord('bucket', 'missing')).toBeUndefined();
    // nothing escaped the drive
    expect(await readdir(h.parent)).toEqual(['drive']);
    expect((await readdir(h.backing.root)).sort()).toEqual(['.tessera.sys', 'bucket']);
    expect(await readdir(join(h.backing.root, 'bucket'))).toEqual([]);

    await drive.writeRecord('bucket', '../x', undefined);
    expect(await drive.readRecord('bucket', '../x')).toBeUndefined();
    await drive.writeRecord('bucket', 'a//b', { versions: [] });
    expect(await drive.readRecord('bucket', 'a//b')).toBeUndefined();
  });

  it('settleCommit: true where the commit happened; otherwise false, and the lost commit cannot land afterwards (nor any write fenced below)', async () => {
    const [v1, v2] = [record('one'), record('two')];
    await drive.writeRecord('bucket', 'settled', v2, 100);
    expect(await drive.settleCommit('bucket', 'settled', versionSignature(v2.versions[0]), 100)).toBe(true);
    await drive.writeRecord('bucket', 'settled', v2, 100); // a commit that happened is not barred

    await drive.writeRecord('bucket', 'lost', v1, 100);
    expect(await drive.settleCommit('bucket', 'lost', versionSignature(v2.versions[0]), 200)).toBe(false);
    await expectDriveError(drive.writeRecord('bucket', 'lost', v2, 200), ['fenced']);
    expect(plain(await drive.readRecord('bucket', 'lost'))).toMatchObject({ versions: plain(v1.versions) });
    await drive.writeRecord('bucket', 'lost', v2, 201); // the next lock holder writes

    // a key with no record yet: the barrier is kept for it all the same
    expect(await drive.settleCommit('bucket', 'fresh', versionSignature(v2.versions[0]), 300)).toBe(false);
    await expectDriveError(drive.writeRecord('bucket', 'fresh', v2, 300), ['fenced']);
    expect(await drive.readRecord('bucket', 'fresh')).toBeUndefined();
    await drive.writeRecord('bucket', 'fresh', v2, 301);
    await expectDriveError(drive.settleCommit('bucket', 'a\u0000b', 'sig', 1), ['invalid']);
    await expectDriveError(drive.settleCommit('../bucket', 'k', 'sig', 1), ['invalid']);
    await expectDriveError(drive.settleCommit('bucket', 'k', 'sig', -1), ['invalid']);
  });

  it('deleteBucket is refused while the bucket holds a record, and a deleted bucket takes no record until it is made again', async () => {
    await drive.makeBucket('bucket-3', 3_000);
    await drive.writeRecord('bucket-3', 'k', record('kept'));
    expect(await drive.deleteBucket('bucket-3')).toBe(false);
    expect(await drive.statBucket('bucket-3')).toEqual({ name: 'bucket-3', created: 3_000 });
    await drive.writeRecord('bucket-3', 'k', undefined);
    expect(await drive.deleteBucket('bucket-3')).toBe(true);
    expect(await drive.statBucket('bucket-3')).toBeUndefined();
    expect((await drive.listBuckets()).map((b) => b.name)).not.toContain('bucket-3');
    await expectDriveError(drive.writeRecord('bucket-3', 'late', record('raced the deletion')), ['not-found']);
    expect(await drive.readRecord('bucket-3', 'late')).toBeUndefined();
    await drive.makeBucket('bucket-3', 4_000);
    await drive.writeRecord('bucket-3', 'k', record('again'));
    expect((await drive.readRecord('bucket-3', 'k'))?.versions[0].etag).toBe('again');
    // a drive that never heard of a bucket (it missed its creation) still takes its records
    await drive.writeRecord('never-made', 'k', record('healed in'));
    expect(await drive.readRecord('never-made', 'k')).toBeDefined();
  });

  it('listRecords / listRecordKeys: UTF-8 byte order, prefix, inclusive from (also between keys), limit, one bucket only', async () => {
    const keys = ['b', 'a', 'a/1', 'a/2', 'a//x', 'é', 'z', 'ab', 'a/10', '日本', 'a/1/deep'];
    for (const key of keys) await drive.writeRecord('bucket', key, record(key));
    await drive.makeBucket('bucket2', 1);
    await drive.writeRecord('bucket2', 'a', record('other bucket'));
    await drive.writeRecord('bucke', 'ta', record('bucket name prefix')); // "bucke" + "ta" must not leak into "bucket"
    const sorted = [...keys].sort(byUtf8);

    const list = async (o: ListRecordsOptions): Promise<string[]> => {
      const entries: RecordEntry[] = await drive.listRecords('bucket', o);
      for (const e of entries) expect(unpackSummary(e.summary!).etag).toBe(e.key);
      const names = entries.map((e) => e.key);
      expect(await drive.listRecordKeys('bucket', o), `listRecordKeys(${JSON.stringify(o)})`).toEqual(names);
      return names;
    };
    expect(await list({ prefix: '', limit: 1000 })).toEqual(sorted);
    expect(await list({ prefix: 'a/', limit: 1000 })).toEqual(sorted.filter((k) => k.startsWith('a/')));
    expect(await list({ prefix: 'a/', limit: 2 })).toEqual(sorted.filter((k) => k.startsWith('a/')).slice(0, 2));
    expect(await list({ prefix: '', from: Buffer.from('a/2'), limit: 1000 })).toEqual(sorted.filter((k) => byUtf8(k, 'a/2') >= 0));
    // a bound between keys, and one below the prefix (the prefix wins)
    expect(await list({ prefix: '', from: Buffer.from('a/15'), limit: 3 })).toEqual(sorted.filter((k) => byUtf8(k, 'a/15') >= 0).slice(0, 3));
    expect(await list({ prefix: 'b', from: Buffer.from('a'), limit: 1000 })).toEqual(['b']);
    // a bound made of raw bytes past every key
    expect(await list({ prefix: '', from: Buffer.from([0xff, 0xff]), limit: 1000 })).toEqual([]);
    expect(await list({ prefix: 'nothing', limit: 1000 })).toEqual([]);
    expect(await drive.listRecords('empty-bucket', { prefix: '', limit: 10 })).toEqual([]);
    expect((await drive.listRecords('bucket2', { prefix: '', limit: 10 })).map((e) => e.key)).toEqual(['a']);
  });

  it('shard writer -> commitVersion -> openShard reads at offsets; missing shards are not-found', async () => {
    const a = randomBytes(1000);
    const b = randomBytes(24);
    const c = randomBytes(70_000);
    const stagingId = randomUUID();
    await stage(drive, stagingId, 'part.1', [[a, b], [c]]);
    const dataDir = randomUUID();
    await commitStaged(drive, stagingId, dataDir);
    const whole = Buffer.concat([a, b, c]);

    const reader: ShardReader = await drive.openShard('bucket', dataDir, 'part.1');
    expect((await reader.read(0, whole.length)).equals(whole)).toBe(true);
    expect((await reader.read(1000, 24)).equals(b)).toBe(true);
    expect((await reader.read(12_345, 4_321)).equals(whole.subarray(12_345, 12_345 + 4_321))).toBe(true);
    // past the end: shorter, then empty
    expect((await reader.read(whole.length - 10, 100)).equals(whole.subarray(whole.length - 10))).toBe(true);
    expect((await reader.read(whole.length + 5, 100)).length).toBe(0);
    await reader.close();

    await expectDriveError(drive.openShard('bucket', dataDir, 'part.2'), ['not-found']);
    await expectDriveError(drive.openShard('bucket', randomUUID(), 'part.1'), ['not-found']);
    // the staging area is empty again; the data lives under the bucket, named by the data dir, not the key
    expect(await readdir(join(h.backing.root, '.tessera.sys', 'tmp'))).toEqual([]);
    expect(await readdir(join(h.backing.root, 'bucket', dataDir.slice(0, 2)))).toEqual([dataDir]);
    const dirs: DataDirEntry[] = await drive.listDataDirs('bucket', dataDir.slice(0, 2));
    expect(dirs.map((d) => d.dataDir)).toEqual([dataDir]);
    expect(dirs[0].changed).toBeGreaterThan(Date.now() - 60_000);
    expect(await drive.listDataDirs('bucket', dataDir.slice(0, 2) === '00' ? '01' : '00')).toEqual([]);
  });

  it('discardStaged and abort remove staged data; a commit of nothing fails and writes no record', async () => {
    const stagingId = randomUUID();
    await stage(drive, stagingId, 'part.1', [[randomBytes(5000)]]);
    await drive.discardStaged(stagingId);
    const nothing = randomUUID();
    await expectDriveError(commitStaged(drive, stagingId, nothing), ['not-found', 'faulty']);
    expect(await drive.readRecord('bucket', `version-in-${nothing}`)).toBeUndefined();
    await drive.discardStaged(randomUUID()); // unknown: nothing to do, no error

    const aborted = randomUUID();
    const writer: ShardWriter = await drive.createShardWriter(aborted, 'part.1');
    await writer.write([randomBytes(100)]);
    await writer.abort();
    await expectDriveError(commitStaged(drive, aborted, randomUUID()), ['not-found', 'faulty']);
    expect(await readdir(join(h.backing.root, '.tessera.sys', 'tmp'))).toEqual([]);
  });

  it('deleteDataDir removes a committed version\'s data (and is a no-op when it is gone)', async () => {
    const stagingId = randomUUID();
    await stage(drive, stagingId, 'part.1', [[randomBytes(10)]]);
    const dataDir = randomUUID();
    await commitStaged(drive, stagingId, dataDir);
    await drive.deleteDataDir('bucket', dataDir);
    await expectDriveError(drive.openShard('bucket', dataDir, 'part.1'), ['not-found']);
    await drive.deleteDataDir('bucket', dataDir);
    await drive.deleteDataDir('bucket', randomUUID());
  });

  it('a data directory being read is removed only once its last reader closes, however the readers reach it', async () => {
    const stagingId = randomUUID();
    const bytes = randomBytes(9000);
    await stage(drive, stagingId, 'part.1', [[bytes]]);
    const dataDir = randomUUID();
    await commitStaged(drive, stagingId, dataDir);
    const first = await drive.openShard('bucket', dataDir, 'part.1');
    const second = await drive.openShard('bucket', dataDir, 'part.1');
    await drive.deleteDataDir('bucket', dataDir);
    // the removal waits: both readers read on, and a reader may still open the directory's files
    expect((await first.read(0, 9000)).equals(bytes)).toBe(true);
    const third = await drive.openShard('bucket', dataDir, 'part.1');
    await first.close();
    await third.close();
    expect((await second.read(100, 50)).equals(bytes.subarray(100, 150))).toBe(true);
    expect(await readdir(join(h.backing.root, 'bucket', dataDir.slice(0, 2)))).toEqual([dataDir]);
    await second.close();
    // the last reader's close starts the removal, which completes in the background
    for (let i = 0; i < 100 && (await drive.listDataDirs('bucket', dataDir.slice(0, 2))).length > 0; i++) await new Promise((r) => setTimeout(r, 20));
    expect(await drive.listDataDirs('bucket', dataDir.slice(0, 2))).toEqual([]);
    await expectDriveError(drive.openShard('bucket', dataDir, 'part.1'), ['not-found']);
  });

  it('multipart: upload records, parts (replaced on re-upload), listing, a completion keeps only the chosen parts', async () => {
    const erasure = { dataShards: 2, parityShards: 2, blockSize: 1024 * 1024, index: 0, distribution: [1, 2, 3, 4] };
    const upload: UploadRecord = { uploadId: 'a'.repeat(64), key: '../weird//key é', initiated: 5, headers: { 'content-type': 'x/y' }, erasure, dataDir: randomUUID(), checksumAlgorithm: 'CRC32', checksumType: 'COMPOSITE' };
    const other: UploadRecord = { ...upload, uploadId: 'b'.repeat(64), key: 'another', dataDir: randomUUID() };
    await drive.writeUpload('bucket', upload);
    await drive.writeUpload('bucket', other);
    await drive.makeBucket('bucket2', 1);
    await drive.writeUpload('bucket2', { ...other, uploadId: 'c'.repeat(64) });
    expect(plain(await drive.readUpload('bucket', upload.key, upload.uploadId))).toEqual(plain(upload));
    expect(await drive.readUpload('bucket', upload.key, 'd'.repeat(64))).toBeUndefined();
    expect(await drive.readUpload('bucket', 'another', upload.uploadId)).toBeUndefined();

    const inBucket: UploadEntry[] = await drive.listUploads('bucket', '');
    expect(inBucket.map((u) => [u.bucket, u.record.key])).toEqual([
      ['bucket', '../weird//key é'],
      ['bucket', 'another'],
    ]);
    expect((await drive.listUploads('bucket', 'an')).map((u) => u.record.uploadId)).toEqual([other.uploadId]);
    expect((await drive.listUploads(undefined, '')).map((u) => u.bucket).sort()).toEqual(['bucket', 'bucket', 'bucket2']);

    const parts = new Map<number, Buffer>();
    const commit = async (n: number, etag: string): Promise<void> => {
      const data = randomBytes(1000 + n);
      const stagingId = randomUUID();
      await stage(drive, stagingId, `part.${n}`, [[data]]);
      const part: UploadPartRecord = { number: n, size: data.length, etag, modTime: 10 + n, checksums: { CRC32: `c${n}` } };
      await drive.commitPart(stagingId, upload.uploadId, part);
      parts.set(n, data);
    };
    await commit(3, 'e3');
    await commit(1, 'e1');
    await commit(2, 'e2-old');
    await commit(2, 'e2');
    await commit(10, 'e10'); // numeric order, not text order
    const listed = await drive.listParts(upload.uploadId);
    expect(listed.map((p) => [p.number, p.etag, p.size])).toEqual([
      [1, 'e1', 1001],
      [2, 'e2', 1002],
      [3, 'e3', 1003],
      [10, 'e10', 1010],
    ]);
    expect(plain(listed[0])).toEqual(plain({ number: 1, size: 1001, etag: 'e1', modTime: 11, checksums: { CRC32: 'c1' } }));
    expect(await drive.listParts(other.uploadId)).toEqual([]);

    // a completion that missed quorum is undone: every part is the upload's again, and the data directory is gone
    await commitUpload(drive, upload, [1, 3, 10]);
    await drive.restoreUploadData(upload.uploadId, [1, 3, 10], 'bucket', upload.dataDir);
    await expectDriveError(drive.openShard('bucket', upload.dataDir, 'part.1'), ['not-found']);
    // (each under its upload's own name: part.N.<staging id>)
    const back = await readdir(join(h.backing.root, '.tessera.sys', 'multipart', upload.uploadId));
    expect(back.map((f) => f.split('.').slice(0, 2).join('.')).sort()).toEqual(['part.1', 'part.10', 'part.2', 'part.3']);
    // done again, as after a crash, a move finishes what it had started
    await commitUpload(drive, upload, [1]);
    await commitUpload(drive, upload, [1, 3, 10]);
    for (const n of [1, 3, 10]) {
      const reader = await drive.openShard('bucket', upload.dataDir, `part.${n}`);
      expect((await reader.read(0, 5000)).equals(parts.get(n)!)).toBe(true);
      await reader.close();
    }
    await expectDriveError(drive.openShard('bucket', upload.dataDir, 'part.2'), ['not-found']);

    await drive.deleteUpload('bucket', upload.key, upload.uploadId);
    expect(await drive.readUpload('bucket', upload.key, upload.uploadId)).toBeUndefined();
    expect(await drive.listParts(upload.uploadId)).toEqual([]);
    expect((await drive.listUploads('bucket', '')).map((u) => u.record.uploadId)).toEqual([other.uploadId]);
    // the completed data stays
    expect(await readdir(join(h.backing.root, 'bucket', upload.dataDir.slice(0, 2), upload.dataDir))).toHaveLength(3);

    // deleting an upload with staged parts removes them too
    const stagingId = randomUUID();
    await stage(drive, stagingId, 'part.1', [[randomBytes(10)]]);
    await drive.commitPart(stagingId, other.uploadId, { number: 1, size: 10, etag: 'x', modTime: 1 });
    await drive.deleteUpload('bucket', other.key, other.uploadId);
    expect(await drive.listParts(other.uploadId)).toEqual([]);
    expect(await readdir(join(h.backing.root, '.tessera.sys', 'multipart'))).toEqual(['c'.repeat(64)]);
  });

  it('healing support: checkShards finds ok / missing / wrong-size / corrupt (deep only) shards', async () => {
    const partSize = 10_000;
    const request: ShardCheckRequest = { files: [{ file: 'part.1', partSize }, { file: 'part.2', partSize: 5 }], blockSize: 4096, dataShards: 2, deep: false };
    const stagingId = randomUUID();
    await stage(drive, stagingId, 'part.1', [[framedShardFile(partSize, 4096, 2)]]);
    const dataDir = randomUUID();
    await commitStaged(drive, stagingId, dataDir);

    const check = (r: Partial<ShardCheckRequest>): Promise<ShardState[]> => drive.checkShards('bucket', dataDir, { ...request, ...r });
    expect(await check({})).toEqual(['ok', 'missing']);
    expect(await check({ deep: true })).toEqual(['ok', 'missing']);
    expect(await check({ files: [{ file: 'part.1', partSize: partSize + 1 }] })).toEqual(['wrong-size']);
    expect(await drive.checkShards('bucket', randomUUID(), request)).toEqual(['missing', 'missing']);

    // flip one byte in the middle of the second block's shard
    const path = join(h.backing.root, 'bucket', dataDir.slice(0, 2), dataDir, 'part.1');
    const fh = await openFile(path, 'r+');
    const at = 8 + 2048 + 8 + 100;
    const byte = Buffer.alloc(1);
    await fh.read(byte, 0, 1, at);
    await fh.write(Buffer.of(byte[0] ^ 0xff), 0, 1, at);
    await fh.close();
    expect(await check({ files: [request.files[0]] })).toEqual(['ok']);
    expect(await check({ files: [request.files[0]], deep: true })).toEqual(['corrupt']);
    // names that could leave the data directory are refused
    await expectDriveError(check({ files: [{ file: '../../x', partSize: 1 }] }), ['invalid']);
  });

  it('healing support: commitHealedShards moves staged files in, creating or replacing', async () => {
    const dataDir = randomUUID();
    const first = randomBytes(300);
    const s1 = randomUUID();
    await stage(drive, s1, 'part.1', [[first]]);
    await stage(drive, s1, 'part.2', [[randomBytes(10)]]);
    await drive.commitHealedShards(s1, 'bucket', dataDir, ['part.1', 'part.2']);
    let reader = await drive.openShard('bucket', dataDir, 'part.1');
    expect((await reader.read(0, 1000)).equals(first)).toBe(true);
    await reader.close();

    const replacement = randomBytes(200);
    const s2 = randomUUID();
    await stage(drive, s2, 'part.1', [[replacement]]);
    await drive.commitHealedShards(s2, 'bucket', dataDir, ['part.1']);
    reader = await drive.openShard('bucket', dataDir, 'part.1');
    expect((await reader.read(0, 1000)).equals(replacement)).toBe(true);
    await reader.close();
    expect((await readdir(join(h.backing.root, 'bucket', dataDir.slice(0, 2), dataDir))).sort()).toEqual(['part.1', 'part.2']);
    await drive.discardStaged(s1);
    await drive.discardStaged(s2);
    await expectDriveError(drive.commitHealedShards(randomUUID(), 'bucket', dataDir, ['../escape']), ['invalid']);
  });

  it('healing support: system files round-trip, undefined removes, unsafe names are refused', async () => {
    expect(await drive.readSysFile('heal-progress.json')).toBeUndefined();
    const data = Buffer.from(JSON.stringify({ done: 42, é: 'ü' }));
    await drive.writeSysFile('heal-progress.json', data);
    expect(Buffer.from((await drive.readSysFile('heal-progress.json'))!).equals(data)).toBe(true);
    await drive.writeSysFile('heal-progress.json', Buffer.from('{}'));
    expect(Buffer.from((await drive.readSysFile('heal-progress.json'))!).toString()).toBe('{}');
    await drive.writeSysFile('heal-progress.json', undefined);
    expect(await drive.readSysFile('heal-progress.json')).toBeUndefined();
    for (const bad of ['format.json', '../x.json', 'a/b.json', '.hidden.json', 'x.txt']) {
      await expectDriveError(drive.writeSysFile(bad, Buffer.from('{}')), ['invalid']);
      await expectDriveError(drive.readSysFile(bad), ['invalid']);
    }
    expect(await drive.readFormat()).toEqual(FORMAT);
  });

  it('a wiped drive goes offline and says so (DriveError offline), however it is reached', async () => {
    await drive.writeRecord('bucket', 'k', record('k'));
    await rm(h.backing.root, { recursive: true, force: true });
    await new Promise((r) => setTimeout(r, 150)); // past the identity-check interval
    await expectDriveError(drive.readRecord('bucket', 'k'), ['offline']);
    await expectDriveError(drive.listRecords('bucket', { prefix: '', limit: 10 }), ['offline']);
  });
});

// ---------------------------------------------------------------------------------------------
// A fault-injecting Drive wrapper, and an ErasureSet (EC 2+2) living with it.

type Fault = { kind?: 'faulty' | 'offline'; delayMs?: number };

/**
 * Wraps any Drive: methods named in `faults` (or every method, with `all`) wait `delayMs` and/or throw
 * DriveError(kind). Shard writers and readers count as `shardWrite`, `shardFinish`, `shardRead`.
 * With `reportOffline`, isOnline() says false, as a drive known to be down does.
 */
class FaultyDrive implements Drive {
  faults = new Map<string, Fault>();
  all?: Fault;
  reportOffline = false;
  calls = new Map<string, number>();

  constructor(readonly inner: Drive) {}

  get endpoint(): string {
    return `faulty:${this.inner.endpoint}`;
  }

  get isLocal(): boolean {
    return this.inner.isLocal;
  }

  failAll(kind: 'faulty' | 'offline'): this {
    this.all = { kind };
    return this;
  }

  fail(kind: 'faulty' | 'offline', ...methods: string[]): this {
    for (const m of methods) this.faults.set(m, { ...this.faults.get(m), kind });
    return this;
  }

  delay(ms: number, ...methods: string[]): this {
    for (const m of methods) this.faults.set(m, { ...this.faults.get(m), delayMs: ms });
    return this;
  }

  heal(): this {
    this.faults.clear();
    this.all = undefined;
    this.reportOffline = false;
    return this;
  }

  private async run<T>(method: string, op: () => Promise<T>): Promise<T> {
    this.calls.set(method, (this.calls.get(method) ?? 0) + 1);
    const fault = this.faults.get(method) ?? this.all;
    if (fault?.delayMs) await new Promise((r) => setTimeout(r, fault.delayMs));
    if (fault?.kind) throw new DriveError(fault.kind, `${this.endpoint}: injected ${fault.kind} in ${method}`);
    return op();
  }

  isOnline(): boolean {
    return !this.reportOffline && this.inner.isOnline();
  }

  readFormat = (): Promise<DriveFormat | undefined> => this.run('readFormat', () => this.inner.readFormat());
  writeFormat = (f: DriveFormat): Promise<void> => this.run('writeFormat', () => this.inner.writeFormat(f));
  makeBucket = (n: string, c: number): Promise<void> => this.run('makeBucket', () => this.inner.makeBucket(n, c));
  deleteBucket = (n: string): Promise<boolean> => this.run('deleteBucket', () => this.inner.deleteBucket(n));
  listBuckets = (): Promise<BucketEntry[]> => this.run('listBuckets', () => this.inner.listBuckets());
  statBucket = (n: string): Promise<BucketEntry | undefined> => this.run('statBucket', () => this.inner.statBucket(n));
  bucketHasObjects = (n: string): Promise<boolean> => this.run('bucketHasObjects', () => this.inner.bucketHasObjects(n));
  readBucketConfig = (n: string, t: number): Promise<BucketConfig | undefined> => this.run('readBucketConfig', () => this.inner.readBucketConfig(n, t));
  writeBucketConfig = (n: string, t: number, c: BucketConfig): Promise<boolean> => this.run('writeBucketConfig', () => this.inner.writeBucketConfig(n, t, c));
  readRecord = (b: string, k: string): Promise<ObjectRecord | undefined> => this.run('readRecord', () => this.inner.readRecord(b, k));
  writeRecord = (b: string, k: string, r: ObjectRecord | undefined, fence?: number): Promise<void> => this.run('writeRecord', () => this.inner.writeRecord(b, k, r, fence));
  commitVersion = (b: string, k: string, r: ObjectRecord, fence: number, data?: VersionData): Promise<void> =>
    this.run('commitVersion', () => this.inner.commitVersion(b, k, r, fence, data));
  listRecords = (b: string, o: ListRecordsOptions): Promise<RecordEntry[]> => this.run('listRecords', () => this.inner.listRecords(b, o));

  createShardWriter = (stagingId: string, file: string): Promise<ShardWriter> =>
    this.run('createShardWriter', async () => {
      const w = await this.inner.createShardWriter(stagingId, file);
      return {
        write: (chunks: Buffer[]) => this.run('shardWrite', () => w.write(chunks)),
        finish: () => this.run('shardFinish', () => w.finish()),
        abort: () => w.abort(),
      };
    });

  discardStaged = (s: string): Promise<void> => this.run('discardStaged', () => this.inner.discardStaged(s));
  openShard = (b: string, d: string, f: string): Promise<ShardReader> =>
    this.run('openShard', async () => {
      const r = await this.inner.openShard(b, d, f);
      return { read: (offset: number, length: number) => this.run('shardRead', () => r.read(offset, length)), close: () => r.close() };
    });
  deleteDataDir = (b: string, d: string): Promise<void> => this.run('deleteDataDir', () => this.inner.deleteDataDir(b, d));
  readUpload = (b: string, k: string, u: string): Promise<UploadRecord | undefined> => this.run('readUpload', () => this.inner.readUpload(b, k, u));
  writeUpload = (b: string, r: UploadRecord): Promise<void> => this.run('writeUpload', () => this.inner.writeUpload(b, r));
  deleteUpload = (b: string, k: string, u: string): Promise<void> => this.run('deleteUpload', () => this.inner.deleteUpload(b, k, u));
  listUploads = (b: string | undefined, p: string): Promise<UploadEntry[]> => this.run('listUploads', () => this.inner.listUploads(b, p));
  commitPart = (s: string, u: string, p: UploadPartRecord): Promise<void> => this.run('commitPart', () => this.inner.commitPart(s, u, p));
  listParts = (u: string): Promise<UploadPartRecord[]> => this.run('listParts', () => this.inner.listParts(u));
  restoreUploadData = (u: string, k: number[], b: string, d: string): Promise<void> => this.run('restoreUploadData', () => this.inner.restoreUploadData(u, k, b, d));
  checkShards = (b: string, d: string, r: ShardCheckRequest): Promise<ShardState[]> => this.run('checkShards', () => this.inner.checkShards(b, d, r));
  commitHealedShards = (s: string, b: string, d: string, f: string[]): Promise<void> => this.run('commitHealedShards', () => this.inner.commitHealedShards(s, b, d, f));
  listRecordKeys = (b: string, o: ListRecordsOptions): Promise<string[]> => this.run('listRecordKeys', () => this.inner.listRecordKeys(b, o));
  listDataDirs = (b: string, p: string): Promise<DataDirEntry[]> => this.run('listDataDirs', () => this.inner.listDataDirs(b, p));
  readSysFile = (n: string): Promise<Buffer | undefined> => this.run('readSysFile', () => this.inner.readSysFile(n));
  spaceInfo = (): ReturnType<Drive['spaceInfo']> => this.run('spaceInfo', () => this.inner.spaceInfo());
  writeSysFile = (n: string, d: Buffer | undefined): Promise<void> => this.run('writeSysFile', () => this.inner.writeSysFile(n, d));
  close = (): Promise<void> => this.inner.close();
}

function putBody(data: Buffer, chunk = 10_000): PutBody {
  const md5 = createHash('md5');
  let size = 0;
  return {
    stream: (async function* () {
      for (let i = 0; i < data.length; i += chunk) {
        const c = data.subarray(i, i + chunk);
        md5.update(c);
        size += c.length;
        yield c;
      }
    })(),
    seal: () => ({ etag: md5.digest('hex'), size, checksums: {} }),
  };
}

async function expectObjectLayerError(promise: Promise<unknown>, kind: ObjectLayerErrorKind): Promise<void> {
  let caught: unknown;
  try {
    await promise;
  } catch (err) {
    caught = err;
  }
  expect(caught, 'expected an ObjectLayerError').toBeInstanceOf(ObjectLayerError);
  expect((caught as ObjectLayerError).kind).toBe(kind);
}

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

describe('ErasureSet EC 2+2 over fault-injecting drives', () => {
  const BUCKET = 'bucket';
  /** Small blocks so that a few hundred KiB make many blocks; small inline limit so both paths are used. */
  const CONTEXT = { blockSize: 64 * KiB, inlineLimit: 4 * KiB, defaultParity: 2 };
  const BIG = 300 * KiB + 17; // 5 blocks, the last partial
  const SMALL = 3 * KiB; // inline
  let parent: string;
  let backing: LocalDrive[];
  let drives: FaultyDrive[];
  let set: ErasureSet;
  let rpc: RpcNode | undefined;
  let peer: Peer | undefined;

  beforeAll(async () => {
    await initCodec();
  });

  /** Four drives; with `remote`, the last two are RemoteDrives served over RPC. */
  const makeSet = async (remote = false): Promise<void> => {
    parent = await mkdtemp(join(tmpdir(), 'tessera-faulty-'));
    backing = [];
    for (let i = 0; i < 4; i++) {
      const d = new LocalDrive(join(parent, `d${i}`));
      await d.prepare();
      await d.writeFormat({ ...FORMAT, thisDrive: FORMAT.sets[0][i] });
      await d.open();
      await d.makeBucket(BUCKET, 1);
      backing.push(d);
    }
    let inner: Drive[] = backing;
    if (remote) {
      rpc = await rpcNode({ key: TOKEN, fingerprint: FINGERPRINT, drives: new Map([[2, backing[2]], [3, backing[3]]]) });
      peer = new Peer(rpc.address, TOKEN, FINGERPRINT);
      inner = [backing[0], backing[1], new RemoteDrive(peer, 2, 'remote-2'), new RemoteDrive(peer, 3, 'remote-3')];
    }
    drives = inner.map((d) => new FaultyDrive(d));
    set = new ErasureSet(drives, { ...CONTEXT, locks: new NamespaceLock() });
  };

  afterEach(async () => {
    peer?.close();
    peer = undefined;
    await rpc?.close();
    rpc = undefined;
    for (const d of backing) await d.close();
    await rm(parent, { recursive: true, force: true });
  });

  const put = (key: string, data: Buffer): Promise<unknown> => set.putObject(BUCKET, key, putBody(data), { headers: {} });
  /** How many drives hold a record of `key` (looking at the drives themselves, not through the set). */
  const holders = async (key: string): Promise<number> => (await Promise.all(backing.map((d) => d.readRecord(BUCKET, key)))).filter(Boolean).length;

  it('baseline: writes and reads both inline and multi-block objects on four healthy drives', async () => {
    await makeSet();
    for (const [key, size] of [['small', SMALL], ['big', BIG], ['empty', 0]] as const) {
      const data = randomBytes(size);
      await put(key, data);
      expect(sha(await readObject(set, BUCKET, key))).toBe(sha(data));
      expect(await holders(key)).toBe(4);
    }
  });

  for (const kind of ['faulty', 'offline'] as const) {
    it(`writes with one ${kind} drive of four (every method throws), and reads the object back`, async () => {
      await makeSet();
      drives[1].failAll(kind);
      for (const [key, size] of [['small', SMALL], ['big', BIG]] as const) {
        const data = randomBytes(size);
        await put(key, data);
        expect(sha(await readObject(set, BUCKET, key)), key).toBe(sha(data));
        expect(await holders(key)).toBe(3);
        expect(await backing[1].readRecord(BUCKET, key)).toBeUndefined();
      }
      expect(await readdir(join(backing[0].root, '.tessera.sys', 'tmp'))).toEqual([]);
    });

    it(`refuses with SlowDownWrite when two of four drives are ${kind}, and leaves the previous version in place`, async () => {
      await makeSet();
      const old = { small: randomBytes(SMALL), big: randomBytes(BIG) };
      await put('small', old.small);
      await put('big', old.big);
      drives[0].failAll(kind);
      drives[3].failAll(kind);
      for (const key of ['small', 'big', 'new-big', 'new-small'] as const) {
        await expectObjectLayerError(put(key, randomBytes(key.endsWith('small') ? SMALL : BIG)), 'write-quorum');
      }
      drives[0].heal();
      drives[3].heal();
      expect(sha(await readObject(set, BUCKET, 'small'))).toBe(sha(old.small));
      expect(sha(await readObject(set, BUCKET, 'big'))).toBe(sha(old.big));
      await expectObjectLayerError(set.getObjectInfo(BUCKET, 'new-big'), 'no-such-key');
      await expectObjectLayerError(set.getObjectInfo(BUCKET, 'new-small'), 'no-such-key');
      expect(await holders('new-big')).toBe(0);
      for (const d of backing) expect(await readdir(join(d.root, '.tessera.sys', 'tmp'))).toEqual([]);
    });
  }

  it('refuses with SlowDownWrite when two drives fail only at commit (shard data written fine), undoing the other two', async () => {
    await makeSet();
    const old = randomBytes(BIG);
    await put('big', old);
    drives[1].fail('faulty', 'commitVersion');
    drives[2].fail('offline', 'commitVersion');
    await expectObjectLayerError(put('big', randomBytes(BIG)), 'write-quorum');
    await expectObjectLayerError(put('fresh', randomBytes(BIG)), 'write-quorum');
    drives[1].heal();
    drives[2].heal();
    expect(sha(await readObject(set, BUCKET, 'big'))).toBe(sha(old));
    expect(await holders('fresh')).toBe(0);
  });

  it('refuses with SlowDownWrite when two drives fail in the middle of the shard stream', async () => {
    await makeSet();
    drives[0].fail('faulty', 'shardWrite');
    drives[2].fail('faulty', 'shardFinish');
    await expectObjectLayerError(put('big', randomBytes(BIG)), 'write-quorum');
    drives[0].heal();
    drives[2].heal();
    expect(await holders('big')).toBe(0);
    for (const d of backing) expect(await readdir(join(d.root, '.tessera.sys', 'tmp'))).toEqual([]);
  });

  it('reads with two faulty drives (metadata and shard reads fail), but not with three', async () => {
    await makeSet();
    const data = { small: randomBytes(SMALL), big: randomBytes(BIG) };
    await put('small', data.small);
    await put('big', data.big);
    drives[0].fail('faulty', 'readRecord', 'openShard', 'shardRead');
    drives[2].fail('offline', 'readRecord', 'openShard', 'shardRead');
    expect(sha(await readObject(set, BUCKET, 'small'))).toBe(sha(data.small));
    expect(sha(await readObject(set, BUCKET, 'big'))).toBe(sha(data.big));
    // shards unreadable but metadata fine: the set reads the other shards (parity) instead
    drives[0].heal().fail('faulty', 'openShard');
    drives[2].heal().fail('faulty', 'shardRead');
    expect(sha(await readObject(set, BUCKET, 'big'))).toBe(sha(data.big));
    // listing still works with two drives failing
    drives[1].fail('faulty', 'listRecords');
    drives[3].fail('faulty', 'listRecords');
    expect((await set.listPage(BUCKET, '', undefined, 100)).entries.map((e) => e.key)).toEqual(['big', 'small']);
    // three: no read quorum
    drives[0].heal().failAll('faulty');
    drives[1].heal().failAll('faulty');
    drives[2].heal().failAll('offline');
    drives[3].heal();
    await expectObjectLayerError(readObject(set, BUCKET, 'big'), 'read-quorum');
    await expectObjectLayerError(readObject(set, BUCKET, 'small'), 'read-quorum');
  });

  it('a listing asks a write quorum of drives, and the others only when those fail or do not show every key settled', async () => {
    await makeSet();
    for (const key of ['a', 'b', 'c']) await put(key, randomBytes(SMALL));
    const listCalls = (): number[] => drives.map((d) => d.calls.get('listRecords') ?? 0);
    const listing = async (): Promise<{ keys: string[]; asked: number[] }> => {
      const before = listCalls();
      const keys = (await set.listPage(BUCKET, '', undefined, 100)).entries.map((e) => e.key);
      return { keys, asked: listCalls().map((n, slot) => n - before[slot]) };
    };
    const settled = await listing();
    expect(settled.keys).toEqual(['a', 'b', 'c']);
    expect(settled.asked.filter((n) => n > 0).length).toBe(3); // write quorum of EC 2+2
    const first = settled.asked.findIndex((n) => n > 0);
    const notAsked = settled.asked.findIndex((n) => n === 0);
    // One of them lost b's record (as a drive that missed the write): b is not shown settled by three
    // drives, so the fourth is asked too, and b is listed.
    await backing[first].writeRecord(BUCKET, 'b', undefined);
    expect(await listing()).toEqual({ keys: ['a', 'b', 'c'], asked: [1, 1, 1, 1] });
    await put('b', randomBytes(SMALL));
    // One of them fails: the fourth stands in.
    drives[first].fail('faulty', 'listRecords');
    expect(await listing()).toEqual({ keys: ['a', 'b', 'c'], asked: [1, 1, 1, 1] });
    drives[first].heal();
    // A key only on the drive not asked (a write that reached one drive and was undone everywhere
    // else) is not committed: the first three agree without it, and it is not listed.
    await backing[notAsked].writeRecord(BUCKET, 'stray', (await backing[notAsked].readRecord(BUCKET, 'a'))!);
    expect((await listing()).keys).toEqual(['a', 'b', 'c']);
  });

  it('a slow drive delays but does not break reads and writes', async () => {
    await makeSet();
    drives[3].delay(150, 'readRecord', 'writeRecord', 'shardWrite', 'shardRead', 'createShardWriter');
    drives[1].failAll('faulty');
    const data = randomBytes(BIG);
    await put('big', data);
    expect(sha(await readObject(set, BUCKET, 'big'))).toBe(sha(data));
    expect(await holders('big')).toBe(3);
  });

  it('multipart: a drive that missed a re-upload of a part does not serve its stale shards after completion', async () => {
    await makeSet();
    // a key whose data shard 1 or 2 lives on the drive at slot 1, so a read of this object uses that drive
    let key = 'mp';
    for (let i = 0; shardDistribution(key, 4)[1] > 2; i++) key = `mp-${i}`;
    const MIN = 5 * 1024 * KiB;
    const one = randomBytes(MIN);
    const oldTwo = randomBytes(100 * KiB + 3);
    const newTwo = randomBytes(100 * KiB + 3);
    const upload = await set.uploads.create(BUCKET, key, { headers: {} });
    const p1 = await set.uploads.uploadPart(BUCKET, key, upload.uploadId, 1, putBody(one, 64 * KiB));
    await set.uploads.uploadPart(BUCKET, key, upload.uploadId, 2, putBody(oldTwo));
    // the re-upload of part 2 misses the drive at slot 1, which keeps the old part 2
    drives[1].fail('faulty', 'createShardWriter');
    const p2 = await set.uploads.uploadPart(BUCKET, key, upload.uploadId, 2, putBody(newTwo));
    drives[1].heal();
    expect((await backing[1].listParts(upload.uploadId)).find((p) => p.number === 2)?.etag).not.toBe(p2.etag);
    await set.uploads.complete(
      BUCKET,
      key,
      upload.uploadId,
      [
        { number: 1, etag: p1.etag },
        { number: 2, etag: p2.etag },
      ],
      { checksums: () => ({}) },
    );
    const got = await readObject(set, BUCKET, key);
    expect(got.length).toBe(one.length + newTwo.length);
    const wrong = [...Array(got.length).keys()].filter((k) => got[k] !== (k < one.length ? one[k] : newTwo[k - one.length])).length;
    expect(wrong, `${wrong} of ${got.length} bytes differ from what was uploaded`).toBe(0);
  });

  it('the same with two of the four drives remote (RemoteDrive over RPC): one faulty drive, then two', async () => {
    await makeSet(true);
    const data = randomBytes(BIG);
    await put('big', data);
    expect(await holders('big')).toBe(4);
    drives[3].failAll('offline');
    const next = randomBytes(BIG);
    await put('big', next);
    expect(sha(await readObject(set, BUCKET, 'big'))).toBe(sha(next));
    drives[0].failAll('faulty');
    await expectObjectLayerError(put('big', randomBytes(BIG)), 'write-quorum');
    expect(sha(await readObject(set, BUCKET, 'big'))).toBe(sha(next));
    drives[0].heal();
    drives[3].heal();
    expect(sha(await readObject(set, BUCKET, 'big'))).toBe(sha(next));
  });
});
