/**
 * Checksums of multipart objects: COMPOSITE (the checksum of the parts' checksums, suffixed `-N`)
 * and FULL_OBJECT (the CRC of the whole object, combined from the parts' CRCs and sizes without
 * reading the data again).
 */
import { S3Error } from '../errors.js';
import type { PartInfo, UploadInfo } from '../object/types.js';
import { createChecksummer, headerForAlgorithm, parseChecksumValue, type ChecksumAlgorithm } from './checksums.js';

/** Reflected polynomials of the CRCs that support FULL_OBJECT, with their widths. */
const CRC_POLYNOMIALS: Partial<Record<ChecksumAlgorithm, { poly: bigint; width: number }>> = {
  CRC32: { poly: 0xedb88320n, width: 32 },
  CRC32C: { poly: 0x82f63b78n, width: 32 },
  CRC64NVME: { poly: 0x9a6c9329ac4bc9b5n, width: 64 },
};

export type ChecksumType = 'COMPOSITE' | 'FULL_OBJECT';

export function isFullObjectCapable(algorithm: ChecksumAlgorithm): boolean {
  return CRC_POLYNOMIALS[algorithm] !== undefined;
}

/** S3's default type: CRC64NVME is always full-object, the rest composite. */
export function defaultChecksumType(algorithm: ChecksumAlgorithm): ChecksumType {
  return algorithm === 'CRC64NVME' ? 'FULL_OBJECT' : 'COMPOSITE';
}

function gf2Times(matrix: bigint[], vector: bigint): bigint {
  let sum = 0n;
  for (let i = 0; vector !== 0n; i++, vector >>= 1n) if (vector & 1n) sum ^= matrix[i];
  return sum;
}

function gf2Square(matrix: bigint[]): bigint[] {
  return matrix.map((row) => gf2Times(matrix, row));
}

/** CRC of A‖B from crc(A), crc(B) and |B| (the zlib crc32_combine method, for any reflected CRC). */
export function combineCrc(algorithm: ChecksumAlgorithm, crcA: bigint, crcB: bigint, lengthB: number): bigint {
  const spec = CRC_POLYNOMIALS[algorithm];
  if (!spec) throw new Error(`${algorithm} cannot be combined`);
  if (lengthB === 0) return crcA;
  // The operator that appends one zero bit, then squared up to one zero byte.
  let odd: bigint[] = [spec.poly];
  for (let i = 1, row = 1n; i < spec.width; i++, row <<= 1n) odd.push(row);
  let even = gf2Square(odd);
  odd = gf2Square(even);
  let length = BigInt(lengthB);
  let crc = crcA;
  for (;;) {
    even = gf2Square(odd);
    if (length & 1n) crc = gf2Times(even, crc);
    length >>= 1n;
    if (length === 0n) break;
    odd = gf2Square(even);
    if (length & 1n) crc = gf2Times(odd, crc);
    length >>= 1n;
    if (length === 0n) break;
  }
  return crc ^ crcB;
}

function toBigInt(bytes: Buffer): bigint {
  return BigInt(`0x${bytes.toString('hex') || '0'}`);
}

function fromBigInt(value: bigint, bytes: number): Buffer {
  return Buffer.from(value.toString(16).padStart(bytes * 2, '0'), 'hex');
}

/** What a CompleteMultipartUpload request says of the object's checksum: x-amz-checksum-* values and x-amz-checksum-type. */
export interface DeclaredChecksum {
  values: Record<string, string>;
  type?: string;
}

/**
 * The checksums to record for a completed upload, from its parts' checksums. What the
 * CompleteMultipartUpload request declared must agree: the upload's type (else BadDigest, as S3
 * answers), its algorithm (else InvalidRequest) and the value (else BadDigest).
 */
export function multipartChecksums(upload: UploadInfo, parts: PartInfo[], declared: DeclaredChecksum): Record<string, string> {
  const algorithm = upload.checksumAlgorithm as ChecksumAlgorithm | undefined;
  if (!algorithm) return {};
  const type = upload.checksumType ?? defaultChecksumType(algorithm);
  if (declared.type !== undefined && declared.type.toUpperCase() !== type) {
    throw new S3Error('BadDigest', `The upload was created using the ${type} checksum mode. The complete request must use the same checksum mode.`);
  }
  for (const other of Object.keys(declared.values)) {
    if (other !== algorithm) {
      throw new S3Error('InvalidRequest', `Checksum Type mismatch occurred, expected checksum Type: ${algorithm.toLowerCase()}, actual checksum Type: ${other.toLowerCase()}`);
    }
  }
  const values = parts.map((p) => {
    const value = p.checksums?.[algorithm];
    if (value === undefined) {
      throw new S3Error('InvalidRequest', `The upload was created using a ${algorithm} checksum. The part ${p.number} was not.`);
    }
    return parseChecksumValue(algorithm, value);
  });
  let value: string;
  if (type === 'FULL_OBJECT') {
    let crc = toBigInt(values[0]);
    for (let i = 1; i < parts.length; i++) crc = combineCrc(algorithm, crc, toBigInt(values[i]), parts[i].size);
    value = fromBigInt(crc, values[0].length).toString('base64');
  } else {
    const hasher = createChecksummer(algorithm);
    for (const v of values) hasher.update(v);
    value = `${hasher.digest().toString('base64')}-${parts.length}`;
  }
  const expected = declared.values[algorithm];
  if (expected !== undefined && expected !== value && expected !== value.replace(/-\d+$/, '')) {
    throw new S3Error('BadDigest', `The ${algorithm} you specified for the multipart upload did not match the calculated checksum.`);
  }
  return { [algorithm]: value };
}

/** Part checksums a CompleteMultipartUpload request lists must match what was uploaded. */
export function checkListedPartChecksums(listed: Record<string, string>, part: PartInfo): void {
  for (const [algorithm, value] of Object.entries(listed)) {
    if (part.checksums?.[algorithm] !== value) {
      throw new S3Error('InvalidPart', `The ${headerForAlgorithm(algorithm as ChecksumAlgorithm)} of part ${part.number} does not match.`);
    }
  }
}
