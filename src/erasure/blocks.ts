/**
 * Cuts a byte stream into fixed-size blocks (the last may be shorter), copying each byte once. A block
 * is allocated only once its bytes are in hand, at the size it turns out to have: a 4 KiB upload costs
 * 4 KiB, not a whole block (a megabyte per small PUT was most of a node's garbage collection).
 */
export async function* readBlocks(stream: AsyncIterable<Buffer>, blockSize: number): AsyncGenerator<Buffer> {
  let pieces: Buffer[] = [];
  let filled = 0;
  for await (const chunk of stream) {
    let offset = 0;
    while (offset < chunk.length) {
      const n = Math.min(blockSize - filled, chunk.length - offset);
      pieces.push(n === chunk.length ? chunk : chunk.subarray(offset, offset + n));
      filled += n;
      offset += n;
      if (filled === blockSize) {
        yield Buffer.concat(pieces, filled);
        pieces = [];
        filled = 0;
      }
    }
  }
  if (filled > 0) yield Buffer.concat(pieces, filled);
}

/** `head` followed by everything `rest` yields. */
export async function* prepend<T>(head: T, rest: AsyncIterable<T>): AsyncGenerator<T> {
  yield head;
  yield* rest;
}
