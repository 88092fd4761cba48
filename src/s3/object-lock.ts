/**
 * Object Lock settings as object writes give them: x-amz-object-lock-mode with
 * x-amz-object-lock-retain-until-date, and x-amz-object-lock-legal-hold (on PUT, POST forms, copies
 * and CreateMultipartUpload), checked as AWS checks them; and the documents of the retention and
 * legal-hold APIs.
 */
import { S3Error } from '../errors.js';
import type { Retention, VersionAttributes } from '../object/types.js';
import { firstValue, type HeaderSource } from './object-request.js';
import { tagsFromHeader } from './tags.js';
import type { AccessCheck, AccessResource } from './access.js';

const MODES = new Set(['GOVERNANCE', 'COMPLIANCE']);

/** An ISO 8601 date in the future, as a retention's end. */
export function retainUntil(text: string, now = Date.now()): number {
  // ISO 8601 with its zone (a date without one would depend on each node's time zone), a real day.
  const parts = /^(\d{4})-(\d{2})-(\d{2})T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.exec(text);
  const until = Date.parse(text);
  const day = parts && new Date(Date.UTC(Number(parts[1]), Number(parts[2]) - 1, Number(parts[3])));
  const real = day !== null && day.getUTCDate() === Number(parts![3]) && day.getUTCMonth() === Number(parts![2]) - 1;
  if (!real || Number.isNaN(until)) throw new S3Error('InvalidArgument', 'The retain until date is not a valid date.');
  if (until <= now) throw new S3Error('InvalidArgument', 'The retain until date must be in the future!');
  return until;
}

export function retentionMode(text: string): Retention['mode'] {
  if (!MODES.has(text)) throw new S3Error('InvalidArgument', 'Unknown wormMode directive.');
  return text as Retention['mode'];
}

export function legalHoldStatus(text: string): boolean {
  if (text !== 'ON' && text !== 'OFF') throw new S3Error('InvalidArgument', "Legal Hold must be either of 'ON' or 'OFF'");
  return text === 'ON';
}

/** The Object Lock settings a write's headers (or form fields) give; the bucket's default applies where they give no retention. */
export function lockFromHeaders(source: HeaderSource): Pick<VersionAttributes, 'retention' | 'legalHold'> {
  const mode = firstValue(source['x-amz-object-lock-mode']);
  const until = firstValue(source['x-amz-object-lock-retain-until-date']);
  const hold = firstValue(source['x-amz-object-lock-legal-hold']);
  if ((mode === undefined) !== (until === undefined)) {
    throw new S3Error('InvalidArgument', 'x-amz-object-lock-retain-until-date and x-amz-object-lock-mode must both be supplied');
  }
  return {
    ...(mode !== undefined ? { retention: { mode: retentionMode(mode), until: retainUntil(until!) } } : {}),
    ...(hold !== undefined ? { legalHold: legalHoldStatus(hold) } : {}),
  };
}

/** A write that sets tags or Object Lock settings needs their permissions too, as AWS asks. */
export async function requireAttributePermissions(access: AccessCheck, object: AccessResource, attributes: VersionAttributes): Promise<void> {
  if (attributes.tags) await access.require('s3:PutObjectTagging', object);
  if (attributes.retention) await access.require('s3:PutObjectRetention', object);
  if (attributes.legalHold !== undefined) await access.require('s3:PutObjectLegalHold', object);
}

/** Everything a write's headers set on the new version: tags and Object Lock settings. */
export function writeAttributes(source: HeaderSource): VersionAttributes {
  const tags = tagsFromHeader(source);
  return { ...(tags ? { tags } : {}), ...lockFromHeaders(source) };
}

/** The response headers of a version's Object Lock settings (GET, HEAD). */
export function lockHeaders(info: { retention?: Retention; legalHold?: boolean }): Record<string, string> {
  return {
    ...(info.retention ? { 'x-amz-object-lock-mode': info.retention.mode, 'x-amz-object-lock-retain-until-date': new Date(info.retention.until).toISOString() } : {}),
    ...(info.legalHold ? { 'x-amz-object-lock-legal-hold': 'ON' } : {}),
  };
}
