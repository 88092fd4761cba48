/**
 * Regression: besides the path as sent, verifySigV2 tried the path percent-decoded, so a signature
 * for one key also held for the key spelled like its encoding. A URL presigned for `a b` (sent as
 * `/bucket/a%20b`) opened `a%20b` (sent as `/bucket/a%2520b`), and a GetObjectAcl signature for `a`
 * (`/bucket/a?acl`) opened the object `a?acl` (sent as `/bucket/a%3Facl`). AWS signs the path
 * "literally as it appears in the HTTP request, including URL-Encoding meta characters".
 */
import { describe, expect, it } from 'vitest';
import { verifySigV2, type SigV2Request } from '../../src/s3/auth/sigv2.js';
import { S3Error } from '../../src/errors.js';
import { v2HeaderSigned, v2Presigned, KEYS, NOW, lookup } from '../helpers/sigv2.js';

const DATE = NOW.toUTCString();

function outcome(req: SigV2Request): string {
  try {
    return verifySigV2(req, lookup, NOW).accessKey === KEYS.accessKey ? 'accepted' : 'other key';
  } catch (err) {
    return (err as S3Error).code;
  }
}

describe('a V2 signature covers the path as sent, not its decoded twin', () => {
  it('a GET signed for key "a b" does not open key "a%20b"', () => {
    const signed = v2HeaderSigned({ method: 'GET', path: '/bucket/a%20b', headers: { date: DATE } }, KEYS);
    expect(outcome(signed)).toBe('accepted');
    expect(outcome({ ...signed, rawPath: '/bucket/a%2520b' })).toBe('SignatureDoesNotMatch');
  });

  it('a URL presigned to PUT "report 2024.pdf" does not write "report%202024.pdf"', () => {
    const url = v2Presigned({ method: 'PUT', path: '/bucket/report%202024.pdf' }, KEYS, Math.floor(NOW.getTime() / 1000) + 600);
    expect(outcome(url)).toBe('accepted');
    expect(outcome({ ...url, rawPath: '/bucket/report%25202024.pdf' })).toBe('SignatureDoesNotMatch');
  });

  it('a GetObjectAcl signature for "a" does not read the object "a?acl"', () => {
    const signed = v2HeaderSigned({ method: 'GET', path: '/bucket/a', query: 'acl', headers: { date: DATE } }, KEYS);
    expect(outcome(signed)).toBe('accepted');
    expect(outcome({ ...signed, rawPath: '/bucket/a%3Facl', rawQuery: '' })).toBe('SignatureDoesNotMatch');
  });
});
