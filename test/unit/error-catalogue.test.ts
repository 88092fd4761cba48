/**
 * The S3 error catalogue (src/errors.ts) against AWS's documentation: every code it holds answers with
 * the HTTP status AWS documents for it ("Error responses", List of error codes, in the Amazon S3 API
 * reference, and the API pages that name codes the list leaves out), or is one of Tessera's own, named
 * here with why it exists.
 */
import { describe, expect, it } from 'vitest';
import { ERRORS, S3Error } from '../../src/errors.js';
import { errorXml, newResponseIds } from '../../src/s3/response.js';

/** Code -> HTTP status, as AWS documents them. */
const AWS_STATUS: Record<string, number> = {
  AccessControlListNotSupported: 400,
  AccessDenied: 403,
  // A refused CORS preflight (the CORS configuration pages).
  AccessForbidden: 403,
  AuthorizationHeaderMalformed: 400,
  AuthorizationQueryParametersError: 400,
  BadDigest: 400,
  // "Object tags cannot be greater than 10" (PutObjectTagging).
  BadRequest: 400,
  BucketAlreadyExists: 409,
  BucketAlreadyOwnedByYou: 409,
  BucketNotEmpty: 409,
  EntityTooLarge: 400,
  EntityTooSmall: 400,
  ExpiredToken: 400,
  IllegalVersioningConfigurationException: 400,
  IncompleteBody: 400,
  InternalError: 500,
  InvalidAccessKeyId: 403,
  InvalidArgument: 400,
  InvalidBucketAclWithObjectOwnership: 400,
  InvalidBucketName: 400,
  InvalidBucketState: 409,
  InvalidDigest: 400,
  InvalidObjectState: 403,
  InvalidPart: 400,
  InvalidPartOrder: 400,
  // GetObject/HeadObject with a partNumber the object does not have.
  InvalidPartNumber: 416,
  InvalidPolicyDocument: 400,
  InvalidRange: 416,
  InvalidRequest: 400,
  InvalidStorageClass: 400,
  // The tagging error list.
  InvalidTag: 400,
  InvalidURI: 400,
  KeyTooLongError: 400,
  MalformedACLError: 400,
  MalformedPOSTRequest: 400,
  // PutBucketPolicy.
  MalformedPolicy: 400,
  MalformedXML: 400,
  MaxMessageLengthExceeded: 400,
  MaxPostPreDataLengthExceededError: 400,
  MetadataTooLarge: 400,
  MethodNotAllowed: 405,
  MissingContentLength: 411,
  MissingRequestBodyError: 400,
  MissingSecurityHeader: 400,
  NoSuchBucket: 404,
  NoSuchBucketPolicy: 404,
  NoSuchCORSConfiguration: 404,
  NoSuchKey: 404,
  NoSuchLifecycleConfiguration: 404,
  // GetObjectRetention and GetObjectLegalHold of a version without them.
  NoSuchObjectLockConfiguration: 404,
  // GetPublicAccessBlock.
  NoSuchPublicAccessBlockConfiguration: 404,
  NoSuchTagSet: 404,
  NoSuchUpload: 404,
  NoSuchVersion: 404,
  NotImplemented: 501,
  NotModified: 304,
  // GetObjectLockConfiguration.
  ObjectLockConfigurationNotFoundError: 404,
  OperationAborted: 409,
  OwnershipControlsNotFoundError: 404,
  PreconditionFailed: 412,
  RequestTimeTooSkewed: 403,
  RequestTimeout: 400,
  ServiceUnavailable: 503,
  SignatureDoesNotMatch: 403,
  SlowDown: 503,
  TooManyBuckets: 400,
  UnexpectedContent: 400,
  UnresolvableGrantByEmailAddress: 400,
  // The SigV4 payload hash that does not match the body.
  XAmzContentSHA256Mismatch: 400,
};

/** Tessera's own codes: what AWS has no code for. */
const TESSERA_CODES: Record<string, { status: number; why: string }> = {
  SlowDownRead: { status: 503, why: 'too few drives answered to read (as MinIO names it); retried as SlowDown is' },
  SlowDownWrite: { status: 503, why: 'too few drives answered to write (as MinIO names it); retried as SlowDown is' },
  XTesseraTooManyVersions: { status: 400, why: "a key's version record would pass its limit" },
  XTesseraStorageFull: { status: 507, why: 'the drives are below the free space kept back' },
};

describe('the S3 error catalogue', () => {
  it('answers every code with the status AWS documents for it; the rest are Tessera’s own', () => {
    for (const [code, spec] of Object.entries(ERRORS)) {
      const expected = AWS_STATUS[code] ?? TESSERA_CODES[code]?.status;
      expect(expected, `${code} is neither an AWS code nor one of Tessera's own`).toBeDefined();
      expect(spec.status, code).toBe(expected);
    }
  });

  it('writes Code, Message, the fields of the code, the error’s own fields, Resource, RequestId and HostId, in that order', () => {
    const ids = newResponseIds();
    const request = { method: 'GET', bucket: 'b', key: 'k', query: new URLSearchParams('versionId=v1&uploadId=u1') };
    const elements = (err: S3Error): string[] => [...errorXml(err, ids, request).matchAll(/<(\w+)>/g)].map((m) => m[1]);
    expect(elements(new S3Error('NoSuchKey'))).toEqual(['Error', 'Code', 'Message', 'Key', 'Resource', 'RequestId', 'HostId']);
    expect(elements(new S3Error('NoSuchVersion'))).toEqual(['Error', 'Code', 'Message', 'Key', 'VersionId', 'Resource', 'RequestId', 'HostId']);
    expect(elements(new S3Error('NoSuchUpload'))).toEqual(['Error', 'Code', 'Message', 'UploadId', 'Resource', 'RequestId', 'HostId']);
    expect(elements(new S3Error('NoSuchBucket'))).toEqual(['Error', 'Code', 'Message', 'BucketName', 'Resource', 'RequestId', 'HostId']);
    expect(elements(new S3Error('MethodNotAllowed'))).toEqual(['Error', 'Code', 'Message', 'Method', 'ResourceType', 'Resource', 'RequestId', 'HostId']);
    expect(elements(new S3Error('AccessDenied'))).toEqual(['Error', 'Code', 'Message', 'Resource', 'RequestId', 'HostId']);
    expect(elements(new S3Error('InvalidArgument', 'x', { ArgumentName: 'a', ArgumentValue: 'v' }))).toEqual(['Error', 'Code', 'Message', 'ArgumentName', 'ArgumentValue', 'Resource', 'RequestId', 'HostId']);
    // The error's own value of a field wins, in the field's place.
    expect(errorXml(new S3Error('MethodNotAllowed', undefined, { ResourceType: 'DeleteMarker' }), ids, request)).toContain('<Method>GET</Method><ResourceType>DeleteMarker</ResourceType>');
  });

  it('leaves out the fields the request does not give', () => {
    const xml = errorXml(new S3Error('NoSuchVersion'), newResponseIds(), { method: 'GET', bucket: 'b', key: 'k', query: new URLSearchParams() });
    expect(xml).toContain('<Key>k</Key><Resource>/b/k</Resource><RequestId>');
    expect(errorXml(new S3Error('NoSuchBucket'), newResponseIds())).not.toContain('BucketName');
  });

  it('gives each response a request id and a HostId shaped like S3’s, the two distinct', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 200; i++) {
      const { requestId, hostId } = newResponseIds();
      expect(requestId).toMatch(/^[0-9A-F]{16}$/);
      expect(hostId).toMatch(/^[A-Za-z0-9+/]{74}[A-Za-z0-9+/=]{2}$/);
      expect(Buffer.from(hostId, 'base64')).toHaveLength(56);
      expect(seen.has(requestId) || seen.has(hostId)).toBe(false);
      seen.add(requestId).add(hostId);
    }
  });
});
