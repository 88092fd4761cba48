/** S3's rules for bucket names and object keys. */
import { S3Error } from '../errors.js';
import { MAX_OBJECT_KEY_BYTES, isValidBucketName } from '../storage/names.js';

/** General-purpose bucket naming rules of AWS S3 (one definition, shared with the drives that enforce it too). */
export function validateBucketName(name: string): void {
  if (!isValidBucketName(name)) throw new S3Error('InvalidBucketName', 'The specified bucket is not valid.', { BucketName: name });
}

/** Any UTF-8 key up to 1024 bytes is valid; a NUL cannot be stored (it separates bucket and key in the index). */
export function validateObjectKey(key: string): void {
  if (key.length === 0) throw new S3Error('InvalidArgument', 'Object key must not be empty.');
  if (Buffer.byteLength(key) > MAX_OBJECT_KEY_BYTES) throw new S3Error('KeyTooLongError');
  if (key.includes('\u0000')) throw new S3Error('InvalidArgument', 'Object key must not contain NUL.');
}

/** A listing prefix: no key longer than a key can match it, and a NUL can never be part of a key. */
export function validatePrefix(prefix: string): string {
  if (Buffer.byteLength(prefix) > MAX_OBJECT_KEY_BYTES) throw new S3Error('KeyTooLongError', 'Your prefix is too long.');
  if (prefix.includes('\u0000')) throw new S3Error('InvalidArgument', 'Prefix must not contain NUL.', { ArgumentName: 'prefix' });
  return prefix;
}
