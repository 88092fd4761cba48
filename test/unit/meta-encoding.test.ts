import { describe, expect, it } from 'vitest';
import { decodeRecord, encodeRecord } from '../../src/meta/encoding.js';
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
