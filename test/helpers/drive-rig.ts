/** In-process erasure-set rigs: LocalDrives formatted as one set in a temp directory. */
import { createHash, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { initCodec } from '../../src/codec/reed-solomon.js';
import type { ErasureSet } from '../../src/erasure/set.js';
import type { PutBody } from '../../src/object/types.js';
import type { Drive } from '../../src/storage/drive.js';
import { LocalDrive } from '../../src/storage/local-drive.js';

export interface DriveRig {
  dir: string;
  roots: string[];
  drives: LocalDrive[];
  /** Closes the drives and removes the directory. */
  destroy(): Promise<void>;
}

/** `count` drives formatted as one set, each holding `buckets`. */
export async function formattedDrives(count: number, buckets: string[], prefix = 'tessera-rig-'): Promise<DriveRig> {
  await initCodec();
  const dir = await mkdtemp(join(tmpdir(), prefix));
  const ids = Array.from({ length: count }, () => randomUUID());
  const roots = ids.map((_, i) => join(dir, `d${i + 1}`));
  const drives = roots.map((r) => new LocalDrive(r));
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

/** `inner` with its commitVersion replaced (to fail, stall or lose the answer of a drive's commit). */
export function withCommit(inner: Drive, commitVersion: Drive['commitVersion']): Drive {
  return new Proxy(inner, {
    get(target, prop) {
      if (prop === 'commitVersion') return commitVersion;
      const value = Reflect.get(target, prop, target) as unknown;
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}
