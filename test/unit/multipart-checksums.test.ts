import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createChecksummer, type ChecksumAlgorithm } from '../../src/s3/checksums.js';
import { combineCrc, multipartChecksums } from '../../src/s3/multipart-checksums.js';
import { multipartEtag } from '../../src/erasure/multipart.js';

function crc(alg: ChecksumAlgorithm, data: Buffer): Buffer {
  const c = createChecksummer(alg);
  c.update(data);
  return c.digest();
}

const big = (b: Buffer): bigint => BigInt(`0x${b.toString('hex')}`);

describe('multipart checksums', () => {
  for (const alg of ['CRC32', 'CRC32C', 'CRC64NVME'] as ChecksumAlgorithm[]) {
    it(`combines ${alg} of parts into the CRC of the whole`, () => {
      for (const [la, lb] of [[0, 5], [1, 1], [7, 1000], [4096, 65537], [100000, 0]]) {
        const a = randomBytes(la);
        const b = randomBytes(lb);
        expect(combineCrc(alg, big(crc(alg, a)), big(crc(alg, b)), lb)).toBe(big(crc(alg, Buffer.concat([a, b]))));
      }
    });
  }

  it('builds FULL_OBJECT and COMPOSITE values from part checksums', () => {
    const parts = [randomBytes(1000), randomBytes(777), randomBytes(5)];
    const infos = parts.map((p, i) => ({
      number: i + 1,
      size: p.length,
      etag: 'x',
      modTime: new Date(),
      checksums: { CRC32: crc('CRC32', p).toString('base64') },
    }));
    const upload = { bucket: 'b', key: 'k', uploadId: 'u', initiated: new Date(), headers: {}, checksumAlgorithm: 'CRC32' };
    const full = multipartChecksums({ ...upload, checksumType: 'FULL_OBJECT' }, infos, { values: {} });
    expect(full.CRC32).toBe(crc('CRC32', Buffer.concat(parts)).toString('base64'));
    const composite = multipartChecksums({ ...upload, checksumType: 'COMPOSITE' }, infos, { values: {} });
    const raw = Buffer.concat(parts.map((p) => crc('CRC32', p)));
    expect(composite.CRC32).toBe(`${crc('CRC32', raw).toString('base64')}-3`);
    expect(() => multipartChecksums({ ...upload, checksumType: 'FULL_OBJECT' }, infos, { values: { CRC32: 'AAAAAA==' } })).toThrow(/did not match/);
  });

  it('computes the S3 multipart ETag', () => {
    // MD5 of the two binary MD5s (value computed independently with Python's hashlib).
    expect(multipartEtag(['d41d8cd98f00b204e9800998ecf8427e', 'd41d8cd98f00b204e9800998ecf8427e'])).toBe(
      '5873dd45edd01f09c1ef2e7819369e8e-2',
    );
  });
});
