/** Cuts a byte stream into fixed-size blocks (the last may be shorter), copying each byte once. */
export async function* readBlocks(stream: AsyncIterable<Buffer>, blockSize: number): AsyncGenerator<Buffer> {
  let block = Buffer.allocUnsafe(blockSize);
  let filled = 0;
  for await (const chunk of stream) {
    let offset = 0;
    while (offset < chunk.length) {
      const n = Math.min(blockSize - filled, chunk.length - offset);
      chunk.copy(block, filled, offset, offset + n);
      filled += n;
      offset += n;
      if (filled === blockSize) {
        yield block;
        block = Buffer.allocUnsafe(blockSize);
        filled = 0;
      }
    }
  }
  if (filled > 0) yield block.subarray(0, filled);
}

/** `head` followed by everything `rest` yields. */
export async function* prepend<T>(head: T, rest: AsyncIterable<T>): AsyncGenerator<T> {
  yield head;
  yield* rest;
}
