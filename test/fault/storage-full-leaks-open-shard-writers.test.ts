/**
 * Found by review (fixed since): when full drives alone keep a PUT (or UploadPart) from its write quorum,
 * writeShardFiles throws 'storage-full' right after opening the shard writers, without aborting the
 * writers that DID open on the drives with room. Each leaks an open file descriptor (closed only by GC,
 * with a DEP0137 warning) and, where the drive takes O_DIRECT, an aligned slab that is never given back
 * to the process-wide pool (src/storage/aligned-slabs.ts, a fixed number in all): after enough refused
 * PUTs every later shard write in the process falls back to the page cache. The other failure paths of
 * writeShardFiles drop (abort) every writer first.
 *
 * src/erasure/write.ts writeShardFiles: `if (... + full >= quorum) { await discardStaging(...); throw ... }`.
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
import type { SpaceReserve } from '../../src/storage/free-space.js';
import { LocalDrive } from '../../src/storage/local-drive.js';

const BUCKET = 'review-bucket';

const full: SpaceReserve = { dataBytes: () => Number.MAX_SAFE_INTEGER, metadataBytes: 0 };
const roomy: SpaceReserve = { dataBytes: () => 0, metadataBytes: 0 };

/** Writers handed out, and whether each was finished or aborted. */
const opened: { drive: number; settled: boolean }[] = [];

function tracking(drive: LocalDrive, slot: number): Drive {
  return new Proxy(drive, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver) as unknown;
      if (prop !== 'createShardWriter') return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      return async (stagingId: string, file: string): Promise<ShardWriter> => {
        const writer = await target.createShardWriter(stagingId, file);
        const entry = { drive: slot, settled: false };
        opened.push(entry);
        return {
          write: (chunks: Buffer[]) => writer.write(chunks),
          finish: async () => { entry.settled = true; await writer.finish(); },
          abort: async () => { entry.settled = true; await writer.abort(); },
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

describe('a PUT refused for full drives', () => {
  it('closes the shard writers it opened on the drives with room', async () => {
    await initCodec();
    dir = await mkdtemp(join(tmpdir(), 'tessera-review-'));
    const ids = [0, 1, 2, 3].map(() => randomUUID());
    for (let i = 0; i < 4; i++) {
      const d = new LocalDrive(join(dir, `d${i + 1}`), undefined, undefined, i < 2 ? roomy : full);
      await d.prepare();
      await d.writeFormat({ version: 1, deploymentId: 'review', sets: [ids], thisDrive: ids[i] });
      await d.open();
      await d.makeBucket(BUCKET, Date.now());
      local.push(d);
    }
    const set = new ErasureSet(local.map(tracking), { blockSize: 64 * 1024, inlineLimit: 16 * 1024, defaultParity: 2, locks: new NamespaceLock() });

    const err = await set.putObject(BUCKET, 'large', body(randomBytes(200 * 1024)), { headers: {} }).then(() => undefined, (e: unknown) => e as { kind?: string });
    expect(err?.kind).toBe('storage-full');
    expect(opened.map((w) => w.drive)).toEqual([0, 1]);
    // Every writer that was opened must have been finished or aborted (file closed, slab returned).
    expect(opened.filter((w) => !w.settled)).toEqual([]);
  });
});
