import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, statfs } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { AlignedSlabs, SLAB_BYTES } from '../../src/storage/aligned-slabs.js';
import { createShardFile, type DirectSupport } from '../../src/storage/shard-file-writer.js';

/** ext4, xfs, btrfs: filesystems known to take O_DIRECT (statfs f_type). */
const DIRECT_FILESYSTEMS = new Set([0xef53, 0x58465342, 0x9123683e]);
const SIZES = [0, 1, 4095, 4096, 4097, SLAB_BYTES - 1, SLAB_BYTES, SLAB_BYTES + 1, 3 * SLAB_BYTES + 17];
const dirs: string[] = [];
afterAll(async () => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

/** `data` cut into chunks of random sizes, some of them empty. */
function chunked(data: Buffer): Buffer[][] {
  const writes: Buffer[][] = [];
  for (let at = 0; at < data.length; ) {
    const parts: Buffer[] = [];
    for (let n = 1 + Math.floor(Math.random() * 3); n > 0 && at < data.length; n--) {
      const size = Math.min(data.length - at, Math.floor(Math.random() * 3 * SLAB_BYTES));
      parts.push(data.subarray(at, at + size));
      at += size;
    }
    writes.push(parts);
  }
  return writes;
}

async function writeAndRead(dir: string, data: Buffer, support: DirectSupport, slabs: AlignedSlabs): Promise<Buffer> {
  const path = join(dir, `part.${data.length}`);
  const file = await createShardFile(path, support, slabs);
  for (const parts of chunked(data)) await file.write(parts);
  await file.finish();
  await file.close();
  return readFile(path);
}

describe('shard files', () => {
  it.each([
    ['the temp directory, with O_DIRECT where its filesystem takes it', tmpdir(), undefined],
    ['the temp directory, through the page cache (as on a filesystem without O_DIRECT)', tmpdir(), false],
    ['tmpfs (/dev/shm: O_DIRECT since Linux 6.6, refused before)', '/dev/shm', undefined],
  ])('in %s hold exactly the bytes written, whatever their length and chunking', async (_name, parent, direct) => {
    const dir = await mkdtemp(join(parent, 'tessera-shard-'));
    dirs.push(dir);
    const support: DirectSupport = direct === undefined ? {} : { direct };
    const slabs = new AlignedSlabs();
    for (const size of SIZES) {
      const data = randomBytes(size);
      expect((await writeAndRead(dir, data, support, slabs)).equals(data), `${size} bytes`).toBe(true);
    }
    if (direct === false) expect(support.direct).toBe(false);
    else if (DIRECT_FILESYSTEMS.has((await statfs(dir)).type)) expect(support.direct, 'a disk filesystem takes O_DIRECT').toBe(true);
    // Every slab came back: as many can be taken as were made.
    const taken = [];
    for (let slab = slabs.take(); slab; slab = slabs.take()) taken.push(slab);
    expect(taken.length).toBe(256);
  });

  it('go through the page cache when no aligned slab is free', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tessera-shard-'));
    dirs.push(dir);
    const none = new AlignedSlabs(0);
    const data = randomBytes(SLAB_BYTES + 5);
    expect((await writeAndRead(dir, data, {}, none)).equals(data)).toBe(true);
  });
});
