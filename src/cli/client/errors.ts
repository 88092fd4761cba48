/**
 * Every failure the client reports is one line: `tessera: <what went wrong>`. CliError carries a
 * message already written for people; describeError turns anything else (S3, network and file
 * system errors) into one.
 */

export class CliError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CliError';
  }
}

/** Where a remote call went, to name it in messages. */
export interface RemoteContext {
  alias: string;
  url: string;
  bucket?: string;
  key?: string;
}

const UNTRUSTED_HINT = ' (trust its CA by copying it to certs/CAs/ in the config directory, or use --insecure)';

const NETWORK_REASONS: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host name lookup failed',
  ETIMEDOUT: 'connection timed out',
  ECONNRESET: 'connection reset by the server',
  ECONNABORTED: 'connection aborted',
  EPIPE: 'connection closed by the server',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  EHOSTDOWN: 'host is down',
  UND_ERR_CONNECT_TIMEOUT: 'connection timed out',
  UND_ERR_SOCKET: 'connection closed by the server',
  ERR_SSL_WRONG_VERSION_NUMBER: 'TLS handshake failed (does the endpoint speak http rather than https?)',
  EPROTO: 'TLS handshake failed (does the endpoint speak http rather than https?)',
  DEPTH_ZERO_SELF_SIGNED_CERT: `the server's TLS certificate is self-signed${UNTRUSTED_HINT}`,
  SELF_SIGNED_CERT_IN_CHAIN: `the server's TLS certificate chain is self-signed${UNTRUSTED_HINT}`,
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: `the server's TLS certificate cannot be verified${UNTRUSTED_HINT}`,
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: `the server's TLS certificate is signed by an unknown CA${UNTRUSTED_HINT}`,
  CERT_HAS_EXPIRED: 'the server\'s TLS certificate has expired',
  ERR_TLS_CERT_ALTNAME_INVALID: 'the server\'s TLS certificate does not match its host name',
};

const FS_REASONS: Record<string, string> = {
  ENOENT: 'no such file or directory',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EISDIR: 'is a directory',
  ENOTDIR: 'not a directory',
  ENOTEMPTY: 'directory not empty',
  EEXIST: 'already exists',
  ENOSPC: 'no space left on device',
  EROFS: 'read-only file system',
  EMFILE: 'too many open files',
};

interface ErrorLike {
  name?: string;
  code?: string;
  message?: string;
  path?: string;
  errors?: unknown[];
  cause?: unknown;
  $metadata?: { httpStatusCode?: number };
}

/** The network reason for a failure to talk to a server at all, or undefined if it got an answer. */
export function networkReason(err: unknown): string | undefined {
  const e = err as ErrorLike | undefined;
  if (!e || typeof e !== 'object') return undefined;
  if (e.code && NETWORK_REASONS[e.code]) return NETWORK_REASONS[e.code];
  if (e.name === 'TimeoutError') return 'connection timed out';
  if (Array.isArray(e.errors) && e.errors.length > 0) return networkReason(e.errors[0]);
  if (e.cause && e.cause !== err) return networkReason(e.cause);
  return undefined;
}

function firstLine(text: string | undefined): string {
  return (text ?? '').split('\n')[0].trim();
}

function objectName(ctx: RemoteContext): string {
  return `${ctx.alias}/${ctx.bucket ?? ''}${ctx.key ? `/${ctx.key}` : ''}`;
}

/** An error from an S3 call (or from failing to make one) as one line naming alias, bucket or object. */
export function explainRemote(err: unknown, ctx: RemoteContext): CliError {
  if (err instanceof CliError) return err;
  const reason = networkReason(err);
  if (reason) return new CliError(`cannot reach ${ctx.alias} (${ctx.url}): ${reason}`);
  const e = (err ?? {}) as ErrorLike;
  const status = e.$metadata?.httpStatusCode;
  const name = e.name ?? 'Error';
  switch (name) {
    case 'InvalidAccessKeyId':
    case 'SignatureDoesNotMatch':
    case 'AccessDenied':
    case 'Forbidden':
      return new CliError('access denied (check the alias\'s keys)');
    case 'NoSuchBucket':
      return new CliError(`bucket "${ctx.bucket}" does not exist`);
    case 'NoSuchKey':
      return new CliError(`object "${objectName(ctx)}" does not exist`);
    case 'NotFound':
      return ctx.key ? new CliError(`object "${objectName(ctx)}" does not exist`) : new CliError(`bucket "${ctx.bucket}" does not exist`);
    case 'BucketNotEmpty':
      return new CliError(`bucket "${ctx.bucket}" is not empty (use --force to remove it with everything in it)`);
    case 'BucketAlreadyOwnedByYou':
    case 'BucketAlreadyExists':
      return new CliError(`bucket "${ctx.bucket}" already exists`);
    case 'InvalidBucketName':
      return new CliError(`invalid bucket name "${ctx.bucket}" (3-63 characters: lower-case letters, digits, '.' and '-')`);
    case 'KeyTooLongError':
      return new CliError(`object name too long: "${objectName(ctx)}"`);
    case 'RequestTimeTooSkewed':
      return new CliError(`this machine's clock differs too much from ${ctx.alias}'s (check the time on both)`);
    case 'NotImplemented':
      return new CliError(`${ctx.alias} does not support this operation: ${firstLine(e.message)}`);
    case 'SlowDown':
    case 'SlowDownRead':
    case 'SlowDownWrite':
    case 'ServiceUnavailable':
      return new CliError(`${ctx.alias} is busy or lacks drives for this operation (${name}); try again later`);
  }
  if (status === 403) return new CliError('access denied (check the alias\'s keys)');
  const message = firstLine(e.message);
  const detail = message && message !== 'UnknownError' ? message : status ? `HTTP ${status}` : 'unknown error';
  return new CliError(`${ctx.alias}: ${detail}${name !== 'Error' && !detail.includes(name) ? ` (${name})` : ''}`);
}

/** Any error as the one line printed after "tessera: ". */
export function describeError(err: unknown): string {
  if (err instanceof CliError) return err.message;
  const e = (err ?? {}) as ErrorLike;
  if (e.code && FS_REASONS[e.code]) return `${FS_REASONS[e.code]}${e.path ? `: ${e.path}` : ''}`;
  const reason = networkReason(err);
  if (reason) return reason;
  return firstLine(e.message) || String(err);
}

/** True if an S3 call failed because the server does not implement the operation. */
export function isNotImplemented(err: unknown): boolean {
  const e = err as ErrorLike | undefined;
  return e?.name === 'NotImplemented' || e?.$metadata?.httpStatusCode === 501;
}

export function isNotFound(err: unknown): boolean {
  const e = err as ErrorLike | undefined;
  return e?.name === 'NotFound' || e?.name === 'NoSuchKey' || (e?.$metadata?.httpStatusCode === 404 && e?.name !== 'NoSuchBucket');
}
