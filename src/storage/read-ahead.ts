/**
 * Reading a shard file ahead, for drives where every read is a round trip (a peer's, over RPC). A GET
 * reads a shard one framed block at a time; once reads follow each other (one starts where the last
 * ended), this reader asks for several blocks' worth at once and serves the reads that follow from
 * what came back. A first or out-of-order read is asked for as it is (a one-block object, a range),
 * so nothing is read that will not be used. The bytes are the file's as they were read: each block
 * is still verified against its hash by whoever reads it.
 */
import type { ShardReader } from './drive.js';

export class ReadAhead implements ShardReader {
  /** What the last call brought, from `offset`; shorter than asked where the file ends. */
  private window?: { offset: number; data: Buffer };
  /** Where the last read ended: a read from here continues a sequential one. */
  private sequentialFrom = -1;

  constructor(
    private readonly inner: ShardReader,
    /** The most one call asks for. */
    private readonly maxBytes: number,
    /** How many reads of the size just asked for one call covers. */
    private readonly reads = 4,
  ) {}

  async read(offset: number, length: number): Promise<Buffer> {
    const sequential = offset === this.sequentialFrom;
    this.sequentialFrom = offset + length;
    const window = this.window;
    if (window && offset >= window.offset && offset + length <= window.offset + window.data.length) {
      const at = offset - window.offset;
      return window.data.subarray(at, at + length);
    }
    // Whole reads only: a window that ends inside the next read would have it asked for again.
    const reads = Math.min(this.reads, Math.floor(this.maxBytes / length));
    if (!sequential || reads < 2) return this.inner.read(offset, length);
    const data = await this.inner.read(offset, length * reads);
    this.window = { offset, data };
    return data.subarray(0, length);
  }

  close(): Promise<void> {
    this.window = undefined;
    return this.inner.close();
  }
}
