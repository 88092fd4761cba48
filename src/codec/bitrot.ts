/**
 * Bitrot framing of shard files: every shard block is stored as [xxHash64 (8 bytes LE)][shard bytes].
 * A block's position in the file is computable from the erasure geometry, so a ranged read touches
 * only the blocks it needs and verifies each one before its bytes are used.
 */
import { xxh64 } from './xxhash.js';

export const BITROT_HASH_SIZE = 8;

export class BitrotError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BitrotError';
  }
}

/** Frames one shard block: its hash followed by the bytes. */
export function frameShardBlock(shard: Uint8Array): Buffer[] {
  return [xxh64(shard), Buffer.from(shard.buffer, shard.byteOffset, shard.byteLength)];
}

/** Verifies a framed block and returns its payload (a view, no copy). Throws BitrotError on a mismatch or a short frame. */
export function verifyShardBlock(frame: Buffer, expectedLength: number): Buffer {
  if (frame.length !== BITROT_HASH_SIZE + expectedLength) {
    throw new BitrotError(`shard block truncated: ${frame.length} of ${BITROT_HASH_SIZE + expectedLength} bytes`);
  }
  const payload = frame.subarray(BITROT_HASH_SIZE);
  if (!xxh64(payload).equals(frame.subarray(0, BITROT_HASH_SIZE))) {
    throw new BitrotError('shard block hash mismatch');
  }
  return payload;
}

/** Geometry of one part's shard file, shared by writer, reader and healer. */
export class ShardLayout {
  readonly shardSize: number;

  constructor(
    readonly partSize: number,
    readonly blockSize: number,
    readonly dataShards: number,
  ) {
    this.shardSize = Math.ceil(blockSize / dataShards);
  }

  get blockCount(): number {
    return Math.ceil(this.partSize / this.blockSize);
  }

  /** Bytes of object data in block `i`. */
  blockDataLength(i: number): number {
    return Math.min(this.blockSize, this.partSize - i * this.blockSize);
  }

  /** Bytes of one shard of block `i` (blocks are zero-padded to a multiple of the data shard count). */
  shardLength(i: number): number {
    return Math.ceil(this.blockDataLength(i) / this.dataShards);
  }

  /** Offset of block `i`'s frame in the shard file. */
  frameOffset(i: number): number {
    return i * (BITROT_HASH_SIZE + this.shardSize);
  }

  /** Size of the whole shard file. */
  get shardFileSize(): number {
    let size = 0;
    for (let i = 0; i < this.blockCount; i++) size += BITROT_HASH_SIZE + this.shardLength(i);
    return size;
  }
}
