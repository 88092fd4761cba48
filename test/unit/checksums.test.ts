import { createHash, randomBytes } from 'node:crypto';
import { describe, it, expect } from 'vitest';
import {
  CHECKSUM_ALGORITHMS,
  createChecksummer,
  algorithmFromHeader,
  headerForAlgorithm,
  parseChecksumValue,
  type ChecksumAlgorithm,
} from '../../src/s3/checksums.js';
import { S3Error } from '../../src/errors.js';

function digest(alg: ChecksumAlgorithm, data: Uint8Array | string): Buffer {
  const c = createChecksummer(alg);
  c.update(typeof data === 'string' ? Buffer.from(data, 'utf8') : data);
  return c.digest();
}

/** Bit-at-a-time reference CRCs (BigInt), straight from the algorithm definitions. */
function referenceCrc(data: Uint8Array, width: 32 | 64, reflectedPoly: bigint): bigint {
  const mask = (1n << BigInt(width)) - 1n;
  let crc = mask;
  for (const b of data) {
    crc ^= BigInt(b);
    for (let k = 0; k < 8; k++) crc = crc & 1n ? (crc >> 1n) ^ reflectedPoly : crc >> 1n;
  }
  return crc ^ mask;
}

function hexOf(n: bigint, bytes: number): string {
  return n.toString(16).padStart(bytes * 2, '0');
}

describe('check values ("123456789")', () => {
  it('CRC32 = 0xCBF43926', () => expect(digest('CRC32', '123456789').toString('hex')).toBe('cbf43926'));
  it('CRC32C = 0xE3069283', () => expect(digest('CRC32C', '123456789').toString('hex')).toBe('e3069283'));
  it('CRC64NVME = 0xAE8B14860A799888', () => expect(digest('CRC64NVME', '123456789').toString('hex')).toBe('ae8b14860a799888'));
  it('SHA1 / SHA256 match node:crypto', () => {
    expect(digest('SHA1', '123456789').toString('hex')).toBe('f7c3bc1d808e04732adf679965ccc34ca7ae3441');
    expect(digest('SHA256', '123456789').toString('hex')).toBe(createHash('sha256').update('123456789').digest('hex'));
  });
});

describe('known vectors', () => {
  it('empty input', () => {
    expect(digest('CRC32', '').toString('hex')).toBe('00000000');
    expect(digest('CRC32C', '').toString('hex')).toBe('00000000');
    expect(digest('CRC64NVME', '').toString('hex')).toBe('0000000000000000');
    expect(digest('SHA256', '').toString('base64')).toBe('47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=');
  });

  it('"hello world" header values as S3 / the SDK send them', () => {
    // the v3 SDK sent x-amz-checksum-crc32: DUoRhQ== for "hello world" (see the sigv4 end-to-end test)
    expect(digest('CRC32', 'hello world').toString('base64')).toBe('DUoRhQ==');
    expect(digest('CRC32C', 'hello world').toString('hex')).toBe('c99465aa');
  });

  it('iSCSI CRC32C test patterns (RFC 3720 B.4)', () => {
    expect(digest('CRC32C', new Uint8Array(32)).toString('hex')).toBe('8a9136aa');
    expect(digest('CRC32C', new Uint8Array(32).fill(0xff)).toString('hex')).toBe('62a8ab43');
    const inc = Uint8Array.from({ length: 32 }, (_, i) => i);
    expect(digest('CRC32C', inc).toString('hex')).toBe('46dd794e');
    const dec = Uint8Array.from({ length: 32 }, (_, i) => 31 - i);
    expect(digest('CRC32C', dec).toString('hex')).toBe('113fdb5c');
  });

  it('agree with bit-at-a-time reference implementations on random data of every small length', () => {
    const data = randomBytes(300);
    for (let len = 0; len <= 300; len += len < 40 ? 1 : 37) {
      const slice = data.subarray(0, len);
      expect(digest('CRC32', slice).toString('hex')).toBe(hexOf(referenceCrc(slice, 32, 0xedb88320n), 4));
      expect(digest('CRC32C', slice).toString('hex')).toBe(hexOf(referenceCrc(slice, 32, 0x82f63b78n), 4));
      expect(digest('CRC64NVME', slice).toString('hex')).toBe(hexOf(referenceCrc(slice, 64, 0x9a6c9329ac4bc9b5n), 8));
    }
  });

  it('agree with the AWS SDK implementations (@aws-sdk/checksums, @smithy/core)', async () => {
    const { Crc32c, Crc64NvmeJs } = await import('@aws-sdk/checksums/crc');
    const { Crc32 } = await import('@smithy/core/checksum');
    for (const len of [0, 1, 7, 8, 9, 63, 64, 65, 1000, 65536 + 13]) {
      const data = randomBytes(len);
      const sdk = async (impl: { update(d: Uint8Array): void; digest(): Promise<Uint8Array> | Uint8Array }) => {
        impl.update(data);
        return Buffer.from(await impl.digest()).toString('hex');
      };
      expect(digest('CRC32', data).toString('hex')).toBe(await sdk(new Crc32()));
      expect(digest('CRC32C', data).toString('hex')).toBe(await sdk(new Crc32c()));
      expect(digest('CRC64NVME', data).toString('hex')).toBe(await sdk(new Crc64NvmeJs()));
    }
  });
});

describe('incremental updates', () => {
  it('equal one-shot for every algorithm and many split patterns', () => {
    const data = randomBytes(10_000);
    for (const alg of CHECKSUM_ALGORITHMS) {
      const oneShot = digest(alg, data).toString('hex');
      for (const step of [1, 3, 7, 8, 9, 64, 1000, 4096]) {
        const c = createChecksummer(alg);
        for (let i = 0; i < data.length; i += step) c.update(data.subarray(i, i + step));
        expect(c.digest().toString('hex'), `${alg} step ${step}`).toBe(oneShot);
      }
      // random splits, with empty updates and unaligned views
      const c = createChecksummer(alg);
      let i = 0;
      while (i < data.length) {
        const n = Math.floor(Math.random() * 50);
        c.update(data.subarray(i, i + n));
        i += n;
      }
      expect(c.digest().toString('hex')).toBe(oneShot);
    }
  });

  it('digest lengths', () => {
    const lengths: Record<ChecksumAlgorithm, number> = { CRC32: 4, CRC32C: 4, CRC64NVME: 8, SHA1: 20, SHA256: 32 };
    for (const alg of CHECKSUM_ALGORITHMS) expect(digest(alg, 'x').length).toBe(lengths[alg]);
  });
});

describe('header names', () => {
  it('maps both ways', () => {
    for (const alg of CHECKSUM_ALGORITHMS) expect(algorithmFromHeader(headerForAlgorithm(alg))).toBe(alg);
    expect(headerForAlgorithm('CRC32C')).toBe('x-amz-checksum-crc32c');
    expect(headerForAlgorithm('CRC64NVME')).toBe('x-amz-checksum-crc64nvme');
    expect(algorithmFromHeader('X-Amz-Checksum-SHA256')).toBe('SHA256');
    expect(algorithmFromHeader('x-amz-checksum-algorithm')).toBeUndefined();
    expect(algorithmFromHeader('x-amz-checksum-type')).toBeUndefined();
    expect(algorithmFromHeader('x-amz-checksum-md5')).toBeUndefined();
    expect(algorithmFromHeader('content-md5')).toBeUndefined();
  });
});

describe('parseChecksumValue', () => {
  it('accepts well-formed values and returns raw bytes', () => {
    for (const alg of CHECKSUM_ALGORITHMS) {
      const raw = digest(alg, 'abc');
      expect(parseChecksumValue(alg, raw.toString('base64')).equals(raw)).toBe(true);
    }
    expect(parseChecksumValue('CRC32', 'DUoRhQ==').toString('hex')).toBe('0d4a1185');
  });

  it('rejects bad lengths and malformed base64', () => {
    const bad: [ChecksumAlgorithm, string][] = [
      ['CRC32', ''],
      ['CRC32', 'DUoRhQ='],
      ['CRC32', 'DUoRhQ'],
      ['CRC32', 'DUoRhQ==='],
      ['CRC32', 'DUoRhRQ='], // 5 bytes
      ['CRC32', 'DUo*hQ=='],
      ['CRC32', 'DUoRhR=='], // non-canonical trailing bits
      ['CRC32C', 'AAAAAAAAAAA='], // 8 bytes
      ['CRC64NVME', 'DUoRhQ=='], // 4 bytes
      ['CRC64NVME', 'rosUhgp5mIg'], // missing padding
      ['SHA1', digest('SHA256', 'x').toString('base64')],
      ['SHA256', digest('SHA1', 'x').toString('base64')],
      ['SHA256', digest('SHA256', 'x').toString('hex')],
      ['SHA256', digest('SHA256', 'x').toString('base64url')],
    ];
    for (const [alg, value] of bad) {
      let err: unknown;
      try {
        parseChecksumValue(alg, value);
      } catch (e) {
        err = e;
      }
      expect(err, `${alg} ${JSON.stringify(value)}`).toBeInstanceOf(S3Error);
      expect((err as S3Error).code).toBe('InvalidArgument');
      expect((err as S3Error).message).toBe(`Value for ${headerForAlgorithm(alg)} header is invalid.`);
    }
    expect(parseChecksumValue('CRC64NVME', 'rosUhgp5mIg=').toString('hex')).toBe('ae8b14860a799888');
  });
});

describe('throughput', () => {
  it('reports MB/s for each algorithm (64 MiB)', () => {
    const data = randomBytes(8 * 1024 * 1024);
    const rounds = 8;
    const results: string[] = [];
    for (const alg of CHECKSUM_ALGORITHMS) {
      createChecksummer(alg).update(data.subarray(0, 1 << 20)); // warm up
      const c = createChecksummer(alg);
      const t0 = performance.now();
      for (let r = 0; r < rounds; r++) c.update(data);
      c.digest();
      const ms = performance.now() - t0;
      const mbps = (data.length * rounds) / 1e6 / (ms / 1000);
      results.push(`${alg}: ${mbps.toFixed(0)} MB/s`);
      // loose floor so slow CI machines still pass; the report line gives the real figure
      expect(mbps).toBeGreaterThan(50);
    }
    console.log('[checksums throughput] ' + results.join(', '));
  });
});
