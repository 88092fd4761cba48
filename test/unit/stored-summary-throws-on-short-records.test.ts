/**
 * Found by review (minor, robustness; fixed since): storedSummary is documented to answer undefined for any record
 * it cannot take a summary from, and runs on every record a listing page touches. For a record body
 * (checksum valid) that is cut short right after its header it reads past the end and throws
 * RangeError instead: its length check (1 + 8 + 2 bytes) does not cover the two length bytes of a
 * bin16 (nor the 3-byte header of a map16). The throw fails the drive's whole listRecords page, not just
 * the one key. Only reachable with bytes whose xxHash64 matches (crafted, or an encoder bug), so
 * hostile rather than corrupt input.
 *
 * src/meta/listing-summary.ts storedSummary (`body.length < 1 + LISTING_KEY.length + 2`).
 */
import { describe, expect, it } from 'vitest';
import { xxh64 } from '../../src/codec/xxhash.js';
import { storedSummary } from '../../src/meta/listing-summary.js';

const LISTING = [0xa7, ...Buffer.from('listing')];

function stored(body: number[]): Buffer {
  const b = Buffer.from(body);
  return Buffer.concat([xxh64(b), b]);
}

describe('storedSummary on short, checksummed bodies', () => {
  it('bodies shorter than a checksum, unverified: undefined, not a throw', () => {
    for (const length of [0, 1, 7, 8, 9]) expect(storedSummary(Buffer.alloc(length, 0x81), 'unverified')).toBeUndefined();
  });

  it('a fixmap whose bin16 length is cut off: undefined, not a throw', () => {
    for (const check of ['verified', 'unverified'] as const) expect(() => storedSummary(stored([0x81, ...LISTING, 0xc5, 0x00]), check)).not.toThrow();
  });

  it('a map16 whose bin16 length is cut off: undefined, not a throw', () => {
    for (const check of ['verified', 'unverified'] as const) expect(() => storedSummary(stored([0xde, 0x00, 0x01, ...LISTING, 0xc5, 0x00]), check)).not.toThrow();
  });
});
