/**
 * The S3 error catalogue: every error a handler can answer with, as AWS S3 names it. Only the S3
 * layer throws S3Error; below it, failures are ObjectLayerErrors (src/object/errors.ts), mapped to
 * these codes in one place (src/s3/error-mapping.ts), by kind, never by string matching.
 */

/**
 * What of the request an error document names after its Message, as S3 writes them: the bucket of a
 * bucket error, the key (and version) of a missing object, the upload of a missing upload, the method
 * and the kind of resource it was sent to for a refused method.
 */
export type ErrorField = 'BucketName' | 'Key' | 'VersionId' | 'UploadId' | 'Method' | 'ResourceType';

export interface ErrorSpec {
  status: number;
  message: string;
  fields?: readonly ErrorField[];
}

const BUCKET = ['BucketName'] as const;
const METHOD = ['Method', 'ResourceType'] as const;

export const ERRORS = {
  AccessForbidden: { status: 403, message: 'CORSResponse: This CORS request is not allowed.', fields: METHOD },
  AccessControlListNotSupported: { status: 400, message: 'The bucket does not allow ACLs' },
  AccessDenied: { status: 403, message: 'Access Denied' },
  AuthorizationHeaderMalformed: { status: 400, message: 'The authorization header is malformed.' },
  AuthorizationQueryParametersError: { status: 400, message: 'Error parsing the X-Amz-Credential parameter.' },
  BadRequest: { status: 400, message: 'Bad Request.' },
  BadDigest: { status: 400, message: 'The Content-MD5 you specified did not match what we received.' },
  BucketAlreadyExists: {
    status: 409,
    message: 'The requested bucket name is not available. The bucket namespace is shared by all users of the system. Please select a different name and try again.',
    fields: BUCKET,
  },
  BucketAlreadyOwnedByYou: { status: 409, message: 'Your previous request to create the named bucket succeeded and you already own it.', fields: BUCKET },
  BucketNotEmpty: { status: 409, message: 'The bucket you tried to delete is not empty.', fields: BUCKET },
  EntityTooLarge: { status: 400, message: 'Your proposed upload exceeds the maximum allowed object size.' },
  EntityTooSmall: { status: 400, message: 'Your proposed upload is smaller than the minimum allowed object size.' },
  IllegalVersioningConfigurationException: { status: 400, message: 'The versioning configuration specified in the request is invalid.' },
  IncompleteBody: { status: 400, message: 'You did not provide the number of bytes specified by the Content-Length HTTP header.' },
  InternalError: { status: 500, message: 'We encountered an internal error. Please try again.' },
  InvalidAccessKeyId: { status: 403, message: 'The AWS Access Key Id you provided does not exist in our records.' },
  InvalidArgument: { status: 400, message: 'Invalid Argument' },
  InvalidBucketAclWithObjectOwnership: { status: 400, message: "Bucket cannot have ACLs set with ObjectOwnership's BucketOwnerEnforced setting" },
  InvalidBucketName: { status: 400, message: 'The specified bucket is not valid.', fields: BUCKET },
  InvalidDigest: { status: 400, message: 'The Content-MD5 you specified is not valid.' },
  InvalidPart: { status: 400, message: 'One or more of the specified parts could not be found. The part might not have been uploaded, or the specified entity tag might not have matched the part\'s entity tag.' },
  InvalidPartOrder: { status: 400, message: 'The list of parts was not in ascending order. The parts list must be specified in order by part number.' },
  InvalidPartNumber: { status: 416, message: 'The requested partnumber is not satisfiable' },
  InvalidPolicyDocument: { status: 400, message: 'The content of the form does not meet the conditions specified in the policy document.' },
  InvalidRange: { status: 416, message: 'The requested range is not satisfiable.' },
  InvalidRequest: { status: 400, message: 'Invalid Request.' },
  InvalidBucketState: { status: 409, message: 'The request is not valid with the current state of the bucket.' },
  InvalidURI: { status: 400, message: "Couldn't parse the specified URI." },
  InvalidStorageClass: { status: 400, message: 'The storage class you specified is not valid.' },
  InvalidTag: { status: 400, message: 'The tag provided was not a valid tag.' },
  KeyTooLongError: { status: 400, message: 'Your key is too long.' },
  MalformedPOSTRequest: { status: 400, message: 'The body of your POST request is not well-formed multipart/form-data.' },
  MaxPostPreDataLengthExceededError: { status: 400, message: 'Your POST request fields preceding the upload file were too large.' },
  MalformedACLError: { status: 400, message: 'The XML you provided was not well-formed or did not validate against our published schema.' },
  MalformedPolicy: { status: 400, message: 'Policies must be valid JSON and the first byte must be \'{\'' },
  MalformedXML: { status: 400, message: 'The XML you provided was not well-formed or did not validate against our published schema.' },
  MetadataTooLarge: { status: 400, message: 'Your metadata headers exceed the maximum allowed metadata size.' },
  MethodNotAllowed: { status: 405, message: 'The specified method is not allowed against this resource.', fields: METHOD },
  MissingContentLength: { status: 411, message: 'You must provide the Content-Length HTTP header.' },
  MissingSecurityHeader: { status: 400, message: 'Your request is missing a required header.' },
  NoSuchBucket: { status: 404, message: 'The specified bucket does not exist.', fields: BUCKET },
  NoSuchBucketPolicy: { status: 404, message: 'The bucket policy does not exist.', fields: BUCKET },
  NoSuchPublicAccessBlockConfiguration: { status: 404, message: 'The public access block configuration was not found.', fields: BUCKET },
  NoSuchLifecycleConfiguration: { status: 404, message: 'The lifecycle configuration does not exist.', fields: BUCKET },
  NoSuchObjectLockConfiguration: { status: 404, message: 'The specified object does not have a ObjectLock configuration.' },
  ObjectLockConfigurationNotFoundError: { status: 404, message: 'Object Lock configuration does not exist for this bucket.', fields: BUCKET },
  NoSuchKey: { status: 404, message: 'The specified key does not exist.', fields: ['Key'] },
  NoSuchTagSet: { status: 404, message: 'The TagSet does not exist.', fields: BUCKET },
  OwnershipControlsNotFoundError: { status: 404, message: 'The bucket ownership controls were not found', fields: BUCKET },
  NoSuchUpload: {
    status: 404,
    message: 'The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.',
    fields: ['UploadId'],
  },
  NoSuchVersion: { status: 404, message: 'The specified version does not exist.', fields: ['Key', 'VersionId'] },
  NotModified: { status: 304, message: 'Not Modified' },
  NotImplemented: { status: 501, message: 'A header you provided implies functionality that is not implemented.' },
  PreconditionFailed: { status: 412, message: 'At least one of the preconditions you specified did not hold.' },
  RequestTimeTooSkewed: { status: 403, message: 'The difference between the request time and the server\'s time is too large.' },
  RequestTimeout: { status: 400, message: 'Your socket connection to the server was not read from or written to within the timeout period.' },
  SignatureDoesNotMatch: { status: 403, message: 'The request signature we calculated does not match the signature you provided. Check your key and signing method.' },
  SlowDown: { status: 503, message: 'Please reduce your request rate.' },
  SlowDownRead: { status: 503, message: 'Resource requested is unreadable, please reduce your request rate' },
  SlowDownWrite: { status: 503, message: 'Resource requested is unwritable, please reduce your request rate' },
  UnexpectedContent: { status: 400, message: 'This request does not support content.' },
  UnresolvableGrantByEmailAddress: { status: 400, message: 'The e-mail address you provided does not match any account on record.' },
  XTesseraTooManyVersions: { status: 400, message: "You've exceeded the limit on the number of versions you can create on this object: delete noncurrent versions, or let a lifecycle rule expire them." },
  XTesseraStorageFull: { status: 507, message: 'The drives are nearly full: too many of them are below the free space kept back for metadata and healing. Delete objects or add drives.' },
  XAmzContentSHA256Mismatch: { status: 400, message: 'The provided \'x-amz-content-sha256\' header does not match what was computed.' },
} as const satisfies Record<string, ErrorSpec>;

export type S3ErrorCode = keyof typeof ERRORS;

/** A failure that maps to exactly one S3 error response. */
export class S3Error extends Error {
  readonly code: S3ErrorCode;
  readonly status: number;

  /** Response headers the error answer carries (a delete marker's, on a 404 or 405). */
  readonly headers: Record<string, string>;

  constructor(code: S3ErrorCode, message?: string, readonly extra: Record<string, string> = {}, headers: Record<string, string> = {}) {
    super(message ?? ERRORS[code].message);
    this.code = code;
    this.status = ERRORS[code].status;
    this.name = 'S3Error';
    this.headers = headers;
  }
}

export function isS3Error(err: unknown): err is S3Error {
  return err instanceof S3Error;
}

/** A problem with how the server was started (arguments, drives, other nodes): one line for the operator, exit 1. */
export class ConfigurationError extends Error {}
