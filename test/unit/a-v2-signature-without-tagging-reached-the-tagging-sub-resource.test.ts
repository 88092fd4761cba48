/**
 * Regression: verifySigV2 also tried a resource with only the sub-resources AWS's page lists (the
 * reading s3cmd signs), so a request carrying `tagging` (or `object-lock`, `replication`, ...)
 * matched a signature made without it: a URL presigned to GET, PUT or DELETE an object or a bucket
 * also read, replaced or deleted its tags. botocore signs `tagging` (its HmacV1Auth list, made
 * against S3), so S3 refused such a request; a signature must cover the sub-resource it is used for.
 */
import { describe, expect, it } from 'vitest';
import type { SigV2Request } from '../../src/s3/auth/sigv2.js';
import { v2HeaderSigned, v2Presigned, EXPIRES, KEYS, v2Outcome as outcome, NOW } from '../helpers/sigv2.js';

/** `req` with `sub` put before its own query parameters. */
const withSub = (req: SigV2Request, sub: string): SigV2Request => ({ ...req, rawQuery: req.rawQuery ? `${sub}&${req.rawQuery}` : sub });

describe('a V2 signature made without a sub-resource does not reach it', () => {
  for (const [method, path] of [['GET', '/bucket/k'], ['PUT', '/bucket/k'], ['DELETE', '/bucket/k'], ['DELETE', '/bucket']] as const) {
    it(`a URL presigned for ${method} ${path} is refused with ?tagging`, () => {
      const url = v2Presigned({ method, path }, KEYS, EXPIRES);
      expect(outcome(url)).toBe('accepted');
      expect(outcome(withSub(url, 'tagging'))).toBe('SignatureDoesNotMatch');
    });
  }

  it('a header-signed GET /bucket is refused with ?object-lock or ?replication', () => {
    const signed = v2HeaderSigned({ method: 'GET', path: '/bucket', headers: { date: NOW.toUTCString() } }, KEYS);
    expect(outcome(signed)).toBe('accepted');
    expect(outcome(withSub(signed, 'object-lock'))).toBe('SignatureDoesNotMatch');
    expect(outcome(withSub(signed, 'replication'))).toBe('SignatureDoesNotMatch');
  });
});
