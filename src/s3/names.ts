/** S3's rules for bucket names and object keys. */
import { S3Error } from '../errors.js';

export const MAX_KEY_BYTES = 1024;

/** General-purpose bucket naming rules of AWS S3. */
export function validateBucketName(name: string): void {
  const ok =
    name.length >= 3 &&
    name.length <= 63 &&
    /^[a-z0-9][a-z0-9.-]*[a-z0-9]$/.test(name) &&
    !name.includes('..') &&
    !/^\d+\.\d+\.\d+\.\d+$/.test(name) &&
    !name.startsWith('xn--') &&
    !name.startsWith('sthree-') &&
    !name.endsWith('-s3alias') &&
    !name.endsWith('--ol-s3');
  if (!ok) throw new S3Error('InvalidBucketName', 'The specified bucket is not valid.', { BucketName: name });
}

/** Any UTF-8 key up to 1024 bytes is valid; a NUL cannot be stored (it separates bucket and key in the index). */
export function validateObjectKey(key: string): void {
  if (key.length === 0) throw new S3Error('InvalidArgument', 'Object key must not be empty.');
  if (Buffer.byteLength(key) > MAX_KEY_BYTES) throw new S3Error('KeyTooLongError');
  if (key.includes('\u0000')) throw new S3Error('InvalidArgument', 'Object key must not contain NUL.');
}
