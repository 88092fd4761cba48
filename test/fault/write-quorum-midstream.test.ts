/**
 * Found by the torture suite: "a PUT that loses write quorum while its body is still arriving kills
 * the node". The shards of one block are written while the next block is read from the client; when
 * that write failed (drives dropped below write quorum) and the client was slow to send more, the
 * rejection had no handler yet, and Node ends the process on an unhandled rejection. The PUT must
 * fail with 503 (write quorum) and nothing else happen.
 */
import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErasureSet } from '../../src/erasure/set.js';
import { NamespaceLock } from '../../src/lock/namespace-lock.js';
import type { PutBody } from '../../src/object/types.js';
import { DriveError, type Drive } from '../../src/storage/drive.js';
import { formattedDrives, type DriveRig } from '../helpers/drive-rig.js';

const BUCKET = 'midstream';
const BLOCK = 64 * 1024;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A drive whose shard writes fail once `failing.on` is set. */
function failingShardWrites(drive: Drive, failing: { on: boolean }): Drive {
  return new Proxy(drive, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver) as unknown;
      if (prop !== 'createShardWriter' || typeof value !== 'function') return typeof value === 'function' ? value.bind(target) : value;
      return async (...args: unknown[]) => {
        const writer = await (value as (...a: unknown[]) => Promise<import('../../src/storage/drive.js').ShardWriter>).apply(target, args);
        return { ...writer, write: (chunks: Buffer[]) => (failing.on ? Promise.reject(new DriveError('faulty', 'write refused (test)')) : writer.write(chunks)), finish: () => writer.finish(), abort: () => writer.abort() };
      };
    },
  });
}

describe('write quorum lost while the body still arrives', () => {
  let rig: DriveRig;
  beforeAll(async () => {
    rig = await formattedDrives(4, [BUCKET], 'tessera-midstream-');
  });
  afterAll(() => rig.destroy());

  it('a PUT that loses write quorum while its body is still arriving kills the node: it answers 503 instead', async () => {
    const failing = [{ on: false }, { on: false }, { on: false }, { on: false }];
    const set = new ErasureSet(rig.drives.map((d, i) => failingShardWrites(d, failing[i])), { blockSize: BLOCK, inlineLimit: 16 * 1024, defaultParity: 2, locks: new NamespaceLock() });
    const blocks = [randomBytes(BLOCK), randomBytes(BLOCK), randomBytes(BLOCK), randomBytes(BLOCK)];
    async function* slowBody(): AsyncGenerator<Buffer> {
      yield blocks[0];
      // Two drives fail: the second block's writes drop them, the third block's write finds no quorum,
      // and the client takes its time with the fourth.
      failing[0].on = failing[1].on = true;
      yield blocks[1];
      yield blocks[2];
      await sleep(300);
      yield blocks[3];
    }
    const body: PutBody = { stream: slowBody(), seal: () => ({ etag: createHash('md5').update(Buffer.concat(blocks)).digest('hex'), size: 4 * BLOCK, checksums: {} }) };
    await expect(set.putObject(BUCKET, 'slow', body, { headers: {} })).rejects.toMatchObject({ kind: 'write-quorum' });
  });
});
