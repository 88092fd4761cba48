/**
 * The scanner's orphan removal deletes data directories no record names. It may only trust "no record
 * names it" when every object's heal really read the records: a heal that could not run (its lock
 * timed out, it failed part-way) says nothing about which directories are in use.
 * In-process: LocalDrives in temp directories (EC 2+2), a lock service that can refuse one key.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErasureSet } from '../../src/erasure/set.js';
import { ObjectLayerError } from '../../src/object/errors.js';
import { healConfigFromEnv } from '../../src/heal/config.js';
import { healObject } from '../../src/erasure/heal.js';
import { Scanner } from '../../src/heal/scanner.js';
import { armFailpoint } from '../../src/failpoints.js';
import type { VersionRecord } from '../../src/meta/record.js';
import { HealStats } from '../../src/heal/stats.js';
import { Foreground, Pacer } from '../../src/heal/throttle.js';
import type { Locker } from '../../src/lock/locker.js';
import { NamespaceLock } from '../../src/lock/namespace-lock.js';
import type { LocalDrive } from '../../src/storage/local-drive.js';
import { formattedDrives, putBody, type DriveRig } from '../helpers/drive-rig.js';
import { dataDirsOnDrive, verifyDrives, type Expected } from '../helpers/heal-disk.js';

const BUCKET = 'scan-bucket';
const BLOCK = 64 * 1024;
const ORPHAN_AGE_MS = 1000;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Grants every lock but those on `refused`, which time out as a busy lock service's would. */
class RefusingLocker implements Locker {
  readonly refused = new Set<string>();
  private readonly inner = new NamespaceLock();

  lock(name: string, write: boolean): ReturnType<Locker['lock']> {
    if (this.refused.has(name)) return Promise.reject(new ObjectLayerError('lock-timeout'));
    return this.inner.lock(name, write);
  }
}

let rig: DriveRig;
let roots: string[];
let drives: LocalDrive[];
let locks: RefusingLocker;
let set: ErasureSet;

beforeAll(async () => {
  rig = await formattedDrives(4, [BUCKET], 'tessera-scanner-');
  ({ roots, drives } = rig);
  locks = new RefusingLocker();
  set = new ErasureSet(drives, { blockSize: BLOCK, inlineLimit: 16 * 1024, defaultParity: 2, locks });
});

afterAll(() => rig.destroy());

function scanner(stats: HealStats): Scanner {
  const config = { ...healConfigFromEnv({}), orphanAgeMs: ORPHAN_AGE_MS, scannerDelayMs: 0 };
  return new Scanner({ sets: [set], drives, config, stats, pacer: new Pacer(new Foreground(), () => 0) });
}

describe('scanner orphan removal', () => {
  it('scanner keeps the data of an object whose heal could not run (lock timeout)', async () => {
    const expected: Expected[] = [];
    for (const key of ['locked-out', 'neighbour']) {
      const data = randomBytes(3 * BLOCK);
      await set.putObject(BUCKET, key, putBody(data), { headers: {} });
      expected.push({ bucket: BUCKET, key, body: data });
    }
    const dataDir = (await drives[0].readRecord(BUCKET, 'locked-out'))!.versions[0].dataDir;
    await sleep(ORPHAN_AGE_MS + 300);

    locks.refused.add(`${BUCKET}/locked-out`);
    const stats = new HealStats();
    try {
      await scanner(stats).runCycle();
    } finally {
      locks.refused.clear();
    }

    for (const root of roots) expect(dataDirsOnDrive(root, BUCKET)).toContain(dataDir);
    expect(stats.orphansRemoved).toBe(0);
    expect((await verifyDrives(roots, expected)).problems).toEqual([]);
  });

  it('a completion cut short after one drive recorded it lost its parts to heal (a dangling version): the upload keeps them', async () => {
    await cutShortCompletion('recorded-once', async (version) => {
      await drives[0].writeRecord(BUCKET, 'recorded-once', { versions: [version] }, 1);
      const result = await healObject(set, BUCKET, 'recorded-once');
      expect(result.versionsRemoved).toBe(1);
    });
  });

  it('a completion cut short by a crash lost its parts to the scanner: the upload keeps them, and a retry completes', async () => {
    await cutShortCompletion('cut-short', async () => {
      await sleep(ORPHAN_AGE_MS + 300);
      await scanner(new HealStats()).runCycle();
    });
  });
});

/**
 * A completion of a two-part upload of `key` cut short as a crash would: every drive moved the parts
 * into the version's data directory and none wrote its record. Then `meanwhile` runs; the parts must
 * still be there, and a retry of the completion must give back the object whole.
 */
async function cutShortCompletion(key: string, meanwhile: (version: VersionRecord) => Promise<void>): Promise<void> {
  const upload = await set.uploads.create(BUCKET, key, { headers: {} });
  const bodies = [randomBytes(5 * 1024 * 1024), randomBytes(1000)];
  const parts = [];
  for (const [i, body] of bodies.entries()) parts.push(await set.uploads.uploadPart(BUCKET, key, upload.uploadId, i + 1, putBody(body)));
  // The crash: every drive moved the parts into the version's data directory, none wrote its record.
  const listed = (await drives[0].listParts(upload.uploadId)).map(({ number, size, etag }) => ({ number, size, etag }));
  const version = { ...(await completedVersion(upload.dataDir)), parts: listed };
  const disarm = armFailpoint('local-drive.commit.placed', () => {
    throw new Error('crashed (test)');
  });
  try {
    for (const drive of drives) {
      await expect(drive.commitVersion(BUCKET, key, { versions: [version] }, 1, { dataDir: upload.dataDir, uploadId: upload.uploadId, keep: [1, 2] })).rejects.toThrow();
    }
  } finally {
    disarm();
  }
  await meanwhile(version);
  for (const root of roots) expect(dataDirsOnDrive(root, BUCKET)).toContain(upload.dataDir);

  const chosen = parts.map((p) => ({ number: p.number, etag: p.etag }));
  await set.uploads.complete(BUCKET, key, upload.uploadId, chosen, { checksums: () => ({}) });
  expect((await verifyDrives(roots, [{ bucket: BUCKET, key, body: Buffer.concat(bodies) }])).problems).toEqual([]);
}

/** A version record for an upload's data directory, as a completion would commit it (but for its parts). */
async function completedVersion(dataDir: string): Promise<VersionRecord> {
  await set.putObject(BUCKET, 'template', putBody(randomBytes(10)), { headers: {} });
  const template = (await drives[0].readRecord(BUCKET, 'template'))!.versions[0];
  return { ...template, versionId: 'null', dataDir, multipart: true, inline: undefined };
}
