/**
 * Healing at the erasure-set level, in-process: LocalDrives in temp directories (EC 2+2, 64 KiB
 * blocks so multi-block objects stay small), some wrapped to fail or go offline on demand. Every
 * outcome is checked on disk with verifyDrives (records, shard sizes, every block's hash, parity
 * re-encoded, data decoded to the uploaded bytes), not by asking the code under test.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Peer } from '../../src/cluster/peer.js';
import { rpcKey } from '../../src/cluster/rpc-auth.js';
import { RemoteDrive } from '../../src/storage/remote-drive.js';
import { initCodec } from '../../src/codec/reed-solomon.js';
import { healObject } from '../../src/erasure/heal.js';
import { ErasureSet } from '../../src/erasure/set.js';
import { healConfigFromEnv } from '../../src/heal/config.js';
import { setKeys } from '../../src/heal/listing.js';
import { HealQueue } from '../../src/heal/mrf.js';
import { Scanner } from '../../src/heal/scanner.js';
import { HealStats } from '../../src/heal/stats.js';
import { Foreground, Pacer } from '../../src/heal/throttle.js';
import { NamespaceLock } from '../../src/lock/namespace-lock.js';
import type { ObjectRecord } from '../../src/meta/record.js';
import type { PutBody } from '../../src/object/types.js';
import type { Drive } from '../../src/storage/drive.js';
import type { DriveFormat } from '../../src/storage/format.js';
import { LocalDrive } from '../../src/storage/local-drive.js';
import { faulty, formattedDrives, type Faults } from '../helpers/drive-rig.js';
import { rpcNode } from '../helpers/rpc-node.js';
import { damageRecord, dataDirsOnDrive, rotSummary, flipByte, shardPath, verifyDrives, type Expected } from '../helpers/heal-disk.js';

const KiB = 1024;
const MiB = 1024 * KiB;
const BLOCK = 64 * KiB;
const BUCKET = 'heal-bucket';
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function body(data: Buffer): PutBody {
  return {
    stream: Readable.from([data]),
    seal: () => ({ etag: createHash('md5').update(data).digest('hex'), size: data.length, checksums: {} }),
  };
}

interface Rig {
  dir: string;
  roots: string[];
  local: LocalDrive[];
  faults: Faults[];
  set: ErasureSet;
  format: DriveFormat;
}

async function makeRig(): Promise<Rig> {
  await initCodec();
  const dir = await mkdtemp(join(tmpdir(), 'tessera-heal-'));
  const ids = [0, 1, 2, 3].map(() => randomUUID());
  const format: DriveFormat = { version: 1, deploymentId: randomUUID(), sets: [ids], thisDrive: '' };
  const roots = ids.map((_, i) => join(dir, `d${i + 1}`));
  const local = roots.map((r) => new LocalDrive(r));
  for (let i = 0; i < 4; i++) {
    await local[i].prepare();
    await local[i].writeFormat({ ...format, thisDrive: ids[i] });
    await local[i].open();
    await local[i].makeBucket(BUCKET, Date.now());
  }
  const faults = local.map(() => ({ offline: false, failWrites: false }));
  const drives = local.map((d, i) => faulty(d, faults[i]));
  const set = new ErasureSet(drives, { blockSize: BLOCK, inlineLimit: 16 * KiB, defaultParity: 2, locks: new NamespaceLock() });
  return { dir, roots, local, faults, set, format };
}

async function put(rig: Rig, key: string, size: number, expected: Expected[]): Promise<Expected> {
  const data = randomBytes(size);
  await rig.set.putObject(BUCKET, key, body(data), { headers: {} });
  const e = { bucket: BUCKET, key, body: data };
  expected.push(e);
  return e;
}

async function putMultipart(rig: Rig, key: string, sizes: number[], expected: Expected[]): Promise<Expected> {
  const upload = await rig.set.uploads.create(BUCKET, key, { headers: {} });
  const parts: Buffer[] = [];
  const chosen: { number: number; etag: string }[] = [];
  for (let i = 0; i < sizes.length; i++) {
    const data = randomBytes(sizes[i]);
    parts.push(data);
    const part = await rig.set.uploads.uploadPart(BUCKET, key, upload.uploadId, i + 1, body(data));
    chosen.push({ number: i + 1, etag: part.etag });
  }
  await rig.set.uploads.complete(BUCKET, key, upload.uploadId, chosen, { checksums: () => ({}) });
  const e = { bucket: BUCKET, key, body: Buffer.concat(parts) };
  expected.push(e);
  return e;
}

async function record(rig: Rig, slot: number, key: string): Promise<ObjectRecord | undefined> {
  return rig.local[slot].readRecord(BUCKET, key);
}

/** Leaves `key` only on the drives in `keep`: the others lose the record and the data. */
async function keepOnly(rig: Rig, key: string, keep: number[]): Promise<string> {
  const rec = (await record(rig, keep[0], key))!;
  const dataDir = rec.versions[0].dataDir;
  for (let slot = 0; slot < 4; slot++) {
    if (keep.includes(slot)) continue;
    await rig.local[slot].writeRecord(BUCKET, key, undefined);
    if (dataDir) await rig.local[slot].deleteDataDir(BUCKET, dataDir);
  }
  return dataDir;
}

const rigs: Rig[] = [];
afterAll(async () => {
  for (const rig of rigs) {
    for (const d of rig.local) await d.close().catch(() => undefined);
    await rm(rig.dir, { recursive: true, force: true });
  }
});

describe('heal one object (EC 2+2, LocalDrives)', () => {
  let rig: Rig;
  const expected: Expected[] = [];

  beforeAll(async () => {
    rig = await makeRig();
    rigs.push(rig);
    await put(rig, 'empty', 0, expected);
    await put(rig, 'inline-1k', KiB, expected);
    await put(rig, 'inline-16k', 16 * KiB, expected);
    await put(rig, 'one-block', 40 * KiB, expected);
    await put(rig, 'multi-block', 5 * BLOCK + 123, expected);
    await putMultipart(rig, 'multipart', [5 * MiB, 70 * KiB], expected);
    const report = await verifyDrives(rig.roots, expected);
    expect(report.problems).toEqual([]);
  });

  it('a wiped and replaced drive: revive formats it into its slot, heal rebuilds every object in full', async () => {
    const slot = 1;
    await rm(rig.roots[slot], { recursive: true, force: true });
    await mkdir(rig.roots[slot]);
    await sleep(150);
    expect(await rig.local[slot].probe()).toBe(false);
    expect(rig.local[slot].isOnline()).toBe(false);
    expect(await rig.local[slot].revive(rig.format, rig.format.sets[0][slot])).toBe('reformatted');
    expect(rig.local[slot].isOnline()).toBe(true);
    await rig.local[slot].makeBucket(BUCKET, Date.now());

    const before = await verifyDrives(rig.roots, expected);
    expect(before.problems.length).toBeGreaterThan(0);
    for (const e of expected) {
      const result = await healObject(rig.set, BUCKET, e.key);
      expect(result.outcome, `${e.key}: ${result.reasons.join('; ')}`).toBe('healed');
      expect(result.before[slot]).toBe('missing');
      expect(result.after).toEqual(['ok', 'healed', 'ok', 'ok']);
      if (e.body.length > 0) expect(result.bytesPerDrive[slot]).toBeGreaterThan(0);
    }
    const after = await verifyDrives(rig.roots, expected);
    expect(after.problems).toEqual([]);
    for (const e of expected) expect(after.shards.get(`${BUCKET}/${e.key}`)).toBe(4);
    // Nothing left staged.
    for (const root of rig.roots) expect(readdirSync(join(root, '.tessera.sys', 'tmp'))).toEqual([]);
    // A second heal finds nothing to do.
    for (const e of expected) expect((await healObject(rig.set, BUCKET, e.key)).outcome).toBe('ok');
  });

  it('bitrot: a normal heal does not see a flipped byte, a deep heal repairs it; inline shards are always verified', async () => {
    const multi = (await record(rig, 0, 'multi-block'))!.versions[0];
    const file = shardPath(rig.roots[2], BUCKET, multi.dataDir, 1);
    await flipByte(file, 8 + BLOCK / 2 + 100); // block 1's payload
    expect((await healObject(rig.set, BUCKET, 'multi-block')).outcome).toBe('ok');
    const deep = await healObject(rig.set, BUCKET, 'multi-block', { deep: true });
    expect(deep.outcome, deep.reasons.join('; ')).toBe('healed');
    expect(deep.before[2]).toBe('corrupt');
    expect(deep.corruptShards).toBe(1);

    // An inline shard with a flipped byte in its record: found without deep.
    const rec = (await record(rig, 3, 'inline-16k'))!;
    const inline = Buffer.from(rec.versions[0].inline!);
    inline[100] ^= 0xff;
    await rig.local[3].writeRecord(BUCKET, 'inline-16k', { versions: [{ ...rec.versions[0], inline }] });
    const healed = await healObject(rig.set, BUCKET, 'inline-16k');
    expect(healed.outcome).toBe('healed');
    expect(healed.before[3]).toBe('corrupt');

    // Multipart: a truncated part.2 on one drive and a corrupt part.1 block on another.
    const mp = (await record(rig, 0, 'multipart'))!.versions[0];
    await writeFile(shardPath(rig.roots[0], BUCKET, mp.dataDir, 2), Buffer.alloc(10));
    await flipByte(shardPath(rig.roots[3], BUCKET, mp.dataDir, 1), 8 + 5);
    const mpHeal = await healObject(rig.set, BUCKET, 'multipart', { deep: true });
    expect(mpHeal.outcome, mpHeal.reasons.join('; ')).toBe('healed');
    expect(mpHeal.after).toEqual(['healed', 'ok', 'ok', 'healed']);

    const report = await verifyDrives(rig.roots, expected);
    expect(report.problems).toEqual([]);
  });

  it('a normal heal that meets a corrupt source block switches to deep and still rebuilds correctly', async () => {
    const multi = (await record(rig, 0, 'multi-block'))!.versions[0];
    // Drive 1 loses the file; the data-shard source of block 0 is corrupt on another drive.
    await rm(shardPath(rig.roots[0], BUCKET, multi.dataDir, 1));
    const dataSlots = multi.erasure.distribution.map((index, slot) => ({ index, slot })).filter((x) => x.index <= 2 && x.slot !== 0);
    await flipByte(shardPath(rig.roots[dataSlots[0].slot], BUCKET, multi.dataDir, 1), 8 + 7);
    const result = await healObject(rig.set, BUCKET, 'multi-block');
    expect(result.outcome, result.reasons.join('; ')).toBe('healed');
    expect(result.after[0]).toBe('healed');
    expect(result.after[dataSlots[0].slot]).toBe('healed');
    expect((await verifyDrives(rig.roots, expected)).problems).toEqual([]);
  });

  it('a stale copy (another version of the key) is replaced and its data removed', async () => {
    const current = (await record(rig, 2, 'one-block'))!;
    const staleDir = randomUUID();
    await mkdir(join(rig.roots[2], BUCKET, staleDir.slice(0, 2), staleDir), { recursive: true });
    await writeFile(shardPath(rig.roots[2], BUCKET, staleDir, 1), 'old data');
    await rig.local[2].writeRecord(BUCKET, 'one-block', { versions: [{ ...current.versions[0], modTime: 1, etag: 'old', dataDir: staleDir }] });
    const result = await healObject(rig.set, BUCKET, 'one-block');
    expect(result.outcome).toBe('healed');
    expect(result.before[2]).toBe('stale');
    expect(existsSync(join(rig.roots[2], BUCKET, staleDir.slice(0, 2), staleDir))).toBe(false);
    expect((await verifyDrives(rig.roots, expected)).problems).toEqual([]);
  });

  it('no read quorum: a heal changes nothing and says why', async () => {
    const multi = (await record(rig, 0, 'multi-block'))!.versions[0];
    const files = rig.roots.map((r) => shardPath(r, BUCKET, multi.dataDir, 1));
    for (const f of files.slice(0, 3)) await flipByte(f, 8 + 11); // block 0 bad on three drives
    const before = await Promise.all(files.map((f) => readFile(f)));
    const result = await healObject(rig.set, BUCKET, 'multi-block', { deep: true });
    expect(result.outcome).toBe('failed');
    expect(result.reasons.join(' ')).toMatch(/only 1 of the 2 shards needed are intact/);
    const after = await Promise.all(files.map((f) => readFile(f)));
    after.forEach((b, i) => expect(b.equals(before[i]), `drive ${i + 1} changed`).toBe(true));
    for (let slot = 0; slot < 4; slot++) expect(await record(rig, slot, 'multi-block')).toBeDefined();
    // put it back for the other tests
    for (const f of files.slice(0, 3)) await flipByte(f, 8 + 11);
    expect((await verifyDrives(rig.roots, expected)).problems).toEqual([]);
  });
});

describe('dangling objects', () => {
  let rig: Rig;

  beforeAll(async () => {
    rig = await makeRig();
    rigs.push(rig);
  });

  it('a version on fewer drives than read quorum, every drive answering: removed with its data', async () => {
    await put(rig, 'partial-put', 3 * BLOCK, []);
    const dataDir = await keepOnly(rig, 'partial-put', [0]);
    expect(dataDirsOnDrive(rig.roots[0], BUCKET)).toContain(dataDir);
    const dry = await healObject(rig.set, BUCKET, 'partial-put', { dryRun: true });
    expect(dry.outcome).toBe('would-remove');
    expect(await record(rig, 0, 'partial-put')).toBeDefined();
    const result = await healObject(rig.set, BUCKET, 'partial-put');
    expect(result.outcome).toBe('removed');
    expect(result.versionsRemoved).toBe(1);
    expect(result.reasons.join(' ')).toMatch(/dangling/);
    for (let slot = 0; slot < 4; slot++) expect(await record(rig, slot, 'partial-put')).toBeUndefined();
    expect(dataDirsOnDrive(rig.roots[0], BUCKET)).not.toContain(dataDir);
  });

  it('the same with a drive offline (or still starting): nothing is removed, the heal says it cannot decide', async () => {
    await put(rig, 'maybe-partial', 2 * BLOCK, []);
    const dataDir = await keepOnly(rig, 'maybe-partial', [0]);
    rig.faults[3].offline = true;
    try {
      const result = await healObject(rig.set, BUCKET, 'maybe-partial');
      expect(result.outcome).toBe('failed');
      expect(result.offlineDrives).toBe(1);
      expect(result.reasons.join(' ')).toMatch(/did not answer or hold a damaged record: cannot decide/);
      expect(await record(rig, 0, 'maybe-partial')).toBeDefined();
      expect(dataDirsOnDrive(rig.roots[0], BUCKET)).toContain(dataDir);
    } finally {
      rig.faults[3].offline = false;
    }
  });

  it('heal removed every copy of a key whose newest version was dangling beside wiped drives it was never sent to: it keeps the version that one replaced', async () => {
    // Two drives were wiped (offline) when an overwrite reached only the first drive, which keeps the
    // version it replaced; the wiped drives came back empty. The new version names them as drives its
    // commit was not sent to, so they cannot hide a copy of it: it was never acknowledged, and the
    // replaced version, on read quorum (drive 1 as the replaced one, drive 2 as current), is the
    // object. Found by the torture suite: heal had removed the key.
    const old = await put(rig, 'cut-short', 3 * BLOCK, []);
    const oldRecord = (await record(rig, 0, 'cut-short'))!;
    await keepOnly(rig, 'cut-short', [0, 1]);
    const [current] = oldRecord.versions;
    const newer = { ...current, modTime: current.modTime + 1, etag: 'e'.repeat(32), dataDir: randomUUID() };
    await rig.local[0].writeRecord(BUCKET, 'cut-short', { versions: [{ ...newer, erasure: { ...newer.erasure, notSentTo: [2, 3] } }], replaced: current });
    expect((await rig.set.getObjectInfo(BUCKET, 'cut-short')).etag).toBe(current.etag);

    const result = await healObject(rig.set, BUCKET, 'cut-short');
    expect(result.outcome).toBe('healed');
    const report = await verifyDrives(rig.roots, [old]);
    expect(report.problems).toEqual([]);
    expect(report.shards.get(`${BUCKET}/cut-short`)).toBe(4);
    expect((await rig.set.getObjectInfo(BUCKET, 'cut-short')).etag).toBe(current.etag);

    // Had the blank drives been sent the new version, they may have lost it acknowledged: the replaced
    // one would be stale, so it is not served, and heal removes the key (as an interrupted delete would).
    await put(rig, 'maybe-acked', 3 * BLOCK, []);
    const maybe = (await record(rig, 0, 'maybe-acked'))!.versions[0];
    await keepOnly(rig, 'maybe-acked', [0, 1]);
    await rig.local[0].writeRecord(BUCKET, 'maybe-acked', { versions: [{ ...maybe, modTime: maybe.modTime + 1, etag: 'f'.repeat(32), dataDir: randomUUID() }], replaced: maybe });
    await expect(rig.set.getObjectInfo(BUCKET, 'maybe-acked')).rejects.toThrow();
    expect((await healObject(rig.set, BUCKET, 'maybe-acked')).outcome).toBe('removed');
    for (let slot = 0; slot < 4; slot++) expect(await record(rig, slot, 'maybe-acked')).toBeUndefined();
  });

  it('records on every drive but the part files gone from three: removed (every drive answered)', async () => {
    await put(rig, 'lost-data', 2 * BLOCK, []);
    const dataDir = (await record(rig, 0, 'lost-data'))!.versions[0].dataDir;
    for (const slot of [1, 2, 3]) await rig.local[slot].deleteDataDir(BUCKET, dataDir);
    const result = await healObject(rig.set, BUCKET, 'lost-data');
    expect(result.outcome).toBe('removed');
    for (let slot = 0; slot < 4; slot++) expect(await record(rig, slot, 'lost-data')).toBeUndefined();
    expect(dataDirsOnDrive(rig.roots[0], BUCKET)).not.toContain(dataDir);
  });

  it('the scanner removes dangling remains and orphan data directories, but nothing while a drive is offline', async () => {
    const kept: Expected[] = [];
    await put(rig, 'keeper', 3 * BLOCK, kept);
    await put(rig, 'keeper-inline', 2 * KiB, kept);
    await put(rig, 'scan-dangling', BLOCK, []);
    await keepOnly(rig, 'scan-dangling', [2]);
    // An orphan: a data dir no record names (a crash between rename and record commit).
    const orphan = randomUUID();
    await mkdir(join(rig.roots[1], BUCKET, orphan.slice(0, 2), orphan), { recursive: true });
    await writeFile(shardPath(rig.roots[1], BUCKET, orphan, 1), randomBytes(100));
    await sleep(1300);

    const config = { ...healConfigFromEnv({}), orphanAgeMs: 1000, scannerDelayMs: 0 };
    const stats = new HealStats();
    const scanner = new Scanner({ sets: [rig.set], drives: rig.set.drives, config, stats, pacer: new Pacer(new Foreground(), () => 0) });

    rig.faults[0].offline = true;
    await scanner.runCycle();
    rig.faults[0].offline = false;
    expect(await record(rig, 2, 'scan-dangling')).toBeDefined();
    expect(dataDirsOnDrive(rig.roots[1], BUCKET)).toContain(orphan);
    expect(stats.danglingRemoved).toBe(0);
    expect(stats.orphansRemoved).toBe(0);

    await scanner.runCycle({ deep: true });
    expect(await record(rig, 2, 'scan-dangling')).toBeUndefined();
    expect(dataDirsOnDrive(rig.roots[1], BUCKET)).not.toContain(orphan);
    // 'maybe-partial' (left on one drive by the test before, while a drive was offline) goes too.
    expect(await record(rig, 0, 'maybe-partial')).toBeUndefined();
    expect(stats.danglingRemoved).toBe(2);
    expect(stats.orphansRemoved).toBe(1);
    expect((await verifyDrives(rig.roots, kept)).problems).toEqual([]);
  });
});

describe('MRF queue', () => {
  it('a write that missed a drive is queued, survives a restart of the queue, and is healed once the drive works', async () => {
    const rig = await makeRig();
    rigs.push(rig);
    const stats = new HealStats();
    const storage = (): Drive[] => rig.set.drives.filter((d) => d.isOnline());
    const makeQueue = (): HealQueue =>
      new HealQueue({ sets: [rig.set], stats, pacer: new Pacer(new Foreground(), () => 0), capacity: 100, storage });
    const first = makeQueue();
    rig.set.healHooks = { partialWrite: (b, k) => void first.add(0, b, k, 'mrf') };

    const expected: Expected[] = [];
    rig.faults[1].failWrites = true;
    await put(rig, 'missed-big', 3 * BLOCK + 5, expected);
    await put(rig, 'missed-inline', 3 * KiB, expected);
    expect(first.length).toBe(2);
    expect(await record(rig, 1, 'missed-big')).toBeUndefined();
    await first.stop(); // saves mrf.json on the drives
    for (const root of rig.roots) expect(existsSync(join(root, '.tessera.sys', 'mrf.json'))).toBe(true);

    // "Restart": a new queue loads the saved entries. The drive still fails: the heal fails and is retried later.
    const second = makeQueue();
    expect(await second.load()).toBe(2);
    second.start();
    const deadline = Date.now() + 4000;
    while (stats.healErrors < 2 && Date.now() < deadline) await sleep(20);
    expect(stats.healErrors).toBe(2);
    expect(second.length).toBe(2);

    rig.faults[1].failWrites = false;
    const healedBy = Date.now() + 8000;
    while (second.length > 0 && Date.now() < healedBy) await sleep(50);
    expect(second.length).toBe(0);
    expect(stats.healed.mrf).toBe(2);
    const report = await verifyDrives(rig.roots, expected);
    expect(report.problems).toEqual([]);
    await second.stop();
    for (const root of rig.roots) expect(existsSync(join(root, '.tessera.sys', 'mrf.json'))).toBe(false);
  });

  it('heal on read: a GET that meets a corrupt shard reports it (corrupt), one that needs parity reports it too', async () => {
    const rig = await makeRig();
    rigs.push(rig);
    const seen: [string, boolean][] = [];
    rig.set.healHooks = { degradedRead: (_b, key, corrupt) => seen.push([key, corrupt]) };
    const e = await put(rig, 'read-me', 2 * BLOCK, []);
    const v = (await record(rig, 0, 'read-me'))!.versions[0];
    const dataSlot = v.erasure.distribution.indexOf(1);
    await flipByte(shardPath(rig.roots[dataSlot], BUCKET, v.dataDir, 1), 8 + 3);
    const reader = await rig.set.getObject(BUCKET, 'read-me');
    const chunks: Buffer[] = [];
    for await (const c of reader.stream) chunks.push(c as Buffer);
    expect(Buffer.concat(chunks).equals(e.body)).toBe(true);
    await sleep(10);
    expect(seen).toEqual([['read-me', true]]);

    await rig.local[3].writeRecord(BUCKET, 'read-me', undefined);
    seen.length = 0;
    await rig.set.getObjectInfo(BUCKET, 'read-me');
    expect(seen).toEqual([['read-me', false]]);
  });
});

describe('damaged records (issue 10: "a damaged record counts as no record and feeds the dangling rule")', () => {
  it('a damaged record counts as no record and feeds the dangling rule: it does not, nothing is removed', async () => {
    const rig = await makeRig();
    rigs.push(rig);
    await put(rig, 'rotten', 3 * BLOCK, []);
    const dataDir = (await record(rig, 0, 'rotten'))!.versions[0].dataDir;
    for (const slot of [1, 2, 3]) await damageRecord(rig.roots[slot], BUCKET, 'rotten');
    await expect(rig.local[1].readRecord(BUCKET, 'rotten')).rejects.toMatchObject({ kind: 'damaged' });
    await expect(rig.set.getObjectInfo(BUCKET, 'rotten')).rejects.toMatchObject({ kind: 'read-quorum' });

    const result = await healObject(rig.set, BUCKET, 'rotten');
    expect(result.versionsRemoved).toBe(0);
    expect(result.outcome).toBe('failed');
    expect((await record(rig, 0, 'rotten'))?.versions[0].dataDir).toBe(dataDir);
    for (const root of rig.roots) expect(dataDirsOnDrive(root, BUCKET)).toContain(dataDir);
  });

  it('heal rewrites a damaged record from the quorum', async () => {
    const rig = await makeRig();
    rigs.push(rig);
    const expected: Expected[] = [];
    await put(rig, 'bruised', 3 * BLOCK, expected);
    await put(rig, 'bruised-inline', 100, expected);
    for (const e of expected) await damageRecord(rig.roots[2], BUCKET, e.key);
    const listed = await rig.set.listPage(BUCKET, '', undefined, 100);
    expect(listed.entries.map((entry) => entry.key)).toEqual(['bruised', 'bruised-inline']);
    for (const e of expected) {
      const result = await healObject(rig.set, BUCKET, e.key);
      expect(result.outcome).toBe('healed');
      expect(result.before[2]).toBe('missing');
    }
    expect((await verifyDrives(rig.roots, expected)).problems).toEqual([]);
  });
});

describe('listing summaries, taken without their checksums', () => {
  it('a summary rotted on the drive a listing asks first is not listed: the listing shows what the checked records say', async () => {
    const rig = await makeRig();
    rigs.push(rig);
    const expected: Expected[] = [];
    await put(rig, 'rot-inline', 100, expected);
    await put(rig, 'rot-large', 3 * BLOCK, expected);
    const etags = expected.map((e) => createHash('md5').update(e.body).digest('hex'));
    for (const e of expected) await rotSummary(rig.roots[0], BUCKET, e.key);
    const listed = await rig.set.listPage(BUCKET, '', undefined, 100);
    expect(listed.entries.map((entry) => [entry.key, entry.summary.etag])).toEqual(expected.map((e, i) => [e.key, etags[i]]));
  });

  it('a set of one drive has no second copy to compare: its drive checks every summary, and a rotted one is not listed', async () => {
    const rig = await formattedDrives(1, [BUCKET]);
    try {
      const set = new ErasureSet(rig.drives, { blockSize: BLOCK, inlineLimit: 16 * KiB, defaultParity: 0, locks: new NamespaceLock() });
      await set.putObject(BUCKET, 'alone', body(Buffer.from('one copy')), { headers: {} });
      await rotSummary(rig.roots[0], BUCKET, 'alone');
      // The one record fails its checksum: the key cannot be decided, so the listing answers 503 as GET does.
      await expect(set.listPage(BUCKET, '', undefined, 100)).rejects.toMatchObject({ kind: 'read-quorum' });
      await expect(rig.drives[0].listRecords(BUCKET, { prefix: '', limit: 10, verify: true })).resolves.toEqual([{ key: 'alone' }]);
    } finally {
      await rig.destroy();
    }
  });
});

describe('listings of keys that cannot be decided', () => {
  it('a key GET cannot read for want of drives makes the listing answer 503 too, rather than drop it', async () => {
    const rig = await makeRig();
    rigs.push(rig);
    // 3 data + 1 parity: read quorum 3. One drive lost its record, one does not answer.
    const data = randomBytes(100);
    await rig.set.putObject(BUCKET, 'undecided', body(data), { headers: {}, parity: 1 });
    await rig.local[3].writeRecord(BUCKET, 'undecided', undefined);
    rig.faults[2].offline = true;
    try {
      await expect(rig.set.getObjectInfo(BUCKET, 'undecided')).rejects.toMatchObject({ kind: 'read-quorum' });
      await expect(rig.set.listPage(BUCKET, '', undefined, 100)).rejects.toMatchObject({ kind: 'read-quorum' });
    } finally {
      rig.faults[2].offline = false;
    }
    // What the drives prove was never committed is not listed.
    await rig.local[1].writeRecord(BUCKET, 'undecided', undefined);
    expect((await rig.set.listPage(BUCKET, '', undefined, 100)).entries).toEqual([]);
  });
});

describe('the data of replaced versions', () => {
  it('an overwrite whose old data outlived it (a crash before its removal) leaves no data the scanner must keep', async () => {
    const rig = await makeRig();
    rigs.push(rig);
    await put(rig, 'twice', 2 * BLOCK, []);
    const old = (await record(rig, 0, 'twice'))!.versions[0].dataDir;
    await put(rig, 'twice', 2 * BLOCK, []);
    expect((await record(rig, 0, 'twice'))!.replaced?.dataDir).toBe(old);
    // The replacing version is committed everywhere: the replaced data is garbage, not in use.
    expect((await healObject(rig.set, BUCKET, 'twice')).dataDirs).not.toContain(old);
    // Where the replacing version never reached write quorum, the replaced data is the object's.
    for (const slot of [2, 3]) await rig.local[slot].writeRecord(BUCKET, 'twice', { versions: [(await record(rig, slot, 'twice'))!.replaced!] });
    const rolledBack = await healObject(rig.set, BUCKET, 'twice', { dryRun: true });
    expect(rolledBack.dataDirs).toContain(old);
  });
});

describe('over node RPC (two of the four drives are RemoteDrives)', () => {
  it('heal, deep verification, the key listing, the queue file and orphan removal all work through msgpack RPC', async () => {
    const rig = await makeRig();
    rigs.push(rig);
    const token = rpcKey({ accessKey: 'heal-rpc', secretKey: 'heal-rpc-secret' });
    const served = await rpcNode({ key: token, fingerprint: 'heal-fp', drives: new Map([[2, rig.local[2]], [3, rig.local[3]]]) });
    const peer = new Peer(served.address, token, 'heal-fp');
    try {
      const drives: Drive[] = [rig.set.drives[0], rig.set.drives[1], new RemoteDrive(peer, 2, 'remote-2'), new RemoteDrive(peer, 3, 'remote-3')];
      const set = new ErasureSet(drives, rig.set.ctx);
      const expected: Expected[] = [];
      for (const [key, size] of [['r-inline', 5 * KiB], ['r-multi', 4 * BLOCK + 9], ['r-empty', 0]] as const) {
        const data = randomBytes(size);
        await set.putObject(BUCKET, key, body(data), { headers: {} });
        expected.push({ bucket: BUCKET, key, body: data });
      }
      // Remote drive 3 loses everything about the objects; remote drive 2 gets bitrot.
      const v = (await rig.local[0].readRecord(BUCKET, 'r-multi'))!.versions[0];
      for (const e of expected) await rig.local[3].writeRecord(BUCKET, e.key, undefined);
      await rig.local[3].deleteDataDir(BUCKET, v.dataDir);
      await flipByte(shardPath(rig.roots[2], BUCKET, v.dataDir, 1), 8 + 2 * (8 + BLOCK / 2) + 40);

      const keys: string[] = [];
      for await (const key of setKeys(set, BUCKET)) keys.push(key);
      expect(keys).toEqual(['r-empty', 'r-inline', 'r-multi']);
      for (const e of expected) {
        const result = await healObject(set, BUCKET, e.key, { deep: true });
        expect(result.outcome, `${e.key}: ${result.reasons.join('; ')}`).toBe('healed');
        expect(result.after[3]).toBe('healed');
      }
      expect((await verifyDrives(rig.roots, expected)).problems).toEqual([]);

      const stats = new HealStats();
      const queue = new HealQueue({ sets: [set], stats, pacer: new Pacer(new Foreground(), () => 0), capacity: 10, storage: () => drives.slice(2) });
      queue.add(0, BUCKET, 'r-multi', 'mrf');
      await queue.save();
      const again = new HealQueue({ sets: [set], stats, pacer: new Pacer(new Foreground(), () => 0), capacity: 10, storage: () => drives.slice(2) });
      expect(await again.load()).toBe(1);

      const orphan = randomUUID();
      await mkdir(join(rig.roots[3], BUCKET, orphan.slice(0, 2), orphan), { recursive: true });
      await sleep(1100);
      const config = { ...healConfigFromEnv({}), orphanAgeMs: 1000, scannerDelayMs: 0 };
      await new Scanner({ sets: [set], drives, config, stats, pacer: new Pacer(new Foreground(), () => 0) }).runCycle();
      expect(dataDirsOnDrive(rig.roots[3], BUCKET)).not.toContain(orphan);
      expect(stats.orphansRemoved).toBe(1);
      expect((await verifyDrives(rig.roots, expected)).problems).toEqual([]);
    } finally {
      peer.close();
      await served.close();
    }
  });
});
