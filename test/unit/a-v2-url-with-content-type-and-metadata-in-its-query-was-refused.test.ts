/**
 * Regression: botocore presigns a V2 PUT with its Content-Type and x-amz-* headers moved into the
 * query string (`content-type=...&x-amz-meta-owner=...`, HmacV1QueryAuth) and signs them there, so
 * whoever uses the URL sends no such headers; S3 reads them from the query. verifySigV2 read only
 * headers, and refused every such URL (boto3's default presigned put_object with ContentType or
 * Metadata) with SignatureDoesNotMatch.
 */
import { describe, expect, it } from 'vitest';
import { verifySigV2 } from '../../src/s3/auth/sigv2.js';
import { S3Error } from '../../src/errors.js';
import { v2Incoming, v2PresignQuery, EXPIRES, KEYS, NOW, lookup } from '../helpers/sigv2.js';

function outcome(rawQuery: string): string {
  try {
    verifySigV2(v2Incoming({ method: 'PUT', path: '/bucket/upload.txt', query: rawQuery }), lookup, NOW);
    return 'accepted';
  } catch (err) {
    return `${(err as S3Error).code}: ${(err as S3Error).extra.StringToSign ?? ''}`;
  }
}

describe('a V2 URL carrying its signed headers in the query', () => {
  it('content-type and x-amz-meta-* in the query are signed as the headers they stand for', () => {
    const signedAs = { method: 'PUT', path: '/bucket/upload.txt', headers: { 'content-type': 'text/plain', 'x-amz-meta-owner': 'ops' } };
    const auth = v2PresignQuery(signedAs, KEYS, EXPIRES);
    expect(outcome(`${auth}&content-type=text%2Fplain&x-amz-meta-owner=ops`)).toBe('accepted');
  });

  it('x-amz-acl in the query', () => {
    const auth = v2PresignQuery({ method: 'PUT', path: '/bucket/upload.txt', headers: { 'x-amz-acl': 'private' } }, KEYS, EXPIRES);
    expect(outcome(`${auth}&x-amz-acl=private`)).toBe('accepted');
  });
});
