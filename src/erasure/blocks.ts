/** A block being gathered: the chunks' pieces as they came, then (past a few) one block-sized buffer. */
class BlockGatherer {
  private pieces: Buffer[] = [];
  private block?: Buffer;
  filled = 0;

  constructor(private readonly blockSize: number) {}

  add(piece: Buffer): void {
    if (this.block) {
      piece.copy(this.block, this.filled);
    } else {
      this.pieces.push(piece);
      if (this.pieces.length > MAX_PIECES || this.filled + piece.length > GATHER_BYTES) {
        this.block = Buffer.allocUnsafe(this.blockSize);
        let at = 0;
        for (const p of this.pieces) at += p.copy(this.block, at);
        this.pieces = [];
      }
    }
    this.filled += piece.length;
  }

  /** The block gathered so far, and a fresh start. */
  take(): Buffer {
    const out = this.block ? this.block.subarray(0, this.filled) : Buffer.concat(this.pieces, this.filled);
    this.pieces = [];
    this.block = undefined;
    this.filled = 0;
    return out;
  }
}

/**
 * A block is gathered from at most this many pieces and bytes before they are copied into a
 * block-sized buffer, which the rest is copied into as it comes: a small body never allocates a whole
 * block, and a large one lets go of its chunks at once, as they are copied.
 */
const MAX_PIECES = 64;
const GATHER_BYTES = 128 * 1024;

/**
 * Cuts a byte stream into fixed-size blocks (the last may be shorter), copying each byte once. A block
 * is allocated once its bytes are in hand, at the size it turns out to have: a 4 KiB upload costs 4 KiB,
 * not a whole block (a megabyte per small PUT was most of a node's garbage collection). The stream's
 * chunks are kept until their block is complete, so they must not be reused once yielded.
 */
export async function* readBlocks(stream: AsyncIterable<Buffer>, blockSize: number): AsyncGenerator<Buffer> {
  const gathering = new BlockGatherer(blockSize);
  for await (const chunk of stream) {
    let offset = 0;
    while (offset < chunk.length) {
      const n = Math.min(blockSize - gathering.filled, chunk.length - offset);
      gathering.add(n === chunk.length ? chunk : chunk.subarray(offset, offset + n));
      offset += n;
      if (gathering.filled === blockSize) yield gathering.take();
    }
  }
  if (gathering.filled > 0) yield gathering.take();
}

/** `head` followed by everything `rest` yields. */
export async function* prepend<T>(head: T, rest: AsyncIterable<T>): AsyncGenerator<T> {
  yield head;
  yield* rest;
}
