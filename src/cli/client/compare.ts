/**
 * Whether a copy at the target differs from its source (mirror and diff). Sizes first; then
 * content: an S3 single-part ETag is the MD5 of the object, so a local file is hashed and compared
 * to it. A multipart ETag ("…-N") is not an MD5 of the whole, so then the rule is size and time:
 * changed if the source is newer than the copy (downloads keep the object's time as their mtime).
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import type { Entry, Loc } from './location.js';

const PLAIN_MD5 = /^[0-9a-f]{32}$/i;

export function isPlainEtag(etag: string | undefined): etag is string {
  return etag !== undefined && PLAIN_MD5.test(etag);
}

export async function md5File(path: string): Promise<string> {
  const hash = createHash('md5');
  await pipeline(createReadStream(path), hash);
  return hash.digest('hex');
}

/** Whole seconds: S3 keeps times to the second. */
function seconds(date: Date): number {
  return Math.floor(date.getTime() / 1000);
}

export async function differs(src: Loc, s: Entry, dst: Loc, d: Entry): Promise<boolean> {
  if (s.size !== d.size) return true;
  if (src.kind === 'remote' && dst.kind === 'remote') {
    if (isPlainEtag(s.etag) && isPlainEtag(d.etag)) return s.etag.toLowerCase() !== d.etag.toLowerCase();
    if (s.etag && d.etag && s.etag === d.etag) return false;
    return seconds(s.modTime) > seconds(d.modTime);
  }
  if (src.kind === 'local' && dst.kind === 'remote') {
    if (isPlainEtag(d.etag)) return (await md5File(src.path)) !== d.etag.toLowerCase();
    return seconds(s.modTime) > seconds(d.modTime);
  }
  if (src.kind === 'remote' && dst.kind === 'local') {
    if (isPlainEtag(s.etag)) return (await md5File(dst.path)) !== s.etag.toLowerCase();
    return seconds(s.modTime) > seconds(d.modTime);
  }
  return seconds(s.modTime) !== seconds(d.modTime);
}
