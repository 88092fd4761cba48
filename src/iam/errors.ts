/**
 * What IAM refuses, by a code the admin API answers with (JSON `{code, message}`) and an HTTP status.
 * The S3 layer maps the few it can meet (a malformed bucket policy) to its own catalogue.
 */

export const IAM_ERRORS = {
  InvalidArgument: 400,
  /** Allowed by no policy: what only the root user (or the user itself) may do. */
  AccessDenied: 403,
  MalformedPolicy: 400,
  NoSuchUser: 404,
  NoSuchServiceAccount: 404,
  NoSuchGroup: 404,
  NoSuchPolicy: 404,
  UserAlreadyExists: 409,
  GroupNotEmpty: 409,
  PolicyInUse: 409,
  BuiltinPolicy: 409,
  /** The stored IAM data was sealed with other root credentials: nothing may overwrite it. */
  IamDataSealed: 503,
  IamUnavailable: 503,
} as const;

export type IamErrorCode = keyof typeof IAM_ERRORS;

export class IamError extends Error {
  readonly status: number;

  constructor(
    readonly code: IamErrorCode,
    message: string,
  ) {
    super(message);
    this.status = IAM_ERRORS[code];
  }
}
