/** Splitting a block into shards and back, over the wasm Reed-Solomon codec. */
import { ReedSolomon } from '../codec/reed-solomon.js';

const codecs = new Map<string, ReedSolomon>();

/** One long-lived codec per geometry (its decode matrices are cached per erasure pattern). */
export function codecFor(dataShards: number, parityShards: number): ReedSolomon {
  const id = `${dataShards}+${parityShards}`;
  let codec = codecs.get(id);
  if (!codec) {
    codec = new ReedSolomon(dataShards, parityShards);
    codecs.set(id, codec);
  }
  return codec;
}

/** Encodes one block into D data shards (zero-padded) and P parity shards, all of one length. */
export function encodeBlock(block: Buffer, dataShards: number, parityShards: number): Buffer[] {
  const shardLength = Math.ceil(block.length / dataShards);
  // Full blocks usually divide evenly: then the data shards are views of the block, not a copy.
  let padded = block;
  if (block.length !== shardLength * dataShards) {
    padded = Buffer.alloc(shardLength * dataShards);
    block.copy(padded);
  }
  const shards: Buffer[] = [];
  for (let i = 0; i < dataShards; i++) shards.push(padded.subarray(i * shardLength, (i + 1) * shardLength));
  for (let i = 0; i < parityShards; i++) shards.push(Buffer.allocUnsafe(shardLength));
  codecFor(dataShards, parityShards).encode(shards);
  return shards;
}

/**
 * Rebuilds a block's data from its shards (by shard index, 0-based; undefined = unavailable) and
 * returns the block's first `dataLength` bytes as the data shards hold them: views, in order, never
 * joined (joining copied every byte a GET serves once more). Needs at least D shards.
 */
export function decodeBlock(shards: (Buffer | undefined)[], dataShards: number, parityShards: number, dataLength: number): Buffer[] {
  const missingData = shards.slice(0, dataShards).some((s) => !s);
  let data: Uint8Array[] = shards as Uint8Array[];
  if (missingData) {
    data = codecFor(dataShards, parityShards).reconstruct(
      shards.map((s) => s ?? null),
      { dataOnly: true },
    );
  }
  const pieces: Buffer[] = [];
  let left = dataLength;
  for (let i = 0; i < dataShards && left > 0; i++) {
    const shard = data[i];
    const take = Math.min(shard.length, left);
    pieces.push(Buffer.from(shard.buffer, shard.byteOffset, take));
    left -= take;
  }
  return pieces;
}

/** The bytes [start, end) of what `pieces` hold one after another, as views of them. */
export function* slicePieces(pieces: Buffer[], start: number, end: number): Generator<Buffer> {
  let at = 0;
  for (const piece of pieces) {
    const from = Math.max(start - at, 0);
    const to = Math.min(end - at, piece.length);
    if (from < to) yield piece.subarray(from, to);
    at += piece.length;
    if (at >= end) return;
  }
}
