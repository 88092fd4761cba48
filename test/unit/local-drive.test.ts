import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { armFailpoint } from '../../src/failpoints.js';
import type { ObjectRecord } from '../../src/meta/record.js';
import { DriveError } from '../../src/storage/drive.js';
import { encodeRecord } from '../../src/meta/encoding.js';
import { encodeObjectRecord, unpackSummary } from '../../src/meta/listing-summary.js';
import { MetadataWriter, metadataWriter } from '../../src/storage/metadata-writer.js';
import { damageRecord } from '../helpers/heal-disk.js';
import { setImmutable } from '../torture/drive-faults.js';
import { LocalDrive, SPACE_CHECK_REUSE_MS } from '../../src/storage/local-drive.js';

function record(etag: string): ObjectRecord {
  return {
    versions: [
      {
        versionId: 'null',
        modTime: 1,
        deleteMarker: false,
        size: 1,
        etag,
        dataDir: '',
        headers: {},
        checksums: {},
        parts: [],
        erasure: { dataShards: 1, parityShards: 1, blockSize: 1024, index: 1, distribution: [1, 2] },
      },
    ],
  };
}

describe('LocalDrive', () => {
  let dir: string;
  let drive: LocalDrive;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tessera-drive-'));
    drive = new LocalDrive(join(dir, 'd1'));
    await drive.prepare();
    await drive.writeFormat({ version: 1, deploymentId: 'dep', sets: [['a', 'b']], thisDrive: 'a' });
    await drive.open();
    await drive.makeBucket('bucket', 1);
  });

  afterEach(async () => {
    await drive.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('stores any valid key as data, never as a path', async () => {
    const keys = ['a//b', '../x', '../../../../etc/passwd', 'x/', './y', '日本語/ファイル', 'k'.repeat(1024), '%2F', ' '];
    for (const key of keys) await drive.writeRecord('bucket', key, record(key));
    for (const key of keys) expect((await drive.readRecord('bucket', key))?.versions[0].etag).toBe(key);
    expect(await readdir(dir)).toEqual(['d1']);
    expect((await readdir(join(dir, 'd1'))).sort()).toEqual(['.tessera.sys', 'bucket']);
  });

  it('lists in UTF-8 byte order within the bucket and prefix, from a bound', async () => {
    const keys = ['b', 'a', 'a/1', 'a/2', 'é', 'z', 'ab'];
    for (const key of keys) await drive.writeRecord('bucket', key, record(key));
    await drive.makeBucket('bucket2', 1);
    await drive.writeRecord('bucket2', 'a', record('other'));
    const all = await drive.listRecords('bucket', { prefix: '', limit: 100 });
    expect(all.map((e) => e.key)).toEqual([...keys].sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y))));
    const underA = await drive.listRecords('bucket', { prefix: 'a/', limit: 100 });
    expect(underA.map((e) => e.key)).toEqual(['a/1', 'a/2']);
    const fromAb = await drive.listRecords('bucket', { prefix: '', from: Buffer.from('ab'), limit: 2 });
    expect(fromAb.map((e) => e.key)).toEqual(['ab', 'b']);
    expect(await drive.bucketHasObjects('bucket2')).toBe(true);
  });

  it('a record write to a drive that turned read-only never reaches lmdb: the metadata writer refuses it (EROFS), and the node takes the drive offline', async () => {
    await drive.writeRecord('bucket', 'k', record('before'));
    const meta = join(dir, 'd1', '.tessera.sys', 'meta');
    const dataFile = join(meta, 'data.mdb');
    const writer = metadataWriter();
    const store = await writer.open(meta);
    await setImmutable(dataFile, true);
    try {
      // The writer's check, seen directly; then through the drive, which goes offline on hearing it.
      const refused = await writer.write(store, { kind: 'write-record', bucket: 'bucket', key: 'k', value: encodeObjectRecord(record('after')) }).then(() => undefined, (e: unknown) => e);
      expect((refused as NodeJS.ErrnoException)?.code).toBe('EROFS');
      const err = await drive.writeRecord('bucket', 'k', record('after')).then(() => undefined, (e: unknown) => e);
      expect(err).toBeInstanceOf(DriveError);
      expect((err as DriveError).message).toMatch(/turned read-only/);
      expect(drive.isOnline()).toBe(false);
    } finally {
      await writer.close(store);
      await setImmutable(dataFile, false);
    }
  });

  it('a drive that turned read-only while its metadata writer was down stayed online for good: the restarted writer refuses to reopen it (EROFS), and the drive goes offline', async () => {
    await drive.close();
    const writer = new MetadataWriter();
    const own = new LocalDrive(join(dir, 'd1'), undefined, undefined, undefined, writer);
    await own.open();
    try {
      await own.writeRecord('bucket', 'k', record('before'));
      const pid = writer.pid!;
      process.kill(pid, 'SIGKILL');
      while (writer.pid === pid) await new Promise((r) => setTimeout(r, 10));
      await setImmutable(join(dir, 'd1'), true);
      const err = await own.writeRecord('bucket', 'k', record('after')).then(() => undefined, (e: unknown) => e);
      expect((err as DriveError).message).toMatch(/turned read-only/);
      expect(own.isOnline()).toBe(false);
    } finally {
      await setImmutable(join(dir, 'd1'), false);
      await own.close();
      drive = new LocalDrive(join(dir, 'd1'));
      await drive.open();
    }
  });

  it('a drive that turned read-only is taken offline by the drive monitor, though no write reached its metadata writer', async () => {
    await setImmutable(join(dir, 'd1'), true);
    try {
      expect(await drive.probe()).toBe(false);
      expect(drive.isOnline()).toBe(false);
    } finally {
      await setImmutable(join(dir, 'd1'), false);
    }
  });

  it('lists a record stored before summaries existed whole and a damaged one as neither when asked to check (by its summary, unchecked, otherwise), and no listed byte points into the read buffer lmdb reuses', async () => {
    const withInline = (etag: string, fill: number): ObjectRecord => {
      const r = record(etag);
      r.versions[0].inline = new Uint8Array(300).fill(fill);
      return r;
    };
    await drive.writeRecord('bucket', 'a-current', withInline('a-current', 1));
    await drive.writeRecord('bucket', 'd-damaged', record('d-damaged'));
    const writer = metadataWriter();
    const store = await writer.open(join(dir, 'd1', '.tessera.sys', 'meta'));
    try {
      // The stored form before records carried their listing summary: the record alone.
      await writer.write(store, { kind: 'write-record', bucket: 'bucket', key: 'b-old', value: encodeRecord(withInline('b-old', 7)) });
      await writer.write(store, { kind: 'write-record', bucket: 'bucket', key: 'c-old', value: encodeRecord(withInline('c-old', 9)) });
    } finally {
      await writer.close(store);
    }
    await damageRecord(join(dir, 'd1'), 'bucket', 'd-damaged');
    const entries = await drive.listRecords('bucket', { prefix: '', limit: 100, verify: true });
    expect(entries.map((e) => e.key)).toEqual(['a-current', 'b-old', 'c-old', 'd-damaged']);
    const [current, old1, old2, damaged] = entries;
    expect(unpackSummary(current.summary!).etag).toBe('a-current');
    expect(current.record).toBeUndefined();
    expect(old1.summary).toBeUndefined();
    expect([old1.record?.versions[0].etag, [...new Set(old1.record?.versions[0].inline)]]).toEqual(['b-old', [7]]);
    expect([old2.record?.versions[0].etag, [...new Set(old2.record?.versions[0].inline)]]).toEqual(['c-old', [9]]);
    expect(damaged).toEqual({ key: 'd-damaged' });
    const unchecked = await drive.listRecords('bucket', { prefix: 'd-', limit: 100 });
    expect(unpackSummary(unchecked[0].summary!).etag).toBe('d-damaged');
  });

  it('applies writes to one record in the order they were made, within a turn and across turns (the writer checks writability per message, then applies them in order)', async () => {
    const inOneTurn = Array.from({ length: 20 }, (_, i) => drive.writeRecord('bucket', 'ordered', record(`one-turn-${i}`)));
    await Promise.all(inOneTurn);
    expect((await drive.readRecord('bucket', 'ordered'))?.versions[0].etag).toBe('one-turn-19');
    const acrossTurns: Promise<void>[] = [];
    for (let i = 0; i < 20; i++) {
      acrossTurns.push(drive.writeRecord('bucket', 'ordered', record(`turn-${i}`)));
      await new Promise((r) => setImmediate(r));
    }
    await Promise.all(acrossTurns);
    expect((await drive.readRecord('bucket', 'ordered'))?.versions[0].etag).toBe('turn-19');
  });

  it('deletes a record when written as undefined', async () => {
    await drive.writeRecord('bucket', 'k', record('x'));
    await drive.writeRecord('bucket', 'k', undefined);
    expect(await drive.readRecord('bucket', 'k')).toBeUndefined();
  });

  it('commits staged shard files by rename and reads them back by offset', async () => {
    const stagingId = randomUUID();
    const dataDir = randomUUID();
    const writer = await drive.createShardWriter(stagingId, 'part.1');
    await writer.write([Buffer.from('hello '), Buffer.from('world')]);
    await writer.finish();
    await drive.commitStaged(stagingId, 'bucket', dataDir);
    const reader = await drive.openShard('bucket', dataDir, 'part.1');
    expect((await reader.read(6, 5)).toString()).toBe('world');
    expect((await reader.read(8, 100)).toString()).toBe('rld');
    await reader.close();
    expect(await readdir(join(dir, 'd1', '.tessera.sys', 'tmp'))).toEqual([]);
    await drive.deleteDataDir('bucket', dataDir);
    await expect(drive.openShard('bucket', dataDir, 'part.1')).rejects.toBeInstanceOf(DriveError);
  });

  // Issue 10, failure 5: "Concurrent UploadPart of one part number mixes bodies" (rename A, rename B, record B, record A).
  it('concurrent UploadPart of one part number never mixes bodies: a part file and its record come from one upload', async () => {
    const uploadId = 'f'.repeat(64);
    const stage = await uploadWithStaging(uploadId);
    const [a, b] = [await stage('body A'), await stage('body B')];
    // The first commit to have moved its file in waits there, so the second one can overtake it.
    let paused = false;
    const disarm = armFailpoint('local-drive.commit-part.moved', async () => {
      if (paused) return;
      paused = true;
      await new Promise((r) => setTimeout(r, 200));
    });
    try {
      await Promise.all([
        drive.commitPart(a, uploadId, { number: 1, size: 6, etag: 'body A', modTime: 1 }),
        new Promise((r) => setTimeout(r, 50)).then(() => drive.commitPart(b, uploadId, { number: 1, size: 6, etag: 'body B', modTime: 2 })),
      ]);
    } finally {
      disarm();
    }
    const [recorded] = await drive.listParts(uploadId);
    expect(await completedPart(uploadId)).toBe(recorded.etag);
  });

  /** Completes the upload on this drive (its part 1) and returns what the object's part file holds. */
  async function completedPart(uploadId: string): Promise<string> {
    const dataDir = randomUUID();
    const [part] = await drive.listParts(uploadId);
    await drive.commitVersion('bucket', 'k', completing(part.etag), 10, { dataDir, uploadId, keep: [1] });
    return readFile(join(dir, 'd1', 'bucket', dataDir.slice(0, 2), dataDir, 'part.1'), 'utf8');
  }

  /** An upload on this drive and a way to stage bodies for its part 1. */
  async function uploadWithStaging(uploadId: string) {
    await drive.writeUpload('bucket', { uploadId, key: 'k', initiated: 1, headers: {}, erasure: record('x').versions[0].erasure, dataDir: randomUUID() });
    return async (content: string): Promise<string> => {
      const stagingId = randomUUID();
      const writer = await drive.createShardWriter(stagingId, 'part.1');
      await writer.write([Buffer.from(content)]);
      await writer.finish();
      return stagingId;
    };
  }

  /** A version made of part 1 as the completion chose it. */
  const completing = (etag: string): ObjectRecord => ({ versions: [{ ...record('done').versions[0], multipart: true, parts: [{ number: 1, size: 6, etag }] }] });

  it('a part uploaded again between the listing and the move went into the object under the ETag the completion chose: the drive refuses that commit', async () => {
    const uploadId = 'd'.repeat(64);
    const stage = await uploadWithStaging(uploadId);
    await drive.commitPart(await stage('body A'), uploadId, { number: 1, size: 6, etag: 'body A', modTime: 1 });
    // The completion listed part 1 as A; then an upload of B whose answer was lost lands.
    await drive.commitPart(await stage('body B'), uploadId, { number: 1, size: 6, etag: 'body B', modTime: 2 });
    const dataDir = randomUUID();
    await expect(drive.commitVersion('bucket', 'k', completing('body A'), 1, { dataDir, uploadId, keep: [1] })).rejects.toMatchObject({ kind: 'invalid' });
    expect(await drive.readRecord('bucket', 'k')).toBeUndefined();
  });

  it("a completion undone after a part was uploaded again put the old bytes over the new upload's file: the new one stays", async () => {
    const uploadId = 'c'.repeat(64);
    const stage = await uploadWithStaging(uploadId);
    await drive.commitPart(await stage('body A'), uploadId, { number: 1, size: 6, etag: 'body A', modTime: 1 });
    const dataDir = randomUUID();
    await drive.commitVersion('bucket', 'k', completing('body A'), 1, { dataDir, uploadId, keep: [1] });
    await drive.commitPart(await stage('body B'), uploadId, { number: 1, size: 6, etag: 'body B', modTime: 2 });
    await drive.writeRecord('bucket', 'k', undefined, 2); // the completion missed quorum: undone
    await drive.restoreUploadData(uploadId, [1], 'bucket', dataDir);
    const [part] = await drive.listParts(uploadId);
    expect(part.etag).toBe('body B');
    expect(await completedPart(uploadId)).toBe('body B');
  });

  it("a part whose record write failed after its file was moved in left its file under the other upload's record: each record keeps its own file", async () => {
    const uploadId = 'e'.repeat(64);
    const stage = await uploadWithStaging(uploadId);
    const [a, b] = [await stage('body A'), await stage('body B')];
    await drive.commitPart(b, uploadId, { number: 1, size: 6, etag: 'body B', modTime: 2 });
    // A's record write fails (its writer died, the drive filled up) after A's file was moved in.
    const disarm = armFailpoint('local-drive.commit-part.moved', () => {
      throw new Error('the record write failed (test)');
    });
    try {
      await expect(drive.commitPart(a, uploadId, { number: 1, size: 6, etag: 'body A', modTime: 3 })).rejects.toThrow();
    } finally {
      disarm();
    }
    const [recorded] = await drive.listParts(uploadId);
    expect(recorded.etag).toBe('body B');
    // A's file, certainly unrecorded, is not left behind until the upload ends.
    expect(await readdir(join(dir, 'd1', '.tessera.sys', 'multipart', uploadId))).toEqual([`part.1.${b}`]);
    expect(await completedPart(uploadId)).toBe('body B');
  });

  it('goes offline when its directory is wiped instead of serving ghost metadata', async () => {
    await drive.writeRecord('bucket', 'k', record('x'));
    await rm(join(dir, 'd1'), { recursive: true, force: true });
    await new Promise((r) => setTimeout(r, 150));
    await expect(drive.readRecord('bucket', 'k')).rejects.toMatchObject({ kind: 'offline' });
    expect(drive.isOnline()).toBe(false);
  });

  it('clears stale staging data when prepared again', async () => {
    const writer = await drive.createShardWriter(randomUUID(), 'part.1');
    await writer.write([Buffer.from('x')]);
    await writer.finish();
    await drive.prepare();
    expect(await readdir(join(dir, 'd1', '.tessera.sys', 'tmp'))).toEqual([]);
  });
});

// Issue 10: "`tmp/<id>/`, `<bucket>/` and the format.json rename are never fsynced as directories".
// A name created or moved is durable only once its directory is fsynced; without a kernel to crash,
// the test records which directories the drive syncs, operation by operation.
describe('LocalDrive directory fsyncs', () => {
  let dir: string;
  let root: string;
  let sys: string;
  const synced: string[] = [];
  let drive: LocalDrive;

  /** The directories synced while `op` ran. */
  async function syncedBy(op: () => Promise<unknown>): Promise<string[]> {
    synced.length = 0;
    await op();
    return [...synced];
  }

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tessera-dirsync-'));
    root = join(dir, 'd1');
    sys = join(root, '.tessera.sys');
    drive = new LocalDrive(root, root, { sync: async (d: string) => void synced.push(d), isMountPoint: async () => false });
  });

  afterEach(async () => {
    await drive.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('a crash after any acknowledged create or rename keeps the new name: every parent directory is fsynced first', async () => {
    expect.soft(await syncedBy(() => drive.prepare())).toEqual(expect.arrayContaining([dir, root, sys]));
    expect.soft(await syncedBy(() => drive.writeFormat({ version: 1, deploymentId: 'dep', sets: [['a', 'b']], thisDrive: 'a' }))).toEqual(
      expect.arrayContaining([sys, join(sys, 'tmp')]),
    );
    expect.soft(await syncedBy(() => drive.open())).toEqual(expect.arrayContaining([join(sys, 'meta')]));
    expect.soft(await syncedBy(() => drive.makeBucket('bkt', 1))).toEqual(expect.arrayContaining([root]));

    const stagingId = randomUUID();
    const dataDir = `aa${randomUUID().slice(2)}`;
    const writer = await drive.createShardWriter(stagingId, 'part.1');
    await writer.write([Buffer.from('shard')]);
    expect.soft(await syncedBy(() => writer.finish())).toEqual(expect.arrayContaining([join(sys, 'tmp', stagingId)]));
    expect.soft(await syncedBy(() => drive.commitStaged(stagingId, 'bkt', dataDir))).toEqual(
      expect.arrayContaining([join(root, 'bkt'), join(root, 'bkt', 'aa'), join(sys, 'tmp')]),
    );

    const uploadId = 'f'.repeat(64);
    const uploadDataDir = `bb${randomUUID().slice(2)}`;
    const erasure = record('x').versions[0].erasure;
    expect.soft(await syncedBy(() => drive.writeUpload('bkt', { uploadId, key: 'k', initiated: 1, headers: {}, erasure, dataDir: uploadDataDir }))).toEqual(
      expect.arrayContaining([join(sys, 'multipart')]),
    );
    const partStaging = randomUUID();
    const partWriter = await drive.createShardWriter(partStaging, 'part.1');
    await partWriter.write([Buffer.from('part')]);
    await partWriter.finish();
    expect.soft(await syncedBy(() => drive.commitPart(partStaging, uploadId, { number: 1, size: 4, etag: 'e', modTime: 1 }))).toEqual(
      expect.arrayContaining([join(sys, 'multipart', uploadId), join(sys, 'tmp', partStaging)]),
    );
    expect.soft(await syncedBy(() => drive.commitVersion('bkt', 'k', record('mp'), 1, { dataDir: uploadDataDir, uploadId, keep: [1] }))).toEqual(
      expect.arrayContaining([join(root, 'bkt'), join(root, 'bkt', 'bb'), join(root, 'bkt', 'bb', uploadDataDir), join(sys, 'multipart', uploadId)]),
    );

    const healStaging = randomUUID();
    const healedDataDir = `cc${randomUUID().slice(2)}`;
    const healWriter = await drive.createShardWriter(healStaging, 'part.1');
    await healWriter.write([Buffer.from('healed')]);
    await healWriter.finish();
    expect.soft(await syncedBy(() => drive.commitHealedShards(healStaging, 'bkt', healedDataDir, ['part.1']))).toEqual(
      expect.arrayContaining([join(root, 'bkt'), join(root, 'bkt', 'cc'), join(root, 'bkt', 'cc', healedDataDir), join(sys, 'tmp', healStaging)]),
    );

    expect.soft(await syncedBy(() => drive.writeSysFile('state.json', Buffer.from('{}')))).toEqual(expect.arrayContaining([sys, join(sys, 'tmp')]));
  });
});

describe('LocalDrive free space', () => {
  let dir: string;
  let drive: LocalDrive;
  // What the drive keeps back, set per test: above its real free space, the drive counts as full.
  const reserve = { data: 0, metadata: 0 };

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tessera-drive-'));
    reserve.data = 0;
    reserve.metadata = 0;
    const root = join(dir, 'd1');
    drive = new LocalDrive(root, root, undefined, {
      dataBytes: () => reserve.data,
      get metadataBytes() {
        return reserve.metadata;
      },
    });
    await drive.prepare();
    await drive.writeFormat({ version: 1, deploymentId: 'dep', sets: [['a', 'b']], thisDrive: 'a' });
    await drive.open();
    await drive.makeBucket('bucket', 1);
    await drive.writeRecord('bucket', 'old', record('old'));
  });

  afterEach(async () => {
    await drive.close();
    await rm(dir, { recursive: true, force: true });
  });

  // A drive reuses one free-space check for the writes that follow it: let it ask again.
  const setReserve = async (data: number, metadata: number): Promise<void> => {
    reserve.data = data;
    reserve.metadata = metadata;
    await new Promise((r) => setTimeout(r, SPACE_CHECK_REUSE_MS.farFromReserve + 10));
  };

  const full = async (op: Promise<unknown>): Promise<void> => {
    const err = await op.then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(DriveError);
    expect((err as DriveError).kind).toBe('full');
  };

  it('below the data reserve refuses new data (shard files, commits of inline shards) and still takes record writes (restores, heal, deletes)', async () => {
    await setReserve(Number.MAX_SAFE_INTEGER, 0);
    await full(drive.createShardWriter(randomUUID(), 'part.1'));
    const inline = record('inline');
    inline.versions[0].inline = new Uint8Array(100);
    await full(drive.commitVersion('bucket', 'small', inline, 1));
    // A failed commit's undo writes back the record it replaced, inline shards and all: never refused for them.
    await drive.writeRecord('bucket', 'restored', inline);
    await drive.writeRecord('bucket', 'meta-only', record('meta-only'));
    await drive.writeRecord('bucket', 'old', undefined);
    expect(await drive.readRecord('bucket', 'old')).toBeUndefined();
    expect(drive.isOnline()).toBe(true);
  });

  it('below the metadata reserve refuses every write, deletes too, and stays online for reads', async () => {
    await setReserve(Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER);
    await full(drive.writeRecord('bucket', 'old', undefined));
    await full(drive.makeBucket('another', 1));
    expect((await drive.readRecord('bucket', 'old'))?.versions[0].etag).toBe('old');
    await setReserve(Number.MAX_SAFE_INTEGER, 0);
    await drive.writeRecord('bucket', 'old', undefined);
  });
});
