import xxhashWasm from 'xxhash-wasm';

const hasher = await xxhashWasm();

/** xxHash64 (seed 0) of `data` as 8 little-endian bytes. */
export function xxh64(data: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(8);
  out.writeBigUInt64LE(hasher.h64Raw(data));
  return out;
}

/** xxHash64 (seed 0) of `data` as a bigint, for hashing into buckets (placement). */
export function xxh64Value(data: Uint8Array, seed?: bigint): bigint {
  return hasher.h64Raw(data, seed);
}
