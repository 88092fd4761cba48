/** The Range header of GetObject, as S3 reads it: one range, `bytes=a-b`, `bytes=a-` or `bytes=-n`. */
import { S3Error } from '../errors.js';
import type { ByteRange } from '../object/types.js';

/**
 * The range to serve from an object of `size` bytes; undefined means the whole object (no header,
 * or a header S3 ignores, such as several ranges or bad syntax). Unsatisfiable ranges are InvalidRange.
 */
export function resolveRange(header: string | undefined, size: number): ByteRange | undefined {
  if (!header) return undefined;
  const match = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!match || (match[1] === '' && match[2] === '')) return undefined;
  const [, first, last] = match;
  const unsatisfiable = (): S3Error =>
    new S3Error('InvalidRange', undefined, { RangeRequested: header, ActualObjectSize: String(size) });
  if (first === '') {
    const suffix = Number(last);
    if (suffix === 0 || size === 0) throw unsatisfiable();
    return { start: Math.max(size - suffix, 0), end: size - 1 };
  }
  const start = Number(first);
  const end = last === '' ? size - 1 : Math.min(Number(last), size - 1);
  if (last !== '' && Number(last) < start) return undefined;
  if (start >= size) throw unsatisfiable();
  return { start, end };
}
