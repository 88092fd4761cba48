import xxhashWasm from 'xxhash-wasm';

const hasher = await xxhashWasm();

/** xxHash64 (seed 0) of `data` as 8 little-endian bytes. */
export function xxh64(data: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(8);
  out.writeBigUInt64LE(hasher.h64Raw(data));
  return out;
}

/** Whether `expected[at..at+8]` is the xxHash64 of `data` (little-endian), without allocating a digest. */
export function xxh64Matches(data: Uint8Array, expected: Buffer, at = 0): boolean {
  return hasher.h64Raw(data) === expected.readBigUInt64LE(at);
}

/** xxHash64 (seed 0) of `data` as a bigint, for hashing into buckets (placement). */
export function xxh64Value(data: Uint8Array, seed?: bigint): bigint {
  return hasher.h64Raw(data, seed);
}
