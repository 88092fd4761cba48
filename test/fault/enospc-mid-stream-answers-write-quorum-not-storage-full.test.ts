/**
 * Found by review (minor, wrong S3 error; fixed since): a PUT whose drives run out of space WHILE its shards stream
 * (ENOSPC from the shard file: the data reserve is only checked when the writer is opened, so any
 * object larger than the reserve, or concurrent PUTs, can meet it; the torture `full` fault leaves
 * 0-4 MiB) fails with 'write-quorum' (503 SlowDownWrite, which SDKs retry) instead of 'storage-full'
 * (507 XTesseraStorageFull). writeShardFiles counts full drives only among the writers that refused to
 * open; a writer failing mid-stream is dropped whatever the cause.
 *
 * src/erasure/write.ts writeShardFiles (`.catch(() => drop(slot))`, requireQuorum -> 'write-quorum').
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { initCodec } from '../../src/codec/reed-solomon.js';
import { ErasureSet } from '../../src/erasure/set.js';
import { NamespaceLock } from '../../src/lock/namespace-lock.js';
import type { PutBody } from '../../src/object/types.js';
import type { Drive, ShardWriter } from '../../src/storage/drive.js';
import { LocalDrive } from '../../src/storage/local-drive.js';

const BUCKET = 'review-bucket';

/** Drives 2-4 fill up after their first shard block: the file write fails as fs does, ENOSPC. */
function fillsUp(drive: LocalDrive, slot: number): Drive {
  return new Proxy(drive, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver) as unknown;
      if (prop !== 'createShardWriter' || slot === 0) return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      return async (stagingId: string, file: string): Promise<ShardWriter> => {
        const writer = await target.createShardWriter(stagingId, file);
        let writes = 0;
        return {
          write: (chunks: Buffer[]) => {
            if (++writes > 1) return Promise.reject(Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC', errno: -28, syscall: 'write' }));
            return writer.write(chunks);
          },
          finish: () => writer.finish(),
          abort: () => writer.abort(),
        };
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

let dir: string | undefined;
const local: LocalDrive[] = [];
afterAll(async () => {
  for (const d of local) await d.close().catch(() => undefined);
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('drives that fill up mid-stream', () => {
  it('answer storage-full (507), not write-quorum (503)', async () => {
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
    const set = new ErasureSet(local.map(fillsUp), { blockSize: 64 * 1024, inlineLimit: 16 * 1024, defaultParity: 2, locks: new NamespaceLock() });
    const err = await set.putObject(BUCKET, 'large', body(randomBytes(5 * 64 * 1024)), { headers: {} }).then(() => undefined, (e: unknown) => e as { kind?: string });
    expect(err?.kind).toBe('storage-full');
  });
});
