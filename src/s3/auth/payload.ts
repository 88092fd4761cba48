/** What the body of a request not signed with SigV4 proves: a SHA-256 it declares is still checked; nothing is signed chunk by chunk. */
import { S3Error } from '../../errors.js';
import { STREAMING_UNSIGNED_TRAILER, UNSIGNED_PAYLOAD, type AuthResult, type IncomingSignedRequest } from './sigv4.js';

export function declaredPayload(headers: IncomingSignedRequest['headers']): AuthResult['payload'] {
  const raw = headers['x-amz-content-sha256'];
  const declared = (Array.isArray(raw) ? raw[0] : raw)?.trim();
  if (declared === undefined || declared === UNSIGNED_PAYLOAD) return { kind: 'unsigned' };
  if (declared === STREAMING_UNSIGNED_TRAILER) return { kind: 'streaming-unsigned-trailer' };
  if (/^[0-9a-fA-F]{64}$/.test(declared)) return { kind: 'sha256', hex: declared.toLowerCase() };
  throw new S3Error('AccessDenied', 'Only a request signed with Signature Version 4 can carry a signed streaming payload.');
}
