/**
 * The one place where a failure becomes an S3 error: S3Errors of the S3 layer pass as they are,
 * object-layer errors and drive errors that reach a handler are mapped by kind. The app's error
 * middleware, DeleteObjects (one answer per key) and the admin API all ask here.
 */
import { S3Error, type S3ErrorCode } from '../errors.js';
import { ObjectLayerError, type ObjectLayerErrorKind } from '../object/errors.js';
import { DriveError, type DriveErrorKind } from '../storage/drive.js';

export const OBJECT_LAYER_S3_CODES = {
  'no-such-bucket': 'NoSuchBucket',
  'no-such-key': 'NoSuchKey',
  'no-such-version': 'NoSuchVersion',
  'version-is-delete-marker': 'MethodNotAllowed',
  'too-many-versions': 'XTesseraTooManyVersions',
  'object-locked': 'AccessDenied',
  'object-lock-not-enabled': 'InvalidRequest',
  'precondition-failed': 'PreconditionFailed',
  'body-digest-required': 'InvalidRequest',
  'no-such-upload': 'NoSuchUpload',
  'bucket-exists': 'BucketAlreadyOwnedByYou',
  'bucket-not-empty': 'BucketNotEmpty',
  'read-quorum': 'SlowDownRead',
  'write-quorum': 'SlowDownWrite',
  'storage-full': 'XTesseraStorageFull',
  'lock-timeout': 'SlowDown',
  'invalid-position': 'InvalidArgument',
  'no-parts': 'MalformedXML',
  'invalid-part-order': 'InvalidPartOrder',
  'invalid-part': 'InvalidPart',
  'entity-too-small': 'EntityTooSmall',
  'entity-too-large': 'EntityTooLarge',
} as const satisfies Record<ObjectLayerErrorKind, S3ErrorCode>;

/**
 * Drive errors are counted by the erasure layer's fan-outs; one that reaches a handler is a drive
 * that could not be done without: unavailable (503, worth a retry), or a lock that lapsed under a
 * record write. 'invalid' (a name or id that passed S3 validation but not the drive's) and 'damaged'
 * (a record the erasure layer should have counted and healed) are bugs of ours.
 */
export const DRIVE_S3_CODES = {
  offline: 'SlowDown',
  unformatted: 'SlowDown',
  faulty: 'SlowDown',
  'not-found': 'SlowDown',
  refused: 'SlowDown',
  fenced: 'SlowDownWrite',
  full: 'XTesseraStorageFull',
  invalid: 'InternalError',
  damaged: 'InternalError',
} as const satisfies Record<DriveErrorKind, S3ErrorCode>;

/** The answer to a continuation token this server did not issue (or an empty one). */
export function badContinuationToken(): S3Error {
  return new S3Error('InvalidArgument', 'The continuation token provided is incorrect', { ArgumentName: 'continuation-token' });
}

/** What an object-layer error's facts add to the error document, in S3's order. */
function objectLayerExtra(err: ObjectLayerError): Record<string, string> {
  const { partNumber, size, minSize } = err.facts;
  const fields =
    err.kind === 'entity-too-small'
      ? { ProposedSize: size, MinSizeAllowed: minSize, PartNumber: partNumber }
      : err.kind === 'invalid-part'
        ? { PartNumber: partNumber }
        : err.kind === 'version-is-delete-marker'
          ? { ResourceType: 'DeleteMarker' }
          : {};
  return Object.fromEntries(Object.entries(fields).flatMap(([name, value]) => (value === undefined ? [] : [[name, String(value)]])));
}

/** A delete marker found where a version was asked for is named in the answer's headers (the 405 also dates it). */
function deleteMarkerHeaders(err: ObjectLayerError): Record<string, string> {
  const marker = err.facts.deleteMarker;
  if (!marker) return {};
  return {
    'x-amz-delete-marker': 'true',
    'x-amz-version-id': marker.versionId,
    ...(err.kind === 'version-is-delete-marker' ? { 'Last-Modified': marker.modTime.toUTCString() } : {}),
  };
}

/**
 * The S3 error to answer `err` with; undefined for a failure that is nobody's but ours (an unknown
 * error, or one that maps to InternalError), which the caller answers and logs as an internal error.
 */
export function toS3Error(err: unknown): S3Error | undefined {
  if (err instanceof S3Error) return err;
  if (err instanceof ObjectLayerError) {
    if (err.kind === 'invalid-position') return badContinuationToken();
    return new S3Error(OBJECT_LAYER_S3_CODES[err.kind], err.facts.message, objectLayerExtra(err), deleteMarkerHeaders(err));
  }
  if (err instanceof DriveError) {
    const code = DRIVE_S3_CODES[err.kind];
    // The drive's message names endpoints and paths: the client gets the catalogue's.
    return code === 'InternalError' ? undefined : new S3Error(code);
  }
  return undefined;
}
