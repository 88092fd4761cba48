import { describe, expect, it } from 'vitest';
import { decodeRecord, encodeRecord } from '../../src/meta/encoding.js';
import { decodeObjectRecord, encodeObjectRecord, packSummary, storedSummary, summarize, unpackSummary } from '../../src/meta/listing-summary.js';
import type { ObjectRecord } from '../../src/meta/record.js';

const record: ObjectRecord = {
  versions: [
    {
      versionId: 'null',
      modTime: 1_700_000_000_123,
      deleteMarker: false,
      size: 5,
      etag: '5d41402abc4b2a76b9719d911017c592',
      dataDir: '',
      headers: { 'content-type': 'text/plain', 'x-amz-meta-名前': '値' },
      checksums: { CRC32: 'NhCmhg==' },
      parts: [{ number: 1, size: 5, etag: '5d41402abc4b2a76b9719d911017c592' }],
      erasure: { dataShards: 2, parityShards: 2, blockSize: 1 << 20, index: 3, distribution: [3, 4, 1, 2] },
      inline: new Uint8Array([1, 2, 3, 250]),
    },
  ],
};

describe('metadata record encoding', () => {
  it('round-trips every field, binary inline data included', () => {
    const decoded = decodeRecord<ObjectRecord>(encodeRecord(record))!;
    expect(decoded.versions[0].inline && Buffer.from(decoded.versions[0].inline)).toEqual(Buffer.from([1, 2, 3, 250]));
    expect({ ...decoded.versions[0], inline: undefined }).toEqual({ ...record.versions[0], inline: undefined });
  });

  it('reads a damaged record as missing, whichever byte is hit', () => {
    const bytes = encodeRecord(record);
    for (let i = 0; i < bytes.length; i++) {
      const damaged = Buffer.from(bytes);
      damaged[i] ^= 0x40;
      expect(decodeRecord(damaged)).toBeUndefined();
    }
    expect(decodeRecord(bytes.subarray(0, bytes.length - 1))).toBeUndefined();
    expect(decodeRecord(Buffer.alloc(3))).toBeUndefined();
  });

  it('is compact', () => {
    expect(encodeRecord({ ...record, versions: [{ ...record.versions[0], inline: undefined }] }).length).toBeLessThan(400);
  });
});

describe('listing summaries of stored object records', () => {
  const copyOn = (index: number, inline: number[]): ObjectRecord => ({
    versions: [{ ...record.versions[0], erasure: { ...record.versions[0].erasure, index }, inline: new Uint8Array(inline) }],
    fence: index,
  });

  it('are found without decoding, equal for copies of one version on different drives', () => {
    const a = storedSummary(encodeObjectRecord(copyOn(1, [1, 2])), 'verified')!;
    const b = storedSummary(encodeObjectRecord(copyOn(3, [9, 9, 9])), 'verified')!;
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(true);
    const { versionId, modTime, deleteMarker, size, etag, dataDir } = record.versions[0];
    expect(unpackSummary(a)).toEqual({ versionId, modTime, deleteMarker, size, etag, dataDir, checksumAlgorithms: ['CRC32'], dataShards: 2, parityShards: 2 });
    expect(Buffer.from(a).equals(packSummary(summarize(record.versions[0])))).toBe(true);
  });

  it('differ for another version, and name a storage class other than STANDARD', () => {
    const other = { ...record.versions[0], modTime: record.versions[0].modTime + 1, headers: { 'x-amz-storage-class': 'REDUCED_REDUNDANCY' } };
    const summary = storedSummary(encodeObjectRecord({ versions: [other] }), 'verified')!;
    expect(Buffer.from(summary).equals(Buffer.from(storedSummary(encodeObjectRecord(record), 'verified')!))).toBe(false);
    expect(unpackSummary(summary).storageClass).toBe('REDUCED_REDUNDANCY');
  });

  it('are not found in a damaged record, nor in one stored before summaries existed', () => {
    const bytes = encodeObjectRecord(record);
    const damaged = Buffer.from(bytes);
    damaged[20] ^= 1;
    expect(storedSummary(damaged, 'verified')).toBeUndefined();
    // Unverified, the damaged bytes are handed out as they are: a listing trusts only copies that agree.
    expect(storedSummary(damaged, 'unverified')).toBeDefined();
    expect(storedSummary(encodeRecord(record), 'verified')).toBeUndefined();
    expect(decodeObjectRecord(encodeRecord(record))!.versions[0].etag).toBe(record.versions[0].etag);
  });

  it('are long ones too (bin 16), and the decoded record does not carry them', () => {
    const long = { ...record.versions[0], etag: 'e'.repeat(300) };
    const bytes = encodeObjectRecord({ versions: [long] });
    expect(unpackSummary(storedSummary(bytes, 'verified')!).etag).toBe(long.etag);
    const decoded = decodeObjectRecord(bytes)!;
    expect(Object.keys(decoded)).toEqual(['versions']);
    // Re-encoding a decoded record derives the summary again from its current version.
    expect(unpackSummary(storedSummary(encodeObjectRecord({ ...decoded, versions: [record.versions[0]] }), 'verified')!).etag).toBe(record.versions[0].etag);
  });
});
