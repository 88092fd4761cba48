/**
 * Self-describing object bodies. Every body the workload sends is a segment: a header naming its key,
 * its body id and its size, then a keystream (AES-128-CTR over zeros, keyed by the body id), so any
 * byte range of any body can be regenerated without keeping the body. A stored value is one segment
 * (PUT) or several (a multipart object: its parts in order). The checker identifies what a GET
 * returned by its SHA-256, and describes bytes that match nothing by the headers found inside them.
 */
import { createCipheriv, createHash } from 'node:crypto';

export const HEADER_MAGIC = 'TORTURE|';

export interface Segment {
  /** Unique per generated body, e.g. `w17` or `p17.2`. */
  id: string;
  key: string;
  size: number;
}

export interface Value {
  segments: Segment[];
  size: number;
  sha256: string;
}

function header(segment: Segment): Buffer {
  return Buffer.from(`${HEADER_MAGIC}${segment.key}|${segment.id}|${segment.size}\n`);
}

/** Bytes [from, to) of one segment. */
export function segmentSlice(segment: Segment, from: number, to: number): Buffer {
  to = Math.min(to, segment.size);
  if (to <= from) return Buffer.alloc(0);
  const key = createHash('sha256').update(segment.id).digest().subarray(0, 16);
  const firstBlock = Math.floor(from / 16);
  const iv = Buffer.alloc(16);
  iv.writeBigUInt64BE(BigInt(firstBlock), 8);
  const cipher = createCipheriv('aes-128-ctr', key, iv);
  const stream = cipher.update(Buffer.alloc(to - firstBlock * 16));
  const out = stream.subarray(from - firstBlock * 16);
  const head = header(segment);
  if (from < head.length) head.subarray(from, Math.min(head.length, to)).copy(out, 0);
  return out;
}

/** Bytes [from, to) of a value (its segments one after another). */
export function valueSlice(segments: readonly Segment[], from: number, to: number): Buffer {
  const out: Buffer[] = [];
  let base = 0;
  for (const segment of segments) {
    const end = base + segment.size;
    if (end > from && base < to) out.push(segmentSlice(segment, Math.max(0, from - base), Math.min(segment.size, to - base)));
    base = end;
  }
  return Buffer.concat(out);
}

export function valueBytes(segments: readonly Segment[]): Buffer {
  return valueSlice(segments, 0, Number.MAX_SAFE_INTEGER);
}

export function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** The value made of `segments`, with its size and hash. */
export function makeValue(segments: Segment[]): Value {
  const bytes = valueBytes(segments);
  return { segments, size: bytes.length, sha256: sha256(bytes) };
}

/** The segment headers found in `bytes`, as `offset:key|id|size` (a mix of writes shows several ids). */
export function headersIn(bytes: Buffer, limit = 8): string[] {
  const found: string[] = [];
  for (let at = bytes.indexOf(HEADER_MAGIC); at >= 0 && found.length < limit; at = bytes.indexOf(HEADER_MAGIC, at + 1)) {
    const end = bytes.indexOf('\n', at);
    found.push(`@${at}:${bytes.subarray(at + HEADER_MAGIC.length, end < 0 ? at + 80 : Math.min(end, at + 200)).toString()}`);
  }
  return found;
}

/** The first offset where `bytes` and the value differ (or -1 if they are equal). */
export function firstDifference(bytes: Buffer, segments: readonly Segment[]): number {
  const expected = valueBytes(segments);
  const n = Math.min(bytes.length, expected.length);
  for (let i = 0; i < n; i++) if (bytes[i] !== expected[i]) return i;
  return bytes.length === expected.length ? -1 : n;
}
