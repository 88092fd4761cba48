/**
 * What the server writes about a failure never carries a credential: presigned-URL signatures and
 * credentials (SigV4 and SigV2 query parameters, and the same fields inside an Authorization
 * header's text) are replaced with REDACTED before anything is printed.
 */
import { inspect } from 'node:util';

const SECRET_FIELDS = ['X-Amz-Signature', 'X-Amz-Credential', 'X-Amz-Security-Token', 'Signature', 'Credential', 'AWSAccessKeyId'];

// A field name starts at a boundary (so `Signature` alone does not match inside `X-Amz-Signature`);
// its dashes may arrive percent-encoded; the value runs to the next separator of a query or header.
const SECRET_FIELD = new RegExp(
  `(?<![\\w-])(${SECRET_FIELDS.map((name) => name.replace(/-/g, '(?:-|%2D)')).join('|')})=[^&#\\s"',;:]*`,
  'gi',
);

export function redactSecrets(text: string): string {
  return text.replace(SECRET_FIELD, '$1=REDACTED');
}

/** Prints `line` and, when given, the error (stack and properties, as console.error would), redacted. */
export function logError(line: string, err?: unknown): void {
  console.error(redactSecrets(err === undefined ? line : `${line} ${inspect(err)}`));
}
