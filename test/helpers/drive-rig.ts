/** In-process erasure-set rigs: LocalDrives formatted as one set in a temp directory. */
import { createHash, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { initCodec } from '../../src/codec/reed-solomon.js';
import type { ErasureSet } from '../../src/erasure/set.js';
import type { PutBody } from '../../src/object/types.js';
import { DriveError, type Drive } from '../../src/storage/drive.js';
import type { SpaceReserve } from '../../src/storage/free-space.js';
import { LocalDrive } from '../../src/storage/local-drive.js';

export interface DriveRig {
  dir: string;
  roots: string[];
  drives: LocalDrive[];
  /** Closes the drives and removes the directory. */
  destroy(): Promise<void>;
}

/** `count` drives formatted as one set, each holding `buckets`; `reserve(slot)` replaces a drive's default free-space reserve. */
export async function formattedDrives(
  count: number,
  buckets: string[],
  prefix = 'tessera-rig-',
  reserve?: (slot: number) => SpaceReserve,
): Promise<DriveRig> {
  await initCodec();
  const dir = await mkdtemp(join(tmpdir(), prefix));
  const ids = Array.from({ length: count }, () => randomUUID());
  const roots = ids.map((_, i) => join(dir, `d${i + 1}`));
  const drives = roots.map((r, i) => new LocalDrive(r, undefined, undefined, reserve?.(i)));
  for (let i = 0; i < count; i++) {
    await drives[i].prepare();
    await drives[i].writeFormat({ version: 1, deploymentId: `rig-${ids[0]}`, sets: [ids], thisDrive: ids[i] });
    await drives[i].open();
    for (const bucket of buckets) await drives[i].makeBucket(bucket, Date.now());
  }
  return {
    dir,
    roots,
    drives,
    async destroy() {
      for (const d of drives) await d.close().catch(() => undefined);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** A PutBody of bytes in hand, sealed with their MD5. */
export function putBody(data: Buffer): PutBody {
  return {
    stream: Readable.from([data]),
    seal: () => ({ etag: createHash('md5').update(data).digest('hex'), size: data.length, checksums: {} }),
  };
}

/** The whole body of an object, read through the set. */
export async function readObject(set: ErasureSet, bucket: string, key: string): Promise<Buffer> {
  const { stream } = await set.getObject(bucket, key);
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** `inner` with one method replaced (to fail, stall or watch what the drive is asked). */
export function withMethod<K extends keyof Drive>(inner: Drive, method: K, impl: Drive[K]): Drive {
  return new Proxy(inner, {
    get(target, prop) {
      if (prop === method) return impl;
      const value = Reflect.get(target, prop, target) as unknown;
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}

/** `inner` with its commitVersion replaced (to fail, stall or lose the answer of a drive's commit). */
export function withCommit(inner: Drive, commitVersion: Drive['commitVersion']): Drive {
  return withMethod(inner, 'commitVersion', commitVersion);
}

/** Fault switches for one drive of a `faulty` rig, flipped by the test as it goes. */
export interface Faults {
  offline: boolean;
  failWrites: boolean;
}

const WRITE_METHODS = new Set(['createShardWriter', 'commitVersion', 'writeRecord', 'commitHealedShards', 'commitPart', 'writeUpload']);

/** A LocalDrive that goes offline (every call and isOnline) or refuses every write while `faults` says so. */
export function faulty(drive: LocalDrive, faults: Faults): Drive {
  return new Proxy(drive, {
    get(target, prop, receiver) {
      if (prop === 'isOnline') return () => !faults.offline && target.isOnline();
      const value = Reflect.get(target, prop, receiver) as unknown;
      // close stays real so that cleanup works whatever the switches say.
      if (typeof value !== 'function' || prop === 'close') return value;
      return (...args: unknown[]) => {
        if (faults.offline) return Promise.reject(new DriveError('offline', `${target.root} is offline (test)`));
        if (faults.failWrites && WRITE_METHODS.has(String(prop))) return Promise.reject(new DriveError('faulty', `${target.root}: write refused (test)`));
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
}
