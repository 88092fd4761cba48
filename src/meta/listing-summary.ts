/**
 * The listing summary of an object record: what a listing shows of the current version, stored
 * as the record's first field so a drive can hand it out without decoding the record. Every drive
 * derives it from the same fields the same way, so copies of one version give identical bytes, and
 * a listing page compares bytes instead of decoding and resolving every drive's record.
 */
import { Packr } from 'msgpackr';
import { RECORD_HASH_SIZE, decodeRecord, encodeRecord, recordBody } from './encoding.js';
import type { ObjectRecord, VersionRecord } from './record.js';

const packr = new Packr({ useRecords: false, moreTypes: false, bundleStrings: false });

/** What ListObjects shows of a version, and what makes two versions differ (the signature's fields). */
export interface ListingSummary extends Pick<VersionRecord, 'versionId' | 'modTime' | 'deleteMarker' | 'size' | 'etag' | 'dataDir'> {
  storageClass?: string;
  checksumAlgorithms: string[];
  dataShards: number;
  parityShards: number;
}

export function summarize(v: VersionRecord): ListingSummary {
  return {
    versionId: v.versionId,
    modTime: v.modTime,
    deleteMarker: v.deleteMarker,
    size: v.size,
    etag: v.etag,
    dataDir: v.dataDir,
    ...(v.headers['x-amz-storage-class'] !== undefined ? { storageClass: v.headers['x-amz-storage-class'] } : {}),
    checksumAlgorithms: Object.keys(v.checksums),
    dataShards: v.erasure.dataShards,
    parityShards: v.erasure.parityShards,
  };
}

type Packed = [string, number, boolean, number, string, string, string, string[], number, number];

/** The summary's bytes: equal for copies of one version on any drive. */
export function packSummary(s: ListingSummary): Buffer {
  const fields: Packed = [s.versionId, s.modTime, s.deleteMarker, s.size, s.etag, s.dataDir, s.storageClass ?? '', s.checksumAlgorithms, s.dataShards, s.parityShards];
  return packr.pack(fields);
}

export function unpackSummary(bytes: Uint8Array): ListingSummary {
  const [versionId, modTime, deleteMarker, size, etag, dataDir, storageClass, checksumAlgorithms, dataShards, parityShards] = packr.unpack(bytes) as Packed;
  return { versionId, modTime, deleteMarker, size, etag, dataDir, ...(storageClass ? { storageClass } : {}), checksumAlgorithms, dataShards, parityShards };
}

/** The stored form of an object record: its listing summary first, then the record. */
export function encodeObjectRecord(record: ObjectRecord): Buffer {
  const { listing: _stale, ...rest } = record as ObjectRecord & { listing?: unknown };
  void _stale;
  const current = record.versions[0];
  return encodeRecord(current ? { listing: packSummary(summarize(current)), ...rest } : rest);
}

/** A stored object record without its summary; undefined when it fails its checksum. */
export function decodeObjectRecord(value: Uint8Array): ObjectRecord | undefined {
  const decoded = decodeRecord<ObjectRecord & { listing?: unknown }>(value);
  if (!decoded) return undefined;
  delete decoded.listing;
  return decoded;
}

// The body is a msgpack map whose first key is "listing" (fixstr of 7 bytes), its value a bin 8 or bin 16.
const LISTING_KEY = Buffer.from([0xa7, ...Buffer.from('listing')]);

/**
 * The summary bytes of a stored object record, found at their fixed place without decoding it;
 * undefined for a record stored without a summary (before they existed). `verified`: undefined too
 * when the record fails its checksum; otherwise the checksum is not computed (see listedRecord).
 */
export function storedSummary(value: Uint8Array, check: 'verified' | 'unverified'): Uint8Array | undefined {
  const buf = Buffer.isBuffer(value) ? value : Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  const body = check === 'verified' ? recordBody(buf) : buf.length >= RECORD_HASH_SIZE ? buf.subarray(RECORD_HASH_SIZE) : undefined;
  if (!body || body.length < 1 + LISTING_KEY.length + 2) return undefined;
  const isMap = (body[0] & 0xf0) === 0x80 || body[0] === 0xde;
  const keyAt = body[0] === 0xde ? 3 : 1;
  if (!isMap || body.compare(LISTING_KEY, 0, LISTING_KEY.length, keyAt, keyAt + LISTING_KEY.length) !== 0) return undefined;
  const at = keyAt + LISTING_KEY.length;
  const bin8 = body[at] === 0xc4;
  if (!bin8 && body[at] !== 0xc5) return undefined;
  const start = at + (bin8 ? 2 : 3);
  if (start > body.length) return undefined;
  const end = start + (bin8 ? body[at + 1] : body.readUInt16BE(at + 1));
  return end <= body.length ? body.subarray(start, end) : undefined;
}

/**
 * What a listing takes from a stored object record: a copy of its summary, or the record decoded
 * whole where it has none (stored before summaries existed); neither when it fails its checksum.
 * `unverified` leaves the summary's checksum uncomputed (a tenth of a listing's time): a set takes
 * a summary on trust only where several drives show it byte for byte (see set.ts settledSummary),
 * which bitrot does not do; a set of one drive asks for `verified`.
 * Nothing returned points into `value`, which may be a read buffer lmdb reuses for the next entry.
 */
export function listedRecord(value: Uint8Array, check: 'verified' | 'unverified'): { summary?: Buffer; record?: ObjectRecord } {
  const summary = storedSummary(value, check);
  if (summary) return { summary: Buffer.from(summary) };
  // A copy first: decoding hands out views of the bytes it decodes (inline shards).
  const record = decodeObjectRecord(Buffer.from(value));
  return record ? { record } : {};
}
