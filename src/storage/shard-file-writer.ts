/**
 * Writing one shard file. Where the drive's filesystem takes O_DIRECT, the bytes go from an aligned
 * slab (aligned-slabs.ts) straight to the disk: no copy into the page cache and a fraction of the CPU
 * per byte (bench/disk.ts measures both). Where it does not (tmpfs answers EINVAL), or no slab is
 * free, they go through the page cache as before. Either way `finish` leaves the file exactly as
 * long as what was written, fsynced.
 */
import { constants as fsConstants } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { DIRECT_ALIGNMENT, SLAB_BYTES, type AlignedSlabs } from './aligned-slabs.js';

/** Whether a drive's filesystem takes O_DIRECT, once a write has found out. */
export interface DirectSupport {
  direct?: boolean;
}

const CREATE = fsConstants.O_CREAT | fsConstants.O_WRONLY | fsConstants.O_TRUNC;

/** A write that wrote nothing would be retried forever: it is the drive's failure instead. */
function noProgress(): Error {
  return Object.assign(new Error('a shard file write wrote nothing'), { code: 'EIO' });
}

export interface ShardFile {
  write(chunks: Buffer[]): Promise<void>;
  /** Writes what is left, trims the file to its length and fsyncs it. */
  finish(): Promise<void>;
  close(): Promise<void>;
}

/** Creates `path` (truncating it) for writing. */
export async function createShardFile(path: string, support: DirectSupport, slabs: AlignedSlabs): Promise<ShardFile> {
  if (support.direct !== false && fsConstants.O_DIRECT !== undefined) {
    const slab = slabs.take();
    if (slab) {
      try {
        const handle = await open(path, CREATE | fsConstants.O_DIRECT);
        support.direct = true;
        return new DirectShardFile(path, handle, slab, slabs, support);
      } catch (err) {
        slabs.give(slab);
        if ((err as NodeJS.ErrnoException).code !== 'EINVAL') throw err;
        support.direct = false;
      }
    }
  }
  return new BufferedShardFile(await open(path, CREATE));
}

class BufferedShardFile implements ShardFile {
  private offset: number;

  constructor(
    private readonly handle: FileHandle,
    offset = 0,
  ) {
    this.offset = offset;
  }

  async write(chunks: Buffer[]): Promise<void> {
    for (const chunk of chunks) {
      for (let done = 0; done < chunk.length; ) {
        const { bytesWritten } = await this.handle.write(chunk, done, chunk.length - done, this.offset);
        if (bytesWritten === 0) throw noProgress();
        done += bytesWritten;
        this.offset += bytesWritten;
      }
    }
  }

  async finish(): Promise<void> {
    await this.handle.sync();
  }

  close(): Promise<void> {
    return this.handle.close();
  }
}

class DirectShardFile implements ShardFile {
  /** Bytes in the file (a multiple of SLAB_BYTES until finish). */
  private written = 0;
  /** Bytes in the slab not yet written. */
  private filled = 0;
  private slab?: Buffer;
  /** Where the filesystem refused a direct write after all: the rest goes through the page cache. */
  private fallback?: BufferedShardFile;

  constructor(
    private readonly path: string,
    private handle: FileHandle,
    slab: Buffer,
    private readonly slabs: AlignedSlabs,
    private readonly support: DirectSupport,
  ) {
    this.slab = slab;
  }

  async write(chunks: Buffer[]): Promise<void> {
    for (let c = 0; c < chunks.length; c++) {
      const chunk = chunks[c];
      for (let done = 0; done < chunk.length; ) {
        if (this.fallback) return this.fallback.write([chunk.subarray(done), ...chunks.slice(c + 1)]);
        const copied = chunk.copy(this.slab!, this.filled, done);
        done += copied;
        this.filled += copied;
        if (this.filled === SLAB_BYTES) await this.flush(SLAB_BYTES);
      }
    }
  }

  async finish(): Promise<void> {
    if (!this.fallback && this.filled > 0) {
      const length = this.filled;
      const padded = Math.ceil(length / DIRECT_ALIGNMENT) * DIRECT_ALIGNMENT;
      this.slab!.fill(0, length, padded);
      const end = this.written + length;
      await this.flush(padded);
      if (!this.fallback) await this.handle.truncate(end);
    }
    if (this.fallback) return this.fallback.finish();
    await this.handle.sync();
  }

  async close(): Promise<void> {
    this.release();
    await (this.fallback ?? this.handle).close();
  }

  /** Writes the slab's first `length` bytes (aligned) at the end of the file. */
  private async flush(length: number): Promise<void> {
    const keep = this.filled;
    try {
      for (let done = 0; done < length; ) {
        const { bytesWritten } = await this.handle.write(this.slab!, done, length - done, this.written + done);
        if (bytesWritten === 0) throw noProgress();
        if (bytesWritten % DIRECT_ALIGNMENT !== 0 && done + bytesWritten < length) throw Object.assign(new Error('short direct write'), { code: 'EINVAL' });
        done += bytesWritten;
      }
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EINVAL') throw err;
      await this.fallBack(keep);
      return;
    }
    this.written += Math.min(length, keep);
    this.filled = 0;
  }

  /**
   * The filesystem opened the file for direct I/O but refuses its writes (a stricter alignment):
   * the file is opened again through the page cache, the slab's bytes written there, and every
   * later shard file of the drive skips O_DIRECT.
   */
  private async fallBack(pending: number): Promise<void> {
    this.support.direct = false;
    await this.handle.close();
    this.handle = await open(this.path, fsConstants.O_WRONLY);
    await this.handle.truncate(this.written);
    this.fallback = new BufferedShardFile(this.handle, this.written);
    await this.fallback.write([Buffer.from(this.slab!.subarray(0, pending))]);
    this.filled = 0;
    this.release();
  }

  private release(): void {
    if (this.slab) this.slabs.give(this.slab);
    this.slab = undefined;
  }
}
