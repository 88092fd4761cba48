/**
 * The one mapping from failures below the S3 layer to S3 answers (src/s3/error-mapping.ts): every
 * object-layer and drive error kind has a code of the catalogue, and the answers keep the codes,
 * statuses, messages and extra fields that clients saw when the erasure layer threw S3Errors itself.
 */
import { describe, expect, it } from 'vitest';
import { ERRORS, S3Error } from '../../src/errors.js';
import { OBJECT_LAYER_ERROR_KINDS, ObjectLayerError } from '../../src/object/errors.js';
import { DRIVE_S3_CODES, OBJECT_LAYER_S3_CODES, toS3Error } from '../../src/s3/error-mapping.js';
import { DriveError, type DriveErrorKind } from '../../src/storage/drive.js';

describe('object-layer errors to S3 errors', () => {
  it('maps every object-layer kind, and nothing else, to a code of the catalogue', () => {
    expect(Object.keys(OBJECT_LAYER_S3_CODES).sort()).toEqual([...OBJECT_LAYER_ERROR_KINDS].sort());
    for (const kind of OBJECT_LAYER_ERROR_KINDS) {
      const code = OBJECT_LAYER_S3_CODES[kind];
      expect(Object.keys(ERRORS), kind).toContain(code);
      const answer = toS3Error(new ObjectLayerError(kind));
      expect(answer, kind).toBeInstanceOf(S3Error);
      expect(answer!.code, kind).toBe(code);
      expect(answer!.status, kind).toBe(ERRORS[code].status);
    }
  });

  it('answers as the erasure layer used to: codes, statuses, messages and extra fields', () => {
    const cases: [ObjectLayerError, string, number, string, Record<string, string>][] = [
      [new ObjectLayerError('no-such-key'), 'NoSuchKey', 404, ERRORS.NoSuchKey.message, {}],
      [new ObjectLayerError('no-such-bucket'), 'NoSuchBucket', 404, ERRORS.NoSuchBucket.message, {}],
      [new ObjectLayerError('no-such-upload'), 'NoSuchUpload', 404, ERRORS.NoSuchUpload.message, {}],
      [new ObjectLayerError('bucket-exists'), 'BucketAlreadyOwnedByYou', 409, ERRORS.BucketAlreadyOwnedByYou.message, {}],
      [new ObjectLayerError('bucket-not-empty'), 'BucketNotEmpty', 409, ERRORS.BucketNotEmpty.message, {}],
      [new ObjectLayerError('write-quorum'), 'SlowDownWrite', 503, ERRORS.SlowDownWrite.message, {}],
      [new ObjectLayerError('read-quorum'), 'SlowDownRead', 503, ERRORS.SlowDownRead.message, {}],
      [
        new ObjectLayerError('read-quorum', { message: 'Not enough healthy shards to read this object.' }),
        'SlowDownRead',
        503,
        'Not enough healthy shards to read this object.',
        {},
      ],
      [
        new ObjectLayerError('lock-timeout', { message: 'Timed out waiting for a lock on this object.' }),
        'SlowDown',
        503,
        'Timed out waiting for a lock on this object.',
        {},
      ],
      [
        new ObjectLayerError('invalid-position'),
        'InvalidArgument',
        400,
        'The continuation token provided is incorrect',
        { ArgumentName: 'continuation-token' },
      ],
      [new ObjectLayerError('no-parts'), 'MalformedXML', 400, ERRORS.MalformedXML.message, {}],
      [new ObjectLayerError('invalid-part-order'), 'InvalidPartOrder', 400, ERRORS.InvalidPartOrder.message, {}],
      [new ObjectLayerError('invalid-part', { partNumber: 3 }), 'InvalidPart', 400, ERRORS.InvalidPart.message, { PartNumber: '3' }],
      [
        new ObjectLayerError('entity-too-small', { size: 10, minSize: 5 * 1024 * 1024, partNumber: 1 }),
        'EntityTooSmall',
        400,
        ERRORS.EntityTooSmall.message,
        { ProposedSize: '10', MinSizeAllowed: String(5 * 1024 * 1024), PartNumber: '1' },
      ],
      [new ObjectLayerError('entity-too-large'), 'EntityTooLarge', 400, ERRORS.EntityTooLarge.message, {}],
      [new ObjectLayerError('version-is-delete-marker'), 'MethodNotAllowed', 405, ERRORS.MethodNotAllowed.message, { ResourceType: 'DeleteMarker' }],
    ];
    for (const [err, code, status, message, extra] of cases) {
      const answer = toS3Error(err)!;
      expect({ code: answer.code, status: answer.status, message: answer.message }, err.kind).toEqual({ code, status, message });
      // The order of the extra fields is the order of the XML elements.
      expect(Object.entries(answer.extra), err.kind).toEqual(Object.entries(extra));
    }
  });

  it('passes S3Errors of the S3 layer (a precondition callback, say) through untouched', () => {
    const precondition = new S3Error('PreconditionFailed', undefined, { Condition: 'If-Match' });
    expect(toS3Error(precondition)).toBe(precondition);
  });

  it('maps every drive error kind to a code of the catalogue; bugs of ours and unknown failures to none', () => {
    for (const [kind, code] of Object.entries(DRIVE_S3_CODES) as [DriveErrorKind, string][]) {
      expect(Object.keys(ERRORS), kind).toContain(code);
      const answer = toS3Error(new DriveError(kind, `/srv/drive1: ${kind}`));
      if (code === 'InternalError') {
        expect(answer, kind).toBeUndefined();
      } else {
        expect(answer?.code, kind).toBe(code);
        // Unavailable, worth a retry; a full drive is not, and says so.
        expect(answer?.status, kind).toBe(kind === 'full' ? 507 : 503);
        // The drive's own message (endpoints, paths) never reaches the client.
        expect(answer?.message, kind).not.toContain('/srv/drive1');
      }
    }
    expect(DRIVE_S3_CODES.invalid).toBe('InternalError');
    expect(DRIVE_S3_CODES.offline).toBe('SlowDown');
    expect(toS3Error(new Error('boom'))).toBeUndefined();
    expect(toS3Error('boom')).toBeUndefined();
  });
});
