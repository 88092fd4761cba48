/**
 * Found by review (fixed since): a shard writer whose finish() fails keeps its file descriptor and its aligned slab for good.
 *
 * LocalShardWriter.finish (src/storage/local-drive.ts:989-993) runs `await this.file.finish()` and only
 * then `this.close()`: when the fsync (or the last direct write, or the ftruncate) fails, the
 * DirectShardFile is never closed, so neither its FileHandle nor its slab (given back only by close(),
 * src/storage/shard-file-writer.ts:160-163) is released. ShardWriter.finish promises "Flushes to stable
 * storage and closes" (src/storage/drive.ts:82), and two callers rely on that:
 *  - the RPC server deletes the writer from its map BEFORE finishing it (src/cluster/rpc-server.ts:178-183),
 *    so the caller's shardAbort that follows a failed shardFinish finds nothing to abort: the peer's
 *    file stays open (an unlinked staging file keeps its disk blocks) and its slab is lost to the
 *    process-wide pool (256 in all; once gone, every shard write of the node is buffered);
 *  - heal's rebuildPart (src/erasure/heal.ts:676-682) marks a slot failed after finish() throws and never
 *    aborts it.
 * An fsync failure on one drive is exactly when this happens (EIO), and it repeats per object.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { FileHandle } from 'node:fs/promises';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { RpcServer } from '../../src/cluster/rpc-server.js';
import { SessionReaders } from '../../src/cluster/session-readers.js';
import { LockTable } from '../../src/lock/lock-table.js';
import { alignedSlabs } from '../../src/storage/aligned-slabs.js';
import { formattedDrives, type DriveRig } from '../helpers/drive-rig.js';

/** Shard files (part.N) under a staging id listed here get an fsync that fails with EIO. */
const faults = vi.hoisted(() => ({ stagingIds: new Set<string>(), handles: [] as FileHandle[] }));

vi.mock('node:fs/promises', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:fs/promises')>();
  const open = async (...args: Parameters<typeof actual.open>): Promise<FileHandle> => {
    const handle = await actual.open(...args);
    const path = String(args[0]);
    if (/\/part\.\d+$/.test(path) && [...faults.stagingIds].some((id) => path.includes(`/${id}/`))) {
      faults.handles.push(handle);
      handle.sync = () => Promise.reject(Object.assign(new Error(`EIO: i/o error, fsync '${path}'`), { code: 'EIO', errno: -5, syscall: 'fsync' }));
    }
    return handle;
  };
  return { ...actual, open, default: { ...actual, open } };
});

const BUCKET = 'review-bucket';
let rig: DriveRig | undefined;
afterAll(() => rig?.destroy());
afterEach(() => vi.restoreAllMocks());

/** Slabs taken from the process-wide pool and not given back, from now on. */
function slabsOut(): () => number {
  let out = 0;
  const take = alignedSlabs.take.bind(alignedSlabs);
  const give = alignedSlabs.give.bind(alignedSlabs);
  vi.spyOn(alignedSlabs, 'take').mockImplementation(() => {
    const slab = take();
    if (slab) out++;
    return slab;
  });
  vi.spyOn(alignedSlabs, 'give').mockImplementation((slab) => {
    out--;
    give(slab);
  });
  return () => out;
}

describe('a shard writer whose finish fails', () => {
  it('over RPC: the caller\'s abort after a failed shardFinish closes the file and returns the slab', async () => {
    rig = await formattedDrives(1, [BUCKET], 'tessera-review2-');
    const server = new RpcServer({ key: randomBytes(32), fingerprint: 'review', node: 'n1', drives: new Map([[0, rig.drives[0]]]), locks: new LockTable() });
    const call = (method: string, args: unknown[]) =>
      (server as unknown as { dispatch(r: string, a: unknown, s: SessionReaders): Promise<unknown> }).dispatch(`drive/0/${method}`, args, new SessionReaders());
    const out = slabsOut();
    const stagingId = randomUUID();
    faults.stagingIds.add(stagingId);
    faults.handles.length = 0;
    try {
      await call('shardCreate', [stagingId, 'part.1']);
      await call('shardWrite', [stagingId, 'part.1', randomBytes(100_000)]);
      await expect(call('shardFinish', [stagingId, 'part.1'])).rejects.toThrow(/EIO/);
      // What writeShardFiles does with a writer whose finish failed (drop → abort), then the staging cleanup.
      await call('shardAbort', [stagingId, 'part.1']);
      await rig.drives[0].discardStaged(stagingId);

      expect(faults.handles).toHaveLength(1);
      expect.soft(faults.handles[0].fd, 'the shard file is still open (its unlinked blocks stay allocated)').toBe(-1);
      expect.soft(out(), 'aligned slabs never given back to the pool').toBe(0);
    } finally {
      server.close();
      await Promise.all(faults.handles.map((h) => h.close().catch(() => undefined)));
    }
  });

  it('locally (as heal leaves it): finish closes the file and returns the slab even when it fails', async () => {
    rig ??= await formattedDrives(1, [BUCKET], 'tessera-review2-');
    const out = slabsOut();
    const stagingId = `heal-${randomUUID()}`;
    faults.stagingIds.add(stagingId);
    faults.handles.length = 0;
    try {
      const writer = await rig.drives[0].createShardWriter(stagingId, 'part.1');
      await writer.write([randomBytes(100_000)]);
      await expect(writer.finish()).rejects.toThrow(/EIO/);

      expect(faults.handles).toHaveLength(1);
      expect.soft(faults.handles[0].fd, 'ShardWriter.finish "flushes to stable storage and closes"').toBe(-1);
      expect.soft(out(), 'aligned slabs never given back to the pool').toBe(0);
    } finally {
      await Promise.all(faults.handles.map((h) => h.close().catch(() => undefined)));
    }
  });
});
