/**
 * The hardware limits the server is compared against: raw sequential disk write/read through
 * node:fs on the drives' filesystem, and single-core MD5 throughput.
 */
import { spawnSync } from 'node:child_process';
import { createHash, randomFillSync } from 'node:crypto';
import { constants as fsConstants } from 'node:fs';
import { open, rm } from 'node:fs/promises';
import { AlignedSlabs, SLAB_BYTES } from '../src/storage/aligned-slabs.js';
import { join } from 'node:path';

const CHUNK = 1 << 20;

export interface DiskResult {
  bytes: number;
  /** sequential 1 MiB writes then one fsync, timed together */
  writeMBps: number;
  /** the same with O_DIRECT from page-aligned memory, as shard files are written; undefined where the filesystem refuses it */
  directWriteMBps?: number;
  /** first sequential read after trying to drop the file from the page cache */
  readMBps: number;
  /** true when the cache drop was confirmed (or at least reported success), false: `readMBps` is cached */
  readUncached: boolean;
  /** how the cache was (or was not) dropped */
  readMethod: string;
  /** a second read of the same file, certainly from the page cache */
  cachedReadMBps: number;
}

/** Bytes of `file` resident in the page cache, if util-linux fincore is available. */
function residentBytes(file: string): number | undefined {
  const r = spawnSync('fincore', ['--bytes', '--noheadings', '--raw', '--output', 'RES', file], { encoding: 'utf8' });
  if (r.status !== 0) return undefined;
  const n = Number(r.stdout.trim());
  return Number.isFinite(n) ? n : undefined;
}

/**
 * Drops a (clean, fsynced) file from the page cache. Node has no posix_fadvise, so this runs
 * GNU dd with `iflag=nocache count=0`, which calls posix_fadvise(POSIX_FADV_DONTNEED) on the whole file.
 */
function dropFromCache(file: string, size: number): { ok: boolean; method: string } {
  const r = spawnSync('dd', [`if=${file}`, 'iflag=nocache', 'count=0', 'status=none'], { encoding: 'utf8' });
  if (r.error || r.status !== 0) {
    return { ok: false, method: `cached: could not drop the file from the page cache (dd iflag=nocache failed: ${r.error?.message ?? r.stderr.trim()})` };
  }
  const resident = residentBytes(file);
  if (resident === undefined) return { ok: true, method: 'uncached: dropped with posix_fadvise(DONTNEED) via `dd iflag=nocache` (not verified: no fincore)' };
  if (resident > size / 10) {
    return { ok: false, method: `cached: posix_fadvise(DONTNEED) left ${(resident / 2 ** 20).toFixed(0)} MiB of ${(size / 2 ** 20).toFixed(0)} MiB in the page cache` };
  }
  return { ok: true, method: `uncached: dropped with posix_fadvise(DONTNEED) via \`dd iflag=nocache\`, fincore shows ${(resident / 2 ** 20).toFixed(1)} MiB resident` };
}

async function readAll(file: string): Promise<{ bytes: number; seconds: number }> {
  const buf = Buffer.allocUnsafe(CHUNK);
  const t0 = performance.now();
  const fh = await open(file, 'r');
  let bytes = 0;
  try {
    for (;;) {
      const { bytesRead } = await fh.read(buf, 0, CHUNK, null);
      if (bytesRead === 0) break;
      bytes += bytesRead;
    }
  } finally {
    await fh.close();
  }
  return { bytes, seconds: (performance.now() - t0) / 1000 };
}

/** Writes `size` bytes (1 MiB writes, fsync at the end) into `dir`, reads them back, removes the file. */
export async function measureDisk(dir: string, size: number): Promise<DiskResult> {
  const file = join(dir, 'raw-disk-bench.bin');
  // a few different random chunks, so nothing below us can dedupe or compress trivially
  const chunks = Array.from({ length: 8 }, () => randomFillSync(Buffer.allocUnsafe(CHUNK)));
  try {
    const t0 = performance.now();
    const fh = await open(file, 'w');
    try {
      for (let off = 0, i = 0; off < size; off += CHUNK, i++) {
        const n = Math.min(CHUNK, size - off);
        let done = 0;
        while (done < n) done += (await fh.write(chunks[i % chunks.length]!, done, n - done, null)).bytesWritten;
      }
      await fh.sync();
    } finally {
      await fh.close();
    }
    const writeSeconds = (performance.now() - t0) / 1000;
    const directWriteMBps = await measureDirectWrite(join(dir, 'raw-disk-bench-direct.bin'), size);

    const drop = dropFromCache(file, size);
    const first = await readAll(file);
    const second = await readAll(file);
    if (first.bytes !== size || second.bytes !== size) throw new Error(`raw disk bench: read back ${first.bytes} bytes, wrote ${size}`);
    return {
      bytes: size,
      writeMBps: size / 1e6 / writeSeconds,
      directWriteMBps,
      readMBps: first.bytes / 1e6 / first.seconds,
      readUncached: drop.ok,
      readMethod: drop.method,
      cachedReadMBps: second.bytes / 1e6 / second.seconds,
    };
  } finally {
    await rm(file, { force: true });
  }
}

/** `size` bytes written with O_DIRECT in 1 MiB writes from an aligned slab, then one fsync; MB/s, or undefined if refused. */
async function measureDirectWrite(file: string, size: number): Promise<number | undefined> {
  const slab = new AlignedSlabs(1).take()!;
  randomFillSync(slab);
  let fh;
  try {
    fh = await open(file, fsConstants.O_CREAT | fsConstants.O_WRONLY | fsConstants.O_TRUNC | fsConstants.O_DIRECT);
  } catch {
    return undefined;
  }
  try {
    const t0 = performance.now();
    for (let off = 0; off < size; off += SLAB_BYTES) await fh.write(slab, 0, SLAB_BYTES, off);
    await fh.sync();
    return size / 1e6 / ((performance.now() - t0) / 1000);
  } finally {
    await fh.close();
    await rm(file, { force: true });
  }
}

/** MD5 over 1 MiB buffers on this thread for about `seconds`; MB/s in 10^6 bytes. */
export function measureMd5(seconds: number): number {
  const buf = randomFillSync(Buffer.allocUnsafe(CHUNK));
  // warm-up
  createHash('md5').update(buf).update(buf).digest();
  const hash = createHash('md5');
  const t0 = performance.now();
  const end = t0 + seconds * 1000;
  let n = 0;
  let now = t0;
  while (now < end) {
    for (let i = 0; i < 4; i++) hash.update(buf);
    n += 4;
    now = performance.now();
  }
  hash.digest();
  return (n * CHUNK) / 1e6 / ((now - t0) / 1000);
}
