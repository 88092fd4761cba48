/** What a listing request asks for: page sizes and numbers (S3's answers to bad ones), prefix, delimiter and encoding-type. */
import { S3Error } from '../errors.js';
import { validatePrefix } from './names.js';
import type { S3Request } from './request.js';

/** The most entries a listing page holds (max-keys, max-uploads), whatever the request asks. */
export const MAX_LISTED = 1000;
const INT32_MAX = 2 ** 31 - 1;

/** encoding-type=url: percent-encode like S3 does, leaving '/' readable. */
function urlEncode(value: string): string {
  return encodeURIComponent(value).replace(/%2F/g, '/').replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/**
 * A count or number parameter of a listing (max-keys, max-uploads, max-parts, part-number-marker,
 * max-buckets): `fallback` when absent; refused with S3's two messages when it is no 32-bit integer,
 * or one outside [min, max].
 */
export function countParam(query: URLSearchParams, name: string, fallback: number, min = 0, max = INT32_MAX): number {
  const raw = query.get(name);
  if (raw === null) return fallback;
  const value = /^[+-]?\d{1,10}$/.test(raw) ? Number(raw) : NaN;
  if (!(Math.abs(value) <= INT32_MAX)) {
    throw new S3Error('InvalidArgument', `Provided ${name} not an integer or within integer range`, { ArgumentName: name, ArgumentValue: raw });
  }
  if (value < min || value > max) {
    throw new S3Error('InvalidArgument', `Argument ${name} must be an integer between ${min} and ${max}`, { ArgumentName: name, ArgumentValue: raw });
  }
  return value;
}

export interface ListParams {
  prefix: string;
  delimiter: string;
  maxKeys: number;
  encode: (value: string) => string;
  encodingType?: string;
}

/** What a listing of keys (objects, versions, uploads) is asked for; `countName` names its page size parameter. */
export function listParams(req: S3Request, countName = 'max-keys'): ListParams {
  const q = req.target.query;
  const maxKeys = Math.min(countParam(q, countName, MAX_LISTED), MAX_LISTED);
  const encodingType = q.get('encoding-type') ?? undefined;
  if (encodingType !== undefined && encodingType !== 'url') {
    throw new S3Error('InvalidArgument', 'Invalid Encoding Method specified in Request', { ArgumentName: 'encoding-type', ArgumentValue: encodingType });
  }
  return {
    prefix: validatePrefix(q.get('prefix') ?? ''),
    delimiter: q.get('delimiter') ?? '',
    maxKeys,
    encodingType,
    encode: encodingType === 'url' ? urlEncode : (v) => v,
  };
}
