/** Conditional requests: the If-* rules of RFC 7232 as S3 applies them to reads, copies and writes. */
import type { IncomingHttpHeaders } from 'node:http';
import { S3Error } from '../errors.js';
import type { ObjectInfo } from '../object/types.js';
import { quoteEtag } from './response.js';

interface Conditions {
  ifMatch?: string;
  ifNoneMatch?: string;
  ifModifiedSince?: string;
  ifUnmodifiedSince?: string;
}

type Verdict = 'ok' | 'not-modified' | 'failed';

function headerDate(value: string | undefined): Date | undefined {
  if (value === undefined) return undefined;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

function etagMatches(condition: string, etag: string): boolean {
  return condition.split(',').some((c) => {
    const t = c.trim();
    return t === '*' || t.replace(/^W\//, '').replace(/"/g, '') === etag;
  });
}

function evaluate(c: Conditions, info: ObjectInfo): Verdict {
  const modifiedSeconds = Math.floor(info.modTime.getTime() / 1000);
  const since = headerDate(c.ifModifiedSince);
  const unmodifiedSince = headerDate(c.ifUnmodifiedSince);
  // If-Match that holds overrides a failing If-Unmodified-Since (RFC 7232 §6), as S3 does.
  if (c.ifMatch !== undefined) {
    if (!etagMatches(c.ifMatch, info.etag)) return 'failed';
  } else if (unmodifiedSince && modifiedSeconds > Math.floor(unmodifiedSince.getTime() / 1000)) {
    return 'failed';
  }
  if (c.ifNoneMatch !== undefined) {
    if (etagMatches(c.ifNoneMatch, info.etag)) return 'not-modified';
  } else if (since && modifiedSeconds <= Math.floor(since.getTime() / 1000)) {
    return 'not-modified';
  }
  return 'ok';
}

function one(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(',') : value;
}

/** GET and HEAD: 412 PreconditionFailed or 304 Not Modified. */
export function checkReadConditions(headers: IncomingHttpHeaders, info: ObjectInfo): void {
  const verdict = evaluate(
    {
      ifMatch: one(headers['if-match']),
      ifNoneMatch: one(headers['if-none-match']),
      ifModifiedSince: one(headers['if-modified-since']),
      ifUnmodifiedSince: one(headers['if-unmodified-since']),
    },
    info,
  );
  if (verdict === 'failed') throw new S3Error('PreconditionFailed');
  if (verdict === 'not-modified') {
    throw new S3Error('NotModified', undefined, { ETag: quoteEtag(info.etag), 'Last-Modified': info.modTime.toUTCString() });
  }
}

/** CopyObject and UploadPartCopy: every failing x-amz-copy-source-if-* condition is a 412. */
export function checkCopySourceConditions(headers: IncomingHttpHeaders, info: ObjectInfo): void {
  const verdict = evaluate(
    {
      ifMatch: one(headers['x-amz-copy-source-if-match']),
      ifNoneMatch: one(headers['x-amz-copy-source-if-none-match']),
      ifModifiedSince: one(headers['x-amz-copy-source-if-modified-since']),
      ifUnmodifiedSince: one(headers['x-amz-copy-source-if-unmodified-since']),
    },
    info,
  );
  if (verdict !== 'ok') throw new S3Error('PreconditionFailed');
}

/**
 * Conditional writes (PUT, CompleteMultipartUpload, CopyObject destination): `If-None-Match: *`
 * refuses to overwrite, `If-Match` requires the current ETag. Undefined when the request has neither.
 */
export function writePrecondition(headers: IncomingHttpHeaders): ((current: ObjectInfo | undefined) => void) | undefined {
  const ifNoneMatch = one(headers['if-none-match']);
  const ifMatch = one(headers['if-match']);
  if (ifNoneMatch === undefined && ifMatch === undefined) return undefined;
  if (ifNoneMatch !== undefined && ifNoneMatch.trim() !== '*') {
    throw new S3Error('NotImplemented', 'If-None-Match on writes only supports *.');
  }
  return (current) => {
    if (ifNoneMatch !== undefined && current) throw new S3Error('PreconditionFailed', undefined, { Condition: 'If-None-Match' });
    if (ifMatch !== undefined) {
      if (!current) throw new S3Error('NoSuchKey');
      if (!etagMatches(ifMatch, current.etag)) throw new S3Error('PreconditionFailed', undefined, { Condition: 'If-Match' });
    }
  };
}
