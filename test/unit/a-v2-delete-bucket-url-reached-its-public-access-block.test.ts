/**
 * Regression: the sub-resources that select another operation (routes.ts) were not all signed in
 * every reading verifySigV2 tries, so a URL presigned to DELETE a bucket (harmless while the
 * bucket holds objects) also deleted its public access block or its ownership controls, and one
 * presigned to GET an object also read its retention, legal hold and attributes.
 */
import { describe, expect, it } from 'vitest';
import type { SigV2Request } from '../../src/s3/auth/sigv2.js';
import { v2Presigned, EXPIRES, KEYS, v2Outcome as outcome } from '../helpers/sigv2.js';

const withSub = (req: SigV2Request, sub: string): SigV2Request => ({ ...req, rawQuery: `${sub}&${req.rawQuery}` });

describe('a presigned URL does not reach a sub-resource it did not sign', () => {
  it('DELETE /bucket is refused with ?publicAccessBlock or ?ownershipControls', () => {
    const url = v2Presigned({ method: 'DELETE', path: '/bucket' }, KEYS, EXPIRES);
    expect(outcome(url)).toBe('accepted');
    expect(outcome(withSub(url, 'publicAccessBlock'))).toBe('SignatureDoesNotMatch');
    expect(outcome(withSub(url, 'ownershipControls'))).toBe('SignatureDoesNotMatch');
  });

  it('GET /bucket/k is refused with ?retention, ?legal-hold or ?attributes', () => {
    const url = v2Presigned({ method: 'GET', path: '/bucket/k' }, KEYS, EXPIRES);
    expect(outcome(url)).toBe('accepted');
    for (const sub of ['retention', 'legal-hold', 'attributes']) expect(outcome(withSub(url, sub)), sub).toBe('SignatureDoesNotMatch');
  });
});
