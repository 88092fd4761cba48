/**
 * The x-amz-checksum-* algorithms (CRC32, CRC32C, CRC64NVME, SHA1, SHA256).
 *
 * CRC32 uses zlib.crc32 when Node provides it (>= 20.15 / 22.2) and a JS slice-by-8 otherwise.
 * CRC32C and CRC64/NVME are table-driven slice-by-8 in plain JS; the 64-bit CRC is kept as two
 * unsigned 32-bit halves so the hot loop never touches BigInt.
 *
 * Parameters (all reflected, init = xorout = all ones):
 *   CRC32      poly 0x04C11DB7 (reflected 0xEDB88320), check("123456789") = 0xCBF43926
 *   CRC32C     poly 0x1EDC6F41 (reflected 0x82F63B78), check("123456789") = 0xE3069283
 *   CRC64/NVME poly 0xAD93D23594C93659 (reflected 0x9A6C9329AC4BC9B5), check = 0xAE8B14860A799888
 *
 * digest() returns the big-endian raw value; its base64 is the header value S3 uses.
 */
import { createHash, type Hash } from 'node:crypto';
import * as zlib from 'node:zlib';
import { S3Error } from '../errors.js';

export type ChecksumAlgorithm = 'CRC32' | 'CRC32C' | 'CRC64NVME' | 'SHA1' | 'SHA256';

export const CHECKSUM_ALGORITHMS: readonly ChecksumAlgorithm[] = Object.freeze([
  'CRC32',
  'CRC32C',
  'CRC64NVME',
  'SHA1',
  'SHA256',
] as const);

export interface Checksummer {
  update(data: Uint8Array): void;
  digest(): Buffer;
}

/** Raw digest length in bytes per algorithm. */
const DIGEST_LENGTH: Record<ChecksumAlgorithm, number> = {
  CRC32: 4,
  CRC32C: 4,
  CRC64NVME: 8,
  SHA1: 20,
  SHA256: 32,
};

// ---------------------------------------------------------------------------------------------
// 32-bit reflected CRC, slice-by-8

/** Eight 256-entry tables laid out back to back: table k at [k*256, k*256+256). */
function makeTable32(reflectedPoly: number): Int32Array {
  const t = new Int32Array(8 * 256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ reflectedPoly : c >>> 1;
    t[n] = c;
  }
  for (let n = 0; n < 256; n++) {
    let c = t[n]!;
    for (let k = 1; k < 8; k++) {
      c = t[c & 0xff]! ^ (c >>> 8);
      t[k * 256 + n] = c;
    }
  }
  return t;
}

/** Updates a (pre-inverted, i.e. internal-state) CRC32 value with data. */
function update32(t: Int32Array, crc: number, data: Uint8Array): number {
  let c = crc | 0;
  let i = 0;
  const len = data.length;
  const end8 = len - (len & 7);
  for (; i < end8; i += 8) {
    const a = c ^ (data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24));
    const b = data[i + 4]! | (data[i + 5]! << 8) | (data[i + 6]! << 16) | (data[i + 7]! << 24);
    c =
      t[1792 + (a & 0xff)]! ^
      t[1536 + ((a >>> 8) & 0xff)]! ^
      t[1280 + ((a >>> 16) & 0xff)]! ^
      t[1024 + (a >>> 24)]! ^
      t[768 + (b & 0xff)]! ^
      t[512 + ((b >>> 8) & 0xff)]! ^
      t[256 + ((b >>> 16) & 0xff)]! ^
      t[b >>> 24]!;
  }
  for (; i < len; i++) c = t[(c ^ data[i]!) & 0xff]! ^ (c >>> 8);
  return c;
}

let crc32Table: Int32Array | undefined;
let crc32cTable: Int32Array | undefined;

type Crc32Fn = (data: Uint8Array, value?: number) => number;
const nativeCrc32: Crc32Fn | undefined =
  typeof (zlib as { crc32?: unknown }).crc32 === 'function' ? (zlib as unknown as { crc32: Crc32Fn }).crc32 : undefined;

class Crc32Checksummer implements Checksummer {
  private crc = 0; // finalised form (what zlib.crc32 takes and returns)
  update(data: Uint8Array): void {
    if (data.length === 0) return;
    if (nativeCrc32) {
      this.crc = nativeCrc32(data, this.crc);
    } else {
      crc32Table ??= makeTable32(0xedb88320);
      this.crc = ~update32(crc32Table, ~this.crc, data) >>> 0;
    }
  }
  digest(): Buffer {
    const out = Buffer.allocUnsafe(4);
    out.writeUInt32BE(this.crc >>> 0, 0);
    return out;
  }
}

class Crc32cChecksummer implements Checksummer {
  private state = -1; // internal (inverted) state
  private readonly table = (crc32cTable ??= makeTable32(0x82f63b78));
  update(data: Uint8Array): void {
    this.state = update32(this.table, this.state, data);
  }
  digest(): Buffer {
    const out = Buffer.allocUnsafe(4);
    out.writeUInt32BE(~this.state >>> 0, 0);
    return out;
  }
}

// ---------------------------------------------------------------------------------------------
// 64-bit reflected CRC (CRC-64/NVME), slice-by-8 with 32-bit halves

interface Table64 {
  lo: Int32Array;
  hi: Int32Array;
}
let crc64Table: Table64 | undefined;

function makeTable64(polyHi: number, polyLo: number): Table64 {
  const lo = new Int32Array(8 * 256);
  const hi = new Int32Array(8 * 256);
  for (let n = 0; n < 256; n++) {
    let l = n;
    let h = 0;
    for (let k = 0; k < 8; k++) {
      const bit = l & 1;
      l = (l >>> 1) | (h << 31);
      h = h >>> 1;
      if (bit) {
        l ^= polyLo;
        h ^= polyHi;
      }
    }
    lo[n] = l;
    hi[n] = h;
  }
  for (let n = 0; n < 256; n++) {
    let l = lo[n]!;
    let h = hi[n]!;
    for (let k = 1; k < 8; k++) {
      const idx = l & 0xff;
      // (c >> 8) ^ T0[c & 0xff]
      l = ((l >>> 8) | (h << 24)) ^ lo[idx]!;
      h = (h >>> 8) ^ hi[idx]!;
      lo[k * 256 + n] = l;
      hi[k * 256 + n] = h;
    }
  }
  return { lo, hi };
}

class Crc64NvmeChecksummer implements Checksummer {
  // internal (inverted) state, low and high 32 bits
  private lo = -1;
  private hi = -1;
  private readonly t = (crc64Table ??= makeTable64(0x9a6c9329, 0xac4bc9b5 | 0));

  update(data: Uint8Array): void {
    const TL = this.t.lo;
    const TH = this.t.hi;
    let l = this.lo;
    let h = this.hi;
    let i = 0;
    const len = data.length;
    const end8 = len - (len & 7);
    for (; i < end8; i += 8) {
      const a = l ^ (data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24));
      const b = h ^ (data[i + 4]! | (data[i + 5]! << 8) | (data[i + 6]! << 16) | (data[i + 7]! << 24));
      const i7 = 1792 + (a & 0xff);
      const i6 = 1536 + ((a >>> 8) & 0xff);
      const i5 = 1280 + ((a >>> 16) & 0xff);
      const i4 = 1024 + (a >>> 24);
      const i3 = 768 + (b & 0xff);
      const i2 = 512 + ((b >>> 8) & 0xff);
      const i1 = 256 + ((b >>> 16) & 0xff);
      const i0 = b >>> 24;
      l = TL[i7]! ^ TL[i6]! ^ TL[i5]! ^ TL[i4]! ^ TL[i3]! ^ TL[i2]! ^ TL[i1]! ^ TL[i0]!;
      h = TH[i7]! ^ TH[i6]! ^ TH[i5]! ^ TH[i4]! ^ TH[i3]! ^ TH[i2]! ^ TH[i1]! ^ TH[i0]!;
    }
    for (; i < len; i++) {
      const idx = (l ^ data[i]!) & 0xff;
      l = ((l >>> 8) | (h << 24)) ^ TL[idx]!;
      h = (h >>> 8) ^ TH[idx]!;
    }
    this.lo = l;
    this.hi = h;
  }

  digest(): Buffer {
    const out = Buffer.allocUnsafe(8);
    out.writeUInt32BE(~this.hi >>> 0, 0);
    out.writeUInt32BE(~this.lo >>> 0, 4);
    return out;
  }
}

// ---------------------------------------------------------------------------------------------
// SHA family

class HashChecksummer implements Checksummer {
  private readonly h: Hash;
  constructor(alg: 'sha1' | 'sha256') {
    this.h = createHash(alg);
  }
  update(data: Uint8Array): void {
    this.h.update(data);
  }
  digest(): Buffer {
    return this.h.digest();
  }
}

export function createChecksummer(alg: ChecksumAlgorithm): Checksummer {
  switch (alg) {
    case 'CRC32':
      return new Crc32Checksummer();
    case 'CRC32C':
      return new Crc32cChecksummer();
    case 'CRC64NVME':
      return new Crc64NvmeChecksummer();
    case 'SHA1':
      return new HashChecksummer('sha1');
    case 'SHA256':
      return new HashChecksummer('sha256');
    default:
      throw new S3Error('InvalidRequest', `Unsupported checksum algorithm: ${String(alg)}`);
  }
}

const HEADER_PREFIX = 'x-amz-checksum-';

/** 'x-amz-checksum-crc32' -> 'CRC32' etc., undefined if not a checksum header */
export function algorithmFromHeader(name: string): ChecksumAlgorithm | undefined {
  const lower = name.toLowerCase();
  if (!lower.startsWith(HEADER_PREFIX)) return undefined;
  const suffix = lower.slice(HEADER_PREFIX.length).toUpperCase();
  return (CHECKSUM_ALGORITHMS as readonly string[]).includes(suffix) ? (suffix as ChecksumAlgorithm) : undefined;
}

export function headerForAlgorithm(alg: ChecksumAlgorithm): string {
  return HEADER_PREFIX + alg.toLowerCase();
}

const BASE64_RE = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * Validates a base64 checksum value's form (canonical padded base64 whose decoded length matches
 * the algorithm) and returns the raw bytes. Malformed values answer InvalidArgument, which is what
 * S3 answers for e.g. `x-amz-checksum-crc32: abc` ("Value for x-amz-checksum-crc32 header is invalid.").
 */
export function parseChecksumValue(alg: ChecksumAlgorithm, base64: string): Buffer {
  const expected = DIGEST_LENGTH[alg];
  const value = base64.trim();
  const header = headerForAlgorithm(alg);
  if (value.length !== 4 * Math.ceil(expected / 3) || !BASE64_RE.test(value)) {
    throw new S3Error('InvalidArgument', `Value for ${header} header is invalid.`, { ArgumentName: header });
  }
  const raw = Buffer.from(value, 'base64');
  if (raw.length !== expected || raw.toString('base64') !== value) {
    throw new S3Error('InvalidArgument', `Value for ${header} header is invalid.`, { ArgumentName: header });
  }
  return raw;
}

/** Raw digest length in bytes of an algorithm (4, 4, 8, 20, 32). */
export function digestLength(alg: ChecksumAlgorithm): number {
  return DIGEST_LENGTH[alg];
}
