/**
 * Heal must never bring back a version an acknowledged overwrite replaced. (A review found it doing
 * so with a heal that passed over any version short of read quorum once every drive answered; that
 * rule was dropped before it shipped.)
 *
 * EC 2+2 on four drives (read quorum 2, write quorum 3). O is written everywhere (small: inline).
 * While drive 4 is offline, PUT N succeeds on drives 1-3 (write quorum; its records name drive 4 in
 * notSentTo and keep O as `replaced`). Drive 4 returns, still holding O. Then a DELETE is cut short:
 * it removes the record on drives 1 and 2 and fails on 3 and 4 (a crash mid-delete does the same),
 * so the client gets 503. The only acceptable states now are "N" or "no such key".
 *
 * Reads answer 503 (the blank drives may have lost N). Heal, with every drive answering, finds no
 * version it may serve and removes the key, as the interrupted delete would have; it must not take O,
 * held by drive 3 as `replaced` and by drive 4 as current (2 = read quorum).
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { initCodec } from '../../src/codec/reed-solomon.js';
import { healObject } from '../../src/erasure/heal.js';
import { ErasureSet } from '../../src/erasure/set.js';
import { NamespaceLock } from '../../src/lock/namespace-lock.js';
import type { PutBody } from '../../src/object/types.js';
import { DriveError, type Drive } from '../../src/storage/drive.js';
import { LocalDrive } from '../../src/storage/local-drive.js';

const BUCKET = 'heal-bucket';
const KEY = 'k';

interface Faults {
  offline: boolean;
  failWrites: boolean;
}

function faulty(drive: LocalDrive, faults: Faults): Drive {
  return new Proxy(drive, {
    get(target, prop, receiver) {
      if (prop === 'isOnline') return () => !faults.offline && target.isOnline();
      const value = Reflect.get(target, prop, receiver) as unknown;
      if (typeof value !== 'function' || prop === 'close') return value;
      return (...args: unknown[]) => {
        if (faults.offline) return Promise.reject(new DriveError('offline', `${target.root} is offline (test)`));
        if (faults.failWrites && (prop === 'writeRecord' || prop === 'commitVersion')) return Promise.reject(new DriveError('faulty', `${target.root}: write refused (test)`));
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
}

function body(data: Buffer): PutBody {
  return {
    stream: Readable.from([data]),
    seal: () => ({ etag: createHash('md5').update(data).digest('hex'), size: data.length, checksums: {} }),
  };
}

async function read(set: ErasureSet): Promise<Buffer> {
  const { stream } = await set.getObject(BUCKET, KEY);
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

let dir: string | undefined;
const local: LocalDrive[] = [];
afterAll(async () => {
  for (const d of local) await d.close().catch(() => undefined);
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('heal after an interrupted delete', () => {
  it('never serves the version an acknowledged overwrite replaced', async () => {
    await initCodec();
    dir = await mkdtemp(join(tmpdir(), 'tessera-review-'));
    const ids = [0, 1, 2, 3].map(() => randomUUID());
    for (let i = 0; i < 4; i++) {
      const d = new LocalDrive(join(dir, `d${i + 1}`));
      await d.prepare();
      await d.writeFormat({ version: 1, deploymentId: 'review', sets: [ids], thisDrive: ids[i] });
      await d.open();
      await d.makeBucket(BUCKET, Date.now());
      local.push(d);
    }
    const faults = local.map(() => ({ offline: false, failWrites: false }));
    const set = new ErasureSet(local.map((d, i) => faulty(d, faults[i])), { blockSize: 64 * 1024, inlineLimit: 16 * 1024, defaultParity: 2, locks: new NamespaceLock() });

    const old = randomBytes(1000);
    await set.putObject(BUCKET, KEY, body(old), { headers: {} });

    // Drive 4 offline: the overwrite reaches drives 1-3, write quorum, and is acknowledged.
    faults[3].offline = true;
    const neu = randomBytes(1000);
    await set.putObject(BUCKET, KEY, body(neu), { headers: {} });
    faults[3].offline = false;
    expect(await read(set)).toEqual(neu);

    // A DELETE cut short: drives 1 and 2 drop the record, drives 3 and 4 do not. The client gets 503.
    faults[2].failWrites = true;
    faults[3].failWrites = true;
    await expect(set.deleteObject(BUCKET, KEY)).rejects.toThrow();
    faults[2].failWrites = false;
    faults[3].failWrites = false;

    await healObject(set, BUCKET, KEY);

    // Acceptable: N, or no such key. Never O.
    const after = await read(set).then(
      (bytes) => (bytes.equals(old) ? 'old (overwritten) version' : bytes.equals(neu) ? 'new version' : 'other bytes'),
      (err: unknown) => (err as { kind?: string }).kind ?? String(err),
    );
    expect(after).not.toBe('old (overwritten) version');
  });
});
