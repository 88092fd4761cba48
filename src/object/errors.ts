/**
 * The failures of the ObjectLayer (src/object/types.ts) and of everything below it (erasure sets,
 * pools, multipart, heal, locks). They say what went wrong in storage terms; which S3 error a client
 * sees is decided in one place in the S3 layer (src/s3/error-mapping.ts), so no S3 code is named
 * below it.
 *
 * The rule for callbacks: a precondition or checksum callback the S3 layer passes down
 * (PutOptions.precondition, CompleteOptions.checksums) is S3-layer code; it throws S3Error, and the
 * layers below let that error through untouched.
 */

export const OBJECT_LAYER_ERROR_KINDS = [
  'no-such-bucket',
  'no-such-key',
  /** A version id the key does not have. */
  'no-such-version',
  /** A read of a version named by its id that is a delete marker. */
  'version-is-delete-marker',
  /** A new version would make the key's record larger than a record may be (too many versions kept). */
  'too-many-versions',
  /** A delete of a version under Object Lock retention or legal hold. */
  'object-locked',
  /** Object Lock settings for a version in a bucket without Object Lock. */
  'object-lock-not-enabled',
  /** A version under Object Lock from a write that proves nothing of its body (PutOptions.bodyDigest). */
  'body-digest-required',
  /** A delete made on condition (DeleteOptions.expectedModTime) found the version changed. */
  'precondition-failed',
  'no-such-upload',
  /** makeBucket of a bucket that exists already. */
  'bucket-exists',
  /** deleteBucket of a bucket some drive still holds a record in. */
  'bucket-not-empty',
  /** Too few drives (or lock nodes) answered to decide a read. */
  'read-quorum',
  /** Too few drives (or lock nodes) took a write, or the writer's lock lapsed before it could finish. */
  'write-quorum',
  /** Too many drives of the set are full (below their reserve) to take the write. */
  'storage-full',
  /** The object's lock could not be had in time. */
  'lock-timeout',
  /** A listing position that this layer did not issue (or one for another prefix). */
  'invalid-position',
  /** CompleteMultipartUpload with no parts. */
  'no-parts',
  /** CompleteMultipartUpload with part numbers not in ascending order. */
  'invalid-part-order',
  /** CompleteMultipartUpload naming a part the upload does not hold with that ETag. */
  'invalid-part',
  /** A part other than the last one is smaller than the minimum part size. */
  'entity-too-small',
  /** A part is larger than the maximum part size. */
  'entity-too-large',
] as const;

export type ObjectLayerErrorKind = (typeof OBJECT_LAYER_ERROR_KINDS)[number];

/** Facts about the failure that an answer may report (the part concerned, its size, the limit). */
export interface ObjectLayerErrorFacts {
  /** A message meant for the client, in place of the default one for the kind. */
  message?: string;
  partNumber?: number;
  size?: number;
  minSize?: number;
  /** The delete marker that a read found where it asked for a version. */
  deleteMarker?: { versionId: string; modTime: Date };
}

export class ObjectLayerError extends Error {
  constructor(
    readonly kind: ObjectLayerErrorKind,
    readonly facts: ObjectLayerErrorFacts = {},
  ) {
    super(facts.message ?? kind);
    this.name = 'ObjectLayerError';
  }
}

export function isObjectLayerError(err: unknown, kind?: ObjectLayerErrorKind): err is ObjectLayerError {
  return err instanceof ObjectLayerError && (kind === undefined || err.kind === kind);
}
