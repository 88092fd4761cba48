/**
 * Regression: verifySigV2 tried the string to sign as Latin-1 as well as UTF-8 when it held a
 * non-ASCII character. Query values are decoded as UTF-8 and may hold characters above U+00FF, which
 * Latin-1 encoding cuts to their low byte, so a signature over `a` (0x61) held for `š` (U+0161), `ɡ`
 * (U+0261) ...: a signed x-amz-* value in a URL, or a signed sub-resource value, could be swapped.
 */
import { describe, expect, it } from 'vitest';
import { v2HeaderSigned, v2Incoming, v2PresignQuery, EXPIRES, KEYS, v2Outcome as outcome, NOW } from '../helpers/sigv2.js';

describe('a V2 signature holds only for the characters it signed', () => {
  it("a URL's x-amz-copy-source (the baseline is accepted)", () => {
    const auth = v2PresignQuery({ method: 'PUT', path: '/bucket/dst', headers: { 'x-amz-copy-source': 'bucket/a' } }, KEYS, EXPIRES);
    expect(outcome(v2Incoming({ method: 'PUT', path: '/bucket/dst', query: `x-amz-copy-source=bucket%2Fa&${auth}` }))).toBe('accepted');
    expect(outcome(v2Incoming({ method: 'PUT', path: '/bucket/dst', query: `x-amz-copy-source=bucket%2F%C5%A1&${auth}` }))).toBe('SignatureDoesNotMatch');
  });

  it("a URL's x-amz-tagging", () => {
    const auth = v2PresignQuery({ method: 'PUT', path: '/bucket/k', headers: { 'x-amz-tagging': 'owner=bob' } }, KEYS, EXPIRES);
    expect(outcome(v2Incoming({ method: 'PUT', path: '/bucket/k', query: `x-amz-tagging=owner%3D%C9%A2ob&${auth}` }))).toBe('SignatureDoesNotMatch');
  });

  it('a signed sub-resource value in a header-signed request', () => {
    const date = NOW.toUTCString();
    const signed = v2HeaderSigned({ method: 'GET', path: '/bucket/k', query: 'versionId=a', headers: { date } }, KEYS);
    expect(outcome(signed)).toBe('accepted');
    expect(outcome({ ...signed, rawQuery: 'versionId=%C5%A1' })).toBe('SignatureDoesNotMatch');
  });
});
