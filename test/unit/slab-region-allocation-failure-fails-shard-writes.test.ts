/**
 * Found by review (fixed since): when a new slab region cannot be mapped, shard writes fail instead of going through the page cache.
 *
 * AlignedSlabs.take (src/storage/aligned-slabs.ts:24-27) adds a region with `new WebAssembly.Memory`
 * whenever the free list is empty and fewer than MAX_REGIONS exist. V8 reserves each wasm memory with
 * its guard regions (~10 GiB of address space on x64), so under an address-space limit (RLIMIT_AS,
 * `ulimit -v`) the constructor throws `RangeError: WebAssembly.Memory(): could not allocate memory`;
 * on this machine `ulimit -v 16000000` allows exactly one such memory. createShardFile calls take()
 * outside its try (src/storage/shard-file-writer.ts:70), so the RangeError escapes: every shard writer
 * opened while the existing slabs are all lent out fails (LocalDrive.io turns it into a 'faulty'
 * DriveError), and every later take() tries (and fails) again, although the module promises that "a
 * writer that finds none left writes through the page cache instead".
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { AlignedSlabs } from '../../src/storage/aligned-slabs.js';
import { createShardFile } from '../../src/storage/shard-file-writer.js';

const RealMemory = WebAssembly.Memory;
let dir: string | undefined;
afterAll(async () => {
  (WebAssembly as { Memory: unknown }).Memory = RealMemory;
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('a shard file opened when no slab region can be mapped', () => {
  it('is written through the page cache', async () => {
    dir = await mkdtemp(join(tmpdir(), 'tessera-review2-'));
    const slabs = new AlignedSlabs();
    // The first region maps fine and every one of its slabs is lent out (32 busy shard writers).
    const lent = [];
    for (let i = 0; i < 32; i++) lent.push(slabs.take());
    expect(lent.every(Boolean)).toBe(true);
    // The address space is used up: what V8 throws then (seen with `ulimit -v`).
    (WebAssembly as { Memory: unknown }).Memory = class {
      constructor() {
        throw new RangeError('WebAssembly.Memory(): could not allocate memory');
      }
    };
    try {
      const path = join(dir, 'part.1');
      const data = randomBytes(300_000);
      const file = await createShardFile(path, {}, slabs);
      await file.write([data]);
      await file.finish();
      await file.close();
      expect((await readFile(path)).equals(data)).toBe(true);
    } finally {
      (WebAssembly as { Memory: unknown }).Memory = RealMemory;
    }
  });
});
